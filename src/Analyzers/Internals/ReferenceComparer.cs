using System.Collections.Generic;
using System.Runtime.CompilerServices;

namespace ConcurrencyAnalyzers.Internals;

/// <summary>
/// Compares by reference (netstandard2.0 has no <c>ReferenceEqualityComparer</c>). For caches keyed by objects the
/// compiler hands out once (an operation, a symbol object), where hashing by value would cost more than a miss.
/// </summary>
internal sealed class ReferenceComparer<T> : IEqualityComparer<T>
    where T : class
{
    public static readonly ReferenceComparer<T> Instance = new();

    private ReferenceComparer()
    {
    }

    public bool Equals(T? x, T? y) => ReferenceEquals(x, y);

    public int GetHashCode(T obj) => RuntimeHelpers.GetHashCode(obj);
}
