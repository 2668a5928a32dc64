// Pre-async threading code that is still maintained (eleventh session): dedicated threads, System.Threading and
// System.Timers timers, Monitor/ReaderWriterLockSlim/Mutex/Semaphore structures, EAP and APM interop. These are the
// correct shapes around the rules that session changed, and representative near misses. Every CONC rule must stay
// silent here.
using System.ComponentModel;

namespace CorrectCode.LegacyThreading;

/// <summary>An old event-based component (EAP): one completion event per operation.</summary>
public sealed class LegacyDownloader
{
    public event EventHandler<AsyncCompletedEventArgs>? DownloadCompleted;

    public event EventHandler<ProgressChangedEventArgs>? ProgressChanged;

    public void DownloadAsync(string url, object? userState)
    {
        ThreadPool.QueueUserWorkItem(_ =>
        {
            ProgressChanged?.Invoke(this, new ProgressChangedEventArgs(100, userState));
            DownloadCompleted?.Invoke(this, new AsyncCompletedEventArgs(null, cancelled: url.Length == 0, userState));
        });
    }
}

/// <summary>TAP wrappers over the EAP component: every path of each completion handler settles the source.</summary>
public static class LegacyDownloaderTasks
{
    public static Task DownloadTaskAsync(this LegacyDownloader downloader, string url)
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        EventHandler<AsyncCompletedEventArgs>? handler = null;
        handler = (_, e) =>
        {
            downloader.DownloadCompleted -= handler;
            if (e.Error != null)
            {
                tcs.TrySetException(e.Error);
            }
            else if (e.Cancelled)
            {
                tcs.TrySetCanceled();
            }
            else
            {
                tcs.TrySetResult();
            }
        };

        downloader.DownloadCompleted += handler;
        downloader.DownloadAsync(url, null);
        return tcs.Task;
    }

    /// <summary>Several operations share the event: completions of the others are skipped by their user state.</summary>
    public static Task<bool> DownloadSharedAsync(this LegacyDownloader downloader, string url)
    {
        var tcs = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        EventHandler<AsyncCompletedEventArgs>? handler = null;
        handler = (_, e) =>
        {
            if (!ReferenceEquals(e.UserState, tcs))
            {
                return;
            }

            downloader.DownloadCompleted -= handler;
            tcs.TrySetResult(e.Error == null && !e.Cancelled);
        };

        downloader.DownloadCompleted += handler;
        downloader.DownloadAsync(url, tcs);
        return tcs.Task;
    }

    /// <summary>A download raced against a timer: the handler skips a source the timeout has already settled.</summary>
    public static Task<bool> DownloadWithTimeoutAsync(this LegacyDownloader downloader, string url, TimeSpan timeout)
    {
        var tcs = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var timer = new Timer(_ => tcs.TrySetResult(false), null, timeout, Timeout.InfiniteTimeSpan);
        _ = tcs.Task.ContinueWith(_ => timer.Dispose(), TaskScheduler.Default);
        downloader.DownloadCompleted += (_, e) =>
        {
            if (tcs.Task.IsCompleted)
            {
                return;
            }

            tcs.TrySetResult(e.Error == null && !e.Cancelled);
        };
        downloader.DownloadAsync(url, null);
        return tcs.Task;
    }

    /// <summary>A progress event completes the source on its last call: it is raised many times, not once.</summary>
    public static Task WhenFullyReportedAsync(this LegacyDownloader downloader)
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        downloader.ProgressChanged += (_, e) =>
        {
            if (e.ProgressPercentage == 100)
            {
                tcs.TrySetResult();
            }
        };
        return tcs.Task;
    }
}

/// <summary>A named mutex serializes writes to one file across processes: the file I/O is what it guards.</summary>
public sealed class SharedCatalogFile : IDisposable
{
    private readonly Mutex _fileMutex = new(initiallyOwned: false, "CorrectCode.LegacyThreading.catalog");
    private readonly string _path;

    public SharedCatalogFile(string path) => _path = path;

    public bool TryAppend(IEnumerable<string> lines, TimeSpan wait)
    {
        bool owned;
        try
        {
            owned = _fileMutex.WaitOne(wait);
        }
        catch (AbandonedMutexException)
        {
            // The previous owner died holding it; it is ours now.
            owned = true;
        }

        if (!owned)
        {
            return false;
        }

        try
        {
            File.AppendAllLines(_path, lines);
            return true;
        }
        finally
        {
            _fileMutex.ReleaseMutex();
        }
    }

    public void Dispose() => _fileMutex.Dispose();
}

/// <summary>
/// A thread-affine lock is released by the thread that took it; an ownerless semaphore slot is handed to the work item
/// that releases it.
/// </summary>
public sealed class ExportScheduler : IDisposable
{
    private readonly Mutex _exportMutex = new();
    private readonly Semaphore _slots = new(2, 2);

    public void ExportNow(Action export)
    {
        _exportMutex.WaitOne();
        try
        {
            export();
        }
        finally
        {
            _exportMutex.ReleaseMutex();
        }
    }

    public bool TryExportInBackground(Action export, TimeSpan wait)
    {
        if (!_slots.WaitOne(wait))
        {
            return false;
        }

        ThreadPool.QueueUserWorkItem(_ =>
        {
            try
            {
                export();
            }
            finally
            {
                _slots.Release();
            }
        });
        return true;
    }

