using System.Collections.Immutable;
using System.Runtime.CompilerServices;

namespace CorrectCode.Services;

/// <summary>A dedicated background thread that stops on a flag and is joined.</summary>
public sealed class LogFlusher : IDisposable
{
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _wake = new(false);
    private volatile bool _stopping;
    private int _flushes;

    public LogFlusher()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "log-flusher" };
        _thread.Start();
    }

    public int Flushes => Volatile.Read(ref _flushes);

    public void Nudge() => _wake.Set();

    private void Run()
    {
        while (!_stopping)
        {
            _wake.Wait(TimeSpan.FromSeconds(1));
            _wake.Reset();
            Interlocked.Increment(ref _flushes);
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _wake.Set();
        _thread.Join();
        _wake.Dispose();
    }
}

/// <summary>Copy-on-write subscribers: writers swap an immutable list atomically, readers take a snapshot.</summary>
public sealed class Subscribers
{
    private ImmutableList<Action<string>> _handlers = ImmutableList<Action<string>>.Empty;

    public void Add(Action<string> handler) => ImmutableInterlocked.Update(ref _handlers, list => list.Add(handler));

    public void Remove(Action<string> handler) => ImmutableInterlocked.Update(ref _handlers, list => list.Remove(handler));

    public void Publish(string message)
    {
        foreach (var handler in Volatile.Read(ref _handlers))
        {
            handler(message);
        }
    }
}

/// <summary>A timeout raced with WhenAny; the losing delay is cancelled and the winner awaited.</summary>
public sealed class Pinger
{
    private readonly IEndpoint _endpoint;

    public Pinger(IEndpoint endpoint) => _endpoint = endpoint;

    public async Task<bool> PingAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var delayCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var ping = _endpoint.PingAsync(cancellationToken);
        var delay = Task.Delay(timeout, delayCancellation.Token);
        var winner = await Task.WhenAny(ping, delay).ConfigureAwait(false);
        if (winner == ping)
        {
            delayCancellation.Cancel();
            return await ping.ConfigureAwait(false);
        }

        _ = ping.ContinueWith(t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted);
        return false;
    }
}

/// <summary>An async stream that honours the consumer's token.</summary>
public sealed class ChangeFeed
{
    private readonly IEndpoint _endpoint;

    public ChangeFeed(IEndpoint endpoint) => _endpoint = endpoint;

    public async IAsyncEnumerable<string> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var cursor = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var batch = await _endpoint.FetchAsync(cursor, cancellationToken).ConfigureAwait(false);
            if (batch.Count == 0)
            {
                yield break;
            }

            foreach (var item in batch)
            {
                yield return item;
            }

            cursor += batch.Count;
        }
    }

    public async Task<int> CountAsync(CancellationToken cancellationToken)
    {
        var count = 0;
        await foreach (var _ in ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            count++;
        }

        return count;
    }
}

/// <summary>A static registry behind a static gate; CompareExchange publishes a lazily built value once.</summary>
public static class Registry
{
    private static readonly object s_gate = new();
    private static readonly Dictionary<string, Type> s_types = new(StringComparer.Ordinal);
    private static string[]? s_names;

    public static void Register(string name, Type type)
    {
        lock (s_gate)
        {
            s_types[name] = type;
            s_names = null;
        }
    }

    public static Type? Find(string name)
    {
        lock (s_gate)
        {
            return s_types.TryGetValue(name, out var type) ? type : null;
        }
    }

    public static string[] Names
    {
        get
        {
            lock (s_gate)
            {
                return s_names ??= s_types.Keys.OrderBy(n => n, StringComparer.Ordinal).ToArray();
            }
        }
    }
}

/// <summary>Independent CPU work run together; per-thread state in ThreadLocal.</summary>
public static class Warmup
{
    private static readonly ThreadLocal<Random> s_random = new(() => new Random(Environment.CurrentManagedThreadId));

    public static (int A, int B, int C) Run()
    {
        int a = 0, b = 0, c = 0;
        Parallel.Invoke(
            () => a = Compute(1),
            () => b = Compute(2),
            () => c = Compute(3));
        return (a, b, c);
    }

    private static int Compute(int seed) => s_random.Value!.Next(seed, seed + 100);
}

/// <summary>A resource released with await using; a ValueTask awaited once.</summary>
public sealed class Session : IAsyncDisposable
{
    private readonly IEndpoint _endpoint;

    public Session(IEndpoint endpoint) => _endpoint = endpoint;

    public static async Task<bool> CheckAsync(IEndpoint endpoint, CancellationToken cancellationToken)
    {
        await using var session = new Session(endpoint);
        return await session.ProbeAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<bool> ProbeAsync(CancellationToken cancellationToken)
        => await _endpoint.PingAsync(cancellationToken).ConfigureAwait(false);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

public interface IEndpoint
{
    Task<bool> PingAsync(CancellationToken cancellationToken);

    Task<IReadOnlyList<string>> FetchAsync(int cursor, CancellationToken cancellationToken);
}
