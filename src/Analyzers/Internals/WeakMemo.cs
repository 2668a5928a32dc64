using System;
using System.Runtime.CompilerServices;

namespace ConcurrencyAnalyzers.Internals;

/// <summary>
/// Memoizes facts shared by every rule in a <see cref="ConditionalWeakTable{TKey,TValue}"/> keyed by something the
/// driver hands to all analyzers (a compilation, a symbol), so an entry lives as long as its key. Facts about method
/// bodies use <see cref="OperationMemo{TValue}"/>, which takes one entry per semantic model instead of one per body.
/// </summary>
internal static class WeakMemo
{
    /// <summary>
    /// The value stored for <paramref name="key"/>, computed first when missing. The computation runs outside any
    /// lock (it may memoize other facts on the way); when two threads race, both compute and the first value stored
    /// wins, so the computation must be deterministic. Pass what it needs as <paramref name="state"/> and use a
    /// static lambda: a hit then allocates nothing.
    /// </summary>
    public static TValue GetOrCompute<TKey, TState, TValue>(
        this ConditionalWeakTable<TKey, TValue> table, TKey key, TState state, Func<TKey, TState, TValue> compute)
        where TKey : class
        where TValue : class
    {
        if (table.TryGetValue(key, out var value))
        {
            return value;
        }

        var computed = compute(key, state);
        return table.GetValue(key, _ => computed);
    }
}
