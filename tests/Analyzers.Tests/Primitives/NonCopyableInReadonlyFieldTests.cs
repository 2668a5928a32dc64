using ConcurrencyAnalyzers.Primitives;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<
    ConcurrencyAnalyzers.Primitives.NonCopyableInReadonlyFieldAnalyzer,
    ConcurrencyAnalyzers.CodeFixes.Primitives.NonCopyableInReadonlyFieldCodeFix>;

namespace ConcurrencyAnalyzers.Tests.Primitives;

public sealed class NonCopyableInReadonlyFieldTests
{
    [Fact]
    public Task Readonly_SpinLock_field_is_reported_and_readonly_is_removed()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading;

            class Counter
            {
                // Guards _total.
                private readonly SpinLock {|#0:_spin|} = new SpinLock(enableThreadOwnerTracking: false);
                private long _total;

                public void Add(long x)
                {
                    bool taken = false;
                    try { _spin.Enter(ref taken); _total += x; }
                    finally { if (taken) _spin.Exit(); }
                }
            }
            """,
            new[] { Verify.Diagnostic(NonCopyableInReadonlyFieldAnalyzer.FieldRule).WithLocation(0).WithArguments("_spin", "SpinLock") },
            """
            using System.Threading;

            class Counter
            {
                // Guards _total.
                private SpinLock _spin = new SpinLock(enableThreadOwnerTracking: false);
                private long _total;

                public void Add(long x)
                {
                    bool taken = false;
                    try { _spin.Enter(ref taken); _total += x; }
                    finally { if (taken) _spin.Exit(); }
                }
            }
            """);

    [Fact]
    public Task Readonly_first_modifier_keeps_the_leading_comment_and_Fix_All_handles_several_fields()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading;

            class Pool
            {
                /// <summary>First lock.</summary>
                readonly SpinLock {|CONC501:_a|};
                static readonly SpinWait {|CONC501:s_wait|};
                private readonly SpinLock {|CONC501:_b|}, {|CONC501:_c|};
            }
            """,
            """
            using System.Threading;

            class Pool
            {
                /// <summary>First lock.</summary>
                SpinLock _a;
                static SpinWait s_wait;
                private SpinLock _b, _c;
            }
            """);

    [Fact]
    public Task User_declared_NonCopyable_struct_is_honoured()
        => Verify.VerifyCodeFixAsync(
            """
            using System;

            namespace My.Sync
            {
                [AttributeUsage(AttributeTargets.Struct)]
                sealed class NonCopyableAttribute : Attribute { }

                [NonCopyable]
                struct Gate { private int _state; public void Enter() => _state = 1; }

                class Owner
                {
                    private readonly Gate {|CONC501:_gate|};
                    public void Run() => _gate.Enter();
                }
            }
            """,
            """
            using System;

            namespace My.Sync
            {
                [AttributeUsage(AttributeTargets.Struct)]
                sealed class NonCopyableAttribute : Attribute { }

                [NonCopyable]
                struct Gate { private int _state; public void Enter() => _state = 1; }

                class Owner
                {
                    private Gate _gate;
                    public void Run() => _gate.Enter();
                }
            }
            """);

    [Fact]
    public Task Struct_holding_a_SpinLock_transitively_is_non_copyable()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading;

            struct Inner { public SpinLock Lock; }
            struct Outer { public Inner Inner; public int Count; }

            class Owner
            {
                private readonly Outer {|CONC501:_state|};
            }
            """,
            """
            using System.Threading;

            struct Inner { public SpinLock Lock; }
            struct Outer { public Inner Inner; public int Count; }

            class Owner
            {
                private Outer _state;
            }
            """);

    [Fact]
    public Task Field_in_a_readonly_struct_is_reported_without_a_fix()
    {
        const string source = """
            using System.Threading;

            readonly struct Holder
            {
                private readonly SpinLock {|CONC501:_spin|};
            }
            """;
        return Verify.VerifyCodeFixAsync(source, source);
    }

    [Fact]
    public Task Auto_property_of_SpinLock_is_reported_without_a_fix()
    {
        const string source = """
            using System.Threading;

            class Owner
            {
                public SpinLock {|CONC501:Lock|} { get; } = new SpinLock(false);
                public SpinWait {|CONC501:Waiter|} { get; set; }
            }
            """;
        return Verify.VerifyCodeFixAsync(source, source);
    }

    [Fact]
    public Task Option_adds_attribute_names()
    {
        var test = new Verify.Test
        {
            TestCode = """
                using System;

                sealed class NoCopyAttribute : Attribute { }

                [NoCopy]
                struct Ticket { public int Value; public void Bump() => Value++; }

                class Owner
                {
                    private readonly Ticket {|CONC501:_ticket|};
                }
                """,
            FixedCode = """
                using System;

                sealed class NoCopyAttribute : Attribute { }

                [NoCopy]
                struct Ticket { public int Value; public void Bump() => Value++; }

