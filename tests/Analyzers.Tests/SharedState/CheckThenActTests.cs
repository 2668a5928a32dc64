using System.Threading.Tasks;
using ConcurrencyAnalyzers.SharedState;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using FixVerify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<
    ConcurrencyAnalyzers.SharedState.CheckThenActAnalyzer,
    ConcurrencyAnalyzers.CodeFixes.SharedState.CheckThenActCodeFix>;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencyAnalyzers.SharedState.CheckThenActAnalyzer>;

namespace ConcurrencyAnalyzers.Tests.SharedState;

public sealed class CheckThenActTests
{
    [Fact]
    public Task Plain_bool_reentry_guard_in_concurrent_work_is_reported_locked_atomic_or_sequential_it_is_not()
        => Verify.VerifyAnalyzerAsync("""
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class Poller : IDisposable
            {
                private readonly Timer _timer;
                private bool _busy;

                public Poller(Action poll)
                {
                    _timer = new Timer(_ =>
                    {
                        if (_busy) return;
                        {|#0:_busy = true|};
                        try { poll(); } finally { _busy = false; }
                    }, null, 0, 100);
                }

                public void Dispose() => _timer.Dispose();
            }

            class Flusher
            {
                private bool _flushing;

                public void Kick(Action flush)
                {
                    _ = Task.Run(() =>
                    {
                        if (!_flushing)
                        {
                            {|#1:_flushing = true|};
                            try { flush(); } finally { _flushing = false; }
                        }
                    });
                }
            }

            class Safe : IDisposable
            {
                private readonly object _gate = new();
                private readonly Timer _timer;
                private bool _busy;
                private int _running;
                private bool _disposed;

                public Safe(Action poll)
                {
                    _timer = new Timer(_ =>
                    {
                        lock (_gate)
                        {
                            if (_busy) return;
                            _busy = true;
                        }

                        if (Interlocked.CompareExchange(ref _running, 1, 0) != 0) return;
                        try { poll(); } finally { Volatile.Write(ref _running, 0); }
                    }, null, 0, 100);
                }

                public void Dispose()
                {
                    if (_disposed) return;
                    _disposed = true;
                    _timer.Dispose();
                }
            }
            """,
            Verify.Diagnostic(CheckThenActAnalyzer.Rule).WithLocation(0).WithArguments("_busy", "is checked and then set without a lock as a re-entry guard in work that runs concurrently (new Timer); two overlapping runs can both see it clear (use Interlocked.CompareExchange on an int, or a lock)"),
            Verify.Diagnostic(CheckThenActAnalyzer.Rule).WithLocation(1).WithArguments("_flushing", "is checked and then set without a lock as a re-entry guard in work that runs concurrently (Task.Run); two overlapping runs can both see it clear (use Interlocked.CompareExchange on an int, or a lock)"));

    // ---- reported ----

    [Fact]
    public Task ContainsKey_then_indexer_set_on_a_ConcurrentDictionary_field_is_reported()
        => Verify.VerifyAnalyzerAsync("""
            using System.Collections.Concurrent;

            class Sessions
            {
                private readonly ConcurrentDictionary<string, object> _sessions = new ConcurrentDictionary<string, object>();

                public void Open(string id, object session)
                {
                    if (!_sessions.ContainsKey(id))
                    {
                        {|#0:_sessions[id] = session|};
                    }
                }
            }
            """,
            Verify.Diagnostic(CheckThenActAnalyzer.Rule).WithLocation(0).WithArguments("_sessions",
                "is checked with ContainsKey and then written with the indexer; another thread can add the key in between and its value is overwritten (use GetOrAdd or TryAdd)"));

