using System.Diagnostics;
using System.Threading.Channels;
using System.Runtime.CompilerServices;

namespace CorrectCode.RealLibraries4a;

/// <summary>
/// An event whose cancellable wait looks at the event first and applies the token to the wait only
/// (Nito.AsyncEx's <c>AsyncManualResetEvent.WaitAsync(CancellationToken)</c>): a set event is reported as set even when
/// the token is already cancelled. The synchronous waits block on tasks that already have the token.
/// </summary>
public sealed class ManualResetSignal
{
    private readonly object _mutex = new();
    private TaskCompletionSource _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task WaitAsync()
    {
        lock (_mutex)
        {
            return _tcs.Task;
        }
    }

    public Task WaitAsync(CancellationToken cancellationToken)
    {
        var waitTask = WaitAsync();
        if (waitTask.IsCompleted)
        {
            return waitTask;
        }

        return waitTask.WaitAsync(cancellationToken);
    }

    public void Wait(CancellationToken cancellationToken)
    {
        var wait = WaitAsync(CancellationToken.None);
        if (wait.IsCompleted)
        {
            return;
        }

        wait.Wait(cancellationToken);
    }

    public void WaitUntilSetOrCancelled(CancellationToken cancellationToken)
        => WaitAsync(cancellationToken).Wait(CancellationToken.None);

    public void Set()
    {
        lock (_mutex)
        {
            _tcs.TrySetResult();
        }
    }

    public void Reset()
    {
        lock (_mutex)
        {
            if (_tcs.Task.IsCompleted)
            {
                _tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }
}

/// <summary>
/// A bounded buffer whose private <c>Empty</c> and <c>Full</c> properties are only read under its lock (Nito.AsyncEx's
/// <c>AsyncProducerConsumerQueue</c>), with a debugger view that reads the count without the lock on purpose.
/// </summary>
[DebuggerDisplay("Count = {CountForDebugger}, MaxCount = {_maxCount}")]
public sealed class BoundedBuffer<T>
{
    private readonly object _mutex = new();
    private readonly Queue<T> _queue = new();
    private readonly int _maxCount;

    public BoundedBuffer(int maxCount) => _maxCount = maxCount;

    private bool Empty => _queue.Count == 0;

    private bool Full => _queue.Count == _maxCount;

    private int CountForDebugger => _queue.Count;

    public bool TryAdd(T item)
    {
        lock (_mutex)
        {
            if (Full)
            {
                return false;
            }

            _queue.Enqueue(item);
            return true;
        }
    }

    public bool TryTake(out T item)
    {
        lock (_mutex)
        {
            if (Empty)
            {
                item = default!;
                return false;
            }

            item = _queue.Dequeue();
            return true;
        }
    }
}

/// <summary>
/// Messages scheduled for later, handed to one consumer through a semaphore created empty: the producer releases it
/// once per message, and the consumer puts the signal back when the first message is not due yet
/// (DotNetCore.CAP's <c>ScheduledMediumMessageQueue</c>).
/// </summary>
public sealed class ScheduledQueue
{
    private readonly SortedSet<(long Due, string Id)> _queue = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly object _lock = new();

    public void Enqueue(string id, long due)
    {
        lock (_lock)
        {
            _queue.Add((due, id));
        }

        _signal.Release();
    }

    public async IAsyncEnumerable<string> GetConsumingEnumerable([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await _signal.WaitAsync(cancellationToken);

            string? next = null;
            lock (_lock)
            {
                if (_queue.Count > 0 && _queue.Min.Due <= DateTime.UtcNow.Ticks)
                {
                    var first = _queue.Min;
                    _queue.Remove(first);
                    next = first.Id;
                }
            }

            if (next is not null)
            {
                yield return next;
            }
            else
            {
                _signal.Release(); // not due yet: put the signal back
                await Task.Delay(50, cancellationToken);
            }
        }
    }
}

/// <summary>A processing context that carries the server's stop token (DotNetCore.CAP's <c>ProcessingContext</c>).</summary>
public sealed class ProcessingContext
{
    public ProcessingContext(CancellationToken cancellationToken) => CancellationToken = cancellationToken;

    public CancellationToken CancellationToken { get; }

    public bool IsStopping => CancellationToken.IsCancellationRequested;

    public void ThrowIfStopping() => CancellationToken.ThrowIfCancellationRequested();

    public Task WaitAsync(TimeSpan timeout) => Task.Delay(timeout, CancellationToken);
}

public interface IProcessor
{
    Task ProcessAsync(ProcessingContext context);
}

/// <summary>
/// A processor retried until the server stops, which it learns from the context, and a retry pass that runs its work on
/// the thread pool with the context handed to it (DotNetCore.CAP's <c>InfiniteRetryProcessor</c> and
/// <c>MessageNeedToRetryProcessor</c>).
/// </summary>
public sealed class RetryingProcessor : IProcessor
{
    private readonly IProcessor _inner;
    private readonly Action<Exception> _log;

    public RetryingProcessor(IProcessor inner, Action<Exception> log)
    {
        _inner = inner;
        _log = log;
    }

    public async Task ProcessAsync(ProcessingContext context)
    {
        while (!context.IsStopping)
        {
            try
            {
                var pass = Task.Run(() => _inner.ProcessAsync(context));
                await pass.ConfigureAwait(false);
                await context.WaitAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // stopping
            }
            catch (Exception ex)
            {
                _log(ex);
                await context.WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            }
        }
    }
}

/// <summary>
/// A channel drained by a <c>ValueTask</c> loop run on the thread pool through <c>AsTask()</c>, so that the task the
/// caller awaits is the loop's own (the correct form of DotNetCore.CAP's <c>Task.Run(SendingAsync)</c>).
/// </summary>
public sealed class ChannelPump
{
    private readonly Channel<string> _channel = Channel.CreateUnbounded<string>();

    public ValueTask WriteAsync(string item, CancellationToken cancellationToken) => _channel.Writer.WriteAsync(item, cancellationToken);

    public void Complete() => _channel.Writer.TryComplete();

    public Task RunAsync(CancellationToken cancellationToken) => Task.Run(() => DrainAsync(cancellationToken).AsTask(), cancellationToken);

    private async ValueTask DrainAsync(CancellationToken cancellationToken)
    {
        await foreach (var item in _channel.Reader.ReadAllAsync(cancellationToken))
        {
            Console.WriteLine(item);
        }
    }
}
