namespace CorrectCode.RealLibraries7b;

/// <summary>
/// A storage contract whose token overloads are default interface methods falling back to the token-less ones, for
/// implementations written before the token existed (Orleans' <c>IGrainStorage</c>). Passing the token there would make
/// each default call itself.
/// </summary>
public interface IStateStorage
{
    Task ReadStateAsync(string stateName, string id);

    Task ReadStateAsync(string stateName, string id, CancellationToken cancellationToken)
        => ReadStateAsync(stateName, id);

    Task WriteStateAsync(string stateName, string id, ReadOnlyMemory<byte> state);

    Task WriteStateAsync(string stateName, string id, ReadOnlyMemory<byte> state, CancellationToken cancellationToken)
        => WriteStateAsync(stateName, id, state);
}

/// <summary>An implementation that has the token: its callers pass it.</summary>
public sealed class MemoryStateStorage : IStateStorage
{
    private readonly Dictionary<(string, string), byte[]> _states = new();
    private readonly object _gate = new();

    public Task ReadStateAsync(string stateName, string id) => ReadStateAsync(stateName, id, CancellationToken.None);

    public Task ReadStateAsync(string stateName, string id, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            _ = _states.ContainsKey((stateName, id));
        }

        return Task.CompletedTask;
    }

    public Task WriteStateAsync(string stateName, string id, ReadOnlyMemory<byte> state)
        => WriteStateAsync(stateName, id, state, CancellationToken.None);

    public Task WriteStateAsync(string stateName, string id, ReadOnlyMemory<byte> state, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            _states[(stateName, id)] = state.ToArray();
        }

        return Task.CompletedTask;
    }
}

/// <summary>Completes when the token is cancelled (Orleans' <c>CancellationToken.WhenCancelled()</c>).</summary>
public static class TokenWaits
{
    public static Task WhenCancelled(this CancellationToken token)
    {
        if (token.IsCancellationRequested)
        {
            return Task.CompletedTask;
        }

        var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        token.Register(static state => ((TaskCompletionSource)state!).TrySetResult(), completion);
        return completion.Task;
    }
}

/// <summary>
/// A lifecycle participant's stop (Orleans' membership services): it signals its loops, then gives them a minimum
/// grace period that lasts until both the delay has passed and the stop's token is cancelled.
/// </summary>
public sealed class GracefulMembershipAgent
{
    private static readonly TimeSpan ShutdownGracePeriod = TimeSpan.FromSeconds(5);
    private readonly CancellationTokenSource _shutdown = new();
    private Task _updates = Task.CompletedTask;

    public Task StartAsync()
    {
        _updates = ProcessUpdatesAsync(_shutdown.Token);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken ct)
    {
        _shutdown.Cancel();
        var cancellationTask = ct.WhenCancelled();
        var gracePeriod = Task.WhenAll(Task.Delay(ShutdownGracePeriod), cancellationTask);
        var finished = await Task.WhenAny(gracePeriod, _updates);
        if (finished == _updates)
        {
            await _updates;
        }

        _shutdown.Dispose();
    }

    private static async Task ProcessUpdatesAsync(CancellationToken token)
    {
        try
        {
            while (!token.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), token);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
    }
}

/// <summary>
/// A silo lifecycle participant (Orleans' <c>IncomingRequestMonitor</c>, <c>LocalSiloHealthMonitor</c>): its start
/// callback launches the monitoring loop and keeps it; its stop ends the loop and joins it. The start's token abandons
/// the start, not the loop.
/// </summary>
public sealed class WorkingSetMonitor : IAsyncDisposable
{
    private readonly PeriodicTimer _scanTimer = new(TimeSpan.FromSeconds(10));
    private readonly List<Task> _tasks = new();
    private Task? _runTask;
    private int _scans;

    public int Scans => Volatile.Read(ref _scans);

    public Task StartMonitoring(CancellationToken ct)
    {
        _runTask = Task.Run(MonitorAsync);
        _tasks.Add(Task.Run(() => MonitorAsync()));
        return Task.CompletedTask;
    }

    public async Task StopMonitoring(CancellationToken ct)
    {
        _scanTimer.Dispose();
        if (_runTask is { } task)
        {
            await task.WaitAsync(ct).ConfigureAwait(false);
        }

        await Task.WhenAll(_tasks).WaitAsync(ct).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync() => await StopMonitoring(CancellationToken.None).ConfigureAwait(false);

    private async Task MonitorAsync()
    {
        while (await _scanTimer.WaitForNextTickAsync().ConfigureAwait(false))
        {
            Interlocked.Increment(ref _scans);
        }
    }
}

/// <summary>Observes a task's fault and drops it (Orleans' <c>Ignore()</c>).</summary>
public static class FaultObservers
{
    public static void Ignore(this Task task)
    {
        if (!task.IsCompleted)
        {
            task.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        else
        {
            _ = task.Exception;
        }
    }
}

/// <summary>
/// A best-effort last status update on the way down (Orleans' <c>MembershipTableManager</c>): each update gets half a
/// second, its fault is ignored on purpose, and shutdown goes on either way.
/// </summary>
public sealed class StatusPublisher
{
    private int _published;

    public async Task PublishTerminatingAsync()
    {
        var updateTask = WriteStatusAsync();
        updateTask.Ignore();
        await Task.WhenAny(Task.Delay(TimeSpan.FromMilliseconds(500)), updateTask);

        var gossipTask = WriteStatusAsync();
        gossipTask.Ignore();
        await Task.WhenAny(Task.Delay(TimeSpan.FromMilliseconds(500)), gossipTask);
    }

    private async Task WriteStatusAsync()
    {
        await Task.Yield();
        Interlocked.Increment(ref _published);
    }
}

/// <summary>
/// A lifecycle participant whose start and stop callbacks share a list of background loops (Orleans'
/// <c>ClusterHealthMonitor</c>): the stop signals them and gives them a grace period.
/// </summary>
public sealed class ClusterHealthWatcher
{
    private static readonly TimeSpan ShutdownGracePeriod = TimeSpan.FromSeconds(5);
    private readonly CancellationTokenSource _shutdown = new();
    private int _rounds;

    public (Func<CancellationToken, Task> Start, Func<CancellationToken, Task> Stop) Participate()
    {
        var tasks = new List<Task>();

        Task OnStart(CancellationToken ct)
        {
            tasks.Add(WatchAsync(_shutdown.Token));
            return Task.CompletedTask;
        }

        async Task OnStop(CancellationToken ct)
        {
            _shutdown.Cancel();
            var shutdownGracePeriod = Task.WhenAll(Task.Delay(ShutdownGracePeriod), ct.WhenCancelled());
            await Task.WhenAny(shutdownGracePeriod, Task.WhenAll(tasks));
        }

        return (OnStart, OnStop);
    }

    private async Task WatchAsync(CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            Interlocked.Increment(ref _rounds);
            await Task.Delay(TimeSpan.FromSeconds(1), token).ContinueWith(static _ => { }, TaskScheduler.Default);
        }
    }
}
