using System.Reflection;
using ConcurrencyAnalyzers.Internals;
using ConcurrencyAnalyzers.Lifetime;
using ConcurrencyAnalyzers.Tests.Conventions;
using Xunit;

namespace ConcurrencyAnalyzers.Tests.Ecosystem;

/// <summary>Every option key a rule reads is documented in docs/configuration.md and on the rule's own page.</summary>
public sealed class OptionDocumentationTests
{
    public static TheoryData<string> OptionKeys()
    {
        var data = new TheoryData<string>();
        foreach (var option in AllOptions())
        {
            data.Add(option.Key);
        }

        if (data.Count == 0)
        {
            data.Add("(none)");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(OptionKeys))]
    public void Option_key_is_documented(string key)
    {
        if (key == "(none)")
        {
            return;
        }

        var ruleId = key[..key.IndexOf('.', StringComparison.Ordinal)];
        Assert.Contains($"`{key}`", RepositoryLayout.ReadAllText("docs", "configuration.md"), StringComparison.Ordinal);
        Assert.Contains($"`{key}`", RepositoryLayout.ReadAllText("docs", "rules", ruleId + ".md"), StringComparison.Ordinal);
    }

    [Fact]
    public void Option_names_are_lower_snake_case_and_belong_to_a_known_rule()
    {
        var ids = typeof(RuleIds).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (string)f.GetRawConstantValue()!).ToHashSet();
        foreach (var option in AllOptions())
        {
            Assert.Contains(option.RuleId, ids);
            Assert.Matches("^[a-z][a-z0-9_]*$", option.Name);
        }
    }

    /// <summary>Every <c>static readonly RuleOption</c> field declared anywhere in the analyzers assembly.</summary>
    internal static IReadOnlyList<RuleOption> AllOptions() => typeof(AsyncVoidAnalyzer).Assembly.GetTypes()
        .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static))
        .Where(f => f.FieldType == typeof(RuleOption))
        .Select(f => (RuleOption)f.GetValue(null)!)
        .ToList();
}
