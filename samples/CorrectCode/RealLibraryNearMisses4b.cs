using System.Collections.Concurrent;

namespace CorrectCode.RealLibraries4b;

/// <summary>
/// A client over a native library that answers requests on a result queue (Confluent.Kafka's admin client): each
/// request registers a completion source under an id, one long-running loop polls the queue, and every result is
/// completed on the thread pool (<c>Task.Run(() => source.TrySetResult(r))</c>) so that the awaiting code never runs
/// inline on the polling loop. The completion is started without the loop's token on purpose: cancelled before it
/// runs, it would leave the request waiting for good.
/// </summary>
public sealed class ResultQueueClient : IDisposable
{
    private readonly ConcurrentDictionary<long, object> _pending = new();
    private readonly BlockingCollection<(long Id, string? Result, string? Error)> _results = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _pollTask;
    private long _nextId;

    public ResultQueueClient()
    {
        _pollTask = Task.Factory.StartNew(() => Poll(_stopping.Token), _stopping.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    public Task<string> RequestAsync(Action<long> send)
    {
        var source = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var id = Interlocked.Increment(ref _nextId);
        _pending[id] = source;
        send(id);
        return source.Task;
    }

    public void Deliver(long id, string? result, string? error) => _results.Add((id, result, error));

    private void Poll(CancellationToken ct)
    {
        try
        {
            while (true)
            {
                var (id, result, error) = _results.Take(ct);
                if (!_pending.TryRemove(id, out var state))
                {
                    continue;
                }

                if (error is not null)
                {
                    Task.Run(() => ((TaskCompletionSource<string>)state).TrySetException(new InvalidOperationException(error)));
                    continue;
                }

                Task.Run(() => ((TaskCompletionSource<string>)state).TrySetResult(result ?? string.Empty));
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _pollTask.Wait();
        _stopping.Dispose();
        _results.Dispose();
    }
}

/// <summary>
/// A producer whose background loop counts the events it served and pulses waiters (Confluent.Kafka's
/// <c>Producer.Poll</c>): <c>Poll(timeout)</c> waits at most once, bounded, and then returns whatever count there is,
/// zero included. The code after the wait re-reads the count instead of assuming it, so an <c>if</c> is right where
/// a <c>while</c> would turn the bounded wait into an unbounded one.
/// </summary>
public sealed class ServedEventCounter
{
    private readonly object _gate = new();
    private int _served;

    public void OnServed(int count)
    {
        if (count > 0)
        {
            lock (_gate)
            {
                _served += count;
                Monitor.Pulse(_gate);
            }
        }
    }

    public int Poll(TimeSpan timeout)
    {
        lock (_gate)
        {
            if (_served == 0)
            {
                Monitor.Wait(_gate, timeout);
            }

            var result = _served;
            _served = 0;
            return result;
        }
    }
}
