using System.Collections.Immutable;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace ConcurrencyAnalyzers.Reliability.Infrastructure;

/// <summary>The kind of damage done to a source.</summary>
public enum InputKind
{
    /// <summary>(a) The source cut off at one position: at a token boundary or inside a token.</summary>
    Truncated,

    /// <summary>(b) One to three random tokens deleted or duplicated.</summary>
    Mutated,

    /// <summary>(c) The source (or a mutated copy) compiled with missing references, an old language version or garbage options.</summary>
    Environment,
}

/// <summary>One input of the sweep. <see cref="CaseId"/> names it uniquely and reproducibly (see docs/reliability.md).</summary>
public sealed record SweepInput(
    string CaseId,
    InputKind Kind,
    string Text,
    ReferenceSet References,
    LanguageVersion LanguageVersion,
    bool ImplicitUsings,
    string? GarbageOption);

/// <summary>Turns corpus sources into sweep inputs, deterministically from <see cref="Seeds.Base"/>.</summary>
public static class SweepInputs
{
    public const int CutsPerSource = 100;

    /// <summary>Mutations per source while the corpus is small; fewer (down to <see cref="MinimumMutations"/>) when it is large.</summary>
    public const int MutationsPerSource = 40;
    public const int MinimumMutations = 10;

    /// <summary>Mutated copies also tried in other environments, while the corpus is small (down to 2 when large).</summary>
    public const int MutatedEnvironmentVariants = 10;

    /// <summary>Environment inputs made from the unmutated source: three reference sets, C# 7.3, garbage options.</summary>
    public const int BaseEnvironmentInputs = 5;

    /// <summary>Values written for every option key in the garbage-options inputs.</summary>
    private static readonly string[] GarbageValues =
    {
        "", " ", "true", "false", "-1", "0", "2147483648", "none", "error", "garbage", ",,;;", "a b c", "System.Threading.Tasks.Task`1",
        "\u00e9\u4e2d", "T:", "M:System.Object.ToString", "*", "\\", "99999999999999999999",
    };

    private static readonly ReferenceSet[] MissingReferenceSets = { ReferenceSet.NoChannels, ReferenceSet.NoTasks, ReferenceSet.None };

    /// <summary>How many inputs each source gives: the full plan, or a thinner one when the corpus alone exceeds the target.</summary>
    public sealed record Plan(int Mutations, int EnvironmentVariants)
    {
        public static Plan Full { get; } = new(MutationsPerSource, MutatedEnvironmentVariants);

        public int PerSource => CutsPerSource + Mutations + BaseEnvironmentInputs + (3 * EnvironmentVariants);

        /// <summary>The full plan while <paramref name="sources"/> x the full count stays under <paramref name="target"/>; else thinner (never fewer than 100 cuts).</summary>
        public static Plan For(int sources, int target)
        {
            if (sources == 0 || sources * Full.PerSource <= target)
            {
                return Full;
            }

            var spare = Math.Max(0, (target / sources) - CutsPerSource - BaseEnvironmentInputs);
            var variants = Math.Clamp(spare / 8, 2, MutatedEnvironmentVariants);
            var mutations = Math.Clamp(spare - (3 * variants), MinimumMutations, MutationsPerSource);
            return new Plan(mutations, variants);
        }
    }

    public static IEnumerable<SweepInput> For(CorpusSource source, int baseSeed)
        => For(source, baseSeed, Plan.Full);

