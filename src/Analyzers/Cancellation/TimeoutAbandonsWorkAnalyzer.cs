using System.Collections.Generic;
using System.Collections.Immutable;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Cancellation;

/// <summary>
/// CONC404: a timeout that gives up waiting but leaves the work running: <c>Task.WhenAny(work, Task.Delay(t))</c> or
/// <c>work.WaitAsync(timeout)</c>, where <c>work</c> came from a call that could take a token but got none.
/// </summary>
public sealed class TimeoutAbandonsWorkAnalyzer : DiagnosticAnalyzer
{
    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        RuleIds.TimeoutAbandonsWork,
        "Timeout abandons the operation instead of cancelling it",
        "'{0}' stops waiting for '{1}' on timeout, but '{1}' got no token and keeps running; pass it a token cancelled by the timeout",
        DiagnosticSeverity.Warning,
        "Racing work against Task.Delay or WaitAsync(timeout) only stops the wait: the operation itself keeps running, holding " +
        "its connection, lock or buffer, and its eventual exception goes unobserved. Give the operation a token from a " +
        "CancellationTokenSource with CancelAfter(timeout) so the timeout actually stops it.");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var types = KnownTypes.For(start.Compilation);
            if (types.CancellationToken is null || types.Task is null)
            {
                return;
            }

            start.RegisterInvocationAction(c => Analyze(c, types), InvocationActions.Names("WaitAsync", "WhenAny"));
        });
    }

    private static void Analyze(OperationAnalysisContext context, KnownTypes types)
    {
        var invocation = (IInvocationOperation)context.Operation;
        if (!IsTimeoutRace(invocation, types, out var candidates) || invocation.Syntax is not InvocationExpressionSyntax syntax)
        {
            return;
        }

        foreach (var candidate in candidates)
        {
            // A test's timeout is its guard against hanging: on timeout the test fails and the work goes with it.
            if (WorkCall(candidate) is { } work && IsUncancelledWork(work, context.ContainingSymbol, types) && !context.ContainingSymbol.IsTestMethod())
            {
                var name = syntax.Expression is MemberAccessExpressionSyntax member ? member.Name : syntax.Expression;
                context.ReportDiagnostic(Diagnostic.Create(Rule, name.GetLocation(), invocation.TargetMethod.Name, work.TargetMethod.Name));
                return;
            }
        }
    }

    /// <summary>True when the work call's task is raced against a timeout that CONC404 reports (CONC401 then stays silent).</summary>
    internal static bool IsRacedAgainstTimeout(IInvocationOperation work, KnownTypes types)
    {
        var parent = work.WalkUpConversions();
        if (parent is IInvocationOperation { TargetMethod.Name: "AsTask", Arguments.Length: 0 } asTask)
        {
            work = asTask;
            parent = asTask.WalkUpConversions();
        }

        if (parent is IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator })
        {
            var function = work.GetEnclosingFunction();
            if (function is null)
            {
                return false;
            }

            foreach (var operation in function.EnumerateDescendants())
            {
                if (operation is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, declarator.Symbol) &&
                    UseIsTimeoutRace(reference, types))
                {
                    return true;
                }
            }

            return false;
        }

        return UseIsTimeoutRace(work, types);
    }

    private static bool UseIsTimeoutRace(IOperation value, KnownTypes types)
    {
        var parent = value.WalkUpConversions();
        if (parent is IInvocationOperation call && ReferenceEquals(call.Instance?.WalkDownConversions(), value))
        {
            return IsTimeoutRace(call, types, out _);
        }

        for (var current = parent; current is IArgumentOperation or IArrayInitializerOperation or IArrayCreationOperation or IConversionOperation; current = current.Parent)
        {
            if (current.Parent is IInvocationOperation whenAny && IsTimeoutRace(whenAny, types, out _))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary><c>Task.WhenAny(..., Task.Delay(...))</c> or <c>task.WaitAsync(TimeSpan/int[, ...])</c>; the other tasks in the race.</summary>
    private static bool IsTimeoutRace(IInvocationOperation invocation, KnownTypes types, out List<IOperation> candidates)
    {
        candidates = new List<IOperation>();
        var method = invocation.TargetMethod;
        if (method.Name == "WaitAsync" && invocation.Instance is { } instance &&
            (method.ContainingType.Is(types.Task) || method.ContainingType.Is(types.TaskOfT)) &&
            method.Parameters.Length > 0 && method.Parameters[0].Type.Name is "TimeSpan" &&
            !CancellationOverloads.PassesRealToken(invocation, types))
        {
            candidates.Add(instance.WalkDownConversions());
            return true;
        }

        if (method.Name != "WhenAny" || !method.ContainingType.Is(types.Task))
        {
            return false;
        }

        var hasDelay = false;
        foreach (var element in Elements(invocation))
        {
            if (element is IInvocationOperation { TargetMethod.Name: "Delay" } delay && delay.TargetMethod.ContainingType.Is(types.Task))
            {
                hasDelay = true;
            }
            else
            {
                candidates.Add(element);
            }
        }

        return hasDelay && candidates.Count > 0;
    }

    private static IEnumerable<IOperation> Elements(IInvocationOperation invocation)
    {
        foreach (var argument in invocation.Arguments)
        {
            var value = argument.Value.WalkDownConversions();
            if (value is IArrayCreationOperation { Initializer: { } initializer })
            {
                foreach (var element in initializer.ElementValues)
                {
                    yield return element.WalkDownConversions();
                }
            }
            else
            {
                yield return value;
            }
        }
    }

    /// <summary>The call that produced the task: the element itself, or a local's single initializer.</summary>
    private static IInvocationOperation? WorkCall(IOperation element)
    {
        switch (element)
        {
            case IInvocationOperation invocation:
                return SkipAsTask(invocation);
            case ILocalReferenceOperation reference:
                var function = reference.GetEnclosingFunction();
                if (function is null)
                {
                    return null;
                }

                IInvocationOperation? found = null;
                foreach (var operation in function.EnumerateDescendants())
                {
                    if (operation is IVariableDeclaratorOperation declarator && SymbolEqualityComparer.Default.Equals(declarator.Symbol, reference.Local))
                    {
                        found = declarator.Initializer?.Value.WalkDownConversions() is IInvocationOperation initializer ? SkipAsTask(initializer) : null;
                    }
                    else if (operation is ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } &&
                             SymbolEqualityComparer.Default.Equals(target.Local, reference.Local))
                    {
                        return null; // assigned more than once: do not guess
                    }
                }

                return found;
            default:
                return null;
        }
    }

    /// <summary><c>work().AsTask()</c> (a <c>ValueTask</c> made raceable): the call that produced the value task.</summary>
    private static IInvocationOperation SkipAsTask(IInvocationOperation invocation)
        => invocation is { TargetMethod.Name: "AsTask", Arguments.Length: 0, Instance: { } instance } &&
           instance.WalkDownConversions() is IInvocationOperation work
            ? work
            : invocation;

    private static bool IsUncancelledWork(IInvocationOperation work, ISymbol owner, KnownTypes types)
        => work.Type.IsTaskLike(types) &&
           !CancellationOverloads.PassesAnyToken(work, types) &&
           (CancellationOverloads.DefaultedTokenArgument(work, types) is not null ||
            IsGivenNoneUnexplained(work, types) ||
            CancellationOverloads.FindTokenOverload(work, owner, types, out _) is not null);

    /// <summary>
    /// The work's token parameter is given <c>None</c>/<c>default</c> written out (<c>action(CancellationToken.None)</c>):
    /// it has a place for a token and got one that never cancels. Not in a catch or finally, and not with a comment on
    /// the statement, where CONC401 also reads the <c>None</c> as a decision (cleanup that must finish, a documented choice).
    /// </summary>
    private static bool IsGivenNoneUnexplained(IInvocationOperation work, KnownTypes types)
        => CancellationOverloads.NoneTokenArgument(work, types) is { } argument &&
           !TokenNotPassedAnalyzer.IsInCleanup(work) && !TokenNotPassedAnalyzer.HasComment(argument.Syntax);
}
