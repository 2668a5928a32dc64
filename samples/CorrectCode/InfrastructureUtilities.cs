using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Threading.Channels;

// Infrastructure utilities (twelfth session): pools, keyed and reader/writer async locks, resilience pieces (circuit
// breakers, retry, timeouts, bulkhead, token bucket), batching writers, a debouncer, a dedicated-thread work queue,
// a recurring-job timer, TaskCompletionSource signals, and caches (TTL, copy-on-write, LRU, singletons). The near
// misses of this session's three changes are at the end: timer callback methods whose state only they touch or that
// lock with everyone else (CONC301/CONC302 follow such methods now), per-key semaphores filled in a constructor
// (CONC301's keyed-lock tables), and a raced `None` in a `finally` or with a comment (CONC404).
namespace CorrectCode.InfrastructureUtilities;

public interface IPooledConnection : IAsyncDisposable
{
    bool IsHealthy { get; }
    Task<bool> PingAsync(CancellationToken cancellationToken);
}

/// <summary>SemaphoreSlim-gated async pool with a locked stack of idle items and periodic health checks.</summary>
public sealed class ConnectionPool : IAsyncDisposable
{
    private readonly Func<CancellationToken, Task<IPooledConnection>> _factory;
    private readonly SemaphoreSlim _slots;
    private readonly object _idleGate = new();
    private readonly Stack<IPooledConnection> _idle = new();
    private readonly PeriodicTimer _healthTimer;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Task _healthLoop;
    private int _disposed;

    public ConnectionPool(Func<CancellationToken, Task<IPooledConnection>> factory, int maxSize, TimeSpan healthInterval)
    {
        _factory = factory;
        _slots = new SemaphoreSlim(maxSize, maxSize);
        _healthTimer = new PeriodicTimer(healthInterval);
        _healthLoop = RunHealthChecksAsync(_shutdown.Token);
    }

    public async Task<PooledLease> RentAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            IPooledConnection? connection = null;
            lock (_idleGate)
            {
                if (_idle.Count > 0)
                {
                    connection = _idle.Pop();
                }
            }

