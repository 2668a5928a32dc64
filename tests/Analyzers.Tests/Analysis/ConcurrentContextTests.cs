using System.Collections.Immutable;
using ConcurrencyAnalyzers.Analysis;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpAnalyzerVerifier<
    ConcurrencyAnalyzers.Tests.Analysis.ConcurrentContextTests.Probe>;

namespace ConcurrencyAnalyzers.Tests.Analysis;

/// <summary>
/// The classifier, probed: every call to <c>Here()</c> reports the context it runs in
/// (<c>Kind|Spawner|runs-concurrently-at-this-point</c>, or <c>Inline</c>).
/// </summary>
public sealed class ConcurrentContextTests
{
    private const string Prelude = """
        using System;
        using System.Collections.Generic;
        using System.Linq;
        using System.Threading;
        using System.Threading.Tasks;

        """;

    [Fact]
    public Task Task_Run_and_StartNew_are_detached_also_through_inline_lambdas_inside()
        => Verify.VerifyAnalyzerAsync(Prelude + """
            class C
            {
                void Here() { }

                void M(List<int> items)
                {
                    Task.Run(() => {|#0:Here()|});
                    Task.Factory.StartNew(() => items.ForEach(i => {|#1:Here()|}), TaskCreationOptions.LongRunning);
                }
            }
            """,
            Expect(0, "TaskRun|Task.Run|True"),
            Expect(1, "StartNew|Task.Factory.StartNew|True"));

    [Fact]
    public Task Threads_pool_timers_and_continuations_are_detached()
        => Verify.VerifyAnalyzerAsync(Prelude + """
            class C
            {
                void Here() { }

                void M(Task antecedent)
                {
                    new Thread(() => {|#0:Here()|}).Start();
                    ThreadPool.QueueUserWorkItem(_ => {|#1:Here()|});
                    var timer = new Timer(_ => {|#2:Here()|}, null, 0, 100);
                    antecedent.ContinueWith(t => {|#3:Here()|});
                    var t2 = new Task(() => {|#4:Here()|});
                    var timers = new System.Timers.Timer(100);
                    timers.Elapsed += (s, e) => {|#5:Here()|};
                }
            }
            """,
            Expect(0, "Thread|new Thread|True"),
            Expect(1, "ThreadPool|ThreadPool.QueueUserWorkItem|True"),
            Expect(2, "Timer|new Timer|True"),
            Expect(3, "Continuation|ContinueWith|True"),
            Expect(4, "NewTask|new Task|True"),
            Expect(5, "Timer|System.Timers.Timer.Elapsed|True"));

    [Fact]
    public Task Parallel_and_PLINQ_bodies_run_with_their_siblings()
        => Verify.VerifyAnalyzerAsync(Prelude + """
            class C
            {
                int Here() => 0;

                async Task M(int[] items)
                {
                    Parallel.ForEach(items, i => {|#0:Here()|});
                    Parallel.For(0, 10, () => 0, (i, state, local) => {|#1:Here()|}, local => {|#2:Here()|});
                    Parallel.Invoke(() => {|#3:Here()|});
                    await Parallel.ForEachAsync(items, async (i, ct) => { await Task.Yield(); {|#4:Here()|}; });
                    items.AsParallel().Select(i => {|#5:Here()|}).ForAll(i => {|#6:Here()|});
                }
            }
            """,
            Expect(0, "Parallel|Parallel.ForEach|True"),
            Expect(1, "Parallel|Parallel.For|True"),
            Expect(2, "Parallel|Parallel.For|True"),
            Expect(3, "Parallel|Parallel.Invoke|True"),
            Expect(4, "Parallel|Parallel.ForEachAsync|True"),
            Expect(5, "Plinq|PLINQ Select|True"),
            Expect(6, "Plinq|PLINQ ForAll|True"));

