using System.Collections.Immutable;
using System.Composition;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ConcurrencyAnalyzers.CodeFixes.Editing;
using ConcurrencyAnalyzers.Locking;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace ConcurrencyAnalyzers.CodeFixes.Locking;

/// <summary>CONC204: wraps the statements between the acquire and the release in try/finally, or turns Monitor.Enter/Exit into lock.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(LockReleaseNotGuaranteedCodeFix))]
[Shared]
public sealed class LockReleaseNotGuaranteedCodeFix : CodeFixProvider
{
    private const string FinallyTitle = "Release the lock in a finally block";
    private const string LockTitle = "Use a lock statement";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.LockReleaseNotGuaranteed);

    public override FixAllProvider GetFixAllProvider() => FixAllProviders.Batch;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var diagnostic = context.Diagnostics[0];
        if (!diagnostic.Properties.TryGetValue(LockReleaseNotGuaranteedAnalyzer.FixProperty, out var kind) ||
            !diagnostic.Properties.TryGetValue(LockReleaseNotGuaranteedAnalyzer.DistanceProperty, out var distanceText) ||
            !int.TryParse(distanceText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var distance))
        {
            return;
        }

        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var node = root?.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
        var statement = node?.FirstAncestorOrSelf<ExpressionStatementSyntax>();
        if (root is null || statement?.Parent is not BlockSyntax block)
        {
            return;
        }

        var index = block.Statements.IndexOf(statement);
        if (index < 0 || index + distance >= block.Statements.Count)
        {
            return;
        }

        var title = kind == LockReleaseNotGuaranteedAnalyzer.FixLock ? LockTitle : FinallyTitle;
        context.RegisterCodeFix(
            CodeAction.Create(
                title,
                ct => Task.FromResult(context.Document.WithSyntaxRoot(Rewrite(root, block, index, distance, kind == LockReleaseNotGuaranteedAnalyzer.FixLock))),
                RuleIds.LockReleaseNotGuaranteed + (kind == LockReleaseNotGuaranteedAnalyzer.FixLock ? ".lock" : ".finally")),
            diagnostic);
    }

    private static SyntaxNode Rewrite(SyntaxNode root, BlockSyntax block, int index, int distance, bool useLock)
    {
        var statements = block.Statements;
        var acquire = statements[index];
        var release = statements[index + distance];
        var inner = SyntaxFactory.List(statements.Skip(index + 1).Take(distance - 1));
        StatementSyntax replacement;
        int first;
        if (useLock && acquire is ExpressionStatementSyntax { Expression: InvocationExpressionSyntax { ArgumentList.Arguments: { Count: 1 } arguments } })
        {
            replacement = SyntaxFactory.LockStatement(arguments[0].Expression.WithoutTrivia(), SyntaxFactory.Block(inner))
                .WithLeadingTrivia(acquire.GetLeadingTrivia())
                .WithTrailingTrivia(release.GetTrailingTrivia());
            first = index;
        }
        else
        {
            var finallyStatement = release.WithoutTrivia().WithLeadingTrivia(release.GetLeadingTrivia().Where(t => !t.IsKind(SyntaxKind.WhitespaceTrivia)));
            replacement = SyntaxFactory.TryStatement(
                    SyntaxFactory.Block(inner),
                    default,
                    SyntaxFactory.FinallyClause(SyntaxFactory.Block(finallyStatement)))
                .WithTrailingTrivia(release.GetTrailingTrivia());
            first = index + 1;
        }

        replacement = replacement.WithAdditionalAnnotations(Formatter.Annotation);
        var newStatements = statements.Take(first).Concat(new[] { replacement }).Concat(statements.Skip(index + distance + 1));
        return root.ReplaceNode(block, block.WithStatements(SyntaxFactory.List(newStatements)));
    }
}
