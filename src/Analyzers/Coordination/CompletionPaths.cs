using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Coordination;

/// <summary>Where a completion (<c>TryComplete</c>, <c>CompleteAdding</c>) sits on the producer's paths: CONC601 and CONC603.</summary>
internal static class CompletionPaths
{
    /// <summary>In a finally block, a catch clause, or a continuation (which runs whatever the antecedent did).</summary>
    public static bool IsGuaranteed(IOperation completion)
    {
        for (var current = completion.Parent; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case ICatchClauseOperation:
                    return true;
                case IBlockOperation { Parent: ITryOperation tryOperation } finallyBlock when tryOperation.Finally == finallyBlock:
                    return true;
                case IAnonymousFunctionOperation lambda:
                    return lambda.WalkUpConversions() is IDelegateCreationOperation creation &&
                           creation.WalkUpConversions() is IArgumentOperation { Parent: IInvocationOperation { TargetMethod.Name: "ContinueWith" } };
            }
        }

        return false;
    }

    /// <summary>
    /// Something that can throw (an await, or a call outside <paramref name="quietNamespace"/>: the channel or queue
    /// API itself) runs in the completion's function before it.
    /// </summary>
    public static bool CanThrowBefore(IOperation completion, string quietNamespace)
    {
        var function = completion.GetEnclosingFunction();
        if (function is null)
        {
            return false;
        }

        foreach (var operation in function.EnumerateDescendants())
        {
            if (operation.Syntax.SpanStart >= completion.Syntax.SpanStart)
            {
                continue;
            }

            if (operation is IAwaitOperation or IForEachLoopOperation { IsAsynchronous: true } ||
                (operation is IInvocationOperation call && call.TargetMethod.ContainingNamespace?.ToDisplayString() != quietNamespace))
            {
                return true;
            }
        }

        return false;
    }
}
