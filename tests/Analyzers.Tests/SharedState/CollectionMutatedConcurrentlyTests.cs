using ConcurrencyAnalyzers.SharedState;
using ConcurrencyAnalyzers.Tests.Verifiers;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<
    ConcurrencyAnalyzers.SharedState.CollectionMutatedConcurrentlyAnalyzer,
    ConcurrencyAnalyzers.CodeFixes.SharedState.CollectionMutatedConcurrentlyCodeFix>;

namespace ConcurrencyAnalyzers.Tests.SharedState;

public sealed class CollectionMutatedConcurrentlyTests
{
    private const string Usings = """
        using System;
        using System.Collections.Concurrent;
        using System.Collections.Generic;
        using System.Collections.Immutable;
        using System.Linq;
        using System.Threading;
        using System.Threading.Tasks;

        """;

    // ---- reported ----

    [Fact]
    public Task List_Add_in_Parallel_ForEach_is_reported_and_locked()
        => Verify.VerifyCodeFixAsync(Usings + """
            class Report
            {
                List<int> Summarize(int[] files)
                {
                    var results = new List<int>();
                    Parallel.ForEach(files, f => {|#0:results.Add(f * 2)|});
                    return results;
                }
            }
            """,
            new[] { Verify.Diagnostic(CollectionMutatedConcurrentlyAnalyzer.Rule).WithLocation(0).WithArguments("results", "List<int>", "Add", "Parallel.ForEach") },
            Usings + """
            class Report
            {
                List<int> Summarize(int[] files)
                {
                    var results = new List<int>();
                    Parallel.ForEach(files, f => { lock (results) { results.Add(f * 2); } });
                    return results;
                }
            }
            """);

    [Fact]
    public Task Dictionary_indexer_set_after_await_in_WhenAll_projection_is_reported_and_locked_keeping_comments()
        => Verify.VerifyCodeFixAsync(Usings + """
            class Sizes
            {
                static Task<long> GetLengthAsync(string url) => Task.FromResult(1L);

                async Task<Dictionary<string, long>> MeasureAsync(string[] urls)
                {
                    var sizes = new Dictionary<string, long>();
                    await Task.WhenAll(urls.Select(async u =>
                    {
                        var n = await GetLengthAsync(u);
                        // remember the size
                        {|#0:sizes[u]|} = n; // by url
                    }));
                    return sizes;
                }
            }
            """,
            new[] { Verify.Diagnostic(CollectionMutatedConcurrentlyAnalyzer.Rule).WithLocation(0).WithArguments("sizes", "Dictionary<string, long>", "this[]", "Select into Task.WhenAll") },
            Usings + """
            class Sizes
            {
                static Task<long> GetLengthAsync(string url) => Task.FromResult(1L);

                async Task<Dictionary<string, long>> MeasureAsync(string[] urls)
                {
                    var sizes = new Dictionary<string, long>();
                    await Task.WhenAll(urls.Select(async u =>
                    {
                        var n = await GetLengthAsync(u);
                        // remember the size
                        lock (sizes)
                        {
                            sizes[u] = n; // by url
                        }
                    }));
                    return sizes;
                }
            }
            """);

    [Fact]
    public Task Field_changes_in_a_Parallel_body_use_the_existing_gate_once_per_statement_with_Fix_All()
        => Verify.VerifyCodeFixAsync(Usings + """
            class Index
            {
                private readonly object _gate = new object();
                private Dictionary<string, int> _counts = new Dictionary<string, int>();
                private readonly HashSet<string> _seen = new HashSet<string>();

                int Count(string key) { lock (_gate) { return _counts.TryGetValue(key, out var n) ? n : 0; } }

                void Build(string[] words)
                {
                    Parallel.For(0, words.Length, i =>
                    {
                        {|CONC301:_counts.Remove(words[i])|};
                        {|CONC301:_seen.Add(words[i])|};
                    });
                }
            }
            """,
            Usings + """
            class Index
            {
                private readonly object _gate = new object();
                private Dictionary<string, int> _counts = new Dictionary<string, int>();
                private readonly HashSet<string> _seen = new HashSet<string>();

                int Count(string key) { lock (_gate) { return _counts.TryGetValue(key, out var n) ? n : 0; } }

                void Build(string[] words)
                {
                    Parallel.For(0, words.Length, i =>
                    {
                        lock (_gate)
                        {
                            _counts.Remove(words[i]);
                        }

                        lock (_gate)
                        {
                            _seen.Add(words[i]);
                        }
                    });
                }
            }
            """);

