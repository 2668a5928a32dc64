using System.Buffers;
using System.Collections.Concurrent;
using System.Threading.Channels;

namespace CorrectCode.LifetimeCoordination;

/// <summary>
/// A hand-written BackgroundService: StopAsync cancels and waits (bounded by the caller's token), Dispose only
/// cancels as the backstop the host calls after StopAsync (CONC104 and CONC105 near misses).
/// </summary>
public abstract class LoopService : IDisposable
{
    private Task? _executeTask;
    private CancellationTokenSource? _stoppingCts;

    protected abstract Task ExecuteAsync(CancellationToken stoppingToken);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _stoppingCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _executeTask = ExecuteAsync(_stoppingCts.Token);
        return _executeTask.IsCompleted ? _executeTask : Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_executeTask is null)
        {
            return;
        }

        try
        {
            _stoppingCts!.Cancel();
        }
        finally
        {
            await Task.WhenAny(_executeTask, Task.Delay(Timeout.Infinite, cancellationToken)).ConfigureAwait(false);
        }
    }

    public virtual void Dispose()
    {
        _stoppingCts?.Cancel();
        GC.SuppressFinalize(this);
    }
}

/// <summary>A relay loop that ends when its channel completes or the service stops.</summary>
public sealed class OutboxRelay : LoopService
{
    private readonly ChannelReader<string> _messages;
    private readonly Func<string, CancellationToken, Task> _publish;

    public OutboxRelay(ChannelReader<string> messages, Func<string, CancellationToken, Task> publish)
    {
        _messages = messages;
        _publish = publish;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (true)
        {
            if (!await _messages.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                break;
            }

            while (_messages.TryRead(out var message))
            {
                await _publish(message, stoppingToken).ConfigureAwait(false);
            }
        }
    }
}

/// <summary>An optional client: the conditional call's task is returned, discarded on purpose, or awaited (CONC102).</summary>
public sealed class OptionalNotifier
{
    private readonly Func<string, Task>? _send;
    private Task _last = Task.CompletedTask;

    public OptionalNotifier(Func<string, Task>? send) => _send = send;

    public Task NotifyAsync(string message) => _send?.Invoke(message) ?? Task.CompletedTask;

    public void NotifyInBackground(string message) => _ = _send?.Invoke(message);

    public void Remember(string message) => _last = _send?.Invoke(message) ?? Task.CompletedTask;

    public async Task FlushAsync()
    {
        await (_send?.Invoke("flush") ?? Task.CompletedTask).ConfigureAwait(false);
        await _last.ConfigureAwait(false);
    }
}

