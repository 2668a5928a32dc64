using ConcurrencyAnalyzers.Locking;
using ConcurrencyAnalyzers.Tests.Verifiers;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<
    ConcurrencyAnalyzers.Locking.LockHeldAcrossAwaitAnalyzer,
    ConcurrencyAnalyzers.CodeFixes.Locking.LockHeldAcrossAwaitCodeFix>;

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

    [Fact]
    public Task Private_object_gate_is_converted_to_SemaphoreSlim_at_every_site()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Collections.Generic;
            using System.Threading;
            using System.Threading.Tasks;

            class Store
            {
                private readonly object _gate = new object(); // guards _items
                private readonly List<int> _items = new List<int>();

                public async Task SaveAsync(int item, CancellationToken ct)
                {
                    Monitor.Enter(_gate);
                    try
                    {
                        _items.Add(item);
                        {|#0:await Task.Delay(1, ct)|};
                    }
                    finally
                    {
                        // always release
                        Monitor.Exit(_gate);
                    }
                }

                public int Count()
                {
                    // read under the gate
                    lock (_gate)
                    {
                        return _items.Count;
                    }
                }

                public async Task ClearAsync()
                {
                    await Task.Yield();
                    lock (_gate) { _items.Clear(); }
                }
            }
            """,
            new[] { Verify.Diagnostic(LockHeldAcrossAwaitAnalyzer.Rule).WithLocation(0).WithArguments("_gate", "Monitor", "await") },
            """
            using System.Collections.Generic;
            using System.Threading;
            using System.Threading.Tasks;

            class Store
            {
                private readonly SemaphoreSlim _gate = new SemaphoreSlim(1, 1); // guards _items
                private readonly List<int> _items = new List<int>();

                public async Task SaveAsync(int item, CancellationToken ct)
                {
                    await _gate.WaitAsync(ct);
                    try
                    {
                        _items.Add(item);
                        await Task.Delay(1, ct);
                    }
                    finally
                    {
                        // always release
                        _gate.Release();
                    }
                }

                public int Count()
                {
                    // read under the gate
                    _gate.Wait();
                    try
                    {
                        return _items.Count;
                    }
                    finally
                    {
                        _gate.Release();
                    }
                }

                public async Task ClearAsync()
                {
                    await Task.Yield();
                    await _gate.WaitAsync();
                    try
                    { _items.Clear(); }
                    finally
                    {
                        _gate.Release();
                    }
                }
            }
            """);

    [Fact]
    public Task Fix_All_converts_a_gate_once_and_adds_the_using()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading.Tasks;
            
            class Cache
            {
                private static readonly object s_gate = new();

                public static async Task RefreshAsync()
                {
                    System.Threading.Monitor.Enter(s_gate);
                    try
                    {
                        {|#0:await Task.Delay(1).ConfigureAwait(false)|};
                        {|#1:await Task.Delay(2).ConfigureAwait(false)|};
                    }
                    finally { System.Threading.Monitor.Exit(s_gate); }
                }
            }
            """,
            new[]
            {
                Verify.Diagnostic(LockHeldAcrossAwaitAnalyzer.Rule).WithLocation(0).WithArguments("s_gate", "Monitor", "await"),
                Verify.Diagnostic(LockHeldAcrossAwaitAnalyzer.Rule).WithLocation(1).WithArguments("s_gate", "Monitor", "await"),
            },
            """
            using System.Threading;
            using System.Threading.Tasks;
            
            class Cache
            {
                private static readonly SemaphoreSlim s_gate = new SemaphoreSlim(1, 1);

                public static async Task RefreshAsync()
                {
                    await s_gate.WaitAsync().ConfigureAwait(false);
                    try
                    {
                        await Task.Delay(1).ConfigureAwait(false);
                        await Task.Delay(2).ConfigureAwait(false);
                    }
                    finally { s_gate.Release(); }
                }
            }
            """);

    [Fact]
    public Task Gate_used_with_Monitor_Wait_gets_no_fix()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class Queue
            {
                private readonly object _gate = new object();
                private int _count;

                public async Task PutAsync()
                {
                    Monitor.Enter(_gate);
                    try
                    {
                        _count++;
                        Monitor.Pulse(_gate);
                        {|CONC201:await Task.Yield()|};
                    }
                    finally { Monitor.Exit(_gate); }
                }
            }
            """,
            """
            using System.Threading;
            using System.Threading.Tasks;

            class Queue
            {
                private readonly object _gate = new object();
                private int _count;

                public async Task PutAsync()
                {
                    Monitor.Enter(_gate);
                    try
                    {
                        _count++;
                        Monitor.Pulse(_gate);
                        {|CONC201:await Task.Yield()|};
                    }
                    finally { Monitor.Exit(_gate); }
                }
            }
            """);

    [Fact]
    public Task Gate_reentered_through_a_call_gets_no_fix()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class Ledger
            {
                private readonly object _gate = new object();
                private int _total;

                public async Task AddAsync(int amount)
                {
                    Monitor.Enter(_gate);
                    try
                    {
                        _total += amount;
                        Audit();
                        {|CONC201:await Task.Yield()|};
                    }
                    finally { Monitor.Exit(_gate); }
                }

                private void Audit() => Log();

                private void Log()
                {
                    // Monitor is reentrant; SemaphoreSlim(1, 1) would deadlock here.
                    lock (_gate) { _total.ToString(); }
                }
            }
            """,
            """
            using System.Threading;
            using System.Threading.Tasks;

            class Ledger
            {
                private readonly object _gate = new object();
                private int _total;

                public async Task AddAsync(int amount)
                {
                    Monitor.Enter(_gate);
                    try
                    {
                        _total += amount;
                        Audit();
                        {|CONC201:await Task.Yield()|};
                    }
                    finally { Monitor.Exit(_gate); }
                }

                private void Audit() => Log();

                private void Log()
                {
                    // Monitor is reentrant; SemaphoreSlim(1, 1) would deadlock here.
                    lock (_gate) { _total.ToString(); }
                }
            }
            """);

    [Fact]
    public Task Gate_passed_elsewhere_or_entered_with_lockTaken_gets_no_fix()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class Worker
            {
                private readonly object _gate = new object();
                private readonly object _other = new object();

                public async Task RunAsync()
                {
                    Monitor.Enter(_gate);
                    try { {|CONC201:await Task.Yield()|}; }
                    finally { Monitor.Exit(_gate); }
                }

                public object Gate() => _gate;

                public async Task OtherAsync()
                {
                    var taken = false;
                    try
                    {
                        Monitor.Enter(_other, ref taken);
                        {|CONC201:await Task.Yield()|};
                    }
                    finally
                    {
                        if (taken) Monitor.Exit(_other);
                    }
                }
            }
            """,
            """
            using System.Threading;
            using System.Threading.Tasks;

            class Worker
            {
                private readonly object _gate = new object();
                private readonly object _other = new object();

                public async Task RunAsync()
                {
                    Monitor.Enter(_gate);
                    try { {|CONC201:await Task.Yield()|}; }
                    finally { Monitor.Exit(_gate); }
                }

                public object Gate() => _gate;

                public async Task OtherAsync()
                {
                    var taken = false;
                    try
                    {
                        Monitor.Enter(_other, ref taken);
                        {|CONC201:await Task.Yield()|};
                    }
                    finally
                    {
                        if (taken) Monitor.Exit(_other);
                    }
                }
            }
            """);

    [Fact]
    public Task Conversion_wraps_embedded_lock_statements_and_follows_each_function()
        => Verify.VerifyCodeFixAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class Meter
            {
                private readonly object _gate = new object();
                private long _total;

                public async Task AddAsync(long value, CancellationToken token)
                {
                    Monitor.Enter(this._gate);
                    try { _total += value; {|#0:await Task.Yield()|}; }
                    finally { Monitor.Exit(this._gate); }
                }

                public void Reset(bool force)
                {
                    if (force)
                        lock (_gate) _total = 0;
                }

                public Func<Task> Flusher() => async () =>
                {
                    await Task.Yield();
                    lock (_gate) { _total = 0; }
                };
            }
            """,
            new[] { Verify.Diagnostic(LockHeldAcrossAwaitAnalyzer.Rule).WithLocation(0).WithArguments("this._gate", "Monitor", "await") },
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class Meter
            {
                private readonly SemaphoreSlim _gate = new SemaphoreSlim(1, 1);
                private long _total;

                public async Task AddAsync(long value, CancellationToken token)
                {
                    await this._gate.WaitAsync(token);
                    try { _total += value; await Task.Yield(); }
                    finally { this._gate.Release(); }
                }

                public void Reset(bool force)
                {
                    if (force)
                    {
                        _gate.Wait();
                        try
                        {
                            _total = 0;
                        }
                        finally
                        {
                            _gate.Release();
                        }
                    }
                }

                public Func<Task> Flusher() => async () =>
                {
                    await Task.Yield();
                    await _gate.WaitAsync();
                    try
                    { _total = 0; }
                    finally
                    {
                        _gate.Release();
                    }
                };
            }
            """);

    // The locking rules skip the bodies of a type whose text names no lock (LockFlow.RegisterForLockingBodies): the answer
    // must cover every part of a partial type, and a nested type's own text.
    [Fact]
    public Task Lock_in_the_other_part_of_a_partial_type_is_reported()
        => new Verify.Test
        {
            TestState =
            {
                Sources =
                {
                    """
                    using System.Threading.Tasks;

                    partial class C
                    {
                        private readonly object _gate = new object();

                        async Task PlainAsync() => await Task.Yield();
                    }
                    """,
                    """
                    using System.Threading;
                    using System.Threading.Tasks;

                    partial class C
                    {
                        async Task SaveAsync()
                        {
                            Monitor.Enter(_gate);
                            try { {|CONC201:await Task.Yield()|}; }
                            finally { Monitor.Exit(_gate); }
                        }
                    }
                    """,
                },
            },
        }.RunAsync();

    [Fact]
    public Task Lock_in_a_nested_type_of_a_type_without_locks_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class Outer
            {
                async Task PlainAsync() => await Task.Yield();

                class Inner
                {
                    private readonly object _gate = new object();

                    async Task SaveAsync()
                    {
                        Monitor.Enter(_gate);
                        try { {|CONC201:await Task.Yield()|}; }
                        finally { Monitor.Exit(_gate); }
                    }
                }
            }
            """);
}
