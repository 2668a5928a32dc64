using ConcurrencyAnalyzers.Locking;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<
    ConcurrencyAnalyzers.Locking.SyncBlockingInAsyncAnalyzer,
    ConcurrencyAnalyzers.CodeFixes.Locking.SyncBlockingInAsyncCodeFix>;

namespace ConcurrencyAnalyzers.Tests.Locking;

public sealed class SyncBlockingInAsyncTests
{
    private static string Wrap(string body) => $$"""
        using System;
        using System.Threading;
        using System.Threading.Tasks;

        class C
        {
            private readonly object _gate = new object();
            private Task<int> LoadAsync() => Task.FromResult(1);
        {{body}}
        }
        """;

    [Fact]
    public Task Untimed_Process_WaitForExit_in_async_code_is_reported_without_a_fix_reaping_waits_are_not()
        => Verify.VerifyCodeFixAsync(
            """
            using System;
            using System.Diagnostics;
            using System.Threading;
            using System.Threading.Tasks;

            class Runner
            {
                async Task<int> RunAsync(string exe, CancellationToken token)
                {
                    using var process = Process.Start(exe)!;
                    await Task.Yield();
                    process.{|CONC207:WaitForExit|}();
                    return process.ExitCode;
                }

                async Task<int> RunWithTimeoutAsync(string exe, CancellationToken token)
                {
                    using var process = Process.Start(exe)!;
                    await Task.Yield();
                    if (!process.WaitForExit(5000))
                    {
                        process.Kill();
                    }
                    process.WaitForExit(); // reaps it and flushes redirected output
                    return process.ExitCode;
                }

                async Task<int> RunAsyncProperly(string exe, CancellationToken token)
                {
                    using var process = Process.Start(exe)!;
                    try
                    {
                        await process.WaitForExitAsync(token);
                    }
                    catch (OperationCanceledException)
                    {
                        process.Kill();
                        process.WaitForExit();
                        throw;
                    }
                    return process.ExitCode;
                }

                int Run(string exe)
                {
                    using var process = Process.Start(exe)!;
                    process.WaitForExit();
                    return process.ExitCode;
                }
            }
            """,
            """
            using System;
            using System.Diagnostics;
            using System.Threading;
            using System.Threading.Tasks;

            class Runner
            {
                async Task<int> RunAsync(string exe, CancellationToken token)
                {
                    using var process = Process.Start(exe)!;
                    await Task.Yield();
                    process.{|CONC207:WaitForExit|}();
                    return process.ExitCode;
                }

                async Task<int> RunWithTimeoutAsync(string exe, CancellationToken token)
                {
                    using var process = Process.Start(exe)!;
                    await Task.Yield();
                    if (!process.WaitForExit(5000))
                    {
                        process.Kill();
                    }
                    process.WaitForExit(); // reaps it and flushes redirected output
                    return process.ExitCode;
                }

                async Task<int> RunAsyncProperly(string exe, CancellationToken token)
                {
                    using var process = Process.Start(exe)!;
                    try
                    {
                        await process.WaitForExitAsync(token);
                    }
                    catch (OperationCanceledException)
                    {
                        process.Kill();
                        process.WaitForExit();
                        throw;
                    }
                    return process.ExitCode;
                }

                int Run(string exe)
                {
                    using var process = Process.Start(exe)!;
                    process.WaitForExit();
                    return process.ExitCode;
                }
            }
            """);

    [Fact]
    public Task Result_in_async_method_is_reported_as_info()
        => Verify.VerifyAnalyzerAsync(
            Wrap("""
                public async Task<int> M()
                {
                    await Task.Yield();
                    return LoadAsync().{|#0:Result|};
                }
            """),
            Verify.Diagnostic(SyncBlockingInAsyncAnalyzer.Rule).WithLocation(0).WithArguments(".Result", "await").WithSeverity(DiagnosticSeverity.Info));

