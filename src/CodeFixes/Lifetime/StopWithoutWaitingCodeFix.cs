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
using Microsoft.CodeAnalysis.Formatting;

namespace ConcurrencyAnalyzers.CodeFixes.Lifetime;

/// <summary>
/// CONC105 fix, offered in async stop methods (<c>StopAsync</c>, <c>DisposeAsync</c>) for a task field started in the
/// constructor: right after the <c>Cancel()</c> statement, <c>try { await _loop.ConfigureAwait(false); } catch
/// (OperationCanceledException) { }</c>, so everything after it (disposing the source and the resources) runs once the
/// work has ended. Sync <c>Dispose</c> and the fixed-sleep shape get no fix.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(StopWithoutWaitingCodeFix)), Shared]
public sealed class StopWithoutWaitingCodeFix : CodeFixProvider
{
    private const string Title = "Await the background task after cancelling it";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.StopWithoutWaiting);

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
            if (!diagnostic.Properties.TryGetValue(StopWithoutWaitingAnalyzer.TaskFieldProperty, out var field) || field is null)
            {
                continue;
            }

            var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            if (node.FirstAncestorOrSelf<ExpressionStatementSyntax>() is not { Parent: BlockSyntax } statement ||
                !AsyncContexts.CanAwaitAt(statement))
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(Title, ct => ApplyAsync(context.Document, statement, field, ct), RuleIds.StopWithoutWaiting),
                diagnostic);
        }
    }

    private static async Task<Document> ApplyAsync(Document document, ExpressionStatementSyntax statement, string field, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null || statement.Parent is not BlockSyntax block)
        {
            return document;
        }

        var (exceptionName, import) = TypeNames.At(model, statement.SpanStart, "System", "OperationCanceledException");
        var newLine = UsingDirectives.NewLineOf(root).ToString();
        var text = "try" + newLine + "{" + newLine + "await " + field + ".ConfigureAwait(false);" + newLine + "}" + newLine +
                   "catch (" + exceptionName.ToString() + ")" + newLine + "{" + newLine + "}" + newLine;
        var tryStatement = SyntaxFactory.ParseStatement(text).WithAdditionalAnnotations(Formatter.Annotation);
        if (tryStatement is TryStatementSyntax parsed && parsed.Catches.Count == 1 && parsed.Catches[0].Declaration is { } declaration)
        {
            tryStatement = parsed.ReplaceNode(declaration.Type, exceptionName.WithTriviaFrom(declaration.Type))
                .WithAdditionalAnnotations(Formatter.Annotation);
        }

        var index = block.Statements.IndexOf(statement);
        var newBlock = block.WithStatements(block.Statements.Insert(index + 1, tryStatement));
        var newRoot = root.ReplaceNode(block, newBlock);
        return document.WithSyntaxRoot(UsingDirectives.AddIfMissing(newRoot, import));
    }
}
