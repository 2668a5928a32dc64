using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using ConcurrencyAnalyzers.CodeFixes.Editing;
using ConcurrencyAnalyzers.SharedState;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace ConcurrencyAnalyzers.CodeFixes.SharedState;

/// <summary>
/// CONC302 fix: <c>x++</c> / <c>++x</c> → <c>Interlocked.Increment(ref x)</c>, <c>x--</c> → <c>Interlocked.Decrement(ref x)</c>,
/// <c>x += n</c> → <c>Interlocked.Add(ref x, n)</c>, <c>x -= n</c> → <c>Interlocked.Add(ref x, -n)</c>, for <c>int</c> and
/// <c>long</c> (and unsigned increments where the overloads exist). Offered where the update's value is not used, or is
/// a prefix increment (Interlocked returns the new value just like it).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(NonAtomicUpdateCodeFix)), Shared]
public sealed class NonAtomicUpdateCodeFix : CodeFixProvider
{
    private const string Title = "Use Interlocked";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.NonAtomicUpdate);

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
            if (!diagnostic.Properties.TryGetValue(NonAtomicUpdateAnalyzer.InterlockedProperty, out var method) || method is null)
            {
                continue;
            }

            var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            var update = node.FirstAncestorOrSelf<ExpressionSyntax>(n => n is PostfixUnaryExpressionSyntax or PrefixUnaryExpressionSyntax or AssignmentExpressionSyntax);
            if (update is null || !ValueIsUnusedOrNew(update, model, context.CancellationToken))
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(Title, ct => RewriteAsync(context.Document, update, method, ct), RuleIds.NonAtomicUpdate),
                diagnostic);
        }
    }

    internal static bool ValueIsUnusedOrNew(ExpressionSyntax update, SemanticModel model, CancellationToken cancellationToken)
    {
        var parent = update.Parent;
        while (parent is ParenthesizedExpressionSyntax)
        {
            parent = parent.Parent;
        }

        if (parent is ExpressionStatementSyntax ||
            (parent is LambdaExpressionSyntax lambda && lambda.ExpressionBody == update &&
             model.GetTypeInfo(lambda, cancellationToken).ConvertedType is INamedTypeSymbol { DelegateInvokeMethod.ReturnsVoid: true }) ||
            parent is ForStatementSyntax)
        {
            return true;
        }

        // `++x` and `x += n` produce the new value, as Interlocked does; `x++` produces the old one.
        return update is PrefixUnaryExpressionSyntax || update is AssignmentExpressionSyntax;
    }

    internal static async Task<Document> RewriteAsync(Document document, ExpressionSyntax update, string method, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return document;
        }

        ExpressionSyntax target;
        ExpressionSyntax? amount = null;
        switch (update)
        {
            case PostfixUnaryExpressionSyntax postfix:
                target = postfix.Operand;
                break;
            case PrefixUnaryExpressionSyntax prefix:
                target = prefix.Operand;
                break;
            case AssignmentExpressionSyntax assignment:
                target = assignment.Left;
                amount = assignment.Right.WithoutTrivia();
                if (method == "Subtract")
                {
                    amount = amount is LiteralExpressionSyntax or IdentifierNameSyntax or MemberAccessExpressionSyntax
                        ? SyntaxFactory.PrefixUnaryExpression(SyntaxKind.UnaryMinusExpression, amount)
                        : SyntaxFactory.PrefixUnaryExpression(SyntaxKind.UnaryMinusExpression, SyntaxFactory.ParenthesizedExpression(amount));
                }

                break;
            default:
                return document;
        }

        var (typeName, namespaceToImport) = TypeNames.At(model, update.SpanStart, "System.Threading", "Interlocked");
        var name = method == "Subtract" ? "Add" : method;
        var arguments = SyntaxFactory.SeparatedList(new[]
        {
            SyntaxFactory.Argument(null, SyntaxFactory.Token(SyntaxKind.RefKeyword), target.WithoutTrivia()),
        });
        if (amount is not null)
        {
            arguments = arguments.Add(SyntaxFactory.Argument(amount));
        }

        var call = SyntaxFactory.InvocationExpression(
                SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, typeName, SyntaxFactory.IdentifierName(name)),
                SyntaxFactory.ArgumentList(arguments))
            .WithTriviaFrom(update)
            .WithAdditionalAnnotations(Formatter.Annotation);

        var newRoot = root.ReplaceNode(update, call);
        newRoot = UsingDirectives.AddIfMissing(newRoot, namespaceToImport);
        return document.WithSyntaxRoot(newRoot);
    }
}
