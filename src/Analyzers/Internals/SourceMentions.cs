using System;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ConcurrencyAnalyzers.Internals;

/// <summary>
/// Whether the source text of a piece of syntax names one of a few identifiers: a test read before any semantic
/// question. A rule that walks a whole body for the calls of a few named APIs (<c>Rent</c>, <c>CreateBounded</c>,
/// <c>Monitor.Enter</c>) asks first whether the body's text names them at all; most bodies do not, and are then left
/// without walking their operations (nor building their <see cref="OperationIndex"/>, when no other rule walks them).
/// </summary>
/// <remarks>
/// A mention is a whole identifier (or keyword) in plain text: one in a comment or a string counts too, so "mentions"
/// can be true where the walk then finds nothing. "Does not mention" is exact for what is always written out where it
/// is used: keywords, and the names of explicitly called methods and referenced members (an identifier written with
/// a Unicode escape is not recognized; nobody writes <c>\u0057ait()</c>). It is not for calls the compiler makes for
/// the code (a query expression's <c>Select</c>, a collection initializer's <c>Add</c>, an interpolated string's
/// <c>AppendFormatted</c>): gate only on names that no such implicit call has.
/// </remarks>
internal static class SourceMentions
{
    // One string per tree: for text parsed from a string (the compiler's, the IDE's) this is the text's own string.
    private static readonly ConditionalWeakTable<SyntaxTree, string> Texts = new();

