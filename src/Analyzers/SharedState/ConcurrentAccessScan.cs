using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.SharedState;

/// <summary>
/// Per type (symbol start to symbol end): candidate unsynchronized updates found by a rule, every reference to the
/// variables they touch (with the concurrent function each reference runs in), the variables handed to
/// <c>Interlocked</c>/<c>Volatile</c>, and the methods of the type that are started concurrently with themselves.
/// At symbol end a candidate is reported when the update really races: its function runs with siblings, is started
/// repeatedly, or the variable is also used by other code that runs at the same time.
/// </summary>
internal sealed class ConcurrentAccessScan
{
    private readonly KnownTypes _types;
    private readonly bool _enumerationRaces;
    private readonly ConcurrentContexts.Cache _cache = new();
    private readonly LockedBag<Candidate> _candidates = new();
    private readonly TypeBodies _bodies;
    // What the end needs to know, filled by the one walk of the type's bodies (TypeBodies.Walk) when this scan has candidates.
    private Facts? _facts;

    private ConcurrentAccessScan(KnownTypes types, bool enumerationRaces, SymbolStartAnalysisContext context)
    {
        _types = types;
        _enumerationRaces = enumerationRaces;
        _bodies = TypeBodies.For(context);
        _bodies.Add(this);
    }

    /// <summary>
    /// The member bodies of one type (each operation tree's root, with the member that owns it), recorded once per
    /// symbol start for every scan registered on it: the host hands CONC301, CONC302 and CONC307 the same symbol-start
    /// context, so one block action records the bodies for the three (a rule run on its own gets a recording of its
    /// own). Their references, calls and method groups are read at the end, in one walk that feeds every scan with a
    /// candidate, and only when one has one: most types have none, so most bodies cost one enqueue and nothing else.
    /// CONC306 reads the same recording for the writes of the flags its busy loops poll.
    /// </summary>
    internal sealed class TypeBodies
    {
        private static readonly ConditionalWeakTable<SymbolStartAnalysisContext, TypeBodies> Recordings = new();
        // One entry per callback: the roots are found at the end, and only in a type where a scan has a candidate.
        private readonly LockedBag<(ImmutableArray<IOperation> Blocks, ISymbol Owner)> _bodies = new();
        private readonly List<ConcurrentAccessScan> _scans = new();
        private bool _walked;

        public static TypeBodies For(SymbolStartAnalysisContext context)
            => Recordings.GetOrComputePerSymbolStart(context, 0, static (c, _) => RegisterNew(c));

        private static TypeBodies RegisterNew(SymbolStartAnalysisContext context)
        {
            var recording = new TypeBodies();
            context.RegisterOperationBlockAction(c => recording._bodies.Add((c.OperationBlocks, c.OwningSymbol)));
            return recording;
        }

        /// <summary>The recorded bodies, each root once, with the member that owns it. Call at symbol end.</summary>
        public IEnumerable<(IOperation Root, ISymbol Owner)> Unique()
        {
            var seen = new HashSet<IOperation>();
            foreach (var (blocks, owner) in _bodies)
            {
                foreach (var block in blocks)
                {
                    var root = block.GetRoot();
                    if (seen.Add(root))
                    {
                        yield return (root, owner);
                    }
                }
            }
        }

        public void Add(ConcurrentAccessScan scan)
        {
            lock (_scans)
            {
                _scans.Add(scan);
            }
        }

        /// <summary>
        /// Fills the facts of every scan that has candidates, in one walk of the bodies (at the first end that asks;
        /// all the type's candidates are known by then). Each scan's facts are what a walk of its own would give.
        /// </summary>
        public void Walk()
        {
            lock (_scans)
            {
                if (_walked)
                {
                    return;
                }

                var active = new List<(ConcurrentAccessScan Scan, Facts Facts, bool TracksLocals)>(_scans.Count);
                foreach (var scan in _scans)
                {
                    if (!scan._candidates.IsEmpty)
                    {
                        var facts = scan.StartFacts(out var tracksLocals);
                        active.Add((scan, facts, tracksLocals));
                    }
                }

                foreach (var (root, owner) in Unique())
                {
                    var inConstructor = owner is IMethodSymbol { MethodKind: MethodKind.Constructor or MethodKind.StaticConstructor } ||
                                        owner is IFieldSymbol or IPropertySymbol;
                    foreach (var operation in root.EnumerateDescendantsAndSelf())
                    {
                        // By kind first (one call, where a type test walks the node's interfaces).
                        if (operation.Kind is OperationKind.LocalReference or OperationKind.ParameterReference or OperationKind.FieldReference or
                            OperationKind.Invocation or OperationKind.MethodReference)
                        {
                            foreach (var (scan, facts, tracksLocals) in active)
                            {
                                scan.Visit(facts, tracksLocals, operation, owner, inConstructor);
                            }
                        }
                    }
                }

                foreach (var (scan, facts, _) in active)
                {
                    FinishFacts(facts);
                    scan._facts = facts;
                }

                _walked = true;
            }
        }
    }

