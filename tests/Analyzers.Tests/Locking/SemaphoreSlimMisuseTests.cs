using ConcurrencyAnalyzers.Locking;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<
    ConcurrencyAnalyzers.Locking.SemaphoreSlimMisuseAnalyzer,
    ConcurrencyAnalyzers.CodeFixes.Locking.SemaphoreSlimMisuseCodeFix>;

namespace ConcurrencyAnalyzers.Tests.Locking;

public sealed class SemaphoreSlimMisuseTests
{
    [Fact]
    public Task WaitAsync_inside_try_is_moved_before_it()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private readonly SemaphoreSlim _sem = new SemaphoreSlim(1, 1);

                public async Task Save(CancellationToken ct)
                {
                    // Serialize writers.
                    try
                    {
                        await _sem.{|#0:WaitAsync|}(ct); // take the gate
                        await Task.Delay(1, ct);
                    }
                    finally
                    {
                        _sem.Release();
                    }
                }
            }
            """,
            new[] { Verify.Diagnostic(SemaphoreSlimMisuseAnalyzer.InsideTryRule).WithLocation(0).WithArguments("WaitAsync") },
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private readonly SemaphoreSlim _sem = new SemaphoreSlim(1, 1);

                public async Task Save(CancellationToken ct)
                {
                    // Serialize writers.
                    await _sem.WaitAsync(ct); // take the gate
                    try
                    {
                        await Task.Delay(1, ct);
                    }
                    finally
                    {
                        _sem.Release();
                    }
                }
            }
            """);

    [Fact]
    public Task Sync_Wait_in_async_code_becomes_await_WaitAsync_with_the_token()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private readonly SemaphoreSlim _sem = new SemaphoreSlim(1, 1);

                public async Task A(CancellationToken ct)
                {
                    _sem.{|#0:Wait|}();
                    try { await Task.Delay(1, ct); }
                    finally { _sem.Release(); }
                }

                public async Task B(CancellationToken ct)
                {
                    _sem.{|CONC203:Wait|}(ct);
                    try { await Task.Delay(1, ct); }
                    finally { _sem.Release(); }
                }
            }
            """,
            new[] { Verify.Diagnostic(SemaphoreSlimMisuseAnalyzer.SyncWaitRule).WithLocation(0).WithArguments("Wait") },
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private readonly SemaphoreSlim _sem = new SemaphoreSlim(1, 1);

                public async Task A(CancellationToken ct)
                {
                    await _sem.WaitAsync(ct);
                    try { await Task.Delay(1, ct); }
                    finally { _sem.Release(); }
                }

                public async Task B(CancellationToken ct)
                {
                    await _sem.WaitAsync(ct);
                    try { await Task.Delay(1, ct); }
                    finally { _sem.Release(); }
                }
            }
            """);

    [Fact]
    public Task Ignored_timed_wait_result_is_reported_without_a_fix()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private readonly SemaphoreSlim _sem = new SemaphoreSlim(1, 1);

                public async Task A()
                {
                    await _sem.{|#0:WaitAsync|}(TimeSpan.FromSeconds(2));
                    try { await Task.Delay(1); }
                    finally { _sem.Release(); }
                }

                public void B()
                {
                    _sem.{|CONC203:Wait|}(100);
                    try { } finally { _sem.Release(); }
                }
            }
            """,
            Verify.Diagnostic(SemaphoreSlimMisuseAnalyzer.IgnoredResultRule).WithLocation(0).WithArguments("WaitAsync"));

    [Fact]
    public Task Timed_wait_inside_try_is_reported_once_without_a_fix()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private readonly SemaphoreSlim _sem = new SemaphoreSlim(1, 1);

                public async Task A(CancellationToken ct)
                {
                    try
                    {
                        await _sem.{|CONC203:WaitAsync|}(TimeSpan.FromSeconds(2), ct);
                        await Task.Delay(1, ct);
                    }
                    finally { _sem.Release(); }
                }
            }
            """);

    [Fact]
    public Task Wait_in_async_lambda_is_reported()
        => Verify.VerifyCodeFixAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private readonly SemaphoreSlim _sem = new SemaphoreSlim(1, 1);

                public Func<Task> Make() => async () =>
                {
                    _sem.{|CONC203:Wait|}();
                    try { await Task.Yield(); } finally { _sem.Release(); }
                };
            }
            """,
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private readonly SemaphoreSlim _sem = new SemaphoreSlim(1, 1);

                public Func<Task> Make() => async () =>
                {
                    await _sem.WaitAsync();
                    try { await Task.Yield(); } finally { _sem.Release(); }
                };
            }
            """);

    // ---- near misses ----

    [Fact]
    public Task WaitAsync_before_try_with_Release_in_finally_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private readonly SemaphoreSlim _sem = new SemaphoreSlim(1, 1);

                public async Task A(CancellationToken ct)
                {
                    await _sem.WaitAsync(ct).ConfigureAwait(false);
                    try { await Task.Delay(1, ct); }
                    finally { _sem.Release(); }
                }
            }
            """);

    [Fact]
    public Task Acquired_flag_guarding_the_release_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private readonly SemaphoreSlim _sem = new SemaphoreSlim(1, 1);

                public async Task A(CancellationToken ct)
                {
                    var acquired = false;
                    try
                    {
                        await _sem.WaitAsync(ct);
                        acquired = true;
                        await Task.Delay(1, ct);
                    }
                    finally
                    {
                        if (acquired) _sem.Release();
                    }
                }
            }
            """);

    [Fact]
    public Task Checked_timed_wait_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private readonly SemaphoreSlim _sem = new SemaphoreSlim(1, 1);

                public async Task A()
                {
                    if (!await _sem.WaitAsync(TimeSpan.FromSeconds(2)))
                        throw new TimeoutException();
                    try { await Task.Delay(1); }
                    finally { _sem.Release(); }
                }

                public bool B() => _sem.Wait(0);
            }
            """);

    [Fact]
    public Task Signal_semaphore_polled_with_a_timeout_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class Pump
            {
                private readonly SemaphoreSlim _signal = new SemaphoreSlim(0);
                private bool _paused = true;

                public async Task Run(CancellationToken ct)
                {
                    while (_paused)
                    {
                        await _signal.WaitAsync(1000, ct);
                    }
                }

                public void Resume() { _paused = false; _signal.Release(); }
            }
            """);

    [Fact]
    public Task Sync_Wait_in_sync_code_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;

            class C
            {
                private readonly SemaphoreSlim _sem = new SemaphoreSlim(1, 1);

                public void A()
                {
                    _sem.Wait();
                    try { } finally { _sem.Release(); }
                }
            }
            """);

    [Fact]
    public Task Sync_Wait_in_a_sync_lambda_inside_async_code_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private readonly SemaphoreSlim _sem = new SemaphoreSlim(1, 1);

                public async Task A()
                {
                    await Task.Run(() =>
                    {
                        _sem.Wait();
                        try { } finally { _sem.Release(); }
                    });
                }
            }
            """);

    [Fact]
    public Task Half_typed_code_does_not_crash()
        => new Verify.Test
        {
            TestCode = """
                using System.Threading;
                class C
                {
                    private readonly SemaphoreSlim _sem = new SemaphoreSlim(1, 1);
                    public void A() { _sem.Wait(; _missing.Release(); }
                }
                """,
            FixedCode = """
                using System.Threading;
                class C
                {
                    private readonly SemaphoreSlim _sem = new SemaphoreSlim(1, 1);
                    public void A() { _sem.Wait(; _missing.Release(); }
                }
                """,
            CompilerDiagnostics = CompilerDiagnostics.None,
        }.RunAsync();

    [Fact]
    public Task Sync_branch_of_the_dual_path_idiom_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class Pool
            {
                private readonly SemaphoreSlim _sem = new SemaphoreSlim(1, 1);

                // One body serves Open() and OpenAsync(): the sync API blocks on purpose.
                internal async ValueTask Rent(bool async, CancellationToken ct)
                {
                    if (async)
                        await _sem.WaitAsync(ct);
                    else
                        _sem.Wait(ct);
                    try { await Task.Yield(); }
                    finally { _sem.Release(); }
                }

                internal async Task<bool> TryRent(TimeSpan timeout, bool isAsync, CancellationToken ct)
                {
                    var taken = isAsync
                        ? await _sem.WaitAsync(timeout, ct).ConfigureAwait(false)
                        : _sem.Wait(timeout, ct);
                    if (!taken)
                        return false;
                    _sem.Release();
                    return true;
                }

                internal async Task Load(bool async)
                {
                    if (async)
                    {
                        await _sem.WaitAsync();
                        _sem.Release();
                        return;
                    }

                    _sem.Wait();
                    _sem.Release();
                }

                internal async Task Inverted(bool async)
                {
                    if (!async) { _sem.Wait(); }
                    else { await _sem.WaitAsync(); }
                    _sem.Release();
                }
            }
            """);

    [Fact]
    public Task Sync_Wait_chosen_by_a_flag_that_is_not_an_async_mode_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class Pool
            {
                private readonly SemaphoreSlim _sem = new SemaphoreSlim(1, 1);

                internal async Task Rent(bool fast, bool async)
                {
                    if (fast)
                        await _sem.WaitAsync();
                    else
                        _sem.{|CONC203:Wait|}();
                    _sem.Release();
                    if (async)
                        await Task.Yield();
                    _sem.{|CONC203:Wait|}();
                    _sem.Release();
                }
            }
            """);

    [Fact]
    public Task Zero_timeout_poll_in_async_code_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class Cache
            {
                private readonly SemaphoreSlim _refresh = new SemaphoreSlim(1, 1);

                public async Task RefreshIfIdle()
                {
                    // Skip the refresh when another caller is already doing it.
                    if (_refresh.Wait(0))
                    {
                        try { await Task.Delay(1); }
                        finally { _refresh.Release(); }
                    }

                    if (!_refresh.Wait(TimeSpan.Zero))
                        return;
                    _refresh.Release();
                }

                public async Task Timed()
                {
                    await Task.Yield();
                    if (_refresh.{|CONC203:Wait|}(100))
                        _refresh.Release();
                }
            }
            """);

    [Fact]
    public Task Mutex_semaphore_without_maxCount_gets_maxCount_one()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class Writer
            {
                private readonly SemaphoreSlim _write = {|#0:new SemaphoreSlim(1)|}; // one writer at a time
                private readonly SemaphoreSlim _flush;

                public Writer() => _flush = {|#1:new(initialCount: 1)|};

                public async Task WriteAsync(CancellationToken ct)
                {
                    await _write.WaitAsync(ct);
                    try { await Task.Delay(1, ct); }
                    finally { _write.Release(); }
                }

                public void Flush()
                {
                    var taken = false;
                    try
                    {
                        _flush.Wait();
                        taken = true;
                    }
                    finally
                    {
                        if (taken) _flush.Release();
                    }
                }
            }
            """,
            new[]
            {
                Verify.Diagnostic(SemaphoreSlimMisuseAnalyzer.NoMaxCountRule).WithLocation(0).WithArguments("_write").WithSeverity(DiagnosticSeverity.Info),
                Verify.Diagnostic(SemaphoreSlimMisuseAnalyzer.NoMaxCountRule).WithLocation(1).WithArguments("_flush").WithSeverity(DiagnosticSeverity.Info),
            },
            """
            using System.Threading;
            using System.Threading.Tasks;

            class Writer
            {
                private readonly SemaphoreSlim _write = new SemaphoreSlim(1, 1); // one writer at a time
                private readonly SemaphoreSlim _flush;

                public Writer() => _flush = new(initialCount: 1, maxCount: 1);

                public async Task WriteAsync(CancellationToken ct)
                {
                    await _write.WaitAsync(ct);
                    try { await Task.Delay(1, ct); }
                    finally { _write.Release(); }
                }

                public void Flush()
                {
                    var taken = false;
                    try
                    {
                        _flush.Wait();
                        taken = true;
                    }
                    finally
                    {
                        if (taken) _flush.Release();
                    }
                }
            }
            """);

    [Fact]
    public Task Semaphores_that_are_not_mutexes_without_maxCount_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class Pump
            {
                private readonly SemaphoreSlim _mutex = new SemaphoreSlim(1, 1);
                private readonly SemaphoreSlim _throttle = new SemaphoreSlim(4);
                private readonly SemaphoreSlim _signal = new SemaphoreSlim(0);
                private readonly SemaphoreSlim _ready = new SemaphoreSlim(1);
                public readonly SemaphoreSlim Shared = new SemaphoreSlim(1);

                public async Task RunAsync(CancellationToken ct)
                {
                    await _mutex.WaitAsync(ct);
                    try { } finally { _mutex.Release(); }

                    await _throttle.WaitAsync(ct);
                    try { } finally { _throttle.Release(); }

                    await _signal.WaitAsync(ct);

                    // Starts signalled; the producer releases it, not a finally.
                    await _ready.WaitAsync(ct);
                    try { } finally { _ready.Release(); }

                    await Shared.WaitAsync(ct);
                    try { } finally { Shared.Release(); }
                }

                public void Produce()
                {
                    _signal.Release();
                    _ready.Release();
                }
            }
            """);
}
