// Locking family (CONC2xx): never hold a lock over an await or a blocking wait.

namespace Showcase.Locking;

public sealed class TokenCache
{
    private readonly object _gate = new();
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private string? _token;

    // CONC201: Monitor is owned by a thread; after the await the Exit may run on another one and throw.
    public async Task SaveAsync()
    {
        Monitor.Enter(_gate);
        try
        {
            await Task.Delay(10);
        }
        finally
        {
            Monitor.Exit(_gate);
        }
    }

    // CONC202: blocking on a task while holding the lock (and a deadlock under a UI context).
    public string GetToken()
    {
        lock (_gate)
        {
            _token ??= FetchAsync().Result;
            return _token;
        }
    }

    // CONC203: the wait sits inside the try, so a cancelled wait still releases a slot it never took.
    public async Task RefreshAsync(CancellationToken ct)
    {
        try
        {
            await _refresh.WaitAsync(ct);
            _token = await FetchAsync();
        }
        finally
        {
            _refresh.Release();
        }
    }

    // Correct: WaitAsync before the try, Release in the finally.
    public async Task RefreshCorrectlyAsync(CancellationToken ct)
    {
        await _refresh.WaitAsync(ct);
        try { _token = await FetchAsync(); }
        finally { _refresh.Release(); }
    }

    private static Task<string> FetchAsync() => Task.FromResult("token");
}

public sealed class AuditLog
{
    // CONC203 (Info): a SemaphoreSlim(1) used as a lock has no ceiling: one Release() too many lets two writers in.
    private readonly SemaphoreSlim _write = new(1);
    private readonly List<string> _lines = new();

    public async Task AppendAsync(string line, CancellationToken ct)
    {
        await _write.WaitAsync(ct);
        try
        {
            await Task.Delay(1, ct);
            _lines.Add(line);
        }
        finally
        {
            _write.Release();
        }
    }

    // Correct: one body serves Append and AppendAsync (the sync-over-async dual-path idiom); its sync branch blocks
    // by design, and a zero-timeout poll never blocks.
    internal async Task Append(string line, bool async, CancellationToken ct)
    {
        if (async)
            await _write.WaitAsync(ct);
        else
            _write.Wait(ct);
        try { _lines.Add(line); }
        finally { _write.Release(); }
    }

    public async Task<bool> TryTrimAsync()
    {
        if (!_write.Wait(0))
            return false;
        try { await Task.Yield(); _lines.Clear(); }
        finally { _write.Release(); }
        return true;
    }
}

public sealed class Inventory
{
    private readonly ReaderWriterLockSlim _rw = new();
    private readonly Dictionary<string, int> _stock = new();
    private readonly object _orders = new();
    private readonly object _ledger = new();

    // CONC204: if Parse throws, the write lock is never released and every reader blocks forever.
    public void Set(string sku, string raw)
    {
        _rw.EnterWriteLock();
        _stock[sku] = int.Parse(raw);
        _rw.ExitWriteLock();
    }

    // CONC205: sleeping (or doing I/O) while holding the lock makes every caller wait for it.
    public void Restock()
    {
        lock (_orders)
        {
            Thread.Sleep(100);
        }
    }

    // CONC206: _orders → _ledger here, _ledger → _orders in Audit: two threads can deadlock.
    public void Ship()
    {
        lock (_orders) lock (_ledger) { }
    }

    public void Audit()
    {
        lock (_ledger) lock (_orders) { }
    }

    // CONC208: writing the dictionary under a read lock races with the other readers.
    public int Get(string sku)
    {
        _rw.EnterReadLock();
        try
        {
            if (!_stock.TryGetValue(sku, out var count))
            {
                _stock[sku] = count = 0;
            }

            return count;
        }
        finally
        {
            _rw.ExitReadLock();
        }
    }
}

public sealed class ReportService
{
    private int _reports;

    // CONC207 (Info): a sync wait in async code holds a pool thread; await instead.
    public async Task<int> CountAsync()
    {
        await Task.Yield();
        return LoadAsync().Result;
    }

    // CONC209: anyone holding a reference to this object can take the same lock.
    public void Add()
    {
        lock (this)
        {
            _reports++;
        }
    }

    private static Task<int> LoadAsync() => Task.FromResult(2);
}
