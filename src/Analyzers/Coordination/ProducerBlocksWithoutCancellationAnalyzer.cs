using System.Collections.Immutable;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Coordination;

/// <summary>
/// CONC602: a producer (a loop, or work spawned with Task.Run and the like) writes to a bounded channel
/// (<c>FullMode.Wait</c>) or a bounded <c>BlockingCollection&lt;T&gt;</c> with a call that waits for room, and no
/// cancellation token exists anywhere in scope: once the consumer stops reading, the producer waits forever.
/// With a token in scope that is not passed, CONC401 reports instead. Boundedness must be visible at the creation
/// site (same member, or a field initializer of the same type); otherwise the rule stays silent.
/// </summary>
public sealed class ProducerBlocksWithoutCancellationAnalyzer : DiagnosticAnalyzer
{
    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        RuleIds.ProducerBlocksWithoutCancellation,
        "Producer blocks on a bounded channel or queue without cancellation",
        "'{0}' waits for room in a bounded {1} and nothing can cancel it; if the consumer stops reading, this producer blocks forever",
        DiagnosticSeverity.Warning,
        "A write to a bounded channel (FullMode Wait) or a bounded BlockingCollection waits while the buffer is full. " +
        "A producer that runs in a loop or in spawned work and has no cancellation token leaks when its consumer stops " +
        "early or fails (Go: a goroutine blocked forever on a send). Give the producer a CancellationToken and pass it " +
        "to the write.");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var types = KnownTypes.For(start.Compilation);
            if (types.CancellationToken is null || (types.ChannelWriterOfT is null && types.BlockingCollectionOfT is null))
            {
                return;
            }

            start.RegisterInvocationAction(c => Analyze(c, types), InvocationActions.Names("WriteAsync", "WaitToWriteAsync", "Add"));
        });
    }

    private static void Analyze(OperationAnalysisContext context, KnownTypes types)
    {
        var call = (IInvocationOperation)context.Operation;
        var method = call.TargetMethod;
        string kind;
        if (method.Name is "WriteAsync" or "WaitToWriteAsync" && method.ContainingType.InheritsFromOrEquals(types.ChannelWriterOfT))
        {
            kind = "channel";
        }
        else if (method.Name == "Add" && method.ContainingType.Is(types.BlockingCollectionOfT))
        {
            kind = "BlockingCollection";
        }
        else
        {
            return;
        }

        if (CancellationOverloads.PassesRealToken(call, types) || !InLoopOrSpawnedProducer(call, types) ||
            CancellationTokens.FindInnermostToken(call, context.ContainingSymbol, types) is not null ||
            !ChannelProvenance.IsBlockingBounded(call.Instance, types, constructorAssigned: true))
        {
            return;
        }

        context.ReportDiagnostic(Diagnostic.Create(Rule, call.Syntax.GetLocation(), call.Syntax.ToString(), kind));
    }

    private static bool InLoopOrSpawnedProducer(IOperation call, KnownTypes types)
    {
        for (var current = call.Parent; current is not null; current = current.Parent)
        {
            if (current is ILoopOperation)
            {
                return true;
            }

            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                break;
            }
        }

        return ConcurrentContexts.FindEnclosing(call, types)?.IsDetached == true;
    }
}
