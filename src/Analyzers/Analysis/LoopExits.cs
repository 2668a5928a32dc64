using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Analysis;

/// <summary>
/// Does a loop have a way to end? Used by CONC101 for loops in background work. A loop "has an exit" when its
/// condition is not constant-true, or its body can break out, return, throw or jump out, observes a cancellation
/// token, reads a stop flag (a mutable <c>bool</c> field, <c>Volatile.Read</c>, <c>Interlocked</c>), blocks on a
/// queue that ends when completed (<c>ChannelReader</c>, <c>BlockingCollection.Take</c>), or blocks on a disposable
/// resource whose disposal ends the wait (<c>Accept*</c>, <c>Receive*</c>, <c>Read*</c>), or sits in a <c>try</c> that
/// catches a specific exception (the expected way out). Precision first: anything
/// that might end the loop counts.
/// </summary>
internal static class LoopExits
{
    /// <summary>True for <c>while (true)</c>, <c>do … while (true)</c> and <c>for (;;)</c> loops.</summary>
    public static bool IsConstantTrueLoop(ILoopOperation loop) => loop switch
    {
        IWhileLoopOperation whileLoop => IsAbsentOrTrue(whileLoop.Condition),
        IForLoopOperation forLoop => IsAbsentOrTrue(forLoop.Condition),
        _ => false,
    };

    /// <summary>
    /// A loop that ends when a deadline passes: its condition is, or has as an operand of <c>&amp;&amp;</c>, a
    /// comparison of a clock reading (<c>stopwatch.Elapsed</c>, <c>ElapsedMilliseconds</c>, <c>DateTime.UtcNow</c>,
    /// <c>Environment.TickCount64</c>, <c>Stopwatch.GetElapsedTime(start)</c>, ...) with a bound
    /// (<c>while (sw.Elapsed &lt; timeout)</c>), and its body neither restarts a clock nor assigns a variable the
    /// comparison reads (an idle timeout that is pushed back on every pass is not a deadline).
    /// </summary>
    public static bool IsBoundedByClock(ILoopOperation loop)
    {
        var condition = loop switch
        {
            IWhileLoopOperation whileLoop => whileLoop.Condition,
            IForLoopOperation forLoop => forLoop.Condition,
            _ => null,
        };
        return condition is not null && FindDeadline(condition) is { } deadline && !MovesDeadline(loop, deadline);
    }

    private static IBinaryOperation? FindDeadline(IOperation condition)
    {
        condition = condition.WalkDownConversions();
        if (condition is not IBinaryOperation binary)
        {
            return null;
        }

        switch (binary.OperatorKind)
        {
            case BinaryOperatorKind.ConditionalAnd:
                return FindDeadline(binary.LeftOperand) ?? FindDeadline(binary.RightOperand);
            case BinaryOperatorKind.LessThan or BinaryOperatorKind.LessThanOrEqual or BinaryOperatorKind.GreaterThan or BinaryOperatorKind.GreaterThanOrEqual:
                return ReadsClock(binary.LeftOperand) || ReadsClock(binary.RightOperand) ? binary : null;
            default:
                return null;
        }
    }

    private static bool ReadsClock(IOperation operand)
    {
        foreach (var operation in operand.EnumerateDescendantsAndSelf())
        {
            string? member;
            INamedTypeSymbol? type;
            switch (operation)
            {
                case IPropertyReferenceOperation property:
                    (member, type) = (property.Property.Name, property.Property.ContainingType);
                    break;
                case IInvocationOperation invocation:
                    (member, type) = (invocation.TargetMethod.Name, invocation.TargetMethod.ContainingType);
                    break;
                default:
                    continue;
            }

            var isClock = type?.Name switch
            {
                "Stopwatch" => member is "Elapsed" or "ElapsedMilliseconds" or "ElapsedTicks" or "GetTimestamp" or "GetElapsedTime",
                "DateTime" or "DateTimeOffset" => member is "Now" or "UtcNow",
                "Environment" => member is "TickCount" or "TickCount64",
                "TimeProvider" => member is "GetUtcNow" or "GetLocalNow" or "GetTimestamp" or "GetElapsedTime",
                _ => false,
            };
            if (isClock && type!.ContainingNamespace is { Name: "System" or "Diagnostics" })
            {
                return true;
            }
        }

        return false;
    }

