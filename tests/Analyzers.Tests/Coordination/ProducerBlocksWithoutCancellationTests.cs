using ConcurrencyAnalyzers.Tests.Verifiers;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpAnalyzerVerifier<
    ConcurrencyAnalyzers.Coordination.ProducerBlocksWithoutCancellationAnalyzer>;

namespace ConcurrencyAnalyzers.Tests.Coordination;

public sealed class ProducerBlocksWithoutCancellationTests
{
    private const string Usings = """
        using System;
        using System.Collections.Concurrent;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Channels;
        using System.Threading.Tasks;

        """;

    [Fact]
    public Task Spawned_producer_writing_to_a_bounded_channel_without_any_token_is_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            static class Numbers
            {
                public static ChannelReader<int> Start()
                {
                    var channel = Channel.CreateBounded<int>(1);
                    _ = Task.Run(async () =>
                    {
                        for (var i = 0; i < 1000; i++)
                            await {|CONC602:channel.Writer.WriteAsync(i)|};
                        channel.Writer.TryComplete();
                    });
                    return channel.Reader;
                }
            }
            """);

    [Fact]
    public Task Single_write_into_a_fresh_channel_with_room_for_it_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            static class Computation
            {
                public static ChannelReader<int> Start()
                {
                    var result = Channel.CreateBounded<int>(1);
                    _ = Task.Run(async () =>
                    {
                        try
                        {
                            await result.Writer.WriteAsync(Compute());
                        }
                        finally
                        {
                            result.Writer.TryComplete();
                        }
                    });
                    return result.Reader;
                }

                static int Compute() => 42;
            }
            """);

    [Fact]
    public Task Writes_beyond_the_capacity_of_a_fresh_channel_are_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            static class Computation
            {
                public static ChannelReader<int> Start()
                {
                    var result = Channel.CreateBounded<int>(1);
                    _ = Task.Run(async () =>
                    {
                        await {|CONC602:result.Writer.WriteAsync(1)|};
                        await {|CONC602:result.Writer.WriteAsync(2)|};
                        result.Writer.TryComplete();
                    });
                    return result.Reader;
                }

                public static Channel<int> Shared()
                {
                    var result = Channel.CreateBounded<int>(1);
                    _ = Task.Run(async () => await {|CONC602:result.Writer.WriteAsync(1)|});
                    return result;
                }
            }
            """);

    [Fact]
    public Task Loop_writing_through_a_writer_alias_with_explicit_options_is_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Exporter
            {
                async Task PumpAsync(IEnumerable<string> lines)
                {
                    var channel = Channel.CreateBounded<string>(new BoundedChannelOptions(16) { SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
                    var writer = channel.Writer;
                    var consumer = Task.Run(async () => { await foreach (var l in channel.Reader.ReadAllAsync()) Console.WriteLine(l); });
                    foreach (var line in lines)
                    {
                        if (await {|CONC602:writer.WaitToWriteAsync()|})
                            await {|CONC602:writer.WriteAsync(line)|};
                    }
                    writer.Complete();
                    await consumer;
                }
            }
            """);

    [Fact]
    public Task Bounded_blocking_collection_field_filled_in_a_loop_is_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Ingest
            {
                private readonly BlockingCollection<string> _queue = new BlockingCollection<string>(boundedCapacity: 100);

                public void Produce(IEnumerable<string> files)
                {
                    foreach (var file in files)
                        {|CONC602:_queue.Add(file)|};
                    _queue.CompleteAdding();
                }
            }
            """);

    [Fact]
    public Task Explicit_CancellationToken_None_with_no_token_in_scope_is_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Feeder
            {
                private readonly Channel<int> _channel = Channel.CreateBounded<int>(8);

                public void Start()
                {
                    _ = Task.Run(async () =>
                    {
                        var i = 0;
                        while (i < 100)
                            await {|CONC602:_channel.Writer.WriteAsync(i++, CancellationToken.None)|};
                    });
                }
            }
            """);

    [Fact]
    public Task Options_local_with_default_full_mode_is_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Stage
            {
                void Run(int[] items)
                {
                    var options = new BoundedChannelOptions(4);
                    var channel = Channel.CreateBounded<int>(options);
                    new Thread(() =>
                    {
                        foreach (var item in items)
                            {|CONC602:channel.Writer.WriteAsync(item)|}.AsTask().Wait();
                    }).Start();
                }
            }
            """);

    [Fact]
    public Task Token_in_scope_but_not_passed_is_left_to_CONC401()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Producer
            {
                async Task RunAsync(IEnumerable<int> items, CancellationToken ct)
                {
                    var channel = Channel.CreateBounded<int>(10);
                    foreach (var item in items)
                        await channel.Writer.WriteAsync(item);
                    channel.Writer.Complete();
                }
            }
            """);

    [Fact]
    public Task Token_passed_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Producer
            {
                async Task RunAsync(IEnumerable<int> items, CancellationToken ct)
                {
                    var channel = Channel.CreateBounded<int>(10);
                    var writer = channel.Writer;
                    foreach (var item in items)
                    {
                        while (await writer.WaitToWriteAsync(ct))
                            if (writer.TryWrite(item)) break;
                    }
                    writer.Complete();
                }
            }
            """);

    [Fact]
    public Task Unbounded_and_drop_mode_channels_are_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Producer
            {
                async Task RunAsync(int[] items)
                {
                    var unbounded = Channel.CreateUnbounded<int>();
                    var dropping = Channel.CreateBounded<int>(new BoundedChannelOptions(10) { FullMode = BoundedChannelFullMode.DropOldest });
                    var options = new BoundedChannelOptions(10);
                    options.FullMode = BoundedChannelFullMode.DropWrite;
                    var dropWrite = Channel.CreateBounded<int>(options);
                    foreach (var item in items)
                    {
                        await unbounded.Writer.WriteAsync(item);
                        await dropping.Writer.WriteAsync(item);
                        await dropWrite.Writer.WriteAsync(item);
                    }
                }
            }
            """);

    [Fact]
    public Task Writer_of_unknown_provenance_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Producer
            {
                private readonly ChannelWriter<int> _writer;
                private Channel<int> _channel;

                public Producer(ChannelWriter<int> writer, int capacity)
                {
                    _writer = writer;
                    _channel = Channel.CreateBounded<int>(capacity);
                }

                async Task RunAsync(ChannelWriter<int> parameter, int[] items)
                {
                    foreach (var item in items)
                    {
                        await _writer.WriteAsync(item);
                        await parameter.WriteAsync(item);
                        await _channel.Writer.WriteAsync(item);
                    }
                }
            }
            """);

    [Fact]
    public Task Readonly_fields_the_constructor_fills_with_an_unbounded_or_given_channel_are_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Producer
            {
                private readonly Channel<int> _unbounded;
                private readonly Channel<int> _either;
                private readonly BlockingCollection<int> _queue;

                public Producer()
                {
                    _unbounded = Channel.CreateUnbounded<int>();
                    _either = Channel.CreateBounded<int>(4);
                    _queue = new BlockingCollection<int>();
                }

                public Producer(Channel<int> given) : this()
                {
                    _either = given;
                }

                void Run(int[] items)
                {
                    _ = Task.Run(async () =>
                    {
                        foreach (var item in items)
                        {
                            await _unbounded.Writer.WriteAsync(item);
                            await _either.Writer.WriteAsync(item);
                            _queue.Add(item);
                        }
                    });
                }
            }
            """);

    [Fact]
    public Task Readonly_fields_the_constructor_fills_with_a_bounded_channel_or_collection_are_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Producer
            {
                private readonly Channel<int> _channel;
                private readonly BlockingCollection<int> _queue;

                public Producer(int capacity)
                {
                    _channel = Channel.CreateBounded<int>(capacity);
                    _queue = new BlockingCollection<int>(boundedCapacity: capacity);
                }

                void Run(int[] items)
                {
                    _ = Task.Run(async () =>
                    {
                        foreach (var item in items)
                        {
                            await {|CONC602:_channel.Writer.WriteAsync(item)|};
                            {|CONC602:_queue.Add(item)|};
                        }
                    });
                }
            }
            """);

    [Fact]
    public Task Single_write_outside_loop_and_spawn_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Inbox
            {
                private readonly Channel<string> _channel = Channel.CreateBounded<string>(100);
                private readonly BlockingCollection<string> _queue = new BlockingCollection<string>(100);

                public async Task PostAsync(string message)
                {
                    await _channel.Writer.WriteAsync(message);
                    _queue.Add(message);
                }
            }
            """);

    [Fact]
    public Task Unbounded_blocking_collection_and_reassigned_local_are_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Producer
            {
                void Run(string[] items, bool bounded)
                {
                    var queue = new BlockingCollection<string>();
                    var channel = Channel.CreateBounded<string>(4);
                    if (!bounded) channel = Channel.CreateUnbounded<string>();
                    foreach (var item in items)
                    {
                        queue.Add(item);
                        channel.Writer.WriteAsync(item).AsTask().Wait();
                    }
                }
            }
            """);

    [Fact]
    public Task Token_of_the_spawned_lambda_or_a_linked_source_counts_as_in_scope()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Producer
            {
                void Start(Func<CancellationToken, Task> run) { }

                void Run(int[] items)
                {
                    var channel = Channel.CreateBounded<int>(4);
                    Start(async token =>
                    {
                        foreach (var item in items)
                            await channel.Writer.WriteAsync(item, token);
                    });
                    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    _ = Task.Run(async () =>
                    {
                        foreach (var item in items)
                            await channel.Writer.WriteAsync(item, cts.Token);
                    });
                }
            }
            """);

    [Fact]
    public Task Missing_channel_types_are_ignored()
        => new Verify.Test
        {
            ReferenceAssemblies = TestReferences.NetStandard20,
            TestCode = """
                using System.Collections.Generic;
                class Producer
                {
                    void Run(List<int> items) { foreach (var i in items) items.Add(i); }
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
                    void Run()
                    {
                        var channel = Channel.CreateBounded<int>(;
                        for (;;) channel.Writer.WriteAsync(
                        var q = new BlockingCollection<int>(5);
                        while (true) q.Add(
                    }
                }
                """,
        }.RunAsync();
}
