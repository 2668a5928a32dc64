using ConcurrencyAnalyzers.SharedState;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<
    ConcurrencyAnalyzers.SharedState.BusyWaitOnNonVolatileFlagAnalyzer,
    ConcurrencyAnalyzers.CodeFixes.SharedState.BusyWaitOnNonVolatileFlagCodeFix>;

namespace ConcurrencyAnalyzers.Tests.SharedState;

public sealed class BusyWaitOnNonVolatileFlagTests
{
    [Fact]
    public Task Spinning_on_a_plain_field_written_elsewhere_is_fixed_with_Volatile_Read()
        => Verify.VerifyCodeFixAsync("""
            using System.Threading;

            class Worker
            {
                private bool _stop;

                public void Stop() => _stop = true;

                public void Run()
                {
                    // wait for Stop()
                    while (!{|#0:_stop|})
                    {
                    }
                }
            }
            """,
            new[] { Verify.Diagnostic(BusyWaitOnNonVolatileFlagAnalyzer.Rule).WithLocation(0).WithArguments("_stop") },
            """
            using System.Threading;

            class Worker
            {
                private bool _stop;

                public void Stop() => _stop = true;

                public void Run()
                {
                    // wait for Stop()
                    while (!Volatile.Read(ref _stop))
                    {
                    }
                }
            }
            """);

    [Fact]
    public Task Sleep_and_spin_polls_are_fixed_and_the_using_added_once()
        => Verify.VerifyCodeFixAsync("""
            class Poller
            {
                private int _state;
                private static bool s_ready;

                public void Publish() { _state = 2; s_ready = true; }

                public void WaitForState()
                {
                    while ({|CONC306:_state|} != 2) System.Threading.Thread.Sleep(10); // poll
                    var spinner = new System.Threading.SpinWait();
                    while (!{|CONC306:s_ready|}) spinner.SpinOnce();
                }
            }
            """,
            """
            using System.Threading;

            class Poller
            {
                private int _state;
                private static bool s_ready;

                public void Publish() { _state = 2; s_ready = true; }

                public void WaitForState()
                {
                    while (Volatile.Read(ref _state) != 2) System.Threading.Thread.Sleep(10); // poll
                    var spinner = new System.Threading.SpinWait();
                    while (!Volatile.Read(ref s_ready)) spinner.SpinOnce();
                }
            }
            """);

    [Fact]
    public Task Flag_set_by_a_lambda_in_the_same_method_is_reported()
        => Verify.VerifyAnalyzerAsync("""
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private bool _done;

                void M()
                {
                    Task.Run(() => _done = true);
                    while (!{|CONC306:_done|}) Thread.Yield();
                }

                void Local()
                {
                    bool finished = false;
                    var worker = new Thread(() => { finished = true; });
                    worker.Start();
                    while (!{|CONC306:finished|}) { }
                }
            }
            """);

    [Fact]
    public Task Polls_in_for_and_do_while_conditions_are_reported()
    {
        // The rule follows only types with a while or for keyword: these two loops must stay found.
        const string source = """
            using System.Threading;

            class ForPoll
            {
                private int _left = 3;

                public void CountDown() => _left--;

                public void Wait()
                {
                    for (; {|CONC306:_left|} > 0;) Thread.Sleep(1);
                }
            }

            class DoPoll
            {
                private int _left = 3;

                public void CountDown() => _left--;

                public void Wait()
                {
                    do { Thread.Sleep(1); } while ({|CONC306:_left|} > 0);
                }
            }
            """;
        return Verify.VerifyAnalyzerAsync(source);
    }

