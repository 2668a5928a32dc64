namespace CorrectCode.LockingPrimitives;

/// <summary>A single-flight load: the task is tested with a property pattern under the lock before its Result is read.</summary>
public sealed class SingleFlightLoader
{
    private readonly object _gate = new();
    private readonly Func<CancellationToken, Task<string>> _load;
    private Task<string>? _loading;

    public SingleFlightLoader(Func<CancellationToken, Task<string>> load) => _load = load;

    public Task<string> LoadAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_loading is null || _loading.IsFaulted || _loading.IsCanceled)
            {
                _loading = _load(cancellationToken);
            }

            return _loading;
        }
    }

    public string? TryGetLoaded()
    {
        lock (_gate)
        {
            return _loading is { IsCompletedSuccessfully: true } done ? done.Result : null;
        }
    }

    public bool IsReady()
    {
        lock (_gate)
        {
            return _loading?.IsCompletedSuccessfully == true && _loading.Result.Length > 0;
        }
    }
}

/// <summary>Tasks joined by Task.WhenAll, then read one by one (a list and a dictionary of tasks).</summary>
public static class JoinedReads
{
    public static async Task<long> TotalSizeAsync(string manifestPath, string dataPath, string indexPath, CancellationToken cancellationToken)
    {
        var reads = new List<Task<byte[]>>
        {
            File.ReadAllBytesAsync(manifestPath, cancellationToken),
            File.ReadAllBytesAsync(dataPath, cancellationToken),
            File.ReadAllBytesAsync(indexPath, cancellationToken),
        };

        await Task.WhenAll(reads).ConfigureAwait(false);
        long total = 0;
        foreach (var read in reads)
        {
            total += read.Result.Length;
        }

        return total;
    }

    public static async Task<Dictionary<string, int>> LengthsAsync(
        IReadOnlyList<string> keys, Func<string, CancellationToken, Task<string>> fetch, CancellationToken cancellationToken)
    {
        var pending = new Dictionary<string, Task<string>>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            pending[key] = fetch(key, cancellationToken);
        }

        await Task.WhenAll(pending.Values).ConfigureAwait(false);
        var lengths = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (key, task) in pending)
        {
            lengths[key] = task.Result.Length;
        }

        return lengths;
    }
}

/// <summary>
/// A semaphore-guarded cache: a refresh started on the thread pool, a flush whose task is stored, both taking the
/// semaphore themselves later; neither re-enters it.
/// </summary>
public sealed class RefreshingCache : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Func<CancellationToken, Task<string>> _load;
    private readonly List<string> _log = new();
    private string _value = string.Empty;
    private DateTime _loadedAt;
    private Task _refresh = Task.CompletedTask;
    private Task _flushing = Task.CompletedTask;

    public RefreshingCache(Func<CancellationToken, Task<string>> load) => _load = load;

    public async Task<string> GetAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (DateTime.UtcNow - _loadedAt > TimeSpan.FromMinutes(5) && _refresh.IsCompleted)
            {
                ScheduleRefresh();
            }

            _log.Add(_value);
            if (_log.Count >= 100 && _flushing.IsCompleted)
            {
                _flushing = FlushAsync();
            }

            return _value;
        }
        finally
        {
            _gate.Release();
        }
    }

    private void ScheduleRefresh()
    {
        _refresh = Task.Run(async () =>
        {
            var fresh = await _load(CancellationToken.None).ConfigureAwait(false);
            await _gate.WaitAsync().ConfigureAwait(false);
            try
            {
                _value = fresh;
                _loadedAt = DateTime.UtcNow;
            }
            finally
            {
                _gate.Release();
            }
        });
    }

    private async Task FlushAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            _log.Clear();
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Task.WhenAll(_refresh, _flushing).ConfigureAwait(false);
        }
        finally
        {
            _gate.Dispose();
        }
    }
}

/// <summary>A reader/writer map: out parameters, local results and atomics under the read lock; upgrades through the upgradeable lock.</summary>
public sealed class ReadMostlyMap : IDisposable
{
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly Dictionary<string, int> _map = new(StringComparer.Ordinal);
    private long _reads;

    public bool TryGet(string key, out int value)
    {
        _lock.EnterReadLock();
        try
        {
            Interlocked.Increment(ref _reads);
            return _map.TryGetValue(key, out value);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    public List<string> KeysWithPrefix(string prefix)
    {
        var keys = new List<string>();
        _lock.EnterReadLock();
        try
        {
            foreach (var key in _map.Keys)
            {
                if (key.StartsWith(prefix, StringComparison.Ordinal))
                {
                    keys.Add(key);
                }
            }
        }
        finally
        {
            _lock.ExitReadLock();
        }

        return keys;
    }

    public int GetOrAdd(string key, Func<string, int> create)
    {
        _lock.EnterUpgradeableReadLock();
        try
        {
            if (_map.TryGetValue(key, out var existing))
            {
                return existing;
            }

            _lock.EnterWriteLock();
            try
            {
                var created = create(key);
                _map[key] = created;
                return created;
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

    public long Reads => Interlocked.Read(ref _reads);

    public void Dispose() => _lock.Dispose();
}

/// <summary>Monitor shapes: a TryEnter retry loop in async code, a timed wait in a loop, a pulse under the lock.</summary>
public sealed class HandOffQueue
{
    private readonly object _gate = new();
    private readonly Queue<string> _items = new();

    public void Add(string item)
    {
        lock (_gate)
        {
            _items.Enqueue(item);
            Monitor.Pulse(_gate);
        }
    }

    public bool TryTake(TimeSpan timeout, out string? item)
    {
        lock (_gate)
        {
            while (_items.Count == 0)
            {
                if (!Monitor.Wait(_gate, timeout))
                {
                    item = null;
                    return false;
                }
            }

            item = _items.Dequeue();
            return true;
        }
    }

    public async Task<string?> PollAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (Monitor.TryEnter(_gate))
            {
                try
                {
                    if (_items.Count > 0)
                    {
                        return _items.Dequeue();
                    }
                }
                finally
                {
                    Monitor.Exit(_gate);
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>Striped spin locks used in place, and a struct with an atomic counter kept in a mutable field.</summary>
public sealed class StripedCounters
{
    private readonly SpinLock[] _locks;
    private readonly long[] _values;
    private AtomicCounter _total;

    public StripedCounters(int stripes)
    {
        _locks = new SpinLock[stripes];
        for (var i = 0; i < stripes; i++)
        {
            _locks[i] = new SpinLock(enableThreadOwnerTracking: false);
        }

        _values = new long[stripes];
    }

    public void Add(int key, long delta)
    {
        var index = (key & int.MaxValue) % _locks.Length;
        ref var stripe = ref _locks[index];
        var taken = false;
        try
        {
            stripe.Enter(ref taken);
            _values[index] += delta;
        }
        finally
        {
            if (taken)
            {
                stripe.Exit(useMemoryBarrier: false);
            }
        }

        _total.Add(delta);
    }

    public long Total => _total.Read();
}

public struct AtomicCounter
{
    private long _value;

    public void Add(long delta) => Interlocked.Add(ref _value, delta);

    public long Read() => Interlocked.Read(ref _value);
}
