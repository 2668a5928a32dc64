using ConcurrencyAnalyzers.Primitives;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<
    ConcurrencyAnalyzers.Primitives.NonCopyableCopiedAnalyzer,
    ConcurrencyAnalyzers.CodeFixes.Primitives.NonCopyableCopiedCodeFix>;

namespace ConcurrencyAnalyzers.Tests.Primitives;

public sealed class NonCopyableCopiedTests
{
    [Fact]
    public Task SpinLock_passed_by_value_to_a_private_helper_is_fixed_to_ref()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading;

            class Counter
            {
                private SpinLock _spin = new SpinLock(false);
                private long _total;

                public void Add(long x) => Locked({|#0:_spin|}, x);

                public void Sub(long x)
                {
                    // Same helper, second call site.
                    Locked(_spin, -x);
                }

                private void Locked(SpinLock spin, long x)
                {
                    bool taken = false;
                    try { spin.Enter(ref taken); _total += x; }
                    finally { if (taken) spin.Exit(); }
                }
            }
            """,
            new[]
            {
                Verify.Diagnostic(NonCopyableCopiedAnalyzer.CopyRule).WithLocation(0).WithArguments("_spin", "SpinLock", "passed by value"),
                Verify.Diagnostic(NonCopyableCopiedAnalyzer.CopyRule).WithSpan(13, 16, 13, 21).WithArguments("_spin", "SpinLock", "passed by value"),
            },
            """
            using System.Threading;

            class Counter
            {
                private SpinLock _spin = new SpinLock(false);
                private long _total;

                public void Add(long x) => Locked(ref _spin, x);

                public void Sub(long x)
                {
                    // Same helper, second call site.
                    Locked(ref _spin, -x);
                }

                private void Locked(ref SpinLock spin, long x)
                {
                    bool taken = false;
                    try { spin.Enter(ref taken); _total += x; }
                    finally { if (taken) spin.Exit(); }
                }
            }
            """);

    [Fact]
    public Task Local_SpinWait_passed_by_value_to_a_local_function_and_in_parameter_are_fixed()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading;

            class Poller
            {
                private volatile bool _ready;

                public void Wait()
                {
                    var spinner = new SpinWait();
                    while (!_ready) Spin({|CONC502:spinner|});

                    void Spin(SpinWait s) => s.SpinOnce();
                }

                public void WaitIn()
                {
                    var spinner = new SpinWait();
                    while (!_ready) SpinIn(in {|CONC502:spinner|});
                }

                private static void SpinIn(in SpinWait s) { }
            }
            """,
            """
            using System.Threading;

            class Poller
            {
                private volatile bool _ready;

                public void Wait()
                {
                    var spinner = new SpinWait();
                    while (!_ready) Spin(ref spinner);

                    void Spin(ref SpinWait s) => s.SpinOnce();
                }

                public void WaitIn()
                {
                    var spinner = new SpinWait();
                    while (!_ready) SpinIn(ref spinner);
                }

                private static void SpinIn(ref SpinWait s) { }
            }
            """);

    [Fact]
    public Task Copies_into_locals_fields_returns_boxes_and_collections_are_reported_without_a_fix()
    {
        const string source = """
            using System.Collections.Generic;
            using System.Threading;

            class Owner
            {
                private SpinLock _spin;
                private SpinLock _other;
                private readonly List<SpinLock> _list = new List<SpinLock>();

                public SpinLock Get() => {|CONC502:_spin|};

                public void Copy()
                {
                    var local = {|CONC502:_spin|};
                    _other = {|CONC502:_spin|};
                    object boxed = {|CONC502:_spin|};
                    _list.Add({|CONC502:_spin|});
                    var pair = ({|CONC502:_spin|}, 1);
                    var array = new[] { {|CONC502:_spin|} };
                }
            }
            """;
        return Verify.VerifyCodeFixAsync(source, source);
    }

    [Fact]
    public Task List_indexer_foreach_and_with_copies_are_reported()
    {
        const string source = """
            using System.Collections.Generic;
            using System.Threading;

            record struct Guarded(SpinLock Lock, int Value);

            class Owner
            {
                private readonly List<SpinLock> _locks = new List<SpinLock>();
                private readonly IList<SpinLock> _ilocks = new List<SpinLock>();
                private Guarded _guarded;

                public void Run()
                {
                    bool taken = false;
                    {|CONC502:_locks[0]|}.Enter(ref taken);
                    {|CONC502:_ilocks[1]|}.Exit();
                    foreach (var {|CONC502:l|} in _locks) { }
                    var next = {|CONC502:_guarded|} with { Value = 1 };
                }
            }
            """;
        return Verify.VerifyCodeFixAsync(source, source);
    }

