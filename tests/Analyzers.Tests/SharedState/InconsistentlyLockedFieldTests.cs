using ConcurrencyAnalyzers.SharedState;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<
    ConcurrencyAnalyzers.SharedState.InconsistentlyLockedFieldAnalyzer,
    ConcurrencyAnalyzers.CodeFixes.SharedState.InconsistentlyLockedFieldCodeFix>;

namespace ConcurrencyAnalyzers.Tests.SharedState;

public sealed class InconsistentlyLockedFieldTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;

        """;

    // ---- reported ----

    [Fact]
    public Task One_reference_member_of_a_struct_field_read_once_is_not_reported_a_pair_or_a_number_is()
        => Verify.VerifyAnalyzerAsync(Usings + """
            interface IQueuedTask { long TaskID { get; } }

            class QueueRunner
            {
                private readonly object _lock = new object();
                private (Task? Task, IQueuedTask? QueuedTask, long Started) _current;

                public void Start(IQueuedTask next)
                {
                    lock (_lock)
                        _current = (Task.Run(() => { }), next, DateTime.UtcNow.Ticks);
                }

                // One reference read out of the published tuple: the old or the new task, never a torn one.
                public bool GetIsActive() => _current.Task != null;
                public IQueuedTask? GetCurrentTask() => _current.QueuedTask;

                public void Terminate()
                {
                    var task = _current.Task;
                    task?.Wait();
                }

                // Two members read apart can belong to different tuples; a long member can tear; the whole copy too.
                public long? CurrentId() => {|CONC303:_current|}.Task != null ? _current.QueuedTask?.TaskID : null;
                public long StartedAt => {|CONC303:_current|}.Started;
                public (Task? Task, IQueuedTask? QueuedTask, long Started) Snapshot() => {|CONC303:_current|};
            }
            """);


    [Fact]
    public Task A_type_whose_only_lock_is_MethodImpl_Synchronized_is_still_analyzed()
        => Verify.VerifyAnalyzerAsync(Usings + """
            using System.Runtime.CompilerServices;

            class Meter
            {
                private long _total;

                [MethodImpl(MethodImplOptions.Synchronized)]
                public void Add(long amount) => _total += amount;

                public long Total => {|CONC303:_total|};
            }
            """);

    [Fact]
    public Task A_type_whose_only_lock_is_taken_by_the_callers_of_its_Locked_method_is_still_analyzed()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Ledger
            {
                private int _balance;

                // By convention its callers hold the gate.
                internal void DepositLocked(int amount) => _balance += amount;

                public void Reset() => {|CONC303:_balance|} = 0;
            }
            """);

    [Fact]
    public Task Counter_incremented_under_lock_and_read_in_an_expression_bodied_property_is_reported_and_locked()
        => Verify.VerifyCodeFixAsync(Usings + """
            class Counter
            {
                private readonly object _gate = new object();
                private int _count;

                public void Increment()
                {
                    lock (_gate)
                    {
                        _count++;
                    }
                }

                // Current value.
                public int Count => {|#0:_count|};
            }
            """,
            new[] { Verify.Diagnostic(InconsistentlyLockedFieldAnalyzer.Rule).WithLocation(0).WithArguments("_count", "read") },
            Usings + """
            class Counter
            {
                private readonly object _gate = new object();
                private int _count;

                public void Increment()
                {
                    lock (_gate)
                    {
                        _count++;
                    }
                }

                // Current value.
                public int Count
                {
                    get
                    {
                        lock (_gate)
                        {
                            return _count;
                        }
                    }
                }
            }
            """);

    [Fact]
    public Task Dictionary_changed_under_lock_and_read_or_cleared_without_it_is_reported_with_Fix_All()
        => Verify.VerifyCodeFixAsync(Usings + """
            class Hits
            {
                private readonly object _gate = new object();
                private Dictionary<string, int> _hits = new Dictionary<string, int>();

                public void Hit(string key)
                {
                    lock (_gate) { _hits[key] = _hits.TryGetValue(key, out var n) ? n + 1 : 1; }
                }

                public int Get(string key)
                {
                    return {|CONC303:_hits|}.TryGetValue(key, out var n) ? n : 0; // fast path
                }

                public void Reset()
                {
                    {|CONC303:_hits|}.Clear();
                }

                int Get2(string key) => {|CONC303:_hits|}[key];

                int Peek(string key) => {|CONC303:_hits|}.GetValueOrDefault(key);
            }
            """,
            Usings + """
            class Hits
            {
                private readonly object _gate = new object();
                private Dictionary<string, int> _hits = new Dictionary<string, int>();

                public void Hit(string key)
                {
                    lock (_gate) { _hits[key] = _hits.TryGetValue(key, out var n) ? n + 1 : 1; }
                }

                public int Get(string key)
                {
                    lock (_gate)
                    {
                        return _hits.TryGetValue(key, out var n) ? n : 0; // fast path
                    }
                }

                public void Reset()
                {
                    lock (_gate)
                    {
                        _hits.Clear();
                    }
                }

                int Get2(string key)
                {
                    lock (_gate)
                    {
                        return _hits[key];
                    }
                }

                int Peek(string key)
                {
                    lock (_gate)
                    {
                        return _hits.GetValueOrDefault(key);
                    }
                }
            }
            """);

    [Fact]
    public Task Unlocked_write_of_a_guarded_field_is_reported()
        => Verify.VerifyCodeFixAsync(Usings + """
            class Window
            {
                private static readonly object Gate = new object();
                private static long s_total;

                public static void Add(long n) { lock (Gate) { s_total += n; } }

                public static void Reset()
                {
                    {|#0:s_total|} = 0;
                }
            }
            """,
            new[] { Verify.Diagnostic(InconsistentlyLockedFieldAnalyzer.Rule).WithLocation(0).WithArguments("s_total", "written") },
            Usings + """
            class Window
            {
                private static readonly object Gate = new object();
                private static long s_total;

                public static void Add(long n) { lock (Gate) { s_total += n; } }

                public static void Reset()
                {
                    lock (Gate)
                    {
                        s_total = 0;
                    }
                }
            }
            """);

    [Fact]
    public Task Different_gates_or_a_semaphore_are_reported_without_a_fix()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Two
            {
                private readonly object _a = new object();
                private readonly object _b = new object();
                private readonly SemaphoreSlim _mutex = new SemaphoreSlim(1, 1);
                private readonly List<int> _items = new List<int>();
                private List<string> _names = new List<string>();
                private decimal _balance;

                public void Add(int x) { lock (_a) { _items.Add(x); } }
                public void Remove(int x) { lock (_b) { _items.Remove(x); } }
                public int Count() => {|CONC303:_items|}.Count;

                public async Task NameAsync(string n)
                {
                    await _mutex.WaitAsync();
                    try { _names.Add(n); _balance += 1; }
                    finally { _mutex.Release(); }
                }

                public bool Has(string n) => {|CONC303:_names|}.Contains(n);
                public decimal Balance() => {|CONC303:_balance|};
            }
            """);

    [Fact]
    public Task Unlocked_read_inside_background_work_is_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Monitor2
            {
                private readonly object _gate = new object();
                private readonly Queue<string> _pending = new Queue<string>();

                public void Post(string m) { lock (_gate) { _pending.Enqueue(m); } }

                public void Start()
                {
                    Task.Run(async () =>
                    {
                        while (true)
                        {
                            if ({|CONC303:_pending|}.Count > 100) Console.WriteLine("backlog");
                            await Task.Delay(1000);
                        }
                    });
                }
            }
            """);

    // ---- not reported ----

    [Fact]
    public Task Asking_a_collection_what_it_was_built_with_is_not_a_read_of_its_contents()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class SafeMap
            {
                private readonly object _gate = new object();
                private Dictionary<string, int> _dict = new Dictionary<string, int>(StringComparer.Ordinal);
                private readonly List<int> _list = new List<int>();

                public void Set(string k, int v) { lock (_gate) { _dict[k] = v; _list.Add(v); } }
                public void Reset() { lock (_gate) { _dict = new Dictionary<string, int>(_dict.Comparer); } }

                public IEqualityComparer<string> Comparer => _dict.Comparer;
                public bool IsReadOnly => ((ICollection<int>)_list).IsReadOnly;

                // Near-misses: the contents are read.
                public int Count => {|CONC303:_list|}.Count;
                public bool Has(string k) => {|CONC303:_dict|}.ContainsKey(k);
            }
            """);

    [Fact]
    public Task Protected_Initialize_and_Close_overrides_run_around_the_work_like_a_constructor_and_Dispose()
        => Verify.VerifyAnalyzerAsync(Usings + """
            abstract class TargetBase
            {
                protected virtual void InitializeTarget() { }
                protected virtual void CloseTarget() { }
                protected virtual void Flush() { }
                public virtual void Initialize() { }
            }

            class BufferingTarget : TargetBase
            {
                private readonly object _timerLock = new object();
                private Timer _flushTimer;
                private Task _previous;

                protected override void InitializeTarget() { _flushTimer = new Timer(_ => { }); }
                protected override void CloseTarget() { _previous = null; }

                public void Write(Task t)
                {
                    lock (_timerLock)
                    {
                        _flushTimer?.Change(100, -1);
                        _flushTimer = null;
                        _previous = t;
                    }
                }

                // Near-misses: another override, and a public Initialize anyone may call at any time.
                protected override void Flush() { {|CONC303:_previous|} = null; }
                public override void Initialize() { {|CONC303:_flushTimer|} = new Timer(_ => { }); }
            }
            """);

    [Fact]
    public Task A_readonly_collection_field_returned_as_it_is_is_handed_on_not_read()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Rule
            {
                private readonly List<string> _targets = new List<string>();
                private List<string> _names = new List<string>();

                public void AddTarget(string t) { lock (_targets) { _targets.Add(t); } }
                public void AddName(string n) { lock (_targets) { _names.Add(n); } }

                // The reference never changes; whoever gets the list takes the lock (or not).
                public IList<string> Targets => _targets;
                public IReadOnlyList<string> GetTargets() { return _targets; }

                // Near-misses: the list's state is read here, and a field that is not readonly is read.
                public int Count => {|CONC303:_targets|}.Count;
                public IList<string> Names => {|CONC303:_names|};
            }
            """);

    [Fact]
    public Task Constructors_Dispose_readonly_values_and_volatile_fields_are_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Owner : IDisposable
            {
                private readonly object _gate = new object();
                private readonly Dictionary<int, int> _map = new Dictionary<int, int>();
                private readonly int _limit = 10;
                private volatile int _state;
                private int _count;
                private List<int> _items;

                public Owner() { _count = 1; _items = new List<int> { 1 }; }

                public void Add(int x) { lock (_gate) { _map[x] = x; _state = 1; _count++; _items.Add(x); } }
                public int State => _state + _limit;
                public void Dispose() { _items.Clear(); _count = 0; }
            }
            """);

    [Fact]
    public Task Private_helpers_called_only_from_Dispose_or_a_constructor_are_left_out_like_their_caller()
        => Verify.VerifyAnalyzerAsync(Usings + """
            interface IPlugin { void Stop(); }

            sealed class Host : IDisposable
            {
                private readonly object _pluginsLock = new object();
                private List<IPlugin> _plugins;
                private List<string> _names;

                public Host() => Init();

                private void Init()
                {
                    _plugins = new List<IPlugin>();
                    _names = new List<string>();
                }

                public void AddPlugin(IPlugin plugin)
                {
                    lock (_pluginsLock)
                    {
                        _plugins ??= new List<IPlugin>();
                        _plugins.Add(plugin);
                        _names.Add(plugin.ToString());
                    }
                }

                public void RemovePlugin(IPlugin plugin)
                {
                    lock (_pluginsLock)
                    {
                        plugin.Stop();
                        _plugins.Remove(plugin);
                    }
                }

                private void RemoveAllPlugins()
                {
                    if (_plugins is null)
                        return;

                    foreach (var plugin in _plugins.ToArray())
                    {
                        RemovePlugin(plugin);
                    }
                }

                private string[] Names() => {|#0:_names|}.ToArray();

                public string Describe() => string.Join(",", Names());

                public void Dispose()
                {
                    RemoveAllPlugins();
                    Names();
                }
            }
            """,
            Verify.Diagnostic(InconsistentlyLockedFieldAnalyzer.Rule).WithLocation(0).WithArguments("_names", "read"));

    [Fact]
    public Task Fields_used_with_Interlocked_or_Volatile_are_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Atomic
            {
                private readonly object _gate = new object();
                private long _total;
                private int _version;

                public void Add(long n) { lock (_gate) { _total += n; _version++; } }
                public long Total => Interlocked.Read(ref _total);
                public int Version => Volatile.Read(ref _version);
            }
            """);

    [Fact]
    public Task Private_helpers_called_only_under_the_lock_and_Locked_suffix_are_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Cache
            {
                private readonly object _gate = new object();
                private readonly List<string> _entries = new List<string>();
                private int _evictions;

                public void Put(string s)
                {
                    lock (_gate)
                    {
                        _entries.Add(s);
                        Trim();
                    }
                }

                private void Trim()
                {
                    while (_entries.Count > 10) Evict();
                }

                private void Evict() { _entries.RemoveAt(0); _evictions++; }

                internal int CountLocked() => _entries.Count + _evictions;
            }
            """);

    [Fact]
    public Task Protected_helpers_named_NeedsLock_or_RequiresLock_run_under_the_derived_types_lock_unnamed_ones_are_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            enum BreakerState { Closed, Open, HalfOpen }

            abstract class BreakerBase
            {
                protected readonly object Gate = new object();
                protected BreakerState State;
                protected long Failures;
                protected long Trials;

                public BreakerState Current
                {
                    get
                    {
                        lock (Gate)
                        {
                            if (State == BreakerState.Open && Failures == 0) State = BreakerState.HalfOpen;
                            return State;
                        }
                    }
                }

                public void Clear() { lock (Gate) { Failures = 0; } }

                public void Isolate()
                {
                    lock (Gate) { OpenFor_NeedsLock(); }
                }

                // Derived controllers call these inside lock (Gate).
                protected void Open_NeedsLock() => OpenFor_NeedsLock();

                private void OpenFor_NeedsLock() { State = BreakerState.Open; Failures = 0; }

                protected void Reset_RequiresLock() { Failures = 0; State = BreakerState.Closed; }

                protected void HalfOpen() { {|CONC303:State|} = BreakerState.HalfOpen; {|CONC303:Trials|} = 0; }

                protected void Trial() { lock (Gate) { Trials++; } }
            }

            sealed class CountingBreaker : BreakerBase
            {
                public void OnFailure()
                {
                    lock (Gate)
                    {
                        Failures++;
                        if (Failures > 3) Open_NeedsLock();
                    }
                }

                public void OnSuccess()
                {
                    lock (Gate) { Reset_RequiresLock(); }
                }

                public void Probe()
                {
                    lock (Gate) { HalfOpen(); }
                }
            }
            """);

    [Fact]
    public Task Private_indexer_read_only_under_the_lock_runs_under_it_one_read_outside_is_reported()
    {
        // Property reads are followed only in a type declaring a non-public getter: an indexer counts too.
        const string source = Usings + """
            class Slots
            {
                private readonly object _mutex = new object();
                private readonly List<int> _items = new List<int>();

                private int this[int index] => _items[index];

                public void Add(int item)
                {
                    lock (_mutex)
                    {
                        _items.Add(item);
                    }
                }

                public int First()
                {
                    lock (_mutex)
                    {
                        return this[0];
                    }
                }

                public int Last() => {|CONC303:_items|}[_items.Count - 1];
            }
            """;
        return Verify.VerifyAnalyzerAsync(source);
    }

    [Fact]
    public Task Private_properties_read_only_under_the_lock_run_under_it_one_also_read_outside_is_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class BoundedQueue<T>
            {
                private readonly object _mutex = new object();
                private readonly Queue<T> _queue = new Queue<T>();
                private readonly int _maxCount = 10;

                // Whether the queue is empty or full: the callers hold _mutex.
                private bool Empty => _queue.Count == 0;
                private bool Full { get { return _queue.Count == _maxCount; } }
                private int Size => {|CONC303:_queue|}.Count;

                public bool TryEnqueue(T item)
                {
                    lock (_mutex)
                    {
                        if (Full) return false;
                        _queue.Enqueue(item);
                        return true;
                    }
                }

                public bool TryDequeue(out T item)
                {
                    lock (_mutex)
                    {
                        if (Empty) { item = default!; return false; }
                        item = _queue.Dequeue();
                        return Size >= 0;
                    }
                }

                public int Count() => Size;
            }
            """);

    [Fact]
    public Task Non_public_members_the_DebuggerDisplay_names_are_not_reported_public_or_unnamed_ones_are()
        => Verify.VerifyAnalyzerAsync(Usings + """
            using System.Diagnostics;

            [DebuggerDisplay("State = {GetStateForDebugger}, Readers = {GetReaderCountForDebugger}, Held = {LocksHeld}")]
            class ReaderWriterGate
            {
                private readonly object _mutex = new object();
                private int _locksHeld;

                internal string GetStateForDebugger => _locksHeld == 0 ? "Unlocked" : _locksHeld == -1 ? "WriteLocked" : "ReadLocked";

                internal int GetReaderCountForDebugger { get { return _locksHeld > 0 ? _locksHeld : 0; } }

                // Near-misses: a public member the display names, and a member whose name only starts like a named one.
                public int LocksHeld => {|CONC303:_locksHeld|};

                internal bool GetStateForDebuggerIsIdle() => {|CONC303:_locksHeld|} == 0;

                public void EnterReader()
                {
                    lock (_mutex) { _locksHeld++; }
                }

                public void ExitReader()
                {
                    lock (_mutex) { _locksHeld--; }
                }
            }
            """);

    [Fact]
    public Task Protected_hooks_the_type_calls_only_under_the_lock_run_under_it()
        => Verify.VerifyAnalyzerAsync(Usings + """
            abstract class Target
            {
                protected readonly object SyncRoot = new object();
                private bool _scanned;
                private Exception _failure;
                private int _failures;
                private int _retries;

                public void Initialize()
                {
                    lock (SyncRoot)
                    {
                        _scanned = false;
                        _failure = null;
                        InitializeTarget();
                        if (!_scanned) ScanLayouts();
                    }
                }

                public void Write(string message)
                {
                    if (_failure != null)
                    {
                        lock (SyncRoot) { WriteFailed(message); }
                        return;
                    }

                    lock (SyncRoot) { _retries++; Retry(); }
                    Retry();
                    Publish();
                }

                // The base calls these hooks under its lock; derived types override them.
                protected virtual void InitializeTarget() => ScanLayouts();

                protected virtual void WriteFailed(string message)
                {
                    if (!_scanned) { _scanned = true; }
                    _failures++;
                }

                private void ScanLayouts() { _scanned = true; }

                // Near-misses: a protected hook also called without the lock, and a public one.
                protected void Retry() { {|CONC303:_retries|} = 0; }
                public void Publish() { {|CONC303:_failures|} = 0; }
            }
            """);

    [Fact]
    public Task A_helper_run_by_the_constructor_and_otherwise_under_the_lock_runs_under_it_near_misses_are_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class FreeList
            {
                private static int s_resets;
                private readonly object _gate = new object();
                private int[] _free;
                private int _count;
                private int _version;
                private int _misses;

                public FreeList()
                {
                    Initialize();
                    Reset();
                    Task.Run(() => Touch());
                }

                public void Remove()
                {
                    lock (_gate)
                    {
                        _count--;
                        _version++;
                        _misses++;
                        s_resets++;
                        if (_count == 0) Initialize();
                        Reset();
                        Touch();
                    }
                }

                // Run by the constructor and re-run under the lock: never unlocked once others can see the object.
                private void Initialize()
                {
                    _free = new int[4];
                    _count = 0;
                }

                // Near-misses: a static field (the constructor does not own it), and a helper the constructor runs
                // from a lambda, which runs later on another thread.
                private void Reset() { {|CONC303:s_resets|} = 0; }
                private void Touch() { {|CONC303:_misses|} = 0; }

                public void Clear() { {|CONC303:_version|} = 0; }
            }

            // A helper that only the constructors run is construction code: its write is not a locked one, so the
            // unlocked setter and reads of the field (never locked anywhere) stay silent.
            class LineWriter
            {
                private readonly object _gate = new object();
                private byte[] _newLine;
                private int _written;

                public LineWriter() { CommonConstructor(); }
                public LineWriter(bool crlf) : this() { }

                public bool CrLf { set { _newLine = value ? new byte[] { 13, 10 } : new byte[] { 10 }; } }

                public void Write() { lock (_gate) { _written++; } Emit(_newLine); }

                private void CommonConstructor() { _newLine = new byte[] { 10 }; _written = 0; }

                private static void Emit(byte[] bytes) { }
            }
            """);

    [Fact]
    public Task Lambdas_in_a_local_function_called_only_under_the_lock_run_under_it()
        => Verify.VerifyAnalyzerAsync(Usings + """
            using System.Linq;

            class Registry
            {
                private readonly object _gate = new object();
                private readonly List<string> _names = new List<string>();
                private readonly Dictionary<string, int> _priority = new Dictionary<string, int>();

                public void Add(string name, int priority)
                {
                    lock (_gate)
                    {
                        _names.Add(name);
                        _priority[name] = priority;
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
            """);

    [Fact]
    public Task Helpers_called_where_a_held_flag_parameter_says_the_caller_has_the_lock_run_under_it_a_flag_with_no_locking_branch_does_not()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Topology
            {
                private readonly SemaphoreSlim _entities = new SemaphoreSlim(1, 1);
                private readonly HashSet<string> _bindings = new HashSet<string>();
                private readonly Dictionary<string, int> _queues = new Dictionary<string, int>();
                private readonly List<string> _consumers = new List<string>();

                public async Task ResetAsync()
                {
                    await _entities.WaitAsync().ConfigureAwait(false);
                    try { _bindings.Clear(); _queues.Clear(); }
                    finally { _entities.Release(); }
                }

                internal async ValueTask RecordBindingAsync(string binding, bool entitiesHeld)
                {
                    if (entitiesHeld)
                    {
                        DoRecordBinding(binding);
                    }
                    else
                    {
                        await _entities.WaitAsync().ConfigureAwait(false);
                        try { DoRecordBinding(binding); }
                        finally { _entities.Release(); }
                    }
                }

                private void DoRecordBinding(string binding) { _bindings.Add(binding); }

                internal async ValueTask DeleteQueueAsync(string queue, bool entitiesHeld, CancellationToken ct)
                {
                    if (false == entitiesHeld)
                    {
                        await _entities.WaitAsync(ct).ConfigureAwait(false);
                        try { DoDeleteQueue(queue); }
                        finally { _entities.Release(); }
                    }
                    else
                    {
                        DoDeleteQueue(queue);
                    }

                    void DoDeleteQueue(string name)
                    {
                        _queues.Remove(name);
                        _bindings.Remove(name);
                    }
                }

                // The flag here does not choose between locking and not: nothing vouches for the unlocked call.
                internal void RecordQueue(string queue, bool verbose)
                {
                    if (verbose)
                    {
                        DoRecordQueue(queue);
                    }
                    else
                    {
                        Console.WriteLine(queue);
                        DoRecordQueue(queue);
                    }
                }

                private void DoRecordQueue(string queue) { {|CONC303:_queues|}[queue] = 1; }

                internal void AddConsumer(string consumer, bool lockHeld)
                {
                    if (lockHeld) { _consumers.Add(consumer); }
                    else { lock (_consumers) { _consumers.Add(consumer); } }
                }
            }
            """);

    [Fact]
    public Task A_method_that_throws_unless_its_held_flag_is_set_runs_under_the_lock_a_flag_named_otherwise_does_not()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Recovery
            {
                private readonly SemaphoreSlim _entities = new SemaphoreSlim(1, 1);
                private readonly Dictionary<string, string> _consumers = new Dictionary<string, string>();
                private bool _disposed;

                public async Task RecordAsync(string tag, string queue)
                {
                    await _entities.WaitAsync();
                    try { _consumers[tag] = queue; }
                    finally { _entities.Release(); }
                }

                internal Task RecoverConsumersAsync(bool entitiesSemaphoreHeld)
                {
                    if (_disposed)
                    {
                        return Task.CompletedTask;
                    }

                    if (false == entitiesSemaphoreHeld)
                    {
                        throw new InvalidOperationException("entities semaphore must be held");
                    }

                    foreach (var pair in new List<KeyValuePair<string, string>>(_consumers))
                    {
                        Rename(pair.Key, pair.Key + "-1", pair.Value);
                    }

                    return Task.CompletedTask;

                    void Rename(string oldTag, string newTag, string queue)
                    {
                        _consumers.Remove(oldTag);
                        _consumers.Add(newTag, queue);
                    }
                }

                internal void Clear(bool enabled)
                {
                    if (!enabled)
                    {
                        throw new InvalidOperationException("disabled");
                    }

                    {|CONC303:_consumers|}.Clear();
                }
            }
            """);

    [Fact]
    public Task A_method_that_asserts_the_lock_on_entry_runs_under_it_one_that_does_not_is_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            abstract class CallBase
            {
                protected readonly object Lock = new object();

                public void Commit()
                {
                    lock (Lock) { OnCommit(); }
                }

                protected abstract void OnCommit();
            }

            sealed class RetryCall : CallBase
            {
                private object? _activeCall;

                public void Start(object call)
                {
                    lock (Lock) { _activeCall = call; }
                }

                protected override void OnCommit()
                {
                    System.Diagnostics.Debug.Assert(Monitor.IsEntered(Lock));

                    _activeCall = null;
                }

                public void Reset()
                {
                    {|CONC303:_activeCall|} = null;
                }

                internal void CommitFromQueue()
                {
                    Assumes.True(Monitor.IsEntered(Lock));
                    _activeCall = null;
                }
            }

            static class Assumes
            {
                public static void True(bool condition) { }
            }
            """);

    [Fact]
    public Task A_method_that_calls_the_types_lock_assertion_helper_runs_under_the_lock_one_that_does_not_is_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Synchronizer
            {
                private readonly object _sync = new object();
                private long _waiters;

                private void AssertInternalLockState() => System.Diagnostics.Debug.Assert(Monitor.IsEntered(_sync));

                public void Release()
                {
                    lock (_sync)
                    {
                        _waiters--;
                    }
                }

                private protected bool Enqueue()
                {
                    AssertInternalLockState();
                    if (IsLimitReached)
                    {
                        return false;
                    }

                    _waiters++;
                    return true;
                }

                private bool IsLimitReached => _waiters == long.MaxValue;

                private protected void Reset()
                {
                    {|CONC303:_waiters|} = 0;
                    AssertInternalLockState2();
                }

                private static void AssertInternalLockState2() { }
            }
            """);

    [Fact]
    public Task Init_accessors_run_in_the_object_initializer_like_a_constructor_setters_do_not()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Tracker
            {
                private readonly object _sync = new object();
                private Settings _settings;

                public string Tag
                {
                    init => _settings = new Settings(value, _settings.Limit);
                }

                public int Limit
                {
                    set => {|CONC303:_settings|} = new Settings(_settings.Tag, value);
                }

                public void Tighten()
                {
                    lock (_sync)
                    {
                        _settings = new Settings(_settings.Tag, _settings.Limit - 1);
                    }
                }
            }

            readonly struct Settings
            {
                public Settings(string tag, int limit) { Tag = tag; Limit = limit; }
                public string Tag { get; }
                public int Limit { get; }
            }

            namespace System.Runtime.CompilerServices
            {
                static class IsExternalInit { }
            }
            """);

    [Fact]
    public Task A_field_handed_by_ref_to_a_ref_struct_is_not_reported_one_handed_by_ref_to_a_method_is()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Synchronizer
            {
                private readonly object _gate = new object();
                private Queue _queue;

                public void Add()
                {
                    lock (_gate)
                    {
                        Grow(ref _queue);
                    }
                }

                public Acquisition BeginAcquisition(int timeout) => new Acquisition(ref _queue, timeout);

                public void Reset() => Clear(ref {|CONC303:_queue|});

                private static void Grow(ref Queue queue) => queue.Length++;

                private static void Clear(ref Queue queue) => queue.Length = 0;
            }

            struct Queue
            {
                public long Length;
            }

            ref struct Acquisition
            {
                private readonly ref Queue _queue;
                private readonly int _timeout;

                public Acquisition(ref Queue queue, int timeout)
                {
                    _queue = ref queue;
                    _timeout = timeout;
                }

                public long Length => _queue.Length;
            }
            """);

    [Fact]
    public Task A_read_followed_by_a_memory_barrier_is_not_reported_a_barrier_before_it_or_further_on_is()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class StateTracker
            {
                private readonly object _sync = new object();
                private ulong _version;

                public void Advance()
                {
                    lock (_sync)
                    {
                        _version++;
                    }
                }

                public ulong Current
                {
                    get
                    {
                        var result = _version;
                        Interlocked.MemoryBarrier();
                        return result;
                    }
                }

                public ulong Fenced()
                {
                    ulong result;
                    result = _version + 1;
                    Thread.MemoryBarrier();
                    return result;
                }

                public uint Low()
                {
                    var result = IntPtr.Size == 8 ? (uint)_version : System.Runtime.CompilerServices.Unsafe.As<ulong, uint>(ref _version);
                    Interlocked.MemoryBarrier();
                    return result;
                }

                public void Clear() => System.Runtime.CompilerServices.Unsafe.As<ulong, uint>(ref {|CONC303:_version|}) = 0;

                public ulong Late()
                {
                    var result = {|CONC303:_version|};
                    Console.WriteLine(result);
                    Interlocked.MemoryBarrier();
                    return result;
                }

                public ulong Early()
                {
                    Interlocked.MemoryBarrier();
                    return {|CONC303:_version|};
                }
            }
            """);

    [Fact]
    public Task Flags_published_references_and_pre_checks_repeated_under_the_lock_are_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            enum Phase { Idle, Running }

            class Service
            {
                private readonly object _gate = new object();
                private bool _disposed;
                private Phase _phase;
                private string[] _snapshot = Array.Empty<string>();
                private int _size;

                public void Stop() { lock (_gate) { _disposed = true; _phase = Phase.Idle; } }
                public void Publish(string[] items) { lock (_gate) { _snapshot = items; } }

                public void Grow()
                {
                    if (_size >= 100) return;
                    lock (_gate)
                    {
                        if (_size >= 100) return;
                        _size++;
                    }
                }

                public string[] Items
                {
                    get
                    {
                        if (_disposed || _phase == Phase.Idle) throw new ObjectDisposedException(nameof(Service));
                        return _snapshot;
                    }
                }
            }
            """);

    [Fact]
    public Task A_pre_check_repeated_under_the_lock_in_a_method_that_only_reads_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Registry
            {
                private readonly object _gate = new object();
                private int _count;

                public void Add() { lock (_gate) { _count++; } }

                public bool Any()
                {
                    if (_count == 0) return false;
                    lock (_gate)
                    {
                        return _count > 0;
                    }
                }

                public int Peek() => {|CONC303:_count|};
            }
            """);

    [Fact]
    public Task Types_without_locks_and_updates_reported_by_CONC301_or_CONC302_are_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Plain
            {
                private int _count;
                public void Add() => _count++;
                public int Count => _count;
            }

            class Worker
            {
                private readonly object _gate = new object();
                private readonly List<int> _done = new List<int>();
                private int _n;

                public int Done() { lock (_gate) { _n++; return _done.Count; } }

                public void Run(int[] items) => Parallel.ForEach(items, x => { _done.Add(x); _n++; });
            }
            """);

    [Fact]
    public Task Collection_locked_on_itself_and_handed_to_Monitor_or_a_helper_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Connection
            {
                private readonly Queue<string> _awaiting = new Queue<string>();

                public void Sent(string m) { lock (_awaiting) { _awaiting.Enqueue(m); } }

                public string Peek()
                {
                    bool taken = false;
                    try
                    {
                        Monitor.TryEnter(_awaiting, 10, ref taken);
                        return taken && _awaiting.Count > 0 ? _awaiting.Peek() : null;
                    }
                    finally
                    {
                        if (taken) Monitor.Exit(_awaiting);
                    }
                }

                public void Fail()
                {
                    while (TryDequeue(_awaiting, out var m)) Console.WriteLine(m);

                    static bool TryDequeue(Queue<string> queue, out string m)
                    {
                        lock (queue) { return queue.TryDequeue(out m); }
                    }
                }
            }
            """);

    [Fact]
    public Task A_struct_field_read_to_reach_its_own_readonly_gate_is_not_reported_other_reads_of_it_are()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Waiters
            {
                private WaitQueue _queue = new WaitQueue(0);

                public void Add()
                {
                    lock (_queue.SyncRoot)
                    {
                        Push(ref _queue);
                    }
                }

                public void Remove()
                {
                    Monitor.Enter(_queue.SyncRoot);
                    try
                    {
                        Pop(ref _queue);
                    }
                    finally
                    {
                        Monitor.Exit(_queue.SyncRoot);
                    }
                }

                private readonly List<string> _pool = new List<string>();

                public void Return(string item)
                {
                    lock (_queue.SyncRoot)
                    {
                        _pool.Add(item);
                    }
                }

                public void Clear()
                {
                    Monitor.Enter(_queue.SyncRoot);
                    _pool.Clear();
                    Monitor.Exit(_queue.SyncRoot);
                }

                public long Length => {|CONC303:_queue|}.Length;

                public object Owner => {|CONC303:_queue|}.Owner;

                private static void Push(ref WaitQueue queue) => queue.Add();

                private static void Pop(ref WaitQueue queue) => queue.Remove();

                private struct WaitQueue
                {
                    internal readonly object SyncRoot;
                    internal object Owner;
                    private long _length;

                    public WaitQueue(int unused)
                    {
                        SyncRoot = new object();
                        Owner = null;
                        _length = unused;
                    }

                    public long Length => _length;

                    public void Add() => _length++;

                    public void Remove() => _length--;
                }
            }
            """);

    [Fact]
    public Task Writes_before_a_release_and_internal_helpers_called_under_the_lock_are_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Semaphore
            {
                private readonly SemaphoreSlim _semaphore = new SemaphoreSlim(1, 1);
                private readonly object _gate = new object();
                private readonly SortedSet<int> _due = new SortedSet<int>();
                private Guid? _owner;

                public async Task AcquireAsync(Guid id)
                {
                    await _semaphore.WaitAsync();
                    _owner = id;
                }

                public void Release()
                {
                    _owner = null;
                    _semaphore.Release();
                }

                public void Complete(int id) { lock (_gate) { _due.Add(id); SetState(id); } }

                /// <remarks>Call while holding the lock.</remarks>
                internal void SetState(int id)
                {
                    _due.Remove(id);
                }
            }
            """);

    [Fact]
    public Task Writes_before_signalling_a_semaphore_created_empty_are_not_locked_a_semaphore_created_with_a_slot_is_a_lock()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class TlsReader
            {
                private readonly SemaphoreSlim _received, _expecting;
                private readonly SemaphoreSlim _done = new SemaphoreSlim(0);
                private int _bytesRead;
                private int _transportRead;
                private int _pending;

                public TlsReader()
                {
                    _received = new SemaphoreSlim(0);
                    this._expecting = new SemaphoreSlim(0, 1);
                }

                public void OnReceivePlain(int count) { _bytesRead += count; }

                public void OnReceive(int count, bool waiting)
                {
                    _bytesRead += count;
                    if (waiting) { _ = _received.Release(); }
                }

                public void ShiftTransport(int consumed) { _transportRead -= consumed; }

                public void ReadCompleted(int count)
                {
                    _transportRead += count;
                    if (_expecting.CurrentCount == 0) _expecting.Release();
                }

                public void Reset() { _pending = 0; }

                public void Complete(int count)
                {
                    try { _pending = count; }
                    finally { _done.Release(); }
                }
            }

            class Gated
            {
                private readonly SemaphoreSlim _gate;
                private int _owner;

                public Gated() { _gate = new SemaphoreSlim(1, 1); }

                public async Task SetAsync(int id)
                {
                    await _gate.WaitAsync();
                    try { _owner = id; }
                    finally { _gate.Release(); }
                }

                public void Steal(int id) { [|_owner|] = id; }
            }
            """);

    [Fact]
    public Task A_lock_handed_to_callers_by_public_Enter_and_Exit_methods_covers_the_other_methods_a_lock_taken_inside_does_not()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Sender
            {
                private readonly Stack<byte[]> _pool = new Stack<byte[]>();
                private SpinLock _spin;
                private byte[]? _response;

                public void Enter()
                {
                    var taken = false;
                    _spin.Enter(ref taken);
                }

                public void EnterAndGetResponse()
                {
                    var taken = false;
                    _spin.Enter(ref taken);
                    _response = _pool.Count > 0 ? _pool.Pop() : new byte[16];
                }

                public void Exit() => _spin.Exit();

                public void ExitAndReturnResponse()
                {
                    if (_response != null) { _pool.Push(_response); _response = null; }
                    _spin.Exit();
                }

                // Called by the session between Enter() and Exit().
                public void GetResponse()
                {
                    if (_response == null) _response = new byte[16];
                }

                public void ReturnResponse()
                {
                    if (_response != null) { _pool.Push(_response); _response = null; }
                }
            }

            class SelfLockingSender
            {
                private readonly object _gate = new object();
                private SpinLock _spin;
                private byte[]? _response;
                private byte[]? _last;

                public void EnterAndGetResponse()
                {
                    var taken = false;
                    _spin.Enter(ref taken);
                    _response = new byte[16];
                }

                public void ExitAndReturnResponse()
                {
                    _response = null;
                    _spin.Exit();
                }

                public void Replace()
                {
                    var taken = false;
                    _spin.Enter(ref taken);
                    try { _response = new byte[32]; }
                    finally { _spin.Exit(); }
                }

                public void GetResponse() { [|_response|] = new byte[16]; }

                public void Remember(byte[] data)
                {
                    var taken = false;
                    _spin.Enter(ref taken);
                    lock (_gate) { _last = data; }
                }

                public void Forget() { [|_last|] = null; }
            }
            """);

    private const string Registry = """
        namespace My.Collections
        {
            public class SafeMap : Dictionary<string, int> { }
        }

        class Registry
        {
            private readonly object _gate = new object();
            private readonly My.Collections.SafeMap _map = new My.Collections.SafeMap();

            public void Put(string key, int value)
            {
                lock (_gate) { _map[key] = value; }
            }

            public int Get(string key) => {|#0:_map|}[key];
        }
        """;

    [Fact]
    public Task Thread_safe_types_option_makes_a_listed_field_type_unguarded()
    {
        var test = new Verify.Test { TestCode = Usings + Registry.Replace("{|#0:_map|}", "_map") };
        test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n[*.cs]\nCONC301.thread_safe_types = My.Collections.SafeMap"));
        return test.RunAsync();
    }

    [Fact]
    public Task Thread_safe_types_option_unset_keeps_the_unlocked_read_reported()
    {
        var test = new Verify.Test
        {
            TestCode = Usings + Registry,
            ExpectedDiagnostics = { Verify.Diagnostic(InconsistentlyLockedFieldAnalyzer.Rule).WithLocation(0).WithArguments("_map", "read") },
            FixedCode = Usings + Registry.Replace("public int Get(string key) => {|#0:_map|}[key];", """
                public int Get(string key)
                    {
                        lock (_gate)
                        {
                            return _map[key];
                        }
                    }
                """),
        };
        return test.RunAsync();
    }

    [Fact]
    public Task Half_typed_code_does_not_throw()
    {
        var source = Usings + """
            class Broken
            {
                private readonly object _gate = new object();
                private int _count;
                public void Add() { lock (_gate) { _count++; }
                public int Count => {|CONC303:_count|} +
            }
            """;
        var test = new Verify.Test { CompilerDiagnostics = CompilerDiagnostics.None, TestCode = source, FixedCode = source };
        return test.RunAsync();
    }

    [Fact]
    public Task Field_locked_through_another_objects_gate_is_reported_without_a_fix()
    {
        // The fix writes `lock (<gate>)` with the gate's name; a gate that is a member of another object has no such name here.
        var source = Usings + """
            class Pool
            {
                private readonly Shared _shared = new Shared();
                private int _count;

                public void Add()
                {
                    lock (_shared.SyncRoot)
                    {
                        _count++;
                    }
                }

                public int Count => {|CONC303:_count|};
            }

            class Shared
            {
                public readonly object SyncRoot = new object();
            }
            """;
        return Verify.VerifyCodeFixAsync(source, source);
    }

    [Fact]
    public Task Writes_after_a_mutex_acquire_guarded_for_abandonment_are_under_the_mutex_others_are_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            public sealed class SharedStore
            {
                private readonly Mutex _mutex = new Mutex(false, "Global\\store");
                private object? _engine;
                private object? _other;

                // An abandoned mutex is handed to the waiter with the exception: it is owned after the try either way.
                private bool Open()
                {
                    try
                    {
                        _mutex.WaitOne();
                    }
                    catch (AbandonedMutexException) { }

                    if (_engine == null)
                    {
                        _engine = new object();
                        return true;
                    }

                    return false;
                }

                // Any other failure of the wait leaves the mutex not owned.
                private void OpenOther()
                {
                    try
                    {
                        _mutex.WaitOne();
                    }
                    catch (Exception) { }

                    [|_other|] = new object();
                }

                private void Close()
                {
                    _engine = null;
                    _other = null;
                    _mutex.ReleaseMutex();
                }

                public void Run()
                {
                    var opened = Open();
                    OpenOther();
                    try { Console.WriteLine(_engine); }
                    finally { if (opened) Close(); }
                }
            }
            """);
}
