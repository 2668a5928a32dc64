using System.Collections.Immutable;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ConcurrencyAnalyzers.Tests.Conventions;

/// <summary>
/// The package's conventions, as a function from (types, repository files) to violations, so that tests can
/// check the real package and also show that a broken rule is caught.
/// </summary>
public sealed class RuleConventionChecker
{
    private static readonly Regex IdFormat = new(@"^CONC[1-6][0-9]{2}$", RegexOptions.CultureInvariant);

    public required Func<string, bool> DocsPageExists { get; init; }

    public required string ReadmeText { get; init; }

    public required string ReleaseText { get; init; }

    public static RuleConventionChecker ForRepository() => new()
    {
        DocsPageExists = id => File.Exists(RepositoryLayout.PathOf("docs", "rules", id + ".md")),
        ReadmeText = RepositoryLayout.ReadAllText("README.md"),
        ReleaseText = RepositoryLayout.ReadAllText("src", "Analyzers", "AnalyzerReleases.Shipped.md") +
                      RepositoryLayout.ReadAllText("src", "Analyzers", "AnalyzerReleases.Unshipped.md"),
    };

    public static IReadOnlyList<Type> AnalyzerTypes(Assembly assembly) => assembly.GetTypes()
        .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && !typeof(DiagnosticSuppressor).IsAssignableFrom(t))
        .ToList();

    public static IReadOnlyList<Type> SuppressorTypes(Assembly assembly) => assembly.GetTypes()
        .Where(t => !t.IsAbstract && typeof(DiagnosticSuppressor).IsAssignableFrom(t))
        .ToList();

    public static IReadOnlyList<Type> CodeFixTypes(Assembly assembly) => assembly.GetTypes()
        .Where(t => !t.IsAbstract && typeof(CodeFixProvider).IsAssignableFrom(t))
        .ToList();

    public IEnumerable<string> CheckAnalyzer(Type type)
    {
        if (!type.IsSealed)
        {
            yield return $"{type.Name}: analyzers must be sealed";
        }

        // The package ships one analyzer, which hosts every rule; a rule with the attribute of its own would run twice.
        var attribute = type.GetCustomAttribute<DiagnosticAnalyzerAttribute>();
        if (type == typeof(ConcurrencyRulesAnalyzer))
        {
            if (attribute is null || !attribute.Languages.SequenceEqual(new[] { LanguageNames.CSharp }))
            {
                yield return $"{type.Name}: must be [DiagnosticAnalyzer(LanguageNames.CSharp)] only";
            }
        }
        else
        {
            if (attribute is not null)
            {
                yield return $"{type.Name}: a rule has no [DiagnosticAnalyzer] attribute: ConcurrencyRulesAnalyzer hosts it";
            }

            if (ConcurrencyRulesAnalyzer.CreateRules().Count(rule => rule.GetType() == type) != 1)
            {
                yield return $"{type.Name}: must be listed once in ConcurrencyRulesAnalyzer.CreateRules";
            }
        }

        var analyzer = (DiagnosticAnalyzer)Activator.CreateInstance(type)!;
        foreach (var descriptor in analyzer.SupportedDiagnostics)
        {
            foreach (var problem in CheckDescriptor(type.Name, descriptor))
            {
                yield return problem;
            }
        }
    }

    public IEnumerable<string> CheckDescriptor(string owner, DiagnosticDescriptor descriptor)
    {
        var id = descriptor.Id;
        if (!IdFormat.IsMatch(id))
        {
            yield return $"{owner}: ID '{id}' is not of the form CONC<family><nn>";
            yield break;
        }

        if (descriptor.Category != RuleCategories.ForId(id))
        {
            yield return $"{owner}: {id} has category '{descriptor.Category}', expected '{RuleCategories.ForId(id)}'";
        }

        if (descriptor.HelpLinkUri != HelpLinks.For(id) || !descriptor.HelpLinkUri.EndsWith($"/docs/rules/{id}.md", StringComparison.Ordinal))
        {
            yield return $"{owner}: {id} help link '{descriptor.HelpLinkUri}' is not docs/rules/{id}.md in the repository";
        }

        if (!DocsPageExists(id))
        {
            yield return $"{owner}: {id} has no docs page docs/rules/{id}.md";
        }

        if (!ReadmeText.Contains($"[{id}](docs/rules/{id}.md)", StringComparison.Ordinal))
        {
            yield return $"{owner}: {id} has no row in the README rules table";
        }

        if (!Regex.IsMatch(ReleaseText, $@"^{id}\s*\|\s*{Regex.Escape(descriptor.Category)}\s*\|", RegexOptions.Multiline))
        {
            yield return $"{owner}: {id} is not listed in AnalyzerReleases.*.md with category {descriptor.Category}";
        }

        if (string.IsNullOrWhiteSpace(descriptor.Description.ToString()))
        {
            yield return $"{owner}: {id} has no description";
        }
    }

    public static IEnumerable<string> CheckCodeFix(Type type, ImmutableHashSet<string> analyzerIds)
    {
        if (!type.IsSealed)
        {
            yield return $"{type.Name}: code fixes must be sealed";
        }

        var export = type.GetCustomAttribute<ExportCodeFixProviderAttribute>();
        if (export is null || !export.Languages.SequenceEqual(new[] { LanguageNames.CSharp }))
        {
            yield return $"{type.Name}: must be [ExportCodeFixProvider(LanguageNames.CSharp)] only";
        }

        var fix = (CodeFixProvider)Activator.CreateInstance(type)!;
        if (fix.GetFixAllProvider() is null)
        {
            yield return $"{type.Name}: has no Fix All provider";
        }

        foreach (var id in fix.FixableDiagnosticIds)
        {
            if (!analyzerIds.Contains(id))
            {
                yield return $"{type.Name}: fixes {id}, which no analyzer reports";
            }
        }
    }
}
