using System.Collections.Concurrent;
using System.Threading.Channels;
using CorrectCode.ServerCode;

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

/// <summary>
/// One linked source per running job, kept by id so a caller can cancel it: the source is disposed by whoever takes it
/// out of the dictionary (the job when it ends, or <c>Cancel</c>), and the rest when the registry is disposed.
/// </summary>
public sealed class JobRegistry : IDisposable
{
    private readonly ConcurrentDictionary<Guid, CancellationTokenSource> _running = new();

    public async Task RunAsync(Guid id, Func<CancellationToken, Task> job, CancellationToken cancellationToken)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _running[id] = cts;
        try
        {
            await job(cts.Token);
        }
        finally
        {
            if (_running.TryRemove(id, out var removed))
            {
                removed.Dispose();
            }
        }
    }

    public bool Cancel(Guid id)
    {
        if (!_running.TryRemove(id, out var cts))
        {
            return false;
        }

        cts.Cancel();
        cts.Dispose();
        return true;
    }

    public void Dispose()
    {
        foreach (var id in _running.Keys)
        {
            Cancel(id);
        }
    }
}

/// <summary>Plain sources per session (no timer, no parent): cancelled when taken out, nothing left to dispose.</summary>
public sealed class SessionCancellations
{
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _sessions = new();

    public CancellationToken Begin(string session) => _sessions.GetOrAdd(session, _ => new CancellationTokenSource()).Token;

    public void End(string session)
    {
        if (_sessions.TryRemove(session, out var cts))
        {
            cts.Cancel();
        }
    }
}

/// <summary>
/// A context per task for work started together, and the shared context used one operation at a time (after the
/// join, or behind a semaphore).
/// </summary>
public sealed class OrderArchiver(ShopDb db, Func<ShopDb> newDb, HttpClient http)
{
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);

    public async Task<int[]> ArchiveShardsAsync(CancellationToken cancellationToken)
    {
        var shards = new[] { 0, 1, 2, 3 };
        var saved = await Task.WhenAll(shards.Select(async id =>
        {
            var own = newDb();
            own.Orders.Add(new Order(id, "archive", 0m));
            return await own.SaveChangesAsync(cancellationToken);
        }));
        await db.SaveChangesAsync(cancellationToken);
        return saved;
    }

    public Task<int[]> FetchThenSaveAsync(string[] urls, CancellationToken cancellationToken)
        => Task.WhenAll(urls.Select(async url =>
        {
            var body = await http.GetStringAsync(url, cancellationToken);
            await _oneAtATime.WaitAsync(cancellationToken);
            try
            {
                db.Orders.Add(new Order(body.Length, url, 0m));
                return await db.SaveChangesAsync(cancellationToken);
            }
            finally
            {
                _oneAtATime.Release();
            }
        }));
}