            connection ??= await _factory(cancellationToken).ConfigureAwait(false);
            return new PooledLease(this, connection);
        }
        catch
        {
            _slots.Release();
            throw;
        }
    }

    internal void Return(IPooledConnection connection)
    {
        try
        {
            if (Volatile.Read(ref _disposed) == 0 && connection.IsHealthy)
            {
                lock (_idleGate)
                {
                    _idle.Push(connection);
                    connection = null!;
                }
            }
        }
        finally
        {
            _slots.Release();
        }

        if (connection is not null)
        {
            _ = connection.DisposeAsync().AsTask();
        }
    }

    private async Task RunHealthChecksAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (await _healthTimer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                IPooledConnection[] snapshot;
                lock (_idleGate)
                {
                    snapshot = _idle.ToArray();
                    _idle.Clear();
                }

                var healthy = new List<IPooledConnection>(snapshot.Length);
                foreach (var connection in snapshot)
                {
                    bool ok;
                    try
                    {
                        ok = await connection.PingAsync(cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        ok = false;
                    }

                    if (ok)
                    {
                        healthy.Add(connection);
                    }
                    else
                    {
                        await connection.DisposeAsync().ConfigureAwait(false);
                    }
                }

                lock (_idleGate)
                {
                    foreach (var connection in healthy)
                    {
                        _idle.Push(connection);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _shutdown.Cancel();
        await _healthLoop.ConfigureAwait(false);
        _healthTimer.Dispose();
        _shutdown.Dispose();

        IPooledConnection[] drained;
        lock (_idleGate)
        {
            drained = _idle.ToArray();
            _idle.Clear();
        }

        foreach (var connection in drained)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}

public readonly struct PooledLease : IDisposable
{
    private readonly ConnectionPool _pool;

    internal PooledLease(ConnectionPool pool, IPooledConnection connection)
    {
        _pool = pool;
        Connection = connection;
    }

    public IPooledConnection Connection { get; }

    public void Dispose() => _pool.Return(Connection);
}

/// <summary>Simple object pool over a ConcurrentBag, bounded by a counter.</summary>
public sealed class ObjectPool<T> where T : class
{
    private readonly ConcurrentBag<T> _items = new();
    private readonly Func<T> _create;
    private readonly Action<T> _reset;
    private readonly int _maxRetained;
    private int _count;

    public ObjectPool(Func<T> create, Action<T> reset, int maxRetained)
    {
        _create = create;
        _reset = reset;
        _maxRetained = maxRetained;
    }

    public T Rent()
    {
        if (_items.TryTake(out var item))
        {
            Interlocked.Decrement(ref _count);
            return item;
        }

        return _create();
    }

    public void Return(T item)
    {
        _reset(item);
        if (Interlocked.Increment(ref _count) <= _maxRetained)
        {
            _items.Add(item);
        }
        else
        {
            Interlocked.Decrement(ref _count);
        }
    }

    public TResult Use<TResult>(Func<T, TResult> action)
    {
        var item = Rent();
        try
        {
            return action(item);
        }
        finally
        {
            Return(item);
        }
    }
}

/// <summary>Async lazy initializer that retries after a fault.</summary>
public sealed class AsyncLazy<T>
{
    private readonly Func<Task<T>> _factory;
    private readonly object _gate = new();
    private Lazy<Task<T>> _lazy;

    public AsyncLazy(Func<Task<T>> factory)
    {
        _factory = factory;
        _lazy = Create();
    }

    private Lazy<Task<T>> Create() => new(() => Task.Run(_factory), LazyThreadSafetyMode.ExecutionAndPublication);

    public async Task<T> GetValueAsync(CancellationToken cancellationToken)
    {
        Lazy<Task<T>> current;
        lock (_gate)
        {
            current = _lazy;
        }

        try
        {
            return await current.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            lock (_gate)
            {
                if (ReferenceEquals(_lazy, current))
                {
                    _lazy = Create();
                }
            }

            throw;
        }
    }
}

/// <summary>Keyed async lock: one SemaphoreSlim per key, reference counted so idle keys are removed.</summary>
public sealed class KeyedAsyncLock
{
    private sealed class Entry
    {
        public readonly SemaphoreSlim Semaphore = new(1, 1);
        public int RefCount;
    }

    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    public async Task<IDisposable> LockAsync(string key, CancellationToken cancellationToken)
    {
        Entry entry;
        lock (_gate)
        {
            if (!_entries.TryGetValue(key, out entry!))
            {
                entry = new Entry();
                _entries.Add(key, entry);
            }

            entry.RefCount++;
        }

        try
        {
            await entry.Semaphore.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            ReleaseReference(key, entry);
            throw;
        }

        return new Releaser(this, key, entry);
    }

    private void ReleaseReference(string key, Entry entry)
    {
        lock (_gate)
        {
            if (--entry.RefCount == 0)
            {
                _entries.Remove(key);
                entry.Semaphore.Dispose();
            }
        }
    }

    private sealed class Releaser : IDisposable
    {
        private readonly KeyedAsyncLock _owner;
        private readonly string _key;
        private Entry? _entry;

        public Releaser(KeyedAsyncLock owner, string key, Entry entry)
        {
            _owner = owner;
            _key = key;
            _entry = entry;
        }

        public void Dispose()
        {
            var entry = Interlocked.Exchange(ref _entry, null);
            if (entry is null)
            {
                return;
            }

            entry.Semaphore.Release();
            _owner.ReleaseReference(_key, entry);
        }
    }
}

/// <summary>Per-key semaphores in a ConcurrentDictionary (never removed; small key space).</summary>
public sealed class TenantThrottle
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new();
    private readonly int _perTenant;

    public TenantThrottle(int perTenant) => _perTenant = perTenant;

    public async Task<T> RunAsync<T>(string tenant, Func<CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        var gate = _gates.GetOrAdd(tenant, static (_, max) => new SemaphoreSlim(max, max), _perTenant);
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await work(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }
}

/// <summary>Async reader/writer lock built on two SemaphoreSlims (writer preference not attempted).</summary>
public sealed class AsyncReaderWriterLock
{
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly SemaphoreSlim _readerCountGate = new(1, 1);
    private int _readers;

    public async Task EnterReadAsync(CancellationToken cancellationToken)
    {
        await _readerCountGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (++_readers == 1)
            {
                try
                {
                    await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    _readers--;
                    throw;
                }
            }
        }
        finally
        {
            _readerCountGate.Release();
        }
    }

    public async Task ExitReadAsync()
    {
        await _readerCountGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (--_readers == 0)
            {
                _writeGate.Release();
            }
        }
        finally
        {
            _readerCountGate.Release();
        }
    }

    public Task EnterWriteAsync(CancellationToken cancellationToken) => _writeGate.WaitAsync(cancellationToken);

    public void ExitWrite() => _writeGate.Release();

    public async Task<T> ReadAsync<T>(Func<T> read, CancellationToken cancellationToken)
    {
        await EnterReadAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return read();
        }
        finally
        {
            await ExitReadAsync().ConfigureAwait(false);
        }
    }

    public async Task WriteAsync(Action write, CancellationToken cancellationToken)
    {
        await EnterWriteAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            write();
        }
        finally
        {
            ExitWrite();
        }
    }
}

