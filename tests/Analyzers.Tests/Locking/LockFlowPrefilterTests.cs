using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Locking;
using ConcurrencyAnalyzers.Tests.Analysis;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit;

namespace ConcurrencyAnalyzers.Tests.Locking;

/// <summary>
/// The locking rules skip the flow analysis of a body when its tree shows that they cannot report there
/// (<see cref="LockScan"/>, <see cref="LockFlow.AnyUnderLock"/>). These pin the facts that decision rests on;
/// each rule's own tests pin that nothing it reports is lost.
/// </summary>
public sealed class LockFlowPrefilterTests
{
    [Fact]
    public async Task Without_lock_calls_a_lock_statement_body_is_exactly_where_the_flow_holds_a_lock()
    {
        const string source = """
            using System;
            using System.Threading.Tasks;

            class C
            {
                private readonly object _a = new object();
                private readonly object _b = new object();
                static void Probe(string label) { }

                void M(bool flag)
                {
                    Probe("before");
                    lock (_a)
                    {
                        Probe("body");
                        if (flag) { Probe("nested-block"); }
                        try { Probe("try-in-lock"); } catch (Exception) { Probe("catch-in-lock"); } finally { Probe("finally-in-lock"); }
                        lock (_b) { Probe("inner-lock"); }
                        Action later = () => Probe("lambda");
                        void Local() => Probe("local-function");
                        Task.Run(() => { lock (_b) { Probe("lock-in-lambda"); } Probe("after-lock-in-lambda"); });
                        later();
                        Local();
                    }

                    try
                    {
                        lock (_a) { Probe("lock-in-try"); }
                    }
                    catch (Exception)
                    {
                        Probe("catch-after-lock");
                    }

                    lock (GetGate(() => Probe("lock-expression"))) { }
                    Probe("after");
                }

                object GetGate(Action a) => _a;
            }
            """;

        var lexical = await LockAnalysisHarness.InLockStatementAtProbesAsync(source);
        var flow = await LockAnalysisHarness.HeldAtProbesAsync(source);

        Assert.Equal(15, lexical.Count);
        foreach (var (label, inLock) in lexical)
        {
            Assert.True(flow.TryGetValue(label, out var held), $"the flow never visited '{label}'");
            var mustHold = !held.EndsWith("|must:", StringComparison.Ordinal);
            Assert.True(inLock == mustHold, $"'{label}': lexical {inLock}, flow {held}");
        }
    }

    [Fact]
    public async Task The_scan_counts_what_each_rule_asks_about()
    {
        const string source = """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private readonly object _gate = new object();
                private readonly SemaphoreSlim _sem = new SemaphoreSlim(1, 1);
                private readonly ReaderWriterLockSlim _rw = new ReaderWriterLockSlim();

                void OnlyLockStatements() { lock (_gate) { } lock (_gate) { } }
                void Nested() { lock (_gate) { lock (this) { } } }
                void NestedAcrossALambda() { lock (_gate) { Task.Run(() => { lock (this) { } }); } }
                async Task Semaphore() { await _sem.WaitAsync(); try { } finally { _sem.Release(); } }
                void ReadLock() { _rw.EnterReadLock(); try { } finally { _rw.ExitReadLock(); } }
                void WaitAndPulse() { lock (_gate) { Monitor.Wait(_gate); Monitor.PulseAll(_gate); } }
                void Using(System.IO.Stream stream) { using (stream) { } }
                void Nothing() { }
            }
            """;

        var compilation = await LockAnalysisHarness.CompileAsync(source);
        var types = KnownTypes.For(compilation);
        var tree = compilation.SyntaxTrees.Single();
        var model = compilation.GetSemanticModel(tree);
        LockScan Scan(string name)
            => LockScan.Of(
                model.GetOperation(tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().Single(m => m.Identifier.Text == name))!,
                types);

        var onlyStatements = Scan("OnlyLockStatements");
        Assert.Equal((true, false, 2, false, true, false), (onlyStatements.HasAnyLock, onlyStatements.HasLockApiCall, onlyStatements.Acquisitions, onlyStatements.HasNestedLockStatement, onlyStatements.HasThreadAffineLock, onlyStatements.HasNonReentrantAcquire));
        Assert.True(Scan("Nested").HasNestedLockStatement);
        Assert.False(Scan("NestedAcrossALambda").HasNestedLockStatement);

        var semaphore = Scan("Semaphore");
        Assert.Equal((true, true, 1, true, false), (semaphore.HasAnyLock, semaphore.HasLockApiCall, semaphore.Acquisitions, semaphore.HasNonReentrantAcquire, semaphore.HasThreadAffineLock));

        var readLock = Scan("ReadLock");
        Assert.Equal((true, true, false), (readLock.HasReadLockAcquire, readLock.HasThreadAffineLock, readLock.HasWaitOrPulse));
        Assert.True(Scan("WaitAndPulse").HasWaitOrPulse);
        Assert.Equal((false, true), (Scan("Using").HasAnyLock, Scan("Using").HasUsing));
        Assert.Equal((false, false), (Scan("Nothing").HasAnyLock, Scan("Nothing").HasUsing));
    }
}
