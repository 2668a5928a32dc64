using ConcurrencyAnalyzers.Locking;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<
    ConcurrencyAnalyzers.Locking.LockReleaseNotGuaranteedAnalyzer,
    ConcurrencyAnalyzers.CodeFixes.Locking.LockReleaseNotGuaranteedCodeFix>;

namespace ConcurrencyAnalyzers.Tests.Locking;

public sealed class LockReleaseNotGuaranteedTests
{
    [Fact]
    public Task ReaderWriterLockSlim_release_not_in_finally_is_wrapped_in_try_finally()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Collections.Generic;
            using System.Threading;

            class C
            {
                private readonly ReaderWriterLockSlim _rw = new ReaderWriterLockSlim();
                private readonly Dictionary<string, int> _map = new Dictionary<string, int>();

                public void Set(string key, string raw)
                {
                    {|#0:_rw.EnterWriteLock()|};
                    // Parse may throw.
                    _map[key] = int.Parse(raw);
                    _rw.ExitWriteLock(); // done
                }
            }
            """,
            new[] { Verify.Diagnostic(LockReleaseNotGuaranteedAnalyzer.Rule).WithLocation(0).WithArguments("_rw") },
            """
            using System.Collections.Generic;
            using System.Threading;

            class C
            {
                private readonly ReaderWriterLockSlim _rw = new ReaderWriterLockSlim();
                private readonly Dictionary<string, int> _map = new Dictionary<string, int>();

                public void Set(string key, string raw)
                {
                    _rw.EnterWriteLock();
                    try
                    {
                        // Parse may throw.
                        _map[key] = int.Parse(raw);
                    }
                    finally
                    {
                        _rw.ExitWriteLock();
                    } // done
                }
            }
            """);

    [Fact]
    public Task Monitor_Enter_Exit_pair_becomes_a_lock_statement()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading;

            class C
            {
                private readonly object _gate = new object();
                private int _count;

                public void Add()
                {
                    // Count one more.
                    {|CONC204:Monitor.Enter(_gate)|};
                    _count++;
                    Monitor.Exit(_gate);
                }
            }
            """,
            """
            using System.Threading;

            class C
            {
                private readonly object _gate = new object();
                private int _count;

                public void Add()
                {
                    // Count one more.
                    lock (_gate)
                    {
                        _count++;
                    }
                }
            }
            """);

    [Fact]
    public Task Several_sites_are_fixed_together()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private readonly SemaphoreSlim _sem = new SemaphoreSlim(1, 1);
                private readonly Mutex _mutex = new Mutex();

                public async Task A()
                {
                    await {|CONC204:_sem.WaitAsync()|};
                    await Task.Delay(1);
                    _sem.Release();
                }

                public void B()
                {
                    {|CONC204:_mutex.WaitOne()|};
                    Work();
                    _mutex.ReleaseMutex();
                }

