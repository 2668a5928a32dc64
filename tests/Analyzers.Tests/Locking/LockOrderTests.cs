using ConcurrencyAnalyzers.Locking;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencyAnalyzers.Locking.LockOrderAnalyzer>;

namespace ConcurrencyAnalyzers.Tests.Locking;

public sealed class LockOrderTests
{
    [Fact]
    public Task Opposite_nesting_order_is_reported_at_both_sites()
        => Verify.VerifyAnalyzerAsync(
            """
            class Bank
            {
                private readonly object _accounts = new object();
                private readonly object _ledger = new object();

                void Debit() { lock (_accounts) lock ({|#0:_ledger|}) { } }
                void Report() { lock (_ledger) lock ({|#1:_accounts|}) { } }
            }
            """,
            Verify.Diagnostic(LockOrderAnalyzer.OrderRule).WithLocation(0).WithArguments("_ledger", "_accounts", "Report"),
            Verify.Diagnostic(LockOrderAnalyzer.OrderRule).WithLocation(1).WithArguments("_accounts", "_ledger", "Debit"));

    [Fact]
    public Task Opposite_order_with_explicit_locks_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class Store
            {
                private readonly SemaphoreSlim _a = new SemaphoreSlim(1, 1);
                private readonly object _b = new object();

                async Task One()
                {
                    await _a.WaitAsync();
                    try { {|CONC206:Monitor.Enter(_b)|}; Monitor.Exit(_b); }
                    finally { _a.Release(); }
                }

                void Two()
                {
                    lock (_b)
                    {
                        {|CONC206:_a.Wait()|};
                        _a.Release();
                    }
                }
            }
            """);

    [Fact]
    public Task Static_locks_in_opposite_order_across_types_are_reported_at_compilation_end()
        => Verify.VerifyAnalyzerAsync(
            """
            static class Locks
            {
                public static readonly object A = new object();
                public static readonly object B = new object();
            }

