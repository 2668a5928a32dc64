using System.Collections.Immutable;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace ConcurrencyAnalyzers.Benchmarks;

internal sealed record CorpusFile(string Path, string Text);

/// <summary>The sources of one compilation, with the parse options and references to compile them with.</summary>
internal sealed class Corpus
{
    public Corpus(string description, IReadOnlyList<CorpusFile> files, CSharpParseOptions parseOptions, ImmutableArray<MetadataReference> references, string referencesDescription)
    {
        Description = description;
        Files = files;
        ParseOptions = parseOptions;
        References = references;
        ReferencesDescription = referencesDescription;
        Lines = files.Sum(f => CountLines(f.Text));
    }

    public string Description { get; }

    public IReadOnlyList<CorpusFile> Files { get; }

    public CSharpParseOptions ParseOptions { get; }

    public ImmutableArray<MetadataReference> References { get; }

    public string ReferencesDescription { get; }

    public int Lines { get; }

    /// <summary>For a generated corpus: planted bugs by expected rule ID.</summary>
    public IReadOnlyDictionary<string, int>? Planted { get; init; }

    public static int CountLines(string text)
    {
        if (text.Length == 0)
        {
            return 0;
        }

        var lines = 1;
        foreach (var c in text)
        {
            if (c == '\n')
            {
                lines++;
            }
        }

        return text[^1] == '\n' ? lines - 1 : lines;
    }

    public static CSharpParseOptions DefaultParseOptions(IEnumerable<string> extraSymbols) =>
        new(LanguageVersion.Latest, DocumentationMode.None, SourceCodeKind.Regular,
            DefaultSymbols.Concat(extraSymbols).Distinct(StringComparer.Ordinal));

    // What the SDK defines for a Release net10.0 build; #if blocks in real code then take their modern branch.
    private static readonly string[] DefaultSymbols =
    {
        "RELEASE", "NET", "NET10_0", "NETCOREAPP", "NETCOREAPP3_0_OR_GREATER", "NETCOREAPP3_1_OR_GREATER",
        "NET5_0_OR_GREATER", "NET6_0_OR_GREATER", "NET7_0_OR_GREATER", "NET8_0_OR_GREATER", "NET9_0_OR_GREATER",
        "NET10_0_OR_GREATER", "NETCOREAPP2_0_OR_GREATER", "NETCOREAPP2_1_OR_GREATER", "NETSTANDARD2_0_OR_GREATER",
        "NETSTANDARD2_1_OR_GREATER",
    };

    /// <summary>Every .cs file under <paramref name="folder"/> except build output, in a stable order.</summary>
    public static Corpus FromFolder(string folder, CSharpParseOptions parseOptions, bool implicitUsings, IEnumerable<string> extraReferences)
    {
        var root = Path.GetFullPath(folder);
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"Corpus folder not found: {root}");
        }

        var skip = new[] { "bin", "obj", ".git", "node_modules" };
        var files = Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(root, f).Split(Path.DirectorySeparatorChar).Any(part => skip.Contains(part, StringComparer.OrdinalIgnoreCase)))
            .OrderBy(f => f, StringComparer.Ordinal)
            .Select(f => new CorpusFile(f, File.ReadAllText(f)))
            .ToList();
        if (files.Count == 0)
        {
            throw new InvalidOperationException($"No .cs files under {root}");
        }

        if (implicitUsings)
        {
            files.Add(new CorpusFile(Path.Combine(root, "obj", "ImplicitUsings.g.cs"), ImplicitUsingsText));
        }

        var (references, description) = FrameworkReferences();
        var extra = extraReferences.SelectMany(ExpandReference).ToList();
        var extraNames = new HashSet<string>(extra.Select(Path.GetFileName)!, StringComparer.OrdinalIgnoreCase);
        var all = references.Where(r => !extraNames.Contains(Path.GetFileName(((PortableExecutableReference)r).FilePath!)))
            .Concat(extra.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)))
            .ToImmutableArray();
        if (extra.Count > 0)
        {
            description += $" + {extra.Count} extra";
        }

        return new Corpus($"folder {root}", files, parseOptions, all, description);
    }

    // The SDK's implicit usings for Microsoft.NET.Sdk projects (most real projects have them on).
    public const string ImplicitUsingsText =
        "global using global::System;\nglobal using global::System.Collections.Generic;\nglobal using global::System.IO;\n" +
        "global using global::System.Linq;\nglobal using global::System.Net.Http;\nglobal using global::System.Threading;\n" +
        "global using global::System.Threading.Tasks;\n";

    private static IEnumerable<string> ExpandReference(string path) =>
        Directory.Exists(path)
            ? Directory.GetFiles(path, "*.dll").Where(IsManagedAssembly)
            : new[] { Path.GetFullPath(path) };

    private static bool IsManagedAssembly(string path)
    {
        try
        {
            System.Reflection.AssemblyName.GetAssemblyName(path);
            return true;
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    }

    private static (ImmutableArray<MetadataReference>, string)? _framework;

    /// <summary>
    /// The framework's reference assemblies: the Microsoft.NETCore.App.Ref pack matching the running runtime when the
    /// SDK has it (what a build compiles against), else the running runtime's own assemblies.
    /// </summary>
    public static (ImmutableArray<MetadataReference> References, string Description) FrameworkReferences()
    {
        if (_framework is { } cached)
        {
            return cached;
        }

        var runtimeDir = RuntimeEnvironment.GetRuntimeDirectory();
        var runtimeVersion = Environment.Version;
        var dotnetRoot = Path.GetFullPath(Path.Combine(runtimeDir, "..", "..", ".."));
        var packRoot = Path.Combine(dotnetRoot, "packs", "Microsoft.NETCore.App.Ref");
        var tfm = $"net{runtimeVersion.Major}.{runtimeVersion.Minor}";
        string? refDir = null;
        if (Directory.Exists(packRoot))
        {
            refDir = Directory.GetDirectories(packRoot)
                .Select(d => (Dir: d, Version: Version.TryParse(Path.GetFileName(d).Split('-')[0], out var v) ? v : null))
                .Where(x => x.Version is not null && x.Version.Major == runtimeVersion.Major && Directory.Exists(Path.Combine(x.Dir, "ref", tfm)))
                .OrderByDescending(x => x.Version)
                .Select(x => Path.Combine(x.Dir, "ref", tfm))
                .FirstOrDefault();
        }

        string description;
        IEnumerable<string> paths;
        if (refDir is not null)
        {
            paths = Directory.GetFiles(refDir, "*.dll");
            description = $"Microsoft.NETCore.App.Ref {new DirectoryInfo(refDir).Parent!.Parent!.Name} ({tfm})";
        }
        else
        {
            paths = Directory.GetFiles(runtimeDir, "*.dll").Where(IsManagedAssembly);
            description = $"runtime assemblies {runtimeVersion}";
        }

        var references = paths.OrderBy(p => p, StringComparer.Ordinal)
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToImmutableArray();
        _framework = (references, description);
        return _framework.Value;
    }

    public static Encoding Utf8 { get; } = new UTF8Encoding(false);
}
