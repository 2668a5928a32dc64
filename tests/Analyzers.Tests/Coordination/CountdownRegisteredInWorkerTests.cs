using ConcurrencyAnalyzers.Coordination;
using ConcurrencyAnalyzers.Tests.Verifiers;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<
    ConcurrencyAnalyzers.Coordination.CountdownRegisteredInWorkerAnalyzer,
    ConcurrencyAnalyzers.CodeFixes.Coordination.CountdownRegisteredInWorkerCodeFix>;

namespace ConcurrencyAnalyzers.Tests.Coordination;

public sealed class CountdownRegisteredInWorkerTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;

        """;

    [Fact]
    public Task AddCount_inside_queued_work_is_hoisted_before_the_spawn()
        => Verify.VerifyCodeFixAsync(Usings + """
            class Indexer
            {
                void IndexAll(string[] files)
                {
                    using var pending = new CountdownEvent(1);
                    foreach (var f in files)
                    {
                        ThreadPool.QueueUserWorkItem(_ =>
                        {
                            // one more to wait for
                            {|#0:pending.AddCount()|}; // registers late
                            try { Index(f); } finally { pending.Signal(); }
                        });
                    }

                    pending.Signal();
                    pending.Wait();
                }

                static void Index(string f) { }
            }
            """,
            new[] { Verify.Diagnostic(CountdownRegisteredInWorkerAnalyzer.Rule).WithLocation(0).WithArguments("pending.AddCount()", "pending", "ThreadPool.QueueUserWorkItem", "pending.Wait()") },
            Usings + """
            class Indexer
            {
                void IndexAll(string[] files)
                {
                    using var pending = new CountdownEvent(1);
                    foreach (var f in files)
                    {
                        // one more to wait for
                        pending.AddCount(); // registers late
                        ThreadPool.QueueUserWorkItem(_ =>
                        {
                            try { Index(f); } finally { pending.Signal(); }
                        });
                    }

                    pending.Signal();
                    pending.Wait();
                }

                static void Index(string f) { }
            }
            """);

    [Fact]
    public Task Task_Run_and_new_Thread_workers_are_fixed_together()
        => Verify.VerifyCodeFixAsync(Usings + """
            class Loader
            {
                void Load(IEnumerable<int> ids, List<Task> tasks)
                {
                    var done = new CountdownEvent(1);
                    foreach (var id in ids)
                    {
                        tasks.Add(Task.Run(() =>
                        {
                            {|#0:done.AddCount(2)|};
                            Fetch(id); done.Signal();
                            Fetch(-id); done.Signal();
                        }));
                        var thread = new Thread(() =>
                        {
                            {|#1:done.TryAddCount()|};
                            Fetch(id);
                            done.Signal();
                        });
                        thread.Start();
                    }

                    done.Signal();
                    done.Wait();
                }

                static void Fetch(int id) { }
            }
            """,
            new[]
            {
                Verify.Diagnostic(CountdownRegisteredInWorkerAnalyzer.Rule).WithLocation(0).WithArguments("done.AddCount(2)", "done", "Task.Run", "done.Wait()"),
                Verify.Diagnostic(CountdownRegisteredInWorkerAnalyzer.Rule).WithLocation(1).WithArguments("done.TryAddCount()", "done", "new Thread", "done.Wait()"),
            },
            Usings + """
            class Loader
            {
                void Load(IEnumerable<int> ids, List<Task> tasks)
                {
                    var done = new CountdownEvent(1);
                    foreach (var id in ids)
                    {
                        done.AddCount(2);
                        tasks.Add(Task.Run(() =>
                        {
                            Fetch(id); done.Signal();
                            Fetch(-id); done.Signal();
                        }));
                        done.TryAddCount();
                        var thread = new Thread(() =>
                        {
                            Fetch(id);
                            done.Signal();
                        });
                        thread.Start();
                    }

                    done.Signal();
                    done.Wait();
                }

                static void Fetch(int id) { }
            }
            """);

    [Fact]
    public Task Barrier_participant_added_by_the_worker_is_hoisted()
        => Verify.VerifyCodeFixAsync(Usings + """
            class Simulation
            {
                void Step(int workers)
                {
                    var barrier = new Barrier(1);
                    for (var w = 0; w < workers; w++)
                    {
                        Task.Factory.StartNew(() =>
                        {
                            {|#0:barrier.AddParticipant()|};
                            Compute();
                            barrier.SignalAndWait();
                            barrier.RemoveParticipant();
                        }, TaskCreationOptions.LongRunning);
                    }

                    barrier.SignalAndWait();
                }

                static void Compute() { }
            }
            """,
            new[] { Verify.Diagnostic(CountdownRegisteredInWorkerAnalyzer.Rule).WithLocation(0).WithArguments("barrier.AddParticipant()", "barrier", "Task.Factory.StartNew", "barrier.SignalAndWait()") },
            Usings + """
            class Simulation
            {
                void Step(int workers)
                {
                    var barrier = new Barrier(1);
                    for (var w = 0; w < workers; w++)
                    {
                        barrier.AddParticipant();
                        Task.Factory.StartNew(() =>
                        {
                            Compute();
                            barrier.SignalAndWait();
                            barrier.RemoveParticipant();
                        }, TaskCreationOptions.LongRunning);
                    }

                    barrier.SignalAndWait();
                }

                static void Compute() { }
            }
            """);

    [Fact]
    public Task Registration_after_other_work_or_using_lambda_state_is_reported_without_a_fix()
    {
        var source = Usings + """
            class Indexer
            {
                private readonly CountdownEvent _pending = new CountdownEvent(1);

                void IndexAll(string[][] batches)
                {
                    foreach (var batch in batches)
                        ThreadPool.QueueUserWorkItem(_ =>
                        {
                            {|#0:_pending.AddCount()|};
                            try { Index(batch); } finally { _pending.Signal(); }
                        });

                    foreach (var batch in batches)
                    {
                        Task.Run(() =>
                        {
                            var n = batch.Length;
                            {|#1:_pending.AddCount(n)|};
                            foreach (var f in batch) { Index(f); _pending.Signal(); }
                        });
                        Task.Run(() =>
                        {
                            Log(batch);
                            {|#2:_pending.AddCount()|};
                            try { Index(batch); } finally { _pending.Signal(); }
                        });
                    }

                    _pending.Signal();
                    _pending.Wait();
                }

                static void Index(object f) { }
                static void Log(object f) { }
            }
            """;
        return Verify.VerifyCodeFixAsync(source,
            new[]
            {
                Verify.Diagnostic(CountdownRegisteredInWorkerAnalyzer.Rule).WithLocation(0).WithArguments("_pending.AddCount()", "_pending", "ThreadPool.QueueUserWorkItem", "_pending.Wait()"),
                Verify.Diagnostic(CountdownRegisteredInWorkerAnalyzer.Rule).WithLocation(1).WithArguments("_pending.AddCount(n)", "_pending", "Task.Run", "_pending.Wait()"),
                Verify.Diagnostic(CountdownRegisteredInWorkerAnalyzer.Rule).WithLocation(2).WithArguments("_pending.AddCount()", "_pending", "Task.Run", "_pending.Wait()"),
            },
            source);
    }

    [Fact]
    public Task AddCount_before_spawning_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Indexer
            {
                void IndexAll(string[] files)
                {
                    using var pending = new CountdownEvent(1);
                    foreach (var f in files)
                    {
                        pending.AddCount();
                        ThreadPool.QueueUserWorkItem(_ =>
                        {
                            try { Index(f); } finally { pending.Signal(); }
                        });
                    }

                    pending.Signal();
                    pending.Wait();
                }

                static void Index(string f) { }
            }
            """);

    [Fact]
    public Task Worker_registering_for_child_work_it_starts_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Crawler
            {
                void Crawl(string root)
                {
                    using var pending = new CountdownEvent(1);
                    void Visit(string page)
                    {
                        try
                        {
                            foreach (var link in Links(page))
                            {
                                pending.AddCount();
                                ThreadPool.QueueUserWorkItem(_ => Visit(link));
                            }
                        }
                        finally { pending.Signal(); }
                    }

                    Task.Run(() =>
                    {
                        pending.AddCount();
                        ThreadPool.QueueUserWorkItem(_ => Visit(root));
                    });
                    pending.Signal();
                    pending.Wait();
                }

                static string[] Links(string page) => Array.Empty<string>();
            }
            """);

    [Fact]
    public Task Count_pre_added_for_the_workers_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Pipeline
            {
                void Run(string[] files)
                {
                    using var pending = new CountdownEvent(files.Length);
                    foreach (var f in files)
                    {
                        Task.Run(() =>
                        {
                            pending.AddCount();        // an extra phase, covered by this worker's own count
                            Stage1(f); pending.Signal();
                            Stage2(f); pending.Signal();
                        });
                    }

                    pending.Wait();

                    using var started = new CountdownEvent(1);
                    Task.Run(() =>
                    {
                        started.AddCount();            // nobody releases the placeholder before waiting
                        Stage1("x");
                        started.Signal();
                        started.Signal();
                    });
                    started.Wait();
                }

                static void Stage1(string f) { }
                static void Stage2(string f) { }
            }
            """);

    [Fact]
    public Task Countdown_created_inside_the_worker_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Batch
            {
                void Run(int[][] groups)
                {
                    foreach (var g in groups)
                    {
                        Task.Run(() =>
                        {
                            using var local = new CountdownEvent(1);
                            local.AddCount();
                            local.Signal();
                            local.Signal();
                            local.Wait();
                        });
                    }
                }
            }
            """);

    [Fact]
    public Task Barrier_participants_added_by_the_coordinator_are_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Simulation
            {
                void Step(int workers)
                {
                    using var barrier = new Barrier(1);
                    barrier.AddParticipants(workers);
                    for (var w = 0; w < workers; w++)
                    {
                        Task.Run(() => { Compute(); barrier.SignalAndWait(); });
                    }

                    barrier.SignalAndWait();
                }

                static void Compute() { }
            }
            """);

    [Fact]
    public Task Parallel_bodies_and_awaited_work_are_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Batch
            {
                async Task RunAsync(int[] items)
                {
                    using var pending = new CountdownEvent(1);
                    Parallel.ForEach(items, i =>
                    {
                        pending.AddCount();
                        pending.Signal();
                    });
                    await Task.Run(() =>
                    {
                        pending.AddCount();
                        pending.Signal();
                    });
                    pending.Signal();
                    pending.Wait();
                }
            }
            """);

    [Fact]
    public Task No_wait_in_the_spawning_code_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Tracker
            {
                private readonly CountdownEvent _inflight = new CountdownEvent(1);

                public void Start(Action work)
                {
                    Task.Run(() =>
                    {
                        _inflight.AddCount();
                        try { work(); } finally { _inflight.Signal(); }
                    });
                }

                public void Drain()
                {
                    _inflight.Signal();
                    _inflight.Wait();
                }
            }
            """);

    [Fact]
    public Task Lookalike_types_are_ignored()
        => new Verify.Test
        {
            ReferenceAssemblies = TestReferences.NetStandard20,
            TestCode = """
                namespace Fakes
                {
                    class CountdownEvent { public void AddCount() { } public void Wait() { } public void Signal() { } }
                    class Runner
                    {
                        void Run()
                        {
                            var c = new CountdownEvent();
                            System.Threading.ThreadPool.QueueUserWorkItem(_ => { c.AddCount(); });
                            c.Signal();
                            c.Wait();
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
                class Runner
                {
                    void Run(CountdownEvent c)
                    {
                        Task.Run(() => { c.AddCount(; });
                        c.Signal(
                        c.Wait();
                    }
                }
                """,
        }.RunAsync();
}
