using ConcurrencyAnalyzers.Cancellation;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<
    ConcurrencyAnalyzers.Cancellation.LoopIgnoresTokenAnalyzer,
    ConcurrencyAnalyzers.CodeFixes.Cancellation.LoopIgnoresTokenCodeFix>;

namespace ConcurrencyAnalyzers.Tests.Cancellation;

public sealed class LoopIgnoresTokenTests
{
    private const string Queue = """
        using System.Threading;
        using System.Threading.Tasks;

        interface IQueue { Task<string?> DequeueAsync(); bool TryTake(out string item); void Handle(string item); }

        """;

    [Fact]
    public Task Constant_true_loop_that_awaits_is_reported_and_fixed()
        => Verify.VerifyCodeFixAsync(
            Queue + """
            class C
            {
                async Task PumpAsync(IQueue queue, CancellationToken ct)
                {
                    {|#0:while|} (true)
                    {
                        // next message
                        var item = await queue.DequeueAsync();
                        if (item is null) break;
                        queue.Handle(item);
                    }
                }
            }
            """,
            new[] { Verify.Diagnostic(LoopIgnoresTokenAnalyzer.Rule).WithLocation(0).WithArguments("ct") },
            Queue + """
            class C
            {
                async Task PumpAsync(IQueue queue, CancellationToken ct)
                {
                    while (true)
                    {
                        ct.ThrowIfCancellationRequested();
                        // next message
                        var item = await queue.DequeueAsync();
                        if (item is null) break;
                        queue.Handle(item);
                    }
                }
            }
            """);

