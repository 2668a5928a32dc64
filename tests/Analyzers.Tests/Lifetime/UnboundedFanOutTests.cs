using ConcurrencyAnalyzers.Lifetime;
using ConcurrencyAnalyzers.Tests.Verifiers;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<
    ConcurrencyAnalyzers.Lifetime.UnboundedFanOutAnalyzer,
    ConcurrencyAnalyzers.CodeFixes.Lifetime.UnboundedFanOutCodeFix>;

namespace ConcurrencyAnalyzers.Tests.Lifetime;

public sealed class UnboundedFanOutTests
{
    [Fact]
    public Task Select_into_WhenAll_whose_results_are_used_is_reported_without_a_fix()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Generic;
            using System.Linq;
            using System.Net.Http;
            using System.Threading.Tasks;

            class Crawler
            {
                private readonly HttpClient _http = new();

                public async Task<string[]> FetchAllAsync(IEnumerable<string> urls)
                {
                    return await Task.WhenAll({|#0:urls.Select(u => _http.GetStringAsync(u))|});
                }
            }
            """,
            Verify.Diagnostic(UnboundedFanOutAnalyzer.Rule).WithLocation(0).WithArguments("urls"));

    [Fact]
    public Task Awaited_WhenAll_over_async_lambdas_becomes_ForEachAsync_keeping_comments_with_Fix_All()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Collections.Generic;
            using System.Linq;
            using System.Threading;
            using System.Threading.Tasks;

            class Notifier
            {
                public async Task NotifyAsync(IReadOnlyList<int> userIds, CancellationToken ct)
                {
                    // One push per user.
                    await Task.WhenAll({|CONC106:userIds.Select(async id =>
                    {
                        // may be slow
                        await PushAsync(id, ct);
                    })|});
                }

                public async Task DeleteAsync(List<int> ids)
                {
                    await Task.WhenAll({|CONC106:ids.Select(id => DeleteOneAsync(id))|}.ToList()).ConfigureAwait(false);
                }

                private Task PushAsync(int id, CancellationToken ct) => Task.CompletedTask;
                private Task<bool> DeleteOneAsync(int id) => Task.FromResult(true);
            }
            """,
            """
            using System.Collections.Generic;
            using System.Linq;
            using System.Threading;
            using System.Threading.Tasks;

            class Notifier
            {
                public async Task NotifyAsync(IReadOnlyList<int> userIds, CancellationToken ct)
                {
                    // One push per user.
                    await Parallel.ForEachAsync(userIds, ct, async (id, cancellationToken) =>
                    {
                        // may be slow
                        await PushAsync(id, ct);
                    });
                }

                public async Task DeleteAsync(List<int> ids)
                {
                    await Parallel.ForEachAsync(ids, async (id, cancellationToken) => await DeleteOneAsync(id)).ConfigureAwait(false);
                }

                private Task PushAsync(int id, CancellationToken ct) => Task.CompletedTask;
                private Task<bool> DeleteOneAsync(int id) => Task.FromResult(true);
            }
            """);

    [Fact]
    public Task Fan_out_over_a_primary_constructor_parameter_is_not_reported_over_a_method_parameter_it_is()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Generic;
            using System.Linq;
            using System.Threading;
            using System.Threading.Tasks;

            interface ISearchSource
            {
                Task<int> SearchAsync(string query, CancellationToken ct);
            }

            sealed class SearchManager(IEnumerable<ISearchSource> searchSources, IQueryable<ISearchSource> queried)
            {
                public async Task<int> SearchAsync(string query, CancellationToken ct)
                {
                    var tasks = searchSources.Select(x => x.SearchAsync(query, ct));
                    var results = await Task.WhenAll(tasks);
                    return results.Sum();
                }

                public Task<int[]> QueriedAsync(string query, CancellationToken ct)
                    => Task.WhenAll({|CONC106:queried.ToList().Select(x => x.SearchAsync(query, ct))|});

