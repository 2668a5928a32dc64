// Shared state (CONC3xx): check-then-act, mixed atomic/plain access and racy lazy initialization.

using System.Collections.Concurrent;

namespace Showcase.SharedState;

public sealed class SessionRegistry
{
    private readonly ConcurrentDictionary<string, object> _sessions = new();
    private volatile int _open;

    public object Open(string id)
    {
        if (!_sessions.TryGetValue(id, out var session))
        {
            session = new object();
            // CONC305: when another request adds `id` first, this caller keeps a session that is not the stored one.
            _sessions.TryAdd(id, session);
        }

        // CONC305: volatile makes the write visible, not the increment atomic; concurrent opens are lost.
        _open++;
        return session;
    }

    // Correct: one atomic call, and Interlocked for the counter.
    public object OpenCorrectly(string id)
    {
        Interlocked.Increment(ref _openCorrect);
        return _sessions.GetOrAdd(id, static _ => new object());
    }

    private int _openCorrect;

    public int OpenCount => _open + _openCorrect;
}

public sealed class ProfileCache
{
    private static readonly object Gate = new();
    private static ProfileCache? _instance;
    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> _profiles = new();
    private readonly CancellationTokenSource _shutdown = new();

    public static ProfileCache Instance
    {
        get
        {
            if (_instance == null)
            {
                lock (Gate)
                {
                    if (_instance == null)
                    {
                        // CONC307: double-checked locking on a field that is not volatile.
                        _instance = new ProfileCache();
                    }
                }
            }

            return _instance;
        }
    }

    private static Task<string> FetchAsync(string id, CancellationToken ct) => Task.FromResult(id);

    // CONC307: the first caller's token is baked into the shared Lazy; once it cancels, every later caller fails.
    public Task<string> GetAsync(string id, CancellationToken ct)
        => _profiles.GetOrAdd(id, k => new Lazy<Task<string>>(() => FetchAsync(k, ct))).Value;

    // Correct: the shared work runs with the owner's token; each caller waits with its own.
    public Task<string> GetCorrectlyAsync(string id, CancellationToken ct)
        => _profiles.GetOrAdd(id, k => new Lazy<Task<string>>(() => FetchAsync(k, _shutdown.Token))).Value.WaitAsync(ct);
}

public sealed class PageStatistics
{
    private readonly ConcurrentDictionary<string, int> _views = new();
    private readonly ConcurrentQueue<string> _pending = new();

    // CONC305: the indexer reads, then writes: two requests for the same page both read 5 and both write 6.
    public void View(string page) => _views[page]++;

    // Correct: one atomic update.
    public void ViewCorrectly(string page) => _views.AddOrUpdate(page, 1, static (_, n) => n + 1);

    // CONC305: with two consumers, the other one can take the last item after the Count test; `page` is then null.
    public int DrainOne()
    {
        if (_pending.Count > 0)
        {
            _pending.TryDequeue(out var page);
            return page!.Length;
        }

        return 0;
    }

    // Correct: the result of TryDequeue is the test.
    public int DrainOneCorrectly() => _pending.TryDequeue(out var page) ? page.Length : 0;
}

public sealed class ConnectionSource
{
    // CONC307: the Lazy keeps the first task for good: if that connect times out once, every caller gets the fault.
    private readonly Lazy<Task<Stream>> _connection = new(() => ConnectAsync());

    private static Task<Stream> ConnectAsync() => Task.FromResult<Stream>(Stream.Null);

    public Task<Stream> GetAsync() => _connection.Value;
}
