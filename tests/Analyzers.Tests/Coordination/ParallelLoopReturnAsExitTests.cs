using ConcurrencyAnalyzers.Coordination;
using ConcurrencyAnalyzers.Tests.Verifiers;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<
    ConcurrencyAnalyzers.Coordination.ParallelLoopReturnAsExitAnalyzer,
    ConcurrencyAnalyzers.CodeFixes.Coordination.ParallelLoopReturnAsExitCodeFix>;

namespace ConcurrencyAnalyzers.Tests.Coordination;

public sealed class ParallelLoopReturnAsExitTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;

        """;

    private const string Stop = "call ParallelLoopState.Stop() to end the loop";

    [Fact]
    public Task Search_that_returns_its_match_gets_a_state_parameter_and_Stop()
        => Verify.VerifyCodeFixAsync(Usings + """
            class Finder
            {
                string Find(string[] names, string prefix)
                {
                    string found = null;
                    Parallel.ForEach(names, name =>
                    {
                        if (name.StartsWith(prefix))
                        {
                            found = name;
                            // done searching
                            {|#0:return;|}
                        }
                    });
                    return found;
                }
            }
            """,
            new[] { Verify.Diagnostic(ParallelLoopReturnAsExitAnalyzer.Rule).WithLocation(0).WithArguments("Parallel.ForEach", Stop) },
            Usings + """
            class Finder
            {
                string Find(string[] names, string prefix)
                {
                    string found = null;
                    Parallel.ForEach(names, (name, state) =>
                    {
                        if (name.StartsWith(prefix))
                        {
                            found = name;
                            state.Stop();
                            // done searching
                            return;
                        }
                    });
                    return found;
                }
            }
            """);

    [Fact]
    public Task Existing_state_parameter_is_used()
        => Verify.VerifyCodeFixAsync(Usings + """
            class Finder
            {
                private int _index = -1;

                void Find(int[] values, int target)
                {
                    Parallel.For(0, values.Length, (i, loop) =>
                    {
                        if (values[i] == target) { _index = i; {|#0:return;|} }
                    });
                }
            }
            """,
            new[] { Verify.Diagnostic(ParallelLoopReturnAsExitAnalyzer.Rule).WithLocation(0).WithArguments("Parallel.For", Stop) },
            Usings + """
            class Finder
            {
                private int _index = -1;

                void Find(int[] values, int target)
                {
                    Parallel.For(0, values.Length, (i, loop) =>
                    {
                        if (values[i] == target) { _index = i; loop.Stop(); return; }
                    });
                }
            }
            """);

    [Fact]
    public Task Hand_made_stop_flag_and_cancellation_guard_are_fixed_together()
        => Verify.VerifyCodeFixAsync(Usings + """
            class Scanner
            {
                private volatile bool _failed;

                void Scan(List<string> files, CancellationToken ct)
                {
                    Parallel.ForEach(files, file =>
                    {
                        if (ct.IsCancellationRequested) {|#0:return;|}
                        if (_failed) return;
                        if (!Check(file))
                        {
                            _failed = true;
                            {|#1:return;|}
                        }
                    });
                }

                static bool Check(string file) => true;
            }
            """,
            new[]
            {
                Verify.Diagnostic(ParallelLoopReturnAsExitAnalyzer.Rule).WithLocation(0).WithArguments("Parallel.ForEach", Stop),
                Verify.Diagnostic(ParallelLoopReturnAsExitAnalyzer.Rule).WithLocation(1).WithArguments("Parallel.ForEach", Stop),
            },
            Usings + """
            class Scanner
            {
                private volatile bool _failed;

                void Scan(List<string> files, CancellationToken ct)
                {
                    Parallel.ForEach(files, (file, state) =>
                    {
                        if (ct.IsCancellationRequested)
                        {
                            state.Stop();
                            return;
                        }
                        if (_failed) return;
                        if (!Check(file))
                        {
                            _failed = true;
                            state.Stop();
                            return;
                        }
                    });
                }

                static bool Check(string file) => true;
            }
            """);

    [Fact]
    public Task Name_state_already_taken_uses_loopState()
        => Verify.VerifyCodeFixAsync(Usings + """
            class Finder
            {
                int? Find(int[] values, object state)
                {
                    int? hit = null;
                    Parallel.For(0, values.Length, (i) =>
                    {
                        if (values[i] < 0) { hit = i; {|#0:return;|} }
                    });
                    return hit;
                }
            }
            """,
            new[] { Verify.Diagnostic(ParallelLoopReturnAsExitAnalyzer.Rule).WithLocation(0).WithArguments("Parallel.For", Stop) },
            Usings + """
            class Finder
            {
                int? Find(int[] values, object state)
                {
                    int? hit = null;
                    Parallel.For(0, values.Length, (i, loopState) =>
                    {
                        if (values[i] < 0) { hit = i; loopState.Stop(); return; }
                    });
                    return hit;
                }
            }
            """);

    [Fact]
    public Task ForEachAsync_and_thread_local_overloads_are_reported_without_a_fix()
    {
        var source = Usings + """
            class Finder
            {
                async Task<string> FindAsync(IEnumerable<string> urls, Func<string, Task<bool>> probe)
                {
                    string hit = null;
                    await Parallel.ForEachAsync(urls, async (url, token) =>
                    {
                        if (await probe(url))
                        {
                            hit = url;
                            {|#0:return;|}
                        }
                    });
                    Parallel.ForEach(urls, () => 0, (url, s, count) =>
                    {
                        if (url.Length == 0) { hit = url; return count; }
                        return count + 1;
                    }, count => { });
                    return hit;
                }
            }
            """;
        return Verify.VerifyCodeFixAsync(source,
            new[] { Verify.Diagnostic(ParallelLoopReturnAsExitAnalyzer.Rule).WithLocation(0).WithArguments("Parallel.ForEachAsync", "cancel the loop through its CancellationToken to end it") },
            source);
    }

    [Fact]
    public Task Cancellation_guard_with_options_that_carry_no_token_is_fixed()
        => Verify.VerifyCodeFixAsync(Usings + """
            class Scanner
            {
                void Scan(string[] files, CancellationTokenSource cts)
                {
                    Parallel.ForEach(files, new ParallelOptions { MaxDegreeOfParallelism = 2 }, file =>
                    {
                        if (cts.IsCancellationRequested)
                        {
                            {|#0:return;|} // stop scanning
                        }

                        Console.WriteLine(file);
                    });
                }
            }
            """,
            new[] { Verify.Diagnostic(ParallelLoopReturnAsExitAnalyzer.Rule).WithLocation(0).WithArguments("Parallel.ForEach", Stop) },
            Usings + """
            class Scanner
            {
                void Scan(string[] files, CancellationTokenSource cts)
                {
                    Parallel.ForEach(files, new ParallelOptions { MaxDegreeOfParallelism = 2 }, (file, state) =>
                    {
                        if (cts.IsCancellationRequested)
                        {
                            state.Stop();
                            return; // stop scanning
                        }

                        Console.WriteLine(file);
                    });
                }
            }
            """);

    [Fact]
    public Task Cancellation_guard_in_a_loop_that_observes_the_token_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Scanner
            {
                async Task ScanAsync(string[] files, CancellationToken ct, ParallelOptions options)
                {
                    Parallel.ForEach(files, new ParallelOptions { CancellationToken = ct }, file =>
                    {
                        if (ct.IsCancellationRequested) return;
                        Console.WriteLine(file);
                    });
                    Parallel.ForEach(files, options, file =>
                    {
                        if (ct.IsCancellationRequested) return;
                        Console.WriteLine(file);
                    });
                    await Parallel.ForEachAsync(files, ct, async (file, token) =>
                    {
                        if (ct.IsCancellationRequested) return;
                        await Task.Delay(1, token);
                    });
                    await Parallel.ForEachAsync(files, async (file, token) =>
                    {
                        if (token.IsCancellationRequested) return;
                        await Task.Delay(1, token);
                    });
                }
            }
            """);

    [Fact]
    public Task Flag_set_in_the_last_branch_of_the_body_is_reported()
        => Verify.VerifyCodeFixAsync(Usings + """
            class Validator
            {
                bool AllValid(int[] values)
                {
                    var invalid = false;
                    Parallel.For(0, values.Length, i =>
                    {
                        Console.WriteLine(i);
                        if (values[i] < 0)
                        {
                            invalid = true;
                            {|#0:return;|}
                        }
                    });
                    return !invalid;
                }
            }
            """,
            new[] { Verify.Diagnostic(ParallelLoopReturnAsExitAnalyzer.Rule).WithLocation(0).WithArguments("Parallel.For", Stop) },
            Usings + """
            class Validator
            {
                bool AllValid(int[] values)
                {
                    var invalid = false;
                    Parallel.For(0, values.Length, (i, state) =>
                    {
                        Console.WriteLine(i);
                        if (values[i] < 0)
                        {
                            invalid = true;
                            state.Stop();
                            return;
                        }
                    });
                    return !invalid;
                }
            }
            """);

    [Fact]
    public Task Early_out_guards_are_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Importer
            {
                void Import(string[] lines, Dictionary<string, int> totals)
                {
                    Parallel.ForEach(lines, line =>
                    {
                        if (line == null) return;
                        if (line.StartsWith("#")) { return; }
                        Process(line);
                    });
                }

                static void Process(string line) { }
            }
            """);

    [Fact]
    public Task Per_item_writes_and_counters_before_return_are_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Importer
            {
                private int _skipped;
                private bool _anyInvalid;

                void Import(string[] lines, string[] errors, int[] parsed)
                {
                    Parallel.For(0, lines.Length, i =>
                    {
                        if (lines[i].Length == 0) { errors[i] = "empty"; return; }
                        if (lines[i][0] == '#') { Interlocked.Increment(ref _skipped); return; }
                        if (!int.TryParse(lines[i], out var value)) { _anyInvalid = true; return; }
                        var local = value;
                        if (local < 0) { local = 0; return; }
                        parsed[i] = local;
                    });
                }
            }
            """);

    [Fact]
    public Task Loop_that_already_stops_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Finder
            {
                string Find(string[] names, string prefix)
                {
                    string found = null;
                    Parallel.ForEach(names, (name, state) =>
                    {
                        if (state.ShouldExitCurrentIteration) return;
                        if (name.StartsWith(prefix))
                        {
                            found = name;
                            state.Stop();
                            return;
                        }
                    });
                    return found;
                }
            }
            """);

    [Fact]
    public Task Returns_in_catch_nested_lambdas_and_other_loops_are_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Worker
            {
                Exception _last;

                void Run(List<string> items, CancellationToken ct)
                {
                    string found = null;
                    Parallel.ForEach(items, item =>
                    {
                        try { Process(item); }
                        catch (Exception ex) { _last = ex; return; }
                        Action later = () => { if (item.Length > 1) { found = item; return; } };
                        later();
                    });
                    items.ForEach(item =>
                    {
                        if (item == "x") { found = item; return; }
                    });
                    Task.Run(() =>
                    {
                        if (ct.IsCancellationRequested) return;
                        foreach (var item in items) Process(item);
                    });
                }

                static void Process(string item) { }
            }
            """);

    [Fact]
    public Task Missing_types_are_ignored()
        => new Verify.Test
        {
            ReferenceAssemblies = TestReferences.NetStandard20,
            TestCode = """
                namespace Fakes
                {
                    static class Parallel { public static void ForEach<T>(T[] items, System.Action<T> body) { } }
                    class Finder
                    {
                        string Find(string[] names)
                        {
                            string found = null;
                            Parallel.ForEach(names, n => { if (n == "a") { found = n; return; } });
                            return found;
                        }
                    }
                }
                """,
        }.RunAsync();

    [Fact]
    public Task Half_typed_code_does_not_throw()
        => new Verify.Test
        {
            CompilerDiagnostics = CompilerDiagnostics.None,
            TestCode = Usings + """
                class Finder
                {
                    void Find(string[] names)
                    {
                        string found = null;
                        Parallel.ForEach(names, n => { if (n == ) { found = n; {|CONC607:return;|} } );
                        Parallel.For(0, , i => { return; });
                    }
                }
                """,
        }.RunAsync();
}