    [Fact]
    public Task Check_then_act_on_a_local_shared_by_parallel_siblings_is_reported_single_or_private_uses_are_not()
        => Verify.VerifyAnalyzerAsync("""
            using System.Collections.Concurrent;
            using System.Linq;
            using System.Threading.Tasks;

            class Indexer
            {
                public async Task Index(int[] items)
                {
                    var first = new ConcurrentDictionary<int, int>();
                    Parallel.For(0, items.Length, i =>
                    {
                        if (!first.ContainsKey(items[i] % 10))
                        {
                            {|CONC305:first[items[i] % 10] = i|};
                        }
                    });
                    var seen = new ConcurrentDictionary<int, bool>();
                    await Task.WhenAll(items.Select(async item =>
                    {
                        await Task.Yield();
                        if (!seen.ContainsKey(item))
                        {
                            {|CONC305:seen[item] = true|};
                        }
                    }));

                    // One task at a time, a dictionary of the lambda's own, a plain method: nothing runs beside the check.
                    var once = new ConcurrentDictionary<int, int>();
                    await Task.Run(() =>
                    {
                        if (!once.ContainsKey(1))
                        {
                            once[1] = 1;
                        }
                    });
                    Parallel.For(0, items.Length, i =>
                    {
                        var own = new ConcurrentDictionary<int, int>();
                        if (!own.ContainsKey(i))
                        {
                            own[i] = i;
                        }
                    });
                    if (!once.ContainsKey(2))
                    {
                        once[2] = 2;
                    }
                }
            }
            """);

    [Fact]
    public Task TryGetValue_then_ignored_TryAdd_is_reported()
        => Verify.VerifyAnalyzerAsync("""
            using System.Collections.Concurrent;

            class Cache
            {
                private static readonly ConcurrentDictionary<int, string> Names = new ConcurrentDictionary<int, string>();

                public static string Get(int id)
                {
                    if (!Names.TryGetValue(id, out var name))
                    {
                        name = "n" + id;
                        {|#0:Names.TryAdd(id, name)|};
                    }

                    return name;
                }
            }
            """,
            Verify.Diagnostic(CheckThenActAnalyzer.Rule).WithLocation(0).WithArguments("Names",
                "is checked with TryGetValue and then filled with TryAdd whose result is ignored; when another thread adds the key first, this caller keeps a value that is not the stored one (use GetOrAdd)"));

    [Fact]
    public Task ContainsKey_in_the_else_branch_of_a_positive_check_is_reported()
        => Verify.VerifyAnalyzerAsync("""
            using System.Collections.Concurrent;

            class Registry
            {
                private ConcurrentDictionary<string, int> Map { get; } = new ConcurrentDictionary<string, int>();

                public int Register(string key, int value)
                {
                    if (Map.ContainsKey(key))
                    {
                        return Map[key];
                    }
                    else
                    {
                        {|CONC305:Map[key] = value|};
                    }

                    return value;
                }
            }
            """);

    [Fact]
    public Task Volatile_field_increment_and_compound_add_are_reported()
        => Verify.VerifyAnalyzerAsync("""
            class Gauge
            {
                private volatile int _inFlight;

                public void Start() => {|#0:_inFlight++|};

                public void Finish(int n) { {|#1:_inFlight -= n|}; }
            }
            """,
            Verify.Diagnostic(CheckThenActAnalyzer.Rule).WithLocation(0).WithArguments("_inFlight",
                "is volatile, but 'volatile' does not make a read-modify-write atomic; concurrent updates are lost (use Interlocked)"),
            Verify.Diagnostic(CheckThenActAnalyzer.Rule).WithLocation(1).WithArguments("_inFlight",
                "is volatile, but 'volatile' does not make a read-modify-write atomic; concurrent updates are lost (use Interlocked)"));

    [Fact]
    public Task Field_updated_with_Interlocked_and_plainly_elsewhere_is_reported_at_the_plain_update()
        => Verify.VerifyAnalyzerAsync("""
            using System.Threading;

            class Stats
            {
                private long _requests;
                private static int _errors;

                public void OnRequest() => Interlocked.Increment(ref _requests);

                public void OnBatch(int n) { {|#0:_requests += n|}; }

                public static void OnError() => Interlocked.Add(ref _errors, 1);

                public static void OnErrors(int n) { {|#1:_errors = _errors + n|}; }
            }
            """,
            Verify.Diagnostic(CheckThenActAnalyzer.Rule).WithLocation(0).WithArguments("_requests",
                "is updated with Interlocked elsewhere but read, changed and written back plainly here; this update can overwrite a concurrent atomic one (use Interlocked here too)"),
            Verify.Diagnostic(CheckThenActAnalyzer.Rule).WithLocation(1).WithArguments("_errors",
                "is updated with Interlocked elsewhere but read, changed and written back plainly here; this update can overwrite a concurrent atomic one (use Interlocked here too)"));

