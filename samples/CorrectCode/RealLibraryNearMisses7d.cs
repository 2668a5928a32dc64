namespace CorrectCode.RealLibraries7d;

/// <summary>
/// A base class for long-running components (MassTransit's agents): it owns the stop signal and exposes it to the
/// derived classes as a token property.
/// </summary>
public abstract class StoppableAgent : IDisposable
{
    private readonly CancellationTokenSource _stopping = new CancellationTokenSource();

    protected CancellationToken Stopping => _stopping.Token;

    protected bool IsStopping => _stopping.IsCancellationRequested;

    public void Stop() => _stopping.Cancel();

    public void Dispose() => _stopping.Dispose();
}

/// <summary>The context a transport hands to its receivers; its token ends the connection, not one receiver.</summary>
public interface IClientContext
{
    CancellationToken CancellationToken { get; }

    Task<int> ReceiveAsync(CancellationToken cancellationToken);
}

/// <summary>
/// A receiver started from its constructor (MassTransit's SQL and in-memory receive agents): the loop runs until the
/// agent's own <c>Stopping</c> token, declared by the base class, fires; the connection's token is not this loop's.
/// </summary>
public sealed class PollingReceiver : StoppableAgent
{
    private readonly IClientContext _client;
    private readonly Task _consume;
    private int _received;

    public PollingReceiver(IClientContext client)
    {
        _client = client;
        _consume = Task.Run(() => Consume());
    }

    public int Received => Volatile.Read(ref _received);

    public Task Completion => _consume;

    private async Task Consume()
    {
        while (!IsStopping)
        {
            try
            {
                var count = await _client.ReceiveAsync(Stopping).ConfigureAwait(false);
                Interlocked.Add(ref _received, count);
            }
            catch (OperationCanceledException) when (IsStopping)
            {
                break;
            }
        }
    }
}

/// <summary>A receive endpoint a kill switch can stop and restart.</summary>
public interface IReceiveEndpoint
{
    Task StopAsync(CancellationToken cancellationToken);

    Task StartAsync(CancellationToken cancellationToken);
}

/// <summary>
/// A kill switch (MassTransit's <c>KillSwitch</c>): called from a consume observer, it moves the endpoint to another
/// state off the calling thread. The async methods catch and log everything, so the dropped tasks cannot fault.
/// </summary>
public sealed class KillSwitch
{
    private readonly IReceiveEndpoint _endpoint;
    private readonly TimeSpan _restartTimeout;
    private int _state;

    public KillSwitch(IReceiveEndpoint endpoint, TimeSpan restartTimeout)
    {
        _endpoint = endpoint;
        _restartTimeout = restartTimeout;
    }

    public void Trip(string reason)
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            return;
        }

        Task.Run(() => StopEndpoint(reason, _restartTimeout));
    }

    public void Restart()
    {
        if (Interlocked.CompareExchange(ref _state, 0, 1) != 1)
        {
            return;
        }

        Task.Run(() => RestartEndpoint());
    }

    private async Task StopEndpoint(string reason, TimeSpan restartTimeout)
    {
        try
        {
            using var timeout = new CancellationTokenSource(restartTimeout);
            await _endpoint.StopAsync(timeout.Token).ConfigureAwait(false);
            Console.WriteLine($"Kill switch stopped the endpoint: {reason}");
        }
        catch (Exception exception)
        {
            Console.WriteLine($"Kill switch failed to stop the endpoint: {exception.Message}");
        }
    }

    private async Task RestartEndpoint()
    {
        try
        {
            await _endpoint.StartAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            Console.WriteLine($"Kill switch failed to restart the endpoint: {exception.Message}");
        }
    }
}

/// <summary>
/// A test harness (MassTransit's <c>AsyncTestHarness.GetTask</c>): a completion source that is cancelled when the whole
/// test is cancelled. The continuation only try-cancels the source, so it cannot fault.
/// </summary>
public sealed class TestHarness
{
    private readonly Task _testCancelled;

    public TestHarness(Task testCancelled) => _testCancelled = testCancelled;

    public TaskCompletionSource<T> GetTask<T>()
    {
        var source = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _testCancelled.ContinueWith(_ => source.TrySetCanceled(), TaskContinuationOptions.OnlyOnCanceled);
        return source;
    }
}

