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
/// CONC101 fix, offered when a token is in scope at the loop: <c>while (true)</c> becomes
/// <c>while (!token.IsCancellationRequested)</c> (also <c>for (;;)</c> and <c>do … while (true)</c>), and a
/// <c>Task.Run(lambda)</c> that can see the token gets it as its second argument.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(BackgroundLoopWithoutExitCodeFix)), Shared]
public sealed class BackgroundLoopWithoutExitCodeFix : CodeFixProvider
{
    private const string Title = "Loop until the token is cancelled";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.BackgroundLoopWithoutExit);

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
            if (!diagnostic.Properties.TryGetValue(BackgroundLoopWithoutExitAnalyzer.TokenProperty, out var token) || token is null)
            {
                continue;
            }

            var loop = root.FindToken(diagnostic.Location.SourceSpan.Start).Parent?.FirstAncestorOrSelf<StatementSyntax>(
                s => s is WhileStatementSyntax or ForStatementSyntax or DoStatementSyntax);
            if (loop is null)
            {
                continue;
            }

            var pass = diagnostic.Properties.TryGetValue(BackgroundLoopWithoutExitAnalyzer.PassToSpawnProperty, out var value) && value == "true";
            context.RegisterCodeFix(
                CodeAction.Create(Title, ct => ApplyAsync(context.Document, loop, token, pass, ct), RuleIds.BackgroundLoopWithoutExit),
                diagnostic);
        }
    }

    private static async Task<Document> ApplyAsync(Document document, StatementSyntax loop, string token, bool passToSpawn, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return document;
        }

        var condition = SyntaxFactory.ParseExpression("!" + token + ".IsCancellationRequested");
        InvocationExpressionSyntax? spawn = null;
        if (passToSpawn &&
            loop.FirstAncestorOrSelf<LambdaExpressionSyntax>() is { Parent: ArgumentSyntax { Parent: ArgumentListSyntax { Arguments.Count: 1, Parent: InvocationExpressionSyntax invocation } } })
        {
            spawn = invocation;
        }

        var newLoop = Rewrite(loop, condition);
        if (spawn is null)
        {
            return document.WithSyntaxRoot(root.ReplaceNode(loop, newLoop));
        }

        var tracked = root.TrackNodes(loop, spawn);
        tracked = tracked.ReplaceNode(tracked.GetCurrentNode(loop)!, newLoop);
        var currentSpawn = tracked.GetCurrentNode(spawn)!;
        var arguments = currentSpawn.ArgumentList.AddArguments(SyntaxFactory.Argument(SyntaxFactory.ParseExpression(token)));
        tracked = tracked.ReplaceNode(currentSpawn, currentSpawn.WithArgumentList(arguments));
        return document.WithSyntaxRoot(tracked);
    }

    private static StatementSyntax Rewrite(StatementSyntax loop, ExpressionSyntax condition) => loop switch
    {
        WhileStatementSyntax w => w.WithCondition(condition.WithTriviaFrom(w.Condition)),
        DoStatementSyntax d => d.WithCondition(condition.WithTriviaFrom(d.Condition)),
        ForStatementSyntax f => f.WithCondition(condition.WithLeadingTrivia(SyntaxFactory.Space))
            .WithSecondSemicolonToken(f.SecondSemicolonToken.WithLeadingTrivia()),
        _ => loop,
    };
}
