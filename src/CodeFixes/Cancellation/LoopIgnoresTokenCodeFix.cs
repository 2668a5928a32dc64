using System.Collections.Immutable;
using System.Composition;
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

/// <summary>CONC402 fix: <c>token.ThrowIfCancellationRequested();</c> as the loop's first statement.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(LoopIgnoresTokenCodeFix)), Shared]
public sealed class LoopIgnoresTokenCodeFix : CodeFixProvider
{
    private const string Title = "Check the token on every pass";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.LoopIgnoresToken);

    public override FixAllProvider GetFixAllProvider() => FixAllProviders.Batch;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(LoopIgnoresTokenAnalyzer.TokenProperty, out var token) || token is null)
            {
                continue;
            }

            var loop = root.FindToken(diagnostic.Location.SourceSpan.Start).Parent;
            var body = loop switch
            {
                WhileStatementSyntax w => w.Statement,
                DoStatementSyntax d => d.Statement,
                ForStatementSyntax f => f.Statement,
                _ => null,
            };
            if (loop is null || body is null)
            {
                continue;
            }

            var document = context.Document;
            context.RegisterCodeFix(
                CodeAction.Create(Title, _ => Task.FromResult(document.WithSyntaxRoot(root.ReplaceNode(body, WithCheck(body, token)))), RuleIds.LoopIgnoresToken),
                diagnostic);
        }
    }

    private static StatementSyntax WithCheck(StatementSyntax body, string token)
    {
        var check = SyntaxFactory.ParseStatement(token + ".ThrowIfCancellationRequested();");
        if (body is BlockSyntax { Statements.Count: > 0 } block)
        {
            // Same indentation as the first statement, above it (and above its comments).
            var first = block.Statements[0];
            var leading = first.GetLeadingTrivia();
            var indentation = leading.Count > 0 && leading[leading.Count - 1].IsKind(SyntaxKind.WhitespaceTrivia)
                ? SyntaxFactory.TriviaList(leading[leading.Count - 1])
                : SyntaxFactory.TriviaList();
            var newLine = block.OpenBraceToken.TrailingTrivia.Count > 0 && block.OpenBraceToken.TrailingTrivia[block.OpenBraceToken.TrailingTrivia.Count - 1].IsKind(SyntaxKind.EndOfLineTrivia)
                ? block.OpenBraceToken.TrailingTrivia[block.OpenBraceToken.TrailingTrivia.Count - 1]
                : SyntaxFactory.EndOfLine("\n");
            return block.WithStatements(block.Statements.Insert(0, check.WithLeadingTrivia(indentation).WithTrailingTrivia(newLine)));
        }

        if (body is BlockSyntax emptyBlock)
        {
            return emptyBlock.WithStatements(emptyBlock.Statements.Add(check)).WithAdditionalAnnotations(Formatter.Annotation);
        }

        // A single-statement body becomes a block, laid out with the loop's own indentation.
        var loopLeading = body.Parent?.GetLeadingTrivia() ?? default;
        var outer = loopLeading.Count > 0 && loopLeading[loopLeading.Count - 1].IsKind(SyntaxKind.WhitespaceTrivia) ? loopLeading[loopLeading.Count - 1].ToString() : string.Empty;
        var inner = outer + "    ";
        var eol = body.GetTrailingTrivia().Count > 0 && body.GetTrailingTrivia()[body.GetTrailingTrivia().Count - 1].IsKind(SyntaxKind.EndOfLineTrivia)
            ? body.GetTrailingTrivia()[body.GetTrailingTrivia().Count - 1]
            : SyntaxFactory.EndOfLine("\n");
        var openBrace = SyntaxFactory.Token(SyntaxKind.OpenBraceToken).WithLeadingTrivia(SyntaxFactory.Whitespace(outer)).WithTrailingTrivia(eol);
        var closeBrace = SyntaxFactory.Token(SyntaxKind.CloseBraceToken).WithLeadingTrivia(SyntaxFactory.Whitespace(outer)).WithTrailingTrivia(body.GetTrailingTrivia());
        var statement = body.WithLeadingTrivia(SyntaxFactory.Whitespace(inner)).WithTrailingTrivia(eol);
        return SyntaxFactory.Block(
            openBrace,
            SyntaxFactory.List(new[] { check.WithLeadingTrivia(SyntaxFactory.Whitespace(inner)).WithTrailingTrivia(eol), statement }),
            closeBrace);
    }
}
