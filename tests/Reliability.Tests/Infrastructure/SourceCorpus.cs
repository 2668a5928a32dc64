using System.Collections.Immutable;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace ConcurrencyAnalyzers.Reliability.Infrastructure;

/// <summary>One C# source the sweep starts from.</summary>
/// <param name="Id">Where it comes from: <c>tests/...Tests.cs#3</c> (the fourth source literal), <c>samples/...cs</c>, <c>generated#12</c>.</param>
/// <param name="ImplicitUsings">Whether it needs the SDK's implicit global usings (the samples do).</param>
public sealed record CorpusSource(string Id, string Text, bool ImplicitUsings);

/// <summary>The sources of the sweep: every C# source string in the tests, every sample file, a generated corpus.</summary>
public static partial class SourceCorpus
{
    public static string RepositoryRoot { get; } = typeof(SourceCorpus).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepositoryRoot").Value!;

    /// <summary>
    /// Every raw or verbatim string literal in <c>tests/**/*.cs</c> that looks like a C# compilation unit, with
    /// the verifier's markup (<c>{|ID:...|}</c>, <c>{|#0:...|}</c>, <c>[|...|]</c>) removed. Duplicates are dropped.
    /// </summary>
    public static ImmutableArray<CorpusSource> TestSources()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var builder = ImmutableArray.CreateBuilder<CorpusSource>();
        foreach (var file in SourceFiles("tests"))
        {
            var relative = Relative(file);
            var root = CSharpSyntaxTree.ParseText(File.ReadAllText(file)).GetRoot();
            var index = 0;
            foreach (var token in root.DescendantTokens())
            {
                if (!IsSourceLiteral(token))
                {
                    continue;
                }

                var text = StripMarkup(token.ValueText);
                if (LooksLikeCSharp(text) && seen.Add(text))
                {
                    builder.Add(new CorpusSource($"{relative}#{index}", text, ImplicitUsings: false));
                }

                index++;
            }
        }

        return builder.ToImmutable();
    }

    /// <summary>Every <c>samples/**/*.cs</c> file (they build with the SDK's implicit usings).</summary>
    public static ImmutableArray<CorpusSource> SampleSources()
        => SourceFiles("samples")
            .Select(f => new CorpusSource(Relative(f), File.ReadAllText(f), ImplicitUsings: true))
            .ToImmutableArray();

    /// <summary>The whole programs that checks across all rules run on (<see cref="WholeProgram"/>).</summary>
    public static TheoryData<string> WholePrograms => new() { "showcase", "generated" };

    /// <summary>
    /// <c>showcase</c>: the samples, a console app with the SDK's implicit usings; <c>generated</c>: a generated
    /// library of 16 files.
    /// </summary>
    public static (SyntaxTree[] Trees, bool ImplicitUsings, OutputKind OutputKind) WholeProgram(string name) => name switch
    {
        "showcase" => (SampleTrees(), true, OutputKind.ConsoleApplication),
        "generated" => (GeneratedTrees(16), false, OutputKind.DynamicallyLinkedLibrary),
        _ => throw new ArgumentException("unknown program " + name, nameof(name)),
    };

    /// <summary>The sample files as one compilation's trees (paths relative to the repository), as a build of them sees them.</summary>
    public static SyntaxTree[] SampleTrees()
        => SourceFiles("samples")
            .Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), AnalysisRunner.ParseOptions(LanguageVersion.Latest), Relative(f)))
            .ToArray();

    /// <summary>A generated corpus of <paramref name="count"/> files as one compilation's trees (<c>Generated{i}.cs</c>).</summary>
    public static SyntaxTree[] GeneratedTrees(int count)
        => CorpusGenerator.Generate(Seeds.Base, count)
            .Select((s, i) => CSharpSyntaxTree.ParseText(s.Text, AnalysisRunner.ParseOptions(LanguageVersion.Latest), $"Generated{i}.cs"))
            .ToArray();

    public static IEnumerable<string> SourceFiles(string folder)
    {
        var root = Path.Combine(RepositoryRoot, folder);
        if (!Directory.Exists(root))
        {
            return Array.Empty<string>();
        }

        return Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(f => !IsBuildOutput(Path.GetRelativePath(root, f)))
            .OrderBy(f => f, StringComparer.Ordinal);
    }

    public static string Relative(string path) => Path.GetRelativePath(RepositoryRoot, path).Replace('\\', '/');

    private static bool IsBuildOutput(string relative)
    {
        var parts = relative.Replace('\\', '/').Split('/');
        return parts.Any(p => p is "bin" or "obj");
    }

    private static bool IsSourceLiteral(SyntaxToken token)
    {
        switch ((SyntaxKind)token.RawKind)
        {
            case SyntaxKind.SingleLineRawStringLiteralToken:
            case SyntaxKind.MultiLineRawStringLiteralToken:
                return true;
            case SyntaxKind.StringLiteralToken:
                return token.Text.StartsWith("@", StringComparison.Ordinal);
            default:
                return false;
        }
    }

    /// <summary>Removes <c>{|ID:</c>, <c>{|#0:</c>, <c>|}</c>, <c>[|</c> and <c>|]</c>.</summary>
    public static string StripMarkup(string text)
        => MarkupRegex().Replace(text, string.Empty);

    [GeneratedRegex(@"\{\|[^:|{}\s]*:|\|\}|\[\||\|\]")]
    private static partial Regex MarkupRegex();

    private static bool LooksLikeCSharp(string text)
    {
        if (text.Length < 16 || text.TrimStart().StartsWith("root", StringComparison.Ordinal))
        {
            return false;
        }

        var hasDeclaration = Regex.IsMatch(text, @"\b(class|struct|interface|record|namespace|enum|delegate)\b|^\s*using\s", RegexOptions.Multiline);
        return hasDeclaration && (text.Contains('{') || text.Contains(';'));
    }
}
