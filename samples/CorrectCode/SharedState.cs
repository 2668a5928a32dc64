using System.Collections.Concurrent;

namespace CorrectCode.SharedState;

public static class Reports
{
    /// <summary>Per-thread partial sums combined under a lock.</summary>
    public static long SumOfSquares(IReadOnlyList<int> values)
    {
        long total = 0;
        var gate = new object();
        Parallel.For(
            0,
            values.Count,
            () => 0L,
            (i, _, partial) => partial + ((long)values[i] * values[i]),
            partial =>
            {
                lock (gate)
                {
                    total += partial;
                }
            });
        return total;
    }

    /// <summary>A concurrent collection filled in parallel; a list filled under a lock.</summary>
    public static (IReadOnlyCollection<string> Words, List<int> Lengths) Split(IEnumerable<string> lines)
    {
        var words = new ConcurrentBag<string>();
        var lengths = new List<int>();
        Parallel.ForEach(lines, line =>
        {
            foreach (var word in line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                words.Add(word);
            }

            lock (lengths)
            {
                lengths.Add(line.Length);
            }
        });
        return (words, lengths);
    }

    /// <summary>PLINQ that returns its results instead of mutating shared state.</summary>
    public static Dictionary<string, int> CountByPrefix(IEnumerable<string> words)
        => words.AsParallel()
            .GroupBy(w => w.Length > 0 ? w[..1] : string.Empty)
            .ToDictionary(g => g.Key, g => g.Count());

    /// <summary>ConcurrentDictionary updates with AddOrUpdate.</summary>
    public static ConcurrentDictionary<string, int> Histogram(IEnumerable<string> words)
    {
        var counts = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        Parallel.ForEach(words, word => counts.AddOrUpdate(word, 1, (_, n) => n + 1));
        return counts;
    }

    /// <summary>Loop variables copied before capture; foreach variables are fresh per iteration.</summary>
    public static async Task<int[]> SquaresAsync(int count)
    {
        var tasks = new List<Task<int>>();
        for (var i = 0; i < count; i++)
        {
            var n = i;
            tasks.Add(Task.Run(() => n * n));
        }

        foreach (var extra in new[] { 10, 20 })
        {
            tasks.Add(Task.Run(() => extra * extra));
        }

        return await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    /// <summary>Work done on a local inside the lambda needs no synchronization.</summary>
    public static Task<List<string>> NormalizeAsync(IEnumerable<string> input)
        => Task.Run(() =>
        {
            var result = new List<string>();
            foreach (var item in input)
            {
                result.Add(item.Trim());
            }

            return result;
        });
}

/// <summary>A stop flag read with Volatile and set with Volatile; the waiter spins with SpinWait.</summary>
public sealed class Spinner
{
    private bool _stop;

    public void Stop() => Volatile.Write(ref _stop, true);

    public int Run()
    {
        var spins = 0;
        var wait = new SpinWait();
        while (!Volatile.Read(ref _stop))
        {
            wait.SpinOnce();
            spins++;
        }

        return spins;
    }
}

/// <summary>A SpinLock in a mutable field, used in place.</summary>
public sealed class Sequence
{
    private SpinLock _lock = new(enableThreadOwnerTracking: false);
    private long _next;

    public long Next()
    {
        var taken = false;
        try
        {
            _lock.Enter(ref taken);
            return ++_next;
        }
        finally
        {
            if (taken)
            {
                _lock.Exit(useMemoryBarrier: false);
            }
        }
    }
}

/// <summary>A cancellation-aware method passing its token through local functions and lambdas.</summary>
public sealed class Exporter
{
    private readonly IExportTarget _target;

    public Exporter(IExportTarget target) => _target = target;

    public async Task ExportAsync(IReadOnlyList<string> rows, CancellationToken cancellationToken)
    {
        await Parallel.ForEachAsync(rows, cancellationToken, async (row, token) =>
            await _target.SendAsync(row, token).ConfigureAwait(false)).ConfigureAwait(false);

        await FlushAsync().ConfigureAwait(false);

        async Task FlushAsync()
        {
            await _target.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task RetryAsync(string row, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await _target.SendAsync(row, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (IOException) when (attempt < 3)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100 << attempt), cancellationToken).ConfigureAwait(false);
            }
        }
    }
}

public interface IExportTarget
{
    Task SendAsync(string row, CancellationToken cancellationToken);

    Task FlushAsync(CancellationToken cancellationToken);
}