    [Fact]
    public Task Call_through_an_in_parameter_runs_on_a_defensive_copy()
    {
        const string source = """
            using System.Threading;

            static class Helpers
            {
                public static void Enter(in SpinLock spin, ref bool taken) => {|CONC502:spin|}.Enter(ref taken);
            }
            """;
        return Verify.VerifyCodeFixAsync(source, source);
    }

    [Fact]
    public Task Readonly_field_calls_are_left_to_CONC501()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;

            class Owner
            {
                private readonly SpinLock _spin = new SpinLock(false);

                public void Run()
                {
                    bool taken = false;
                    _spin.Enter(ref taken);
                    _spin.Exit();
                }
            }
            """);

    [Fact]
    public Task User_declared_NonCopyable_struct_copy_is_reported()
    {
        const string source = """
            using System;

            namespace Acme
            {
                [AttributeUsage(AttributeTargets.Struct)]
                sealed class NonCopyableAttribute : Attribute { }

                [NonCopyable]
                struct Budget { public int Left; }

                class Owner
                {
                    private Budget _budget;
                    public Budget Snapshot() => {|CONC502:_budget|};
                    public void Take() => _budget.Left--;
                }
            }
            """;
        return Verify.VerifyCodeFixAsync(source, source);
    }

    [Fact]
    public Task Interlocked_on_a_field_of_a_copy_is_reported()
    {
        const string source = """
            using System.Collections.Generic;
            using System.Threading;

            struct Bucket { public long Count; }
            struct Stats { public long Hits; }

            class Histogram
            {
                private readonly List<Bucket> _buckets = new List<Bucket>();
                private Stats _stats;

