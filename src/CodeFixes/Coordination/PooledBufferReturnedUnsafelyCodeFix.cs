using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ConcurrencyAnalyzers.CodeFixes.Editing;
using ConcurrencyAnalyzers.Coordination;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace ConcurrencyAnalyzers.CodeFixes.Coordination;

/// <summary>
/// CONC605: <c>var buffer = pool.Rent(n); …uses…; pool.Return(buffer); …</c> becomes
/// <c>var buffer = pool.Rent(n); try { …uses… } finally { pool.Return(buffer); } …</c>. When a local declared among
/// the uses is read after the <c>Return</c>, the rest of the block moves into the <c>try</c> too (the buffer then goes
/// back a little later, never earlier). Only for a <c>Rent</c> declaration and its single <c>Return</c> statement in one
/// block (the analyzer marks that shape); rentals in one block are rewritten one after the other in Fix All.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(PooledBufferReturnedUnsafelyCodeFix)), Shared]
public sealed class PooledBufferReturnedUnsafelyCodeFix : CodeFixProvider
{
    private const string Title = "Return the buffer in a finally block";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.PooledBufferReturnedUnsafely);

    public override FixAllProvider GetFixAllProvider() => DocumentBatchFix.Create(FixAsync);

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            if (diagnostic.Properties.ContainsKey(PooledBufferReturnedUnsafelyAnalyzer.FixableProperty) &&
                FindShape(root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)) is not null)
            {
                var document = context.Document;
                context.RegisterCodeFix(
                    CodeAction.Create(Title, ct => FixAsync(document, ImmutableArray.Create(diagnostic), ct), RuleIds.PooledBufferReturnedUnsafely),
                    diagnostic);
            }
        }
    }

    private static async Task<Document> FixAsync(Document document, ImmutableArray<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return document;
        }

        var returns = new List<ExpressionStatementSyntax>();
        foreach (var diagnostic in diagnostics)
        {
            if (diagnostic.Properties.ContainsKey(PooledBufferReturnedUnsafelyAnalyzer.FixableProperty) &&
                FindShape(root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)) is { } shape)
            {
                returns.Add(shape.Return);
            }
        }

        // Later rentals first; tracking keeps each Return statement findable after the blocks around it changed.
        root = root.TrackNodes(returns);
        foreach (var original in returns.OrderByDescending(r => r.SpanStart))
        {
            if (root.GetCurrentNode(original) is { } current && FindShape(current) is { } shape)
            {
                root = root.ReplaceNode(shape.Block, Rewrite(shape));
            }
        }

        return document.WithSyntaxRoot(root);
    }

    private sealed class Shape
    {
        public Shape(BlockSyntax block, int declarationIndex, ExpressionStatementSyntax returnStatement)
        {
            Block = block;
            DeclarationIndex = declarationIndex;
            Return = returnStatement;
        }

        public BlockSyntax Block { get; }

        public int DeclarationIndex { get; }

        public ExpressionStatementSyntax Return { get; }
    }

    /// <summary>The Return statement, its block, and the declaration of the buffer it returns earlier in that block.</summary>
    private static Shape? FindShape(SyntaxNode node)
    {
        if (node.FirstAncestorOrSelf<ExpressionStatementSyntax>() is not
            {
                Expression: InvocationExpressionSyntax { ArgumentList.Arguments: { Count: > 0 } arguments },
                Parent: BlockSyntax block,
            } statement ||
            arguments[0].Expression is not IdentifierNameSyntax buffer)
        {
            return null;
        }

        var returnIndex = block.Statements.IndexOf(statement);
        for (var i = returnIndex - 1; i >= 0; i--)
        {
            if (block.Statements[i] is LocalDeclarationStatementSyntax declaration &&
                declaration.Declaration.Variables.Any(v => v.Identifier.ValueText == buffer.Identifier.ValueText))
            {
                return i < returnIndex - 1 ? new Shape(block, i, statement) : null;
            }
        }

        return null;
    }

    private static BlockSyntax Rewrite(Shape shape)
    {
        var statements = shape.Block.Statements;
        var returnIndex = statements.IndexOf(shape.Return);
        var uses = statements.Skip(shape.DeclarationIndex + 1).Take(returnIndex - shape.DeclarationIndex - 1).ToList();
        var tail = statements.Skip(returnIndex + 1).ToList();
        if (tail.Count > 0 && ReadsNamesDeclaredIn(tail, uses))
        {
            uses.AddRange(tail);
            tail.Clear();
        }

        var tryStatement = SyntaxFactory.TryStatement(
                SyntaxFactory.Block(uses),
                default,
                SyntaxFactory.FinallyClause(SyntaxFactory.Block(WithoutLeadingBlankLines(shape.Return))))
            .WithAdditionalAnnotations(Formatter.Annotation);
        var rewritten = statements.Take(shape.DeclarationIndex + 1).ToList();
        rewritten.Add(tryStatement);
        rewritten.AddRange(tail);
        return shape.Block.WithStatements(SyntaxFactory.List(rewritten));
    }

    /// <summary>The statement without the blank lines above it (it becomes the first statement of the finally block).</summary>
    private static StatementSyntax WithoutLeadingBlankLines(StatementSyntax statement)
    {
        var leading = statement.GetLeadingTrivia();
        var skip = 0;
        while (skip < leading.Count && (leading[skip].IsKind(SyntaxKind.WhitespaceTrivia) || leading[skip].IsKind(SyntaxKind.EndOfLineTrivia)))
        {
            skip++;
        }

        return skip == 0 ? statement : statement.WithLeadingTrivia(leading.Skip(skip));
    }

    /// <summary>True when <paramref name="tail"/> mentions a name declared anywhere in <paramref name="uses"/> (over-approximated by text).</summary>
    private static bool ReadsNamesDeclaredIn(List<StatementSyntax> tail, List<StatementSyntax> uses)
    {
        var declared = new HashSet<string>();
        foreach (var node in uses.SelectMany(s => s.DescendantNodesAndSelf()))
        {
            switch (node)
            {
                case VariableDeclaratorSyntax variable:
                    declared.Add(variable.Identifier.ValueText);
                    break;
                case SingleVariableDesignationSyntax designation:
                    declared.Add(designation.Identifier.ValueText);
                    break;
                case LocalFunctionStatementSyntax localFunction:
                    declared.Add(localFunction.Identifier.ValueText);
                    break;
                case LabeledStatementSyntax label:
                    declared.Add(label.Identifier.ValueText);
                    break;
            }
        }

        return declared.Count > 0 &&
               tail.SelectMany(s => s.DescendantNodesAndSelf()).OfType<IdentifierNameSyntax>().Any(n => declared.Contains(n.Identifier.ValueText));
    }
}
