using System.Threading.Channels;

namespace CorrectCode.RealLibraries3b;

/// <summary>
/// A periodic callback started on a <see cref="PeriodicTimer"/> whose loop catches and logs the callback's errors;
/// the loop's task is dropped on purpose, and the author says so by switching off the compiler's dropped-task
/// warning around the call (EasyNetQ's <c>Timers.Start</c>). The caller disposes the timer, which ends the loop.
/// </summary>
public static class PeriodicCallbacks
{
    public static IDisposable Start(Func<Task> callback, TimeSpan period, Action<Exception> log)
    {
        var timer = new PeriodicTimer(period);
#pragma warning disable CS4014 // fire and forget: the loop reports its own errors and ends when the timer is disposed
        RunAsync(timer, callback, log);
#pragma warning restore CS4014
        return timer;
    }

    private static async Task RunAsync(PeriodicTimer timer, Func<Task> callback, Action<Exception> log)
    {
        while (await timer.WaitForNextTickAsync())
        {
            try
            {
                await callback();
            }
            catch (Exception exception)
            {
                log(exception);
            }
        }
    }
}

/// <summary>
/// A connection created once and shared: callers wait on a one-slot semaphore with their own token, the slot is taken
/// before the <c>try</c> whose <c>finally</c> gives it back, and the second check inside finds the connection another
/// caller made (EasyNetQ's <c>PersistentConnection</c>, with the token handed on).
/// </summary>
public sealed class SharedConnection : IDisposable
{
    private readonly SemaphoreSlim _mutex = new(1, 1);
    private readonly Func<CancellationToken, Task<Stream>> _connect;
    private volatile Stream? _connection;

    public SharedConnection(Func<CancellationToken, Task<Stream>> connect) => _connect = connect;

    public async Task<Stream> GetAsync(CancellationToken cancellationToken)
    {
        var connection = _connection;
        if (connection is not null)
        {
            return connection;
        }

        await _mutex.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return _connection ??= await _connect(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _mutex.Release();
        }
    }

    public void Dispose()
    {
        _connection?.Dispose();
        _mutex.Dispose();
    }
}

/// <summary>
/// A background line writer: producers post into an unbounded single-reader channel, one stored loop drains it and
/// reports formatting errors, and disposal completes the writer and awaits the loop before closing the stream
/// (ZLogger's <c>AsyncStreamLineMessageWriter</c>).
/// </summary>
public sealed class BackgroundLineWriter : IAsyncDisposable
{
    private readonly Channel<string> _channel = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TextWriter _output;
    private readonly Action<Exception> _onError;
    private readonly Task _writeLoop;

    public BackgroundLineWriter(TextWriter output, Action<Exception> onError)
    {
        _output = output;
        _onError = onError;
        _writeLoop = Task.Run(WriteLoopAsync);
    }

    public bool Post(string line) => _channel.Writer.TryWrite(line);

    private async Task WriteLoopAsync()
    {
        var reader = _channel.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            try
            {
                while (reader.TryRead(out var line))
                {
                    await _output.WriteLineAsync(line).ConfigureAwait(false);
                }

                await _output.FlushAsync().ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                _onError(exception);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _channel.Writer.TryComplete();
            await _writeLoop.ConfigureAwait(false);
        }
        finally
        {
            await _output.DisposeAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>
/// Two writers split by level and disposed together: both disposals start, and one <c>WhenAll</c> sees either's
/// failure (the joined form of ZLogger's <c>DualAsyncLogProcessor.DisposeAsync</c>).
/// </summary>
public sealed class SplitWriter : IAsyncDisposable
{
    private readonly BackgroundLineWriter _errors;
    private readonly BackgroundLineWriter _others;

    public SplitWriter(BackgroundLineWriter errors, BackgroundLineWriter others)
    {
        _errors = errors;
        _others = others;
    }

    public bool Post(string line, bool isError) => isError ? _errors.Post(line) : _others.Post(line);

    public async ValueTask DisposeAsync()
        => await Task.WhenAll(_errors.DisposeAsync().AsTask(), _others.DisposeAsync().AsTask()).ConfigureAwait(false);
}

/// <summary>
/// A publisher confirm: the completion source runs its continuations asynchronously, the broker's acknowledgement
/// completes it, and the caller's token cancels only its own wait (EasyNetQ's <c>PublishConfirmationListener</c>).
/// </summary>
public sealed class ConfirmationListener
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ulong, TaskCompletionSource<bool>> _pending = new();

    public Task<bool> Register(ulong deliveryTag)
    {
        var confirmation = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_pending.TryAdd(deliveryTag, confirmation))
        {
            throw new InvalidOperationException($"Delivery tag {deliveryTag} is already registered");
        }

        return confirmation.Task;
    }

    public void OnAck(ulong deliveryTag)
    {
        if (_pending.TryRemove(deliveryTag, out var confirmation))
        {
            confirmation.TrySetResult(true);
        }
    }

    public void OnNack(ulong deliveryTag)
    {
        if (_pending.TryRemove(deliveryTag, out var confirmation))
        {
            confirmation.TrySetResult(false);
        }
    }

    public async Task<bool> WaitAsync(Task<bool> confirmation, CancellationToken cancellationToken)
        => await confirmation.WaitAsync(cancellationToken).ConfigureAwait(false);
}
