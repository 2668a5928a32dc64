using System.Collections.Generic;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Locking;

/// <summary>
/// Runs <see cref="HeldLocks"/> over the bodies of one operation block (and the lambdas / local functions in them).
/// Six locking rules ask for the same facts about the same block, so the flow is solved once per block and its visits
/// are recorded; the other rules replay the recording.
/// </summary>
internal static class LockFlow
{
    // Keyed by the root of the block's operation tree, which the analyzer driver shares between analyzers.
    private static readonly OperationMemo<Recording> Recordings = new();

    /// <param name="visitWithoutLocks">
    /// Also visit the operations of functions that take no lock (with nothing held). Not recorded: the caller gates it.
    /// </param>
    public static void Run(OperationBlockAnalysisContext context, KnownTypes types, HeldLockVisitor visitor, bool visitWithoutLocks = false)
        => Run(context, types, visitor, worthIt: null, visitWithoutLocks);

    /// <param name="worthIt">
    /// Whether the rule could report anything in a body, judged from its tree and <see cref="LockScan"/> (see
    /// <see cref="AnyUnderLock"/>): building and solving the flow is most of what these rules cost, so a body where no
    /// rule can report never gets a graph. It must answer true whenever the flow could make the rule report.
    /// </param>
    public static void Run(OperationBlockAnalysisContext context, KnownTypes types, HeldLockVisitor visitor, System.Func<IOperation, LockScan, bool>? worthIt, bool visitWithoutLocks = false)
    {
        if (visitWithoutLocks)
        {
            RunAll(context, types, visitor);
            return;
        }

        foreach (var (operationBlock, block) in Bodies(context))
        {
            var scan = LockScan.For(block, types);
            if (!scan.HasAnyLock || (worthIt is not null && !worthIt(block, scan)))
            {
                continue;
            }

            var recording = Recordings.GetOrCompute(block, (context, operationBlock, types), static (root, s) => Record(s.context, s.operationBlock, root, s.types));
            foreach (var visit in recording.Visits)
            {
                visitor(visit.Operation, visit.State, visit.Function, visit.LockCall);
            }
        }
    }

    /// <summary>
    /// Some operation of the body passes <paramref name="candidate"/> and may run with a lock held: anywhere when the
    /// body calls a lock API (only the flow can tell), else only inside a <c>lock</c> statement's body (in the same function).
    /// <paramref name="candidate"/> must be false for operations of kinds outside <see cref="LockScan.IsCandidateKind"/>:
    /// only those are asked (from the scan's list, when <paramref name="scan"/> is the body's).
    /// </summary>
    public static bool AnyUnderLock(IOperation root, LockScan scan, System.Func<IOperation, bool> candidate)
    {
        if (scan.Candidates is { } candidates && ReferenceEquals(scan.Root, root))
        {
            foreach (var operation in candidates)
            {
                if (candidate(operation) && (scan.HasLockApiCall || LockRegions.InLockStatement(operation)))
                {
                    return true;
                }
            }

            return false;
        }

        foreach (var operation in root.EnumerateDescendants())
        {
            if (candidate(operation) && (scan.HasLockApiCall || LockRegions.InLockStatement(operation)))
            {
                return true;
            }
        }

        return false;
    }

    private static void RunAll(OperationBlockAnalysisContext context, KnownTypes types, HeldLockVisitor visitor)
    {
        foreach (var (operationBlock, _) in Bodies(context))
        {
            if (TryGetGraph(context, operationBlock) is { } graph)
            {
                HeldLocks.AnalyzeAll(graph, context.OwningSymbol as IMethodSymbol, types, visitor, context.CancellationToken, visitWithoutLocks: true);
            }
        }
    }

    /// <summary>The block's function bodies (each root once), with the operation block to ask for its graph.</summary>
    /// <remarks>
    /// Asked by several locking rules of every member body, so it allocates nothing: a block has one body or a few
    /// (a constructor's initializer and body), and the earlier ones are compared by reference.
    /// </remarks>
    internal static BlockBodies Bodies(OperationBlockAnalysisContext context) => new(context.OperationBlocks);

