using System.Collections.Immutable;
using System.Composition;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ConcurrencyAnalyzers.CodeFixes.Editing;
using ConcurrencyAnalyzers.Coordination;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace ConcurrencyAnalyzers.CodeFixes.Coordination;

/// <summary>
/// CONC601: puts the producer's statements in <c>try { … } finally { writer.TryComplete(); }</c>. A completion that
/// ends the producer's body moves into the finally (as <c>TryComplete</c>, arguments kept); a producer that never
/// completes gets one. Offered only for a completion that is the last statement of a function body, or a single
/// producer lambda or local function.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ChannelNotCompletedCodeFix)), Shared]
public sealed class ChannelNotCompletedCodeFix : CodeFixProvider
{
    private const string Title = "Complete the writer in a finally block";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.ChannelNotCompleted);

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
            diagnostic.Properties.TryGetValue(ChannelNotCompletedAnalyzer.ShapeProperty, out var shape);
            if (shape == ChannelNotCompletedAnalyzer.ShapeNormalPathOnly &&
                root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<InvocationExpressionSyntax>() is { } completion &&
                completion.Parent is ExpressionStatementSyntax { Parent: BlockSyntax body } statement &&
                IsFunctionBody(body) &&
                body.Statements.Last() == statement &&
                completion.Expression is MemberAccessExpressionSyntax)
            {
                context.RegisterCodeFix(CodeAction.Create(Title, ct => MoveIntoFinallyAsync(context.Document, body, statement, completion, ct), RuleIds.ChannelNotCompleted), diagnostic);
            }
            else if (shape == ChannelNotCompletedAnalyzer.ShapeNever &&
                     diagnostic.Properties.TryGetValue(ChannelNotCompletedAnalyzer.ProducerStartProperty, out var startText) &&
                     diagnostic.Properties.TryGetValue(ChannelNotCompletedAnalyzer.WriterTextProperty, out var writerText) &&
                     writerText is not null &&
                     int.TryParse(startText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var start) &&
                     ProducerBody(root, start) is { } producerBody)
            {
                context.RegisterCodeFix(CodeAction.Create(Title, ct => WrapAsync(context.Document, producerBody, writerText, ct), RuleIds.ChannelNotCompleted), diagnostic);
            }
        }
    }

    private static bool IsFunctionBody(BlockSyntax block)
        => block.Parent is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or BaseMethodDeclarationSyntax;

    private static BlockSyntax? ProducerBody(SyntaxNode root, int start)
    {
        var token = root.FindToken(start);
        foreach (var node in token.Parent?.AncestorsAndSelf() ?? Enumerable.Empty<SyntaxNode>())
        {
            if (node.SpanStart != start)
            {
                break;
            }

            switch (node)
            {
                case AnonymousFunctionExpressionSyntax { Body: BlockSyntax lambdaBody }:
                    return lambdaBody;
                case LocalFunctionStatementSyntax { Body: { } localBody }:
                    return localBody;
            }
        }

        return null;
    }

    private static async Task<Document> MoveIntoFinallyAsync(Document document, BlockSyntax body, StatementSyntax completionStatement, InvocationExpressionSyntax completion, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || completion.Expression is not MemberAccessExpressionSyntax access)
        {
            return document;
        }

        var tryComplete = completionStatement.ReplaceNode(access.Name, SyntaxFactory.IdentifierName("TryComplete").WithTriviaFrom(access.Name));
        var protectedStatements = body.Statements.RemoveAt(body.Statements.Count - 1);
        var newBody = body.WithStatements(SyntaxFactory.SingletonList<StatementSyntax>(TryFinally(protectedStatements, (StatementSyntax)tryComplete)));
        return document.WithSyntaxRoot(root.ReplaceNode(body, newBody));
    }

    private static async Task<Document> WrapAsync(Document document, BlockSyntax body, string writerText, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return document;
        }

        var complete = SyntaxFactory.ExpressionStatement(SyntaxFactory.ParseExpression(writerText + ".TryComplete()"));
        var newBody = body.WithStatements(SyntaxFactory.SingletonList<StatementSyntax>(TryFinally(body.Statements, complete)));
        return document.WithSyntaxRoot(root.ReplaceNode(body, newBody));
    }

    private static TryStatementSyntax TryFinally(SyntaxList<StatementSyntax> statements, StatementSyntax inFinally)
        => SyntaxFactory.TryStatement(
                SyntaxFactory.Block(statements),
                default,
                SyntaxFactory.FinallyClause(SyntaxFactory.Block(inFinally)))
            .WithAdditionalAnnotations(Formatter.Annotation);
}
