using ConcurrencyAnalyzers.Locking;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<
    ConcurrencyAnalyzers.Locking.MonitorProtocolMisuseAnalyzer,
    ConcurrencyAnalyzers.CodeFixes.Locking.MonitorProtocolMisuseCodeFix>;

namespace ConcurrencyAnalyzers.Tests.Locking;

public sealed class MonitorProtocolMisuseTests
{
    [Fact]
    public Task Wait_under_if_becomes_while()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Collections.Generic;
            using System.Threading;

            class Q
            {
                private readonly object _gate = new object();
                private readonly Queue<int> _queue = new Queue<int>();

                public int Take()
                {
                    lock (_gate)
                    {
                        // Wait for an item.
                        if (_queue.Count == 0)
                            Monitor.{|#0:Wait|}(_gate);
                        return _queue.Dequeue();
                    }
                }

                public int Take2()
                {
                    lock (_gate)
                    {
                        if (_queue.Count == 0) { Monitor.{|CONC208:Wait|}(_gate); }
                        return _queue.Dequeue();
                    }
                }
            }
            """,
            new[] { Verify.Diagnostic(MonitorProtocolMisuseAnalyzer.WaitNotInLoopRule).WithLocation(0) },
            """
            using System.Collections.Generic;
            using System.Threading;

            class Q
            {
                private readonly object _gate = new object();
                private readonly Queue<int> _queue = new Queue<int>();

                public int Take()
                {
                    lock (_gate)
                    {
                        // Wait for an item.
                        while (_queue.Count == 0)
                            Monitor.Wait(_gate);
                        return _queue.Dequeue();
                    }
                }

                public int Take2()
                {
                    lock (_gate)
                    {
                        while (_queue.Count == 0) { Monitor.Wait(_gate); }
                        return _queue.Dequeue();
                    }
                }
            }
            """);

    [Fact]
    public Task Unconditional_wait_is_reported_without_a_fix()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;

            class Q
            {
                private readonly object _gate = new object();
                public void Await() { lock (_gate) { Monitor.{|CONC208:Wait|}(_gate); } }
            }
            """);

    [Fact]
    public Task Pulse_after_the_lock_ends_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Generic;
            using System.Threading;

            class Q
            {
                private readonly object _gate = new object();
                private readonly Queue<int> _queue = new Queue<int>();

                public void Add(int item)
                {
                    lock (_gate) { _queue.Enqueue(item); }
                    Monitor.{|#0:PulseAll|}(_gate);
                }
            }
            """,
            Verify.Diagnostic(MonitorProtocolMisuseAnalyzer.OutsideLockRule).WithLocation(0).WithArguments("PulseAll", "_gate"));

    [Fact]
    public Task Wait_in_a_method_that_gives_up_its_callers_lock_and_takes_it_back_is_not_reported_one_that_only_takes_it_is()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Generic;
            using System.Threading;

            class Mailbox
            {
                private readonly object _sync;
                private readonly Queue<int> _commands = new Queue<int>();

                public Mailbox(object sync) => _sync = sync;

                // Called with _sync held by the owning socket.
                public bool TryReceive(int timeout, out int command)
                {
                    if (_commands.Count > 0)
                    {
                        command = _commands.Dequeue();
                        return true;
                    }

                    if (timeout == 0)
                    {
                        Monitor.Exit(_sync);
                        Monitor.Enter(_sync);
                    }
                    else if (!Monitor.Wait(_sync, timeout))
                    {
                        command = 0;
                        return false;
                    }

                    return _commands.TryDequeue(out command);
                }

                public bool TryReceiveLater(int timeout, out int command)
                {
                    if (!Monitor.{|#0:Wait|}(_sync, timeout))
                    {
                        command = 0;
                        return false;
                    }

                    Monitor.Enter(_sync);
                    try
                    {
                        return _commands.TryDequeue(out command);
                    }
                    finally
                    {
                        Monitor.Exit(_sync);
                    }
                }
            }
            """,
            Verify.Diagnostic(MonitorProtocolMisuseAnalyzer.OutsideLockRule).WithLocation(0).WithArguments("Wait", "_sync"));

    [Fact]
    public Task Write_under_read_lock_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Generic;
            using System.Threading;

            class Cache
            {
                private readonly ReaderWriterLockSlim _rw = new ReaderWriterLockSlim();
                private readonly Dictionary<string, int> _cache = new Dictionary<string, int>();
                private int _misses;

