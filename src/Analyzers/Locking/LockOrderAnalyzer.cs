using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Locking;

/// <summary>
/// CONC206: two locks (fields) taken nested in opposite orders — pairs within one type at the type's symbol end (live in
/// the IDE), pairs across types at the compilation end — and a non-reentrant lock (SemaphoreSlim(1), ReaderWriterLockSlim
/// without recursion, SpinLock) acquired again while held, directly or through a call to a method of the same type.
/// </summary>
public sealed class LockOrderAnalyzer : DiagnosticAnalyzer
{
    private const string Title = "Locks taken in inconsistent order, or a non-reentrant lock re-acquired";
    private const string Description =
        "Two threads that take the same two locks in opposite orders can each hold one and wait for the other forever. " +
        "Take nested locks in one global order everywhere. SemaphoreSlim, ReaderWriterLockSlim (without recursion) and " +
        "SpinLock are not reentrant: taking them again while held deadlocks or throws LockRecursionException.";

    internal static readonly DiagnosticDescriptor OrderRule = RuleDescriptors.Create(
        RuleIds.LockOrderInconsistent, Title,
        "'{0}' is taken while holding '{1}', but '{2}' takes them in the opposite order: two threads can deadlock",
        DiagnosticSeverity.Warning, Description);

    internal static readonly DiagnosticDescriptor CrossTypeOrderRule = RuleDescriptors.Create(
        RuleIds.LockOrderInconsistent, Title,
        "'{0}' is taken while holding '{1}', but '{2}' takes them in the opposite order: two threads can deadlock",
        DiagnosticSeverity.Warning, Description, compilationEnd: true);

    internal static readonly DiagnosticDescriptor ReentryRule = RuleDescriptors.Create(
        RuleIds.LockOrderInconsistent, Title,
        "'{0}' ({1}) is acquired again while it is held: it is not reentrant, so this deadlocks or throws",
        DiagnosticSeverity.Warning, Description);

    internal static readonly DiagnosticDescriptor ReentryCallRule = RuleDescriptors.Create(
        RuleIds.LockOrderInconsistent, Title,
        "'{0}' acquires '{1}' ({2}), which is already held here: it is not reentrant, so this deadlocks or throws",
        DiagnosticSeverity.Warning, Description);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(OrderRule, CrossTypeOrderRule, ReentryRule, ReentryCallRule);

    private sealed class Edge
    {
        public Edge(ISymbol outer, ISymbol inner, Location location, ISymbol method, INamedTypeSymbol type)
        {
            Outer = outer;
            Inner = inner;
            Location = location;
            Method = method;
            Type = type;
        }

        public ISymbol Outer { get; }
        public ISymbol Inner { get; }
        public Location Location { get; }
        public ISymbol Method { get; }
        public INamedTypeSymbol Type { get; }
    }

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var types = KnownTypes.For(start.Compilation);
            if (types.Monitor is null)
            {
                return;
            }