                public void Add(int i)
                {
                    var bucket = _buckets[i];
                    Interlocked.Increment({|#0:ref bucket.Count|});
                }

                public void Hit()
                {
                    var stats = _stats;
                    Volatile.Write({|CONC502:ref stats.Hits|}, 1);
                }

                public void Record(Stats copy) => Interlocked.Add({|CONC502:ref copy.Hits|}, 1);
            }
            """;
        var test = new Verify.Test { TestCode = source, FixedCode = source };
        test.ExpectedDiagnostics.Add(Verify.Diagnostic(NonCopyableCopiedAnalyzer.AtomicOnCopyRule).WithLocation(0)
            .WithArguments("Interlocked", "Increment", "bucket.Count", "_buckets[i]"));
        return test.RunAsync();
    }

    [Fact]
    public Task Option_adds_attribute_names()
    {
        const string source = """
            using System;

            sealed class NoCopyAttribute : Attribute { }

            [NoCopy]
            struct Ticket { public int Value; }

            class Owner
            {
                private Ticket _ticket;
                public object Box() => {|CONC502:_ticket|};
            }
            """;
        var test = new Verify.Test { TestCode = source, FixedCode = source };
        test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n[*.cs]\nCONC502.non_copyable_attributes = NoCopy"));
        return test.RunAsync();
    }

    [Fact]
    public Task Public_method_and_non_variable_arguments_get_no_fix()
    {
        const string source = """
            using System.Threading;

            class Owner
            {
                private SpinLock _spin;
                private readonly SpinLock[] _stripes = new SpinLock[4];

                public void Run(SpinLock s) { }
                private void Helper(SpinLock s) { }

                public void Go()
                {
                    Run({|CONC502:_spin|});
                    Helper({|CONC502:_spin|});
                    Helper(GetCopy());
                }

                private SpinLock GetCopy() => {|CONC502:_stripes[0]|};
            }
            """;
        return Verify.VerifyCodeFixAsync(source, source);
    }

    [Fact]
    public Task Mutating_a_synchronized_struct_through_a_list_indexer_foreach_or_in_parameter_is_reported()
    {
        const string source = """
            using System.Collections.Generic;
            using System.Threading;

            struct HitCounter
            {
                private long _hits;
                public void Hit() => Interlocked.Increment(ref _hits);
                public long Hits => Interlocked.Read(ref _hits);
            }

            class Endpoints
            {
                private readonly List<HitCounter> _counters = new List<HitCounter>();

                public void OnRequest(int i)
                {
                    {|CONC502:_counters[i]|}.Hit();
                    foreach (var c in _counters) {|CONC502:c|}.Hit();
                }

                public static void Record(in HitCounter counter) => {|CONC502:counter|}.Hit();
            }
            """;
        return Verify.VerifyCodeFixAsync(source, source);
    }

    [Fact]
    public Task Values_handed_out_by_generic_containers_are_copies()
    {
        const string source = """
            using System.Collections.Concurrent;
            using System.Collections.Generic;
            using System.Linq;
            using System.Threading;

            struct Bucket { public SpinLock Lock; public long Count; }

            class Striped
            {
                private readonly Dictionary<string, Bucket> _buckets = new Dictionary<string, Bucket>();
                private readonly ConcurrentDictionary<string, SpinLock> _locks = new ConcurrentDictionary<string, SpinLock>();

                public void Hit(string key)
                {
                    bool taken = false;
                    if (_buckets.TryGetValue(key, out var {|CONC502:bucket|}))
                    {
                        bucket.Lock.Enter(ref taken);
                    }

                    {|CONC502:_locks.GetOrAdd(key, _ => new SpinLock(false))|}.Enter(ref taken);
                    var first = {|CONC502:_locks.Values.First()|};
                }
            }
            """;
        return Verify.VerifyCodeFixAsync(source, source);
    }

    [Fact]
    public Task Instances_of_generic_structs_are_classified_by_their_definition_and_arguments()
    {
        // An instance over plain type arguments is answered from its definition (Guarded<int> holds a SpinLock of its
        // own, Tally<int> updates its own counter); one over a non-copyable argument from its fields (Box<SpinLock>,
        // SpinLock?, and the enumerator nested in List<SpinLock>).
        const string source = """
            using System.Collections.Generic;
            using System.Threading;

            struct Guarded<T> { public SpinLock Lock; public T Value; }
            struct Box<T> { public T Value; }
            struct Tally<T>
            {
                private long _hits;
                public T Last;
                public void Hit() => Interlocked.Increment(ref _hits);
            }

            class Holders
            {
                private Guarded<int> _guarded;
                private Guarded<string> _named;
                private Box<SpinLock> _boxed;
                private Box<int> _plain;
                private SpinLock? _maybe;
                private int? _count;
                private readonly List<Tally<int>> _tallies = new List<Tally<int>>();

                public void Copy(List<SpinLock> locks)
                {
                    var a = {|CONC502:_guarded|};
                    var b = {|CONC502:_named|};
                    var c = {|CONC502:_boxed|};
                    var d = _plain;
                    var e = {|CONC502:_maybe|};
                    var f = _count;
                    {|CONC502:_tallies[0]|}.Hit();
                    var g = locks.GetEnumerator();
                    var h = {|CONC502:g|};
                }
            }
            """;
        return Verify.VerifyCodeFixAsync(source, source);
    }

    // ---- near misses ----

    [Fact]
    public Task In_place_use_ref_locals_ref_returns_and_array_elements_are_silent()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;

            class Striped
            {
                private SpinLock _spin = new SpinLock(false);
                private readonly SpinLock[] _stripes = new SpinLock[16];

                public ref SpinLock Lock => ref _spin;
                public ref SpinLock Stripe(int i) => ref _stripes[i];

                public void Run(int key)
                {
                    bool taken = false;
                    ref var stripe = ref _stripes[key & 15];
                    stripe.Enter(ref taken);
                    stripe.Exit();
                    _stripes[key & 15].Enter(ref taken);
                    _stripes[key & 15].Exit();
                    _spin.Enter(ref taken);
                    _spin.Exit();
                    Use(ref _spin);
                    ref var l = ref Lock;
                    Span<SpinLock> span = _stripes;
                    foreach (ref var s in span) { }
                    Console.WriteLine(nameof(_spin));
                    Console.WriteLine(_spin.IsHeld);
                }

                private static void Use(ref SpinLock spin) { }
            }
            """);

    [Fact]
    public Task Value_of_a_ref_returning_call_copied_into_a_local_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;

            class Striped
            {
                private readonly SpinLock[] _stripes = new SpinLock[16];

                public ref SpinLock Stripe(int i) => ref _stripes[i];

                public void Run(int key)
                {
                    var copy = {|CONC502:Stripe(key & 15)|};
                    bool taken = false;
                    Stripe(key & 15).Enter(ref taken);
                    Stripe(key & 15).Exit();
                }
            }
            """);

    [Fact]
    public Task Local_SpinWait_used_in_place_and_captured_by_a_lambda_is_silent()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class Poller
            {
                private volatile bool _ready;

                public void Wait()
                {
                    var spinner = new SpinWait();
                    while (!_ready) spinner.SpinOnce();
                    SpinWait other = default;
                    other.SpinOnce();
                    Action spin = () => spinner.SpinOnce();
                    spin();
                    Task.Run(() => { while (!_ready) spinner.SpinOnce(); }).Wait();
                }
            }
            """);