                public int Get(string key)
                {
                    _rw.EnterReadLock();
                    try
                    {
                        if (!_cache.TryGetValue(key, out var v))
                        {
                            {|#0:_cache[key] = v = key.Length|};
                            {|CONC208:_misses++|};
                        }
                        return v;
                    }
                    finally { _rw.ExitReadLock(); }
                }
            }
            """,
            Verify.Diagnostic(MonitorProtocolMisuseAnalyzer.WriteUnderReadLockRule).WithLocation(0).WithArguments("_cache", "_rw"));

    [Fact]
    public Task EnterWriteLock_while_holding_the_read_lock_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Generic;
            using System.Threading;

            class Cache
            {
                private readonly ReaderWriterLockSlim _rw = new ReaderWriterLockSlim();

                public void Get()
                {
                    _rw.EnterReadLock();
                    try
                    {
                        _rw.{|CONC208:EnterWriteLock|}();
                        try { } finally { _rw.ExitWriteLock(); }
                    }
                    finally { _rw.ExitReadLock(); }
                }
            }
            """);

    [Fact]
    public Task EnterUpgradeableReadLock_while_holding_the_read_lock_is_reported_with_the_method_name()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Generic;
            using System.Threading;

            class Cache
            {
                private readonly ReaderWriterLockSlim _rw = new ReaderWriterLockSlim();
                private readonly Dictionary<string, int> _map = new Dictionary<string, int>();

                public int GetOrAdd(string key)
                {
                    _rw.EnterReadLock();
                    try
                    {
                        if (_map.TryGetValue(key, out var v)) return v;
                        _rw.{|#0:EnterUpgradeableReadLock|}();
                        try { return 0; } finally { _rw.ExitUpgradeableReadLock(); }
                    }
                    finally { _rw.ExitReadLock(); }
                }

                public bool TryUpgrade()
                {
                    _rw.EnterReadLock();
                    try
                    {
                        if (!_rw.{|#1:TryEnterWriteLock|}(100)) return false;
                        _rw.ExitWriteLock();
                        return true;
                    }
                    finally { _rw.ExitReadLock(); }
                }
            }
            """,
            Verify.Diagnostic(MonitorProtocolMisuseAnalyzer.UpgradeRule).WithLocation(0).WithArguments("_rw", "EnterUpgradeableReadLock"),
            Verify.Diagnostic(MonitorProtocolMisuseAnalyzer.UpgradeRule).WithLocation(1).WithArguments("_rw", "TryEnterWriteLock"));

    // ---- near misses ----

    [Fact]
    public Task Monitor_Wait_inside_lock_in_a_while_loop_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Generic;
            using System.Threading;

            class Q
            {
                private readonly object _gate = new object();
                private readonly Queue<int> _queue = new Queue<int>();

                public int Take()
                {
                    lock (_gate)
                    {
                        while (_queue.Count == 0) Monitor.Wait(_gate);
                        Monitor.PulseAll(_gate);
                        return _queue.Dequeue();
                    }
                }
            }
            """);

    [Fact]
    public Task Timed_wait_whose_result_is_used_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;

            class Q
            {
                private readonly object _gate = new object();
                public bool Poll() { lock (_gate) { return Monitor.Wait(_gate, 100); } }
            }
            """);

    [Fact]
    public Task Timed_wait_under_if_whose_state_is_read_again_after_it_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Collections.Generic;
            using System.Threading;

            class Poller
            {
                private readonly object _gate = new object();
                private readonly Queue<int> _queue = new Queue<int>();
                private int _served;

                public void OnServed()
                {
                    lock (_gate) { _served++; Monitor.Pulse(_gate); }
                }

                public int Poll(TimeSpan timeout)
                {
                    lock (_gate)
                    {
                        if (_served == 0)
                        {
                            Monitor.Wait(_gate, timeout);
                        }

                        var result = _served;
                        _served = 0;
                        return result;
                    }
                }

                public int TryTake(int milliseconds)
                {
                    lock (_gate)
                    {
                        if (_queue.Count == 0) Monitor.Wait(_gate, milliseconds);
                        return _queue.Count > 0 ? _queue.Dequeue() : -1;
                    }
                }

                public int TakeAfterTimeout(int milliseconds)
                {
                    lock (_gate)
                    {
                        if (_queue.Count == 0) Monitor.{|CONC208:Wait|}(_gate, milliseconds);
                        return _queue.Dequeue();
                    }
                }

                public int PollForever()
                {
                    lock (_gate)
                    {
                        if (_served == 0) Monitor.{|CONC208:Wait|}(_gate, Timeout.Infinite);
                        return _served;
                    }
                }

                public int PollUntimed()
                {
                    lock (_gate)
                    {
                        if (_served == 0) Monitor.{|CONC208:Wait|}(_gate);
                        return _served;
                    }
                }
            }
            """);

