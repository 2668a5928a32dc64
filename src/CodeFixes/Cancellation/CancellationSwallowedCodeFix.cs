using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using ConcurrencyAnalyzers.CodeFixes.Editing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace ConcurrencyAnalyzers.CodeFixes.Cancellation;

/// <summary>
/// CONC405 fix: let cancellation through the catch-all with an exception filter:
/// <c>when (ex is not OperationCanceledException)</c>, <c>when (!(ex is OperationCanceledException))</c> before C# 9,
/// combined with an existing filter by <c>&amp;&amp;</c>; a variable is named when the clause has none.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CancellationSwallowedCodeFix)), Shared]
public sealed class CancellationSwallowedCodeFix : CodeFixProvider
{
    private const string Title = "Let OperationCanceledException through";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.CancellationSwallowed);

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
            if (root.FindToken(diagnostic.Location.SourceSpan.Start).Parent?.FirstAncestorOrSelf<CatchClauseSyntax>() is not { } clause)
            {
                continue;
            }

            var document = context.Document;
            context.RegisterCodeFix(CodeAction.Create(Title, ct => AddFilterAsync(document, clause, ct), RuleIds.CancellationSwallowed), diagnostic);
        }
    }

    private static async Task<Document> AddFilterAsync(Document document, CatchClauseSyntax clause, CancellationToken cancellationToken)
    {
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        var text = await document.GetTextAsync(cancellationToken).ConfigureAwait(false);
        if (model is null)
        {
            return document;
        }

        var systemImported = model.LookupNamespacesAndTypes(clause.SpanStart, name: "OperationCanceledException").Length > 0;
        var oce = systemImported ? "OperationCanceledException" : "System.OperationCanceledException";
        var patterns = clause.SyntaxTree.Options is CSharpParseOptions { LanguageVersion: >= LanguageVersion.CSharp9 };

        var changes = new List<TextChange>();
        string name;
        int afterDeclaration;
        if (clause.Declaration is null)
        {
            name = FreeName(model, clause.Block.SpanStart);
            var exception = systemImported ? "Exception" : "System.Exception";
            changes.Add(new TextChange(new TextSpan(clause.CatchKeyword.Span.End, 0), " (" + exception + " " + name + ")"));
            afterDeclaration = clause.CatchKeyword.Span.End;
        }
        else if (clause.Declaration.Identifier.RawKind == 0 || clause.Declaration.Identifier.IsMissing || clause.Declaration.Identifier.ValueText.Length == 0)
        {
            name = FreeName(model, clause.Block.SpanStart);
            changes.Add(new TextChange(new TextSpan(clause.Declaration.Type.Span.End, 0), " " + name));
            afterDeclaration = clause.Declaration.Span.End;
        }
        else
        {
            name = clause.Declaration.Identifier.Text;
            afterDeclaration = clause.Declaration.Span.End;
        }

        var condition = patterns ? name + " is not " + oce : "!(" + name + " is " + oce + ")";
        if (clause.Filter is { FilterExpression: { } existing })
        {
            if (NeedsParentheses(existing))
            {
                changes.Add(new TextChange(new TextSpan(existing.SpanStart, 0), "("));
                changes.Add(new TextChange(new TextSpan(existing.Span.End, 0), ") && " + condition));
            }
            else
            {
                changes.Add(new TextChange(new TextSpan(existing.Span.End, 0), " && " + condition));
            }
        }
        else
        {
            if (clause.Declaration is null)
            {
                changes[0] = new TextChange(changes[0].Span, changes[0].NewText + " when (" + condition + ")");
            }
            else
            {
                changes.Add(new TextChange(new TextSpan(afterDeclaration, 0), " when (" + condition + ")"));
            }
        }

        changes.Sort((a, b) => a.Span.Start.CompareTo(b.Span.Start));
        return document.WithText(text.WithChanges(changes));
    }

    private static bool NeedsParentheses(ExpressionSyntax expression)
        => expression is not (IdentifierNameSyntax or InvocationExpressionSyntax or MemberAccessExpressionSyntax or ParenthesizedExpressionSyntax or
            PrefixUnaryExpressionSyntax or LiteralExpressionSyntax) &&
           !(expression is BinaryExpressionSyntax binary && !binary.IsKind(SyntaxKind.LogicalOrExpression) && !binary.IsKind(SyntaxKind.CoalesceExpression));

    private static string FreeName(SemanticModel model, int position)
    {
        foreach (var candidate in new[] { "ex", "exception", "caught" })
        {
            if (model.LookupSymbols(position, name: candidate).Length == 0)
            {
                return candidate;
            }
        }

        return "caughtException";
    }
}
