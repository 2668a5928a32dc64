using System.Collections.Concurrent;

namespace CorrectCode.RealLibraries7a;

public enum BreakerPhase
{
    Closed,
    Open,
    HalfOpen,
    Isolated,
}

/// <summary>
/// A scoped monitor in the style of Polly's <c>TimedLock</c>: <c>using var _ = ScopedMonitor.Acquire(gate);</c> holds the
/// monitor to the end of the block.
/// </summary>
public readonly struct ScopedMonitor : IDisposable
{
    private readonly object _target;

    private ScopedMonitor(object target) => _target = target;

    public static ScopedMonitor Acquire(object target)
    {
        if (!Monitor.TryEnter(target, TimeSpan.FromMilliseconds(int.MaxValue)))
        {
            throw new TimeoutException("Timeout waiting for lock");
        }

        return new ScopedMonitor(target);
    }

    public void Dispose() => Monitor.Exit(_target);
}

/// <summary>
/// A circuit controller in the style of Polly v7's <c>CircuitStateController</c>: the base keeps the state and
/// offers protected <c>*_NeedsLock</c> helpers that the derived controllers call inside the base's lock; the state is
/// re-checked under the lock after a cheap unlocked look, and the half-open probe is claimed with a compare-exchange.
/// </summary>
public abstract class BreakerControllerBase
{
    protected readonly object Gate = new();
    protected readonly TimeSpan BreakDuration;
    protected long BlockedTill;
    protected BreakerPhase Phase;
    protected Exception? LastFailure;

    protected BreakerControllerBase(TimeSpan breakDuration)
    {
        BreakDuration = breakDuration;
        Phase = BreakerPhase.Closed;
    }

    public BreakerPhase CurrentPhase
    {
        get
        {
            if (Phase != BreakerPhase.Open)
            {
                return Phase;
            }

            using var scope = ScopedMonitor.Acquire(Gate);
            if (Phase == BreakerPhase.Open && DateTime.UtcNow.Ticks >= BlockedTill)
            {
                Phase = BreakerPhase.HalfOpen;
            }

            return Phase;
        }
    }

    public void Isolate()
    {
        using var scope = ScopedMonitor.Acquire(Gate);
        LastFailure = new InvalidOperationException("isolated");
        OpenFor_NeedsLock(TimeSpan.MaxValue);
        Phase = BreakerPhase.Isolated;
    }

    public abstract void OnSuccess();

    public abstract void OnFailure(Exception failure);

    protected bool TryClaimProbe()
    {
        var blockedTill = BlockedTill;
        if (DateTime.UtcNow.Ticks < blockedTill)
        {
            return false;
        }

        return Interlocked.CompareExchange(ref BlockedTill, DateTime.UtcNow.Ticks + BreakDuration.Ticks, blockedTill) == blockedTill;
    }

    protected void Open_NeedsLock() => OpenFor_NeedsLock(BreakDuration);

    protected void Reset_NeedsLock()
    {
        BlockedTill = DateTime.MinValue.Ticks;
        LastFailure = null;
        Phase = BreakerPhase.Closed;
    }

    private void OpenFor_NeedsLock(TimeSpan duration)
    {
        var now = (ulong)DateTime.UtcNow.Ticks;
        BlockedTill = (long)Math.Min(now + (ulong)duration.Ticks, (ulong)DateTime.MaxValue.Ticks);
        Phase = BreakerPhase.Open;
    }
}

public sealed class ConsecutiveFailureController : BreakerControllerBase
{
    private readonly int _allowed;
    private int _consecutive;

    public ConsecutiveFailureController(int allowed, TimeSpan breakDuration)
        : base(breakDuration) => _allowed = allowed;

    public override void OnSuccess()
    {
        using var scope = ScopedMonitor.Acquire(Gate);
        _consecutive = 0;
        if (Phase == BreakerPhase.HalfOpen)
        {
            Reset_NeedsLock();
        }
    }

    public override void OnFailure(Exception failure)
    {
        using var scope = ScopedMonitor.Acquire(Gate);
        LastFailure = failure;
        if (Phase == BreakerPhase.HalfOpen || ++_consecutive >= _allowed)
        {
            Open_NeedsLock();
        }
    }
}

