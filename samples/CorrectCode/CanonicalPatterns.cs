using System.Collections.Concurrent;
using System.Threading.Channels;

namespace CorrectCode.CanonicalPatterns;

/// <summary>
/// Tasks joined with <c>Task.WhenAll</c> first, then awaited one by one only to read their results (CONC104 reported
/// the loop before).
/// </summary>
public static class JoinedResults
{
    public static async Task<int> SumAllAsync(IReadOnlyList<Func<Task<int>>> sources)
    {
        var tasks = sources.Select(s => s()).ToList();
        await Task.WhenAll(tasks).ConfigureAwait(false);
        var sum = 0;
        foreach (var t in tasks)
        {
            sum += await t.ConfigureAwait(false);
        }

        return sum;
    }

    public static async Task<(string First, string Second)> BothAsync(Func<Task<string>> first, Func<Task<string>> second)
    {
        var a = first();
        var b = second();
        await Task.WhenAll(a, b).ConfigureAwait(false);
        return (await a.ConfigureAwait(false), await b.ConfigureAwait(false));
    }
}

/// <summary>The condition-variable queue of the docs: Wait in a while loop, PulseAll under the lock, a private helper called under it.</summary>
public sealed class BoundedBuffer<T>
{
    private readonly object _sync = new();
    private readonly Queue<T> _items = new();
    private readonly int _capacity;

    public BoundedBuffer(int capacity) => _capacity = capacity;

    public void Put(T item)
    {
        lock (_sync)
        {
            while (_items.Count >= _capacity)
            {
                Monitor.Wait(_sync);
            }

            _items.Enqueue(item);
            SignalLocked();
        }
    }

    public T Take()
    {
        lock (_sync)
        {
            while (_items.Count == 0)
            {
                Monitor.Wait(_sync);
            }

            var item = _items.Dequeue();
            SignalLocked();
            return item;
        }
    }

    /// <summary>A gate handed in by the owner, who holds it around this call.</summary>
    public static void Signal(object ownersGate) => Monitor.PulseAll(ownersGate);

    private void SignalLocked() => Monitor.PulseAll(_sync);
}

/// <summary>Timed acquires used as guards, the release in the finally that follows.</summary>
public sealed class TimedGuards
{
    private readonly object _gate = new();
    private readonly SemaphoreSlim _semaphore = new(1, 1);
    private readonly HashSet<string> _seen = new();

    public bool TryRecord(string line)
    {
        if (!Monitor.TryEnter(_gate, TimeSpan.FromMilliseconds(100)))
        {
            return false;
        }

        try
        {
            return _seen.Add(line);
        }
        finally
        {
            Monitor.Exit(_gate);
        }
    }

    public async Task<bool> TryRecordAsync(string line, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!await _semaphore.WaitAsync(timeout, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        try
        {
            return _seen.Add(line);
        }
        finally
        {
            _semaphore.Release();
        }
    }
}

/// <summary>Fan-out whose shared writes happen before the first await (on the caller's thread) or into concurrent collections.</summary>
public static class FanOut
{
    public static async Task<IReadOnlyDictionary<string, int>> MeasureAsync(
        IReadOnlyList<string> keys, Func<string, CancellationToken, Task<string>> load, CancellationToken cancellationToken)
    {
        var started = new List<string>();
        var sizes = new ConcurrentDictionary<string, int>();
        await Task.WhenAll(keys.Take(16).Select(async key =>
        {
            started.Add(key);
            sizes[key] = (await load(key, cancellationToken).ConfigureAwait(false)).Length;
        })).ConfigureAwait(false);
        return sizes;
    }

    public static async Task<long> DrainAsync(ChannelReader<int> reader, CancellationToken cancellationToken)
    {
        long total = 0;
        await foreach (var item in reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            total += item;
        }

        return total;
    }
}
