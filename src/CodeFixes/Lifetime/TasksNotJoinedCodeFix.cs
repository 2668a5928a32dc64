using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ConcurrencyAnalyzers.CodeFixes.Editing;
using ConcurrencyAnalyzers.Lifetime;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ConcurrencyAnalyzers.CodeFixes.Lifetime;

/// <summary>
/// CONC104 fixes: <c>await Task.WhenAll(a, b);</c> inserted before the first of the one-by-one awaits;
/// <c>foreach (var t in tasks) await t;</c> → <c>await Task.WhenAll(tasks);</c>; <c>await Task.WhenAny(...)</c> →
/// <c>await await Task.WhenAny(...)</c> so the winner's fault surfaces.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(TasksNotJoinedCodeFix)), Shared]
public sealed class TasksNotJoinedCodeFix : CodeFixProvider
{
    private const string WhenAllTitle = "Await Task.WhenAll first";
    private const string ForEachTitle = "Await Task.WhenAll instead of one by one";
    private const string WhenAnyTitle = "Await the task Task.WhenAny returns";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.TasksNotJoined);

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
            if (!diagnostic.Properties.TryGetValue(TasksNotJoinedAnalyzer.KindProperty, out var kind))
            {
                continue;
            }

            var configureAwait = diagnostic.Properties.TryGetValue(TasksNotJoinedAnalyzer.ConfigureAwaitProperty, out var value) && value == "true";
            var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            switch (kind)
            {
                case TasksNotJoinedAnalyzer.KindSequential
                    when diagnostic.Properties.TryGetValue(TasksNotJoinedAnalyzer.TasksProperty, out var tasks) && tasks is not null &&
                         node.FirstAncestorOrSelf<StatementSyntax>() is { Parent: BlockSyntax } statement:
                    context.RegisterCodeFix(
                        CodeAction.Create(
                            WhenAllTitle,
                            ct => InsertWhenAllAsync(context.Document, statement, tasks.Split(','), configureAwait, ct),
                            RuleIds.TasksNotJoined),
                        diagnostic);
                    break;
                case TasksNotJoinedAnalyzer.KindForEach when node.FirstAncestorOrSelf<ForEachStatementSyntax>() is { } forEach:
                    context.RegisterCodeFix(
                        CodeAction.Create(ForEachTitle, ct => ReplaceForEachAsync(context.Document, forEach, configureAwait, ct), RuleIds.TasksNotJoined),
                        diagnostic);
                    break;
                case TasksNotJoinedAnalyzer.KindWhenAny when node.FirstAncestorOrSelf<AwaitExpressionSyntax>() is { } awaitExpression:
                    context.RegisterCodeFix(
                        CodeAction.Create(WhenAnyTitle, ct => AwaitWinnerAsync(context.Document, awaitExpression, ct), RuleIds.TasksNotJoined),
                        diagnostic);
                    break;
            }
        }
    }

    private static async Task<Document> InsertWhenAllAsync(Document document, StatementSyntax statement, string[] tasks, bool configureAwait, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null || statement.Parent is not BlockSyntax block)
        {
            return document;
        }

        var (taskName, import) = TypeNames.At(model, statement.SpanStart, "System.Threading.Tasks", "Task");
        var call = WhenAll(taskName, tasks.Select(t => (ExpressionSyntax)SyntaxFactory.IdentifierName(t)), configureAwait);
        var indentation = statement.GetLeadingTrivia().Where(t => t.IsKind(SyntaxKind.WhitespaceTrivia)).LastOrDefault();
        var inserted = SyntaxFactory.ExpressionStatement(call)
            .WithLeadingTrivia(statement.GetLeadingTrivia())
            .WithTrailingTrivia(UsingDirectives.NewLineOf(root));
        var kept = statement.WithLeadingTrivia(indentation == default ? SyntaxFactory.TriviaList() : SyntaxFactory.TriviaList(indentation));
        var index = block.Statements.IndexOf(statement);
        var statements = block.Statements.RemoveAt(index).Insert(index, kept).Insert(index, inserted);
        var newRoot = root.ReplaceNode(block, block.WithStatements(statements));
        return document.WithSyntaxRoot(UsingDirectives.AddIfMissing(newRoot, import));
    }

    private static async Task<Document> ReplaceForEachAsync(Document document, ForEachStatementSyntax forEach, bool configureAwait, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return document;
        }

        var (taskName, import) = TypeNames.At(model, forEach.SpanStart, "System.Threading.Tasks", "Task");
        var call = WhenAll(taskName, new[] { forEach.Expression.WithoutTrivia() }, configureAwait);
        var replacement = SyntaxFactory.ExpressionStatement(call)
            .WithLeadingTrivia(forEach.GetLeadingTrivia())
            .WithTrailingTrivia(forEach.GetTrailingTrivia());
        var newRoot = root.ReplaceNode(forEach, replacement);
        return document.WithSyntaxRoot(UsingDirectives.AddIfMissing(newRoot, import));
    }

    private static async Task<Document> AwaitWinnerAsync(Document document, AwaitExpressionSyntax awaitExpression, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return document;
        }

        var outer = SyntaxFactory.AwaitExpression(
                SyntaxFactory.Token(SyntaxKind.AwaitKeyword).WithTrailingTrivia(SyntaxFactory.Space),
                awaitExpression.WithoutLeadingTrivia())
            .WithLeadingTrivia(awaitExpression.GetLeadingTrivia());
        return document.WithSyntaxRoot(root.ReplaceNode(awaitExpression, outer));
    }

    private static AwaitExpressionSyntax WhenAll(TypeSyntax taskName, System.Collections.Generic.IEnumerable<ExpressionSyntax> tasks, bool configureAwait)
    {
        ExpressionSyntax call = SyntaxFactory.InvocationExpression(
            SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, taskName, SyntaxFactory.IdentifierName("WhenAll")),
            SyntaxFactory.ArgumentList(SyntaxFactory.SeparatedList(
                tasks.Select(SyntaxFactory.Argument),
                Enumerable.Repeat(SyntaxFactory.Token(SyntaxKind.CommaToken).WithTrailingTrivia(SyntaxFactory.Space), System.Math.Max(0, tasks.Count() - 1)))));
        if (configureAwait)
        {
            call = SyntaxFactory.InvocationExpression(
                SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, call, SyntaxFactory.IdentifierName("ConfigureAwait")),
                SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(SyntaxFactory.LiteralExpression(SyntaxKind.FalseLiteralExpression)))));
        }

        return SyntaxFactory.AwaitExpression(SyntaxFactory.Token(SyntaxKind.AwaitKeyword).WithTrailingTrivia(SyntaxFactory.Space), call);
    }
}