    /// <summary>A possible race found by a rule: <paramref name="Operation"/> updates <paramref name="Variable"/> without a lock.</summary>
    private sealed class Candidate
    {
        public Candidate(IOperation operation, ISymbol variable, ConcurrentContext? context, IOperation? methodBody, IMethodSymbol? method, Func<ConcurrentContext?, ConcurrentContext?, Diagnostic> create)
        {
            Operation = operation;
            Variable = variable;
            Context = context;
            MethodBody = methodBody;
            Method = method;
            Create = create;
        }

        public IOperation Operation { get; }

        public ISymbol Variable { get; }

        public ConcurrentContext? Context { get; }

        public IOperation? MethodBody { get; }

        public IMethodSymbol? Method { get; }

        /// <summary>
        /// Makes the diagnostic (with <see cref="Context"/>, and the detached work that enumerates the variable when
        /// that is what the update races with): only for the candidates reported.
        /// </summary>
        public Func<ConcurrentContext?, ConcurrentContext?, Diagnostic> Create { get; }
    }

    private readonly struct Use
    {
        public Use(IOperation? function, ConcurrentContext? context, bool inConstructor, ISymbol? owner)
        {
            Function = function;
            Context = context;
            InConstructor = inConstructor;
            Owner = owner;
        }

        /// <summary>The member whose body holds the use (recorded for fields).</summary>
        public ISymbol? Owner { get; }

        public IOperation? Function { get; }

        public ConcurrentContext? Context { get; }

        public bool InConstructor { get; }
    }

    private sealed class Facts
    {
        public Dictionary<ISymbol, List<Use>> Uses { get; } = new(SymbolEqualityComparer.Default);

        public HashSet<ISymbol> Atomic { get; } = new(SymbolEqualityComparer.Default);

        public HashSet<IMethodSymbol> ConcurrentMethods { get; } = new(SymbolEqualityComparer.Default);

        /// <summary>
        /// The methods (original definitions) of the candidates outside concurrent functions: the only ones whose
        /// place in <see cref="ConcurrentMethods"/> is asked about.
        /// </summary>
        public HashSet<IMethodSymbol> CandidateMethods { get; } = new(SymbolEqualityComparer.Default);

        /// <summary>Per variable, the first detached work (by its start's location) that enumerates it with no lock held.</summary>
        public Dictionary<ISymbol, ConcurrentContext> Enumerated { get; } = new(SymbolEqualityComparer.Default);

        /// <summary>Whether a candidate could race with a walk (see <see cref="EnumeratingWork"/>): only then are walks looked for.</summary>
        public bool WantsWalks { get; set; }

        /// <summary>Whether a candidate is in a private method that detached work may run whole: only then are such methods looked for.</summary>
        public bool WantsDetachedMethods { get; set; }

        /// <summary>Whether <see cref="DetachedMethods"/> is filled.</summary>
        public bool FindsDetachedMethods => WantsWalks || WantsDetachedMethods;

        /// <summary>Methods of the type run whole as detached work (<c>new Timer(OnTick, ...)</c>, <c>Task.Run(() => Publish(m))</c>), with that work.</summary>
        public Dictionary<IMethodSymbol, ConcurrentContext> DetachedMethods { get; } = new(SymbolEqualityComparer.Default);

        /// <summary>Unlocked <c>foreach</c> walks of a variable in a method's own body, outside any concurrent function.</summary>
        public List<(ISymbol Variable, IMethodSymbol Walker)> MethodWalks { get; } = new();
    }