/// <summary>Fan-out over work, not data: merging channels, running handlers, waiting on running tasks (CONC106).</summary>
public static class Combinators
{
    public static async Task MergeAsync<T>(IReadOnlyList<ChannelReader<T>> inputs, ChannelWriter<T> output, CancellationToken cancellationToken)
    {
        try
        {
            var pumps = new Task[inputs.Count];
            for (var i = 0; i < inputs.Count; i++)
            {
                var reader = inputs[i];
                pumps[i] = Task.Run(async () =>
                {
                    await foreach (var item in reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                    {
                        await output.WriteAsync(item, cancellationToken).ConfigureAwait(false);
                    }
                }, cancellationToken);
            }

            await Task.WhenAll(pumps).ConfigureAwait(false);
        }
        finally
        {
            output.TryComplete();
        }
    }

    public static Task PublishAsync(IEnumerable<Func<string, Task>> handlers, string message)
        => Task.WhenAll(handlers.Select(handler => handler(message)));

    public static Task WaitAllAsync(IEnumerable<Task> running, TimeSpan timeout)
        => Task.WhenAll(running.Select(task => task.WaitAsync(timeout)));
}

/// <summary>A producer that owns the channel it was given and completes it in finally (CONC601).</summary>
public static class Importer
{
    public static async Task ImportAsync(Channel<string> rows, Func<int, CancellationToken, Task<string>> fetch, int pages, CancellationToken cancellationToken)
    {
        try
        {
            for (var page = 0; page < pages; page++)
            {
                await rows.Writer.WriteAsync(await fetch(page, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            rows.Writer.TryComplete(ex);
            throw;
        }
        finally
        {
            rows.Writer.TryComplete();
        }
    }

    /// <summary>The channel is created and drained here; both producer paths complete it.</summary>
    public static async Task<int> CountAsync(IAsyncEnumerable<int> source, CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<int>(8);
        var producer = Task.Run(async () =>
        {
            try
            {
                await foreach (var item in source.WithCancellation(cancellationToken).ConfigureAwait(false))
                {
                    await channel.Writer.WriteAsync(item, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (Exception ex)
            {
                channel.Writer.TryComplete(ex);
                return;
            }

            channel.Writer.TryComplete();
        }, cancellationToken);

        var count = 0;
        await foreach (var _ in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            count++;
        }

        await producer.ConfigureAwait(false);
        return count;
    }
}

/// <summary>Request/response correlation: each completion source is handed to a dictionary and completed by the reader (CONC109).</summary>
public sealed class RpcClient
{
    private readonly ConcurrentDictionary<int, TaskCompletionSource<string>> _pending = new();
    private readonly Func<int, string, CancellationToken, Task> _send;
    private int _nextId;

    public RpcClient(Func<int, string, CancellationToken, Task> send) => _send = send;

    public async Task<string> CallAsync(string request, CancellationToken cancellationToken)
    {
        var id = Interlocked.Increment(ref _nextId);
        var response = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = response;
        try
        {
            await _send(id, request, cancellationToken).ConfigureAwait(false);
            return await response.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    public void OnResponse(int id, string body)
    {
        if (_pending.TryRemove(id, out var response))
        {
            response.TrySetResult(body);
        }
    }
}

/// <summary>One timer per key, replaced and disposed; the owner disposes the rest (CONC108).</summary>
public sealed class Debouncer : IDisposable
{
    private readonly ConcurrentDictionary<string, Timer> _timers = new();
    private readonly Action<string> _fire;

    public Debouncer(Action<string> fire) => _fire = fire;

    public void Touch(string key)
    {
        var timer = new Timer(state => Fire((string)state!), key, TimeSpan.FromMilliseconds(300), Timeout.InfiniteTimeSpan);
        var previous = _timers.AddOrUpdate(key, timer, (_, _) => timer);
        if (!ReferenceEquals(previous, timer))
        {
            previous.Dispose();
        }
    }

    private void Fire(string key)
    {
        if (_timers.TryRemove(key, out var timer))
        {
            timer.Dispose();
        }

        _fire(key);
    }

    public void Dispose()
    {
        foreach (var timer in _timers.Values)
        {
            timer.Dispose();
        }

        _timers.Clear();
    }
}

/// <summary>A thread loop that leaves when its stop event is set; Dispose sets it and joins (CONC101, CONC105).</summary>
public sealed class Watchdog : IDisposable
{
    private readonly ManualResetEventSlim _stop = new(false);
    private readonly Thread _thread;
    private readonly Action _check;

    public Watchdog(Action check)
    {
        _check = check;
        _thread = new Thread(Run) { IsBackground = true };
        _thread.Start();
    }

    private void Run()
    {
        while (true)
        {
            if (_stop.Wait(TimeSpan.FromSeconds(1)))
            {
                break;
            }

            _check();
        }
    }

    public void Dispose()
    {
        _stop.Set();
        _thread.Join();
        _stop.Dispose();
    }
}

/// <summary>A growable pooled buffer: the old array goes back when swapped, the current one on Dispose (CONC605).</summary>
public sealed class PooledByteWriter : IDisposable
{
    private byte[] _buffer;
    private int _length;

    public PooledByteWriter(int initialCapacity = 256) => _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    public void Write(ReadOnlySpan<byte> data)
    {
        if (_length + data.Length > _buffer.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + data.Length));
            _buffer.AsSpan(0, _length).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }

        data.CopyTo(_buffer.AsSpan(_length));
        _length += data.Length;
    }

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = Array.Empty<byte>();
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

/// <summary>Parallel loops: a return that skips one element, and Stop() to end the loop (CONC607); a countdown sized up front (CONC606).</summary>
public static class CpuWork
{
    public static int FindFirstNegative(int[] values)
    {
        var found = -1;
        Parallel.For(0, values.Length, (i, state) =>
        {
            if (values[i] < 0)
            {
                Interlocked.CompareExchange(ref found, i, -1);
                state.Stop();
            }
        });
        return found;
    }

    public static long SumValid(IEnumerable<string> lines)
    {
        long total = 0;
        Parallel.ForEach(lines, line =>
        {
            if (!long.TryParse(line, out var value))
            {
                return;
            }

            Interlocked.Add(ref total, value);
        });
        return total;
    }

    public static IReadOnlyCollection<string> FetchAll(IReadOnlyList<string> seeds, Func<string, string> fetch)
    {
        var results = new ConcurrentBag<string>();
        using var remaining = new CountdownEvent(seeds.Count);
        foreach (var seed in seeds)
        {
            ThreadPool.QueueUserWorkItem(state =>
            {
                try
                {
                    results.Add(fetch((string)state!));
                }
                finally
                {
                    remaining.Signal();
                }
            }, seed);
        }

        remaining.Wait();
        return results;
    }
}
