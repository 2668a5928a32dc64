using ConcurrencyAnalyzers.Cancellation;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<
    ConcurrencyAnalyzers.Cancellation.TokenNotPassedAnalyzer,
    ConcurrencyAnalyzers.CodeFixes.Cancellation.TokenNotPassedCodeFix>;

namespace ConcurrencyAnalyzers.Tests.Cancellation;

public sealed class TokenNotPassedTests
{
    // ---- positives ----

    [Fact]
    public Task Async_linq_over_a_stream_whose_source_got_a_token_is_not_reported_over_a_source_without_one_it_is()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Collections.Generic;
            using System.Linq;
            using System.Runtime.CompilerServices;
            using System.Threading;
            using System.Threading.Tasks;

            static class AsyncLinq
            {
                public static IAsyncEnumerable<T> Where<T>(this IAsyncEnumerable<T> source, Func<T, bool> predicate)
                    => Filter(source, predicate);

                private static async IAsyncEnumerable<T> Filter<T>(IAsyncEnumerable<T> source, Func<T, bool> predicate, [EnumeratorCancellation] CancellationToken ct = default)
                {
                    await foreach (var item in source.WithCancellation(ct))
                        if (predicate(item))
                            yield return item;
                }

                public static async ValueTask<T?> FirstOrDefaultAsync<T>(this IAsyncEnumerable<T> source, CancellationToken ct = default)
                {
                    await foreach (var item in source.WithCancellation(ct))
                        return item;
                    return default;
                }

                public static async ValueTask<List<T>> ToListAsync<T>(this IAsyncEnumerable<T> source, CancellationToken ct = default)
                {
                    var list = new List<T>();
                    await foreach (var item in source.WithCancellation(ct))
                        list.Add(item);
                    return list;
                }
            }

            interface IBackend
            {
                IAsyncEnumerable<string> ListAsync(CancellationToken ct);
                IAsyncEnumerable<string> ListAll();
            }

