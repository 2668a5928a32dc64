using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using System.Threading.Channels;

namespace CorrectCode.SeedTranslationsB;

/// <summary>
/// C# translations of the correct examples in a long Go concurrency article (goroutines, channels, sync, context and
/// its "advanced patterns" bonus section), written the way a .NET developer would. The first group are shapes that
/// were false positives before the tenth session; the rest are the near misses every rule must leave alone.
/// </summary>
public sealed record WorkItem(int Id, string Payload);

// ---- Fixed false positives ----

/// <summary>Go's <c>result := make(chan T, 1)</c>: one value, read once, nobody waits for the channel to complete (CONC601).</summary>
public sealed class QuoteService
{
    public async Task<decimal> QuoteAsync(decimal price, CancellationToken cancellationToken)
    {
        var result = Channel.CreateBounded<decimal>(1);
        var producer = Task.Run(async () => await result.Writer.WriteAsync(price * 1.2m, cancellationToken), cancellationToken);
        var quote = await result.Reader.ReadAsync(cancellationToken);
        await producer;
        return quote;
    }
}

/// <summary>Go's fan-out whose results channel is never closed: the caller reads as many results as it sent jobs (CONC601).</summary>
public sealed class ResizeFanOut
{
    public async Task<List<int>> ResizeAsync(IReadOnlyList<int> sizes, CancellationToken cancellationToken)
    {
        var jobs = Channel.CreateBounded<int>(sizes.Count);
        var results = Channel.CreateBounded<int>(sizes.Count);
        var workers = new Task[3];
        for (var w = 0; w < workers.Length; w++)
        {
            workers[w] = Task.Run(async () =>
            {
                await foreach (var size in jobs.Reader.ReadAllAsync(cancellationToken))
                {
                    await results.Writer.WriteAsync(size / 2, cancellationToken);
                }
            }, cancellationToken);
        }

        try
        {
            foreach (var size in sizes)
            {
                await jobs.Writer.WriteAsync(size, cancellationToken);
            }
        }
        finally
        {
            jobs.Writer.TryComplete();
        }

        var resized = new List<int>(sizes.Count);
        for (var r = 0; r < sizes.Count; r++)
        {
            resized.Add(await results.Reader.ReadAsync(cancellationToken));
        }

        await Task.WhenAll(workers);
        return resized;
    }
}

/// <summary>A buffered channel used as a local queue: filled, completed, then drained in the same method (CONC601).</summary>
public sealed class TickSimulator
{
    public async Task<int> SimulateAsync(int ticks, CancellationToken cancellationToken)
    {
        var bucket = Channel.CreateBounded<long>(Math.Max(1, ticks));
        for (var i = 0; i < ticks; i++)
        {
            await bucket.Writer.WriteAsync(DateTime.UtcNow.Ticks, cancellationToken);
            await Task.Delay(1, cancellationToken);
        }

        bucket.Writer.Complete();

        var taken = 0;
        await foreach (var _ in bucket.Reader.ReadAllAsync(cancellationToken))
        {
            taken++;
        }

        return taken;
    }
}

/// <summary>Go's <c>runFirst</c> with <c>make(chan T, len(tasks))</c>: one slot per task, so TryWrite cannot fail (CONC603).</summary>
public static class FirstResult
{
    public static async Task<string> RunFirstAsync(IReadOnlyList<Func<CancellationToken, Task<string>>> tasks, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var results = Channel.CreateBounded<string>(tasks.Count);
        var running = new List<Task>(tasks.Count);
        foreach (var task in tasks)
        {
            running.Add(Task.Run(async () =>
            {
                var value = await task(cts.Token);
                results.Writer.TryWrite(value);
            }, cts.Token));
        }

        var first = await results.Reader.ReadAsync(cancellationToken);
        await cts.CancelAsync();
        try
        {
            await Task.WhenAll(running);
        }
        catch (OperationCanceledException)
        {
        }

        return first;
    }
}

/// <summary>Go's <c>done := make(chan bool, 1)</c>: one slot, one signal (CONC603, CONC601).</summary>
public sealed class SchemaMigrator
{
    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        var done = Channel.CreateBounded<bool>(1);
        var work = Task.Run(async () =>
        {
            try
            {
                await Task.Delay(10, cancellationToken);
            }
            finally
            {
                done.Writer.TryWrite(true);
            }
        }, cancellationToken);
        await done.Reader.ReadAsync(cancellationToken);
        await work;
    }
}

