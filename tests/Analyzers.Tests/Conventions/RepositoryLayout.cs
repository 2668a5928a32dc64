using System.Reflection;

namespace ConcurrencyAnalyzers.Tests.Conventions;

/// <summary>Where the repository's files are, for tests that check docs, README and release files.</summary>
public static class RepositoryLayout
{
    public static string Root { get; } = typeof(RepositoryLayout).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepositoryRoot").Value!;

    public static string PathOf(params string[] parts) => Path.Combine(new[] { Root }.Concat(parts).ToArray());

    public static string ReadAllText(params string[] parts) => File.ReadAllText(PathOf(parts));
}
