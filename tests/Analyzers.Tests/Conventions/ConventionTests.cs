using System.Collections.Immutable;
using System.Reflection;
using ConcurrencyAnalyzers.CodeFixes.Lifetime;
using ConcurrencyAnalyzers.Lifetime;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit;

namespace ConcurrencyAnalyzers.Tests.Conventions;

public sealed class ConventionTests
{
    private static readonly Assembly AnalyzerAssembly = typeof(AsyncVoidAnalyzer).Assembly;
    private static readonly Assembly CodeFixAssembly = typeof(AsyncVoidCodeFix).Assembly;

    public static TheoryData<string> Analyzers()
    {
        var data = new TheoryData<string>();
        foreach (var type in RuleConventionChecker.AnalyzerTypes(AnalyzerAssembly))
        {
            data.Add(type.FullName!);
        }

        return data;
    }

    public static TheoryData<string> CodeFixes()
    {
        var data = new TheoryData<string>();
        foreach (var type in RuleConventionChecker.CodeFixTypes(CodeFixAssembly))
        {
            data.Add(type.FullName!);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Analyzers))]
    public void Analyzer_follows_the_conventions(string typeName)
    {
        var problems = RuleConventionChecker.ForRepository().CheckAnalyzer(AnalyzerAssembly.GetType(typeName)!).ToList();
        Assert.Empty(problems);
    }

    [Theory]
    [MemberData(nameof(CodeFixes))]
    public void Code_fix_follows_the_conventions(string typeName)
    {
        var ids = AllAnalyzerIds();
        var problems = RuleConventionChecker.CheckCodeFix(CodeFixAssembly.GetType(typeName)!, ids).ToList();
        Assert.Empty(problems);
    }

    [Fact]
    public void Every_suppressor_is_sealed_and_suppresses_an_sdk_diagnostic_in_favour_of_ours()
    {
        foreach (var type in RuleConventionChecker.SuppressorTypes(AnalyzerAssembly))
        {
            Assert.True(type.IsSealed, type.Name + " must be sealed");
            var suppressor = (DiagnosticSuppressor)Activator.CreateInstance(type)!;
            Assert.NotEmpty(suppressor.SupportedSuppressions);
            foreach (var suppression in suppressor.SupportedSuppressions)
            {
                Assert.DoesNotContain("CONC", suppression.SuppressedDiagnosticId, StringComparison.Ordinal);
                Assert.Contains("CONC", suppression.Justification.ToString(), StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void Every_rule_id_is_defined_once_in_RuleIds_and_each_reported_id_comes_from_it()
    {
        var declared = typeof(RuleIds).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToList();
        Assert.Equal(declared.Count, declared.Distinct().Count());
        Assert.All(AllAnalyzerIds(), id => Assert.Contains(id, declared));
    }

    [Fact]
    public void There_are_analyzers_and_fixes_to_check()
    {
        Assert.NotEmpty(RuleConventionChecker.AnalyzerTypes(AnalyzerAssembly));
        Assert.NotEmpty(RuleConventionChecker.CodeFixTypes(CodeFixAssembly));
    }

    // The checker itself must be able to fail: a rule without docs page, README row or release row is caught.
    [Fact]
    public void Checker_reports_a_rule_without_docs_page_or_readme_row()
    {
        var descriptor = RuleDescriptors.Create("CONC199", "Title", "Message", DiagnosticSeverity.Warning, "Description");
        var checker = new RuleConventionChecker
        {
            DocsPageExists = _ => false,
            ReadmeText = "| [CONC103](docs/rules/CONC103.md) | ... |",
            ReleaseText = "CONC103 | Concurrency.Lifetime | Warning | AsyncVoidAnalyzer",
        };

        var problems = checker.CheckDescriptor("FakeAnalyzer", descriptor).ToList();

        Assert.Contains(problems, p => p.Contains("no docs page", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("no row in the README", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("not listed in AnalyzerReleases", StringComparison.Ordinal));
    }

    [Fact]
    public void Checker_reports_a_wrong_category_and_help_link()
    {
        var descriptor = new DiagnosticDescriptor("CONC103", "Title", "Message", "Concurrency.Locking", DiagnosticSeverity.Warning, true, "Description", "https://example.com/CONC103");
        var checker = ForRealRepository();

        var problems = checker.CheckDescriptor("FakeAnalyzer", descriptor).ToList();

        Assert.Contains(problems, p => p.Contains("category", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("help link", StringComparison.Ordinal));
    }

    [Fact]
    public void Checker_accepts_a_complete_rule()
    {
        Assert.Empty(ForRealRepository().CheckDescriptor("AsyncVoidAnalyzer", AsyncVoidAnalyzer.MethodRule));
    }

    [Fact]
    public void Checker_reports_an_unsealed_analyzer_and_a_fix_without_fix_all()
    {
        var problems = ForRealRepository().CheckAnalyzer(typeof(UnsealedAnalyzer)).ToList();
        Assert.Contains(problems, p => p.Contains("sealed", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("no [DiagnosticAnalyzer] attribute", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("listed once in ConcurrencyRulesAnalyzer", StringComparison.Ordinal));
        Assert.Contains(RuleConventionChecker.CheckCodeFix(typeof(NoFixAllCodeFix), AllAnalyzerIds()), p => p.Contains("Fix All", StringComparison.Ordinal));
    }

    [Fact]
    public void Help_links_derive_from_the_repository_url_in_Directory_Build_props()
    {
        var props = RepositoryLayout.ReadAllText("Directory.Build.props");
        var start = props.IndexOf("<RepositoryUrl>", StringComparison.Ordinal) + "<RepositoryUrl>".Length;
        var url = props[start..props.IndexOf("</RepositoryUrl>", StringComparison.Ordinal)];
        Assert.Equal(url + "/blob/main/docs/rules/CONC103.md", HelpLinks.For("CONC103"));
    }

    private static RuleConventionChecker ForRealRepository() => RuleConventionChecker.ForRepository();

    private static ImmutableHashSet<string> AllAnalyzerIds() => RuleConventionChecker.AnalyzerTypes(AnalyzerAssembly)
        .SelectMany(t => ((DiagnosticAnalyzer)Activator.CreateInstance(t)!).SupportedDiagnostics)
        .Select(d => d.Id)
        .ToImmutableHashSet();

#pragma warning disable RS1001 // deliberately broken types, for the checker's own tests
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public class UnsealedAnalyzer : DiagnosticAnalyzer
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(AsyncVoidAnalyzer.MethodRule);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        }
    }
#pragma warning restore RS1001

    [Microsoft.CodeAnalysis.CodeFixes.ExportCodeFixProvider(LanguageNames.CSharp)]
    public sealed class NoFixAllCodeFix : Microsoft.CodeAnalysis.CodeFixes.CodeFixProvider
    {
        public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create("CONC103");

        public override Microsoft.CodeAnalysis.CodeFixes.FixAllProvider? GetFixAllProvider() => null;

        public override Task RegisterCodeFixesAsync(Microsoft.CodeAnalysis.CodeFixes.CodeFixContext context) => Task.CompletedTask;
    }
}
