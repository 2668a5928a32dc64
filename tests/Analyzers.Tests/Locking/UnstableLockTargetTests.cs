using ConcurrencyAnalyzers.Locking;
using ConcurrencyAnalyzers.Tests.Verifiers;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<
    ConcurrencyAnalyzers.Locking.UnstableLockTargetAnalyzer,
    ConcurrencyAnalyzers.CodeFixes.Locking.UnstableLockTargetCodeFix>;

namespace ConcurrencyAnalyzers.Tests.Locking;

public sealed class UnstableLockTargetTests
{
    [Fact]
    public Task Lock_this_gets_one_gate_for_every_site_of_the_type()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading;

            class Counter
            {
                private int _count;

                public void Add()
                {
                    lock ({|#0:this|}) // guard the count
                    {
                        _count++;
                    }
                }

                public int Read()
                {
                    lock ({|CONC209:this|}) { return _count; }
                }

                public void WaitForWork()
                {
                    Monitor.Enter({|CONC209:this|});
                    try { Monitor.Wait(this); } finally { Monitor.Exit(this); }
                }
            }
            """,
            new[] { Verify.Diagnostic(UnstableLockTargetAnalyzer.Rule).WithLocation(0).WithArguments("'this'", "any code holding a reference to this object can lock on it too") },
            """
            using System.Threading;

            class Counter
            {
                private readonly object _gate = new();
                private int _count;

                public void Add()
                {
                    lock (_gate) // guard the count
                    {
                        _count++;
                    }
                }

                public int Read()
                {
                    lock (_gate) { return _count; }
                }

                public void WaitForWork()
                {
                    Monitor.Enter(_gate);
                    try { Monitor.Wait(_gate); } finally { Monitor.Exit(_gate); }
                }
            }
            """);

    [Fact]
    public Task Typeof_and_string_targets_get_a_static_gate_in_CSharp_7_3()
        => new Verify.Test
        {
            LanguageVersion = LanguageVersion.CSharp7_3,
            TestCode = """
                class Registry
                {
                    private static int _count;
                    public static void Add() { lock ({|CONC209:typeof(Registry)|}) { _count++; } }
                    public static void Remove() { lock ({|CONC209:"registry"|}) { _count--; } }
                }
                """,
            FixedCode = """
                class Registry
                {
                    private static readonly object s_gate = new object();
                    private static int _count;
                    public static void Add() { lock (s_gate) { _count++; } }
                    public static void Remove() { lock (s_gate) { _count--; } }
                }
                """,
        }.RunAsync();

    [Fact]
    public Task New_object_at_the_lock_site_gets_a_gate()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Collections.Generic;

            class Recorder
            {
                private readonly List<string> _events = new List<string>();

                public void Record(string e)
                {
                    lock ({|CONC209:new object()|}) { _events.Add(e); }
                }
            }
            """,
            """
            using System.Collections.Generic;

            class Recorder
            {
                private readonly object _gate = new();
                private readonly List<string> _events = new List<string>();

                public void Record(string e)
                {
                    lock (_gate) { _events.Add(e); }
                }
            }
            """);

    [Fact]
    public Task Lock_type_gate_is_used_when_the_framework_and_language_have_it()
        => new Verify.Test
        {
            ReferenceAssemblies = TestReferences.Net100,
            LanguageVersion = LanguageVersion.Preview,
            TestCode = """
                class Counter
                {
                    private int _count;
                    public void Add() { lock ({|CONC209:this|}) { _count++; } }
                }
                """,
            FixedCode = """
                using System.Threading;

                class Counter
                {
                    private readonly Lock _gate = new();
                    private int _count;
                    public void Add() { lock (_gate) { _count++; } }
                }
                """,
        }.RunAsync();

    [Fact]
    public Task Public_field_string_field_and_per_call_local_are_reported_without_a_fix()
        => Verify.VerifyAnalyzerAsync(
            """
            public class Cache
            {
                public readonly object SyncRoot = new object();
                private readonly string _name = "cache";
                private int _n;

                public void A() { lock ({|CONC209:SyncRoot|}) { _n++; } }
                public void B() { lock ({|CONC209:_name|}) { _n++; } }
                public void C()
                {
                    var gate = new object();
                    lock ({|CONC209:gate|}) { _n++; }
                }
            }
            """);

