using ConcurrencyAnalyzers.Coordination;
using ConcurrencyAnalyzers.Tests.Verifiers;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<
    ConcurrencyAnalyzers.Coordination.ChannelProtocolMisuseAnalyzer,
    ConcurrencyAnalyzers.CodeFixes.Coordination.ChannelProtocolMisuseCodeFix>;

namespace ConcurrencyAnalyzers.Tests.Coordination;

public sealed class ChannelProtocolMisuseTests
{
    private const string Usings = """
        using System;
        using System.Collections.Concurrent;
        using System.Collections.Generic;
        using System.Linq;
        using System.Threading;
        using System.Threading.Channels;
        using System.Threading.Tasks;

        """;

    [Fact]
    public Task Each_of_several_producers_completing_becomes_TryComplete()
        => Verify.VerifyCodeFixAsync(Usings + """
            class Merger
            {
                async Task MergeAsync(IEnumerable<ChannelReader<int>> feeds, CancellationToken ct)
                {
                    var channel = Channel.CreateUnbounded<int>();
                    var producers = feeds.Select(feed => Task.Run(async () =>
                    {
                        await foreach (var e in feed.ReadAllAsync(ct))
                            await channel.Writer.WriteAsync(e, ct);
                        // done
                        {|#0:channel.Writer.Complete()|};
                    })).ToArray();
                    await foreach (var e in channel.Reader.ReadAllAsync(ct)) Console.WriteLine(e);
                    await Task.WhenAll(producers);
                }
            }
            """,
            new[] { Verify.Diagnostic(ChannelProtocolMisuseAnalyzer.TwiceRule).WithLocation(0).WithArguments("channel.Writer.Complete()", "each of several producers run by Task.Run completes it") },
            Usings + """
            class Merger
            {
                async Task MergeAsync(IEnumerable<ChannelReader<int>> feeds, CancellationToken ct)
                {
                    var channel = Channel.CreateUnbounded<int>();
                    var producers = feeds.Select(feed => Task.Run(async () =>
                    {
                        await foreach (var e in feed.ReadAllAsync(ct))
                            await channel.Writer.WriteAsync(e, ct);
                        // done
                        channel.Writer.TryComplete();
                    })).ToArray();
                    await foreach (var e in channel.Reader.ReadAllAsync(ct)) Console.WriteLine(e);
                    await Task.WhenAll(producers);
                }
            }
            """);

    [Fact]
    public Task Complete_in_try_and_finally_and_in_a_Parallel_body_are_fixed_together()
        => Verify.VerifyCodeFixAsync(Usings + """
            class Producer
            {
                private readonly Channel<int> _channel = Channel.CreateUnbounded<int>();

                async Task RunAsync(int[] items, ChannelWriter<string> log)
                {
                    try
                    {
                        foreach (var i in items) await _channel.Writer.WriteAsync(i);
                        _channel.Writer.Complete();
                    }
                    finally
                    {
                        {|#0:_channel.Writer.Complete()|}; // always
                    }

                    Parallel.ForEach(items, i =>
                    {
                        log.TryWrite(i.ToString());
                        {|#1:log.Complete()|};
                    });
                }
            }
            """,
            new[]
            {
                Verify.Diagnostic(ChannelProtocolMisuseAnalyzer.TwiceRule).WithLocation(0).WithArguments("_channel.Writer.Complete()", "_channel.Writer.Complete()"),
                Verify.Diagnostic(ChannelProtocolMisuseAnalyzer.TwiceRule).WithLocation(1).WithArguments("log.Complete()", "each of several producers run by Parallel.ForEach completes it"),
            },
            Usings + """
            class Producer
            {
                private readonly Channel<int> _channel = Channel.CreateUnbounded<int>();

                async Task RunAsync(int[] items, ChannelWriter<string> log)
                {
                    try
                    {
                        foreach (var i in items) await _channel.Writer.WriteAsync(i);
                        _channel.Writer.Complete();
                    }
                    finally
                    {
                        _channel.Writer.TryComplete(); // always
                    }

                    Parallel.ForEach(items, i =>
                    {
                        log.TryWrite(i.ToString());
                        log.TryComplete();
                    });
                }
            }
            """);

