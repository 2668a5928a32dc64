using System.Collections.Concurrent;
using System.Text;
using System.Threading.Channels;

namespace CorrectCode.SharedStateCancellation;

/// <summary>A subscriber registry: the LINQ lambdas in a local function called only under the lock run under it.</summary>
public sealed class SubscriberRegistry
{
    private readonly object _gate = new();
    private readonly List<string> _names = new();
    private readonly Dictionary<string, int> _priority = new(StringComparer.Ordinal);

    public void Add(string name, int priority)
    {
        lock (_gate)
        {
            _names.Add(name);
            _priority[name] = priority;
        }
    }

    public IReadOnlyList<string> Ordered()
    {
        lock (_gate)
        {
            return _names.OrderBy(n => _priority[n]).ThenBy(n => n, StringComparer.Ordinal).ToList();
        }
    }

    public int RemoveWhere(Func<string, bool> predicate)
    {
        lock (_gate)
        {
            return RemoveMatching();
        }

        int RemoveMatching()
        {
            var removed = _names.RemoveAll(n => predicate(n));
            foreach (var stale in _priority.Keys.Where(k => !_names.Contains(k)).ToList())
            {
                _priority.Remove(stale);
            }

            return removed;
        }
    }
}

/// <summary>A pump whose loop observes the token through the local functions it calls.</summary>
public static class ChannelPump
{
    public static async Task<int> ForwardAsync(ChannelReader<string> reader, ChannelWriter<string> writer, CancellationToken cancellationToken)
    {
        var moved = 0;
        while (true)
        {
            var item = await NextAsync();
            if (item is null)
            {
                break;
            }

            await ForwardOneAsync(item);
            moved++;
        }

        return moved;

        async Task<string?> NextAsync()
            => await reader.WaitToReadAsync(cancellationToken) && reader.TryRead(out var s) ? s : null;

        ValueTask ForwardOneAsync(string s) => writer.WriteAsync(s, cancellationToken);
    }

    public static async Task<List<int>> EnumerateAsync(IAsyncEnumerable<int> source, CancellationToken cancellationToken)
    {
        var list = new List<int>();
        await using var e = source.GetAsyncEnumerator(cancellationToken);
        while (await e.MoveNextAsync())
        {
            list.Add(e.Current);
        }

        return list;
    }
}

/// <summary>A worker started with the owner's token: the start-up token only says "always start it".</summary>
public sealed class OwnedLoop : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly Channel<Func<CancellationToken, ValueTask>> _work = Channel.CreateUnbounded<Func<CancellationToken, ValueTask>>();
    private Task? _loop;

    public bool Post(Func<CancellationToken, ValueTask> item) => _work.Writer.TryWrite(item);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        await foreach (var item in _work.Reader.ReadAllAsync(cancellationToken))
        {
            await item(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _work.Writer.TryComplete();
        await _stopping.CancelAsync();
        if (_loop is not null)
        {
            try
            {
                await _loop;
            }
            catch (OperationCanceledException)
            {
            }
        }

        _stopping.Dispose();
    }
}

public static class TokenExtensions
{
    /// <summary>Completes when the token is cancelled: the registration is what completes the returned task.</summary>
    public static Task WhenCancelled(this CancellationToken cancellationToken)
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cancellationToken.Register(static state => ((TaskCompletionSource)state!).TrySetResult(), tcs);
        return tcs.Task;
    }
}

/// <summary>Expensive values created once: an unlocked fast path, then a re-check under the lock.</summary>
public sealed class TemplateCache
{
    private readonly ConcurrentDictionary<string, Template> _cache = new(StringComparer.Ordinal);
    private readonly object _createGate = new();

    public Template Get(string source)
    {
        if (!_cache.TryGetValue(source, out var template))
        {
            lock (_createGate)
            {
                if (!_cache.TryGetValue(source, out template))
                {
                    template = Template.Compile(source);
                    _cache[source] = template;
                }
            }
        }

        return template;
    }