    /// <summary>
    /// Registers <paramref name="analyze"/> for the operation blocks with a function body that takes a lock (a
    /// <c>lock</c> statement or a lock API call, lambdas included): without one,
    /// <see cref="Run(OperationBlockAnalysisContext, KnownTypes, HeldLockVisitor, bool)"/> visits nothing (unless asked
    /// to visit bodies without locks) and nothing runs with a lock held. For the rules that only look under locks.
    /// </summary>
    /// <remarks>
    /// Registered only in the types whose text (every part of it) names one of <see cref="LockScan.LockNames"/> (the
    /// answer CONC203, CONC206 and CONC209 gate their type on): a body of any other type names none and takes no lock.
    /// </remarks>
    public static void RegisterForLockingBodies(CompilationStartAnalysisContext start, KnownTypes types, System.Action<OperationBlockAnalysisContext> analyze)
        => start.RegisterSymbolStartAction(
            s =>
            {
                if (SourceMentions.Any((INamedTypeSymbol)s.Symbol, LockScan.LockNames, types))
                {
                    AddForLockingBodies(s, types, analyze);
                }
            },
            SymbolKind.NamedType);

    /// <summary>
    /// <see cref="RegisterForLockingBodies"/> in a symbol start whose type the caller knows to name a lock: the rules
    /// that do so share one block action per type (see <see cref="LockingBodyActions"/>).
    /// </summary>
    public static void AddForLockingBodies(SymbolStartAnalysisContext context, KnownTypes types, System.Action<OperationBlockAnalysisContext> analyze)
        => BodyActions.GetOrComputePerSymbolStart(context, types, static (c, t) => LockingBodyActions.RegisterNew(c, t)).Add(analyze);

    // One block action per symbol start: the host hands all its rules the same symbol-start context, so the first
    // locking rule registers it and the others join its list (a rule run on its own gets a context of its own).
    private static readonly ConditionalWeakTable<SymbolStartAnalysisContext, LockingBodyActions> BodyActions = new();

    /// <summary>
    /// The locking rules' actions for one type's blocks, behind one test of the block's scans: five rules look only at
    /// bodies that take a lock, and most bodies of a type that names a lock take none; asked once per body, not once
    /// per rule. The actions are added in the rules' symbol starts, which run one after another and before any block
    /// of the type is analyzed.
    /// </summary>
    private sealed class LockingBodyActions
    {
        private readonly List<System.Action<OperationBlockAnalysisContext>> _actions = new();
        private readonly KnownTypes _types;

        // All the actions, each run even when one before it throws (see RuleHost.FanOut); made at the first locking body.
        private System.Action<OperationBlockAnalysisContext>? _all;

        private LockingBodyActions(KnownTypes types) => _types = types;

        public static LockingBodyActions RegisterNew(SymbolStartAnalysisContext context, KnownTypes types)
        {
            var actions = new LockingBodyActions(types);
            context.RegisterOperationBlockAction(actions.Analyze);
            return actions;
        }

        public void Add(System.Action<OperationBlockAnalysisContext> action) => _actions.Add(action);

        private void Analyze(OperationBlockAnalysisContext context)
        {
            if (AnyScannedBodyLocks(context, _types))
            {
                (_all ??= RuleHost.FanOut(_actions))(context);
            }
        }
    }

