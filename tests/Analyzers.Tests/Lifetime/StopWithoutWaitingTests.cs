using ConcurrencyAnalyzers.Lifetime;
using ConcurrencyAnalyzers.Tests.Verifiers;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<
    ConcurrencyAnalyzers.Lifetime.StopWithoutWaitingAnalyzer,
    ConcurrencyAnalyzers.CodeFixes.Lifetime.StopWithoutWaitingCodeFix>;

namespace ConcurrencyAnalyzers.Tests.Lifetime;

public sealed class StopWithoutWaitingTests
{
    private const string Pump = """
        using System;
        using System.Threading;
        using System.Threading.Tasks;

        sealed class Pump : IDisposable, IAsyncDisposable
        {
            private readonly CancellationTokenSource _cts = new CancellationTokenSource();
            private readonly Task _loop;

            public Pump() => _loop = RunAsync(_cts.Token);

            private async Task RunAsync(CancellationToken ct)
            {
                while (!ct.IsCancellationRequested) await Task.Delay(100, ct);
            }

        """;

    [Fact]
    public Task Sync_Dispose_that_only_cancels_is_reported_without_a_fix()
    {
        var source = Pump + """
                public void Dispose()
                {
                    {|#0:_cts.Cancel()|};
                    _cts.Dispose();
                }

                public ValueTask DisposeAsync() { Dispose(); return default; }
            }
            """;
        var expected = Verify.Diagnostic(StopWithoutWaitingAnalyzer.CancelRule).WithLocation(0).WithArguments("Dispose", "_cts", "_loop");
        var test = new Verify.Test { TestCode = source, FixedCode = source };
        test.ExpectedDiagnostics.Add(expected);
        test.FixedState.ExpectedDiagnostics.Add(expected);
        return test.RunAsync();
    }

    [Fact]
    public Task Async_dispose_awaits_the_task_after_cancelling()
        => Verify.VerifyCodeFixAsync(
            Pump + """
                public void Dispose() => _cts.Dispose();

                public async ValueTask DisposeAsync()
                {
                    // Stop the loop first.
                    {|CONC105:_cts.Cancel()|};
                    _cts.Dispose();
                    await Task.Yield();
                }
            }
            """,
            Pump + """
                public void Dispose() => _cts.Dispose();

                public async ValueTask DisposeAsync()
                {
                    // Stop the loop first.
                    _cts.Cancel();
                    try
                    {
                        await _loop.ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                    }
                    _cts.Dispose();
                    await Task.Yield();
                }
            }
            """);

    [Fact]
    public Task Fix_all_fixes_every_async_stop_method()
        => Verify.VerifyCodeFixAsync(
            Pump + """
                public void Dispose() { }

                public async Task StopAsync()
                {
                    {|CONC105:_cts.Cancel()|}; // ask
                }

                public async ValueTask DisposeAsync()
                {
                    {|CONC105:_cts.Cancel()|};
                    await Task.Yield();
                }
            }
            """,
            Pump + """
                public void Dispose() { }

                public async Task StopAsync()
                {
                    _cts.Cancel(); // ask
                    try
                    {
                        await _loop.ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                    }
                }

                public async ValueTask DisposeAsync()
                {
                    _cts.Cancel();
                    try
                    {
                        await _loop.ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                    }
                    await Task.Yield();
                }
            }
            """);