            class First { void M() { lock (Locks.A) lock ({|CONC206:Locks.B|}) { } } }
            class Second { void M() { lock (Locks.B) lock ({|CONC206:Locks.A|}) { } } }
            """);

    [Fact]
    public Task SemaphoreSlim_reacquired_through_a_call_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class Saver
            {
                private readonly SemaphoreSlim _sem = new SemaphoreSlim(1, 1);

                public async Task SaveAsync()
                {
                    await _sem.WaitAsync();
                    try { await {|#0:FlushAsync()|}; }
                    finally { _sem.Release(); }
                }

                public async Task FlushAsync()
                {
                    await _sem.WaitAsync();
                    try { await Task.Yield(); }
                    finally { _sem.Release(); }
                }
            }
            """,
            Verify.Diagnostic(LockOrderAnalyzer.ReentryCallRule).WithLocation(0).WithArguments("FlushAsync", "_sem", "SemaphoreSlim"));

    [Fact]
    public Task A_callee_that_takes_the_lock_only_when_a_bool_parameter_says_so_is_a_hand_off_not_a_reentry()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class Writer
            {
                private readonly SemaphoreSlim _gate = new SemaphoreSlim(1, 1);
                private Task _flush = Task.CompletedTask;

                public ValueTask WriteAsync(int value)
                {
                    if (!_gate.Wait(0))
                    {
                        return WriteSlowAsync(false, value);
                    }

                    if (!_flush.IsCompleted)
                    {
                        // The lock is handed to the slow path, which releases it.
                        return WriteSlowAsync(true, value);
                    }

                    try { Enqueue(value); }
                    finally { _gate.Release(); }
                    return default;
                }

                public async Task SaveAsync(int value)
                {
                    await _gate.WaitAsync();
                    try { await {|#0:WriteTwiceAsync(value)|}; }
                    finally { _gate.Release(); }
                }

                private async ValueTask WriteSlowAsync(bool lockHeld, int value)
                {
                    if (!lockHeld)
                    {
                        await _gate.WaitAsync();
                    }

                    try { await _flush; Enqueue(value); }
                    finally { _gate.Release(); }
                }

                // Takes the lock unconditionally after a parameter test that does not guard it: still a re-entry.
                private async Task WriteTwiceAsync(int value)
                {
                    if (value < 0)
                    {
                        return;
                    }

                    await _gate.WaitAsync();
                    try { Enqueue(value); Enqueue(value); }
                    finally { _gate.Release(); }
                }

                private void Enqueue(int value) { }
            }
            """,
            Verify.Diagnostic(LockOrderAnalyzer.ReentryCallRule).WithLocation(0).WithArguments("WriteTwiceAsync", "_gate", "SemaphoreSlim"));

    [Fact]
    public Task A_callee_that_lets_go_of_the_held_lock_and_takes_it_back_is_not_a_reentry_one_that_takes_it_first_is()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Collections.Generic;
            using System.Threading;
            using System.Threading.Tasks;

            class Recovery
            {
                private readonly SemaphoreSlim _entities = new SemaphoreSlim(1, 1);
                private readonly List<string> _queues = new List<string>();
                private Func<string, Task>? _onError;

                public async Task RecoverAsync(CancellationToken ct)
                {
                    await _entities.WaitAsync(ct);
                    try
                    {
                        await RecoverQueuesAsync(ct);
                        await {|#0:RecoverTwiceAsync(ct)|};
                    }
                    finally { _entities.Release(); }
                }

                // Runs with the caller's lock held: drops it around the user callback and takes it back.
                private async Task RecoverQueuesAsync(CancellationToken ct)
                {
                    foreach (var queue in _queues.ToArray())
                    {
                        try
                        {
                            _entities.Release();
                            await (_onError?.Invoke(queue) ?? Task.CompletedTask);
                        }
                        finally
                        {
                            await _entities.WaitAsync(ct);
                        }
                    }
                }

                // Takes the lock before it lets go of it: a re-entry when the caller holds it.
                private async Task RecoverTwiceAsync(CancellationToken ct)
                {
                    await _entities.WaitAsync(ct);
                    try
                    {
                        _entities.Release();
                        await Task.Yield();
                    }
                    finally
                    {
                        await _entities.WaitAsync(ct);
                        _entities.Release();
                    }
                }
            }
            """,
            Verify.Diagnostic(LockOrderAnalyzer.ReentryCallRule).WithLocation(0).WithArguments("RecoverTwiceAsync", "_entities", "SemaphoreSlim"));

    [Fact]
    public Task A_WaitAsync_only_started_under_a_lock_orders_nothing_one_awaited_under_it_does()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class Subchannel
            {
                private readonly object _lock = new object();
                private readonly SemaphoreSlim _connect = new SemaphoreSlim(1, 1);
                private bool _shutdown;

                public async Task ConnectAsync(CancellationToken ct)
                {
                    Task? wait = null;
                    lock (_lock)
                    {
                        if (!_connect.Wait(0))
                        {
                            // Queued: awaited below, after the lock is released.
                            wait = _connect.WaitAsync(ct);
                        }
                    }

                    if (wait is not null)
                    {
                        await wait;
                    }

                    try
                    {
                        // Now the semaphore is held: this nesting is an edge.
                        lock ({|#2:_lock|})
                        {
                            if (_shutdown) return;
                        }
                    }
                    finally
                    {
                        _connect.Release();
                    }
                }

                public async Task ResetAsync()
                {
                    await _connect.WaitAsync();
                    try
                    {
                        lock ({|#0:_lock|}) { _shutdown = false; }
                    }
                    finally { _connect.Release(); }
                }

                public void Shutdown()
                {
                    lock (_lock)
                    {
                        _shutdown = true;
                        {|#1:_connect.Wait()|};
                        _connect.Release();
                    }
                }
            }
            """,
            Verify.Diagnostic(LockOrderAnalyzer.OrderRule).WithLocation(2).WithArguments("_lock", "_connect", "Shutdown"),
            Verify.Diagnostic(LockOrderAnalyzer.OrderRule).WithLocation(0).WithArguments("_lock", "_connect", "Shutdown"),
            Verify.Diagnostic(LockOrderAnalyzer.OrderRule).WithLocation(1).WithArguments("_connect", "_lock", "ConnectAsync"));

    [Fact]
    public Task A_callee_that_takes_the_lock_only_in_work_it_starts_on_another_thread_is_not_a_reentry_one_run_inline_is()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Collections.Generic;
            using System.Threading;
            using System.Threading.Tasks;

            class RefreshingCache
            {
                private readonly SemaphoreSlim _sem = new SemaphoreSlim(1, 1);
                private readonly ReaderWriterLockSlim _rw = new ReaderWriterLockSlim();
                private readonly List<Task> _background = new List<Task>();
                private Timer? _timer;
                private string _value = "";

                public async Task<string> GetAsync()
                {
                    await _sem.WaitAsync();
                    try
                    {
                        ScheduleRefresh();
                        {|#0:Each(new[] { "a" })|};
                        return _value;
                    }
                    finally { _sem.Release(); }
                }

                public void Configure(TimeSpan period)
                {
                    _rw.EnterWriteLock();
                    try { StartTimer(period); }
                    finally { _rw.ExitWriteLock(); }
                }

                private void ScheduleRefresh()
                    => _background.Add(Task.Run(async () =>
                    {
                        await _sem.WaitAsync();
                        try { _value = await Task.FromResult("fresh"); }
                        finally { _sem.Release(); }
                    }));

                private void StartTimer(TimeSpan period)
                    => _timer = new Timer(_ =>
                    {
                        _rw.EnterWriteLock();
                        try { _value = ""; }
                        finally { _rw.ExitWriteLock(); }
                    }, null, period, period);

                private void Each(string[] values)
                    => Array.ForEach(values, v =>
                    {
                        _sem.Wait();
                        try { _value = v; }
                        finally { _sem.Release(); }
                    });
            }
            """,
            Verify.Diagnostic(LockOrderAnalyzer.ReentryCallRule).WithLocation(0).WithArguments("Each", "_sem", "SemaphoreSlim"));

    [Fact]
    public Task An_async_callee_whose_task_is_only_stored_under_the_lock_waits_for_it_unless_it_blocks()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Generic;
            using System.Threading;
            using System.Threading.Tasks;

            class Batcher
            {
                private readonly SemaphoreSlim _sem = new SemaphoreSlim(1, 1);
                private readonly List<int> _pending = new List<int>();
                private Task _flushing = Task.CompletedTask;

                public async Task AddAsync(int x)
                {
                    await _sem.WaitAsync();
                    try
                    {
                        _pending.Add(x);
                        if (_pending.Count >= 100 && _flushing.IsCompleted) _flushing = FlushAsync();
                        if (_pending.Count >= 200) _ = FlushAsync();
                        if (_pending.Count >= 300) _flushing = {|#0:FlushBlockingAsync()|};
                        if (_pending.Count >= 400) await {|#1:FlushAsync()|};
                    }
                    finally { _sem.Release(); }
                }

                private async Task FlushAsync()
                {
                    await _sem.WaitAsync();
                    try { await Task.Yield(); _pending.Clear(); }
                    finally { _sem.Release(); }
                }

                private async Task FlushBlockingAsync()
                {
                    _sem.Wait();
                    try { _pending.Clear(); }
                    finally { _sem.Release(); }
                    await Task.Yield();
                }
            }
            """,
            Verify.Diagnostic(LockOrderAnalyzer.ReentryCallRule).WithLocation(0).WithArguments("FlushBlockingAsync", "_sem", "SemaphoreSlim"),
            Verify.Diagnostic(LockOrderAnalyzer.ReentryCallRule).WithLocation(1).WithArguments("FlushAsync", "_sem", "SemaphoreSlim"));

    [Fact]
    public Task SemaphoreSlim_reacquired_through_a_call_that_takes_it_by_conditional_access_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;

            class Saver
            {
                private readonly SemaphoreSlim _sem = new SemaphoreSlim(1, 1);

                public void Save()
                {
                    _sem.Wait();
                    try { {|#0:Flush()|}; }
                    finally { _sem.Release(); }
                }

                private void Flush()
                {
                    _sem?.Wait();
                    _sem?.Release();
                }
            }
            """,
            Verify.Diagnostic(LockOrderAnalyzer.ReentryCallRule).WithLocation(0).WithArguments("Flush", "_sem", "SemaphoreSlim"));

    [Fact]
    public Task Read_lock_taken_twice_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;

            class Cache
            {
                private readonly ReaderWriterLockSlim _rw = new ReaderWriterLockSlim();

                public void Get()
                {
                    _rw.EnterReadLock();
                    try
                    {
                        {|CONC206:_rw.EnterReadLock()|};
                        _rw.ExitReadLock();
                    }
                    finally { _rw.ExitReadLock(); }
                }
            }
            """);

    // ---- near misses ----

    [Fact]
    public Task Opposite_order_through_a_call_made_under_the_lock_is_reported_at_the_call_and_at_the_nesting()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Generic;

            class Inventory
            {
                private readonly object _orders = new object();
                private readonly object _stock = new object();
                private readonly List<string> _placed = new List<string>();
                private int _onHand;

                public void PlaceOrder(string id)
                {
                    lock (_orders)
                    {
                        _placed.Add(id);
                        // Reserve takes _stock: _stock is nested in _orders here.
                        {|#0:Reserve()|};
                    }
                }

                private void Reserve()
                {
                    lock (_stock) { _onHand--; }
                }

                public void Restock(int count)
                {
                    lock (_stock)
                    {
                        _onHand += count;
                        lock ({|#1:_orders|}) { _placed.Clear(); }
                    }
                }
            }
            """,
            Verify.Diagnostic(LockOrderAnalyzer.OrderThroughCallRule).WithLocation(0).WithArguments("Reserve", "_stock", "_orders", "Restock"),
            Verify.Diagnostic(LockOrderAnalyzer.OrderRule).WithLocation(1).WithArguments("_orders", "_stock", "PlaceOrder"));

    [Fact]
    public Task Opposite_orders_that_both_go_through_calls_are_reported_at_both_calls()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;

            class Session
            {
                private static readonly object Registry = new object();
                private readonly object _state = new object();
                private readonly SemaphoreSlim _send = new SemaphoreSlim(1, 1);

                public void Close() { lock (_state) { this.{|#0:Unregister|}(); } }
                private void Unregister() { lock (Registry) { } }

                public static void Broadcast(Session session) { }

                public void Flush() { lock (Registry) { {|#1:MarkDirty()|}; } }
                private void MarkDirty() { lock (_state) { } }

                public void Send()
                {
                    lock (_state)
                    {
                        {|#2:Transmit()|};
                    }
                }

                private void Transmit()
                {
                    _send.Wait();
                    try { } finally { _send.Release(); }
                }

                public void Drain()
                {
                    _send.Wait();
                    try { lock ({|#3:_state|}) { } } finally { _send.Release(); }
                }
            }
            """,
            Verify.Diagnostic(LockOrderAnalyzer.OrderThroughCallRule).WithLocation(0).WithArguments("Unregister", "Registry", "_state", "Flush"),
            Verify.Diagnostic(LockOrderAnalyzer.OrderThroughCallRule).WithLocation(1).WithArguments("MarkDirty", "_state", "Registry", "Close"),
            Verify.Diagnostic(LockOrderAnalyzer.OrderThroughCallRule).WithLocation(2).WithArguments("Transmit", "_send", "_state", "Drain"),
            Verify.Diagnostic(LockOrderAnalyzer.OrderRule).WithLocation(3).WithArguments("_state", "_send", "Send"));

    [Fact]
    public Task Calls_under_a_lock_that_keep_the_order_re_enter_it_or_run_elsewhere_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading.Tasks;

            class Cache
            {
                private readonly object _index = new object();
                private readonly object _entries = new object();
                private readonly object _stats = new object();

                // Same order as Compact: _index, then _entries.
                public void Add() { lock (_index) { Store(); } }
                private void Store() { lock (_entries) { } }
                public void Compact() { lock (_index) { lock (_entries) { } } }

                // _entries is already held when Touch takes it again: a re-entry, not a nesting in _stats.
                public void Hit() { lock (_entries) { lock (_stats) { Touch(); } } }
                private void Touch() { lock (_entries) { } }

                // The call runs on another thread, after the lock is released; the lambda's lock is not the method's.
                public void Refresh()
                {
                    lock (_stats)
                    {
                        _ = Task.Run(() => Store());
                        Later();
                    }
                }

                private void Later() => Task.Run(() => { lock (_entries) { } });

                // A virtual callee may be overridden to take other locks: unknown, so silent.
                public void Reset() { lock (_stats) { Clear(); } }
                protected virtual void Clear() { lock (_entries) { } }
            }
            """);

    [Fact]
    public Task Nested_locks_taken_in_the_same_order_everywhere_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            class Bank
            {
                private readonly object _accounts = new object();
                private readonly object _ledger = new object();

                void Debit() { lock (_accounts) lock (_ledger) { } }
                void Report() { lock (_accounts) { lock (_ledger) { } } }
                void Audit() { lock (_ledger) { } lock (_accounts) { } }
            }
            """);

    [Fact]
    public Task Monitor_reentry_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            class C
            {
                private readonly object _gate = new object();
                private int _n;
                void A() { lock (_gate) { B(); } }
                void B() { lock (_gate) { _n++; } }
            }
            """);

    [Fact]
    public Task Counting_semaphore_and_recursive_reader_writer_lock_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;

            class C
            {
                private readonly SemaphoreSlim _throttle = new SemaphoreSlim(4);
                private readonly ReaderWriterLockSlim _rw = new ReaderWriterLockSlim(LockRecursionPolicy.SupportsRecursion);

                void A()
                {
                    _throttle.Wait();
                    try { B(); } finally { _throttle.Release(); }
                }

                void B()
                {
                    _throttle.Wait();
                    try { } finally { _throttle.Release(); }
                    _rw.EnterReadLock();
                    try { _rw.EnterReadLock(); _rw.ExitReadLock(); } finally { _rw.ExitReadLock(); }
                }
            }
            """);

    [Fact]
    public Task Locks_on_other_instances_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            class Account
            {
                private readonly object _gate = new object();
                private readonly object _audit = new object();
                public decimal Balance;

                static void Transfer(Account a, Account b)
                {
                    lock (a._gate) lock (b._audit) { }
                }

                static void Reverse(Account a, Account b)
                {
                    lock (b._audit) lock (a._gate) { }
                }
            }
            """);

    [Fact]
    public Task Semaphore_released_before_calling_the_locking_method_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class Saver
            {
                private readonly SemaphoreSlim _sem = new SemaphoreSlim(1, 1);

                public async Task SaveAsync()
                {
                    await _sem.WaitAsync();
                    try { await Task.Yield(); }
                    finally { _sem.Release(); }
                    await FlushAsync();
                }

                public async Task FlushAsync()
                {
                    await _sem.WaitAsync();
                    try { await Task.Yield(); }
                    finally { _sem.Release(); }
                }
            }
            """);

    [Fact]
    public Task Half_typed_code_does_not_crash()
        => new Verify.Test
        {
            TestCode = """
                class C
                {
                    private readonly object _a = new object();
                    void M() { lock (_a) lock (_missing) { Work( } }
                }
                """,
            CompilerDiagnostics = CompilerDiagnostics.None,
        }.RunAsync();

    [Fact]
    public Task Zero_timeout_try_acquire_in_the_opposite_order_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;

            class Router
            {
                private readonly object _routes = new object();
                private readonly object _stats = new object();
                private readonly SemaphoreSlim _flush = new SemaphoreSlim(1, 1);

                void Update() { lock (_routes) lock (_stats) { } }

                void Sample()
                {
                    lock (_stats)
                    {
                        // A poll backs off instead of waiting: no deadlock.
                        if (Monitor.TryEnter(_routes, 0))
                            Monitor.Exit(_routes);
                    }
                }

                void Flush()
                {
                    _flush.Wait();
                    try
                    {
                        if (_flush.Wait(0))
                            _flush.Release();
                    }
                    finally { _flush.Release(); }
                }
            }
            """);

    // A body with one acquisition gets its flow at the type's end, and only when one of the type's methods it calls
    // takes a lock itself (LockOrderAnalyzer.CallsOnlyFlow): here the second callee does, declared after the caller.
    [Fact]
    public Task SemaphoreSlim_reacquired_through_the_second_of_two_calls_under_it_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;

            class Store
            {
                private readonly SemaphoreSlim _sem = new SemaphoreSlim(1, 1);
                private int _count;

                public void Save()
                {
                    _sem.Wait();
                    try
                    {
                        Count();
                        {|#0:Flush()|};
                    }
                    finally { _sem.Release(); }
                }

                private void Count() => _count++;

                private void Flush()
                {
                    _sem.Wait();
                    try { _count = 0; }
                    finally { _sem.Release(); }
                }
            }
            """,
            Verify.Diagnostic(LockOrderAnalyzer.ReentryCallRule).WithLocation(0).WithArguments("Flush", "_sem", "SemaphoreSlim"));
}
