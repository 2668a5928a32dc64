using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using ConcurrencyAnalyzers.CodeFixes.Editing;
using ConcurrencyAnalyzers.Lifetime;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ConcurrencyAnalyzers.CodeFixes.Lifetime;

/// <summary>
/// CONC106 fix for <c>await Task.WhenAll(source.Select(async x => …));</c> whose result is unused:
/// <c>await Parallel.ForEachAsync(source, [token,] async (x, cancellationToken) => …);</c>, which runs at most
/// <c>Environment.ProcessorCount</c> bodies at once. Other shapes (loops, used results) get no fix.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UnboundedFanOutCodeFix)), Shared]
public sealed class UnboundedFanOutCodeFix : CodeFixProvider
{
    private const string Title = "Use Parallel.ForEachAsync";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.UnboundedFanOut);

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
            if (!diagnostic.Properties.ContainsKey(UnboundedFanOutAnalyzer.FixableProperty) ||
                root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax select ||
                FindWhenAll(select) is not { } whenAll)
            {
                continue;
            }

            diagnostic.Properties.TryGetValue(UnboundedFanOutAnalyzer.TokenProperty, out var token);
            context.RegisterCodeFix(
                CodeAction.Create(Title, ct => RewriteAsync(context.Document, select, whenAll, token, ct), RuleIds.UnboundedFanOut),
                diagnostic);
        }
    }

    /// <summary><c>Task.WhenAll(select)</c>, <c>Task.WhenAll(select.ToList())</c> or <c>.ToArray()</c>.</summary>
    private static InvocationExpressionSyntax? FindWhenAll(InvocationExpressionSyntax select)
    {
        SyntaxNode current = select;
        if (current.Parent is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ToList" or "ToArray" } access &&
            access.Parent is InvocationExpressionSyntax materialize)
        {
            current = materialize;
        }

        return current.Parent is ArgumentSyntax { Parent: ArgumentListSyntax { Arguments.Count: 1, Parent: InvocationExpressionSyntax whenAll } }
            ? whenAll
            : null;
    }

    private static async Task<Document> RewriteAsync(Document document, InvocationExpressionSyntax select, InvocationExpressionSyntax whenAll, string? token, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null ||
            select.Expression is not MemberAccessExpressionSyntax selectAccess ||
            select.ArgumentList.Arguments.Count != 1 ||
            select.ArgumentList.Arguments[0].Expression is not LambdaExpressionSyntax lambda)
        {
            return document;
        }

        var parameter = lambda switch
        {
            SimpleLambdaExpressionSyntax simple => simple.Parameter,
            ParenthesizedLambdaExpressionSyntax { ParameterList.Parameters.Count: 1 } parenthesized => parenthesized.ParameterList.Parameters[0],
            _ => null,
        };
        if (parameter is null)
        {
            return document;
        }

        var tokenName = UniqueName(model, lambda.SpanStart, parameter.Identifier.ValueText);
        var parameters = SyntaxFactory.ParameterList(SyntaxFactory.SeparatedList(new[]
        {
            parameter.WithoutTrivia(),
            SyntaxFactory.Parameter(SyntaxFactory.Identifier(tokenName)),
        }));

        CSharpSyntaxNode body = lambda.Body;
        if (!lambda.AsyncKeyword.IsKind(SyntaxKind.AsyncKeyword))
        {
            body = SyntaxFactory.AwaitExpression(((ExpressionSyntax)lambda.Body).WithoutTrivia()).WithTriviaFrom(lambda.Body);
        }

        var newLambda = SyntaxFactory.ParenthesizedLambdaExpression(parameters, body)
            .WithAsyncKeyword(SyntaxFactory.Token(SyntaxKind.AsyncKeyword).WithTrailingTrivia(SyntaxFactory.Space))
            .WithArrowToken(SyntaxFactory.Token(SyntaxKind.EqualsGreaterThanToken).WithLeadingTrivia(SyntaxFactory.Space).WithTrailingTrivia(lambda.ArrowToken.TrailingTrivia))
            .WithLeadingTrivia(lambda.GetLeadingTrivia())
            .WithTrailingTrivia(lambda.GetTrailingTrivia());

        var arguments = new System.Collections.Generic.List<ArgumentSyntax>
        {
            SyntaxFactory.Argument(selectAccess.Expression.WithoutTrivia()),
        };
        if (!string.IsNullOrEmpty(token))
        {
            arguments.Add(SyntaxFactory.Argument(SyntaxFactory.ParseExpression(token!)));
        }

        arguments.Add(SyntaxFactory.Argument(newLambda));

        var (parallel, import) = TypeNames.At(model, whenAll.SpanStart, "System.Threading.Tasks", "Parallel");
        var forEach = SyntaxFactory.InvocationExpression(
                SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, parallel, SyntaxFactory.IdentifierName("ForEachAsync")),
                SyntaxFactory.ArgumentList(SyntaxFactory.SeparatedList(arguments)))
            .WithTriviaFrom(whenAll)
            ;

        var newRoot = root.ReplaceNode(whenAll, forEach);
        newRoot = UsingDirectives.AddIfMissing(newRoot, import);
        return document.WithSyntaxRoot(newRoot);
    }

    private static string UniqueName(SemanticModel model, int position, string parameterName)
    {
        var candidate = "cancellationToken";
        for (var i = 2; i < 100; i++)
        {
            if (candidate != parameterName && model.LookupSymbols(position, name: candidate).IsEmpty)
            {
                return candidate;
            }

            candidate = "cancellationToken" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return candidate;
    }
}