public enum BreakerState
{
    Closed = 0,
    Open = 1,
    HalfOpen = 2,
}

public sealed class CircuitOpenException : Exception
{
    public CircuitOpenException(string message) : base(message)
    {
    }
}

/// <summary>Circuit breaker whose state lives under a lock.</summary>
public sealed class CircuitBreaker
{
    private readonly object _gate = new();
    private readonly int _failureThreshold;
    private readonly TimeSpan _openDuration;
    private readonly TimeProvider _time;
    private BreakerState _state;
    private int _failures;
    private DateTimeOffset _openedAt;

    public CircuitBreaker(int failureThreshold, TimeSpan openDuration, TimeProvider? time = null)
    {
        _failureThreshold = failureThreshold;
        _openDuration = openDuration;
        _time = time ?? TimeProvider.System;
    }

    public BreakerState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    public async Task<T> ExecuteAsync<T>(Func<CancellationToken, Task<T>> action, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_state == BreakerState.Open)
            {
                if (_time.GetUtcNow() - _openedAt < _openDuration)
                {
                    throw new CircuitOpenException("Circuit is open.");
                }

                _state = BreakerState.HalfOpen;
            }
        }

        try
        {
            var result = await action(cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                _failures = 0;
                _state = BreakerState.Closed;
            }

            return result;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            lock (_gate)
            {
                _failures++;
                if (_state == BreakerState.HalfOpen || _failures >= _failureThreshold)
                {
                    _state = BreakerState.Open;
                    _openedAt = _time.GetUtcNow();
                }
            }

            throw;
        }
    }
}

/// <summary>Lock-free circuit breaker: an int state switched with CompareExchange.</summary>
public sealed class LockFreeBreaker
{
    private const int Closed = 0;
    private const int Open = 1;
    private const int Probing = 2;

    private readonly int _threshold;
    private readonly long _openTicks;
    private int _state;
    private int _failures;
    private long _openedAtTicks;

    public LockFreeBreaker(int threshold, TimeSpan openDuration)
    {
        _threshold = threshold;
        _openTicks = openDuration.Ticks;
    }

    public bool TryEnter()
    {
        var state = Volatile.Read(ref _state);
        if (state == Closed)
        {
            return true;
        }

        if (state == Open && DateTime.UtcNow.Ticks - Interlocked.Read(ref _openedAtTicks) >= _openTicks)
        {
            return Interlocked.CompareExchange(ref _state, Probing, Open) == Open;
        }

        return false;
    }

    public void OnSuccess()
    {
        Interlocked.Exchange(ref _failures, 0);
        Volatile.Write(ref _state, Closed);
    }

    public void OnFailure()
    {
        if (Interlocked.Increment(ref _failures) >= _threshold || Volatile.Read(ref _state) == Probing)
        {
            Interlocked.Exchange(ref _openedAtTicks, DateTime.UtcNow.Ticks);
            Volatile.Write(ref _state, Open);
        }
    }
}

