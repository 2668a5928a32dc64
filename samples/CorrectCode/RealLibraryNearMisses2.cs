namespace CorrectCode.RealLibraries2;

/// <summary>
/// A logging rule whose target list is changed under a lock on the list and exposed as it is by a property: the
/// property returns a reference that never changes, and the snapshot method copies the list under the lock (NLog's
/// <c>LoggingRule.Targets</c> and <c>GetTargetsThreadSafe</c>).
/// </summary>
public sealed class RoutingRule
{
    private readonly List<string> _targets = new();

    public IList<string> Targets => _targets;

    public void AddTarget(string target)
    {
        lock (_targets)
        {
            _targets.Add(target);
        }
    }

    public string[] GetTargetsSnapshot()
    {
        lock (_targets)
        {
            return _targets.ToArray();
        }
    }
}

/// <summary>
/// A target base class that initializes and reports its failure under its own lock: the protected hooks run only
/// from there, so the fields they write are guarded although no lock is visible in them (NLog's <c>Target</c>).
/// </summary>
public abstract class GuardedTarget
{
    private readonly object _syncRoot = new();
    private Exception? _initializeException;
    private bool _scannedForLayouts;

    public void Initialize()
    {
        lock (_syncRoot)
        {
            _scannedForLayouts = false;
            try
            {
                InitializeTarget();
                _initializeException = null;
                if (!_scannedForLayouts)
                {
                    ScanLayouts();
                }
            }
            catch (InvalidOperationException ex)
            {
                _initializeException = ex;
                _scannedForLayouts = false;
            }
        }
    }

    public void Write(string message)
    {
        var failure = _initializeException;
        if (failure != null)
        {
            lock (_syncRoot)
            {
                WriteFailedNotInitialized(message, failure);
            }

            return;
        }

        WriteCore(message);
    }

    protected virtual void InitializeTarget() => ScanLayouts();

    protected virtual void WriteFailedNotInitialized(string message, Exception failure)
    {
        if (!_scannedForLayouts)
        {
            _scannedForLayouts = true;
            Console.Error.WriteLine($"{message}: {failure.Message}");
        }
    }

    protected abstract void WriteCore(string message);

    private void ScanLayouts() => _scannedForLayouts = true;
}

/// <summary>
/// A copy-on-write dictionary: writers change or replace the inner dictionary under the lock, and the comparer, which
/// every copy shares, is read without it (NLog's <c>ThreadSafeDictionary</c>).
/// </summary>
public sealed class CopyOnWriteMap
{
    private readonly object _lockObject = new();
    private Dictionary<string, int> _dict = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<int> _history = new();

    public IEqualityComparer<string> Comparer => _dict.Comparer;

    public bool HistoryIsReadOnly => ((ICollection<int>)_history).IsReadOnly;

    public void Set(string key, int value)
    {
        lock (_lockObject)
        {
            var copy = new Dictionary<string, int>(_dict, _dict.Comparer) { [key] = value };
            _dict = copy;
            _history.Add(value);
        }
    }

    public bool TryGet(string key, out int value)
    {
        lock (_lockObject)
        {
            return _dict.TryGetValue(key, out value);
        }
    }
}

/// <summary>The lifecycle a framework base class drives: initialized before the first write, closed after the last.</summary>
public abstract class LifecycleTarget
{
    public void Start() => InitializeTarget();

    public void Stop() => CloseTarget();

    protected virtual void InitializeTarget()
    {
    }

    protected virtual void CloseTarget()
    {
    }
}

/// <summary>
/// A buffering target whose flush timer is created when the base initializes it and dropped when the base closes it,
/// and otherwise touched only under its own lock (NLog's <c>BufferingTargetWrapper</c> and <c>AsyncTargetWrapper</c>).
/// </summary>
public sealed class BufferingTarget : LifecycleTarget, IDisposable
{
    private readonly object _timerLock = new();
    private Timer? _flushTimer;
    private int _pending;

    public void Write()
    {
        lock (_timerLock)
        {
            _pending++;
            _flushTimer?.Change(100, Timeout.Infinite);
        }
    }

    public void Dispose()
    {
        lock (_timerLock)
        {
            _flushTimer?.Dispose();
            _flushTimer = null;
        }
    }

    protected override void InitializeTarget()
    {
        _flushTimer = new Timer(_ => Flush(), null, Timeout.Infinite, Timeout.Infinite);
    }

    protected override void CloseTarget()
    {
        _flushTimer?.Dispose();
        _flushTimer = null;
    }

    private void Flush()
    {
        lock (_timerLock)
        {
            _pending = 0;
        }
    }
}
