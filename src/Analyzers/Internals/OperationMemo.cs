using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;

namespace ConcurrencyAnalyzers.Internals;

/// <summary>
/// Facts memoized per operation (a member body's root, a lambda), kept for as long as the semantic model that made
/// the operation lives, as the operation itself is. One weak-table entry per semantic model (the driver uses one per
/// file) with a dictionary under it, rather than a weak-table entry per operation: each weak-table entry takes a GC
/// handle, which cost more than building an operation index (about 3% of the analyzers' time, one entry per body).
/// </summary>
internal sealed class OperationMemo<TValue>
    where TValue : class
{
    private readonly ConditionalWeakTable<SemanticModel, ConcurrentDictionary<IOperation, TValue>> _byModel = new();

    // Operations without a semantic model (none the driver hands out, but the API allows it).
    private readonly ConditionalWeakTable<IOperation, TValue> _withoutModel = new();

    /// <summary>
    /// The value stored for <paramref name="key"/>, computed first when missing, outside any lock (see
    /// <see cref="WeakMemo.GetOrCompute"/>: when two threads race, the first value stored wins).
    /// </summary>
    public TValue GetOrCompute<TState>(IOperation key, TState state, Func<IOperation, TState, TValue> compute)
    {
        if (key.SemanticModel is not { } model)
        {
            return _withoutModel.GetOrCompute(key, state, compute);
        }

        if (!_byModel.TryGetValue(model, out var values))
        {
            values = _byModel.GetValue(model, static _ => new ConcurrentDictionary<IOperation, TValue>(ReferenceComparer<IOperation>.Instance));
        }

        if (values.TryGetValue(key, out var value))
        {
            return value;
        }

        return values.GetOrAdd(key, compute(key, state));
    }
}