    [Fact]
    public Task Loops_bounded_by_a_deadline_are_not_reported_restarted_clocks_and_or_conditions_are()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Diagnostics;
            using System.IO;
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                async Task WaitForFileAsync(string path, TimeSpan timeout, CancellationToken token)
                {
                    // Each ends when the deadline passes.
                    var stopwatch = Stopwatch.StartNew();
                    while (stopwatch.Elapsed < timeout)
                    {
                        if (File.Exists(path)) break;
                        Thread.Sleep(100);
                    }
                    while (!File.Exists(path) && stopwatch.ElapsedMilliseconds < 5000)
                    {
                        Thread.Sleep(100);
                    }
                    var deadline = DateTime.UtcNow + timeout;
                    do
                    {
                        await Task.Yield();
                    }
                    while (DateTime.UtcNow < deadline);
                    var start = Stopwatch.GetTimestamp();
                    while (Stopwatch.GetElapsedTime(start).TotalSeconds <= 5 && !File.Exists(path))
                    {
                        Thread.Sleep(10);
                    }
                    for (var started = Environment.TickCount64; Environment.TickCount64 - started < 5000;)
                    {
                        Thread.Sleep(10);
                    }

                    // An idle timeout pushed back on every pass, or a deadline that is only one way out, is not a bound.
                    {|CONC402:while|} (stopwatch.Elapsed < timeout)
                    {
                        if (File.Exists(path)) stopwatch.Restart();
                        Thread.Sleep(100);
                    }
                    {|CONC402:while|} (DateTime.UtcNow < deadline)
                    {
                        deadline = DateTime.UtcNow + timeout;
                        Thread.Sleep(100);
                    }
                    {|CONC402:while|} (!File.Exists(path) || stopwatch.Elapsed < timeout)
                    {
                        Thread.Sleep(100);
                    }
                }
            }
            """);

    [Fact]
    public Task Data_dependent_loops_that_block_are_reported_Fix_All()
        => Verify.VerifyCodeFixAsync(
            Queue + """
            class C
            {
                void Drain(IQueue queue, CancellationToken cancellationToken)
                {
                    {|CONC402:while|} (queue.TryTake(out var item))
                        Thread.Sleep(10);
                    {|CONC402:do|}
                    {
                        Thread.Sleep(10);
                    }
                    while (queue.TryTake(out _));
                    {|CONC402:for|} (;;)
                    {
                        Thread.Sleep(1);
                    }
                }
            }
            """,
            Queue + """
            class C
            {
                void Drain(IQueue queue, CancellationToken cancellationToken)
                {
                    while (queue.TryTake(out var item))
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        Thread.Sleep(10);
                    }
                    do
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        Thread.Sleep(10);
                    }
                    while (queue.TryTake(out _));
                    for (;;)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        Thread.Sleep(1);
                    }
                }
            }
            """);

    [Fact]
    public Task A_loop_walking_a_chain_to_its_null_end_is_not_reported_one_that_does_not_advance_its_cursor_is()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            sealed class State
            {
                public State SuperState;
                public State Parent { get; set; }
                public Task Raise(string name) => Task.CompletedTask;
                public bool HasState(State other) => ReferenceEquals(this, other);
            }

            sealed class Transition
            {
                async Task Enter(State toState, State current, CancellationToken cancellationToken)
                {
                    var superState = toState.SuperState;
                    while (superState != null && !superState.HasState(current))
                    {
                        await superState.Raise("enter");
                        superState = superState.SuperState;
                    }

                    var parent = toState;
                    while (parent is not null)
                    {
                        await parent.Raise("leave");
                        parent = parent.Parent;
                    }

                    var other = toState;
                    {|CONC402:while|} (other != null)
                    {
                        await other.Raise("again");
                        other = current.SuperState;
                    }

                    var skipping = toState;
                    {|CONC402:while|} (skipping != null)
                    {
                        if (skipping.HasState(current))
                            continue;
                        await skipping.Raise("skip");
                        skipping = skipping.SuperState;
                    }
                }
            }
            """);

    [Fact]
    public Task Loop_in_a_lambda_uses_the_lambdas_token()
        => Verify.VerifyCodeFixAsync(
            Queue + """
            class C
            {
                Task RunAsync(IQueue[] queues, CancellationToken ct)
                    => Parallel.ForEachAsync(queues, ct, async (queue, token) =>
                    {
                        {|CONC402:while|} (await queue.DequeueAsync() is { } item)
                        {
                            queue.Handle(item);
                        }
                    });
            }
            """,
            Queue + """
            class C
            {
                Task RunAsync(IQueue[] queues, CancellationToken ct)
                    => Parallel.ForEachAsync(queues, ct, async (queue, token) =>
                    {
                        while (await queue.DequeueAsync() is { } item)
                        {
                            token.ThrowIfCancellationRequested();
                            queue.Handle(item);
                        }
                    });
            }
            """);

    // ---- negatives ----

    [Fact]
    public Task Loops_that_observe_a_token_are_fine()
        => Verify.VerifyAnalyzerAsync(Queue + """
            class C
            {
                async Task PumpAsync(IQueue queue, CancellationToken ct)
                {
                    using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    while (!ct.IsCancellationRequested) { await queue.DequeueAsync(); }
                    while (true) { linked.Token.ThrowIfCancellationRequested(); await queue.DequeueAsync(); }
                    while (true) { await Task.Delay(10, linked.Token); }
                }
            }
            """);

    [Fact]
    public Task A_token_read_after_the_slow_work_observes_it_a_loop_that_only_blocks_is_reported()
        => Verify.VerifyAnalyzerAsync(Queue + """
            class C
            {
                private volatile bool _running = true;

                void Pump(IQueue queue, CancellationToken ct)
                {
                    while (_running)
                    {
                        Thread.Sleep(10);
                        if (queue.TryTake(out var item)) queue.Handle(item);
                        if (ct.IsCancellationRequested) _running = false;
                    }

                    {|#0:while|} (_running)
                    {
                        Thread.Sleep(10);
                        if (queue.TryTake(out var item)) queue.Handle(item);
                    }
                }
            }
            """,
            Verify.Diagnostic(LoopIgnoresTokenAnalyzer.Rule).WithLocation(0).WithArguments("ct"));

    [Fact]
    public Task A_condition_that_reads_the_token_observes_it_one_that_reads_other_values_does_not()
        => Verify.VerifyAnalyzerAsync(Queue + """
            class C
            {
                async Task PumpAsync(IQueue queue, CancellationToken ct, CancellationTokenSource cts)
                {
                    for (var cancelled = false; !cancelled && !ct.IsCancellationRequested;) { await queue.DequeueAsync(); }
                    do { await queue.DequeueAsync(); } while (!cts.IsCancellationRequested);
                    var stopping = CancellationToken.None.IsCancellationRequested;
                    {|#0:while|} (!stopping) { await queue.DequeueAsync(); }
                    {|#1:for|} (var cancelled = false; !cancelled;) { cancelled = await queue.DequeueAsync() is null; }
                }
            }
            """,
            Verify.Diagnostic(LoopIgnoresTokenAnalyzer.Rule).WithLocation(0).WithArguments("ct"),
            Verify.Diagnostic(LoopIgnoresTokenAnalyzer.Rule).WithLocation(1).WithArguments("ct"));

    [Fact]
    public Task Loop_calling_a_local_function_that_uses_the_captured_token_observes_it_one_that_does_not_is_reported()
        => Verify.VerifyAnalyzerAsync("using System.Threading.Channels;\n" + Queue + """
            class C
            {
                async Task<int> PumpAsync(ChannelReader<string> reader, IQueue sink, CancellationToken ct)
                {
                    var moved = 0;
                    while (true)
                    {
                        var item = await NextAsync();
                        if (item is null) break;
                        sink.Handle(item);
                        moved++;
                    }

                    {|CONC402:while|} (await PollAsync() is { } polled)
                    {
                        sink.Handle(polled);
                    }

                    return moved;

                    async Task<string?> NextAsync()
                        => await reader.WaitToReadAsync(ct) && reader.TryRead(out var s) ? s : null;

                    Task<string?> PollAsync() => sink.DequeueAsync();
                }
            }
            """);

    [Fact]
    public Task Counted_and_foreach_loops_and_cheap_loops_are_fine()
        => Verify.VerifyAnalyzerAsync(Queue + """
            class C
            {
                async Task RunAsync(IQueue queue, string[] items, CancellationToken ct)
                {
                    for (var i = 0; i < items.Length; i++) { await queue.DequeueAsync(); }
                    foreach (var item in items) { await queue.DequeueAsync(); }
                    while (queue.TryTake(out var item)) { queue.Handle(item); }
                }
            }
            """);

    [Fact]
    public Task Loop_with_a_call_that_could_take_the_token_is_CONC401s()
        => Verify.VerifyAnalyzerAsync(Queue + """
            class C
            {
                async Task RunAsync(IQueue queue, CancellationToken ct)
                {
                    while (true) { await Task.Delay(1000); queue.Handle("x"); }
                }
            }
            """);

    [Fact]
    public Task Spawned_loop_is_CONC101s()
        => Verify.VerifyAnalyzerAsync(Queue + """
            class C
            {
                void Start(IQueue queue, CancellationToken ct)
                {
                    Task.Run(async () => { while (true) { await queue.DequeueAsync(); } }, ct);
                    new Thread(() => { while (true) { Thread.Sleep(100); } }).Start();
                }
            }
            """);

    [Fact]
    public Task No_token_in_scope_and_nullable_token_are_fine()
        => Verify.VerifyAnalyzerAsync(Queue + """
            class C
            {
                async Task RunAsync(IQueue queue, CancellationToken? ct)
                {
                    while (true) { await queue.DequeueAsync(); }
                }

                async Task OtherAsync(IQueue queue)
                {
                    while (true) { await queue.DequeueAsync(); }
                }
            }
            """);

    [Fact]
    public Task PeriodicTimer_loop_is_CONC108s()
        => Verify.VerifyAnalyzerAsync(Queue + """
            class C
            {
                async Task RunAsync(PeriodicTimer timer, IQueue queue, CancellationToken ct)
                {
                    while (await timer.WaitForNextTickAsync()) { queue.Handle("tick"); }
                }
            }
            """);

    [Fact]
    public Task Static_local_function_cannot_reach_the_token()
        => Verify.VerifyAnalyzerAsync(Queue + """
            class C
            {
                void Run(CancellationToken ct)
                {
                    Local();
                    static void Local() { while (true) { Thread.Sleep(100); } }
                }
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
                    void Run(CancellationToken ct)
                    {
                        while (Missing() { Thread.Sleep(
                    }
                }
                """,
            CompilerDiagnostics = CompilerDiagnostics.None,
        }.RunAsync();

    [Fact]
    public Task Draining_an_enumerator_by_hand_is_not_reported()
        => Verify.VerifyAnalyzerAsync("""
            using System.Collections.Generic;
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                async Task M(IAsyncEnumerable<int> source, CancellationToken cancellationToken)
                {
                    var e = source.GetAsyncEnumerator(cancellationToken);
                    while (await e.MoveNextAsync()) { }
                }
            }
            """);

    [Fact]
    public Task Draining_an_in_memory_collection_is_not_reported()
        => Verify.VerifyAnalyzerAsync("""
            using System.Collections.Generic;
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private readonly SortedSet<string> _pending = new();

                async Task FlushAsync(Queue<string> queue, Stack<string> stack, CancellationToken ct)
                {
                    while (queue.Count > 0)
                    {
                        var item = queue.Dequeue();
                        await NotifyAsync(item);
                    }

                    while (stack.TryPop(out var top)) { await NotifyAsync(top); }

                    // The shape of Quartz.NET's RAMJobStore.AcquireNextTriggers: take the smallest, remove it, await.
                    while (true)
                    {
                        var next = _pending.Min;
                        if (next is null)
                        {
                            break;
                        }

                        _pending.Remove(next);
                        await NotifyAsync(next);
                    }
                }

                static Task NotifyAsync(string item) => Task.CompletedTask;
            }
            """);

    [Fact]
    public Task Loops_that_may_not_drain_a_collection_are_still_reported()
        => Verify.VerifyAnalyzerAsync("""
            using System.Collections.Concurrent;
            using System.Collections.Generic;
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private readonly object _gate = new();
                private readonly Queue<string> _queue = new();

                async Task PumpAsync(ConcurrentQueue<string> inbox, CancellationToken ct)
                {
                    {|#0:while|} (true)
                    {
                        string? item = null;
                        lock (_gate)
                        {
                            if (_queue.Count > 0) item = _queue.Dequeue();
                        }

                        await NotifyAsync(item);
                    }
                }

                async Task PollAsync(ConcurrentQueue<string> inbox, CancellationToken ct)
                {
                    {|#1:while|} (inbox.TryDequeue(out var item))
                    {
                        await NotifyAsync(item);
                    }
                }

                // Removes on every pass, but nothing ends the loop, or its end does not depend on the list.
                async Task MaintainAsync(List<string> stale, string key, CancellationToken ct)
                {
                    {|#2:while|} (true)
                    {
                        stale.Remove(key);
                        await NotifyAsync(key);
                    }
                }

                private volatile bool _stopped;

                async Task SweepAsync(List<string> stale, string key, CancellationToken ct)
                {
                    {|#3:while|} (!_stopped)
                    {
                        stale.Remove(key);
                        await NotifyAsync(key);
                    }
                }

                static Task NotifyAsync(string? item) => Task.CompletedTask;
            }
            """,
            Verify.Diagnostic(LoopIgnoresTokenAnalyzer.Rule).WithLocation(0).WithArguments("ct"),
            Verify.Diagnostic(LoopIgnoresTokenAnalyzer.Rule).WithLocation(1).WithArguments("ct"),
            Verify.Diagnostic(LoopIgnoresTokenAnalyzer.Rule).WithLocation(2).WithArguments("ct"),
            Verify.Diagnostic(LoopIgnoresTokenAnalyzer.Rule).WithLocation(3).WithArguments("ct"));

    [Fact]
    public Task Loops_where_the_token_is_known_not_cancellable_are_not_reported_where_it_can_be_they_are()
        => Verify.VerifyAnalyzerAsync("using System;\n" + Queue + """
            class C
            {
                async Task<long> ReadAsync(IQueue queue, Func<string, Task> receiver, CancellationToken ct)
                {
                    long count = 0;
                    if (ct.CanBeCanceled)
                    {
                        {|CONC402:while|} (queue.TryTake(out var item))
                            await receiver(item);
                    }
                    else
                    {
                        while (queue.TryTake(out var item))
                            await receiver(item);
                    }

                    if (!ct.CanBeCanceled)
                    {
                        while (queue.TryTake(out var item)) { await receiver(item); count++; }
                    }

                    if (ct == CancellationToken.None)
                    {
                        while (queue.TryTake(out var item)) await receiver(item);
                    }

                    if (ct != CancellationToken.None)
                    {
                        {|CONC402:while|} (queue.TryTake(out var item)) await receiver(item);
                    }

                    return count;
                }
            }
            """);

    [Fact]
    public Task Loops_that_ask_the_context_carrying_the_token_whether_it_is_stopping_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            public class ProcessingContext
            {
                public ProcessingContext(CancellationToken cancellationToken) => CancellationToken = cancellationToken;

                public CancellationToken CancellationToken { get; }

                public bool IsStopping => CancellationToken.IsCancellationRequested;

                public void ThrowIfStopping() => CancellationToken.ThrowIfCancellationRequested();
            }

            public class Switch { public bool IsSet { get; set; } }

            public interface IProcessor { Task ProcessAsync(ProcessingContext context); }

            class InfiniteRetryProcessor
            {
                private readonly IProcessor _inner;

                public InfiniteRetryProcessor(IProcessor inner) => _inner = inner;

                public async Task ProcessAsync(ProcessingContext context)
                {
                    while (!context.IsStopping)
                    {
                        try
                        {
                            await _inner.ProcessAsync(context);
                        }
                        catch (OperationCanceledException)
                        {
                        }
                    }
                }

                public async Task DrainAsync(ProcessingContext context)
                {
                    while (true)
                    {
                        context.ThrowIfStopping();
                        await _inner.ProcessAsync(context);
                    }
                }

                public async Task SpinAsync(ProcessingContext context, Switch done)
                {
                    {|CONC402:while|} (!done.IsSet)
                    {
                        await _inner.ProcessAsync(context);
                    }
                }
            }
            """);

    [Fact]
    public Task CSharp73_fix_works()
        => new Verify.Test
        {
            ReferenceAssemblies = Verifiers.TestReferences.NetStandard20,
            LanguageVersion = Microsoft.CodeAnalysis.CSharp.LanguageVersion.CSharp7_3,
            TestCode = """
                using System.Threading;
                class C
                {
                    void Run(CancellationToken ct)
                    {
                        {|CONC402:while|} (true)
                        {
                            Thread.Sleep(100);
                        }
                    }
                }
                """,
            FixedCode = """
                using System.Threading;
                class C
                {
                    void Run(CancellationToken ct)
                    {
                        while (true)
                        {
                            ct.ThrowIfCancellationRequested();
                            Thread.Sleep(100);
                        }
                    }
                }
                """,
        }.RunAsync();

    [Fact]
    public Task Waiting_on_an_array_that_holds_the_tokens_wait_handle_observes_it_other_handles_do_not()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;

            class Pump
            {
                private readonly AutoResetEvent _work = new AutoResetEvent(false);
                private readonly ManualResetEvent _stop = new ManualResetEvent(false);

                public void Run(CancellationToken ct)
                {
                    var handles = new[] { _work, ct.WaitHandle };
                    while (true)
                    {
                        if (WaitHandle.WaitAny(handles) == 1)
                        {
                            break;
                        }
                    }
                }

                public void RunInline(CancellationToken ct)
                {
                    while (true)
                    {
                        if (WaitHandle.WaitAny(new WaitHandle[] { ct.WaitHandle, _work }, 1000) == 0)
                        {
                            return;
                        }
                    }
                }

                public void RunOnOtherHandles(CancellationToken ct)
                {
                    var handles = new WaitHandle[] { _work, _stop };
                    {|CONC402:while|} (true)
                    {
                        WaitHandle.WaitAny(handles);
                    }
                }
            }
            """);
}
