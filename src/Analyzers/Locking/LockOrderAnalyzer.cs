using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
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

    internal static readonly DiagnosticDescriptor OrderThroughCallRule = RuleDescriptors.Create(
        RuleIds.LockOrderInconsistent, Title,
        "'{0}' takes '{1}' and is called here while holding '{2}', but '{3}' takes them in the opposite order: two threads can deadlock",
        DiagnosticSeverity.Warning, Description);

    internal static readonly DiagnosticDescriptor ReentryRule = RuleDescriptors.Create(
        RuleIds.LockOrderInconsistent, Title,
        "'{0}' ({1}) is acquired again while it is held: it is not reentrant, so this deadlocks or throws",
        DiagnosticSeverity.Warning, Description);

    internal static readonly DiagnosticDescriptor ReentryCallRule = RuleDescriptors.Create(
        RuleIds.LockOrderInconsistent, Title,
        "'{0}' acquires '{1}' ({2}), which is already held here: it is not reentrant, so this deadlocks or throws",
        DiagnosticSeverity.Warning, Description);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(OrderRule, CrossTypeOrderRule, OrderThroughCallRule, ReentryRule, ReentryCallRule);

    private sealed class Edge
    {
        public Edge(ISymbol outer, ISymbol inner, Location location, ISymbol method, INamedTypeSymbol type, IMethodSymbol? through = null)
        {
            Outer = outer;
            Inner = inner;
            Location = location;
            Method = method;
            Type = type;
            Through = through;
        }

        /// <summary>The method of the type, called with <see cref="Outer"/> held, that takes <see cref="Inner"/>; null for a nesting in one body.</summary>
        public IMethodSymbol? Through { get; }

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
        if (!SourceMentions.Any(type, LockScan.LockNames, types))
        {
            return; // a type that takes no lock has no order to keep (most types)
        }

        var edges = new LockedBag<Edge>();
        var reentries = new LockedBag<(HeldLock Lock, Location Location)>();
        var calls = new LockedBag<(IMethodSymbol Callee, HeldLock Held, Location Location, bool StartedOnly)>();
        var summaries = new LockedMap<IMethodSymbol, (List<HeldLock> All, List<HeldLock>? Blocking)>(SymbolEqualityComparer.Default);
        // For the order through calls: own-field locks each method takes with a lock statement, and its calls to methods of
        // the type made inside a lock statement's body.
        var statementLocks = new LockedMap<IMethodSymbol, List<ISymbol>>(SymbolEqualityComparer.Default);
        var callsUnderLock = new LockedBag<(IMethodSymbol Callee, List<ISymbol> Held, Location Location, ISymbol Caller)>();
        var mutexSemaphores = new LockedMap<ISymbol, bool>(SymbolEqualityComparer.Default);
        // Blocks whose flow could only add calls under a lock: run at the type's end, when a callee takes a lock itself.
        var deferred = new LockedBag<(OperationBlockAnalysisContext Context, List<IMethodSymbol> Callees)>();
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

        // Everything below looks at the locks the body takes: most bodies take none. (The type names a lock.)
        LockFlow.AddForLockingBodies(context, types, RecordBody);

        void RecordBody(OperationBlockAnalysisContext c)
        {
            var owner = c.OwningSymbol;
            if (CallsOnlyFlow(c, types, type) is { } callees)
            {
                deferred.Add((c, callees));
            }
            else
            {
                RunFlow(c);
            }

            if (owner is IMethodSymbol method && Acquired(c.OperationBlocks, types, out var blocking) is { } acquired)
            {
                summaries.TryAdd(method.OriginalDefinition, (acquired, blocking));
            }

            if (owner is IMethodSymbol caller)
            {
                foreach (var (_, root) in LockFlow.Bodies(c))
                {
                    if (LockScan.For(root, types).LockStatements > 0)
                    {
                        RecordLockStatements(root, caller, type, statementLocks, callsUnderLock);
                    }
                }
            }
        }

        void RunFlow(OperationBlockAnalysisContext c)
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
            (root, scan) => NeedsFlow(root, scan, type));
        }

        context.RegisterSymbolEndAction(c =>
        {
            // A deferred block's flow adds calls under its one lock, which count only for a callee with a summary.
            foreach (var (blockContext, callees) in deferred)
            {
                foreach (var callee in callees)
                {
                    if (summaries.ContainsKey(callee))
                    {
                        RunFlow(blockContext);
                        break;
                    }
                }
            }

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

            // The order through one call: a method of the type called inside `lock (_a)` that takes `lock (_b)` (or
            // blocks on an acquisition of `_b`) nests `_b` in `_a` as surely as a nested lock statement would.
            var throughCalls = new List<Edge>();
            foreach (var (callee, heldKeys, location, caller) in callsUnderLock)
            {
                foreach (var inner in LocksTakenBy(callee))
                {
                    // A lock the caller already holds is re-entered, not nested (Monitor is reentrant).
                    if (heldKeys.Contains(inner, SymbolEqualityComparer.Default))
                    {
                        continue;
                    }

                    foreach (var held in heldKeys)
                    {
                        throughCalls.Add(new Edge(held, inner, location, caller, type, callee));
                    }
                }
            }

            if (throughCalls.Count > 0)
            {
                throughCalls.Sort(static (x, y) => SourceOrder.Compare(x.Location, y.Location));
                var all = new List<Edge>(list);
                all.AddRange(throughCalls);
                all.Sort(static (x, y) => SourceOrder.Compare(x.Location, y.Location));
                foreach (var first in throughCalls)
                {
                    foreach (var second in all)
                    {
                        if (SymbolEqualityComparer.Default.Equals(first.Outer, second.Inner) &&
                            SymbolEqualityComparer.Default.Equals(first.Inner, second.Outer) &&
                            reported.Add(first.Location))
                        {
                            c.ReportDiagnostic(Diagnostic.Create(OrderThroughCallRule, first.Location, first.Through!.Name, first.Inner.Name, first.Outer.Name, second.Method.Name));
                        }
                    }
                }

                // A nested lock statement whose opposite order is only reached through a call.
                foreach (var first in list)
                {
                    foreach (var second in throughCalls)
                    {
                        if (SymbolEqualityComparer.Default.Equals(first.Outer, second.Inner) &&
                            SymbolEqualityComparer.Default.Equals(first.Inner, second.Outer) &&
                            reported.Add(first.Location))
                        {
                            c.ReportDiagnostic(Diagnostic.Create(OrderRule, first.Location, first.Inner.Name, first.Outer.Name, second.Method.Name));
                        }
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

        IEnumerable<ISymbol> LocksTakenBy(IMethodSymbol callee)
        {
            if (statementLocks.TryGetValue(callee, out var keys))
            {
                foreach (var key in keys)
                {
                    yield return key;
                }
            }

            if (summaries.TryGetValue(callee, out var summary) && summary.Blocking is { } blocking)
            {
                foreach (var held in blocking)
                {
                    if (held.Key is not null)
                    {
                        yield return held.Key;
                    }
                }
            }
        }

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

    /// <summary>
    /// Lexical, lock statements only: the own-field locks <paramref name="method"/> takes in its own body (not in lambdas or
    /// local functions, which may run elsewhere), and its calls to other methods of <paramref name="type"/> made inside a
    /// lock statement's body of the same function, with every such lock held.
    /// </summary>
    private static void RecordLockStatements(
        IOperation root,
        IMethodSymbol method,
        INamedTypeSymbol type,
        LockedMap<IMethodSymbol, List<ISymbol>> statementLocks,
        LockedBag<(IMethodSymbol Callee, List<ISymbol> Held, Location Location, ISymbol Caller)> callsUnderLock)
    {
        List<ISymbol>? taken = null;
        foreach (var operation in root.EnumerateDescendants())
        {
            if (operation.Kind == OperationKind.Lock)
            {
                if (OwnFieldKey(((ILockOperation)operation).LockedValue) is { } key && !operation.IsInNestedFunction())
                {
                    (taken ??= new List<ISymbol>()).Add(key);
                }
            }
            else if (operation.Kind == OperationKind.Invocation &&
                     operation is IInvocationOperation { TargetMethod: var callee } call &&
                     call.Instance is null or IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } &&
                     callee.MethodKind == MethodKind.Ordinary && !callee.IsVirtual && !callee.IsAbstract && !callee.IsOverride &&
                     SymbolEqualityComparer.Default.Equals(callee.ContainingType?.OriginalDefinition, type.OriginalDefinition) &&
                     !SymbolEqualityComparer.Default.Equals(callee.OriginalDefinition, method.OriginalDefinition))
            {
                List<ISymbol>? held = null;
                IOperation child = call;
                for (var parent = call.Parent; parent is not null; child = parent, parent = parent.Parent)
                {
                    if (parent is IAnonymousFunctionOperation or ILocalFunctionOperation)
                    {
                        break;
                    }

                    if (parent is ILockOperation lockStatement && ReferenceEquals(lockStatement.Body, child) &&
                        OwnFieldKey(lockStatement.LockedValue) is { } key)
                    {
                        (held ??= new List<ISymbol>()).Add(key);
                    }
                }

                if (held is not null)
                {
                    callsUnderLock.Add((callee.OriginalDefinition, held, TaskBlocking.ReportLocation(call), method));
                }
            }
        }

        if (taken is not null)
        {
            statementLocks.TryAdd(method.OriginalDefinition, taken);
        }
    }

    /// <summary>The field a lock statement locks when it is a static field or an instance field of <c>this</c>; null otherwise.</summary>
    private static ISymbol? OwnFieldKey(IOperation lockedValue)
        => lockedValue.WalkDownConversions() is IFieldReferenceOperation field &&
           (field.Field.IsStatic || field.Instance is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance })
            ? field.Field.OriginalDefinition
            : null;

    // Nesting needs two acquisitions; a call under a lock needs a primitive that cannot be re-entered and a call to a
    // method of this type. Most bodies that lock have neither, and get no flow graph.
    private static bool NeedsFlow(IOperation root, LockScan scan, INamedTypeSymbol type)
        => scan.HasLockApiCall
            ? scan.Acquisitions >= 2 || (scan.HasNonReentrantAcquire && CallsOwnMethod(root, scan, type))
            : scan.HasNestedLockStatement;

    /// <summary>
    /// When the only bodies of the block that need the flow (<see cref="NeedsFlow"/>) are there for the calls made under
    /// their lock: the methods of <paramref name="type"/> they call (a superset of the calls the flow records). Null
    /// when some body needs the flow for more, or may call a method of the type that its tree does not show (the graph
    /// calls <c>GetEnumerator</c>, <c>Dispose</c>... for a <c>foreach</c> or a <c>using</c>), or none needs it.
    /// </summary>
    /// <remarks>
    /// With one acquisition in a body (and no <c>lock</c> statement) no lock is held at it on every path: its function's
    /// graph starts with nothing held, and so does every lambda's and local function's. So the flow records no nesting
    /// and no re-entry there, only calls of the type's methods under the lock, and such a call is reported only when its
    /// callee has a summary (<see cref="Acquired"/>): whether one does is known at the type's end, and it seldom does.
    /// </remarks>
    private static List<IMethodSymbol>? CallsOnlyFlow(OperationBlockAnalysisContext context, KnownTypes types, INamedTypeSymbol type)
    {
        List<IMethodSymbol>? callees = null;
        foreach (var (_, root) in LockFlow.Bodies(context))
        {
            var scan = LockScan.For(root, types);
            if (!scan.HasAnyLock || !scan.HasLockApiCall || scan.Acquisitions >= 2)
            {
                if (scan.HasAnyLock && NeedsFlow(root, scan, type))
                {
                    return null;
                }

                continue;
            }

            if (!scan.HasNonReentrantAcquire)
            {
                continue;
            }

            foreach (var operation in root.EnumerateDescendants())
            {
                switch (operation.Kind)
                {
                    case OperationKind.Invocation:
                        if (IsOwnCall((IInvocationOperation)operation, type))
                        {
                            (callees ??= new List<IMethodSymbol>()).Add(((IInvocationOperation)operation).TargetMethod.OriginalDefinition);
                        }

                        break;
                    case OperationKind.Loop when operation is IForEachLoopOperation:
                    case OperationKind.Using:
                    case OperationKind.UsingDeclaration:
                    case OperationKind.InterpolatedString:
                    case OperationKind.DeconstructionAssignment:
                    case OperationKind.ImplicitIndexerReference:
                    case OperationKind.None:
                        return null;
                }
            }
        }

        return callees;
    }

    // Asked only of a body that calls a lock API (NeedsFlow), where AnyUnderLock asks every call: it reads the calls
    // from the scan's list of the body's candidates instead of walking the body again.
    private static bool CallsOwnMethod(IOperation root, LockScan scan, INamedTypeSymbol type)
        => LockFlow.AnyUnderLock(root, scan, operation => operation.Kind == OperationKind.Invocation && IsOwnCall((IInvocationOperation)operation, type));

    /// <summary>A call of a method of <paramref name="type"/> on this instance (or a static one).</summary>
    private static bool IsOwnCall(IInvocationOperation invocation, INamedTypeSymbol type)
        => invocation.TargetMethod.ContainingType is { } containing &&
           invocation.Instance is null or IInstanceReferenceOperation &&
           SymbolEqualityComparer.Default.Equals(containing.OriginalDefinition, type.OriginalDefinition);

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
            // The body's lock API calls, as the scan listed them: the block's own are those under it.
            if (LockScan.For(block.GetRoot(), types).LockCalls is not { } lockCalls)
            {
                continue;
            }

            // Pre-order is source order here: a try body's release comes before its finally's re-acquisition.
            foreach (var (invocation, call) in lockCalls)
            {
                if (!invocation.IsWithin(block))
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