    [Fact]
    public Task Complete_after_draining_the_same_channel_with_ReadAllAsync_becomes_TryComplete()
        => Verify.VerifyCodeFixAsync(Usings + """
            class Pipeline
            {
                private readonly Channel<int> _channel = Channel.CreateUnbounded<int>();

                async Task<int> ConsumeAsync(CancellationToken ct)
                {
                    var sum = 0;
                    await foreach (var x in _channel.Reader.ReadAllAsync(ct).ConfigureAwait(false))
                    {
                        sum += x;
                    }

                    {|#0:_channel.Writer.Complete()|};
                    return sum;
                }
            }
            """,
            new[] { Verify.Diagnostic(ChannelProtocolMisuseAnalyzer.TwiceRule).WithLocation(0).WithArguments("_channel.Writer.Complete()", "the 'await foreach' over _channel.Reader.ReadAllAsync(ct) above ends only once it is") },
            Usings + """
            class Pipeline
            {
                private readonly Channel<int> _channel = Channel.CreateUnbounded<int>();

                async Task<int> ConsumeAsync(CancellationToken ct)
                {
                    var sum = 0;
                    await foreach (var x in _channel.Reader.ReadAllAsync(ct).ConfigureAwait(false))
                    {
                        sum += x;
                    }

                    _channel.Writer.TryComplete();
                    return sum;
                }
            }
            """);

    [Fact]
    public Task Complete_after_a_drain_that_can_stop_early_or_of_another_channel_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Pipeline
            {
                private readonly Channel<int> _input = Channel.CreateUnbounded<int>();
                private readonly Channel<int> _output = Channel.CreateUnbounded<int>();

                async Task RelayAsync(CancellationToken ct)
                {
                    await foreach (var x in _input.Reader.ReadAllAsync(ct))
                    {
                        await _output.Writer.WriteAsync(x, ct);
                    }

                    _output.Writer.Complete();
                }

                async Task TakeUntilAsync(int stop, CancellationToken ct)
                {
                    await foreach (var x in _input.Reader.ReadAllAsync(ct))
                    {
                        if (x == stop)
                        {
                            break;
                        }
                    }

                    _input.Writer.Complete();
                }
            }
            """);

    [Fact]
    public Task Complete_after_a_catch_that_completed_is_reported()
        => Verify.VerifyCodeFixAsync(Usings + """
            class Producer
            {
                async Task RunAsync(ChannelWriter<int> writer, Func<Task<int>> next)
                {
                    try
                    {
                        await writer.WriteAsync(await next());
                    }
                    catch (Exception ex)
                    {
                        writer.Complete(ex);
                    }
                    finally
                    {
                        {|#0:writer.Complete()|};
                    }
                }
            }
            """,
            new[] { Verify.Diagnostic(ChannelProtocolMisuseAnalyzer.TwiceRule).WithLocation(0).WithArguments("writer.Complete()", "writer.Complete(ex)") },
            Usings + """
            class Producer
            {
                async Task RunAsync(ChannelWriter<int> writer, Func<Task<int>> next)
                {
                    try
                    {
                        await writer.WriteAsync(await next());
                    }
                    catch (Exception ex)
                    {
                        writer.Complete(ex);
                    }
                    finally
                    {
                        writer.TryComplete();
                    }
                }
            }
            """);

    [Fact]
    public Task Write_after_completion_is_reported_without_a_fix()
    {
        var source = Usings + """
            class Stage
            {
                async Task RunAsync(ChannelWriter<int> writer, BlockingCollection<int> queue)
                {
                    await writer.WriteAsync(1);
                    writer.TryComplete();
                    await {|#0:writer.WriteAsync(2)|};
                    queue.CompleteAdding();
                    {|#1:queue.Add(3)|};
                }
            }
            """;
        return Verify.VerifyCodeFixAsync(source,
            new[]
            {
                Verify.Diagnostic(ChannelProtocolMisuseAnalyzer.WriteAfterCompleteRule).WithLocation(0).WithArguments("writer.WriteAsync(2)", "writer.TryComplete()"),
                Verify.Diagnostic(ChannelProtocolMisuseAnalyzer.WriteAfterCompleteRule).WithLocation(1).WithArguments("queue.Add(3)", "queue.CompleteAdding()"),
            },
            source);
    }

    [Fact]
    public Task Ignored_TryWrite_on_a_bounded_waiting_channel_is_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Telemetry
            {
                private readonly Channel<string> _events = Channel.CreateBounded<string>(1000);

                public void Record(string e) => {|#0:_events.Writer.TryWrite(e)|};

                public void RecordTwice(string e)
                {
                    {|#1:_events.Writer.TryWrite(e)|};
                }
            }
            """,
            Verify.Diagnostic(ChannelProtocolMisuseAnalyzer.TryWriteIgnoredRule).WithLocation(0).WithArguments("_events.Writer.TryWrite(e)", ""),
            Verify.Diagnostic(ChannelProtocolMisuseAnalyzer.TryWriteIgnoredRule).WithLocation(1).WithArguments("_events.Writer.TryWrite(e)", ""));

