namespace CorrectCode.RecallGaps2;

/// <summary>
/// Helpers called under a lock that look like sync-over-async wrappers but do not block on incomplete work: a task
/// known complete, one tested before it is read, one handed in by the caller, a wait deferred into a lambda.
/// </summary>
public sealed class SettingsCache
{
    private readonly object _gate = new();
    private readonly Task<string> _warmup = Task.FromResult("warm");
    private string _value = string.Empty;
    private Func<string>? _reload;

    public string Value
    {
        get
        {
            lock (_gate)
            {
                return _value;
            }
        }
    }

    public void Refresh(Task<string> loaded)
    {
        lock (_gate)
        {
            _value = Completed() + Probed(loaded) + Handed(loaded);
            _reload = Deferred();
        }
    }

    public string Reload()
    {
        Func<string>? reload;
        lock (_gate)
        {
            reload = _reload;
        }

        return reload is null ? Value : reload();
    }

    private static string Completed() => Task.FromResult("fixed").Result;

    private static string Probed(Task<string> pending) => pending.IsCompletedSuccessfully ? pending.Result : "pending";

    private static string Handed(Task<string> loaded) => loaded.IsCompleted ? loaded.Result : string.Empty;

    private Func<string> Deferred() => () => _warmup.GetAwaiter().GetResult();
}

/// <summary>The context of one handled request, with its abort token (like HttpContext or ServerCallContext).</summary>
public sealed class AuditRequestContext
{
    public CancellationToken RequestAborted { get; init; }

    public string User { get; init; } = string.Empty;
}

/// <summary>
/// A handler that fires and forgets its audit write: the work is meant to outlive the request, so it does not get
/// the request's abort token. The request's own awaited work does.
/// </summary>
public sealed class AuditingHandler
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _audit = new();

    public int Pending => _audit.Count;

    public async Task HandleAsync(AuditRequestContext context)
    {
        var user = context.User;
        _ = Task.Run(async () =>
        {
            await Task.Delay(10).ConfigureAwait(false);
            _audit.Enqueue(user);
        });

        await Task.Delay(1, context.RequestAborted).ConfigureAwait(false);
    }
}

/// <summary>A handler list that subscribers change and a timer walks: both under the same lock, the walk over a copy.</summary>
public sealed class TickBroadcaster : IDisposable
{
    private readonly object _gate = new();
    private readonly List<Action<int>> _handlers = new();
    private readonly Timer _timer;
    private int _ticks;

    public TickBroadcaster()
    {
        _timer = new Timer(_ =>
        {
            Action<int>[] snapshot;
            lock (_gate)
            {
                snapshot = _handlers.ToArray();
            }

            var tick = Interlocked.Increment(ref _ticks);
            foreach (var handler in snapshot)
            {
                handler(tick);
            }
        }, null, 1000, 1000);
    }

    public void Subscribe(Action<int> handler)
    {
        lock (_gate)
        {
            _handlers.Add(handler);
        }
    }

    public void Dispose() => _timer.Dispose();
}

/// <summary>Configure, then start: jobs are registered before the loop that walks them is started, once.</summary>
public sealed class JobLoop
{
    private readonly List<Func<CancellationToken, Task>> _jobs = new();
    private Task? _loop;

    public void Register(Func<CancellationToken, Task> job) => _jobs.Add(job);

    public void Start(CancellationToken stopping)
    {
        _loop ??= Task.Run(async () =>
        {
            while (!stopping.IsCancellationRequested)
            {
                foreach (var job in _jobs)
                {
                    await job(stopping).ConfigureAwait(false);
                }

                await Task.Delay(1000, stopping).ConfigureAwait(false);
            }
        }, stopping);
    }

    public Task Completion => _loop ?? Task.CompletedTask;
}

/// <summary>Probes registered first, then a timer started once that runs a method walking them.</summary>
public sealed class HealthProbes : IDisposable
{
    private readonly List<Func<bool>> _probes = new();
    private Timer? _timer;
    private int _failures;

    public int Failures => Volatile.Read(ref _failures);

    public void AddProbe(Func<bool> probe) => _probes.Add(probe);

    public void StartProbing() => _timer ??= new Timer(Probe, null, 1000, 5000);

    public void Dispose() => _timer?.Dispose();

    private void Probe(object? state)
    {
        foreach (var probe in _probes)
        {
            if (!probe())
            {
                Interlocked.Increment(ref _failures);
            }
        }
    }
}
