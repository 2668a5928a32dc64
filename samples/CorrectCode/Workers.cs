using System.Collections.Concurrent;

namespace CorrectCode.Workers;

/// <summary>A hosted-service style base: the loop observes the token, Stop cancels and then awaits the loop.</summary>
public abstract class Worker : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task? _execution;

    public void Start() => _execution = ExecuteAsync(_stopping.Token);

    protected abstract Task ExecuteAsync(CancellationToken stoppingToken);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_execution is null)
        {
            return;
        }

        _stopping.Cancel();
        try
        {
            await _execution.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _stopping.Dispose();
        GC.SuppressFinalize(this);
    }
}

public sealed class MetricsPublisher : Worker
{
    private readonly IMetricsSink _sink;
    private long _published;

    public MetricsPublisher(IMetricsSink sink) => _sink = sink;

    public long Published => Interlocked.Read(ref _published);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(10));
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            await _sink.PublishAsync(stoppingToken).ConfigureAwait(false);
            Interlocked.Increment(ref _published);
        }
    }
}

public sealed class QueuePoller : Worker
{
    private readonly IQueue _queue;

    public QueuePoller(IQueue queue) => _queue = queue;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var message = await _queue.ReceiveAsync(stoppingToken).ConfigureAwait(false);
            if (message is null)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), stoppingToken).ConfigureAwait(false);
                continue;
            }

            await HandleAsync(message, stoppingToken).ConfigureAwait(false);
        }
    }

    private async Task HandleAsync(string message, CancellationToken cancellationToken)
    {
        try
        {
            await _queue.CompleteAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await _queue.AbandonAsync(message, cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>Fan-out bounded by a semaphore, every task joined with WhenAll.</summary>
public sealed class Crawler
{
    private readonly HttpClient _http;
    private readonly SemaphoreSlim _throttle = new(initialCount: 4, maxCount: 4);

    public Crawler(HttpClient http) => _http = http;

    public async Task<IReadOnlyList<string>> FetchAllAsync(IEnumerable<Uri> pages, CancellationToken cancellationToken)
    {
        var tasks = pages.Select(page => FetchAsync(page, cancellationToken)).ToList();
        return await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    private async Task<string> FetchAsync(Uri page, CancellationToken cancellationToken)
    {
        await _throttle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await _http.GetStringAsync(page, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _throttle.Release();
        }
    }

    public async Task<int> CountWordsAsync(IEnumerable<Uri> pages, CancellationToken cancellationToken)
    {
        var total = 0;
        await Parallel.ForEachAsync(
            pages,
            new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken },
            async (page, token) =>
            {
                var text = await _http.GetStringAsync(page, token).ConfigureAwait(false);
                Interlocked.Add(ref total, text.Split(' ').Length);
            }).ConfigureAwait(false);
        return total;
    }
}

/// <summary>Two independent loads started together and joined.</summary>
public sealed class ProfileService
{
    private readonly IUserStore _users;

    public ProfileService(IUserStore users) => _users = users;

    public async Task<(string Name, int Orders)> LoadAsync(int id, CancellationToken cancellationToken)
    {
        var name = _users.GetNameAsync(id, cancellationToken);
        var orders = _users.CountOrdersAsync(id, cancellationToken);
        await Task.WhenAll(name, orders).ConfigureAwait(false);
        return (await name.ConfigureAwait(false), await orders.ConfigureAwait(false));
    }

    public async Task<string?> FirstOrTimeoutAsync(int id, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            return await _users.GetNameAsync(id, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }
}

/// <summary>A callback API adapted to a task.</summary>
public sealed class LegacyClient
{
    private readonly ILegacyApi _api;

    public LegacyClient(ILegacyApi api) => _api = api;

    public Task<int> QueryAsync(string sql, CancellationToken cancellationToken)
    {
        var completion = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var registration = cancellationToken.Register(() => completion.TrySetCanceled(cancellationToken));
        _api.BeginQuery(sql, (rows, error) =>
        {
            registration.Dispose();
            if (error is null)
            {
                completion.TrySetResult(rows);
            }
            else
            {
                completion.TrySetException(error);
            }
        });
        return completion.Task;
    }
}

/// <summary>Timers owned by a field and disposed; an event handler that is async void by necessity.</summary>
public sealed class Heartbeat : IDisposable
{
    private readonly Timer _timer;
    private readonly IMetricsSink _sink;
    private int _beats;

    public Heartbeat(IMetricsSink sink)
    {
        _sink = sink;
        _timer = new Timer(_ => Interlocked.Increment(ref _beats), null, TimeSpan.Zero, TimeSpan.FromSeconds(1));
    }

    public int Beats => Volatile.Read(ref _beats);

    public async void OnConfigurationChanged(object? sender, EventArgs e)
    {
        try
        {
            await _sink.PublishAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine(ex);
        }
    }

    public void Dispose() => _timer.Dispose();
}

/// <summary>Background work whose faults are observed where it is kept.</summary>
public sealed class Outbox
{
    private readonly ConcurrentDictionary<Guid, Task> _inFlight = new();
    private readonly IQueue _queue;

    public Outbox(IQueue queue) => _queue = queue;

    public void Enqueue(string message, CancellationToken cancellationToken)
    {
        var id = Guid.NewGuid();
        var send = Task.Run(() => _queue.CompleteAsync(message, cancellationToken), cancellationToken);
        _inFlight[id] = send;
        _ = send.ContinueWith(
            (t, state) => ((Outbox)state!)._inFlight.TryRemove(id, out _),
            this,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    public Task DrainAsync() => Task.WhenAll(_inFlight.Values);
}

public interface IMetricsSink
{
    Task PublishAsync(CancellationToken cancellationToken);
}

public interface IQueue
{
    Task<string?> ReceiveAsync(CancellationToken cancellationToken);

    Task CompleteAsync(string message, CancellationToken cancellationToken);

    Task AbandonAsync(string message, CancellationToken cancellationToken);
}

public interface IUserStore
{
    Task<string> GetNameAsync(int id, CancellationToken cancellationToken);

    Task<int> CountOrdersAsync(int id, CancellationToken cancellationToken);
}

public interface ILegacyApi
{
    void BeginQuery(string sql, Action<int, Exception?> callback);
}
