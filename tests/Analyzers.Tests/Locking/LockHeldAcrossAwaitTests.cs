using ConcurrencyAnalyzers.Locking;
using ConcurrencyAnalyzers.Tests.Verifiers;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencyAnalyzers.Locking.LockHeldAcrossAwaitAnalyzer>;

namespace ConcurrencyAnalyzers.Tests.Locking;

public sealed class LockHeldAcrossAwaitTests
{
    [Fact]
    public Task Monitor_enter_across_await_is_reported_with_the_lock_name()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private readonly object _gate = new object();

                async Task SaveAsync()
                {
                    Monitor.Enter(_gate);
                    try
                    {
                        {|#0:await Task.Delay(1)|};
                    }
                    finally
                    {
                        Monitor.Exit(_gate);
                    }
                }
            }
            """,
            Verify.Diagnostic(LockHeldAcrossAwaitAnalyzer.Rule).WithLocation(0).WithArguments("_gate", "Monitor", "await"));

    [Fact]
    public Task ReaderWriterLockSlim_write_lock_across_await_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private readonly ReaderWriterLockSlim _rw = new ReaderWriterLockSlim();

                async Task UpdateAsync()
                {
                    _rw.EnterWriteLock();
                    try { {|CONC201:await Task.Yield()|}; }
                    finally { _rw.ExitWriteLock(); }
                }
            }
            """);

    [Fact]
    public Task Mutex_and_SpinLock_across_await_are_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private readonly Mutex _mutex = new Mutex();
                private SpinLock _spin = new SpinLock(false);

                async Task A()
                {
                    _mutex.WaitOne();
                    {|CONC201:await Task.Yield()|};
                    _mutex.ReleaseMutex();
                }

                async Task B()
                {
                    bool taken = false;
                    try
                    {
                        _spin.Enter(ref taken);
                        {|CONC201:await Task.Yield()|};
                    }
                    finally
                    {
                        if (taken) _spin.Exit();
                    }
                }
            }
            """);

    [Fact]
    public Task Await_foreach_while_held_is_reported_at_the_await_keyword()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Generic;
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private readonly object _gate = new object();

                async Task Drain(IAsyncEnumerable<int> items)
                {
                    Monitor.Enter(_gate);
                    try
                    {
                        {|CONC201:await|} foreach (var item in items) { }
                    }
                    finally { Monitor.Exit(_gate); }
                }
            }
            """);

    [Fact]
    public Task Yield_return_inside_lock_statement_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Generic;
            using System.Threading.Tasks;

            class C
            {
                private readonly object _gate = new object();
                private readonly List<int> _items = new List<int>();

                public async IAsyncEnumerable<int> ReadAllAsync()
                {
                    await Task.Yield();
                    lock (_gate)
                    {
                        foreach (var item in _items)
                            {|#0:yield return|} item;
                    }
                }

                public IEnumerable<int> ReadAll()
                {
                    lock (_gate)
                    {
                        foreach (var item in _items)
                            {|CONC201:yield return|} item;
                    }
                }
            }
            """,
            Verify.Diagnostic(LockHeldAcrossAwaitAnalyzer.Rule).WithLocation(0).WithArguments("_gate", "Monitor", "yield return"));

    [Fact]
    public Task TryEnter_taken_branch_is_reported_only_where_taken()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private readonly object _gate = new object();

                async Task M()
                {
                    if (!Monitor.TryEnter(_gate, 100))
                    {
                        await Task.Delay(10);
                        return;
                    }

                    try { {|CONC201:await Task.Yield()|}; }
                    finally { Monitor.Exit(_gate); }
                }
            }
            """);

    [Fact]
    public Task System_Threading_Lock_Enter_across_await_is_reported()
        => new Verify.Test
        {
            ReferenceAssemblies = TestReferences.Net100,
            TestCode = """
                using System.Threading;
                using System.Threading.Tasks;

                class C
                {
                    private readonly Lock _lock = new Lock();

                    async Task M()
                    {
                        _lock.Enter();
                        try { {|CONC201:await Task.Yield()|}; }
                        finally { _lock.Exit(); }
                    }
                }
                """,
        }.RunAsync();

    // ---- near misses ----

    [Fact]
    public Task SemaphoreSlim_across_await_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private readonly SemaphoreSlim _gate = new SemaphoreSlim(1, 1);

                async Task M(CancellationToken ct)
                {
                    await _gate.WaitAsync(ct);
                    try { await Task.Delay(1, ct); }
                    finally { _gate.Release(); }
                }
            }
            """);

    [Fact]
    public Task Await_after_the_lock_is_released_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private readonly object _gate = new object();
                private int _count;

                async Task M()
                {
                    int snapshot;
                    lock (_gate) { snapshot = _count; }
                    await Task.Delay(snapshot);

                    Monitor.Enter(_gate);
                    try { _count++; }
                    finally { Monitor.Exit(_gate); }
                    await Task.Yield();
                }
            }
            """);

    [Fact]
    public Task TryEnter_not_taken_branch_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private readonly object _gate = new object();

                async Task M()
                {
                    bool taken = false;
                    Monitor.TryEnter(_gate, ref taken);
                    if (!taken)
                    {
                        await Task.Delay(100);
                        return;
                    }

                    try { } finally { Monitor.Exit(_gate); }
                    await Task.Yield();
                }
            }
            """);

    [Fact]
    public Task Lambda_started_inside_a_lock_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private readonly object _gate = new object();
                private Task _pending = Task.CompletedTask;

                void M()
                {
                    lock (_gate)
                    {
                        _pending = Task.Run(async () => await Task.Delay(1));
                    }
                }
            }
            """);

    [Fact]
    public Task Yield_break_inside_lock_and_yield_after_lock_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Generic;

            class C
            {
                private readonly object _gate = new object();
                private readonly List<int> _items = new List<int>();

                public IEnumerable<int> ReadAll()
                {
                    int[] snapshot;
                    lock (_gate)
                    {
                        if (_items.Count == 0) yield break;
                        snapshot = _items.ToArray();
                    }

                    foreach (var item in snapshot)
                        yield return item;
                }
            }
            """);

    [Fact]
    public Task Async_lock_helper_released_by_using_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            sealed class AsyncLock
            {
                private readonly SemaphoreSlim _sem = new SemaphoreSlim(1, 1);
                public async Task<IDisposable> LockAsync() { await _sem.WaitAsync(); return new Releaser(_sem); }
                private sealed class Releaser : IDisposable
                {
                    private readonly SemaphoreSlim _sem;
                    public Releaser(SemaphoreSlim sem) => _sem = sem;
                    public void Dispose() => _sem.Release();
                }
            }

            class C
            {
                private readonly AsyncLock _lock = new AsyncLock();

                async Task M()
                {
                    using (await _lock.LockAsync())
                    {
                        await Task.Delay(1);
                    }
                }
            }
            """);

    [Fact]
    public Task Half_typed_code_does_not_crash()
        => new Verify.Test
        {
            TestCode = """
                using System.Threading;
                using System.Threading.Tasks;

                class C
                {
                    async Task M()
                    {
                        Monitor.Enter(_missing);
                        await Undefined(
                    }
                }
                """,
            CompilerDiagnostics = CompilerDiagnostics.None,
        }.RunAsync();
}
