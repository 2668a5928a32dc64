using System.Collections.Immutable;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Coordination;

/// <summary>
/// CONC606: <c>CountdownEvent.AddCount/TryAddCount</c> or <c>Barrier.AddParticipant(s)</c> called inside the work
/// that Task.Run, StartNew, <c>new Thread</c>, <c>new Task</c> or the thread pool starts, on a counter the spawning
/// code then waits on: the wait can pass before the worker registers (Go: <c>wg.Add(1)</c> inside the goroutine).
/// </summary>
public sealed partial class CountdownRegisteredInWorkerAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property: present when the registration can be moved before the spawning statement.</summary>
    public const string HoistProperty = "Hoist";

    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        RuleIds.CountdownRegisteredInWorker,
        "Countdown or barrier registered inside the spawned work",
        "'{0}' registers with '{1}' inside the work started by {2}, so '{3}' can pass before it runs: register before starting the work",
        DiagnosticSeverity.Info,
        "A CountdownEvent or Barrier counts the work it waits for. When the work adds itself (AddCount, AddParticipant) " +
        "only once it runs, the waiting code can find the count already at zero, or the phase already complete, and go on " +
        "before the work has even started (Go: wg.Add inside the goroutine). Add the count before starting the work, or " +
        "collect the tasks and await Task.WhenAll.");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var types = KnownTypes.For(start.Compilation);
            if (types.CountdownEvent is null && types.Barrier is null)
            {
                return;
            }

            start.RegisterInvocationAction(c => Analyze(c, types), InvocationActions.Names("AddCount", "TryAddCount", "AddParticipant", "AddParticipants"));
        });
    }

    private static void Analyze(OperationAnalysisContext context, KnownTypes types)
    {
        var call = (IInvocationOperation)context.Operation;
        var type = call.TargetMethod.ContainingType;
        var isCountdown = type.Is(types.CountdownEvent) && call.TargetMethod.Name is "AddCount" or "TryAddCount";
        var isBarrier = !isCountdown && type.Is(types.Barrier) && call.TargetMethod.Name is "AddParticipant" or "AddParticipants";
        if ((!isCountdown && !isBarrier) || TargetKey(call.Instance) is not { } key)
        {
            return;
        }

        var worker = ConcurrentContexts.FindEnclosing(call, types);
        if (worker is null || !IsDetachedSpawn(worker) || key.IsDeclaredInside(worker.Function) ||
            StartsMoreWorkAfter(call, worker.Function, key, types))
        {
            return;
        }

        if (worker.Origin.GetEnclosingFunction() is not { } spawning ||
            FindWaitAfter(spawning, worker.Origin, key, isCountdown ? "Wait" : "SignalAndWait") is not { } wait ||
            IsPreRegistered(spawning, worker.Origin, key, types) ||
            !CanReachZeroBeforeRegistration(spawning, worker.Origin, key, isCountdown, types))
        {
            return;
        }

        var properties = CanHoist(call, worker)
            ? ImmutableDictionary<string, string?>.Empty.Add(HoistProperty, "true")
            : ImmutableDictionary<string, string?>.Empty;
        context.ReportDiagnostic(Diagnostic.Create(
            Rule, call.Syntax.GetLocation(), properties,
            call.Syntax.ToString(), key.Name, worker.Spawner, wait.Syntax.ToString()));
    }

    /// <summary>Work that runs on its own while the spawning code goes on (a Parallel loop returns only when its bodies have run).</summary>
    private static bool IsDetachedSpawn(ConcurrentContext worker)
        => worker.Kind is SpawnKind.TaskRun or SpawnKind.StartNew or SpawnKind.NewTask or SpawnKind.Thread or SpawnKind.ThreadPool &&
           worker.Origin.WalkUpConversions() is not IAwaitOperation;

    /// <summary>The counter's identity: a local, a parameter, or a field of this instance (or static).</summary>
    private static ISymbol? TargetKey(IOperation? instance) => instance?.WalkDownConversions() switch
    {
        ILocalReferenceOperation local => local.Local,
        IParameterReferenceOperation parameter => parameter.Parameter,
        IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field => field.Field,
        _ => null,
    };

    private static bool IsReferenceTo(IOperation? operation, ISymbol key)
        => SymbolEqualityComparer.Default.Equals(TargetKey(operation), key);

    /// <summary>
    /// After registering, the worker starts more work or hands the counter on: the count is for that child work, and
    /// the worker's own (pre-added) count keeps the waiter from passing meanwhile.
    /// </summary>
    private static bool StartsMoreWorkAfter(IInvocationOperation call, IOperation worker, ISymbol key, KnownTypes types)
    {
        var start = call.Syntax.Span.End;
        foreach (var operation in worker.EnumerateDescendants())
        {
            if (operation.Syntax.SpanStart < start)
            {
                continue;
            }

            switch (operation)
            {
                case IAnonymousFunctionOperation or ILocalFunctionOperation or IMethodReferenceOperation
                    when ConcurrentContexts.Classify(operation, types) is not null:
                    return true;
                case IArgumentOperation argument when IsReferenceTo(argument.Value, key):
                    return true;
            }
        }

        return false;
    }

    /// <summary>A wait on the counter in the spawning function, after the spawn.</summary>
    private static IInvocationOperation? FindWaitAfter(IOperation spawning, IOperation origin, ISymbol key, string waitName)
    {
        foreach (var operation in ConcurrentContexts.DescendantsInSameFunction(spawning))
        {
            if (operation is IInvocationOperation wait && wait.TargetMethod.Name == waitName &&
                wait.Syntax.SpanStart >= origin.Syntax.Span.End && IsReferenceTo(wait.Instance, key))
            {
                return wait;
            }
        }

        return null;
    }

    /// <summary>
    /// The spawning code registers on the counter itself before starting this work (with no other work started in
    /// between, which the registration would be for).
    /// </summary>
    private static bool IsPreRegistered(IOperation spawning, IOperation origin, ISymbol key, KnownTypes types)
    {
        foreach (var operation in ConcurrentContexts.DescendantsInSameFunction(spawning))
        {
            if (operation is IInvocationOperation add && add.Syntax.Span.End <= origin.Syntax.SpanStart &&
                IsRegistration(add, types) && IsReferenceTo(add.Instance, key) &&
                !StartsWorkBetween(spawning, add.Syntax.Span.End, origin.Syntax.SpanStart, types))
            {
                return true;
            }
        }

        return false;
    }

    private static bool StartsWorkBetween(IOperation spawning, int start, int end, KnownTypes types)
    {
        foreach (var operation in spawning.EnumerateDescendants())
        {
            if (operation is IAnonymousFunctionOperation or IMethodReferenceOperation &&
                operation.Syntax.SpanStart >= start && operation.Syntax.Span.End <= end &&
                ConcurrentContexts.Classify(operation, types) is not null)
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsRegistration(IInvocationOperation call, KnownTypes types)
    {
        var type = call.TargetMethod.ContainingType;
        return (type.Is(types.CountdownEvent) && call.TargetMethod.Name is "AddCount" or "TryAddCount") ||
               (type.Is(types.Barrier) && call.TargetMethod.Name is "AddParticipant" or "AddParticipants");
    }

    /// <summary>
    /// The count the spawning code starts with covers only itself: a countdown created with 0, or created with 1 and
    /// signalled by the spawning code after the spawn (its placeholder); a barrier created in the spawning function
    /// with 0 or 1 participant. A larger or unknown initial count may already include the worker: stay silent.
    /// </summary>
    private static bool CanReachZeroBeforeRegistration(IOperation spawning, IOperation origin, ISymbol key, bool isCountdown, KnownTypes types)
    {
        var initial = InitialCount(spawning, key, types);
        if (initial is not null && initial is not (0 or 1))
        {
            return false;
        }

        if (!isCountdown)
        {
            return initial is not null;
        }

        if (initial == 0)
        {
            return true;
        }

        foreach (var operation in ConcurrentContexts.DescendantsInSameFunction(spawning))
        {
            if (operation is IInvocationOperation { TargetMethod.Name: "Signal" } signal &&
                signal.Syntax.SpanStart >= origin.Syntax.Span.End && IsReferenceTo(signal.Instance, key))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The constant initial count of a local created in the spawning function; -1 when not constant; null when not visible.</summary>
    private static int? InitialCount(IOperation spawning, ISymbol key, KnownTypes types)
    {
        if (key is not ILocalSymbol local)
        {
            return null;
        }

        foreach (var operation in ConcurrentContexts.DescendantsInSameFunction(spawning))
        {
            if (operation is IVariableDeclaratorOperation declarator && SymbolEqualityComparer.Default.Equals(declarator.Symbol, local))
            {
                if (declarator.GetVariableInitializer()?.Value.WalkDownConversions() is not IObjectCreationOperation creation ||
                    !(creation.Type.Is(types.CountdownEvent) || creation.Type.Is(types.Barrier)))
                {
                    return null;
                }

                if (creation.Arguments.Length == 0)
                {
                    return -1;
                }

                var count = creation.Arguments[0].Value.WalkDownConversions();
                return count.ConstantValue is { HasValue: true, Value: int value } ? value : -1;
            }
        }

        return null;
    }
}
