using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ConcurrencyAnalyzers.CodeFixes.Editing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace ConcurrencyAnalyzers.CodeFixes.SharedState;

/// <summary>
/// CONC304: copies the loop variable to a local right before the statement that starts the work, and makes the
/// work capture the copy. Statements that are a loop's or an if's body without braces get braces.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(LoopVariableCapturedCodeFix)), Shared]
public sealed class LoopVariableCapturedCodeFix : CodeFixProvider
{
    private const string Title = "Capture a per-iteration copy";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.LoopVariableCaptured);

    // Copies in one block must get distinct names, so Fix All applies the fixes one after another.
    public override FixAllProvider GetFixAllProvider() => SequentialFixAll.Instance;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            if (Targets(root, diagnostic) is { } targets && StatementToPrecede(targets.Lambda) is not null)
            {
                context.RegisterCodeFix(
                    CodeAction.Create(Title, ct => CopyAsync(context.Document, targets.Reference, targets.Lambda, ct), RuleIds.LoopVariableCaptured),
                    diagnostic);
            }
        }
    }

    /// <summary>The captured reference and the spawned lambda a diagnostic points at.</summary>
    private static (IdentifierNameSyntax Reference, AnonymousFunctionExpressionSyntax Lambda)? Targets(SyntaxNode root, Diagnostic diagnostic)
    {
        if (!diagnostic.Properties.TryGetValue(ConcurrencyAnalyzers.SharedState.LoopVariableCapturedAnalyzer.LambdaStartProperty, out var startText) ||
            !int.TryParse(startText, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var start) ||
            root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not IdentifierNameSyntax reference)
        {
            return null;
        }

        var lambda = reference.Ancestors().OfType<AnonymousFunctionExpressionSyntax>().FirstOrDefault(l => l.SpanStart == start);
        return lambda is null ? null : (reference, lambda);
    }

    private sealed class SequentialFixAll : DocumentBasedFixAllProvider
    {
        public static readonly SequentialFixAll Instance = new();

        protected override string GetFixAllTitle(FixAllContext fixAllContext) => Title;

        protected override async Task<Document?> FixAllAsync(FixAllContext fixAllContext, Document document, ImmutableArray<Diagnostic> diagnostics)
        {
            var root = await document.GetSyntaxRootAsync(fixAllContext.CancellationToken).ConfigureAwait(false);
            if (root is null)
            {
                return document;
            }

            // Mark every target first: the edits move text, the annotations follow the nodes.
            var marks = new System.Collections.Generic.List<(SyntaxAnnotation Reference, SyntaxAnnotation Lambda)>();
            var nodes = new System.Collections.Generic.Dictionary<SyntaxNode, SyntaxAnnotation>();
            foreach (var diagnostic in diagnostics)
            {
                if (Targets(root, diagnostic) is { } targets && !nodes.ContainsKey(targets.Reference))
                {
                    var referenceMark = new SyntaxAnnotation();
                    if (!nodes.TryGetValue(targets.Lambda, out var lambdaMark))
                    {
                        lambdaMark = new SyntaxAnnotation();
                        nodes.Add(targets.Lambda, lambdaMark);
                    }

                    nodes.Add(targets.Reference, referenceMark);
                    marks.Add((referenceMark, lambdaMark));
                }
            }

            root = root.ReplaceNodes(nodes.Keys, (original, rewritten) => rewritten.WithAdditionalAnnotations(nodes[original]));
            document = document.WithSyntaxRoot(root);
            foreach (var (referenceMark, lambdaMark) in marks)
            {
                var current = await document.GetSyntaxRootAsync(fixAllContext.CancellationToken).ConfigureAwait(false);
                if (current?.GetAnnotatedNodes(referenceMark).FirstOrDefault() is IdentifierNameSyntax reference &&
                    current.GetAnnotatedNodes(lambdaMark).FirstOrDefault() is AnonymousFunctionExpressionSyntax lambda)
                {
                    document = await CopyAsync(document, reference, lambda, fixAllContext.CancellationToken).ConfigureAwait(false);
                }
            }

            return document;
        }
    }

    /// <summary>The statement holding the lambda, if a declaration can be put right before it.</summary>
    private static StatementSyntax? StatementToPrecede(SyntaxNode lambda)
    {
        var statement = lambda.FirstAncestorOrSelf<StatementSyntax>();
        return statement?.Parent switch
        {
            BlockSyntax => statement,
            ForStatementSyntax or ForEachStatementSyntax or WhileStatementSyntax or DoStatementSyntax or IfStatementSyntax or ElseClauseSyntax => statement,
            _ => null,
        };
    }

    private static async Task<Document> CopyAsync(Document document, IdentifierNameSyntax reference, AnonymousFunctionExpressionSyntax lambda, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null ||
            model.GetSymbolInfo(reference, cancellationToken).Symbol is not ILocalSymbol local ||
            StatementToPrecede(lambda) is not { } statement)
        {
            return document;
        }

        var name = UniqueName(model, statement, lambda, local.Name + "Copy");
        var references = lambda.DescendantNodes().OfType<IdentifierNameSyntax>()
            .Where(n => n.Identifier.ValueText == local.Name &&
                        SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(n, cancellationToken).Symbol, local))
            .ToList();

        var newStatement = statement.ReplaceNodes(references, (_, n) => SyntaxFactory.IdentifierName(name).WithTriviaFrom(n));
        var copy = SyntaxFactory.LocalDeclarationStatement(
                SyntaxFactory.VariableDeclaration(
                    SyntaxFactory.IdentifierName("var"),
                    SyntaxFactory.SingletonSeparatedList(
                        SyntaxFactory.VariableDeclarator(SyntaxFactory.Identifier(name))
                            .WithInitializer(SyntaxFactory.EqualsValueClause(SyntaxFactory.IdentifierName(local.Name))))))
            .WithAdditionalAnnotations(Formatter.Annotation);

        SyntaxNode newRoot;
        if (statement.Parent is BlockSyntax block)
        {
            var index = block.Statements.IndexOf(statement);
            var statements = block.Statements.RemoveAt(index).InsertRange(index, new[]
            {
                copy.WithLeadingTrivia(statement.GetLeadingTrivia()).WithTrailingTrivia(UsingDirectives.NewLineOf(root)),
                newStatement.WithLeadingTrivia(statement.GetLeadingTrivia().Reverse().TakeWhile(t => t.IsKind(SyntaxKind.WhitespaceTrivia)).Reverse()),
            });
            newRoot = root.ReplaceNode(block, block.WithStatements(statements));
        }
        else
        {
            // The statement keeps its own trailing comment; the braces are laid out by the formatter.
            var newLine = UsingDirectives.NewLineOf(root);
            var braced = SyntaxFactory.Block(copy, newStatement.WithoutLeadingTrivia())
                .WithCloseBraceToken(SyntaxFactory.Token(SyntaxKind.CloseBraceToken).WithTrailingTrivia(newLine))
                .WithAdditionalAnnotations(Formatter.Annotation);
            newRoot = root.ReplaceNode(statement, braced);
        }

        return document.WithSyntaxRoot(newRoot);
    }

    private static string UniqueName(SemanticModel model, SyntaxNode at, SyntaxNode lambda, string baseName)
    {
        var name = baseName;
        for (var i = 2; model.LookupSymbols(at.SpanStart, name: name).Any() ||
                        lambda.DescendantTokens().Any(t => t.IsKind(SyntaxKind.IdentifierToken) && t.ValueText == name); i++)
        {
            name = baseName + i;
        }

        return name;
    }
}