    [Fact]
    public Task TryWrite_into_a_fresh_channel_with_room_for_every_write_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            static class Computation
            {
                public static ChannelReader<int> Start()
                {
                    var result = Channel.CreateBounded<int>(1);
                    _ = Task.Run(() =>
                    {
                        try
                        {
                            result.Writer.TryWrite(Enumerable.Range(1, 1000).Sum());
                        }
                        finally
                        {
                            result.Writer.TryComplete();
                        }
                    });
                    return result.Reader;
                }

                public static ChannelReader<string> Pair(string a, string b)
                {
                    var pair = Channel.CreateBounded<string>(2);
                    pair.Writer.TryWrite(a);
                    pair.Writer.TryWrite(b);
                    pair.Writer.Complete();
                    return pair.Reader;
                }
            }
            """);

    [Fact]
    public Task TryWrite_into_a_fresh_channel_that_can_fill_up_is_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Computation
            {
                public static ChannelReader<int> Twice()
                {
                    var result = Channel.CreateBounded<int>(1);
                    {|#0:result.Writer.TryWrite(1)|};
                    {|#1:result.Writer.TryWrite(2)|};
                    return result.Reader;
                }

                public static ChannelReader<int> InLoop(int[] items)
                {
                    var result = Channel.CreateBounded<int>(4);
                    _ = Task.Run(() =>
                    {
                        foreach (var i in items) {|#2:result.Writer.TryWrite(i)|};
                    });
                    return result.Reader;
                }

                public static ChannelReader<int> Escapes(Action<ChannelWriter<int>> more)
                {
                    var result = Channel.CreateBounded<int>(1);
                    {|#3:result.Writer.TryWrite(1)|};
                    more(result.Writer);
                    return result.Reader;
                }

                public ChannelReader<int> OnEvent(EventHandler<int>? source)
                {
                    var result = Channel.CreateBounded<int>(1);
                    source += (_, value) => {|#4:result.Writer.TryWrite(value)|};
                    return result.Reader;
                }
            }
            """,
            Verify.Diagnostic(ChannelProtocolMisuseAnalyzer.TryWriteIgnoredRule).WithLocation(0).WithArguments("result.Writer.TryWrite(1)", ""),
            Verify.Diagnostic(ChannelProtocolMisuseAnalyzer.TryWriteIgnoredRule).WithLocation(1).WithArguments("result.Writer.TryWrite(2)", ""),
            Verify.Diagnostic(ChannelProtocolMisuseAnalyzer.TryWriteIgnoredRule).WithLocation(2).WithArguments("result.Writer.TryWrite(i)", ""),
            Verify.Diagnostic(ChannelProtocolMisuseAnalyzer.TryWriteIgnoredRule).WithLocation(3).WithArguments("result.Writer.TryWrite(1)", ""),
            Verify.Diagnostic(ChannelProtocolMisuseAnalyzer.TryWriteIgnoredRule).WithLocation(4).WithArguments("result.Writer.TryWrite(value)", ""));

