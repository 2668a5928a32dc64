using System.Collections.Generic;
using System.Linq;
using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using ConcurrencyAnalyzers.Cancellation;
using ConcurrencyAnalyzers.CodeFixes.Editing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace ConcurrencyAnalyzers.CodeFixes.Cancellation;

/// <summary>
/// CONC406 fix: add <c>CancellationToken cancellationToken = default</c> as the last parameter and forward it to the
/// calls in the body that could take it. Not offered when the last parameter is a <c>params</c> array.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AsyncApiWithoutTokenCodeFix)), Shared]
public sealed class AsyncApiWithoutTokenCodeFix : CodeFixProvider
{
    private const string Title = "Add a CancellationToken parameter and forward it";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.AsyncApiWithoutToken);

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
            if (root.FindToken(diagnostic.Location.SourceSpan.Start).Parent?.FirstAncestorOrSelf<MethodDeclarationSyntax>() is not { } method ||
                method.ParameterList.Parameters.LastOrDefault()?.Modifiers.Any(SyntaxKind.ParamsKeyword) == true)
            {
                continue;
            }

            var document = context.Document;
            context.RegisterCodeFix(CodeAction.Create(Title, ct => AddParameterAsync(document, method, ct), RuleIds.AsyncApiWithoutToken), diagnostic);
        }
    }

    private static async Task<Document> AddParameterAsync(Document document, MethodDeclarationSyntax method, CancellationToken cancellationToken)
    {
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        var text = await document.GetTextAsync(cancellationToken).ConfigureAwait(false);
        if (model is null || model.GetDeclaredSymbol(method, cancellationToken) is not IMethodSymbol symbol)
        {
            return document;
        }

        var name = "cancellationToken";
        foreach (var parameter in symbol.Parameters)
        {
            if (parameter.Name == name)
            {
                name = "ct";
            }
        }

        var typeName = model.LookupNamespacesAndTypes(method.SpanStart, name: "CancellationToken").Length > 0
            ? "CancellationToken"
            : "System.Threading.CancellationToken";
        var defaultValue = method.SyntaxTree.Options is CSharpParseOptions { LanguageVersion: >= LanguageVersion.CSharp7_1 } ? "default" : "default(" + typeName + ")";
        var list = method.ParameterList;
        var parameterText = typeName + " " + name + " = " + defaultValue;
        var changes = new List<TextChange>
        {
            list.Parameters.Count == 0
                ? new TextChange(new TextSpan(list.OpenParenToken.Span.End, 0), parameterText)
                : new TextChange(new TextSpan(list.Parameters[list.Parameters.Count - 1].Span.End, 0), ", " + parameterText),
        };

        var types = KnownTypes.For(model.Compilation);
        var body = (SyntaxNode?)method.Body ?? method.ExpressionBody;
        var operation = body is null ? null : model.GetOperation(body, cancellationToken);
        if (operation is not null)
        {
            foreach (var call in AsyncApiWithoutTokenAnalyzer.CancellableCalls(operation, symbol, types))
            {
                var syntax = (InvocationExpressionSyntax)call.Syntax;
                int index;
                string? parameterName;
                if (CancellationOverloadsBridge.Plan(call, symbol, types, out index, out parameterName) is not { } mode)
                {
                    continue;
                }

                var (fixMode, fixIndex) = TokenNotPassedAnalyzer.PositionFor(call, syntax, index - TokenNotPassedAnalyzer.ReceiverOffset(call));
                changes.Add(fixMode == TokenNotPassedAnalyzer.ModeInsert
                    ? TokenNotPassedCodeFix.Insert(syntax.ArgumentList, fixIndex, name)
                    : TokenNotPassedCodeFix.Insert(syntax.ArgumentList, syntax.ArgumentList.Arguments.Count, parameterName + ": " + name));
            }
        }

        changes.Sort((a, b) => a.Span.Start.CompareTo(b.Span.Start));
        var changed = document.WithText(text.WithChanges(changes));
        if (typeName == "CancellationToken")
        {
            return changed;
        }

        return changed;
    }
}
