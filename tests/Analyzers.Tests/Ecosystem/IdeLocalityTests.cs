using System.Collections.Immutable;
using ConcurrencyAnalyzers.Tests.Conventions;
using ConcurrencyAnalyzers.Tests.Verifiers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit;

namespace ConcurrencyAnalyzers.Tests.Ecosystem;

/// <summary>
/// The IDE analyzes one document at a time and shows a diagnostic as a squiggle only when the driver files it under
/// that document ("local"). A diagnostic that an operation action reports outside the operation it was given (another
/// statement of the method, say) is filed as non-local: a build prints it, but the editor shows it only with full
/// solution analysis on. The code fix tests catch this for fixable diagnostics; this test catches it for every rule,
/// on the showcase, which has a bug for each.
/// </summary>
public sealed class IdeLocalityTests
{
    private const string ImplicitUsings =
        "global using System; global using System.Collections.Generic; global using System.IO; global using System.Linq; " +
        "global using System.Net.Http; global using System.Threading; global using System.Threading.Tasks;";

    [Fact]
    public async Task Every_diagnostic_on_the_showcase_is_local_to_its_document()
    {
        var parseOptions = new CSharpParseOptions(LanguageVersion.Latest);
        var trees = Directory.GetFiles(RepositoryLayout.PathOf("samples", "Showcase"), "*.cs")
            .Select(path => CSharpSyntaxTree.ParseText(File.ReadAllText(path), parseOptions, path))
            .Append(CSharpSyntaxTree.ParseText(ImplicitUsings, parseOptions, "Usings.cs"));
        var references = await TestReferences.Net80.ResolveAsync(LanguageNames.CSharp, CancellationToken.None);
        var compilation = CSharpCompilation.Create(
            "Showcase",
            trees,
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));

        var analyzer = new ConcurrencyRulesAnalyzer();
        var result = await compilation
            .WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(analyzer), new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty))
            .GetAnalysisResultAsync(CancellationToken.None);

        var nonLocal = result.CompilationDiagnostics.Values.SelectMany(d => d).Select(d => d.ToString()).ToList();
        Assert.Empty(nonLocal);

        // Every rule that is on by default reports on the showcase, through the host, as a local diagnostic.
        var localIds = result.SemanticDiagnostics.Values.Concat(result.SyntaxDiagnostics.Values)
            .SelectMany(byAnalyzer => byAnalyzer.Values)
            .SelectMany(d => d)
            .Select(d => d.Id)
            .ToHashSet(StringComparer.Ordinal);
        var onByDefault = analyzer.SupportedDiagnostics.Where(d => d.IsEnabledByDefault).Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(onByDefault.Order(StringComparer.Ordinal), localIds.Order(StringComparer.Ordinal));
    }
}