/// <summary>Start workers, let them run for a while, cancel, then wait for them: the first pause is the run time (CONC105).</summary>
public sealed class SoakTest
{
    public async Task<int> RunAsync(int workers)
    {
        using var cts = new CancellationTokenSource();
        var beats = 0;
        var running = new List<Task>(workers);
        for (var i = 0; i < workers; i++)
        {
            running.Add(Task.Run(async () =>
            {
                while (!cts.Token.IsCancellationRequested)
                {
                    Interlocked.Increment(ref beats);
                    try
                    {
                        await Task.Delay(10, cts.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }
            }));
        }

        await Task.Delay(200);
        await cts.CancelAsync();
        await Task.WhenAll(running);
        return Volatile.Read(ref beats);
    }
}

/// <summary>Go's channel semaphore, literally: a bounded channel slot taken before each task and freed by it (CONC106).</summary>
public sealed class SlotThrottledImporter
{
    public async Task<int> ImportAsync(IReadOnlyList<int> sizes, CancellationToken cancellationToken)
    {
        var slots = Channel.CreateBounded<bool>(4);
        var imported = 0;
        var tasks = new List<Task>();
        foreach (var size in sizes)
        {
            await slots.Writer.WriteAsync(true, cancellationToken);
            tasks.Add(Task.Run(async () =>
            {
                try
                {
                    await Task.Delay(size, cancellationToken);
                    Interlocked.Add(ref imported, size);
                }
                finally
                {
                    slots.Reader.TryRead(out _);
                }
            }, cancellationToken));
        }

        await Task.WhenAll(tasks);
        return Volatile.Read(ref imported);
    }
}

// ---- Near misses from the same article ----

/// <summary>Go's generator/square pipeline: each stage completes its writer in finally.</summary>
public static class SquarePipeline
{
    public static ChannelReader<int> Generate(IEnumerable<int> numbers, CancellationToken cancellationToken)
    {
        var output = Channel.CreateUnbounded<int>();
        _ = Task.Run(async () =>
        {
            try
            {
                foreach (var n in numbers)
                {
                    await output.Writer.WriteAsync(n, cancellationToken);
                }
            }
            finally
            {
                output.Writer.TryComplete();
            }
        }, cancellationToken);
        return output.Reader;
    }

    public static ChannelReader<int> Square(ChannelReader<int> input, CancellationToken cancellationToken)
    {
        var output = Channel.CreateUnbounded<int>();
        _ = Task.Run(async () =>
        {
            try
            {
                await foreach (var n in input.ReadAllAsync(cancellationToken))
                {
                    await output.Writer.WriteAsync(n * n, cancellationToken);
                }
            }
            finally
            {
                output.Writer.TryComplete();
            }
        }, cancellationToken);
        return output.Reader;
    }
}

/// <summary>Go's fan-in: forwarders joined, then the merged output completed with their fault.</summary>
public static class ReaderMerge
{
    public static ChannelReader<T> Merge<T>(IReadOnlyList<ChannelReader<T>> inputs, CancellationToken cancellationToken)
    {
        var output = Channel.CreateUnbounded<T>();
        var forwarders = new Task[inputs.Count];
        for (var i = 0; i < inputs.Count; i++)
        {
            var input = inputs[i];
            forwarders[i] = Task.Run(async () =>
            {
                await foreach (var item in input.ReadAllAsync(cancellationToken))
                {
                    await output.Writer.WriteAsync(item, cancellationToken);
                }
            }, cancellationToken);
        }

        _ = Task.WhenAll(forwarders).ContinueWith(
            t => output.Writer.TryComplete(t.Exception),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return output.Reader;
    }
}

/// <summary>Go's <c>tokenBucketLimiter</c>, owned: the refill loop waits on the owner's token and is awaited on dispose.</summary>
public sealed class RefillingBucket : IAsyncDisposable
{
    private readonly Channel<long> _bucket;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _refill;

    public RefillingBucket(int limit, TimeSpan refill)
    {
        _bucket = Channel.CreateBounded<long>(new BoundedChannelOptions(limit) { FullMode = BoundedChannelFullMode.DropWrite });
        _refill = RefillAsync(refill, _stop.Token);
    }

    private async Task RefillAsync(TimeSpan refill, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(refill);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                _bucket.Writer.TryWrite(DateTime.UtcNow.Ticks);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    public ValueTask<long> TakeAsync(CancellationToken cancellationToken) => _bucket.Reader.ReadAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _refill;
        _stop.Dispose();
    }
}

/// <summary>Go's ticker rate limiter: one tick per request, the ticker disposed on return.</summary>
public sealed class PacedSender
{
    public async Task<int> SendAllAsync(ChannelReader<WorkItem> requests, TimeSpan rate, CancellationToken cancellationToken)
    {
        var sent = 0;
        using var ticker = new PeriodicTimer(rate);
        await foreach (var request in requests.ReadAllAsync(cancellationToken))
        {
            if (!await ticker.WaitForNextTickAsync(cancellationToken))
            {
                break;
            }

            sent += request.Payload.Length;
        }

        return sent;
    }
}

/// <summary>Go's counter with <c>defer mu.Unlock()</c>, and the "extract an unlocked helper" fix for re-entry.</summary>
public sealed class StockCounter
{
    private readonly SemaphoreSlim _mutex = new(1, 1);
    private int _count;

    private int CountLocked() => _count;

    public async Task<int> AddAndReportAsync(int delta, CancellationToken cancellationToken)
    {
        await _mutex.WaitAsync(cancellationToken);
        try
        {
            _count += delta;
            return CountLocked();
        }
        finally
        {
            _mutex.Release();
        }
    }

    public async Task<int> CountAsync(CancellationToken cancellationToken)
    {
        await _mutex.WaitAsync(cancellationToken);
        try
        {
            return CountLocked();
        }
        finally
        {
            _mutex.Release();
        }
    }
}

/// <summary>Go's <c>sync.Cond</c> queue: <c>Monitor.Wait</c> in a while loop under the lock.</summary>
public sealed class CondQueue
{
    private readonly object _gate = new();
    private readonly Queue<int> _items = new();

    public void Enqueue(int item)
    {
        lock (_gate)
        {
            _items.Enqueue(item);
            Monitor.Pulse(_gate);
        }
    }

    public int Dequeue()
    {
        lock (_gate)
        {
            while (_items.Count == 0)
            {
                Monitor.Wait(_gate);
            }

            return _items.Dequeue();
        }
    }
}

/// <summary>Go's channel-backed queue replacing <c>sync.Cond</c>, and its literal channel semaphore.</summary>
public sealed class ChannelQueue
{
    private readonly Channel<int> _items = Channel.CreateBounded<int>(64);
    private readonly Channel<bool> _slots = Channel.CreateBounded<bool>(4);

    public ValueTask EnqueueAsync(int item, CancellationToken cancellationToken) => _items.Writer.WriteAsync(item, cancellationToken);

    public ValueTask<int> DequeueAsync(CancellationToken cancellationToken) => _items.Reader.ReadAsync(cancellationToken);

    public ValueTask AcquireAsync(CancellationToken cancellationToken) => _slots.Writer.WriteAsync(true, cancellationToken);

    public void Release() => _slots.Reader.TryRead(out _);
}

/// <summary>Go's CAS loop and atomic counter.</summary>
public sealed class CappedCounter
{
    private long _value;

    public long Value => Interlocked.Read(ref _value);

    public bool IncrementIfBelow(long max)
    {
        while (true)
        {
            var current = Interlocked.Read(ref _value);
            if (current >= max)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _value, current + 1, current) == current)
            {
                return true;
            }
        }
    }
}

/// <summary>Go's <c>atomic.Value</c>: a reference swapped and read atomically.</summary>
public sealed class RouteTable
{
    private Dictionary<string, string> _routes = new(StringComparer.Ordinal);

