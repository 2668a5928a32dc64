using System.Collections.Immutable;
using ConcurrencyAnalyzers.Cancellation;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Suppressors;

/// <summary>
/// Hides CA2016 ("forward the CancellationToken parameter") on a call where CONC401 reports the same missing token,
/// so each bug shows once. CONC401 is re-evaluated on the call; when CONC401 is turned off for the file, CA2016 stays.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CA2016Suppressor : DiagnosticSuppressor
{
    internal static readonly SuppressionDescriptor Suppression = new(
        "CONCS401",
        "CA2016",
        "CONC401 reports this call: it forwards the same token (and covers lambdas, local tokens and await foreach).");

    public override ImmutableArray<SuppressionDescriptor> SupportedSuppressions { get; } = ImmutableArray.Create(Suppression);

    public override void ReportSuppressions(SuppressionAnalysisContext context)
    {
        var types = KnownTypes.For(context.Compilation);
        if (types.CancellationToken is null)
        {
            return;
        }

        foreach (var diagnostic in context.ReportedDiagnostics)
        {
            var location = diagnostic.Location;
            var tree = location.SourceTree;
            if (!location.IsInSource || tree is null || IsConc401Disabled(context, tree))
            {
                continue;
            }

            var root = tree.GetRoot(context.CancellationToken);
            var node = root.FindNode(location.SourceSpan, getInnermostNodeForTie: true);
            if (node.FirstAncestorOrSelf<InvocationExpressionSyntax>() is not { } invocationSyntax)
            {
                continue;
            }

            var model = context.GetSemanticModel(tree);
            if (model.GetOperation(invocationSyntax, context.CancellationToken) is not IInvocationOperation invocation)
            {
                continue;
            }

            var owner = model.GetEnclosingSymbol(invocationSyntax.SpanStart, context.CancellationToken);
            while (owner is IMethodSymbol { MethodKind: MethodKind.AnonymousFunction or MethodKind.LocalFunction } inner)
            {
                owner = inner.ContainingSymbol;
            }

            // CONC401 reports this very call (at its name or at the None argument): one diagnostic is enough.
            if (owner is not null && TokenNotPassedAnalyzer.Find(invocation, owner, types) is not null)
            {
                context.ReportSuppression(Microsoft.CodeAnalysis.Diagnostics.Suppression.Create(Suppression, diagnostic));
            }
        }
    }

    private static bool IsConc401Disabled(SuppressionAnalysisContext context, SyntaxTree tree)
    {
        var options = context.Compilation.Options;
        if (options.SpecificDiagnosticOptions.TryGetValue(RuleIds.TokenNotPassed, out var global) && global == ReportDiagnostic.Suppress)
        {
            return true;
        }

        var provider = options.SyntaxTreeOptionsProvider;
        if (provider is null)
        {
            return false;
        }

        if (provider.TryGetDiagnosticValue(tree, RuleIds.TokenNotPassed, context.CancellationToken, out var severity) ||
            provider.TryGetGlobalDiagnosticValue(RuleIds.TokenNotPassed, context.CancellationToken, out severity))
        {
            return severity == ReportDiagnostic.Suppress;
        }

        return false;
    }
}
