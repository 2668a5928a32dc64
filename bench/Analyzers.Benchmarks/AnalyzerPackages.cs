using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ConcurrencyAnalyzers.Benchmarks;

/// <summary>One analyzer package (ours or a peer): its name and the analyzers its DLLs declare for C#.</summary>
internal sealed class AnalyzerPackage
{
    public AnalyzerPackage(string name, string version, bool isOurs, ImmutableArray<DiagnosticAnalyzer> analyzers, IReadOnlyList<string> loadErrors)
    {
        Name = name;
        Version = version;
        IsOurs = isOurs;
        Analyzers = analyzers;
        LoadErrors = loadErrors;
    }

    public string Name { get; }

    public string Version { get; }

    public bool IsOurs { get; }

    public ImmutableArray<DiagnosticAnalyzer> Analyzers { get; }

    public IReadOnlyList<string> LoadErrors { get; }

    public string Display => Version.Length == 0 ? Name : Name + " " + Version;
}

/// <summary>
/// Finds our analyzer DLL (built from source and copied next to the benchmark) and the peer packages restored from
/// NuGet (their roots are stamped into this assembly at build time), picks the folder NuGet would give the compiler,
/// and loads each package into its own load context sharing the host's Roslyn.
/// </summary>
internal static class AnalyzerPackages
{
    public const string OursName = "ConcurrencyAnalyzers";

