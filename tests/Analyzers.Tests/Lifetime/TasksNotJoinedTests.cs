using ConcurrencyAnalyzers.Lifetime;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<
    ConcurrencyAnalyzers.Lifetime.TasksNotJoinedAnalyzer,
    ConcurrencyAnalyzers.CodeFixes.Lifetime.TasksNotJoinedCodeFix>;

namespace ConcurrencyAnalyzers.Tests.Lifetime;

public sealed class TasksNotJoinedTests
{
    [Fact]
    public Task Tasks_awaited_one_by_one_get_WhenAll_before_the_first_await()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading.Tasks;

            class Profile
            {
                async Task<int> LoadAsync(int id)
                {
                    var user = LoadUserAsync(id);
                    var orders = LoadOrdersAsync(id);
                    // Both are needed.
                    var u = {|#0:await user|};
                    var o = await orders;
                    return u + o;
                }

                Task<int> LoadUserAsync(int id) => Task.FromResult(id);
                Task<int> LoadOrdersAsync(int id) => Task.FromResult(id);
            }
            """,
            new[] { Verify.Diagnostic(TasksNotJoinedAnalyzer.SequentialRule).WithLocation(0).WithArguments("user", "'orders' is", "'orders'") },
            """
            using System.Threading.Tasks;

            class Profile
            {
                async Task<int> LoadAsync(int id)
                {
                    var user = LoadUserAsync(id);
                    var orders = LoadOrdersAsync(id);
                    // Both are needed.
                    await Task.WhenAll(user, orders);
                    var u = await user;
                    var o = await orders;
                    return u + o;
                }

                Task<int> LoadUserAsync(int id) => Task.FromResult(id);
                Task<int> LoadOrdersAsync(int id) => Task.FromResult(id);
            }
            """);

    [Fact]
    public Task Three_tasks_are_reported_once_and_ConfigureAwait_is_kept()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading.Tasks;

            class C
            {
                async Task M()
                {
                    var a = Task.Run(() => 1);
                    var b = WorkAsync();
                    var c = WorkAsync();
                    {|CONC104:await a.ConfigureAwait(false)|}; // first
                    await b.ConfigureAwait(false);
                    await c.ConfigureAwait(false);
                }

                Task WorkAsync() => Task.CompletedTask;
            }
            """,
            """
            using System.Threading.Tasks;

            class C
            {
                async Task M()
                {
                    var a = Task.Run(() => 1);
                    var b = WorkAsync();
                    var c = WorkAsync();
                    await Task.WhenAll(a, b, c).ConfigureAwait(false);
                    await a.ConfigureAwait(false); // first
                    await b.ConfigureAwait(false);
                    await c.ConfigureAwait(false);
                }

                Task WorkAsync() => Task.CompletedTask;
            }
            """);

    [Fact]
    public Task Foreach_awaiting_each_task_becomes_WhenAll_in_every_loop()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Collections.Generic;
            using System.Threading.Tasks;

            class C
            {
                async Task M(List<Task> tasks, Task[] more)
                {
                    // Wait for the batch.
                    {|CONC104:foreach (var t in tasks)|}
                    {
                        await t;
                    }

                    {|CONC104:foreach (var t in more)|} await t; // second batch
                }
            }
            """,
            """
            using System.Collections.Generic;
            using System.Threading.Tasks;

            class C
            {
                async Task M(List<Task> tasks, Task[] more)
                {
                    // Wait for the batch.
                    await Task.WhenAll(tasks);

                    await Task.WhenAll(more); // second batch
                }
            }
            """);

    [Fact]
    public Task Foreach_that_uses_each_result_is_reported_without_a_fix()
    {
        const string source = """
            using System;
            using System.Collections.Generic;
            using System.Threading.Tasks;

