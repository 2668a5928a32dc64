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

namespace ConcurrencyAnalyzers.CodeFixes.Coordination;

/// <summary>
/// CONC603: <c>writer.Complete(...)</c> that can run on an already completed writer becomes
/// <c>writer.TryComplete(...)</c> (same arguments; idempotent). Other shapes have no fix.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ChannelProtocolMisuseCodeFix)), Shared]
public sealed class ChannelProtocolMisuseCodeFix : CodeFixProvider
{
    private const string Title = "Use TryComplete";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.ChannelProtocolMisuse);

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
            if (!diagnostic.Properties.ContainsKey(ChannelProtocolMisuseAnalyzer.FixProperty) ||
                root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax
                {
                    Expression: MemberAccessExpressionSyntax { Name: IdentifierNameSyntax { Identifier.ValueText: "Complete" } name },
                })
            {
                continue;
            }

            var document = context.Document;
            context.RegisterCodeFix(
                CodeAction.Create(
                    Title,
                    _ => Task.FromResult(document.WithSyntaxRoot(root.ReplaceNode(
                        name,
                        name.WithIdentifier(SyntaxFactory.Identifier("TryComplete").WithTriviaFrom(name.Identifier))))),
                    RuleIds.ChannelProtocolMisuse),
                diagnostic);
        }
    }
}