    public Template GetFast(string source)
    {
        if (_cache.TryGetValue(source, out var template))
        {
            return template;
        }

        lock (_createGate)
        {
            if (_cache.TryGetValue(source, out template))
            {
                return template;
            }

            template = Template.Compile(source);
            _cache[source] = template;
            return template;
        }
    }

    public sealed class Template
    {
        private Template(string source) => Source = source;

        public string Source { get; }

        public static Template Compile(string source) => new(source);
    }
}

/// <summary>A shared load that one caller's token must not cancel; callers wait with their own token.</summary>
public sealed class SchemaSource
{
    private readonly object _gate = new();
    private readonly Func<CancellationToken, Task<string>> _load;
    private Task<string>? _loading;

    public SchemaSource(Func<CancellationToken, Task<string>> load) => _load = load;

    public Task<string> GetAsync(CancellationToken cancellationToken)
    {
        Task<string> loading;
        lock (_gate)
        {
            if (_loading is null || _loading.IsFaulted || _loading.IsCanceled)
            {
                _loading = _load(CancellationToken.None);
            }

            loading = _loading;
        }

        return loading.WaitAsync(cancellationToken);
    }
}

/// <summary>Per-thread caches and per-worker state in parallel loops.</summary>
public static class ParallelFormatting
{
    [ThreadStatic] private static StringBuilder? t_builder;

    public static string[] FormatAll(IReadOnlyList<(string Name, int Value)> rows)
    {
        var output = new string[rows.Count];
        Parallel.For(0, rows.Count, i =>
        {
            t_builder ??= new StringBuilder(256);
            var sb = t_builder.Clear();
            sb.Append(rows[i].Name).Append('=').Append(rows[i].Value);
            output[i] = sb.ToString();
        });
        return output;
    }

    public static int[] Histogram(IReadOnlyList<int> values, int buckets)
    {
        using var local = new ThreadLocal<int[]>(() => new int[buckets], trackAllValues: true);
        Parallel.ForEach(values, v => local.Value![Math.Abs(v % buckets)]++);
        var result = new int[buckets];
        foreach (var part in local.Values)
        {
            for (var b = 0; b < buckets; b++)
            {
                result[b] += part[b];
            }
        }

        return result;
    }
}

/// <summary>Async methods started together: what runs before the first await runs on the caller's thread.</summary>
public sealed class Crawler
{
    private readonly HttpClient _http;
    private readonly HashSet<string> _started = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _sizes = new(StringComparer.Ordinal);

    public Crawler(HttpClient http) => _http = http;

    public int Started => _started.Count;

    public IReadOnlyDictionary<string, int> Sizes => _sizes;

    public async Task CrawlAsync(IEnumerable<string> urls, CancellationToken cancellationToken)
    {
        foreach (var batch in urls.Chunk(8))
        {
            var tasks = new List<Task>(batch.Length);
            foreach (var url in batch)
            {
                tasks.Add(FetchAsync(url, cancellationToken));
            }

            await Task.WhenAll(tasks);
        }
    }

    private async Task FetchAsync(string url, CancellationToken cancellationToken)
    {
        _started.Add(url);
        var body = await _http.GetStringAsync(url, cancellationToken);
        _sizes[url] = body.Length;
    }
}

/// <summary>A condition-variable wait under the lock and a spin that reads the flag with Volatile.</summary>
public sealed class Handshake
{
    private readonly object _gate = new();
    private bool _ready;
    private bool _acknowledged;

    public void SignalReady()
    {
        lock (_gate)
        {
            _ready = true;
            Monitor.PulseAll(_gate);
        }
    }

    public void WaitReady()
    {
        lock (_gate)
        {
            while (!_ready)
            {
                Monitor.Wait(_gate);
            }
        }
    }

    public void Acknowledge() => Volatile.Write(ref _acknowledged, true);

    public bool WaitAcknowledged(TimeSpan timeout) => SpinWait.SpinUntil(() => Volatile.Read(ref _acknowledged), timeout);
}
