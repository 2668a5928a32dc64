namespace CorrectCode.RealLibraries11a;

/// <summary>
/// Duplicati's backend manager shutdown: it gives its queue runner one second to finish, then looks at the runner
/// itself. The blocking wait on <c>WhenAny</c> hands back the winner, which is already complete and still held.
/// </summary>
public sealed class BackendQueueOwner : IDisposable
{
    private readonly Task _queueRunner;
    private readonly Action<string> _log;

    public BackendQueueOwner(Func<Task> runQueue, Action<string> log)
    {
        _queueRunner = Task.Run(runQueue);
        _log = log;
    }

    public void Dispose()
    {
        if (!_queueRunner.IsCompleted)
        {
            Task.WhenAny(_queueRunner, Task.Delay(1000)).GetAwaiter().GetResult();

            if (!_queueRunner.IsCompleted)
                _log("queue runner did not stop");
            if (_queueRunner.IsFaulted)
                _log("queue runner crashed: " + _queueRunner.Exception?.GetBaseException().Message);
        }
    }
}
