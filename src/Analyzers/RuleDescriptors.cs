using System;
using Microsoft.CodeAnalysis;

namespace ConcurrencyAnalyzers;

/// <summary>
/// The one way to make a descriptor: category from the ID's family, help link from the repository, and
/// the compilation-end tag when a rule reports only at the end of a compilation.
/// </summary>
internal static class RuleDescriptors
{
    public static DiagnosticDescriptor Create(
        string id,
        string title,
        string messageFormat,
        DiagnosticSeverity severity,
        string description,
        bool isEnabledByDefault = true,
        bool compilationEnd = false)
    {
        var category = RuleCategories.ForId(id) ?? throw new ArgumentException("Not a ConcurrencyAnalyzers ID: " + id, nameof(id));
        return new DiagnosticDescriptor(
            id,
            title,
            messageFormat,
            category,
            severity,
            isEnabledByDefault,
            description,
            HelpLinks.For(id),
            compilationEnd ? new[] { WellKnownDiagnosticTags.CompilationEnd } : Array.Empty<string>());
    }
}