    [Fact]
    public Task Ordinary_structs_and_class_holders_are_silent()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Generic;
            using System.Threading;

            sealed class Gate { public SpinLock Lock; }
            readonly struct Handle { public readonly Gate Gate; public Handle(Gate g) => Gate = g; }
            struct Point { public int X; }

            class Owner
            {
                private readonly List<Point> _points = new List<Point>();
                private Handle _handle = new Handle(new Gate());

                public Handle Get() => _handle;
                public object Box() => _handle;
                public Point First() => _points[0];
                public void Copy() { var h = _handle; var p = _points[0]; foreach (var q in _points) { } }
            }
            """);

    [Fact]
    public Task Interlocked_on_shared_locations_and_published_copies_is_silent()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            struct Stats { public long Hits; }

            class Owner
            {
                private Stats _stats;
                private readonly Stats[] _perCore = new Stats[8];

                public void Hit(int core)
                {
                    Interlocked.Increment(ref _stats.Hits);
                    Interlocked.Increment(ref _perCore[core].Hits);
                    ref var mine = ref _perCore[core];
                    Interlocked.Increment(ref mine.Hits);
                }

                public void Accumulate()
                {
                    var local = _stats;
                    Parallel.For(0, 10, i => Interlocked.Increment(ref local.Hits));
                    _stats = local;
                }

                public void Publish()
                {
                    var copy = _stats;
                    Interlocked.Increment(ref copy.Hits);
                    _stats = copy;
                }

                public void Fresh()
                {
                    var fresh = new Stats();
                    Interlocked.Increment(ref fresh.Hits);
                }
            }
            """);

    [Fact]
    public Task Reading_a_snapshot_of_a_synchronized_struct_is_silent()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Generic;
            using System.Threading;

            struct HitCounter
            {
                private long _hits;
                public void Hit() => Interlocked.Increment(ref _hits);
                public readonly long Peek() => _hits;
            }

            class Endpoints
            {
                private HitCounter _counter;
                private readonly List<HitCounter> _history = new List<HitCounter>();

