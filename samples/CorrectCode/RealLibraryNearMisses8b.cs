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
