using System.Text;
using ConcurrencyAnalyzers.Lifetime;
using ConcurrencyAnalyzers.Tests.Conventions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit;

namespace ConcurrencyAnalyzers.Tests.Ecosystem;

/// <summary>
/// The <c>ConcurrencyAnalysisMode</c> presets are generated from the rule descriptors. When a rule is added, run
/// <c>CONC_UPDATE_PRESETS=1 dotnet test Analyzers.sln --filter FullyQualifiedName~PresetTests</c> to regenerate them.
/// </summary>
public sealed class PresetTests
{
    public static readonly string[] Modes = { "Recommended", "Strict", "None" };

    [Theory]
    [InlineData("Recommended")]
    [InlineData("Strict")]
    [InlineData("None")]
    public void Preset_file_matches_the_rules(string mode)
    {
        var path = RepositoryLayout.PathOf("src", "Package", "config", $"ConcurrencyAnalyzers.{mode}.globalconfig");
        var expected = Generate(mode);
        if (Environment.GetEnvironmentVariable("CONC_UPDATE_PRESETS") == "1")
        {
            File.WriteAllText(path, expected);
        }

        Assert.True(File.Exists(path), $"{path} is missing: run with CONC_UPDATE_PRESETS=1");
        Assert.Equal(expected, File.ReadAllText(path).ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Strict_names_every_rule_that_is_off_by_default_and_None_turns_them_off()
    {
        foreach (var descriptor in Descriptors().Where(d => !d.IsEnabledByDefault))
        {
            Assert.Contains($"dotnet_diagnostic.{descriptor.Id}.severity = warning", Generate("Strict"), StringComparison.Ordinal);
            Assert.Contains($"dotnet_diagnostic.{descriptor.Id}.severity = none", Generate("None"), StringComparison.Ordinal);
        }

        foreach (var category in Categories())
        {
            Assert.Contains($"dotnet_analyzer_diagnostic.category-{category}.severity = warning", Generate("Recommended"), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Presets_are_documented()
    {
        var docs = RepositoryLayout.ReadAllText("docs", "configuration.md");
        foreach (var mode in Modes.Append("Default"))
        {
            Assert.Contains($"`{mode}`", docs, StringComparison.Ordinal);
        }
    }

    internal static string Generate(string mode)
    {
        var text = new StringBuilder();
        text.Append("# ConcurrencyAnalyzers preset '").Append(mode).Append("', selected with <ConcurrencyAnalysisMode>").Append(mode).Append("</ConcurrencyAnalysisMode>.\n");
        text.Append("# Generated from the rule descriptors by tests/Analyzers.Tests/Ecosystem/PresetTests.cs: do not edit by hand.\n");
        text.Append("# Entries in your own .editorconfig win over these.\n");
        text.Append("is_global = true\n");
        text.Append("global_level = -90\n\n");

        var severity = mode == "None" ? "none" : "warning";

        // Category keys reach every rule that is on by default, and leave per-rule keys in the user's files in charge.
        foreach (var category in Categories())
        {
            text.Append("dotnet_analyzer_diagnostic.category-").Append(category).Append(".severity = ").Append(severity).Append('\n');
        }

        // Rules that are off by default are reached only by their own key.
        var offByDefault = Descriptors().Where(d => !d.IsEnabledByDefault).Select(d => d.Id).Distinct().OrderBy(id => id, StringComparer.Ordinal).ToList();
        if (mode != "Recommended" && offByDefault.Count > 0)
        {
            text.Append('\n');
            foreach (var id in offByDefault)
            {
                text.Append("dotnet_diagnostic.").Append(id).Append(".severity = ").Append(severity).Append('\n');
            }
        }

        return text.ToString();
    }

    private static IEnumerable<string> Categories() => new[]
    {
        RuleCategories.Lifetime, RuleCategories.Locking, RuleCategories.SharedState,
        RuleCategories.Cancellation, RuleCategories.Primitives, RuleCategories.Coordination,
    };

    internal static IEnumerable<DiagnosticDescriptor> Descriptors() => RuleConventionChecker.AnalyzerTypes(typeof(AsyncVoidAnalyzer).Assembly)
        .SelectMany(t => ((DiagnosticAnalyzer)Activator.CreateInstance(t)!).SupportedDiagnostics);
}
