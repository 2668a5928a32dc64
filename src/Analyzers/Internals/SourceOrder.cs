using Microsoft.CodeAnalysis;

namespace ConcurrencyAnalyzers.Internals;

/// <summary>
/// Source order of locations (file path, then position). Facts gathered by concurrent callbacks arrive in any order;
/// a rule whose message names one of several candidates sorts them first, so every build says the same thing.
/// </summary>
internal static class SourceOrder
{
    public static int Compare(Location x, Location y)
    {
        var byFile = string.CompareOrdinal(x.SourceTree?.FilePath, y.SourceTree?.FilePath);
        return byFile != 0 ? byFile : x.SourceSpan.Start.CompareTo(y.SourceSpan.Start);
    }

    /// <summary>Where <paramref name="symbol"/> is first declared (<see cref="Location.None"/> when it has no location).</summary>
    public static Location Of(ISymbol symbol) => symbol.Locations.IsEmpty ? Location.None : symbol.Locations[0];
}
