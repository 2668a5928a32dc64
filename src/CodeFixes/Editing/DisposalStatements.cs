using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace ConcurrencyAnalyzers.CodeFixes.Editing;

/// <summary>Making a local declaration dispose its value at the end of its scope.</summary>
internal static class DisposalStatements
{
    /// <summary>True when the document may use <c>using var</c> (C# 8 and later).</summary>
    public static bool SupportsUsingDeclarations(SyntaxTree tree)
        => tree.Options is CSharpParseOptions { LanguageVersion: >= LanguageVersion.CSharp8 };

    /// <summary>
    /// <c>var x = …;</c> → <c>using var x = …;</c> (C# 8+), or <c>using (var x = …) { the statements that follow }</c>
    /// before C# 8. The declaration must be a statement of <paramref name="block"/>; comments stay where they were.
    /// </summary>
    public static SyntaxNode AddUsing(SyntaxNode root, BlockSyntax block, LocalDeclarationStatementSyntax declaration, bool usingDeclarations)
    {
        if (usingDeclarations)
        {
            var leading = declaration.GetLeadingTrivia();
            var updated = declaration
                .WithoutLeadingTrivia()
                .WithUsingKeyword(SyntaxFactory.Token(SyntaxKind.UsingKeyword).WithTrailingTrivia(SyntaxFactory.Space))
                .WithLeadingTrivia(leading);
            return root.ReplaceNode(declaration, updated);
        }

        var index = block.Statements.IndexOf(declaration);
        var usingStatement = SyntaxFactory.UsingStatement(
                declaration.Declaration.WithoutTrivia(),
                null,
                SyntaxFactory.Block(block.Statements.Skip(index + 1)))
            .WithLeadingTrivia(declaration.GetLeadingTrivia())
            .WithTrailingTrivia(declaration.GetTrailingTrivia())
            .WithAdditionalAnnotations(Formatter.Annotation);
        var statements = SyntaxFactory.List(block.Statements.Take(index)).Add(usingStatement);
        return root.ReplaceNode(block, block.WithStatements(statements));
    }
}
