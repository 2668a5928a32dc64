using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Threading.Channels;

namespace CorrectCode.RealisticApps;

// ---- OrderWorker ----

public sealed record Order(Guid Id, string Customer, decimal Amount);
public sealed record OrderResult(Guid Id, bool Accepted, string? Reason);

public sealed class OrderWorkerOptions
{
    public int Capacity { get; set; } = 256;
    public int Workers { get; set; } = 4;
    public int MaxAttempts { get; set; } = 3;
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);
}

public interface IPaymentGateway
{
    Task<bool> ChargeAsync(Order order, CancellationToken cancellationToken);
}

public interface IOrderStore
{
    Task SaveAsync(OrderResult result, CancellationToken cancellationToken);
}

public static class Retry
{
    public static async Task<T> WithBackoffAsync<T>(
        Func<CancellationToken, Task<T>> action, int maxAttempts, TimeSpan baseDelay, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await action(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException && attempt < maxAttempts)
            {
                var delay = TimeSpan.FromMilliseconds(baseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1));
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}

public sealed class OrderQueue
{
    private readonly Channel<Order> _channel;

    public OrderQueue(OrderWorkerOptions options)
    {
        _channel = Channel.CreateBounded<Order>(new BoundedChannelOptions(options.Capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = false,
            SingleWriter = false,
        });
    }

    public ChannelReader<Order> Reader => _channel.Reader;

    public ValueTask EnqueueAsync(Order order, CancellationToken cancellationToken) =>
        _channel.Writer.WriteAsync(order, cancellationToken);

    public void Close(Exception? error = null) => _channel.Writer.TryComplete(error);
}


public sealed class OrderImporter
{
    private readonly OrderQueue _queue;

    public OrderImporter(OrderQueue queue) => _queue = queue;

    public async Task<int> ImportAsync(IAsyncEnumerable<Order> source, CancellationToken cancellationToken)
    {
        var count = 0;
        await foreach (var order in source.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            await _queue.EnqueueAsync(order, cancellationToken).ConfigureAwait(false);
            count++;
        }

        return count;
    }

    public static async Task<IReadOnlyList<OrderResult>> ValidateAllAsync(
        IReadOnlyList<Order> orders, Func<Order, CancellationToken, Task<OrderResult>> validate, CancellationToken cancellationToken)
    {
        var results = new ConcurrentBag<OrderResult>();
        await Parallel.ForEachAsync(orders, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (order, ct) => results.Add(await validate(order, ct).ConfigureAwait(false))).ConfigureAwait(false);
        return results.OrderBy(r => r.Id).ToList();
    }

    public static async IAsyncEnumerable<Order> ParseAsync(
        TextReader reader, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? line;
        while ((line = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false)) is not null)
        {
            var parts = line.Split(',');
            if (parts.Length == 2 && decimal.TryParse(parts[1], out var amount))
            {
                yield return new Order(Guid.NewGuid(), parts[0], amount);
            }
        }
    }
}

// ---- ExpiringCache ----

public sealed class CacheOptions
{
    public TimeSpan TimeToLive { get; init; } = TimeSpan.FromMinutes(5);
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>Cache with per-key stampede protection and a sweep loop on a PeriodicTimer.</summary>
public sealed class ExpiringCache<TKey, TValue> : IAsyncDisposable where TKey : notnull
{
    private sealed record Entry(TValue Value, DateTimeOffset ExpiresAt);

    private readonly ConcurrentDictionary<TKey, Entry> _entries = new();
    private readonly ConcurrentDictionary<TKey, Lazy<Task<TValue>>> _inflight = new();
    private readonly CacheOptions _options;
    private readonly TimeProvider _clock;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Task _sweeper;
    private ImmutableHashSet<TKey> _pinned = ImmutableHashSet<TKey>.Empty;
    private int _disposed;
    private long _hits;
    private long _misses;

    public ExpiringCache(CacheOptions options, TimeProvider? clock = null)
    {
        _options = options;
        _clock = clock ?? TimeProvider.System;
        _sweeper = SweepLoopAsync(_shutdown.Token);
    }

    public event EventHandler<TKey>? Evicted;

    public (long Hits, long Misses) Stats => (Interlocked.Read(ref _hits), Interlocked.Read(ref _misses));

    public void Pin(TKey key) => ImmutableInterlocked.Update(ref _pinned, static (set, k) => set.Add(k), key);

    public void Unpin(TKey key) => ImmutableInterlocked.Update(ref _pinned, static (set, k) => set.Remove(k), key);

