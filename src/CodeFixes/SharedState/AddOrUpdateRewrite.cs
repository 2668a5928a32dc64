using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace ConcurrencyAnalyzers.CodeFixes.SharedState;

/// <summary>
/// <c>d[k] = d.GetValueOrDefault(k) + n;</c> → <c>d.AddOrUpdate(k, n, (_, current) =&gt; current + n);</c>. Exact for a
/// missing key (default + n is n) and atomic for a present one. Offered only when the key and <c>n</c> are free of
/// side effects (a constant, a local, a parameter, a field or property of <c>this</c>), since AddOrUpdate evaluates
/// the key once and may run the update lambda more than once.
/// </summary>
internal static class AddOrUpdateRewrite
{
    public static ExpressionStatementSyntax? TryCreate(ExpressionStatementSyntax statement, SemanticModel model, CancellationToken cancellationToken)
    {
        if (statement.Expression is not AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression } assignment ||
            assignment.Left is not ElementAccessExpressionSyntax { ArgumentList.Arguments.Count: 1 } target ||
            assignment.Right is not BinaryExpressionSyntax { RawKind: (int)SyntaxKind.AddExpression } sum ||
            sum.Left is not InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "GetValueOrDefault" }, ArgumentList.Arguments.Count: 1 } ||
            !IsPure(target.ArgumentList.Arguments[0].Expression) || !IsPure(target.Expression) || !IsPure(sum.Right))
        {
            return null;
        }

        // The update lambda's parameters must not clash with names in scope.
        const string Current = "current";
        var position = statement.SpanStart;
        if (model.LookupSymbols(position, name: Current).Any() || model.LookupSymbols(position, name: "_").Any())
        {
            return null;
        }

        var addValue = sum.Right.WithoutTrivia();
        var update = SyntaxFactory.ParenthesizedLambdaExpression(
            SyntaxFactory.ParameterList(SyntaxFactory.SeparatedList(new[]
            {
                SyntaxFactory.Parameter(SyntaxFactory.Identifier("_")),
                SyntaxFactory.Parameter(SyntaxFactory.Identifier(Current)),
            })),
            SyntaxFactory.BinaryExpression(SyntaxKind.AddExpression, SyntaxFactory.IdentifierName(Current), addValue));
        var call = SyntaxFactory.InvocationExpression(
            SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, target.Expression.WithoutTrivia(), SyntaxFactory.IdentifierName("AddOrUpdate")),
            SyntaxFactory.ArgumentList(SyntaxFactory.SeparatedList(new[]
            {
                SyntaxFactory.Argument(target.ArgumentList.Arguments[0].Expression.WithoutTrivia()),
                SyntaxFactory.Argument(addValue),
                SyntaxFactory.Argument(update),
            })));
        return statement.WithExpression(call.WithTriviaFrom(assignment)).WithAdditionalAnnotations(Formatter.Annotation);
    }

    public static async Task<Document> ApplyAsync(Document document, ExpressionStatementSyntax statement, ExpressionStatementSyntax replacement, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        return root is null ? document : document.WithSyntaxRoot(root.ReplaceNode(statement, replacement));
    }

    private static bool IsPure(ExpressionSyntax expression) => expression switch
    {
        LiteralExpressionSyntax => true,
        IdentifierNameSyntax => true,
        ThisExpressionSyntax => true,
        MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax or IdentifierNameSyntax } access => access.Name is IdentifierNameSyntax,
        ParenthesizedExpressionSyntax parenthesized => IsPure(parenthesized.Expression),
        _ => false,
    };
}