    [Fact]
    public Task Writes_in_initializers_accessors_constructor_lambdas_and_other_parts_are_found()
    {
        // The writes are looked for at the end in every recorded body of the type: a field initializer's lambda, a
        // property accessor, a lambda in a constructor and another part of a partial type must all count.
        const string source = """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            partial class Gate
            {
                private static bool s_open;
                private static readonly Action Opener = () => s_open = true;
                private int _phase;
                private bool _started;

                Gate() { Task.Run(() => _started = true); }

                public int Phase { set => _phase = value; }

                public void Wait()
                {
                    while (!{|CONC306:s_open|}) Thread.Sleep(1);
                    while ({|CONC306:_phase|} == 0) Thread.Sleep(1);
                    while ({|CONC306:_left|} > 0) { }
                    while (!{|CONC306:_started|}) Thread.Yield();
                }
            }

            partial class Gate
            {
                private int _left;

                public void Done() => _left = 0;
            }
            """;
        return Verify.VerifyAnalyzerAsync(source);
    }

    [Fact]
    public Task Enum_fields_are_reported_without_a_fix()
    {
        const string source = """
            using System.Threading;

            enum Phase { Idle, Done }

            class C
            {
                private Phase _phase;

                public void Finish() => _phase = Phase.Done;

                public void Wait()
                {
                    while ({|CONC306:_phase|} != Phase.Done) Thread.Sleep(1);
                }
            }
            """;
        return Verify.VerifyCodeFixAsync(source, source);
    }

    [Fact]
    public Task Volatile_fields_and_Volatile_Read_are_not_reported()
        => Verify.VerifyAnalyzerAsync("""
            using System.Threading;

            class C
            {
                private volatile bool _stop;
                private bool _plain;

                public void Stop() { _stop = true; Volatile.Write(ref _plain, true); }

                public void Run()
                {
                    while (!_stop) { }
                    while (!Volatile.Read(ref _plain)) Thread.Sleep(1);
                }
            }
            """);

    [Fact]
    public Task Loops_that_do_work_are_not_busy_waits()
        => Verify.VerifyAnalyzerAsync("""
            using System.Collections.Concurrent;
            using System.Threading;

            class C
            {
                private bool _stop;
                private readonly ConcurrentQueue<int> _queue = new();

                public void Stop() => _stop = true;

                public void Run()
                {
                    while (!_stop)
                    {
                        if (_queue.TryDequeue(out var item)) Handle(item);
                        else Thread.Sleep(1);
                    }
                }

                void Handle(int item) { }
            }
            """);

    [Fact]
    public Task Fields_written_only_by_the_polling_method_or_constructor_are_not_reported()
        => Verify.VerifyAnalyzerAsync("""
            using System.Threading;

            class C
            {
                private bool _ready;
                private int _count;

                C() { _ready = true; }

                public void Run()
                {
                    while (!_ready) Thread.Sleep(1);
                    _count = 0;
                    while (_count < 10) _count++;
                }
            }
            """);

    [Fact]
    public Task Readonly_fields_fields_of_other_objects_and_async_loops_are_not_reported()
        => Verify.VerifyAnalyzerAsync("""
            using System.Threading;
            using System.Threading.Tasks;

            class Other { public bool Done; }

            class C
            {
                private readonly Other _other = new();
                private bool _flag;

                public void Set() { _other.Done = true; _flag = true; }

                public async Task RunAsync()
                {
                    while (!_other.Done) Thread.Sleep(1);
                    while (!_flag) await Task.Delay(10);
                }
            }
            """);

    [Fact]
    public Task Conditions_that_call_or_await_are_not_flag_polls()
        => Verify.VerifyAnalyzerAsync("""
            using System.Collections.Generic;
            using System.Threading.Tasks;

            class C
            {
                private IAsyncEnumerator<int>? _current;
                private Queue<int> _queue = new();

                public void Start(IAsyncEnumerator<int> e) { _current = e; _queue = new Queue<int>(); }

                public async Task DrainAsync()
                {
                    while (await _current!.MoveNextAsync()) { }
                    while (_queue.Count > 0) { }
                    while (_queue.TryDequeue(out _)) { }
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
                    private bool _stop;
                    void Stop() => _stop = ;
                    void Run() { while (!{|CONC306:_stop|} { } }
                }
                """,
            CompilerDiagnostics = CompilerDiagnostics.None,
        }.RunAsync();
}
