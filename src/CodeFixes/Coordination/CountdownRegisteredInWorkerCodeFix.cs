using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using ConcurrencyAnalyzers.CodeFixes.Editing;
using ConcurrencyAnalyzers.Coordination;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ConcurrencyAnalyzers.CodeFixes.Coordination;

/// <summary>
/// CONC606: moves <c>counter.AddCount(...)</c> (or <c>AddParticipant</c>) out of the worker lambda to just before the
/// statement that starts the work, with the same arguments and its comments. Offered only where the analyzer found
/// the move safe (<see cref="CountdownRegisteredInWorkerAnalyzer.HoistProperty"/>).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CountdownRegisteredInWorkerCodeFix)), Shared]
public sealed class CountdownRegisteredInWorkerCodeFix : CodeFixProvider
{
    private const string Title = "Register before starting the work";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.CountdownRegisteredInWorker);

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
            if (!diagnostic.Properties.ContainsKey(CountdownRegisteredInWorkerAnalyzer.HoistProperty) ||
                root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax call ||
                call.Parent is not ExpressionStatementSyntax registration ||
                registration.Parent is not BlockSyntax { Parent: AnonymousFunctionExpressionSyntax lambda } ||
                lambda.FirstAncestorOrSelf<StatementSyntax>() is not { Parent: BlockSyntax block } spawn)
            {
                continue;
            }

            var document = context.Document;
            context.RegisterCodeFix(
                CodeAction.Create(
                    Title,
                    _ => Task.FromResult(document.WithSyntaxRoot(root.ReplaceNode(block, Hoist(block, spawn, registration)))),
                    RuleIds.CountdownRegisteredInWorker),
                diagnostic);
        }
    }

    private static BlockSyntax Hoist(BlockSyntax block, StatementSyntax spawn, ExpressionStatementSyntax registration)
    {
        var indentation = spawn.GetLeadingTrivia().LastOrDefault(t => t.IsKind(SyntaxKind.WhitespaceTrivia));
        var moved = registration.WithLeadingTrivia(Reindent(registration.GetLeadingTrivia(), indentation));
        var remaining = spawn.RemoveNode(registration, SyntaxRemoveOptions.KeepNoTrivia)!;
        return block.ReplaceNode(spawn, new SyntaxNode[] { moved, remaining });
    }

    /// <summary>The registration's own leading trivia (its comments) at the spawn statement's indentation.</summary>
    private static SyntaxTriviaList Reindent(SyntaxTriviaList trivia, SyntaxTrivia indentation)
    {
        var result = SyntaxFactory.TriviaList();
        var atLineStart = true;
        foreach (var item in trivia)
        {
            if (item.IsKind(SyntaxKind.WhitespaceTrivia))
            {
                continue;
            }

            if (atLineStart && indentation != default)
            {
                result = result.Add(indentation);
            }

            result = result.Add(item);
            atLineStart = item.IsKind(SyntaxKind.EndOfLineTrivia);
        }

        return atLineStart && indentation != default ? result.Add(indentation) : result;
    }
}
