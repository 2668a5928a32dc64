using System.Collections.Immutable;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.SharedState;

/// <summary>
/// CONC307: lazy initialization that races or breaks under concurrency. <c>if (_x == null) _x = new X();</c> (or
/// <c>_x ??= new X()</c>) in code that runs concurrently with other users of the field; double-checked locking on a
/// field that is not volatile; a shared <c>Lazy&lt;T&gt;</c> (or <c>LazyInitializer</c>) whose factory captures the
/// calling method's <c>CancellationToken</c> parameter.
/// </summary>
public sealed partial class RacyLazyInitializationAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property: the shape (<c>Racy</c>, <c>DoubleChecked</c>, <c>CapturedToken</c>, <c>FaultedTaskCached</c>).</summary>
    public const string ShapeProperty = "Shape";

    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        RuleIds.RacyLazyInitialization,
        "Racy or fragile lazy initialization",
        "'{0}' {1}",
        DiagnosticSeverity.Warning,
        "A null check followed by an assignment lets two threads both see null and both create the value; " +
        "double-checked locking needs a volatile field so the unlocked read sees a fully built object; and a shared " +
        "Lazy whose factory uses the first caller's token fails for every later caller once that caller cancels. " +
        "Use Lazy<T> or LazyInitializer.EnsureInitialized, mark the field volatile, and start shared work with the owner's token.");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var types = KnownTypes.For(start.Compilation);
            if (types.Task is null)
            {
                return;
            }

            // Both creation questions are about a Lazy (or AsyncLazy) of one type argument: one callback per creation
            // for the two, which leaves every other type by its arity and name.
            var lazy = types.Get("System.Lazy`1");
            var capturesTokens = types.CancellationToken is not null;
            if (lazy is not null || capturesTokens)
            {
                start.RegisterOperationAction(
                    c =>
                    {
                        if (c.Operation.Type is not INamedTypeSymbol { Arity: 1, Name: "Lazy" or "AsyncLazy" })
                        {
                            return;
                        }

                        if (lazy is not null)
                        {
                            AnalyzeLazyTask(c, types, lazy);
                        }

                        if (capturesTokens)
                        {
                            AnalyzeLazyCreation(c, types);
                        }
                    },
                    OperationKind.ObjectCreation);
            }

            if (capturesTokens)
            {
                start.RegisterInvocationAction(c => AnalyzeLazyCreation(c, types), InvocationActions.Names("EnsureInitialized"));
            }

            // The double-checked test runs in the scan's callback for the same conditionals (every type, top-level
            // statements' included, has a symbol start): one callback per conditional for both questions.
            start.RegisterSymbolStartAction(
                symbolStart => ConcurrentAccessScan.Register(
                    symbolStart,
                    types,
                    (operation, scan) => FindRacyInitialization(operation),
                    c =>
                    {
                        if (c.Operation.Kind == OperationKind.Conditional)
                        {
                            AnalyzeDoubleChecked(c, types);
                        }
                    },
                    OperationKind.Conditional,
                    OperationKind.CoalesceAssignment),
                SymbolKind.NamedType);
        });
    }

    // ---- if (_x == null) _x = new X(); in concurrent code ----

    private static (ISymbol, System.Func<ConcurrentContext?, Diagnostic>)? FindRacyInitialization(IOperation operation)
    {
        IFieldSymbol? field;
        IOperation assignment;
        switch (operation)
        {
            case IConditionalOperation { WhenFalse: null } conditional
                when NullCheckedField(conditional.Condition) is { } checkedField &&
                     FirstStatement(conditional.WhenTrue) is IExpressionStatementOperation { Operation: ISimpleAssignmentOperation set } &&
                     AssignedField(set) is { } assigned && SymbolEqualityComparer.Default.Equals(assigned, checkedField) &&
                     IsCreation(set.Value):
                field = checkedField;
                assignment = set;
                break;
            case ICoalesceAssignmentOperation coalesce
                when coalesce.Target.WalkDownConversions() is IFieldReferenceOperation reference &&
                     SharedStateFacts.SharedVariable(reference) is IFieldSymbol coalesced && IsCreation(coalesce.Value):
                field = coalesced;
                assignment = coalesce;
                break;
            default:
                return null;
        }

        if (field.Type.IsValueType || IsNeverNull(field))
        {
            return null;
        }

        var location = assignment.Syntax.GetLocation();
        var name = field.Name;
        return (field, context => Diagnostic.Create(
            Rule,
            location,
            ImmutableDictionary<string, string?>.Empty.Add(ShapeProperty, "Racy"),
            name,
            $"is initialized on first use in code that runs concurrently ({context?.Spawner ?? "a method started concurrently with itself"}); two threads can both see null and create two instances (use Lazy<T> or LazyInitializer.EnsureInitialized)"));
    }

    /// <summary>
    /// The field is created in its declaration (<c>CancellationTokenSource _reset = new();</c>) and the type only ever
    /// assigns it new objects (<c>_reset = new CancellationTokenSource();</c> after a failed <c>TryReset</c>), never
    /// <c>null</c>, nor hands it out by <c>ref</c>: a <c>_reset ??= new()</c> is a defensive no-op, not a lazy
    /// initialization (Garnet's replica sync). Read from the syntax of the type's declarations, names compared as
    /// written (another object's member of the same name counts as an assignment); asked only of a candidate.
    /// </summary>
    private static bool IsNeverNull(IFieldSymbol field)
    {
        if (field.DeclaringSyntaxReferences.Length != 1 ||
            field.DeclaringSyntaxReferences[0].GetSyntax() is not VariableDeclaratorSyntax { Initializer.Value: BaseObjectCreationExpressionSyntax })
        {
            return false;
        }

        foreach (var declaration in field.ContainingType.DeclaringSyntaxReferences)
        {
            foreach (var node in declaration.GetSyntax().DescendantNodes())
            {
                switch (node)
                {
                    case AssignmentExpressionSyntax assignment when NamesField(assignment.Left, field.Name):
                        if (!assignment.IsKind(SyntaxKind.CoalesceAssignmentExpression) &&
                            !(assignment.IsKind(SyntaxKind.SimpleAssignmentExpression) && assignment.Right is BaseObjectCreationExpressionSyntax))
                        {
                            return false;
                        }

                        break;
                    case ArgumentSyntax { RefKindKeyword.RawKind: not 0 } argument when NamesField(argument.Expression, field.Name):
                        return false;
                }
            }
        }

        return true;

        static bool NamesField(ExpressionSyntax expression, string name)
            => expression switch
            {
                IdentifierNameSyntax identifier => identifier.Identifier.ValueText == name,
                MemberAccessExpressionSyntax member => member.Name.Identifier.ValueText == name,
                _ => false,
            };
    }

    /// <summary>The field of <c>F == null</c>, <c>null == F</c>, <c>F is null</c> (static or of <c>this</c>).</summary>
    private static IFieldSymbol? NullCheckedField(IOperation condition)
    {
        IOperation? checkedOperand = condition.WalkDownConversions() switch
        {
            IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals } binary when IsNull(binary.RightOperand) => binary.LeftOperand,
            IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals } binary when IsNull(binary.LeftOperand) => binary.RightOperand,
            IIsPatternOperation { Pattern: IConstantPatternOperation { Value: var value } } pattern when IsNull(value) => pattern.Value,
            _ => null,
        };
        return checkedOperand?.WalkDownConversions() is IFieldReferenceOperation reference
            ? SharedStateFacts.SharedVariable(reference) as IFieldSymbol
            : null;
    }

    private static bool IsNull(IOperation operand)
        => operand.WalkDownConversions() is { ConstantValue: { HasValue: true, Value: null } } or IDefaultValueOperation;

    private static IFieldSymbol? AssignedField(ISimpleAssignmentOperation assignment)
        => assignment.Target.WalkDownConversions() is IFieldReferenceOperation reference
            ? SharedStateFacts.SharedVariable(reference) as IFieldSymbol
            : null;

    private static IOperation? FirstStatement(IOperation operation)
        => operation is IBlockOperation block ? (block.Operations.Length > 0 ? block.Operations[0] : null) : operation;

    private static bool IsCreation(IOperation value)
        => value.WalkDownConversions() is IObjectCreationOperation or IInvocationOperation or IArrayCreationOperation;

    // ---- double-checked locking on a non-volatile field ----

    private static void AnalyzeDoubleChecked(OperationAnalysisContext context, KnownTypes types)
    {
        var outer = (IConditionalOperation)context.Operation;
        if (NullCheckedField(outer.Condition) is not { IsVolatile: false } field || field.Type.IsValueType ||
            IsInsideLockOn(outer, types))
        {
            return;
        }

        foreach (var statement in Statements(outer.WhenTrue))
        {
            if (statement is not ILockOperation @lock)
            {
                continue;
            }

            foreach (var inner in Statements(@lock.Body))
            {
                if (inner is not IConditionalOperation innerCheck ||
                    !SymbolEqualityComparer.Default.Equals(NullCheckedField(innerCheck.Condition), field))
                {
                    continue;
                }

                foreach (var descendant in innerCheck.WhenTrue.EnumerateDescendantsAndSelf())
                {
                    if (descendant is ISimpleAssignmentOperation assignment &&
                        SymbolEqualityComparer.Default.Equals(AssignedField(assignment), field) &&
                        !IsNull(assignment.Value))
                    {
                        context.ReportDiagnostic(Diagnostic.Create(
                            Rule,
                            assignment.Syntax.GetLocation(),
                            ImmutableDictionary<string, string?>.Empty.Add(ShapeProperty, "DoubleChecked"),
                            field.Name,
                            "is published by double-checked locking but is not volatile; the unlocked check can see the reference before the object's fields are written (mark it volatile, or use Lazy<T> or LazyInitializer.EnsureInitialized)"));
                        return;
                    }
                }
            }
        }
    }

    private static bool IsInsideLockOn(IOperation operation, KnownTypes types) => LockRegions.IsInsideLock(operation, types);

    private static ImmutableArray<IOperation> Statements(IOperation operation)
        => operation is IBlockOperation block ? block.Operations : ImmutableArray.Create(operation);

    // ---- shared Lazy capturing the caller's token ----

    private static void AnalyzeLazyCreation(OperationAnalysisContext context, KnownTypes types)
    {
        IOperation? factory = null;
        switch (context.Operation)
        {
            case IObjectCreationOperation creation
                when creation.Type is INamedTypeSymbol { Name: "Lazy" or "AsyncLazy", Arity: 1 } &&
                     IsShared(creation):
                foreach (var argument in creation.Arguments)
                {
                    if (argument.Value.WalkDownConversions() is IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda })
                    {
                        factory = lambda;
                        break;
                    }
                }

                break;
            case IInvocationOperation { TargetMethod: { Name: "EnsureInitialized", ContainingType.Name: "LazyInitializer" } } invocation:
                foreach (var argument in invocation.Arguments)
                {
                    if (argument.Value.WalkDownConversions() is IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda })
                    {
                        factory = lambda;
                    }
                }

                break;
        }

        if (factory is null || context.ContainingSymbol is IMethodSymbol { MethodKind: MethodKind.Constructor or MethodKind.StaticConstructor })
        {
            return;
        }

        foreach (var operation in factory.EnumerateDescendants())
        {
            if (operation is IParameterReferenceOperation reference &&
                CancellationTokens.IsToken(reference.Parameter.Type, types) &&
                !SharedStateFacts.IsDeclaredInside(reference.Parameter, factory) &&
                reference.Parameter.ContainingSymbol is IMethodSymbol { MethodKind: not (MethodKind.Constructor or MethodKind.StaticConstructor) })
            {
                context.ReportDiagnostic(Diagnostic.Create(
                    Rule,
                    reference.Syntax.GetLocation(),
                    ImmutableDictionary<string, string?>.Empty.Add(ShapeProperty, "CapturedToken"),
                    reference.Parameter.Name,
                    "is the calling method's token but is captured by a shared lazy factory; when the first caller cancels, the cached result fails for every later caller (start the shared work with the owner's token, and let each caller wait with its own)"));
                return;
            }
        }
    }

    /// <summary>The Lazy outlives the call: stored in a field, property or dictionary entry, or made by a GetOrAdd factory.</summary>
    private static bool IsShared(IOperation creation)
    {
        var current = creation;
        while (current.Parent is IConversionOperation conversion)
        {
            current = conversion;
        }

        switch (current.Parent)
        {
            case ISimpleAssignmentOperation assignment when ReferenceEquals(assignment.Value, current):
                return IsSharedTarget(assignment.Target);
            case ICoalesceAssignmentOperation coalesce when ReferenceEquals(coalesce.Value, current):
                return IsSharedTarget(coalesce.Target);
            case IArgumentOperation { Parent: IInvocationOperation invocation }:
                return invocation.TargetMethod.Name is "GetOrAdd" or "AddOrUpdate" or "TryAdd" or "CompareExchange";
            case IReturnOperation { Parent: var body }:
                return body is IBlockOperation { Parent: IAnonymousFunctionOperation lambda } &&
                       lambda.Parent is IDelegateCreationOperation { Parent: IArgumentOperation { Parent: IInvocationOperation factoryFor } } &&
                       factoryFor.TargetMethod.Name is "GetOrAdd" or "AddOrUpdate";
            default:
                return false;
        }
    }

    private static bool IsSharedTarget(IOperation target)
        => target.WalkDownConversions() switch
        {
            IFieldReferenceOperation => true,
            IPropertyReferenceOperation { Property.IsIndexer: false } => true,
            IPropertyReferenceOperation { Property.IsIndexer: true, Instance: { } instance } =>
                instance.WalkDownConversions() is IFieldReferenceOperation or IPropertyReferenceOperation,
            _ => false,
        };
}