            class C
            {
                async Task M(List<Task<int>> tasks)
                {
                    {|#0:foreach (var t in tasks)|}
                    {
                        Console.WriteLine(await t);
                    }
                }
            }
            """;
        var test = new Verify.Test { TestCode = source, FixedCode = source };
        var expected = Verify.Diagnostic(TasksNotJoinedAnalyzer.ForEachRule).WithLocation(0).WithArguments("tasks");
        test.ExpectedDiagnostics.Add(expected);
        test.FixedState.ExpectedDiagnostics.Add(expected);
        return test.RunAsync();
    }

    [Fact]
    public Task Tasks_queued_on_one_batch_and_flushed_before_the_awaits_are_not_reported_unflushed_ones_are()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Collections.Generic;
            using System.Linq;
            using System.Threading.Tasks;

            class Batch
            {
                public Task<int> GetAsync(int id) => Task.FromResult(id);
                public Task SendBatchAsync() => Task.CompletedTask;
                public void Execute() { }
            }

            class Client
            {
                public Batch PrepareBatch() => new Batch();
                public Task<int> GetAsync(int id) => Task.FromResult(id);

                static Task WithRetry(Func<Task> send) => send();

                async Task<int> FlushedInRetry(IList<int> ids)
                {
                    var batch = PrepareBatch();
                    var pending = ids.Select(id => batch.GetAsync(id)).ToArray();
                    await WithRetry(() => batch.SendBatchAsync());
                    var sum = 0;
                    foreach (var t in pending)
                    {
                        sum += await t;
                    }
                    return sum;
                }

                async Task<int> FlushedSequential()
                {
                    var batch = PrepareBatch();
                    var a = batch.GetAsync(1);
                    var b = batch.GetAsync(2);
                    batch.Execute();
                    return await a + await b;
                }

                async Task<int> NeverFlushed(IList<int> ids)
                {
                    var batch = PrepareBatch();
                    var pending = ids.Select(id => batch.GetAsync(id)).ToArray();
                    var sum = 0;
                    {|#0:foreach (var t in pending)|}
                    {
                        sum += await t;
                    }
                    return sum;
                }

                async Task<int> TwoReceivers(IList<int> ids)
                {
                    var batch = PrepareBatch();
                    var other = PrepareBatch();
                    var a = batch.GetAsync(1);
                    var b = other.GetAsync(2);
                    batch.Execute();
                    return {|#1:await a|} + await b;
                }

                async Task<int> CallBeforeTheLastStart()
                {
                    var batch = PrepareBatch();
                    var a = batch.GetAsync(1);
                    batch.Execute();
                    var b = batch.GetAsync(2);
                    return {|#2:await a|} + await b;
                }
            }
            """,
            Verify.Diagnostic(TasksNotJoinedAnalyzer.ForEachRule).WithLocation(0).WithArguments("pending"),
            Verify.Diagnostic(TasksNotJoinedAnalyzer.SequentialRule).WithLocation(1).WithArguments("a", "'b' is", "'b'"),
            Verify.Diagnostic(TasksNotJoinedAnalyzer.SequentialRule).WithLocation(2).WithArguments("a", "'b' is", "'b'"));

    [Fact]
    public Task Indexed_loop_awaiting_tasks_started_before_it_is_reported_without_a_fix()
    {
        const string source = """
            using System;
            using System.Collections.Generic;
            using System.Threading.Tasks;

            class C
            {
                async Task<string[]> ConnectAll(string[] endpoints)
                {
                    var pending = new Task<string>[endpoints.Length];
                    for (int i = 0; i < endpoints.Length; i++)
                    {
                        pending[i] = ConnectAsync(endpoints[i]);
                    }

                    var connected = new string[pending.Length];
                    {|#0:for (int i = 0; i < pending.Length; i++)|}
                    {
                        connected[i] = await pending[i].ConfigureAwait(false);
                    }

                    return connected;
                }

                async Task Sequential(string[] endpoints)
                {
                    var pending = new Task<string>[endpoints.Length];
                    for (int i = 0; i < pending.Length; i++)
                    {
                        pending[i] = ConnectAsync(endpoints[i]);
                        Console.WriteLine(await pending[i]);
                    }
                }

                async Task Joined(List<Task<string>> pending)
                {
                    await Task.WhenAll(pending);
                    for (int i = 0; i < pending.Count; i++)
                    {
                        Console.WriteLine(await pending[i]);
                    }
                }

                async Task Caught(List<Task<string>> pending)
                {
                    for (int i = 0; i < pending.Count; i++)
                    {
                        try { Console.WriteLine(await pending[i]); }
                        catch (Exception e) { Console.WriteLine(e); }
                    }
                }

                static Task<string> ConnectAsync(string endpoint) => Task.FromResult(endpoint);
            }
            """;
        var test = new Verify.Test { TestCode = source, FixedCode = source };
        var expected = Verify.Diagnostic(TasksNotJoinedAnalyzer.ForEachRule).WithLocation(0).WithArguments("pending");
        test.ExpectedDiagnostics.Add(expected);
        test.FixedState.ExpectedDiagnostics.Add(expected);
        return test.RunAsync();
    }