    [Fact]
    public Task Ignored_CompareExchange_result_in_a_retry_loop_is_reported()
        => Verify.VerifyAnalyzerAsync("""
            using System.Threading;

            class Max
            {
                private int _max;

                public void Observe(int value)
                {
                    int current;
                    do
                    {
                        current = _max;
                        if (value <= current) return;
                        {|#0:Interlocked.CompareExchange(ref _max, value, current)|};
                    }
                    while (_max < value);
                }
            }
            """,
            Verify.Diagnostic(CheckThenActAnalyzer.Rule).WithLocation(0).WithArguments("_max",
                "is compared and exchanged in a retry loop but the result of Interlocked.CompareExchange is ignored; compare it with the expected value to know whether the exchange happened"));

    [Fact]
    public Task Ignored_CompareExchange_in_a_loop_retesting_the_field_against_its_comparand_is_not_reported_a_max_loop_is()
        => Verify.VerifyAnalyzerAsync("""
            using System.Collections.Generic;
            using System.Threading;

            class Scope
            {
                private List<int> _cache;
                private List<int> _other;
                private long _max;

                public List<int> Cache
                {
                    get
                    {
                        while (Volatile.Read(ref _cache) == null)
                            Interlocked.CompareExchange(ref _cache, new List<int>(), null);
                        while (null == _other)
                            Interlocked.CompareExchange(ref _other, new List<int>(), null);
                        return _cache;
                    }
                }

                public void Observe(long current)
                {
                    while (current > _max)
                        {|#0:Interlocked.CompareExchange(ref _max, current, _max)|};
                }
            }
            """,
            Verify.Diagnostic(CheckThenActAnalyzer.Rule).WithLocation(0).WithArguments("_max",
                "is compared and exchanged in a retry loop but the result of Interlocked.CompareExchange is ignored; compare it with the expected value to know whether the exchange happened"));

    // ---- not reported ----

    [Fact]
    public Task TryAdd_of_the_key_itself_or_a_constant_keeps_no_value_of_its_own_but_a_computed_value_does()
        => Verify.VerifyAnalyzerAsync("""
            using System.Collections.Concurrent;
            using System.Threading.Tasks;

            class SymbolCache
            {
                // A set of symbols already known to be missing: whichever thread adds first stores the same thing.
                private readonly ConcurrentDictionary<string, string> _notFound = new ConcurrentDictionary<string, string>();
                private readonly ConcurrentDictionary<string, bool> _seen = new ConcurrentDictionary<string, bool>();
                private readonly ConcurrentDictionary<string, object> _values = new ConcurrentDictionary<string, object>();

                public async Task<string> ResolveAsync(string symbol)
                {
                    if (_notFound.TryGetValue(symbol, out _))
                        return null;
                    var name = await Task.FromResult(symbol.Trim());
                    if (name.Length == 0)
                    {
                        _notFound.TryAdd(symbol, symbol);
                        return null;
                    }

                    return name;
                }

                public void Mark(string key)
                {
                    if (!_seen.TryGetValue(key, out _))
                        _seen.TryAdd(key, true);
                }

                public object Get(string key)
                {
                    if (_values.TryGetValue(key, out var value))
                        return value;
                    value = new object();
                    {|CONC305:_values.TryAdd(key, value)|};
                    return value;
                }
            }
            """);

    [Fact]
    public Task GetOrAdd_AddOrUpdate_and_a_checked_TryAdd_are_not_reported()
        => Verify.VerifyAnalyzerAsync("""
            using System.Collections.Concurrent;

            class Cache
            {
                private readonly ConcurrentDictionary<string, object> _items = new ConcurrentDictionary<string, object>();

                public object Get(string key) => _items.GetOrAdd(key, k => new object());

                public void Count(ConcurrentDictionary<string, int> counts, string key) => counts.AddOrUpdate(key, 1, (_, n) => n + 1);

                public object GetOrCreate(string key)
                {
                    if (!_items.TryGetValue(key, out var item))
                    {
                        item = new object();
                        if (!_items.TryAdd(key, item))
                        {
                            item = _items[key];
                        }
                    }

                    return item;
                }

                public void Replace(string key, object value)
                {
                    if (_items.ContainsKey(key))
                    {
                        _items[key] = value;
                    }
                }
            }
            """);

