using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Globalization;
using System.Threading.Tasks;
using ConcurrencyAnalyzers.Cancellation;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace ConcurrencyAnalyzers.CodeFixes.Cancellation;

/// <summary>
/// CONC401 fix: pass the token in scope: replace <c>None</c>/<c>default</c>, insert it positionally where the
/// overload takes it, add it as a named argument when positions do not line up, or wrap an <c>await foreach</c>
/// source with <c>WithCancellation(token)</c>. Each fix is a small text insertion or replacement, so nested calls
/// (<c>Task.Run(() => Task.Delay(1))</c>) fix together in one Fix All pass.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(TokenNotPassedCodeFix)), Shared]
public sealed class TokenNotPassedCodeFix : CodeFixProvider
{
    private const string Title = "Pass the cancellation token";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.TokenNotPassed);

    public override FixAllProvider GetFixAllProvider() => TextChangesFixAll.Instance;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            var changes = Changes(root, diagnostic);
            if (changes.Count == 0)
            {
                continue;
            }

            var document = context.Document;
            context.RegisterCodeFix(
                CodeAction.Create(
                    Title,
                    ct => ApplyAsync(document, changes, ImmutableArray.Create(diagnostic), ct),
                    RuleIds.TokenNotPassed),
                diagnostic);
        }
    }

    internal static List<TextChange> Changes(SyntaxNode root, Diagnostic diagnostic)
    {
        var changes = new List<TextChange>();
        if (!diagnostic.Properties.TryGetValue(TokenNotPassedAnalyzer.TokenProperty, out var token) || token is null ||
            !diagnostic.Properties.TryGetValue(TokenNotPassedAnalyzer.ModeProperty, out var mode) || mode is null)
        {
            return changes;
        }

        var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
        switch (mode)
        {
            case TokenNotPassedAnalyzer.ModeReplace:
                if ((node as ExpressionSyntax ?? (node as ArgumentSyntax)?.Expression) is { } expression)
                {
                    changes.Add(new TextChange(expression.Span, token));
                }

                break;

            case TokenNotPassedAnalyzer.ModeInsert:
            case TokenNotPassedAnalyzer.ModeNamed:
                if (node.FirstAncestorOrSelf<InvocationExpressionSyntax>() is not { } invocation)
                {
                    break;
                }

                var arguments = invocation.ArgumentList.Arguments;
                if (mode == TokenNotPassedAnalyzer.ModeInsert &&
                    diagnostic.Properties.TryGetValue(TokenNotPassedAnalyzer.IndexProperty, out var indexText) &&
                    int.TryParse(indexText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var index) &&
                    index >= 0 && index <= arguments.Count)
                {
                    changes.Add(Insert(invocation.ArgumentList, index, token));
                }
                else if (diagnostic.Properties.TryGetValue(TokenNotPassedAnalyzer.ParameterNameProperty, out var name) && !string.IsNullOrEmpty(name))
                {
                    var escaped = SyntaxFacts.GetKeywordKind(name!) != SyntaxKind.None ? "@" + name : name;
                    changes.Add(Insert(invocation.ArgumentList, arguments.Count, escaped + ": " + token));
                }

                break;

            case TokenNotPassedAnalyzer.ModeWithCancellation:
                if (node is not ExpressionSyntax source)
                {
                    break;
                }

                // source.ConfigureAwait(false) → source.WithCancellation(token).ConfigureAwait(false)
                if (source is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ConfigureAwait" } configure })
                {
                    source = configure.Expression;
                }

                var needsParentheses = source is not (IdentifierNameSyntax or MemberAccessExpressionSyntax or InvocationExpressionSyntax or
                    ElementAccessExpressionSyntax or ParenthesizedExpressionSyntax or ThisExpressionSyntax);
                if (needsParentheses)
                {
                    changes.Add(new TextChange(new TextSpan(source.SpanStart, 0), "("));
                }

                changes.Add(new TextChange(new TextSpan(source.Span.End, 0), (needsParentheses ? ")" : string.Empty) + ".WithCancellation(" + token + ")"));
                break;
        }

        return changes;
    }

    internal static TextChange Insert(ArgumentListSyntax list, int index, string text)
    {
        var arguments = list.Arguments;
        if (arguments.Count == 0)
        {
            return new TextChange(new TextSpan(list.OpenParenToken.Span.End, 0), text);
        }

        return index >= arguments.Count
            ? new TextChange(new TextSpan(arguments[arguments.Count - 1].Span.End, 0), ", " + text)
            : new TextChange(new TextSpan(arguments[index].SpanStart, 0), text + ", ");
    }

    /// <summary>Fix All: every diagnostic's text changes in one pass (they never overlap: each is an insertion or a small replacement).</summary>
    private sealed class TextChangesFixAll : DocumentBasedFixAllProvider
    {
        public static readonly TextChangesFixAll Instance = new();

        protected override string GetFixAllTitle(FixAllContext fixAllContext) => Title;

        protected override async Task<Document?> FixAllAsync(FixAllContext fixAllContext, Document document, ImmutableArray<Diagnostic> diagnostics)
        {
            var root = await document.GetSyntaxRootAsync(fixAllContext.CancellationToken).ConfigureAwait(false);
            if (root is null)
            {
                return document;
            }

            var all = new List<TextChange>();
            var seen = new HashSet<TextSpan>();
            foreach (var diagnostic in diagnostics)
            {
                foreach (var change in Changes(root, diagnostic))
                {
                    if (seen.Add(change.Span) || change.Span.Length == 0)
                    {
                        all.Add(change);
                    }
                }
            }

            all.Sort((a, b) => a.Span.Start.CompareTo(b.Span.Start));
            return await ApplyAsync(document, all, diagnostics, fixAllContext.CancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<Document> ApplyAsync(Document document, List<TextChange> changes, ImmutableArray<Diagnostic> diagnostics, System.Threading.CancellationToken cancellationToken)
    {
        var text = await document.GetTextAsync(cancellationToken).ConfigureAwait(false);
        var changed = document.WithText(text.WithChanges(changes));
        if (!NeedsTasksUsing(diagnostics))
        {
            return changed;
        }

        var root = await changed.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        return root is null ? changed : changed.WithSyntaxRoot(Editing.UsingDirectives.AddIfMissing(root, "System.Threading.Tasks"));
    }

        private static bool NeedsTasksUsing(ImmutableArray<Diagnostic> diagnostics)
        {
            foreach (var diagnostic in diagnostics)
            {
                if (diagnostic.Properties.TryGetValue(TokenNotPassedAnalyzer.ModeProperty, out var mode) && mode == TokenNotPassedAnalyzer.ModeWithCancellation)
                {
                    return true;
                }
            }

            return false;
        }
}
