using ConcurrencyAnalyzers.Primitives;
using ConcurrencyAnalyzers.Tests.Verifiers;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<
    ConcurrencyAnalyzers.Primitives.LockOnBoxedValueAnalyzer,
    ConcurrencyAnalyzers.CodeFixes.Primitives.LockOnBoxedValueCodeFix>;

namespace ConcurrencyAnalyzers.Tests.Primitives;

public sealed class LockOnBoxedValueTests
{
    [Fact]
    public Task Monitor_on_an_int_field_is_reported_and_Fix_All_adds_one_gate()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading;

            class Versioned
            {
                private int _version;

                public void Bump()
                {
                    Monitor.Enter({|#0:_version|}); // boxes
                    try { _version++; }
                    finally { Monitor.Exit({|CONC503:_version|}); }
                }
            }
            """,
            new[] { Verify.Diagnostic(LockOnBoxedValueAnalyzer.Rule).WithLocation(0).WithArguments("Monitor.Enter", "_version", "int") },
            """
            using System.Threading;

            class Versioned
            {
                private int _version;
                private readonly object _gate = new();

                public void Bump()
                {
                    Monitor.Enter(_gate); // boxes
                    try { _version++; }
                    finally { Monitor.Exit(_gate); }
                }
            }
            """);

    [Fact]
    public Task Cast_to_object_in_a_lock_statement_is_reported_and_fixed()
        => Verify.VerifyCodeFixAsync(
            """
            class Account
            {
                private decimal _balance;

                public void Deposit(decimal amount)
                {
                    lock ({|CONC503:(object)_balance|})
                    {
                        _balance += amount;
                    }
                }
            }
            """,
            """
            class Account
            {
                private decimal _balance;
                private readonly object _gate = new();

                public void Deposit(decimal amount)
                {
                    lock (_gate)
                    {
                        _balance += amount;
                    }
                }
            }
            """);

    [Fact]
    public Task Unconstrained_generic_and_static_context_get_a_static_gate()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading;

            static class Registry
            {
                public static void Touch<T>(T key)
                {
                    if (Monitor.TryEnter({|CONC503:key|}))
                    {
                        Monitor.Pulse({|CONC503:key|});
                        Monitor.Exit({|CONC503:key|});
                    }
                }
            }
            """,
            """
            using System.Threading;

            static class Registry
            {
                private static readonly object _staticGate = new();

                public static void Touch<T>(T key)
                {
                    if (Monitor.TryEnter(_staticGate))
                    {
                        Monitor.Pulse(_staticGate);
                        Monitor.Exit(_staticGate);
                    }
                }
            }
            """);

    [Fact]
    public Task CSharp73_gets_new_object()
    {
        var test = new Verify.Test
        {
            ReferenceAssemblies = TestReferences.NetStandard20,
            LanguageVersion = LanguageVersion.CSharp7_3,
            TestCode = """
                using System.Threading;

                class Counter
                {
                    private long _count;

                    public void Wait() => Monitor.Wait({|CONC503:_count|});
                }
                """,
            FixedCode = """
                using System.Threading;

                class Counter
                {
                    private long _count;
                    private readonly object _gate = new object();

                    public void Wait() => Monitor.Wait(_gate);
                }
                """,
        };
        return test.RunAsync();
    }

    [Fact]
    public Task Existing_gate_name_is_not_reused_when_it_is_something_else()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading;

            class Worker
            {
                private string _gate = "busy";
                private int _id;

                public void PulseAll() => Monitor.PulseAll({|CONC503:_id|});
            }
            """,
            """
            using System.Threading;

            class Worker
            {
                private string _gate = "busy";
                private int _id;
                private readonly object _gate1 = new();

                public void PulseAll() => Monitor.PulseAll(_gate1);
            }
            """);

    [Fact]
    public Task Boxed_SpinLock_and_struct_in_a_struct_are_reported_without_a_fix()
    {
        const string source = """
            using System.Threading;

            struct Slot
            {
                private int _value;
                public void Set(int v) { Monitor.Enter({|CONC503:_value|}); _value = v; Monitor.Exit({|CONC503:_value|}); }
            }
            """;
        return Verify.VerifyCodeFixAsync(source, source);
    }

    // ---- near misses ----

    [Fact]
    public Task Reference_type_targets_are_silent()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;

            class Cache<TKey> where TKey : class
            {
                private readonly object _gate = new object();
                private readonly string _name = "cache";

                public void Run(TKey key, object boxed)
                {
                    lock (_gate) { }
                    Monitor.Enter(_gate); Monitor.Exit(_gate);
                    Monitor.Enter(key); Monitor.Exit(key);
                    Monitor.Enter(boxed); Monitor.Exit(boxed);
                    lock ((object)key) { }
                    lock (_name) { }
                }
            }
            """);

    [Fact]
    public Task Generic_constrained_to_a_class_type_is_silent()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;

            class Node { }

            class Tree<T> where T : Node
            {
                public void Visit(T node) { lock (node) { Monitor.Pulse(node); } }
            }
            """);

    [Fact]
    public Task Lock_on_a_value_type_is_CS0185_and_not_reported_again()
    {
        const string source = """
            class C
            {
                private int _count;
                public void M() { lock ({|CS0185:_count|}) { } }
            }
            """;
        return Verify.VerifyCodeFixAsync(source, source);
    }

    [Fact]
    public Task Other_Monitor_members_and_non_Monitor_calls_are_silent()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;

            class C
            {
                private int _count;
                private readonly object _gate = new object();

                public void M()
                {
                    bool taken = false;
                    Monitor.Enter(_gate, ref taken);
                    Console.WriteLine(_count);
                    Console.WriteLine(Monitor.IsEntered(_gate));
                    object.Equals(_count, 1);
                    if (taken) Monitor.Exit(_gate);
                }
            }
            """);

    [Fact]
    public Task Half_typed_code_does_not_throw()
    {
        const string source = """
            using System.Threading;

            class C
            {
                public void M() { Monitor.Enter(_missing); lock ((object)) { } Monitor.Exit( }
            }
            """;
        var test = new Verify.Test { TestCode = source, FixedCode = source, CompilerDiagnostics = CompilerDiagnostics.None };
        return test.RunAsync();
    }
}
