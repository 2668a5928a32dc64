using System.Collections.Immutable;
using System.Composition;
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
/// CONC102 fix: a dropped task becomes an explicit discard (<c>_ = SendAsync();</c>), which records that
/// fire-and-forget is intended. A task that outlives its <c>using</c> resource gets no fix (the method must become async).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(TaskNotObservedCodeFix)), Shared]
public sealed class TaskNotObservedCodeFix : CodeFixProvider
{
    private const string DiscardTitle = "Discard the task explicitly ('_ =')";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.TaskNotObserved);

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
            if (!diagnostic.Properties.TryGetValue(TaskNotObservedAnalyzer.KindProperty, out var kind) ||
                kind != TaskNotObservedAnalyzer.KindDropped)
            {
                continue;
            }

            if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not ExpressionSyntax expression)
            {
                continue;
            }

            // `_client?.SendAsync(x);`: the diagnostic is on the call, the discard goes around the whole access.
            while (expression.Parent is ConditionalAccessExpressionSyntax access && access.WhenNotNull == expression)
            {
                expression = access;
            }

            if (expression.Parent is not (ExpressionStatementSyntax or LambdaExpressionSyntax or ArrowExpressionClauseSyntax))
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(DiscardTitle, ct => DiscardAsync(context.Document, expression, ct), RuleIds.TaskNotObserved + ".Discard"),
                diagnostic);
        }
    }

    private static async Task<Document> DiscardAsync(Document document, ExpressionSyntax expression, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return document;
        }

        var discard = SyntaxFactory.AssignmentExpression(
                SyntaxKind.SimpleAssignmentExpression,
                SyntaxFactory.IdentifierName("_"),
                SyntaxFactory.Token(SyntaxKind.EqualsToken).WithLeadingTrivia(SyntaxFactory.Space).WithTrailingTrivia(SyntaxFactory.Space),
                expression.WithoutLeadingTrivia().WithoutTrailingTrivia())
            .WithLeadingTrivia(expression.GetLeadingTrivia())
            .WithTrailingTrivia(expression.GetTrailingTrivia());
        return document.WithSyntaxRoot(root.ReplaceNode(expression, discard));
    }
}