    /// <summary>
    /// Our package as a host loads it: one analyzer that runs every rule, and the suppressor. With
    /// <paramref name="perRule"/>, each rule as an analyzer of its own instead (the classes the hosting analyzer runs
    /// together), so the tables show what each rule costs; the driver then calls 42 analyzers instead of one.
    /// </summary>
    public static AnalyzerPackage LoadOurs(bool perRule = false)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "analyzers", OursName);
        var dll = Path.Combine(folder, OursName + ".dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"Our analyzer DLL is missing at {dll}: build the benchmark project (it builds src/Analyzers).");
        }

        var package = Load(OursName, "(this branch)", isOurs: true, new[] { dll });
        if (!perRule || package.Analyzers.IsEmpty)
        {
            return package;
        }

        var rules = package.Analyzers[0].GetType().Assembly.GetTypes()
            .Where(t => typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && !t.IsAbstract && t.GetConstructor(Type.EmptyTypes) is not null &&
                        !t.IsDefined(typeof(DiagnosticAnalyzerAttribute), inherit: false))
            .OrderBy(t => t.Name, StringComparer.Ordinal)
            .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!);
        var suppressors = package.Analyzers.Where(a => a is DiagnosticSuppressor);
        return new AnalyzerPackage(OursName, "(this branch, rule by rule)", isOurs: true, rules.Concat(suppressors).ToImmutableArray(), package.LoadErrors);
    }

    /// <summary>Peer packages restored by the project file, plus the SDK's NetAnalyzers when the SDK is on this machine.</summary>
    public static IEnumerable<AnalyzerPackage> LoadPeers(ISet<string>? only)
    {
        var stamped = typeof(AnalyzerPackages).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Where(a => a.Key.StartsWith("PeerPackage:", StringComparison.Ordinal) && !string.IsNullOrEmpty(a.Value));
        foreach (var attribute in stamped)
        {
            var name = attribute.Key.Substring("PeerPackage:".Length);
            if (!Wanted(only, name))
            {
                continue;
            }

            var root = attribute.Value!;
            var folder = PickAnalyzerFolder(root);
            if (folder is null)
            {
                Console.Error.WriteLine($"warning: no C# analyzer folder in {root}; {name} skipped");
                continue;
            }

            var version = new DirectoryInfo(root).Name;
            yield return Load(name, version, isOurs: false, Directory.GetFiles(folder, "*.dll"));
        }

        if (Wanted(only, "NetAnalyzers") && FindSdkNetAnalyzers() is { } sdk)
        {
            yield return Load("NetAnalyzers", "(SDK " + sdk.SdkVersion + ")", isOurs: false, sdk.Dlls);
        }
    }

    /// <summary>Any other analyzer DLL or folder the user names with --analyzer name=path.</summary>
    public static AnalyzerPackage LoadExtra(string name, string path)
    {
        var dlls = Directory.Exists(path) ? Directory.GetFiles(PickAnalyzerFolder(path) ?? path, "*.dll") : new[] { path };
        return Load(name, string.Empty, isOurs: false, dlls);
    }

    private static bool Wanted(ISet<string>? only, string name) =>
        only is null || only.Any(o => name.Contains(o, StringComparison.OrdinalIgnoreCase));

    /// <summary>The folder NuGet hands the compiler: analyzers/dotnet/roslynX.Y/cs (highest X.Y not above the host), else dotnet/cs, else cs.</summary>
    internal static string? PickAnalyzerFolder(string packageRoot)
    {
        var host = HostRoslynVersion();
        var dotnet = Path.Combine(packageRoot, "analyzers", "dotnet");
        if (Directory.Exists(dotnet))
        {
            var best = Directory.GetDirectories(dotnet, "roslyn*")
                .Select(d => (Dir: d, Version: Version.TryParse(Path.GetFileName(d).Substring("roslyn".Length), out var v) ? v : null))
                .Where(x => x.Version is not null && x.Version <= host && Directory.Exists(Path.Combine(x.Dir, "cs")))
                .OrderByDescending(x => x.Version)
                .Select(x => Path.Combine(x.Dir, "cs"))
                .FirstOrDefault();
            if (best is not null)
            {
                return best;
            }

            if (Directory.Exists(Path.Combine(dotnet, "cs")))
            {
                return Path.Combine(dotnet, "cs");
            }
        }

        var plain = Path.Combine(packageRoot, "analyzers", "cs");
        if (Directory.Exists(plain))
        {
            return plain;
        }

        return Directory.Exists(packageRoot) && Directory.GetFiles(packageRoot, "*.dll").Length > 0 ? packageRoot : null;
    }

    public static Version HostRoslynVersion()
    {
        var informational = typeof(Compilation).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0";
        var core = informational.Split('-', '+')[0];
        var parts = core.Split('.');
        return new Version(int.Parse(parts[0]), parts.Length > 1 ? int.Parse(parts[1]) : 0);
    }

    public static string HostRoslynDisplay() =>
        (typeof(Compilation).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "?").Split('+')[0];

    private static (string SdkVersion, string[] Dlls)? FindSdkNetAnalyzers()
    {
        var runtimeDir = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var dotnetRoot = Path.GetFullPath(Path.Combine(runtimeDir, "..", "..", ".."));
        var sdkRoot = Path.Combine(dotnetRoot, "sdk");
        if (!Directory.Exists(sdkRoot))
        {
            return null;
        }

        var candidates = Directory.GetDirectories(sdkRoot)
            .Select(d => (Dir: d, Version: Version.TryParse(Path.GetFileName(d).Split('-')[0], out var v) ? v : null))
            .Where(x => x.Version is not null)
            .OrderByDescending(x => x.Version);
        foreach (var (dir, _) in candidates)
        {
            var analyzers = Path.Combine(dir, "Sdks", "Microsoft.NET.Sdk", "analyzers");
            var common = Path.Combine(analyzers, "Microsoft.CodeAnalysis.NetAnalyzers.dll");
            var csharp = Path.Combine(analyzers, "Microsoft.CodeAnalysis.CSharp.NetAnalyzers.dll");
            if (File.Exists(common) && File.Exists(csharp))
            {
                return (Path.GetFileName(dir), new[] { common, csharp });
            }
        }

        return null;
    }

    private static AnalyzerPackage Load(string name, string version, bool isOurs, IEnumerable<string> dlls)
    {
        var loader = new IsolatedLoader(name);
        var errors = new List<string>();
        var analyzers = ImmutableArray.CreateBuilder<DiagnosticAnalyzer>();
        foreach (var dll in dlls.Where(d => !IsSatelliteOrFixes(d)))
        {
            loader.AddDependencyLocation(dll);
        }

        foreach (var dll in dlls.Where(d => !IsSatelliteOrFixes(d)).OrderBy(d => d, StringComparer.Ordinal))
        {
            var reference = new AnalyzerFileReference(dll, loader);
            reference.AnalyzerLoadFailed += (_, e) => errors.Add($"{Path.GetFileName(dll)}: {e.ErrorCode} {e.TypeName} {e.Message}");
            analyzers.AddRange(reference.GetAnalyzers(LanguageNames.CSharp));
        }

        return new AnalyzerPackage(name, version, isOurs, analyzers.ToImmutable(), errors);
    }

    // Code-fix assemblies need Workspaces and declare no analyzers; the build never runs them either.
    private static bool IsSatelliteOrFixes(string dll)
    {
        var file = Path.GetFileNameWithoutExtension(dll);
        return file.EndsWith(".resources", StringComparison.OrdinalIgnoreCase)
            || file.EndsWith("CodeFixes", StringComparison.OrdinalIgnoreCase)
            || file.EndsWith("CodeFixers", StringComparison.OrdinalIgnoreCase)
            || file.EndsWith("CodeFix", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Loads one package's DLLs into a context of its own; anything the host already has (Roslyn, the BCL) is shared.</summary>
    private sealed class IsolatedLoader : IAnalyzerAssemblyLoader
    {
        private static readonly HashSet<string> HostAssemblies = new(
            ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? string.Empty)
                .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Select(Path.GetFileNameWithoutExtension)!,
            StringComparer.OrdinalIgnoreCase);

        private readonly Context _context;
        private readonly Dictionary<string, string> _locations = new(StringComparer.OrdinalIgnoreCase);

        public IsolatedLoader(string name)
        {
            _context = new Context(name, _locations);
        }

        public void AddDependencyLocation(string fullPath) =>
            _locations[Path.GetFileNameWithoutExtension(fullPath)] = fullPath;

        public Assembly LoadFromPath(string fullPath) => _context.LoadFromAssemblyPath(Path.GetFullPath(fullPath));

        private sealed class Context : AssemblyLoadContext
        {
            private readonly Dictionary<string, string> _locations;

            public Context(string name, Dictionary<string, string> locations)
                : base("analyzers:" + name)
            {
                _locations = locations;
            }

            protected override Assembly? Load(AssemblyName assemblyName)
            {
                if (assemblyName.Name is null || HostAssemblies.Contains(assemblyName.Name))
                {
                    return null;
                }

                return _locations.TryGetValue(assemblyName.Name, out var path) ? LoadFromAssemblyPath(path) : null;
            }
        }
    }
}
