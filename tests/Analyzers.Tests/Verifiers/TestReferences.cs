using System.Collections.Immutable;
using Microsoft.CodeAnalysis.Testing;

namespace ConcurrencyAnalyzers.Tests.Verifiers;

/// <summary>
/// Reference assemblies pinned once, to versions the package registry serves here
/// (<c>ReferenceAssemblies.Net.Net80</c> asks for ref pack 8.0.0, which is not served).
/// </summary>
public static class TestReferences
{
    /// <summary>net8.0: the default for tests.</summary>
    public static ReferenceAssemblies Net80 { get; } =
        new ReferenceAssemblies("net8.0", new PackageIdentity("Microsoft.NETCore.App.Ref", "8.0.28"), System.IO.Path.Combine("ref", "net8.0"));

    /// <summary>net10.0: for APIs newer than .NET 8 (System.Threading.Lock).</summary>
    public static ReferenceAssemblies Net100 { get; } =
        new ReferenceAssemblies("net10.0", new PackageIdentity("Microsoft.NETCore.App.Ref", "10.0.12"), System.IO.Path.Combine("ref", "net10.0"));

    /// <summary>netstandard2.0: a library that defaults to C# 7.3.</summary>
    public static ReferenceAssemblies NetStandard20 { get; } = ReferenceAssemblies.NetStandard.NetStandard20;

    /// <summary>net8.0 plus extra packages (e.g. System.Threading.RateLimiting).</summary>
    public static ReferenceAssemblies Net80With(params PackageIdentity[] packages)
        => Net80.AddPackages(ImmutableArray.Create(packages));
}
