using System.Text;
using ConcurrencyAnalyzers.Tests.Verifiers;
using Xunit;

namespace ConcurrencyAnalyzers.Tests.Analysis;

public sealed class HeldLocksTests
{
    private const string Prelude = """
        using System;
        using System.Threading;
        using System.Threading.Tasks;

        partial class C
        {
            static void Probe(string label) { }
            readonly object _gate = new object();
            readonly object _other = new object();
            readonly SemaphoreSlim _sem = new SemaphoreSlim(1, 1);
            readonly ReaderWriterLockSlim _rw = new ReaderWriterLockSlim();
            readonly Mutex _mutex = new Mutex();
            SpinLock _spin = new SpinLock(false);
        }

        """;

    private static Task<IReadOnlyDictionary<string, string>> RunAsync(string body)
        => LockAnalysisHarness.HeldAtProbesAsync(Prelude + "partial class C\n{\n" + body + "\n}\n");

    [Fact]
    public async Task Lock_statement_is_held_inside_its_body_only()
    {
        var held = await RunAsync("""
            void M()
            {
                Probe("before");
                lock (_gate)
                {
                    Probe("inside");
                    lock (_other) { Probe("nested"); }
                }
                Probe("after");
            }
            """);
        Assert.Equal("may:|must:", held["before"]);
        Assert.Equal("may:_gate|must:_gate", held["inside"]);
        Assert.Equal("may:_gate,_other|must:_gate,_other", held["nested"]);
        Assert.Equal("may:|must:", held["after"]);
    }

    [Fact]
    public async Task Monitor_enter_with_finally_exit_is_released_after_the_try()
    {
        var held = await RunAsync("""
            async Task M()
            {
                Monitor.Enter(_gate);
                try { Probe("inside"); await Task.Yield(); }
                finally { Probe("finally"); Monitor.Exit(_gate); }
                Probe("after");
            }
            """);
        Assert.Equal("may:_gate|must:_gate", held["inside"]);
        Assert.Equal("may:_gate|must:_gate", held["finally"]);
        Assert.Equal("may:|must:", held["after"]);
    }

    [Fact]
    public async Task TryEnter_result_splits_the_branches()
    {
        var held = await RunAsync("""
            void M()
            {
                if (Monitor.TryEnter(_gate, 100))
                {
                    try { Probe("taken"); } finally { Monitor.Exit(_gate); }
                }
                else
                {
                    Probe("not taken");
                }
                Probe("after");
            }
            """);
        Assert.Equal("may:_gate|must:_gate", held["taken"]);
        Assert.Equal("may:|must:", held["not taken"]);
        Assert.Equal("may:|must:", held["after"]);
    }

    [Fact]
    public async Task LockTaken_local_splits_the_branches()
    {
        var held = await RunAsync("""
            void M()
            {
                bool taken = false;
                try
                {
                    Monitor.TryEnter(_gate, 10, ref taken);
                    if (!taken) { Probe("not taken"); return; }
                    Probe("taken");
                }
                finally
                {
                    if (taken) Monitor.Exit(_gate);
                }
                Probe("after");
            }
            """);
        Assert.Equal("may:|must:", held["not taken"]);
        Assert.Equal("may:_gate|must:_gate", held["taken"]);
        Assert.Equal("may:|must:", held["after"]);
    }

    [Fact]
    public async Task Timed_WaitAsync_guard_holds_the_semaphore_after_it()
    {
        var held = await RunAsync("""
            async Task M()
            {
                if (!await _sem.WaitAsync(100)) { Probe("timeout"); return; }
                try { Probe("held"); } finally { _sem.Release(); }
                Probe("after");
            }
            """);
        Assert.Equal("may:|must:", held["timeout"]);
        Assert.Equal("may:_sem|must:_sem", held["held"]);
        Assert.Equal("may:|must:", held["after"]);
    }