/// <summary>
/// A per-scope payload cache created on first use (MassTransit's <c>ConsumeContextScope.PayloadCache</c>): the loop
/// retests the field against the exchange's comparand, so whoever installs the list, the loop ends.
/// </summary>
public sealed class PayloadScope
{
    private List<object>? _payloads;

    public List<object> Payloads
    {
        get
        {
            if (_payloads != null)
            {
                return _payloads;
            }

            while (Volatile.Read(ref _payloads) == null)
            {
                Interlocked.CompareExchange(ref _payloads, new List<object>(), null);
            }

            return _payloads!;
        }
    }
}

/// <summary>A state of a hierarchical state machine (MassTransit's <c>State&lt;TSaga&gt;</c>).</summary>
public sealed class MachineState
{
    public MachineState(string name, MachineState? superState)
    {
        Name = name;
        SuperState = superState;
    }

    public string Name { get; }

    public MachineState? SuperState { get; }

    public bool Includes(MachineState other)
    {
        for (var state = other; state is not null; state = state.SuperState)
        {
            if (ReferenceEquals(state, this))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>Runs the enter and leave handlers of a state.</summary>
public interface IStateBehavior
{
    Task RaiseAsync(MachineState state, string eventName);
}

/// <summary>
/// A transition (MassTransit's <c>TransitionActivity</c>): it raises the enter events of every super-state up to the
/// common ancestor. The loop walks the chain of super-states to its end; the handlers get the behavior context.
/// </summary>
public sealed class Transition
{
    private readonly IStateBehavior _behavior;
    private readonly MachineState _toState;

    public Transition(IStateBehavior behavior, MachineState toState)
    {
        _behavior = behavior;
        _toState = toState;
    }

    public async Task Execute(MachineState? currentState, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();

        var superState = _toState.SuperState;
        while (superState != null && (currentState == null || !superState.Includes(currentState)))
        {
            await _behavior.RaiseAsync(superState, "Enter").ConfigureAwait(false);
            superState = superState.SuperState;
        }

        await _behavior.RaiseAsync(_toState, "Enter").ConfigureAwait(false);
    }
}

/// <summary>A component a supervisor started.</summary>
public interface IAgent
{
    Task Completed { get; }

    Task Stop(string reason, CancellationToken cancellationToken);
}

/// <summary>
/// A supervisor's shutdown (MassTransit's <c>PipeContextSupervisor.StopSupervisor</c>): every running agent is stopped
/// at once; there are as many as were started.
/// </summary>
public sealed class Supervisor
{
    private readonly List<IAgent> _agents = new List<IAgent>();
    private readonly object _gate = new object();

    public void Add(IAgent agent)
    {
        lock (_gate)
        {
            _agents.Add(agent);
        }
    }

    public Task StopAll(IEnumerable<IAgent> agents, CancellationToken cancellationToken)
        => Task.WhenAll(agents.Select(x => x.Stop("Supervisor stopping", cancellationToken)));

    public Task AllCompleted(IEnumerable<IAgent> agents)
        => Task.WhenAll(agents.Select(x => x.Completed));

    public Task StopOwn(CancellationToken cancellationToken)
    {
        IAgent[] agents;
        lock (_gate)
        {
            agents = _agents.ToArray();
        }

        return StopAll(agents, cancellationToken);
    }
}

/// <summary>
/// A cached value (MassTransit's <c>CacheValue.Evict</c>): the value is disposed under the entry's lock when it was
/// created; the <c>HasValue</c> property tests the task's status, so reading <c>Result</c> there does not block.
/// </summary>
public sealed class CachedEntry<TValue>
    where TValue : class
{
    private readonly TaskCompletionSource<TValue> _value = new TaskCompletionSource<TValue>(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _gate = new object();
    private bool _evicted;

    public bool HasValue => _value.Task.Status == TaskStatus.RanToCompletion;

    public Task<TValue> Value => _value.Task;

    public void SetValue(TValue value) => _value.TrySetResult(value);

    public void Evict()
    {
        lock (_gate)
        {
            if (_evicted)
            {
                return;
            }

            _evicted = true;

            if (HasValue && _value.Task.Result is IDisposable disposable)
            {
                disposable.Dispose();
            }
        }
    }
}
