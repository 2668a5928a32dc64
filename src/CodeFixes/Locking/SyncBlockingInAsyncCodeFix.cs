using System.Collections.Immutable;
using System.Composition;
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
using Microsoft.CodeAnalysis.Simplification;

namespace ConcurrencyAnalyzers.CodeFixes.Locking;

/// <summary>
/// CONC207: <c>task.Result</c> / <c>task.GetAwaiter().GetResult()</c> → <c>await task</c>; <c>task.Wait();</c> →
/// <c>await task;</c>; <c>Thread.Sleep(t);</c> → <c>await Task.Delay(t);</c>. Only where an <c>await</c> may be written.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(SyncBlockingInAsyncCodeFix))]
[Shared]
public sealed class SyncBlockingInAsyncCodeFix : CodeFixProvider
{
    private const string AwaitTitle = "Await the task";
    private const string DelayTitle = "Use await Task.Delay";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.SyncBlockingInAsync);

    public override FixAllProvider GetFixAllProvider() => FixAllProviders.Batch;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var diagnostic = context.Diagnostics[0];
        if (!diagnostic.Properties.TryGetValue(SyncBlockingInAsyncAnalyzer.FixProperty, out var fix))
        {
            return;
        }

        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root?.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not SimpleNameSyntax name ||
            name.Parent is not MemberAccessExpressionSyntax access || access.Name != name)
        {
            return;
        }

        switch (fix)
        {
            case SyncBlockingInAsyncAnalyzer.FixResult when CanAwait(access):
                Register(context, diagnostic, AwaitTitle, ct => Replace(context.Document, root, access, access.Expression));
                break;
            case SyncBlockingInAsyncAnalyzer.FixGetResult when access.Parent is InvocationExpressionSyntax { ArgumentList.Arguments.Count: 0 } getResult &&
                                                                access.Expression is InvocationExpressionSyntax { ArgumentList.Arguments.Count: 0, Expression: MemberAccessExpressionSyntax getAwaiter } &&
                                                                CanAwait(getResult):
                Register(context, diagnostic, AwaitTitle, ct => Replace(context.Document, root, getResult, getAwaiter.Expression));
                break;
            case SyncBlockingInAsyncAnalyzer.FixWait when access.Parent is InvocationExpressionSyntax { ArgumentList.Arguments.Count: 0, Parent: ExpressionStatementSyntax } wait &&
                                                           CanAwait(wait):
                Register(context, diagnostic, AwaitTitle, ct => Replace(context.Document, root, wait, access.Expression));
                break;
            case SyncBlockingInAsyncAnalyzer.FixSleep when access.Parent is InvocationExpressionSyntax { ArgumentList.Arguments.Count: 1, Parent: ExpressionStatementSyntax } sleep &&
                                                            CanAwait(sleep):
                Register(context, diagnostic, DelayTitle, ct => ToDelayAsync(context.Document, sleep, ct));
                break;
        }
    }

    private static void Register(CodeFixContext context, Diagnostic diagnostic, string title, System.Func<CancellationToken, Task<Document>> fix)
        => context.RegisterCodeFix(CodeAction.Create(title, fix, RuleIds.SyncBlockingInAsync), diagnostic);

    /// <summary>An <c>await</c> may be written here: an async function, not in a lock, query, unsafe block or catch filter.</summary>
    private static bool CanAwait(SyntaxNode node)
    {
        for (var current = node.Parent; current is not null; current = current.Parent)
        {
            if (current is CatchFilterClauseSyntax)
            {
                return false;
            }

            if (current is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or MemberDeclarationSyntax)
            {
                break;
            }
        }

        return AsyncContexts.CanAwaitAt(node);
    }

    /// <summary><paramref name="blocking"/> → <c>(await task)</c>; the parentheses go when the simplifier finds them unneeded.</summary>
    private static Task<Document> Replace(Document document, SyntaxNode root, ExpressionSyntax blocking, ExpressionSyntax task)
    {
        ExpressionSyntax awaited = SyntaxFactory.AwaitExpression(task.WithoutTrivia());
        if (blocking.Parent is not (ExpressionStatementSyntax or EqualsValueClauseSyntax or ReturnStatementSyntax or ArrowExpressionClauseSyntax or ArgumentSyntax))
        {
            awaited = SyntaxFactory.ParenthesizedExpression(awaited).WithAdditionalAnnotations(Simplifier.Annotation);
        }

        return Task.FromResult(document.WithSyntaxRoot(root.ReplaceNode(blocking, awaited.WithTriviaFrom(blocking))));
    }

    private static async Task<Document> ToDelayAsync(Document document, InvocationExpressionSyntax sleep, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return document;
        }

        var (task, import) = TypeNames.At(model, sleep.SpanStart, "System.Threading.Tasks", "Task");
        var delay = SyntaxFactory.InvocationExpression(
            SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, task, SyntaxFactory.IdentifierName("Delay")),
            sleep.ArgumentList);
        var awaited = SyntaxFactory.AwaitExpression(delay).WithTriviaFrom(sleep).WithAdditionalAnnotations(Formatter.Annotation);
        return document.WithSyntaxRoot(UsingDirectives.AddIfMissing(root.ReplaceNode(sleep, awaited), import));
    }
}
