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
/// CONC108 fix for <c>PeriodicTimer.WaitForNextTickAsync()</c>: pass the token in scope (replacing an explicit
/// <c>CancellationToken.None</c> or <c>default</c>). Dropped and undisposed timers have no fix: where the timer
/// should live and who disposes it is a design decision.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(TimerLifetimeCodeFix)), Shared]
public sealed class TimerLifetimeCodeFix : CodeFixProvider
{
    private const string Title = "Pass the cancellation token";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.TimerLifetime);

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
            if (!diagnostic.Properties.TryGetValue(TimerLifetimeAnalyzer.KindProperty, out var kind) ||
                kind != TimerLifetimeAnalyzer.KindNoToken ||
                !diagnostic.Properties.TryGetValue(TimerLifetimeAnalyzer.TokenProperty, out var token) ||
                string.IsNullOrEmpty(token) ||
                root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax invocation ||
                invocation.ArgumentList.Arguments.Count > 1)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(Title, ct => PassTokenAsync(context.Document, invocation, token!, ct), RuleIds.TimerLifetime + ".PassToken"),
                diagnostic);
        }
    }

    private static async Task<Document> PassTokenAsync(Document document, InvocationExpressionSyntax invocation, string token, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return document;
        }

        var expression = SyntaxFactory.ParseExpression(token);
        var arguments = invocation.ArgumentList;
        var newArguments = arguments.Arguments.Count == 1
            ? arguments.ReplaceNode(arguments.Arguments[0].Expression, expression.WithTriviaFrom(arguments.Arguments[0].Expression))
            : arguments.AddArguments(SyntaxFactory.Argument(expression));
        return document.WithSyntaxRoot(root.ReplaceNode(arguments, newArguments));
    }
}
