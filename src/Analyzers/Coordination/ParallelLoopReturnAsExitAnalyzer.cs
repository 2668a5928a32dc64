using System.Collections.Immutable;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Coordination;

/// <summary>
/// CONC607: a <c>return;</c> in the body of <c>Parallel.For/ForEach/ForEachAsync</c> that is meant to end the loop
/// but ends only the current iteration: right after the body stores its result in shared state (a search that
/// "returns" the match), after setting a shared flag the body also checks to skip work (a hand-made stop), or as the
/// whole reaction to a cancellation request. Plain early-out guards (<c>if (x == null) return;</c>) are <c>continue</c>
/// and stay silent.
/// </summary>
public sealed partial class ParallelLoopReturnAsExitAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property: the name of the body's existing <c>ParallelLoopState</c> parameter.</summary>
    public const string StateNameProperty = "StateName";

    /// <summary>Diagnostic property: present when the fix can add a <c>ParallelLoopState</c> parameter (switching to the (item, state) overload).</summary>
    public const string AddStateProperty = "AddState";

    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        RuleIds.ParallelLoopReturnAsExit,
        "'return' in a Parallel loop body used as a loop exit",
        "'return' ends only this iteration of {0}; the loop goes on with the other items: {1}",
        DiagnosticSeverity.Info,
        "In the body of Parallel.For or Parallel.ForEach, 'return' works like 'continue': it ends the current iteration " +
        "and the loop keeps scheduling the others. A search that returns once it found its result, or a body that returns " +
        "when cancellation is requested, still runs through every remaining item, and a later match can overwrite the " +
        "result (Go: 'break' inside 'select' leaves only the select). Call ParallelLoopState.Stop() (or Break()) to end " +
        "the loop, or pass the token in ParallelOptions.");

    private const string StopHint = "call ParallelLoopState.Stop() to end the loop";
    private const string CancelHint = "cancel the loop through its CancellationToken to end it";

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var types = KnownTypes.For(start.Compilation);
            var loopState = types.Get("System.Threading.Tasks.ParallelLoopState");
            if (types.Parallel is null || loopState is null)
            {
                return;
            }

            start.RegisterOperationAction(c => Analyze(c, types, loopState), OperationKind.Return);
        });
    }

    private static void Analyze(OperationAnalysisContext context, KnownTypes types, INamedTypeSymbol loopState)
    {
        var ret = (IReturnOperation)context.Operation;
        if (ret.IsImplicit || ret.ReturnedValue is not null ||
            ret.GetEnclosingFunction() is not IAnonymousFunctionOperation body ||
            LoopOf(body, types) is not { } loop)
        {
            return;
        }

        if ((!IsResultThenReturn(ret, body) && !(IsCancellationGuard(ret, body, types) && !ObservesCancellation(loop, types))) ||
            StopsAlready(ret, body, loopState))
        {
            return;
        }

        var isAsyncLoop = loop.TargetMethod.Name == "ForEachAsync";
        var properties = ImmutableDictionary<string, string?>.Empty;
        if (!isAsyncLoop && !body.Symbol.IsAsync)
        {
            if (StateParameter(body, loopState) is { } state)
            {
                properties = state.Name != "_" ? properties.Add(StateNameProperty, state.Name) : properties;
            }
            else if (CanAddState(body, loop))
            {
                properties = properties.Add(AddStateProperty, "true");
            }
        }

        context.ReportDiagnostic(Diagnostic.Create(
            Rule, ret.Syntax.GetLocation(), properties,
            "Parallel." + loop.TargetMethod.Name, isAsyncLoop ? CancelHint : StopHint));
    }

    /// <summary>The Parallel.For/ForEach/ForEachAsync call whose loop body (parameter <c>body</c>) is <paramref name="lambda"/>.</summary>
    private static IInvocationOperation? LoopOf(IAnonymousFunctionOperation lambda, KnownTypes types)
    {
        var parent = lambda.WalkUpConversions();
        if (parent is IDelegateCreationOperation creation)
        {
            parent = creation.WalkUpConversions();
        }

        return parent is IArgumentOperation { Parameter.Name: "body", Parent: IInvocationOperation loop } &&
               loop.TargetMethod.ContainingType.Is(types.Parallel) &&
               loop.TargetMethod.Name is "For" or "ForEach" or "ForEachAsync"
            ? loop
            : null;
    }

    /// <summary>
    /// <c>{ shared = result; return; }</c> in a branch: the statement before the return stores a value computed from
    /// the iteration (its item, or a local) in state shared by all iterations, or sets a shared flag that the body
    /// itself tests to skip work, or the return ends a branch after which the body does nothing more anyway.
    /// </summary>
    private static bool IsResultThenReturn(IReturnOperation ret, IAnonymousFunctionOperation body)
    {
        if (ret.Parent is not IBlockOperation branch || branch.Parent == body || InsideCatch(ret, body))
        {
            return false;
        }

        var index = branch.Operations.IndexOf(ret);
        if (index < 1 ||
            branch.Operations[index - 1] is not IExpressionStatementOperation { Operation: ISimpleAssignmentOperation assignment } ||
            SharedTarget(assignment.Target, body) is not { } shared)
        {
            return false;
        }

        return UsesIterationState(assignment.Value, body) || IsTestedByAGuard(shared, body) || EndsTheBodyAnyway(ret, body);
    }

    /// <summary>
    /// Nothing of the body runs after the branch holding the return: as a <c>continue</c> it would change nothing, so
    /// it can only have been meant to end the loop (<c>if (bad) { failed = true; return; }</c> as the body's last statement).
    /// </summary>
    private static bool EndsTheBodyAnyway(IReturnOperation ret, IAnonymousFunctionOperation body)
    {
        IOperation child = ret;
        for (var current = ret.Parent; current is not null && current != body; child = current, current = current.Parent)
        {
            switch (current)
            {
                case IBlockOperation block:
                    // A lambda's block ends with an implicit return: the last statement is the one before it.
                    var last = block.Operations.Length - 1;
                    while (last > 0 && block.Operations[last] is IReturnOperation { IsImplicit: true })
                    {
                        last--;
                    }

                    if (last < 0 || block.Operations[last] != child)
                    {
                        return false;
                    }

                    break;
                case IConditionalOperation:
                    break;
                default:
                    return false;
            }
        }

        return true;
    }

    /// <summary>The symbol of an assignment target that every iteration shares: a captured local, a field or property of this instance or static.</summary>
    private static ISymbol? SharedTarget(IOperation target, IAnonymousFunctionOperation body) => target switch
    {
        ILocalReferenceOperation local when !local.Local.IsDeclaredInside(body) => local.Local,
        IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field => field.Field,
        IPropertyReferenceOperation { Instance: null or IInstanceReferenceOperation, Arguments.IsEmpty: true } property => property.Property,
        _ => null,
    };

    private static bool UsesIterationState(IOperation value, IAnonymousFunctionOperation body)
    {
        foreach (var operation in value.EnumerateDescendantsAndSelf())
        {
            var symbol = operation switch
            {
                ILocalReferenceOperation local => (ISymbol)local.Local,
                IParameterReferenceOperation parameter => parameter.Parameter,
                _ => null,
            };
            if (symbol is not null && symbol.IsDeclaredInside(body))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The body has a guard <c>if (shared ...) return;</c>: the author built a stop by hand.</summary>
    private static bool IsTestedByAGuard(ISymbol shared, IAnonymousFunctionOperation body)
    {
        foreach (var operation in body.EnumerateDescendants())
        {
            if (operation is IConditionalOperation { WhenTrue: var whenTrue } conditional && IsJustReturn(whenTrue) &&
                References(conditional.Condition, shared))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsJustReturn(IOperation statement)
        => statement is IReturnOperation { ReturnedValue: null } ||
           (statement is IBlockOperation { Operations.Length: 1 } block && block.Operations[0] is IReturnOperation { ReturnedValue: null });

    private static bool References(IOperation operation, ISymbol symbol)
    {
        foreach (var descendant in operation.EnumerateDescendantsAndSelf())
        {
            var referenced = descendant switch
            {
                ILocalReferenceOperation local => (ISymbol)local.Local,
                IFieldReferenceOperation field => field.Field,
                IPropertyReferenceOperation property => property.Property,
                _ => null,
            };
            if (SymbolEqualityComparer.Default.Equals(referenced, symbol))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The branch already calls <c>Stop()</c> or <c>Break()</c> on a loop state.</summary>
    private static bool StopsAlready(IReturnOperation ret, IAnonymousFunctionOperation body, INamedTypeSymbol loopState)
    {
        for (IOperation? current = ret.Parent; current is not null && current != body; current = current.Parent)
        {
            if (current is not IBlockOperation block)
            {
                continue;
            }

            foreach (var operation in block.EnumerateDescendants())
            {
                if (operation is IInvocationOperation { TargetMethod.Name: "Stop" or "Break" } call &&
                    call.TargetMethod.ContainingType.Is(loopState))
                {
                    return true;
                }
            }

            return false;
        }

        return false;
    }

    private static bool InsideCatch(IOperation operation, IAnonymousFunctionOperation body)
    {
        for (var current = operation.Parent; current is not null && current != body; current = current.Parent)
        {
            if (current is ICatchClauseOperation)
            {
                return true;
            }
        }

        return false;
    }
}
