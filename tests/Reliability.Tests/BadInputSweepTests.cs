using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Text;
using ConcurrencyAnalyzers.Reliability.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;
using Xunit.Abstractions;

namespace ConcurrencyAnalyzers.Reliability;

/// <summary>
/// Every analyzer and suppressor of ours on damaged code: truncated, with tokens deleted or duplicated, with
/// references missing, at C# 7.3, with garbage options. Any analyzer exception fails the test and prints the input.
/// </summary>
public sealed class BadInputSweepTests
{
    /// <summary>The sweep tops the generated corpus up until it tries at least this many inputs.</summary>
    public const int MinimumInputs = 22_000;

    /// <summary>How many failing inputs the failure message prints in full.</summary>
    private const int PrintedFailures = 5;

    /// <summary>Inputs per compilation (each its own syntax tree).</summary>
    private const int BatchSize = 16;

    private readonly ITestOutputHelper _output;

    public BadInputSweepTests(ITestOutputHelper output) => _output = output;

    /// <summary>
    /// Tests and samples, then generated files until the sweep reaches <see cref="MinimumInputs"/> (at least 20).
    /// When tests and samples alone exceed it, each source gets fewer mutations (never fewer than 100 cuts).
    /// </summary>
    public static IReadOnlyList<CorpusSource> Corpus(out int generated, out SweepInputs.Plan plan)
    {
        const int MinimumGenerated = 20;
        var sources = new List<CorpusSource>();
        sources.AddRange(SourceCorpus.TestSources());
        sources.AddRange(SourceCorpus.SampleSources());
        plan = SweepInputs.Plan.For(sources.Count + MinimumGenerated, MinimumInputs);
        var missing = MinimumInputs - (sources.Count * plan.PerSource);
        generated = Math.Max(MinimumGenerated, (missing + plan.PerSource - 1) / plan.PerSource);
        sources.AddRange(CorpusGenerator.Generate(Seeds.Base, generated));
        return sources;
    }

    [Fact]
    public async Task No_analyzer_throws_on_bad_input()
    {
        var corpus = Corpus(out var generated, out var plan);
        var filter = Environment.GetEnvironmentVariable("RELIABILITY_CASE");
        var inputs = corpus
            .SelectMany(s => SweepInputs.For(s, Seeds.Base, plan))
            .Where(i => string.IsNullOrEmpty(filter) || i.CaseId.Contains(filter, StringComparison.Ordinal))
            .ToList();

        var runner = new AnalysisRunner();
        var failures = new ConcurrentBag<(SweepInput[] Inputs, IReadOnlyList<string> Failures)>();
        var perKind = new ConcurrentDictionary<InputKind, int>();
        var diagnosticsReported = 0L;
        var stopwatch = Stopwatch.StartNew();

        // Inputs of one environment are analyzed in batches, one syntax tree each, in one compilation: far cheaper
        // than one compilation per input. A batch where an analyzer throws is analyzed again input by input, to
        // name the input that makes it throw.
        var batches = inputs
            .GroupBy(i => (i.References, i.LanguageVersion, i.ImplicitUsings, i.GarbageOption))
            .SelectMany(g => g.Chunk(string.IsNullOrEmpty(filter) ? BatchSize : 1))
            .ToList();

        await Parallel.ForEachAsync(
            batches,
            new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            async (batch, cancellationToken) =>
            {
                var result = await AnalyzeAsync(runner, batch, cancellationToken);
                foreach (var input in batch)
                {
                    perKind.AddOrUpdate(input.Kind, 1, (_, n) => n + 1);
                }

                Interlocked.Add(ref diagnosticsReported, result.Diagnostics.IsDefault ? 0 : result.Diagnostics.Count(d => d.Id.StartsWith("CONC", StringComparison.Ordinal)));
                if (!result.AnalyzerFailures.IsEmpty)
                {
                    var attributed = false;
                    foreach (var input in batch)
                    {
                        var single = batch.Length == 1 ? result : await AnalyzeAsync(runner, new[] { input }, cancellationToken);
                        if (!single.AnalyzerFailures.IsEmpty)
                        {
                            failures.Add((new[] { input }, single.AnalyzerFailures));
                            attributed = true;
                        }
                    }

                    if (!attributed)
                    {
                        // Only the batch as a whole makes an analyzer throw: report all of it.
                        failures.Add((batch, result.AnalyzerFailures));
                    }
                }

                if (!string.IsNullOrEmpty(filter))
                {
                    _output.WriteLine(Describe(batch, result.AnalyzerFailures));
                    foreach (var diagnostic in result.Diagnostics.Where(d => d.Id.StartsWith("CONC", StringComparison.Ordinal)))
                    {
                        _output.WriteLine("  " + diagnostic);
                    }
                }
            });

        stopwatch.Stop();
        var summary =
            $"Bad-input sweep: {inputs.Count} inputs tried ({string.Join(", ", perKind.OrderBy(p => p.Key).Select(p => $"{p.Value} {p.Key.ToString().ToLowerInvariant()}"))}) " +
            $"from {corpus.Count} sources ({corpus.Count - generated} from tests and samples, {generated} generated; per source {SweepInputs.CutsPerSource} cuts, {plan.Mutations} mutations, {SweepInputs.BaseEnvironmentInputs + (3 * plan.EnvironmentVariants)} environments), " +
            $"{runner.Analyzers.Length} analyzers/suppressors, seed {Seeds.Base}, {diagnosticsReported} CONC diagnostics, " +
            $"{stopwatch.Elapsed.TotalSeconds:0.0} s ({inputs.Count / Math.Max(stopwatch.Elapsed.TotalSeconds, 0.001):0} inputs/s), " +
            $"{failures.Count} inputs made an analyzer throw.";
        _output.WriteLine(summary);
        Summary.Write("sweep", summary);

        if (!failures.IsEmpty)
        {
            var ordered = failures.OrderBy(f => f.Inputs[0].CaseId, StringComparer.Ordinal).ToList();
            var message = new StringBuilder();
            message.AppendLine(summary);
            message.AppendLine("Failing cases (rerun one with RELIABILITY_SEED=" + Seeds.Base + " RELIABILITY_CASE='<case>'; see docs/reliability.md):");
            foreach (var (batch, _) in ordered)
            {
                message.AppendLine("  " + string.Join("  +  ", batch.Select(i => i.CaseId)));
            }

            foreach (var (batch, errors) in ordered.Take(PrintedFailures))
            {
                message.AppendLine().AppendLine(Describe(batch, errors));
            }

            Assert.Fail(message.ToString());
        }

        if (string.IsNullOrEmpty(filter))
        {
            Assert.True(inputs.Count >= 20_000, $"The sweep tried only {inputs.Count} inputs.");
        }
        else
        {
            Assert.True(inputs.Count > 0, $"No case matches RELIABILITY_CASE='{filter}' with RELIABILITY_SEED={Seeds.Base}.");
        }
    }

