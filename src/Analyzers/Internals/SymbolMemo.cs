using System;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;

namespace ConcurrencyAnalyzers.Internals;

/// <summary>
/// Facts memoized per symbol of one compilation (a method definition's token overloads, a type's token members),
/// stored in a table that the compilation's <see cref="KnownTypes"/> holds, so they live as long as the compilation's
/// symbols do. Declare one as a <c>static readonly</c> field per fact. Unlike a weak table keyed by the symbol, an
/// entry takes no GC handle: adding one is a dictionary insert (the weak table's inserts and handles were most of
/// the cost of asking about a method called once).
/// </summary>
/// <remarks>
/// Symbols are compared by reference: a compilation hands out one symbol object per declaration (use
/// <c>OriginalDefinition</c> for constructed ones). Two objects for the same symbol would only compute twice.
/// </remarks>
internal sealed class SymbolMemo<TKey, TValue>
    where TKey : class, ISymbol
    where TValue : class
{
    /// <summary>
    /// The value stored for <paramref name="key"/> in <paramref name="types"/>' compilation, computed first when
    /// missing, outside any lock (when two threads race, the first value stored wins; the computation must be
    /// deterministic). Use a static lambda and pass what it needs as <paramref name="state"/>.
    /// </summary>
    public TValue GetOrCompute<TState>(KnownTypes types, TKey key, TState state, Func<TKey, TState, TValue> compute)
    {
        var facts = types.SymbolFacts;
        var memoKey = new SymbolMemoKey(this, key);
        return (TValue)(facts.TryGetValue(memoKey, out var value) ? value : facts.GetOrAdd(memoKey, compute(key, state)));
    }

    /// <summary>The value stored for <paramref name="key"/> in <paramref name="types"/>' compilation, or null when none is yet.</summary>
    public TValue? Peek(KnownTypes types, TKey key)
        => types.SymbolFacts.TryGetValue(new SymbolMemoKey(this, key), out var value) ? (TValue)value : null;
}

/// <summary>A <see cref="SymbolMemo{TKey,TValue}"/> and a symbol, both compared by reference.</summary>
internal readonly struct SymbolMemoKey : IEquatable<SymbolMemoKey>
{
    private readonly object _memo;
    private readonly ISymbol _symbol;

    public SymbolMemoKey(object memo, ISymbol symbol)
    {
        _memo = memo;
        _symbol = symbol;
    }

    public bool Equals(SymbolMemoKey other) => ReferenceEquals(_memo, other._memo) && ReferenceEquals(_symbol, other._symbol);

    public override bool Equals(object? obj) => obj is SymbolMemoKey other && Equals(other);

    public override int GetHashCode() => (RuntimeHelpers.GetHashCode(_memo) * -1521134295) + RuntimeHelpers.GetHashCode(_symbol);
}