    /// <summary>
    /// Registers the scan for one type. <paramref name="find"/> is called for every operation of the kinds given and
    /// returns a diagnostic (and the shared variable) for an unsynchronized update, or null.
    /// </summary>
    public static void Register(
        SymbolStartAnalysisContext context,
        KnownTypes types,
        Func<IOperation, ConcurrentAccessScan, (ISymbol Variable, Func<ConcurrentContext?, Diagnostic> Create)?> find,
        params OperationKind[] kinds)
        => Register(context, types, find, null, kinds);

    /// <summary>
    /// <see cref="Register(SymbolStartAnalysisContext, KnownTypes, Func{IOperation, ConcurrentAccessScan, ValueTuple{ISymbol, Func{ConcurrentContext?, Diagnostic}}?}, OperationKind[])"/>,
    /// where the same callback also runs <paramref name="before"/> (a question of the rule's own about the same
    /// operations): one callback per operation for both, not one from the type and one from the compilation.
    /// </summary>
    public static void Register(
        SymbolStartAnalysisContext context,
        KnownTypes types,
        Func<IOperation, ConcurrentAccessScan, (ISymbol Variable, Func<ConcurrentContext?, Diagnostic> Create)?> find,
        Action<OperationAnalysisContext>? before,
        params OperationKind[] kinds)
        => RegisterCore(
            context,
            new ConcurrentAccessScan(types, enumerationRaces: false, context),
            (operation, scan) => find(operation, scan) is { } found
                ? (found.Variable, (own, _) => found.Create(own))
                : null,
            kinds,
            before);

    /// <summary>
    /// <see cref="Register"/>, where an update of a field in a method that callers outside the type can call at any time
    /// also races with a <c>foreach</c> over the field in detached work of the type (a handler list that
    /// <c>Subscribe</c> changes while a timer callback walks it): <paramref name="find"/>'s diagnostic is then made
    /// with that work as its second argument. <paramref name="find"/> is called for the calls of methods named in
    /// <paramref name="invocationNames"/> (routed by name) and for the property references written to (the target of
    /// an assignment, compound or <c>??=</c> assignment, increment or decrement: <c>dict[key] = value</c>), those only in
    /// a type whose text has a <c>[</c>: it must find nothing but an indexer's write there.
    /// </summary>
    public static void RegisterWithEnumerations(
        SymbolStartAnalysisContext context,
        KnownTypes types,
        Func<IOperation, ConcurrentAccessScan, (ISymbol Variable, Func<ConcurrentContext?, ConcurrentContext?, Diagnostic> Create)?> find,
        ImmutableHashSet<string> invocationNames)
    {
        var scan = new ConcurrentAccessScan(types, enumerationRaces: true, context);
        context.RegisterInvocationAction(c => scan.Find(c, c.Operation, find), invocationNames);

        // From the writes rather than from every property reference: there are fewer of them, and a property reference
        // is written to only as one's direct target. Only an indexer's write can be found (`dict[key] = value`), and an
        // element access is always written with a bracket: a type whose text has none (about half) gets no callback.
        if (SourceMentions.Any(context.Symbol, IndexerBracket))
        {
            context.RegisterOperationAction(
                c =>
                {
                    // By kind (one call, where a failed type test walks the node's interfaces).
                    var operation = c.Operation;
                    var target = operation.Kind is OperationKind.Increment or OperationKind.Decrement
                        ? ((IIncrementOrDecrementOperation)operation).Target
                        : ((IAssignmentOperation)operation).Target; // simple, compound and ??= assignments
                    if (target.Kind == OperationKind.PropertyReference)
                    {
                        scan.Find(c, target, find);
                    }
                },
                OperationKind.SimpleAssignment,
                OperationKind.CompoundAssignment,
                OperationKind.CoalesceAssignment,
                OperationKind.Increment,
                OperationKind.Decrement);
        }

        RegisterCore(context, scan, find, Array.Empty<OperationKind>());
    }

    /// <summary>Any <c>[</c> in the text (an element access, an attribute, an array type or a comment).</summary>
    private static readonly NameSet IndexerBracket = new NameSet(Array.Empty<string>()).OrContaining("[");

