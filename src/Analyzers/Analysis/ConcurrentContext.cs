using Microsoft.CodeAnalysis;

namespace ConcurrencyAnalyzers.Analysis;

/// <summary>How a function (lambda, anonymous method, local function or method group) runs relative to its caller.</summary>
internal enum SpawnKind
{
    /// <summary><c>Task.Run(...)</c>.</summary>
    TaskRun,

    /// <summary><c>Task.Factory.StartNew(...)</c> / <c>TaskFactory&lt;T&gt;.StartNew</c>.</summary>
    StartNew,

    /// <summary><c>new Task(...)</c>, started later.</summary>
    NewTask,

    /// <summary><c>new Thread(...)</c>.</summary>
    Thread,

    /// <summary><c>ThreadPool.QueueUserWorkItem</c> / <c>UnsafeQueueUserWorkItem</c>.</summary>
    ThreadPool,

    /// <summary>A timer callback: <c>new System.Threading.Timer(...)</c>, <c>System.Timers.Timer.Elapsed +=</c>.</summary>
    Timer,

    /// <summary><c>task.ContinueWith(...)</c>: runs later, concurrently with whatever the caller does by then.</summary>
    Continuation,

    /// <summary>An async function whose task is dropped (<c>DoAsync();</c> or <c>_ = DoAsync();</c>): the part after its first await runs detached.</summary>
    DroppedAsyncCall,

    /// <summary>A <c>Parallel.For/ForEach/ForEachAsync/Invoke</c> body: runs concurrently with its siblings.</summary>
    Parallel,

    /// <summary>A PLINQ operator's delegate (<c>ForAll</c>, <c>Select</c>, … after <c>AsParallel()</c>).</summary>
    Plinq,

    /// <summary>
    /// An async lambda or async local function whose tasks are started together (projected with <c>Select</c> into
    /// <c>Task.WhenAll/WhenAny</c>, or started in a loop and awaited later): the part after its first await runs
    /// concurrently with its siblings.
    /// </summary>
    ConcurrentStart,
}

/// <summary>A function that runs concurrently with its caller or its siblings, and what makes it so.</summary>
internal sealed class ConcurrentContext
{
    public ConcurrentContext(IOperation function, SpawnKind kind, IOperation origin, string spawner, IOperation? caller = null)
    {
        Function = function;
        Kind = kind;
        Origin = origin;
        Spawner = spawner;
        Caller = caller;
    }

    /// <summary>The lambda (<c>IAnonymousFunctionOperation</c>), local function (<c>ILocalFunctionOperation</c>) or method group (<c>IMethodReferenceOperation</c>).</summary>
    public IOperation Function { get; }

    public SpawnKind Kind { get; }

    /// <summary>The call or creation that starts the function (<c>Task.Run(...)</c>, <c>Parallel.ForEach(...)</c>, <c>Task.WhenAll(...)</c>, …).</summary>
    public IOperation Origin { get; }

    /// <summary>
    /// For a local function that runs in the context of the one concurrent lambda that calls it, that lambda; null
    /// otherwise. <see cref="Runner"/> is the function whose thread the work runs on.
    /// </summary>
    public IOperation? Caller { get; }

    /// <summary>The function whose run this is: <see cref="Caller"/> when set, else <see cref="Function"/>.</summary>
    public IOperation Runner => Caller ?? Function;

    /// <summary>A short display name of the spawner for messages: <c>Task.Run</c>, <c>Parallel.ForEach</c>, <c>new Thread</c>, ….</summary>
    public string Spawner { get; }

    /// <summary>
    /// Detached work: runs in the background with nobody necessarily waiting for it (Task.Run, StartNew, threads,
    /// the thread pool, timers, continuations, dropped async calls). This is the spawn set of CONC101 and CONC107.
    /// </summary>
    public bool IsDetached => Kind is SpawnKind.TaskRun or SpawnKind.StartNew or SpawnKind.NewTask or SpawnKind.Thread
        or SpawnKind.ThreadPool or SpawnKind.Timer or SpawnKind.Continuation or SpawnKind.DroppedAsyncCall;

    /// <summary>
    /// True when only the part of an async function after its first <c>await</c> runs concurrently (the part before
    /// it runs synchronously on the caller's thread, one call after another).
    /// </summary>
    public bool OnlyAfterFirstAwait => Kind is SpawnKind.ConcurrentStart or SpawnKind.DroppedAsyncCall;
}
