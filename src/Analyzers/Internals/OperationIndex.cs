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
        var root = operation.GetRoot();
        if (IsMemberBody(root))
        {
            if (!Indexes.TryGetValue(root, out var index))
            {
                var built = Build(root);
                index = Indexes.GetValue(root, _ => built);
            }

            if (index._positions.TryGetValue(operation, out var position))
            {
                return new OperationRange(index._nodes, includeSelf ? position : position + 1, index._ends[position]);
            }
        }

        var nodes = new List<IOperation>();
        Walk(operation, nodes, ends: null);
        return new OperationRange(nodes.ToArray(), includeSelf ? 0 : 1, nodes.Count);
    }

    // The roots the driver hands to analyzers. A control-flow graph's operations have other roots (and are small).
    private static bool IsMemberBody(IOperation root)
        => root is IMethodBodyOperation or IConstructorBodyOperation or IBlockOperation or IFieldInitializerOperation
            or IPropertyInitializerOperation or IParameterInitializerOperation;

    private static OperationIndex Build(IOperation root)
    {
        var nodes = new List<IOperation>(64);
        var ends = new List<int>(64);
        Walk(root, nodes, ends);
        var positions = new Dictionary<IOperation, int>(nodes.Count);
        for (var i = 0; i < nodes.Count; i++)
        {
            positions[nodes[i]] = i;
        }

        return new OperationIndex(nodes.ToArray(), ends.ToArray(), positions);
    }

    /// <summary>Pre-order walk; <paramref name="ends"/> (when given) gets each node's subtree end (exclusive).</summary>
    private static void Walk(IOperation root, List<IOperation> nodes, List<int>? ends)
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
                pending.Push((child, 0));
            }
        }
    }
}

/// <summary>A run of operations in pre-order (see <see cref="OperationIndex"/>); enumerating it allocates nothing.</summary>
internal readonly struct OperationRange : IEnumerable<IOperation>
{
    private readonly IOperation[] _nodes;
    private readonly int _start;
    private readonly int _end;

    public OperationRange(IOperation[] nodes, int start, int end)
    {
        _nodes = nodes;
        _start = start;
        _end = end < start ? start : end;
    }

    public Enumerator GetEnumerator() => new(_nodes, _start, _end);

    IEnumerator<IOperation> IEnumerable<IOperation>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public struct Enumerator : IEnumerator<IOperation>
    {
        private readonly IOperation[] _nodes;
        private readonly int _end;
        private int _index;

        public Enumerator(IOperation[] nodes, int start, int end)
        {
            _nodes = nodes;
            _end = end;
            _index = start - 1;
        }

        public IOperation Current => _nodes[_index];

        object IEnumerator.Current => Current;

        public bool MoveNext() => ++_index < _end;

        public void Reset() => throw new System.NotSupportedException();

        public void Dispose()
        {
        }
    }
}
