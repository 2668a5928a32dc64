using ConcurrencyAnalyzers.Locking;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencyAnalyzers.Locking.BlockingOnAsyncInsideLockAnalyzer>;

namespace ConcurrencyAnalyzers.Tests.Locking;

public sealed class BlockingOnAsyncInsideLockTests
{
    private const string Members = """
            private readonly object _gate = new object();
            private string? _token;
            private Task<string> GetTokenAsync() => Task.FromResult("t");
            private Task FlushAsync() => Task.CompletedTask;
        """;

    private static string Wrap(string body) => $$"""
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;

        class C
        {
        {{Members}}
        {{body}}
        }
        """;

    [Fact]
    public Task Result_inside_lock_is_reported_with_the_lock_name()
        => Verify.VerifyAnalyzerAsync(
            Wrap("""
                public string Get()
                {
                    lock (_gate)
                    {
                        _token ??= GetTokenAsync().{|#0:Result|};
                        return _token;
                    }
                }
            """),
            Verify.Diagnostic(BlockingOnAsyncInsideLockAnalyzer.BlockingRule).WithLocation(0).WithArguments(".Result", "_gate"));

    [Fact]
    public Task Wait_GetResult_and_WaitAll_inside_lock_are_reported()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                public void M(Task a, Task b)
                {
                    lock (_gate)
                    {
                        FlushAsync().{|CONC202:Wait|}();
                        GetTokenAsync().GetAwaiter().{|CONC202:GetResult|}();
                        Task.{|CONC202:WaitAll|}(a, b);
                    }
                }
            """));

    [Fact]
    public Task Result_under_explicit_Monitor_and_ReaderWriterLockSlim_is_reported()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                private readonly ReaderWriterLockSlim _rw = new ReaderWriterLockSlim();
                public string M()
                {
                    Monitor.Enter(_gate);
                    try { return GetTokenAsync().{|CONC202:Result|}; }
                    finally { Monitor.Exit(_gate); }
                }
                public string N()
                {
                    _rw.EnterReadLock();
                    try { return GetTokenAsync().{|CONC202:Result|}; }
                    finally { _rw.ExitReadLock(); }
                }
            """));

    [Fact]
    public Task Async_call_discarded_inside_lock_is_reported()
        => Verify.VerifyAnalyzerAsync(
            Wrap("""
                private readonly List<int> _pending = new List<int>();
                public void Add(int item)
                {
                    lock (_gate)
                    {
                        _pending.Add(item);
                        if (_pending.Count >= 100)
                            _ = {|#0:FlushAsync()|};
                    }
                }
            """),
            Verify.Diagnostic(BlockingOnAsyncInsideLockAnalyzer.StartedRule).WithLocation(0).WithArguments("FlushAsync", "_gate"));

    [Fact]
    public Task Async_call_returned_from_inside_a_monitor_region_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                public ValueTask<int> TakeAsync(bool quick)
                {
                    bool taken = false;
                    try
                    {
                        Monitor.TryEnter(_gate, 100, ref taken);
                        if (!taken) return FailAsync(1);
                        if (quick) return (FailAsync(2));
                        return new ValueTask<int>(0);
                    }
                    finally
                    {
                        if (taken) Monitor.Exit(_gate);
                    }
                }
                private static ValueTask<int> FailAsync(int reason) => new ValueTask<int>(reason);
            """));

    [Fact]
    public Task Async_call_started_inside_lock_and_awaited_after_it_is_reported()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                private async Task SaveAsync()
                {
                    await Task.Yield();
                    _token = "saved";
                }

                public async Task M(System.IO.Stream stream)
                {
                    Task t;
                    lock (_gate)
                    {
                        t = {|CONC202:SaveAsync()|};
                    }
                    await t;

                    lock (_gate)
                    {
                        t = {|CONC202:stream.FlushAsync()|};
                    }
                    await t;
                }
            """));

    [Fact]
    public Task Waiter_registered_under_the_lock_by_a_method_that_is_not_async_and_awaited_after_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                private readonly List<TaskCompletionSource<bool>> _waiters = new List<TaskCompletionSource<bool>>();

                private Task WaitForChangeAsync()
                {
                    var waiter = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                    _waiters.Add(waiter);
                    return waiter.Task;
                }

                public async Task WaitUntilReadyAsync()
                {
                    Task ready;
                    lock (_gate)
                    {
                        if (_token is not null)
                        {
                            return;
                        }

                        ready = WaitForChangeAsync();
                    }

                    await ready;
                }
            """));

    [Fact]
    public Task Result_inside_a_lambda_run_in_a_lock_body_is_reported_in_its_own_lock_only()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                public void M()
                {
                    Task.Run(() =>
                    {
                        lock (_gate) { return GetTokenAsync().{|CONC202:Result|}; }
                    });
                }
            """));

    [Fact]
    public Task Result_in_a_local_function_called_only_inside_lock_is_reported_with_the_lock_name()
        => Verify.VerifyAnalyzerAsync(
            Wrap("""
                public string Get()
                {
                    lock (_gate)
                    {
                        return Token();
                    }

                    string Token() => _token ??= GetTokenAsync().{|#0:Result|};
                }
            """),
            Verify.Diagnostic(BlockingOnAsyncInsideLockAnalyzer.BlockingRule).WithLocation(0).WithArguments(".Result", "_gate"));

    // ---- near misses ----

    [Fact]
    public Task Async_call_started_under_a_semaphore_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                private readonly SemaphoreSlim _sem = new SemaphoreSlim(1, 1);
                public async Task M()
                {
                    await _sem.WaitAsync();
                    try
                    {
                        var pending = FlushAsync();
                        _ = GetTokenAsync();
                        await pending;
                    }
                    finally { _sem.Release(); }
                }
            """));

    [Fact]
    public Task Monitor_Wait_inside_lock_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                private readonly Queue<int> _queue = new Queue<int>();
                public int Take()
                {
                    lock (_gate)
                    {
                        while (_queue.Count == 0) Monitor.Wait(_gate);
                        return _queue.Dequeue();
                    }
                }
            """));

    [Fact]
    public Task Semaphore_Wait_is_not_a_task_wait_but_a_Task_of_T_Wait_and_a_started_Wait_method_under_it_are_reported()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                private readonly SemaphoreSlim _sem = new SemaphoreSlim(1, 1);
                private async Task<int> Wait(int ms) { await Task.Delay(ms); return ms; }
                public void M(Task<string> pending)
                {
                    _sem.Wait();
                    try
                    {
                        pending.{|CONC202:Wait|}();
                    }
                    finally { _sem.Release(); }
                }

                public void N()
                {
                    _sem.Wait();
                    try { _ = _sem.AvailableWaitHandle; }
                    finally { _sem.Release(); }
                    lock (_gate)
                    {
                        _ = {|CONC202:Wait(5)|};
                    }
                }
            """));

    [Fact]
    public Task Task_created_and_stored_in_a_field_under_lock_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                private Task<string>? _tokenTask;
                public Task<string> GetAsync()
                {
                    lock (_gate)
                    {
                        return _tokenTask ??= GetTokenAsync();
                    }
                }
                public Task<string> Get2()
                {
                    lock (_gate) { _tokenTask = GetTokenAsync(); }
                    return _tokenTask;
                }
            """));

    [Fact]
    public Task Result_after_await_Task_WhenAll_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                private string _a = "", _b = "";
                public async Task M()
                {
                    var first = GetTokenAsync();
                    var second = GetTokenAsync();
                    await Task.WhenAll(first, second);
                    lock (_gate)
                    {
                        _a = first.Result;
                        _b = second.Result;
                    }
                }
            """));

    [Fact]
    public Task Result_outside_the_lock_and_after_release_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                public string M()
                {
                    string token;
                    lock (_gate) { token = _token ?? ""; }
                    Monitor.Enter(_gate);
                    try { } finally { Monitor.Exit(_gate); }
                    return token + GetTokenAsync().Result;
                }
            """));

    [Fact]
    public Task Task_started_in_lock_in_async_method_as_statement_is_left_to_CS4014()
        => new Verify.Test
        {
            TestCode = Wrap("""
                public async Task M()
                {
                    lock (_gate) { FlushAsync(); }
                    await Task.Yield();
                }
            """),
            CompilerDiagnostics = CompilerDiagnostics.None,
        }.RunAsync();

    [Fact]
    public Task Result_of_a_checked_completed_task_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                public string? M(Task<string> pending)
                {
                    lock (_gate)
                    {
                        return pending.IsCompletedSuccessfully ? pending.Result : null;
                    }
                }
            """));

    [Fact]
    public Task Result_of_a_task_checked_by_a_property_pattern_or_through_conditional_access_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                private Task<string>? _load;
                public string? ByDesignation()
                {
                    lock (_gate)
                    {
                        return _load is { IsCompletedSuccessfully: true } done ? done.Result : null;
                    }
                }
                public string? ByInput()
                {
                    lock (_gate)
                    {
                        if (_load is { IsCompleted: true }) return _load.Result;
                        return null;
                    }
                }
                public string? ByConditionalAccess()
                {
                    lock (_gate)
                    {
                        return _load?.IsCompletedSuccessfully == true ? _load.Result : null;
                    }
                }
                public string Unchecked(Task<string> other)
                {
                    lock (_gate)
                    {
                        return _load is { IsCompleted: true } ? other.{|CONC202:Result|} : "";
                    }
                }
            """));

    [Fact]
    public Task Result_checked_through_a_bool_property_wrapping_the_tasks_status_is_not_reported_other_properties_are_not_checks()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading.Tasks;

            class CacheValue
            {
                private readonly TaskCompletionSource<string> _value = new TaskCompletionSource<string>();
                private readonly Task<int> _count = Task.FromResult(0);
                private readonly object _gate = new object();
                private bool _evicted;

                public bool HasValue => _value.Task.Status == TaskStatus.RanToCompletion;

                public bool IsEvicted => _evicted;

                public string? Evict()
                {
                    lock (_gate)
                    {
                        if (HasValue)
                        {
                            return _value.Task.Result;
                        }

                        if (IsEvicted)
                        {
                            return _count.{|CONC202:Result|}.ToString();
                        }

                        return null;
                    }
                }
            }
            """);

    [Fact]
    public Task Result_checked_by_an_IsCompletedSuccessfully_extension_method_is_not_reported_an_unchecked_one_is()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading.Tasks;

            static class TaskExtensions
            {
                public static bool IsCompletedSuccessfully(this Task task) => task.Status == TaskStatus.RanToCompletion;
            }

            class Call
            {
                public Task<int> CallTask { get; } = Task.FromResult(0);
            }

            class Writer
            {
                private readonly object _writeLock = new object();
                private readonly Call _call = new Call();

                public int Write(Task<int> other)
                {
                    lock (_writeLock)
                    {
                        if (_call.CallTask.IsCompletedSuccessfully())
                        {
                            return _call.CallTask.Result;
                        }

                        return other.{|CONC202:Result|};
                    }
                }
            }
            """);

    [Fact]
    public Task Half_typed_code_does_not_crash()
        => new Verify.Test
        {
            TestCode = Wrap("""
                public void M()
                {
                    lock (_gate) { Missing().Result
                }
            """),
            CompilerDiagnostics = CompilerDiagnostics.None,
        }.RunAsync();

    [Fact]
    public Task Sync_mode_call_of_the_dual_path_idiom_inside_a_lock_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                private Task Write(bool async) => async ? FlushAsync() : Task.CompletedTask;
                private Task<int> Read(int count, bool isAsync) => Task.FromResult(count);

                public int KeepAlive()
                {
                    lock (_gate)
                    {
                        // Completes synchronously: async: false is the sync API.
                        Write(async: false).GetAwaiter().GetResult();
                        Write(false).Wait();
                        return Read(1, isAsync: false).Result;
                    }
                }

                public void Near()
                {
                    lock (_gate)
                    {
                        Write(async: true).GetAwaiter().{|CONC202:GetResult|}();
                    }
                }
            """));

    [Fact]
    public Task Zero_timeout_task_poll_inside_a_lock_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                private Task? _flush;

                public bool IsFlushed()
                {
                    lock (_gate)
                    {
                        return _flush is null || _flush.Wait(0) || _flush.Wait(System.TimeSpan.Zero);
                    }
                }
            """));

    [Fact]
    public Task Wait_in_a_local_function_also_called_outside_the_lock_or_on_a_completed_task_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                public void Mixed()
                {
                    Flush();
                    lock (_gate)
                    {
                        Flush();
                    }

                    void Flush() => FlushAsync().Wait();
                }

                public async Task<string> Completed()
                {
                    var pending = GetTokenAsync();
                    await pending;
                    lock (_gate)
                    {
                        return Read();
                    }

                    string Read() => pending.Result;
                }
            """));

    [Fact]
    public Task Call_under_a_lock_of_a_method_that_blocks_only_on_completed_tasks_lambdas_or_virtually_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                private Task<string>? _load;
                private ISource _source = null!;

                public interface ISource { string Load(); }

                private string FromResult() => Task.FromResult("x").Result;
                private string Guarded() { var t = GetTokenAsync(); return t.IsCompleted ? t.Result : "none"; }
                private string FromField() => _load!.Result;
                private System.Func<string> Later() => () => GetTokenAsync().Result;
                private string InLocal() { return Read(); string Read() => GetTokenAsync().Result; }
                protected virtual string Overridable() => GetTokenAsync().Result;
                private async Task<string> AsyncCallee() { await Task.Yield(); return GetTokenAsync().Result; }
                private string OwnLock() { lock (_gate) { return "x"; } }
                private string Plain() => _token ?? "x";

                public void Refresh()
                {
                    lock (_gate)
                    {
                        _token = FromResult() + Guarded() + FromField() + Later() + InLocal() + Overridable() + _source.Load() + OwnLock() + Plain();
                        _load = AsyncCallee();
                    }
                }

                public string Recurse(int depth)
                {
                    lock (_gate)
                    {
                        if (depth > 0)
                        {
                            return Recurse(depth - 1);
                        }
                    }

                    return GetTokenAsync().Result;
                }
            """));

    [Fact]
    public Task Sync_over_async_wrapper_called_outside_any_lock_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                private string Load() => GetTokenAsync().GetAwaiter().GetResult();

                public void Refresh()
                {
                    var value = Load();
                    lock (_gate)
                    {
                        _token = value;
                    }
                }
            """));

    [Fact]
    public Task Sync_over_async_wrapper_called_inside_a_lock_is_reported_at_the_call_naming_the_callee()
        => Verify.VerifyAnalyzerAsync(
            Wrap("""
                private string Load() => GetTokenAsync().GetAwaiter().GetResult();
                private void Save(string value) { var pending = FlushAsync(); pending.Wait(); }

                public void Refresh()
                {
                    lock (_gate)
                    {
                        _token = {|#0:Load()|};
                    }
                }

                public void Store()
                {
                    Monitor.Enter(_gate);
                    try { {|#1:this.Save("v")|}; }
                    finally { Monitor.Exit(_gate); }
                }
            """),
            Verify.Diagnostic(BlockingOnAsyncInsideLockAnalyzer.CalleeRule).WithLocation(0).WithArguments("Load", ".GetAwaiter().GetResult()", "_gate"),
            Verify.Diagnostic(BlockingOnAsyncInsideLockAnalyzer.CalleeRule).WithLocation(1).WithArguments("Save", ".Wait()", "_gate"));
}
