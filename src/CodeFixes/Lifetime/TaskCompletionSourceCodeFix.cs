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
/// CONC109 fix for the creation without <c>RunContinuationsAsynchronously</c>: adds the flag to the constructor
/// (a new argument, or <c>| TaskCreationOptions.RunContinuationsAsynchronously</c> on the options given). The
/// incomplete-path diagnostic has no fix: where the source should be completed depends on the code.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(TaskCompletionSourceCodeFix)), Shared]
public sealed class TaskCompletionSourceCodeFix : CodeFixProvider
{
    private const string Title = "Add TaskCreationOptions.RunContinuationsAsynchronously";
    private const string FlagName = "RunContinuationsAsynchronously";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.TaskCompletionSourceMisuse);

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
            if (!diagnostic.Properties.TryGetValue(TaskCompletionSourceAnalyzer.KindProperty, out var kind) ||
                kind != TaskCompletionSourceAnalyzer.KindSynchronousContinuations ||
                root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not BaseObjectCreationExpressionSyntax creation ||
                creation.ArgumentList is null)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(Title, ct => AddFlagAsync(context.Document, creation, ct), RuleIds.TaskCompletionSourceMisuse),
                diagnostic);
        }
    }

    private static async Task<Document> AddFlagAsync(Document document, BaseObjectCreationExpressionSyntax creation, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null || creation.ArgumentList is not { } arguments ||
            model.GetSymbolInfo(creation, cancellationToken).Symbol is not IMethodSymbol constructor)
        {
            return document;
        }

        var (typeName, import) = TypeNames.At(model, creation.SpanStart, "System.Threading.Tasks", "TaskCreationOptions");
        ExpressionSyntax flag = SyntaxFactory.MemberAccessExpression(
            SyntaxKind.SimpleMemberAccessExpression, typeName, SyntaxFactory.IdentifierName(FlagName));

        ArgumentListSyntax newArguments;
        var optionsIndex = OptionsArgumentIndex(constructor, arguments, model, cancellationToken);
        if (optionsIndex >= 0)
        {
            var existing = arguments.Arguments[optionsIndex];
            var value = existing.Expression;
            ExpressionSyntax combined = IsNone(value, model, cancellationToken)
                ? flag.WithTriviaFrom(value)
                : SyntaxFactory.BinaryExpression(SyntaxKind.BitwiseOrExpression, value.WithoutTrailingTrivia(), flag).WithTrailingTrivia(value.GetTrailingTrivia());
            newArguments = arguments.ReplaceNode(existing, existing.WithExpression(combined));
        }
        else
        {
            var argument = SyntaxFactory.Argument(flag);
            foreach (var a in arguments.Arguments)
            {
                if (a.NameColon is not null)
                {
                    argument = argument.WithNameColon(SyntaxFactory.NameColon("creationOptions"));
                    break;
                }
            }

            newArguments = arguments.AddArguments(argument);
        }

        var newRoot = root.ReplaceNode(arguments, newArguments);
        newRoot = UsingDirectives.AddIfMissing(newRoot, import);
        return document.WithSyntaxRoot(newRoot);
    }

    private static int OptionsArgumentIndex(IMethodSymbol constructor, ArgumentListSyntax arguments, SemanticModel model, CancellationToken cancellationToken)
    {
        for (var i = 0; i < arguments.Arguments.Count; i++)
        {
            var type = model.GetTypeInfo(arguments.Arguments[i].Expression, cancellationToken).ConvertedType;
            if (type is { Name: "TaskCreationOptions", TypeKind: TypeKind.Enum })
            {
                return i;
            }
        }

        return -1;
    }

    private static bool IsNone(ExpressionSyntax value, SemanticModel model, CancellationToken cancellationToken)
        => model.GetConstantValue(value, cancellationToken) is { HasValue: true, Value: 0 };
}