    [Fact]
    public Task Plain_Dictionary_and_a_local_ConcurrentDictionary_are_not_reported()
        => Verify.VerifyAnalyzerAsync("""
            using System.Collections.Concurrent;
            using System.Collections.Generic;

            class Builder
            {
                private readonly Dictionary<string, int> _plain = new Dictionary<string, int>();

                public void Add(string key)
                {
                    if (!_plain.ContainsKey(key)) _plain[key] = 1;

                    var local = new ConcurrentDictionary<string, int>();
                    if (!local.ContainsKey(key)) local[key] = 1;
                }
            }
            """);

    [Fact]
    public Task Check_then_act_under_a_lock_and_a_different_key_are_not_reported()
        => Verify.VerifyAnalyzerAsync("""
            using System.Collections.Concurrent;

            class Index
            {
                private readonly object _gate = new object();
                private readonly ConcurrentDictionary<string, int> _map = new ConcurrentDictionary<string, int>();

                public void Put(string key, string other)
                {
                    lock (_gate)
                    {
                        if (!_map.ContainsKey(key)) _map[key] = 1;
                    }

                    if (!_map.ContainsKey(key)) _map[other] = 2;
                }
            }
            """);

    [Fact]
    public Task Statements_after_a_positive_check_that_returns_act_as_its_else_branch_a_locked_recheck_decides()
        => Verify.VerifyAnalyzerAsync("""
            using System;
            using System.Collections.Concurrent;

            class Groups
            {
                private readonly object _gate = new object();
                private readonly ConcurrentDictionary<string, object> _groups = new ConcurrentDictionary<string, object>();

                public object Group(string name)
                {
                    if (_groups.TryGetValue(name, out var group))
                    {
                        return group;
                    }

                    group = new object();
                    {|CONC305:_groups.TryAdd(name, group)|};
                    return group;
                }

                public bool Register(string name, object value)
                {
                    if (_groups.ContainsKey(name)) throw new InvalidOperationException(name);
                    {|CONC305:_groups[name] = value|};
                    return true;
                }

                public object Created(string name)
                {
                    if (_groups.TryGetValue(name, out var group)) return group;
                    lock (_gate)
                    {
                        if (_groups.TryGetValue(name, out group)) return group;
                        group = new object();
                        _groups[name] = group;
                        return group;
                    }
                }

                public object Checked(string name)
                {
                    if (_groups.TryGetValue(name, out var group)) return group;
                    group = new object();
                    return _groups.TryAdd(name, group) ? group : _groups[name];
                }

                public void Log(string name)
                {
                    if (_groups.TryGetValue(name, out var group)) Console.WriteLine(group);
                    _groups[name] = new object();
                }
            }
            """);

    [Fact]
    public Task Double_checked_creation_under_a_lock_is_not_reported_a_recheck_without_the_lock_is_reported_once()
        => Verify.VerifyAnalyzerAsync("""
            using System.Collections.Concurrent;

            class Templates
            {
                private readonly object _gate = new object();
                private readonly ConcurrentDictionary<string, object> _cache = new ConcurrentDictionary<string, object>();

                public object Get(string source)
                {
                    if (!_cache.TryGetValue(source, out var template))
                    {
                        lock (_gate)
                        {
                            if (!_cache.TryGetValue(source, out template))
                            {
                                template = new object();
                                _cache[source] = template;
                            }
                        }
                    }

                    return template;
                }

                public object GetOther(string source)
                {
                    if (!_cache.ContainsKey(source))
                    {
                        lock (_gate)
                        {
                            if (!_cache.ContainsKey(source)) _cache.TryAdd(source, new object());
                        }
                    }

                    return _cache[source];
                }

                public object Unlocked(string source)
                {
                    if (!_cache.TryGetValue(source, out var template))
                    {
                        if (!_cache.TryGetValue(source, out template))
                        {
                            template = new object();
                            {|CONC305:_cache[source] = template|};
                        }
                    }

                    return template;
                }
            }
            """);

