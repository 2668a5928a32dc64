namespace CorrectCode.RecallGaps;

/// <summary>Per-item tokens from a foreach: each item's work gets its own token.</summary>
public sealed class PerItemDispatcher
{
    private readonly SemaphoreSlim _slots = new(4);

    public async Task DispatchAsync(IReadOnlyList<(string Name, CancellationToken Token)> work)
    {
        foreach (var (name, token) in work)
        {
            await _slots.WaitAsync(token).ConfigureAwait(false);
            try
            {
                await Task.Delay(name.Length, token).ConfigureAwait(false);
            }
            finally
            {
                _slots.Release();
            }
        }
    }

    public async Task TakeTurnsAsync(IEnumerable<CancellationToken> tokens)
    {
        foreach (CancellationToken token in tokens)
        {
            await _slots.WaitAsync(token).ConfigureAwait(false);
            _slots.Release();
        }
    }
}

/// <summary>A file log whose lock serializes writes to one shared writer; formatting happens in memory under the lock.</summary>
public sealed class SerializedFileLog : IDisposable
{
    private readonly object _gate = new();
    private readonly StreamWriter _writer;
    private readonly MemoryStream _pending = new();

    public SerializedFileLog(string path) => _writer = new StreamWriter(path, append: true);

    public void Write(string line)
    {
        lock (_gate)
        {
            using var text = new StringWriter();
            text.Write(DateTime.UtcNow.ToString("O"));
            text.Write(' ');
            text.WriteLine(line);
            var bytes = System.Text.Encoding.UTF8.GetBytes(text.ToString());
            _pending.Write(bytes, 0, bytes.Length);
            _writer.Write(text.ToString());
            _writer.Flush();
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _writer.Dispose();
        }
    }
}

/// <summary>A poller whose timer callback lambda only calls a private async void method that catches everything.</summary>
public sealed class InventoryPoller : IDisposable
{
    private readonly Timer _timer;
    private readonly Func<CancellationToken, Task<int>> _poll;
    private readonly CancellationTokenSource _stopping = new();
    private int _lastCount;

    public InventoryPoller(Func<CancellationToken, Task<int>> poll)
    {
        _poll = poll;
        _timer = new Timer(_ => Tick(), null, TimeSpan.Zero, TimeSpan.FromSeconds(30));
    }

    public int LastCount => Volatile.Read(ref _lastCount);

    private async void Tick()
    {
        try
        {
            var count = await _poll(_stopping.Token).ConfigureAwait(false);
            Volatile.Write(ref _lastCount, count);
        }
        catch (Exception e)
        {
            Console.Error.WriteLine(e);
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _timer.Dispose();
        _stopping.Dispose();
    }
}

/// <summary>A per-operation object made by a factory keeps its own token: not shared, so not stored beyond its request.</summary>
public sealed class ExportJob
{
    private CancellationToken _cancellation;
    private int _exported;

    private ExportJob()
    {
    }

    public static ExportJob Create() => new();

    public int Exported => _exported;

    public async Task RunAsync(IReadOnlyList<string> rows, CancellationToken cancellationToken)
    {
        _cancellation = cancellationToken;
        foreach (var row in rows)
        {
            await Task.Delay(row.Length, _cancellation).ConfigureAwait(false);
            _exported++;
        }
    }
}

/// <summary>A bounded queue created in the constructor; the producer loop passes its token on every write.</summary>
public sealed class BoundedJobQueue
{
    private readonly System.Threading.Channels.Channel<string> _jobs;

    public BoundedJobQueue(int capacity)
    {
        _jobs = System.Threading.Channels.Channel.CreateBounded<string>(capacity);
    }

    public System.Threading.Channels.ChannelReader<string> Reader => _jobs.Reader;

    public async Task ProduceAsync(IEnumerable<string> jobs, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var job in jobs)
            {
                await _jobs.Writer.WriteAsync(job, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _jobs.Writer.TryComplete();
        }
    }
}

/// <summary>A callback API wrapped in a task: the catch around the registration fails the task instead of dropping it.</summary>
public sealed class CallbackBridge
{
    private readonly Action<int, Action<string>> _start;

    public CallbackBridge(Action<int, Action<string>> start) => _start = start;

    public Task<string> CallAsync(int id, CancellationToken cancellationToken)
    {
        var tcs = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var registration = cancellationToken.Register(() => tcs.TrySetCanceled(cancellationToken));
        try
        {
            _start(id, reply => tcs.TrySetResult(reply));
        }
        catch (Exception ex)
        {
            tcs.TrySetException(ex);
        }

        return AwaitAsync(tcs.Task, registration);
    }

    private static async Task<string> AwaitAsync(Task<string> task, CancellationTokenRegistration registration)
    {
        using (registration)
        {
            return await task.ConfigureAwait(false);
        }
    }
}
