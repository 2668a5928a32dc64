using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using ConcurrencyAnalyzers.Tests.Analysis;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit;

namespace ConcurrencyAnalyzers.Tests.Internals;

/// <summary>
/// The text test read before a body is walked (<see cref="SourceMentions"/>): whole identifiers only, within the node,
/// and never "no" for a body whose walk would find something.
/// </summary>
public sealed class SourceMentionsTests
{
    [Theory]
    [InlineData("Monitor.Enter(_gate);", true)]
    [InlineData("_rw.TryEnterReadLock(10);", true)] // a longer name of the set, found through its core
    [InlineData("// Monitor.Exit is not called here", true)] // text, comments included
    [InlineData("_lockObject.ToString();", false)] // 'lock' inside a longer identifier
    [InlineData("var blocking = Entered + Waiting;", false)]
    [InlineData("EnterAll();", false)] // contains a core, is not a name of the set
    [InlineData("lock (_gate) { }", true)]
    [InlineData("lock(_gate){}", true)]
    public void Whole_identifiers_of_the_set_count(string statement, bool expected)
    {
        var body = MethodBody("class C { void M() { " + statement + " } }");

        Assert.Equal(expected, SourceMentions.Any(body, LockScan.Names));
    }

    /// <summary>CONC303's type gate: every way something in a type counts as locked, and near-misses that do not.</summary>
    [Theory]
    [InlineData("lock (_gate) { _x++; }", true)]
    [InlineData("if (!lockTaken) throw new InvalidOperationException();", true)] // a parameter named for a held lock
    [InlineData("if (!_semaphoreHeld) throw new InvalidOperationException();", true)]
    [InlineData("UpdateLocked();", true)] // *Locked: the caller holds the lock
    [InlineData("UpdateUnsafe();", true)]
    [InlineData("Debug.Assert(Monitor.IsEntered(_gate));", true)]
    [InlineData("using (await _mutex.LockAsync()) { }", true)] // an async-lock helper
    [InlineData("using (await _gate.AcquireAsync()) { }", true)]
    [InlineData("_rw.AcquireReaderLock(100);", true)]
    [InlineData("[MethodImpl(MethodImplOptions.Synchronized)] void N() { }", true)]
    [InlineData("var clock = Block(unlocked);", false)] // 'lock' inside identifiers, not at their start
    [InlineData("using var cts = new CancellationTokenSource();", false)] // a using that is no lock
    [InlineData("await _channel.Reader.WaitToReadAsync();", false)]
    public void Everything_that_counts_as_locked_is_mentioned(string statement, bool expected)
    {
        var body = MethodBody("class C { void M() { " + statement + " } }");

        Assert.Equal(expected, SourceMentions.Any(body, ConcurrencyAnalyzers.SharedState.LockHeldMethods.LockedNames));
    }

    [Fact]
    public void Only_the_nodes_own_span_is_read()
    {
        var tree = CSharpSyntaxTree.ParseText("class C { void A() { Monitor.Enter(this); } void B() { Work(); } }");
        var methods = tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().ToArray();

        Assert.True(SourceMentions.Any(methods[0], LockScan.Names));
        Assert.False(SourceMentions.Any(methods[1], LockScan.Names));
    }

    [Fact]
    public void A_very_large_file_is_read_one_node_at_a_time()
    {
        var padding = "// " + new string('x', 1 << 20) + "\n";
        var tree = CSharpSyntaxTree.ParseText(padding + "class C { void A() { Monitor.Enter(this); } void B() { Work(); } }");
        var methods = tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().ToArray();

        Assert.True(SourceMentions.Any(methods[0], LockScan.Names));
        Assert.False(SourceMentions.Any(methods[1], LockScan.Names));
    }