    [Fact]
    public Task Aliases_filled_under_a_lock_after_a_recheck_of_another_key_are_not_reported()
        => Verify.VerifyAnalyzerAsync("""
            using System;
            using System.Collections.Concurrent;
            using System.Linq;
            using System.Threading.Tasks;

            class TagIndex
            {
                private readonly ConcurrentDictionary<string, int> _index = new ConcurrentDictionary<string, int>();
                private int _next;

                public int Find(string given)
                {
                    if (!_index.TryGetValue(given, out var slot))
                    {
                        var sorted = string.Concat(given.Split(',').OrderBy(x => x));
                        lock (_index)
                        {
                            if (!_index.TryGetValue(sorted, out slot))
                            {
                                slot = ++_next;
                                _index.TryAdd(sorted, slot);
                                _index.TryAdd(given, slot);
                            }
                        }
                    }

                    return slot;
                }

                public int Unlocked(string given)
                {
                    if (!_index.TryGetValue(given, out var slot))
                    {
                        var sorted = given.ToUpperInvariant();
                        if (!_index.TryGetValue(sorted, out slot))
                        {
                            slot = ++_next;
                            {|CONC305:_index.TryAdd(given, slot)|};
                        }
                    }

                    return slot;
                }

                public int LockedWithoutRecheck(string given)
                {
                    if (!_index.TryGetValue(given, out var slot))
                    {
                        lock (_index)
                        {
                            slot = ++_next;
                            {|CONC305:_index.TryAdd(given, slot)|};
                        }
                    }

                    return slot;
                }

                public int Later(string given)
                {
                    if (!_index.TryGetValue(given, out var slot))
                    {
                        lock (_index)
                        {
                            Task.Run(() =>
                            {
                                if (!_index.ContainsKey(given + "!"))
                                {
                                    {|CONC305:_index[given] = 1|};
                                }
                            });
                        }
                    }

                    return slot;
                }
            }
            """);

    [Fact]
    public Task Read_modify_write_through_the_indexer_of_a_shared_ConcurrentDictionary_is_reported()
        => Verify.VerifyAnalyzerAsync("""
            using System.Collections.Concurrent;
            using System.Collections.Generic;
            using System.Threading.Tasks;

            class Hits
            {
                private readonly ConcurrentDictionary<string, int> _hits = new ConcurrentDictionary<string, int>();

                public void Hit(string page, int n)
                {
                    {|#0:_hits[page]++|};
                    {|CONC305:_hits[page] += n|};
                    {|CONC305:_hits[page] = _hits[page] + n|};
                    {|CONC305:_hits[page] = _hits.GetValueOrDefault(page) + 1|};
                }

                public void Count(string[] words)
                {
                    var counts = new ConcurrentDictionary<string, long>();
                    Parallel.ForEach(words, w => {|CONC305:counts[w]++|});
                }
            }
            """,
            Verify.Diagnostic(CheckThenActAnalyzer.Rule).WithLocation(0).WithArguments("_hits",
                "is read and written back through the indexer in two steps; when two threads update the same key at once, one update is lost (use AddOrUpdate)"));

    [Fact]
    public Task Value_from_a_standalone_TryGetValue_written_back_is_reported()
    {
        const string source = """
            using System.Collections.Concurrent;
            using System.Collections.Immutable;

            class Hits
            {
                private readonly ConcurrentDictionary<string, int> _hits = new ConcurrentDictionary<string, int>();
                private readonly ConcurrentDictionary<string, ImmutableList<string>> _tags = new ConcurrentDictionary<string, ImmutableList<string>>();

                public void Hit(string page)
                {
                    _hits.TryGetValue(page, out var current);
                    {|#0:_hits[page] = current + 1|};
                }

                public void Tag(string page, string tag)
                {
                    _tags.TryGetValue(page, out var tags);
                    {|#1:_tags[page] = (tags ?? ImmutableList<string>.Empty).Add(tag)|};
                }

                public void Copy(string from, string to)
                {
                    _hits.TryGetValue(from, out var value);
                    _hits[to] = value;
                }
            }
            """;
        const string message = "is read and written back through the indexer in two steps; when two threads update the same key at once, one update is lost (use AddOrUpdate)";
        return Verify.VerifyAnalyzerAsync(
            source,
            Verify.Diagnostic(CheckThenActAnalyzer.Rule).WithLocation(0).WithArguments("_hits", message),
            Verify.Diagnostic(CheckThenActAnalyzer.Rule).WithLocation(1).WithArguments("_tags", message));
    }

