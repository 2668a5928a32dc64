using System;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis.Diagnostics;

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

    /// <summary>
    /// <see cref="GetOrCompute"/> for a table keyed by a symbol start. The host's symbol start, which all its rules
    /// share, keeps the value itself (under <paramref name="table"/>) instead of adding an entry to the table: an
    /// entry is a weak handle made and freed once per type. Any other context (a rule run on its own) uses the table.
    /// </summary>
    public static TValue GetOrComputePerSymbolStart<TState, TValue>(
        this ConditionalWeakTable<SymbolStartAnalysisContext, TValue> table,
        SymbolStartAnalysisContext key,
        TState state,
        Func<SymbolStartAnalysisContext, TState, TValue> compute)
        where TValue : class
    {
        if (key is not ISymbolStartState kept)
        {
            return table.GetOrCompute(key, state, compute);
        }

        if (kept.Get(table) is TValue value)
        {
            return value;
        }

        var computed = compute(key, state);
        return (TValue)kept.GetOrAdd(table, computed);
    }
}

/// <summary>A symbol-start context that keeps values for the rules run in it (the host's), each under a key object.</summary>
internal interface ISymbolStartState
{
    /// <summary>The value kept under <paramref name="key"/>, or null.</summary>
    object? Get(object key);

    /// <summary>The value kept under <paramref name="key"/>: <paramref name="value"/> unless one was kept first.</summary>
    object GetOrAdd(object key, object value);
}