                public HitCounter Snapshot() => _counter;
                public void Archive() { _history.Add(_counter); var last = _history[0]; long n = last.Peek(); }
                public void OnRequest() => _counter.Hit();
                public long Total(HitCounter c) => c.Peek();
            }
            """);

    [Fact]
    public Task Monitor_on_a_boxed_SpinLock_is_left_to_CONC503()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;

            class Owner
            {
                private SpinLock _spin;
                public void Run() { Monitor.Enter(_spin); Monitor.Exit(_spin); }
            }
            """);

    [Fact]
    public Task Assignments_of_fresh_values_and_struct_own_members_are_silent()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;

            struct Gate
            {
                private SpinLock _spin;
                public Gate(bool track) { _spin = new SpinLock(track); }
                public void Enter(ref bool taken) => _spin.Enter(ref taken);
                public void Reset() { _spin = default; this = default; }
            }

            class Owner
            {
                private Gate _gate = new Gate(false);
                private SpinLock _spin;
                public void Reset() { _spin = new SpinLock(false); _gate = default; _ = _spin.IsHeld; }
            }
            """);

    [Fact]
    public Task This_of_a_struct_holding_a_SpinLock_is_reported_once_where_copied_and_plain_structs_and_classes_are_silent()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;

            struct Outer
            {
                private SpinLock _spin;
                public Outer Copy() => {|#0:this|};
                public void Pass() => Use({|CONC502:this|});
                public object Box() => {|CONC502:this|};
                public void Keep() { var copy = {|CONC502:this|}; }
                public bool Held() => this._spin.IsHeld;
                private static void Use(Outer o) { }

                struct Inner
                {
                    private SpinWait _wait;
                    public Inner Copy() => {|CONC502:this|};
                }

                class Helper
                {
                    public Helper Self() => this;
                }
            }

            struct Plain
            {
                private int _count;
                public Plain Copy() => this;
                public object Box() => this;
            }

            class Owner
            {
                public Owner Self() => this;
            }
            """,
            Verify.Diagnostic(NonCopyableCopiedAnalyzer.CopyRule).WithLocation(0).WithArguments("this", "Outer", "returned by value"));

    [Fact]
    public Task Half_typed_code_does_not_throw()
    {
        const string source = """
            using System.Threading;

            class Owner
            {
                private SpinLock _spin;
                public void M() { Missing(_spin); object o = {|CONC502:_spin|}; var x = ; Interlocked.Increment(ref y.Count); }
                private void Missing(SpinLock s, Unknown u) { }
            }
            """;
        var test = new Verify.Test { TestCode = source, FixedCode = source, CompilerDiagnostics = CompilerDiagnostics.None };
        return test.RunAsync();
    }

    // Copies of parameters, wherever the parameter comes from: a lambda's (its type inferred, named nowhere in the
    // type's text), an anonymous method's, a local function's, a query clause's, a member's (accessors, indexers,
    // operators, constructor initializers), a primary constructor's (in members, in the base call and, in code with
    // errors, in a nested type), a record's. A gate that stops watching parameter references somewhere keeps these.
    [Fact]
    public Task Parameters_of_lambdas_and_local_functions_are_watched_in_types_without_such_members()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Collections.Generic;
            using System.Linq;
            using System.Threading;

            static class Sink
            {
                public static void Take(SpinLock s) { }
                public static void Each(List<SpinLock> locks, Action<SpinLock> action) { }
            }

            class Runner
            {
                private readonly List<SpinLock> _locks = new List<SpinLock>();

                public object Run()
                {
                    Sink.Each(_locks, s => Sink.Take({|CONC502:s|}));
                    Sink.Each(_locks, delegate (SpinLock s) { Sink.Take({|CONC502:s|}); });
                    Sink.Each(_locks, s => Sink.Each(_locks, t => Sink.Take({|CONC502:s|})));
                    Local(default);
                    Spin(default);
                    return _locks.Select(l => (object){|CONC502:l|}).First();

                    void Local(SpinLock s) => Sink.Take({|CONC502:s|});
                    static void Spin(SpinWait w) { w.SpinOnce(); }
                }

                public IEnumerable<object> Query() => from l in _locks select (object){|CONC502:l|};
            }
            """);

    [Fact]
    public Task Member_and_lambda_parameters_in_one_type_are_reported_once_each()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Collections.Generic;
            using System.Threading;

            static class Sink
            {
                public static void Take(SpinLock s) { }
                public static void Each(List<SpinLock> locks, Action<SpinLock> action) { }
            }

            class Both
            {
                public void Run(SpinLock a, List<SpinLock> locks)
                {
                    Sink.Take({|CONC502:a|});
                    Sink.Each(locks, s => Sink.Take({|CONC502:s|}));
                    Sink.Each(locks, s => Sink.Take({|CONC502:a|}));
                    Local(0);

                    void Local(int n) => Sink.Take({|CONC502:a|});
                }

                public SpinLock this[SpinLock key] { get => {|CONC502:key|}; set => Sink.Take({|CONC502:value|}); }

                public SpinLock this[SpinLock key, int index] => {|CONC502:key|};

                public Both(SpinLock a) : this({|CONC502:a|}, 0) { }

                private Both(SpinLock a, int n) { }

                public static Both operator +(Both left, SpinLock right) { Sink.Take({|CONC502:right|}); return left; }
            }
            """);

    [Fact]
    public Task Primary_constructor_and_record_parameters_are_watched()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;

            static class Sink
            {
                public static void Take(SpinLock s) { }
            }

            class Base
            {
                public Base(SpinLock l) { }
            }

            class Derived(SpinLock l) : Base({|CONC502:l|})
            {
            }

            class Holder(SpinLock l)
            {
                public void Use() => Sink.Take({|CONC502:l|});
            }

            record BaseRecord(int Id)
            {
                public BaseRecord(SpinLock l, int id) : this(id) { }
            }

            record Derived2(SpinLock L, int Id) : BaseRecord({|CONC502:L|}, Id);
            """);

    [Fact]
    public Task Parameters_in_top_level_statements_and_of_an_outer_primary_constructor_are_watched()
    {
        const string source = """
            using System;
            using System.Threading;

            Local(default);
            Action<SpinLock> take = s => Sink.Take({|CONC502:s|});

            void Local(SpinLock s) => Sink.Take({|CONC502:s|});

            static class Sink
            {
                public static void Take(SpinLock s) { }
            }

            class Outer(SpinLock l)
            {
                class Inner
                {
                    public void Use() => Sink.Take({|CONC502:l|});
                }
            }
            """;
        var test = new Verify.Test { TestCode = source, FixedCode = source, CompilerDiagnostics = CompilerDiagnostics.None };
        test.TestState.OutputKind = Microsoft.CodeAnalysis.OutputKind.ConsoleApplication;
        return test.RunAsync();
    }
}
