using System.Collections.Concurrent;
using ConcurrencyAnalyzers.Reliability.Infrastructure;
using Microsoft.CodeAnalysis;
using Xunit;
using Xunit.Abstractions;

namespace ConcurrencyAnalyzers.Reliability;

/// <summary>
/// Fix All for every fixable rule, on the showcase and on every source in the tests: no new compiler error, every
/// comment kept, and a second Fix All changes nothing.
/// </summary>
public sealed class FixSafetyTests
{
    private readonly ITestOutputHelper _output;

    public FixSafetyTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task Fix_All_on_the_showcase_compiles_keeps_comments_and_is_idempotent()
    {
        var samples = SourceCorpus.SourceFiles("samples/Showcase")
            .Select(f => (Path.GetFileName(f), File.ReadAllText(f)))
            .ToList();
        Assert.NotEmpty(samples);
        var checker = new FixAllChecker();
        var problems = await checker.CheckAsync(FixAllChecker.CreateSolution(samples, OutputKind.ConsoleApplication, implicitUsings: true), "showcase");

        var fixable = OurComponents.CreateCodeFixes().SelectMany(f => f.FixableDiagnosticIds).Distinct().OrderBy(i => i).ToList();
        var summary = $"Fix All on the showcase: {checker.Exercised.Count} (fix, rule, equivalence key) runs for {fixable.Count} fixable IDs ({string.Join(", ", fixable)}); " +
                      $"{problems.Count} problems.\n  " + string.Join("\n  ", checker.Exercised);
        _output.WriteLine(summary);
        Summary.Write("fix-showcase", summary);
        Assert.True(problems.Count == 0, string.Join("\n\n", problems));
        Assert.NotEmpty(checker.Exercised);
    }

    [Fact]
    public async Task Fix_All_started_like_dotnet_format_fixes_every_rule_that_has_a_fixable_diagnostic()
    {
        var samples = SourceCorpus.SourceFiles("samples/Showcase")
            .Select(f => (Path.GetFileName(f), File.ReadAllText(f)))
            .ToList();
        var checker = new FixAllChecker();
        var problems = await checker.CheckFormatStyleAsync(FixAllChecker.CreateSolution(samples, OutputKind.ConsoleApplication, implicitUsings: true), "showcase");
        var summary = $"Fix All started like dotnet format on the showcase: {checker.Exercised.Count} rules; {problems.Count} problems.\n  " +
                      string.Join("\n  ", checker.Exercised);
        _output.WriteLine(summary);
        Summary.Write("fix-format-style", summary);
        Assert.True(problems.Count == 0, string.Join("\n\n", problems));
        Assert.Contains(checker.Exercised, e => e.Contains("an unfixable diagnostic", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Fix_All_on_every_test_source_compiles_keeps_comments_and_is_idempotent()
    {
        var sources = SourceCorpus.TestSources();
        var problems = new ConcurrentBag<string>();
        var exercised = 0;
        await Parallel.ForEachAsync(
            sources,
            new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            async (source, cancellationToken) =>
            {
                var checker = new FixAllChecker();
                var solution = FixAllChecker.CreateSolution(new[] { ("Test0.cs", source.Text) }, OutputKind.DynamicallyLinkedLibrary, implicitUsings: false);
                foreach (var problem in await checker.CheckAsync(solution, source.Id, cancellationToken))
                {
                    problems.Add(problem + "\n--- source:\n" + source.Text);
                }

                Interlocked.Add(ref exercised, checker.Exercised.Count);
            });

        var summary = $"Fix All on {sources.Length} test sources: {exercised} (fix, rule, equivalence key) runs; {problems.Count} problems.";
        _output.WriteLine(summary);
        Summary.Write("fix-tests", summary);
        Assert.True(problems.IsEmpty, string.Join("\n\n", problems.OrderBy(p => p, StringComparer.Ordinal)));
    }
}
