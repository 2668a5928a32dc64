using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Tests.Analysis;

/// <summary>
/// The plumbing of the probe analyzers that test the shared analyses: at every invocation the probe cares about,
/// report what the analysis says, as the diagnostic's message.
/// </summary>
public abstract class InvocationProbe : DiagnosticAnalyzer
{
    protected abstract DiagnosticDescriptor Descriptor { get; }

    public sealed override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Descriptor);

    public sealed override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var types = KnownTypes.For(start.Compilation);
            start.RegisterOperationAction(
                c =>
                {
                    var invocation = (IInvocationOperation)c.Operation;
                    if (Describe(invocation, c.ContainingSymbol, types) is { } text)
                    {
                        c.ReportDiagnostic(Diagnostic.Create(Descriptor, invocation.Syntax.GetLocation(), text));
                    }
                },
                OperationKind.Invocation);
        });
    }

    /// <summary>The message for this invocation, or null to report nothing.</summary>
    private protected abstract string? Describe(IInvocationOperation invocation, ISymbol containingSymbol, KnownTypes types);
}
