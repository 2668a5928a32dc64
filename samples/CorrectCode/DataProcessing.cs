using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.Channels;
using System.Threading.Tasks.Dataflow;

// Data-processing code (eleventh session): ETL stages over bounded channels, parallel aggregation, batch I/O with
// checkpoints, and a batch runner. The two shapes that were false positives are marked; the rest are near misses.
namespace CorrectCode.DataProcessing;

public sealed record SaleLine(string Sku, string Region, int Quantity, decimal UnitPrice);

/// <summary>Parse stage run by N workers; the last one out completes the next channel, with the fault if any.</summary>
public sealed class ParseStage
{
    private long _rejected;

    public long Rejected => Interlocked.Read(ref _rejected);

    public Task RunAsync(ChannelReader<string> input, ChannelWriter<SaleLine> output, int workers, CancellationToken cancellationToken)
    {
        var tasks = Enumerable.Range(0, workers).Select(_ => ParseAsync(input, output, cancellationToken)).ToArray();
        return CompleteWhenAllAsync(tasks, output);
    }

    private static async Task CompleteWhenAllAsync(Task[] workers, ChannelWriter<SaleLine> writer)
    {
        try
        {
            await Task.WhenAll(workers).ConfigureAwait(false);
            writer.TryComplete();
        }
        catch (Exception ex)
        {
            writer.TryComplete(ex);
            throw;
        }
    }

