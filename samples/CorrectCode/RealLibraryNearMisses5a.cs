using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace CorrectCode.RealLibraries5a;

/// <summary>
/// An async synchronizer in the style of DotNext.Threading's <c>QueuedSynchronizer</c>: the wait queue is a struct
/// that keeps its own gate (<c>lock (_queue.SyncRoot)</c>), methods that need the lock assert it through a helper,
/// a metrics tag is set by an <c>init</c> accessor, an acquisition builder (a <c>ref struct</c>) is handed the queue by
/// reference, and the version is read lock-free with a barrier after it.
/// </summary>
public class QueuedGate
{
    private readonly bool _limited;
    private WaitQueue _queue = new();
    private ulong _version;

    public QueuedGate(bool limited) => _limited = limited;

    public string Tag
    {
        init => _queue = _queue with { Tag = value };
    }

    public ulong Version
    {
        get
        {
            var result = IntPtr.Size == 8 ? _version : Unsafe.As<ulong, uint>(ref _version);
            Volatile.ReadBarrier();
            return result;
        }
    }

    public bool TryEnqueue()
    {
        lock (_queue.SyncRoot)
        {
            return Enqueue();
        }
    }

    public void Dequeue()
    {
        using (_queue.SyncRoot.EnterScope())
        {
            Pop(ref _queue);
            _version++;
        }
    }

    public void Notify()
    {
        lock (_queue.SyncRoot)
        {
            Console.WriteLine("notified");
        }
    }

    public bool TryAcquire(TimeSpan timeout) => BeginAcquisition(timeout).TryAcquire();

    private Acquisition BeginAcquisition(TimeSpan timeout) => new(ref _queue, timeout);

    private void AssertInternalLockState() => Debug.Assert(_queue.SyncRoot.IsHeldByCurrentThread);

    private bool Enqueue()
    {
        AssertInternalLockState();
        if (IsLimitReached)
        {
            return false;
        }

        Push(ref _queue);
        return true;
    }

    private bool IsLimitReached => _queue.Length == long.MaxValue || (_limited && _queue.Length > 100);

    private static void Push(ref WaitQueue queue) => queue.Length++;

    private static void Pop(ref WaitQueue queue) => queue.Length--;

    private record struct WaitQueue()
    {
        internal readonly Lock SyncRoot = new();

        public long Length { get; set; }

        public string? Tag { get; init; }
    }

    private ref struct Acquisition
    {
        private readonly ref WaitQueue _queue;
        private readonly TimeSpan _timeout;

        public Acquisition(ref WaitQueue queue, TimeSpan timeout)
        {
            _queue = ref queue;
            _timeout = timeout;
        }

        public readonly bool TryAcquire()
        {
            lock (_queue.SyncRoot)
            {
                return _timeout > TimeSpan.Zero && _queue.Length == 0;
            }
        }
    }
}

/// <summary>
/// An awaitable's <c>OnCompleted</c> posting the awaiting code's continuation to the context or scheduler it captured
/// (DotNext.Threading's <c>ContinuationHelpers</c>): the <c>StartNew</c> is the scheduler twin of <c>Post</c>.
/// </summary>
public sealed class CapturedContinuation(Action<object?> continuation)
{
    public void Invoke(object? state, object schedulingContext)
    {
        switch (schedulingContext)
        {
            case SynchronizationContext context:
                context.Post(new SendOrPostCallback(continuation), state);
                break;
            case TaskScheduler scheduler:
                Task.Factory.StartNew(continuation, state, CancellationToken.None, TaskCreationOptions.DenyChildAttach, scheduler);
                break;
            default:
                continuation(state);
                break;
        }
    }
}

/// <summary>
/// NetMQ's context and thread-safe mailbox: <c>Terminate</c> enters and exits the slot lock by hand around plain flag
/// updates, <c>Close</c> passes through the lock as a barrier, and the mailbox's receive runs under its socket's lock,
/// giving it up for a moment (<c>Monitor.Exit; Monitor.Enter</c>) or waiting on it with a timeout.
/// </summary>
public sealed class SocketContext
{
    private readonly object _slotSync = new();
    private readonly Queue<int> _commands = new();
    private bool _starting = true;
    private bool _terminating;

    public void Start()
    {
        lock (_slotSync)
        {
            _starting = false;
        }
    }

    public void Terminate(Action stopSockets)
    {
        Monitor.Enter(_slotSync);
        if (!_starting)
        {
            bool restarted = _terminating;
            _terminating = true;
            Monitor.Exit(_slotSync);

            if (!restarted)
            {
                stopSockets();
            }

            Monitor.Enter(_slotSync);
        }
        Monitor.Exit(_slotSync);
    }

    public void Close()
    {
        Monitor.Enter(_slotSync);
        Monitor.Exit(_slotSync);
    }

    public void Send(int command)
    {
        lock (_slotSync)
        {
            _commands.Enqueue(command);
            Monitor.PulseAll(_slotSync);
        }
    }

    public bool TryReceive(int timeout, out int command)
    {
        lock (_slotSync)
        {
            return TryReceiveHeld(timeout, out command);
        }
    }

    // The caller holds _slotSync.
    private bool TryReceiveHeld(int timeout, out int command)
    {
        if (_commands.TryDequeue(out command))
        {
            return true;
        }

        if (timeout == 0)
        {
            Monitor.Exit(_slotSync);
            Monitor.Enter(_slotSync);
        }
        else if (!Monitor.Wait(_slotSync, timeout))
        {
            return false;
        }

        return _commands.TryDequeue(out command);
    }
}
