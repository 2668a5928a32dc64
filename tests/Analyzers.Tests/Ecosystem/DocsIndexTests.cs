using ConcurrencyAnalyzers.Tests.Conventions;
using Xunit;

namespace ConcurrencyAnalyzers.Tests.Ecosystem;

/// <summary>docs/README.md indexes every rule and every guide it links to exists.</summary>
public sealed class DocsIndexTests
{
    [Fact]
    public void Docs_index_lists_every_rule()
    {
        var index = RepositoryLayout.ReadAllText("docs", "README.md");
        foreach (var id in PresetTests.Descriptors().Select(d => d.Id).Distinct())
        {
            Assert.Contains($"[{id}](rules/{id}.md)", index, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("configuration.md")]
    [InlineData("adopting.md")]
    [InlineData("comparison.md")]
    [InlineData("performance.md")]
    [InlineData("performance-history.md")]
    [InlineData("reliability.md")]
    [InlineData("validation.md")]
    [InlineData("contributing.md")]
    public void Guide_is_linked_from_the_index_and_exists(string page)
    {
        Assert.Contains($"]({page})", RepositoryLayout.ReadAllText("docs", "README.md"), StringComparison.Ordinal);
        Assert.True(File.Exists(RepositoryLayout.PathOf("docs", page)), page + " is missing");
    }

    [Fact]
    public void Changelog_exists()
    {
        Assert.True(File.Exists(RepositoryLayout.PathOf("CHANGELOG.md")));
    }
}