                class Owner
                {
                    private Ticket _ticket;
                }
                """,
        };
        test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n[*.cs]\nCONC502.non_copyable_attributes = NoCopy"));
        return test.RunAsync();
    }

    [Fact]
    public Task Readonly_field_of_a_struct_updated_with_Interlocked_is_reported()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading;

            public struct HitCounter
            {
                private long _hits;
                public void Hit() => Interlocked.Increment(ref _hits);
                public long Hits => Interlocked.Read(ref _hits);
            }

            public sealed class Endpoint
            {
                private readonly HitCounter {|#0:_counter|};
                public void OnRequest() => _counter.Hit();
                public long Hits => _counter.Hits;
            }
            """,
            new[] { Verify.Diagnostic(NonCopyableInReadonlyFieldAnalyzer.FieldRule).WithLocation(0).WithArguments("_counter", "HitCounter") },
            """
            using System.Threading;

            public struct HitCounter
            {
                private long _hits;
                public void Hit() => Interlocked.Increment(ref _hits);
                public long Hits => Interlocked.Read(ref _hits);
            }

            public sealed class Endpoint
            {
                private HitCounter _counter;
                public void OnRequest() => _counter.Hit();
                public long Hits => _counter.Hits;
            }
            """);

    [Fact]
    public Task Readonly_field_of_a_struct_that_locks_on_its_own_gate_is_reported()
        => Verify.VerifyCodeFixAsync(
            """
            struct Tally
            {
                private readonly object _gate;
                private int _count;
                public Tally(object gate) { _gate = gate; _count = 0; }
                public void Add() { lock (_gate) { _count++; } }
            }

            class Owner
            {
                private readonly Tally {|CONC501:_tally|} = new Tally(new object());
            }
            """,
            """
            struct Tally
            {
                private readonly object _gate;
                private int _count;
                public Tally(object gate) { _gate = gate; _count = 0; }
                public void Add() { lock (_gate) { _count++; } }
            }

            class Owner
            {
                private Tally _tally = new Tally(new object());
            }
            """);

    // ---- near misses ----

    [Fact]
    public Task Non_readonly_field_used_in_place_is_silent()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;

            class Counter
            {
                private SpinLock _spin = new SpinLock(false);
                private long _total;

                public void Add(long x)
                {
                    bool taken = false;
                    try { _spin.Enter(ref taken); _total += x; }
                    finally { if (taken) _spin.Exit(); }
                }
            }
            """);

    [Fact]
    public Task Readonly_struct_holding_a_reference_to_a_class_that_holds_the_lock_is_silent()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;

            sealed class Gate { public SpinLock Lock; }

            readonly struct Handle
            {
                private readonly Gate _gate;
                public Handle(Gate gate) => _gate = gate;
            }

            class Owner
            {
                private readonly Handle _handle = new Handle(new Gate());
                private readonly Gate _gate = new Gate();
                private readonly object _sync = new object();
            }
            """);

    [Fact]
    public Task Readonly_fields_of_ordinary_structs_and_array_of_SpinLocks_are_silent()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;

            struct Point { public int X; }

            class Owner
            {
                private readonly Point _origin;
                private readonly SpinLock[] _stripes = new SpinLock[16];
                private readonly TimeSpan _timeout = TimeSpan.FromSeconds(1);
                private readonly CancellationToken _token;
                private const int Stripes = 16;
            }
            """);

    [Fact]
    public Task Readonly_NonCopyable_readonly_struct_cannot_be_mutated_and_is_silent()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;

            sealed class NonCopyableAttribute : Attribute { }

            [NonCopyable]
            readonly struct Token { public readonly int Id; }

            class Owner
            {
                private readonly Token _token;
            }
            """);

    [Fact]
    public Task Property_with_a_body_and_ref_returning_property_are_silent()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;

            class Owner
            {
                private SpinLock _spin;
                public ref SpinLock Lock => ref _spin;
                public bool IsHeld => _spin.IsHeld;
            }
            """);

    [Fact]
    public Task Struct_using_Interlocked_on_a_static_field_or_locals_is_silent()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;

            struct Ids
            {
                private static long s_next;
                public long Value;
                public static Ids Next() => new Ids { Value = Interlocked.Increment(ref s_next) };
                public void Bump() { long local = Value; Interlocked.Increment(ref local); }
            }

            class Owner
            {
                private readonly Ids _id = Ids.Next();
            }
            """);

    [Fact]
    public Task A_user_struct_that_is_only_named_SpinLock_is_silent()
        => Verify.VerifyAnalyzerAsync(
            """
            namespace My
            {
                struct SpinLock { public int State; }
                class Owner { private readonly SpinLock _spin; }
            }
            """);

    [Fact]
    public Task Half_typed_code_does_not_throw()
    {
        var test = new Verify.Test
        {
            TestCode = """
                using System.Threading;

                class Owner
                {
                    private readonly Missing _x;
                    private readonly SpinLock {|CONC501:_spin|}
                    public void M() { _spin.Enter(ref ) }
                }
                """,
            FixedCode = """
                using System.Threading;

                class Owner
                {
                    private readonly Missing _x;
                    private SpinLock _spin
                    public void M() { _spin.Enter(ref ) }
                }
                """,
            CompilerDiagnostics = CompilerDiagnostics.None,
        };
        return test.RunAsync();
    }
}
