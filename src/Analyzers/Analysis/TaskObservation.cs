using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Analysis;

/// <summary>What happens to a task-valued expression.</summary>
internal enum TaskUse
{
    /// <summary>The value is thrown away: <c>DoAsync();</c>.</summary>
    Dropped,

    /// <summary>Explicitly discarded: <c>_ = DoAsync();</c> (the idiomatic opt-out).</summary>
    Discarded,

    /// <summary><c>await</c>ed, also through <c>ConfigureAwait</c>.</summary>
    Awaited,

    /// <summary>Returned to the caller.</summary>
    Returned,

    /// <summary>Stored in a field, property, array element, collection or tuple.</summary>
    Stored,

    /// <summary>Passed to a method (<c>Task.WhenAll</c>, <c>tasks.Add</c>, an extension such as <c>Forget()</c>, …).</summary>
    Passed,

    /// <summary>Continued with <c>ContinueWith</c>.</summary>
    Continued,

    /// <summary>Waited for synchronously: <c>.Wait()</c>, <c>.Result</c>, <c>.GetAwaiter().GetResult()</c>.</summary>
    Blocked,

    /// <summary>Assigned to a local that nothing reads afterwards.</summary>
    StoredInUnreadLocal,

    /// <summary>Any other use (a member read such as <c>IsCompleted</c>, a comparison, …): treated as observed.</summary>
    Other,
}

/// <summary>The task-observation check: how a task-valued expression is used (looking through conversions, <c>ConfigureAwait</c> and one local).</summary>
internal static class TaskObservation
{
    /// <summary>True for every use but <see cref="TaskUse.Dropped"/> and <see cref="TaskUse.StoredInUnreadLocal"/>.</summary>
    public static bool IsObserved(IOperation value) => Classify(value) is not (TaskUse.Dropped or TaskUse.StoredInUnreadLocal);

    public static TaskUse Classify(IOperation value) => Classify(value, followLocals: true);

    private static TaskUse Classify(IOperation value, bool followLocals)
    {
        for (var depth = 0; depth < 8; depth++)
        {
            var parent = value.WalkUpConversions();
            switch (parent)
            {
                case null:
                    return TaskUse.Other;
                case IExpressionStatementOperation:
                    return TaskUse.Dropped;
                case IAwaitOperation:
                    return TaskUse.Awaited;
                case IReturnOperation:
                    return TaskUse.Returned;
                case IArgumentOperation:
                    return TaskUse.Passed;
                case ISimpleAssignmentOperation assignment when !ReferenceEquals(assignment.Target, value):
                    return ClassifyAssignmentTarget(assignment.Target, followLocals);
                case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                    return followLocals ? ClassifyLocal(declarator.Symbol, parent) : TaskUse.Stored;
                case IInvocationOperation invocation when invocation.Instance is not null && IsSameValue(invocation.Instance, value):
                    switch (invocation.TargetMethod.Name)
                    {
                        case "ConfigureAwait":
                            value = invocation;
                            continue;
                        case "ContinueWith":
                            return TaskUse.Continued;
                        case "Wait":
                            return TaskUse.Blocked;
                        case "GetAwaiter":
                            return TaskUse.Blocked;
                        default:
                            return TaskUse.Other;
                    }

                case IPropertyReferenceOperation { Property.Name: "Result" }:
                    return TaskUse.Blocked;
                case IConditionalOperation:
                case ICoalesceOperation:
                case ISwitchExpressionArmOperation:
                case ISwitchExpressionOperation:
                    value = parent is ISwitchExpressionArmOperation arm ? arm.Parent! : parent;
                    continue;
                case IArrayInitializerOperation { Parent: IArrayCreationOperation { IsImplicit: true } paramsArray }:
                    // An element of a params array: `Task.WhenAll(a, b)` passes it on.
                    value = paramsArray;
                    continue;
                case ITupleOperation:
                case IArrayInitializerOperation:
                case IPropertyInitializerOperation:
                case IFieldInitializerOperation:
                    return TaskUse.Stored;
                default:
                    return TaskUse.Other;
            }
        }

        return TaskUse.Other;
    }

    private static bool IsSameValue(IOperation candidate, IOperation value)
        => candidate == value || candidate.WalkDownConversions() == value || candidate == value.Parent;

    private static TaskUse ClassifyAssignmentTarget(IOperation target, bool followLocals)
    {
        switch (target)
        {
            case IDiscardOperation:
                return TaskUse.Discarded;
            case ILocalReferenceOperation local when followLocals:
                return ClassifyLocal(local.Local, target);
            case ILocalReferenceOperation:
                return TaskUse.Stored;
            default:
                return TaskUse.Stored;
        }
    }

    /// <summary>A task stored in a local is observed when some read of the local observes it.</summary>
    private static TaskUse ClassifyLocal(ILocalSymbol local, IOperation from)
    {
        var root = from;
        while (root.Parent is not null)
        {
            root = root.Parent;
        }

        var sawRead = false;
        foreach (var descendant in root.EnumerateDescendants())
        {
            if (descendant is not ILocalReferenceOperation reference ||
                !SymbolEqualityComparer.Default.Equals(reference.Local, local) ||
                IsWriteTarget(reference))
            {
                continue;
            }

            sawRead = true;
            var use = Classify(reference, followLocals: false);
            if (use is not (TaskUse.Dropped or TaskUse.StoredInUnreadLocal))
            {
                return use;
            }
        }

        return sawRead ? TaskUse.Other : TaskUse.StoredInUnreadLocal;
    }

    private static bool IsWriteTarget(ILocalReferenceOperation reference)
        => reference.Parent is ISimpleAssignmentOperation assignment && assignment.Target == reference;
}
