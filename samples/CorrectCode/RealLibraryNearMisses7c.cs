namespace CorrectCode.RealLibraries7c;

public enum ReaderStatus
{
    Rest,
    Active,
    Waiting,
}

/// <summary>
/// A receive path in the style of Garnet's TLS network handler: the network thread adds the bytes it received and
/// hands control to a reader, which signals back through a semaphore the constructor creates empty
/// (<c>if (_expecting.CurrentCount == 0) _expecting.Release();</c>). The semaphores are signals between the two, not
/// locks: the counters are owned by whichever side has control, and the plain receive path updates them as well.
/// </summary>
public sealed class TlsReceiveBuffer : IDisposable
{
    private readonly SemaphoreSlim _received;
    private readonly SemaphoreSlim _expecting;
    private readonly CancellationTokenSource _cancellation = new();
    private readonly byte[] _network = new byte[4096];
    private volatile ReaderStatus _status;
    private int _networkBytesRead;
    private int _transportBytesRead;
    private int _disposeCount;

    public TlsReceiveBuffer()
    {
        _received = new SemaphoreSlim(0);
        _expecting = new SemaphoreSlim(0);
        _status = ReaderStatus.Rest;
    }

    public int Pending => _networkBytesRead - _transportBytesRead;

    public void OnReceivePlain(int count)
    {
        _networkBytesRead += count;
        _transportBytesRead = _networkBytesRead;
    }

    public async ValueTask OnReceiveAsync(int count)
    {
        while (_status == ReaderStatus.Active)
        {
            await _expecting.WaitAsync(_cancellation.Token).ConfigureAwait(false);
        }

        _networkBytesRead += count;
        if (_status == ReaderStatus.Waiting)
        {
            _status = ReaderStatus.Active;
            _ = _received.Release();
        }
        else
        {
            _status = ReaderStatus.Active;
            _ = ReadLoopAsync(_cancellation.Token);
        }

        while (_status == ReaderStatus.Active)
        {
            await _expecting.WaitAsync(_cancellation.Token).ConfigureAwait(false);
        }
    }

    public async Task<int> WaitForDataAsync(CancellationToken cancellationToken)
    {
        while (_networkBytesRead == _transportBytesRead)
        {
            _status = ReaderStatus.Waiting;
            if (_expecting.CurrentCount == 0)
            {
                _expecting.Release();
            }

            await _received.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        return _networkBytesRead - _transportBytesRead;
    }

    private async Task ReadLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            _transportBytesRead = Math.Min(_networkBytesRead, _network.Length);
            _status = ReaderStatus.Rest;
            if (_expecting.CurrentCount == 0)
            {
                _expecting.Release();
            }
        }
        catch (OperationCanceledException)
        {
            _status = ReaderStatus.Rest;
            if (_expecting.CurrentCount == 0)
            {
                _expecting.Release();
            }
        }
    }

    public void Dispose()
    {
        if (Interlocked.Increment(ref _disposeCount) != 1)
        {
            return;
        }

        _cancellation.Cancel();
        _received.Release();
        _received.Dispose();
        _expecting.Release();
        _expecting.Dispose();
        _cancellation.Dispose();
    }
}

/// <summary>
/// A network sender in the style of Garnet's <c>GarnetTcpNetworkSender</c>: the session takes the send lock with
/// <c>EnterAndGetResponseObject()</c>, writes into the response buffer through the other methods, and gives the lock
/// back with <c>ExitAndReturnResponseObject()</c>. The buffer field is only used between the two.
/// </summary>
public sealed class PooledResponseSender
{
    private readonly Stack<byte[]> _pool = new();
    private readonly int _bufferSize;
    private SpinLock _spinLock = new(enableThreadOwnerTracking: false);
    private byte[]? _response;

    public PooledResponseSender(int bufferSize) => _bufferSize = bufferSize;

    public void Enter()
    {
        var lockTaken = false;
        _spinLock.Enter(ref lockTaken);
    }

    public byte[] EnterAndGetResponseObject()
    {
        var lockTaken = false;
        _spinLock.Enter(ref lockTaken);
        _response = _pool.Count > 0 ? _pool.Pop() : new byte[_bufferSize];
        return _response;
    }

    public void Exit() => _spinLock.Exit();

    public void ExitAndReturnResponseObject()
    {
        if (_response is not null)
        {
            _pool.Push(_response);
            _response = null;
        }

        _spinLock.Exit();
    }

    public byte[] GetResponseObject()
    {
        _response ??= _pool.Count > 0 ? _pool.Pop() : new byte[_bufferSize];
        return _response;
    }

    public bool SendResponse(Stream destination, int size)
    {
        var response = _response;
        if (response is null)
        {
            return false;
        }

        _response = null;
        destination.Write(response, 0, size);
        _pool.Push(response);
        return true;
    }
}

/// <summary>
/// A replica's sync attach in the style of Garnet's replication manager: the reset source is created with the
/// object, replaced by a new one when it cannot be reset, and never cleared, so the defensive <c>??=</c> on the
/// background path creates nothing.
/// </summary>
public sealed class ReplicaSyncAttach : IDisposable
{
    private readonly CancellationTokenSource _shutdown = new();
    private CancellationTokenSource _resetHandler = new();

    public Task<bool> AttachInBackgroundAsync(Func<CancellationToken, Task> sync)
        => Task.Run(() => AttachAsync(sync));

    public void Reset() => _resetHandler.Cancel();

    private async Task<bool> AttachAsync(Func<CancellationToken, Task> sync)
    {
        _resetHandler ??= new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_shutdown.Token, _resetHandler.Token);
        try
        {
            await sync(linked.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        finally
        {
            if (!_resetHandler.TryReset())
            {
                _resetHandler.Dispose();
                _resetHandler = new CancellationTokenSource();
            }
        }
    }

    public void Dispose()
    {
        _shutdown.Cancel();
        _shutdown.Dispose();
        _resetHandler.Dispose();
    }
}