    [Fact]
    public Task Private_method_a_timer_runs_changing_a_field_another_member_uses_is_reported_like_the_lambda()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Poller : IDisposable
            {
                private readonly Timer _timer;
                private readonly List<string> _seen = new();

                public Poller() => _timer = new Timer(OnTick, null, 0, 1000);

                public bool HasSeen(string s) => _seen.Contains(s);

                private void OnTick(object? state) => {|#0:_seen.Add(DateTime.UtcNow.ToString())|};

                public void Dispose() => _timer.Dispose();
            }

            class Refresher : IDisposable
            {
                private readonly Timer _timer;
                private readonly Dictionary<string, int> _sizes = new();

                public Refresher() => _timer = new Timer(_ => Refresh(), null, 0, 1000);

                public int SizeOf(string key) => _sizes.TryGetValue(key, out var n) ? n : 0;

                private void Refresh() => {|#1:_sizes["a"]|} = 1;

                public void Dispose() => _timer.Dispose();
            }

            // Silent: the field is used only by what the timer runs (the callback and the helpers it calls), or under
            // the same lock everywhere.
            class Collector : IDisposable
            {
                private readonly object _gate = new();
                private readonly Timer _timer;
                private readonly List<int> _samples = new();
                private readonly Queue<int> _recent = new();

                public Collector() => _timer = new Timer(_ => { Sample(); Trim(); }, null, 0, 1000);

                public int Count { get { lock (_gate) { return _recent.Count; } } }

                private void Sample() => _samples.Add(Environment.TickCount);

                private void Trim()
                {
                    if (_samples.Count > 100) _samples.Clear();
                    lock (_gate) { _recent.Enqueue(1); }
                }

                public void Dispose() => _timer.Dispose();
            }
            """,
            Verify.Diagnostic(CollectionMutatedConcurrentlyAnalyzer.Rule).WithLocation(0).WithArguments("_seen", "List<string>", "Add", "new Timer"),
            Verify.Diagnostic(CollectionMutatedConcurrentlyAnalyzer.Rule).WithLocation(1).WithArguments("_sizes", "Dictionary<string, int>", "this[]", "new Timer"));

    // No fix either (FixedCode = TestCode): a lock around the change alone would leave the lookup-then-add race.
    [Fact]
    public Task Keyed_lock_table_of_semaphores_changed_unlocked_where_they_are_waited_on_is_reported_without_a_fix_locked_or_set_up_it_is_not()
    {
        const string source = """
            class KeyedLock
            {
                private readonly Dictionary<string, SemaphoreSlim> _locks = new();

                public async Task RunAsync(string key, Func<Task> work)
                {
                    if (!_locks.TryGetValue(key, out var gate))
                    {
                        gate = new SemaphoreSlim(1, 1);
                        {|CONC301:_locks[key]|} = gate;
                    }

                    await gate.WaitAsync();
                    try { await work(); } finally { gate.Release(); }
                }

                public void Forget(string key)
                {
                    if (_locks.TryGetValue(key, out var gate) && gate.CurrentCount == 1)
                    {
                        {|CONC301:_locks.Remove(key)|};
                        gate.Release();
                    }
                }
            }

            class LockedKeyedLock
            {
                private readonly object _sync = new();
                private readonly Dictionary<string, SemaphoreSlim> _locks = new();

                public async Task RunAsync(string key, Func<Task> work)
                {
                    SemaphoreSlim gate;
                    lock (_sync)
                    {
                        if (!_locks.TryGetValue(key, out gate!))
                        {
                            gate = new SemaphoreSlim(1, 1);
                            _locks[key] = gate;
                        }
                    }

                    await gate.WaitAsync();
                    try { await work(); } finally { gate.Release(); }
                }
            }

            class ConfiguredThrottles
            {
                private readonly Dictionary<string, SemaphoreSlim> _gates = new();
                private readonly Dictionary<string, int> _calls = new();
                private readonly SemaphoreSlim _one = new(1, 1);

                public ConfiguredThrottles(string[] names)
                {
                    foreach (var name in names) _gates.Add(name, new SemaphoreSlim(4, 4));
                }

                // Set-up before use: nothing waits here.
                public void Register(string name, int limit) => _gates[name] = new SemaphoreSlim(limit, limit);

                // Not a table of semaphores: CONC301's usual rules apply (a plain method, not started concurrently).
                public async Task CountAsync(string name)
                {
                    await _one.WaitAsync();
                    try { _calls[name] = _calls.TryGetValue(name, out var n) ? n + 1 : 1; } finally { _one.Release(); }
                    _calls.Remove("");
                }

                public async Task RunAsync(string name, Func<Task> work)
                {
                    var gate = _gates[name];
                    await gate.WaitAsync();
                    try { await work(); } finally { gate.Release(); }
                }
            }
            """;
        var test = new Verify.Test { TestCode = Usings + source, FixedCode = Usings + source };
        return test.RunAsync();
    }

    [Fact]
    public Task Task_Run_started_in_a_loop_is_reported_without_a_fix()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Crawler
            {
                async Task<List<string>> CrawlAsync(string[] pages)
                {
                    var found = new List<string>();
                    var tasks = new List<Task>();
                    foreach (var page in pages)
                    {
                        tasks.Add(Task.Run(() => {|CONC301:found.Add(page)|}));
                    }

                    await Task.WhenAll(tasks);
                    return found;
                }
            }
            """);

    [Fact]
    public Task A_method_marked_MethodImplOptions_Synchronized_holds_its_lock_for_the_whole_body_a_lambda_it_starts_does_not()
        => Verify.VerifyAnalyzerAsync(Usings + """
            using System.Runtime.CompilerServices;

            class Registry
            {
                private readonly List<int> _items = new List<int>();
                private static readonly List<string> s_names = new List<string>();

                [MethodImpl(MethodImplOptions.Synchronized)]
                public void Add(int x) => _items.Add(x);

                [MethodImpl(MethodImplOptions.Synchronized | MethodImplOptions.NoInlining)]
                public static void Name(string name)
                {
                    s_names.Add(name);
                }

                [MethodImpl(MethodImplOptions.NoInlining)]
                public void Remove(int x) => {|CONC301:_items.Remove(x)|};

                [MethodImpl(MethodImplOptions.Synchronized)]
                public void AddLater(int x) => Task.Run(() => {|CONC301:_items.Add(x)|});

                public void Fill(int n)
                {
                    Parallel.For(0, n, Add);
                    Parallel.For(0, n, i => Name(i.ToString()));
                    Parallel.For(0, n, Remove);
                }
            }
            """);

    [Fact]
    public Task Synchronized_wrappers_of_old_collections_are_thread_safe_the_plain_collection_is_not()
        => Verify.VerifyAnalyzerAsync(Usings + """
            using System.Collections;

            class Spool
            {
                private readonly Queue _jobs = Queue.Synchronized(new Queue());
                private readonly ArrayList _plain = new ArrayList();
                private ArrayList _replaced = ArrayList.Synchronized(new ArrayList());

                public int Fill(int n)
                {
                    var log = ArrayList.Synchronized(new ArrayList());
                    var seen = Hashtable.Synchronized(new Hashtable());
                    Parallel.For(0, n, i =>
                    {
                        _jobs.Enqueue(i);
                        log.Add(i);
                        seen[i] = true;
                        {|CONC301:_plain.Add(i)|};
                        {|CONC301:_replaced.Add(i)|};
                    });
                    _replaced = new ArrayList();
                    return _jobs.Count + log.Count + _plain.Count;
                }
            }
            """);

    [Fact]
    public Task Old_ReaderWriterLock_and_one_slot_Semaphore_released_in_finally_are_locks_a_throttle_Semaphore_is_not()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Index
            {
                private readonly ReaderWriterLock _rw = new ReaderWriterLock();
                private readonly Semaphore _gate = new Semaphore(1, 1);
                private readonly Semaphore _slots = new Semaphore(4, 4);
                private readonly Dictionary<int, int> _map = new Dictionary<int, int>();
                private readonly List<int> _list = new List<int>();
                private readonly List<int> _throttled = new List<int>();

                public void Fill(int n)
                {
                    Parallel.For(0, n, i =>
                    {
                        _rw.AcquireWriterLock(1000);
                        try
                        {
                            _map[i] = i;
                        }
                        finally
                        {
                            _rw.ReleaseWriterLock();
                        }

                        _gate.WaitOne();
                        try
                        {
                            _list.Add(i);
                        }
                        finally
                        {
                            _gate.Release();
                        }

                        _slots.WaitOne();
                        try
                        {
                            {|CONC301:_throttled.Add(i)|};
                        }
                        finally
                        {
                            _slots.Release();
                        }
                    });
                }
            }
            """);

    [Fact]
    public Task LocalFinally_merging_into_a_shared_list_without_a_lock_is_reported()
        => Verify.VerifyCodeFixAsync(Usings + """
            class Merge
            {
                List<int> Evens(int n)
                {
                    var all = new List<int>();
                    Parallel.For(0, n, () => new List<int>(), (i, state, local) => { if (i % 2 == 0) local.Add(i); return local; },
                        local => {|CONC301:all.AddRange(local)|});
                    return all;
                }
            }
            """,
            Usings + """
            class Merge
            {
                List<int> Evens(int n)
                {
                    var all = new List<int>();
                    Parallel.For(0, n, () => new List<int>(), (i, state, local) => { if (i % 2 == 0) local.Add(i); return local; },
                        local => { lock (all) { all.AddRange(local); } });
                    return all;
                }
            }
            """);

    [Fact]
    public Task Shared_Random_is_reported_without_a_fix_where_the_call_is_inside_an_expression()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Sampler
            {
                void Fill(double[] samples)
                {
                    var rng = new Random(42);
                    Parallel.For(0, samples.Length, i => samples[i] = {|CONC301:rng.NextDouble()|});
                }
            }
            """);