    public static IEnumerable<SweepInput> For(CorpusSource source, int baseSeed, Plan plan)
    {
        var sourceSeed = Seeds.Combine(baseSeed, Seeds.Of(source.Id));
        var tree = CSharpSyntaxTree.ParseText(source.Text, AnalysisRunner.ParseOptions(LanguageVersion.Latest));
        var tokens = tree.GetRoot().DescendantTokens(descendIntoTrivia: true).Where(t => t.Span.Length > 0).ToImmutableArray();

        // (a) truncations
        foreach (var cut in CutPoints(source.Text, tokens, new Random(sourceSeed)))
        {
            yield return Make(source, $"{source.Id} | cut@{cut}", InputKind.Truncated, source.Text.Substring(0, cut));
        }

        // (b) token deletions and duplications
        var mutated = new List<(string Id, string Text)>();
        for (var k = 0; k < plan.Mutations; k++)
        {
            var seed = Seeds.Combine(sourceSeed, k);
            var (text, description) = Mutate(source.Text, tokens, new Random(seed));
            var id = $"{source.Id} | mutate seed={seed} ({description})";
            mutated.Add((id, text));
            yield return Make(source, id, InputKind.Mutated, text);
        }

        // (c) missing references, C# 7.3, garbage options: on the source and on some mutated copies
        foreach (var set in MissingReferenceSets)
        {
            yield return Make(source, $"{source.Id} | refs={set}", InputKind.Environment, source.Text) with { References = set };
        }

        yield return Make(source, $"{source.Id} | langversion=7.3", InputKind.Environment, source.Text) with { LanguageVersion = LanguageVersion.CSharp7_3 };
        var garbage = GarbageValues[sourceSeed % GarbageValues.Length];
        yield return Make(source, $"{source.Id} | options='{garbage}'", InputKind.Environment, source.Text) with { GarbageOption = garbage };

        for (var v = 0; v < plan.EnvironmentVariants && v < mutated.Count; v++)
        {
            var (id, text) = mutated[v * mutated.Count / plan.EnvironmentVariants];
            yield return Make(source, id + " | refs=NoTasks", InputKind.Environment, text) with { References = ReferenceSet.NoTasks };
            yield return Make(source, id + " | refs=None", InputKind.Environment, text) with { References = ReferenceSet.None };
            var value = GarbageValues[(sourceSeed + v + 1) % GarbageValues.Length];
            yield return Make(source, id + $" | options='{value}'", InputKind.Environment, text) with { GarbageOption = value };
        }
    }

    private static SweepInput Make(CorpusSource source, string id, InputKind kind, string text)
        => new(id, kind, text, ReferenceSet.Framework, LanguageVersion.Latest, source.ImplicitUsings, GarbageOption: null);

    /// <summary>
    /// <see cref="CutsPerSource"/> distinct cut points (all positions when the text is shorter): half at token
    /// boundaries, half inside tokens (comments and string contents included), spread over the whole file.
    /// </summary>
    public static IEnumerable<int> CutPoints(string text, ImmutableArray<SyntaxToken> tokens, Random random)
    {
        if (text.Length + 1 <= CutsPerSource)
        {
            return Enumerable.Range(0, text.Length + 1);
        }

        var boundaries = tokens.SelectMany(t => new[] { t.SpanStart, t.Span.End }).Distinct().OrderBy(p => p).ToList();
        var inside = tokens.Where(t => t.Span.Length >= 2).ToList();
        var cuts = new SortedSet<int>();
        var half = CutsPerSource / 2;
        for (var i = 0; i < half && boundaries.Count > 0; i++)
        {
            cuts.Add(boundaries[(int)((long)i * boundaries.Count / half)]);
        }

        for (var i = 0; i < half && inside.Count > 0; i++)
        {
            var token = inside[(int)((long)i * inside.Count / half)];
            cuts.Add(token.SpanStart + 1 + random.Next(token.Span.Length - 1));
        }

        // Trivia: inside comments and whitespace too.
        while (cuts.Count < CutsPerSource)
        {
            cuts.Add(random.Next(text.Length + 1));
        }

        return cuts;
    }

    /// <summary>Deletes or duplicates one to three tokens (a duplicate keeps the token's trivia, so it is a real second token).</summary>
    public static (string Text, string Description) Mutate(string text, ImmutableArray<SyntaxToken> tokens, Random random)
    {
        if (tokens.IsEmpty)
        {
            return (text, "no tokens");
        }

        var edits = new SortedDictionary<int, (int Start, int Length, string Replacement, string What)>();
        var count = 1 + random.Next(3);
        for (var i = 0; i < count; i++)
        {
            var index = random.Next(tokens.Length);
            var token = tokens[index];
            if (edits.ContainsKey(index))
            {
                continue;
            }

            edits[index] = random.Next(2) == 0
                ? (token.SpanStart, token.Span.Length, string.Empty, $"delete '{Short(token.Text)}'@{token.SpanStart}")
                : (token.SpanStart, token.Span.Length, token.Text + " " + token.Text, $"duplicate '{Short(token.Text)}'@{token.SpanStart}");
        }

        var builder = new StringBuilder(text);
        foreach (var edit in edits.Values.OrderByDescending(e => e.Start))
        {
            builder.Remove(edit.Start, edit.Length).Insert(edit.Start, edit.Replacement);
        }

        return (builder.ToString(), string.Join(", ", edits.Values.Select(e => e.What)));
    }

    private static string Short(string text)
    {
        var line = text.Replace("\r", "\\r").Replace("\n", "\\n");
        return line.Length <= 20 ? line : line.Substring(0, 20) + "...";
    }
}
