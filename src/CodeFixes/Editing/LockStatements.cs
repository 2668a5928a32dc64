using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace ConcurrencyAnalyzers.CodeFixes.Editing;

/// <summary>Wrapping code in <c>lock (gate) { ... }</c>.</summary>
internal static class LockStatements
{
    /// <summary>
    /// <c>statement</c> → <c>lock (gate) { statement }</c>: the lock takes the statement's leading trivia (comments
    /// above it stay above), the statement keeps its trailing trivia inside the block.
    /// </summary>
    public static LockStatementSyntax Wrap(StatementSyntax statement, ExpressionSyntax gate)
    {
        var inner = statement.WithLeadingTrivia(SyntaxFactory.ElasticMarker);
        return SyntaxFactory.LockStatement(gate.WithoutTrivia(), SyntaxFactory.Block(inner))
            .WithLeadingTrivia(statement.GetLeadingTrivia())
            .WithAdditionalAnnotations(Formatter.Annotation);
    }

    /// <summary>A block body <c>{ lock (gate) { [return] expression; } }</c> for an expression body.</summary>
    public static BlockSyntax LockedBlock(ExpressionSyntax expression, ExpressionSyntax gate, bool returnsValue)
    {
        StatementSyntax inner = returnsValue
            ? SyntaxFactory.ReturnStatement(expression.WithoutTrivia())
            : SyntaxFactory.ExpressionStatement(expression.WithoutTrivia());
        return SyntaxFactory.Block(SyntaxFactory.LockStatement(gate.WithoutTrivia(), SyntaxFactory.Block(inner)))
            .WithAdditionalAnnotations(Formatter.Annotation);
    }

    /// <summary>True when an <c>await</c> or <c>yield</c> inside <paramref name="node"/> (outside nested functions) makes a lock impossible there.</summary>
    public static bool ContainsAwaitOrYield(SyntaxNode node)
    {
        foreach (var descendant in node.DescendantNodesAndSelf(n => n == node || !(n is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)))
        {
            if (descendant is AwaitExpressionSyntax or YieldStatementSyntax)
            {
                return true;
            }

            if (descendant is ForEachStatementSyntax { AwaitKeyword.RawKind: (int)SyntaxKind.AwaitKeyword } ||
                descendant is UsingStatementSyntax { AwaitKeyword.RawKind: (int)SyntaxKind.AwaitKeyword } ||
                descendant is LocalDeclarationStatementSyntax { AwaitKeyword.RawKind: (int)SyntaxKind.AwaitKeyword })
            {
                return true;
            }
        }

        return false;
    }
}
