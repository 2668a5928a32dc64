namespace CorrectCode.RealLibraries5b;

/// <summary>A single-threaded executor's callback API: an action and its state, run later on the loop.</summary>
public interface ILoopExecutor
{
    bool InLoop { get; }

    void Execute(Action<object> action, object state);

    void Execute(Action<object, object> action, object context, object state);
}

/// <summary>
/// A pool whose operations must run on its loop (DotNetty's <c>FixedChannelPool.Acquire0</c>/<c>Release0</c>): off the
/// loop, the caller makes a promise, hands it to a private <c>async void</c> bridge through the executor's callback API,
/// and returns the promise's task. The bridge completes the promise on every path, so nothing it does goes unseen.
/// </summary>
public sealed class LoopBoundPool
{
    private readonly ILoopExecutor _loop;
    private readonly Stack<string> _idle = new();

    public LoopBoundPool(ILoopExecutor loop) => _loop = loop;

    public Task<string> AcquireAsync()
    {
        if (_loop.InLoop)
        {
            return DoAcquireAsync();
        }

        var promise = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        _loop.Execute(Acquire0, promise);
        return promise.Task;
    }

    public Task<bool> ReleaseAsync(string item)
    {
        if (_loop.InLoop)
        {
            return DoReleaseAsync(item);
        }

        var promise = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        _loop.Execute(Release0, item, promise);
        return promise.Task;
    }

    private async void Acquire0(object state)
    {
        var promise = (TaskCompletionSource<string>)state;
        try
        {
            var item = await DoAcquireAsync();
            promise.TrySetResult(item);
        }
        catch (Exception ex)
        {
            promise.TrySetException(ex);
        }
    }

    private async void Release0(object item, object state)
    {
        var promise = state as TaskCompletionSource<bool>;
        try
        {
            var released = await DoReleaseAsync((string)item);
            promise!.TrySetResult(released);
        }
        catch (Exception ex)
        {
            promise!.TrySetException(ex);
        }
    }

    private async Task<string> DoAcquireAsync()
    {
        await Task.Yield();
        return _idle.Count > 0 ? _idle.Pop() : Guid.NewGuid().ToString("N");
    }

    private async Task<bool> DoReleaseAsync(string item)
    {
        await Task.Yield();
        _idle.Push(item);
        return true;
    }
}

/// <summary>
/// A store shared between processes through a named mutex (LiteDB's <c>SharedEngine</c>): <c>Open</c> takes the mutex
/// (an abandoned one is owned all the same) and returns holding it, giving it back only when opening fails; the
/// caller's <c>finally</c> calls <c>Close</c>, which releases it.
/// </summary>
public sealed class CrossProcessStore : IDisposable
{
    private readonly Mutex _mutex;
    private MemoryStream? _file;

    public CrossProcessStore(string name) => _mutex = new Mutex(false, "Global\\" + name + ".Mutex");

    public long Append(byte[] record)
    {
        Open();
        try
        {
            _file!.Write(record, 0, record.Length);
            return _file.Length;
        }
        finally
        {
            Close();
        }
    }

    public void Dispose() => _mutex.Dispose();

    private void Open()
    {
        try
        {
            _mutex.WaitOne();
        }
        catch (AbandonedMutexException)
        {
        }

        try
        {
            _file = new MemoryStream();
        }
        catch
        {
            _mutex.ReleaseMutex();
            throw;
        }
    }

    private void Close()
    {
        _file?.Dispose();
        _file = null;
        _mutex.ReleaseMutex();
    }
}

/// <summary>
/// A pending read published in a field and cleared lazily (DotNetty's <c>LocalChannel.finishReadFuture</c>): the clear
/// only happens if the field still holds the task this call saw, and the replaced task is not work to observe.
/// </summary>
public sealed class PendingReadSlot
{
    private Task? _finishRead;

    public Task Schedule(Func<Task> read)
    {
        var task = read();
        Volatile.Write(ref _finishRead, task);
        return task;
    }

    public void Clear(Task seen)
    {
        if (seen.IsCompleted)
        {
            Interlocked.CompareExchange(ref _finishRead, null, seen);
        }
    }

    public bool HasPending => Volatile.Read(ref _finishRead) is { IsCompleted: false };
}
