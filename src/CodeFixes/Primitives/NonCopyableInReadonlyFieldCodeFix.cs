using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ConcurrencyAnalyzers.CodeFixes.Editing;
using ConcurrencyAnalyzers.Primitives;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ConcurrencyAnalyzers.CodeFixes.Primitives;

/// <summary>CONC501 fix: drop <c>readonly</c> from the field declaration (not offered in a <c>readonly struct</c> or for auto-properties).</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(NonCopyableInReadonlyFieldCodeFix)), Shared]
public sealed class NonCopyableInReadonlyFieldCodeFix : CodeFixProvider
{
    private const string Title = "Remove readonly";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.NonCopyableInReadonlyField);

    public override FixAllProvider GetFixAllProvider() => DocumentBatchFix.Create(RemoveReadonlyAsync);

    public override Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (var diagnostic in context.Diagnostics)
        {
            if (diagnostic.Properties.ContainsKey(NonCopyableInReadonlyFieldAnalyzer.FixableProperty))
            {
                context.RegisterCodeFix(
                    CodeAction.Create(
                        Title,
                        ct => RemoveReadonlyAsync(context.Document, ImmutableArray.Create(diagnostic), ct),
                        RuleIds.NonCopyableInReadonlyField),
                    diagnostic);
            }
        }

        return Task.CompletedTask;
    }

    private static async Task<Document> RemoveReadonlyAsync(Document document, ImmutableArray<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return document;
        }

        var declarations = new HashSet<FieldDeclarationSyntax>();
        foreach (var diagnostic in diagnostics)
        {
            if (diagnostic.Properties.ContainsKey(NonCopyableInReadonlyFieldAnalyzer.FixableProperty) &&
                root.FindToken(diagnostic.Location.SourceSpan.Start).Parent?.FirstAncestorOrSelf<FieldDeclarationSyntax>() is { } declaration)
            {
                declarations.Add(declaration);
            }
        }

        var newRoot = root.ReplaceNodes(declarations, static (_, declaration) => WithoutReadonly(declaration));
        return document.WithSyntaxRoot(newRoot);
    }

    private static FieldDeclarationSyntax WithoutReadonly(FieldDeclarationSyntax declaration)
    {
        var modifiers = declaration.Modifiers;
        var index = modifiers.IndexOf(SyntaxKind.ReadOnlyKeyword);
        if (index < 0)
        {
            return declaration;
        }

        var readonlyToken = modifiers[index];
        modifiers = modifiers.RemoveAt(index);
        if (index == 0)
        {
            // The first modifier carries the declaration's leading trivia (comments, indentation): keep it.
            if (modifiers.Count > 0)
            {
                modifiers = modifiers.Replace(modifiers[0], modifiers[0].WithLeadingTrivia(readonlyToken.LeadingTrivia));
                return declaration.WithModifiers(modifiers);
            }

            var type = declaration.Declaration.Type;
            return declaration
                .WithModifiers(modifiers)
                .WithDeclaration(declaration.Declaration.WithType(type.WithLeadingTrivia(readonlyToken.LeadingTrivia)));
        }

        return declaration.WithModifiers(modifiers);
    }
}