    [Fact]
    public Task GetValueOrDefault_plus_n_written_back_becomes_AddOrUpdate_with_Fix_All()
    {
        var test = new FixVerify.Test
        {
            TestCode = """
            using System.Collections.Concurrent;
            using System.Collections.Generic;

            class Hits
            {
                private readonly ConcurrentDictionary<string, long> _hits = new ConcurrentDictionary<string, long>();

                public void Hit(string page, int n)
                {
                    // one more view
                    {|CONC305:_hits[page] = _hits.GetValueOrDefault(page) + 1|}; // per page
                    {|CONC305:this._hits[page] = this._hits.GetValueOrDefault(page) + n|};
                    {|CONC305:_hits[page]++|};
                    {|CONC305:_hits[Next()] = _hits.GetValueOrDefault(Next()) + 1|};
                }

                private static string Next() => "x";
            }
            """,
            FixedCode = """
            using System.Collections.Concurrent;
            using System.Collections.Generic;

            class Hits
            {
                private readonly ConcurrentDictionary<string, long> _hits = new ConcurrentDictionary<string, long>();

                public void Hit(string page, int n)
                {
                    // one more view
                    _hits.AddOrUpdate(page, 1, (_, current) => current + 1); // per page
                    this._hits.AddOrUpdate(page, n, (_, current) => current + n);
                    {|CONC305:_hits[page]++|};
                    {|CONC305:_hits[Next()] = _hits.GetValueOrDefault(Next()) + 1|};
                }

                private static string Next() => "x";
            }
            """,
        };

        // The two updates without an exact AddOrUpdate form stay reported in the fixed code.
        test.FixedState.MarkupHandling = MarkupMode.Allow;
        return test.RunAsync();
    }

    [Fact]
    public Task Indexer_updates_that_are_single_steps_locked_or_not_shared_are_not_reported()
        => Verify.VerifyAnalyzerAsync("""
            using System.Collections.Concurrent;
            using System.Collections.Generic;
            using System.Threading.Tasks;

            class Hits
            {
                private readonly object _gate = new object();
                private readonly ConcurrentDictionary<string, int> _hits = new ConcurrentDictionary<string, int>();
                private readonly ConcurrentDictionary<string, int> _last = new ConcurrentDictionary<string, int>();

                public void Hit(string page, string other, int n)
                {
                    _hits.AddOrUpdate(page, 1, (_, v) => v + 1);
                    _last[page] = n;
                    _last[page] = _hits[other] + 1;
                    lock (_gate) { _hits[page]++; }
                }

                public void Sequential(string[] words)
                {
                    var counts = new ConcurrentDictionary<string, long>();
                    foreach (var w in words) counts[w]++;
                    Parallel.ForEach(words, w =>
                    {
                        var mine = new ConcurrentDictionary<string, long>();
                        mine[w]++;
                    });
                }
            }
            """);

    [Fact]
    public Task Count_test_then_an_ignored_TryDequeue_whose_item_is_used_is_reported()
        => Verify.VerifyAnalyzerAsync("""
            using System;
            using System.Collections.Concurrent;

            class Worker
            {
                private readonly ConcurrentQueue<string> _queue = new ConcurrentQueue<string>();
                private readonly ConcurrentStack<string> _stack = new ConcurrentStack<string>();

                public void Drain()
                {
                    if (_queue.Count > 0)
                    {
                        {|#0:_queue.TryDequeue(out var item)|};
                        Console.WriteLine(item.Length);
                    }

                    string top;
                    while (!_stack.IsEmpty)
                    {
                        {|CONC305:_stack.TryPop(out top)|};
                        Console.WriteLine(top.Length);
                    }
                }
            }
            """,
            Verify.Diagnostic(CheckThenActAnalyzer.Rule).WithLocation(0).WithArguments("_queue",
                "is tested with Count and then TryDequeue ignores whether it got an item; another consumer can take the last item in between, and 'item' is then the default value (test the result of TryDequeue instead)"));