    public void Dispose()
    {
        _exportMutex.Dispose();
        _slots.Dispose();
    }
}

/// <summary>Migration: the dedicated thread is joined by the synchronous Stop; the async API awaits a task instead.</summary>
public sealed class IndexBuilder
{
    private readonly Thread _thread;
    private readonly TaskCompletionSource _built = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IndexBuilder(Action build)
    {
        _thread = new Thread(() =>
        {
            try
            {
                build();
                _built.TrySetResult();
            }
            catch (Exception ex)
            {
                _built.TrySetException(ex);
            }
        })
        { IsBackground = true };
    }

    public void Start() => _thread.Start();

    public bool Stop(TimeSpan wait) => _thread.Join(wait);

    public async Task<bool> WaitBuiltAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        var ready = _thread.Join(0);
        if (!ready)
        {
            await _built.Task.WaitAsync(wait, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }
}

/// <summary>Several components share one completion handler type: the wrapper skips completions of the others by sender.</summary>
public static class SharedHandlerTasks
{
    public static event EventHandler<AsyncCompletedEventArgs>? AnyCompleted;

    public static Task<bool> WaitForAsync(object component)
    {
        var tcs = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        EventHandler<AsyncCompletedEventArgs>? handler = null;
        handler = (sender, e) =>
        {
            if (!ReferenceEquals(sender, component))
            {
                return;
            }

            AnyCompleted -= handler;
            tcs.TrySetResult(e.Error == null);
        };
        AnyCompleted += handler;
        return tcs.Task;
    }

    public static void Raise(object component) => AnyCompleted?.Invoke(component, new AsyncCompletedEventArgs(null, false, null));
}

/// <summary>Old-style synchronized methods: the runtime locks the instance around each call.</summary>
public sealed class SynchronizedTally
{
    private readonly List<int> _values = new();
    private long _sum;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.Synchronized)]
    public void Add(int value)
    {
        _values.Add(value);
        _sum += value;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.Synchronized)]
    public long Sum() => _sum;

    public static long AddAll(int count)
    {
        var tally = new SynchronizedTally();
        Parallel.For(0, count, tally.Add);
        return tally.Sum();
    }
}

/// <summary>Pre-generics synchronized wrappers shared by thread-pool work items.</summary>
public sealed class LegacyEventLog
{
    private readonly System.Collections.Queue _pending = System.Collections.Queue.Synchronized(new System.Collections.Queue());

    public int Record(IReadOnlyList<string> events)
    {
        var errors = System.Collections.ArrayList.Synchronized(new System.Collections.ArrayList());
        using var done = new CountdownEvent(events.Count);
        foreach (var e in events)
        {
            ThreadPool.QueueUserWorkItem(_ =>
            {
                try
                {
                    _pending.Enqueue(e);
                    if (e.Length == 0)
                    {
                        errors.Add(e);
                    }
                }
                finally
                {
                    done.Signal();
                }
            });
        }

        done.Wait();
        return errors.Count;
    }

    /// <summary>A check and a take are two calls: the wrapper's own lock (SyncRoot) makes them one.</summary>
    public object? Next()
    {
        lock (_pending.SyncRoot)
        {
            return _pending.Count > 0 ? _pending.Dequeue() : null;
        }
    }
}

/// <summary>Pre-Slim primitives used as locks around shared state: the old ReaderWriterLock and a one-slot Semaphore.</summary>
public sealed class LegacyPriceBook
{
    private readonly ReaderWriterLock _rw = new();
    private readonly Semaphore _auditGate = new(1, 1);
    private readonly Dictionary<string, decimal> _prices = new();
    private readonly List<string> _audit = new();
    private int _updates;

    public void UpdateAll(IReadOnlyList<(string Sku, decimal Price)> prices)
    {
        Parallel.ForEach(prices, p =>
        {
            _rw.AcquireWriterLock(TimeSpan.FromSeconds(5));
            try
            {
                _prices[p.Sku] = p.Price;
                _updates++;
            }
            finally
            {
                _rw.ReleaseWriterLock();
            }

            _auditGate.WaitOne();
            try
            {
                _audit.Add(p.Sku);
            }
            finally
            {
                _auditGate.Release();
            }
        });
    }

    public decimal? Find(string sku)
    {
        _rw.AcquireReaderLock(TimeSpan.FromSeconds(5));
        try
        {
            return _prices.TryGetValue(sku, out var price) ? price : null;
        }
        finally
        {
            _rw.ReleaseReaderLock();
        }
    }

    public int Updates
    {
        get
        {
            _rw.AcquireReaderLock(TimeSpan.FromSeconds(5));
            try
            {
                return _updates;
            }
            finally
            {
                _rw.ReleaseReaderLock();
            }
        }
    }
}

/// <summary>A synchronous pump that sleeps on its work event and the token's wait handle together.</summary>
public sealed class HandlePump
{
    private readonly AutoResetEvent _work = new(false);
    private readonly System.Collections.Concurrent.ConcurrentQueue<Action> _actions = new();

    public void Post(Action action)
    {
        _actions.Enqueue(action);
        _work.Set();
    }

    public void Run(CancellationToken cancellationToken)
    {
        var handles = new[] { _work, cancellationToken.WaitHandle };
        while (true)
        {
            if (WaitHandle.WaitAny(handles) == 1)
            {
                break;
            }

            while (_actions.TryDequeue(out var action))
            {
                action();
            }
        }
    }
}