    public async Task<TValue> GetOrCreateAsync(TKey key, Func<TKey, CancellationToken, Task<TValue>> factory, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_entries.TryGetValue(key, out var entry) && entry.ExpiresAt > _clock.GetUtcNow())
        {
            Interlocked.Increment(ref _hits);
            return entry.Value;
        }

        Interlocked.Increment(ref _misses);
        // The shared load does not take the caller's token: one caller giving up must not fail the others.
        var lazy = _inflight.GetOrAdd(key, k => new Lazy<Task<TValue>>(() => LoadAsync(k, factory)));
        try
        {
            return await lazy.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (lazy.Value.IsCompleted)
            {
                _inflight.TryRemove(new KeyValuePair<TKey, Lazy<Task<TValue>>>(key, lazy));
            }
        }
    }

    private async Task<TValue> LoadAsync(TKey key, Func<TKey, CancellationToken, Task<TValue>> factory)
    {
        var value = await factory(key, _shutdown.Token).ConfigureAwait(false);
        _entries[key] = new Entry(value, _clock.GetUtcNow() + _options.TimeToLive);
        return value;
    }

    private async Task SweepLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.SweepInterval, _clock);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                Sweep();
            }
        }
        catch (OperationCanceledException)
        {
            // disposal
        }
    }

    private void Sweep()
    {
        var now = _clock.GetUtcNow();
        var pinned = Volatile.Read(ref _pinned);
        foreach (var (key, entry) in _entries)
        {
            if (entry.ExpiresAt <= now && !pinned.Contains(key) && _entries.TryRemove(new KeyValuePair<TKey, Entry>(key, entry)))
            {
                Evicted?.Invoke(this, key);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _shutdown.CancelAsync().ConfigureAwait(false);
        await _sweeper.ConfigureAwait(false);
        _shutdown.Dispose();
    }
}

/// <summary>Configuration snapshot refreshed on a System.Threading.Timer; readers see a consistent snapshot.</summary>
public sealed class ConfigSnapshotProvider : IDisposable
{
    private readonly Func<IReadOnlyDictionary<string, string>> _load;
    private readonly Timer _timer;
    private readonly object _refreshGate = new();
    private volatile IReadOnlyDictionary<string, string> _current;
    private int _refreshing;

    public ConfigSnapshotProvider(Func<IReadOnlyDictionary<string, string>> load, TimeSpan period)
    {
        _load = load;
        _current = load();
        _timer = new Timer(_ => Refresh(), null, period, period);
    }

    public string? this[string key] => _current.TryGetValue(key, out var value) ? value : null;

    public void Refresh()
    {
        if (Interlocked.CompareExchange(ref _refreshing, 1, 0) != 0)
        {
            return;
        }

        try
        {
            var fresh = _load();
            lock (_refreshGate)
            {
                _current = fresh;
            }
        }
        catch (IOException)
        {
            // keep the last good snapshot
        }
        finally
        {
            Volatile.Write(ref _refreshing, 0);
        }
    }

    public void Dispose() => _timer.Dispose();
}

public sealed class LazyClientFactory
{
    private readonly Lazy<HttpClientLike> _client;

    public LazyClientFactory(Uri endpoint)
    {
        _client = new Lazy<HttpClientLike>(() => HttpClientLike.Create(endpoint));
    }

    public HttpClientLike Get() => _client.Value;
}

public sealed class HttpClientLike
{
    private HttpClientLike(Uri endpoint) => Endpoint = endpoint;

    public Uri Endpoint { get; }

    public static HttpClientLike Create(Uri endpoint) => new(endpoint);

    public static async Task<HttpClientLike> ConnectAsync(Uri endpoint, CancellationToken cancellationToken)
    {
        await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        return new HttpClientLike(endpoint);
    }
}

// ---- Connection ----

public interface ITransport : IAsyncDisposable
{
    ValueTask SendAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken);
    ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken);
}

public interface ITransportFactory
{
    Task<ITransport> ConnectAsync(Uri endpoint, CancellationToken cancellationToken);
}

public enum ConnectionState { Disconnected, Connecting, Connected, Closed }

/// <summary>A long-lived connection: send loop fed by a channel, receive loop, heartbeats, reconnects.</summary>
public sealed class ManagedConnection : IAsyncDisposable
{
    private readonly ITransportFactory _factory;
    private readonly Uri _endpoint;
    private readonly Channel<byte[]> _outbox = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(1024)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private readonly CancellationTokenSource _lifetime = new();
    private readonly object _stateGate = new();
    private ConnectionState _state;
    private ITransport? _transport;
    private Task? _runner;
    private long _lastReceivedTicks;