    [Fact]
    public Task Producer_method_started_once_or_completing_only_when_last_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Importer
            {
                private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
                private int _remaining;

                // One producer beside one consumer.
                public Task RunAsync(string path, CancellationToken ct) => Task.WhenAll(ProduceAsync(path, ct), ConsumeAsync(ct));

                // Several producers; only the last one completes.
                public async Task RunManyAsync(string[] paths, CancellationToken ct)
                {
                    _remaining = paths.Length;
                    var tasks = new List<Task>();
                    foreach (var path in paths) tasks.Add(ProduceLastAsync(path, ct));
                    await Task.WhenAll(tasks);
                }

                // Producers run one after another.
                public async Task RunInTurnAsync(string[] paths, CancellationToken ct)
                {
                    foreach (var path in paths) await ProduceTurnAsync(path, ct);
                }

                private async Task ProduceAsync(string path, CancellationToken ct)
                {
                    await _lines.Writer.WriteAsync(path, ct);
                    _lines.Writer.Complete();
                }

                private async Task ProduceLastAsync(string path, CancellationToken ct)
                {
                    await _lines.Writer.WriteAsync(path, ct);
                    if (Interlocked.Decrement(ref _remaining) == 0)
                    {
                        _lines.Writer.Complete();
                    }
                }

                private async Task ProduceTurnAsync(string path, CancellationToken ct)
                {
                    await _lines.Writer.WriteAsync(path, ct);
                    _lines.Writer.TryComplete();
                }

                private async Task ConsumeAsync(CancellationToken ct)
                {
                    await foreach (var line in _lines.Reader.ReadAllAsync(ct)) Console.WriteLine(line);
                }
            }
            """);

    [Fact]
    public Task Producer_method_started_several_times_at_once_that_completes_is_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Importer
            {
                private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();

                public Task RunTwoAsync(string first, string second, CancellationToken ct)
                    => Task.WhenAll(ImportAsync(first, ct), ImportAsync(second, ct));

                public async Task RunManyAsync(string[] paths, CancellationToken ct)
                {
                    var tasks = new List<Task>();
                    foreach (var path in paths) tasks.Add(LoadAsync(path, ct));
                    await Task.WhenAll(tasks);
                }

                private async Task ImportAsync(string path, CancellationToken ct)
                {
                    await _lines.Writer.WriteAsync(path, ct);
                    {|#0:_lines.Writer.Complete()|};
                }

                private async Task LoadAsync(string path, CancellationToken ct)
                {
                    try
                    {
                        await _lines.Writer.WriteAsync(path, ct);
                    }
                    finally
                    {
                        {|#1:_lines.Writer.Complete()|};
                    }
                }
            }
            """,
            Verify.Diagnostic(ChannelProtocolMisuseAnalyzer.TwiceRule).WithLocation(0).WithArguments("_lines.Writer.Complete()", "each of several ImportAsync calls started together completes it"),
            Verify.Diagnostic(ChannelProtocolMisuseAnalyzer.TwiceRule).WithLocation(1).WithArguments("_lines.Writer.Complete()", "each of several LoadAsync calls started together completes it"));