    [Fact]
    public void The_corpus_holds_the_test_sources_and_samples()
    {
        var tests = SourceCorpus.TestSources();
        var samples = SourceCorpus.SampleSources();
        Assert.NotEmpty(samples);
        Assert.True(tests.Length >= 10, $"Only {tests.Length} sources were extracted from the tests.");
        Assert.All(tests, s => Assert.DoesNotContain("{|", s.Text, StringComparison.Ordinal));
        Assert.All(tests, s => Assert.DoesNotContain("[|", s.Text, StringComparison.Ordinal));
        Assert.NotEmpty(OurComponents.CreateAnalyzers());
        Assert.NotEmpty(OurComponents.CreateCodeFixes());
    }

    [Fact]
    public void Inputs_are_reproducible_from_the_seed()
    {
        var source = CorpusGenerator.Generate(Seeds.Base, 1).Single();
        var first = SweepInputs.For(source, Seeds.Base).ToList();
        var second = SweepInputs.For(source, Seeds.Base).ToList();
        Assert.Equal(first.Select(i => i.CaseId + i.Text), second.Select(i => i.CaseId + i.Text));
        Assert.Equal(first.Count, first.Select(i => i.CaseId).Distinct().Count());
        Assert.True(first.Count(i => i.Kind == InputKind.Truncated) >= 100);
    }

    public static async Task<AnalysisResult> AnalyzeAsync(AnalysisRunner runner, IReadOnlyList<SweepInput> batch, CancellationToken cancellationToken)
    {
        try
        {
            var first = batch[0];
            var trees = batch
                .Select((input, index) => CSharpSyntaxTree.ParseText(
                    input.Text,
                    AnalysisRunner.ParseOptions(input.LanguageVersion),
                    path: $"Input{index}.cs",
                    cancellationToken: cancellationToken))
                .ToArray();
            var compilation = runner.Compile(first.References, first.LanguageVersion, first.ImplicitUsings, trees);
            var options = first.GarbageOption is null ? null : new GarbageOptionsProvider(first.GarbageOption);
            return await runner.AnalyzeAsync(compilation, options, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // An exception that escapes the driver is still ours to report.
            return new AnalysisResult(ImmutableArray<Diagnostic>.Empty, [e.ToString()]);
        }
    }

    private static string Describe(IReadOnlyList<SweepInput> batch, IReadOnlyList<string> errors)
    {
        var text = new StringBuilder();
        var first = batch[0];
        text.AppendLine($"=== {(batch.Count == 1 ? "case" : $"batch of {batch.Count} inputs, compiled together")}: references={first.References} langversion={first.LanguageVersion} implicitUsings={first.ImplicitUsings} option={(first.GarbageOption is null ? "(none)" : "'" + first.GarbageOption + "'")}");
        foreach (var error in errors)
        {
            text.AppendLine("--- exception:");
            text.AppendLine(error.Length <= 4000 ? error : error.Substring(0, 4000) + " ...");
        }

        for (var index = 0; index < batch.Count; index++)
        {
            text.AppendLine($"--- Input{index}.cs: {batch[index].CaseId}");
            text.AppendLine(batch[index].Text);
        }

        text.AppendLine("=== end");
        return text.ToString();
    }
}

/// <summary>Summaries written beside the test assembly; .ci/run prints them (dotnet test hides passing tests' output).</summary>
public static class Summary
{
    public static void Write(string name, string text)
    {
        try
        {
            File.WriteAllText(Path.Combine(AppContext.BaseDirectory, $"reliability-{name}.txt"), text + Environment.NewLine);
        }
        catch (IOException)
        {
            // Reporting only.
        }
    }
}
