using Xunit;

namespace ConcurrencyAnalyzers.Tests.Analysis;

public sealed class LockRegionsTests
{
    private const string Prelude = """
        using System;
        using System.Threading;
        using System.Threading.Tasks;

        partial class C
        {
            static void Probe(string label) { }
            readonly object _gate = new object();
            readonly SemaphoreSlim _sem = new SemaphoreSlim(1, 1);
            readonly ReaderWriterLockSlim _rw = new ReaderWriterLockSlim();
            AsyncLock _asyncLock = new AsyncLock();
        }

        sealed class AsyncLock
        {
            public Task<IDisposable> LockAsync() => Task.FromResult<IDisposable>(null!);
        }

        """;

    private static Task<IReadOnlyDictionary<string, bool>> RunAsync(string body, bool stopAtLambda = false)
        => LockAnalysisHarness.InsideLockAtProbesAsync(Prelude + "partial class C\n{\n" + body + "\n}\n", stopAtLambda);

    [Fact]
    public async Task Lock_statement_body()
    {
        var inside = await RunAsync("""
            void M()
            {
                Probe("before");
                lock (_gate) { if (true) { Probe("inside"); } }
                Probe("after");
            }
            """);
        Assert.False(inside["before"]);
        Assert.True(inside["inside"]);
        Assert.False(inside["after"]);
    }

    [Fact]
    public async Task Acquire_then_try_finally_release()
    {
        var inside = await RunAsync("""
            async Task M()
            {
                await _sem.WaitAsync();
                try { Probe("try"); }
                finally { _sem.Release(); }
                Probe("after");
                _rw.EnterWriteLock();
                Probe("between");
                _rw.ExitWriteLock();
                Probe("released");
            }
            """);
        Assert.True(inside["try"]);
        Assert.False(inside["after"]);
        Assert.True(inside["between"]);
        Assert.False(inside["released"]);
    }

    [Fact]
    public async Task LockTaken_pattern_and_try_enter_branches()
    {
        var inside = await RunAsync("""
            void M()
            {
                bool taken = false;
                try { Monitor.Enter(_gate, ref taken); Probe("taken"); }
                finally { if (taken) Monitor.Exit(_gate); }
                if (Monitor.TryEnter(_gate)) { Probe("try enter"); Monitor.Exit(_gate); } else { Probe("else"); }
            }
            void N()
            {
                if (!_sem.Wait(10)) return;
                Probe("guarded");
                _sem.Release();
            }
            """);
        Assert.True(inside["taken"]);
        Assert.True(inside["try enter"]);
        Assert.False(inside["else"]);
        Assert.True(inside["guarded"]);
    }

    [Fact]
    public async Task Async_lock_helper_released_by_using()
    {
        var inside = await RunAsync("""
            async Task M()
            {
                using (await _asyncLock.LockAsync()) { Probe("using"); }
                Probe("after");
            }
            async Task N()
            {
                using var _ = await _asyncLock.LockAsync();
                Probe("declaration");
            }
            """);
        Assert.True(inside["using"]);
        Assert.False(inside["after"]);
        Assert.True(inside["declaration"]);
    }

    [Fact]
    public async Task StopAt_lambda_boundary()
    {
        const string Body = """
            void M()
            {
                lock (_gate) { Task.Run(() => Probe("lambda")); }
            }
            """;
        Assert.True((await RunAsync(Body))["lambda"]);
        Assert.False((await RunAsync(Body, stopAtLambda: true))["lambda"]);
    }
}
