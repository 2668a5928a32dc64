using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Analysis;

/// <summary>A lock that may or must be held at a point of a method.</summary>
internal sealed class HeldLock : IEquatable<HeldLock>
{
    public HeldLock(ISymbol? key, string name, LockKind kind, LockMode mode, SyntaxNode acquireSyntax, bool isLockStatement, bool isOwnField = false)
    {
        IsOwnField = isOwnField;
        Key = key;
        Name = name;
        Kind = kind;
        Mode = mode;
        AcquireSyntax = acquireSyntax;
        IsLockStatement = isLockStatement;
    }

    /// <summary>
    /// The lock a call acts on, from its lock expression (already resolved: conversions, captures, conditional access).
    /// Own field: a static field, or an instance field read through <c>this</c>.
    /// </summary>
    public static HeldLock For(IOperation? expression, LockCall call, SyntaxNode acquireSyntax, bool isLockStatement)
    {
        var isOwnField = expression is IFieldReferenceOperation field &&
                         (field.Field.IsStatic || field.Instance is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance });
        return new HeldLock(LockApis.GetKey(expression), LockApis.Describe(expression), call.Kind, call.Mode, acquireSyntax, isLockStatement, isOwnField);
    }

    /// <summary>The lock expression's symbol (see <see cref="LockApis.GetKey"/>); null when unkeyable (then <see cref="Name"/> identifies it).</summary>
    public ISymbol? Key { get; }

    public string Name { get; }

    public LockKind Kind { get; }

    public LockMode Mode { get; }

    /// <summary>Where the lock was taken: the acquire call, or the <c>lock</c> statement's expression.</summary>
    public SyntaxNode AcquireSyntax { get; }

    /// <summary>Taken by a <c>lock</c> statement (rather than an explicit call).</summary>
    public bool IsLockStatement { get; }

    public bool IsThreadAffine => Kind is not LockKind.SemaphoreSlim;

    /// <summary>The lock is a static field, or an instance field read through <c>this</c>: one object per instance, comparable across methods.</summary>
    public bool IsOwnField { get; }

    /// <summary>Same lock object and primitive (mode ignored).</summary>
    public bool SameLock(HeldLock other)
        => Kind == other.Kind &&
           (Key is null || other.Key is null
               ? Key is null && other.Key is null && Name == other.Name
               : SymbolEqualityComparer.Default.Equals(Key, other.Key));

    public bool Equals(HeldLock? other) => other is not null && Mode == other.Mode && SameLock(other);

    public override bool Equals(object? obj) => Equals(obj as HeldLock);

    public override int GetHashCode() => Key is null ? Name.GetHashCode() : SymbolEqualityComparer.Default.GetHashCode(Key);
}

