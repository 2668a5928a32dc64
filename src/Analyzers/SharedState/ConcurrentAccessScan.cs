using System;
using System.Collections.Generic;
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
    private readonly ConcurrentContexts.Cache _cache = new();
    private readonly LockedBag<Candidate> _candidates = new();
    // The member bodies of the type (each operation tree's root, with the member that owns it). Their references,
    // calls and method groups are read at the end, and only when a rule found a candidate: most types have none, so
    // most bodies cost one enqueue and nothing else.
    private readonly LockedBag<(IOperation Root, ISymbol Owner)> _bodies = new();

    private ConcurrentAccessScan(KnownTypes types) => _types = types;

    /// <summary>A possible race found by a rule: <paramref name="Operation"/> updates <paramref name="Variable"/> without a lock.</summary>
    private sealed class Candidate
    {
        public Candidate(IOperation operation, ISymbol variable, ConcurrentContext? context, IOperation? methodBody, IMethodSymbol? method, Func<ConcurrentContext?, Diagnostic> create)
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

        /// <summary>Makes the diagnostic (with <see cref="Context"/>): only for the candidates reported.</summary>
        public Func<ConcurrentContext?, Diagnostic> Create { get; }
    }

    private readonly struct Use
    {
        public Use(IOperation? function, ConcurrentContext? context, bool inConstructor)
        {
            Function = function;
            Context = context;
            InConstructor = inConstructor;
        }

        public IOperation? Function { get; }

        public ConcurrentContext? Context { get; }

        public bool InConstructor { get; }
    }

    private sealed class Facts
    {
        public Dictionary<ISymbol, List<Use>> Uses { get; } = new(SymbolEqualityComparer.Default);

        public HashSet<ISymbol> Atomic { get; } = new(SymbolEqualityComparer.Default);

        public HashSet<IMethodSymbol> ConcurrentMethods { get; } = new(SymbolEqualityComparer.Default);
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
    {
        var scan = new ConcurrentAccessScan(types);
        context.RegisterOperationBlockAction(c =>
        {
            foreach (var block in c.OperationBlocks)
            {
                scan._bodies.Add((block.GetRoot(), c.OwningSymbol));
            }
        });
        context.RegisterOperationAction(
            c =>
            {
                if (find(c.Operation, scan) is { } found)
                {
                    scan.AddCandidate(c.Operation, found.Variable, c.ContainingSymbol as IMethodSymbol, found.Create);
                }
            },
            kinds);
        context.RegisterSymbolEndAction(c => scan.Report(c));
    }

    public KnownTypes Types => _types;

    /// <summary>The concurrent function the operation runs in, if any (a local function called only from one concurrent lambda runs in it).</summary>
    public ConcurrentContext? EnclosingContext(IOperation operation) => ConcurrentContexts.FindEnclosingThroughCallers(operation, _types, _cache);

    private void AddCandidate(IOperation operation, ISymbol variable, IMethodSymbol? method, Func<ConcurrentContext?, Diagnostic> create)
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
    /// the methods of the type that are started concurrently with themselves.
    /// </summary>
    private Facts Collect()
    {
        var facts = new Facts();
        foreach (var candidate in _candidates)
        {
            facts.Uses[candidate.Variable] = new List<Use>();
        }

        var seen = new HashSet<IOperation>();
        foreach (var (root, owner) in _bodies)
        {
            if (!seen.Add(root))
            {
                continue;
            }

            var inConstructor = owner is IMethodSymbol { MethodKind: MethodKind.Constructor or MethodKind.StaticConstructor } ||
                                owner is IFieldSymbol or IPropertySymbol;
            foreach (var operation in root.EnumerateDescendantsAndSelf())
            {
                switch (operation)
                {
                    case ILocalReferenceOperation local:
                        RecordUse(facts, operation, local.Local, inConstructor);
                        break;
                    case IParameterReferenceOperation parameter:
                        RecordUse(facts, operation, parameter.Parameter, inConstructor);
                        break;
                    case IFieldReferenceOperation field:
                        RecordUse(facts, operation, field.Field, inConstructor);
                        break;
                    case IInvocationOperation call:
                        RecordCall(facts, call);
                        break;
                    case IMethodReferenceOperation reference:
                        RecordMethodReference(facts, reference);
                        break;
                }
            }
        }

        return facts;
    }

    private void RecordUse(Facts facts, IOperation operation, ISymbol variable, bool inConstructor)
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
        list.Add(new Use(context?.Runner, context, inConstructor));
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

    private void RecordCall(Facts facts, IInvocationOperation call)
    {
        var method = call.TargetMethod.OriginalDefinition;
        if (method.MethodKind == MethodKind.Ordinary && method.Locations.Length > 0 && method.Locations[0].IsInSource &&
            ConcurrentContexts.ClassifyAsyncMethodCall(call, _types) == SpawnKind.ConcurrentStart)
        {
            facts.ConcurrentMethods.Add(method);
        }
    }

    /// <summary><c>Parallel.ForEach(items, Process)</c>: the method's whole body runs with its siblings.</summary>
    private void RecordMethodReference(Facts facts, IMethodReferenceOperation reference)
    {
        if (ConcurrentContexts.Classify(reference, _types) is { } context && SharedStateFacts.RunsWithSiblings(context))
        {
            facts.ConcurrentMethods.Add(reference.Method.OriginalDefinition);
        }
    }

    private void Report(SymbolAnalysisContext context)
    {
        if (_candidates.IsEmpty)
        {
            return;
        }

        var facts = Collect();
        foreach (var candidate in _candidates)
        {
            // A variable also updated with Interlocked/Volatile somewhere: that mix is CONC305's.
            if (facts.Atomic.Contains(candidate.Variable) || !Races(candidate, facts))
            {
                continue;
            }

            context.ReportDiagnostic(candidate.Create(candidate.Context));
        }
    }

    private bool Races(Candidate candidate, Facts facts)
    {
        if (candidate.Context is null)
        {
            // A method of this type started concurrently with itself (WhenAll over its tasks, a Parallel method group),
            // or one the framework runs for every request at once (an action, a middleware, an endpoint handler lambda),
            // on a field its runs share.
            return candidate.Method is not null &&
                   ((facts.ConcurrentMethods.Contains(candidate.Method.OriginalDefinition) &&
                     (!candidate.Method.IsAsync || ConcurrentContexts.IsAfterFirstAwait(candidate.Operation, candidate.MethodBody!))) ||
                    (candidate.Variable is IFieldSymbol field &&
                     (RequestHandlers.SharesField(candidate.Method, field, _types) || RequestHandlers.RunsInEndpointHandler(candidate.Operation))));
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