/// <summary>
/// Manual control in the style of Polly v8's <c>CircuitBreakerManualControl</c>: callbacks are registered under a
/// lock, copied out under it, and run after it is released.
/// </summary>
public sealed class ManualBreakerControl
{
    private readonly object _gate = new();
    private readonly HashSet<Func<CancellationToken, Task>> _onIsolate = [];
    private bool _isolated;

    public IDisposable Register(Func<CancellationToken, Task> onIsolate)
    {
        bool isolated;
        lock (_gate)
        {
            _onIsolate.Add(onIsolate);
            isolated = _isolated;
        }

        if (isolated)
        {
            onIsolate(CancellationToken.None).GetAwaiter().GetResult();
        }

        return new Registration(this, onIsolate);
    }

    public async Task IsolateAsync(CancellationToken cancellationToken)
    {
        Func<CancellationToken, Task>[] callbacks;
        lock (_gate)
        {
            callbacks = [.. _onIsolate];
            _isolated = true;
        }

        foreach (var callback in callbacks)
        {
            await callback(cancellationToken).ConfigureAwait(false);
        }
    }

    private void Remove(Func<CancellationToken, Task> onIsolate)
    {
        lock (_gate)
        {
            _onIsolate.Remove(onIsolate);
        }
    }

    private sealed class Registration(ManualBreakerControl owner, Func<CancellationToken, Task> onIsolate) : IDisposable
    {
        public void Dispose() => owner.Remove(onIsolate);
    }
}

/// <summary>
/// A one-at-a-time callback runner in the style of Polly v8's <c>ScheduledTaskExecutor</c>: entries go on a
/// concurrent queue with a completion source that resumes its awaiter asynchronously, and one pump started in the
/// constructor and kept in a property drains them.
/// </summary>
public sealed class SerialCallbackRunner : IDisposable
{
    private readonly ConcurrentQueue<(Func<Task> Work, TaskCompletionSource<bool> Done)> _entries = new();
    private readonly SemaphoreSlim _signal = new(0);
    private volatile bool _disposed;

    public SerialCallbackRunner() => Pump = Task.Run(PumpAsync);

    public Task Pump { get; }

    public Task Schedule(Func<Task> work)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        _entries.Enqueue((work, done));
        _signal.Release();
        return done.Task;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _signal.Release();
        while (_entries.TryDequeue(out var entry))
        {
            entry.Done.TrySetCanceled();
        }

        Pump.Wait(TimeSpan.FromSeconds(1));
        _signal.Dispose();
    }

    private async Task PumpAsync()
    {
        while (!_disposed)
        {
            await _signal.WaitAsync().ConfigureAwait(false);
            if (_disposed || !_entries.TryDequeue(out var entry))
            {
                return;
            }

            try
            {
                await entry.Work().ConfigureAwait(false);
                entry.Done.TrySetResult(true);
            }
            catch (Exception ex)
            {
                entry.Done.TrySetException(ex);
            }
        }
    }
}

/// <summary>
/// A resilience pipeline in the style of Polly v8's <c>ResiliencePipeline.ExecuteAsync</c>: the callback gets a token
/// linked to the caller's and to a timeout, and uses it; a callback may still read the caller's token for work that
/// must outlive the timeout.
/// </summary>
public sealed class TimeoutPipeline(TimeSpan timeout)
{
    public async ValueTask ExecuteAsync(Func<CancellationToken, ValueTask> callback, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        linked.CancelAfter(timeout);
        await callback(linked.Token).ConfigureAwait(false);
    }
}

public static class TimeoutPipelineUse
{
    public static async Task SyncAsync(TimeoutPipeline pipeline, int[] ids, CancellationToken cancellationToken)
    {
        await pipeline.ExecuteAsync(static async token => await Task.Delay(TimeSpan.FromMilliseconds(5), token).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

        await pipeline.ExecuteAsync(
            async token =>
            {
                await Task.Delay(TimeSpan.FromMilliseconds(5), token).ConfigureAwait(false);
                await Task.Delay(TimeSpan.FromMilliseconds(1), cancellationToken).ConfigureAwait(false); // the audit step outlives the timeout
            },
            cancellationToken).ConfigureAwait(false);

        await Parallel.ForEachAsync(ids, cancellationToken, static async (id, token) => await Task.Delay(id, token).ConfigureAwait(false)).ConfigureAwait(false);
    }
}