/// <summary>The locks that may be held (on some path) and must be held (on every path) before an operation.</summary>
internal readonly struct HeldState
{
    public static readonly HeldState Empty = new(ImmutableArray<HeldLock>.Empty, ImmutableArray<HeldLock>.Empty);

    public HeldState(ImmutableArray<HeldLock> may, ImmutableArray<HeldLock> must)
    {
        May = may;
        Must = must;
    }

    public ImmutableArray<HeldLock> May { get; }

    public ImmutableArray<HeldLock> Must { get; }

    public bool IsEmpty => May.IsDefaultOrEmpty;

    internal bool SameAs(HeldState other) => SameSet(May, other.May) && SameSet(Must, other.Must);

    private static bool SameSet(ImmutableArray<HeldLock> a, ImmutableArray<HeldLock> b)
    {
        if (a.Length != b.Length)
        {
            return false;
        }

        foreach (var item in a)
        {
            if (!b.Contains(item))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>Called for every operation of a function's control-flow graph with the locks held just before it runs.</summary>
/// <param name="operation">An operation of the graph (graph operations, not the original tree: use its syntax to map back).</param>
/// <param name="state">The locks held just before <paramref name="operation"/> runs.</param>
/// <param name="function">The method, lambda or local function the graph belongs to (null when unknown).</param>
/// <param name="lockCall">When <paramref name="operation"/> is a lock API call: the lock it acts on (key resolved through captures).</param>
internal delegate void HeldLockVisitor(IOperation operation, HeldState state, IMethodSymbol? function, HeldLock? lockCall);

/// <summary>
/// Held-locks flow analysis over a method's <see cref="ControlFlowGraph"/>: <c>lock</c> statements (as the graph
/// lowers them), explicit acquire/release pairs keyed by the lock expression's symbol, <c>Lock.EnterScope()</c>
/// scopes, <c>TryEnter</c>/<c>lockTaken</c> and timed-wait results split on their branches, and <c>finally</c>
/// blocks applied on the edges that leave a <c>try</c>. Each lambda and local function is analyzed on its own graph,
/// starting with no lock held (it runs later, or elsewhere). Cost: each block is revisited at most a small, fixed
/// number of times (the lattice height is the number of distinct locks, capped), so the analysis is linear in the
/// method's size; past the cap it gives up and visits nothing.
/// </summary>
internal static class HeldLocks
{
    private const int MaxLocks = 16;
    private const int MaxVisitsPerBlock = 12;

    /// <summary>Analyzes <paramref name="graph"/> and every lambda / local function graph nested in it.</summary>
    public static void AnalyzeAll(ControlFlowGraph graph, IMethodSymbol? function, KnownTypes types, HeldLockVisitor visitor, CancellationToken cancellationToken, bool visitWithoutLocks = true)
    {
        var pending = new Stack<(ControlFlowGraph Graph, IMethodSymbol? Function)>();
        pending.Push((graph, function));
        while (pending.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (current, symbol) = pending.Pop();
            Analyze(current, symbol, types, visitor, cancellationToken, visitWithoutLocks);

            foreach (var localFunction in current.LocalFunctions)
            {
                pending.Push((current.GetLocalFunctionControlFlowGraph(localFunction, cancellationToken), localFunction));
            }

            foreach (var block in current.Blocks)
            {
                foreach (var operation in BlockOperations(block))
                {
                    foreach (var descendant in operation.EnumerateDescendantsAndSelf())
                    {
                        if (descendant is IFlowAnonymousFunctionOperation lambda)
                        {
                            pending.Push((current.GetAnonymousFunctionControlFlowGraph(lambda, cancellationToken), lambda.Symbol));
                        }
                    }
                }
            }
        }
    }

    /// <summary>Analyzes one graph (not the nested ones). Returns false when it gave up (no visit made).</summary>
    /// <param name="visitWithoutLocks">When false, a graph with no lock API call is skipped (nothing is ever held there).</param>
    public static bool Analyze(ControlFlowGraph graph, IMethodSymbol? function, KnownTypes types, HeldLockVisitor visitor, CancellationToken cancellationToken, bool visitWithoutLocks = true)
    {
        var analysis = new Analysis(graph, types);
        if (!analysis.Prepare())
        {
            if (!visitWithoutLocks)
            {
                return true;
            }

            // No lock API in this function: every operation runs with nothing held.
            foreach (var block in graph.Blocks)
            {
                foreach (var operation in BlockOperations(block))
                {
                    foreach (var descendant in operation.EnumerateDescendantsAndSelf())
                    {
                        visitor(descendant, HeldState.Empty, function, null);
                    }
                }
            }

            return true;
        }

        if (!analysis.Solve(cancellationToken))
        {
            return false;
        }

        analysis.Replay(function, visitor);
        return true;
    }

    private static IEnumerable<IOperation> BlockOperations(BasicBlock block)
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

    private sealed class Analysis
    {
        private readonly ControlFlowGraph _graph;
        private readonly KnownTypes _types;
        private readonly Dictionary<CaptureId, IOperation> _captures = new();
        private readonly Dictionary<ControlFlowRegion, List<HeldLock>> _finallyReleases = new();
        private readonly Dictionary<ILocalSymbol, HeldLock> _conditionLocals = new(SymbolEqualityComparer.Default);
        private readonly Dictionary<object, HeldLock> _scopes = new();

        // A graph's operations are not in a member body's shared index, and the solver revisits blocks: walk each once.
        private readonly Dictionary<IOperation, OperationRange> _flat = new();
        private HeldState?[] _in = Array.Empty<HeldState?>();
        private List<int>[] _handlers = Array.Empty<List<int>>();

        private OperationRange Flat(IOperation operation)
        {
            if (!_flat.TryGetValue(operation, out var range))
            {
                range = operation.EnumerateDescendantsAndSelf();
                _flat[operation] = range;
            }

            return range;
        }

        public Analysis(ControlFlowGraph graph, KnownTypes types)
        {
            _graph = graph;
            _types = types;
        }

        /// <summary>Collects captures; false when the graph calls no lock API at all (nothing to do).</summary>
        public bool Prepare()
        {
            var any = false;
            foreach (var block in _graph.Blocks)
            {
                foreach (var operation in BlockOperations(block))
                {
                    foreach (var descendant in Flat(operation))
                    {
                        if (descendant is IFlowCaptureOperation capture)
                        {
                            _captures[capture.Id] = capture.Value;
                        }
                        else if (descendant is IInvocationOperation invocation && LockApis.TryGetLockCall(invocation, _types, out _))
                        {
                            any = true;
                        }
                    }
                }
            }

            if (!any)
            {
                return false;
            }

            _in = new HeldState?[_graph.Blocks.Length];
            _handlers = new List<int>[_graph.Blocks.Length];
            foreach (var block in _graph.Blocks)
            {
                var handlers = new List<int>();
                // A lambda's or local function's graph sits inside its parent's regions: the walk stops at this graph's
                // root, or it would reach the parent's handlers (whose ordinals number the parent's blocks).
                for (var region = block.EnclosingRegion; region is not null && !ReferenceEquals(region, _graph.Root); region = region.EnclosingRegion)
                {
                    if (region.Kind == ControlFlowRegionKind.Try && region.EnclosingRegion is { } tryAnd)
                    {
                        foreach (var nested in tryAnd.NestedRegions)
                        {
                            if (!ReferenceEquals(nested, region))
                            {
                                handlers.Add(nested.FirstBlockOrdinal);
                            }
                        }
                    }
                }

                _handlers[block.Ordinal] = handlers;
            }

            return true;
        }

        public bool Solve(CancellationToken cancellationToken)
        {
            var blocks = _graph.Blocks;
            var visits = new int[blocks.Length];
            var queued = new bool[blocks.Length];
            var worklist = new Queue<int>();
            _in[0] = HeldState.Empty;
            worklist.Enqueue(0);
            queued[0] = true;
            while (worklist.Count > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var ordinal = worklist.Dequeue();
                queued[ordinal] = false;
                if (++visits[ordinal] > MaxVisitsPerBlock)
                {
                    return false;
                }

                var block = blocks[ordinal];
                var state = _in[ordinal] ?? HeldState.Empty;
                var during = state;
                foreach (var operation in block.Operations)
                {
                    state = Transfer(operation, state, branchValue: null, visitor: null, function: null);
                    if (state.May.Length > MaxLocks)
                    {
                        return false;
                    }

                    during = Join(during, state);
                }

                if (block.BranchValue is not null)
                {
                    state = Transfer(block.BranchValue, state, block.BranchValue, visitor: null, function: null);
                    during = Join(during, state);
                }

                // An exception thrown anywhere in the block enters the handlers of the try regions around it.
                foreach (var handler in _handlers[ordinal])
                {
                    Merge(handler, during);
                }

                if (block.ConditionalSuccessor is { Destination: not null } conditional)
                {
                    Merge(conditional.Destination.Ordinal, Leave(conditional, Condition(block, state, conditionalEdge: true)));
                }

                if (block.FallThroughSuccessor is { Destination: not null } fallThrough)
                {
                    Merge(fallThrough.Destination.Ordinal, Leave(fallThrough, block.ConditionKind == ControlFlowConditionKind.None ? state : Condition(block, state, conditionalEdge: false)));
                }
            }

            return true;

            void Merge(int target, HeldState incoming)
            {
                var existing = _in[target];
                var merged = existing is null ? incoming : Join(existing.Value, incoming);
                if (existing is null || !merged.SameAs(existing.Value))
                {
                    _in[target] = merged;
                    if (!queued[target])
                    {
                        queued[target] = true;
                        worklist.Enqueue(target);
                    }
                }
            }
        }

        public void Replay(IMethodSymbol? function, HeldLockVisitor visitor)
        {
            foreach (var block in _graph.Blocks)
            {
                if (_in[block.Ordinal] is not { } state)
                {
                    continue;
                }

                foreach (var operation in block.Operations)
                {
                    state = Transfer(operation, state, branchValue: null, visitor, function);
                }

                if (block.BranchValue is not null)
                {
                    Transfer(block.BranchValue, state, block.BranchValue, visitor, function);
                }
            }
        }

        private HeldState Transfer(IOperation root, HeldState state, IOperation? branchValue, HeldLockVisitor? visitor, IMethodSymbol? function)
        {
            foreach (var operation in Flat(root))
            {
                if (operation is not IInvocationOperation invocation)
                {
                    visitor?.Invoke(operation, state, function, null);
                    continue;
                }

                if (LockApis.TryGetLockCall(invocation, _types, out var call))
                {
                    visitor?.Invoke(operation, state, function, Make(invocation, call));
                    state = Apply(invocation, call, state, branchValue);
                    continue;
                }

                visitor?.Invoke(operation, state, function, null);
                if (invocation.TargetMethod.Name == "Dispose" && invocation.Instance is { } instance &&
                         ScopeOf(instance) is { } scope)
                {
                    state = Remove(state, scope, matchMode: true);
                }
            }

            return state;
        }

        private HeldState Apply(IInvocationOperation invocation, LockCall call, HeldState state, IOperation? branchValue)
        {
            switch (call.Action)
            {
                case LockAction.Acquire:
                {
                    var held = Make(invocation, call);
                    if (call.LockTaken?.Value.WalkDownConversions() is ILocalReferenceOperation enterTaken)
                    {
                        _conditionLocals[enterTaken.Local] = held;
                    }

                    if (call.IsScope)
                    {
                        RememberScope(invocation, held);
                    }

                    return Add(state, held, must: true);
                }

                case LockAction.TryAcquire:
                {
                    var held = Make(invocation, call);
                    if (call.LockTaken?.Value.WalkDownConversions() is ILocalReferenceOperation takenLocal)
                    {
                        _conditionLocals[takenLocal.Local] = held;
                        return Add(state, held, must: false);
                    }

                    if (IsBranchCondition(invocation, branchValue))
                    {
                        return state;
                    }

                    if (ResultLocal(invocation) is { } resultLocal)
                    {
                        _conditionLocals[resultLocal] = held;
                    }

                    return Add(state, held, must: false);
                }

                case LockAction.Release:
                    return Remove(state, Make(invocation, call), matchMode: call.Kind == LockKind.ReaderWriterLockSlim);

                default:
                    return state;
            }
        }

        private HeldLock Make(IInvocationOperation invocation, LockCall call)
        {
            var expression = call.LockExpression is null ? null : Resolve(call.LockExpression);
            var isLockStatement = invocation.IsImplicit;
            var syntax = isLockStatement && expression is not null ? expression.Syntax : invocation.Syntax;
            return HeldLock.For(expression, call, syntax, isLockStatement);
        }

        /// <summary>The expression behind a flow capture (the lowered <c>lock</c> statement captures its operand).</summary>
        private IOperation Resolve(IOperation expression)
        {
            var current = expression.WalkDownConversions();
            for (var depth = 0; depth < 8 && current is IFlowCaptureReferenceOperation reference && _captures.TryGetValue(reference.Id, out var value); depth++)
            {
                current = value.WalkDownConversions();
            }

            return current;
        }

        private void RememberScope(IInvocationOperation invocation, HeldLock held)
        {
            var parent = invocation.WalkUpConversions();
            switch (parent)
            {
                case IFlowCaptureOperation capture:
                    _scopes[capture.Id] = held;
                    break;
                case ISimpleAssignmentOperation { Target: ILocalReferenceOperation local }:
                    _scopes[local.Local] = held;
                    break;
                case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                    _scopes[declarator.Symbol] = held;
                    break;
            }
        }

        private HeldLock? ScopeOf(IOperation instance)
        {
            var value = instance.WalkDownConversions();
            for (var depth = 0; depth < 8; depth++)
            {
                switch (value)
                {
                    case IFlowCaptureReferenceOperation reference:
                        if (_scopes.TryGetValue(reference.Id, out var held))
                        {
                            return held;
                        }

                        if (!_captures.TryGetValue(reference.Id, out var captured))
                        {
                            return null;
                        }

                        value = captured.WalkDownConversions();
                        continue;
                    case ILocalReferenceOperation local:
                        return _scopes.TryGetValue(local.Local, out var localHeld) ? localHeld : null;
                    default:
                        return null;
                }
            }

            return null;
        }

        private static bool IsBranchCondition(IOperation invocation, IOperation? branchValue)
        {
            if (branchValue is null)
            {
                return false;
            }

            return ReferenceEquals(StripCondition(branchValue, out _), invocation);
        }

        private static IOperation StripCondition(IOperation value, out bool negated)
        {
            negated = false;
            value = value.WalkDownConversions();
            while (true)
            {
                switch (value)
                {
                    case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not:
                        negated = !negated;
                        value = not.Operand.WalkDownConversions();
                        continue;
                    case IAwaitOperation awaitOperation:
                        value = awaitOperation.Operation.WalkDownConversionsAndConfigureAwait();
                        continue;
                    default:
                        return value;
                }
            }
        }

        private static ILocalSymbol? ResultLocal(IInvocationOperation invocation)
        {
            IOperation current = invocation;
            var parent = current.WalkUpConversions();
            if (parent is IAwaitOperation)
            {
                parent = parent.WalkUpConversions();
            }

            return parent switch
            {
                ISimpleAssignmentOperation { Target: ILocalReferenceOperation local } => local.Local,
                IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } => declarator.Symbol,
                _ => null,
            };
        }

        /// <summary>The state on one outgoing edge of a conditional block: a try-acquire result or a lockTaken local splits it.</summary>
        private HeldState Condition(BasicBlock block, HeldState state, bool conditionalEdge)
        {
            if (block.BranchValue is null || block.ConditionKind == ControlFlowConditionKind.None)
            {
                return state;
            }

            var value = StripCondition(block.BranchValue, out var negated);
            HeldLock? held = null;
            if (value is IInvocationOperation invocation && LockApis.TryGetLockCall(invocation, _types, out var call) &&
                call.Action == LockAction.TryAcquire && call.LockTaken is null)
            {
                held = Make(invocation, call);
            }
            else if (value is ILocalReferenceOperation local && _conditionLocals.TryGetValue(local.Local, out var mapped))
            {
                held = mapped;
            }

            if (held is null)
            {
                return state;
            }

            // Which truth value of the (stripped) condition leads along this edge?
            var jumpsWhenTrue = block.ConditionKind == ControlFlowConditionKind.WhenTrue;
            var valueIsTrue = conditionalEdge == jumpsWhenTrue;
            if (negated)
            {
                valueIsTrue = !valueIsTrue;
            }

            return valueIsTrue ? Add(state, held, must: true) : Remove(state, held, matchMode: true);
        }

        /// <summary>Applies the <c>finally</c> blocks an edge runs through: their releases.</summary>
        private HeldState Leave(ControlFlowBranch branch, HeldState state)
        {
            foreach (var region in branch.FinallyRegions)
            {
                foreach (var released in FinallyReleases(region))
                {
                    state = Remove(state, released, matchMode: released.Kind == LockKind.ReaderWriterLockSlim);
                }
            }

            return state;
        }

        private List<HeldLock> FinallyReleases(ControlFlowRegion region)
        {
            if (_finallyReleases.TryGetValue(region, out var cached))
            {
                return cached;
            }

            var releases = new List<HeldLock>();
            for (var ordinal = region.FirstBlockOrdinal; ordinal <= region.LastBlockOrdinal; ordinal++)
            {
                foreach (var operation in BlockOperations(_graph.Blocks[ordinal]))
                {
                    foreach (var descendant in Flat(operation))
                    {
                        if (descendant is not IInvocationOperation invocation)
                        {
                            continue;
                        }

                        if (LockApis.TryGetLockCall(invocation, _types, out var call) && call.Action == LockAction.Release)
                        {
                            releases.Add(Make(invocation, call));
                        }
                        else if (invocation.TargetMethod.Name == "Dispose" && invocation.Instance is { } instance && ScopeOf(instance) is { } scope)
                        {
                            releases.Add(scope);
                        }
                    }
                }
            }

            _finallyReleases[region] = releases;
            return releases;
        }

        private static HeldState Add(HeldState state, HeldLock held, bool must)
        {
            var may = state.May.Contains(held) ? state.May : state.May.Add(held);
            var mustSet = must && !state.Must.Contains(held) ? state.Must.Add(held) : state.Must;
            return new HeldState(may, mustSet);
        }

        private static HeldState Remove(HeldState state, HeldLock released, bool matchMode)
        {
            return new HeldState(Filter(state.May), Filter(state.Must));

            ImmutableArray<HeldLock> Filter(ImmutableArray<HeldLock> set)
            {
                var result = set;
                foreach (var held in set)
                {
                    if (held.SameLock(released) && (!matchMode || held.Mode == released.Mode))
                    {
                        result = result.Remove(held);
                    }
                }

                return result;
            }
        }

        private static HeldState Join(HeldState a, HeldState b)
        {
            var may = a.May;
            foreach (var held in b.May)
            {
                if (!may.Contains(held))
                {
                    may = may.Add(held);
                }
            }

            var must = ImmutableArray<HeldLock>.Empty;
            foreach (var held in a.Must)
            {
                if (b.Must.Contains(held))
                {
                    must = must.Add(held);
                }
            }

            return new HeldState(may, must);
        }
    }
}