                public Task<int[]> GivenAsync(IEnumerable<ISearchSource> given, string query, CancellationToken ct)
                    => Task.WhenAll({|CONC106:given.Select(x => x.SearchAsync(query, ct))|});
            }
            """);

    [Fact]
    public Task Loop_collecting_one_task_per_element_of_a_parameter_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Generic;
            using System.Threading.Tasks;

            class Importer
            {
                public async Task ImportAsync(IEnumerable<string> files)
                {
                    var tasks = new List<Task>();
                    foreach (var file in files)
                    {
                        tasks.Add({|CONC106:ImportOneAsync(file)|});
                    }

                    await Task.WhenAll(tasks);
                }

                private Task ImportOneAsync(string file) => Task.CompletedTask;
            }
            """);

    [Fact]
    public Task Loop_over_a_local_holding_a_parameters_data_is_reported_over_its_jobs_it_is_not()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Collections.Generic;
            using System.Linq;
            using System.Threading.Tasks;

            class Importer
            {
                public async Task ImportAsync(IEnumerable<string> files, IEnumerable<Func<Task>> jobs)
                {
                    var pending = files.Where(f => f.Length > 0);
                    var tasks = new List<Task>();
                    foreach (var file in pending)
                    {
                        tasks.Add({|CONC106:ImportOneAsync(file)|});
                    }

                    var queued = jobs;
                    foreach (var job in queued)
                    {
                        tasks.Add(job());
                    }

                    var known = new List<string> { "a", "b" };
                    foreach (var file in known)
                    {
                        tasks.Add(ImportOneAsync(file));
                    }

                    await Task.WhenAll(tasks);
                }