    [Fact]
    public Task Async_lambdas_projected_into_WhenAll_run_concurrently_after_their_first_await()
        => Verify.VerifyAnalyzerAsync(Prelude + """
            class C
            {
                void Here() { }

                async Task M(int[] items)
                {
                    await Task.WhenAll(items.Select(async i =>
                    {
                        {|#0:Here()|};
                        await Task.Delay(i);
                        {|#1:Here()|};
                    }));

                    var tasks = items.Select(async i => { await Task.Yield(); {|#2:Here()|}; }).ToList();
                    await Task.WhenAny(tasks);
                }
            }
            """,
            Expect(0, "ConcurrentStart|Select into Task.WhenAll|False"),
            Expect(1, "ConcurrentStart|Select into Task.WhenAll|True"),
            Expect(2, "ConcurrentStart|Select into Task.WhenAny|True"));

    [Fact]
    public Task Local_functions_are_classified_by_how_they_are_started()
        => Verify.VerifyAnalyzerAsync(Prelude + """
            class C
            {
                void Here() { }

                async Task M(int[] items)
                {
                    Task.Run(Work);
                    var tasks = new List<Task>();
                    foreach (var i in items)
                    {
                        tasks.Add(ProcessAsync(i));
                    }

                    await Task.WhenAll(tasks);
                    _ = PumpAsync();

                    void Work() => {|#0:Here()|};

                    async Task ProcessAsync(int i)
                    {
                        await Task.Delay(i);
                        {|#1:Here()|};
                    }

                    async Task PumpAsync()
                    {
                        while (true)
                        {
                            {|#2:Here()|};
                            await Task.Delay(10);
                        }
                    }
                }
            }
            """,
            Expect(0, "TaskRun|Task.Run|True"),
            Expect(1, "ConcurrentStart|started in a loop|True"),
            Expect(2, "DroppedAsyncCall|PumpAsync|True"));

    [Fact]
    public Task Delegate_in_a_local_handed_to_Task_Run_is_detached()
        => Verify.VerifyAnalyzerAsync(Prelude + """
            class C
            {
                void Here() { }

                void M()
                {
                    Action work = () => {|#0:Here()|};
                    Task.Run(work);
                }
            }
            """,
            Expect(0, "TaskRun|Task.Run|True"));

    [Fact]
    public Task Inline_lambdas_and_unknown_delegate_APIs_are_inline()
        => Verify.VerifyAnalyzerAsync(Prelude + """
            class C
            {
                int Here() => 0;
                static void Later(Action a) => a();

                async Task M(List<int> items)
                {
                    items.ForEach(i => {|#0:Here()|});
                    var evens = items.Where(i => {|#1:Here()|} == 0).ToList();
                    Later(() => {|#2:Here()|});
                    await Task.WhenAll(items.Select(i => { {|#3:Here()|}; return Task.CompletedTask; }));
                    {|#4:Here()|};
                    await SequentialAsync();

                    async Task SequentialAsync()
                    {
                        await Task.Yield();
                        {|#5:Here()|};
                    }
                }
            }
            """,
            Expect(0, "Inline"),
            Expect(1, "Inline"),
            Expect(2, "Inline"),
            Expect(3, "Inline"),
            Expect(4, "Inline"),
            Expect(5, "Inline"));

    private static Microsoft.CodeAnalysis.Testing.DiagnosticResult Expect(int location, string context)
        => Verify.Diagnostic(Probe.Rule).WithLocation(location).WithArguments(context);

    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class Probe : InvocationProbe
    {
        public static readonly DiagnosticDescriptor Rule = new("PROBECTX", "Probe", "{0}", "Test", DiagnosticSeverity.Warning, true);

        protected override DiagnosticDescriptor Descriptor => Rule;

        private protected override string? Describe(IInvocationOperation invocation, ISymbol containingSymbol, KnownTypes types)
        {
            if (invocation.TargetMethod.Name != "Here")
            {
                return null;
            }

            var found = ConcurrentContexts.FindEnclosing(invocation, types);
            return found is null
                ? "Inline"
                : $"{found.Kind}|{found.Spawner}|{(!found.OnlyAfterFirstAwait || ConcurrentContexts.IsAfterFirstAwait(invocation, found.Function))}";
        }
    }
}
