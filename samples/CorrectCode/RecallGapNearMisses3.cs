using System.Threading.Channels;

namespace CorrectCode.RecallGaps3;

/// <summary>
/// Signal waits that do not block a pool thread inside async code: a zero-timeout poll, a wait offloaded to a
/// synchronous <c>Task.Run</c> body or a dedicated thread, and the synchronous twin of an async API.
/// </summary>
public sealed class ReadinessGate : IDisposable
{
    private readonly ManualResetEvent _ready = new(false);
    private readonly ManualResetEventSlim _started = new(false);

    public void MarkReady()
    {
        _ready.Set();
        _started.Set();
    }

    public async Task<bool> IsReadyAsync(CancellationToken cancellationToken)
    {
        await Task.Delay(1, cancellationToken);
        return _ready.WaitOne(0) && _started.Wait(TimeSpan.Zero, cancellationToken);
    }

    public Task<bool> WaitReadyAsync(TimeSpan timeout)
        => Task.Run(() => _ready.WaitOne(timeout));

    public bool WaitReady(TimeSpan timeout) => _ready.WaitOne(timeout);

    public void Dispose()
    {
        _ready.Dispose();
        _started.Dispose();
    }
}

/// <summary>
/// The ASP.NET Core docs' background queue as they write it: an app-lifetime channel created in the constructor,
/// written per call, drained by a loop that stops through its token. Nothing waits on the channel's completion, so it
/// is never completed (CONC601 reports producers that own a channel, not stored app-lifetime queues).
/// </summary>
public sealed class DocsBackgroundTaskQueue
{
    private readonly Channel<Func<CancellationToken, ValueTask>> _queue;

    public DocsBackgroundTaskQueue(int capacity)
    {
        var options = new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.Wait };
        _queue = Channel.CreateBounded<Func<CancellationToken, ValueTask>>(options);
    }

    public async ValueTask QueueAsync(Func<CancellationToken, ValueTask> workItem, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(workItem);
        await _queue.Writer.WriteAsync(workItem, cancellationToken);
    }

    public async ValueTask<Func<CancellationToken, ValueTask>> DequeueAsync(CancellationToken cancellationToken)
        => await _queue.Reader.ReadAsync(cancellationToken);
}

/// <summary>The docs' hosted consumer: dequeues until the host's stopping token fires.</summary>
public sealed class DocsQueuedWorker(DocsBackgroundTaskQueue queue)
{
    public async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var workItem = await queue.DequeueAsync(stoppingToken);
                await workItem(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }
}