                private Task ImportOneAsync(string file) => Task.CompletedTask;
            }
            """);

    [Fact]
    public Task One_task_per_line_of_a_file_is_reported_chunked_or_awaited_in_turn_it_is_not()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Collections.Generic;
            using System.IO;
            using System.Linq;
            using System.Threading.Tasks;

            class LineImporter
            {
                public async Task ImportAsync(string path, Func<string, Task> process)
                {
                    var tasks = new List<Task>();
                    foreach (var line in File.ReadLines(path))
                    {
                        tasks.Add({|CONC106:Task.Run(() => process(line))|});
                    }

                    await Task.WhenAll(tasks);
                    await Task.WhenAll({|CONC106:(await File.ReadAllLinesAsync(path)).Select(l => process(l))|});
                }

                public async Task ImportQuietlyAsync(string path, Func<string, Task> process)
                {
                    foreach (var chunk in File.ReadLines(path).Chunk(50))
                    {
                        await Task.WhenAll(chunk.Select(l => process(l)));
                    }

                    foreach (var line in File.ReadAllLines(path))
                    {
                        await process(line);
                    }

                    await Task.WhenAll(Directory.GetFiles(path).Select(f => process(f)));
                }
            }
            """);

    [Fact]
    public Task For_loop_over_the_count_of_a_parameter_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Generic;
            using System.Threading.Tasks;

            class Resizer
            {
                public Task ResizeAllAsync(IList<string> images)
                {
                    var tasks = new Task[images.Count];
                    for (var i = 0; i < images.Count; i++)
                    {
                        var image = images[i];
                        tasks[i] = {|#0:Task.Run(() => Resize(image))|};
                    }

                    return Task.WhenAll(tasks);
                }

                public Task ResizeFixedAsync(string[] images)
                {
                    var tasks = new Task[4];
                    for (var i = 0; i < 4; i++)
                    {
                        var image = images[i];
                        tasks[i] = Task.Run(() => Resize(image));
                    }

                    return Task.WhenAll(tasks);
                }

                private void Resize(string image) { }
            }
            """,
            Verify.Diagnostic(UnboundedFanOutAnalyzer.Rule).WithLocation(0).WithArguments("images"));

    [Fact]
    public Task Tasks_queued_or_put_in_a_collection_initializer_per_element_are_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Generic;
            using System.Threading.Tasks;

            class Uploader
            {
                public Task UploadAllAsync(IEnumerable<string> files)
                {
                    var pending = new Queue<Task>();
                    foreach (var file in files)
                    {
                        pending.Enqueue({|#0:UploadAsync(file)|});
                    }

                    return Task.WhenAll(pending);
                }

                public async Task UploadEachAsync(IEnumerable<string> files)
                {
                    foreach (var file in files)
                    {
                        var batch = new List<Task> { {|#1:UploadAsync(file)|} };
                        await Task.Yield();
                    }
                }

                private Task UploadAsync(string file) => Task.CompletedTask;
            }
            """,
            Verify.Diagnostic(UnboundedFanOutAnalyzer.Rule).WithLocation(0).WithArguments("files"),
            Verify.Diagnostic(UnboundedFanOutAnalyzer.Rule).WithLocation(1).WithArguments("files"));

    [Fact]
    public Task Task_run_per_message_of_a_channel_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Channels;
            using System.Threading.Tasks;

            class Consumer
            {
                private readonly Channel<string> _channel = Channel.CreateUnbounded<string>();

                public async Task RunAsync(CancellationToken ct)
                {
                    await foreach (var message in _channel.Reader.ReadAllAsync(ct))
                    {
                        _ = {|CONC106:Task.Run(() => Handle(message), ct)|};
                    }
                }

                private void Handle(string message) { }
            }
            """);

    [Fact]
    public Task Database_query_fan_out_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Linq;
            using System.Threading.Tasks;

            class Order { public int Id { get; set; } public bool Pending { get; set; } }
            class Db { public IQueryable<Order> Orders => Enumerable.Empty<Order>().AsQueryable(); }

            class Reminder
            {
                private readonly Db _db = new();

                public Task RemindAllAsync()
                {
                    var pending = _db.Orders.Where(o => o.Pending).ToList();
                    return Task.WhenAll({|CONC106:pending.Select(o => SendAsync(o.Id))|});
                }

                private Task SendAsync(int id) => Task.CompletedTask;
            }
            """);

    [Fact]
    public Task Fan_out_throttled_by_a_semaphore_in_the_lambda_or_the_called_method_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Generic;
            using System.Linq;
            using System.Threading;
            using System.Threading.Tasks;

            class Crawler
            {
                private readonly SemaphoreSlim _gate = new(8);

                public Task FetchAllAsync(IEnumerable<string> urls)
                    => Task.WhenAll(urls.Select(async u =>
                    {
                        await _gate.WaitAsync();
                        try { await Task.Delay(10); }
                        finally { _gate.Release(); }
                    }));

                public async Task FetchLoopAsync(IEnumerable<string> urls)
                {
                    var tasks = new List<Task>();
                    foreach (var url in urls)
                    {
                        tasks.Add(FetchThrottledAsync(url));
                    }

                    await Task.WhenAll(tasks);
                }

                private async Task FetchThrottledAsync(string url)
                {
                    await _gate.WaitAsync();
                    try { await Task.Delay(10); }
                    finally { _gate.Release(); }
                }
            }
            """);

    [Fact]
    public Task Parallel_ForEachAsync_Chunk_and_Take_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Generic;
            using System.Linq;
            using System.Threading;
            using System.Threading.Tasks;

            class Sender
            {
                public async Task SendAsync(IEnumerable<int> ids, CancellationToken ct)
                {
                    await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct },
                        async (id, token) => await SendOneAsync(id));

                    foreach (var batch in ids.Chunk(16))
                    {
                        await Task.WhenAll(batch.Select(id => SendOneAsync(id)));
                    }

                    await Task.WhenAll(ids.Take(10).Select(id => SendOneAsync(id)));
                }

                private Task SendOneAsync(int id) => Task.CompletedTask;
            }
            """);

    [Fact]
    public Task Configured_collections_worker_pools_and_literals_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Generic;
            using System.Linq;
            using System.Threading.Tasks;

            interface IShard { Task PingAsync(); }

            class Cluster
            {
                private readonly List<IShard> _shards = new();
                private IEnumerable<IShard> Replicas => _shards;

                public Task PingAllAsync() => Task.WhenAll(_shards.Select(s => s.PingAsync()));

                public Task PingReplicasAsync() => Task.WhenAll(Replicas.Select(s => s.PingAsync()));

                public Task StartWorkersAsync(int workerCount)
                    => Task.WhenAll(Enumerable.Range(0, workerCount).Select(_ => Task.Run(() => { })));

                public Task WarmUpAsync() => Task.WhenAll(new[] { "a", "b" }.Select(k => Task.Delay(k.Length)));
            }
            """);

    [Fact]
    public Task Fan_out_over_tasks_delegates_and_channel_readers_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Collections.Generic;
            using System.Linq;
            using System.Threading;
            using System.Threading.Channels;
            using System.Threading.Tasks;

            static class Combinators
            {
                // A merge: one pump per input channel, each must be drained concurrently.
                public static async Task MergeAsync<T>(IReadOnlyList<ChannelReader<T>> inputs, ChannelWriter<T> output, CancellationToken ct)
                {
                    var pumps = new Task[inputs.Count];
                    for (var i = 0; i < inputs.Count; i++)
                    {
                        var reader = inputs[i];
                        pumps[i] = Task.Run(async () =>
                        {
                            await foreach (var item in reader.ReadAllAsync(ct))
                                await output.WriteAsync(item, ct);
                        });
                    }

                    await Task.WhenAll(pumps);
                }

                public static Task DrainAllAsync(IEnumerable<IAsyncEnumerable<int>> streams)
                    => Task.WhenAll(streams.Select(async s => { await foreach (var _ in s) { } }));

                // Jobs and handlers: the code that built the list chose its size.
                public static Task<int[]> RunAllAsync(IEnumerable<Func<Task<int>>> jobs) => Task.WhenAll(jobs.Select(j => j()));

                public static async Task PublishAsync(List<Func<string, Task>> handlers, string message)
                {
                    var pending = new List<Task>();
                    foreach (var handler in handlers)
                        pending.Add(handler(message));
                    await Task.WhenAll(pending);
                }

                // Tasks already running: waiting on each with a timeout starts no new work.
                public static Task WaitAllAsync(IEnumerable<Task> running, TimeSpan timeout)
                    => Task.WhenAll(running.Select(t => t.WaitAsync(timeout)));
            }
            """);

    [Fact]
    public Task Stopping_each_running_component_at_once_is_not_reported_other_calls_on_them_are()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Generic;
            using System.Linq;
            using System.Threading;
            using System.Threading.Tasks;

            interface IAgent
            {
                Task Stop(string reason, CancellationToken cancellationToken);
                Task StopAsync(CancellationToken cancellationToken);
                Task Probe(string reason);
                Task Completed { get; }
            }

            interface IStopContext
            {
                IEnumerable<IAgent> Agents { get; }
                CancellationToken CancellationToken { get; }
            }

            static class Supervisor
            {
                public static async Task StopAll(IStopContext context, IEnumerable<IAgent> agents, IAgent other)
                {
                    await Task.WhenAll(context.Agents.Select(x => x.Stop("stop", context.CancellationToken)));
                    await Task.WhenAll(agents.Select(a => a.StopAsync(context.CancellationToken)));
                    await Task.WhenAll(context.Agents.Select(x => x.Completed));
                    await Task.WhenAll({|CONC106:agents.Select(a => other.Completed)|});
                    await Task.WhenAll({|CONC106:agents.Select(a => a.Probe("probe"))|});
                    await Task.WhenAll({|CONC106:agents.Select(a => other.StopAsync(context.CancellationToken))|});
                }
            }
            """);

    [Fact]
    public Task Fan_out_over_data_that_merely_holds_work_is_still_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Collections.Generic;
            using System.Linq;
            using System.Threading.Tasks;

            record Job(int Id, Func<Task> Run);

            static class Runner
            {
                public static Task RunAllAsync(IEnumerable<Job> jobs) => Task.WhenAll({|CONC106:jobs.Select(j => j.Run())|});

                public static Task SendAllAsync(IEnumerable<string> users, Func<string, Task> send) => Task.WhenAll({|CONC106:users.Select(u => send(u))|});
            }
            """);

    [Fact]
    public Task Loops_that_await_each_task_or_wait_for_a_slot_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Generic;
            using System.Threading.Tasks;

            class Importer
            {
                public async Task SequentialAsync(IEnumerable<string> files)
                {
                    foreach (var file in files)
                    {
                        await ImportOneAsync(file);
                        var t = ImportOneAsync(file);
                        await t;
                    }
                }

                public async Task WindowedAsync(IEnumerable<string> files)
                {
                    var running = new List<Task>();
                    foreach (var file in files)
                    {
                        if (running.Count >= 8)
                        {
                            running.Remove(await Task.WhenAny(running));
                        }

                        running.Add(ImportOneAsync(file));
                    }

                    await Task.WhenAll(running);
                }

                private Task ImportOneAsync(string file) => Task.CompletedTask;
            }
            """);

    [Fact]
    public Task Loop_taking_a_slot_of_a_bounded_channel_per_task_is_not_reported_an_unbounded_write_is()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Generic;
            using System.Threading;
            using System.Threading.Channels;
            using System.Threading.Tasks;

            class Importer
            {
                // Go's `sem := make(chan struct{}, 4)`: the write waits for a free slot, each task frees one.
                public async Task ImportAsync(IReadOnlyList<string> files, CancellationToken ct)
                {
                    var slots = Channel.CreateBounded<bool>(4);
                    var tasks = new List<Task>();
                    foreach (var file in files)
                    {
                        await slots.Writer.WriteAsync(true, ct);
                        tasks.Add(Task.Run(async () =>
                        {
                            try { await ImportOneAsync(file); }
                            finally { slots.Reader.TryRead(out _); }
                        }));
                    }

                    await Task.WhenAll(tasks);
                }

                public async Task LogAndImportAsync(IReadOnlyList<string> files, CancellationToken ct)
                {
                    var log = Channel.CreateUnbounded<string>();
                    var tasks = new List<Task>();
                    foreach (var file in files)
                    {
                        await log.Writer.WriteAsync(file, ct);
                        tasks.Add({|CONC106:Task.Run(() => ImportOneAsync(file))|});
                    }

                    await Task.WhenAll(tasks);
                }

                private Task ImportOneAsync(string file) => Task.CompletedTask;
            }
            """);

    [Fact]
    public Task Netstandard_library_without_ForEachAsync_gets_no_fix()
        => new Verify.Test
        {
            ReferenceAssemblies = TestReferences.NetStandard20,
            LanguageVersion = Microsoft.CodeAnalysis.CSharp.LanguageVersion.CSharp7_3,
            TestCode = """
                using System.Collections.Generic;
                using System.Linq;
                using System.Threading.Tasks;

                class C
                {
                    public async Task RunAsync(IEnumerable<int> ids)
                    {
                        await Task.WhenAll({|CONC106:ids.Select(async id => await Task.Delay(id))|});
                    }
                }
                """,
            FixedCode = """
                using System.Collections.Generic;
                using System.Linq;
                using System.Threading.Tasks;

                class C
                {
                    public async Task RunAsync(IEnumerable<int> ids)
                    {
                        await Task.WhenAll({|CONC106:ids.Select(async id => await Task.Delay(id))|});
                    }
                }
                """,
        }.RunAsync();

    [Fact]
    public Task Services_injected_into_an_action_are_not_reported_a_bound_model_is()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Collections.Generic;
            using System.Linq;
            using System.Threading.Tasks;

            namespace Microsoft.AspNetCore.Mvc
            {
                [AttributeUsage(AttributeTargets.Parameter)]
                public sealed class FromServicesAttribute : Attribute { }
            }

            namespace App
            {
                using Microsoft.AspNetCore.Mvc;

                public interface ISwaggerProvider { Task<string> Fetch(); }

                public class HomeController
                {
                    // The container fills the list with the registered providers: the application sets its size.
                    public async Task<string> Swagger([FromServices] IEnumerable<ISwaggerProvider> swaggerProviders)
                    {
                        var parts = await Task.WhenAll(swaggerProviders.Select(provider => provider.Fetch()));
                        return string.Join(",", parts);
                    }

                    public async Task<string> Fetch(IEnumerable<ISwaggerProvider> providers)
                    {
                        var parts = await Task.WhenAll({|CONC106:providers.Select(provider => provider.Fetch())|});
                        return string.Join(",", parts);
                    }
                }
            }
            """);

    [Fact]
    public Task Half_typed_code_does_not_throw()
        => new Verify.Test
        {
            TestCode = """
                using System.Collections.Generic;
                using System.Linq;
                using System.Threading.Tasks;

                class C
                {
                    public async Task RunAsync(IEnumerable<int> ids)
                    {
                        await Task.WhenAll(ids.Select(async id => await Missing(id.
                        foreach (var x in ids) { _ = Unknown(x); }
                    }
                }
                """,
            CompilerDiagnostics = CompilerDiagnostics.None,
        }.RunAsync();

    [Fact]
    public Task Broadcast_to_open_websockets_is_not_reported_opening_one_per_element_is()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Collections.Generic;
            using System.Linq;
            using System.Net.WebSockets;
            using System.Threading;
            using System.Threading.Tasks;

            class Notifier
            {
                public async Task BroadcastAsync(IEnumerable<WebSocket> connections, ArraySegment<byte> bytes)
                {
                    await Task.WhenAll(
                        connections
                            .Where(c => c.State == WebSocketState.Open)
                            .Select(c => c.SendAsync(bytes, WebSocketMessageType.Text, true, CancellationToken.None)));
                }

                public async Task PushAsync(List<ClientWebSocket> clients, ArraySegment<byte> bytes, CancellationToken ct)
                    => await Task.WhenAll(clients.Select(c => c.SendAsync(bytes, WebSocketMessageType.Binary, true, ct)));

                public async Task ConnectAllAsync(IEnumerable<Uri> servers, CancellationToken ct)
                    => await Task.WhenAll({|CONC106:servers.Select(u => new ClientWebSocket().ConnectAsync(u, ct))|});

                public async Task RelayAsync(IEnumerable<WebSocket> connections, WebSocket target, ArraySegment<byte> bytes)
                    => await Task.WhenAll({|CONC106:connections.Select(c => target.SendAsync(bytes, WebSocketMessageType.Text, true, CancellationToken.None))|});
            }
            """);

    [Fact]
    public Task Request_queued_for_a_worker_with_a_completion_source_is_not_reported_work_started_per_element_is()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Generic;
            using System.Threading.Channels;
            using System.Threading.Tasks;

            class RefillRequest
            {
                public int Item { get; set; }
                public TaskCompletionSource<bool> Done { get; set; }
            }

            class AddressPool
            {
                private readonly Channel<RefillRequest> _channel = Channel.CreateUnbounded<RefillRequest>();

                public Task Refill(IEnumerable<int> items)
                {
                    var refill = new List<Task>();
                    foreach (var item in items)
                    {
                        refill.Add(Queue(item));
                    }
                    return Task.WhenAll(refill);
                }

                public Task RefillStarted(IEnumerable<int> items)
                {
                    var refill = new List<Task>();
                    foreach (var item in items)
                    {
                        refill.Add({|CONC106:QueueAndRun(item)|});
                    }
                    return Task.WhenAll(refill);
                }

                public Task RefillWithoutHandOff(IEnumerable<int> items)
                {
                    var refill = new List<Task>();
                    foreach (var item in items)
                    {
                        refill.Add({|CONC106:NotQueued(item)|});
                    }
                    return Task.WhenAll(refill);
                }

                // The worker draining the channel runs the requests one at a time.
                Task Queue(int item)
                {
                    var completion = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                    if (!_channel.Writer.TryWrite(new RefillRequest { Item = item, Done = completion }))
                        completion.TrySetCanceled();
                    return completion.Task;
                }

                Task QueueAndRun(int item)
                {
                    var completion = new TaskCompletionSource<bool>();
                    _channel.Writer.TryWrite(new RefillRequest { Item = item, Done = completion });
                    Task.Run(() => completion.TrySetResult(true));
                    return completion.Task;
                }

                Task NotQueued(int item)
                {
                    TaskCompletionSource<bool> completion = new();
                    _channel.Writer.TryWrite(new RefillRequest { Item = item });
                    return completion.Task;
                }
            }
            """);
}
