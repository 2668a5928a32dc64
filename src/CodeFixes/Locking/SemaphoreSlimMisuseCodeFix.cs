using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using ConcurrencyAnalyzers.CodeFixes.Editing;
using ConcurrencyAnalyzers.Locking;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace ConcurrencyAnalyzers.CodeFixes.Locking;

/// <summary>CONC203: moves the wait before the try; turns <c>Wait()</c> in async code into <c>await WaitAsync(token)</c>.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(SemaphoreSlimMisuseCodeFix))]
[Shared]
public sealed class SemaphoreSlimMisuseCodeFix : CodeFixProvider
{
    private const string MoveTitle = "Wait before the try";
    private const string AsyncTitle = "Use await WaitAsync";
    private const string MaxCountTitle = "Add maxCount: 1";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.SemaphoreSlimMisuse);

    public override FixAllProvider GetFixAllProvider() => FixAllProviders.Batch;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var diagnostic = context.Diagnostics[0];
        if (!diagnostic.Properties.TryGetValue(SemaphoreSlimMisuseAnalyzer.FixProperty, out var fix))
        {
            return;
        }

        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (fix == SemaphoreSlimMisuseAnalyzer.FixMaxCount)
        {
            if (root?.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<BaseObjectCreationExpressionSyntax>() is
                { ArgumentList.Arguments.Count: 1 } creation)
            {
                context.RegisterCodeFix(
                    CodeAction.Create(MaxCountTitle, ct => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(creation, AddMaxCount(creation)))), RuleIds.SemaphoreSlimMisuse + ".MaxCount"),
                    diagnostic);
            }

            return;
        }

        var invocation = root?.FindNode(diagnostic.Location.SourceSpan)?.FirstAncestorOrSelf<InvocationExpressionSyntax>();
        var statement = invocation?.FirstAncestorOrSelf<ExpressionStatementSyntax>();
        if (root is null || invocation is null || statement is null)
        {
            return;
        }

        if (fix == SemaphoreSlimMisuseAnalyzer.FixMoveBeforeTry &&
            statement.Parent is BlockSyntax { Parent: TryStatementSyntax tryStatement } body &&
            body.Statements.IndexOf(statement) == 0)
        {
            context.RegisterCodeFix(
                CodeAction.Create(MoveTitle, ct => Task.FromResult(context.Document.WithSyntaxRoot(MoveBeforeTry(root, tryStatement, statement))), RuleIds.SemaphoreSlimMisuse),
                diagnostic);
        }
        else if (fix == SemaphoreSlimMisuseAnalyzer.FixWaitAsync && invocation.Expression is MemberAccessExpressionSyntax access &&
                 ReferenceEquals(statement.Expression, invocation) && ConcurrencyAnalyzers.CodeFixes.Editing.AsyncContexts.CanAwaitAt(statement))
        {
            diagnostic.Properties.TryGetValue(SemaphoreSlimMisuseAnalyzer.TokenProperty, out var token);
            context.RegisterCodeFix(
                CodeAction.Create(AsyncTitle, ct => Task.FromResult(context.Document.WithSyntaxRoot(ToWaitAsync(root, statement, invocation, access, token))), RuleIds.SemaphoreSlimMisuse),
                diagnostic);
        }
    }

    /// <summary><c>new SemaphoreSlim(1)</c> → <c>new SemaphoreSlim(1, 1)</c>; a named first argument gets <c>maxCount: 1</c>.</summary>
    private static BaseObjectCreationExpressionSyntax AddMaxCount(BaseObjectCreationExpressionSyntax creation)
    {
        var arguments = creation.ArgumentList!;
        var first = arguments.Arguments[0];
        var maxCount = SyntaxFactory.Argument(SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(1)));
        if (first.NameColon is not null)
        {
            maxCount = maxCount.WithNameColon(SyntaxFactory.NameColon("maxCount"));
        }

        var list = SyntaxFactory.SeparatedList(
            new[] { first.WithoutTrailingTrivia(), maxCount.WithTrailingTrivia(first.GetTrailingTrivia()) },
            new[] { SyntaxFactory.Token(SyntaxKind.CommaToken).WithTrailingTrivia(SyntaxFactory.Space) });
        return creation.WithArgumentList(arguments.WithArguments(list));
    }

    private static SyntaxNode MoveBeforeTry(SyntaxNode root, TryStatementSyntax tryStatement, ExpressionStatementSyntax wait)
    {
        var body = tryStatement.Block;
        var newTry = tryStatement.WithBlock(body.WithStatements(body.Statements.RemoveAt(0)));
        var moved = wait.WithLeadingTrivia(tryStatement.GetLeadingTrivia()).WithAdditionalAnnotations(Formatter.Annotation);
        newTry = newTry.WithLeadingTrivia(tryStatement.GetLeadingTrivia().Where(t => t.IsKind(SyntaxKind.WhitespaceTrivia)));
        var parent = tryStatement.Parent;
        if (parent is BlockSyntax block)
        {
            var index = block.Statements.IndexOf(tryStatement);
            var statements = block.Statements.RemoveAt(index).Insert(index, newTry).Insert(index, moved);
            return root.ReplaceNode(block, block.WithStatements(statements));
        }

        return root;
    }

    private static SyntaxNode ToWaitAsync(SyntaxNode root, ExpressionStatementSyntax statement, InvocationExpressionSyntax invocation, MemberAccessExpressionSyntax access, string? token)
    {
        var arguments = invocation.ArgumentList;
        if (arguments.Arguments.Count == 0 && token is not null)
        {
            arguments = arguments.AddArguments(SyntaxFactory.Argument(SyntaxFactory.IdentifierName(token)));
        }

        var newInvocation = invocation
            .WithExpression(access.WithName(SyntaxFactory.IdentifierName("WaitAsync").WithTriviaFrom(access.Name)))
            .WithArgumentList(arguments);
        var awaited = SyntaxFactory.AwaitExpression(newInvocation.WithoutLeadingTrivia())
            .WithLeadingTrivia(invocation.GetLeadingTrivia());
        return root.ReplaceNode(statement, statement.WithExpression(awaited));
    }
}