    [Fact]
    public Task Dictionary_indexer_written_by_every_kind_of_write_is_reported_reads_and_list_slots_are_not()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Tally
            {
                void Count(string[] words)
                {
                    var counts = new Dictionary<string, int>();
                    var names = new SortedDictionary<string, string>();
                    var slots = new List<int> { 0 };
                    Parallel.For(0, words.Length, i =>
                    {
                        {|CONC301:counts[words[i]]|} = 1;
                        {|CONC301:counts[words[i]]|}++;
                        --{|CONC301:counts[words[i]]|};
                        {|CONC301:counts[words[i]]|} += 2;
                        {|CONC301:names[words[i]]|} ??= "x";
                        var seen = counts[words[i]] + slots[0];
                        slots[0] = i;
                    });
                }
            }
            """);

    [Fact]
    public Task Dictionary_indexer_written_in_another_part_of_a_partial_type_without_brackets_here_is_reported()
    {
        // Indexer writes are followed only in a type whose text has a bracket: every part's text counts, so the part
        // that declares the field (no bracket in it) and the part that writes it make one type that is followed.
        const string source = Usings + """
            partial class Tally
            {
                private readonly Dictionary<string, int> _counts = new Dictionary<string, int>();

                public int Total() => _counts.Count;
            }

            partial class Tally
            {
                public void Count(List<string> words)
                    => Parallel.ForEach(words, word => {|CONC301:_counts[word]|} = word.Length);
            }
            """;
        return Verify.VerifyAnalyzerAsync(source);
    }

    [Fact]
    public Task Every_Random_method_and_each_mutating_builder_and_collection_member_is_reported_object_members_are_not()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Dice : Random { }

            class Mixer
            {
                void Mix(int[] items, byte[] buffer)
                {
                    var rng = new Random(42);
                    var dice = new Dice();
                    var text = new System.Text.StringBuilder();
                    var list = new List<int>();
                    Parallel.For(0, items.Length, i =>
                    {
                        {|CONC301:rng.Shuffle(items)|};
                        {|CONC301:rng.NextBytes(buffer)|};
                        var n = {|CONC301:rng.NextInt64(10)|} + {|CONC301:dice.Next()|};
                        {|CONC301:text.AppendLine("x")|};
                        {|CONC301:text.Insert(0, i)|};
                        {|CONC301:list.TrimExcess()|};
                        {|CONC301:list.EnsureCapacity(i)|};
                        var same = rng.Equals(dice) || rng.GetHashCode() == 0 || text.ToString().Length == 0 || list.Contains(i);
                    });
                }
            }
            """);

    [Fact]
    public Task Write_whose_own_value_awaits_in_a_WhenAll_projection_is_reported_without_a_fix_and_one_before_the_first_await_is_not()
    {
        const string source = """
            class Sizes
            {
                private readonly Dictionary<string, int> _sizes = new Dictionary<string, int>();
                private readonly List<int> _lengths = new List<int>();
                private readonly List<string> _started = new List<string>();

                static Task<string> GetAsync(string url) => Task.FromResult(url);

                Task MeasureAsync(string[] urls)
                    => Task.WhenAll(urls.Select(async u => {|#0:_sizes[u]|} = (await GetAsync(u)).Length));

                Task CollectAsync(string[] urls)
                    => Task.WhenAll(urls.Select(async u =>
                    {
                        _started.Add(u);
                        {|#1:_lengths.Add((await GetAsync(u)).Length)|};
                    }));
            }
            """;
        var test = new Verify.Test { TestCode = Usings + source, FixedCode = Usings + source };
        test.ExpectedDiagnostics.AddRange(new[]
        {
            Verify.Diagnostic(CollectionMutatedConcurrentlyAnalyzer.Rule).WithLocation(0).WithArguments("_sizes", "Dictionary<string, int>", "this[]", "Select into Task.WhenAll"),
            Verify.Diagnostic(CollectionMutatedConcurrentlyAnalyzer.Rule).WithLocation(1).WithArguments("_lengths", "List<int>", "Add", "Select into Task.WhenAll"),
        });
        test.FixedState.ExpectedDiagnostics.AddRange(test.ExpectedDiagnostics);
        return test.RunAsync();
    }

    [Fact]
    public Task Throttling_semaphore_region_is_not_a_lock()
        => Verify.VerifyCodeFixAsync(Usings + """
            class Fetcher
            {
                async Task<List<string>> FetchAsync(string[] urls)
                {
                    var bodies = new List<string>();
                    var throttle = new SemaphoreSlim(4);
                    await Task.WhenAll(urls.Select(async u =>
                    {
                        await throttle.WaitAsync();
                        try
                        {
                            await Task.Delay(1);
                            {|CONC301:bodies.Add(u)|};
                        }
                        finally
                        {
                            throttle.Release();
                        }
                    }));
                    return bodies;
                }
            }
            """,
            Usings + """
            class Fetcher
            {
                async Task<List<string>> FetchAsync(string[] urls)
                {
                    var bodies = new List<string>();
                    var throttle = new SemaphoreSlim(4);
                    await Task.WhenAll(urls.Select(async u =>
                    {
                        await throttle.WaitAsync();
                        try
                        {
                            await Task.Delay(1);
                            lock (bodies)
                            {
                                bodies.Add(u);
                            }
                        }
                        finally
                        {
                            throttle.Release();
                        }
                    }));
                    return bodies;
                }
            }
            """);

    [Fact]
    public Task Async_method_of_the_type_started_together_with_WhenAll_is_reported_after_its_first_await()
        => Verify.VerifyCodeFixAsync(Usings + """
            class Downloader
            {
                private readonly List<string> _pages = new List<string>();

                Task RunAsync(string[] urls) => Task.WhenAll(urls.Select(u => FetchAsync(u)));

                private async Task FetchAsync(string url)
                {
                    _pages.Add("start");
                    await Task.Delay(10);
                    {|CONC301:_pages.Add(url)|};
                }
            }
            """,
            Usings + """
            class Downloader
            {
                private readonly List<string> _pages = new List<string>();

                Task RunAsync(string[] urls) => Task.WhenAll(urls.Select(u => FetchAsync(u)));

                private async Task FetchAsync(string url)
                {
                    _pages.Add("start");
                    await Task.Delay(10);
                    lock (_pages)
                    {
                        _pages.Add(url);
                    }
                }
            }
            """);

    [Fact]
    public Task Two_detached_tasks_changing_one_list_are_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Pair
            {
                async Task RunAsync()
                {
                    var log = new Queue<string>();
                    var a = Task.Run(() => {|CONC301:log.Enqueue("a")|});
                    var b = Task.Run(() => {|CONC301:log.Enqueue("b")|});
                    await Task.WhenAll(a, b);
                }
            }
            """);

    [Fact]
    public Task CSharp7_3_library_gets_a_lock_statement()
    {
        var test = new Verify.Test
        {
            ReferenceAssemblies = TestReferences.NetStandard20,
            LanguageVersion = LanguageVersion.CSharp7_3,
            TestCode = """
                using System.Collections.Generic;
                using System.Threading.Tasks;

                class Legacy
                {
                    void Run(int[] items)
                    {
                        var seen = new HashSet<int>();
                        Parallel.ForEach(items, x =>
                        {
                            {|CONC301:seen.Add(x)|};
                        });
                    }
                }
                """,
            FixedCode = """
                using System.Collections.Generic;
                using System.Threading.Tasks;

                class Legacy
                {
                    void Run(int[] items)
                    {
                        var seen = new HashSet<int>();
                        Parallel.ForEach(items, x =>
                        {
                            lock (seen)
                            {
                                seen.Add(x);
                            }
                        });
                    }
                }
                """,
        };
        return test.RunAsync();
    }

    [Fact]
    public Task Local_function_called_only_from_a_Parallel_ForEach_lambda_is_reported_where_it_adds()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Item
            {
                public string Name = "";
            }

            class Catalog
            {
                List<string> Names(Item[] items)
                {
                    var results = new List<string>();
                    Parallel.ForEach(items, item =>
                    {
                        if (item.Name.Length > 0)
                        {
                            Record(item);
                        }
                    });
                    return results;

                    void Record(Item i) => {|CONC301:results.Add(i.Name)|};
                }
            }
            """);

    [Fact]
    public Task Local_function_called_only_from_a_loop_in_a_Task_Run_lambda_is_reported_for_a_field_read_elsewhere()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Collector
            {
                private readonly List<int> _seen = new();

                public int Count => _seen.Count;

                public Task Start(int[] xs)
                {
                    return Task.Run(() =>
                    {
                        foreach (var x in xs)
                        {
                            Add(x);
                        }
                    });

                    void Add(int x) => {|CONC301:_seen.Add(x)|};
                }
            }
            """);

    private const string EfCore = """

        namespace Microsoft.EntityFrameworkCore
        {
            public class DbContext : System.IDisposable
            {
                public void Dispose() { }
                public System.Threading.Tasks.ValueTask<object?> FindAsync(System.Type type, params object?[]? keys) => default;
                public object? Find(System.Type type, params object?[]? keys) => null;
                public System.Threading.Tasks.Task<int> SaveChangesAsync(System.Threading.CancellationToken token = default) => System.Threading.Tasks.Task.FromResult(0);
            }

            public class DbSet<T> : System.Linq.IQueryable<T> where T : class
            {
                public System.Threading.Tasks.ValueTask<T?> FindAsync(params object?[]? keys) => default;
                public System.Type ElementType => typeof(T);
                public System.Linq.Expressions.Expression Expression => null!;
                public System.Linq.IQueryProvider Provider => null!;
                public System.Collections.Generic.IEnumerator<T> GetEnumerator() => null!;
                System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => null!;
            }

            public static class EntityFrameworkQueryableExtensions
            {
                public static System.Threading.Tasks.Task<System.Collections.Generic.List<T>> ToListAsync<T>(this System.Linq.IQueryable<T> source, System.Threading.CancellationToken token = default) => null!;
            }

            public interface IDbContextFactory<TContext> where TContext : DbContext
            {
                TContext CreateDbContext();
            }
        }

        public sealed class User { public int Id { get; set; } public int TeamId { get; set; } }

        public sealed class ShopDb : Microsoft.EntityFrameworkCore.DbContext
        {
            public Microsoft.EntityFrameworkCore.DbSet<User> Users { get; } = null!;
        }
        """;

    [Fact]
    public Task DbContext_used_by_tasks_started_together_for_WhenAll_is_reported_without_a_fix()
    {
        const string source = Usings + """
            using Microsoft.EntityFrameworkCore;

            class UserService
            {
                private readonly ShopDb _db;

                public UserService(ShopDb db) => _db = db;

                public async Task<User?[]> GetAllAsync(int[] ids)
                    => await Task.WhenAll(ids.Select(id => _db.Users.{|#0:FindAsync|}(id).AsTask()));

                public Task<List<User>[]> ByTeamsAsync(int[] teams, ShopDb db, CancellationToken token)
                {
                    var queries = teams.Select(async team => await db.Users.Where(u => u.TeamId == team).{|#1:ToListAsync|}(token)).ToList();
                    return Task.WhenAll(queries);
                }
            }
            """ + EfCore;
        return Verify.VerifyCodeFixAsync(
            source,
            new[]
            {
                Verify.Diagnostic(CollectionMutatedConcurrentlyAnalyzer.SharedDbContextRule).WithLocation(0).WithArguments("_db", "ShopDb", "FindAsync"),
                Verify.Diagnostic(CollectionMutatedConcurrentlyAnalyzer.SharedDbContextRule).WithLocation(1).WithArguments("db", "ShopDb", "ToListAsync"),
            },
            source);
    }

    [Fact]
    public Task DbContext_used_one_operation_at_a_time_or_one_per_task_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            using Microsoft.EntityFrameworkCore;

            class UserService
            {
                private readonly ShopDb _db;
                private readonly IDbContextFactory<ShopDb> _factory;
                private readonly System.Net.Http.HttpClient _http = new System.Net.Http.HttpClient();

                public UserService(ShopDb db, IDbContextFactory<ShopDb> factory) { _db = db; _factory = factory; }

                public async Task<List<User?>> OneAtATimeAsync(int[] ids)
                {
                    var users = new List<User?>();
                    foreach (var id in ids)
                    {
                        users.Add(await _db.Users.FindAsync(id));
                    }

                    return users;
                }

                public Task<User?[]> OwnContextPerTaskAsync(int[] ids)
                    => Task.WhenAll(ids.Select(async id =>
                    {
                        using var db = _factory.CreateDbContext();
                        return await db.Users.FindAsync(id);
                    }));

                public Task<string[]> HttpAsync(string[] urls) => Task.WhenAll(urls.Select(u => _http.GetStringAsync(u)));

                public Task<User?[]> SynchronousLookupsAsync(int[] ids)
                    => Task.WhenAll(ids.Select(id => Task.FromResult((User?)_db.Find(typeof(User), id))));

                private readonly SemaphoreSlim _one = new SemaphoreSlim(1, 1);

                public Task<User?[]> SerializedBySemaphoreAsync(int[] ids)
                    => Task.WhenAll(ids.Select(async id =>
                    {
                        var extra = await _http.GetStringAsync(id.ToString());
                        await _one.WaitAsync();
                        try { return await _db.Users.FindAsync(id, extra); }
                        finally { _one.Release(); }
                    }));

                private async Task<T> WithOwnContext<T>(Func<ShopDb, Task<T>> work) { using var db = _factory.CreateDbContext(); return await work(db); }

                public Task<User?[]> ContextPerTaskThroughAHelperAsync(int[] ids)
                    => Task.WhenAll(ids.Select(id => WithOwnContext(db => db.Users.FindAsync(id).AsTask())));

                public Task<User?>[] NotJoined(int[] ids) => ids.Select(id => _db.Users.FindAsync(id).AsTask()).ToArray();

                public async Task SaveAfterJoinAsync(int[] ids)
                {
                    await Task.WhenAll(ids.Select(id => _http.GetStringAsync(id.ToString())));
                    await _db.SaveChangesAsync();
                }
            }
            """ + EfCore);

    // ---- not reported ----

    [Fact]
    public Task Changes_under_lock_Monitor_or_a_mutex_semaphore_are_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Safe
            {
                private readonly object _gate = new object();
                private readonly SemaphoreSlim _mutex = new SemaphoreSlim(1, 1);

                async Task RunAsync(int[] items)
                {
                    var a = new List<int>();
                    var b = new List<int>();
                    var c = new Dictionary<int, int>();
                    Parallel.ForEach(items, x => { lock (_gate) { a.Add(x); } });
                    Parallel.ForEach(items, x =>
                    {
                        Monitor.Enter(b);
                        try { b.Add(x); }
                        finally { Monitor.Exit(b); }
                    });
                    await Task.WhenAll(items.Select(async x =>
                    {
                        await Task.Delay(x);
                        await _mutex.WaitAsync();
                        try { c[x] = x; }
                        finally { _mutex.Release(); }
                    }));
                }
            }
            """);

    [Fact]
    public Task Concurrent_and_immutable_collections_and_Interlocked_are_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Safe
            {
                private ImmutableList<int> _all = ImmutableList<int>.Empty;

                void Run(int[] items)
                {
                    var bag = new ConcurrentBag<int>();
                    var map = new ConcurrentDictionary<int, int>();
                    var queue = new ConcurrentQueue<int>();
                    Parallel.ForEach(items, x =>
                    {
                        bag.Add(x);
                        map[x] = x;
                        map.TryAdd(x, x);
                        queue.Enqueue(x);
                        ImmutableInterlocked.Update(ref _all, l => l.Add(x));
                    });
                }
            }
            """);

    [Fact]
    public Task Collections_created_inside_the_lambda_per_iteration_or_per_worker_are_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Safe
            {
                async Task RunAsync(int[][] groups, List<int>[] buckets)
                {
                    Parallel.ForEach(groups, g =>
                    {
                        var local = new List<int>();
                        foreach (var x in g) local.Add(x);
                        var inner = new HashSet<int>();
                        g.ToList().ForEach(x => inner.Add(x));
                    });
                    Parallel.ForEach(buckets, bucket => bucket.Add(1));
                    Parallel.For(0, 10, () => new List<int>(), (i, s, local) => { local.Add(i); return local; }, local => { });

                    var tasks = new List<Task>();
                    foreach (var bucket in buckets)
                    {
                        tasks.Add(Task.Run(() => bucket.Add(2)));
                    }

                    for (var i = 0; i < 3; i++)
                    {
                        var perTask = new List<int>();
                        tasks.Add(Task.Run(() => perTask.Add(i)));
                    }

                    await Task.WhenAll(tasks);
                }
            }
            """);

    [Fact]
    public Task Distinct_slots_reads_and_sequential_code_are_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Safe
            {
                async Task RunAsync(int[] items, Dictionary<int, string> names)
                {
                    var results = new int[items.Length];
                    var slots = new List<int>(new int[items.Length]);
                    Parallel.For(0, items.Length, i =>
                    {
                        results[i] = items[i] * 2;
                        slots[i] = items[i];
                        names.TryGetValue(i, out var name);
                        var count = names.Count;
                    });

                    var list = new List<int>();
                    items.ToList().ForEach(x => list.Add(x));
                    await Task.Run(() => list.Add(1));
                    foreach (var x in items)
                    {
                        await Task.Run(() => list.Add(x));
                    }

                    await Task.WhenAll(items.Select(async x =>
                    {
                        list.Add(x);
                        await Task.Delay(x);
                    }));
                }
            }
            """);

    [Fact]
    public Task Single_background_task_owning_its_list_and_Parallel_Invoke_with_separate_lists_are_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Safe
            {
                Task<List<int>> ProduceAsync()
                {
                    var produced = new List<int>();
                    return Task.Run(() =>
                    {
                        for (var i = 0; i < 10; i++) produced.Add(i);
                        return produced;
                    });
                }

                void Split()
                {
                    var left = new List<int>();
                    var right = new List<int>();
                    Parallel.Invoke(() => left.Add(1), () => right.Add(2));
                }
            }
            """);

    private const string PlainUsings = """
        using System;
        using System.Collections.Generic;
        using System.Linq;
        using System.Threading.Tasks;

        """;

    private const string ConcurrentUsings = """
        using System;
        using System.Collections.Concurrent;
        using System.Collections.Generic;
        using System.Linq;
        using System.Threading.Tasks;

        """;

    private static Task VerifyConcurrentFixAsync(string source, string fixedSource)
    {
        var test = new Verify.Test
        {
            TestCode = source,
            FixedCode = fixedSource,
            CodeActionEquivalenceKey = "CONC301.concurrent",
        };
        return test.RunAsync();
    }

    [Fact]
    public Task Local_Dictionary_whose_uses_all_map_becomes_a_ConcurrentDictionary_with_Fix_All()
        => VerifyConcurrentFixAsync(PlainUsings + """
            class Sizes
            {
                static Task<long> GetLengthAsync(string url) => Task.FromResult(1L);

                async Task<IReadOnlyDictionary<string, long>> MeasureAsync(string[] urls, string skip)
                {
                    // sizes by url
                    var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
                    sizes.Add("total", 0);
                    await Task.WhenAll(urls.Select(async u =>
                    {
                        var n = await GetLengthAsync(u);
                        if (!sizes.ContainsKey(u)) {|CONC301:sizes[u]|} = n;
                        {|CONC301:sizes.Remove(skip)|};
                    }));
                    if (sizes.TryGetValue("total", out var total) && sizes.Count > 1)
                    {
                        foreach (var pair in sizes) Console.WriteLine(pair.Key + total);
                        Console.WriteLine(string.Join(",", sizes.Keys.OrderBy(k => k)));
                    }

                    return sizes;
                }
            }
            """,
            ConcurrentUsings + """
            class Sizes
            {
                static Task<long> GetLengthAsync(string url) => Task.FromResult(1L);

                async Task<IReadOnlyDictionary<string, long>> MeasureAsync(string[] urls, string skip)
                {
                    // sizes by url
                    var sizes = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
                    sizes.TryAdd("total", 0);
                    await Task.WhenAll(urls.Select(async u =>
                    {
                        var n = await GetLengthAsync(u);
                        if (!sizes.ContainsKey(u)) sizes[u] = n;
                        sizes.TryRemove(skip, out _);
                    }));
                    if (sizes.TryGetValue("total", out var total) && sizes.Count > 1)
                    {
                        foreach (var pair in sizes) Console.WriteLine(pair.Key + total);
                        Console.WriteLine(string.Join(",", sizes.Keys.OrderBy(k => k)));
                    }

                    return sizes;
                }
            }
            """);

    [Fact]
    public Task Local_List_only_added_to_counted_and_enumerated_becomes_a_ConcurrentBag()
        => VerifyConcurrentFixAsync(ConcurrentUsings + """
            class Report
            {
                int Summarize(int[] files)
                {
                    List<int> results = new();
                    Parallel.ForEach(files, f => {|CONC301:results.Add(f * 2)|});
                    foreach (var r in results) Console.WriteLine(r);
                    return results.Count + results.Sum();
                }
            }
            """,
            ConcurrentUsings + """
            class Report
            {
                int Summarize(int[] files)
                {
                    ConcurrentBag<int> results = new();
                    Parallel.ForEach(files, f => results.Add(f * 2));
                    foreach (var r in results) Console.WriteLine(r);
                    return results.Count + results.Sum();
                }
            }
            """);

    [Fact]
    public Task Local_collections_with_a_use_that_does_not_map_get_no_concurrent_type_fix()
    {
        var source = PlainUsings + """
            class Uses
            {
                static void Print(Dictionary<string, int> d) { }

                List<int> Returned(int[] items)
                {
                    var list = new List<int>();
                    Parallel.ForEach(items, i => {|CONC301:list.Add(i)|});
                    return list;
                }

                void Sorted(int[] items)
                {
                    var list = new List<int>();
                    Parallel.ForEach(items, i => {|CONC301:list.Add(i)|});
                    list.Sort();
                }

                void HandedOn(string[] keys)
                {
                    var counts = new Dictionary<string, int>();
                    Parallel.ForEach(keys, k => {|CONC301:counts[k]|} = 1);
                    Print(counts);
                }

                void ReadModifyWrite(string[] keys)
                {
                    var counts = new Dictionary<string, int>();
                    Parallel.ForEach(keys, k => {|CONC301:counts[k]|} = counts.GetValueOrDefault(k) + 1);
                }

                void Capacity(string[] keys)
                {
                    var counts = new Dictionary<string, int>(16);
                    Parallel.ForEach(keys, k => {|CONC301:counts.Add(k, 1)|});
                }

                void Set(string[] keys)
                {
                    var seen = new HashSet<string>();
                    Parallel.ForEach(keys, k => {|CONC301:seen.Add(k)|});
                }

                void Reassigned(string[] keys)
                {
                    var counts = new Dictionary<string, int>();
                    Parallel.ForEach(keys, k => {|CONC301:counts.Add(k, 1)|});
                    counts = new Dictionary<string, int>();
                }
            }
            """;
        return VerifyConcurrentFixAsync(source, source);
    }

    private const string Wrappers = """
        namespace My.Collections
        {
            // Every member takes an internal lock before calling the base list (shape only).
            public class SafeList<T> : List<T> { }
            public class Ledger : Dictionary<string, decimal> { }
        }

        """;

    private const string WrapperUse = """
        class Collector
        {
            void Run(int[] items, My.Collections.SafeList<int> safe, My.Collections.Ledger ledger, List<int> plain)
            {
                Parallel.ForEach(items, i =>
                {
                    {|#0:safe.Add(i)|};
                    {|#1:ledger["k" + i]|} = i;
                    {|#2:plain.Add(i)|};
                });
            }
        }
        """;

    private static string Locked(string gate, string statement)
        => $"lock ({gate})\n            {{\n                {statement}\n            }}";

    [Fact]
    public Task Thread_safe_types_option_silences_listed_types_by_metadata_name_or_without_arity()
    {
        var test = new Verify.Test
        {
            TestCode = Usings + Wrappers + WrapperUse.Replace("{|#0:safe.Add(i)|}", "safe.Add(i)").Replace("{|#1:ledger[\"k\" + i]|}", "ledger[\"k\" + i]"),
            ExpectedDiagnostics = { Verify.Diagnostic(CollectionMutatedConcurrentlyAnalyzer.Rule).WithLocation(2).WithArguments("plain", "List<int>", "Add", "Parallel.ForEach") },
            FixedCode = Usings + Wrappers + WrapperUse.Replace("{|#0:safe.Add(i)|}", "safe.Add(i)").Replace("{|#1:ledger[\"k\" + i]|}", "ledger[\"k\" + i]")
                .Replace("{|#2:plain.Add(i)|};", Locked("plain", "plain.Add(i);")),
        };
        test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n[*.cs]\nCONC301.thread_safe_types = My.Collections.SafeList`1, My.Collections.Ledger"));
        return test.RunAsync();
    }

    [Fact]
    public Task Thread_safe_types_option_unset_or_naming_other_types_keeps_the_reports()
    {
        var test = new Verify.Test
        {
            TestCode = Usings + Wrappers + WrapperUse,
            ExpectedDiagnostics =
            {
                Verify.Diagnostic(CollectionMutatedConcurrentlyAnalyzer.Rule).WithLocation(0).WithArguments("safe", "SafeList<int>", "Add", "Parallel.ForEach"),
                Verify.Diagnostic(CollectionMutatedConcurrentlyAnalyzer.Rule).WithLocation(1).WithArguments("ledger", "Ledger", "this[]", "Parallel.ForEach"),
                Verify.Diagnostic(CollectionMutatedConcurrentlyAnalyzer.Rule).WithLocation(2).WithArguments("plain", "List<int>", "Add", "Parallel.ForEach"),
            },
            FixedCode = Usings + Wrappers + WrapperUse
                .Replace("{|#0:safe.Add(i)|};", Locked("safe", "safe.Add(i);") + "\n")
                .Replace("{|#1:ledger[\"k\" + i]|} = i;", Locked("ledger", "ledger[\"k\" + i] = i;") + "\n")
                .Replace("{|#2:plain.Add(i)|};", Locked("plain", "plain.Add(i);")),
        };
        test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n[*.cs]\nCONC301.thread_safe_types = My.Collections.SafeList`2, Other.Ledger"));
        return test.RunAsync();
    }

    [Fact]
    public Task Half_typed_code_does_not_throw()
    {
        var source = Usings + """
                class Broken
                {
                    void Run(int[] items)
                    {
                        var results = new List<Missing>();
                        Parallel.ForEach(items, x => results.Add(
                        Parallel.ForEach(unknown, x => results.Add(x)
                    }
                }
                """;
        var test = new Verify.Test { CompilerDiagnostics = CompilerDiagnostics.None, TestCode = source, FixedCode = source };
        return test.RunAsync();
    }

    [Fact]
    public Task Local_function_called_from_a_Task_Run_lambda_and_from_plain_code_before_and_after_it_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Catalog
            {
                async Task<List<string>> NamesAsync(string[] items)
                {
                    var results = new List<string>();
                    Record("header");
                    var work = Task.Run(() =>
                    {
                        foreach (var item in items)
                        {
                            Record(item.Trim());
                        }
                    });
                    await work;
                    Record("footer");
                    return results;

                    void Record(string name) => results.Add(name);
                }
            }
            """);

    [Fact]
    public Task Local_function_called_under_a_lock_in_the_concurrent_lambda_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Catalog
            {
                private readonly object _gate = new();

                List<string> Names(string[] items)
                {
                    var results = new List<string>();
                    Parallel.ForEach(items, item =>
                    {
                        lock (_gate)
                        {
                            Record(item);
                        }
                    });
                    return results;

                    void Record(string name) => results.Add(name);
                }
            }
            """);

    [Fact]
    public Task Local_function_that_locks_around_the_change_or_uses_a_concurrent_collection_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Catalog
            {
                List<string> Names(string[] items)
                {
                    var results = new List<string>();
                    var bag = new ConcurrentBag<string>();
                    Parallel.ForEach(items, item => { Record(item); Keep(item); });
                    return results;

                    void Record(string name)
                    {
                        lock (results)
                        {
                            results.Add(name);
                        }
                    }

                    void Keep(string name) => bag.Add(name);
                }
            }
            """);

    [Fact]
    public Task Local_function_declared_in_the_Parallel_lambda_over_its_own_list_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Catalog
            {
                int Total(string[] items)
                {
                    var total = 0;
                    Parallel.ForEach(items, item =>
                    {
                        var parts = new List<string>();
                        Split(item);
                        Interlocked.Add(ref total, parts.Count);

                        void Split(string s) => parts.AddRange(s.Split(','));
                    });
                    return total;
                }
            }
            """);

    [Fact]
    public Task Local_function_run_once_by_Task_Run_with_its_caller_lambda_as_the_only_other_user_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Loader
            {
                Task<List<int>> LoadAsync(int[] xs)
                {
                    var list = new List<int>();
                    return Task.Run(() =>
                    {
                        list.Clear();
                        foreach (var x in xs)
                        {
                            Add(x);
                        }

                        return list;
                    });

                    void Add(int x) => list.Add(x);
                }
            }
            """);

    [Fact]
    public Task Handler_list_changed_while_detached_work_walks_it_under_a_lock_or_a_protocol_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            public sealed class LockedNotifier
            {
                private readonly object _gate = new object();
                private readonly List<Action<string>> _handlers = new List<Action<string>>();
                private readonly List<Action<string>> _early = new List<Action<string>>();
                private readonly List<Action<string>> _owned = new List<Action<string>>();
                private readonly List<Action<string>> _awaited = new List<Action<string>>();
                private readonly List<Action<string>> _jobs = new List<Action<string>>();
                private List<Action<string>> _copied = new List<Action<string>>();

                public LockedNotifier(Action<string> first) { AddEarly(first); }

                private void AddEarly(Action<string> handler) => _early.Add(handler);

                public void Subscribe(Action<string> handler) { lock (_gate) { _handlers.Add(handler); } }

                public void SubscribeCopied(Action<string> handler) => _copied = new List<Action<string>>(_copied) { handler };

                public void Dispose() => _early.Clear();

                public Task PublishAsync(string message) => Task.Run(() =>
                {
                    lock (_gate)
                    {
                        foreach (var handler in _handlers) handler(message);
                    }

                    foreach (var handler in _early) handler(message);
                    foreach (var handler in _copied) handler(message);
                });

                public async Task PublishNowAsync(string message, Action<string> extra)
                {
                    _awaited.Add(extra);
                    await Task.Run(() => { foreach (var handler in _awaited) handler(message); });
                }

                public void StartOwned(Action<string> extra)
                {
                    _owned.Add(extra);
                    _ = Task.Run(() => { foreach (var handler in _owned) handler("start"); });
                }

                public void Register(Action<string> job) => _jobs.Add(job);

                public void Start() => _ = Task.Run(async () =>
                {
                    while (true)
                    {
                        foreach (var job in _jobs) job("tick");
                        await Task.Delay(1000);
                    }
                });

                private readonly List<Action<string>> _viaMethod = new List<Action<string>>();

                public void AddViaMethod(Action<string> handler) => _viaMethod.Add(handler);

                public void StartTimer() => _ = new Timer(_ => WalkViaMethod(), null, 0, 1000);

                public void Later() => Task.Run(() => { lock (_gate) { WalkViaMethod(); } });

                public void Refresh() => WalkViaMethod();

                private void WalkViaMethod()
                {
                    foreach (var handler in _viaMethod) handler("x");
                }

                public void Walk(string message) => Parallel.ForEach(new[] { 1, 2 }, _ => { foreach (var handler in _early) handler(message); });
            }
            """);

    [Fact]
    public Task Handler_list_changed_by_a_public_method_while_detached_work_walks_it_is_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            public sealed class Notifier : IDisposable
            {
                private readonly List<Action<string>> _handlers = new List<Action<string>>();
                private readonly Dictionary<string, int> _counts = new Dictionary<string, int>();
                private readonly Timer _timer;

                public Notifier()
                {
                    _timer = new Timer(_ =>
                    {
                        foreach (var pair in _counts) Console.WriteLine(pair.Key);
                    }, null, 1000, 1000);
                }

                public void Subscribe(Action<string> handler) => {|#0:_handlers.Add(handler)|};

                public void Unsubscribe(Action<string> handler) => {|#1:_handlers.Remove(handler)|};

                public void Count(string key) => {|#2:_counts[key]|} = 1;

                public Task PublishLater(string message) => Task.Run(() =>
                {
                    foreach (var handler in _handlers)
                    {
                        handler(message);
                    }
                });

                public void Dispose() => _timer.Dispose();
            }

            public sealed class Ticker : IDisposable
            {
                private readonly List<Action<int>> _listeners = new List<Action<int>>();
                private readonly HashSet<string> _tags = new HashSet<string>();
                private readonly Timer _timer;

                public Ticker() { _timer = new Timer(OnTick, null, 1000, 1000); }

                public void Listen(Action<int> listener) => {|#3:_listeners.Add(listener)|};

                public void Tag(string tag) => {|#4:_tags.Add(tag)|};

                public void Flush() => Task.Run(() => Report());

                private void OnTick(object? state)
                {
                    foreach (var listener in _listeners) listener(1);
                }

                private void Report()
                {
                    foreach (var tag in _tags) Console.WriteLine(tag);
                }

                public void Dispose() => _timer.Dispose();
            }
            """,
            Verify.Diagnostic(CollectionMutatedConcurrentlyAnalyzer.EnumeratedRule).WithLocation(0).WithArguments("_handlers", "List<Action<string>>", "Add", "Task.Run"),
            Verify.Diagnostic(CollectionMutatedConcurrentlyAnalyzer.EnumeratedRule).WithLocation(1).WithArguments("_handlers", "List<Action<string>>", "Remove", "Task.Run"),
            Verify.Diagnostic(CollectionMutatedConcurrentlyAnalyzer.EnumeratedRule).WithLocation(2).WithArguments("_counts", "Dictionary<string, int>", "this[]", "new Timer"),
            Verify.Diagnostic(CollectionMutatedConcurrentlyAnalyzer.EnumeratedRule).WithLocation(3).WithArguments("_listeners", "List<Action<int>>", "Add", "new Timer"),
            Verify.Diagnostic(CollectionMutatedConcurrentlyAnalyzer.EnumeratedRule).WithLocation(4).WithArguments("_tags", "HashSet<string>", "Add", "Task.Run"));

    /// <summary>Stand-ins for the ASP.NET Core types that mark request handlers (the real packages are not referenced).</summary>
    private const string AspNetCore = """

        namespace Microsoft.AspNetCore.Http
        {
            public abstract class HttpContext { public abstract string Path { get; } }
            public delegate System.Threading.Tasks.Task RequestDelegate(HttpContext context);
        }

        namespace Microsoft.AspNetCore.Mvc
        {
            public interface IActionResult { }
            public abstract class ControllerBase { public IActionResult Ok(object? value = null) => null!; }
        }
        """;

    [Fact]
    public Task Collections_shared_by_every_request_are_reported_in_middleware_and_actions()
        => Verify.VerifyAnalyzerAsync(Usings + """
            using Microsoft.AspNetCore.Http;
            using Microsoft.AspNetCore.Mvc;

            sealed class HitCountMiddleware
            {
                private readonly Dictionary<string, int> _hits = new();
                private readonly RequestDelegate _next;

                public HitCountMiddleware(RequestDelegate next) => _next = next;

                public async Task InvokeAsync(HttpContext context)
                {
                    _hits.TryGetValue(context.Path, out var n);
                    {|#0:_hits[context.Path]|} = n + 1;
                    await _next(context);
                }
            }

            sealed class ProductsController : ControllerBase
            {
                private static readonly List<string> Recent = new();

                public IActionResult View(string sku)
                {
                    {|#1:Recent.Add(sku)|};
                    return Ok();
                }
            }
            """ + AspNetCore,
            Verify.Diagnostic(CollectionMutatedConcurrentlyAnalyzer.Rule).WithLocation(0).WithArguments("_hits", "Dictionary<string, int>", "this[]", "a method started concurrently with itself"),
            Verify.Diagnostic(CollectionMutatedConcurrentlyAnalyzer.Rule).WithLocation(1).WithArguments("Recent", "List<string>", "Add", "a method started concurrently with itself"));

    [Fact]
    public Task Per_request_collections_locked_ones_and_concurrent_ones_in_handlers_are_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            using Microsoft.AspNetCore.Http;
            using Microsoft.AspNetCore.Mvc;

            sealed class TenantMiddleware
            {
                private readonly object _gate = new();
                private readonly Dictionary<string, string> _tenants = new();
                private readonly ConcurrentDictionary<string, int> _hits = new();
                private readonly RequestDelegate _next;

                public TenantMiddleware(RequestDelegate next) => _next = next;

                public Task InvokeAsync(HttpContext context)
                {
                    lock (_gate)
                    {
                        _tenants[context.Path] = context.Path;
                    }

                    _hits.AddOrUpdate(context.Path, 1, (_, n) => n + 1);
                    var local = new List<string> { context.Path };
                    local.Add("x");
                    return _next(context);
                }
            }

            // A controller is created per request: its instance list is its own.
            sealed class BasketController : ControllerBase
            {
                private readonly List<string> _lines = new();

                public IActionResult Add(string sku)
                {
                    _lines.Add(sku);
                    return Ok(_lines.Count);
                }
            }
            """ + AspNetCore);
}
