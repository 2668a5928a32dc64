using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using ConcurrencyAnalyzers.CodeFixes.Editing;
using ConcurrencyAnalyzers.SharedState;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ConcurrencyAnalyzers.CodeFixes.SharedState;

/// <summary>
/// CONC305 fix for a plain update of a field that is updated with <c>Interlocked</c> elsewhere: <c>_n++</c> →
/// <c>Interlocked.Increment(ref _n)</c>, <c>_n += k</c> → <c>Interlocked.Add(ref _n, k)</c> (int and long). The other
/// shapes (check-then-act, volatile fields, ignored CompareExchange) are reported without a fix, except
/// <c>d[k] = d.GetValueOrDefault(k) + n</c> on a <c>ConcurrentDictionary</c>, which becomes
/// <c>d.AddOrUpdate(k, n, (_, current) =&gt; current + n)</c> (<see cref="AddOrUpdateRewrite"/>).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CheckThenActCodeFix)), Shared]
public sealed class CheckThenActCodeFix : CodeFixProvider
{
    private const string Title = "Use Interlocked";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.CheckThenAct);

    public override FixAllProvider GetFixAllProvider() => FixAllProviders.Batch;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            if (diagnostic.Properties.TryGetValue(CheckThenActAnalyzer.AddOrUpdateProperty, out var exact) && exact == "true")
            {
                var statement = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<ExpressionStatementSyntax>();
                if (statement is not null && AddOrUpdateRewrite.TryCreate(statement, model, context.CancellationToken) is { } replacement)
                {
                    context.RegisterCodeFix(
                        CodeAction.Create(
                            "Use AddOrUpdate",
                            ct => AddOrUpdateRewrite.ApplyAsync(context.Document, statement, replacement, ct),
                            RuleIds.CheckThenAct + ".AddOrUpdate"),
                        diagnostic);
                }

                continue;
            }

            if (!diagnostic.Properties.TryGetValue(CheckThenActAnalyzer.InterlockedProperty, out var method) || method is null)
            {
                continue;
            }

            var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            var update = node.FirstAncestorOrSelf<ExpressionSyntax>(n => n is PostfixUnaryExpressionSyntax or PrefixUnaryExpressionSyntax or AssignmentExpressionSyntax);
            if (update is null || !NonAtomicUpdateCodeFix.ValueIsUnusedOrNew(update, model, context.CancellationToken))
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(Title, ct => NonAtomicUpdateCodeFix.RewriteAsync(context.Document, update, method, ct), RuleIds.CheckThenAct + ".Interlocked"),
                diagnostic);
        }
    }
}