    private async Task ParseAsync(ChannelReader<string> input, ChannelWriter<SaleLine> output, CancellationToken cancellationToken)
    {
        await foreach (var line in input.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            var fields = line.Split(',');
            if (fields.Length != 4 ||
                !int.TryParse(fields[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var quantity) ||
                !decimal.TryParse(fields[3], NumberStyles.Number, CultureInfo.InvariantCulture, out var price))
            {
                Interlocked.Increment(ref _rejected);
                continue;
            }

            await output.WriteAsync(new SaleLine(fields[0], fields[1], quantity, price), cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>Producers awaited together; a continuation completes the writer with the first fault.</summary>
public sealed class SensorFanIn
{
    public async Task<double> AverageAsync(IReadOnlyList<Func<CancellationToken, IAsyncEnumerable<double>>> sources, CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<double>(128);
        var producers = new List<Task>(sources.Count);
        foreach (var source in sources)
        {
            producers.Add(ProduceAsync(source, channel.Writer, cancellationToken));
        }

        var completion = Task.WhenAll(producers).ContinueWith(
            t => channel.Writer.TryComplete(t.Exception?.GetBaseException()),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

        double sum = 0;
        long count = 0;
        await foreach (var value in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            sum += value;
            count++;
        }

        await completion.ConfigureAwait(false);
        return count == 0 ? 0 : sum / count;
    }

    private static async Task ProduceAsync(Func<CancellationToken, IAsyncEnumerable<double>> source, ChannelWriter<double> writer, CancellationToken cancellationToken)
    {
        await foreach (var value in source(cancellationToken).WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            await writer.WriteAsync(value, cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>A synchronous report generator: a bounded queue completed in finally, consumers joined.</summary>
public sealed class ReportRenderer
{
    public IReadOnlyCollection<string> RenderAll(IEnumerable<int> reportIds, Func<int, string> render, int workers, CancellationToken cancellationToken)
    {
        using var queue = new BlockingCollection<int>(boundedCapacity: 100);
        var results = new ConcurrentBag<string>();
        var consumers = new Task[workers];
        for (var i = 0; i < consumers.Length; i++)
        {
            consumers[i] = Task.Run(() =>
            {
                foreach (var id in queue.GetConsumingEnumerable(cancellationToken))
                {
                    results.Add(render(id));
                }
            }, cancellationToken);
        }

        try
        {
            foreach (var id in reportIds)
            {
                queue.Add(id, cancellationToken);
            }
        }
        finally
        {
            queue.CompleteAdding();
        }

        Task.WaitAll(consumers, cancellationToken);
        return results;
    }
}

/// <summary>Thumbnails with TPL Dataflow: transform -> batch -> save, completion propagated and awaited.</summary>
public sealed class ThumbnailPipeline
{
    public async Task RunAsync(
        IEnumerable<string> paths,
        Func<string, CancellationToken, Task<byte[]>> load,
        Func<IReadOnlyList<(string Path, byte[] Data)>, CancellationToken, Task> save,
        CancellationToken cancellationToken)
    {
        var link = new DataflowLinkOptions { PropagateCompletion = true };
        var loader = new TransformBlock<string, (string Path, byte[] Data)>(
            async path => (path, await load(path, cancellationToken).ConfigureAwait(false)),
            new ExecutionDataflowBlockOptions { MaxDegreeOfParallelism = 4, BoundedCapacity = 64, CancellationToken = cancellationToken });
        var batcher = new BatchBlock<(string Path, byte[] Data)>(32);
        var saver = new ActionBlock<(string Path, byte[] Data)[]>(
            items => save(items, cancellationToken),
            new ExecutionDataflowBlockOptions { BoundedCapacity = 4, CancellationToken = cancellationToken });
        loader.LinkTo(batcher, link);
        batcher.LinkTo(saver, link);

        try
        {
            foreach (var path in paths)
            {
                if (!await loader.SendAsync(path, cancellationToken).ConfigureAwait(false))
                {
                    break;
                }
            }
        }
        finally
        {
            loader.Complete();
        }

        await saver.Completion.ConfigureAwait(false);
    }
}

/// <summary>Parallel aggregation: thread-local totals, ranges, early exit, per-index writes.</summary>
public sealed class SalesAggregator
{
    public long TotalUnits(IReadOnlyList<SaleLine> sales)
    {
        long total = 0;
        Parallel.ForEach(
            Partitioner.Create(0, sales.Count, 10_000),
            () => 0L,
            (range, _, local) =>
            {
                for (var i = range.Item1; i < range.Item2; i++)
                {
                    local += sales[i].Quantity;
                }

                return local;
            },
            local => Interlocked.Add(ref total, local));
        return total;
    }

    public decimal Revenue(IReadOnlyList<SaleLine> sales)
    {
        decimal revenue = 0m;
        var gate = new object();
        Parallel.For(0, sales.Count, () => 0m, (i, _, local) => local + sales[i].Quantity * sales[i].UnitPrice, local =>
        {
            lock (gate)
            {
                revenue += local;
            }
        });
        return revenue;
    }

    public IReadOnlyDictionary<string, long> UnitsBySku(IEnumerable<SaleLine> sales)
    {
        var tally = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        Parallel.ForEach(sales, sale => tally.AddOrUpdate(sale.Sku, sale.Quantity, (_, existing) => existing + sale.Quantity));
        return tally;
    }

    public (decimal Min, decimal Max) PriceRange(IEnumerable<SaleLine> sales) =>
        sales.AsParallel().Aggregate(
            () => (Min: decimal.MaxValue, Max: decimal.MinValue),
            (acc, s) => (Math.Min(acc.Min, s.UnitPrice), Math.Max(acc.Max, s.UnitPrice)),
            (a, b) => (Math.Min(a.Min, b.Min), Math.Max(a.Max, b.Max)),
            acc => acc);

    public bool ContainsSku(IEnumerable<SaleLine> sales, string sku)
    {
        var found = 0;
        Parallel.ForEach(sales, (sale, state) =>
        {
            if (state.ShouldExitCurrentIteration)
            {
                return;
            }

            if (string.Equals(sale.Sku, sku, StringComparison.Ordinal))
            {
                Interlocked.Exchange(ref found, 1);
                state.Stop();
            }
        });
        return Volatile.Read(ref found) == 1;
    }

    public int[] Histogram(IReadOnlyList<int> values, int buckets, int max)
    {
        var histogram = new int[buckets];
        Parallel.For(0, values.Count, i => Interlocked.Increment(ref histogram[Math.Min(buckets - 1, values[i] * buckets / max)]));
        return histogram;
    }

    public (decimal Revenue, int Regions) Summary(IReadOnlyList<SaleLine> sales)
    {
        decimal revenue = 0;
        var regions = 0;
        Parallel.Invoke(
            () => revenue = sales.Sum(s => s.Quantity * s.UnitPrice),
            () => regions = sales.Select(s => s.Region).Distinct().Count());
        return (revenue, regions);
    }
}

/// <summary>Batch I/O: pooled buffers returned in finally, and a checkpoint replaced atomically under an async gate.</summary>
public sealed class CheckpointedHasher
{
    private readonly SemaphoreSlim _checkpointGate = new(1, 1);
    private readonly string _checkpointPath;

    public CheckpointedHasher(string checkpointPath) => _checkpointPath = checkpointPath;

    public static async Task<long> SumBytesAsync(string path, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(81_920);
        try
        {
            await using var stream = File.OpenRead(path);
            long sum = 0;
            int read;
            while ((read = await stream.ReadAsync(buffer.AsMemory(0, 81_920), cancellationToken).ConfigureAwait(false)) > 0)
            {
                for (var i = 0; i < read; i++)
                {
                    sum += buffer[i];
                }
            }

            return sum;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // Was CONC205: the rename that ends the temp-file write has no async form; the gate exists to serialize it.
    public async Task SaveCheckpointAsync(int done, CancellationToken cancellationToken)
    {
        await _checkpointGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var temp = _checkpointPath + ".tmp";
            await File.WriteAllTextAsync(temp, done.ToString(CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false);
            File.Move(temp, _checkpointPath, overwrite: true);
        }
        finally
        {
            _checkpointGate.Release();
        }
    }
}

/// <summary>Job orchestration: a linked source per job, and dependent stages joined before their results are read.</summary>
public sealed class NightlyBatch
{
    public static async Task<bool> RunOneAsync(Func<CancellationToken, Task> body, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await body(cts.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    // Near miss of CONC106's file lines: each chunk of lines is awaited before the next is read.
    public static async Task ImportLinesAsync(string path, Func<string, CancellationToken, Task> import, CancellationToken cancellationToken)
    {
        foreach (var chunk in File.ReadLines(path).Chunk(32))
        {
            await Task.WhenAll(chunk.Select(line => import(line, cancellationToken))).ConfigureAwait(false);
        }
    }

    // Was CONC207 on .NET 9+: `Task.WhenAll(a, b)` binds to a params ReadOnlySpan<Task> there.
    public static async Task<decimal> NetAsync(
        Func<CancellationToken, Task<IReadOnlyList<decimal>>> loadInvoices,
        Func<CancellationToken, Task<IReadOnlyList<decimal>>> loadRefunds,
        CancellationToken cancellationToken)
    {
        var invoices = loadInvoices(cancellationToken);
        var refunds = loadRefunds(cancellationToken);
        await Task.WhenAll(invoices, refunds).ConfigureAwait(false);
        return invoices.Result.Sum() - refunds.Result.Sum();
    }
}
