using System.Collections.Immutable;
using ConcurrencyAnalyzers.Reliability.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace ConcurrencyAnalyzers.Reliability;

/// <summary>Concurrent analysis repeated 20 times gives the same diagnostics every time.</summary>
public sealed class DeterminismTests
{
    private const int Runs = 20;

    [Theory]
    [MemberData(nameof(SourceCorpus.WholePrograms), MemberType = typeof(SourceCorpus))]
    public async Task Concurrent_analysis_is_deterministic(string program)
    {
        var (trees, implicitUsings, outputKind) = SourceCorpus.WholeProgram(program);
        Assert.NotEmpty(trees);
        await AssertDeterministicAsync(trees, implicitUsings, outputKind);
    }

    private static async Task AssertDeterministicAsync(SyntaxTree[] trees, bool implicitUsings, OutputKind outputKind)
    {
        ImmutableArray<string> first = default;
        for (var run = 0; run < Runs; run++)
        {
            // A new runner and compilation each time: nothing cached between runs.
            var runner = new AnalysisRunner();
            var compilation = runner.Compile(ReferenceSet.Framework, LanguageVersion.Latest, implicitUsings, trees)
                .WithOptions(AnalysisRunner.CompilationOptions.WithOutputKind(outputKind));
            var result = await runner.AnalyzeAsync(compilation);
            Assert.Empty(result.AnalyzerFailures);
            var diagnostics = result.Diagnostics
                .Where(d => d.Id.StartsWith("CONC", StringComparison.Ordinal) || d.IsSuppressed)
                .Select(d => $"{d} suppressed={d.IsSuppressed} [{string.Join(";", d.Properties.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + p.Value))}]" +
                             $" additional=[{string.Join(";", d.AdditionalLocations.Select(l => l.GetLineSpan().ToString()))}]")
                .OrderBy(s => s, StringComparer.Ordinal)
                .ToImmutableArray();
            if (run == 0)
            {
                first = diagnostics;
                Assert.NotEmpty(first);
            }
            else if (!first.SequenceEqual(diagnostics))
            {
                Assert.Fail(
                    $"Run {run + 1} differs from run 1.\nOnly in run 1:\n  " + string.Join("\n  ", first.Except(diagnostics)) +
                    $"\nOnly in run {run + 1}:\n  " + string.Join("\n  ", diagnostics.Except(first)) +
                    $"\n({first.Length} diagnostics in run 1, {diagnostics.Length} in run {run + 1})");
            }
        }
    }
}