    [Fact]
    public Task Checked_TryDequeue_unused_item_local_queue_and_locked_drain_are_not_reported()
        => Verify.VerifyAnalyzerAsync("""
            using System;
            using System.Collections.Concurrent;

            class Worker
            {
                private readonly object _gate = new object();
                private readonly ConcurrentQueue<string> _queue = new ConcurrentQueue<string>();

                public void Drain()
                {
                    if (_queue.Count > 0 && _queue.TryDequeue(out var first))
                    {
                        Console.WriteLine(first);
                    }

                    while (_queue.Count > 0)
                    {
                        if (!_queue.TryDequeue(out var next)) break;
                        Console.WriteLine(next);
                    }

                    if (_queue.Count > 0) _queue.TryDequeue(out _);

                    lock (_gate)
                    {
                        if (_queue.Count > 0)
                        {
                            _queue.TryDequeue(out var item);
                            Console.WriteLine(item);
                        }
                    }

                    var local = new ConcurrentQueue<string>();
                    if (local.Count > 0)
                    {
                        local.TryDequeue(out var mine);
                        Console.WriteLine(mine);
                    }

                    _queue.TryDequeue(out var unguarded);
                    Console.WriteLine(unguarded);
                }

                public void Dispose()
                {
                    while (_queue.Count > 0)
                    {
                        _queue.TryDequeue(out var left);
                        Console.WriteLine(left);
                    }
                }
            }
            """);

    [Fact]
    public Task Check_then_act_in_a_helper_whose_callers_hold_the_lock_is_not_reported()
        => Verify.VerifyAnalyzerAsync("""
            using System.Collections.Concurrent;
            using System.Threading;
            using System.Threading.Tasks;

            class JobStore
            {
                private readonly SemaphoreSlim _lock = new SemaphoreSlim(1, 1);
                private readonly object _gate = new object();
                private readonly ConcurrentDictionary<string, int> _jobs = new ConcurrentDictionary<string, int>();

                public async Task AddAsync(string key, int job)
                {
                    await _lock.WaitAsync();
                    try
                    {
                        Store(key, job);
                    }
                    finally
                    {
                        _lock.Release();
                    }
                }

                public void Replace(string key, int job)
                {
                    lock (_gate) { Store(key, job); }
                }

                private void Store(string key, int job)
                {
                    if (!_jobs.TryGetValue(key, out var existing))
                    {
                        _jobs[key] = job;
                    }
                }

                // By name: the caller holds the lock.
                public void AddJobNoLock(string key, int job)
                {
                    if (!_jobs.ContainsKey(key)) _jobs[key] = job;
                }
            }
            """);

    [Fact]
    public Task Check_then_act_in_a_private_helper_also_called_without_the_lock_is_reported()
        => Verify.VerifyAnalyzerAsync("""
            using System.Collections.Concurrent;

            class JobStore
            {
                private readonly object _gate = new object();
                private readonly ConcurrentDictionary<string, int> _jobs = new ConcurrentDictionary<string, int>();

                public void Replace(string key, int job)
                {
                    lock (_gate) { Store(key, job); }
                }

                public void Add(string key, int job) => Store(key, job);

                private void Store(string key, int job)
                {
                    if (!_jobs.ContainsKey(key))
                    {
                        {|CONC305:_jobs[key] = job|};
                    }
                }
            }
            """);

    [Fact]
    public Task Volatile_updates_under_a_lock_or_in_a_constructor_and_plain_writes_are_not_reported()
        => Verify.VerifyAnalyzerAsync("""
            class State
            {
                private readonly object _gate = new object();
                private volatile int _version;
                private volatile bool _stopped;

                public State() { _version++; }

                public void Bump()
                {
                    lock (_gate) { _version++; }
                }

                public void Stop() => _stopped = true;

                public int Version => _version;
            }
            """);

    [Fact]
    public Task Interlocked_Read_with_locked_plain_updates_is_not_mixed_access()
        => Verify.VerifyAnalyzerAsync("""
            using System.Threading;

            class Totals
            {
                private readonly object _gate = new object();
                private long _bytes;
                private int _flag;

                public void Add(long n) { lock (_gate) { _bytes += n; } }

                public long Bytes => Interlocked.Read(ref _bytes);

                public void Touch() { _flag++; }

                public bool IsSet => Interlocked.CompareExchange(ref _flag, 0, 0) != 0;

                public void Reset() { Interlocked.Exchange(ref _bytes2, 0); _bytes2 = 5; }

                private long _bytes2;
            }
            """);

