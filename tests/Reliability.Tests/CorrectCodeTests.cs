using System.Collections.Immutable;
using ConcurrencyAnalyzers.Reliability.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace ConcurrencyAnalyzers.Reliability;

/// <summary>
/// <c>samples/CorrectCode</c> is idiomatic, correct concurrent code full of near misses. Precision first: no CONC
/// diagnostic of any severity (Info included) may land on it, with every rule at its default severity.
/// </summary>
public sealed class CorrectCodeTests
{
    [Fact]
    public async Task No_rule_reports_anything_on_the_correct_code_sample()
    {
        var files = SourceCorpus.SourceFiles("samples/CorrectCode").ToList();
        Assert.NotEmpty(files);
        var trees = files
            .Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), AnalysisRunner.ParseOptions(LanguageVersion.Latest), SourceCorpus.Relative(f)))
            .ToArray();
        var runner = new AnalysisRunner();
        var compilation = runner.Compile(ReferenceSet.Framework, LanguageVersion.Latest, implicitUsings: true, trees)
            
            .WithOptions(AnalysisRunner.CompilationOptions.WithSpecificDiagnosticOptions(System.Collections.Immutable.ImmutableDictionary<string, ReportDiagnostic>.Empty)); // default severities: rules off by default stay off

        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, "the sample must compile:\n" + string.Join("\n", errors));

        var result = await runner.AnalyzeAsync(compilation);
        Assert.Empty(result.AnalyzerFailures);
        var ours = result.Diagnostics
            .Where(d => d.Id.StartsWith("CONC", StringComparison.Ordinal) && !d.IsSuppressed && d.Severity != DiagnosticSeverity.Hidden)
            .Select(d => d.ToString())
            .OrderBy(s => s, StringComparer.Ordinal)
            .ToList();
        Assert.True(ours.Count == 0, "CONC diagnostics on correct code:\n" + string.Join("\n", ours));
    }
}
