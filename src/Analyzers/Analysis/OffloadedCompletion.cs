using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Analysis;

/// <summary>
/// <c>Task.Run(() => tcs.TrySetResult(result))</c>: a delegate whose only work is to complete a
/// <c>TaskCompletionSource</c>, started on the thread pool so that the awaiting code's continuations do not run
/// inline on the completing thread (a polling loop or a native callback). Answered from the delegate alone.
/// </summary>
internal static class OffloadedCompletion
{
    /// <summary>
    /// The argument is a lambda whose body is one call to <c>SetResult</c>/<c>SetException</c>/<c>SetCanceled</c>
    /// (or, with <paramref name="tryOnly"/>, only their <c>Try</c> forms, which cannot throw) on a
    /// <c>TaskCompletionSource</c>, as a statement or as the lambda's value.
    /// </summary>
    public static bool IsCompletionOnly(IOperation argument, KnownTypes types, bool tryOnly)
    {
        if (argument.WalkDownConversions() is not IDelegateCreationOperation { Target: IAnonymousFunctionOperation { Body: var body } })
        {
            return false;
        }

        IOperation? work = null;
        foreach (var statement in body.Operations)
        {
            var value = statement switch
            {
                IReturnOperation { IsImplicit: true, ReturnedValue: null } => null,
                IReturnOperation { ReturnedValue: { } returned } => returned,
                IExpressionStatementOperation expression => expression.Operation,
                _ => statement,
            };

            if (value is null)
            {
                continue;
            }

            if (work is not null)
            {
                return false;
            }

            work = value;
        }

        return work?.WalkDownConversions() is IInvocationOperation call && IsCompletionCall(call, types, tryOnly);
    }

    /// <summary>
    /// <c>SetResult</c>/<c>SetException</c>/<c>SetCanceled</c> (or, with <paramref name="tryOnly"/>, only their
    /// <c>Try</c> forms) on a <c>TaskCompletionSource</c> or <c>TaskCompletionSource&lt;T&gt;</c>.
    /// </summary>
    public static bool IsCompletionCall(IInvocationOperation call, KnownTypes types, bool tryOnly)
        => call.TargetMethod.Name switch
           {
               "TrySetResult" or "TrySetException" or "TrySetCanceled" => true,
               "SetResult" or "SetException" or "SetCanceled" => !tryOnly,
               _ => false,
           } &&
           call.TargetMethod.ContainingType is { } type &&
           (type.InheritsFromOrEquals(types.TaskCompletionSourceOfT) || type.InheritsFromOrEquals(types.TaskCompletionSource));
}
