using System.Collections;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Internals;

/// <summary>
/// The operations of one member body's tree in pre-order, with where each subtree ends: built once per tree and
/// shared by every rule (the analyzer driver hands all analyzers the same tree), so walking a subtree is a slice of an
/// array. Trees that are not member bodies (a control-flow graph's operations) are walked on the spot.
/// </summary>
internal sealed class OperationIndex
{
    private static readonly OperationMemo<OperationIndex> Indexes = new();

    // Pre-order; only the first _count entries are used.
    private readonly IOperation[] _nodes;
    private readonly int _count;
    private readonly int[] _ends;

    // Lookups of operations other than the root answered by walking down from the root (see TryFind); after that
    // many, a table: operation -> position, open addressing on reference identity (two arrays, no entry objects).
    private const int PathLookups = 16;
    private int _lookups;
    private PositionTable? _positions;

    private OperationIndex(IOperation[] nodes, int count, int[] ends)
    {
        _nodes = nodes;
        _count = count;
        _ends = ends;
    }

    public static OperationRange Subtree(IOperation operation, bool includeSelf)
    {
        if (TryFind(operation, out var index, out var position))
        {
            return new OperationRange(index._nodes, includeSelf ? position : position + 1, index._ends[position], ends: null);
        }

        var count = Walk(operation, skipNestedFunctions: false, out var nodes, out _);
        return new OperationRange(nodes, includeSelf ? 0 : 1, count, ends: null);
    }

    /// <summary>
    /// The operations below <paramref name="operation"/> that run in the same function: lambdas and local functions
    /// (their own operation and everything in them) are left out. Pre-order.
    /// </summary>
    public static OperationRange SubtreeInSameFunction(IOperation operation)
    {
        if (TryFind(operation, out var index, out var position))
        {
            return new OperationRange(index._nodes, position + 1, index._ends[position], index._ends);
        }

        var count = Walk(operation, skipNestedFunctions: true, out var nodes, out _);
        return new OperationRange(nodes, 1, count, ends: null);
    }

    private static bool TryFind(IOperation operation, out OperationIndex index, out int position)
    {
        var root = operation.GetRoot();
        if (IsMemberBody(root))
        {
            index = Indexes.GetOrCompute(root, 0, static (r, _) => Build(r));
            if (ReferenceEquals(operation, root))
            {
                position = 0;
                return true;
            }

            // Most bodies are asked about a few operations only: each is found by walking down from the root along
            // its ancestors (children are skipped whole by their subtree ends), which needs no table. A body asked
            // about many gets a position table.
            if (Interlocked.Increment(ref index._lookups) <= PathLookups)
            {
                position = index.FindByPath(operation, root);
                return position >= 0;
            }

            var positions = Volatile.Read(ref index._positions);
            if (positions is null)
            {
                // Two threads may build it at once; both tables are the same, either may win.
                positions = new PositionTable(index._nodes, index._count);
                positions = Interlocked.CompareExchange(ref index._positions, positions, null) ?? positions;
            }

            position = positions.Find(operation);
            return position >= 0;
        }

        index = null!;
        position = 0;
        return false;
    }

    /// <summary>The position of <paramref name="operation"/>, found among the children of its parent's position; -1 if it is not in this tree.</summary>
    private int FindByPath(IOperation operation, IOperation root)
    {
        if (ReferenceEquals(operation, root))
        {
            return 0;
        }

        if (operation.Parent is not { } parent)
        {
            return -1;
        }

        var parentPosition = FindByPath(parent, root);
        if (parentPosition < 0)
        {
            return -1;
        }

        for (var child = parentPosition + 1; child < _ends[parentPosition]; child = _ends[child])
        {
            if (ReferenceEquals(_nodes[child], operation))
            {
                return child;
            }
        }

        return -1;
    }

    // By kind: an interface type test costs more, and this runs for every operation of a walk that skips functions.
    internal static bool IsNestedFunction(IOperation operation) => operation.Kind is OperationKind.AnonymousFunction or OperationKind.LocalFunction;

    // The roots the driver hands to analyzers. A control-flow graph's operations have other roots (and are small).
    private static bool IsMemberBody(IOperation root)
        => root.Kind is OperationKind.MethodBody or OperationKind.ConstructorBody or OperationKind.Block or OperationKind.FieldInitializer
            or OperationKind.PropertyInitializer or OperationKind.ParameterInitializer;