    private static bool MovesDeadline(ILoopOperation loop, IBinaryOperation deadline)
    {
        foreach (var operation in loop.Body.EnumerateDescendantsAndSelf())
        {
            if (operation is IInvocationOperation { TargetMethod.Name: "Restart" or "Reset" })
            {
                return true;
            }

            if (operation is IAssignmentOperation assignment && assignment.Target.ReferencedVariable() is { } assigned)
            {
                foreach (var read in deadline.EnumerateDescendants())
                {
                    if (SymbolEqualityComparer.Default.Equals(read.ReferencedVariable(), assigned))
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }


    /// <summary>
    /// A constant-true loop (or one that ticks forever, see <see cref="TicksForever"/>) with no way out (see the
    /// type's remarks). <paramref name="owner"/> is the symbol whose body holds the loop, for the tokens in scope.
    /// </summary>
    public static bool HasNoExit(ILoopOperation loop, KnownTypes types, ISymbol? owner = null)
    {
        if (!(IsConstantTrueLoop(loop) || TicksForever(loop, types, owner)) || IsInsideTryWithCatch(loop))
        {
            return false;
        }

        foreach (var operation in loop.EnumerateDescendants())
        {
            if (CancellationTokens.IsTokenRead(operation, types))
            {
                return false;
            }

            switch (operation)
            {
                case IBranchOperation { BranchKind: BranchKind.Break } branch when SymbolEqualityComparer.Default.Equals(branch.Target, loop.ExitLabel):
                case IBranchOperation { BranchKind: BranchKind.GoTo }:
                    return false;
                case IReturnOperation or IThrowOperation when IsInSameFunction(operation, loop):
                    return false;
                case IFieldReferenceOperation field when IsFlagRead(field):
                    return false;
                case IInvocationOperation invocation when EndsWhenSourceCompletes(invocation, types):
                    return false;
                case IInvalidOperation:
                    return false;
            }
        }

        return true;
    }

    /// <summary>The constant-true loops without an exit in a function body (not in nested lambdas or local functions).</summary>
    public static System.Collections.Generic.IEnumerable<ILoopOperation> FindLoopsWithoutExit(IOperation body, KnownTypes types, ISymbol? owner = null)
    {
        foreach (var operation in ConcurrentContexts.DescendantsInSameFunction(body))
        {
            if (operation is ILoopOperation loop && HasNoExit(loop, types, owner))
            {
                yield return loop;
            }
        }
    }

    /// <summary>
    /// <c>using var timer = new PeriodicTimer(p); while (await timer.WaitForNextTickAsync()) { … }</c> with no token in
    /// scope: the wait returns false only once the timer is disposed, and nothing can dispose this one while the loop
    /// runs (a local used only by the wait and its own declaration). Go's <c>for range ticker.C</c> in a goroutine
    /// nobody stops. With a token in scope, CONC108 reports the wait instead.
    /// </summary>
    private static bool TicksForever(ILoopOperation loop, KnownTypes types, ISymbol? owner)
    {
        if (loop is not IWhileLoopOperation { Condition: { } condition } ||
            condition.WalkDownConversions() is not IAwaitOperation { Operation: { } awaited } ||
            awaited.WalkDownConversionsAndConfigureAwait() is not IInvocationOperation { TargetMethod.Name: "WaitForNextTickAsync" } wait ||
            !wait.TargetMethod.ContainingType.Is(types.PeriodicTimer) ||
            wait.Instance?.WalkDownConversions() is not ILocalReferenceOperation timer ||
            CancellationOverloads.PassesRealToken(wait, types) ||
            CancellationTokens.FindInnermostToken(wait, owner, types) is not null)
        {
            return false;
        }

        IOperation? initializer = null;
        foreach (var operation in wait.GetRoot().EnumerateDescendants())
        {
            if (operation is IVariableDeclaratorOperation declarator && SymbolEqualityComparer.Default.Equals(declarator.Symbol, timer.Local))
            {
                initializer = declarator.GetVariableInitializer()?.Value.WalkDownConversions();
            }
            else if (operation is ILocalReferenceOperation reference && !ReferenceEquals(reference, timer) &&
                     SymbolEqualityComparer.Default.Equals(reference.Local, timer.Local))
            {
                return false; // disposed, handed on or reassigned somewhere
            }
        }

        return initializer is IObjectCreationOperation;
    }

    private static bool IsAbsentOrTrue(IOperation? condition)
        => condition is null || condition.ConstantValue is { HasValue: true, Value: true };

    private static bool IsInsideTryWithCatch(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return false;
            }

            if (current is ITryOperation { Catches.Length: > 0 } tryOperation && CatchesSpecificException(tryOperation))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// A catch of a specific exception (<c>SocketException</c>, <c>ObjectDisposedException</c>, …) around the loop says
    /// the author expects the loop to end that way; a catch-all that only logs does not.
    /// </summary>
    private static bool CatchesSpecificException(ITryOperation tryOperation)
    {
        foreach (var clause in tryOperation.Catches)
        {
            var type = clause.ExceptionType;
            if (type is not null && type.SpecialType != SpecialType.System_Object &&
                !(type.Name == "Exception" && type.ContainingNamespace?.ToDisplayString() == "System"))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsInSameFunction(IOperation operation, IOperation ancestor)
    {
        for (var current = operation.Parent; current is not null && current != ancestor; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A read of a mutable <c>bool</c> field, or a field read through <c>Volatile</c>/<c>Interlocked</c>: a stop flag set elsewhere.</summary>
    private static bool IsFlagRead(IFieldReferenceOperation field)
    {
        if (field.Parent is ISimpleAssignmentOperation assignment && assignment.Target == field)
        {
            return false;
        }

        if (field.Field.IsConst)
        {
            return false;
        }

        if (field.Field.IsVolatile || (field.Field.Type.SpecialType == SpecialType.System_Boolean && !field.Field.IsReadOnly))
        {
            return true;
        }

        return field.Parent is IArgumentOperation { Parent: IInvocationOperation call } &&
               call.TargetMethod.ContainingType?.Name is "Volatile" or "Interlocked";
    }

    private static bool EndsWhenSourceCompletes(IInvocationOperation invocation, KnownTypes types)
    {
        var method = invocation.TargetMethod;
        var type = method.ContainingType;
        if (type is null)
        {
            return false;
        }

        // Only the calls that throw once the source is completed and drained end the loop. TryRead/TryTake and
        // WaitToReadAsync return false instead (at once, over and over), and a ReadAllAsync/GetConsumingEnumerable
        // foreach inside the loop just ends and is started again: a constant-true loop around them spins forever.
        if (method.Name == "ReadAsync" && (type.Is(types.ChannelReaderOfT) || type.InheritsFromOrEquals(types.ChannelReaderOfT)))
        {
            return true; // ChannelClosedException once the writer completes and the channel is empty.
        }

        if (method.Name == "Take" && type.Is(types.BlockingCollectionOfT))
        {
            return true; // InvalidOperationException once CompleteAdding has been called and the queue is empty.
        }

        if (method.Name is "Exit" or "FailFast" && type.SpecialType == SpecialType.None && type.Name == "Environment")
        {
            return true;
        }

        // Blocking on a resource that is disposed to stop the loop: listener.Accept…, socket.Receive…, stream.Read….
        return invocation.Instance is { } instance &&
               instance.Type.Implements(types.IDisposable) &&
               (method.Name.StartsWith("Accept", System.StringComparison.Ordinal) ||
                method.Name.StartsWith("Receive", System.StringComparison.Ordinal) ||
                method.Name.StartsWith("Read", System.StringComparison.Ordinal) ||
                method.Name.StartsWith("WaitOne", System.StringComparison.Ordinal) ||
                method.Name.StartsWith("GetContext", System.StringComparison.Ordinal));
    }
}