    public string? Resolve(string path) => Volatile.Read(ref _routes).TryGetValue(path, out var target) ? target : null;

    public void Replace(Dictionary<string, string> routes) => Interlocked.Exchange(ref _routes, routes);
}

/// <summary>Go's <c>sync.Pool</c> of buffers: rented, returned in finally.</summary>
public static class PayloadEncoder
{
    public static string Encode(string data)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(data.Length));
        try
        {
            var written = Encoding.UTF8.GetBytes(data, buffer);
            return Convert.ToBase64String(buffer, 0, written);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

/// <summary>Go's circuit breaker: state under the lock, the call outside it, cancellation not counted as a failure.</summary>
public sealed class Breaker
{
    private readonly object _gate = new();
    private readonly int _maxFailures;
    private readonly TimeSpan _openFor;
    private int _failures;
    private DateTime _openedAt = DateTime.MinValue;

    public Breaker(int maxFailures, TimeSpan openFor)
    {
        _maxFailures = maxFailures;
        _openFor = openFor;
    }

    public async Task CallAsync(Func<CancellationToken, Task> action, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_failures >= _maxFailures && DateTime.UtcNow - _openedAt < _openFor)
            {
                throw new InvalidOperationException("circuit breaker is open");
            }
        }

        try
        {
            await action(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            lock (_gate)
            {
                if (++_failures >= _maxFailures)
                {
                    _openedAt = DateTime.UtcNow;
                }
            }

            throw;
        }

        lock (_gate)
        {
            _failures = 0;
        }
    }
}

/// <summary>Go's bounded errgroup (<c>SetLimit</c>) and scraper: a visited set and a bounded parallel loop.</summary>
public sealed class SiteCrawler
{
    private readonly ConcurrentDictionary<string, bool> _visited = new(StringComparer.Ordinal);