    private static OperationIndex Build(IOperation root)
    {
        var count = Walk(root, skipNestedFunctions: false, out var nodes, out var parents);

        // A node's subtree is itself and the subtrees of its children, which follow it in pre-order: its end is its
        // position plus its size, and sizes add up from the last node back to the root.
        var ends = new int[count];
        for (var i = 0; i < count; i++)
        {
            ends[i] = 1;
        }

        for (var i = count - 1; i > 0; i--)
        {
            ends[parents[i]] += ends[i];
        }

        for (var i = 0; i < count; i++)
        {
            ends[i] += i;
        }

        return new OperationIndex(nodes, count, ends);
    }

    /// <summary>Pre-order walk, with each node's parent position (-1 for the root). The arrays may be longer than the count.</summary>
    private static int Walk(IOperation root, bool skipNestedFunctions, out IOperation[] nodes, out int[] parents)
    {
        var pendingNodes = new IOperation[32];
        var pendingParents = new int[32];
        nodes = new IOperation[64];
        parents = new int[64];
        var count = 0;
        var depth = 1;
        pendingNodes[0] = root;
        pendingParents[0] = -1;
        while (depth > 0)
        {
            depth--;
            var current = pendingNodes[depth];
            if (count == nodes.Length)
            {
                System.Array.Resize(ref nodes, count * 2);
                System.Array.Resize(ref parents, count * 2);
            }

            nodes[count] = current;
            parents[count] = pendingParents[depth];
            var position = count++;
            foreach (var child in current.ChildOperations.Reverse())
            {
                if (skipNestedFunctions && IsNestedFunction(child))
                {
                    continue;
                }

                if (depth == pendingNodes.Length)
                {
                    System.Array.Resize(ref pendingNodes, depth * 2);
                    System.Array.Resize(ref pendingParents, depth * 2);
                }

                pendingNodes[depth] = child;
                pendingParents[depth] = position;
                depth++;
            }
        }

        return count;
    }

    /// <summary>Position of each node, by reference identity (open addressing, linear probing).</summary>
    private sealed class PositionTable
    {
        private readonly IOperation?[] _keys;
        private readonly int[] _values;
        private readonly int _mask;

        public PositionTable(IOperation[] nodes, int count)
        {
            var size = 4;
            while (size < count * 2)
            {
                size <<= 1;
            }

            _keys = new IOperation?[size];
            _values = new int[size];
            _mask = size - 1;
            for (var i = 0; i < count; i++)
            {
                var slot = RuntimeHelpers.GetHashCode(nodes[i]) & _mask;
                while (_keys[slot] is not null)
                {
                    slot = (slot + 1) & _mask;
                }

                _keys[slot] = nodes[i];
                _values[slot] = i;
            }
        }

        public int Find(IOperation operation)
        {
            var slot = RuntimeHelpers.GetHashCode(operation) & _mask;
            while (_keys[slot] is { } key)
            {
                if (ReferenceEquals(key, operation))
                {
                    return _values[slot];
                }

                slot = (slot + 1) & _mask;
            }

            return -1;
        }
    }
}

/// <summary>
/// A run of operations in pre-order (see <see cref="OperationIndex"/>); enumerating it allocates nothing. With
/// subtree ends, nested lambdas and local functions are skipped whole.
/// </summary>
internal readonly struct OperationRange : IEnumerable<IOperation>
{
    private readonly IOperation[] _nodes;
    private readonly int _start;
    private readonly int _end;
    private readonly int[]? _ends;

    /// <summary>No operations.</summary>
    public static OperationRange Empty => default;

    public OperationRange(IOperation[] nodes, int start, int end, int[]? ends)
    {
        _nodes = nodes;
        _start = start;
        _end = end < start ? start : end;
        _ends = ends;
    }

    public Enumerator GetEnumerator() => new(_nodes, _start, _end, _ends);

    IEnumerator<IOperation> IEnumerable<IOperation>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public struct Enumerator : IEnumerator<IOperation>
    {
        private readonly IOperation[] _nodes;
        private readonly int _end;
        private readonly int[]? _ends;
        private int _index;
        private bool _started;

        public Enumerator(IOperation[] nodes, int start, int end, int[]? ends)
        {
            _nodes = nodes;
            _end = end;
            _ends = ends;
            _index = start;
            _started = false;
        }

        public IOperation Current => _nodes[_index];

        object IEnumerator.Current => Current;

        public bool MoveNext()
        {
            if (_started)
            {
                // Skipping a nested function jumps past its whole subtree.
                _index = _ends is not null && OperationIndex.IsNestedFunction(_nodes[_index]) ? _ends[_index] : _index + 1;
            }

            _started = true;
            while (_index < _end && _ends is not null && OperationIndex.IsNestedFunction(_nodes[_index]))
            {
                _index = _ends[_index];
            }

            return _index < _end;
        }

        public void Reset() => throw new System.NotSupportedException();

        public void Dispose()
        {
        }
    }
}
