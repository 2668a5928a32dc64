using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using ConcurrencyAnalyzers.CodeFixes.Editing;
using ConcurrencyAnalyzers.Locking;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ConcurrencyAnalyzers.CodeFixes.Locking;

/// <summary>CONC208: <c>if (cond) Monitor.Wait(x);</c> → <c>while (cond) Monitor.Wait(x);</c>.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MonitorProtocolMisuseCodeFix))]
[Shared]
public sealed class MonitorProtocolMisuseCodeFix : CodeFixProvider
{
    private const string Title = "Wait in a while loop";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.MonitorProtocolMisuse);

    public override FixAllProvider GetFixAllProvider() => FixAllProviders.Batch;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var diagnostic = context.Diagnostics[0];
        if (!diagnostic.Properties.ContainsKey(MonitorProtocolMisuseAnalyzer.IfToWhileProperty))
        {
            return;
        }

        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var ifStatement = root?.FindNode(diagnostic.Location.SourceSpan)?.FirstAncestorOrSelf<IfStatementSyntax>();
        if (root is null || ifStatement is null || ifStatement.Else is not null)
        {
            return;
        }

        context.RegisterCodeFix(
            CodeAction.Create(
                Title,
                ct =>
                {
                    var loop = SyntaxFactory.WhileStatement(
                            SyntaxFactory.Token(SyntaxKind.WhileKeyword).WithTriviaFrom(ifStatement.IfKeyword),
                            ifStatement.OpenParenToken,
                            ifStatement.Condition,
                            ifStatement.CloseParenToken,
                            ifStatement.Statement)
                        .WithTriviaFrom(ifStatement);
                    return Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(ifStatement, loop)));
                },
                RuleIds.MonitorProtocolMisuse),
            diagnostic);
    }
}
