using System.Collections.Generic;
using System.Collections.Immutable;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.SharedState;

/// <summary>
/// CONC304: a <c>for</c> loop variable, or a local declared outside a loop and written in it, captured by a lambda that
/// runs detached (Task.Run, StartNew, new Task, Thread, ThreadPool, timers, ContinueWith) and is not awaited within the
/// same iteration: by the time the work reads the variable, the loop has moved on.
/// </summary>
public sealed class LoopVariableCapturedAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property: the start position of the spawned lambda.</summary>
    public const string LambdaStartProperty = "LambdaStart";

    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        RuleIds.LoopVariableCaptured,
        "Loop variable captured by concurrent or deferred code",
        "'{0}' is shared by every iteration of the loop, and work started with {1} reads it later, when the loop may have changed it; copy it to a local inside the loop",
        DiagnosticSeverity.Warning,
        "A for loop has one variable for all its iterations, and so does a local declared outside a while/do loop. A " +
        "lambda started in the background captures the variable, not its value: it reads whatever the loop has made of " +
        "it by the time the work runs, typically the final value (and an out-of-range index). Copy the value to a local " +
        "declared inside the loop body and capture that. foreach variables are fresh per iteration since C# 5 and are " +
        "never reported.");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var types = KnownTypes.For(start.Compilation);
            if (types.Task is null)
            {
                return;
            }

            start.RegisterOperationAction(c => Analyze(c, types), OperationKind.AnonymousFunction);
        });
    }

    private static void Analyze(OperationAnalysisContext context, KnownTypes types)
    {
        var lambda = (IAnonymousFunctionOperation)context.Operation;
        if (lambda.GetEnclosingLoop() is null)
        {
            return; // no loop around the lambda shares a variable with it (most lambdas): not classified
        }

        var spawn = ConcurrentContexts.Classify(lambda, types);
        if (spawn is null || !IsDeferred(spawn) || IsJoinedAtOnce(spawn))
        {
            return;
        }

        // Each local once: the verdict depends on the local and the lambda only (a loop's body is walked per question),
        // and the first reference of a reported local is the one reported.
        var seen = new HashSet<ILocalSymbol>(SymbolEqualityComparer.Default);
        foreach (var operation in lambda.Body.EnumerateDescendants())
        {
            if (operation is not ILocalReferenceOperation reference ||
                !seen.Add(reference.Local) ||
                IsDeclaredInside(reference.Local, lambda))
            {
                continue;
            }

            if (LoopSharingTheVariable(reference.Local, lambda) is null)
            {
                continue;
            }

            if (IsWrittenInside(reference.Local, lambda.Body))
            {
                // The work itself updates the variable: a copy would change what it does. Another rule's business.
                continue;
            }

            // Where the spawned lambda starts travels in the properties: the fixer renames the captures inside it.
            var properties = ImmutableDictionary<string, string?>.Empty.Add(LambdaStartProperty, lambda.Syntax.SpanStart.ToString(System.Globalization.CultureInfo.InvariantCulture));
            context.ReportDiagnostic(Diagnostic.Create(Rule, reference.Syntax.GetLocation(), properties, reference.Local.Name, spawn.Spawner));
        }
    }

    /// <summary>Work that runs later than the statement that starts it (Parallel.* and PLINQ finish before the loop goes on).</summary>
    private static bool IsDeferred(ConcurrentContext spawn) => spawn.Kind is SpawnKind.TaskRun or SpawnKind.StartNew or SpawnKind.NewTask
        or SpawnKind.Thread or SpawnKind.ThreadPool or SpawnKind.Timer or SpawnKind.Continuation;

    /// <summary><c>await Task.Run(...)</c> or <c>Task.Run(...).Wait()</c>: the work ends before the loop goes on.</summary>
    private static bool IsJoinedAtOnce(ConcurrentContext spawn)
        => spawn.Origin is IInvocationOperation && TaskObservation.Classify(spawn.Origin) is TaskUse.Awaited or TaskUse.Blocked;

    private static bool IsDeclaredInside(ILocalSymbol local, IAnonymousFunctionOperation lambda)
    {
        foreach (var location in local.Locations)
        {
            if (lambda.Syntax.Span.Contains(location.SourceSpan))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The loop around <paramref name="lambda"/> that shares <paramref name="local"/> across iterations: a <c>for</c>
    /// loop declaring it, or any loop inside the variable's scope that writes it. Null when there is none.
    /// </summary>
    internal static ILoopOperation? LoopSharingTheVariable(ILocalSymbol local, IOperation lambda)
    {
        for (var current = lambda.Parent; current is not null; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return null;
            }

            if (current is not ILoopOperation loop)
            {
                continue;
            }

            if (loop.Locals.Contains(local))
            {
                // A for loop's own variable (foreach variables are per iteration; their Locals are not shared).
                return loop is IForLoopOperation ? loop : null;
            }

            if (IsDeclaredIn(local, loop))
            {
                // Declared inside this loop's body: a fresh variable per iteration.
                return null;
            }

            if (IsWrittenInside(local, loop, except: lambda))
            {
                return loop;
            }
        }

        return null;
    }

    private static bool IsDeclaredIn(ILocalSymbol local, ILoopOperation loop)
    {
        foreach (var location in local.Locations)
        {
            if (loop.Syntax.Span.Contains(location.SourceSpan))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsWrittenInside(ILocalSymbol local, IOperation root, IOperation? except = null)
    {
        foreach (var operation in root.EnumerateDescendants())
        {
            if (operation is ILocalReferenceOperation reference &&
                SymbolEqualityComparer.Default.Equals(reference.Local, local) &&
                (except is null || !except.Syntax.Span.Contains(reference.Syntax.Span)) &&
                IsWrite(reference))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsWrite(ILocalReferenceOperation reference) => reference.Parent switch
    {
        ISimpleAssignmentOperation assignment => assignment.Target == reference,
        ICompoundAssignmentOperation compound => compound.Target == reference,
        ICoalesceAssignmentOperation coalesce => coalesce.Target == reference,
        IIncrementOrDecrementOperation => true,
        IArgumentOperation argument => argument.Parameter?.RefKind is RefKind.Ref or RefKind.Out,
        IDeconstructionAssignmentOperation => true,
        ITupleOperation { Parent: IDeconstructionAssignmentOperation } => true,
        _ => false,
    };
}