    [Fact]
    public Task Interlocked_everywhere_and_constructor_initialization_are_not_reported()
        => Verify.VerifyAnalyzerAsync("""
            using System.Threading;

            class Counter
            {
                private int _count;

                public Counter(int start) { _count += start; }

                public void Hit() => Interlocked.Increment(ref _count);

                public void Miss() => Interlocked.Decrement(ref _count);
            }
            """);

    [Fact]
    public Task CompareExchange_whose_result_is_checked_or_outside_a_loop_is_not_reported()
        => Verify.VerifyAnalyzerAsync("""
            using System.Threading;

            class Slots
            {
                private object _instance;
                private int _max;

                public object Instance
                {
                    get
                    {
                        Interlocked.CompareExchange(ref _instance, new object(), null);
                        return _instance;
                    }
                }

                public void Observe(int value)
                {
                    while (true)
                    {
                        int current = Volatile.Read(ref _max);
                        if (value <= current || Interlocked.CompareExchange(ref _max, value, current) == current) return;
                    }
                }

                public void Fill(object[] items)
                {
                    for (int i = 0; i < items.Length; i++)
                    {
                        Interlocked.CompareExchange(ref items[i], new object(), null);
                    }
                }
            }
            """);

    [Fact]
    public Task Half_typed_code_does_not_throw()
    {
        var test = new Verify.Test
        {
            TestCode = """
                using System.Collections.Concurrent;
                using System.Threading;

                class Broken
                {
                    private volatile int _n;
                    private ConcurrentDictionary<string, int> _map;

                    void M(string k)
                    {
                        if (!_map.ContainsKey(k)) _map[ = ;
                        Interlocked.CompareExchange(ref _missing, 1, 0);
                        _n +=
                    }
                }
                """,
            CompilerDiagnostics = CompilerDiagnostics.None,
        };
        return test.RunAsync();
    }

    [Fact]
    public Task Plain_updates_of_an_Interlocked_field_become_Interlocked_calls_with_Fix_All()
        => FixVerify.VerifyCodeFixAsync("""
            using System.Threading;

            class Stats
            {
                private long _requests;
                private int _open;

                public void OnRequest() => Interlocked.Increment(ref _requests);

                public void OnBatch(int n)
                {
                    // count the batch
                    {|#0:_requests += n|}; // all of it
                    {|#1:_open++|};
                }

                public void Close() => Interlocked.Decrement(ref _open);
            }
            """,
            new[]
            {
                FixVerify.Diagnostic(CheckThenActAnalyzer.Rule).WithLocation(0).WithArguments("_requests", Mixed),
                FixVerify.Diagnostic(CheckThenActAnalyzer.Rule).WithLocation(1).WithArguments("_open", Mixed),
            },
            """
            using System.Threading;

            class Stats
            {
                private long _requests;
                private int _open;

                public void OnRequest() => Interlocked.Increment(ref _requests);

                public void OnBatch(int n)
                {
                    // count the batch
                    Interlocked.Add(ref _requests, n); // all of it
                    Interlocked.Increment(ref _open);
                }

                public void Close() => Interlocked.Decrement(ref _open);
            }
            """);

    [Fact]
    public Task Volatile_increment_has_no_fix()
        => FixVerify.VerifyCodeFixAsync("""
            class Gauge
            {
                private volatile int _n;

                public void Start() { {|#0:_n++|}; }
            }
            """,
            new[]
            {
                FixVerify.Diagnostic(CheckThenActAnalyzer.Rule).WithLocation(0).WithArguments("_n",
                    "is volatile, but 'volatile' does not make a read-modify-write atomic; concurrent updates are lost (use Interlocked)"),
            },
            """
            class Gauge
            {
                private volatile int _n;

                public void Start() { {|#0:_n++|}; }
            }
            """);

    private const string Mixed =
        "is updated with Interlocked elsewhere but read, changed and written back plainly here; this update can overwrite a concurrent atomic one (use Interlocked here too)";
}
