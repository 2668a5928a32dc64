using System.Collections.Generic;
using System.Collections.Immutable;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Coordination;

/// <summary>
/// CONC605: an array rented from <c>ArrayPool&lt;T&gt;</c> into a local is returned outside a <c>finally</c> although
/// the code in between can throw (the buffer leaks from the pool), used after it was returned (another renter may own
/// it now), or returned twice (two renters get the same array). Arrays that leave the method are someone else's.
/// </summary>
public sealed class PooledBufferReturnedUnsafelyAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property: "true" when the try/finally fix understands the shape.</summary>
    public const string FixableProperty = "Fixable";

    private const string Title = "Pooled buffer returned unsafely";
    private const string Description =
        "An array rented from ArrayPool must go back exactly once, after its last use. Returned outside a finally, an " +
        "exception leaks it from the pool; used after Return, it may already belong to another renter (silent data " +
        "corruption); returned twice, two renters get the same array. Return it in a finally that covers every use.";

    internal static readonly DiagnosticDescriptor NotInFinallyRule = RuleDescriptors.Create(
        RuleIds.PooledBufferReturnedUnsafely, Title,
        "'{0}' is returned to the pool outside a finally; if the code since Rent throws, the buffer is never returned",
        DiagnosticSeverity.Warning, Description);

    internal static readonly DiagnosticDescriptor UseAfterReturnRule = RuleDescriptors.Create(
        RuleIds.PooledBufferReturnedUnsafely, Title,
        "'{0}' is used after it was returned to the pool; another renter may own it now",
        DiagnosticSeverity.Warning, Description);

    internal static readonly DiagnosticDescriptor ReturnedTwiceRule = RuleDescriptors.Create(
        RuleIds.PooledBufferReturnedUnsafely, Title,
        "'{0}' is returned to the pool twice; two renters will share the same array",
        DiagnosticSeverity.Warning, Description);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(NotInFinallyRule, UseAfterReturnRule, ReturnedTwiceRule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var arrayPool = start.Compilation.GetTypeByMetadataName("System.Buffers.ArrayPool`1");
            if (arrayPool is null)
            {
                return;
            }

            // A rental is a call named Rent: only the types that name it are watched.
            var types = KnownTypes.For(start.Compilation);
            SourceMentions.RegisterBlockActionInTypes(start, type => SourceMentions.Any(type, RentName, types), c => AnalyzeBlock(c, arrayPool));
        });
    }

    private static readonly NameSet RentName = NameSet.Of("Rent");

    private static void AnalyzeBlock(OperationBlockAnalysisContext context, INamedTypeSymbol arrayPool)
    {
        foreach (var block in context.OperationBlocks)
        {
            if (block is not IBlockOperation and not IMethodBodyOperation || !SourceMentions.Any(block.Syntax, RentName))
            {
                continue; // no rental in a body that never names Rent
            }

            foreach (var operation in block.EnumerateDescendants())
            {
                if (operation is IInvocationOperation { TargetMethod.Name: "Rent" } rent &&
                    rent.TargetMethod.ContainingType.Is(arrayPool) &&
                    rent.WalkUpConversions() is IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator })
                {
                    AnalyzeRental(context, arrayPool, rent, declarator.Symbol);
                }
            }
        }
    }

    private static void AnalyzeRental(OperationBlockAnalysisContext context, INamedTypeSymbol arrayPool, IInvocationOperation rent, ILocalSymbol buffer)
    {
        var function = rent.GetEnclosingFunction();
        var body = (IOperation?)function ?? rent.GetRoot();
        var returns = new List<IInvocationOperation>();
        var uses = new List<IOperation>();
        foreach (var operation in body.EnumerateDescendants())
        {
            if (operation is not ILocalReferenceOperation reference || !SymbolEqualityComparer.Default.Equals(reference.Local, buffer))
            {
                continue;
            }

            if (reference.GetEnclosingFunction() != function)
            {
                return; // captured by a lambda or local function: its lifetime is not visible here
            }

            var parent = reference.WalkUpConversions();
            if (parent is IArgumentOperation { Parent: IInvocationOperation { TargetMethod.Name: "Return" } call } &&
                call.TargetMethod.ContainingType.Is(arrayPool))
            {
                if (call.Parent is not IExpressionStatementOperation)
                {
                    return;
                }

                returns.Add(call);
                continue;
            }

            if (IsEscape(reference, parent))
            {
                return;
            }

            uses.Add(reference);
        }

        if (returns.Count == 0)
        {
            return;
        }

        // Returned twice / used after Return: a Return that is an earlier statement of a block enclosing the site.
        foreach (var call in returns)
        {
            if (EarlierReturn(call, returns) is not null)
            {
                context.ReportDiagnostic(Diagnostic.Create(ReturnedTwiceRule, call.Syntax.GetLocation(), buffer.Name));
                return;
            }
        }

        foreach (var use in uses)
        {
            if (EarlierReturn(use, returns) is not null)
            {
                context.ReportDiagnostic(Diagnostic.Create(UseAfterReturnRule, use.Syntax.GetLocation(), buffer.Name));
                return;
            }
        }

        // Not in a finally: report the Return when something that can throw runs between Rent and Return.
        foreach (var call in returns)
        {
            if (InFinallyOrCatch(call, function))
            {
                return;
            }
        }

        foreach (var call in returns)
        {
            if (CanThrowBetween(body, rent, call))
            {
                var properties = returns.Count == 1 && IsSimpleShape(rent, call)
                    ? ImmutableDictionary<string, string?>.Empty.Add(FixableProperty, "true")
                    : ImmutableDictionary<string, string?>.Empty;
                context.ReportDiagnostic(Diagnostic.Create(NotInFinallyRule, call.Syntax.GetLocation(), properties, buffer.Name));
                return;
            }
        }
    }

    /// <summary>
    /// The shape the try/finally fix understands: <c>Rent</c> in a local declaration statement and the one
    /// <c>Return</c> a later statement of the same block.
    /// </summary>
    private static bool IsSimpleShape(IInvocationOperation rent, IInvocationOperation call)
        => rent.WalkUpConversions() is IVariableInitializerOperation { Parent: IVariableDeclaratorOperation { Parent: IVariableDeclarationOperation { Parent: IVariableDeclarationGroupOperation { Parent: IBlockOperation block } group } } } &&
           call.Parent is IExpressionStatementOperation statement &&
           statement.Parent == block &&
           block.Operations.IndexOf(group) < block.Operations.IndexOf(statement);

    private static bool IsEscape(IOperation reference, IOperation? parent) => parent switch
    {
        ISimpleAssignmentOperation or ICompoundAssignmentOperation or ICoalesceAssignmentOperation => true,
        IReturnOperation => true,
        IVariableInitializerOperation => true,
        IArgumentOperation { Parent: IObjectCreationOperation { Type.Name: not ("Span" or "ReadOnlySpan" or "Memory" or "ReadOnlyMemory" or "ArraySegment" or "MemoryStream") } } => true,
        IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out } => true,
        IArrayElementReferenceOperation or IPropertyReferenceOperation or IInvocationOperation or IArgumentOperation => false,
        IConversionOperation or IObjectCreationOperation or IExpressionStatementOperation => false,
        _ => parent is IOperation { Kind: OperationKind.Tuple or OperationKind.ArrayInitializer or OperationKind.AnonymousObjectCreation },
    };

    private static IInvocationOperation? EarlierReturn(IOperation site, List<IInvocationOperation> returns)
    {
        IOperation child = site;
        for (var current = site.Parent; current is not null; child = current, current = current.Parent)
        {
            if (current is IBlockOperation { Parent: ITryOperation finallyOwner } finallyBlock && finallyOwner.Finally == finallyBlock)
            {
                // A finally runs after its try body: a Return that ends the try body happened already.
                return DirectReturn(finallyOwner.Body, returns);
            }

            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation or ILoopOperation or ICatchClauseOperation ||
                current is IBlockOperation { Parent: ITryOperation tryOperation } tryBlock && tryOperation.Body != tryBlock)
            {
                return null;
            }

            if (current is IBlockOperation block)
            {
                foreach (var statement in block.Operations)
                {
                    if (statement == child)
                    {
                        break;
                    }

                    if (statement is IExpressionStatementOperation { Operation: IInvocationOperation call } && returns.Contains(call))
                    {
                        return call;
                    }

                    if (statement is ITryOperation { Finally: { } earlierFinally } && DirectReturn(earlierFinally, returns) is { } returned)
                    {
                        return returned;
                    }
                }
            }
        }

        return null;
    }

    private static IInvocationOperation? DirectReturn(IBlockOperation? block, List<IInvocationOperation> returns)
    {
        if (block is null)
        {
            return null;
        }

        foreach (var statement in block.Operations)
        {
            if (statement is IExpressionStatementOperation { Operation: IInvocationOperation call } && returns.Contains(call))
            {
                return call;
            }
        }

        return null;
    }

    private static bool InFinallyOrCatch(IOperation call, IOperation? function)
    {
        for (var current = call.Parent; current is not null && current != function; current = current.Parent)
        {
            if (current is ICatchClauseOperation ||
                current is IBlockOperation { Parent: ITryOperation tryOperation } block && tryOperation.Finally == block)
            {
                return true;
            }
        }

        return false;
    }

    private static bool CanThrowBetween(IOperation body, IOperation rent, IOperation call)
    {
        var start = rent.Syntax.Span.End;
        var end = call.Syntax.SpanStart;
        foreach (var operation in body.EnumerateDescendants())
        {
            var position = operation.Syntax.SpanStart;
            if (position < start || position >= end)
            {
                continue;
            }

            if (operation is IInvocationOperation { TargetMethod: { Name: "KeepAlive", ContainingType: { Name: "GC", ContainingNamespace.Name: "System" } } })
            {
                continue; // GC.KeepAlive never throws
            }

            if (operation is IAwaitOperation or IThrowOperation or IInvocationOperation or IObjectCreationOperation)
            {
                return true;
            }
        }

        return false;
    }

}
