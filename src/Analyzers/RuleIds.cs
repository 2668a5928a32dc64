namespace ConcurrencyAnalyzers;

/// <summary>
/// Every diagnostic ID the package defines. The name is the intent; the value the ID. A rule adds its line here
/// together with its analyzer, docs page, README row and release row.
/// </summary>
public static class RuleIds
{
    // CONC1xx — Lifetime
    public const string BackgroundLoopWithoutExit = "CONC101";
    public const string TaskNotObserved = "CONC102";
    public const string AsyncVoid = "CONC103";
    public const string TasksNotJoined = "CONC104";
    public const string StopWithoutWaiting = "CONC105";
    public const string UnboundedFanOut = "CONC106";
    public const string RequestScopeCapturedByBackgroundWork = "CONC107";
    public const string TimerLifetime = "CONC108";
    public const string TaskCompletionSourceMisuse = "CONC109";

    // CONC2xx — Locking
    public const string LockHeldAcrossAwait = "CONC201";
    public const string BlockingOnAsyncInsideLock = "CONC202";
    public const string SemaphoreSlimMisuse = "CONC203";
    public const string LockReleaseNotGuaranteed = "CONC204";
    public const string BlockingCallUnderLock = "CONC205";
    public const string LockOrderInconsistent = "CONC206";
    public const string SyncBlockingInAsync = "CONC207";
    public const string MonitorProtocolMisuse = "CONC208";
    public const string UnstableLockTarget = "CONC209";

    // CONC3xx — Shared state
    public const string CollectionMutatedConcurrently = "CONC301";
    public const string NonAtomicUpdate = "CONC302";
    public const string InconsistentlyLockedField = "CONC303";
    public const string LoopVariableCaptured = "CONC304";
    public const string CheckThenAct = "CONC305";
    public const string BusyWaitOnNonVolatileFlag = "CONC306";
    public const string RacyLazyInitialization = "CONC307";

    // CONC4xx — Cancellation
    public const string TokenNotPassed = "CONC401";
    public const string LoopIgnoresToken = "CONC402";
    public const string TokenSourceNotDisposed = "CONC403";
    public const string TimeoutAbandonsWork = "CONC404";
    public const string CancellationSwallowed = "CONC405";
    public const string AsyncApiWithoutToken = "CONC406";
    public const string TokenStoredBeyondRequest = "CONC407";

    // CONC5xx — Primitives
    public const string NonCopyableInReadonlyField = "CONC501";
    public const string NonCopyableCopied = "CONC502";
    public const string LockOnBoxedValue = "CONC503";

    // CONC6xx — Coordination
    public const string ChannelNotCompleted = "CONC601";
    public const string ProducerBlocksWithoutCancellation = "CONC602";
    public const string ChannelProtocolMisuse = "CONC603";
    public const string RateLimitLeaseMisuse = "CONC604";
    public const string PooledBufferReturnedUnsafely = "CONC605";
    public const string CountdownRegisteredInWorker = "CONC606";
    public const string ParallelLoopReturnAsExit = "CONC607";
}
