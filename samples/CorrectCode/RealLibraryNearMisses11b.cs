using System.Threading.Channels;

namespace CorrectCode.RealLibraries11b;

/// <summary>
/// BTCPay Server's event hosted service base: events are drained until the channel completes; a failure while the
/// service token is cancelled is rethrown by the first clause, any other failure is logged and the loop goes on.
/// </summary>
public abstract class EventLoopService
{
    private readonly Channel<object> _events = Channel.CreateUnbounded<object>();
    private readonly Action<Exception> _log;

    protected EventLoopService(Action<Exception> log) => _log = log;

    public void Push(object evt) => _events.Writer.TryWrite(evt);

    public void Complete() => _events.Writer.TryComplete();

    public async Task ProcessEventsAsync(CancellationToken cancellationToken)
    {
        // The current event is finished before exiting: the wait takes no token, the channel's completion ends it.
        while (await _events.Reader.WaitToReadAsync())
        {
            while (_events.Reader.TryRead(out var evt))
            {
                try
                {
                    await ProcessEventAsync(evt, cancellationToken);
                }
                catch when (cancellationToken.IsCancellationRequested)
                {
                    throw;
                }
                catch (Exception ex)
                {
                    _log(ex);
                }
            }
        }
    }

    protected abstract Task ProcessEventAsync(object evt, CancellationToken cancellationToken);
}

/// <summary>
/// BTCPay Server's exchange rate provider: symbols that could not be mapped are remembered in a concurrent dictionary
/// used as a set (the key is stored as its own value), so the costly lookup is not repeated.
/// </summary>
public sealed class SymbolMapper
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _notFoundSymbols = new();
    private readonly Func<string, Task<string?>> _lookup;

    public SymbolMapper(Func<string, Task<string?>> lookup) => _lookup = lookup;

    public async Task<string?> MapAsync(string symbol)
    {
        if (_notFoundSymbols.TryGetValue(symbol, out _))
            return null;
        var global = await _lookup(symbol);
        if (global is null)
        {
            _notFoundSymbols.TryAdd(symbol, symbol);
            return null;
        }

        return global;
    }
}

/// <summary>Stands in for ASP.NET Core's attribute of the same name (this project does not reference ASP.NET Core).</summary>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class FromServicesAttribute : Attribute
{
}

public interface IDocumentProvider
{
    Task<string> FetchAsync();
}

/// <summary>
/// BTCPay Server's Swagger action: every registered provider (one per plugin) contributes a document, fetched at once.
/// The container fills the parameter, so the application decides how many there are.
/// </summary>
public sealed class DocumentEndpoint
{
    public async Task<string> GetAsync([FromServices] IEnumerable<IDocumentProvider> providers)
    {
        var parts = await Task.WhenAll(providers.Select(provider => provider.FetchAsync()));
        return string.Join("\n", parts);
    }
}

/// <summary>
/// BTCPay Server's NBXplorer listener: the listening sessions complete a source kept in a field when the last one
/// exits; stopping waits for that or for the host to give up.
/// </summary>
public sealed class SessionListener
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Task> _sessions = new();
    private TaskCompletionSource<bool> _runningTask = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource? _cts;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _runningTask = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        _cts = new CancellationTokenSource();
        return Task.CompletedTask;
    }

    public void SessionEnded(string name)
    {
        if (_sessions.TryRemove(name, out _) && _sessions.IsEmpty && _cts is { IsCancellationRequested: true })
            _runningTask.TrySetResult(true);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_cts is { } cts)
        {
            if (_sessions.IsEmpty)
                _runningTask.TrySetResult(true);
            cts.Cancel();
            await Task.WhenAny(_runningTask.Task, Task.Delay(-1, cancellationToken));
            cts.Dispose();
            _cts = null;
        }
    }
}

/// <summary>
/// BTCPay Server's LNURL withdraw: after asking for a payout it waits for the payout's next event, or a second in case
/// the event was missed, then cancels whichever wait lost and looks at the stored state again.
/// </summary>
public sealed class PayoutWaiter
{
    private readonly Func<string, CancellationToken, Task<string>> _waitNextEvent;

    public PayoutWaiter(Func<string, CancellationToken, Task<string>> waitNextEvent) => _waitNextEvent = waitNextEvent;

    public async Task WaitPayoutChangedAsync(string payoutId, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(1000, cts.Token);
        var payoutEvent = _waitNextEvent(payoutId, cts.Token);
        await Task.WhenAny(delay, payoutEvent);
        cts.Cancel();
    }
}

/// <summary>
/// BTCPay Server's plugin crash handler: a plugin that crashed a request is disabled and the application restarts
/// three seconds later, whatever becomes of the request.
/// </summary>
public sealed class PluginCrashHandler
{
    private readonly Action _stopApplication;
    private readonly Action<string> _disablePlugin;

    public PluginCrashHandler(Action stopApplication, Action<string> disablePlugin)
    {
        _stopApplication = stopApplication;
        _disablePlugin = disablePlugin;
    }

    public ValueTask<bool> TryHandleAsync(string pluginName, Exception exception, CancellationToken cancellationToken)
    {
        _disablePlugin(pluginName);
        _ = Task.Delay(3000).ContinueWith(_ => _stopApplication(), TaskScheduler.Default);
        return ValueTask.FromResult(false);
    }
}