    /// <summary>Some function body of the block takes a lock: the bodies' scans (for a block of a type that names a lock).</summary>
    public static bool AnyScannedBodyLocks(OperationBlockAnalysisContext context, KnownTypes types)
    {
        foreach (var (_, root) in Bodies(context))
        {
            if (LockScan.For(root, types).HasAnyLock)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The function bodies of an operation block's operations, each root once (see <see cref="Bodies"/>).</summary>
    internal readonly struct BlockBodies
    {
        private readonly ImmutableArray<IOperation> _blocks;

        public BlockBodies(ImmutableArray<IOperation> blocks) => _blocks = blocks;

        public Enumerator GetEnumerator() => new(_blocks);

        public struct Enumerator
        {
            private readonly ImmutableArray<IOperation> _blocks;
            private int _index;

            public Enumerator(ImmutableArray<IOperation> blocks)
            {
                _blocks = blocks;
                _index = -1;
                Current = default;
            }

            public (IOperation OperationBlock, IOperation Root) Current { get; private set; }

            public bool MoveNext()
            {
                while (++_index < _blocks.Length)
                {
                    var block = _blocks[_index];
                    var root = block.GetRoot();
                    if (root is IMethodBodyOperation or IConstructorBodyOperation or IBlockOperation && !IsEarlierRoot(root))
                    {
                        Current = (block, root);
                        return true;
                    }
                }

                return false;
            }

            private readonly bool IsEarlierRoot(IOperation root)
            {
                for (var i = 0; i < _index; i++)
                {
                    if (ReferenceEquals(_blocks[i].GetRoot(), root))
                    {
                        return true;
                    }
                }

                return false;
            }
        }
    }

    private static ControlFlowGraph? TryGetGraph(OperationBlockAnalysisContext context, IOperation operationBlock)
    {
        try
        {
            return context.GetControlFlowGraph(operationBlock);
        }
        catch (System.Exception e) when (e is System.ArgumentException or System.InvalidOperationException)
        {
            return null;
        }
    }

    private static Recording Record(OperationBlockAnalysisContext context, IOperation operationBlock, IOperation block, KnownTypes types)
    {
        if (TryGetGraph(context, operationBlock) is not { } graph)
        {
            return Recording.Empty;
        }

        var visits = new List<Visit>();
        HeldLocks.AnalyzeAll(
            graph,
            context.OwningSymbol as IMethodSymbol,
            types,
            (operation, state, function, lockCall) => visits.Add(new Visit(operation, state, function, lockCall)),
            context.CancellationToken,
            visitWithoutLocks: false);
        return visits.Count == 0 ? Recording.Empty : new Recording(visits.ToArray());
    }

    private sealed class Recording
    {
        public static readonly Recording Empty = new(System.Array.Empty<Visit>());

        public Recording(Visit[] visits) => Visits = visits;

        public Visit[] Visits { get; }
    }

    private readonly struct Visit
    {
        public Visit(IOperation operation, HeldState state, IMethodSymbol? function, HeldLock? lockCall)
        {
            Operation = operation;
            State = state;
            Function = function;
            LockCall = lockCall;
        }

        public IOperation Operation { get; }

        public HeldState State { get; }

        public IMethodSymbol? Function { get; }

        public HeldLock? LockCall { get; }
    }

    /// <summary>The location to report an await at: the <c>await</c> keyword of an implicit await (await foreach / await using).</summary>
    public static Location AwaitLocation(IOperation operation)
    {
        var syntax = operation.Syntax;
        switch (syntax)
        {
            case Microsoft.CodeAnalysis.CSharp.Syntax.CommonForEachStatementSyntax forEach when forEach.AwaitKeyword.Span.Length > 0:
                return forEach.AwaitKeyword.GetLocation();
            case Microsoft.CodeAnalysis.CSharp.Syntax.UsingStatementSyntax usingStatement when usingStatement.AwaitKeyword.Span.Length > 0:
                return usingStatement.AwaitKeyword.GetLocation();
            case Microsoft.CodeAnalysis.CSharp.Syntax.LocalDeclarationStatementSyntax declaration when declaration.AwaitKeyword.Span.Length > 0:
                return declaration.AwaitKeyword.GetLocation();
        }

        for (var node = syntax; node is not null; node = node.Parent)
        {
            if (node is Microsoft.CodeAnalysis.CSharp.Syntax.CommonForEachStatementSyntax { AwaitKeyword.Span.Length: > 0 } f)
            {
                return f.AwaitKeyword.GetLocation();
            }

            if (node is Microsoft.CodeAnalysis.CSharp.Syntax.UsingStatementSyntax { AwaitKeyword.Span.Length: > 0 } u)
            {
                return u.AwaitKeyword.GetLocation();
            }

            if (node is Microsoft.CodeAnalysis.CSharp.Syntax.LocalDeclarationStatementSyntax { AwaitKeyword.Span.Length: > 0 } d)
            {
                return d.AwaitKeyword.GetLocation();
            }

            if (node is Microsoft.CodeAnalysis.CSharp.Syntax.StatementSyntax)
            {
                break;
            }
        }

        return syntax.GetLocation();
    }

    /// <summary>A short name for a primitive in messages.</summary>
    public static string KindName(LockKind kind) => kind switch
    {
        LockKind.Monitor => "Monitor",
        LockKind.Lock => "Lock",
        LockKind.Mutex => "Mutex",
        LockKind.SemaphoreSlim => "SemaphoreSlim",
        LockKind.ReaderWriterLockSlim => "ReaderWriterLockSlim",
        _ => "SpinLock",
    };
}
