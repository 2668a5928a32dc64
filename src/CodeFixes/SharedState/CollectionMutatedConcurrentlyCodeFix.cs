using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ConcurrencyAnalyzers.CodeFixes.Editing;
using ConcurrencyAnalyzers.SharedState;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ConcurrencyAnalyzers.CodeFixes.SharedState;

/// <summary>
/// CONC301 fixes: wrap the changing statement in a lock, when the concurrent work is joined before its caller goes on
/// (Parallel, PLINQ, tasks awaited together). The gate is the type's existing lock field when it has exactly one, else
/// the collection itself (a local, parameter or readonly field), so Fix All never adds fields. And, for a local
/// <c>Dictionary</c>/<c>List</c> whose every use maps, change it to <c>ConcurrentDictionary</c>/<c>ConcurrentBag</c>
/// (<see cref="ConcurrentCollectionLocal"/>).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CollectionMutatedConcurrentlyCodeFix)), Shared]
public sealed class CollectionMutatedConcurrentlyCodeFix : CodeFixProvider
{
    private const string Title = "Take a lock around the change";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.CollectionMutatedConcurrently);

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
            var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            var mutation = node.FirstAncestorOrSelf<ExpressionSyntax>(n => n is InvocationExpressionSyntax or ElementAccessExpressionSyntax);
            if (mutation is null || mutation.ContainsDiagnostics || Receiver(mutation) is not { } receiver)
            {
                continue;
            }

            if (diagnostic.Properties.TryGetValue(CollectionMutatedConcurrentlyAnalyzer.JoinedProperty, out var joined) && joined == "true" &&
                Gate(model, receiver, mutation, context.CancellationToken) is { } gate &&
                CanWrap(model, mutation, context.CancellationToken))
            {
                context.RegisterCodeFix(
                    CodeAction.Create(Title, ct => WrapAsync(context.Document, mutation, gate, ct), RuleIds.CollectionMutatedConcurrently),
                    diagnostic);
            }

            // A local whose every use the concurrent type supports becomes that type (safe for detached work too).
            if (model.GetSymbolInfo(receiver, context.CancellationToken).Symbol is ILocalSymbol local &&
                ConcurrentCollectionLocal.Title(local) is { } title &&
                await ConcurrentCollectionLocal.TryRewriteAsync(context.Document, model, local, context.CancellationToken).ConfigureAwait(false) is { } rewritten)
            {
                context.RegisterCodeFix(
                    CodeAction.Create(title, _ => Task.FromResult(rewritten), RuleIds.CollectionMutatedConcurrently + ".concurrent"),
                    diagnostic);
            }
        }
    }

    private static ExpressionSyntax? Receiver(ExpressionSyntax mutation) => mutation switch
    {
        InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax access } => access.Expression,
        ElementAccessExpressionSyntax access => access.Expression,
        _ => null,
    };

    /// <summary>The statement to wrap: the expression statement itself, or a void lambda's expression body.</summary>
    private static SyntaxNode? Target(ExpressionSyntax mutation)
    {
        var top = mutation;
        if (mutation is ElementAccessExpressionSyntax && mutation.Parent is AssignmentExpressionSyntax assignment && assignment.Left == mutation)
        {
            top = assignment;
        }

        return top.Parent switch
        {
            ExpressionStatementSyntax statement when statement.Parent is BlockSyntax or SwitchSectionSyntax => statement,
            LambdaExpressionSyntax lambda when lambda.ExpressionBody == top => top,
            _ => null,
        };
    }

    private static bool CanWrap(SemanticModel model, ExpressionSyntax mutation, CancellationToken cancellationToken)
    {
        switch (Target(mutation))
        {
            case StatementSyntax statement:
                return !LockStatements.ContainsAwaitOrYield(statement);
            case ExpressionSyntax body when body.Parent is LambdaExpressionSyntax lambda:
                return !lambda.AsyncKeyword.IsKind(SyntaxKind.AsyncKeyword) &&
                       model.GetTypeInfo(lambda, cancellationToken).ConvertedType is INamedTypeSymbol { DelegateInvokeMethod.ReturnsVoid: true };
            default:
                return false;
        }
    }

    /// <summary>The lock target: the type's single existing gate, else the collection when it cannot be reassigned under us.</summary>
    private static ExpressionSyntax? Gate(SemanticModel model, ExpressionSyntax receiver, SyntaxNode site, CancellationToken cancellationToken)
    {
        var symbol = model.GetSymbolInfo(receiver, cancellationToken).Symbol;
        switch (symbol)
        {
            case ILocalSymbol:
            case IParameterSymbol:
                return receiver;
            case IFieldSymbol field:
                var inStatic = model.GetEnclosingSymbol(site.SpanStart, cancellationToken) is { IsStatic: true };
                if (ExistingGate(model, site, field.ContainingType, inStatic, cancellationToken) is { } existing)
                {
                    return SyntaxFactory.IdentifierName(existing.Name);
                }

                return field.IsReadOnly && (field.IsStatic || !inStatic) ? receiver : null;
            default:
                return null;
        }
    }

    /// <summary>The one field of <paramref name="type"/> that its <c>lock</c> statements lock on (and that is usable here).</summary>
    private static IFieldSymbol? ExistingGate(SemanticModel model, SyntaxNode site, INamedTypeSymbol type, bool inStatic, CancellationToken cancellationToken)
    {
        var declaration = site.FirstAncestorOrSelf<TypeDeclarationSyntax>();
        if (declaration is null)
        {
            return null;
        }

        IFieldSymbol? found = null;
        foreach (var lockStatement in declaration.DescendantNodes().OfType<LockStatementSyntax>())
        {
            if (model.GetSymbolInfo(lockStatement.Expression, cancellationToken).Symbol is not IFieldSymbol gate ||
                !SymbolEqualityComparer.Default.Equals(gate.ContainingType, type))
            {
                continue;
            }

            if (found is not null && !SymbolEqualityComparer.Default.Equals(found, gate))
            {
                return null;
            }

            found = gate;
        }

        return found is not null && (found.IsStatic || !inStatic) ? found : null;
    }

    private static async Task<Document> WrapAsync(Document document, ExpressionSyntax mutation, ExpressionSyntax gate, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return document;
        }

        switch (Target(mutation))
        {
            case StatementSyntax statement:
                return document.WithSyntaxRoot(root.ReplaceNode(statement, LockStatements.Wrap(statement, gate)));
            case ExpressionSyntax body when body.Parent is LambdaExpressionSyntax lambda:
                var block = LockStatements.LockedBlock(body, gate, returnsValue: false);
                var newLambda = lambda.WithExpressionBody(null).WithBlock(block.WithLeadingTrivia(body.GetLeadingTrivia()).WithTrailingTrivia(body.GetTrailingTrivia()));
                return document.WithSyntaxRoot(root.ReplaceNode(lambda, newLambda));
            default:
                return document;
        }
    }
}