    [Fact]
    public Task Stop_that_waits_for_the_task_or_joins_the_thread_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            Pump + """
                public void Dispose()
                {
                    _cts.Cancel();
                    try { _loop.Wait(); } catch (AggregateException) { }
                    _cts.Dispose();
                }

                public async ValueTask DisposeAsync()
                {
                    _cts.Cancel();
                    await WaitForLoopAsync();
                }

                private async Task WaitForLoopAsync()
                {
                    try { await _loop; } catch (OperationCanceledException) { }
                }
            }
            """);

    [Fact]
    public Task Thread_stopped_without_Join_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;

            sealed class Worker
            {
                private CancellationTokenSource _cts;
                private Thread _thread;

                public void Start()
                {
                    _cts = new CancellationTokenSource();
                    var token = _cts.Token;
                    _thread = new Thread(() => { while (!token.IsCancellationRequested) { } });
                    _thread.Start();
                }

                public void Stop() => {|CONC105:_cts?.Cancel()|};
            }
            """);

    [Fact]
    public Task Sync_Dispose_that_only_cancels_is_fine_when_StopAsync_waits_for_the_work()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            // The BackgroundService lifecycle: the host calls StopAsync (cancel, then wait), then Dispose (backstop).
            abstract class LoopService : IDisposable
            {
                private Task? _executeTask;
                private CancellationTokenSource? _stoppingCts;

                protected abstract Task ExecuteAsync(CancellationToken stoppingToken);

                public Task StartAsync(CancellationToken cancellationToken)
                {
                    _stoppingCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    _executeTask = ExecuteAsync(_stoppingCts.Token);
                    return Task.CompletedTask;
                }

                public async Task StopAsync(CancellationToken cancellationToken)
                {
                    if (_executeTask is null) return;
                    _stoppingCts!.Cancel();
                    await _executeTask.WaitAsync(cancellationToken).ConfigureAwait(false);
                }

                public virtual void Dispose() => _stoppingCts?.Cancel();
            }
            """);

    [Fact]
    public Task Sync_Dispose_or_an_async_stop_that_only_cancels_is_reported_when_no_Stop_method_waits()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            sealed class Poller : IDisposable, IAsyncDisposable
            {
                private readonly CancellationTokenSource _cts = new CancellationTokenSource();
                private readonly Task _loop;

                public Poller() => _loop = Task.Run(() => PollAsync(_cts.Token));

                private async Task PollAsync(CancellationToken ct)
                {
                    while (!ct.IsCancellationRequested) await Task.Delay(100, ct);
                }

                // Waiting in DisposeAsync does not cover Dispose: only a Stop method is the graceful path run first.
                public async ValueTask DisposeAsync()
                {
                    _cts.Cancel();
                    await _loop;
                }

                public void Dispose() => {|CONC105:_cts.Cancel()|};

                public Task StopAsync() { {|CONC105:_cts.Cancel()|}; return Task.CompletedTask; }
            }
            """);

    [Fact]
    public Task Stop_that_only_signals_is_fine_when_Dispose_calls_it_and_waits_for_the_event_the_work_sets()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            sealed class ThreadWorker : IDisposable
            {
                private readonly CancellationTokenSource _cts = new CancellationTokenSource();
                private readonly ManualResetEvent _workerShutDown = new ManualResetEvent(false);
                private readonly Thread _workerThread;

                public ThreadWorker()
                {
                    _workerThread = new Thread(Run) { IsBackground = true };
                    _workerThread.Start();
                }

                private void Run()
                {
                    var token = _cts.Token;
                    while (!token.IsCancellationRequested)
                    {
                        Thread.Sleep(10);
                    }

                    _workerShutDown.Set();
                }

                public void Stop() => _cts.Cancel();

                public void Dispose()
                {
                    Stop();
                    _workerShutDown.WaitOne(TimeSpan.FromSeconds(10));
                    _workerShutDown.Dispose();
                }
            }

            sealed class TaskWorker : IAsyncDisposable
            {
                private readonly CancellationTokenSource _cts = new CancellationTokenSource();
                private readonly TaskCompletionSource<bool> _stopped = new TaskCompletionSource<bool>();
                private readonly Task _loop;

                public TaskWorker() => _loop = Task.Run(Loop);

                private async Task Loop()
                {
                    try
                    {
                        await Task.Delay(Timeout.Infinite, _cts.Token);
                    }
                    catch (OperationCanceledException)
                    {
                    }

                    _stopped.TrySetResult(true);
                }

                public void StopSignal() => _cts.Cancel();

                public async ValueTask DisposeAsync()
                {
                    StopSignal();
                    await _stopped.Task;
                }
            }

            sealed class LeakyWorker : IDisposable
            {
                private readonly CancellationTokenSource _cts = new CancellationTokenSource();
                private readonly ManualResetEvent _started = new ManualResetEvent(false);
                private readonly ManualResetEvent _workerShutDown = new ManualResetEvent(false);
                private readonly Thread _workerThread;

                public LeakyWorker()
                {
                    _workerThread = new Thread(Run) { IsBackground = true };
                    _workerThread.Start();
                }

                private void Run()
                {
                    _started.Set();
                    var token = _cts.Token;
                    while (!token.IsCancellationRequested)
                    {
                        Thread.Sleep(10);
                    }
                }

                public void Stop() => {|#0:_cts.Cancel()|};

                public void Dispose()
                {
                    Stop();
                    _workerShutDown.WaitOne(TimeSpan.FromSeconds(10));
                    _workerShutDown.Dispose();
                    _started.Dispose();
                }
            }
            """,
            Verify.Diagnostic(StopWithoutWaitingAnalyzer.CancelRule).WithLocation(0).WithArguments("Stop", "_cts", "_workerThread"));

    [Fact]
    public Task Cancel_of_a_source_that_feeds_no_stored_work_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            sealed class Requests : IDisposable
            {
                private readonly CancellationTokenSource _cts = new CancellationTokenSource();

                public Task SendAsync() => Task.Delay(10, _cts.Token);

                public void Dispose()
                {
                    _cts.Cancel();
                    _cts.Dispose();
                }
            }
            """);

    [Fact]
    public Task Stop_that_reads_another_task_field_but_not_the_work_its_source_feeds_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            sealed class Worker : IDisposable
            {
                private readonly CancellationTokenSource _cts = new CancellationTokenSource();
                private Task _warmup = Task.CompletedTask;
                private Task? _loop;

                public void Start()
                {
                    _warmup = Task.Delay(10);
                    _loop = RunAsync(_cts.Token);
                }

                private async Task RunAsync(CancellationToken ct)
                {
                    while (!ct.IsCancellationRequested) await Task.Delay(100, ct);
                }

                public void Dispose()
                {
                    {|#0:_cts.Cancel()|};
                    _warmup.Wait();
                    _cts.Dispose();
                }
            }

            sealed class Holder<TWork> : IDisposable
            {
                private readonly CancellationTokenSource _cts = new CancellationTokenSource();
                private TWork _work = default!;

                public static void Start(Holder<Task> holder) => holder._work = Task.Run(() => { }, holder._cts.Token);

                public void Dispose() => {|#1:_cts.Cancel()|};
            }
            """,
            Verify.Diagnostic(StopWithoutWaitingAnalyzer.CancelRule).WithLocation(0).WithArguments("Dispose", "_cts", "_loop"),
            Verify.Diagnostic(StopWithoutWaitingAnalyzer.CancelRule).WithLocation(1).WithArguments("Dispose", "_cts", "_work"));

    [Fact]
    public Task Only_sources_whose_token_reaches_the_work_link_it_to_the_stop()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            sealed class Connection : IDisposable
            {
                private readonly CancellationTokenSource _initialConnect = new CancellationTokenSource();
                private readonly CancellationTokenSource _disposed = new CancellationTokenSource();
                private readonly CancellationTokenSource _pumpStop = new CancellationTokenSource();
                private CancellationToken _pumpToken;
                private Task _reconnectLoop;
                private Task _pump;

                public void OnConnected()
                {
                    // Connected: the initial connect's retries stop, and the reconnect loop takes over.
                    _initialConnect.Cancel();
                    _reconnectLoop = Task.Run(ReconnectLoopAsync);
                    _pumpToken = _pumpStop.Token;
                    _pump = Task.Run(PumpAsync);
                }

                private async Task ReconnectLoopAsync()
                {
                    while (!_disposed.IsCancellationRequested)
                    {
                        await Task.Delay(1000, _disposed.Token);
                    }
                }

                private async Task PumpAsync()
                {
                    while (!_pumpToken.IsCancellationRequested)
                    {
                        await Task.Delay(10, _pumpToken);
                    }
                }

                public void Dispose()
                {
                    _initialConnect.Cancel();
                    {|#0:_disposed.Cancel()|};
                    {|#1:_pumpStop.Cancel()|};
                }
            }
            """,
            Verify.Diagnostic(StopWithoutWaitingAnalyzer.CancelRule).WithLocation(0).WithArguments("Dispose", "_disposed", "_reconnectLoop"),
            Verify.Diagnostic(StopWithoutWaitingAnalyzer.CancelRule).WithLocation(1).WithArguments("Dispose", "_pumpStop", "_pump"));

    [Fact]
    public Task Cancel_outside_a_stop_method_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            Pump + """
                public void Restart() => _cts.Cancel();

                public void Dispose() { }

                public async ValueTask DisposeAsync()
                {
                    _cts.Cancel();
                    await _loop;
                }
            }
            """);

    [Fact]
    public Task Sleep_after_cancel_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;

            class C
            {
                void Stop(CancellationTokenSource cts)
                {
                    cts.Cancel();
                    {|#0:Thread.Sleep(500)|};
                }
            }
            """,
            Verify.Diagnostic(StopWithoutWaitingAnalyzer.SleepRule).WithLocation(0).WithArguments("Thread.Sleep"));

    [Fact]
    public Task Delay_after_fire_and_forget_spawn_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading.Tasks;

            class C
            {
                async Task M()
                {
                    _ = Task.Run(() => Work());
                    await {|CONC105:Task.Delay(TimeSpan.FromSeconds(1))|};
                }

                void Work() { }
            }
            """);

    [Fact]
    public Task Pause_that_lets_started_work_run_before_cancelling_it_is_not_reported_but_the_wait_after_is()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class LoadTest
            {
                // Go: start workers, time.Sleep(3s) to let them run, cancel(), time.Sleep(1s) to "wait" for them.
                async Task RunAsync()
                {
                    using var cts = new CancellationTokenSource();
                    for (var i = 0; i < 3; i++)
                    {
                        _ = Task.Run(() => WorkAsync(cts.Token));
                    }

                    await Task.Delay(3000);
                    cts.Cancel();
                    await {|CONC105:Task.Delay(1000)|};
                }

                void Soak(CancellationTokenSource cts)
                {
                    new Thread(() => Work(cts.Token)).Start();
                    Thread.Sleep(TimeSpan.FromSeconds(10));
                    cts.Cancel();
                }

                Task WorkAsync(CancellationToken ct) => Task.Delay(Timeout.Infinite, ct);

                void Work(CancellationToken ct) => ct.WaitHandle.WaitOne();
            }
            """);

    [Fact]
    public Task Delays_in_loops_and_before_joins_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                async Task Retry(CancellationTokenSource cts)
                {
                    var work = Task.Run(() => { });
                    await Task.Delay(100);
                    await work;

                    cts.Cancel();
                    for (var i = 0; i < 3; i++)
                    {
                        await Task.Delay(100);
                    }

                    Thread.Sleep(0);
                }
            }
            """);

    [Fact]
    public Task Types_without_a_token_source_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading.Tasks;

            sealed class C : IDisposable
            {
                private readonly Task _loop = Task.Run(() => { });

                public void Dispose() { }
            }
            """);

    [Fact]
    public Task Half_typed_code_does_not_throw()
    {
        const string source = """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private CancellationTokenSource _cts;
                private Task _loop;

                void Start() => _loop = Missing(_cts.Token);

                void Stop() { _cts.Cancel(; Thread.Sleep( }
            }
            """;
        return new Verify.Test { TestCode = source, FixedCode = source, CompilerDiagnostics = CompilerDiagnostics.None }.RunAsync();
    }

    [Fact]
    public Task Netstandard_library_in_CSharp_7_3_is_reported_and_fixed()
        => new Verify.Test
        {
            ReferenceAssemblies = TestReferences.NetStandard20,
            LanguageVersion = Microsoft.CodeAnalysis.CSharp.LanguageVersion.CSharp7_3,
            TestCode = """
                using System;
                using System.Threading;
                using System.Threading.Tasks;

                sealed class Pump
                {
                    private readonly CancellationTokenSource _cts = new CancellationTokenSource();
                    private readonly Task _loop;

                    public Pump() { _loop = RunAsync(_cts.Token); }

                    private async Task RunAsync(CancellationToken ct)
                    {
                        while (!ct.IsCancellationRequested) await Task.Delay(100, ct);
                    }

                    public async Task StopAsync()
                    {
                        {|CONC105:_cts.Cancel()|};
                        await Task.Yield();
                    }
                }
                """,
            FixedCode = """
                using System;
                using System.Threading;
                using System.Threading.Tasks;

                sealed class Pump
                {
                    private readonly CancellationTokenSource _cts = new CancellationTokenSource();
                    private readonly Task _loop;

                    public Pump() { _loop = RunAsync(_cts.Token); }

                    private async Task RunAsync(CancellationToken ct)
                    {
                        while (!ct.IsCancellationRequested) await Task.Delay(100, ct);
                    }

                    public async Task StopAsync()
                    {
                        _cts.Cancel();
                        try
                        {
                            await _loop.ConfigureAwait(false);
                        }
                        catch (OperationCanceledException)
                        {
                        }
                        await Task.Yield();
                    }
                }
                """,
        }.RunAsync();

}
