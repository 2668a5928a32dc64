using System.Text.Json;

namespace ConcurrencyAnalyzers.Benchmarks;

/// <summary>
/// The package compile references of a restored project, read from its obj/project.assets.json (the files its build
/// hands the compiler), so a --corpus run on a real project binds like its build does.
/// </summary>
internal static class AssetsReferences
{
    public static IEnumerable<string> Read(string assetsPath, string? targetFramework)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(assetsPath));
        var root = document.RootElement;
        var folders = root.GetProperty("packageFolders").EnumerateObject().Select(p => p.Name).ToList();
        var targets = root.GetProperty("targets").EnumerateObject()
            .Where(t => !t.Name.Contains('/', StringComparison.Ordinal))
            .ToList();
        if (targets.Count == 0)
        {
            throw new ArgumentException($"{assetsPath} has no target frameworks", nameof(assetsPath));
        }

        // The requested framework, else the newest (names like net8.0, net10.0 sort by their number).
        var target = targetFramework is null
            ? targets.OrderByDescending(t => FrameworkRank(t.Name)).First()
            : targets.FirstOrDefault(t => string.Equals(t.Name, targetFramework, StringComparison.OrdinalIgnoreCase));
        if (target.Value.ValueKind != JsonValueKind.Object)
        {
            throw new ArgumentException($"{assetsPath} has no target {targetFramework}", nameof(targetFramework));
        }

        var libraries = root.GetProperty("libraries");
        foreach (var library in target.Value.EnumerateObject())
        {
            if (!library.Value.TryGetProperty("type", out var type) || type.GetString() != "package"
                || !library.Value.TryGetProperty("compile", out var compile)
                || !libraries.TryGetProperty(library.Name, out var info)
                || !info.TryGetProperty("path", out var relative))
            {
                continue;
            }

            foreach (var file in compile.EnumerateObject())
            {
                if (!file.Name.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                var path = folders.Select(f => Path.Combine(f, relative.GetString()!, file.Name)).FirstOrDefault(File.Exists);
                if (path is not null)
                {
                    yield return path;
                }
            }
        }
    }

    private static double FrameworkRank(string name)
    {
        var digits = new string(name.SkipWhile(c => !char.IsDigit(c)).ToArray());
        return double.TryParse(digits, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value) ? value : 0;
    }
}