            class Verifier
            {
                public async Task<int> VerifyAsync(IBackend backend, string name, CancellationToken cancelToken)
                {
                    // The listing got the token: the operators over it enumerate with it.
                    var found = await backend.ListAsync(cancelToken).FirstOrDefaultAsync();
                    var all = await backend.ListAsync(cancelToken).Where(n => n.EndsWith(".zip")).ToListAsync();
                    var blocking = backend.ListAsync(cancelToken).Where(n => n.Length > 0).ToBlockingEnumerable().Count();
                    await foreach (var n in backend.ListAsync(cancelToken).Where(n => n != name).ConfigureAwait(false))
                        Console.WriteLine(n);

                    // A local filled by operators over a listing that got it.
                    var zips = backend.ListAsync(cancelToken).Where(n => n.EndsWith(".zip"));
                    await foreach (var n in zips)
                        Console.WriteLine(n);

                    // A local iterator that reads the token itself.
                    async IAsyncEnumerable<string> Names(string prefix)
                    {
                        await foreach (var n in backend.ListAsync(cancelToken))
                            yield return prefix + n;
                    }

                    async IAsyncEnumerable<string> Cached(string prefix)
                    {
                        await Task.Yield();
                        yield return prefix;
                    }

                    await foreach (var n in Names("a"))
                        Console.WriteLine(n);
                    await foreach (var n in {|#2:Cached("b")|})
                        Console.WriteLine(n);

                    // A listing that never got it.
                    var first = await backend.ListAll().{|#0:FirstOrDefaultAsync|}();
                    await foreach (var n in {|#1:backend.ListAll().Where(n => n != name)|})
                        Console.WriteLine(n);
                    return all.Count + blocking + (found is null ? 0 : 1) + (first is null ? 0 : 1);
                }
            }
            """,
            Verify.Diagnostic(TokenNotPassedAnalyzer.ForEachRule).WithLocation(2).WithArguments("await foreach", "cancelToken"),
            Verify.Diagnostic(TokenNotPassedAnalyzer.Rule).WithLocation(0).WithArguments("FirstOrDefaultAsync", "cancelToken"),
            Verify.Diagnostic(TokenNotPassedAnalyzer.ForEachRule).WithLocation(1).WithArguments("await foreach", "cancelToken"));


    [Fact]
    public Task A_completion_moved_to_the_thread_pool_is_started_without_the_token()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class Poller
            {
                public Task StartPolling(Func<(object State, int Value)> poll, CancellationToken ct)
                    => Task.Run(() =>
                    {
                        while (!ct.IsCancellationRequested)
                        {
                            var (state, value) = poll();
                            Task.Run(() => ((TaskCompletionSource<int>)state).TrySetResult(value));
                            _ = Task.Run(() => ((TaskCompletionSource<int>)state).SetResult(value), CancellationToken.None);
                            _ = Task.{|CONC401:Run|}(() => Console.WriteLine(value));
                            _ = Task.{|CONC401:Run|}(() => { ((TaskCompletionSource<int>)state).TrySetResult(value); Console.WriteLine(value); });
                        }
                    }, ct);
            }
            """);


    [Fact]
    public Task Token_declared_only_in_the_body_is_found_in_a_method_without_token_parameters()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private readonly CancellationTokenSource _stopping = new();

                Task StartAsync(int[] items)
                    => Parallel.ForEachAsync(items, async (item, token) => await Task.{|#0:Delay|}(item));

                async Task DrainAsync()
                {
                    await Task.Delay(1);
                    using var linked = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
                    await Task.{|#1:Delay|}(10);
                }
            }
            """,
            Verify.Diagnostic(TokenNotPassedAnalyzer.Rule).WithLocation(0).WithArguments("Delay", "token"),
            Verify.Diagnostic(TokenNotPassedAnalyzer.Rule).WithLocation(1).WithArguments("Delay", "linked.Token"));

    [Fact]
    public Task Token_overload_and_optional_token_get_the_parameter()
        => Verify.VerifyCodeFixAsync(
            """
            using System;
            using System.IO;
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private readonly SemaphoreSlim _gate = new(1);

                async Task CopyAsync(Stream source, Stream target, CancellationToken ct)
                {
                    await _gate.{|#0:WaitAsync|}(); // throttle
                    var buffer = new byte[81920];
                    int read;
                    while ((read = await source.{|#1:ReadAsync|}(buffer, 0, buffer.Length)) > 0)
                    {
                        await target.WriteAsync(buffer.AsMemory(0, read), ct);
                    }

                    await target.{|#2:FlushAsync|}();
                }
            }
            """,
            new[]
            {
                Verify.Diagnostic(TokenNotPassedAnalyzer.Rule).WithLocation(0).WithArguments("WaitAsync", "ct"),
                Verify.Diagnostic(TokenNotPassedAnalyzer.Rule).WithLocation(1).WithArguments("ReadAsync", "ct"),
                Verify.Diagnostic(TokenNotPassedAnalyzer.Rule).WithLocation(2).WithArguments("FlushAsync", "ct"),
            },
            """
            using System;
            using System.IO;
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private readonly SemaphoreSlim _gate = new(1);

                async Task CopyAsync(Stream source, Stream target, CancellationToken ct)
                {
                    await _gate.WaitAsync(ct); // throttle
                    var buffer = new byte[81920];
                    int read;
                    while ((read = await source.ReadAsync(buffer, 0, buffer.Length, ct)) > 0)
                    {
                        await target.WriteAsync(buffer.AsMemory(0, read), ct);
                    }

                    await target.FlushAsync(ct);
                }
            }
            """);

    [Fact]
    public Task None_passed_where_a_type_parameter_is_a_token_is_reported_where_no_type_argument_is_one_it_is_not()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class Box<T>
            {
                public void Put(T value) { }

                public class Slot
                {
                    public void Put(T value) { }

                    public void Put<U>(U first, T second) { }
                }
            }

            static class Keeping
            {
                public static void KeepAlso<T>(this int owner, T value) { }
            }

            class Worker
            {
                static void Keep<T>(T value) { }

                public Task RunAsync(CancellationToken ct)
                {
                    Keep({|#0:CancellationToken.None|});
                    new Box<CancellationToken>().Put({|#1:CancellationToken.None|});
                    new Box<CancellationToken>.Slot().Put({|#2:CancellationToken.None|});
                    new Box<int>.Slot().Put(0, 1);
                    new Box<CancellationToken>.Slot().Put(0, {|#3:CancellationToken.None|});
                    1.KeepAlso({|#4:CancellationToken.None|});
                    Keep(0);
                    new Box<int>().Put(0);
                    1.KeepAlso(0);
                    return Task.CompletedTask;
                }
            }
            """,
            Verify.Diagnostic(TokenNotPassedAnalyzer.NoneRule).WithLocation(0).WithArguments("Keep", "ct", "CancellationToken.None"),
            Verify.Diagnostic(TokenNotPassedAnalyzer.NoneRule).WithLocation(1).WithArguments("Put", "ct", "CancellationToken.None"),
            Verify.Diagnostic(TokenNotPassedAnalyzer.NoneRule).WithLocation(2).WithArguments("Put", "ct", "CancellationToken.None"),
            Verify.Diagnostic(TokenNotPassedAnalyzer.NoneRule).WithLocation(3).WithArguments("Put", "ct", "CancellationToken.None"),
            Verify.Diagnostic(TokenNotPassedAnalyzer.NoneRule).WithLocation(4).WithArguments("KeepAlso", "ct", "CancellationToken.None"));

    [Fact]
    public Task Explicit_None_and_default_are_replaced()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                Task SaveAsync(int id, CancellationToken cancellationToken) => Task.CompletedTask;

                async Task RunAsync(CancellationToken stoppingToken)
                {
                    await SaveAsync(1, {|#0:CancellationToken.None|});
                    await SaveAsync(2, {|#1:default|});
                }
            }
            """,
            new[]
            {
                Verify.Diagnostic(TokenNotPassedAnalyzer.NoneRule).WithLocation(0).WithArguments("SaveAsync", "stoppingToken", "CancellationToken.None"),
                Verify.Diagnostic(TokenNotPassedAnalyzer.NoneRule).WithLocation(1).WithArguments("SaveAsync", "stoppingToken", "default"),
            },
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                Task SaveAsync(int id, CancellationToken cancellationToken) => Task.CompletedTask;

                async Task RunAsync(CancellationToken stoppingToken)
                {
                    await SaveAsync(1, stoppingToken);
                    await SaveAsync(2, stoppingToken);
                }
            }
            """);

    [Fact]
    public Task Captured_token_in_a_lambda_and_a_local_function_is_passed()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                async Task RunAsync(CancellationToken ct)
                {
                    await Task.{|CONC401:Run|}(async () => await Task.{|CONC401:Delay|}(100));
                    await Local();

                    async Task Local() => await Task.{|CONC401:Delay|}(5);
                }
            }
            """,
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                async Task RunAsync(CancellationToken ct)
                {
                    await Task.Run(async () => await Task.Delay(100, ct), ct);
                    await Local();

                    async Task Local() => await Task.Delay(5, ct);
                }
            }
            """);

    [Fact]
    public Task Innermost_token_wins_lambda_token_and_linked_source()
        => Verify.VerifyCodeFixAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                async Task RunAsync(int[] ids, CancellationToken ct)
                {
                    await Parallel.ForEachAsync(ids, ct, async (id, token) => await Task.{|#0:Delay|}(id));
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    timeout.CancelAfter(TimeSpan.FromSeconds(5));
                    await Task.{|#1:Delay|}(10);
                }
            }
            """,
            new[]
            {
                Verify.Diagnostic(TokenNotPassedAnalyzer.Rule).WithLocation(0).WithArguments("Delay", "token"),
                Verify.Diagnostic(TokenNotPassedAnalyzer.Rule).WithLocation(1).WithArguments("Delay", "timeout.Token"),
            },
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                async Task RunAsync(int[] ids, CancellationToken ct)
                {
                    await Parallel.ForEachAsync(ids, ct, async (id, token) => await Task.Delay(id, token));
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    timeout.CancelAfter(TimeSpan.FromSeconds(5));
                    await Task.Delay(10, timeout.Token);
                }
            }
            """);

    [Fact]
    public Task Outer_token_used_deep_inside_a_callbacks_statements_or_in_a_field_initializers_callback_is_still_found()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                static readonly Func<int[], CancellationToken, Task> Save = (ids, outer) =>
                    Parallel.ForEachAsync(ids, outer, async (id, token) => await Task.Delay(id, {|#0:outer|}));

                async Task RunAsync(int[] ids, CancellationToken outer)
                {
                    await Parallel.ForEachAsync(ids, outer, async (id, token) =>
                    {
                        if (id > 0)
                        {
                            try
                            {
                                await Task.Delay(id, {|#1:outer|});
                            }
                            finally
                            {
                                Console.WriteLine(id);
                            }
                        }
                    });
                }
            }
            """,
            Verify.Diagnostic(TokenNotPassedAnalyzer.NoneRule).WithLocation(0).WithArguments("Delay", "token", "outer"),
            Verify.Diagnostic(TokenNotPassedAnalyzer.NoneRule).WithLocation(1).WithArguments("Delay", "token", "outer"));

    [Fact]
    public Task Outer_token_used_in_a_callback_whose_host_links_it_into_the_callbacks_own_token_is_replaced()
        => Verify.VerifyCodeFixAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class Pipeline
            {
                // Runs the callback with a token linked to the caller's and to a timeout.
                public ValueTask ExecuteAsync(Func<CancellationToken, ValueTask> callback, CancellationToken cancellationToken) => callback(cancellationToken);
            }

            class C
            {
                async Task RunAsync(Pipeline pipeline, int[] ids, CancellationToken outer)
                {
                    await pipeline.ExecuteAsync(async inner => await Task.Delay(TimeSpan.FromSeconds(3), {|#0:outer|}), outer);
                    await Parallel.ForEachAsync(ids, outer, async (id, token) => await Task.Delay(id, {|#1:outer|}));
                }
            }
            """,
            new[]
            {
                Verify.Diagnostic(TokenNotPassedAnalyzer.NoneRule).WithLocation(0).WithArguments("Delay", "inner", "outer"),
                Verify.Diagnostic(TokenNotPassedAnalyzer.NoneRule).WithLocation(1).WithArguments("Delay", "token", "outer"),
            },
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class Pipeline
            {
                // Runs the callback with a token linked to the caller's and to a timeout.
                public ValueTask ExecuteAsync(Func<CancellationToken, ValueTask> callback, CancellationToken cancellationToken) => callback(cancellationToken);
            }

            class C
            {
                async Task RunAsync(Pipeline pipeline, int[] ids, CancellationToken outer)
                {
                    await pipeline.ExecuteAsync(async inner => await Task.Delay(TimeSpan.FromSeconds(3), inner), outer);
                    await Parallel.ForEachAsync(ids, outer, async (id, token) => await Task.Delay(id, token));
                }
            }
            """);

    [Fact]
    public Task Outer_token_in_an_anonymous_method_whose_host_links_it_is_reported_and_outside_callbacks_is_not()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class Pipeline
            {
                public ValueTask ExecuteAsync(Func<CancellationToken, ValueTask> callback, CancellationToken cancellationToken) => callback(cancellationToken);
            }

            class C
            {
                async Task RunAsync(Pipeline pipeline, CancellationToken outer)
                {
                    await pipeline.ExecuteAsync(async delegate (CancellationToken inner) { await Task.Delay(10, {|#0:outer|}); }, outer);
                    await Task.Delay(10, outer);
                }
            }
            """,
            Verify.Diagnostic(TokenNotPassedAnalyzer.NoneRule).WithLocation(0).WithArguments("Delay", "inner", "outer"));

    [Fact]
    public Task Outer_token_in_a_callback_that_also_uses_its_own_or_whose_host_does_not_get_the_outer_one_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class Pipeline
            {
                public ValueTask ExecuteAsync(Func<CancellationToken, ValueTask> callback, CancellationToken cancellationToken) => callback(cancellationToken);
                public ValueTask Run(Func<CancellationToken, ValueTask> callback) => callback(CancellationToken.None);
            }

            class C
            {
                async Task RunAsync(Pipeline pipeline, int[] ids, CancellationToken outer, CancellationToken other)
                {
                    // Its own token for the work, the caller's for the audit record: a choice.
                    await pipeline.ExecuteAsync(async inner => { await Task.Delay(10, inner); await Task.Delay(1, outer); }, outer);
                    // The host gets no token, or another one: nothing links the two.
                    await pipeline.Run(async inner => await Task.Delay(10, outer));
                    await pipeline.ExecuteAsync(async inner => await Task.Delay(10, outer), other);
                    // Its own token, or a local of the callback.
                    await Parallel.ForEachAsync(ids, outer, async (id, token) => await Task.Delay(id, token));
                    await pipeline.ExecuteAsync(async inner => { var mine = inner; await Task.Delay(10, mine); }, outer);
                    // Its own token set aside with a discard.
                    await Parallel.ForEachAsync(ids, outer, async (id, _) => await Task.Delay(id, outer));
                    // A callback without a token of its own.
                    await Task.Run(async () => await Task.Delay(10, outer), outer);
                }
            }
            """);

    [Fact]
    public Task Outer_token_in_a_callback_given_to_a_call_the_rule_leaves_alone_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class Pipeline
            {
                public ValueTask ExecuteAsync(Func<CancellationToken, ValueTask> callback, CancellationToken cancellationToken) => callback(cancellationToken);
            }

            class C
            {
                // The outer token inside a callback with a token of its own, passed to calls that are never reported:
                // a linked source, a timeout on a task (CONC404's), a cancelled task, a poll.
                async Task RunAsync(Pipeline pipeline, Task work, SemaphoreSlim gate, CancellationToken outer)
                {
                    await pipeline.ExecuteAsync(async inner => { using var cts = CancellationTokenSource.CreateLinkedTokenSource(outer); await Task.Yield(); }, outer);
                    await pipeline.ExecuteAsync(async inner => await work.WaitAsync(TimeSpan.FromSeconds(1), outer), outer);
                    await pipeline.ExecuteAsync(async inner => await Task.FromCanceled(outer), outer);
                    await pipeline.ExecuteAsync(async inner => { if (gate.Wait(0, outer)) { gate.Release(); } await Task.Yield(); }, outer);
                }
            }
            """);

    [Fact]
    public Task Parallel_ForEachAsync_without_token_gets_it_inserted_in_the_middle()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                Task RunAsync(int[] ids, CancellationToken ct)
                    => Parallel.{|CONC401:ForEachAsync|}(ids, async (id, token) => await Task.Delay(id, token));
            }
            """,
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                Task RunAsync(int[] ids, CancellationToken ct)
                    => Parallel.ForEachAsync(ids, ct, async (id, token) => await Task.Delay(id, token));
            }
            """);

    [Fact]
    public Task Await_foreach_without_WithCancellation_is_wrapped()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Collections.Generic;
            using System.Threading;

            static class Ext
            {
                public static System.Runtime.CompilerServices.ConfiguredCancelableAsyncEnumerable<T> ConfigureAwait<T>(this IAsyncEnumerable<T> source, bool c)
                    => System.Threading.Tasks.TaskAsyncEnumerableExtensions.ConfigureAwait(source, c);
            }

            class C
            {
                async System.Threading.Tasks.Task SumAsync(IAsyncEnumerable<int> source, CancellationToken ct)
                {
                    await foreach (var x in {|#0:source|})
                    {
                    }

                    await foreach (var x in {|#1:source.ConfigureAwait(false)|})
                    {
                    }
                }
            }
            """,
            new[]
            {
                Verify.Diagnostic(TokenNotPassedAnalyzer.ForEachRule).WithLocation(0).WithArguments("await foreach", "ct"),
                Verify.Diagnostic(TokenNotPassedAnalyzer.ForEachRule).WithLocation(1).WithArguments("await foreach", "ct"),
            },
            """
            using System.Collections.Generic;
            using System.Threading;
            using System.Threading.Tasks;

            static class Ext
            {
                public static System.Runtime.CompilerServices.ConfiguredCancelableAsyncEnumerable<T> ConfigureAwait<T>(this IAsyncEnumerable<T> source, bool c)
                    => System.Threading.Tasks.TaskAsyncEnumerableExtensions.ConfigureAwait(source, c);
            }

            class C
            {
                async System.Threading.Tasks.Task SumAsync(IAsyncEnumerable<int> source, CancellationToken ct)
                {
                    await foreach (var x in source.WithCancellation(ct))
                    {
                    }

                    await foreach (var x in source.WithCancellation(ct).ConfigureAwait(false))
                    {
                    }
                }
            }
            """);

    [Fact]
    public Task Named_argument_when_optional_parameters_are_skipped()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                Task SendAsync(string body, int retries = 3, bool compress = false, CancellationToken cancellationToken = default) => Task.CompletedTask;

                Task RunAsync(CancellationToken ct) => {|CONC401:SendAsync|}("x", compress: true);
            }
            """,
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                Task SendAsync(string body, int retries = 3, bool compress = false, CancellationToken cancellationToken = default) => Task.CompletedTask;

                Task RunAsync(CancellationToken ct) => SendAsync("x", compress: true, cancellationToken: ct);
            }
            """);

    [Fact]
    public Task Context_token_property_is_passed()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class RequestContext { public CancellationToken RequestAborted { get; } }

            class C
            {
                Task HandleAsync(RequestContext context) => Task.{|CONC401:Delay|}(100);
            }
            """,
            """
            using System.Threading;
            using System.Threading.Tasks;

            class RequestContext { public CancellationToken RequestAborted { get; } }

            class C
            {
                Task HandleAsync(RequestContext context) => Task.Delay(100, context.RequestAborted);
            }
            """);

    [Fact]
    public Task Methods_of_the_context_that_carries_the_token_are_not_asked_for_it_calls_on_what_it_reaches_are()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            interface IConsumeContext
            {
                CancellationToken CancellationToken { get; }
                IResponse Response { get; }
                Task Publish(string message, CancellationToken cancellationToken = default);
            }

            interface IResponse { Task WriteAsync(string text, CancellationToken cancellationToken = default); }

            static class ConsumeContextExtensions
            {
                public static Task Respond(this IConsumeContext context, string message, CancellationToken cancellationToken = default) => Task.CompletedTask;
            }

            class OrderConsumer
            {
                async Task Consume(IConsumeContext context)
                {
                    await context.Publish("order accepted");
                    await context.Respond("ok");
                    await context.Response.{|CONC401:WriteAsync|}("done");
                    await Task.{|CONC401:Delay|}(100);
                }

                async Task Consume(IConsumeContext context, IConsumeContext other)
                {
                    await other.{|CONC401:Publish|}("forwarded");
                }
            }
            """);

    [Fact]
    public Task Channel_writer_without_token_is_reported_when_a_token_is_in_scope()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading;
            using System.Threading.Channels;
            using System.Threading.Tasks;

            class C
            {
                async Task ProduceAsync(ChannelWriter<int> writer, CancellationToken ct)
                {
                    await writer.{|CONC401:WriteAsync|}(1);
                }
            }
            """,
            """
            using System.Threading;
            using System.Threading.Channels;
            using System.Threading.Tasks;

            class C
            {
                async Task ProduceAsync(ChannelWriter<int> writer, CancellationToken ct)
                {
                    await writer.WriteAsync(1, ct);
                }
            }
            """);

    // ---- negatives (near misses) ----

    [Fact]
    public Task Token_passed_through_WithCancellation_or_directly_is_fine()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Generic;
            using System.Runtime.CompilerServices;
            using System.Threading;
            using System.Threading.Channels;
            using System.Threading.Tasks;

            class C
            {
                async IAsyncEnumerable<int> ItemsAsync([EnumeratorCancellation] CancellationToken ct = default)
                {
                    await Task.Delay(1, ct);
                    yield return 1;
                }

                async Task RunAsync(ChannelReader<int> reader, CancellationToken ct)
                {
                    await foreach (var x in ItemsAsync().WithCancellation(ct)) { }
                    await foreach (var x in reader.ReadAllAsync(ct)) { }
                    await foreach (var x in ItemsAsync(ct).ConfigureAwait(false)) { }
                }
            }
            """);

    [Fact]
    public Task Zero_timeout_polls_do_not_need_the_token_but_waits_that_block_do()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private readonly SemaphoreSlim _gate = new(1, 1);

                async Task RunAsync(CancellationToken cancellationToken)
                {
                    if (!_gate.Wait(0))
                    {
                        await _gate.WaitAsync(cancellationToken);
                    }

                    _gate.Release();
                    if (await _gate.WaitAsync(TimeSpan.Zero))
                    {
                        _gate.Release();
                    }

                }

                void Run(CancellationToken cancellationToken)
                {
                    if (_gate.{|#0:Wait|}(100))
                    {
                        _gate.Release();
                    }
                }
            }
            """,
            Verify.Diagnostic(TokenNotPassedAnalyzer.Rule).WithLocation(0).WithArguments("Wait", "cancellationToken"));

    [Fact]
    public Task Blocking_semaphore_wait_in_async_code_is_left_to_CONC203_but_reported_in_sync_code_and_on_other_waits()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private static readonly SemaphoreSlim Gate = new(1, 1);
                private readonly ManualResetEventSlim _ready = new();

                async Task SaveAsync(CancellationToken cancellationToken)
                {
                    Gate.Wait(); // CONC203: use await WaitAsync(cancellationToken)
                    try
                    {
                        if (Gate.Wait(TimeSpan.FromSeconds(1)))
                        {
                            Gate.Release();
                        }

                        _ready.{|#0:Wait|}();
                        await Task.Delay(1, cancellationToken);
                    }
                    finally
                    {
                        Gate.Release();
                    }
                }

                void Save(CancellationToken cancellationToken)
                {
                    Gate.{|#1:Wait|}();
                    Gate.Release();
                }
            }
            """,
            Verify.Diagnostic(TokenNotPassedAnalyzer.Rule).WithLocation(0).WithArguments("Wait", "cancellationToken"),
            Verify.Diagnostic(TokenNotPassedAnalyzer.Rule).WithLocation(1).WithArguments("Wait", "cancellationToken"));

    [Fact]
    public Task Waits_on_work_that_has_the_token_or_that_the_token_ends_are_not_reported_waits_on_work_without_it_are()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            static class TaskWaits
            {
                public static void WaitAndUnwrap(this Task task) => task.GetAwaiter().GetResult();
                public static void WaitAndUnwrap(this Task task, CancellationToken cancellationToken) => task.Wait(cancellationToken);
            }

            class Gate
            {
                Task<bool> TakeAsync(bool sync, CancellationToken cancellationToken) => Task.FromResult(sync);
                Task SignalAsync() => Task.CompletedTask;
                Task SignalAsync(CancellationToken cancellationToken) => Task.CompletedTask;

                public bool Take(CancellationToken cancellationToken)
                {
                    TakeAsync(true, cancellationToken).WaitAndUnwrap();
                    TakeAsync(true, cancellationToken).WaitAndUnwrap(CancellationToken.None);
                    TakeAsync(true, cancellationToken).Wait();
                    return TakeAsync(true, cancellationToken).Result;
                }

                public void Wait(CancellationToken cancellationToken)
                {
                    var wait = SignalAsync(CancellationToken.None);
                    if (wait.IsCompleted)
                    {
                        return;
                    }

                    wait.WaitAndUnwrap(cancellationToken);
                }

                public void WaitAgain(CancellationToken cancellationToken)
                {
                    var wait = SignalAsync();
                    wait.WaitAndUnwrap(cancellationToken);
                    SignalAsync().WaitAndUnwrap(cancellationToken);
                }

                public void Missed(CancellationToken cancellationToken)
                {
                    {|#0:SignalAsync|}().{|#1:WaitAndUnwrap|}();
                    var wait = SignalAsync({|#2:CancellationToken.None|});
                    wait.{|#3:WaitAndUnwrap|}();
                }
            }
            """,
            Verify.Diagnostic(TokenNotPassedAnalyzer.Rule).WithLocation(0).WithArguments("SignalAsync", "cancellationToken"),
            Verify.Diagnostic(TokenNotPassedAnalyzer.Rule).WithLocation(1).WithArguments("WaitAndUnwrap", "cancellationToken"),
            Verify.Diagnostic(TokenNotPassedAnalyzer.NoneRule).WithLocation(2).WithArguments("SignalAsync", "cancellationToken", "CancellationToken.None"),
            Verify.Diagnostic(TokenNotPassedAnalyzer.Rule).WithLocation(3).WithArguments("WaitAndUnwrap", "cancellationToken"));

    [Fact]
    public Task Await_foreach_over_a_call_given_None_is_reported_once_at_the_None_and_not_when_commented()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Generic;
            using System.Threading;
            using System.Threading.Channels;
            using System.Threading.Tasks;

            class C
            {
                async IAsyncEnumerable<int> DrainAsync(ChannelReader<int> reader, CancellationToken cancellationToken)
                {
                    await foreach (var x in reader.ReadAllAsync({|#0:CancellationToken.None|}))
                    {
                        yield return x;
                    }

                    // Keep reading until the writer completes: buffered items are delivered even after cancellation.
                    await foreach (var x in reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
                    {
                        yield return x;
                    }
                }
            }
            """,
            Verify.Diagnostic(TokenNotPassedAnalyzer.NoneRule).WithLocation(0).WithArguments("ReadAllAsync", "cancellationToken", "CancellationToken.None"));

    [Fact]
    public Task Await_foreach_over_a_local_filled_by_a_call_that_took_the_token_is_fine()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Generic;
            using System.Threading;
            using System.Threading.Channels;
            using System.Threading.Tasks;

            class C
            {
                IAsyncEnumerable<int> Start(string slot, CancellationToken ct) => throw null!;

                async Task RunAsync(ChannelReader<int> reader, CancellationToken cancellationToken)
                {
                    var stream = Start("slot", cancellationToken);
                    await foreach (var x in stream.ConfigureAwait(false)) { }

                    IAsyncEnumerable<int> items;
                    items = reader.ReadAllAsync(cancellationToken);
                    await foreach (var x in items) { }
                }
            }
            """);

    [Fact]
    public Task Call_commented_about_its_token_is_a_decision_other_comments_are_not()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                void StartAction(int state, CancellationToken cancellationToken = default) { }
                Task InitAsync(CancellationToken cancellationToken) => Task.CompletedTask;

                async Task BeginAsync(CancellationToken cancellationToken)
                {
                    // no point in passing the token here: InitAsync registers the cancellation
                    StartAction(1);
                    StartAction(2); // cancellation is registered by InitAsync
                    await InitAsync(cancellationToken);

                    // start the second phase
                    {|#0:StartAction|}(3);
                }
            }
            """,
            Verify.Diagnostic(TokenNotPassedAnalyzer.Rule).WithLocation(0).WithArguments("StartAction", "cancellationToken"));

    [Fact]
    public Task Comment_that_flags_the_call_as_a_problem_is_no_decision()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                Task SendAsync(int item, CancellationToken cancellationToken = default) => Task.CompletedTask;

                async Task PumpAsync(CancellationToken cancellationToken)
                {
                    // TODO: pass the token once SendAsync honours it
                    await {|#0:SendAsync|}(1);
                    await SendAsync(2, {|#1:CancellationToken.None|}); // FIXME: should flow cancellation
                    // BUG: the token is not forwarded
                    await {|#2:SendAsync|}(3);

                    // debug build: no cancellation token here on purpose
                    await SendAsync(4);
                    await SendAsync(5, CancellationToken.None); // the shutdown tokens must not stop this
                }
            }
            """,
            Verify.Diagnostic(TokenNotPassedAnalyzer.Rule).WithLocation(0).WithArguments("SendAsync", "cancellationToken"),
            Verify.Diagnostic(TokenNotPassedAnalyzer.NoneRule).WithLocation(1).WithArguments("SendAsync", "cancellationToken", "CancellationToken.None"),
            Verify.Diagnostic(TokenNotPassedAnalyzer.Rule).WithLocation(2).WithArguments("SendAsync", "cancellationToken"));

    [Fact]
    public Task One_comment_explains_a_run_of_None_calls_but_not_what_follows_it()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                Task StopPluginsAsync(CancellationToken cancellationToken) => Task.CompletedTask;
                Task StopStoreAsync(CancellationToken cancellationToken) => Task.CompletedTask;
                Task NotifyAsync(CancellationToken cancellationToken) => Task.CompletedTask;
                void Mark() { }

                async Task ShutdownAsync(CancellationToken cancellationToken)
                {
                    // The caller's token may already have fired: teardown must finish.
                    await StopPluginsAsync(CancellationToken.None);

                    await StopStoreAsync(CancellationToken.None);

                    await NotifyAsync(CancellationToken.None);
                    Mark();
                    await NotifyAsync({|#0:CancellationToken.None|});
                }
            }
            """,
            Verify.Diagnostic(TokenNotPassedAnalyzer.NoneRule).WithLocation(0).WithArguments("NotifyAsync", "cancellationToken", "CancellationToken.None"));

    [Fact]
    public Task A_comment_covers_a_run_passing_default_and_a_cancellation_comment_the_statement_above_it()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                Task SetAsync(int version, CancellationToken ct) => Task.CompletedTask;
                Task WriteEventsAsync(CancellationToken ct) => Task.CompletedTask;
                Task WriteSnapshotAsync(CancellationToken ct) => Task.CompletedTask;
                Task LogAsync(CancellationToken ct) => Task.CompletedTask;

                async Task CacheAsync(CancellationToken ct)
                {
                    // If we are so far it is not worth to stop the flow anymore.
                    await SetAsync(1, default);
                    await SetAsync(2, default);
                    await SetAsync(3, default(CancellationToken));
                }

                async Task WriteAsync(CancellationToken ct)
                {
                    // The events may be cancelled, but once they are written the snapshot must be written too.
                    await WriteEventsAsync(ct);
                    await WriteSnapshotAsync(default);
                }

                async Task NotExplainedAsync(CancellationToken ct)
                {
                    // Write the events first.
                    await WriteEventsAsync(ct);
                    await WriteSnapshotAsync({|#0:default|});

                    // The events may be cancelled.
                    await WriteEventsAsync(ct);
                    await LogAsync(ct);
                    await WriteSnapshotAsync({|#1:default|});
                }
            }
            """,
            Verify.Diagnostic(TokenNotPassedAnalyzer.NoneRule).WithLocation(0).WithArguments("WriteSnapshotAsync", "ct", "default"),
            Verify.Diagnostic(TokenNotPassedAnalyzer.NoneRule).WithLocation(1).WithArguments("WriteSnapshotAsync", "ct", "default"));

    // MayTakeToken answers from the called method's parameters as constructed before its definition: a parameter of
    // a type parameter's type is a place for a token when the call makes it one (and only then).
    [Fact]
    public Task None_passed_where_a_type_parameter_is_a_token_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                static Task RunAsync<T>(T state) => Task.CompletedTask;

                async Task M(CancellationToken ct)
                {
                    await RunAsync({|#0:CancellationToken.None|});
                    await RunAsync(42);
                }
            }
            """,
            Verify.Diagnostic(TokenNotPassedAnalyzer.NoneRule).WithLocation(0).WithArguments("RunAsync", "ct", "CancellationToken.None"));

    [Fact]
    public Task No_token_in_scope_convenience_overload_passing_None_is_fine()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                public Task SaveAsync() => SaveAsync(CancellationToken.None);
                public Task SaveAsync(CancellationToken cancellationToken) => Task.Delay(1, cancellationToken);
                public Task WaitAsync() => Task.Delay(100);
                public Task NullableAsync(CancellationToken? ct) => Task.Delay(100);
            }
            """);

    [Fact]
    public Task Linked_token_and_local_function_forwarding_are_fine()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                async Task RunAsync(CancellationToken ct)
                {
                    using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    cts.CancelAfter(TimeSpan.FromSeconds(1));
                    await Task.Delay(10, cts.Token);
                    await Local();

                    Task Local() => Task.Delay(5, ct);
                }
            }
            """);

    [Fact]
    public Task APIs_without_a_token_overload_and_different_overloads_are_fine()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class Repo
            {
                public Task LoadAsync(int id) => Task.CompletedTask;
                public Task LoadAsync(string key, CancellationToken ct) => Task.CompletedTask;
                public Task<int> CountAsync() => Task.FromResult(0);
                public ValueTask<int> CountAsync(CancellationToken ct) => default;
            }

            class C
            {
                async Task RunAsync(Repo repo, CancellationToken ct)
                {
                    await repo.LoadAsync(1);
                    Task<int> pending = repo.CountAsync();
                    await pending;
                    await Task.WhenAll(pending);
                    Thread.Sleep(1);
                }
            }
            """);

    [Fact]
    public Task Cleanup_callbacks_and_cancellation_owned_elsewhere_are_fine()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                Task RollbackAsync(CancellationToken ct = default) => Task.CompletedTask;

                async Task RunAsync(CancellationToken ct, PeriodicTimer timer)
                {
                    try
                    {
                        await Task.Delay(1, ct);
                    }
                    catch (Exception)
                    {
                        await RollbackAsync();
                    }
                    finally
                    {
                        await RollbackAsync(CancellationToken.None);
                    }

                    ct.Register(() => RollbackAsync());
                    var lazy = new Lazy<Task>(() => RollbackAsync());
                    await timer.WaitForNextTickAsync();
                    await RollbackAsync(CancellationToken.None); // must complete even when the caller gave up
                }
            }
            """);

    [Fact]
    public Task Task_Run_whose_delegate_passes_the_token_and_GetAsyncEnumerator_with_token_are_fine()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Generic;
            using System.Threading;
            using System.Threading.Channels;
            using System.Threading.Tasks;

            class C
            {
                Task LoopAsync(CancellationToken ct) => Task.Delay(1, ct);

                void Start(CancellationToken cancellationToken) => _ = Task.Run(() => LoopAsync(cancellationToken));

                IAsyncEnumerator<int> GetAsyncEnumerator(ChannelReader<int> reader, CancellationToken cancellationToken = default)
                    => reader.ReadAllAsync().GetAsyncEnumerator(cancellationToken);
            }
            """);

    [Fact]
    public Task Task_Run_given_None_whose_delegate_passes_a_token_is_fine_one_whose_delegate_passes_none_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            sealed class Worker
            {
                private readonly CancellationTokenSource _stopping = new CancellationTokenSource();
                private Task? _loop;
                private Task? _other;

                Task LoopAsync(CancellationToken ct) => Task.Delay(1, ct);
                Task IdleAsync() => Task.CompletedTask;

                public Task StartAsync(CancellationToken cancellationToken)
                {
                    _loop = Task.Run(() => LoopAsync(_stopping.Token), CancellationToken.None);
                    _other = Task.Factory.StartNew(() => LoopAsync(_stopping.Token), default(CancellationToken)).Unwrap();
                    _ = Task.Run(() => IdleAsync(), {|CONC401:CancellationToken.None|});
                    return Task.CompletedTask;
                }
            }
            """);

    [Fact]
    public Task None_given_to_work_kept_in_a_field_for_later_callers_is_fine_elsewhere_it_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            sealed class Schema
            {
                private readonly object _gate = new object();
                private readonly Func<CancellationToken, Task<string>> _load;
                private Task<string>? _loading;
                private Task<string>? Cached { get; set; }

                public Schema(Func<CancellationToken, Task<string>> load) => _load = load;

                public Task<string> GetAsync(CancellationToken cancellationToken)
                {
                    Task<string> loading;
                    lock (_gate)
                    {
                        if (_loading is null || _loading.IsFaulted)
                        {
                            _loading = _load(CancellationToken.None);
                        }

                        Cached ??= _load(default);
                        loading = _loading;
                    }

                    return loading.WaitAsync(cancellationToken);
                }

                public async Task<string> ReloadAsync(CancellationToken cancellationToken)
                {
                    var fresh = _load({|CONC401:CancellationToken.None|});
                    return await fresh;
                }
            }
            """);

    [Fact]
    public Task Task_Run_of_work_handed_the_context_that_carries_the_token_is_fine_work_handed_something_else_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            public class ProcessingContext
            {
                public ProcessingContext(CancellationToken cancellationToken) => CancellationToken = cancellationToken;

                public CancellationToken CancellationToken { get; }
            }

            class RetryProcessor
            {
                private Task _received = Task.CompletedTask;

                public Task ProcessAsync(ProcessingContext context)
                {
                    _ = Task.Run(() => ProcessPublishedAsync("published", context));
                    _received = Task.Run(() => ProcessPublishedAsync("received", context));
                    return Task.{|#0:Run|}(() => Log("done"));
                }

                private async Task ProcessPublishedAsync(string name, ProcessingContext context)
                    => await Task.Delay(10, context.CancellationToken);

                private static void Log(string text) => Console.WriteLine(text);
            }
            """,
            Verify.Diagnostic(TokenNotPassedAnalyzer.Rule).WithLocation(0).WithArguments("Run", "context.CancellationToken"));

    [Fact]
    public Task Task_Run_of_a_method_that_reads_the_kept_token_is_fine_one_that_reads_none_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Channels;
            using System.Threading.Tasks;

            sealed class Consumer
            {
                private readonly CancellationToken _cancellationToken;
                private readonly Channel<int> _channel = Channel.CreateUnbounded<int>();
                private readonly Task _loop;
                private readonly Task _drain;
                private readonly Task _pump;

                public Consumer(CancellationToken cancellationToken)
                {
                    _cancellationToken = cancellationToken;
                    _loop = Task.Run(NotificationLoop);
                    _pump = Task.Run(() => PumpAsync(_cancellationToken));
                    _drain = Task.{|#0:Run|}(DrainLoop);
                }

                private async Task NotificationLoop()
                {
                    while (await _channel.Reader.WaitToReadAsync(_cancellationToken))
                    {
                        _channel.Reader.TryRead(out _);
                    }
                }

                private Task PumpAsync(CancellationToken ct) => Task.Delay(1, ct);

                private async Task DrainLoop()
                {
                    await foreach (var item in _channel.Reader.ReadAllAsync())
                    {
                    }
                }
            }
            """,
            Verify.Diagnostic(TokenNotPassedAnalyzer.Rule).WithLocation(0).WithArguments("Run", "cancellationToken"));

    [Fact]
    public Task Task_Run_of_a_lambda_forwarding_to_a_loop_that_reads_an_inherited_token_is_fine_others_are_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            interface IClientContext
            {
                CancellationToken CancellationToken { get; }
            }

            abstract class Agent
            {
                private readonly CancellationTokenSource _stopping = new CancellationTokenSource();

                protected CancellationToken Stopping => _stopping.Token;

                protected bool IsStopping => _stopping.IsCancellationRequested;
            }

            sealed class Receiver : Agent
            {
                private readonly IClientContext _client;
                private readonly Task _consume;
                private readonly Task _run;
                private readonly Task _idle;

                public Receiver(IClientContext client)
                {
                    _client = client;
                    _consume = Task.Run(() => Consume());
                    _run = Task.Run(Run);
                    _idle = Task.{|#0:Run|}(() => Idle());
                }

                private async Task Consume()
                {
                    while (!IsStopping)
                    {
                        await Task.Delay(100, Stopping).ConfigureAwait(false);
                    }
                }

                private async Task Run()
                {
                    await Task.Delay(100, Stopping).ConfigureAwait(false);
                }

                private async Task Idle()
                {
                    await Task.Yield();
                }
            }

            abstract class Quiet
            {
                private CancellationToken _hidden;

                protected void Touch() => _hidden = default;
            }

            sealed class Worker : Quiet
            {
                private readonly Task _work;

                public Worker(CancellationToken token)
                {
                    _work = Task.{|#1:Run|}(() => Loop());
                }

                private async Task Loop()
                {
                    var _hidden = 1;
                    await Task.Delay(_hidden);
                }
            }
            """,
            Verify.Diagnostic(TokenNotPassedAnalyzer.Rule).WithLocation(0).WithArguments("Run", "client.CancellationToken"),
            Verify.Diagnostic(TokenNotPassedAnalyzer.Rule).WithLocation(1).WithArguments("Run", "token"));

    [Fact]
    public Task None_passed_where_the_token_is_tested_to_be_None_is_the_token_elsewhere_it_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            sealed class Cache
            {
                async Task<int> GetAsync(Func<CancellationToken, Task<int>> factory, TimeSpan timeout, CancellationToken token)
                {
                    if (timeout == Timeout.InfiniteTimeSpan && token == CancellationToken.None)
                    {
                        return await factory(CancellationToken.None).ConfigureAwait(false);
                    }

                    if (!token.CanBeCanceled)
                    {
                        return await factory(default);
                    }

                    var first = token != CancellationToken.None ? await factory(token) : await factory(CancellationToken.None);
                    if (timeout == Timeout.InfiniteTimeSpan || token == CancellationToken.None)
                    {
                        return await factory({|#0:CancellationToken.None|});
                    }

                    if (token == CancellationToken.None)
                    {
                        return first;
                    }
                    else
                    {
                        return await factory({|#1:CancellationToken.None|});
                    }
                }
            }
            """,
            Verify.Diagnostic(TokenNotPassedAnalyzer.NoneRule).WithLocation(0).WithArguments("Invoke", "token", "CancellationToken.None"),
            Verify.Diagnostic(TokenNotPassedAnalyzer.NoneRule).WithLocation(1).WithArguments("Invoke", "token", "CancellationToken.None"));

    [Fact]
    public Task Task_Run_whose_lambda_passes_None_to_its_work_is_reported_once_at_the_None()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            sealed class Refresher
            {
                Task<int> RefreshInBackground(Func<int, CancellationToken, int> factory, Func<int> compute, CancellationToken token)
                {
                    var refresh = Task.Run(() => factory(1, {|#0:CancellationToken.None|}));
                    var detached = Task.Run(() => factory(2, default)); // the refresh outlives the request: no token on purpose
                    var plain = Task.{|#1:Run|}(() => compute());
                    return Task.WhenAll(refresh, detached, plain).ContinueWith(_ => 0, TaskScheduler.Default);
                }
            }
            """,
            Verify.Diagnostic(TokenNotPassedAnalyzer.NoneRule).WithLocation(0).WithArguments("Invoke", "token", "CancellationToken.None"),
            Verify.Diagnostic(TokenNotPassedAnalyzer.Rule).WithLocation(1).WithArguments("Run", "token"));

    [Fact]
    public Task Static_lambda_cannot_reach_the_token()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                void Run(CancellationToken ct)
                {
                    Func<Task> f = static () => Task.Delay(100);
                    Local();
                    static void Local() => Task.Delay(5).Wait();
                }
            }
            """);

    [Fact]
    public Task Source_cancelled_by_an_event_handler_is_the_programs_token_and_is_passed()
        => Verify.VerifyCodeFixAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class Program
            {
                static async Task Main()
                {
                    using var cts = new CancellationTokenSource();
                    Console.CancelKeyPress += (_, e) =>
                    {
                        e.Cancel = true;
                        cts.Cancel();
                    };
                    while (true)
                    {
                        await Task.{|CONC401:Delay|}(1000);
                        Console.WriteLine("tick");
                    }
                }

                static async Task Other(Func<Task> work)
                {
                    // Cancelled by a task, not by an event: it controls that other work only.
                    var cts = new CancellationTokenSource();
                    var canceller = Task.Run(() => cts.Cancel());
                    await Task.Delay(1000);
                    await canceller;
                }

                static event EventHandler? CancelClicked;

                static async Task Load(Func<CancellationToken, Task> load)
                {
                    // A Cancel button stops the load, not what follows it.
                    var cts = new CancellationTokenSource();
                    CancelClicked += (_, _) => cts.Cancel();
                    await load(cts.Token);
                    await Task.Delay(100);
                }
            }
            """,
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class Program
            {
                static async Task Main()
                {
                    using var cts = new CancellationTokenSource();
                    Console.CancelKeyPress += (_, e) =>
                    {
                        e.Cancel = true;
                        cts.Cancel();
                    };
                    while (true)
                    {
                        await Task.Delay(1000, cts.Token);
                        Console.WriteLine("tick");
                    }
                }

                static async Task Other(Func<Task> work)
                {
                    // Cancelled by a task, not by an event: it controls that other work only.
                    var cts = new CancellationTokenSource();
                    var canceller = Task.Run(() => cts.Cancel());
                    await Task.Delay(1000);
                    await canceller;
                }

                static event EventHandler? CancelClicked;

                static async Task Load(Func<CancellationToken, Task> load)
                {
                    // A Cancel button stops the load, not what follows it.
                    var cts = new CancellationTokenSource();
                    CancelClicked += (_, _) => cts.Cancel();
                    await load(cts.Token);
                    await Task.Delay(100);
                }
            }
            """);

    [Fact]
    public Task Plain_source_local_is_not_the_operations_token()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                async Task RunAsync()
                {
                    var cts = new CancellationTokenSource();
                    var loop = Task.Run(() => Loop(cts.Token));
                    await Task.Delay(1000);
                    cts.Cancel();
                    await loop;
                }

                void Loop(CancellationToken ct) { }
            }
            """);

    [Fact]
    public Task Canceling_a_completion_source_or_making_a_canceled_task_records_a_token_it_does_not_pass_one_on()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            record Produce(TaskCompletionSource<bool> Done, CancellationToken Cancel);

            class Producer
            {
                async Task LoopAsync(Produce message, TaskCompletionSource stopped, CancellationToken cancel)
                {
                    if (message.Cancel.IsCancellationRequested)
                    {
                        _ = message.Done.TrySetCanceled(CancellationToken.None);
                        message.Done.TrySetCanceled();
                        stopped.SetCanceled();
                        await Task.FromCanceled(message.Cancel);
                    }

                    await Task.{|CONC401:Delay|}(10);
                }
            }
            """);

    [Fact]
    public Task Delay_that_schedules_a_continuation_for_any_outcome_is_not_reported_a_guarded_one_is()
        => Verify.VerifyAnalyzerAsync("""
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class CrashHandler
            {
                private readonly Action _stopApplication;

                public CrashHandler(Action stopApplication) => _stopApplication = stopApplication;

                // The restart must happen whatever becomes of the request: given the request's token, a cancelled
                // delay would run the continuation at once.
                public ValueTask<bool> TryHandleAsync(Exception exception, CancellationToken cancellationToken)
                {
                    _ = Task.Delay(3000).ContinueWith(t => _stopApplication());
                    return new ValueTask<bool>(false);
                }

                public ValueTask<bool> TryHandleLaterAsync(Exception exception, CancellationToken cancellationToken)
                {
                    _ = Task.{|CONC401:Delay|}(3000).ContinueWith(t => _stopApplication(), TaskContinuationOptions.OnlyOnRanToCompletion);
                    return new ValueTask<bool>(false);
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
                    async Task RunAsync(CancellationToken ct)
                    {
                        await Missing.DoAsync(;
                        await Task.Delay(
                    }
                }
                """,
            CompilerDiagnostics = CompilerDiagnostics.None,
        }.RunAsync();

    [Fact]
    public Task Missing_types_netstandard_still_works_on_available_apis()
        => new Verify.Test
        {
            ReferenceAssemblies = Verifiers.TestReferences.NetStandard20,
            LanguageVersion = Microsoft.CodeAnalysis.CSharp.LanguageVersion.CSharp7_3,
            TestCode = """
                using System.Threading;
                using System.Threading.Tasks;

                class C
                {
                    async Task RunAsync(CancellationToken ct)
                    {
                        await Task.{|CONC401:Delay|}(1);
                    }
                }
                """,
            FixedCode = """
                using System.Threading;
                using System.Threading.Tasks;

                class C
                {
                    async Task RunAsync(CancellationToken ct)
                    {
                        await Task.Delay(1, ct);
                    }
                }
                """,
        }.RunAsync();

    [Fact]
    public Task Foreach_iteration_token_is_in_scope_only_in_the_loop_body()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Generic;
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private readonly SemaphoreSlim _gate = new(1);

                async Task DrainAsync(List<(int Item, CancellationToken Token)> work, (int, CancellationToken) pair)
                {
                    await Task.Delay(1);
                    foreach (CancellationToken ct in await LoadAsync())
                    {
                        await Task.{|#0:Delay|}(1);
                    }

                    await _gate.WaitAsync();
                    foreach (var (item, token) in work)
                    {
                        await Task.{|#1:Delay|}(item);
                    }

                    foreach (var entry in work)
                    {
                        await Task.Delay(entry.Item, entry.Token);
                    }

                    var (n, own) = pair;
                    await Task.{|#2:Delay|}(n);
                }

                Task<List<CancellationToken>> LoadAsync() => Task.FromResult(new List<CancellationToken>());
            }
            """,
            Verify.Diagnostic(TokenNotPassedAnalyzer.Rule).WithLocation(0).WithArguments("Delay", "ct"),
            Verify.Diagnostic(TokenNotPassedAnalyzer.Rule).WithLocation(1).WithArguments("Delay", "token"),
            Verify.Diagnostic(TokenNotPassedAnalyzer.Rule).WithLocation(2).WithArguments("Delay", "own"));

    [Fact]
    public Task Request_token_is_not_handed_to_work_the_request_fires_and_forgets_but_is_to_work_it_awaits()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            namespace Microsoft.AspNetCore.Http { public abstract class HttpContext { public abstract CancellationToken RequestAborted { get; set; } } }

            class Endpoint
            {
                public async Task InvokeAsync(Microsoft.AspNetCore.Http.HttpContext context)
                {
                    _ = Task.Run(async () => await Task.Delay(1000));
                    Task.Run(() => Task.Delay(5));
                    _ = Task.Factory.StartNew(() => Task.Delay(5).Wait());
                    await Task.{|#0:Run|}(async () => await Task.{|#1:Delay|}(1000));
                }

                public void Start(CancellationToken ct)
                {
                    _ = Task.{|#2:Run|}(() => Task.{|#3:Delay|}(5));
                }
            }
            """,
            Verify.Diagnostic(TokenNotPassedAnalyzer.Rule).WithLocation(0).WithArguments("Run", "context.RequestAborted"),
            Verify.Diagnostic(TokenNotPassedAnalyzer.Rule).WithLocation(1).WithArguments("Delay", "context.RequestAborted"),
            Verify.Diagnostic(TokenNotPassedAnalyzer.Rule).WithLocation(2).WithArguments("Run", "ct"),
            Verify.Diagnostic(TokenNotPassedAnalyzer.Rule).WithLocation(3).WithArguments("Delay", "ct"));

    [Fact]
    public Task A_hosted_service_start_token_is_not_handed_to_work_the_start_fires_and_forgets_but_is_to_work_it_awaits()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            namespace Microsoft.Extensions.Hosting
            {
                public interface IHostedService
                {
                    Task StartAsync(CancellationToken cancellationToken);
                    Task StopAsync(CancellationToken cancellationToken);
                }
            }

            class EventBus : Microsoft.Extensions.Hosting.IHostedService
            {
                public async Task StartAsync(CancellationToken cancellationToken)
                {
                    _ = Task.Factory.StartNew(async () =>
                    {
                        await Task.Delay(1000);
                        await ConnectAsync();
                    }, TaskCreationOptions.LongRunning);
                    await Task.{|CONC401:Delay|}(10);
                }

                public Task StopAsync(CancellationToken cancellationToken)
                {
                    _ = Task.{|CONC401:Run|}(() => Task.{|CONC401:Delay|}(5));
                    return Task.CompletedTask;
                }

                private static Task ConnectAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;
            }

            class NotHosted
            {
                public Task StartAsync(CancellationToken cancellationToken)
                {
                    _ = Task.{|CONC401:Run|}(() => Task.{|CONC401:Delay|}(5));
                    return Task.CompletedTask;
                }
            }
            """);

    [Fact]
    public Task A_token_overload_that_falls_back_to_the_token_less_one_is_not_asked_to_call_itself()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            interface IStorage
            {
                Task ReadAsync(string name);

                Task ReadAsync(string name, CancellationToken cancellationToken) => ReadAsync(name);
            }

            class Store
            {
                public virtual Task WriteAsync(string name) => Task.CompletedTask;

                public virtual Task WriteAsync(string name, CancellationToken cancellationToken) => WriteAsync(name);

                public Task CopyAsync(string name, CancellationToken cancellationToken) => {|#0:WriteAsync|}(name);
            }

            class DerivedStore : Store
            {
                public override Task WriteAsync(string name, CancellationToken cancellationToken) => WriteAsync(name);

                public async Task MoveAsync(IStorage storage, string name, CancellationToken cancellationToken)
                {
                    await storage.{|#1:ReadAsync|}(name);
                    await {|#2:WriteAsync|}(name);
                }
            }
            """,
            Verify.Diagnostic(TokenNotPassedAnalyzer.Rule).WithLocation(0).WithArguments("WriteAsync", "cancellationToken"),
            Verify.Diagnostic(TokenNotPassedAnalyzer.Rule).WithLocation(1).WithArguments("ReadAsync", "cancellationToken"),
            Verify.Diagnostic(TokenNotPassedAnalyzer.Rule).WithLocation(2).WithArguments("WriteAsync", "cancellationToken"));

    [Fact]
    public Task A_delay_joined_with_a_wait_on_the_token_is_fine_a_delay_beside_other_work_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Collections.Generic;
            using System.Threading;
            using System.Threading.Tasks;

            static class TokenExtensions
            {
                public static Task WhenCancelled(this CancellationToken token)
                {
                    var completion = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                    token.Register(() => completion.TrySetResult(true));
                    return completion.Task;
                }
            }

            class Membership
            {
                private readonly List<Task> _tasks = new();

                public async Task StopAsync(CancellationToken ct)
                {
                    var gracePeriod = Task.WhenAll(Task.Delay(TimeSpan.FromSeconds(5)), ct.WhenCancelled());
                    await Task.WhenAny(gracePeriod, Task.WhenAll(_tasks));
                    await Task.WhenAny(Task.Delay(100), Task.Delay(Timeout.Infinite, ct));
                    var cancelled = ct.WhenCancelled();
                    await Task.WhenAll(Task.Delay(TimeSpan.FromSeconds(5)), cancelled);
                    var pending = Task.WhenAll(_tasks);
                    await Task.WhenAll(Task.{|#3:Delay|}(100), pending);
                    await Task.WhenAll(Task.{|#0:Delay|}(100), Task.WhenAll(_tasks));
                    await Task.WhenAll(Task.{|#1:Delay|}(100), Task.Delay(100, {|#2:CancellationToken.None|}));
                }
            }
            """,
            Verify.Diagnostic(TokenNotPassedAnalyzer.Rule).WithLocation(3).WithArguments("Delay", "ct"),
            Verify.Diagnostic(TokenNotPassedAnalyzer.Rule).WithLocation(0).WithArguments("Delay", "ct"),
            Verify.Diagnostic(TokenNotPassedAnalyzer.Rule).WithLocation(1).WithArguments("Delay", "ct"),
            Verify.Diagnostic(TokenNotPassedAnalyzer.NoneRule).WithLocation(2).WithArguments("Delay", "ct", "CancellationToken.None"));

    [Fact]
    public Task Background_work_a_start_callback_keeps_for_its_stop_is_not_given_the_starts_token_other_spawns_are_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Generic;
            using System.Threading;
            using System.Threading.Tasks;

            interface ILifecycleObserver { Task OnStart(CancellationToken ct); }

            class Monitor : ILifecycleObserver
            {
                private readonly List<Task> _tasks = new();
                private Task _runTask;

                public Task OnStart(CancellationToken ct)
                {
                    _runTask = Task.Run(RunAsync);
                    _tasks.Add(Task.Run(() => RunAsync()));
                    return Task.CompletedTask;
                }

                Task ILifecycleObserver.OnStart(CancellationToken ct)
                {
                    _runTask ??= Task.Factory.StartNew(() => RunAsync()).Unwrap();
                    return Task.CompletedTask;
                }

                public void Participate()
                {
                    var tasks = new List<Task>();

                    async Task OnBecomeActiveStart(CancellationToken ct)
                    {
                        await Task.{|#0:Run|}(() => RunAsync());
                        tasks.Add(Task.Run(() => RunAsync()));
                        var local = new List<Task>();
                        local.Add(Task.{|#1:Run|}(() => RunAsync()));
                        await Task.WhenAll(local);
                    }

                    _ = OnBecomeActiveStart(CancellationToken.None);
                }

                public Task Subscribe(CancellationToken ct)
                {
                    _runTask = Task.{|#2:Run|}(RunAsync);
                    return Task.CompletedTask;
                }

                private Task RunAsync() => Task.Delay(1000);
            }
            """,
            Verify.Diagnostic(TokenNotPassedAnalyzer.Rule).WithLocation(0).WithArguments("Run", "ct"),
            Verify.Diagnostic(TokenNotPassedAnalyzer.Rule).WithLocation(1).WithArguments("Run", "ct"),
            Verify.Diagnostic(TokenNotPassedAnalyzer.Rule).WithLocation(2).WithArguments("Run", "ct"));

    [Fact]
    public Task A_pipeline_steps_next_with_its_optional_token_left_out_is_fine_other_delegates_are_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            public delegate Task<TResponse> RequestHandlerDelegate<TResponse>(CancellationToken t = default);

            class LoggingBehavior
            {
                public async Task<int> Handle(string request, RequestHandlerDelegate<int> next, CancellationToken cancellationToken)
                {
                    Console.WriteLine(request);
                    var response = await next();
                    return response;
                }

                public async Task<int> HandleWithNone(string request, RequestHandlerDelegate<int> next, CancellationToken cancellationToken)
                {
                    return await next({|CONC401:CancellationToken.None|});
                }

                public async Task<int> Local(RequestHandlerDelegate<int> other, CancellationToken cancellationToken)
                {
                    RequestHandlerDelegate<int> mine = other;
                    return await {|CONC401:mine|}();
                }

                public async Task<int> Field(CancellationToken cancellationToken)
                {
                    return await {|CONC401:_next|}();
                }

                private readonly RequestHandlerDelegate<int> _next = _ => Task.FromResult(0);
            }
            """);
}
