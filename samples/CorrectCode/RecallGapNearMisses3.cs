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
