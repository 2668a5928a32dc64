namespace CorrectCode.RealLibraries8b;

/// <summary>
/// A common library's fault logger (Sonarr's <c>NzbDrone.Common.TPL.TaskExtensions</c>): it attaches an
/// <c>OnlyOnFaulted</c> continuation and hands the same task back for chaining, so dropping its result loses nothing.
/// </summary>
public static class TaskFaultLogging
{
    public static Task LogExceptions(this Task task)
    {
        task.ContinueWith(
            t => Console.Error.WriteLine(t.Exception!.Flatten()),
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted,
            TaskScheduler.Default);

        return task;
    }
}

/// <summary>
/// An event aggregator that runs asynchronous handlers on the pool and logs their faults, and a scheduler whose timer
/// starts a sweep each tick (Sonarr's <c>EventAggregator.PublishEvent</c> and <c>Scheduler</c>).
/// </summary>
public sealed class HandlerPublisher : IDisposable
{
    private readonly List<Action<string>> _asyncHandlers = new();
    private readonly System.Timers.Timer _timer = new(30_000);
    private readonly CancellationTokenSource _stopping = new();

    public void Subscribe(Action<string> handler) => _asyncHandlers.Add(handler);

    public void Publish(string message)
    {
        foreach (var handler in _asyncHandlers)
        {
            var handlerLocal = handler;
            Task.Factory.StartNew(
                    () => handlerLocal(message),
                    CancellationToken.None,
                    TaskCreationOptions.PreferFairness,
                    TaskScheduler.Default)
                .LogExceptions();
        }
    }

    public void Start()
    {
        _timer.Elapsed += (_, _) => Task.Run(Sweep, _stopping.Token).LogExceptions();
        _timer.Start();
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _timer.Dispose();
        _stopping.Dispose();
    }

    private void Sweep()
    {
        if (!_stopping.IsCancellationRequested)
        {
            Publish("tick");
        }
    }
}

/// <summary>
/// A happy-eyeballs connect (Sonarr's <c>HappyEyeballs.ParallelTask</c>): attempts race, the first that completes
/// successfully is kept in a local, and its result is read after the loop, when it is known complete.
/// </summary>
public sealed class FirstSuccessfulAttempt
{
    public async Task<int> ConnectAsync(IReadOnlyList<Func<CancellationToken, Task<int>>> attempts, CancellationToken cancellationToken)
    {
        using var succeeded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var running = attempts.Select(start => start(succeeded.Token)).ToList();
        var failures = new List<Exception>();
        Task<int>? success = null;

        while (running.Count > 0)
        {
            var done = await Task.WhenAny(running).ConfigureAwait(false);
            running.Remove(done);

            if (done.IsCompletedSuccessfully)
            {
                success = done;
                break;
            }

            if (done.Exception is { } failure)
            {
                failures.AddRange(failure.InnerExceptions);
            }
        }

        await succeeded.CancelAsync().ConfigureAwait(false);
        await ((Task)Task.WhenAll(running)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

        if (success == null)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw new AggregateException(failures);
        }

        return success.Result;
    }
}
