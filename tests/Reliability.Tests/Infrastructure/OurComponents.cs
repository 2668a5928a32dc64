using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ConcurrencyAnalyzers.Reliability.Infrastructure;

/// <summary>
/// Every analyzer, suppressor and code fix in our two assemblies, found by reflection, so rules added later are
/// covered without editing this suite.
/// </summary>
public static class OurComponents
{
    public static ImmutableArray<Assembly> Assemblies { get; } = ImmutableArray.Create(
        typeof(ConcurrencyAnalyzers.RuleIds).Assembly,
        Assembly.Load("ConcurrencyAnalyzers.CodeFixes"));

    /// <summary>
    /// The analyzers and suppressors a host loads from the package (a <see cref="DiagnosticSuppressor"/> is a
    /// <see cref="DiagnosticAnalyzer"/>): those with <see cref="DiagnosticAnalyzerAttribute"/>, i.e. the analyzer that
    /// hosts every rule, and the suppressors.
    /// </summary>
    public static ImmutableArray<DiagnosticAnalyzer> CreateAnalyzers()
        => Instantiate<DiagnosticAnalyzer>().Where(a => a.GetType().IsDefined(typeof(DiagnosticAnalyzerAttribute), inherit: false)).ToImmutableArray();

    /// <summary>Every rule as an analyzer of its own (the classes the hosting analyzer runs together).</summary>
    public static ImmutableArray<DiagnosticAnalyzer> CreateRules()
        => Instantiate<DiagnosticAnalyzer>().Where(a => !a.GetType().IsDefined(typeof(DiagnosticAnalyzerAttribute), inherit: false)).ToImmutableArray();

    public static ImmutableArray<CodeFixProvider> CreateCodeFixes()
        => Instantiate<CodeFixProvider>();

    /// <summary>Every diagnostic ID our analyzers can report (not the IDs suppressors suppress).</summary>
    public static ImmutableArray<string> DiagnosticIds { get; } = CreateAnalyzers()
        .SelectMany(a => a.SupportedDiagnostics)
        .Select(d => d.Id)
        .Distinct(StringComparer.Ordinal)
        .OrderBy(id => id, StringComparer.Ordinal)
        .ToImmutableArray();

    public static ImmutableArray<Type> Types<T>()
        => Assemblies
            .SelectMany(LoadableTypes)
            .Where(t => typeof(T).IsAssignableFrom(t) && !t.IsAbstract && !t.IsGenericTypeDefinition &&
                        t.GetConstructor(Type.EmptyTypes) is not null)
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .ToImmutableArray();

    private static ImmutableArray<T> Instantiate<T>()
        => Types<T>().Select(t => (T)Activator.CreateInstance(t)!).ToImmutableArray();

    private static IEnumerable<Type> LoadableTypes(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            return e.Types.Where(t => t is not null)!;
        }
    }

    /// <summary>Compilation options that turn every one of our rules on (rules off by default included).</summary>
    public static ImmutableDictionary<string, ReportDiagnostic> AllRulesOn { get; } =
        DiagnosticIds.ToImmutableDictionary(id => id, _ => ReportDiagnostic.Warn);
}
