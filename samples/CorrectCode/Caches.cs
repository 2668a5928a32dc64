using System.Collections.Concurrent;

namespace CorrectCode.Caches;

/// <summary>A dictionary guarded by one private gate, read and written only under it.</summary>
public sealed class PriceCache
{
    private readonly object _gate = new();
    private readonly Dictionary<string, decimal> _prices = new(StringComparer.Ordinal);
    private DateTime _refreshedAt;

    public bool TryGet(string sku, out decimal price)
    {
        lock (_gate)
        {
            return _prices.TryGetValue(sku, out price);
        }
    }

    public void Replace(IReadOnlyDictionary<string, decimal> fresh)
    {
        lock (_gate)
        {
            _prices.Clear();
            foreach (var pair in fresh)
            {
                _prices[pair.Key] = pair.Value;
            }

            _refreshedAt = DateTime.UtcNow;
        }
    }

    public DateTime RefreshedAt
    {
        get
        {
            lock (_gate)
            {
                return _refreshedAt;
            }
        }
    }
}

/// <summary>An async lock: SemaphoreSlim(1, 1), released in finally, awaited with the caller's token.</summary>
public sealed class TokenCache : IDisposable
{
    private readonly SemaphoreSlim _refreshLock = new(1, 1);
    private readonly ITokenIssuer _issuer;
    private string? _token;
    private DateTimeOffset _expires;

    public TokenCache(ITokenIssuer issuer) => _issuer = issuer;

    public async Task<string> GetAsync(CancellationToken cancellationToken)
    {
        await _refreshLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_token is null || _expires <= DateTimeOffset.UtcNow)
            {
                (_token, _expires) = await _issuer.IssueAsync(cancellationToken).ConfigureAwait(false);
            }

            return _token;
        }
        finally
        {
            _refreshLock.Release();
        }
    }

    public void Dispose() => _refreshLock.Dispose();
}

/// <summary>Reader/writer lock with every exit in finally.</summary>
public sealed class RoutingTable : IDisposable
{
    private readonly ReaderWriterLockSlim _lock = new();
    private readonly Dictionary<string, Uri> _routes = new();

    public Uri? Resolve(string name)
    {
        _lock.EnterReadLock();
        try
        {
            return _routes.TryGetValue(name, out var uri) ? uri : null;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    public void Set(string name, Uri target)
    {
        _lock.EnterWriteLock();
        try
        {
            _routes[name] = target;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    public void Dispose() => _lock.Dispose();
}

/// <summary>Single-flight loading with ConcurrentDictionary and Lazy.</summary>
public sealed class SchemaRegistry
{
    private readonly ConcurrentDictionary<string, Lazy<Task<Schema>>> _schemas = new();
    private readonly ISchemaSource _source;

    public SchemaRegistry(ISchemaSource source) => _source = source;

    public Task<Schema> GetAsync(string subject)
    {
        var lazy = _schemas.GetOrAdd(subject, s => new Lazy<Task<Schema>>(() => LoadOrEvictAsync(s)));
        return lazy.Value;
    }

    private async Task<Schema> LoadOrEvictAsync(string subject)
    {
        try
        {
            return await _source.LoadAsync(subject, CancellationToken.None).ConfigureAwait(false);
        }
        catch
        {
            _schemas.TryRemove(subject, out _);
            throw;
        }
    }

    public int Count => _schemas.Count;
}

/// <summary>Lazy singletons done right.</summary>
public sealed class Connections
{
    private static readonly Lazy<Connections> s_instance = new(() => new Connections());
    private readonly object _gate = new();
    private volatile IConnection? _connection;
    private IConnection? _secondary;

    public static Connections Instance => s_instance.Value;

    public IConnection Primary
    {
        get
        {
            var connection = _connection;
            if (connection is not null)
            {
                return connection;
            }

            lock (_gate)
            {
                return _connection ??= Connection.Open("primary");
            }
        }
    }

    public IConnection Secondary => LazyInitializer.EnsureInitialized(ref _secondary, () => Connection.Open("secondary"));
}

/// <summary>Counters with Interlocked; a snapshot read with Volatile.</summary>
public sealed class RequestStats
{
    private long _requests;
    private long _failures;
    private int _inFlight;

    public void OnStart()
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Increment(ref _inFlight);
    }

    public void OnEnd(bool failed)
    {
        Interlocked.Decrement(ref _inFlight);
        if (failed)
        {
            Interlocked.Increment(ref _failures);
        }
    }

    public (long Requests, long Failures, int InFlight) Snapshot()
        => (Interlocked.Read(ref _requests), Interlocked.Read(ref _failures), Volatile.Read(ref _inFlight));
}

/// <summary>Two locks always taken in the same order; Monitor.TryEnter released in finally.</summary>
public sealed class Ledger
{
    private readonly object _accounts = new();
    private readonly object _journal = new();
    private readonly List<string> _entries = new();
    private decimal _balance;

    public void Post(decimal amount, string memo)
    {
        lock (_accounts)
        {
            lock (_journal)
            {
                _balance += amount;
                _entries.Add(memo);
            }
        }
    }

    public bool TryAudit(TimeSpan timeout, out decimal balance)
    {
        var taken = false;
        try
        {
            Monitor.TryEnter(_accounts, timeout, ref taken);
            if (!taken)
            {
                balance = 0;
                return false;
            }

            lock (_journal)
            {
                balance = _balance;
                return true;
            }
        }
        finally
        {
            if (taken)
            {
                Monitor.Exit(_accounts);
            }
        }
    }
}

/// <summary>A producer/consumer hand-off with Monitor.Wait in a loop.</summary>
public sealed class WorkSlot
{
    private readonly object _gate = new();
    private string? _item;

    public void Put(string item)
    {
        lock (_gate)
        {
            while (_item is not null)
            {
                Monitor.Wait(_gate);
            }

            _item = item;
            Monitor.PulseAll(_gate);
        }
    }

    public string Take()
    {
        lock (_gate)
        {
            while (_item is null)
            {
                Monitor.Wait(_gate);
            }

            var item = _item;
            _item = null;
            Monitor.PulseAll(_gate);
            return item;
        }
    }
}

public sealed record Schema(string Subject, int Version);

public interface ISchemaSource
{
    Task<Schema> LoadAsync(string subject, CancellationToken cancellationToken);
}

public interface ITokenIssuer
{
    Task<(string Token, DateTimeOffset Expires)> IssueAsync(CancellationToken cancellationToken);
}

public interface IConnection
{
    string Name { get; }
}

public sealed class Connection : IConnection
{
    private Connection(string name) => Name = name;

    public string Name { get; }

    public static IConnection Open(string name) => new Connection(name);
}
