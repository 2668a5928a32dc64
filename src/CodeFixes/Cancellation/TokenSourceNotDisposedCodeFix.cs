using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using ConcurrencyAnalyzers.Cancellation;
using ConcurrencyAnalyzers.CodeFixes.Editing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace ConcurrencyAnalyzers.CodeFixes.Cancellation;

/// <summary>
/// CONC403 fix: <c>using var cts = …;</c> (C# 8+), or <c>using (var cts = …) { rest of the block }</c> for C# 7.3;
/// <c>using var registration = token.Register(…);</c> in async code (C# 8+).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(TokenSourceNotDisposedCodeFix)), Shared]
public sealed class TokenSourceNotDisposedCodeFix : CodeFixProvider
{
    private const string Title = "Dispose it with 'using'";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.TokenSourceNotDisposed);

    public override FixAllProvider GetFixAllProvider() => FixAllProviders.Batch;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        var usingDeclarations = DisposalStatements.SupportsUsingDeclarations(root.SyntaxTree);
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(TokenSourceNotDisposedAnalyzer.FixableProperty, out var fixable) || fixable != "true" ||
                !diagnostic.Properties.TryGetValue(TokenSourceNotDisposedAnalyzer.KindProperty, out var kind))
            {
                continue;
            }

            var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            var document = context.Document;
            if (kind == TokenSourceNotDisposedAnalyzer.KindLocal &&
                node.FirstAncestorOrSelf<LocalDeclarationStatementSyntax>() is { Declaration.Variables.Count: 1, UsingKeyword.RawKind: 0 } declaration &&
                declaration.Parent is BlockSyntax block)
            {
                // Dispose() statements the analyzer found (a source disposed only on some paths): the using replaces them.
                var disposes = new System.Collections.Generic.List<ExpressionStatementSyntax>();
                foreach (var location in diagnostic.AdditionalLocations)
                {
                    if (root.FindNode(location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<ExpressionStatementSyntax>() is { Parent: BlockSyntax } dispose)
                    {
                        disposes.Add(dispose);
                    }
                }

                if (disposes.Count != diagnostic.AdditionalLocations.Count)
                {
                    continue;
                }

                context.RegisterCodeFix(
                    CodeAction.Create(Title, _ => Task.FromResult(document.WithSyntaxRoot(AddUsing(root, block, declaration, disposes, usingDeclarations))), RuleIds.TokenSourceNotDisposed),
                    diagnostic);
            }
            else if (kind == TokenSourceNotDisposedAnalyzer.KindRegistration && usingDeclarations &&
                     node.FirstAncestorOrSelf<ExpressionStatementSyntax>() is { Parent: BlockSyntax } statement)
            {
                context.RegisterCodeFix(
                    CodeAction.Create(Title, ct => KeepRegistrationAsync(document, root, statement, ct), RuleIds.TokenSourceNotDisposed),
                    diagnostic);
            }
        }
    }

    private static SyntaxNode AddUsing(
        SyntaxNode root, BlockSyntax block, LocalDeclarationStatementSyntax declaration, System.Collections.Generic.List<ExpressionStatementSyntax> disposes, bool usingDeclarations)
    {
        if (disposes.Count > 0)
        {
            root = root.TrackNodes(System.Linq.Enumerable.Concat(new SyntaxNode[] { block, declaration }, disposes));
            foreach (var dispose in disposes)
            {
                var current = root.GetCurrentNode(dispose)!;
                if (HasComment(current))
                {
                    // Keep the statement's comments as lines of their own before whatever follows it.
                    var next = current.GetLastToken().GetNextToken();
                    root = root.ReplaceToken(next, next.WithLeadingTrivia(CommentLines(current).AddRange(next.LeadingTrivia)));
                    current = root.GetCurrentNode(dispose)!;
                }

                root = root.RemoveNode(current, SyntaxRemoveOptions.KeepNoTrivia)!;
            }

            block = root.GetCurrentNode(block)!;
            declaration = root.GetCurrentNode(declaration)!;
        }

        return DisposalStatements.AddUsing(root, block, declaration, usingDeclarations);
    }

    /// <summary>
    /// The statement's leading comment lines, then its trailing comment (if any) on a line of its own at the statement's
    /// indentation.
    /// </summary>
    private static SyntaxTriviaList CommentLines(SyntaxNode statement)
    {
        var leading = statement.GetLeadingTrivia();
        var indentation = leading.Count > 0 && leading[leading.Count - 1].IsKind(SyntaxKind.WhitespaceTrivia) ? leading[leading.Count - 1] : default;
        var lines = indentation == default ? leading : leading.RemoveAt(leading.Count - 1);
        var trailing = statement.GetTrailingTrivia();
        var endOfLine = SyntaxFactory.LineFeed;
        foreach (var trivia in trailing)
        {
            if (trivia.IsKind(SyntaxKind.EndOfLineTrivia))
            {
                endOfLine = trivia;
            }
        }

        foreach (var trivia in trailing)
        {
            if (trivia.IsKind(SyntaxKind.SingleLineCommentTrivia) || trivia.IsKind(SyntaxKind.MultiLineCommentTrivia))
            {
                if (indentation != default)
                {
                    lines = lines.Add(indentation);
                }

                lines = lines.Add(trivia).Add(endOfLine);
            }
        }

        return lines;
    }

    private static bool HasComment(SyntaxNode node)
    {
        foreach (var trivia in node.GetLeadingTrivia())
        {
            if (trivia.IsKind(SyntaxKind.SingleLineCommentTrivia) || trivia.IsKind(SyntaxKind.MultiLineCommentTrivia))
            {
                return true;
            }
        }

        foreach (var trivia in node.GetTrailingTrivia())
        {
            if (trivia.IsKind(SyntaxKind.SingleLineCommentTrivia) || trivia.IsKind(SyntaxKind.MultiLineCommentTrivia))
            {
                return true;
            }
        }

        return false;
    }

    private static async Task<Document> KeepRegistrationAsync(Document document, SyntaxNode root, ExpressionStatementSyntax statement, CancellationToken cancellationToken)
    {
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        var name = "registration";
        for (var i = 2; model is not null && model.LookupSymbols(statement.SpanStart, name: name).Length > 0; i++)
        {
            name = "registration" + i;
        }

        var declaration = SyntaxFactory.LocalDeclarationStatement(
                SyntaxFactory.VariableDeclaration(
                    SyntaxFactory.IdentifierName("var"),
                    SyntaxFactory.SingletonSeparatedList(
                        SyntaxFactory.VariableDeclarator(SyntaxFactory.Identifier(name))
                            .WithInitializer(SyntaxFactory.EqualsValueClause(statement.Expression.WithoutTrivia())))))
            .WithUsingKeyword(SyntaxFactory.Token(SyntaxKind.UsingKeyword))
            .WithAdditionalAnnotations(Formatter.Annotation)
            .WithTriviaFrom(statement);
        return document.WithSyntaxRoot(root.ReplaceNode(statement, declaration));
    }
}
