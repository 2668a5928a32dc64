using System.Collections.Generic;
using System.Collections.Immutable;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Lifetime;

public sealed partial class TaskCompletionSourceAnalyzer
{
    internal enum ReferenceKind
    {
        /// <summary><c>tcs = ...</c>.</summary>
        Assigned,

        /// <summary><c>tcs.SetResult(...)</c>, <c>TrySetException</c>, <c>SetCanceled</c>, ….</summary>
        Complete,

        /// <summary><c>tcs.Task</c>.</summary>
        Read,

        /// <summary>The source goes somewhere else (argument, field, collection, return, another variable): someone else may complete it.</summary>
        Handoff,

        /// <summary>A harmless member use (<c>tcs.GetHashCode()</c>).</summary>
        Other,
    }

    /// <summary>
    /// The path check: over the control-flow graph of the function that creates the source, a may-analysis of
    /// "created, not yet completed or handed off" and "… and its Task was awaited or given out". A normal exit
    /// reached in the second state is a path on which the task never finishes. Exceptions leave through the caller,
    /// so throwing paths are fine; <c>catch</c> and <c>finally</c> blocks start from any state of their <c>try</c>.
    /// </summary>
    private static class IncompletePaths
    {
        private const int PendingUnread = 1;
        private const int PendingRead = 2;

        public static void Analyze(OperationAnalysisContext context, IObjectCreationOperation creation, ILocalSymbol local, KnownTypes types)
        {
            var function = creation.GetEnclosingFunction();
            if (function is null || !TryFindCapturingLambdas(function, local, out var capturing, out var reads, out var hasLabel))
            {
                return;
            }

            // The graph is built only when one of the two checks could report: most sources are completed or handed
            // to a callback by a statement that every path to their Task's reads goes through.
            if (!(capturing is not null && MayBeCompletionHandler(capturing, types)) &&
                !hasLabel && IsSettledBeforeEveryRead(function, creation, local, capturing, reads))
            {
                return;
            }

            ControlFlowGraph? graph;
            try
            {
                graph = GraphOf(context.GetControlFlowGraph(), function, context.CancellationToken);
            }
            catch (System.Exception ex) when (ex is System.InvalidOperationException or System.ArgumentException)
            {
                return;
            }

            if (graph is null)
            {
                return;
            }

            if (HasPendingReadAtExit(graph, creation, local, capturing, types, context.CancellationToken))
            {
                context.ReportDiagnostic(Diagnostic.Create(
                    IncompleteRule,
                    creation.Syntax.GetLocation(),
                    ImmutableDictionary<string, string?>.Empty.Add(KindProperty, KindIncomplete),
                    local.Name));
                return;
            }

            if (capturing is not null && CompletionHandlerLeavesPending(graph, local, capturing, types, context.CancellationToken))
            {
                context.ReportDiagnostic(Diagnostic.Create(
                    IncompleteHandlerRule,
                    creation.Syntax.GetLocation(),
                    ImmutableDictionary<string, string?>.Empty.Add(KindProperty, KindIncomplete),
                    local.Name));
            }
        }