    [Fact]
    public Task GetType_target_is_reported_without_a_fix()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;

            class Plugin
            {
                private readonly Plugin? _next = null;
                private int _n;

                public void A() { lock ({|#0:GetType()|}) { _n++; } }
                public void B()
                {
                    Monitor.Enter({|CONC209:this.GetType()|});
                    try { _n++; } finally { Monitor.Exit(GetType()); }
                }
                public void C() { if (_next is not null) lock ({|CONC209:_next.GetType()|}) { _n--; } }
            }
            """,
            Verify.Diagnostic(UnstableLockTargetAnalyzer.Rule).WithLocation(0).WithArguments("'GetType()'", "the Type object is shared by all code in the process"));

    [Fact]
    public Task Field_reassigned_outside_the_constructor_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            class Buffer
            {
                private object _sync = new object();
                private int _n;

                public Buffer() { _sync = new object(); }
                public void Add() { lock ({|#0:_sync|}) { _n++; _sync = new object(); } }
                public void Initialize() { _sync = new object(); }
                public void Read() { lock (_sync) { _n--; } }
            }
            """,
            Verify.Diagnostic(UnstableLockTargetAnalyzer.Rule).WithLocation(0).WithArguments("'_sync'", "it is reassigned outside the constructor, so threads can lock different objects"));

    // ---- near misses ----

    [Fact]
    public Task Private_readonly_gate_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Generic;
            using System.Threading;

            class Good
            {
                private readonly object _gate = new object();
                private readonly List<int> _items = new List<int>();
                private object _lazy = new object();
                public Good() { _lazy = new object(); }
                public void A() { lock (_gate) { _items.Add(1); } }
                public void B() { lock (_items) { _items.Add(2); } }
                public void C() { Monitor.Enter(_lazy); try { } finally { Monitor.Exit(_lazy); } }
            }
            """);

    [Fact]
    public Task Value_type_and_unconstrained_generic_targets_are_left_to_CONC503()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;

            class Boxes<T>
            {
                private int _version;
                private T _value = default!;
                public void A() { Monitor.Enter(_version); Monitor.Exit(_version); }
                public void B() { Monitor.Enter(_value!); Monitor.Exit(_value!); }
            }
            """);

    [Fact]
    public Task Local_gate_shared_with_lambdas_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading.Tasks;

            class Fan
            {
                public int Sum(int[] values)
                {
                    var gate = new object();
                    var total = 0;
                    Parallel.ForEach(values, v => { lock (gate) { total += v; } });
                    return total;
                }
            }
            """);

    [Fact]
    public Task Public_field_of_an_internal_type_and_a_property_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            class Internal
            {
                public readonly object Gate = new object();
                private readonly object _root = new object();
                private object SyncRoot => _root;
                private int _n;
                public void A() { lock (Gate) { _n++; } }
                public void B() { lock (SyncRoot) { _n++; } }
            }
            """);

    [Fact]
    public Task Lock_polyfill_locking_on_itself_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;

            class Lock
            {
                public void Enter() => Monitor.Enter(this);
                public bool TryEnter() => Monitor.TryEnter(this);
                public void Exit() => Monitor.Exit(this);
            }
            """);

    [Fact]
    public Task Lock_on_this_in_a_private_nested_type_is_not_reported_but_in_an_internal_nested_type_it_is()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;

            public class Stream
            {
                private sealed class FlushToken
                {
                    private bool _set;
                    public void Set() { lock (this) { _set = true; Monitor.PulseAll(this); } }
                    public void Wait() { lock (this) { while (!_set) Monitor.Wait(this); } }
                }

                private sealed class Outer
                {
                    public sealed class Inner
                    {
                        private int _n;
                        public void Hit() { lock (this) { _n++; } }
                    }
                }

                internal sealed class Shared
                {
                    private int _n;
                    public void Hit() { lock ({|CONC209:this|}) { _n++; } }
                }
            }
            """);

    [Fact]
    public Task Half_typed_code_does_not_crash()
        => new Verify.Test
        {
            TestCode = """
                class C
                {
                    public void A() { lock (_missing) { Work( } }
                }
                """,
            FixedCode = """
                class C
                {
                    public void A() { lock (_missing) { Work( } }
                }
                """,
            CompilerDiagnostics = CompilerDiagnostics.None,
        }.RunAsync();
}