/// <summary>Retry helper with exponential backoff and jitter; passes the token everywhere.</summary>
public static class Retry
{
    public static async Task<T> WithBackoffAsync<T>(
        Func<CancellationToken, Task<T>> action,
        int maxAttempts,
        TimeSpan baseDelay,
        Func<Exception, bool> isTransient,
        CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await action(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (attempt < maxAttempts && isTransient(ex) && !cancellationToken.IsCancellationRequested)
            {
                var backoff = baseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1);
                var jitter = Random.Shared.NextDouble() * backoff * 0.2;
                await Task.Delay(TimeSpan.FromMilliseconds(backoff + jitter), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public static async Task WithBackoffAsync(
        Func<CancellationToken, Task> action,
        int maxAttempts,
        TimeSpan baseDelay,
        CancellationToken cancellationToken)
    {
        var attempt = 0;
        while (true)
        {
            attempt++;
            try
            {
                await action(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception) when (attempt < maxAttempts)
            {
                var delay = TimeSpan.FromMilliseconds(baseDelay.TotalMilliseconds * (1 << Math.Min(attempt, 10)));
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}

/// <summary>Timeout wrappers.</summary>
public static class Timeouts
{
    public static async Task<T> WithTimeoutAsync<T>(
        Func<CancellationToken, Task<T>> action,
        TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            return await action(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Operation did not finish within {timeout}.");
        }
    }

    public static Task<T> WaitWithTimeoutAsync<T>(Task<T> task, TimeSpan timeout, CancellationToken cancellationToken)
        => task.WaitAsync(timeout, cancellationToken);
}

/// <summary>Bulkhead: bounded concurrency plus a bounded waiting queue.</summary>
public sealed class Bulkhead : IDisposable
{
    private readonly SemaphoreSlim _execution;
    private readonly int _maxQueue;
    private int _queued;

    public Bulkhead(int maxParallel, int maxQueue)
    {
        _execution = new SemaphoreSlim(maxParallel, maxParallel);
        _maxQueue = maxQueue;
    }

    public int Queued => Volatile.Read(ref _queued);

    public async Task<T> ExecuteAsync<T>(Func<CancellationToken, Task<T>> action, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _queued) > _maxQueue)
        {
            Interlocked.Decrement(ref _queued);
            throw new InvalidOperationException("Bulkhead queue is full.");
        }

        try
        {
            await _execution.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _queued);
        }

        try
        {
            return await action(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _execution.Release();
        }
    }

    public void Dispose() => _execution.Dispose();
}

/// <summary>Token bucket refilled by a timer.</summary>
public sealed class TokenBucket : IDisposable
{
    private readonly object _gate = new();
    private readonly int _capacity;
    private readonly int _refillAmount;
    private readonly Timer _refillTimer;
    private int _tokens;

    public TokenBucket(int capacity, int refillAmount, TimeSpan refillInterval)
    {
        _capacity = capacity;
        _refillAmount = refillAmount;
        _tokens = capacity;
        _refillTimer = new Timer(_ => Refill(), null, refillInterval, refillInterval);
    }

    private void Refill()
    {
        lock (_gate)
        {
            _tokens = Math.Min(_capacity, _tokens + _refillAmount);
        }
    }

    public bool TryTake(int count = 1)
    {
        lock (_gate)
        {
            if (_tokens < count)
            {
                return false;
            }

            _tokens -= count;
            return true;
        }
    }

    public void Dispose() => _refillTimer.Dispose();
}

/// <summary>Batching writer over a lock-protected buffer: swap under the lock, flush outside it.</summary>
public sealed class BatchingWriter<T> : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly Func<IReadOnlyList<T>, CancellationToken, Task> _flush;
    private readonly int _maxBatch;
    private readonly SemaphoreSlim _flushGate = new(1, 1);
    private readonly PeriodicTimer _timer;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _timerLoop;
    private List<T> _buffer = new();

    public BatchingWriter(Func<IReadOnlyList<T>, CancellationToken, Task> flush, int maxBatch, TimeSpan interval)
    {
        _flush = flush;
        _maxBatch = maxBatch;
        _timer = new PeriodicTimer(interval);
        _timerLoop = FlushOnTimerAsync(_stop.Token);
    }

    public Task AddAsync(T item, CancellationToken cancellationToken)
    {
        bool full;
        lock (_gate)
        {
            _buffer.Add(item);
            full = _buffer.Count >= _maxBatch;
        }

        return full ? FlushAsync(cancellationToken) : Task.CompletedTask;
    }

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _flushGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            List<T> batch;
            lock (_gate)
            {
                if (_buffer.Count == 0)
                {
                    return;
                }

                batch = _buffer;
                _buffer = new List<T>();
            }

            await _flush(batch, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _flushGate.Release();
        }
    }

    private async Task FlushOnTimerAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (await _timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                await FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _timerLoop.ConfigureAwait(false);
        _timer.Dispose();
        await FlushAsync(CancellationToken.None).ConfigureAwait(false);
        _stop.Dispose();
        _flushGate.Dispose();
    }
}

/// <summary>Batching writer over a Channel: one consumer flushes on size or age.</summary>
public sealed class ChannelBatcher<T> : IAsyncDisposable
{
    private readonly Channel<T> _channel = Channel.CreateBounded<T>(new BoundedChannelOptions(10_000)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly Func<IReadOnlyList<T>, CancellationToken, Task> _sink;
    private readonly int _batchSize;
    private readonly TimeSpan _maxAge;
    private readonly CancellationTokenSource _cts = new();
    private readonly Task _consumer;

    public ChannelBatcher(Func<IReadOnlyList<T>, CancellationToken, Task> sink, int batchSize, TimeSpan maxAge)
    {
        _sink = sink;
        _batchSize = batchSize;
        _maxAge = maxAge;
        _consumer = Task.Run(() => ConsumeAsync(_cts.Token));
    }

    public ValueTask EnqueueAsync(T item, CancellationToken cancellationToken) => _channel.Writer.WriteAsync(item, cancellationToken);

    private async Task ConsumeAsync(CancellationToken cancellationToken)
    {
        var batch = new List<T>(_batchSize);
        var reader = _channel.Reader;
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            using (var age = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                age.CancelAfter(_maxAge);
                try
                {
                    while (batch.Count < _batchSize)
                    {
                        if (reader.TryRead(out var item))
                        {
                            batch.Add(item);
                            continue;
                        }

                        if (!await reader.WaitToReadAsync(age.Token).ConfigureAwait(false))
                        {
                            break;
                        }
                    }
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                }
            }

            if (batch.Count > 0)
            {
                await _sink(batch.ToArray(), cancellationToken).ConfigureAwait(false);
                batch.Clear();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Writer.TryComplete();
        try
        {
            await _consumer.ConfigureAwait(false);
        }
        finally
        {
            _cts.Dispose();
        }
    }
}

/// <summary>Debouncer: each call replaces the pending CTS (disposed) and schedules the action.</summary>
public sealed class Debouncer : IDisposable
{
    private readonly TimeSpan _delay;
    private CancellationTokenSource? _pending;

    public Debouncer(TimeSpan delay) => _delay = delay;

    public void Trigger(Func<CancellationToken, Task> action)
    {
        var next = new CancellationTokenSource();
        var previous = Interlocked.Exchange(ref _pending, next);
        if (previous is not null)
        {
            previous.Cancel();
            previous.Dispose();
        }

        _ = RunAsync(action, next.Token);
    }

    private async Task RunAsync(Func<CancellationToken, Task> action, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(_delay, cancellationToken).ConfigureAwait(false);
            await action(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public void Dispose()
    {
        var pending = Interlocked.Exchange(ref _pending, null);
        pending?.Cancel();
        pending?.Dispose();
    }
}

/// <summary>Throttler: at most one run per interval, extra calls dropped.</summary>
public sealed class Throttler
{
    private readonly long _intervalTicks;
    private long _lastRunTicks;

    public Throttler(TimeSpan interval) => _intervalTicks = interval.Ticks;

    public bool TryRun(Action action)
    {
        var now = Environment.TickCount64 * TimeSpan.TicksPerMillisecond;
        var last = Interlocked.Read(ref _lastRunTicks);
        if (now - last < _intervalTicks)
        {
            return false;
        }

        if (Interlocked.CompareExchange(ref _lastRunTicks, now, last) != last)
        {
            return false;
        }

        action();
        return true;
    }
}

/// <summary>Single-threaded work queue with a dedicated thread.</summary>
public sealed class SingleThreadWorkQueue : IDisposable
{
    private readonly BlockingCollection<Action> _queue = new(boundedCapacity: 1000);
    private readonly Thread _thread;
    private readonly CancellationTokenSource _cts = new();

    public SingleThreadWorkQueue(string name)
    {
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    public void Post(Action work, CancellationToken cancellationToken) => _queue.Add(work, cancellationToken);

    public Task<T> InvokeAsync<T>(Func<T> work, CancellationToken cancellationToken)
    {
        var tcs = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _queue.Add(() =>
        {
            try
            {
                tcs.TrySetResult(work());
            }
            catch (Exception ex)
            {
                tcs.TrySetException(ex);
            }
        }, cancellationToken);
        return tcs.Task;
    }

    private void Run()
    {
        try
        {
            foreach (var work in _queue.GetConsumingEnumerable(_cts.Token))
            {
                try
                {
                    work();
                }
                catch (Exception ex)
                {
                    Console.Error.WriteLine(ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public void Dispose()
    {
        _queue.CompleteAdding();
        if (!_thread.Join(TimeSpan.FromSeconds(5)))
        {
            _cts.Cancel();
            _thread.Join();
        }

        _cts.Dispose();
        _queue.Dispose();
    }
}

/// <summary>Recurring jobs on a Timer whose callback guards re-entry with an Interlocked flag.</summary>
public sealed class RecurringJobScheduler : IDisposable
{
    private sealed class Job
    {
        public required string Name { get; init; }
        public required Func<CancellationToken, Task> Body { get; init; }
        public int Running;
    }

    private readonly ConcurrentDictionary<string, Job> _jobs = new();
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Timer _timer;

    public RecurringJobScheduler(TimeSpan tick)
    {
        _timer = new Timer(OnTick, null, tick, tick);
    }

    public event EventHandler<Exception>? JobFailed;

    public void Register(string name, Func<CancellationToken, Task> body)
        => _jobs[name] = new Job { Name = name, Body = body };

    private void OnTick(object? state)
    {
        foreach (var job in _jobs.Values)
        {
            if (Interlocked.CompareExchange(ref job.Running, 1, 0) != 0)
            {
                continue;
            }

            _ = RunJobAsync(job);
        }
    }

    private async Task RunJobAsync(Job job)
    {
        try
        {
            await job.Body(_shutdown.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            JobFailed?.Invoke(this, ex);
        }
        finally
        {
            Volatile.Write(ref job.Running, 0);
        }
    }

    public void Dispose()
    {
        _shutdown.Cancel();
        using var done = new ManualResetEvent(false);
        if (_timer.Dispose(done))
        {
            done.WaitOne(TimeSpan.FromSeconds(5));
        }

        _shutdown.Dispose();
    }
}

/// <summary>TCS-based async auto-reset event.</summary>
public sealed class AsyncAutoResetEvent
{
    private readonly Queue<TaskCompletionSource> _waiters = new();
    private readonly object _gate = new();
    private bool _signaled;

    public Task WaitAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_signaled)
            {
                _signaled = false;
                return Task.CompletedTask;
            }

            var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Enqueue(tcs);
            return tcs.Task.WaitAsync(cancellationToken);
        }
    }

    public void Set()
    {
        TaskCompletionSource? toRelease = null;
        lock (_gate)
        {
            if (_waiters.Count > 0)
            {
                toRelease = _waiters.Dequeue();
            }
            else
            {
                _signaled = true;
            }
        }

        toRelease?.TrySetResult();
    }
}

/// <summary>Async countdown: completes when the count reaches zero.</summary>
public sealed class AsyncCountdown
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _remaining;

    public AsyncCountdown(int count)
    {
        _remaining = count;
        if (count == 0)
        {
            _done.TrySetResult();
        }
    }

    public Task Completion => _done.Task;

    public void Signal()
    {
        var left = Interlocked.Decrement(ref _remaining);
        if (left == 0)
        {
            _done.TrySetResult();
        }
        else if (left < 0)
        {
            throw new InvalidOperationException("Signalled too many times.");
        }
    }
}

/// <summary>TTL cache on a ConcurrentDictionary with a cleanup timer; Lazy values avoid duplicate factories.</summary>
public sealed class TtlCache<TKey, TValue> : IDisposable where TKey : notnull
{
    private sealed record Entry(Lazy<Task<TValue>> Value, long ExpiresAt);

    private readonly ConcurrentDictionary<TKey, Entry> _entries = new();
    private readonly TimeSpan _ttl;
    private readonly Timer _cleanup;

    public TtlCache(TimeSpan ttl, TimeSpan cleanupInterval)
    {
        _ttl = ttl;
        _cleanup = new Timer(static s => ((TtlCache<TKey, TValue>)s!).RemoveExpired(), this, cleanupInterval, cleanupInterval);
    }

    public Task<TValue> GetOrAddAsync(TKey key, Func<TKey, Task<TValue>> factory)
    {
        var now = Environment.TickCount64;
        var entry = _entries.AddOrUpdate(
            key,
            k => NewEntry(k, factory, now),
            (k, existing) => existing.ExpiresAt > now ? existing : NewEntry(k, factory, now));
        return entry.Value.Value;
    }

    private Entry NewEntry(TKey key, Func<TKey, Task<TValue>> factory, long now)
        => new(new Lazy<Task<TValue>>(() => factory(key)), now + (long)_ttl.TotalMilliseconds);

    public void Invalidate(TKey key) => _entries.TryRemove(key, out _);

    private void RemoveExpired()
    {
        var now = Environment.TickCount64;
        foreach (var pair in _entries)
        {
            if (pair.Value.ExpiresAt <= now)
            {
                _entries.TryRemove(pair);
            }
        }
    }

    public void Dispose() => _cleanup.Dispose();
}

/// <summary>Copy-on-write routing table: readers take a snapshot, writers swap atomically.</summary>
public sealed class RouteTable
{
    private ImmutableDictionary<string, Uri> _routes = ImmutableDictionary<string, Uri>.Empty;

    public Uri? Resolve(string name)
        => Volatile.Read(ref _routes).TryGetValue(name, out var uri) ? uri : null;

    public void Set(string name, Uri uri)
        => ImmutableInterlocked.Update(ref _routes, static (routes, arg) => routes.SetItem(arg.name, arg.uri), (name, uri));

    public bool Remove(string name) => ImmutableInterlocked.TryRemove(ref _routes, name, out _);

    public void ReplaceAll(IEnumerable<KeyValuePair<string, Uri>> routes)
        => Volatile.Write(ref _routes, ImmutableDictionary.CreateRange(routes));

    public int Count => Volatile.Read(ref _routes).Count;
}

/// <summary>Feature flags held in an immutable snapshot swapped with Interlocked.Exchange.</summary>
public sealed class FeatureFlags
{
    private volatile ImmutableHashSet<string> _enabled = ImmutableHashSet<string>.Empty;

    public bool IsEnabled(string flag) => _enabled.Contains(flag);

    public void Reload(IEnumerable<string> flags)
    {
        var next = flags.ToImmutableHashSet(StringComparer.OrdinalIgnoreCase);
        Interlocked.Exchange(ref _enabled, next);
    }
}

/// <summary>LRU cache under a single lock.</summary>
public sealed class LruCache<TKey, TValue> where TKey : notnull
{
    private readonly object _gate = new();
    private readonly int _capacity;
    private readonly Dictionary<TKey, LinkedListNode<(TKey Key, TValue Value)>> _map = new();
    private readonly LinkedList<(TKey Key, TValue Value)> _order = new();
    private long _hits;
    private long _misses;

    public LruCache(int capacity) => _capacity = capacity;

    public long Hits => Interlocked.Read(ref _hits);

    public long Misses => Interlocked.Read(ref _misses);

    public bool TryGet(TKey key, out TValue value)
    {
        lock (_gate)
        {
            if (_map.TryGetValue(key, out var node))
            {
                _order.Remove(node);
                _order.AddFirst(node);
                value = node.Value.Value;
                Interlocked.Increment(ref _hits);
                return true;
            }
        }

        Interlocked.Increment(ref _misses);
        value = default!;
        return false;
    }

    public void Set(TKey key, TValue value)
    {
        lock (_gate)
        {
            if (_map.TryGetValue(key, out var existing))
            {
                _order.Remove(existing);
                _map.Remove(key);
            }

            var node = _order.AddFirst((key, value));
            _map[key] = node;
            if (_map.Count > _capacity)
            {
                var last = _order.Last!;
                _order.RemoveLast();
                _map.Remove(last.Value.Key);
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _map.Count;
            }
        }
    }
}

/// <summary>Singletons done right, three ways.</summary>
public sealed class ConfigurationRoot
{
    private static volatile ConfigurationRoot? s_instance;
    private static readonly object s_gate = new();

    private ConfigurationRoot()
    {
    }

    public static ConfigurationRoot Instance
    {
        get
        {
            var instance = s_instance;
            if (instance is null)
            {
                lock (s_gate)
                {
                    instance = s_instance;
                    if (instance is null)
                    {
                        instance = new ConfigurationRoot();
                        s_instance = instance;
                    }
                }
            }

            return instance;
        }
    }
}

public sealed class MetricsRegistry
{
    private static readonly Lazy<MetricsRegistry> s_default = new(() => new MetricsRegistry());

    public static MetricsRegistry Default => s_default.Value;

    private readonly ConcurrentDictionary<string, long> _counters = new();

    public void Increment(string name) => _counters.AddOrUpdate(name, 1, static (_, v) => v + 1);

    public long Read(string name) => _counters.TryGetValue(name, out var v) ? v : 0;
}

public sealed class SerializerCache
{
    private Dictionary<Type, string>? _names;

    public string NameOf(Type type)
    {
        var names = LazyInitializer.EnsureInitialized(ref _names, () => new Dictionary<Type, string>());
        lock (names)
        {
            if (!names.TryGetValue(type, out var name))
            {
                name = type.FullName ?? type.Name;
                names[type] = name;
            }

            return name;
        }
    }
}

/// <summary>Memoizer with GetOrAdd and Lazy values (factory runs once per key).</summary>
public sealed class Memoizer<TKey, TValue> where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, Lazy<TValue>> _values = new();
    private readonly Func<TKey, TValue> _factory;

    public Memoizer(Func<TKey, TValue> factory) => _factory = factory;

    public TValue Get(TKey key)
        => _values.GetOrAdd(key, k => new Lazy<TValue>(() => _factory(k), LazyThreadSafetyMode.ExecutionAndPublication)).Value;
}

/// <summary>Refresh-ahead cache: one refresh at a time, readers keep the stale value.</summary>
public sealed class RefreshingValue<T> : IDisposable where T : class
{
    private readonly Func<CancellationToken, Task<T>> _load;
    private readonly SemaphoreSlim _refreshGate = new(1, 1);
    private readonly CancellationTokenSource _cts = new();
    private T? _value;
    private long _loadedAt;

    public RefreshingValue(Func<CancellationToken, Task<T>> load) => _load = load;

    public async ValueTask<T> GetAsync(TimeSpan maxAge, CancellationToken cancellationToken)
    {
        var value = Volatile.Read(ref _value);
        if (value is not null && Environment.TickCount64 - Interlocked.Read(ref _loadedAt) < maxAge.TotalMilliseconds)
        {
            return value;
        }

        if (!await _refreshGate.WaitAsync(value is null ? Timeout.InfiniteTimeSpan : TimeSpan.Zero, cancellationToken).ConfigureAwait(false))
        {
            return value!;
        }

        try
        {
            value = await _load(cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _value, value);
            Interlocked.Exchange(ref _loadedAt, Environment.TickCount64);
            return value;
        }
        finally
        {
            _refreshGate.Release();
        }
    }

    public void Dispose()
    {
        _cts.Cancel();
        _cts.Dispose();
        _refreshGate.Dispose();
    }
}

/// <summary>Timer method group whose state is only touched by the callback and its helpers.</summary>
public sealed class SampleWindow : IDisposable
{
    private readonly object _gate = new();
    private readonly Timer _timer;
    private readonly List<double> _samples = new();
    private double[] _published = Array.Empty<double>();

    public SampleWindow(TimeSpan interval) => _timer = new Timer(OnTick, null, interval, interval);

    public IReadOnlyList<double> Published => Volatile.Read(ref _published);

    private void OnTick(object? state)
    {
        lock (_gate)
        {
            _samples.Add(Environment.TickCount64);
            Trim();
            Volatile.Write(ref _published, _samples.ToArray());
        }
    }

    private void Trim()
    {
        if (_samples.Count > 256)
        {
            _samples.RemoveRange(0, _samples.Count - 256);
        }
    }

    public void Dispose() => _timer.Dispose();
}

/// <summary>Timer method touching a field also used by other members, all under one lock.</summary>
public sealed class ExpiringSet : IDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<string, long> _expiry = new();
    private readonly Timer _sweeper;

    public ExpiringSet(TimeSpan sweep) => _sweeper = new Timer(_ => Sweep(), null, sweep, sweep);

    public void Add(string key, TimeSpan ttl)
    {
        lock (_gate)
        {
            _expiry[key] = Environment.TickCount64 + (long)ttl.TotalMilliseconds;
        }
    }

    public bool Contains(string key)
    {
        lock (_gate)
        {
            return _expiry.TryGetValue(key, out var until) && until > Environment.TickCount64;
        }
    }

    private void Sweep()
    {
        var now = Environment.TickCount64;
        lock (_gate)
        {
            foreach (var key in _expiry.Where(p => p.Value <= now).Select(p => p.Key).ToList())
            {
                _expiry.Remove(key);
            }
        }
    }

    public void Dispose() => _sweeper.Dispose();
}

/// <summary>Per-key semaphores kept in a ConcurrentDictionary; a plain dictionary filled in the constructor.</summary>
public sealed class PartitionGates
{
    private readonly Dictionary<int, SemaphoreSlim> _partitions = new();

    public PartitionGates(int partitions)
    {
        for (var i = 0; i < partitions; i++)
        {
            _partitions.Add(i, new SemaphoreSlim(1, 1));
        }
    }

    public async Task RunAsync(int key, Func<CancellationToken, Task> work, CancellationToken cancellationToken)
    {
        var gate = _partitions[Math.Abs(key % _partitions.Count)];
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await work(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }
}

/// <summary>Shutdown flush bounded by a timeout: the flush must not be cancelled, only waited for less.</summary>
public sealed class FlushOnDispose : IAsyncDisposable
{
    private readonly Func<CancellationToken, Task> _flush;

    public FlushOnDispose(Func<CancellationToken, Task> flush) => _flush = flush;

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Task.Yield();
        }
        finally
        {
            await _flush(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
    }

    public Task FlushWithDeadlineAsync()
    {
        // Deliberately not cancelled: a half-written batch is worse than a late one; the caller only stops waiting.
        return _flush(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
    }
}

/// <summary>Dedicated pump thread owning its buffer; stats published with Interlocked.</summary>
public sealed class PumpThread : IDisposable
{
    private readonly BlockingCollection<string> _input = new();
    private readonly List<string> _batch = new();
    private readonly Thread _thread;
    private long _flushed;

    public PumpThread()
    {
        _thread = new Thread(Pump) { IsBackground = true };
        _thread.Start();
    }

    public long Flushed => Interlocked.Read(ref _flushed);

    public void Post(string line) => _input.Add(line);

    private void Pump()
    {
        foreach (var line in _input.GetConsumingEnumerable())
        {
            _batch.Add(line);
            if (_batch.Count >= 100)
            {
                Interlocked.Add(ref _flushed, _batch.Count);
                _batch.Clear();
            }
        }
    }

    public void Dispose()
    {
        _input.CompleteAdding();
        _thread.Join();
        _input.Dispose();
    }
}

/// <summary>Re-entry guards that hold: a bool flag checked and set under the lock, and an Interlocked int (CONC305 near misses).</summary>
public sealed class GuardedPoller : IDisposable
{
    private readonly object _gate = new();
    private readonly Timer _timer;
    private bool _polling;
    private bool _disposed;

    public GuardedPoller(Action poll, TimeSpan interval)
    {
        _timer = new Timer(_ =>
        {
            lock (_gate)
            {
                if (_polling)
                {
                    return;
                }

                _polling = true;
            }

            try
            {
                poll();
            }
            finally
            {
                lock (_gate)
                {
                    _polling = false;
                }
            }
        }, null, interval, interval);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _timer.Dispose();
    }
}
