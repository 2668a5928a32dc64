namespace ConcurrencyAnalyzers;

/// <summary>Help links point at the rule's page in the repository (URL from Directory.Build.props).</summary>
public static class HelpLinks
{
    public const string RulesFolder = "docs/rules";

    public static string For(string id) => RepositoryInfo.Url + "/blob/main/" + RulesFolder + "/" + id + ".md";
}
