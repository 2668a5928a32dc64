using System.Collections.Immutable;
using System.Composition;
using System.Linq;
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
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.CodeFixes.Lifetime;

/// <summary>
/// CONC103 fixes: <c>async void</c> → <c>async Task</c> (statement calls in async code of the same document get
/// <c>await</c>); <c>Task.Factory.StartNew(async …)</c> → <c>Task.Run(async …)</c>, or <c>.Unwrap()</c> appended
/// when StartNew's extra arguments have no Task.Run counterpart.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AsyncVoidCodeFix)), Shared]
public sealed class AsyncVoidCodeFix : CodeFixProvider
{
    private const string ReturnTaskTitle = "Return Task instead of void";
    private const string TaskRunTitle = "Use Task.Run";
    private const string UnwrapTitle = "Unwrap the inner task";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.AsyncVoid);

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
            if (!diagnostic.Properties.TryGetValue(AsyncVoidAnalyzer.KindProperty, out var kind))
            {
                continue;
            }

            var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            switch (kind)
            {
                case AsyncVoidAnalyzer.KindMethod:
                    await RegisterReturnTaskAsync(context, diagnostic, node).ConfigureAwait(false);
                    break;
                case AsyncVoidAnalyzer.KindStartNew when node.FirstAncestorOrSelf<InvocationExpressionSyntax>() is { } invocation:
                    if (diagnostic.Properties.TryGetValue(AsyncVoidAnalyzer.StartNewFixProperty, out var fix) && fix == "TaskRun")
                    {
                        context.RegisterCodeFix(
                            CodeAction.Create(TaskRunTitle, ct => UseTaskRunAsync(context.Document, invocation, ct), RuleIds.AsyncVoid),
                            diagnostic);
                    }
                    else
                    {
                        context.RegisterCodeFix(
                            CodeAction.Create(UnwrapTitle, ct => UnwrapAsync(context.Document, invocation, ct), RuleIds.AsyncVoid),
                            diagnostic);
                    }

                    break;
            }
        }
    }

    private static async Task RegisterReturnTaskAsync(CodeFixContext context, Diagnostic diagnostic, SyntaxNode node)
    {
        var declaration = node.FirstAncestorOrSelf<SyntaxNode>(n => n is MethodDeclarationSyntax or LocalFunctionStatementSyntax);
        var returnType = declaration switch
        {
            MethodDeclarationSyntax method => method.ReturnType,
            LocalFunctionStatementSyntax local => local.ReturnType,
            _ => null,
        };
        if (declaration is null || returnType is not PredefinedTypeSyntax { Keyword.RawKind: (int)SyntaxKind.VoidKeyword })
        {
            return;
        }

        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (model?.GetDeclaredSymbol(declaration, context.CancellationToken) is not IMethodSymbol symbol)
        {
            return;
        }

        // A method group conversion (`Action a = M;`, `new Timer(M)`) needs the void signature: no fix.
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || IsUsedAsMethodGroup(root, model, symbol, context.CancellationToken))
        {
            return;
        }

        context.RegisterCodeFix(
            CodeAction.Create(ReturnTaskTitle, ct => ReturnTaskAsync(context.Document, declaration, returnType, ct), RuleIds.AsyncVoid),
            diagnostic);
    }

    private static bool IsUsedAsMethodGroup(SyntaxNode root, SemanticModel model, IMethodSymbol method, CancellationToken cancellationToken)
    {
        foreach (var name in root.DescendantNodes().OfType<SimpleNameSyntax>())
        {
            if (name.Identifier.ValueText != method.Name)
            {
                continue;
            }

            var operation = model.GetOperation(name.Parent is MemberAccessExpressionSyntax access && access.Name == name ? access : name, cancellationToken);
            if (operation is IMethodReferenceOperation reference &&
                SymbolEqualityComparer.Default.Equals(reference.Method.OriginalDefinition, method.OriginalDefinition))
            {
                return true;
            }
        }

        return false;
    }

    private static async Task<Document> ReturnTaskAsync(Document document, SyntaxNode declaration, TypeSyntax returnType, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model?.GetDeclaredSymbol(declaration, cancellationToken) is not IMethodSymbol method)
        {
            return document;
        }

        // Statement calls in async code can now await the method.
        var callsToAwait = root.DescendantNodes()
            .OfType<ExpressionStatementSyntax>()
            .Select(statement => statement.Expression)
            .OfType<InvocationExpressionSyntax>()
            .Where(call => AsyncContexts.CanAwaitAt(call) &&
                           model.GetSymbolInfo(call, cancellationToken).Symbol is IMethodSymbol target &&
                           SymbolEqualityComparer.Default.Equals(target.OriginalDefinition, method.OriginalDefinition))
            .ToList();

        var (taskName, namespaceToImport) = TypeNames.At(model, returnType.SpanStart, "System.Threading.Tasks", "Task");
        var newTaskType = taskName.WithTriviaFrom(returnType);
        var tracked = root.TrackNodes(callsToAwait.Cast<SyntaxNode>().Append(returnType));
        foreach (var call in callsToAwait)
        {
            var current = tracked.GetCurrentNode(call)!;
            var awaited = SyntaxFactory.AwaitExpression(current.WithoutLeadingTrivia())
                .WithLeadingTrivia(current.GetLeadingTrivia());
            tracked = tracked.ReplaceNode(current, awaited);
        }

        tracked = tracked.ReplaceNode(tracked.GetCurrentNode(returnType)!, newTaskType);
        return document.WithSyntaxRoot(UsingDirectives.AddIfMissing(tracked, namespaceToImport));
    }

    private static async Task<Document> UseTaskRunAsync(Document document, InvocationExpressionSyntax invocation, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null || invocation.Expression is not MemberAccessExpressionSyntax access)
        {
            return document;
        }

        // `Task.Factory.StartNew` → `Task.Run`: the receiver `Task.Factory` becomes `Task`, keeping how the user spelled Task.
        if (access.Expression is not MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Factory" } factory)
        {
            return document;
        }

        var taskRun = access.WithExpression(factory.Expression.WithTriviaFrom(factory))
            .WithName(SyntaxFactory.IdentifierName("Run").WithTriviaFrom(access.Name));
        return document.WithSyntaxRoot(root.ReplaceNode(access, taskRun));
    }

    private static async Task<Document> UnwrapAsync(Document document, InvocationExpressionSyntax invocation, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return document;
        }

        var unwrapped = SyntaxFactory.InvocationExpression(
                SyntaxFactory.MemberAccessExpression(
                    SyntaxKind.SimpleMemberAccessExpression,
                    invocation.WithoutTrailingTrivia(),
                    SyntaxFactory.IdentifierName("Unwrap")))
            .WithTrailingTrivia(invocation.GetTrailingTrivia())
            .WithAdditionalAnnotations(Formatter.Annotation);
        return document.WithSyntaxRoot(root.ReplaceNode(invocation, unwrapped));
    }
}