        /// <summary>
        /// An event-based (EAP) completion handler, a lambda with an <c>AsyncCompletedEventArgs</c>-derived parameter
        /// that completes the source itself, with a path that returns without completing it: the operation finished
        /// (that event is raised once per operation, failed or cancelled ones included) and nothing else will complete
        /// the source. A handler that reads <c>UserState</c> or its sender (it filters other operations' completions), reads
        /// the source's <c>Task</c> (<c>if (tcs.Task.IsCompleted) return;</c>), or creates a lambda of its own, is left alone.
        /// </summary>
        private static bool CompletionHandlerLeavesPending(
            ControlFlowGraph graph, ILocalSymbol local, HashSet<IMethodSymbol> capturing, KnownTypes types, System.Threading.CancellationToken cancellationToken)
        {
            var completedArgs = types.Get("System.ComponentModel.AsyncCompletedEventArgs");
            if (completedArgs is null)
            {
                return false;
            }

            foreach (var symbol in capturing)
            {
                if (!HasCompletedArgsParameter(symbol, completedArgs) || FindFlowLambda(graph, symbol) is not { } flow)
                {
                    continue;
                }

                ControlFlowGraph lambdaGraph;
                try
                {
                    lambdaGraph = graph.GetAnonymousFunctionControlFlowGraph(flow, cancellationToken);
                }
                catch (System.Exception ex) when (ex is System.InvalidOperationException or System.ArgumentException)
                {
                    continue;
                }

                if (HandlerHasPendingExit(lambdaGraph, local, symbol.Parameters.Length > 1 ? symbol.Parameters[0] : null, cancellationToken))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool HasCompletedArgsParameter(IMethodSymbol lambda, INamedTypeSymbol completedArgs)
        {
            foreach (var parameter in lambda.Parameters)
            {
                if (parameter.Type.InheritsFromOrEquals(completedArgs))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Over the handler's own graph: "not completed yet" from its entry; a normal exit reached in it is a path that leaves the source pending.</summary>
        private static bool HandlerHasPendingExit(ControlFlowGraph graph, ILocalSymbol local, IParameterSymbol? sender, System.Threading.CancellationToken cancellationToken)
        {
            var blocks = graph.Blocks;
            var settles = new bool[blocks.Length];
            var completes = false;
            foreach (var block in blocks)
            {
                foreach (var operation in Operations(block))
                {
                    foreach (var descendant in operation.EnumerateDescendantsAndSelf())
                    {
                        switch (descendant)
                        {
                            case IFlowAnonymousFunctionOperation:
                                return false;
                            case IPropertyReferenceOperation { Property.Name: "UserState" }:
                                return false;
                            case IParameterReferenceOperation parameter when SymbolEqualityComparer.Default.Equals(parameter.Parameter, sender):
                                return false; // `if (sender != _client) return;`: completions of other components are skipped
                            case ILocalReferenceOperation reference when SymbolEqualityComparer.Default.Equals(reference.Local, local):
                                var kind = ClassifyReference(reference);
                                if (kind == ReferenceKind.Read)
                                {
                                    return false; // `if (tcs.Task.IsCompleted) return;`: the handler knows the task may be settled already
                                }

                                completes |= kind == ReferenceKind.Complete;
                                settles[block.Ordinal] |= kind is ReferenceKind.Complete or ReferenceKind.Handoff or ReferenceKind.Assigned;
                                break;
                        }
                    }
                }
            }

            if (!completes)
            {
                return false;
            }

            var exit = SolveForward(blocks, settles, PendingUnread, (state, block) => settles[block.Ordinal] ? 0 : state, cancellationToken);
            return exit != 0;
        }

        public static ReferenceKind ClassifyReference(IOperation reference)
        {
            switch (reference.Parent)
            {
                case ISimpleAssignmentOperation assignment when assignment.Target == reference:
                    return ReferenceKind.Assigned;
                case IInvocationOperation invocation when invocation.Instance == reference:
                    switch (invocation.TargetMethod.Name)
                    {
                        case "SetResult" or "TrySetResult" or "SetException" or "TrySetException" or "SetCanceled" or "TrySetCanceled" or "SetFromTask" or "TrySetFromTask":
                            return ReferenceKind.Complete;
                        case "GetHashCode" or "ToString" or "GetType" or "Equals":
                            return ReferenceKind.Other;
                        default:
                            return ReferenceKind.Handoff;
                    }

                case IPropertyReferenceOperation property when property.Instance == reference:
                    return property.Property.Name == "Task" ? ReferenceKind.Read : ReferenceKind.Other;
                default:
                    return ReferenceKind.Handoff;
            }
        }

        /// <summary>
        /// The lambdas written directly in <paramref name="function"/> that capture the source (the callback may
        /// complete it: creating the lambda hands the source off, at that point of the flow). False when a local
        /// function (which may run anywhere) or a reference outside <paramref name="function"/> uses it.
        /// </summary>
        /// <param name="reads">The reads of the source's <c>Task</c> in <paramref name="function"/> itself (not in its lambdas).</param>
        /// <param name="hasLabel">The tree has a label (a <c>goto</c> may jump past any statement).</param>
        private static bool TryFindCapturingLambdas(
            IOperation function, ILocalSymbol local, out HashSet<IMethodSymbol>? capturing, out List<IOperation>? reads, out bool hasLabel)
        {
            capturing = null;
            reads = null;
            hasLabel = false;
            var root = function;
            while (root.Parent is not null)
            {
                root = root.Parent;
            }

            foreach (var descendant in root.EnumerateDescendants())
            {
                if (descendant.Kind == OperationKind.Labeled)
                {
                    hasLabel = true;
                    continue;
                }

                if (descendant is not ILocalReferenceOperation reference || !SymbolEqualityComparer.Default.Equals(reference.Local, local))
                {
                    continue;
                }

                // The outermost function between the reference and `function`.
                IOperation? outermost = null;
                IOperation? current = reference.Parent;
                for (; current is not null && current != function; current = current.Parent)
                {
                    if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
                    {
                        outermost = current;
                    }
                }

                if (current is null)
                {
                    return false;
                }

                switch (outermost)
                {
                    case null:
                        if (ClassifyReference(reference) == ReferenceKind.Read)
                        {
                            (reads ??= new List<IOperation>()).Add(reference);
                        }

                        break;
                    case IAnonymousFunctionOperation lambda:
                        (capturing ??= new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default)).Add(lambda.Symbol);
                        break;
                    default:
                        return false;
                }
            }

            return true;
        }

        /// <summary>A lambda capturing the source has an <c>AsyncCompletedEventArgs</c> parameter: the handler check applies.</summary>
        private static bool MayBeCompletionHandler(HashSet<IMethodSymbol> capturing, KnownTypes types)
        {
            if (types.Get("System.ComponentModel.AsyncCompletedEventArgs") is not { } completedArgs)
            {
                return false;
            }

            foreach (var symbol in capturing)
            {
                if (HasCompletedArgsParameter(symbol, completedArgs))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// Without the graph, that no read of <c>Task</c> can find the source pending (so <see cref="HasPendingReadAtExit"/>
        /// is false): the creation is a statement of the function's own block, a later statement of that block completes
        /// or hands off the source whenever it runs (<c>tcs.SetResult(x);</c>, <c>subscribe(() =&gt; tcs.TrySetResult(true));</c>),
        /// and every read of <c>Task</c> in the function is in a statement after that one. With no label in the tree,
        /// every path from the creation to a read goes through that statement, and only the creation makes the source
        /// pending again.
        /// </summary>
        private static bool IsSettledBeforeEveryRead(
            IOperation function, IObjectCreationOperation creation, ILocalSymbol local, HashSet<IMethodSymbol>? capturing, List<IOperation>? reads)
        {
            var body = function switch
            {
                IMethodBodyOperation { ExpressionBody: null } method => method.BlockBody,
                IConstructorBodyOperation { ExpressionBody: null } constructor => constructor.BlockBody,
                IBlockOperation block => block,
                IAnonymousFunctionOperation lambda => lambda.Body,
                ILocalFunctionOperation { IgnoredBody: null } localFunction => localFunction.Body,
                _ => null,
            };
            if (body is null)
            {
                return false;
            }

            var statements = body.Operations;
            var created = StatementIndex(creation, body, statements);
            if (created < 0)
            {
                return false;
            }

            var settled = -1;
            for (var i = created + 1; i < statements.Length; i++)
            {
                if (AlwaysSettles(statements[i], local, capturing))
                {
                    settled = i;
                    break;
                }
            }

            if (settled < 0)
            {
                return false;
            }

            if (reads is not null)
            {
                foreach (var read in reads)
                {
                    if (StatementIndex(read, body, statements) <= settled)
                    {
                        return false;
                    }
                }
            }

            return true;
        }

        /// <summary>The index in <paramref name="statements"/> of the statement of <paramref name="body"/> holding <paramref name="operation"/>; -1 if none.</summary>
        private static int StatementIndex(IOperation operation, IBlockOperation body, ImmutableArray<IOperation> statements)
        {
            var current = operation;
            while (current.Parent is { } parent && !ReferenceEquals(parent, body))
            {
                current = parent;
            }

            return current.Parent is null ? -1 : statements.IndexOf(current);
        }

        /// <summary>
        /// A call statement that, whenever it runs, completes or hands off the source before it ends normally: the
        /// source is the call's receiver or one of its arguments, or an argument is a lambda capturing it.
        /// </summary>
        private static bool AlwaysSettles(IOperation statement, ILocalSymbol local, HashSet<IMethodSymbol>? capturing)
        {
            if (statement is not IExpressionStatementOperation { Operation: IInvocationOperation call })
            {
                return false;
            }

            if (call.Instance is ILocalReferenceOperation receiver && SymbolEqualityComparer.Default.Equals(receiver.Local, local) &&
                ClassifyReference(receiver) is ReferenceKind.Complete or ReferenceKind.Handoff)
            {
                return true;
            }

            foreach (var argument in call.Arguments)
            {
                switch (argument.Value)
                {
                    case ILocalReferenceOperation passed when SymbolEqualityComparer.Default.Equals(passed.Local, local):
                        return true;
                    case IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda } when capturing is not null && capturing.Contains(lambda.Symbol):
                        return true;
                }
            }

            return false;
        }

        /// <summary>The graph of <paramref name="function"/>, descending from the root graph through enclosing lambdas and local functions.</summary>
        private static ControlFlowGraph? GraphOf(ControlFlowGraph root, IOperation function, System.Threading.CancellationToken cancellationToken)
        {
            var chain = new List<IOperation>();
            for (IOperation? current = function; current is not null; current = current.Parent)
            {
                if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
                {
                    chain.Add(current);
                }
            }

            var graph = root;
            for (var i = chain.Count - 1; i >= 0; i--)
            {
                switch (chain[i])
                {
                    case ILocalFunctionOperation localFunction:
                        graph = graph.GetLocalFunctionControlFlowGraph(localFunction.Symbol, cancellationToken);
                        break;
                    case IAnonymousFunctionOperation lambda:
                        var flow = FindFlowLambda(graph, lambda.Symbol);
                        if (flow is null)
                        {
                            return null;
                        }

                        graph = graph.GetAnonymousFunctionControlFlowGraph(flow, cancellationToken);
                        break;
                }
            }

            return graph;
        }

        private static IFlowAnonymousFunctionOperation? FindFlowLambda(ControlFlowGraph graph, IMethodSymbol symbol)
        {
            foreach (var block in graph.Blocks)
            {
                foreach (var operation in Operations(block))
                {
                    foreach (var descendant in operation.EnumerateDescendantsAndSelf())
                    {
                        if (descendant is IFlowAnonymousFunctionOperation flow && SymbolEqualityComparer.Default.Equals(flow.Symbol, symbol))
                        {
                            return flow;
                        }
                    }
                }
            }

            return null;
        }

        private static IEnumerable<IOperation> Operations(BasicBlock block)
        {
            foreach (var operation in block.Operations)
            {
                yield return operation;
            }

            if (block.BranchValue is not null)
            {
                yield return block.BranchValue;
            }
        }

        private static bool HasPendingReadAtExit(
            ControlFlowGraph graph, IObjectCreationOperation creation, ILocalSymbol local, HashSet<IMethodSymbol>? capturing, KnownTypes types,
            System.Threading.CancellationToken cancellationToken)
        {
            var blocks = graph.Blocks;
            var settles = new bool[blocks.Length];
            var references = new List<IOperation>[blocks.Length];
            var sawCreation = false;
            foreach (var block in blocks)
            {
                var list = new List<IOperation>();
                foreach (var operation in Operations(block))
                {
                    foreach (var descendant in operation.EnumerateDescendantsAndSelf())
                    {
                        if (capturing is not null && descendant is IFlowAnonymousFunctionOperation lambda && capturing.Contains(lambda.Symbol))
                        {
                            list.Add(lambda);
                            settles[block.Ordinal] = true;
                        }
                        else if (descendant is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, local))
                        {
                            list.Add(reference);
                            var kind = ClassifyReference(reference);
                            settles[block.Ordinal] |= kind is ReferenceKind.Complete or ReferenceKind.Handoff;
                            sawCreation |= kind == ReferenceKind.Assigned && IsOurCreation(reference, creation);
                        }
                    }
                }

                references[block.Ordinal] = list;
            }

            if (!sawCreation)
            {
                return false;
            }

            var exit = SolveForward(blocks, settles, 0, (state, block) => Transfer(state, block, blocks, references[block.Ordinal], creation, types), cancellationToken);
            return (exit & PendingRead) != 0;
        }

        /// <summary>
        /// The pending states reaching the exit block, solved forward to a fixed point: a block starts from its
        /// predecessors' out states (along each branch, <see cref="AlongBranch"/>), the first block of a handler from every
        /// block of its <c>try</c>, the entry block from <paramref name="entryState"/>; <paramref name="transfer"/> gives its
        /// out state. At most 2n + 4 passes over the n blocks, whether or not it has settled by then.
        /// </summary>
        private static int SolveForward(
            ImmutableArray<BasicBlock> blocks, bool[] settles, int entryState, System.Func<int, BasicBlock, int> transfer, System.Threading.CancellationToken cancellationToken)
        {
            var inState = new int[blocks.Length];
            var outState = new int[blocks.Length];
            for (var pass = 0; pass < 2 * blocks.Length + 4; pass++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var changed = false;
                foreach (var block in blocks)
                {
                    var state = block.Kind == BasicBlockKind.Entry ? entryState : 0;
                    foreach (var predecessor in block.Predecessors)
                    {
                        state |= AlongBranch(outState[predecessor.Source.Ordinal], predecessor, blocks, settles);
                    }

                    if (block.Predecessors.IsEmpty && TryRegionOf(block, blocks[0].EnclosingRegion) is { } tryRegion)
                    {
                        for (var i = tryRegion.FirstBlockOrdinal; i <= tryRegion.LastBlockOrdinal; i++)
                        {
                            state |= inState[i] | outState[i];
                        }
                    }

                    var output = transfer(state, block);
                    if (state != inState[block.Ordinal] || output != outState[block.Ordinal])
                    {
                        inState[block.Ordinal] = state;
                        outState[block.Ordinal] = output;
                        changed = true;
                    }
                }

                if (!changed)
                {
                    break;
                }
            }

            foreach (var block in blocks)
            {
                if (block.Kind == BasicBlockKind.Exit)
                {
                    return inState[block.Ordinal];
                }
            }

            return 0;
        }

        /// <summary>A branch through <c>finally</c> blocks that complete or hand off the source arrives settled.</summary>
        private static int AlongBranch(int state, ControlFlowBranch branch, ImmutableArray<BasicBlock> blocks, bool[] settles)
        {
            if (branch.Semantics is ControlFlowBranchSemantics.Throw or ControlFlowBranchSemantics.Rethrow or ControlFlowBranchSemantics.StructuredExceptionHandling)
            {
                return 0;
            }

            foreach (var region in branch.FinallyRegions)
            {
                for (var i = region.FirstBlockOrdinal; i <= region.LastBlockOrdinal && i < blocks.Length; i++)
                {
                    if (settles[i])
                    {
                        return 0;
                    }
                }
            }

            return state;
        }

        /// <summary>For the first block of a catch, filter or finally region (it has no predecessors): the protected try region.</summary>
        /// <param name="root">
        /// The graph's root region (the entry block's). A lambda's or local function's graph sits inside its parent's
        /// regions: the walk must not leave it, or the entry block of a lambda written in a <c>try</c> would get the
        /// parent's try region, whose ordinals number the parent's blocks.
        /// </param>
        private static ControlFlowRegion? TryRegionOf(BasicBlock block, ControlFlowRegion root)
        {
            for (var region = block.EnclosingRegion; region is not null && !ReferenceEquals(region, root); region = region.EnclosingRegion)
            {
                if (region.Kind is ControlFlowRegionKind.TryAndCatch or ControlFlowRegionKind.TryAndFinally)
                {
                    return region.NestedRegions.Length > 0 && region.NestedRegions[0].Kind == ControlFlowRegionKind.Try
                        ? region.NestedRegions[0]
                        : null;
                }

                if (region.Kind is ControlFlowRegionKind.Try)
                {
                    return null;
                }
            }

            return null;
        }

        private static int Transfer(int state, BasicBlock block, ImmutableArray<BasicBlock> blocks, List<IOperation> references, IObjectCreationOperation creation, KnownTypes types)
        {
            foreach (var operation in references)
            {
                if (operation is not ILocalReferenceOperation reference)
                {
                    state = 0; // a lambda capturing the source: the callback may complete it
                    continue;
                }

                switch (ClassifyReference(reference))
                {
                    case ReferenceKind.Assigned:
                        state = IsOurCreation(reference, creation) ? PendingUnread : 0;
                        break;
                    case ReferenceKind.Complete:
                    case ReferenceKind.Handoff:
                        state = 0;
                        break;
                    case ReferenceKind.Read when state != 0 && TaskEscapes(reference.Parent!, block, blocks, types):
                        state = PendingRead;
                        break;
                }
            }

            return state;
        }

        private static bool IsOurCreation(ILocalReferenceOperation target, IObjectCreationOperation creation)
            => target.Parent is ISimpleAssignmentOperation assignment &&
               assignment.Value.WalkDownConversions().Syntax == creation.Syntax;

        /// <summary>The <c>Task</c> value is awaited, blocked on, returned, stored outside the function, or passed on (not to <c>WhenAny</c>).</summary>
        private static bool TaskEscapes(IOperation taskRead, BasicBlock block, ImmutableArray<BasicBlock> blocks, KnownTypes types, bool followLocals = true)
        {
            var current = taskRead;
            for (var depth = 0; depth < 8; depth++)
            {
                var parent = current.WalkUpConversions();
                switch (parent)
                {
                    case null:
                        return current == block.BranchValue && block.FallThroughSuccessor?.Semantics == ControlFlowBranchSemantics.Return;
                    case IAwaitOperation or IReturnOperation:
                        return true;
                    case IInvocationOperation invocation when invocation.Instance is not null && invocation.Instance.WalkDownConversions() == current:
                        switch (invocation.TargetMethod.Name)
                        {
                            case "ConfigureAwait":
                                current = invocation;
                                continue;
                            case "Wait":
                                return invocation.Arguments.Length == 0;
                            case "GetAwaiter":
                                return true;
                            default:
                                return false;
                        }

                    case IPropertyReferenceOperation { Property.Name: "Result" }:
                        return true;
                    case IArgumentOperation { Parent: IInvocationOperation call }:
                        return !(call.TargetMethod.ContainingType.Is(types.Task) && call.TargetMethod.Name is "WhenAny" or "WaitAny");
                    case ISimpleAssignmentOperation assignment when assignment.Value.WalkDownConversions() == current:
                        return assignment.Target switch
                        {
                            ILocalReferenceOperation target => followLocals && LocalEscapes(target.Local, blocks, types),
                            IFieldReferenceOperation or IPropertyReferenceOperation or IArrayElementReferenceOperation => true,
                            _ => false,
                        };
                    default:
                        return false;
                }
            }

            return false;
        }

        /// <summary><c>var task = tcs.Task;</c>: the local escapes when one of its reads does.</summary>
        private static bool LocalEscapes(ILocalSymbol local, ImmutableArray<BasicBlock> blocks, KnownTypes types)
        {
            foreach (var block in blocks)
            {
                foreach (var operation in Operations(block))
                {
                    foreach (var descendant in operation.EnumerateDescendantsAndSelf())
                    {
                        if (descendant is ILocalReferenceOperation reference &&
                            SymbolEqualityComparer.Default.Equals(reference.Local, local) &&
                            !(reference.Parent is ISimpleAssignmentOperation assignment && assignment.Target == reference) &&
                            TaskEscapes(reference, block, blocks, types, followLocals: false))
                        {
                            return true;
                        }
                    }
                }
            }

            return false;
        }
    }
}