    private void Find(
        OperationAnalysisContext context,
        IOperation operation,
        Func<IOperation, ConcurrentAccessScan, (ISymbol Variable, Func<ConcurrentContext?, ConcurrentContext?, Diagnostic> Create)?> find)
    {
        if (find(operation, this) is { } found)
        {
            AddCandidate(operation, found.Variable, context.ContainingSymbol as IMethodSymbol, found.Create);
        }
    }

    private static void RegisterCore(
        SymbolStartAnalysisContext context,
        ConcurrentAccessScan scan,
        Func<IOperation, ConcurrentAccessScan, (ISymbol Variable, Func<ConcurrentContext?, ConcurrentContext?, Diagnostic> Create)?> find,
        OperationKind[] kinds,
        Action<OperationAnalysisContext>? before = null)
    {
        if (before is not null)
        {
            context.RegisterOperationAction(
                c =>
                {
                    before(c);
                    scan.Find(c, c.Operation, find);
                },
                kinds);
        }
        else if (kinds.Length > 0)
        {
            context.RegisterOperationAction(c => scan.Find(c, c.Operation, find), kinds);
        }

        context.RegisterSymbolEndAction(c => scan.Report(c));
    }

    public KnownTypes Types => _types;

    /// <summary>
    /// Whether an update of <paramref name="variable"/> at <paramref name="operation"/> can become a candidate at all:
    /// a local or parameter only in a lambda or local function (outside one, no concurrent function encloses it, and
    /// only fields are followed there). Lets a rule skip making its diagnostic's factory for a loop's <c>i++</c>.
    /// </summary>
    public static bool MayBeCandidate(IOperation operation, ISymbol variable)
    {
        if (variable is IFieldSymbol)
        {
            return true;
        }

        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current.Kind is OperationKind.AnonymousFunction or OperationKind.LocalFunction)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The concurrent function the operation runs in, if any (a local function called only from one concurrent lambda runs in it).</summary>
    public ConcurrentContext? EnclosingContext(IOperation operation) => ConcurrentContexts.FindEnclosingThroughCallers(operation, _types, _cache);

    private void AddCandidate(IOperation operation, ISymbol variable, IMethodSymbol? method, Func<ConcurrentContext?, ConcurrentContext?, Diagnostic> create)
    {
        var context = EnclosingContext(operation);
        if (context is not null)
        {
            if (SharedStateFacts.IsDeclaredInside(variable, context.Function) ||
                !SharedStateFacts.IsInConcurrentPart(operation, context) ||
                SharedStateFacts.IsProtected(operation, _types, context.Function))
            {
                return;
            }

            _candidates.Enqueue(new Candidate(operation, variable, context, null, method, create));
            return;
        }

        // Not in a concurrent lambda: only fields in a method of this type that may be started concurrently (decided at the end).
        if (variable is IFieldSymbol && method is not null && Root(operation) is { } body &&
            !SharedStateFacts.IsProtected(operation, _types, null))
        {
            _candidates.Enqueue(new Candidate(operation, variable, null, body, method, create));
        }
    }

    /// <summary>
    /// What the end needs to know about the candidates' variables, from one walk of the type's bodies: every use
    /// (with the concurrent function it runs in), the variables also handed to <c>Interlocked</c>/<c>Volatile</c>, and
    /// the methods of the type that are started concurrently with themselves. Started here, filled by
    /// <see cref="Visit"/> for each operation of the walk, finished by <see cref="FinishFacts"/>.
    /// </summary>
    private Facts StartFacts(out bool tracksLocals)
    {
        var facts = new Facts();
        tracksLocals = false;
        foreach (var candidate in _candidates)
        {
            facts.Uses[candidate.Variable] = new List<Use>();
            tracksLocals |= candidate.Variable is not IFieldSymbol;
            if (candidate.Context is null && candidate.Method is { } method)
            {
                facts.CandidateMethods.Add(method.OriginalDefinition);
            }

            facts.WantsWalks |= _enumerationRaces && candidate.Context is null && candidate.Variable is IFieldSymbol && MayRaceWithWalks(candidate);
            facts.WantsDetachedMethods |= candidate.Context is null && candidate.Variable is IFieldSymbol && IsPrivateMethod(candidate);
        }

        return facts;
    }