    public ManagedConnection(ITransportFactory factory, Uri endpoint)
    {
        _factory = factory;
        _endpoint = endpoint;
    }

    public event EventHandler<ConnectionState>? StateChanged;
    public event EventHandler<ReadOnlyMemory<byte>>? MessageReceived;

    public ConnectionState State
    {
        get
        {
            lock (_stateGate)
            {
                return _state;
            }
        }
    }

    public void Start()
    {
        lock (_stateGate)
        {
            if (_runner is not null)
            {
                throw new InvalidOperationException("Already started.");
            }

            _runner = RunAsync(_lifetime.Token);
        }
    }

    public ValueTask SendAsync(byte[] frame, CancellationToken cancellationToken) =>
        _outbox.Writer.WriteAsync(frame, cancellationToken);

    private void SetState(ConnectionState state)
    {
        lock (_stateGate)
        {
            if (_state == state)
            {
                return;
            }

            _state = state;
        }

        StateChanged?.Invoke(this, state);
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var backoff = TimeSpan.FromMilliseconds(100);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var transport = await EnsureConnectedAsync(cancellationToken).ConfigureAwait(false);
                backoff = TimeSpan.FromMilliseconds(100);
                using var session = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var send = SendLoopAsync(transport, session.Token);
                var receive = ReceiveLoopAsync(transport, session.Token);
                var heartbeat = HeartbeatLoopAsync(transport, session.Token);
                var first = await Task.WhenAny(send, receive, heartbeat).ConfigureAwait(false);
                await session.CancelAsync().ConfigureAwait(false);
                try
                {
                    await Task.WhenAll(send, receive, heartbeat).ConfigureAwait(false);
                }
                catch (Exception) when (first.IsFaulted || cancellationToken.IsCancellationRequested)
                {
                    // the session ended; reconnect below
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (IOException)
            {
                // transient: fall through to the backoff
            }

            await DropTransportAsync().ConfigureAwait(false);
            SetState(ConnectionState.Disconnected);
            try
            {
                await Task.Delay(backoff, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
        }

        SetState(ConnectionState.Closed);
    }

    private async Task<ITransport> EnsureConnectedAsync(CancellationToken cancellationToken)
    {
        await _connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_transport is { } existing)
            {
                return existing;
            }

            SetState(ConnectionState.Connecting);
            var transport = await _factory.ConnectAsync(_endpoint, cancellationToken).ConfigureAwait(false);
            _transport = transport;
            Interlocked.Exchange(ref _lastReceivedTicks, DateTime.UtcNow.Ticks);
            SetState(ConnectionState.Connected);
            return transport;
        }
        finally
        {
            _connectLock.Release();
        }
    }

