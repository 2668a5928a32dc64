using ConcurrencyAnalyzers.SharedState;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<
    ConcurrencyAnalyzers.SharedState.NonAtomicUpdateAnalyzer,
    ConcurrencyAnalyzers.CodeFixes.SharedState.NonAtomicUpdateCodeFix>;

namespace ConcurrencyAnalyzers.Tests.SharedState;

public sealed class NonAtomicUpdateTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Linq;
        using System.Threading;
        using System.Threading.Tasks;

        """;

    // ---- reported ----

    [Fact]
    public Task Captured_counter_incremented_in_Parallel_ForEach_becomes_Interlocked_Increment_and_imports_the_namespace()
        => Verify.VerifyCodeFixAsync("""
            using System.Threading.Tasks;

            class Jobs
            {
                static bool Run(int job) => job > 0;

                int CountFailures(int[] jobs)
                {
                    int failures = 0;
                    Parallel.ForEach(jobs, j =>
                    {
                        // one more failure
                        if (!Run(j)) {|#0:failures++|}; // lost otherwise
                    });
                    return failures;
                }
            }
            """,
            new[] { Verify.Diagnostic(NonAtomicUpdateAnalyzer.Rule).WithLocation(0).WithArguments("failures", "Parallel.ForEach") },
            """
            using System.Threading;
            using System.Threading.Tasks;

            class Jobs
            {
                static bool Run(int job) => job > 0;

                int CountFailures(int[] jobs)
                {
                    int failures = 0;
                    Parallel.ForEach(jobs, j =>
                    {
                        // one more failure
                        if (!Run(j)) Interlocked.Increment(ref failures); // lost otherwise
                    });
                    return failures;
                }
            }
            """);

    [Fact]
    public Task Field_updates_after_await_in_WhenAll_projection_become_Interlocked_calls_with_Fix_All()
        => Verify.VerifyCodeFixAsync(Usings + """
            class Stats
            {
                private long _bytes;
                private int _pending;
                private int _errors;

                async Task DownloadAsync(string[] urls)
                {
                    await Task.WhenAll(urls.Select(async u =>
                    {
                        var size = await Task.FromResult(u.Length);
                        {|CONC302:_bytes += size|};
                        {|CONC302:_pending--|};
                        {|CONC302:_errors -= size % 2|};
                    }));
                }
            }
            """,
            Usings + """
            class Stats
            {
                private long _bytes;
                private int _pending;
                private int _errors;

                async Task DownloadAsync(string[] urls)
                {
                    await Task.WhenAll(urls.Select(async u =>
                    {
                        var size = await Task.FromResult(u.Length);
                        Interlocked.Add(ref _bytes, size);
                        Interlocked.Decrement(ref _pending);
                        Interlocked.Add(ref _errors, -(size % 2));
                    }));
                }
            }
            """);

    [Fact]
    public Task Counter_bumped_in_a_private_method_a_timer_runs_and_read_elsewhere_is_reported()
        => Verify.VerifyCodeFixAsync(Usings + """
            class Heartbeat : IDisposable
            {
                private readonly Timer _timer;
                private int _beats;
                private int _local;

                public Heartbeat() => _timer = new Timer(_ => Beat(), null, 0, 1000);

                public int Beats => _beats + _local;

                private void Beat()
                {
                    {|CONC302:_beats++|};
                }

                private void Count() => _local++;

                public void Dispose() => _timer.Dispose();
            }
            """,
            Usings + """
            class Heartbeat : IDisposable
            {
                private readonly Timer _timer;
                private int _beats;
                private int _local;

                public Heartbeat() => _timer = new Timer(_ => Beat(), null, 0, 1000);

                public int Beats => _beats + _local;

                private void Beat()
                {
                    Interlocked.Increment(ref _beats);
                }

                private void Count() => _local++;

                public void Dispose() => _timer.Dispose();
            }
            """);

    [Fact]
    public Task LocalFinally_adding_into_a_shared_total_without_Interlocked_is_reported()
        => Verify.VerifyCodeFixAsync(Usings + """
            class Sum
            {
                long Total(int[] data)
                {
                    long total = 0;
                    Parallel.For(0, data.Length, () => 0L, (i, state, local) => local + data[i], local => {|CONC302:total += local|});
                    return total;
                }
            }
            """,
            Usings + """
            class Sum
            {
                long Total(int[] data)
                {
                    long total = 0;
                    Parallel.For(0, data.Length, () => 0L, (i, state, local) => local + data[i], local => Interlocked.Add(ref total, local));
                    return total;
                }
            }
            """);

    [Fact]
    public Task Self_assignment_doubles_and_used_postfix_values_are_reported_without_a_fix()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Mixed
            {
                void Run(int[] items)
                {
                    int sum = 0;
                    double mean = 0;
                    int next = 0;
                    var ids = new int[items.Length];
                    Parallel.For(0, items.Length, i =>
                    {
                        {|CONC302:sum = sum + items[i]|};
                        {|CONC302:mean += items[i] / 2.0|};
                        ids[i] = {|CONC302:next++|};
                    });
                }
            }
            """);

    [Fact]
    public Task Counter_in_tasks_started_in_a_loop_and_in_an_async_method_started_together_is_reported()
        => Verify.VerifyCodeFixAsync(Usings + """
            class Worker
            {
                private int _done;

                async Task RunAsync(int[] items)
                {
                    var tasks = new List<Task>();
                    var started = 0;
                    foreach (var item in items)
                    {
                        tasks.Add(Task.Run(() => { {|CONC302:started++|}; }));
                        tasks.Add(ProcessAsync(item));
                    }

                    await Task.WhenAll(tasks);
                }

                private async Task ProcessAsync(int item)
                {
                    await Task.Delay(item);
                    {|CONC302:_done++|};
                }
            }
            """,
            Usings + """
            class Worker
            {
                private int _done;

                async Task RunAsync(int[] items)
                {
                    var tasks = new List<Task>();
                    var started = 0;
                    foreach (var item in items)
                    {
                        tasks.Add(Task.Run(() => { Interlocked.Increment(ref started); }));
                        tasks.Add(ProcessAsync(item));
                    }

                    await Task.WhenAll(tasks);
                }

                private async Task ProcessAsync(int item)
                {
                    await Task.Delay(item);
                    Interlocked.Increment(ref _done);
                }
            }
            """);

    [Fact]
    public Task Prefix_increment_whose_value_is_used_keeps_the_new_value()
        => Verify.VerifyCodeFixAsync(Usings + """
            class Ids
            {
                private int _last;

                void Assign(int[] slots)
                {
                    Parallel.For(0, slots.Length, i => slots[i] = {|CONC302:++_last|});
                }
            }
            """,
            Usings + """
            class Ids
            {
                private int _last;

                void Assign(int[] slots)
                {
                    Parallel.For(0, slots.Length, i => slots[i] = Interlocked.Increment(ref _last));
                }
            }
            """);

    [Fact]
    public Task Counter_incremented_in_a_local_function_called_only_from_a_Parallel_For_lambda_is_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Jobs
            {
                int CountEven(int n)
                {
                    var even = 0;
                    Parallel.For(0, n, i =>
                    {
                        if (i % 2 == 0)
                        {
                            Tally();
                        }
                    });
                    return even;

                    void Tally() => {|CONC302:even++|};
                }
            }
            """);

    // ---- not reported ----

    [Fact]
    public Task Interlocked_and_updates_under_lock_are_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Safe
            {
                private readonly object _gate = new object();
                private readonly SemaphoreSlim _mutex = new SemaphoreSlim(1, 1);
                private double _mean;

                async Task RunAsync(int[] items)
                {
                    int a = 0, b = 0;
                    Parallel.ForEach(items, x =>
                    {
                        Interlocked.Increment(ref a);
                        lock (_gate) { b += x; _mean += x; }
                    });
                    await Task.WhenAll(items.Select(async x =>
                    {
                        await Task.Delay(x);
                        await _mutex.WaitAsync();
                        try { _mean -= x; }
                        finally { _mutex.Release(); }
                    }));
                }
            }
            """);

    [Fact]
    public Task Volatile_fields_and_variables_also_updated_with_Interlocked_are_left_to_CONC305()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Mixed
            {
                private volatile int _inFlight;
                private int _count;

                void Run(int[] items)
                {
                    int local = 0;
                    Parallel.ForEach(items, x =>
                    {
                        _inFlight++;
                        _count++;
                        local += x;
                    });
                    Interlocked.Increment(ref _count);
                    Interlocked.Add(ref local, 1);
                }
            }
            """);

    [Fact]
    public Task Per_worker_and_per_iteration_state_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Safe
            {
                void Run(int[] data)
                {
                    Parallel.For(0, data.Length, () => 0, (i, state, local) => { local += data[i]; return local; }, local => { });
                    Parallel.ForEach(data, x =>
                    {
                        var steps = 0;
                        for (var i = 0; i < x; i++) steps++;
                        x += 1;
                        Func<int, int> twice = n => { var t = n; t *= 2; return t; };
                    });
                }
            }
            """);

    [Fact]
    public Task Sequential_code_and_the_part_before_the_first_await_are_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Safe
            {
                private int _started;

                async Task RunAsync(int[] items)
                {
                    var total = 0;
                    items.ToList().ForEach(x => total += x);
                    await Task.Run(() => total++);
                    foreach (var x in items)
                    {
                        await Task.Run(() => total += x);
                    }

                    await Task.WhenAll(items.Select(async x =>
                    {
                        _started++;
                        await Task.Delay(x);
                    }));
                    total++;
                }
            }
            """);

    [Fact]
    public Task Single_background_task_with_its_own_counter_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Pump
            {
                Task<int> CountAsync(IEnumerable<int> source)
                {
                    var seen = 0;
                    return Task.Run(() =>
                    {
                        foreach (var x in source) seen++;
                        return seen;
                    });
                }
            }
            """);

    [Fact]
    public Task Half_typed_code_does_not_throw()
    {
        var source = Usings + """
            class Broken
            {
                void Run(int[] items)
                {
                    int n = 0;
                    Parallel.ForEach(items, x => n += Missing(
                    Parallel.For(0, , i => n++
                }
            }
            """;
        var test = new Verify.Test { CompilerDiagnostics = CompilerDiagnostics.None, TestCode = source, FixedCode = source };
        return test.RunAsync();
    }

    [Fact]
    public Task Volatile_field_and_Interlocked_mixed_updates_in_concurrent_code_are_left_to_CONC305()
        => Verify.VerifyAnalyzerAsync("""
            using System.Threading;
            using System.Threading.Tasks;

            class Pump
            {
                private volatile int _inFlight;
                private int _done;

                void Run(int[] items)
                {
                    Parallel.ForEach(items, i =>
                    {
                        _inFlight++;
                        _done += i;
                    });
                    Interlocked.Increment(ref _done);
                }
            }
            """);

    [Fact]
    public Task Counter_incremented_in_a_local_function_called_under_a_lock_or_also_from_plain_code_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Jobs
            {
                private readonly object _gate = new();

                int CountEven(int n)
                {
                    var even = 0;
                    Parallel.For(0, n, i =>
                    {
                        lock (_gate)
                        {
                            Tally();
                        }
                    });
                    return even;

                    void Tally() => even++;
                }

                async Task<int> CountOddAsync(int n)
                {
                    var odd = 0;
                    Bump();
                    var work = Task.Run(() =>
                    {
                        for (var i = 1; i < n; i += 2)
                        {
                            Bump();
                        }
                    });
                    await work;
                    Bump();
                    return odd;

                    void Bump() => odd++;
                }
            }
            """);

    /// <summary>Stand-ins for the ASP.NET Core types that mark request handlers (the real packages are not referenced).</summary>
    private const string AspNetCore = """

        namespace Microsoft.AspNetCore.Http
        {
            public abstract class HttpContext { }
            public delegate System.Threading.Tasks.Task RequestDelegate(HttpContext context);
            public interface IMiddleware { System.Threading.Tasks.Task InvokeAsync(HttpContext context, RequestDelegate next); }
        }

        namespace Microsoft.AspNetCore.Mvc
        {
            public interface IActionResult { }
            public abstract class ControllerBase { public IActionResult Ok() => null!; }
            public sealed class NonActionAttribute : System.Attribute { }
        }

        namespace Microsoft.AspNetCore.SignalR
        {
            public abstract class Hub { }
        }

        namespace Microsoft.AspNetCore.Routing
        {
            public interface IEndpointRouteBuilder { }
        }

        namespace Microsoft.AspNetCore.Builder
        {
            public static class EndpointRouteBuilderExtensions
            {
                public static object MapGet(this Microsoft.AspNetCore.Routing.IEndpointRouteBuilder app, string pattern, System.Delegate handler) => handler;
            }
        }
        """;

    [Fact]
    public Task Counters_shared_by_every_request_are_reported_in_middleware_actions_and_hub_methods()
        => Verify.VerifyCodeFixAsync(Usings + """
            using Microsoft.AspNetCore.Http;
            using Microsoft.AspNetCore.Mvc;
            using Microsoft.AspNetCore.SignalR;

            sealed class CountingMiddleware
            {
                private static int _total;
                private long _served;
                private readonly RequestDelegate _next;

                public CountingMiddleware(RequestDelegate next) => _next = next;

                public async Task InvokeAsync(HttpContext context)
                {
                    {|#0:_total++|};
                    {|#1:_served += 1|};
                    await _next(context);
                }
            }

            sealed class OrdersController : ControllerBase
            {
                private static int _created;

                public IActionResult Create()
                {
                    {|#2:_created++|};
                    return Ok();
                }
            }

            sealed class ChatHub : Hub
            {
                private static int _messages;

                public Task Send(string text)
                {
                    {|#3:_messages++|};
                    return Task.CompletedTask;
                }
            }
            """ + AspNetCore,
            new[]
            {
                Verify.Diagnostic(NonAtomicUpdateAnalyzer.Rule).WithLocation(0).WithArguments("_total", "a method started concurrently with itself"),
                Verify.Diagnostic(NonAtomicUpdateAnalyzer.Rule).WithLocation(1).WithArguments("_served", "a method started concurrently with itself"),
                Verify.Diagnostic(NonAtomicUpdateAnalyzer.Rule).WithLocation(2).WithArguments("_created", "a method started concurrently with itself"),
                Verify.Diagnostic(NonAtomicUpdateAnalyzer.Rule).WithLocation(3).WithArguments("_messages", "a method started concurrently with itself"),
            },
            Usings + """
            using Microsoft.AspNetCore.Http;
            using Microsoft.AspNetCore.Mvc;
            using Microsoft.AspNetCore.SignalR;

            sealed class CountingMiddleware
            {
                private static int _total;
                private long _served;
                private readonly RequestDelegate _next;

                public CountingMiddleware(RequestDelegate next) => _next = next;

                public async Task InvokeAsync(HttpContext context)
                {
                    Interlocked.Increment(ref _total);
                    Interlocked.Add(ref _served, 1);
                    await _next(context);
                }
            }

            sealed class OrdersController : ControllerBase
            {
                private static int _created;

                public IActionResult Create()
                {
                    Interlocked.Increment(ref _created);
                    return Ok();
                }
            }

            sealed class ChatHub : Hub
            {
                private static int _messages;

                public Task Send(string text)
                {
                    Interlocked.Increment(ref _messages);
                    return Task.CompletedTask;
                }
            }
            """ + AspNetCore);

    [Fact]
    public Task Per_request_instances_locked_updates_and_non_handlers_are_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            using Microsoft.AspNetCore.Http;
            using Microsoft.AspNetCore.Mvc;

            // A controller, and an IMiddleware, is created per request: its instance fields are its own.
            sealed class CartController : ControllerBase
            {
                private static readonly object Gate = new();
                private static int _checkouts;
                [ThreadStatic] private static int _perThread;
                private int _items;

                public IActionResult Add()
                {
                    _items++;
                    _perThread++;
                    lock (Gate)
                    {
                        _checkouts++;
                    }

                    return Ok();
                }

                [NonAction]
                public void Reset() => _checkouts += 0;

                private void Helper() => _checkouts++;
            }

            sealed class ScopedMiddleware : IMiddleware
            {
                private int _calls;

                public Task InvokeAsync(HttpContext context, RequestDelegate next)
                {
                    _calls++;
                    return next(context);
                }
            }

            // Not middleware: nothing in the pipeline builds it with the next delegate.
            sealed class Handler
            {
                private int _count;

                public Task InvokeAsync(HttpContext context)
                {
                    _count++;
                    return Task.CompletedTask;
                }
            }

            // Not a controller: a plain service with an action-like method.
            sealed class Service
            {
                private static int _hits;

                public void Hit() => _hits++;
            }
            """ + AspNetCore);

    [Fact]
    public Task Fields_updated_by_a_minimal_API_endpoint_handler_are_reported_and_other_lambdas_are_not()
        => Verify.VerifyAnalyzerAsync(Usings + """
            using Microsoft.AspNetCore.Builder;
            using Microsoft.AspNetCore.Routing;

            sealed class CounterEndpoints
            {
                private static int _hits;
                private static long _atomic;
                private int _served;

                public void Map(IEndpointRouteBuilder app, List<int> items)
                {
                    app.MapGet("/hits", () => {|#0:++_hits|});
                    app.MapGet("/served", () =>
                    {
                        {|#1:_served += 1|};
                        Interlocked.Increment(ref _atomic);
                        return _served;
                    });
                    items.ForEach(i => _served += i);
                }
            }
            """ + AspNetCore,
            Verify.Diagnostic(NonAtomicUpdateAnalyzer.Rule).WithLocation(0).WithArguments("_hits", "a method started concurrently with itself"),
            Verify.Diagnostic(NonAtomicUpdateAnalyzer.Rule).WithLocation(1).WithArguments("_served", "a method started concurrently with itself"));

    [Fact]
    public Task Counters_updated_under_an_old_ReaderWriterLock_writer_lock_are_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Meter
            {
                private readonly ReaderWriterLock _rw = new ReaderWriterLock();
                private int _count;
                private int _unguarded;

                public void Run(int n)
                {
                    Parallel.For(0, n, i =>
                    {
                        _rw.AcquireWriterLock(Timeout.Infinite);
                        try
                        {
                            _count++;
                        }
                        finally
                        {
                            _rw.ReleaseLock();
                        }

                        {|CONC302:_unguarded++|};
                    });
                }
            }
            """);
}
