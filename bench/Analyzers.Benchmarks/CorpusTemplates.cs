namespace ConcurrencyAnalyzers.Benchmarks;

// The units the generator stamps out. __E__ / __e__ = entity (Pascal / camel), __N__ = unit number,
// __D__ = a delay in ms, __P__ = a small degree of parallelism. A bug, when planted, replaces the /*BUG*/ line.
internal sealed partial class CorpusGenerator
{
    private static readonly Template[] Templates =
    {
        // Lifetime / cancellation: async service methods that flow their token.
        new("""
public sealed class __E__Service__N__
{
    private readonly IStore<__E__> _store;
    private readonly IEventSink _sink;
    private readonly TimeSpan _timeout = TimeSpan.FromMilliseconds(__D__);

    public __E__Service__N__(IStore<__E__> store, IEventSink sink)
    {
        _store = store;
        _sink = sink;
    }

    public async Task<__E__?> GetAsync(int id, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        try
        {
            var item = await _store.FindAsync(id, timeout.Token).ConfigureAwait(false);
            if (item is null)
            {
                await _sink.WriteAsync("__e__", $"__E__ {id} not found", cancellationToken).ConfigureAwait(false);
            }

            return item;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            _sink.Write("__e__", $"lookup of {id} timed out");
            return null;
        }
    }

    public async Task<decimal> TotalAsync(IReadOnlyList<int> ids, CancellationToken cancellationToken)
    {
        var lookups = ids.Take(__P__).Select(id => _store.FindAsync(id, cancellationToken)).ToArray();
        var found = await Task.WhenAll(lookups).ConfigureAwait(false);
        decimal total = 0;
        foreach (var item in found)
        {
            if (item is not null)
            {
                total += item.Amount;
            }
        }

        return total;
    }

    public async Task<int> ImportAsync(IAsyncEnumerable<__E__> source, CancellationToken cancellationToken)
    {
        var count = 0;
        await foreach (var item in source.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            await _store.SaveAsync(item, cancellationToken).ConfigureAwait(false);
            count++;
        }

        return count;
    }

    public async Task RetryAsync(Func<CancellationToken, Task> operation, int attempts, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await operation(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException && attempt < attempts)
            {
                _sink.Write("__e__", $"attempt {attempt} failed: {ex.Message}");
                await Task.Delay(TimeSpan.FromMilliseconds(__D__ * attempt), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public Task<bool> WaitForSignalAsync(Action<Action> subscribe)
    {
        var completion = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        subscribe(() => completion.TrySetResult(true));
        return completion.Task;
    }
/*BUG*/
}
""", new[]
        {
            """
    // Planted bug (CONC103): async void method.
    public async void Refresh(int id)
    {
        var item = await _store.FindAsync(id, CancellationToken.None).ConfigureAwait(false);
        _sink.Write("__e__", $"refreshed {item?.Id}");
    }
""",
            """
    // Planted bug (CONC401): token in scope not passed to Task.Delay.
    public async Task PollAsync(int id, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var item = await _store.FindAsync(id, cancellationToken).ConfigureAwait(false);
            _sink.Write("__e__", $"polled {item?.Id}");
            await Task.Delay(__D__).ConfigureAwait(false);
        }
    }
""",
            """
    // Planted bug (CONC207): .Result in async code.
    public async Task<decimal> AmountAsync(int id, CancellationToken cancellationToken)
    {
        await _sink.WriteAsync("__e__", "amount", cancellationToken).ConfigureAwait(false);
        var item = _store.FindAsync(id, cancellationToken).Result;
        return item?.Amount ?? 0m;
    }
""",
        }),

        // Lifetime: Task.Run fan-out over partitions, joined with WhenAll.
        new("""
public sealed class __E__BatchProcessor__N__
{
    private readonly IStore<__E__> _store;
    private readonly int _partitions = __P__;
    private long _processed;

    public __E__BatchProcessor__N__(IStore<__E__> store)
    {
        _store = store;
    }

    public long Processed => Interlocked.Read(ref _processed);

    public async Task<int> ProcessAsync(IReadOnlyList<__E__> items, CancellationToken cancellationToken)
    {
        var tasks = new List<Task<int>>(_partitions);
        for (var p = 0; p < _partitions; p++)
        {
            var partition = p;
            tasks.Add(Task.Run(() => ProcessPartitionAsync(items, partition, cancellationToken), cancellationToken));
        }

        var counts = await Task.WhenAll(tasks).ConfigureAwait(false);
        return counts.Sum();
    }

    private async Task<int> ProcessPartitionAsync(IReadOnlyList<__E__> items, int partition, CancellationToken cancellationToken)
    {
        var done = 0;
        for (var i = partition; i < items.Count; i += _partitions)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await _store.SaveAsync(items[i], cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _processed);
            done++;
        }

        return done;
    }

    public Task<decimal> SumOnPoolAsync(IReadOnlyList<__E__> items, CancellationToken cancellationToken) =>
        Task.Run(
            () =>
            {
                decimal sum = 0;
                foreach (var item in items)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    sum += item.Amount;
                }

                return sum;
            },
            cancellationToken);

    public Task RunWorkerAsync(Func<CancellationToken, Task<bool>> step, CancellationToken cancellationToken) =>
        Task.Run(
            async () =>
            {
                while (!cancellationToken.IsCancellationRequested)
                {
                    var more = await step(cancellationToken).ConfigureAwait(false);
                    if (!more)
                    {
                        await Task.Delay(__D__, cancellationToken).ConfigureAwait(false);
                    }
                }
            },
            cancellationToken);
/*BUG*/
}
""", new[]
        {
            """
    // Planted bug (CONC304): for variable captured by Task.Run.
    public Task SaveEachAsync(__E__[] items)
    {
        var tasks = new Task[items.Length];
        for (var i = 0; i < items.Length; i++)
        {
            tasks[i] = Task.Run(() => _store.SaveAsync(items[i], CancellationToken.None));
        }

        return Task.WhenAll(tasks);
    }
""",
            """
    // Planted bug (CONC101): background loop with no exit.
    public void StartPump(Func<__E__> next)
    {
        _ = Task.Run(async () =>
        {
            while (true)
            {
                await _store.SaveAsync(next(), CancellationToken.None).ConfigureAwait(false);
                await Task.Delay(__D__).ConfigureAwait(false);
            }
        });
    }
""",
            """
    // Planted bug (CONC302): captured counter incremented in Task.Run.
    public async Task<int> CountNegativeAsync(IReadOnlyList<__E__> items)
    {
        var negative = 0;
        await Task.WhenAll(items.Select(item => Task.Run(() =>
        {
            if (item.Amount < 0)
            {
                negative++;
            }
        }))).ConfigureAwait(false);
        return negative;
    }
""",
        }),

        // Locking: lock, Monitor.TryEnter, SemaphoreSlim as an async lock, ReaderWriterLockSlim.
        new("""
public sealed class __E__Cache__N__ : IDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<int, __E__> _items = new();
    private readonly SemaphoreSlim _refreshLock = new(1, 1);
    private readonly ReaderWriterLockSlim _indexLock = new(LockRecursionPolicy.NoRecursion);
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private readonly IStore<__E__> _store;
    private int _version;

    public __E__Cache__N__(IStore<__E__> store)
    {
        _store = store;
    }

    public int Version
    {
        get
        {
            lock (_gate)
            {
                return _version;
            }
        }
    }

    public bool TryGet(int id, out __E__? item)
    {
        lock (_gate)
        {
            return _items.TryGetValue(id, out item);
        }
    }

    public void Put(__E__ item)
    {
        lock (_gate)
        {
            _items[item.Id] = item;
            _version++;
        }

        SetIndex(item.Key, item.Id);
    }

    public async Task RefreshAsync(int id, CancellationToken cancellationToken)
    {
        await _refreshLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var item = await _store.FindAsync(id, cancellationToken).ConfigureAwait(false);
            if (item is not null)
            {
                Put(item);
            }
        }
        finally
        {
            _refreshLock.Release();
        }
    }

    public bool TryUpdate(int id, Func<__E__, __E__> update, TimeSpan timeout)
    {
        if (!Monitor.TryEnter(_gate, timeout))
        {
            return false;
        }

        try
        {
            if (!_items.TryGetValue(id, out var current))
            {
                return false;
            }

            _items[id] = update(current);
            _version++;
            return true;
        }
        finally
        {
            Monitor.Exit(_gate);
        }
    }

    public int? FindByKey(string key)
    {
        _indexLock.EnterReadLock();
        try
        {
            return _index.TryGetValue(key, out var id) ? id : null;
        }
        finally
        {
            _indexLock.ExitReadLock();
        }
    }

    private void SetIndex(string key, int id)
    {
        _indexLock.EnterWriteLock();
        try
        {
            _index[key] = id;
        }
        finally
        {
            _indexLock.ExitWriteLock();
        }
    }

    public void Dispose()
    {
        _refreshLock.Dispose();
        _indexLock.Dispose();
    }
/*BUG*/
}
""", new[]
        {
            """
    // Planted bug (CONC209): lock (this).
    public void Clear()
    {
        lock (this)
        {
            _items.Clear();
        }
    }
""",
            """
    // Planted bug (CONC204): Monitor.Enter without try/finally.
    public void Remove(int id)
    {
        Monitor.Enter(_gate);
        _items.Remove(id);
        _version++;
        Monitor.Exit(_gate);
    }
""",
            """
    // Planted bug (CONC201): Monitor held across await.
    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        Monitor.Enter(_gate);
        try
        {
            var all = await _store.ListAsync(0, 100, cancellationToken).ConfigureAwait(false);
            foreach (var item in all)
            {
                _items[item.Id] = item;
            }
        }
        finally
        {
            Monitor.Exit(_gate);
        }
    }
""",
            """
    // Planted bug (CONC205): Thread.Sleep under a lock.
    public void Compact()
    {
        lock (_gate)
        {
            Thread.Sleep(__D__);
            _items.Clear();
        }
    }
""",
            """
    // Planted bug (CONC203): SemaphoreSlim.Wait in async code.
    public async Task WarmAsync(int id, CancellationToken cancellationToken)
    {
        _refreshLock.Wait(cancellationToken);
        try
        {
            var item = await _store.FindAsync(id, cancellationToken).ConfigureAwait(false);
            if (item is not null)
            {
                Put(item);
            }
        }
        finally
        {
            _refreshLock.Release();
        }
    }
""",
        }),

        // Shared state: Parallel loops over collections with concurrent types and Interlocked.
        new("""
public sealed class __E__Aggregator__N__
{
    private readonly IEventSink _sink;

    public __E__Aggregator__N__(IEventSink sink)
    {
        _sink = sink;
    }

    public IReadOnlyDictionary<string, decimal> TotalsByKey(IEnumerable<__E__> items)
    {
        var totals = new ConcurrentDictionary<string, decimal>(StringComparer.Ordinal);
        Parallel.ForEach(items, new ParallelOptions { MaxDegreeOfParallelism = __P__ }, item =>
        {
            totals.AddOrUpdate(item.Key, item.Amount, (_, current) => current + item.Amount);
        });
        return totals;
    }

    public long CountLarge(IReadOnlyList<__E__> items, decimal threshold)
    {
        long count = 0;
        Parallel.For(
            0,
            items.Count,
            () => 0L,
            (i, _, local) => items[i].Amount > threshold ? local + 1 : local,
            local => Interlocked.Add(ref count, local));
        return count;
    }

    public List<string> Describe(IEnumerable<__E__> items)
    {
        var bag = new ConcurrentBag<string>();
        Parallel.ForEach(items, item => bag.Add($"{item.Id}:{item.Key}"));
        var result = bag.ToList();
        result.Sort(StringComparer.Ordinal);
        _sink.Write("__e__", $"described {result.Count}");
        return result;
    }

    public async Task SaveAllAsync(IEnumerable<__E__> items, IStore<__E__> store, CancellationToken cancellationToken)
    {
        var options = new ParallelOptions { MaxDegreeOfParallelism = __P__, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(items, options, async (item, token) => await store.SaveAsync(item, token).ConfigureAwait(false)).ConfigureAwait(false);
    }

    public decimal[] Normalize(decimal[] amounts)
    {
        var max = amounts.Length == 0 ? 1m : amounts.Max();
        var result = new decimal[amounts.Length];
        Parallel.For(0, amounts.Length, i => result[i] = amounts[i] / (max == 0 ? 1m : max));
        return result;
    }

    public int CountDistinctKeys(IEnumerable<__E__> items) =>
        items.AsParallel().Select(item => item.Key).Distinct(StringComparer.Ordinal).Count();
/*BUG*/
}
""", new[]
        {
            """
    // Planted bug (CONC301): List mutated in Parallel.ForEach.
    public List<string> Invalid(IEnumerable<__E__> items)
    {
        var invalid = new List<string>();
        Parallel.ForEach(items, item =>
        {
            if (item.Amount < 0)
            {
                invalid.Add(item.Key);
            }
        });
        return invalid;
    }
""",
            """
    // Planted bug (CONC302): sum += in Parallel.For.
    public decimal Sum(IReadOnlyList<__E__> items)
    {
        decimal sum = 0;
        Parallel.For(0, items.Count, i => { sum += items[i].Amount; });
        return sum;
    }
""",
            """
    // Planted bug (CONC103): async lambda passed as Action to Parallel.ForEach.
    public void Publish(IEnumerable<__E__> items)
    {
        Parallel.ForEach(items, async item =>
        {
            await _sink.WriteAsync("__e__", item.Key, CancellationToken.None).ConfigureAwait(false);
        });
    }
""",
        }),

        // Coordination: bounded channel pipeline completed by its producer in finally; worker fan-out.
        new("""
public sealed class __E__Pipeline__N__
{
    private readonly IStore<__E__> _store;
    private readonly IEventSink _sink;

    public __E__Pipeline__N__(IStore<__E__> store, IEventSink sink)
    {
        _store = store;
        _sink = sink;
    }

    public async Task<int> RunAsync(IReadOnlyList<int> ids, CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<__E__>(new BoundedChannelOptions(__P__) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });
        var producer = ProduceAsync(ids, channel.Writer, cancellationToken);
        var consumed = await ConsumeAsync(channel.Reader, cancellationToken).ConfigureAwait(false);
        await producer.ConfigureAwait(false);
        return consumed;
    }

    private async Task ProduceAsync(IReadOnlyList<int> ids, ChannelWriter<__E__> writer, CancellationToken cancellationToken)
    {
        Exception? failure = null;
        try
        {
            foreach (var id in ids)
            {
                var item = await _store.FindAsync(id, cancellationToken).ConfigureAwait(false);
                if (item is not null)
                {
                    await writer.WriteAsync(item, cancellationToken).ConfigureAwait(false);
                }
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

    private async Task<int> ConsumeAsync(ChannelReader<__E__> reader, CancellationToken cancellationToken)
    {
        var count = 0;
        await foreach (var item in reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            await _sink.WriteAsync("__e__", $"{item.Id} {item.Amount}", cancellationToken).ConfigureAwait(false);
            count++;
        }

        return count;
    }

    public async Task FanOutAsync(IReadOnlyList<__E__> items, int workers, CancellationToken cancellationToken)
    {
        var channel = Channel.CreateUnbounded<__E__>(new UnboundedChannelOptions { SingleWriter = true });
        var consumers = Enumerable.Range(0, workers).Select(_ => Task.Run(
            async () =>
            {
                while (await channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    while (channel.Reader.TryRead(out var item))
                    {
                        await _store.SaveAsync(item, cancellationToken).ConfigureAwait(false);
                    }
                }
            },
            cancellationToken)).ToArray();

        try
        {
            foreach (var item in items)
            {
                await channel.Writer.WriteAsync(item, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            channel.Writer.Complete();
        }

        await Task.WhenAll(consumers).ConfigureAwait(false);
    }
/*BUG*/
}
""", new[]
        {
            """
    // Planted bug (CONC601): writer not completed when the producer throws.
    public ChannelReader<__E__> Start(IReadOnlyList<int> ids, CancellationToken cancellationToken)
    {
        var channel = Channel.CreateUnbounded<__E__>();
        _ = Task.Run(
            async () =>
            {
                foreach (var id in ids)
                {
                    var item = await _store.FindAsync(id, cancellationToken).ConfigureAwait(false);
                    if (item is not null)
                    {
                        await channel.Writer.WriteAsync(item, cancellationToken).ConfigureAwait(false);
                    }
                }

                channel.Writer.Complete();
            },
            cancellationToken);
        return channel.Reader;
    }
""",
            """
    // Planted bug (CONC401): token not passed to WriteAsync.
    public async Task FeedAsync(ChannelWriter<__E__> writer, IReadOnlyList<__E__> items, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var item in items)
            {
                await writer.WriteAsync(item).ConfigureAwait(false);
            }
        }
        finally
        {
            writer.TryComplete();
        }

        cancellationToken.ThrowIfCancellationRequested();
    }
""",
        }),

        // Primitives: a mutable SpinLock field, Interlocked state, volatile flags, SpinWait.
        new("""
public sealed class __E__Counter__N__
{
    private readonly long[] _buckets = new long[__P__];
    private SpinLock _spin = new(enableThreadOwnerTracking: false);
    private long _total;
    private int _state;
    private volatile bool _closed;

    public bool IsClosed => _closed;

    public long Total => Interlocked.Read(ref _total);

    public bool TryOpen() => Interlocked.CompareExchange(ref _state, 1, 0) == 0;

    public void Close()
    {
        _closed = true;
        Volatile.Write(ref _state, 0);
    }

    public void Add(__E__ item)
    {
        var bucket = (item.Id & int.MaxValue) % _buckets.Length;
        var taken = false;
        try
        {
            _spin.Enter(ref taken);
            _buckets[bucket] += (long)item.Amount;
        }
        finally
        {
            if (taken)
            {
                _spin.Exit(useMemoryBarrier: false);
            }
        }

        Interlocked.Add(ref _total, (long)item.Amount);
    }

    public long[] Snapshot()
    {
        var taken = false;
        try
        {
            _spin.Enter(ref taken);
            return (long[])_buckets.Clone();
        }
        finally
        {
            if (taken)
            {
                _spin.Exit();
            }
        }
    }

    public bool WaitUntilOpen(TimeSpan timeout)
    {
        var spinner = default(SpinWait);
        var clock = Stopwatch.StartNew();
        while (Volatile.Read(ref _state) == 0)
        {
            if (clock.Elapsed > timeout)
            {
                return false;
            }

            spinner.SpinOnce();
        }

        return true;
    }
/*BUG*/
}
""", new[]
        {
            """
    // Planted bug (CONC501): readonly SpinLock field.
    private readonly SpinLock _resetLock = new(false);

    public void Reset()
    {
        var taken = false;
        try
        {
            _resetLock.Enter(ref taken);
            Array.Clear(_buckets);
        }
        finally
        {
            if (taken)
            {
                _resetLock.Exit();
            }
        }
    }
""",
            """
    // Planted bug (CONC306): busy-wait on a non-volatile flag.
    private bool _stopRequested;

    public void Stop() => _stopRequested = true;

    public void SpinUntilStopped()
    {
        while (!_stopRequested)
        {
        }
    }
""",
            """
    // Planted bug (CONC502): SpinLock copied to a local.
    public long Peek()
    {
        var copy = _spin;
        var taken = false;
        copy.Enter(ref taken);
        var total = _total;
        copy.Exit();
        return total;
    }
""",
        }),

        // Lifetime: timers stored and disposed, PeriodicTimer with a token, owned background loop.
        new("""
public sealed class __E__Monitor__N__ : IAsyncDisposable
{
    private readonly Timer _timer;
    private readonly IEventSink _sink;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;
    private int _ticks;

    public __E__Monitor__N__(IEventSink sink)
    {
        _sink = sink;
        _timer = new Timer(OnTick, null, Timeout.Infinite, Timeout.Infinite);
    }

    public int Ticks => Volatile.Read(ref _ticks);

    public void Start(TimeSpan period)
    {
        _timer.Change(period, period);
        _loop = PollAsync(period, _stopping.Token);
    }

    private void OnTick(object? state)
    {
        var ticks = Interlocked.Increment(ref _ticks);
        _sink.Write("__e__", $"tick {ticks}");
    }

    private async Task PollAsync(TimeSpan period, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                await _sink.WriteAsync("__e__", "poll", cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        await _timer.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }
/*BUG*/
}
""", new[]
        {
            """
    // Planted bug (CONC108): Timer not stored.
    public void StartHeartbeat()
    {
        new Timer(_ => _sink.Write("__e__", "alive"), null, 0, __D__);
    }
""",
            """
    // Planted bug (CONC403): CancellationTokenSource never disposed.
    public async Task<bool> PingAsync(Func<CancellationToken, Task> ping)
    {
        var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(__D__));
        await ping(cts.Token).ConfigureAwait(false);
        return true;
    }
""",
            """
    // Planted bug (CONC108): WaitForNextTickAsync without the token in scope.
    public async Task SampleAsync(TimeSpan period, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(period);
        while (await timer.WaitForNextTickAsync().ConfigureAwait(false))
        {
            await _sink.WriteAsync("__e__", "sample", cancellationToken).ConfigureAwait(false);
        }
    }
""",
        }),

        // Lifetime / cancellation: a hosted-service style worker that owns its loop and joins it on stop.
        new("""
public sealed class __E__Worker__N__
{
    private readonly IStore<__E__> _store;
    private readonly IEventSink _sink;
    private CancellationTokenSource? _cts;
    private Task? _execution;

    public __E__Worker__N__(IStore<__E__> store, IEventSink sink)
    {
        _store = store;
        _sink = sink;
    }

    public void Start()
    {
        _cts = new CancellationTokenSource();
        var token = _cts.Token;
        _execution = Task.Run(() => ExecuteAsync(token), token);
    }

    public async Task StopAsync()
    {
        if (_cts is null || _execution is null)
        {
            return;
        }

        await _cts.CancelAsync().ConfigureAwait(false);
        try
        {
            await _execution.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            _cts.Dispose();
            _cts = null;
        }
    }

    private async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var skip = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var batch = await _store.ListAsync(skip, __P__, stoppingToken).ConfigureAwait(false);
                skip = batch.Count == 0 ? 0 : skip + batch.Count;
                foreach (var item in batch)
                {
                    await _sink.WriteAsync("__e__", $"seen {item.Id}", stoppingToken).ConfigureAwait(false);
                }

                await Task.Delay(__D__, stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _sink.Write("__e__", $"worker failed: {ex.Message}");
            }
        }
    }
/*BUG*/
}
""", new[]
        {
            """
    // Planted bug (CONC405): catch-all in a loop swallows cancellation.
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                var batch = await _store.ListAsync(0, __P__, cancellationToken).ConfigureAwait(false);
                if (batch.Count == 0)
                {
                    return;
                }
            }
            catch (Exception ex)
            {
                _sink.Write("__e__", ex.Message);
            }
        }
    }
""",
            """
    // Planted bug (CONC104): two tasks awaited one by one.
    public async Task<int> ReadBothAsync(int first, int second, CancellationToken cancellationToken)
    {
        var a = _store.FindAsync(first, cancellationToken);
        var b = _store.FindAsync(second, cancellationToken);
        var x = await a.ConfigureAwait(false);
        var y = await b.ConfigureAwait(false);
        return (x is null ? 0 : 1) + (y is null ? 0 : 1);
    }
""",
        }),
    };
}
