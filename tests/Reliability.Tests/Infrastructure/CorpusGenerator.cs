using System.Text;

namespace ConcurrencyAnalyzers.Reliability.Infrastructure;

/// <summary>
/// A seeded generator of small service-style C# files full of the shapes concurrency rules look at (locks,
/// awaits, tasks, channels, tokens, timers, shared collections), right and wrong. The same seed gives the same files.
/// </summary>
public static class CorpusGenerator
{
    private static readonly string[] Usings =
    {
        "using System;", "using System.Collections.Generic;", "using System.Collections.Concurrent;",
        "using System.Threading;", "using System.Threading.Tasks;", "using System.Threading.Channels;",
        "using System.Linq;", "using System.IO;", "using System.Runtime.CompilerServices;",
    };

    private static readonly string[] Fields =
    {
        "private readonly object _gate = new object();",
        "private readonly object _gate = new();",
        "private static readonly object s_gate = new object();",
        "private readonly SemaphoreSlim _semaphore = new SemaphoreSlim(1, 1);",
        "private readonly List<int> _items = new List<int>();",
        "private readonly Dictionary<string, int> _counts = new();",
        "private static readonly Dictionary<string, int> s_cache = new();",
        "private readonly ConcurrentDictionary<string, Task<int>> _pending = new();",
        "private readonly CancellationTokenSource _cts = new CancellationTokenSource();",
        "private readonly Channel<int> _channel = Channel.CreateUnbounded<int>();",
        "private SpinLock _spin = new SpinLock(false);",
        "private readonly ReaderWriterLockSlim _rw = new ReaderWriterLockSlim();",
        "private Timer? _timer;",
        "private Task? _background;",
        "private int _counter;",
        "private volatile bool _stopping;",
        "private readonly TaskCompletionSource<bool> _ready = new TaskCompletionSource<bool>();",
        "private readonly ManualResetEventSlim _signal = new ManualResetEventSlim();",
        "public event EventHandler? Changed;",
    };

    private static readonly string[] Statements =
    {
        "lock (_gate) { _items.Add(1); }",
        "lock (_gate) { await Task.Delay(1); }",
        "lock (this) { _counter++; }",
        "await _semaphore.WaitAsync(cancellationToken);\ntry { _items.Clear(); } finally { _semaphore.Release(); }",
        "_semaphore.Wait();\ntry { await Task.Yield(); } finally { _semaphore.Release(); }",
        "await Task.Delay(100);",
        "await Task.Delay(100, cancellationToken).ConfigureAwait(false);",
        "Task.Delay(100).Wait();",
        "var r = GetAsync(cancellationToken).Result;",
        "var r2 = GetAsync(CancellationToken.None).GetAwaiter().GetResult();",
        "_ = Task.Run(async () => await GetAsync(cancellationToken));",
        "Task.Run(() => _counter++);",
        "_background = Task.Run(() => Loop(cancellationToken), cancellationToken);",
        "await Task.Factory.StartNew(async () => await Task.Yield());",
        "Thread.Sleep(10);",
        "foreach (var item in _items) { await Task.Yield(); }",
        "Parallel.ForEach(_items, async i => await Task.Delay(i));",
        "_items.ForEach(async i => await Task.Delay(i));",
        "await _channel.Writer.WriteAsync(1, cancellationToken);",
        "_channel.Writer.TryWrite(2);",
        "_channel.Writer.Complete();",
        "await foreach (var v in _channel.Reader.ReadAllAsync(cancellationToken)) { _counter += v; }",
        "while (await _channel.Reader.WaitToReadAsync()) { _channel.Reader.TryRead(out _); }",
        "using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));",
        "using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);",
        "cancellationToken.ThrowIfCancellationRequested();",
        "if (cancellationToken.IsCancellationRequested) return;",
        "_cts.Cancel();",
        "Interlocked.Increment(ref _counter);",
        "_counter++;",
        "_counts[\"a\"] = _counter;",
        "s_cache.TryAdd(\"k\", 1);",
        "var t = _pending.GetOrAdd(\"k\", k => GetAsync(cancellationToken));",
        "bool taken = false;\ntry { _spin.Enter(ref taken); } finally { if (taken) _spin.Exit(); }",
        "var copy = _spin;",
        "_rw.EnterReadLock();\ntry { _counter--; } finally { _rw.ExitReadLock(); }",
        "_timer = new Timer(_ => _counter++, null, 0, 1000);",
        "_timer = new Timer(async _ => await GetAsync(default), null, 0, 1000);",
        "Monitor.Enter(_gate);\ntry { await Task.Yield(); } finally { Monitor.Exit(_gate); }",
        "_ready.SetResult(true);",
        "await _ready.Task;",
        "_signal.Wait(cancellationToken);",
        "Changed?.Invoke(this, EventArgs.Empty);",
        "Changed += async (s, e) => await Task.Delay(1);",
        "var tasks = _items.Select(i => GetAsync(cancellationToken)).ToList();\nawait Task.WhenAll(tasks);",
        "await Task.WhenAny(GetAsync(cancellationToken), Task.Delay(-1, cancellationToken));",
        "try { await GetAsync(cancellationToken); } catch (OperationCanceledException) { }",
        "try { await GetAsync(cancellationToken); } catch (Exception) { throw; } finally { _counter = 0; }",
        "using (var s = new MemoryStream()) { await s.WriteAsync(new byte[1], 0, 1); }",
        "await using var stream = new MemoryStream();",
        "async Task LocalAsync() { await Task.Yield(); }\nawait LocalAsync();",
        "async void LocalVoid() { await Task.Yield(); }",
        "Func<Task> f = async () => await Task.Yield();\nawait f();",
        "Action a = async () => await Task.Yield();",
        "var vt = new ValueTask<int>(1);\nawait vt;",
        "if (_stopping) { return; }",
        "for (int i = 0; i < 3; i++) { _items.Add(i); await Task.Yield(); }",
        "switch (_counter) { case 0: await Task.Yield(); break; default: break; }",
        "var x = _counter > 0 ? await GetAsync(cancellationToken) : 0;",
        "ThreadPool.QueueUserWorkItem(_ => _counter++);",
        "new Thread(() => Loop(cancellationToken)).Start();",
    };