    /// <summary>
    /// One operation of the walk. Locals and parameters only when a candidate changes one (a candidate outside
    /// concurrent code is always a field).
    /// </summary>
    private void Visit(Facts facts, bool tracksLocals, IOperation operation, ISymbol owner, bool inConstructor)
    {
        switch (operation.Kind)
        {
            case OperationKind.LocalReference when tracksLocals:
                RecordUse(facts, operation, ((ILocalReferenceOperation)operation).Local, inConstructor);
                break;
            case OperationKind.ParameterReference when tracksLocals:
                RecordUse(facts, operation, ((IParameterReferenceOperation)operation).Parameter, inConstructor);
                break;
            case OperationKind.FieldReference:
                RecordUse(facts, operation, ((IFieldReferenceOperation)operation).Field, inConstructor, owner);
                break;
            case OperationKind.Invocation:
                RecordCall(facts, (IInvocationOperation)operation, owner);
                break;
            case OperationKind.MethodReference:
                RecordMethodReference(facts, (IMethodReferenceOperation)operation, owner);
                break;
        }
    }

    private static void FinishFacts(Facts facts)
    {
        // A walk in a method that detached work runs (a timer callback method, a method a Task.Run lambda calls).
        foreach (var (variable, walker) in facts.MethodWalks)
        {
            if (facts.DetachedMethods.TryGetValue(walker, out var work))
            {
                AddEnumerated(facts, variable, work);
            }
        }
    }

    private static void AddEnumerated(Facts facts, ISymbol variable, ConcurrentContext work)
    {
        if (!facts.Enumerated.TryGetValue(variable, out var first) ||
            SourceOrder.Compare(work.Origin.Syntax.GetLocation(), first.Origin.Syntax.GetLocation()) < 0)
        {
            facts.Enumerated[variable] = work;
        }
    }

    /// <summary>Detached work that is not awaited at once and runs on the thread pool (no explicit scheduler).</summary>
    private static bool IsFreeRunning(ConcurrentContext work)
        => work.IsDetached && !IsJoinedAtOnce(work) && !HasExplicitScheduler(work);

