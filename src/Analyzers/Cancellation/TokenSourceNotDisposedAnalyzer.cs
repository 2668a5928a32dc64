using System.Collections.Immutable;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Cancellation;

/// <summary>
/// CONC403 (Go's lostcancel): a linked or timed <c>CancellationTokenSource</c> held in a local that is never disposed
/// and never handed off, a timed source whose only use is <c>.Token</c>, and a <c>token.Register(...)</c> on a
/// caller's token whose registration is dropped.
/// </summary>
[DiagnosticAnalyzer(Microsoft.CodeAnalysis.LanguageNames.CSharp)]
public sealed class TokenSourceNotDisposedAnalyzer : DiagnosticAnalyzer
{
    public const string KindProperty = "Kind";
    public const string KindLocal = "Local";
    public const string KindRegistration = "Registration";
    public const string FixableProperty = "Fixable";

    private const string Title = "CancellationTokenSource or registration is not disposed";
    private const string Description =
        "A linked CancellationTokenSource registers a callback on its parent token, and a timed one holds a timer; " +
        "both stay alive (with everything they reference) until disposed, or until the parent is cancelled, which for " +
        "an application-lifetime token is never. A dropped CancellationTokenRegistration keeps its callback rooted the " +
        "same way, and the callback can still run after the operation ended. Dispose them with using.";

    internal static readonly DiagnosticDescriptor LocalRule = RuleDescriptors.Create(
        RuleIds.TokenSourceNotDisposed,
        Title,
        "'{0}' is a {1} CancellationTokenSource that is never disposed: its {2} leaks until the parent is cancelled; use 'using'",
        DiagnosticSeverity.Warning,
        Description);

    internal static readonly DiagnosticDescriptor InlineRule = RuleDescriptors.Create(
        RuleIds.TokenSourceNotDisposed,
        Title,
        "This {0} CancellationTokenSource is created only for its Token and can never be disposed; hold it in a 'using' local",
        DiagnosticSeverity.Warning,
        Description);