    private static readonly string[] Members =
    {
        "public async Task<int> GetAsync(CancellationToken cancellationToken) { await Task.Yield(); return _counter; }",
        "private void Loop(CancellationToken cancellationToken) { while (!cancellationToken.IsCancellationRequested) { Thread.Sleep(1); } }",
        "public async IAsyncEnumerable<int> StreamAsync([EnumeratorCancellation] CancellationToken cancellationToken = default) { yield return 1; await Task.Yield(); }",
        "public void Dispose() { _cts.Cancel(); _cts.Dispose(); }",
        "public async ValueTask DisposeAsync() { _cts.Cancel(); if (_background is not null) await _background; }",
        "public int Count { get { lock (_gate) { return _items.Count; } } }",
        "public Task StopAsync() => _background ?? Task.CompletedTask;",
        "~Worker() { _cts.Cancel(); }",
    };

    private static readonly string[] Signatures =
    {
        "public async Task {0}Async(CancellationToken cancellationToken)",
        "public async Task {0}Async(CancellationToken cancellationToken = default)",
        "public async void {0}(CancellationToken cancellationToken)",
        "public async ValueTask<int> {0}Async(CancellationToken cancellationToken) ",
        "private async Task<bool> {0}Core(int id, CancellationToken cancellationToken)",
        "public void {0}(CancellationToken cancellationToken)",
        "protected static async Task {0}Static(CancellationToken cancellationToken)",
    };

    public static IEnumerable<CorpusSource> Generate(int seed, int count)
    {
        for (var i = 0; i < count; i++)
        {
            yield return new CorpusSource($"generated#{i} (seed {seed})", GenerateOne(new Random(Seeds.Combine(seed, i))), ImplicitUsings: false);
        }
    }

    private static string GenerateOne(Random random)
    {
        var text = new StringBuilder();
        foreach (var u in Usings)
        {
            if (random.Next(5) != 0)
            {
                text.Append(u).Append('\n');
            }
        }

        var fileScoped = random.Next(2) == 0;
        text.Append(fileScoped ? "\nnamespace Generated;\n\n" : "\nnamespace Generated\n{\n");
        var types = 1 + random.Next(2);
        for (var t = 0; t < types; t++)
        {
            var kind = random.Next(6) switch { 0 => "sealed class", 1 => "partial class", 2 => "struct", 3 => "record class", _ => "class" };
            text.Append("// Type ").Append(t).Append(": a worker.\n");
            text.Append("public ").Append(kind).Append(t == 0 ? " Worker" : " Worker" + t).Append(random.Next(4) == 0 ? " : IDisposable" : string.Empty).Append("\n{\n");
            foreach (var field in Pick(random, Fields, 4 + random.Next(6)))
            {
                text.Append("    ").Append(field).Append('\n');
            }

            foreach (var member in Pick(random, Members, 1 + random.Next(3)))
            {
                text.Append("\n    ").Append(member).Append('\n');
            }

            var methods = 1 + random.Next(3);
            for (var m = 0; m < methods; m++)
            {
                text.Append("\n    /* method ").Append(m).Append(" */\n    ")
                    .Append(string.Format(Signatures[random.Next(Signatures.Length)], "Run" + m)).Append("\n    {\n");
                foreach (var statement in Pick(random, Statements, 2 + random.Next(6)))
                {
                    foreach (var line in statement.Split('\n'))
                    {
                        text.Append("        ").Append(line).Append('\n');
                    }
                }

                if (random.Next(3) == 0)
                {
                    text.Append("        return; // done\n");
                }

                text.Append("    }\n");
            }

            text.Append("}\n\n");
        }

        if (!fileScoped)
        {
            text.Append("}\n");
        }

        return text.ToString();
    }

    private static IEnumerable<string> Pick(Random random, string[] pool, int count)
    {
        for (var i = 0; i < count; i++)
        {
            yield return pool[random.Next(pool.Length)];
        }
    }
}

/// <summary>Stable seeds (string.GetHashCode differs per process, so it is never used for seeds).</summary>
public static class Seeds
{
    /// <summary>The default base seed; set RELIABILITY_SEED to another number to sweep differently.</summary>
    public const int Default = 20261122;

    public static int Base { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("RELIABILITY_SEED"), out var seed) ? seed : Default;

    public static int Combine(int a, int b)
    {
        unchecked
        {
            var hash = (uint)a * 0x9E3779B1u;
            hash ^= (uint)b + 0x7F4A7C15u + (hash << 6) + (hash >> 2);
            hash *= 0x85EBCA6Bu;
            hash ^= hash >> 13;
            return (int)(hash & 0x7FFFFFFF);
        }
    }

    /// <summary>FNV-1a over the UTF-16 code units.</summary>
    public static int Of(string text)
    {
        unchecked
        {
            var hash = 2166136261u;
            foreach (var c in text)
            {
                hash = (hash ^ c) * 16777619u;
            }

            return (int)(hash & 0x7FFFFFFF);
        }
    }
}