    /// <summary>A method of <paramref name="owner"/>'s type, on this instance or static, that can be run whole as detached work.</summary>
    private static bool IsOwnMethod(IMethodSymbol method, IOperation? instance, ISymbol owner)
        => method.MethodKind == MethodKind.Ordinary && !method.IsAbstract &&
           instance is null or IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } &&
           SymbolEqualityComparer.Default.Equals(method.ContainingType?.OriginalDefinition, owner.ContainingType?.OriginalDefinition);

    private static void AddDetachedMethod(Facts facts, IMethodSymbol method, ConcurrentContext work)
    {
        var key = method.OriginalDefinition;
        if (!facts.DetachedMethods.TryGetValue(key, out var first) ||
            SourceOrder.Compare(work.Origin.Syntax.GetLocation(), first.Origin.Syntax.GetLocation()) < 0)
        {
            facts.DetachedMethods[key] = work;
        }
    }

    /// <summary>The reference is the collection a synchronous <c>foreach</c> walks.</summary>
    private static bool IsWalkedWithForEach(IOperation reference)
        => reference.WalkUpConversions() is IForEachLoopOperation { IsAsynchronous: false } loop &&
           ReferenceEquals(loop.Collection.WalkDownConversions(), reference);

    private void RecordUse(Facts facts, IOperation operation, ISymbol variable, bool inConstructor, ISymbol? owner = null)
    {
        if (!facts.Uses.TryGetValue(variable, out var list))
        {
            return;
        }

        if (IsPassedToAtomicApi(operation))
        {
            facts.Atomic.Add(variable);
        }

        var context = EnclosingContext(operation);
        list.Add(new Use(context?.Runner, context, inConstructor, owner));
        if (!facts.WantsWalks || variable is not IFieldSymbol || !IsWalkedWithForEach(operation))
        {
            return;
        }

        if (context is not null)
        {
            if (IsFreeRunning(context) && SharedStateFacts.IsInConcurrentPart(operation, context) &&
                !SharedStateFacts.IsProtected(operation, _types, context.Function))
            {
                AddEnumerated(facts, variable, context);
            }
        }
        else if (owner is IMethodSymbol { MethodKind: MethodKind.Ordinary } walker && !operation.IsInNestedFunction() &&
                 !SharedStateFacts.IsProtected(operation, _types, null))
        {
            facts.MethodWalks.Add((variable, walker.OriginalDefinition));
        }
    }

    /// <summary><c>Interlocked.X(ref v, ..)</c>, <c>Volatile.Read/Write(ref v)</c>, <c>ImmutableInterlocked.X(ref v, ..)</c>.</summary>
    private bool IsPassedToAtomicApi(IOperation reference)
    {
        if (reference.Parent is not IArgumentOperation { Parent: IInvocationOperation invocation } argument ||
            argument.Parameter?.RefKind is not (RefKind.Ref or RefKind.Out or RefKind.In or RefKind.RefReadOnlyParameter))
        {
            return false;
        }

        var type = invocation.TargetMethod.ContainingType;
        return type.Is(_types.Interlocked) || type.Is(_types.Volatile) ||
               type?.Name == "ImmutableInterlocked";
    }

    private void RecordCall(Facts facts, IInvocationOperation call, ISymbol owner)
    {
        var method = call.TargetMethod.OriginalDefinition;
        if (method.MethodKind == MethodKind.Ordinary && facts.CandidateMethods.Contains(method) &&
            method.Locations.Length > 0 && method.Locations[0].IsInSource &&
            ConcurrentContexts.ClassifyAsyncMethodCall(call, _types) == SpawnKind.ConcurrentStart)
        {
            facts.ConcurrentMethods.Add(method);
        }

        // `new Timer(_ => Publish("tick"))`: the method runs as the lambda's work.
        if (facts.FindsDetachedMethods && IsOwnMethod(call.TargetMethod, call.Instance, owner) &&
            EnclosingContext(call) is { } work && IsFreeRunning(work) && SharedStateFacts.IsInConcurrentPart(call, work) &&
            !SharedStateFacts.IsProtected(call, _types, work.Function))
        {
            AddDetachedMethod(facts, method, work);
        }
    }

    /// <summary><c>Parallel.ForEach(items, Process)</c>: the method's whole body runs with its siblings.</summary>
    private void RecordMethodReference(Facts facts, IMethodReferenceOperation reference, ISymbol owner)
    {
        // Only a candidate's method is asked about as concurrent, and detached methods only when a candidate wants them.
        if ((!facts.FindsDetachedMethods && !facts.CandidateMethods.Contains(reference.Method.OriginalDefinition)) ||
            ConcurrentContexts.Classify(reference, _types) is not { } context)
        {
            return;
        }

        if (SharedStateFacts.RunsWithSiblings(context))
        {
            facts.ConcurrentMethods.Add(reference.Method.OriginalDefinition);
        }

        // `new Timer(OnTick, ...)`, `Task.Run(Publish)`: the method runs whole as detached work.
        if (facts.FindsDetachedMethods && IsOwnMethod(reference.Method, reference.Instance, owner) && IsFreeRunning(context))
        {
            AddDetachedMethod(facts, reference.Method, context);
        }
    }

    private void Report(SymbolAnalysisContext context)
    {
        if (_candidates.IsEmpty)
        {
            return;
        }

        _bodies.Walk();
        var facts = _facts!;
        foreach (var candidate in _candidates)
        {
            // A variable also updated with Interlocked/Volatile somewhere: that mix is CONC305's.
            if (facts.Atomic.Contains(candidate.Variable) || !Races(candidate, facts))
            {
                continue;
            }

            var work = candidate.Context ?? DetachedWorkThatRaces(candidate, facts);
            context.ReportDiagnostic(candidate.Create(work, work is null ? EnumeratingWork(candidate, facts) : null));
        }
    }

    private bool Races(Candidate candidate, Facts facts)
    {
        if (candidate.Context is null)
        {
            // A method of this type started concurrently with itself (WhenAll over its tasks, a Parallel method group),
            // or one the framework runs for every request at once (an action, a middleware, an endpoint handler lambda),
            // on a field its runs share; or a change that races with a walk of the field in detached work.
            return (candidate.Method is not null &&
                    ((facts.ConcurrentMethods.Contains(candidate.Method.OriginalDefinition) &&
                      (!candidate.Method.IsAsync || ConcurrentContexts.IsAfterFirstAwait(candidate.Operation, candidate.MethodBody!))) ||
                     (candidate.Variable is IFieldSymbol field &&
                      (RequestHandlers.SharesField(candidate.Method, field, _types) || RequestHandlers.RunsInEndpointHandler(candidate.Operation))))) ||
                   IsKeyedLockTable(candidate) ||
                   DetachedWorkThatRaces(candidate, facts) is not null ||
                   EnumeratingWork(candidate, facts) is not null;
        }

        var context = candidate.Context;
        if (SharedStateFacts.RunsWithSiblings(context))
        {
            return true;
        }

        if (IsJoinedAtOnce(context) || HasExplicitScheduler(context))
        {
            return false;
        }

        if (IsStartedRepeatedly(context, candidate.Variable))
        {
            return true;
        }

        // Used at the same time by other code: another concurrent function, or (for a field) another member.
        if (facts.Uses.TryGetValue(candidate.Variable, out var uses))
        {
            foreach (var use in uses)
            {
                if (use.InConstructor || ReferenceEquals(use.Function, context.Runner))
                {
                    continue;
                }

                if (use.Context is not null ? !IsJoinedAtOnce(use.Context) : candidate.Variable is IFieldSymbol)
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>A private ordinary method other than <c>Dispose</c>: one the type itself decides when to run.</summary>
    private static bool IsPrivateMethod(Candidate candidate)
        => candidate.Method is { MethodKind: MethodKind.Ordinary, DeclaredAccessibility: Accessibility.Private } method &&
           method.Name is not ("Dispose" or "DisposeAsync") && candidate.MethodBody is not null;

    /// <summary>
    /// The detached work that runs the candidate's private method whole (<c>new Timer(OnTick, ...)</c>,
    /// <c>new Timer(_ => Poll())</c>, <c>Task.Run(Pump)</c>), when the change races as it would in that work's own
    /// lambda: the work is started repeatedly, or another member (not a constructor, not work joined at once) uses the
    /// field too. Null otherwise.
    /// </summary>
    private static ConcurrentContext? DetachedWorkThatRaces(Candidate candidate, Facts facts)
    {
        if (!IsPrivateMethod(candidate) || candidate.Variable is not IFieldSymbol ||
            !facts.DetachedMethods.TryGetValue(candidate.Method!.OriginalDefinition, out var work))
        {
            return null;
        }

        if (IsStartedRepeatedly(work, candidate.Variable))
        {
            return work;
        }

        if (facts.Uses.TryGetValue(candidate.Variable, out var uses))
        {
            foreach (var use in uses)
            {
                // Uses in the method itself, in the lambda that runs it, or in another method the same work runs.
                if (use.InConstructor || ReferenceEquals(use.Function, work.Runner) ||
                    SymbolEqualityComparer.Default.Equals(use.Owner?.OriginalDefinition, candidate.Method.OriginalDefinition) ||
                    (use.Owner is IMethodSymbol owner && facts.DetachedMethods.TryGetValue(owner.OriginalDefinition, out var ownerWork) &&
                     ReferenceEquals(ownerWork.Origin, work.Origin)))
                {
                    continue;
                }

                if (use.Context is null || !IsJoinedAtOnce(use.Context))
                {
                    return work;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// A keyed async lock's table: a field of a collection of <c>SemaphoreSlim</c>s (<c>Dictionary&lt;string,
    /// SemaphoreSlim&gt;</c>) changed by a method (not a constructor) that also waits on or releases a semaphore. Such a
    /// lock exists only for callers that run at the same time, so they share the table: its unlocked lookup-then-add
    /// races with itself (<c>if (!_locks.TryGetValue(key, out var s)) _locks[key] = s = new(1, 1); await s.WaitAsync();</c>).
    /// Only collection changes are asked about, and the body is walked only for such a field.
    /// </summary>
    private bool IsKeyedLockTable(Candidate candidate)
    {
        if (candidate.Operation is not (IInvocationOperation or IPropertyReferenceOperation) ||
            candidate.Method is not { MethodKind: MethodKind.Ordinary } || candidate.MethodBody is not { } body ||
            candidate.Variable is not IFieldSymbol field || !SharedStateFacts.HoldsSemaphores(field.Type, _types) ||
            _types.SemaphoreSlim is not { } semaphore)
        {
            return false;
        }

        foreach (var operation in body.EnumerateDescendants())
        {
            if (operation is IInvocationOperation { TargetMethod.Name: "Wait" or "WaitAsync" or "Release" } call &&
                SymbolEqualityComparer.Default.Equals(call.TargetMethod.ContainingType, semaphore))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The detached work that walks the candidate's field with <c>foreach</c>, unlocked, while the candidate (an
    /// unlocked update in a method that code outside the type can call at any time: not private, not a constructor,
    /// not <c>Dispose</c>) changes it; null when none. The method that starts that work is left out: there the update
    /// comes before the start.
    /// </summary>
    private static ConcurrentContext? EnumeratingWork(Candidate candidate, Facts facts)
    {
        if (!MayRaceWithWalks(candidate) ||
            !facts.Enumerated.TryGetValue(candidate.Variable, out var enumerating) ||
            candidate.MethodBody is not { } body || body.Syntax.Span.Contains(enumerating.Origin.Syntax.Span) ||
            IsStartedByLifecycleMethod(enumerating))
        {
            return null;
        }

        return enumerating;
    }

    /// <summary>The candidate is in a method callers outside the type can call at any time: not private, not a constructor, not <c>Dispose</c>.</summary>
    private static bool MayRaceWithWalks(Candidate candidate)
        => candidate.Method is { MethodKind: MethodKind.Ordinary } method &&
           method.DeclaredAccessibility is not (Accessibility.Private or Accessibility.NotApplicable) &&
           method.Name is not ("Dispose" or "DisposeAsync") &&
           candidate.MethodBody is not null;

    /// <summary>
    /// The work is started by a method named <c>Start…</c>, <c>Run…</c>, <c>Execute…</c> or <c>Init…</c>: the
    /// configure-then-start protocol (handlers registered first, the loop started once), not a race.
    /// </summary>
    private static bool IsStartedByLifecycleMethod(ConcurrentContext work)
    {
        for (var node = work.Origin.Syntax.Parent; node is not null; node = node.Parent)
        {
            if (node is Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax method)
            {
                var name = method.Identifier.ValueText;
                return name.StartsWith("Start", StringComparison.Ordinal) || name.StartsWith("Run", StringComparison.Ordinal) ||
                       name.StartsWith("Execute", StringComparison.Ordinal) || name.StartsWith("Init", StringComparison.Ordinal);
            }

            if (node is Microsoft.CodeAnalysis.CSharp.Syntax.MemberDeclarationSyntax)
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>
    /// <c>ContinueWith(..., TaskScheduler.FromCurrentSynchronizationContext())</c>, <c>StartNew(..., exclusiveScheduler)</c>:
    /// the scheduler may run the work on one thread (a UI thread, an exclusive scheduler), so it is not known to race.
    /// </summary>
    private static bool HasExplicitScheduler(ConcurrentContext context)
    {
        if (context.Origin is not IInvocationOperation invocation)
        {
            return false;
        }

        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter?.Type is { Name: "TaskScheduler" } && !argument.IsImplicit)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary><c>await Task.Run(...)</c>, <c>Task.Run(...).Wait()</c>: the caller waits right away, nothing runs beside it.</summary>
    private static bool IsJoinedAtOnce(ConcurrentContext context)
    {
        if (context.Kind is not (SpawnKind.TaskRun or SpawnKind.StartNew))
        {
            return false;
        }

        var parent = context.Origin.WalkUpConversionsAndConfigureAwait();
        return parent is IAwaitOperation ||
               parent is IInvocationOperation { TargetMethod.Name: "Wait" or "GetAwaiter" } ||
               parent is IPropertyReferenceOperation { Property.Name: "Result" };
    }

    /// <summary>
    /// The spawn itself runs more than once at a time (in a loop or a lambda of its method) and the variable is not a
    /// fresh one per repetition (a <c>foreach</c> variable or a local declared inside that loop).
    /// </summary>
    private static bool IsStartedRepeatedly(ConcurrentContext context, ISymbol variable)
    {
        for (var current = context.Origin.Parent; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case ILoopOperation:
                case IAnonymousFunctionOperation:
                    return !SharedStateFacts.IsDeclaredInside(variable, current);
                case ILocalFunctionOperation:
                    return false;
            }
        }

        return false;
    }

    private static IOperation? Root(IOperation operation)
    {
        var current = operation;
        while (current.Parent is not null)
        {
            current = current.Parent;
        }

        return current is IMethodBodyOperation or IBlockOperation ? current : null;
    }
}