    [Fact]
    public Task TryComplete_from_both_catch_and_finally_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Producer
            {
                async Task RunAsync(ChannelWriter<int> writer, IAsyncEnumerable<int> source)
                {
                    try
                    {
                        await foreach (var i in source) await writer.WriteAsync(i);
                        writer.TryComplete();
                    }
                    catch (Exception ex)
                    {
                        writer.TryComplete(ex);
                        throw;
                    }
                    finally
                    {
                        writer.TryComplete();
                    }
                }
            }
            """);

    [Fact]
    public Task Completion_after_WhenAll_of_several_producers_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Merger
            {
                async Task MergeAsync(IEnumerable<ChannelReader<int>> feeds, CancellationToken ct)
                {
                    var channel = Channel.CreateUnbounded<int>();
                    var producers = feeds.Select(feed => Task.Run(async () =>
                    {
                        await foreach (var e in feed.ReadAllAsync(ct))
                            await channel.Writer.WriteAsync(e, ct);
                    })).ToArray();
                    try
                    {
                        await Task.WhenAll(producers);
                        channel.Writer.Complete();
                    }
                    catch (Exception ex)
                    {
                        channel.Writer.Complete(ex);
                        throw;
                    }
                }
            }
            """);

    [Fact]
    public Task Each_producer_completing_its_own_channel_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Fanout
            {
                void Run(IEnumerable<Channel<int>> channels, int[] items)
                {
                    Parallel.ForEach(channels, channel =>
                    {
                        foreach (var i in items) channel.Writer.TryWrite(i);
                        channel.Writer.Complete();
                    });
                    var single = Channel.CreateUnbounded<int>();
                    _ = Task.Run(() =>
                    {
                        foreach (var i in items) single.Writer.TryWrite(i);
                        single.Writer.Complete();
                    });
                }
            }
            """);

    [Fact]
    public Task TryWrite_on_unbounded_or_drop_mode_channels_or_checked_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Telemetry
            {
                private readonly Channel<string> _unbounded = Channel.CreateUnbounded<string>();
                private readonly Channel<string> _latest = Channel.CreateBounded<string>(new BoundedChannelOptions(10) { FullMode = BoundedChannelFullMode.DropOldest });
                private readonly Channel<string> _bounded = Channel.CreateBounded<string>(10);

                public void Record(string e)
                {
                    _unbounded.Writer.TryWrite(e);
                    _latest.Writer.TryWrite(e);
                    if (!_bounded.Writer.TryWrite(e)) throw new InvalidOperationException("full");
                    _ = _bounded.Writer.TryWrite(e);
                }

                public async Task PumpAsync(string e, CancellationToken ct)
                {
                    while (await _bounded.Writer.WaitToWriteAsync(ct))
                    {
                        if (_bounded.Writer.TryWrite(e)) return;
                    }
                }
            }
            """);

    [Fact]
    public Task TryWrite_with_a_slot_for_every_write_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class FirstWins
            {
                // Go's `make(chan T, len(tasks))`: one slot per sender, so no write can find it full.
                async Task<string> RunFirstAsync(IReadOnlyList<Func<CancellationToken, Task<string>>> tasks, string[] names, CancellationToken ct)
                {
                    var results = Channel.CreateBounded<string>(tasks.Count);
                    var running = new List<Task>();
                    foreach (var task in tasks)
                    {
                        running.Add(Task.Run(async () =>
                        {
                            var value = await task(ct);
                            results.Writer.TryWrite(value);
                        }, ct));
                    }

                    var greetings = Channel.CreateBounded<string>(names.Length);
                    foreach (var name in names) greetings.Writer.TryWrite("hello " + name);

                    await Task.WhenAll(running);
                    return await results.Reader.ReadAsync(ct);
                }

                // Go's `done := make(chan bool, 1)`: one slot, one write.
                async Task MigrateAsync(CancellationToken ct)
                {
                    var done = Channel.CreateBounded<bool>(1);
                    _ = Task.Run(async () =>
                    {
                        try { await Task.Delay(100, ct); }
                        finally { done.Writer.TryWrite(true); }
                    }, ct);
                    await done.Reader.ReadAsync(ct);
                }
            }
            """);

    [Fact]
    public Task TryWrite_with_more_writes_than_slots_is_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Mismatch
            {
                void Fill(string[] names, string[] others)
                {
                    var greetings = Channel.CreateBounded<string>(names.Length);
                    foreach (var other in others) {|CONC603:greetings.Writer.TryWrite(other)|};

                    var pairs = Channel.CreateBounded<string>(names.Length);
                    foreach (var name in names)
                    {
                        for (var i = 0; i < 2; i++) {|CONC603:pairs.Writer.TryWrite(name)|};
                    }

                    var one = Channel.CreateBounded<string>(1);
                    {|CONC603:one.Writer.TryWrite("first")|};
                    {|CONC603:one.Writer.TryWrite("second")|};

                    var signals = Channel.CreateBounded<string>(1);
                    foreach (var name in names) _ = Task.Run(() => { {|CONC603:signals.Writer.TryWrite(name)|}; });
                }
            }
            """);

    [Fact]
    public Task CompleteAdding_in_finally_and_writes_before_completion_are_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Producer
            {
                void Run(BlockingCollection<int> queue, ChannelWriter<int> writer, int[] items, bool stop)
                {
                    try
                    {
                        foreach (var i in items) queue.Add(i);
                    }
                    finally
                    {
                        queue.CompleteAdding();
                    }

                    if (stop)
                    {
                        writer.TryComplete();
                        return;
                    }

                    writer.TryWrite(1);
                    foreach (var i in items)
                    {
                        writer.TryWrite(i);
                    }

                    writer.Complete();
                }
            }
            """);

    [Fact]
    public Task Complete_then_return_in_a_branch_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Producer
            {
                async Task RunAsync(ChannelWriter<int> writer, Func<Task<int?>> next)
                {
                    while (true)
                    {
                        var item = await next();
                        if (item is null)
                        {
                            writer.Complete();
                            return;
                        }

                        await writer.WriteAsync(item.Value);
                    }
                }
            }
            """);

    [Fact]
    public Task Consumer_completing_the_writer_is_reported_without_a_fix()
    {
        var source = Usings + """
            record Msg(bool IsLast);
            class Consumer
            {
                async Task ConsumeAsync(Channel<Msg> channel, CancellationToken ct)
                {
                    await foreach (var m in channel.Reader.ReadAllAsync(ct))
                    {
                        if (m.IsLast)
                        {
                            {|#0:channel.Writer.TryComplete()|};
                            break;
                        }
                    }
                }

                void Drain(BlockingCollection<Msg> queue)
                {
                    while (queue.TryTake(out var m, 100))
                    {
                        if (m.IsLast) {|#1:queue.CompleteAdding()|};
                    }
                }
            }
            """;
        return Verify.VerifyCodeFixAsync(source,
            new[]
            {
                Verify.Diagnostic(ChannelProtocolMisuseAnalyzer.ConsumerCompletesRule).WithLocation(0).WithArguments("channel.Writer.TryComplete()", ""),
                Verify.Diagnostic(ChannelProtocolMisuseAnalyzer.ConsumerCompletesRule).WithLocation(1).WithArguments("queue.CompleteAdding()", ""),
            },
            source);
    }

    [Fact]
    public Task Writer_completed_by_an_owner_that_also_reads_or_on_failure_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Pipeline
            {
                async Task RunAsync(Channel<int> channel, int[] items, CancellationToken ct)
                {
                    foreach (var i in items) await channel.Writer.WriteAsync(i, ct);
                    channel.Writer.Complete();
                    await foreach (var i in channel.Reader.ReadAllAsync(ct)) Console.WriteLine(i);
                }

                async Task ConsumeAsync(Channel<int> channel, CancellationToken ct)
                {
                    try
                    {
                        await foreach (var i in channel.Reader.ReadAllAsync(ct)) Console.WriteLine(i);
                    }
                    catch (Exception ex)
                    {
                        channel.Writer.TryComplete(ex);
                        throw;
                    }
                }

                async Task CoordinateAsync(Channel<int> channel, CancellationToken ct)
                {
                    var producer = ProduceAsync(channel.Writer, ct);
                    await foreach (var i in channel.Reader.ReadAllAsync(ct)) Console.WriteLine(i);
                    await producer;
                    channel.Writer.TryComplete();
                }

                async Task OwnAsync(CancellationToken ct)
                {
                    var channel = Channel.CreateUnbounded<int>();
                    await foreach (var i in channel.Reader.ReadAllAsync(ct)) { if (i < 0) { channel.Writer.TryComplete(); break; } }
                }

                static Task ProduceAsync(ChannelWriter<int> writer, CancellationToken ct) => Task.CompletedTask;
            }
            """);

    [Fact]
    public Task BlockingCollection_drained_but_never_completed_is_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Importer
            {
                void Import(string[] files)
                {
                    using var queue = {|#0:new BlockingCollection<string>(100)|};
                    var producer = Task.Run(() =>
                    {
                        foreach (var f in files) queue.Add(f);
                    });
                    foreach (var f in queue.GetConsumingEnumerable())
                    {
                        Console.WriteLine(f);
                    }

                    producer.Wait();
                }
            }
            """,
            Verify.Diagnostic(ChannelProtocolMisuseAnalyzer.NeverCompletedAddingRule).WithLocation(0).WithArguments("queue"));

    [Fact]
    public Task CompleteAdding_only_on_the_success_path_is_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Importer
            {
                void Import(string[] files, Func<string, string> load)
                {
                    var queue = new BlockingCollection<string>();
                    var producer = Task.Run(() =>
                    {
                        foreach (var f in files) queue.Add(load(f));
                        {|#0:queue.CompleteAdding()|};
                    });
                    foreach (var f in queue.GetConsumingEnumerable())
                    {
                        Console.WriteLine(f);
                    }

                    producer.Wait();
                }
            }
            """,
            Verify.Diagnostic(ChannelProtocolMisuseAnalyzer.CompleteAddingNormalPathRule).WithLocation(0).WithArguments("queue.CompleteAdding()"));

    [Fact]
    public Task BlockingCollection_completed_in_finally_after_WhenAll_or_left_by_the_consumer_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Importer
            {
                void InFinally(string[] files, Func<string, string> load)
                {
                    var queue = new BlockingCollection<string>();
                    Task.Run(() =>
                    {
                        try { foreach (var f in files) queue.Add(load(f)); }
                        finally { queue.CompleteAdding(); }
                    });
                    foreach (var f in queue.GetConsumingEnumerable()) Console.WriteLine(f);
                }

                async Task AfterWhenAll(string[][] batches)
                {
                    var queue = new BlockingCollection<string>();
                    var consumer = Task.Run(() => { foreach (var f in queue.GetConsumingEnumerable()) Console.WriteLine(f); });
                    await Task.WhenAll(batches.Select(b => Task.Run(() => { foreach (var f in b) queue.Add(f); })))
                        .ContinueWith(_ => queue.CompleteAdding());
                    await consumer;
                }

                void Simple(string[] files)
                {
                    var queue = new BlockingCollection<string>();
                    Task.Run(() =>
                    {
                        foreach (var f in files) queue.Add(f);
                        queue.CompleteAdding();
                    });
                    foreach (var f in queue.GetConsumingEnumerable()) Console.WriteLine(f);
                }

                void Sentinel(string[] files, CancellationToken ct)
                {
                    var queue = new BlockingCollection<string>();
                    Task.Run(() => { foreach (var f in files) queue.Add(f); queue.Add(null); });
                    foreach (var f in queue.GetConsumingEnumerable())
                    {
                        if (f == null) break;
                        Console.WriteLine(f);
                    }

                    var other = new BlockingCollection<string>();
                    Task.Run(() => { foreach (var f in files) other.Add(f); });
                    foreach (var f in other.GetConsumingEnumerable(ct)) Console.WriteLine(f);
                }

                BlockingCollection<string> Escapes(string[] files)
                {
                    var queue = new BlockingCollection<string>();
                    Task.Run(() => { foreach (var f in files) queue.Add(f); });
                    foreach (var f in queue.GetConsumingEnumerable()) Console.WriteLine(f);
                    return queue;
                }
            }
            """);

    [Fact]
    public Task Missing_channel_types_are_ignored()
        => new Verify.Test
        {
            ReferenceAssemblies = TestReferences.NetStandard20,
            TestCode = """
                class Writer { public void Complete() { } public bool TryWrite(int i) => true; }
                class Producer
                {
                    void Run(Writer w) { w.Complete(); w.Complete(); w.TryWrite(1); }
                }
                """,
        }.RunAsync();

    [Fact]
    public Task Half_typed_code_does_not_throw()
        => new Verify.Test
        {
            CompilerDiagnostics = CompilerDiagnostics.None,
            TestCode = Usings + """
                class Producer
                {
                    void Run(ChannelWriter<int> w)
                    {
                        w.Complete(;
                        w.Complete(
                        w.TryWrite(
                    }
                }
                """,
        }.RunAsync();
}
