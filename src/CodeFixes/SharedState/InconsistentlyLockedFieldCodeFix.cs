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
/// CONC303 fix: take the field's lock (the gate every locked access uses) around the access: the expression or
/// <c>return</c> statement is wrapped in <c>lock (gate) { ... }</c>; an expression-bodied property, accessor or method
/// gets a block body with the lock. Not offered when the locked accesses use different gates or no <c>lock</c>
/// statement, or when the statement awaits.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(InconsistentlyLockedFieldCodeFix)), Shared]
public sealed class InconsistentlyLockedFieldCodeFix : CodeFixProvider
{
    private const string Title = "Take the field's lock";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.InconsistentlyLockedField);

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
            if (!diagnostic.Properties.TryGetValue(InconsistentlyLockedFieldAnalyzer.GateProperty, out var gateName) || gateName is null)
            {
                continue;
            }

            var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            var target = Target(node, model, context.CancellationToken);
            if (target is null || target.ContainsDiagnostics)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(Title, ct => WrapAsync(context.Document, target, gateName, model, ct), RuleIds.InconsistentlyLockedField),
                diagnostic);
        }
    }

    /// <summary>The statement or expression body to put under the lock.</summary>
    private static SyntaxNode? Target(SyntaxNode node, SemanticModel model, CancellationToken cancellationToken)
    {
        for (var current = node; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case AnonymousFunctionExpressionSyntax:
                case LocalFunctionStatementSyntax:
                    return null;
                case ArrowExpressionClauseSyntax arrow when arrow.Parent is PropertyDeclarationSyntax or IndexerDeclarationSyntax or AccessorDeclarationSyntax or MethodDeclarationSyntax:
                    return LockStatements.ContainsAwaitOrYield(arrow) || IsAsyncMethod(arrow.Parent) ? null : arrow;
                case ExpressionStatementSyntax or ReturnStatementSyntax when current.Parent is BlockSyntax or SwitchSectionSyntax:
                    return LockStatements.ContainsAwaitOrYield(current) ? null : current;
                case StatementSyntax:
                    return null;
            }
        }

        return null;
    }

    private static bool IsAsyncMethod(SyntaxNode? member)
        => member is MethodDeclarationSyntax method && method.Modifiers.Any(SyntaxKind.AsyncKeyword);

    private static Task<Document> WrapAsync(Document document, SyntaxNode target, string gateName, SemanticModel model, CancellationToken cancellationToken)
    {
        var root = model.SyntaxTree.GetRoot(cancellationToken);
        var gate = SyntaxFactory.IdentifierName(gateName);
        SyntaxNode newRoot;
        switch (target)
        {
            case StatementSyntax statement:
                newRoot = root.ReplaceNode(statement, LockStatements.Wrap(statement, gate));
                break;
            case ArrowExpressionClauseSyntax arrow:
                newRoot = ReplaceArrow(root, arrow, gate, model, cancellationToken);
                break;
            default:
                return Task.FromResult(document);
        }

        return Task.FromResult(document.WithSyntaxRoot(newRoot));
    }

    private static SyntaxNode ReplaceArrow(SyntaxNode root, ArrowExpressionClauseSyntax arrow, ExpressionSyntax gate, SemanticModel model, CancellationToken cancellationToken)
    {
        var expression = arrow.Expression;
        switch (arrow.Parent)
        {
            case PropertyDeclarationSyntax property:
            {
                var getter = SyntaxFactory.AccessorDeclaration(SyntaxKind.GetAccessorDeclaration, LockStatements.LockedBlock(expression, gate, returnsValue: true));
                var newProperty = property
                    .WithExpressionBody(null)
                    .WithSemicolonToken(default)
                    .WithAccessorList(SyntaxFactory.AccessorList(SyntaxFactory.SingletonList(getter)))
                    .WithTrailingTrivia(property.SemicolonToken.TrailingTrivia)
                    .WithAdditionalAnnotations(Formatter.Annotation);
                return root.ReplaceNode(property, newProperty);
            }

            case IndexerDeclarationSyntax indexer:
            {
                var getter = SyntaxFactory.AccessorDeclaration(SyntaxKind.GetAccessorDeclaration, LockStatements.LockedBlock(expression, gate, returnsValue: true));
                var newIndexer = indexer
                    .WithExpressionBody(null)
                    .WithSemicolonToken(default)
                    .WithAccessorList(SyntaxFactory.AccessorList(SyntaxFactory.SingletonList(getter)))
                    .WithTrailingTrivia(indexer.SemicolonToken.TrailingTrivia)
                    .WithAdditionalAnnotations(Formatter.Annotation);
                return root.ReplaceNode(indexer, newIndexer);
            }

            case AccessorDeclarationSyntax accessor:
            {
                var returnsValue = accessor.IsKind(SyntaxKind.GetAccessorDeclaration);
                var newAccessor = accessor
                    .WithExpressionBody(null)
                    .WithSemicolonToken(default)
                    .WithBody(LockStatements.LockedBlock(expression, gate, returnsValue))
                    .WithTrailingTrivia(accessor.SemicolonToken.TrailingTrivia)
                    .WithAdditionalAnnotations(Formatter.Annotation);
                return root.ReplaceNode(accessor, newAccessor);
            }

            case MethodDeclarationSyntax method:
            {
                var returnsValue = model.GetDeclaredSymbol(method, cancellationToken) is { ReturnsVoid: false };
                var newMethod = method
                    .WithExpressionBody(null)
                    .WithSemicolonToken(default)
                    .WithBody(LockStatements.LockedBlock(expression, gate, returnsValue))
                    .WithTrailingTrivia(method.SemicolonToken.TrailingTrivia)
                    .WithAdditionalAnnotations(Formatter.Annotation);
                return root.ReplaceNode(method, newMethod);
            }

            default:
                return root;
        }
    }
}
