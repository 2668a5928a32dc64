using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace ConcurrencyAnalyzers.CodeFixes.Editing;

internal static class UsingDirectives
{
    /// <summary>
    /// Adds <c>using <paramref name="namespaceName"/>;</c> to the file's top-level usings, in order (System first),
    /// unless it is already there. Idempotent, so fixes that each add it merge cleanly in Fix All.
    /// </summary>
    public static SyntaxNode AddIfMissing(SyntaxNode root, string? namespaceName)
    {
        if (namespaceName is null || root is not CompilationUnitSyntax unit)
        {
            return root;
        }

        if (unit.Usings.Any(u => u.Alias is null && u.StaticKeyword.IsKind(SyntaxKind.None) && u.Name?.ToString() == namespaceName))
        {
            return root;
        }

        var directive = SyntaxFactory.UsingDirective(SyntaxFactory.ParseName(namespaceName))
            .WithAdditionalAnnotations(Formatter.Annotation);

        var newLine = NewLineOf(unit);
        if (unit.Usings.Count == 0)
        {
            // The file's leading comments (license header) stay above the new directive.
            var firstToken = unit.GetFirstToken(includeZeroWidth: true);
            var header = firstToken.LeadingTrivia;
            var stripped = unit.ReplaceToken(firstToken, firstToken.WithLeadingTrivia());
            directive = directive.WithLeadingTrivia(header).WithTrailingTrivia(newLine, newLine);
            return stripped.WithUsings(stripped.Usings.Add(directive));
        }

        var index = 0;
        while (index < unit.Usings.Count && Compare(unit.Usings[index], namespaceName) < 0)
        {
            index++;
        }

        directive = directive.WithTrailingTrivia(newLine);
        if (index == 0)
        {
            // Move the first directive's leading trivia (file header) to the new first directive.
            var oldFirst = unit.Usings[0];
            directive = directive.WithLeadingTrivia(oldFirst.GetLeadingTrivia());
            var usings = unit.Usings.Replace(oldFirst, oldFirst.WithLeadingTrivia()).Insert(0, directive);
            return unit.WithUsings(usings);
        }

        return unit.WithUsings(unit.Usings.Insert(index, directive));
    }

    /// <summary>The file's own line ending (the first one it uses), or <c>\n</c>.</summary>
    public static SyntaxTrivia NewLineOf(SyntaxNode root)
    {
        var first = root.DescendantTrivia().FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia));
        return first == default ? SyntaxFactory.EndOfLine("\n") : first;
    }

    private static int Compare(UsingDirectiveSyntax existing, string namespaceName)
    {
        if (existing.Alias is not null || !existing.StaticKeyword.IsKind(SyntaxKind.None))
        {
            return 1;
        }

        var name = existing.Name?.ToString() ?? string.Empty;
        var existingIsSystem = name == "System" || name.StartsWith("System.", StringComparison.Ordinal);
        var newIsSystem = namespaceName == "System" || namespaceName.StartsWith("System.", StringComparison.Ordinal);
        if (existingIsSystem != newIsSystem)
        {
            return existingIsSystem ? -1 : 1;
        }

        return string.CompareOrdinal(name, namespaceName);
    }
}