            var allEdges = new ConcurrentBag<Edge>();
            start.RegisterSymbolStartAction(s => AnalyzeType(s, types, allEdges), SymbolKind.NamedType);
            start.RegisterCompilationEndAction(c =>
            {
                var edges = SortedByLocation(allEdges);
                var reported = new HashSet<Location>();
                foreach (var first in edges)
                {
                    foreach (var second in edges)
                    {
                        if (!SymbolEqualityComparer.Default.Equals(first.Type, second.Type) &&
                            SymbolEqualityComparer.Default.Equals(first.Outer, second.Inner) &&
                            SymbolEqualityComparer.Default.Equals(first.Inner, second.Outer) &&
                            reported.Add(first.Location))
                        {
                            c.ReportDiagnostic(Diagnostic.Create(CrossTypeOrderRule, first.Location, first.Inner.Name, first.Outer.Name, second.Type.Name + "." + second.Method.Name));
                        }
                    }
                }
            });
        });
    }

    private static void AnalyzeType(SymbolStartAnalysisContext context, KnownTypes types, ConcurrentBag<Edge> allEdges)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        var edges = new LockedBag<Edge>();
        var reentries = new LockedBag<(HeldLock Lock, Location Location)>();
        var calls = new LockedBag<(IMethodSymbol Callee, HeldLock Held, Location Location, bool StartedOnly)>();
        var summaries = new LockedMap<IMethodSymbol, (List<HeldLock> All, List<HeldLock>? Blocking)>(SymbolEqualityComparer.Default);
        var mutexSemaphores = new LockedMap<ISymbol, bool>(SymbolEqualityComparer.Default);
        var nonRecursive = new LockedMap<ISymbol, bool>(SymbolEqualityComparer.Default);

        context.RegisterOperationAction(
            c =>
            {
                var creation = (IObjectCreationOperation)c.Operation;
                var field = CreatedField(creation);
                if (field is null)
                {
                    return;
                }

                if (creation.Type.Is(types.SemaphoreSlim) && creation.Arguments.Length > 0 &&
                    creation.Arguments[0].Value.ConstantValue is { HasValue: true, Value: 1 } &&
                    (creation.Arguments.Length == 1 || creation.Arguments[1].Value.ConstantValue is { HasValue: true, Value: 1 }))
                {
                    mutexSemaphores.TryAdd(field, true);
                }
                else if (creation.Type.Is(types.ReaderWriterLockSlim))
                {
                    var recursive = creation.Arguments.Length > 0 &&
                                    !(creation.Arguments[0].Value.ConstantValue is { HasValue: true, Value: 0 });
                    if (!recursive)
                    {
                        nonRecursive.TryAdd(field, true);
                    }
                }
            },
            OperationKind.ObjectCreation);

        context.RegisterOperationBlockAction(c =>
        {
            var owner = c.OwningSymbol;
            LockFlow.Run(c, types, (operation, state, function, lockCall) =>
            {
                if (lockCall is not null)
                {
                    // A zero-timeout try-acquire (TryEnter(x, 0), Wait(0)) polls: it cannot deadlock. Neither can a
                    // WaitAsync that is only started here (its task awaited after the outer lock is released).
                    if (operation is not IInvocationOperation invocation || !LockApis.TryGetLockCall(invocation, types, out var call) ||
                        !call.IsAcquire || !lockCall.IsOwnField || lockCall.Key is null ||
                        (call.Action == LockAction.TryAcquire && LockApis.HasZeroTimeout(invocation)) ||
                        (call.IsAsync && !IsAwaitedHere(invocation)))
                    {
                        return;
                    }

                    foreach (var held in state.Must)
                    {
                        if (!held.IsOwnField || held.Key is null)
                        {
                            continue;
                        }

                        if (held.SameLock(lockCall))
                        {
                            if (held.Mode == lockCall.Mode && IsNonReentrantKind(held))
                            {
                                reentries.Add((lockCall, lockCall.AcquireSyntax.GetLocation()));
                            }
                        }
                        else
                        {
                            edges.Add(new Edge(held.Key, lockCall.Key, lockCall.AcquireSyntax.GetLocation(), owner, type));
                        }
                    }

                    return;
                }

                if (operation is IInvocationOperation { TargetMethod: var callee } other && !state.Must.IsDefaultOrEmpty &&
                    (other.Instance is null or IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance }) &&
                    SymbolEqualityComparer.Default.Equals(callee.ContainingType?.OriginalDefinition, type.OriginalDefinition) &&
                    !callee.IsVirtual && !callee.IsAbstract && !callee.IsOverride &&
                    !SymbolEqualityComparer.Default.Equals(callee.OriginalDefinition, owner?.OriginalDefinition))
                {
                    var startedOnly = IsStartedNotAwaited(other);
                    foreach (var held in state.Must)
                    {
                        if (held.IsOwnField && held.Key is not null && IsNonReentrantKind(held))
                        {
                            calls.Add((callee.OriginalDefinition, held, TaskBlocking.ReportLocation(other), startedOnly));
                        }
                    }
                }
            },
            // Nesting needs two acquisitions; a call under a lock needs a primitive that cannot be re-entered and a
            // call to a method of this type. Most bodies that lock have neither, and get no flow graph.
            (root, scan) => scan.HasLockApiCall
                ? scan.Acquisitions >= 2 || (scan.HasNonReentrantAcquire && CallsOwnMethod(root, type))
                : scan.HasNestedLockStatement);

            if (owner is IMethodSymbol method && Acquired(c.OperationBlocks, types, out var blocking) is { } acquired)
            {
                summaries.TryAdd(method.OriginalDefinition, (acquired, blocking));
            }
        });

        context.RegisterSymbolEndAction(c =>
        {
            var list = SortedByLocation(edges);
            var reported = new HashSet<Location>();
            foreach (var first in list)
            {
                allEdges.Add(first);
                foreach (var second in list)
                {
                    if (SymbolEqualityComparer.Default.Equals(first.Outer, second.Inner) &&
                        SymbolEqualityComparer.Default.Equals(first.Inner, second.Outer) &&
                        reported.Add(first.Location))
                    {
                        c.ReportDiagnostic(Diagnostic.Create(OrderRule, first.Location, first.Inner.Name, first.Outer.Name, second.Method.Name));
                    }
                }
            }

            foreach (var (held, location) in reentries)
            {
                if (IsKnownNonReentrant(held) && reported.Add(location))
                {
                    c.ReportDiagnostic(Diagnostic.Create(ReentryRule, location, held.Name, LockFlow.KindName(held.Kind)));
                }
            }

            foreach (var (callee, held, location, startedOnly) in calls)
            {
                // A call whose task is only kept (not awaited under the lock) re-enters only through a blocking acquisition.
                if (summaries.TryGetValue(callee, out var summary) &&
                    (startedOnly ? summary.Blocking : summary.All) is { } acquired &&
                    acquired.Exists(a => a.SameLock(held) && a.Mode == held.Mode) &&
                    IsKnownNonReentrant(held) && reported.Add(location))
                {
                    c.ReportDiagnostic(Diagnostic.Create(ReentryCallRule, location, callee.Name, held.Name, LockFlow.KindName(held.Kind)));
                }
            }
        });

        bool IsKnownNonReentrant(HeldLock held) => held.Kind switch
        {
            LockKind.SemaphoreSlim => held.Key is not null && mutexSemaphores.ContainsKey(held.Key),
            LockKind.ReaderWriterLockSlim => held.Key is not null && nonRecursive.ContainsKey(held.Key),
            LockKind.SpinLock => true,
            _ => false,
        };
    }

    /// <summary>
    /// The edges in source order: callbacks add them concurrently, and a diagnostic names the first opposite edge it
    /// pairs with, so without an order the same build could name a different method each time.
    /// </summary>
    private static List<Edge> SortedByLocation(IEnumerable<Edge> edges)
    {
        var list = new List<Edge>(edges);
        list.Sort(static (x, y) => SourceOrder.Compare(x.Location, y.Location));
        return list;
    }

    private static bool CallsOwnMethod(IOperation root, INamedTypeSymbol type)
    {
        foreach (var operation in root.EnumerateDescendants())
        {
            if (operation is IInvocationOperation { TargetMethod.ContainingType: { } containing } invocation &&
                invocation.Instance is null or IInstanceReferenceOperation &&
                SymbolEqualityComparer.Default.Equals(containing.OriginalDefinition, type.OriginalDefinition))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The own-field locks a method's body takes with a lock API call (lambdas included, except those that run on
    /// another thread: Task.Run, threads, timers, continuations), for its callers' re-entry
    /// check: read from the tree, so a method needs no flow graph to be summarized. A lock the body releases before it
    /// first takes it (<c>_gate.Release(); try { await callback(); } finally { await _gate.WaitAsync(); }</c>) is not
    /// counted: the method runs with its caller's lock held, lets go of it for a while and takes it back.
    /// </summary>
    private static List<HeldLock>? Acquired(ImmutableArray<IOperation> blocks, KnownTypes types, out List<HeldLock>? blocking)
    {
        List<HeldLock>? acquired = null;
        blocking = null;
        HashSet<ISymbol>? releasedFirst = null;
        foreach (var block in blocks)
        {
            if (!LockScan.For(block.GetRoot(), types).HasLockApiCall)
            {
                continue;
            }

            // Pre-order is source order here: a try body's release comes before its finally's re-acquisition.
            foreach (var operation in block.EnumerateDescendantsAndSelf())
            {
                if (operation.Kind != OperationKind.Invocation || operation is not IInvocationOperation invocation ||
                    !LockApis.TryGetLockCall(invocation, types, out var call))
                {
                    continue;
                }

                if (call.Action == LockAction.Release)
                {
                    if (LockApis.GetKey(call.LockExpression.ReceiverValue()) is { } released &&
                        !Takes(acquired, released))
                    {
                        (releasedFirst ??= new HashSet<ISymbol>(SymbolEqualityComparer.Default)).Add(released);
                    }

                    continue;
                }

                if (!call.IsAcquire || (call.Action == LockAction.TryAcquire && LockApis.HasZeroTimeout(invocation)) ||
                    IsUpToTheCaller(invocation) || RunsOnAnotherThread(invocation, types))
                {
                    continue;
                }

                var held = HeldLock.For(call.LockExpression.ReceiverValue(), call, invocation.Syntax, isLockStatement: false);
                if (held is { IsOwnField: true, Key: not null } &&
                    !(releasedFirst?.Contains(held.Key) ?? false))
                {
                    (acquired ??= new List<HeldLock>()).Add(held);
                    if (!call.IsAsync)
                    {
                        (blocking ??= new List<HeldLock>()).Add(held);
                    }
                }
            }
        }

        return acquired;
    }

    /// <summary>
    /// The acquisition is in a lambda or local function handed to <c>Task.Run</c>, a thread, the thread pool, a timer
    /// or a continuation: it runs on another thread, later, and waits there until the caller lets go (no re-entry).
    /// A dropped async call and a <c>Parallel</c> body start on the caller's thread, so they still count.
    /// </summary>
    private static bool RunsOnAnotherThread(IInvocationOperation acquire, KnownTypes types)
    {
        for (var current = acquire.Parent; current is not null; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return ConcurrentContexts.FindEnclosing(acquire, types) is { IsDetached: true, Kind: not SpawnKind.DroppedAsyncCall };
            }
        }

        return false;
    }

    /// <summary>
    /// An <c>async</c> method of the type called under the lock whose task is only stored (<c>_flushing = FlushAsync();</c>,
    /// <c>_ = FlushAsync();</c>): its <c>await _sem.WaitAsync()</c> waits until the caller lets go instead of re-entering.
    /// </summary>
    private static bool IsStartedNotAwaited(IInvocationOperation call)
        => call.TargetMethod.IsAsync &&
           call.WalkUpConversions() is ISimpleAssignmentOperation { Target: IFieldReferenceOperation or IDiscardOperation } assignment &&
           ReferenceEquals(assignment.Value.WalkDownConversions(), call);

    private static bool Takes(List<HeldLock>? acquired, ISymbol key)
    {
        if (acquired is not null)
        {
            foreach (var held in acquired)
            {
                if (SymbolEqualityComparer.Default.Equals(held.Key, key))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary><c>await x.WaitAsync(...)</c>, with or without <c>ConfigureAwait</c>, as opposed to a task kept for later.</summary>
    private static bool IsAwaitedHere(IInvocationOperation acquire)
        // In the flow graph an awaited call may sit in a capture with no parent: count that as awaited (the old behaviour).
        => acquire.WalkUpConversionsAndConfigureAwait() is null or IAwaitOperation;

    /// <summary>
    /// The acquisition runs only when a <c>bool</c> parameter says so (<c>if (!lockHeld) await _gate.WaitAsync();</c>):
    /// a hand-off protocol where a caller that already holds the lock passes <c>true</c>. Which callers do is not
    /// known here, so such a method does not count as taking the lock.
    /// </summary>
    private static bool IsUpToTheCaller(IOperation acquire)
    {
        IOperation previous = acquire;
        for (var current = acquire.Parent; current is not null; previous = current, current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return false;
            }

            if (current is IConditionalOperation conditional && !ReferenceEquals(previous, conditional.Condition) &&
                ReadsBoolParameter(conditional.Condition))
            {
                return true;
            }
        }

        return false;
    }

    private static bool ReadsBoolParameter(IOperation condition)
    {
        foreach (var operation in condition.EnumerateDescendantsAndSelf())
        {
            if (operation is IParameterReferenceOperation { Parameter.Type.SpecialType: SpecialType.System_Boolean })
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsNonReentrantKind(HeldLock held)
        => held.Kind is LockKind.SemaphoreSlim or LockKind.ReaderWriterLockSlim or LockKind.SpinLock;

    private static ISymbol? CreatedField(IObjectCreationOperation creation)
    {
        var parent = creation.WalkUpConversions();
        return parent switch
        {
            IFieldInitializerOperation initializer when initializer.InitializedFields.Length == 1 => initializer.InitializedFields[0].OriginalDefinition,
            ISimpleAssignmentOperation { Target: IFieldReferenceOperation field } => field.Field.OriginalDefinition,
            _ => null,
        };
    }
}
