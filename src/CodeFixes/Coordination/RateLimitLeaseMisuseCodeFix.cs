using System.Collections.Immutable;
using System.Composition;
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
/// CONC604, two fixes on a lease local: <c>using</c> on its declaration (<c>using var</c> from C# 8, else a
/// <c>using (…) { }</c> block around the rest of the block), and <c>if (!lease.IsAcquired) { return; }</c> right after
/// the declaration where a plain <c>return;</c> compiles (the analyzer decides and says so in the properties).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RateLimitLeaseMisuseCodeFix)), Shared]
public sealed class RateLimitLeaseMisuseCodeFix : CodeFixProvider
{
    private const string UsingTitle = "Dispose the lease with 'using'";
    private const string GuardTitle = "Return when the lease was not acquired";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.RateLimitLeaseMisuse);

    public override FixAllProvider GetFixAllProvider() => FixAllProviders.Batch;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        var document = context.Document;
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(RateLimitLeaseMisuseAnalyzer.ShapeProperty, out var shape) ||
                shape != RateLimitLeaseMisuseAnalyzer.ShapeDeclaration ||
                root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<VariableDeclaratorSyntax>() is not { } variable ||
                variable.Parent is not VariableDeclarationSyntax { Variables.Count: 1 } declaration)
            {
                continue;
            }

            if (diagnostic.Properties.ContainsKey(RateLimitLeaseMisuseAnalyzer.UsingFixableProperty) &&
                declaration.Parent is LocalDeclarationStatementSyntax { UsingKeyword.RawKind: 0, AwaitKeyword.RawKind: 0, Parent: BlockSyntax block } statement)
            {
                var usingDeclarations = DisposalStatements.SupportsUsingDeclarations(root.SyntaxTree);
                context.RegisterCodeFix(
                    CodeAction.Create(
                        UsingTitle,
                        _ => Task.FromResult(document.WithSyntaxRoot(DisposalStatements.AddUsing(root, block, statement, usingDeclarations))),
                        RuleIds.RateLimitLeaseMisuse + ".using"),
                    diagnostic);
            }

            if (diagnostic.Properties.ContainsKey(RateLimitLeaseMisuseAnalyzer.GuardFixableProperty) &&
                AddGuard(root, declaration, variable.Identifier.ValueText) is { } guarded)
            {
                context.RegisterCodeFix(
                    CodeAction.Create(GuardTitle, _ => Task.FromResult(document.WithSyntaxRoot(guarded)), RuleIds.RateLimitLeaseMisuse + ".guard"),
                    diagnostic);
            }
        }
    }

    /// <summary>The guard after a declaration statement, or first in the body of a <c>using (var lease = …) { }</c>.</summary>
    private static SyntaxNode? AddGuard(SyntaxNode root, VariableDeclarationSyntax declaration, string name)
    {
        var guard = Guard(name);
        switch (declaration.Parent)
        {
            case LocalDeclarationStatementSyntax { Parent: BlockSyntax block } statement:
                return root.ReplaceNode(block, block.WithStatements(block.Statements.Insert(block.Statements.IndexOf(statement) + 1, guard)));
            case UsingStatementSyntax { Statement: BlockSyntax body }:
                return root.ReplaceNode(body, body.WithStatements(body.Statements.Insert(0, guard)));
            default:
                return null;
        }
    }

    private static StatementSyntax Guard(string name)
        => SyntaxFactory.IfStatement(
                SyntaxFactory.PrefixUnaryExpression(
                    SyntaxKind.LogicalNotExpression,
                    SyntaxFactory.MemberAccessExpression(
                        SyntaxKind.SimpleMemberAccessExpression,
                        SyntaxFactory.IdentifierName(name),
                        SyntaxFactory.IdentifierName("IsAcquired"))),
                SyntaxFactory.Block(SyntaxFactory.ReturnStatement()))
            .WithAdditionalAnnotations(Formatter.Annotation);
}