    [Fact]
    public Task Wait_GetResult_and_Sleep_in_async_code_are_reported()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                public async Task M()
                {
                    LoadAsync().{|CONC207:Wait|}();
                    LoadAsync().GetAwaiter().{|CONC207:GetResult|}();
                    Thread.{|CONC207:Sleep|}(10);
                    await Task.Yield();
                }
            """));

    [Fact]
    public Task Blocking_in_async_lambda_is_reported()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                public void M()
                {
                    Func<Task> f = async () => { await Task.Yield(); Task.{|CONC207:WaitAll|}(LoadAsync()); };
                }
            """));

    [Fact]
    public Task Result_in_async_local_function_is_reported()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                public Task<int> M()
                {
                    return Local();
                    async Task<int> Local() { await Task.Yield(); return LoadAsync().{|CONC207:Result|}; }
                }
            """));

    [Fact]
    public Task Sleep_in_top_level_statements_with_await_is_reported()
    {
        // The entry point is async without an `async` keyword in the text: the text gate must not leave it.
        var test = new Verify.Test
        {
            TestCode = """
                using System.Threading;
                using System.Threading.Tasks;

                await Task.Yield();
                Thread.{|CONC207:Sleep|}(10);
                """,
        };
        test.TestState.OutputKind = OutputKind.ConsoleApplication;
        return test.RunAsync();
    }

    private const string WaitHandleWaits = """
        using System;
        using System.Threading;
        using System.Threading.Tasks;

        class Scheduler
        {
            private readonly ManualResetEvent _ready = new ManualResetEvent(false);
            private readonly AutoResetEvent _signal = new AutoResetEvent(false);
            private readonly ManualResetEventSlim _started = new ManualResetEventSlim(false);
            private readonly Semaphore _slots = new Semaphore(2, 2);
            private readonly CancellationTokenSource _cts = new CancellationTokenSource();

            public async Task RunAsync()
            {
                _ready.{|CONC207:WaitOne|}();
                _signal.{|CONC207:WaitOne|}(TimeSpan.FromSeconds(1));
                _started.{|CONC207:Wait|}();
                _slots.{|CONC207:WaitOne|}();
                await Task.Yield();
                WaitHandle.{|CONC207:WaitAny|}(new WaitHandle[] { _ready, _signal });
                _slots.Release();
            }

            public async Task WaitStartedAsync(CancellationToken cancellationToken)
            {
                await Task.Yield();
                _started.{|CONC207:Wait|}(cancellationToken);
            }

            public void Start()
            {
                _ = Task.Run(async () =>
                {
                    while (!_cts.IsCancellationRequested)
                    {
                        await Task.Yield();
                        _cts.Token.WaitHandle.{|CONC207:WaitOne|}(100);
                    }
                });
            }
        }
        """;

    [Fact]
    public Task Wait_handle_and_slim_event_waits_in_async_code_are_reported_without_a_fix()
        => Verify.VerifyCodeFixAsync(WaitHandleWaits, WaitHandleWaits);

    [Fact]
    public Task Wait_handle_wait_message_names_the_handle_type_and_an_async_signal()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                private readonly ManualResetEvent _ready = new ManualResetEvent(false);
                public async Task M()
                {
                    await Task.Yield();
                    _ready.{|#0:WaitOne|}();
                }
            """),
            Verify.Diagnostic(SyncBlockingInAsyncAnalyzer.Rule).WithLocation(0)
                .WithArguments("ManualResetEvent.WaitOne", "await an async signal (TaskCompletionSource, SemaphoreSlim.WaitAsync)")
                .WithSeverity(DiagnosticSeverity.Info));

    [Fact]
    public Task Thread_Join_in_async_code_is_reported_zero_timeouts_sync_code_and_async_Main_are_not()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class Loader
            {
                private readonly object _gate = new object();
                private readonly Thread _worker = new Thread(() => { });

                public async Task<int> LoadAsync(Func<Task<int>> read)
                {
                    _worker.{|#0:Join|}();
                    _worker.{|CONC207:Join|}(TimeSpan.FromSeconds(5));
                    var done = _worker.Join(0);
                    Console.WriteLine(string.Join(",", new[] { "a", "b" }));
                    return done ? await read() : 0;
                }

                public void Stop() => _worker.Join(5000);
            }

            static class Program
            {
                public static async Task Main()
                {
                    var worker = new Thread(() => { });
                    worker.Start();
                    await Task.Yield();
                    worker.Join();
                }
            }
            """,
            Verify.Diagnostic(SyncBlockingInAsyncAnalyzer.Rule).WithLocation(0)
                .WithArguments("Thread.Join", "await a Task that runs the thread's work")
                .WithSeverity(DiagnosticSeverity.Info));

    [Fact]
    public Task Wait_handle_polls_offloaded_waits_sync_code_mutexes_and_entry_points_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class Worker
            {
                private readonly ManualResetEvent _ready = new ManualResetEvent(false);
                private readonly ManualResetEventSlim _started = new ManualResetEventSlim(false);
                private readonly Mutex _mutex = new Mutex();
                private readonly object _gate = new object();

                public async Task<bool> PollAsync()
                {
                    await Task.Yield();
                    var ready = _ready.WaitOne(0) && _started.Wait(TimeSpan.Zero);
                    return ready && WaitHandle.WaitAny(new WaitHandle[] { _ready }, 0) == 0;
                }

                public async Task OffloadAsync()
                {
                    await Task.Run(() => _ready.WaitOne());
                    var thread = new Thread(() => _started.Wait());
                    thread.Start();
                    await Task.Yield();
                }

                public void Block()
                {
                    _ready.WaitOne();
                    _started.Wait();
                }

                public async Task WithMutexAsync()
                {
                    await Task.Yield();
                    _mutex.WaitOne();
                    try { Console.WriteLine(); }
                    finally { _mutex.ReleaseMutex(); }
                }

                public async Task WithTokenInScopeAsync(CancellationToken cancellationToken)
                {
                    await Task.Delay(1, cancellationToken);
                    _started.Wait(); // CONC401: the token is left out
                }

                public static async Task Main()
                {
                    using var quit = new ManualResetEvent(false);
                    Console.CancelKeyPress += (_, e) => { e.Cancel = true; quit.Set(); };
                    await Task.Yield();
                    quit.WaitOne();
                }
            }
            """);

    // ---- near misses ----

    [Fact]
    public Task Result_after_await_WhenAll_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                public async Task<int> M()
                {
                    var a = LoadAsync();
                    var b = LoadAsync();
                    await Task.WhenAll(a, b);
                    return a.Result + b.Result;
                }
            """));

    [Fact]
    public Task Result_after_await_WhenAll_of_a_collection_expression_is_not_reported_a_task_left_out_is()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                public async Task<int> M()
                {
                    // On .NET 9+ `Task.WhenAll(a, b)` binds to a params collection, which has the same operation shape.
                    var a = LoadAsync();
                    var b = LoadAsync();
                    var c = LoadAsync();
                    await Task.WhenAll([a, b]);
                    return a.Result + b.Result + c.{|CONC207:Result|};
                }
            """));

    [Fact]
    public Task Result_of_the_elements_of_a_collection_joined_by_WhenAll_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                public async Task<int> M(string[] keys)
                {
                    var reads = new System.Collections.Generic.List<Task<int>>();
                    foreach (var key in keys) reads.Add(LoadAsync());
                    await Task.WhenAll(reads);
                    var total = 0;
                    foreach (var read in reads) total += read.Result;
                    var pending = new System.Collections.Generic.Dictionary<string, Task<int>>();
                    await Task.WhenAll(pending.Values);
                    foreach (var (key, task) in pending) total += task.Result;
                    foreach (var entry in pending) total += entry.Value.Result;
                    return total;
                }
            """));

    [Fact]
    public Task Result_of_the_elements_of_a_collection_passed_to_WhenAny_is_reported()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                public async Task<int> M(System.Collections.Generic.List<Task<int>> reads)
                {
                    await Task.WhenAny(reads);
                    var total = 0;
                    foreach (var read in reads) total += read.{|CONC207:Result|};
                    return total;
                }
            """));

    [Fact]
    public Task Result_of_an_awaited_task_and_WhenAny_winner_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                public async Task<int> M()
                {
                    var a = LoadAsync();
                    await a;
                    var winner = await Task.WhenAny(LoadAsync(), LoadAsync());
                    return a.Result + winner.Result;
                }
            """));

    [Fact]
    public Task Result_of_a_local_only_assigned_WhenAny_winners_is_not_reported_one_also_assigned_other_tasks_is()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                public async Task<int> M(CancellationToken token)
                {
                    var reads = new[] { LoadAsync(), LoadAsync() };
                    Task<int> winner;
                    var rounds = 0;
                    do
                    {
                        rounds++;
                        winner = await Task.WhenAny(reads).ConfigureAwait(false);
                    }
                    while (winner.Result > 0 && !token.IsCancellationRequested && rounds < 3);

                    Task<int> mixed;
                    mixed = await Task.WhenAny(reads);
                    mixed = LoadAsync();
                    Task<int> seeded = LoadAsync();
                    seeded = await Task.WhenAny(reads);
                    return mixed.{|CONC207:Result|} + seeded.{|CONC207:Result|};
                }
            """));

    [Fact]
    public Task Result_of_a_local_assigned_only_null_and_tasks_checked_complete_is_not_reported_one_also_assigned_a_running_task_is()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                public async Task<int> Connect(System.Collections.Generic.List<Task<int>> attempts)
                {
                    // Sonarr's HappyEyeballs: keep the first attempt that completed successfully.
                    Task<int> success = null;
                    while (attempts.Count > 0)
                    {
                        var done = await Task.WhenAny(attempts).ConfigureAwait(false);
                        attempts.Remove(done);
                        if (done.IsCompletedSuccessfully)
                        {
                            success = done;
                            break;
                        }
                    }

                    if (success == null)
                    {
                        throw new InvalidOperationException("no attempt succeeded");
                    }

                    Task<int> kept = success;
                    Task<int> fallback = null;
                    foreach (var attempt in attempts)
                    {
                        fallback = attempt;
                    }

                    return success.Result + kept.Result + fallback.{|CONC207:Result|};
                }
            """));

    [Fact]
    public Task Blocking_in_sync_method_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                public int M() => LoadAsync().Result;
            """));

    [Fact]
    public Task Sync_lambda_inside_async_method_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                public async Task M()
                {
                    await Task.Run(() => Thread.Sleep(10));
                    var c = LoadAsync().ContinueWith(t => t.Result + 1);
                    await c;
                }
            """));

    [Fact]
    public Task Blocking_under_a_lock_is_left_to_CONC202_and_CONC205()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                private readonly SemaphoreSlim _sem = new SemaphoreSlim(1, 1);
                public async Task M()
                {
                    await _sem.WaitAsync();
                    try
                    {
                        Thread.Sleep(10);
                        _ = LoadAsync().Result;
                    }
                    finally { _sem.Release(); }
                }
            """));

    [Fact]
    public Task Result_guarded_by_IsCompleted_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                public async Task<int> M(Task<int> t)
                {
                    if (t.IsCompleted) return t.Result;
                    return await t;
                }
            """));

    [Fact]
    public Task Half_typed_code_does_not_crash()
        => new Verify.Test
        {
            TestCode = Wrap("""
                public async Task M() { Missing().Result
            """),
            CompilerDiagnostics = CompilerDiagnostics.None,
        }.RunAsync();

    [Fact]
    public Task Sync_branch_and_sync_mode_calls_of_the_dual_path_idiom_are_not_reported()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                private Task<int> Read(bool async) => async ? LoadAsync() : Task.FromResult(2);

                internal async Task<int> Get(bool async)
                {
                    if (async)
                        return await LoadAsync();
                    Thread.Sleep(0);
                    return LoadAsync().GetAwaiter().GetResult();
                }

                internal async Task<int> Get2(bool async)
                    => async ? await LoadAsync() : LoadAsync().Result;

                public async Task<int> Other()
                {
                    await Task.Yield();
                    Thread.Sleep(0);
                    return Read(async: false).GetAwaiter().GetResult() + Read(true).GetAwaiter().{|CONC207:GetResult|}();
                }
            """));

    [Fact]
    public Task Blocking_waits_in_async_code_become_awaits()
        => Verify.VerifyCodeFixAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private Task<int> LoadAsync() => Task.FromResult(1);
                private Task SaveAsync() => Task.CompletedTask;

                public async Task<int> M()
                {
                    await Task.Yield();
                    // pause between attempts
                    Thread.{|CONC207:Sleep|}(100); // ms
                    SaveAsync().{|CONC207:Wait|}();
                    var count = LoadAsync().{|CONC207:Result|};
                    var text = LoadAsync().{|CONC207:Result|}.ToString();
                    return count + LoadAsync().ConfigureAwait(false).GetAwaiter().{|CONC207:GetResult|}() + text.Length;
                }
            }
            """,
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private Task<int> LoadAsync() => Task.FromResult(1);
                private Task SaveAsync() => Task.CompletedTask;

                public async Task<int> M()
                {
                    await Task.Yield();
                    // pause between attempts
                    await Task.Delay(100); // ms
                    await SaveAsync();
                    var count = await LoadAsync();
                    var text = (await LoadAsync()).ToString();
                    return count + await LoadAsync().ConfigureAwait(false) + text.Length;
                }
            }
            """);

    [Fact]
    public Task Waits_where_await_cannot_be_written_get_no_fix()
        => Verify.VerifyCodeFixAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private Task<bool> CheckAsync() => Task.FromResult(true);

                public async Task M(Task[] tasks)
                {
                    await Task.Yield();
                    Task.{|CONC207:WaitAll|}(tasks);
                    try { await Task.Yield(); }
                    catch (Exception) when (CheckAsync().{|CONC207:Result|}) { }
                    var done = tasks[0].{|CONC207:Wait|}(TimeSpan.FromSeconds(1));
                }
            }
            """,
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private Task<bool> CheckAsync() => Task.FromResult(true);

                public async Task M(Task[] tasks)
                {
                    await Task.Yield();
                    Task.{|CONC207:WaitAll|}(tasks);
                    try { await Task.Yield(); }
                    catch (Exception) when (CheckAsync().{|CONC207:Result|}) { }
                    var done = tasks[0].{|CONC207:Wait|}(TimeSpan.FromSeconds(1));
                }
            }
            """);
}
