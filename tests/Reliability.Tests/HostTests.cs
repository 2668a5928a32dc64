using System.Collections.Immutable;
using ConcurrencyAnalyzers.Reliability.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit;

namespace ConcurrencyAnalyzers.Reliability;

/// <summary>
/// The package ships one analyzer that runs every rule (ConcurrencyRulesAnalyzer); the rules' own tests run each rule
/// as an analyzer of its own. On the showcase and on a generated corpus both ways must report the same diagnostics,
/// message, properties and additional locations included.
/// </summary>
public sealed class HostTests
{
    [Theory]
    [MemberData(nameof(SourceCorpus.WholePrograms), MemberType = typeof(SourceCorpus))]
    public async Task The_hosted_rules_report_what_the_rules_report_on_their_own(string program)
    {
        var (trees, implicitUsings, outputKind) = SourceCorpus.WholeProgram(program);
        Assert.NotEmpty(trees);
        await AssertSameAsync(trees, implicitUsings, outputKind);
    }

    private static async Task AssertSameAsync(SyntaxTree[] trees, bool implicitUsings, OutputKind outputKind)
    {
        var rules = OurComponents.CreateRules();
        var hosts = OurComponents.CreateAnalyzers().Where(a => a is not DiagnosticSuppressor).ToImmutableArray();
        Assert.NotEmpty(rules);
        Assert.Single(hosts);

        var alone = await DiagnosticsAsync(new AnalysisRunner(rules), trees, implicitUsings, outputKind);
        var hosted = await DiagnosticsAsync(new AnalysisRunner(hosts), trees, implicitUsings, outputKind);

        Assert.NotEmpty(alone);
        if (!alone.SequenceEqual(hosted))
        {
            Assert.Fail(
                "Only when the rules run on their own:\n  " + string.Join("\n  ", alone.Except(hosted)) +
                "\nOnly when hosted:\n  " + string.Join("\n  ", hosted.Except(alone)) +
                $"\n({alone.Length} diagnostics on their own, {hosted.Length} hosted)");
        }
    }

    private static async Task<ImmutableArray<string>> DiagnosticsAsync(AnalysisRunner runner, SyntaxTree[] trees, bool implicitUsings, OutputKind outputKind)
    {
        var compilation = runner.Compile(ReferenceSet.Framework, LanguageVersion.Latest, implicitUsings, trees)
            .WithOptions(AnalysisRunner.CompilationOptions.WithOutputKind(outputKind));
        var result = await runner.AnalyzeAsync(compilation);
        Assert.Empty(result.AnalyzerFailures);
        return result.Diagnostics
            .Where(d => d.Id.StartsWith("CONC", StringComparison.Ordinal))
            .Select(d => $"{d} [{string.Join(";", d.Properties.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + p.Value))}]" +
                         $" additional=[{string.Join(";", d.AdditionalLocations.Select(l => l.GetLineSpan().ToString()))}]")
            .OrderBy(s => s, StringComparer.Ordinal)
            .ToImmutableArray();
    }
}