    [Fact]
    public Task Pulse_and_wait_in_public_methods_that_take_no_lock_on_a_private_gate_are_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Generic;
            using System.Threading;

            class Mailbox
            {
                private readonly object _sync = new();
                private readonly Queue<string> _queue = new Queue<string>();

                public void Put(string message)
                {
                    _queue.Enqueue(message);
                    Monitor.{|#0:Pulse|}(_sync);
                }

                public bool Idle => Monitor.{|#1:Wait|}(_sync, 10);
            }
            """,
            Verify.Diagnostic(MonitorProtocolMisuseAnalyzer.OutsideLockRule).WithLocation(0).WithArguments("Pulse", "_sync"),
            Verify.Diagnostic(MonitorProtocolMisuseAnalyzer.OutsideLockRule).WithLocation(1).WithArguments("Wait", "_sync"));

    [Fact]
    public Task Pulse_without_a_lock_on_a_gate_handed_in_or_in_a_lambda_or_private_helper_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;

            class Signal
            {
                private readonly object _shared;
                private readonly object _own = new object();
                public Signal(object shared) { _shared = shared; }

                // The creator locks the shared gate around this call.
                public void Set() => Monitor.PulseAll(_shared);
                public Action Setter() => () => Monitor.PulseAll(_own);
                internal void Run(Action<Action> underLock) => underLock(() => Monitor.PulseAll(_own));
                private void SetLocked() => Monitor.PulseAll(_own);
                public void Set2() { lock (_own) { SetLocked(); } }
            }
            """);

    [Fact]
    public Task Pulse_in_a_helper_called_under_the_lock_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;

            class Q
            {
                private readonly object _gate = new object();
                private int _n;
                public void Add() { lock (_gate) { _n++; SignalLocked(); } }
                private void SignalLocked() => Monitor.PulseAll(_gate);
            }
            """);

    [Fact]
    public Task Upgradeable_then_write_and_writes_under_write_lock_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Generic;
            using System.Threading;

            class Cache
            {
                private readonly ReaderWriterLockSlim _rw = new ReaderWriterLockSlim();
                private readonly Dictionary<string, int> _cache = new Dictionary<string, int>();

                public int Get(string key)
                {
                    _rw.EnterUpgradeableReadLock();
                    try
                    {
                        if (_cache.TryGetValue(key, out var v)) return v;
                        _rw.EnterWriteLock();
                        try { return _cache[key] = key.Length; }
                        finally { _rw.ExitWriteLock(); }
                    }
                    finally { _rw.ExitUpgradeableReadLock(); }
                }
            }
            """);

    [Fact]
    public Task Reads_and_locals_under_read_lock_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Concurrent;
            using System.Collections.Generic;
            using System.Threading;

            class Cache
            {
                private readonly ReaderWriterLockSlim _rw = new ReaderWriterLockSlim();
                private readonly Dictionary<string, int> _cache = new Dictionary<string, int>();
                private readonly ConcurrentDictionary<string, int> _hits = new ConcurrentDictionary<string, int>();

                public int Sum()
                {
                    _rw.EnterReadLock();
                    try
                    {
                        var total = 0;
                        foreach (var pair in _cache) total += pair.Value;
                        _hits["sum"] = total;
                        var copy = new List<int>();
                        copy.Add(total);
                        return total;
                    }
                    finally { _rw.ExitReadLock(); }
                }
            }
            """);

    [Fact]
    public Task Half_typed_code_does_not_crash()
        => new Verify.Test
        {
            TestCode = """
                using System.Threading;
                class Q { void M() { if (x) Monitor.Wait(; } }
                """,
            FixedCode = """
                using System.Threading;
                class Q { void M() { if (x) Monitor.Wait(; } }
                """,
            CompilerDiagnostics = CompilerDiagnostics.None,
        }.RunAsync();
}