    /// <summary>
    /// Whether the declarations of <paramref name="symbol"/> (every part of a partial type, nested types included)
    /// mention one of <paramref name="names"/>: a type-wide gate for a rule that follows the type from symbol start to
    /// symbol end.
    /// </summary>
    public static bool Any(ISymbol symbol, NameSet names)
    {
        foreach (var reference in symbol.DeclaringSyntaxReferences)
        {
            if (Any(reference.GetSyntax(), names))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// <see cref="Any(ISymbol, NameSet)"/> for a type, read once per type and name set in a compilation: several rules
    /// gate on the same names at the same type's symbol start (the lock names, the names of what counts as locked).
    /// </summary>
    public static bool Any(INamedTypeSymbol type, NameSet names, KnownTypes types)
        => ReferenceEquals(names.TypeAnswers.GetOrCompute(types, type, (names, types), static (t, s) => Answer(t, s.names, s.types)), Yes);

    /// <summary>
    /// The text search of <see cref="Any(ISymbol, NameSet)"/>, left out when the answer of a narrower set (<see
    /// cref="NameSet.Covering"/>) for the type already gives it: the narrower set's "yes" is this set's "yes". A "no" of
    /// this set is stored as the narrower set's too, so that whichever rule asks second does not search again.
    /// </summary>
    private static object Answer(INamedTypeSymbol type, NameSet names, KnownTypes types)
    {
        var narrower = names.Narrower;
        if (narrower is not null)
        {
            var known = narrower.TypeAnswers.Peek(types, type);
            if (ReferenceEquals(known, Yes))
            {
                return Yes;
            }

            if (ReferenceEquals(known, No))
            {
                // No name of the narrower set is in the text: only the cores that find the others are searched for.
                return Any(type, names.BesideNarrower!) ? Yes : No;
            }
        }

        if (Any(type, names))
        {
            return Yes;
        }

        narrower?.TypeAnswers.GetOrCompute(types, type, 0, static (_, _) => No);
        return No;
    }

    /// <summary>
    /// Registers <paramref name="action"/> for the operation blocks of the members of each type that <paramref name="watch"/>
    /// accepts (a type-wide text test, such as <see cref="Any(INamedTypeSymbol, NameSet, KnownTypes)"/>, for a rule that
    /// can report only in a body whose text names something): the members of the other types (most) are then not called
    /// for at all. The driver runs a type's registrations for its own members only (a nested type has a symbol start of
    /// its own, and so has the type it declares for top-level statements, whose declaration is the compilation unit).
    /// </summary>
    public static void RegisterBlockActionInTypes(CompilationStartAnalysisContext start, Func<INamedTypeSymbol, bool> watch, Action<OperationBlockAnalysisContext> action)
        => start.RegisterSymbolStartAction(
            s =>
            {
                if (watch((INamedTypeSymbol)s.Symbol))
                {
                    s.RegisterOperationBlockAction(action);
                }
            },
            SymbolKind.NamedType);

    private static readonly object Yes = new();
    private static readonly object No = new();

    /// <summary>Whether the text of <paramref name="node"/> (its span, trivia inside it included) contains one of the names of <paramref name="names"/>.</summary>
    public static bool Any(SyntaxNode node, NameSet names)
    {
        var span = node.Span;
        var source = node.SyntaxTree.GetText();
        if (span.End > source.Length)
        {
            return true; // not this tree's text after all: say "maybe", and let the walk decide
        }

        // A file's text as one string, kept for as long as the tree: for text read into a string (the compiler's and
        // the IDE's, up to large files) that is the text's own string. A very large file is read piece by piece.
        string text;
        int start;
        if (source.Length <= WholeTextLimit)
        {
            text = Texts.GetValue(node.SyntaxTree, static tree => tree.GetText().ToString());
            start = span.Start;
        }
        else
        {
            text = source.ToString(span);
            start = 0;
        }

        var end = start + span.Length;
        foreach (var core in names.Cores)
        {
            var at = start;
            while (at < end && (at = text.IndexOf(core, at, end - at, StringComparison.Ordinal)) >= 0)
            {
                if (names.Counts(text, at, core, start, end))
                {
                    return true;
                }

                at += core.Length;
            }
        }

        return false;
    }

    private const int WholeTextLimit = 1 << 20;
}

/// <summary>
/// Identifiers to look for with <see cref="SourceMentions.Any(SyntaxNode, NameSet)"/>: a few substrings searched for
/// (the cores), and the whole identifiers that count when one of them is found inside one (every name contains a
/// core); or conventions, where any identifier containing a core (<see cref="OrContaining"/>) or starting with one
/// (<see cref="OrStartingWith"/>) counts.
/// </summary>
internal sealed class NameSet
{
    private readonly string[] _names;
    private readonly string[] _containing;
    private readonly string[] _startingWith;

    /// <param name="cores">Substrings to search for; every one of <paramref name="names"/> contains one.</param>
    /// <param name="names">The whole identifiers that count.</param>
    public NameSet(string[] cores, params string[] names)
        : this(cores, names, Array.Empty<string>(), Array.Empty<string>())
    {
        foreach (var name in names)
        {
            if (Array.FindIndex(cores, core => name.IndexOf(core, StringComparison.Ordinal) >= 0) < 0)
            {
                throw new ArgumentException($"'{name}' contains none of the cores", nameof(names));
            }
        }
    }

    private NameSet(string[] cores, string[] names, string[] containing, string[] startingWith, NameSet? narrower = null, NameSet? besideNarrower = null)
    {
        Cores = cores;
        _names = names;
        _containing = containing;
        _startingWith = startingWith;
        Narrower = narrower;
        BesideNarrower = besideNarrower;
    }

    /// <summary>Names that are their own core.</summary>
    public static NameSet Of(params string[] names) => new(names, names);

    /// <summary>
    /// The keywords of a loop with a condition (<c>while</c>, <c>do ... while</c>, <c>for</c>): one set for the rules
    /// that follow only the types that have one, so that a type's text is searched for them once, not once per rule.
    /// </summary>
    public static NameSet ConditionLoopKeywords { get; } = Of("while", "for");

    internal string[] Cores { get; }

    internal string[] Names => _names;

    /// <summary>Per type of a compilation, whether it mentions this set (see <see cref="SourceMentions.Any(INamedTypeSymbol, NameSet, KnownTypes)"/>).</summary>
    internal SymbolMemo<INamedTypeSymbol, object> TypeAnswers { get; } = new();

    /// <summary>A set every identifier of which counts for this one too (see <see cref="Covering"/>).</summary>
    internal NameSet? Narrower { get; }

    /// <summary>
    /// With <see cref="Narrower"/>: this set with only the cores needed to find its identifiers in a text that has
    /// none of the narrower set's names (the cores of its conventions, and one core of each of its other names).
    /// </summary>
    internal NameSet? BesideNarrower { get; }

    /// <summary>
    /// This set, known to count every identifier that <paramref name="narrower"/> counts (every one of its names is
    /// one of this set's, or contains one of its <see cref="OrContaining"/> parts, or starts with one of its <see
    /// cref="OrStartingWith"/> prefixes): a type that mentions <paramref name="narrower"/> mentions this set, and one
    /// that does not mention this set does not mention <paramref name="narrower"/>; <see
    /// cref="SourceMentions.Any(INamedTypeSymbol, NameSet, KnownTypes)"/> then searches a type's text for one of them only.
    /// </summary>
    public NameSet Covering(NameSet narrower)
    {
        if (narrower._containing.Length + narrower._startingWith.Length > 0)
        {
            throw new ArgumentException("a convention cannot be checked", nameof(narrower));
        }

        foreach (var name in narrower._names)
        {
            if (!CountsWhole(name))
            {
                throw new ArgumentException($"'{name}' does not count for this set", nameof(narrower));
            }
        }

        // A name is found through any core it contains (Counts compares the whole identifier with the names whatever
        // core found it); a convention only through its own core.
        var kept = new System.Collections.Generic.List<string>(_containing);
        kept.AddRange(_startingWith);
        foreach (var name in _names)
        {
            if (Array.IndexOf(narrower._names, name) < 0 && !kept.Exists(core => name.IndexOf(core, StringComparison.Ordinal) >= 0))
            {
                kept.Add(Array.Find(Cores, core => name.IndexOf(core, StringComparison.Ordinal) >= 0));
            }
        }

        var beside = new NameSet(Array.FindAll(Cores, kept.Contains), _names, _containing, _startingWith);
        return new(Cores, _names, _containing, _startingWith, narrower, beside);
    }

    /// <summary>Whether the identifier <paramref name="name"/>, written alone, counts (one of the cores found in it does).</summary>
    private bool CountsWhole(string name)
    {
        foreach (var core in Cores)
        {
            for (var at = name.IndexOf(core, StringComparison.Ordinal); at >= 0; at = name.IndexOf(core, at + 1, StringComparison.Ordinal))
            {
                if (Counts(name, at, core, 0, name.Length))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>This set, and also every identifier that contains one of <paramref name="parts"/> (a naming convention: <c>*Locked</c>).</summary>
    public NameSet OrContaining(params string[] parts) => new(Concat(Cores, parts), _names, Concat(_containing, parts), _startingWith);

    /// <summary>This set, and also every identifier that starts with one of <paramref name="prefixes"/> (underscores before it aside).</summary>
    public NameSet OrStartingWith(params string[] prefixes) => new(Concat(Cores, prefixes), _names, _containing, Concat(_startingWith, prefixes));

    /// <summary>Whether the identifier around <c>text[at..at+core.Length]</c> (within <c>text[start..end]</c>) counts.</summary>
    internal bool Counts(string text, int at, string core, int start, int end)
    {
        if (Array.IndexOf(_containing, core) >= 0)
        {
            return true;
        }

        var first = at;
        while (first > start && IsIdentifierPart(text[first - 1]))
        {
            first--;
        }

        if (Array.IndexOf(_startingWith, core) >= 0)
        {
            var letter = first;
            while (letter < at && text[letter] == '_')
            {
                letter++;
            }

            if (letter == at)
            {
                return true;
            }
        }

        var last = at + core.Length;
        while (last < end && IsIdentifierPart(text[last]))
        {
            last++;
        }

        foreach (var name in _names)
        {
            if (name.Length == last - first && string.CompareOrdinal(text, first, name, 0, name.Length) == 0)
            {
                return true;
            }
        }

        return false;
    }

    private static string[] Concat(string[] first, string[] second)
    {
        var all = new string[first.Length + second.Length];
        first.CopyTo(all, 0);
        second.CopyTo(all, first.Length);
        return all;
    }

    private static bool IsIdentifierPart(char c) => c == '_' || char.IsLetterOrDigit(c);
}
