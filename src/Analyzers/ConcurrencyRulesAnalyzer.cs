using System.Collections.Immutable;
using ConcurrencyAnalyzers.Cancellation;
using ConcurrencyAnalyzers.Coordination;
using ConcurrencyAnalyzers.Lifetime;
using ConcurrencyAnalyzers.Locking;
using ConcurrencyAnalyzers.Primitives;
using ConcurrencyAnalyzers.SharedState;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ConcurrencyAnalyzers;

/// <summary>
/// The analyzer the package ships: every rule, run as one analyzer (see <see cref="RuleHost"/>). Each rule is its
/// own <see cref="DiagnosticAnalyzer"/> class, tested on its own; a rule is added to <see cref="CreateRules"/>, not
/// given a <see cref="DiagnosticAnalyzerAttribute"/> (the host would then run it twice).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ConcurrencyRulesAnalyzer : DiagnosticAnalyzer
{
    private readonly RuleHost _host;

    public ConcurrencyRulesAnalyzer()
        : this(CreateRules())
    {
    }

    /// <summary>Hosts <paramref name="rules"/> instead of the package's rules (for tests).</summary>
    internal ConcurrencyRulesAnalyzer(ImmutableArray<DiagnosticAnalyzer> rules) => _host = new RuleHost(rules);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => _host.SupportedDiagnostics;

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.ReportDiagnostics);
        context.RegisterCompilationStartAction(_host.Start);
    }

    /// <summary>Every rule of the package, by ID.</summary>
    internal static ImmutableArray<DiagnosticAnalyzer> CreateRules() => ImmutableArray.Create<DiagnosticAnalyzer>(
            new BackgroundLoopWithoutExitAnalyzer(), // CONC101
            new TaskNotObservedAnalyzer(), // CONC102
            new AsyncVoidAnalyzer(), // CONC103
            new TasksNotJoinedAnalyzer(), // CONC104
            new StopWithoutWaitingAnalyzer(), // CONC105
            new UnboundedFanOutAnalyzer(), // CONC106
            new RequestScopeCaptureAnalyzer(), // CONC107
            new TimerLifetimeAnalyzer(), // CONC108
            new TaskCompletionSourceAnalyzer(), // CONC109
            new LockHeldAcrossAwaitAnalyzer(), // CONC201
            new BlockingOnAsyncInsideLockAnalyzer(), // CONC202
            new SemaphoreSlimMisuseAnalyzer(), // CONC203
            new LockReleaseNotGuaranteedAnalyzer(), // CONC204
            new BlockingCallUnderLockAnalyzer(), // CONC205
            new LockOrderAnalyzer(), // CONC206
            new SyncBlockingInAsyncAnalyzer(), // CONC207
            new MonitorProtocolMisuseAnalyzer(), // CONC208
            new UnstableLockTargetAnalyzer(), // CONC209
            new CollectionMutatedConcurrentlyAnalyzer(), // CONC301
            new NonAtomicUpdateAnalyzer(), // CONC302
            new InconsistentlyLockedFieldAnalyzer(), // CONC303
            new LoopVariableCapturedAnalyzer(), // CONC304
            new CheckThenActAnalyzer(), // CONC305
            new BusyWaitOnNonVolatileFlagAnalyzer(), // CONC306
            new RacyLazyInitializationAnalyzer(), // CONC307
            new TokenNotPassedAnalyzer(), // CONC401
            new LoopIgnoresTokenAnalyzer(), // CONC402
            new TokenSourceNotDisposedAnalyzer(), // CONC403
            new TimeoutAbandonsWorkAnalyzer(), // CONC404
            new CancellationSwallowedAnalyzer(), // CONC405
            new AsyncApiWithoutTokenAnalyzer(), // CONC406
            new TokenStoredBeyondRequestAnalyzer(), // CONC407
            new NonCopyableInReadonlyFieldAnalyzer(), // CONC501
            new NonCopyableCopiedAnalyzer(), // CONC502
            new LockOnBoxedValueAnalyzer(), // CONC503
            new ChannelNotCompletedAnalyzer(), // CONC601
            new ProducerBlocksWithoutCancellationAnalyzer(), // CONC602
            new ChannelProtocolMisuseAnalyzer(), // CONC603
            new RateLimitLeaseMisuseAnalyzer(), // CONC604
            new PooledBufferReturnedUnsafelyAnalyzer(), // CONC605
            new CountdownRegisteredInWorkerAnalyzer(), // CONC606
            new ParallelLoopReturnAsExitAnalyzer()); // CONC607
}