    [Fact]
    public Task Ignored_WhenAny_result_is_awaited()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading.Tasks;

            class C
            {
                async Task M()
                {
                    await {|CONC104:Task.WhenAny(PrimaryAsync(), FallbackAsync())|};
                }

                Task PrimaryAsync() => Task.CompletedTask;
                Task FallbackAsync() => Task.CompletedTask;
            }
            """,
            """
            using System.Threading.Tasks;

            class C
            {
                async Task M()
                {
                    await await Task.WhenAny(PrimaryAsync(), FallbackAsync());
                }

                Task PrimaryAsync() => Task.CompletedTask;
                Task FallbackAsync() => Task.CompletedTask;
            }
            """);

    [Fact]
    public Task Async_lambdas_and_local_functions_are_looked_at()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading.Tasks;

            class Profile
            {
                Func<int, Task<int>> Loader() => async id =>
                {
                    var user = LoadAsync(id);
                    var orders = LoadAsync(id + 1);
                    return {|#0:await user|} + await orders;
                };

                int Sync(int id)
                {
                    return Local(id).Result;

                    async Task<int> Local(int n)
                    {
                        var user = LoadAsync(n);
                        var orders = LoadAsync(n + 1);
                        return {|#1:await user|} + await orders;
                    }
                }

                Task<int> LoadAsync(int id) => Task.FromResult(id);
            }
            """,
            Verify.Diagnostic(TasksNotJoinedAnalyzer.SequentialRule).WithLocation(0).WithArguments("user", "'orders' is", "'orders'"),
            Verify.Diagnostic(TasksNotJoinedAnalyzer.SequentialRule).WithLocation(1).WithArguments("user", "'orders' is", "'orders'"));

    [Fact]
    public Task An_async_lambda_in_a_field_initializer_is_looked_at()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading.Tasks;

            class Warmup
            {
                private readonly Func<Task> _warm = async () =>
                {
                    var first = Task.Run(() => 1);
                    var second = Task.Run(() => 2);
                    {|#0:await first|};
                    await second;
                };
            }
            """,
            Verify.Diagnostic(TasksNotJoinedAnalyzer.SequentialRule).WithLocation(0).WithArguments("first", "'second' is", "'second'"));

    [Fact]
    public Task Top_level_statements_are_looked_at()
    {
        var test = new Verify.Test
        {
            TestCode = """
                using System;
                using System.Threading.Tasks;

                var a = Task.Run(() => 1);
                var b = Task.Run(() => 2);
                Console.WriteLine({|#0:await a|} + await b);
                """,
        };
        test.TestState.OutputKind = Microsoft.CodeAnalysis.OutputKind.ConsoleApplication;
        test.ExpectedDiagnostics.Add(Verify.Diagnostic(TasksNotJoinedAnalyzer.SequentialRule).WithLocation(0).WithArguments("a", "'b' is", "'b'"));
        return test.RunAsync();
    }

    [Fact]
    public Task Tasks_joined_with_WhenAll_or_awaited_in_order_of_start_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading.Tasks;

            class C
            {
                async Task<int> M()
                {
                    var a = WorkAsync();
                    var b = WorkAsync();
                    await Task.WhenAll(a, b);
                    var x = await a + await b;

                    var c = WorkAsync();
                    var y = await c;
                    var d = WorkAsync();
                    return x + y + await d;
                }

                Task<int> WorkAsync() => Task.FromResult(1);
            }
            """);

    [Fact]
    public Task Await_inside_try_catch_and_completed_tasks_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading.Tasks;

            class C
            {
                async Task M()
                {
                    var a = WorkAsync();
                    var b = WorkAsync();
                    try { await a; } catch (Exception) { }
                    await b;

                    var done = Task.FromResult(1);
                    var delay = Task.Delay(100);
                    var e = WorkAsync();
                    await e;
                    await done;
                    await delay;
                }

                Task WorkAsync() => Task.CompletedTask;
            }
            """);

    [Fact]
    public Task WhenAny_used_as_a_timeout_with_a_later_check_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading.Tasks;

            class C
            {
                async Task M(Task work)
                {
                    await Task.WhenAny(work, Task.Delay(5000));
                    if (!work.IsCompleted) throw new TimeoutException();

                    var winner = await Task.WhenAny(work, Task.Delay(10));
                    await winner;
                }
            }
            """);

    [Fact]
    public Task WhenAny_bounding_the_wait_for_work_kept_in_a_field_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class LoopService
            {
                private Task? _executeTask;
                private readonly CancellationTokenSource _stopping = new();

                public async Task StopAsync(CancellationToken cancellationToken)
                {
                    _stopping.Cancel();
                    // Wait for the loop, or until the caller stops waiting; the field keeps the loop's outcome.
                    await Task.WhenAny(_executeTask!, Task.Delay(Timeout.Infinite, cancellationToken)).ConfigureAwait(false);
                }

                public async Task StopWithSignalAsync(CancellationToken cancellationToken)
                {
                    var gaveUp = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                    using var registration = cancellationToken.Register(() => gaveUp.TrySetResult(true));
                    await Task.WhenAny(this._executeTask!, gaveUp.Task);
                }
            }
            """);

    [Fact]
    public Task WhenAny_bounding_the_wait_for_a_completion_source_kept_in_a_field_is_not_reported_a_local_one_is()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class Listener
            {
                private TaskCompletionSource<bool> _runningTask = new(TaskCreationOptions.RunContinuationsAsynchronously);
                private CancellationTokenSource? _cts;

                public async Task StopAsync(CancellationToken cancellationToken)
                {
                    _cts?.Cancel();
                    // The listening loops complete the field's source when the last one exits.
                    await Task.WhenAny(_runningTask.Task, Task.Delay(-1, cancellationToken));
                }

                public async Task StopWithLocalAsync(CancellationToken cancellationToken)
                {
                    var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                    Watch(done);
                    await {|CONC104:Task.WhenAny(done.Task, Task.Delay(-1, cancellationToken))|};
                }

                private static void Watch(TaskCompletionSource<bool> done) => done.TrySetResult(true);
            }
            """);

    [Fact]
    public Task WhenAny_wake_up_whose_losers_are_cancelled_next_is_not_reported_work_on_another_token_is()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class Events { public Task<T> WaitNext<T>(Func<T, bool> predicate, CancellationToken ct) => Task.FromResult(default(T)!); }

            class PayoutWatcher
            {
                private readonly Events _events = new();

                // Wait for the payout to change, or a second in case the event was missed; then stop the other wait.
                public async Task WaitPayoutChanged(string id, CancellationToken cancellationToken)
                {
                    using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    var delay = Task.Delay(1000, cts.Token);
                    var changed = _events.WaitNext<string>(o => o == id, cts.Token);
                    await Task.WhenAny(delay, changed);
                    cts.Cancel();
                }

                public async Task WaitInlineAsync(string id, CancellationToken cancellationToken)
                {
                    using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    await Task.WhenAny(Task.Delay(1000, cts.Token), _events.WaitNext<string>(o => o == id, cts.Token));
                    await cts.CancelAsync();
                }

                // The wait for the change keeps the service's token: cancelling the delay leaves it waiting.
                public async Task WaitSettingsAsync(CancellationToken serviceToken)
                {
                    using var delayCancel = CancellationTokenSource.CreateLinkedTokenSource(serviceToken);
                    var delay = Task.Delay(TimeSpan.FromHours(1), delayCancel.Token);
                    var changed = _events.WaitNext<string>(o => true, serviceToken);
                    await {|CONC104:Task.WhenAny(delay, changed)|};
                    delayCancel.Cancel();
                }

                // Nothing cancels the losers.
                public async Task WaitWithoutCancelAsync(string id, CancellationToken cancellationToken)
                {
                    using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    var delay = Task.Delay(1000, cts.Token);
                    var changed = _events.WaitNext<string>(o => o == id, cts.Token);
                    await {|CONC104:Task.WhenAny(delay, changed)|};
                    Console.WriteLine("woke up");
                }
            }
            """);

    [Fact]
    public Task WhenAny_bounding_the_wait_for_a_task_whose_fault_was_handed_to_Ignore_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading.Tasks;

            static class TaskExtensions
            {
                public static void Ignore(this Task task) => task.ContinueWith(t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted);
                public static Task Logged(this Task task) => task;
            }

            class MembershipTable
            {
                public async Task UpdateStatusAsync()
                {
                    var updateTask = UpdateAsync();
                    updateTask.Ignore();
                    await Task.WhenAny(Task.Delay(TimeSpan.FromMilliseconds(500)), updateTask);

                    var gossipTask = GossipAsync();
                    _ = gossipTask.Logged();
                    await {|CONC104:Task.WhenAny(Task.Delay(500), gossipTask)|};

                    var probeTask = GossipAsync();
                    probeTask.Ignore();
                    await {|CONC104:Task.WhenAny(Task.Delay(500), probeTask, UpdateAsync())|};
                }

                private Task UpdateAsync() => Task.Delay(1);
                private Task GossipAsync() => Task.Delay(1);
            }
            """);

    [Fact]
    public Task WhenAny_bounding_the_join_of_kept_background_work_by_a_grace_period_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Collections.Generic;
            using System.Threading;
            using System.Threading.Tasks;

            static class TokenExtensions
            {
                public static Task WhenCancelled(this CancellationToken token) => Task.Delay(Timeout.Infinite, token);
            }

            class HealthMonitor
            {
                private readonly List<Task> _loops = new();

                public void Participate()
                {
                    var tasks = new List<Task>();

                    Task OnStart(CancellationToken ct)
                    {
                        tasks.Add(Task.Run(() => Task.Delay(100)));
                        return Task.CompletedTask;
                    }

                    async Task OnStop(CancellationToken ct)
                    {
                        var gracePeriod = Task.WhenAll(Task.Delay(TimeSpan.FromSeconds(5)), ct.WhenCancelled());
                        await Task.WhenAny(gracePeriod, Task.WhenAll(tasks));
                    }

                    async Task OnLoopsStop(CancellationToken ct)
                    {
                        var cancellation = ct.WhenCancelled();
                        var shortGrace = Task.WhenAll(Task.Delay(100), cancellation);
                        await Task.WhenAny(shortGrace, Task.WhenAll(_loops));
                    }

                    async Task OnLocalStop(CancellationToken ct)
                    {
                        var local = new List<Task> { Task.Delay(1) };
                        await {|CONC104:Task.WhenAny(Task.WhenAll(Task.Delay(1), ct.WhenCancelled()), Task.WhenAll(local))|};
                    }

                    async Task OnWorkStop()
                    {
                        await {|CONC104:Task.WhenAny(Task.WhenAll(Task.Delay(1), Task.Run(() => 1)), Task.WhenAll(_loops))|};
                    }

                    async Task OnReassignedStop()
                    {
                        var reassigned = Task.Delay(100);
                        reassigned = Task.Run(() => Task.Delay(5));
                        await {|CONC104:Task.WhenAny(reassigned, Task.WhenAll(tasks))|};
                    }

                    _ = OnStop(CancellationToken.None);
                    _ = OnLoopsStop(CancellationToken.None);
                    _ = OnLocalStop(CancellationToken.None);
                    _ = OnWorkStop();
                    _ = OnReassignedStop();
                    _ = OnStart(CancellationToken.None);
                }
            }
            """);

    [Fact]
    public Task WhenAny_over_work_started_here_or_a_local_is_still_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class Mirror
            {
                private Task _primary = Task.CompletedTask;

                public async Task SyncAsync(CancellationToken ct)
                {
                    var secondary = CopyAsync(ct);
                    await {|CONC104:Task.WhenAny(_primary, secondary)|};
                }

                public async Task SyncWithDeadlineAsync(CancellationToken ct)
                    => await {|CONC104:Task.WhenAny(_primary, CopyAsync(ct), Task.Delay(1000, ct))|};

                private Task CopyAsync(CancellationToken ct) => Task.Delay(1, ct);
            }
            """);

    [Fact]
    public Task WhenAny_of_one_task_waits_for_it_quietly_a_collection_or_two_tasks_are_still_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Generic;
            using System.Threading;
            using System.Threading.Tasks;

            class Buffered
            {
                public async Task DrainAsync(CancellationTokenSource cts)
                {
                    var producer = ProduceAsync(cts.Token);
                    try
                    {
                        await producer.ConfigureAwait(false);
                    }
                    finally
                    {
                        if (!producer.IsCompleted)
                        {
                            cts.Cancel();
                            await Task.WhenAny(producer).ConfigureAwait(false);
                        }
                    }
                }

                public async Task OneStartedHereAsync(CancellationToken ct)
                    => await Task.WhenAny(CountAsync(ct));

                public async Task ManyAsync(List<Task> tasks, Task[] array, CancellationToken ct)
                {
                    await {|CONC104:Task.WhenAny(tasks)|};
                    await {|CONC104:Task.WhenAny(array)|};
                    await {|CONC104:Task.WhenAny(ProduceAsync(ct), ProduceAsync(ct))|};
                }

                private Task ProduceAsync(CancellationToken ct) => Task.Delay(1, ct);
                private Task<int> CountAsync(CancellationToken ct) => Task.FromResult(1);
            }
            """);

    [Fact]
    public Task Foreach_over_a_lazy_sequence_or_with_try_catch_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Collections.Generic;
            using System.Linq;
            using System.Threading.Tasks;

            class C
            {
                async Task M(IEnumerable<int> ids, List<Task> tasks)
                {
                    foreach (var t in ids.Select(id => WorkAsync(id))) await t;

                    foreach (var t in tasks)
                    {
                        try { await t; }
                        catch (Exception ex) { Console.WriteLine(ex); }
                    }
                }

                Task WorkAsync(int id) => Task.CompletedTask;
            }
            """);

    [Fact]
    public Task Foreach_over_tasks_joined_with_WhenAll_first_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Collections.Generic;
            using System.Linq;
            using System.Threading.Tasks;

            class C
            {
                async Task<int> SumAsync(IReadOnlyList<Func<Task<int>>> sources)
                {
                    var tasks = sources.Select(s => s()).ToList();
                    await Task.WhenAll(tasks).ConfigureAwait(false);
                    var sum = 0;
                    foreach (var t in tasks)
                    {
                        sum += await t;
                    }

                    return sum;
                }

                async Task DrainAsync(Task[] started, List<Task> others)
                {
                    Task.WaitAll(started);
                    foreach (var t in started) await t;
                    {|CONC104:foreach (var t in others)|} await t;
                }
            }
            """);

    [Fact]
    public Task Task_started_after_the_first_await_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading.Tasks;

            class C
            {
                async Task M()
                {
                    var a = WorkAsync();
                    await a;
                    var b = WorkAsync();
                    await b;
                    for (var i = 0; i < 3; i++)
                    {
                        var c = WorkAsync();
                        await c;
                    }
                }

                Task WorkAsync() => Task.CompletedTask;
            }
            """);

    [Fact]
    public Task Half_typed_code_does_not_throw()
    {
        const string source = """
            using System.Threading.Tasks;

            class C
            {
                async Task M()
                {
                    var a = Missing();
                    var b = Missing();
                    await a;
                    await Task.WhenAny(;
                    foreach (var t in ) await t;
                }
            }
            """;
        return new Verify.Test { TestCode = source, FixedCode = source, CompilerDiagnostics = CompilerDiagnostics.None }.RunAsync();
    }

    [Fact]
    public Task Netstandard_library_in_CSharp_7_3_is_reported_and_fixed()
        => new Verify.Test
        {
            ReferenceAssemblies = ConcurrencyAnalyzers.Tests.Verifiers.TestReferences.NetStandard20,
            LanguageVersion = Microsoft.CodeAnalysis.CSharp.LanguageVersion.CSharp7_3,
            TestCode = """
                using System.Threading.Tasks;

                class Profile
                {
                    async Task<int> LoadAsync(int id)
                    {
                        var user = LoadUserAsync(id);
                        var orders = LoadOrdersAsync(id);
                        var u = {|CONC104:await user|};
                        var o = await orders;
                        return u + o;
                    }

                    Task<int> LoadUserAsync(int id) => Task.FromResult(id);
                    Task<int> LoadOrdersAsync(int id) => Task.FromResult(id);
                }
                """,
            FixedCode = """
                using System.Threading.Tasks;

                class Profile
                {
                    async Task<int> LoadAsync(int id)
                    {
                        var user = LoadUserAsync(id);
                        var orders = LoadOrdersAsync(id);
                        await Task.WhenAll(user, orders);
                        var u = await user;
                        var o = await orders;
                        return u + o;
                    }

                    Task<int> LoadUserAsync(int id) => Task.FromResult(id);
                    Task<int> LoadOrdersAsync(int id) => Task.FromResult(id);
                }
                """,
        }.RunAsync();

}
