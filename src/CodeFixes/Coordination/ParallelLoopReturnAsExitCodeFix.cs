using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
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
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;

namespace ConcurrencyAnalyzers.CodeFixes.Coordination;

/// <summary>
/// CONC607: <c>return;</c> used as a loop exit in a Parallel.For/ForEach body becomes <c>state.Stop(); return;</c>,
/// using the body's <c>ParallelLoopState</c> parameter or adding one (<c>i =&gt;</c> becomes <c>(i, state) =&gt;</c>,
/// which selects the (item, state) overload). Several returns of one body share the one new parameter (Fix All goes
/// through one pass per document for that reason).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ParallelLoopReturnAsExitCodeFix)), Shared]
public sealed class ParallelLoopReturnAsExitCodeFix : CodeFixProvider
{
    private const string Title = "Stop the loop with ParallelLoopState.Stop()";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.ParallelLoopReturnAsExit);

    public override FixAllProvider GetFixAllProvider() => DocumentBatchFix.Create(FixAsync);

    public override Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.ContainsKey(ParallelLoopReturnAsExitAnalyzer.StateNameProperty) &&
                !diagnostic.Properties.ContainsKey(ParallelLoopReturnAsExitAnalyzer.AddStateProperty))
            {
                continue;
            }

            var document = context.Document;
            context.RegisterCodeFix(
                CodeAction.Create(Title, ct => FixAsync(document, ImmutableArray.Create(diagnostic), ct), RuleIds.ParallelLoopReturnAsExit),
                diagnostic);
        }

        return Task.CompletedTask;
    }

    private static async Task<Document> FixAsync(Document document, ImmutableArray<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return document;
        }

        var editor = new SyntaxEditor(root, document.Project.Solution.Workspace.Services);
        var names = new Dictionary<AnonymousFunctionExpressionSyntax, string>();
        var newParameters = new List<AnonymousFunctionExpressionSyntax>();
        foreach (var diagnostic in diagnostics.OrderBy(d => d.Location.SourceSpan.Start))
        {
            if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not ReturnStatementSyntax ret ||
                ret.FirstAncestorOrSelf<AnonymousFunctionExpressionSyntax>() is not { } lambda)
            {
                continue;
            }

            if (!names.TryGetValue(lambda, out var name))
            {
                if (diagnostic.Properties.TryGetValue(ParallelLoopReturnAsExitAnalyzer.StateNameProperty, out var existing) && existing is not null)
                {
                    name = existing;
                }
                else if (FreeName(model, lambda) is { } fresh && AddParameter(lambda, fresh) is not null)
                {
                    name = fresh;
                    newParameters.Add(lambda);
                }
                else
                {
                    continue;
                }

                names.Add(lambda, name);
            }

            var stop = SyntaxFactory.ParseStatement(name + ".Stop();");
            if (ret.Parent is BlockSyntax)
            {
                // On its own line at the return's indentation, or on the return's line when the return shares one.
                var atLineStart = ret.GetFirstToken().GetPreviousToken().TrailingTrivia.Any(t => t.IsKind(SyntaxKind.EndOfLineTrivia));
                var indentation = ret.GetLeadingTrivia().LastOrDefault(t => t.IsKind(SyntaxKind.WhitespaceTrivia));
                var endOfLine = ret.GetFirstToken().GetPreviousToken().TrailingTrivia.FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia));
                editor.InsertBefore(ret, atLineStart
                    ? stop.WithLeadingTrivia(indentation == default ? SyntaxFactory.TriviaList() : SyntaxFactory.TriviaList(indentation)).WithTrailingTrivia(endOfLine)
                    : stop.WithTrailingTrivia(SyntaxFactory.Space));
            }
            else
            {
                editor.ReplaceNode(ret, (current, _) => SyntaxFactory.Block(
                        stop.WithTrailingTrivia(SyntaxFactory.ElasticCarriageReturnLineFeed),
                        ((StatementSyntax)current).WithoutTrivia().WithLeadingTrivia(SyntaxFactory.ElasticMarker))
                    .WithTrailingTrivia(current.GetTrailingTrivia())
                    .WithAdditionalAnnotations(Formatter.Annotation));
            }
        }

        // The bodies' own edits first, then the parameter lists around them.
        foreach (var lambda in newParameters)
        {
            var name = names[lambda];
            editor.ReplaceNode(lambda, (current, _) => AddParameter((AnonymousFunctionExpressionSyntax)current, name) ?? current);
        }

        return document.WithSyntaxRoot(editor.GetChangedRoot());
    }

    /// <summary><c>state</c>, or <c>loopState</c> when <c>state</c> is already taken around or inside the body.</summary>
    private static string? FreeName(SemanticModel model, AnonymousFunctionExpressionSyntax lambda)
    {
        foreach (var candidate in new[] { "state", "loopState" })
        {
            var taken = !model.LookupSymbols(lambda.Body.SpanStart, name: candidate).IsEmpty ||
                        lambda.Body.DescendantTokens().Any(t => t.IsKind(SyntaxKind.IdentifierToken) && t.ValueText == candidate);
            if (!taken)
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary><c>i =&gt; …</c> or <c>(i) =&gt; …</c> with a second parameter <paramref name="name"/>.</summary>
    private static AnonymousFunctionExpressionSyntax? AddParameter(AnonymousFunctionExpressionSyntax lambda, string name)
    {
        var state = SyntaxFactory.Parameter(SyntaxFactory.Identifier(name));
        switch (lambda)
        {
            case SimpleLambdaExpressionSyntax simple:
                var parameter = simple.Parameter;
                var list = SyntaxFactory.ParameterList(SyntaxFactory.SeparatedList(
                        new[] { parameter.WithoutTrivia(), state },
                        new[] { SyntaxFactory.Token(SyntaxKind.CommaToken).WithTrailingTrivia(SyntaxFactory.Space) }))
                    .WithLeadingTrivia(parameter.GetLeadingTrivia())
                    .WithTrailingTrivia(parameter.GetTrailingTrivia());
                return SyntaxFactory.ParenthesizedLambdaExpression(list, simple.Block, simple.ExpressionBody)
                    .WithModifiers(simple.Modifiers)
                    .WithArrowToken(simple.ArrowToken);
            case ParenthesizedLambdaExpressionSyntax { ParameterList.Parameters.Count: 1 } parenthesized:
                var parameters = parenthesized.ParameterList.Parameters;
                return parenthesized.WithParameterList(parenthesized.ParameterList.WithParameters(SyntaxFactory.SeparatedList(
                    new[] { parameters[0], state },
                    new[] { SyntaxFactory.Token(SyntaxKind.CommaToken).WithTrailingTrivia(SyntaxFactory.Space) })));
            default:
                return null;
        }
    }
}
