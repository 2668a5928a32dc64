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

namespace ConcurrencyAnalyzers.CodeFixes.SharedState;

/// <summary>CONC306: reads the polled field with <c>Volatile.Read(ref field)</c>.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(BusyWaitOnNonVolatileFlagCodeFix)), Shared]
public sealed class BusyWaitOnNonVolatileFlagCodeFix : CodeFixProvider
{
    private const string Title = "Read the flag with Volatile.Read";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.BusyWaitOnNonVolatileFlag);

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
            if (diagnostic.Properties.ContainsKey(BusyWaitOnNonVolatileFlagAnalyzer.VolatileReadFixProperty) &&
                root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is ExpressionSyntax read)
            {
                context.RegisterCodeFix(CodeAction.Create(Title, ct => UseVolatileReadAsync(context.Document, read, ct), RuleIds.BusyWaitOnNonVolatileFlag), diagnostic);
            }
        }
    }

    private static async Task<Document> UseVolatileReadAsync(Document document, ExpressionSyntax read, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return document;
        }

        var (volatileName, namespaceToImport) = TypeNames.At(model, read.SpanStart, "System.Threading", "Volatile");
        var call = SyntaxFactory.InvocationExpression(
                SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, volatileName, SyntaxFactory.IdentifierName("Read")),
                SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(
                    SyntaxFactory.Argument(read.WithoutTrivia()).WithRefKindKeyword(SyntaxFactory.Token(SyntaxKind.RefKeyword).WithTrailingTrivia(SyntaxFactory.Space)))))
            .WithTriviaFrom(read);
        return document.WithSyntaxRoot(UsingDirectives.AddIfMissing(root.ReplaceNode(read, call), namespaceToImport));
    }
}