    internal static readonly DiagnosticDescriptor RegistrationRule = RuleDescriptors.Create(
        RuleIds.TokenSourceNotDisposed,
        Title,
        "The registration on '{0}' is dropped: the callback stays registered after this operation ends; dispose it with 'using'",
        DiagnosticSeverity.Warning,
        Description);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(LocalRule, InlineRule, RegistrationRule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var types = new KnownTypes(start.Compilation);
            if (types.CancellationTokenSource is null || types.CancellationToken is null)
            {
                return;
            }

            start.RegisterOperationAction(c => AnalyzeDeclarator(c, types), OperationKind.VariableDeclarator);
            start.RegisterOperationAction(c => AnalyzeInline(c, types), OperationKind.ObjectCreation, OperationKind.Invocation);
            start.RegisterOperationAction(c => AnalyzeRegistration(c, types), OperationKind.ExpressionStatement);
        });
    }

    private static void AnalyzeDeclarator(OperationAnalysisContext context, KnownTypes types)
    {
        var declarator = (IVariableDeclaratorOperation)context.Operation;
        var local = declarator.Symbol;
        if (!CancellationTokens.IsTokenSource(local.Type, types) || local.IsRef || IsUsingResource(declarator) ||
            declarator.Syntax is not VariableDeclaratorSyntax syntax)
        {
            return;
        }

        var initializer = (declarator.Initializer ?? (declarator.Parent as IVariableDeclarationOperation)?.Initializer)?.Value.WalkDownConversions();
        var function = FunctionBody(declarator);
        if (initializer is null || function is null)
        {
            return;
        }

        string? kind = initializer switch
        {
            IInvocationOperation { TargetMethod.Name: "CreateLinkedTokenSource" } => "linked",
            IObjectCreationOperation { Arguments.Length: > 0 } creation when CancellationTokens.IsTokenSource(creation.Type, types) => "timed",
            IObjectCreationOperation creation when CancellationTokens.IsTokenSource(creation.Type, types) => null,
            _ => "none",
        };
        if (kind == "none")
        {
            return; // assigned from somewhere else: not created here, not ours to dispose
        }

        var usage = Classify(local, function, out var capturedInCallback);
        if (kind is null)
        {
            kind = usage.CancelAfter ? "timed" : null;
        }

        if (kind is null || usage.Disposed || usage.Escapes)
        {
            return;
        }

        var fixable = !capturedInCallback && !ReturnsUnawaitedTask(function, context.ContainingSymbol);
        var properties = ImmutableDictionary<string, string?>.Empty
            .Add(KindProperty, KindLocal)
            .Add(FixableProperty, fixable ? "true" : "false");
        context.ReportDiagnostic(Diagnostic.Create(
            LocalRule, syntax.Identifier.GetLocation(), properties, local.Name, kind, kind == "linked" ? "registration on the parent token" : "timer"));
    }

    /// <summary><c>new CancellationTokenSource(timeout).Token</c>: the source is unreachable right away.</summary>
    private static void AnalyzeInline(OperationAnalysisContext context, KnownTypes types)
    {
        var operation = context.Operation;
        string? kind = operation switch
        {
            IInvocationOperation { TargetMethod.Name: "CreateLinkedTokenSource" } invocation when CancellationTokens.IsTokenSource(invocation.TargetMethod.ContainingType, types) => "linked",
            IObjectCreationOperation { Arguments.Length: > 0 } creation when CancellationTokens.IsTokenSource(creation.Type, types) => "timed",
            _ => null,
        };
        if (kind is null || operation.WalkUpConversions() is not IPropertyReferenceOperation { Property.Name: "Token" })
        {
            return;
        }

        context.ReportDiagnostic(Diagnostic.Create(InlineRule, operation.Syntax.GetLocation(), kind));
    }

    /// <summary><c>ct.Register(...)</c> as a statement, on a caller's token (a parameter), outside constructors.</summary>
    private static void AnalyzeRegistration(OperationAnalysisContext context, KnownTypes types)
    {
        var statement = (IExpressionStatementOperation)context.Operation;
        if (statement.Operation is not IInvocationOperation { TargetMethod.Name: "Register" or "UnsafeRegister", Instance: IParameterReferenceOperation parameter } invocation ||
            !CancellationTokens.IsToken(invocation.TargetMethod.ContainingType, types) ||
            context.ContainingSymbol is IMethodSymbol { MethodKind: MethodKind.Constructor or MethodKind.StaticConstructor } ||
            invocation.Syntax is not InvocationExpressionSyntax)
        {
            return;
        }

        var function = FunctionBody(statement);
        var isAsync = function switch
        {
            IAnonymousFunctionOperation lambda => lambda.Symbol.IsAsync,
            ILocalFunctionOperation localFunction => localFunction.Symbol.IsAsync,
            _ => context.ContainingSymbol is IMethodSymbol { IsAsync: true },
        };
        var properties = ImmutableDictionary<string, string?>.Empty
            .Add(KindProperty, KindRegistration)
            .Add(FixableProperty, isAsync && statement.Parent is IBlockOperation ? "true" : "false");
        context.ReportDiagnostic(Diagnostic.Create(RegistrationRule, invocation.Syntax.GetLocation(), properties, parameter.Parameter.Name));
    }

    private struct Usage
    {
        public bool Disposed;
        public bool Escapes;
        public bool CancelAfter;
    }

    private static Usage Classify(ILocalSymbol local, IOperation function, out bool capturedInCallback)
    {
        var usage = default(Usage);
        capturedInCallback = false;
        foreach (var operation in function.Descendants())
        {
            if (operation is not ILocalReferenceOperation reference || !SymbolEqualityComparer.Default.Equals(reference.Local, local))
            {
                continue;
            }

            if (IsInsideNestedFunction(reference, function))
            {
                capturedInCallback = true;
            }

            var parent = reference.WalkUpConversions();
            switch (parent)
            {
                case IInvocationOperation call when ReferenceEquals(call.Instance?.WalkDownConversions(), reference):
                    if (call.TargetMethod.Name is "Dispose" or "DisposeAsync")
                    {
                        usage.Disposed = true;
                    }
                    else if (call.TargetMethod.Name == "CancelAfter")
                    {
                        usage.CancelAfter = true;
                    }

                    break;
                case IConditionalAccessOperation conditional when ReferenceEquals(conditional.Operation.WalkDownConversions(), reference):
                    if (conditional.WhenNotNull is IInvocationOperation { TargetMethod.Name: "Dispose" or "DisposeAsync" })
                    {
                        usage.Disposed = true;
                    }

                    break;
                case IPropertyReferenceOperation:
                    break;
                case IUsingOperation:
                case IUsingDeclarationOperation:
                    usage.Disposed = true;
                    break;
                case ISimpleAssignmentOperation assignment when ReferenceEquals(assignment.Target.WalkDownConversions(), reference):
                    break; // re-assigned: the new value is checked where it is created
                case IAwaitOperation:
                    break;
                default:
                    // returned, stored in a field, passed to a method or constructor, put in a collection: handed off.
                    usage.Escapes = true;
                    break;
            }
        }

        return usage;
    }

    private static bool IsInsideNestedFunction(IOperation operation, IOperation function)
    {
        for (var current = operation.Parent; current is not null && !ReferenceEquals(current, function); current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The innermost lambda, local function or method body holding the operation.</summary>
    private static IOperation? FunctionBody(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation || current.Parent is null)
            {
                return current;
            }
        }

        return null;
    }

    /// <summary>A non-async function that returns a task: disposing at the end of it would cut the work short.</summary>
    private static bool IsUsingResource(IOperation declarator)
    {
        var current = declarator.Parent;
        for (var i = 0; i < 3 && current is not null; i++, current = current.Parent)
        {
            if (current is IUsingDeclarationOperation or IUsingOperation)
            {
                return true;
            }
        }

        return false;
    }

    private static bool ReturnsUnawaitedTask(IOperation function, ISymbol owner)
    {
        IMethodSymbol? method = function switch
        {
            IAnonymousFunctionOperation lambda => lambda.Symbol,
            ILocalFunctionOperation localFunction => localFunction.Symbol,
            _ => owner as IMethodSymbol,
        };
        if (method is null)
        {
            return true;
        }

        if (method.IsAsync)
        {
            return false;
        }

        var name = method.ReturnType.Name;
        return name is "Task" or "ValueTask" or "IAsyncEnumerable" or "IEnumerable" or "IEnumerator" || method.IsIterator();
    }
}

internal static class IteratorExtensions
{
    public static bool IsIterator(this IMethodSymbol method)
    {
        foreach (var reference in method.DeclaringSyntaxReferences)
        {
            foreach (var node in reference.GetSyntax().DescendantNodes())
            {
                if (node is YieldStatementSyntax)
                {
                    return true;
                }
            }
        }

        return false;
    }
}
