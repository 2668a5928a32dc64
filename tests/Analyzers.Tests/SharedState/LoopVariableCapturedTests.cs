using ConcurrencyAnalyzers.SharedState;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<
    ConcurrencyAnalyzers.SharedState.LoopVariableCapturedAnalyzer,
    ConcurrencyAnalyzers.CodeFixes.SharedState.LoopVariableCapturedCodeFix>;

namespace ConcurrencyAnalyzers.Tests.SharedState;

public sealed class LoopVariableCapturedTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Linq;
        using System.Threading;
        using System.Threading.Tasks;

        """;

    [Fact]
    public Task For_variable_captured_by_Task_Run_is_copied()
        => Verify.VerifyCodeFixAsync(Usings + """
            class C
            {
                void Reindex(string shard) { }

                async Task M(string[] shards)
                {
                    var tasks = new List<Task>();
                    for (int i = 0; i < shards.Length; i++)
                    {
                        // one task per shard
                        tasks.Add(Task.Run(() => Reindex(shards[{|#0:i|}])));
                    }

                    await Task.WhenAll(tasks);
                }
            }
            """,
            new[] { Verify.Diagnostic(LoopVariableCapturedAnalyzer.Rule).WithLocation(0).WithArguments("i", "Task.Run") },
            Usings + """
            class C
            {
                void Reindex(string shard) { }

                async Task M(string[] shards)
                {
                    var tasks = new List<Task>();
                    for (int i = 0; i < shards.Length; i++)
                    {
                        // one task per shard
                        var iCopy = i;
                        tasks.Add(Task.Run(() => Reindex(shards[iCopy])));
                    }

                    await Task.WhenAll(tasks);
                }
            }
            """);

    [Fact]
    public Task Loop_body_without_braces_gets_them()
        => Verify.VerifyCodeFixAsync(Usings + """
            class C
            {
                void Work(int n) { }

                void M()
                {
                    for (var i = 0; i < 4; i++)
                        new Thread(() => Work({|CONC304:i|})).Start(); // worker
                }
            }
            """,
            Usings + """
            class C
            {
                void Work(int n) { }

                void M()
                {
                    for (var i = 0; i < 4; i++)
                    {
                        var iCopy = i;
                        new Thread(() => Work(iCopy)).Start(); // worker
                    }
                }
            }
            """);

    [Fact]
    public Task Local_written_in_a_while_loop_is_reported_once_and_every_capture_renamed()
        => Verify.VerifyCodeFixAsync(Usings + """
            class C
            {
                void Log(int attempt, string text) { }

                void M()
                {
                    int attempt = 0;
                    while (attempt < 3)
                    {
                        attempt++;
                        ThreadPool.QueueUserWorkItem(_ => Log({|CONC304:attempt|}, "attempt " + attempt));
                    }
                }
            }
            """,
            Usings + """
            class C
            {
                void Log(int attempt, string text) { }

                void M()
                {
                    int attempt = 0;
                    while (attempt < 3)
                    {
                        attempt++;
                        var attemptCopy = attempt;
                        ThreadPool.QueueUserWorkItem(_ => Log(attemptCopy, "attempt " + attemptCopy));
                    }
                }
            }
            """);

    [Fact]
    public Task Continuations_and_timers_in_one_loop_get_one_copy_each_with_distinct_names()
        => Verify.VerifyCodeFixAsync(Usings + """
            class C
            {
                void Tick(int n) { }

                void M(Task first, List<Timer> timers)
                {
                    for (int i = 0; i < 3; i++)
                    {
                        first.ContinueWith(t => Tick({|CONC304:i|}));
                        timers.Add(new Timer(_ => Tick({|CONC304:i|}), null, 0, 1000));
                    }
                }
            }
            """,
            Usings + """
            class C
            {
                void Tick(int n) { }

                void M(Task first, List<Timer> timers)
                {
                    for (int i = 0; i < 3; i++)
                    {
                        var iCopy = i;
                        first.ContinueWith(t => Tick(iCopy));
                        var iCopy2 = i;
                        timers.Add(new Timer(_ => Tick(iCopy2), null, 0, 1000));
                    }
                }
            }
            """);

    [Fact]
    public Task Fix_All_copies_in_every_loop_and_avoids_taken_names()
        => Verify.VerifyCodeFixAsync(Usings + """
            class C
            {
                void Use(int n) { }

                void M()
                {
                    for (int i = 0; i < 2; i++)
                    {
                        var iCopy = -1;
                        Task.Run(() => Use({|CONC304:i|} + iCopy));
                    }

                    for (int j = 0; j < 2; j++)
                    {
                        Task.Factory.StartNew(() => Use({|CONC304:j|}));
                    }
                }
            }
            """,
            Usings + """
            class C
            {
                void Use(int n) { }

                void M()
                {
                    for (int i = 0; i < 2; i++)
                    {
                        var iCopy = -1;
                        var iCopy2 = i;
                        Task.Run(() => Use(iCopy2 + iCopy));
                    }

                    for (int j = 0; j < 2; j++)
                    {
                        var jCopy = j;
                        Task.Factory.StartNew(() => Use(jCopy));
                    }
                }
            }
            """);

    [Fact]
    public Task Foreach_variables_and_per_iteration_copies_are_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class C
            {
                void Use(int n) { }

                void M(int[] items)
                {
                    foreach (var item in items)
                    {
                        Task.Run(() => Use(item));
                    }

                    for (int i = 0; i < items.Length; i++)
                    {
                        var copy = i;
                        Task.Run(() => Use(copy));
                    }
                }
            }
            """);

    [Fact]
    public Task Work_joined_within_the_iteration_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class C
            {
                void Use(int n) { }

                async Task M(int[] items)
                {
                    for (int i = 0; i < items.Length; i++)
                    {
                        await Task.Run(() => Use(i));
                        Task.Run(() => Use(i)).Wait();
                        await Task.Run(() => Use(i)).ConfigureAwait(false);
                    }
                }
            }
            """);

    [Fact]
    public Task Inline_delegates_and_Parallel_calls_in_a_loop_are_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class C
            {
                void Use(int n) { }

                void M(List<int> items)
                {
                    for (int i = 0; i < 3; i++)
                    {
                        var bigger = items.Where(x => x > i).ToList();
                        items.ForEach(x => Use(x + i));
                        Parallel.Invoke(() => Use(i), () => Use(i + 1));
                        Parallel.For(0, 10, k => Use(k + i));
                    }
                }
            }
            """);

    [Fact]
    public Task Locals_not_written_in_the_loop_are_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class C
            {
                void Use(int n) { }

                void M(int[] items)
                {
                    var limit = items.Length;
                    int done = 0;
                    for (int i = 0; i < 3; i++)
                    {
                        Task.Run(() => Use(limit));
                    }

                    done++;
                    Task.Run(() => Use(done));
                }
            }
            """);

    [Fact]
    public Task Work_that_writes_the_variable_itself_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class C
            {
                void M()
                {
                    int progress = 0;
                    while (progress < 10)
                    {
                        progress++;
                        Task.Run(() => progress = 0);
                    }
                }
            }
            """);

    [Fact]
    public Task Half_typed_code_does_not_crash()
        => new Verify.Test
        {
            TestCode = Usings + """
                class C
                {
                    void M()
                    {
                        for (int i = 0; i < ; i++)
                            Task.Run(() => Use(i)
                    }
                }
                """,
            FixedCode = Usings + """
                class C
                {
                    void M()
                    {
                        for (int i = 0; i < ; i++)
                            Task.Run(() => Use(i)
                    }
                }
                """,
            CompilerDiagnostics = CompilerDiagnostics.None,
        }.RunAsync();
}
