using System.Collections;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
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
    private static readonly ConditionalWeakTable<IOperation, OperationIndex> Indexes = new();

    private readonly IOperation[] _nodes;
    private readonly int[] _ends;
    private readonly Dictionary<IOperation, int> _positions;

    private OperationIndex(IOperation[] nodes, int[] ends, Dictionary<IOperation, int> positions)
    {
        _nodes = nodes;
        _ends = ends;
        _positions = positions;
    }

    public static OperationRange Subtree(IOperation operation, bool includeSelf)
    {
        if (TryFind(operation, out var index, out var position))
        {
            return new OperationRange(index._nodes, includeSelf ? position : position + 1, index._ends[position], ends: null);
        }

        var nodes = new List<IOperation>();
        Walk(operation, nodes, ends: null, skipNestedFunctions: false);
        return new OperationRange(nodes.ToArray(), includeSelf ? 0 : 1, nodes.Count, ends: null);
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

        var nodes = new List<IOperation>();
        Walk(operation, nodes, ends: null, skipNestedFunctions: true);
        return new OperationRange(nodes.ToArray(), 1, nodes.Count, ends: null);
    }

    private static bool TryFind(IOperation operation, out OperationIndex index, out int position)
    {
        var root = operation.GetRoot();
        if (IsMemberBody(root))
        {
            index = Indexes.GetOrCompute(root, 0, static (r, _) => Build(r));
            if (index._positions.TryGetValue(operation, out position))
            {
                return true;
            }
        }

        index = null!;
        position = 0;
        return false;
    }

    internal static bool IsNestedFunction(IOperation operation) => operation is IAnonymousFunctionOperation or ILocalFunctionOperation;

    // The roots the driver hands to analyzers. A control-flow graph's operations have other roots (and are small).
    private static bool IsMemberBody(IOperation root)
        => root is IMethodBodyOperation or IConstructorBodyOperation or IBlockOperation or IFieldInitializerOperation
            or IPropertyInitializerOperation or IParameterInitializerOperation;

    private static OperationIndex Build(IOperation root)
    {
        var nodes = new List<IOperation>(64);
        var ends = new List<int>(64);
        Walk(root, nodes, ends, skipNestedFunctions: false);
        var positions = new Dictionary<IOperation, int>(nodes.Count);
        for (var i = 0; i < nodes.Count; i++)
        {
            positions[nodes[i]] = i;
        }

        return new OperationIndex(nodes.ToArray(), ends.ToArray(), positions);
    }

    /// <summary>Pre-order walk; <paramref name="ends"/> (when given) gets each node's subtree end (exclusive).</summary>
    private static void Walk(IOperation root, List<IOperation> nodes, List<int>? ends, bool skipNestedFunctions)
    {
        // A null node is the marker that closes the subtree of the node at Position.
        var pending = new Stack<(IOperation? Node, int Position)>();
        pending.Push((root, 0));
        while (pending.Count > 0)
        {
            var (current, position) = pending.Pop();
            if (current is null)
            {
                ends![position] = nodes.Count;
                continue;
            }

            if (ends is not null)
            {
                pending.Push((null, nodes.Count));
                ends.Add(0);
            }

            nodes.Add(current);
            foreach (var child in current.ChildOperations.Reverse())
            {
                if (!skipNestedFunctions || !IsNestedFunction(child))
                {
                    pending.Push((child, 0));
                }
            }
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