    [Fact]
    public async Task Conditional_acquire_is_may_held_but_not_must_held()
    {
        var held = await RunAsync("""
            void M(bool b)
            {
                if (b) _rw.EnterReadLock();
                Probe("maybe");
                if (b) _rw.ExitReadLock();
                Probe("after");
            }
            """);
        Assert.Equal("may:_rw(Read)|must:", held["maybe"]);

        // Path-insensitive: the correlated release does not clear the may-held set.
        Assert.Equal("may:_rw(Read)|must:", held["after"]);
    }

    [Fact]
    public async Task Reader_writer_modes_are_released_separately()
    {
        var held = await RunAsync("""
            void M()
            {
                _rw.EnterUpgradeableReadLock();
                _rw.EnterWriteLock();
                _rw.ExitWriteLock();
                Probe("upgradeable");
                _rw.ExitUpgradeableReadLock();
                Probe("none");
            }
            """);
        Assert.Equal("may:_rw(UpgradeableRead)|must:_rw(UpgradeableRead)", held["upgradeable"]);
        Assert.Equal("may:|must:", held["none"]);
    }

    [Fact]
    public async Task Lambda_body_starts_with_no_lock_held()
    {
        var held = await RunAsync("""
            void M()
            {
                lock (_gate)
                {
                    Action a = () => Probe("lambda");
                    void Local() => Probe("local");
                    a();
                    Local();
                }
            }
            """);
        Assert.Equal("may:|must:", held["lambda"]);
        Assert.Equal("may:|must:", held["local"]);
    }

    [Fact]
    public async Task Catch_block_sees_the_lock_taken_in_the_try()
    {
        var held = await RunAsync("""
            void M()
            {
                try
                {
                    _mutex.WaitOne();
                    Work();
                    _mutex.ReleaseMutex();
                }
                catch (Exception)
                {
                    Probe("catch");
                }
            }
            static void Work() { }
            """);
        Assert.Equal("may:_mutex|must:", held["catch"]);
    }

    [Fact]
    public async Task Loop_with_acquire_and_release_reaches_a_fixed_point()
    {
        var held = await RunAsync("""
            void M(int n)
            {
                for (var i = 0; i < n; i++)
                {
                    Probe("loop head");
                    bool taken = false;
                    _spin.Enter(ref taken);
                    Probe("in loop");
                    if (taken) _spin.Exit();
                }
                Probe("after");
            }
            """);
        Assert.Equal("may:|must:", held["loop head"]);
        Assert.Equal("may:_spin|must:_spin", held["in loop"]);
        Assert.Equal("may:|must:", held["after"]);
    }

    [Fact]
    public async Task Lock_EnterScope_is_held_until_the_scope_is_disposed()
    {
        var held = await LockAnalysisHarness.HeldAtProbesAsync("""
            using System.Threading;

            class C
            {
                static void Probe(string label) { }
                readonly Lock _lock = new();

                void M()
                {
                    using (_lock.EnterScope()) { Probe("using"); }
                    Probe("after using");
                    lock (_lock) { Probe("lock"); }
                    Probe("after lock");
                }
            }
            """, TestReferences.Net100);
        Assert.Equal("may:_lock|must:_lock", held["using"]);
        Assert.Equal("may:|must:", held["after using"]);
        Assert.Equal("may:_lock|must:_lock", held["lock"]);
        Assert.Equal("may:|must:", held["after lock"]);
    }

    [Fact]
    public async Task Large_method_is_analyzed_without_giving_up()
    {
        var body = new StringBuilder("void M(int n)\n{\n");
        for (var i = 0; i < 400; i++)
        {
            body.AppendLine(i % 2 == 0 ? "    lock (_gate) { n++; if (n > 3) { n--; } }" : "    Monitor.Enter(_other); try { n += 2; } finally { Monitor.Exit(_other); }");
        }

        body.AppendLine("    Probe(\"end\");\n}");
        var held = await RunAsync(body.ToString());
        Assert.Equal("may:|must:", held["end"]);
    }
}