    [Fact]
    public void A_name_without_a_core_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new NameSet(new[] { "Wait" }, "Wait", "Sleep"));
    }

    [Fact]
    public void A_covering_set_must_count_every_name_of_the_narrower_one()
    {
        Assert.Throws<ArgumentException>(() => NameSet.Of("Wait").Covering(NameSet.Of("Wait", "Pulse")));
        Assert.Throws<ArgumentException>(() => new NameSet(new[] { "Wait" }, "WaitOne").Covering(NameSet.Of("Wait")));
        Assert.Same(LockScan.LockNames, ConcurrencyAnalyzers.SharedState.LockHeldMethods.LockedNames.Narrower);
        Assert.Equal(
            new[] { "Enter", "Synchronized", "Lock", "Held", "Semaphore", "Acquire", "Unsafe", "lock", "held", "semaphore" },
            ConcurrencyAnalyzers.SharedState.LockHeldMethods.LockedNames.BesideNarrower!.Cores);
    }

    /// <summary>
    /// The type answers of the lock names and of what counts as locked, asked in either order (the second may come
    /// from the first): the same as each set's own search of the type's text.
    /// </summary>
    [Theory]
    [InlineData("lock (_gate) { }", true, true)]
    [InlineData("Monitor.Enter(this);", true, true)]
    [InlineData("UpdateLocked();", false, true)] // counts as locked, names no lock
    [InlineData("Debug.Assert(Monitor.IsEntered(_gate));", false, true)] // found through Enter without a lock name
    [InlineData("[MethodImpl(MethodImplOptions.Synchronized)] void N() { }", false, true)]
    [InlineData("_gate.ReleaseLock();", false, true)]
    [InlineData("var clock = Block(unlocked);", false, false)] // neither
    public async Task The_type_answers_agree_with_the_text_in_either_order(string statement, bool namesLock, bool namesLocked)
    {
        var locked = ConcurrencyAnalyzers.SharedState.LockHeldMethods.LockedNames;
        foreach (var lockedFirst in new[] { true, false })
        {
            var compilation = await LockAnalysisHarness.CompileAsync(
                "class C { void M() { " + statement + " } }");
            var type = compilation.GetTypeByMetadataName("C")!;
            var types = KnownTypes.For(compilation);
            var expectedLock = SourceMentions.Any((ISymbol)type, LockScan.LockNames);
            var expectedLocked = SourceMentions.Any((ISymbol)type, locked);
            Assert.Equal((namesLock, namesLocked), (expectedLock, expectedLocked));

            var sets = lockedFirst ? new[] { locked, LockScan.LockNames } : new[] { LockScan.LockNames, locked };
            foreach (var set in sets)
            {
                Assert.Equal(ReferenceEquals(set, locked) ? expectedLocked : expectedLock, SourceMentions.Any(type, set, types));
            }
        }
    }

    /// <summary>Every lock API call, lock statement, using and legacy release: the gate lets each body through, so the scan sees it.</summary>
    [Fact]
    public async Task Every_body_with_a_lock_fact_mentions_a_name_of_the_set()
    {
        const string Source = """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private readonly object _gate = new();
                private readonly SemaphoreSlim _semaphore = new(1, 1);
                private readonly ReaderWriterLockSlim _rw = new();
                private readonly ReaderWriterLock _old = new();
                private readonly Semaphore _slot = new(1, 1);
                private readonly Mutex _mutex = new();
                private SpinLock _spin;

                void LockStatement() { lock (_gate) { } }
                void MonitorEnter() { Monitor.Enter(_gate); Monitor.Exit(_gate); }
                void MonitorTryEnter() { if (Monitor.TryEnter(_gate)) Monitor.Exit(_gate); }
                void MonitorWait() { Monitor.Wait(_gate); Monitor.Pulse(_gate); Monitor.PulseAll(_gate); }
                void Spin() { var taken = false; _spin.Enter(ref taken); _spin.Exit(); }
                void SemaphoreWait() { _semaphore.Wait(); _semaphore.Release(); }
                async Task SemaphoreWaitAsync() { await _semaphore.WaitAsync(); _semaphore.Release(); }
                void ReadLock() { _rw.EnterReadLock(); _rw.ExitReadLock(); }
                void WriteLock() { if (_rw.TryEnterWriteLock(10)) _rw.ExitWriteLock(); }
                void UpgradeableLock() { _rw.EnterUpgradeableReadLock(); _rw.ExitUpgradeableReadLock(); }
                void MutexWait() { _mutex.WaitOne(); _mutex.ReleaseMutex(); }
                void LegacyRelease() { _old.AcquireReaderLock(100); _old.ReleaseReaderLock(); _old.ReleaseLock(); }
                void LegacySemaphore() { _slot.WaitOne(); _slot.Release(); }
                void Using() { using var cts = new CancellationTokenSource(); }
                void Nothing() { Console.WriteLine(_gate); }
            }
            """;
        var compilation = await LockAnalysisHarness.CompileAsync(Source);
        var tree = compilation.SyntaxTrees.Single();
        var model = compilation.GetSemanticModel(tree);
        var types = KnownTypes.For(compilation);
        foreach (var method in tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>())
        {
            var root = model.GetOperation(method)!;
            var scanned = LockScan.Of(root, types);
            var gated = LockScan.For(root, types);
            var name = method.Identifier.Text;

            Assert.Equal(name != "Nothing", SourceMentions.Any(method, LockScan.Names));
            Assert.Equal(
                (scanned.HasAnyLock, scanned.HasUsing, scanned.HasLegacyRelease, scanned.Acquisitions, scanned.HasWaitOrPulse),
                (gated.HasAnyLock, gated.HasUsing, gated.HasLegacyRelease, gated.Acquisitions, gated.HasWaitOrPulse));
            Assert.True(name is "Nothing" || scanned.HasAnyLock || scanned.HasUsing || scanned.HasLegacyRelease, name);
        }
    }

    private static SyntaxNode MethodBody(string source)
        => CSharpSyntaxTree.ParseText(source).GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().Single();
}