    private async Task DropTransportAsync()
    {
        ITransport? transport;
        await _connectLock.WaitAsync().ConfigureAwait(false);
        try
        {
            transport = _transport;
            _transport = null;
        }
        finally
        {
            _connectLock.Release();
        }

        if (transport is not null)
        {
            await transport.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task SendLoopAsync(ITransport transport, CancellationToken cancellationToken)
    {
        while (await _outbox.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (_outbox.Reader.TryRead(out var frame))
            {
                await transport.SendAsync(frame, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task ReceiveLoopAsync(ITransport transport, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            while (true)
            {
                var read = await transport.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return;
                }

                Interlocked.Exchange(ref _lastReceivedTicks, DateTime.UtcNow.Ticks);
                MessageReceived?.Invoke(this, buffer.AsMemory(0, read));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task HeartbeatLoopAsync(ITransport transport, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(15));
        var ping = new byte[] { 0x9 };
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            var silentFor = DateTime.UtcNow - new DateTime(Interlocked.Read(ref _lastReceivedTicks), DateTimeKind.Utc);
            if (silentFor > TimeSpan.FromSeconds(45))
            {
                throw new IOException("Heartbeat timed out.");
            }

            await transport.SendAsync(ping, cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _outbox.Writer.TryComplete();
        await _lifetime.CancelAsync().ConfigureAwait(false);
        Task? runner;
        lock (_stateGate)
        {
            runner = _runner;
        }

        if (runner is not null)
        {
            await runner.ConfigureAwait(false);
        }

        await DropTransportAsync().ConfigureAwait(false);
        _lifetime.Dispose();
        _connectLock.Dispose();
    }
}

/// <summary>Tracks live connections by id; broadcast fans out over a snapshot with bounded concurrency.</summary>
public sealed class ConnectionRegistry
{
    private readonly Dictionary<string, ManagedConnection> _connections = new(StringComparer.Ordinal);
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);

    public void Add(string id, ManagedConnection connection)
    {
        _lock.EnterWriteLock();
        try
        {
            _connections[id] = connection;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    public bool Remove(string id, out ManagedConnection? connection)
    {
        _lock.EnterWriteLock();
        try
        {
            return _connections.Remove(id, out connection);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    public ManagedConnection[] Snapshot()
    {
        _lock.EnterReadLock();
        try
        {
            return _connections.Values.ToArray();
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    public Task BroadcastAsync(byte[] frame, CancellationToken cancellationToken) =>
        Parallel.ForEachAsync(Snapshot(), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken },
            (connection, ct) => connection.SendAsync(frame, ct));
}

// ---- Telemetry ----

public readonly record struct Metric(string Name, double Value, long Timestamp);

public interface IMetricSink
{
    Task ExportAsync(IReadOnlyList<Metric> batch, CancellationToken cancellationToken);
}

/// <summary>Batches metrics and exports them on size or interval; flushes what is left on dispose.</summary>
public sealed class BatchingExporter : IAsyncDisposable, IDisposable
{
    private readonly Channel<Metric> _queue;
    private readonly IMetricSink _sink;
    private readonly int _batchSize;
    private readonly TimeSpan _interval;
    private readonly Task _pump;
    private readonly CancellationTokenSource _stop = new();
    private long _dropped;
    private int _disposed;

    public BatchingExporter(IMetricSink sink, int batchSize = 500, TimeSpan? interval = null)
    {
        _sink = sink;
        _batchSize = batchSize;
        _interval = interval ?? TimeSpan.FromSeconds(5);
        _queue = Channel.CreateBounded<Metric>(new BoundedChannelOptions(10_000)
        {
            FullMode = BoundedChannelFullMode.DropWrite,
            SingleReader = true,
        });
        _pump = Task.Run(() => PumpAsync(_stop.Token));
    }

    public long Dropped => Interlocked.Read(ref _dropped);

    public void Record(string name, double value)
    {
        if (!_queue.Writer.TryWrite(new Metric(name, value, Stopwatch.GetTimestamp())))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    private async Task PumpAsync(CancellationToken cancellationToken)
    {
        var batch = new List<Metric>(_batchSize);
        using var timer = new PeriodicTimer(_interval);
        var tick = timer.WaitForNextTickAsync(cancellationToken).AsTask();
        try
        {
            while (true)
            {
                var readable = _queue.Reader.WaitToReadAsync(cancellationToken).AsTask();
                var done = await Task.WhenAny(readable, tick).ConfigureAwait(false);
                if (done == tick)
                {
                    await tick.ConfigureAwait(false);
                    await FlushAsync(batch, cancellationToken).ConfigureAwait(false);
                    tick = timer.WaitForNextTickAsync(cancellationToken).AsTask();
                    continue;
                }

                if (!await readable.ConfigureAwait(false))
                {
                    break;
                }

                while (batch.Count < _batchSize && _queue.Reader.TryRead(out var metric))
                {
                    batch.Add(metric);
                }

                if (batch.Count >= _batchSize)
                {
                    await FlushAsync(batch, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // dispose timed out: drop what is buffered
            return;
        }

        // The writer was completed: drain and flush the rest; dispose bounds it with CancelAfter.
        while (_queue.Reader.TryRead(out var metric))
        {
            batch.Add(metric);
        }

        await FlushAsync(batch, cancellationToken).ConfigureAwait(false);
    }

    private async Task FlushAsync(List<Metric> batch, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return;
        }

        var copy = batch.ToArray();
        batch.Clear();
        await _sink.ExportAsync(copy, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _queue.Writer.TryComplete();
        _stop.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            await _pump.ConfigureAwait(false);
        }
        finally
        {
            _stop.Dispose();
        }
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}

/// <summary>Counters aggregated per name, read by a scrape endpoint.</summary>
public sealed class CounterSet
{
    private readonly ConcurrentDictionary<string, StrongBox<long>> _counters = new(StringComparer.Ordinal);

    public void Increment(string name, long by = 1)
    {
        var box = _counters.GetOrAdd(name, static _ => new StrongBox<long>());
        Interlocked.Add(ref box.Value, by);
    }

    public IReadOnlyDictionary<string, long> Scrape() =>
        _counters.ToDictionary(p => p.Key, p => Interlocked.Read(ref p.Value.Value), StringComparer.Ordinal);

    public sealed class StrongBox<T>
    {
        public T Value = default!;
    }
}

public sealed class ActivityTimer : IDisposable
{
    private readonly CounterSet _counters;
    private readonly string _name;
    private readonly long _start = Stopwatch.GetTimestamp();

    public ActivityTimer(CounterSet counters, string name)
    {
        _counters = counters;
        _name = name;
    }

    public void Dispose() => _counters.Increment(_name + ".ms", (long)Stopwatch.GetElapsedTime(_start).TotalMilliseconds);
}

// ---- Scheduler ----

public sealed record JobDefinition(string Name, TimeSpan Interval, Func<CancellationToken, Task> Run);

public sealed class JobRun
{
    public required string Name { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    public TimeSpan Duration { get; set; }
    public Exception? Error { get; set; }
}

/// <summary>Runs registered jobs on their own PeriodicTimer; never overlaps a job with itself; stops gracefully.</summary>
public sealed class JobScheduler : IAsyncDisposable
{
    private readonly IReadOnlyList<JobDefinition> _jobs;
    private readonly Action<string> _log;
    private readonly ConcurrentDictionary<string, JobRun> _lastRuns = new(StringComparer.Ordinal);
    private readonly List<Task> _loops = new();
    private readonly object _gate = new();
    private CancellationTokenSource? _cts;

    public JobScheduler(IEnumerable<JobDefinition> jobs, Action<string> log)
    {
        _jobs = jobs.ToList();
        _log = log;
    }

    public IReadOnlyDictionary<string, JobRun> LastRuns => _lastRuns;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _cts = new CancellationTokenSource();
            foreach (var job in _jobs)
            {
                _loops.Add(RunJobLoopAsync(job, _cts.Token));
            }
        }

        return Task.CompletedTask;
    }

    private async Task RunJobLoopAsync(JobDefinition job, CancellationToken stoppingToken)
    {
        await Task.Yield();
        using var timer = new PeriodicTimer(job.Interval);
        try
        {
            do
            {
                await RunOnceAsync(job, stoppingToken).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            _log("stopped " + job.Name);
        }
    }

    private async Task RunOnceAsync(JobDefinition job, CancellationToken stoppingToken)
    {
        var run = new JobRun { Name = job.Name, StartedAt = DateTimeOffset.UtcNow };
        try
        {
            await job.Run(stoppingToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            run.Error = ex;
            _log("failed " + job.Name + ": " + ex.Message);
        }
        finally
        {
            run.Duration = DateTimeOffset.UtcNow - run.StartedAt;
            _lastRuns[job.Name] = run;
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Task[] loops;
        CancellationTokenSource? cts;
        lock (_gate)
        {
            cts = _cts;
            _cts = null;
            loops = _loops.ToArray();
            _loops.Clear();
        }

        if (cts is null)
        {
            return;
        }

        await cts.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(loops).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            cts.Dispose();
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);
}


/// <summary>Work queue with a fixed pool of threads for CPU-bound jobs, drained on shutdown.</summary>
public sealed class CpuWorkQueue : IDisposable
{
    private readonly BlockingCollection<Action> _work = new(boundedCapacity: 100);
    private readonly Thread[] _threads;

    public CpuWorkQueue(int threads)
    {
        _threads = new Thread[threads];
        for (var i = 0; i < threads; i++)
        {
            _threads[i] = new Thread(Drain) { IsBackground = true, Name = $"cpu-{i}" };
            _threads[i].Start();
        }
    }

    public bool TryEnqueue(Action work, CancellationToken cancellationToken) =>
        _work.TryAdd(work, Timeout.Infinite, cancellationToken);

    private void Drain()
    {
        foreach (var work in _work.GetConsumingEnumerable())
        {
            try
            {
                work();
            }
            catch (InvalidOperationException)
            {
                // a job's own failure does not kill the worker
            }
        }
    }

    public void Dispose()
    {
        _work.CompleteAdding();
        foreach (var thread in _threads)
        {
            thread.Join();
        }

        _work.Dispose();
    }
}

public static class BatchMath
{
    public static double[] Normalize(IReadOnlyList<double> values)
    {
        var result = new double[values.Count];
        var max = values.Count == 0 ? 1 : values.Max();
        Parallel.For(0, values.Count, i =>
        {
            if (max == 0)
            {
                return;
            }

            result[i] = values[i] / max;
        });
        return result;
    }

    public static long CountMatches(IEnumerable<string> lines, string needle)
    {
        long total = 0;
        Parallel.ForEach(lines, () => 0L, (line, _, local) => line.Contains(needle, StringComparison.Ordinal) ? local + 1 : local,
            local => Interlocked.Add(ref total, local));
        return total;
    }
}

// ---- NearMisses ----

public sealed class Stats
{
    private int _count;
    private long _bytes;

    public int Count => Volatile.Read(ref _count);
    public int CountPlain => _count;
    public long Bytes => Interlocked.Read(ref _bytes);

    public void Record(int bytes)
    {
        Interlocked.Increment(ref _count);
        Interlocked.Add(ref _bytes, bytes);
    }

    public void Reset()
    {
        Interlocked.Exchange(ref _count, 0);
        Interlocked.Exchange(ref _bytes, 0);
    }
}

public sealed class MaxTracker
{
    private long _max;

    public long Max => Interlocked.Read(ref _max);

    public void Observe(long value)
    {
        var current = Interlocked.Read(ref _max);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref _max, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}

public sealed class BoundedBuffer<T>
{
    private readonly Queue<T> _items = new();
    private readonly object _gate = new();
    private readonly int _capacity;
    private bool _closed;

    public BoundedBuffer(int capacity) => _capacity = capacity;

    public void Put(T item)
    {
        lock (_gate)
        {
            while (_items.Count >= _capacity && !_closed)
            {
                Monitor.Wait(_gate);
            }

            if (_closed)
            {
                throw new InvalidOperationException("Closed.");
            }

            _items.Enqueue(item);
            Monitor.PulseAll(_gate);
        }
    }

    public bool TryTake(out T? item, TimeSpan timeout)
    {
        lock (_gate)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (_items.Count == 0 && !_closed)
            {
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero || !Monitor.Wait(_gate, left))
                {
                    item = default;
                    return false;
                }
            }

            if (_items.Count == 0)
            {
                item = default;
                return false;
            }

            item = _items.Dequeue();
            Monitor.PulseAll(_gate);
            return true;
        }
    }

    public void Close()
    {
        lock (_gate)
        {
            _closed = true;
            Monitor.PulseAll(_gate);
        }
    }
}

public sealed class Registry
{
    private readonly Dictionary<string, int> _ids = new();
    private readonly object _gate = new();
    private static volatile Registry? s_default;
    private static readonly object s_defaultGate = new();

    public static Registry Default
    {
        get
        {
            var value = s_default;
            if (value is null)
            {
                lock (s_defaultGate)
                {
                    value = s_default ??= new Registry();
                }
            }

            return value;
        }
    }

    public int GetId(string name)
    {
        lock (_gate)
        {
            if (!_ids.ContainsKey(name))
            {
                _ids.Add(name, _ids.Count + 1);
            }

            return _ids[name];
        }
    }

    public Task WarmUpAsync(IEnumerable<string> names) => Task.Run(() =>
    {
        foreach (var name in names)
        {
            lock (_gate)
            {
                _ids.TryAdd(name, _ids.Count + 1);
            }
        }
    });
}

public static class TimeoutHelpers
{
    public static async Task<T?> WithTimeoutAsync<T>(Func<CancellationToken, Task<T>> work, TimeSpan timeout, CancellationToken cancellationToken)
        where T : class
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var task = work(cts.Token);
        var winner = await Task.WhenAny(task, Task.Delay(timeout, cts.Token)).ConfigureAwait(false);
        if (winner != task)
        {
            await cts.CancelAsync().ConfigureAwait(false);
            try
            {
                await task.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            return null;
        }

        await cts.CancelAsync().ConfigureAwait(false);
        return await task.ConfigureAwait(false);
    }

    public static async Task<string> ReadWithDeadlineAsync(Stream stream, TimeSpan deadline, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(deadline);
        using var reader = new StreamReader(stream, leaveOpen: true);
        return await reader.ReadToEndAsync(cts.Token).ConfigureAwait(false);
    }

    public static Task<T> WaitWithCancellationAsync<T>(TaskCompletionSource<T> source, CancellationToken cancellationToken)
        => source.Task.WaitAsync(cancellationToken);

    public static Task<bool> WhenSignaledAsync(WaitHandle handle, TimeSpan timeout)
    {
        var tcs = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        RegisteredWaitHandle? registration = null;
        registration = ThreadPool.RegisterWaitForSingleObject(handle, (_, timedOut) =>
        {
            tcs.TrySetResult(!timedOut);
            registration?.Unregister(null);
        }, null, timeout, executeOnlyOnce: true);
        return tcs.Task;
    }
}

public sealed class RetryingReader
{
    private readonly Func<CancellationToken, Task<string>> _read;

    public RetryingReader(Func<CancellationToken, Task<string>> read) => _read = read;

    public async Task<string> ReadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return await _read(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                throw;
            }
            catch (Exception)
            {
                await Task.Delay(250, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async Task<string?> ReadOrNullAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                return await _read(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(100 * attempt, cancellationToken).ConfigureAwait(false);
            }
        }

        return null;
    }
}

public static class Producers
{
    public static ChannelReader<int> Range(int count, CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<int>(16);
        _ = ProduceAsync(channel.Writer, count, cancellationToken);
        return channel.Reader;
    }

    private static async Task ProduceAsync(ChannelWriter<int> writer, int count, CancellationToken cancellationToken)
    {
        Exception? error = null;
        try
        {
            for (var i = 0; i < count; i++)
            {
                await writer.WriteAsync(i, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            error = ex;
        }
        finally
        {
            writer.TryComplete(error);
        }
    }

    public static async Task<long> SumAsync(ChannelReader<int> reader, CancellationToken cancellationToken)
    {
        long sum = 0;
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (reader.TryRead(out var value))
            {
                sum += value;
            }
        }

        return sum;
    }

    public static async Task<int> HashFilesAsync(IReadOnlyList<string> paths, CancellationToken cancellationToken)
    {
        var channel = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
        var consumer = Task.Run(async () =>
        {
            var n = 0;
            await foreach (var hash in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                n += hash.Length;
            }

            return n;
        }, cancellationToken);

        try
        {
            foreach (var path in paths)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(4096);
                try
                {
                    await using var file = File.OpenRead(path);
                    var read = await file.ReadAsync(buffer.AsMemory(0, 4096), cancellationToken).ConfigureAwait(false);
                    channel.Writer.TryWrite(Convert.ToHexString(buffer, 0, read));
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
        finally
        {
            channel.Writer.Complete();
        }

        return await consumer.ConfigureAwait(false);
    }
}

public sealed class Coordinator
{
    public static int RunAll(IReadOnlyList<Action> actions)
    {
        using var countdown = new CountdownEvent(1);
        var failures = 0;
        foreach (var action in actions)
        {
            countdown.AddCount();
            ThreadPool.QueueUserWorkItem(_ =>
            {
                try
                {
                    action();
                }
                catch (InvalidOperationException)
                {
                    Interlocked.Increment(ref failures);
                }
                finally
                {
                    countdown.Signal();
                }
            });
        }

        countdown.Signal();
        countdown.Wait();
        return failures;
    }

    public static int? FindFirst(int[] values, Func<int, bool> predicate)
    {
        var found = -1;
        Parallel.For(0, values.Length, (i, state) =>
        {
            if (!predicate(values[i]))
            {
                return;
            }

            Interlocked.CompareExchange(ref found, i, -1);
            state.Stop();
        });
        return found < 0 ? null : found;
    }

    public static async Task<int[]> FetchAllAsync(int[] ids, Func<int, CancellationToken, Task<int>> fetch, CancellationToken cancellationToken)
    {
        var results = new int[ids.Length];
        await Parallel.ForAsync(0, ids.Length, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (i, ct) => results[i] = await fetch(ids[i], ct).ConfigureAwait(false)).ConfigureAwait(false);
        return results;
    }
}

public sealed class SpinCounter
{
    private SpinLock _spin = new(enableThreadOwnerTracking: false);
    private int _value;

    public int Next()
    {
        var taken = false;
        try
        {
            _spin.Enter(ref taken);
            return ++_value;
        }
        finally
        {
            if (taken)
            {
                _spin.Exit(useMemoryBarrier: false);
            }
        }
    }
}

public sealed class Notifier : IDisposable
{
    private readonly System.Timers.Timer _timer = new(1000) { AutoReset = true };
    private readonly ConcurrentQueue<string> _pending = new();
    private readonly Func<string, Task> _send;

    public Notifier(Func<string, Task> send)
    {
        _send = send;
        _timer.Elapsed += OnElapsed;
        _timer.Start();
    }

    public void Enqueue(string message) => _pending.Enqueue(message);

    private async void OnElapsed(object? sender, System.Timers.ElapsedEventArgs e)
    {
        try
        {
            while (_pending.TryDequeue(out var message))
            {
                await _send(message).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine(ex);
        }
    }

    public void Dispose()
    {
        _timer.Elapsed -= OnElapsed;
        _timer.Dispose();
    }
}

public sealed class Upgradeable
{
    private readonly ReaderWriterLockSlim _lock = new();
    private readonly Dictionary<string, string> _map = new();

    public string GetOrAdd(string key, Func<string, string> create)
    {
        _lock.EnterUpgradeableReadLock();
        try
        {
            if (_map.TryGetValue(key, out var value))
            {
                return value;
            }

            _lock.EnterWriteLock();
            try
            {
                value = create(key);
                _map[key] = value;
                return value;
            }
            finally
            {
                _lock.ExitWriteLock();
            }
        }
        finally
        {
            _lock.ExitUpgradeableReadLock();
        }
    }
}

public sealed class CancellableOperation
{
    public static Task<int> RunAsync(Func<int> compute, CancellationToken cancellationToken)
    {
        var tcs = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var registration = cancellationToken.Register(static s => ((TaskCompletionSource<int>)s!).TrySetCanceled(), tcs);
        ThreadPool.QueueUserWorkItem(_ =>
        {
            try
            {
                tcs.TrySetResult(compute());
            }
            catch (Exception ex)
            {
                tcs.TrySetException(ex);
            }
            finally
            {
                registration.Dispose();
            }
        });
        return tcs.Task;
    }
}

// ---- Client ----

public sealed record ApiResponse(int Status, string Body);

public interface IHttpLike
{
    Task<ApiResponse> SendAsync(string method, string path, CancellationToken cancellationToken);
}


/// <summary>An async lock wrapper handed out as a disposable releaser.</summary>
public sealed class AsyncLock
{
    private readonly SemaphoreSlim _semaphore = new(1, 1);

    public async ValueTask<Releaser> LockAsync(CancellationToken cancellationToken = default)
    {
        await _semaphore.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Releaser(_semaphore);
    }

    public readonly struct Releaser : IDisposable
    {
        private readonly SemaphoreSlim? _semaphore;

        public Releaser(SemaphoreSlim semaphore) => _semaphore = semaphore;

        public void Dispose() => _semaphore?.Release();
    }
}

public sealed class TokenStore
{
    private readonly AsyncLock _lock = new();
    private readonly Func<CancellationToken, Task<(string Token, DateTimeOffset Expires)>> _fetch;
    private (string Token, DateTimeOffset Expires)? _cached;

    public TokenStore(Func<CancellationToken, Task<(string Token, DateTimeOffset Expires)>> fetch) => _fetch = fetch;

    public async Task<string> GetTokenAsync(CancellationToken cancellationToken)
    {
        using (await _lock.LockAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_cached is { } cached && cached.Expires > DateTimeOffset.UtcNow.AddMinutes(1))
            {
                return cached.Token;
            }

            var fresh = await _fetch(cancellationToken).ConfigureAwait(false);
            _cached = fresh;
            return fresh.Token;
        }
    }
}

// ---- Shapes fixed or pinned by this file's session ----

/// <summary>
/// A local function that is the whole body of a spawned lambda is background work (CONC101 looks at its loop): this
/// one watches the token, so it has an exit.
/// </summary>
public sealed class HeartbeatSender : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _beats;

    public HeartbeatSender(Func<CancellationToken, Task> send)
    {
        var token = _stop.Token;
        _loop = Task.Run(async () => await BeatAsync(), token);

        async Task BeatAsync()
        {
            while (!token.IsCancellationRequested)
            {
                try
                {
                    await send(token).ConfigureAwait(false);
                    Interlocked.Increment(ref _beats);
                    await Task.Delay(TimeSpan.FromSeconds(5), token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                    return;
                }
            }
        }
    }

    public long Beats => Interlocked.Read(ref _beats);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}

/// <summary>A commented decision to leave the token out is still a decision (CONC401).</summary>
public static class AuditTrail
{
    public static async Task WriteAsync(Func<string, CancellationToken, Task> append, string entry, CancellationToken cancellationToken)
    {
        await append(entry, cancellationToken).ConfigureAwait(false);

        // The audit record must be written even when the request is cancelled: no cancellation token here.
        await append("end " + entry, CancellationToken.None).ConfigureAwait(false);
    }
}