    public async Task<List<string>> CrawlAsync(IEnumerable<string> urls, Func<string, CancellationToken, Task<string>> fetch, CancellationToken cancellationToken)
    {
        var pages = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(
            urls,
            new ParallelOptions { MaxDegreeOfParallelism = 20, CancellationToken = cancellationToken },
            async (url, ct) =>
            {
                if (_visited.TryAdd(url, true))
                {
                    pages.Add(await fetch(url, ct));
                }
            });
        return pages.ToList();
    }
}

/// <summary>Go's retry with backoff: cancellation ends the retries, the delay takes the token.</summary>
public static class Backoff
{
    public static async Task RetryAsync(Func<CancellationToken, Task> action, int maxAttempts, TimeSpan baseDelay, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await action(cancellationToken);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException && attempt < maxAttempts - 1)
            {
                await Task.Delay(baseDelay * Math.Pow(2, attempt), cancellationToken);
            }
        }
    }
}

/// <summary>Go's batcher: the timer is disposed by its owner and the batch is processed outside the lock.</summary>
public sealed class RowBatcher : IDisposable
{
    private readonly object _gate = new();
    private readonly List<string> _rows = new();
    private readonly Timer _timer;
    private readonly Action<List<string>> _flush;

    public RowBatcher(Action<List<string>> flush)
    {
        _flush = flush;
        _timer = new Timer(_ => FlushPending(), null, Timeout.Infinite, Timeout.Infinite);
    }

    public void Add(string row)
    {
        List<string>? full = null;
        lock (_gate)
        {
            if (_rows.Count == 0)
            {
                _timer.Change(1000, Timeout.Infinite);
            }

            _rows.Add(row);
            if (_rows.Count >= 100)
            {
                full = TakeLocked();
            }
        }

        if (full is not null)
        {
            _flush(full);
        }
    }

    private void FlushPending()
    {
        List<string>? batch;
        lock (_gate)
        {
            batch = TakeLocked();
        }

        if (batch is not null)
        {
            _flush(batch);
        }
    }

    private List<string>? TakeLocked()
    {
        if (_rows.Count == 0)
        {
            return null;
        }

        _timer.Change(Timeout.Infinite, Timeout.Infinite);
        var batch = new List<string>(_rows);
        _rows.Clear();
        return batch;
    }

    public void Dispose() => _timer.Dispose();
}

/// <summary>Go's reusable <c>TaskRunner</c> on a WaitGroup: the count is added before the work starts.</summary>
public sealed class BackgroundRunner : IDisposable
{
    private readonly CountdownEvent _pending = new(1);

    public void Go(Action work)
    {
        _pending.AddCount();
        _ = Task.Run(() =>
        {
            try
            {
                work();
            }
            finally
            {
                _pending.Signal();
            }
        });
    }

    public void Wait()
    {
        _pending.Signal();
        _pending.Wait();
    }

    public void Dispose() => _pending.Dispose();
}
