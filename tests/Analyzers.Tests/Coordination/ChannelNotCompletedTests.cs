using ConcurrencyAnalyzers.Coordination;
using ConcurrencyAnalyzers.Tests.Verifiers;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<
    ConcurrencyAnalyzers.Coordination.ChannelNotCompletedAnalyzer,
    ConcurrencyAnalyzers.CodeFixes.Coordination.ChannelNotCompletedCodeFix>;

namespace ConcurrencyAnalyzers.Tests.Coordination;

public sealed class ChannelNotCompletedTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Channels;
        using System.Threading.Tasks;

        """;

    [Fact]
    public Task Producer_that_never_completes_is_wrapped_in_try_finally()
        => Verify.VerifyCodeFixAsync(Usings + """
            class Pipeline
            {
                async Task RunAsync(IEnumerable<int> rows, CancellationToken ct)
                {
                    var channel = {|#0:Channel.CreateBounded<int>(100)|};
                    var producer = Task.Run(async () =>
                    {
                        // copy every row
                        foreach (var row in rows)
                            await channel.Writer.WriteAsync(row, ct);
                    });

                    await foreach (var row in channel.Reader.ReadAllAsync(ct))
                        Console.WriteLine(row);
                    await producer;
                }
            }
            """,
            new[] { Verify.Diagnostic(ChannelNotCompletedAnalyzer.NeverRule).WithLocation(0).WithArguments("channel") },
            Usings + """
            class Pipeline
            {
                async Task RunAsync(IEnumerable<int> rows, CancellationToken ct)
                {
                    var channel = Channel.CreateBounded<int>(100);
                    var producer = Task.Run(async () =>
                    {
                        try
                        {
                            // copy every row
                            foreach (var row in rows)
                                await channel.Writer.WriteAsync(row, ct);
                        }
                        finally
                        {
                            channel.Writer.TryComplete();
                        }
                    });

                    await foreach (var row in channel.Reader.ReadAllAsync(ct))
                        Console.WriteLine(row);
                    await producer;
                }
            }
            """);

    [Fact]
    public Task Completion_only_on_the_normal_path_moves_into_finally()
        => Verify.VerifyCodeFixAsync(Usings + """
            class Pipeline
            {
                async Task RunAsync(Func<Task<int>> next, CancellationToken ct)
                {
                    var channel = Channel.CreateUnbounded<int>();
                    var producer = Task.Run(async () =>
                    {
                        for (var i = 0; i < 10; i++)
                            await channel.Writer.WriteAsync(await next(), ct);
                        // all items written
                        {|#0:channel.Writer.Complete()|}; // done
                    });

                    await foreach (var item in channel.Reader.ReadAllAsync(ct))
                        Console.WriteLine(item);
                }
            }
            """,
            new[] { Verify.Diagnostic(ChannelNotCompletedAnalyzer.NormalPathRule).WithLocation(0).WithArguments("channel.Writer.Complete()") },
            Usings + """
            class Pipeline
            {
                async Task RunAsync(Func<Task<int>> next, CancellationToken ct)
                {
                    var channel = Channel.CreateUnbounded<int>();
                    var producer = Task.Run(async () =>
                    {
                        try
                        {
                            for (var i = 0; i < 10; i++)
                                await channel.Writer.WriteAsync(await next(), ct);
                        }
                        finally
                        {
                            // all items written
                            channel.Writer.TryComplete(); // done
                        }
                    });

                    await foreach (var item in channel.Reader.ReadAllAsync(ct))
                        Console.WriteLine(item);
                }
            }
            """);

    [Fact]
    public Task Writer_parameter_completed_with_TryComplete_only_on_the_normal_path_is_reported_one_never_completed_is_not()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Feed
            {
                static async Task ProduceAsync(ChannelWriter<string> writer, IAsyncEnumerable<string> lines, CancellationToken ct)
                {
                    await foreach (var line in lines.WithCancellation(ct))
                        await writer.WriteAsync(line, ct);
                    {|CONC601:writer.TryComplete()|};
                }

                static async Task WriteAllAsync(ChannelWriter<string> writer, IAsyncEnumerable<string> lines, CancellationToken ct)
                {
                    await foreach (var line in lines.WithCancellation(ct))
                        await writer.WriteAsync(line, ct);
                }
            }
            """);

    [Fact]
    public Task Producer_method_completing_the_writer_it_was_given_is_fixed_in_Fix_All_with_a_generator()
        => Verify.VerifyCodeFixAsync(Usings + """
            class Feed
            {
                static async Task ProduceAsync(ChannelWriter<string> writer, IAsyncEnumerable<string> lines, CancellationToken ct)
                {
                    await foreach (var line in lines.WithCancellation(ct))
                        await writer.WriteAsync(line, ct);
                    {|CONC601:writer.Complete()|};
                }

                static ChannelReader<int> Numbers()
                {
                    var numbers = {|CONC601:Channel.CreateBounded<int>(1)|};
                    _ = Task.Run(async () =>
                    {
                        for (var i = 0; i < 100; i++)
                            await numbers.Writer.WriteAsync(i);
                    });
                    return numbers.Reader;
                }
            }
            """,
            Usings + """
            class Feed
            {
                static async Task ProduceAsync(ChannelWriter<string> writer, IAsyncEnumerable<string> lines, CancellationToken ct)
                {
                    try
                    {
                        await foreach (var line in lines.WithCancellation(ct))
                            await writer.WriteAsync(line, ct);
                    }
                    finally
                    {
                        writer.TryComplete();
                    }
                }

                static ChannelReader<int> Numbers()
                {
                    var numbers = Channel.CreateBounded<int>(1);
                    _ = Task.Run(async () =>
                    {
                        try
                        {
                            for (var i = 0; i < 100; i++)
                                await numbers.Writer.WriteAsync(i);
                        }
                        finally
                        {
                            numbers.Writer.TryComplete();
                        }
                    });
                    return numbers.Reader;
                }
            }
            """);

    [Fact]
    public Task Producer_method_completing_the_channel_it_was_given_is_reported_and_fixed()
        => Verify.VerifyCodeFixAsync(Usings + """
            class Importer
            {
                static async Task ImportAsync(Channel<string> rows, Func<int, Task<string>> fetch, CancellationToken ct)
                {
                    for (var page = 0; page < 10; page++)
                        await rows.Writer.WriteAsync(await fetch(page), ct);
                    {|CONC601:rows.Writer.Complete()|};
                }

                // Writes but leaves completion to the caller: a helper, not the owner.
                static async Task AppendAsync(Channel<string> rows, string row, CancellationToken ct)
                    => await rows.Writer.WriteAsync(row, ct);
            }
            """,
            Usings + """
            class Importer
            {
                static async Task ImportAsync(Channel<string> rows, Func<int, Task<string>> fetch, CancellationToken ct)
                {
                    try
                    {
                        for (var page = 0; page < 10; page++)
                            await rows.Writer.WriteAsync(await fetch(page), ct);
                    }
                    finally
                    {
                        rows.Writer.TryComplete();
                    }
                }

                // Writes but leaves completion to the caller: a helper, not the owner.
                static async Task AppendAsync(Channel<string> rows, string row, CancellationToken ct)
                    => await rows.Writer.WriteAsync(row, ct);
            }
            """);

    [Fact]
    public Task Writer_alias_never_completed_is_reported_without_a_fix_when_writes_are_spread()
    {
        const string source = Usings + """
            class C
            {
                async Task M(int[] items, CancellationToken ct)
                {
                    var channel = {|CONC601:Channel.CreateUnbounded<int>()|};
                    var writer = channel.Writer;
                    writer.TryWrite(0);
                    var producer = Task.Run(async () =>
                    {
                        foreach (var item in items) await writer.WriteAsync(item, ct);
                    });
                    while (await channel.Reader.WaitToReadAsync(ct))
                        channel.Reader.TryRead(out _);
                }
            }
            """;
        return Verify.VerifyCodeFixAsync(source, source);
    }

    [Fact]
    public Task TryComplete_in_finally_and_Complete_in_catch_are_fine()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class C
            {
                async Task A(int[] items, CancellationToken ct)
                {
                    var channel = Channel.CreateBounded<int>(10);
                    var producer = Task.Run(async () =>
                    {
                        try { foreach (var i in items) await channel.Writer.WriteAsync(i, ct); }
                        finally { channel.Writer.TryComplete(); }
                    });
                    await foreach (var i in channel.Reader.ReadAllAsync(ct)) Console.WriteLine(i);
                }

                async Task B(int[] items, CancellationToken ct)
                {
                    var channel = Channel.CreateBounded<int>(10);
                    var producer = Task.Run(async () =>
                    {
                        try
                        {
                            foreach (var i in items) await channel.Writer.WriteAsync(i, ct);
                            channel.Writer.Complete();
                        }
                        catch (Exception ex)
                        {
                            channel.Writer.TryComplete(ex);
                            channel.Writer.TryComplete(ex);
                        }
                    });
                    await foreach (var i in channel.Reader.ReadAllAsync(ct)) Console.WriteLine(i);
                }
            }
            """);

    [Fact]
    public Task Completion_after_joining_several_producers_is_fine()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class C
            {
                async Task M(int[][] shards, CancellationToken ct)
                {
                    var channel = Channel.CreateBounded<int>(10);
                    var consumer = Task.Run(async () =>
                    {
                        await foreach (var i in channel.Reader.ReadAllAsync(ct)) Console.WriteLine(i);
                    });
                    var producers = new List<Task>();
                    foreach (var shard in shards)
                    {
                        producers.Add(Task.Run(async () =>
                        {
                            foreach (var i in shard) await channel.Writer.WriteAsync(i, ct);
                        }));
                    }

                    await Task.WhenAll(producers);
                    channel.Writer.Complete();
                    await consumer;
                }
            }
            """);

    [Fact]
    public Task Writer_handed_to_a_helper_or_channel_passed_on_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class C
            {
                // Writes into a writer it does not own: the caller completes it.
                static async Task CopyAsync(ChannelWriter<int> writer, int[] items, CancellationToken ct)
                {
                    foreach (var i in items) await writer.WriteAsync(i, ct);
                }

                async Task M(int[] items, CancellationToken ct)
                {
                    var channel = Channel.CreateBounded<int>(10);
                    await CopyAsync(channel.Writer, items, ct);
                    Register(channel);
                    await foreach (var i in channel.Reader.ReadAllAsync(ct)) Console.WriteLine(i);
                }

                void Register(Channel<int> channel) { }
            }
            """);

    [Fact]
    public Task Synchronous_writes_then_Complete_and_unread_channels_are_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class C
            {
                ChannelReader<int> Ready(int[] items)
                {
                    var channel = Channel.CreateUnbounded<int>();
                    foreach (var i in items) channel.Writer.TryWrite(i);
                    channel.Writer.Complete();
                    return channel.Reader;
                }

                async Task Unread(CancellationToken ct)
                {
                    var channel = Channel.CreateBounded<int>(1);
                    await channel.Writer.WriteAsync(1, ct);
                }
            }
            """);

    [Fact]
    public Task One_shot_result_channels_read_once_or_polled_are_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Quotes
            {
                // Go's `result := make(chan T, 1)`: one value, read once; nobody waits for completion.
                async Task<decimal> QuoteAsync(decimal price, CancellationToken ct)
                {
                    var result = Channel.CreateBounded<decimal>(1);
                    var producer = Task.Run(async () => await result.Writer.WriteAsync(price * 2, ct), ct);
                    var quote = await result.Reader.ReadAsync(ct);
                    await producer;
                    return quote;
                }

                async Task<string> QueryAsync(TimeSpan timeout, CancellationToken ct)
                {
                    var result = Channel.CreateBounded<string>(1);
                    _ = Task.Run(async () =>
                    {
                        await Task.Delay(100, ct);
                        await result.Writer.WriteAsync("row", ct);
                    }, ct);
                    var read = result.Reader.ReadAsync(ct).AsTask();
                    var winner = await Task.WhenAny(read, Task.Delay(timeout, ct));
                    return winner == read ? await read : "timeout";
                }

                async Task<int> SumAsync(int[] items, CancellationToken ct)
                {
                    var results = Channel.CreateUnbounded<int>();
                    await Task.Run(async () =>
                    {
                        foreach (var i in items) await results.Writer.WriteAsync(i * i, ct);
                    }, ct);
                    var sum = 0;
                    while (results.Reader.TryRead(out var square)) sum += square;
                    return sum;
                }

                // Go's fan-out: the results channel is never closed, the caller reads exactly as many as it sent.
                async Task<List<int>> CollectAsync(int count, CancellationToken ct)
                {
                    var results = Channel.CreateBounded<int>(count);
                    var workers = new List<Task>();
                    for (var w = 0; w < 3; w++)
                    {
                        var id = w;
                        workers.Add(Task.Run(async () => await results.Writer.WriteAsync(id, ct), ct));
                    }
                    var collected = new List<int>();
                    for (var r = 0; r < count; r++)
                        collected.Add(await results.Reader.ReadAsync(ct));
                    await Task.WhenAll(workers);
                    return collected;
                }
            }
            """);

    [Fact]
    public Task Completion_on_the_normal_path_before_every_read_of_the_same_method_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Buffered
            {
                // Go's buffered channel used as a queue: fill it, close it, range over it, all in one function.
                async Task<int> FillAndDrainAsync(int ticks, CancellationToken ct)
                {
                    var bucket = Channel.CreateBounded<int>(ticks);
                    for (var i = 0; i < ticks; i++)
                    {
                        await bucket.Writer.WriteAsync(i, ct);
                        await Task.Delay(10, ct);
                    }
                    bucket.Writer.Complete();

                    var taken = 0;
                    await foreach (var _ in bucket.Reader.ReadAllAsync(ct)) taken++;
                    return taken;
                }

                async Task<ChannelReader<int>> PreparedAsync(int[] items, CancellationToken ct)
                {
                    var channel = Channel.CreateUnbounded<int>();
                    foreach (var i in items)
                    {
                        await Task.Delay(1, ct);
                        channel.Writer.TryWrite(i);
                    }
                    channel.Writer.Complete();
                    return channel.Reader;
                }
            }
            """);

    [Fact]
    public Task Completion_on_the_normal_path_with_a_reader_started_before_it_is_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Pool
            {
                async Task RunAsync(int[] jobs, CancellationToken ct)
                {
                    var queue = Channel.CreateBounded<int>(10);
                    var worker = Task.Run(async () =>
                    {
                        await foreach (var job in queue.Reader.ReadAllAsync()) Console.WriteLine(job);
                    });
                    foreach (var job in jobs)
                    {
                        await Task.Delay(job, ct);
                        await queue.Writer.WriteAsync(job, ct);
                    }
                    {|CONC601:queue.Writer.Complete()|};
                    await worker;
                }
            }
            """);

    [Fact]
    public Task Channel_written_only_through_WaitToWriteAsync_is_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Gate
            {
                async Task RunAsync(CancellationToken ct)
                {
                    var channel = {|CONC601:Channel.CreateBounded<int>(1)|};
                    var producer = Task.Run(async () =>
                    {
                        while (await channel.Writer.WaitToWriteAsync(ct)) await Task.Delay(10, ct);
                    });
                    await foreach (var item in channel.Reader.ReadAllAsync(ct)) Console.WriteLine(item);
                }
            }
            """);

    [Fact]
    public Task ReadAsync_in_a_while_true_loop_waits_for_completion_and_is_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Relay
            {
                async Task RelayAsync(int[] items, CancellationToken ct)
                {
                    var channel = {|CONC601:Channel.CreateBounded<int>(8)|};
                    var producer = Task.Run(async () =>
                    {
                        foreach (var i in items) await channel.Writer.WriteAsync(i, ct);
                    }, ct);
                    while (true)
                    {
                        var item = await channel.Reader.ReadAsync(ct);
                        Console.WriteLine(item);
                    }
                }
            }
            """);

    [Fact]
    public Task Without_the_Channels_types_nothing_is_reported()
        => new Verify.Test
        {
            ReferenceAssemblies = TestReferences.NetStandard20,
            TestCode = """
                using System.Threading.Channels;
                class C
                {
                    void M()
                    {
                        var channel = Channel.CreateBounded<int>(1);
                        channel.Writer.TryWrite(1);
                        var reader = channel.Reader;
                    }
                }
                """,
            CompilerDiagnostics = CompilerDiagnostics.None,
        }.RunAsync();

    [Fact]
    public Task Half_typed_code_does_not_crash()
        => new Verify.Test
        {
            TestCode = Usings + """
                class C
                {
                    async Task M()
                    {
                        var channel = Channel.CreateBounded<int>(
                        await channel.Writer.WriteAsync(1
                        channel.Writer.Complete(
                    }
                }
                """,
            CompilerDiagnostics = CompilerDiagnostics.None,
        }.RunAsync();

    [Fact]
    public Task Producer_in_top_level_statements_that_never_completes_is_reported()
    {
        // Top-level statements belong to a type the compiler declares: the per-type gate must not leave them.
        var test = new CSharpAnalyzerVerifier<ChannelNotCompletedAnalyzer>.Test
        {
            TestCode = Usings + """
                var rows = new[] { 1, 2, 3 };
                var channel = {|CONC601:Channel.CreateBounded<int>(100)|};
                var producer = Task.Run(async () =>
                {
                    foreach (var row in rows)
                        await channel.Writer.WriteAsync(row);
                });

                await foreach (var row in channel.Reader.ReadAllAsync())
                    Console.WriteLine(row);
                await producer;
                """,
        };
        test.TestState.OutputKind = Microsoft.CodeAnalysis.OutputKind.ConsoleApplication;
        return test.RunAsync();
    }
}