                private static void Work() { }
            }
            """,
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private readonly SemaphoreSlim _sem = new SemaphoreSlim(1, 1);
                private readonly Mutex _mutex = new Mutex();

                public async Task A()
                {
                    await _sem.WaitAsync();
                    try
                    {
                        await Task.Delay(1);
                    }
                    finally
                    {
                        _sem.Release();
                    }
                }

                public void B()
                {
                    _mutex.WaitOne();
                    try
                    {
                        Work();
                    }
                    finally
                    {
                        _mutex.ReleaseMutex();
                    }
                }

                private static void Work() { }
            }
            """);

    [Fact]
    public Task Release_on_several_branches_is_reported_without_a_fix()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;

            class C
            {
                private readonly object _gate = new object();
                private int _count;

                public bool Add()
                {
                    {|CONC204:Monitor.Enter(_gate)|};
                    if (_count > 10)
                    {
                        Monitor.Exit(_gate);
                        return false;
                    }
                    _count++;
                    Monitor.Exit(_gate);
                    return true;
                }
            }
            """);

    [Fact]
    public Task Releases_reached_through_statements_that_cannot_throw_or_made_before_the_acquire_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;

            class Context
            {
                private readonly object _sync = new object();
                private readonly Mailbox _mailbox = new Mailbox();
                private bool _starting = true;
                private bool _terminating;
                private int _pending;

                public void Terminate()
                {
                    Monitor.Enter(_sync);
                    if (!_starting)
                    {
                        bool restarted = _terminating;
                        _terminating = true;
                        Monitor.Exit(_sync);

                        if (!restarted)
                        {
                            _mailbox.Stop();
                        }

                        _mailbox.Wait();
                        Monitor.Enter(_sync);
                    }
                    Monitor.Exit(_sync);
                }

                public void Close()
                {
                    Monitor.Enter(_sync);
                    Monitor.Exit(_sync);
                }

                // Called with _sync held: lets a sender in, then takes the lock back for the caller.
                public bool TryReceive(int timeout)
                {
                    if (_pending > 0)
                        return true;

                    if (timeout == 0)
                    {
                        Monitor.Exit(_sync);
                        Monitor.Enter(_sync);
                    }

                    return _pending > 0;
                }

                public void Stop()
                {
                    {|CONC204:Monitor.Enter(_sync)|};
                    bool restarted = _terminating;
                    _mailbox.Stop();
                    Monitor.Exit(_sync);
                }

                public void Count(int n)
                {
                    {|CONC204:Monitor.Enter(_sync)|};
                    if (n > _pending)
                    {
                        _pending = n;
                    }
                    else
                    {
                        _mailbox.Stop();
                    }
                    Monitor.Exit(_sync);
                }
            }

            class Mailbox
            {
                public void Stop() { }
                public void Wait() { }
            }
            """);

    [Fact]
    public Task TryEnter_branch_with_release_outside_finally_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;

            class C
            {
                private readonly object _gate = new object();
                private int _count;

                public void Add()
                {
                    if ({|CONC204:Monitor.TryEnter(_gate, 100)|})
                    {
                        _count++;
                        Monitor.Exit(_gate);
                    }
                }
            }
            """);

    [Fact]
    public Task Negated_TryEnter_guard_with_release_outside_finally_is_reported_without_a_fix()
    {
        const string source = """
            using System;
            using System.Collections.Generic;
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private readonly object _gate = new object();
                private readonly SemaphoreSlim _semaphore = new SemaphoreSlim(1, 1);
                private readonly HashSet<string> _seen = new HashSet<string>();

                public bool TryLog(string line)
                {
                    if (!{|#0:Monitor.TryEnter(_gate, 100)|})
                    {
                        return false;
                    }

                    _seen.Add(line);
                    Monitor.Exit(_gate);
                    return true;
                }

                public async Task<bool> TrySaveAsync(Func<Task> save)
                {
                    if (!await {|#1:_semaphore.WaitAsync(TimeSpan.FromSeconds(1))|}) throw new TimeoutException();
                    await save();
                    _semaphore.Release();
                    return true;
                }
            }
            """;
        var test = new Verify.Test { TestCode = source, FixedCode = source };
        test.ExpectedDiagnostics.Add(Verify.Diagnostic(LockReleaseNotGuaranteedAnalyzer.Rule).WithLocation(0).WithArguments("_gate"));
        test.ExpectedDiagnostics.Add(Verify.Diagnostic(LockReleaseNotGuaranteedAnalyzer.Rule).WithLocation(1).WithArguments("_semaphore"));
        test.FixedState.ExpectedDiagnostics.AddRange(test.ExpectedDiagnostics);
        return test.RunAsync();
    }

    [Fact]
    public Task Negated_TryEnter_guard_followed_by_try_finally_or_not_leaving_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private readonly object _gate = new object();
                private readonly SemaphoreSlim _semaphore = new SemaphoreSlim(1, 1);
                private int _count;

                public bool TryAdd()
                {
                    if (!Monitor.TryEnter(_gate, 100))
                    {
                        return false;
                    }

                    try
                    {
                        _count++;
                        return true;
                    }
                    finally
                    {
                        Monitor.Exit(_gate);
                    }
                }

                public async Task<bool> TryAddAsync(TimeSpan timeout)
                {
                    if (!await _semaphore.WaitAsync(timeout)) return false;
                    try { _count++; } finally { _semaphore.Release(); }
                    return true;
                }

                public void Poll()
                {
                    if (!Monitor.TryEnter(_gate))
                    {
                        Console.WriteLine("busy");
                    }
                }
            }
            """);

    [Fact]
    public Task Local_used_after_the_release_prevents_the_fix()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;

            class C
            {
                private SpinLock _spin = new SpinLock(false);
                private int _count;

                public int Add()
                {
                    bool taken = false;
                    {|CONC204:_spin.Enter(ref taken)|};
                    var value = ++_count;
                    _spin.Exit();
                    return value;
                }
            }
            """);

    // ---- near misses ----

    [Fact]
    public Task WaitAsync_before_try_with_release_in_finally_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
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
            }
            """);

    [Fact]
    public Task LockTaken_pattern_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;

            class C
            {
                private readonly object _gate = new object();
                private SpinLock _spin = new SpinLock(false);

                public void A()
                {
                    bool taken = false;
                    try { Monitor.Enter(_gate, ref taken); }
                    finally { if (taken) Monitor.Exit(_gate); }
                }

                public void B()
                {
                    bool taken = false;
                    try { _spin.Enter(ref taken); }
                    finally { if (taken) _spin.Exit(); }
                }
            }
            """);

    [Fact]
    public Task Acquire_without_release_in_the_method_is_a_handoff_and_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;

            class C
            {
                private readonly SemaphoreSlim _sem = new SemaphoreSlim(1, 1);
                public void Enter() => _sem.Wait();
                public void Exit() => _sem.Release();
            }
            """);

    [Fact]
    public Task Throttle_released_in_the_work_items_finally_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private readonly SemaphoreSlim _throttle = new SemaphoreSlim(4);

                public async Task Start()
                {
                    await _throttle.WaitAsync();
                    _ = Task.Run(() =>
                    {
                        try { } finally { _throttle.Release(); }
                    });
                }
            }
            """);

    [Fact]
    public Task Thread_affine_lock_released_only_in_work_started_on_another_thread_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class Exporter
            {
                private readonly Mutex _mutex = new Mutex();
                private readonly object _gate = new object();
                private readonly ReaderWriterLockSlim _rw = new ReaderWriterLockSlim();

                public void ExportInBackground(Action export)
                {
                    {|#0:_mutex.WaitOne()|};
                    ThreadPool.QueueUserWorkItem(_ =>
                    {
                        try { export(); }
                        finally { _mutex.ReleaseMutex(); }
                    });
                }

                public Task FlushLater(Action flush)
                {
                    {|#1:Monitor.Enter(_gate)|};
                    return Task.Run(() =>
                    {
                        flush();
                        Monitor.Exit(_gate);
                    });
                }

                public void Publish(Action publish)
                {
                    {|#2:_rw.EnterWriteLock()|};
                    new Thread(() =>
                    {
                        try { publish(); }
                        finally { _rw.ExitWriteLock(); }
                    }).Start();
                }
            }
            """,
            Verify.Diagnostic(LockReleaseNotGuaranteedAnalyzer.OtherThreadRule).WithLocation(0).WithArguments("_mutex", "ThreadPool.QueueUserWorkItem", "Mutex"),
            Verify.Diagnostic(LockReleaseNotGuaranteedAnalyzer.OtherThreadRule).WithLocation(1).WithArguments("_gate", "Task.Run", "Monitor lock"),
            Verify.Diagnostic(LockReleaseNotGuaranteedAnalyzer.OtherThreadRule).WithLocation(2).WithArguments("_rw", "new Thread", "ReaderWriterLockSlim"));

    [Fact]
    public Task Locks_released_by_their_own_thread_or_semaphores_released_by_the_work_are_not_reported_as_other_thread_releases()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class Worker
            {
                private readonly Mutex _mutex = new Mutex();
                private readonly object _gate = new object();
                private readonly SemaphoreSlim _slots = new SemaphoreSlim(4);

                public void RunHere(Action work)
                {
                    _mutex.WaitOne();
                    try
                    {
                        Task.Run(() =>
                        {
                            _mutex.WaitOne();
                            try { work(); } finally { _mutex.ReleaseMutex(); }
                        }).Wait(100);
                    }
                    finally
                    {
                        _mutex.ReleaseMutex();
                    }
                }

                public void Throttled(Action work)
                {
                    _slots.Wait();
                    ThreadPool.QueueUserWorkItem(_ =>
                    {
                        try { work(); } finally { _slots.Release(); }
                    });
                }

                public void Inline(Action<Action> runInline)
                {
                    Monitor.Enter(_gate);
                    runInline(() => Monitor.Exit(_gate));
                }

                public void Enter() => Monitor.Enter(_gate);

                public void Exit() => Monitor.Exit(_gate);
            }
            """);

    [Fact]
    public Task Lock_statement_and_EnterScope_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;

            class C
            {
                private readonly object _gate = new object();
                private int _n;
                public void A() { lock (_gate) { _n++; } }
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
                    public void A() { Monitor.Enter(_missing); Work(; Monitor.Exit(_missing); }
                }
                """,
            FixedCode = """
                using System.Threading;
                class C
                {
                    public void A() { Monitor.Enter(_missing); Work(; Monitor.Exit(_missing); }
                }
                """,
            CompilerDiagnostics = CompilerDiagnostics.None,
        }.RunAsync();

    [Fact]
    public Task Early_exit_that_releases_before_the_try_finally_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;

            class Connector
            {
                private readonly object _sync = new object();
                private bool _broken;

                internal Exception Break(Exception reason)
                {
                    Monitor.Enter(_sync);
                    if (_broken)
                    {
                        // Already broken: let other threads through.
                        Monitor.Exit(_sync);
                        return reason;
                    }

                    try { _broken = true; }
                    finally { Monitor.Exit(_sync); }
                    return reason;
                }
            }
            """);

    [Fact]
    public Task Release_on_a_branch_that_does_not_leave_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;

            class Connector
            {
                private readonly object _sync = new object();
                private bool _broken;

                internal void Break()
                {
                    {|CONC204:Monitor.Enter(_sync)|};
                    if (_broken)
                        Monitor.Exit(_sync);

                    try { _broken = true; }
                    finally { Monitor.Exit(_sync); }
                }
            }
            """);

    [Fact]
    public Task A_semaphore_created_empty_is_a_signal_put_back_not_a_lock_one_created_with_a_slot_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Collections.Generic;
            using System.Threading;
            using System.Threading.Tasks;

            class ScheduledQueue
            {
                private readonly SortedSet<long> _queue = new SortedSet<long>();
                private readonly SemaphoreSlim _signal = new(0);
                private readonly SemaphoreSlim _gate = new SemaphoreSlim(1, 1);
                private readonly object _lock = new object();

                public void Enqueue(long due)
                {
                    lock (_lock) { _queue.Add(due); }
                    _signal.Release();
                }

                public async Task<long> TakeAsync(CancellationToken cancellationToken)
                {
                    while (true)
                    {
                        await _signal.WaitAsync(cancellationToken);
                        lock (_lock)
                        {
                            if (_queue.Count > 0 && _queue.Min <= DateTime.UtcNow.Ticks)
                            {
                                var next = _queue.Min;
                                _queue.Remove(next);
                                return next;
                            }
                        }

                        _signal.Release(); // not due yet: put the signal back
                        await Task.Delay(50, cancellationToken);
                    }
                }

                public async Task FlushAsync(CancellationToken cancellationToken)
                {
                    var pending = new SemaphoreSlim(0, 1);
                    _ = Task.Run(() => pending.Release());
                    await pending.WaitAsync(cancellationToken);
                    pending.Release();

                    await {|CONC204:_gate.WaitAsync(cancellationToken)|};
                    lock (_lock) { _queue.Clear(); }
                    _gate.Release();
                }
            }
            """);

    [Fact]
    public Task A_semaphore_field_the_constructor_creates_empty_is_a_signal_one_it_creates_with_a_slot_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Generic;
            using System.Threading;
            using System.Threading.Tasks;

            class Reader
            {
                private readonly SemaphoreSlim _received, _gate;
                private readonly Queue<int> _items = new Queue<int>();

                public Reader()
                {
                    _received = new SemaphoreSlim(0);
                    this._gate = new SemaphoreSlim(1, 1);
                }

                public async Task<int> TakeAsync(CancellationToken cancellationToken)
                {
                    await _received.WaitAsync(cancellationToken);
                    if (!TryDequeue(out var item))
                    {
                        _received.Release(); // not there yet: put the signal back
                        return -1;
                    }

                    return item;
                }

                public async Task ClearAsync(CancellationToken cancellationToken)
                {
                    await {|CONC204:_gate.WaitAsync(cancellationToken)|};
                    Drain();
                    _gate.Release();
                }

                private bool TryDequeue(out int item)
                {
                    lock (_items) { return _items.TryDequeue(out item); }
                }

                private void Drain()
                {
                    lock (_items) { _items.Clear(); }
                }
            }
            """);

    [Fact]
    public Task Release_only_in_a_rethrowing_catch_of_a_method_that_hands_the_lock_on_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;

            class SharedStore
            {
                private readonly Mutex _mutex = new Mutex();
                private object? _engine;

                // Returns holding the mutex for Close() to release; gives it back only when opening fails.
                private bool Open()
                {
                    try
                    {
                        _mutex.WaitOne();
                    }
                    catch (AbandonedMutexException) { }

                    try
                    {
                        _engine = Create();
                        return true;
                    }
                    catch
                    {
                        _mutex.ReleaseMutex();
                        throw;
                    }
                }

                // The catch swallows the failure: the release is the normal path of a handled error, and a throw
                // before it leaves the mutex held.
                private void OpenQuietly()
                {
                    {|CONC204:_mutex.WaitOne()|};
                    try
                    {
                        _engine = Create();
                    }
                    catch (Exception)
                    {
                        _mutex.ReleaseMutex();
                    }
                }

                // The plain release after the work is still unprotected.
                private void Touch()
                {
                    {|CONC204:_mutex.WaitOne()|};
                    try
                    {
                        _engine = Create();
                    }
                    catch
                    {
                        _mutex.ReleaseMutex();
                        throw;
                    }

                    _mutex.ReleaseMutex();
                }

                public void Close() => _mutex.ReleaseMutex();

                private static object Create() => new object();
            }
            """);
}
