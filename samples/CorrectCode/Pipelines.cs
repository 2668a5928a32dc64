using System.Buffers;
using System.Collections.Concurrent;
using System.Threading.Channels;

namespace CorrectCode.Pipelines;

/// <summary>The owner creates the channel, completes the writer in finally, and the reader drains it.</summary>
public sealed class ImportPipeline
{
    private readonly IRecordSource _source;
    private readonly IRecordSink _sink;

    public ImportPipeline(IRecordSource source, IRecordSink sink)
    {
        _source = source;
        _sink = sink;
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<Record>(new BoundedChannelOptions(256)
        {
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });

        var producer = ProduceAsync(channel.Writer, cancellationToken);
        var consumer = ConsumeAsync(channel.Reader, cancellationToken);
        await Task.WhenAll(producer, consumer).ConfigureAwait(false);
    }

    private async Task ProduceAsync(ChannelWriter<Record> writer, CancellationToken cancellationToken)
    {
        Exception? failure = null;
        try
        {
            await foreach (var record in _source.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                await writer.WriteAsync(record, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            failure = ex;
            throw;
        }
        finally
        {
            writer.TryComplete(failure);
        }
    }

    private async Task ConsumeAsync(ChannelReader<Record> reader, CancellationToken cancellationToken)
    {
        await foreach (var record in reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            await _sink.WriteAsync(record, cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>Several producers (one per configured source); the writer is completed once, after all of them.</summary>
public sealed class Aggregator
{
    private readonly IReadOnlyList<IRecordSource> _sources;

    public Aggregator(IReadOnlyList<IRecordSource> sources) => _sources = sources;

    public async Task<int> SumAsync(CancellationToken cancellationToken)
    {
        var channel = Channel.CreateUnbounded<int>();
        var producers = _sources.Select(source => Task.Run(async () =>
        {
            await foreach (var record in source.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                channel.Writer.TryWrite(record.Value);
            }
        }, cancellationToken)).ToArray();

        var completion = Task.WhenAll(producers).ContinueWith(
            t => channel.Writer.TryComplete(t.Exception),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

        var sum = 0;
        await foreach (var value in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            sum += value;
        }

        await completion.ConfigureAwait(false);
        return sum;
    }
}

/// <summary>A long-lived queue owned by a service: Complete on dispose, the loop ends when the reader completes.</summary>
public sealed class AuditQueue : IAsyncDisposable
{
    private readonly Channel<string> _channel = Channel.CreateBounded<string>(new BoundedChannelOptions(1000)
    {
        FullMode = BoundedChannelFullMode.DropOldest,
    });

    private readonly Task _pump;
    private readonly IRecordSink _sink;

    public AuditQueue(IRecordSink sink)
    {
        _sink = sink;
        _pump = PumpAsync();
    }

    public void Write(string line) => _channel.Writer.TryWrite(line);

    private async Task PumpAsync()
    {
        while (await _channel.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (_channel.Reader.TryRead(out var line))
            {
                await _sink.WriteAsync(new Record(line, 0), CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Writer.TryComplete();
        await _pump.ConfigureAwait(false);
    }
}

/// <summary>BlockingCollection: the producer completes adding in finally; the consumer enumerates with a token.</summary>
public sealed class FileIndexer
{
    public IReadOnlyList<string> Index(IEnumerable<string> paths, CancellationToken cancellationToken)
    {
        using var queue = new BlockingCollection<string>(boundedCapacity: 100);
        var results = new ConcurrentBag<string>();

        var producer = Task.Run(() =>
        {
            try
            {
                foreach (var path in paths)
                {
                    queue.Add(path, cancellationToken);
                }
            }
            finally
            {
                queue.CompleteAdding();
            }
        }, cancellationToken);

        var consumers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            foreach (var path in queue.GetConsumingEnumerable(cancellationToken))
            {
                results.Add(path.ToUpperInvariant());
            }
        }, cancellationToken)).ToArray();

        Task.WaitAll(consumers.Append(producer).ToArray(), cancellationToken);
        return results.ToList();
    }
}

/// <summary>Pooled buffers returned in finally.</summary>
public static class Checksums
{
    public static async Task<uint> ComputeAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            uint sum = 0;
            int read;
            while ((read = await stream.ReadAsync(buffer.AsMemory(0, 81920), cancellationToken).ConfigureAwait(false)) > 0)
            {
                for (var i = 0; i < read; i++)
                {
                    sum = (sum * 31) + buffer[i];
                }
            }

            return sum;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

/// <summary>A countdown registered before each worker starts; the coordinator waits.</summary>
public static class Batches
{
    public static void RunAll(IReadOnlyList<Action> jobs)
    {
        using var done = new CountdownEvent(1);
        foreach (var job in jobs)
        {
            done.AddCount();
            ThreadPool.QueueUserWorkItem(_ =>
            {
                try
                {
                    job();
                }
                finally
                {
                    done.Signal();
                }
            });
        }

        done.Signal();
        done.Wait();
    }

    public static int FindFirst(int[] values, int target)
    {
        var found = -1;
        Parallel.For(0, values.Length, (i, state) =>
        {
            if (values[i] == target)
            {
                Interlocked.CompareExchange(ref found, i, -1);
                state.Stop();
            }
        });
        return found;
    }

    public static void Validate(IEnumerable<string?> names)
    {
        Parallel.ForEach(names, name =>
        {
            if (name is null)
            {
                return;
            }

            ArgumentException.ThrowIfNullOrWhiteSpace(name);
        });
    }
}

public sealed record Record(string Key, int Value);

public interface IRecordSource
{
    IAsyncEnumerable<Record> ReadAsync(CancellationToken cancellationToken);
}

public interface IRecordSink
{
    Task WriteAsync(Record record, CancellationToken cancellationToken);
}
