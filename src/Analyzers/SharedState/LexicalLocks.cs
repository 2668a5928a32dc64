using System.Linq;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.SharedState;

/// <summary>
/// The lexical lock test the shared-state rules need: is an operation inside a region where some lock is held
/// (a <c>lock</c> body, a <c>try</c> whose <c>finally</c> releases a lock, the statements after an acquire in the
/// same block, a <c>using</c> over an async-lock helper)? A <c>SemaphoreSlim</c> created with a count other than 1 is
/// a throttle, not a lock: work inside it still runs concurrently, so it does not count.
/// </summary>
internal static class LexicalLocks
{
    /// <summary>
    /// True when <paramref name="operation"/> is inside a region of a throttling semaphore (a <c>try</c> whose
    /// <c>finally</c> releases one, or after its <c>Wait/WaitAsync</c> in the same block).
    /// </summary>
    public static bool IsInsideThrottle(IOperation operation, KnownTypes types, IOperation? stopAt)
    {
        if (!CallsSemaphoreSlim(operation, types))
        {
            return false; // no wait or release of a SemaphoreSlim anywhere in the body (most bodies)
        }

        var child = operation;
        for (var parent = operation.Parent; parent is not null; child = parent, parent = parent.Parent)
        {
            if (stopAt is not null && ReferenceEquals(parent, stopAt))
            {
                return false;
            }

            switch (parent)
            {
                case ITryOperation { Finally: { } finallyBlock } tryOperation when ReferenceEquals(tryOperation.Body, child) && ReleasesThrottle(finallyBlock, types):
                    return true;
                case IBlockOperation block when block.Operations.TakeWhile(s => !ReferenceEquals(s, child)).Any(s => IsThrottleWait(s, types)):
                    return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether the body of <paramref name="operation"/> calls a <c>SemaphoreSlim</c>'s <c>Wait</c>, <c>WaitAsync</c> or
    /// <c>Release</c> (lambdas included), from the lock calls its shared <see cref="LockScan"/> lists: a throttle's region
    /// starts at one of them, so a body without one is in none.
    /// </summary>
    private static bool CallsSemaphoreSlim(IOperation operation, KnownTypes types)
    {
        if (LockScan.For(operation.GetRoot(), types).LockCalls is not { } calls)
        {
            return false;
        }

        foreach (var (_, call) in calls)
        {
            if (call.Kind == LockKind.SemaphoreSlim)
            {
                return true;
            }
        }

        return false;
    }

    private static bool ReleasesThrottle(IOperation operation, KnownTypes types)
        => operation.EnumerateDescendantsAndSelf().Any(d => d is IInvocationOperation { TargetMethod.Name: "Release" } invocation &&
                                                   invocation.TargetMethod.ContainingType.Is(types.SemaphoreSlim) &&
                                                   IsThrottle(invocation.Instance));

    private static bool IsThrottleWait(IOperation statement, KnownTypes types)
    {
        if (statement is not IExpressionStatementOperation expression)
        {
            return false;
        }

        var value = expression.Operation.WalkDownConversions();
        if (value is IAwaitOperation awaited)
        {
            value = awaited.Operation.WalkDownConversionsAndConfigureAwait();
        }

        return value is IInvocationOperation { TargetMethod.Name: "Wait" or "WaitAsync" } invocation &&
               invocation.TargetMethod.ContainingType.Is(types.SemaphoreSlim) &&
               IsThrottle(invocation.Instance);
    }

    /// <summary>The lexical lock test without throttling semaphores.</summary>
    public static bool IsInsideLock(IOperation operation, KnownTypes types, IOperation? stopAt)
    {
        var child = operation;
        for (var parent = operation.Parent; parent is not null; child = parent, parent = parent.Parent)
        {
            if (stopAt is not null && ReferenceEquals(parent, stopAt))
            {
                return false;
            }

            switch (parent)
            {
                case ILockOperation lockOperation when ReferenceEquals(lockOperation.Body, child):
                    return true;
                case IUsingOperation usingOperation when ReferenceEquals(usingOperation.Body, child) && IsLockResource(usingOperation.Resources):
                    return true;
                case ITryOperation { Finally: { } finallyBlock } tryOperation when ReferenceEquals(tryOperation.Body, child) && ReleasesLock(finallyBlock, types):
                    return true;
                case IBlockOperation block when HeldByEarlierStatement(block, child, types):
                    return true;
            }
        }

        return false;
    }

    private static bool HeldByEarlierStatement(IBlockOperation block, IOperation child, KnownTypes types)
    {
        foreach (var statement in block.Operations)
        {
            if (ReferenceEquals(statement, child))
            {
                return false;
            }

            if (statement is IUsingDeclarationOperation declaration &&
                declaration.DeclarationGroup.Declarations.SelectMany(d => d.Declarators)
                    .Any(d => d.Initializer is { } init && IsLockResource(init.Value)))
            {
                return true;
            }

            if (statement is IExpressionStatementOperation expression && IsAcquireCall(expression.Operation, types))
            {
                // Held until a release later in the block; a release before the child ends the region.
                var released = false;
                var afterAcquire = false;
                foreach (var later in block.Operations)
                {
                    if (ReferenceEquals(later, statement))
                    {
                        afterAcquire = true;
                        continue;
                    }

                    if (ReferenceEquals(later, child))
                    {
                        break;
                    }

                    if (afterAcquire && ReleasesLock(later, types))
                    {
                        released = true;
                    }
                }

                if (!released)
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool IsAcquireCall(IOperation operation, KnownTypes types)
    {
        var value = operation.WalkDownConversions();
        if (value is IAwaitOperation awaited)
        {
            value = awaited.Operation.WalkDownConversionsAndConfigureAwait();
        }

        if (value is not IInvocationOperation invocation)
        {
            return false;
        }

        var method = invocation.TargetMethod;
        var type = method.ContainingType;
        if (type.Is(types.Monitor))
        {
            return method.Name == "Enter";
        }

        if (type.Is(types.SemaphoreSlim))
        {
            return method.Name is "Wait" or "WaitAsync" && invocation.Arguments.Length == 0 && !IsThrottle(invocation.Instance);
        }

        if (type.Is(types.ReaderWriterLockSlim))
        {
            return method.Name is "EnterWriteLock" or "EnterUpgradeableReadLock" or "EnterReadLock";
        }

        if (type.Is(types.Lock) || type.Is(types.SpinLock))
        {
            return method.Name == "Enter";
        }

        return type.Is(types.Mutex) && method.Name == "WaitOne";
    }

    private static bool ReleasesLock(IOperation operation, KnownTypes types)
    {
        foreach (var descendant in operation.EnumerateDescendantsAndSelf())
        {
            if (descendant is not IInvocationOperation invocation)
            {
                continue;
            }

            var method = invocation.TargetMethod;
            var type = method.ContainingType;
            if ((type.Is(types.Monitor) && method.Name == "Exit") ||
                (type.Is(types.SemaphoreSlim) && method.Name == "Release" && !IsThrottle(invocation.Instance)) ||
                (type.Is(types.ReaderWriterLockSlim) && method.Name.StartsWith("Exit", System.StringComparison.Ordinal)) ||
                ((type.Is(types.Lock) || type.Is(types.SpinLock)) && method.Name == "Exit") ||
                (type.Is(types.Mutex) && method.Name == "ReleaseMutex"))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary><c>using (await _lock.LockAsync())</c>, <c>using (_gate.EnterScope())</c>, <c>using var _ = await AcquireAsync()</c>.</summary>
    private static bool IsLockResource(IOperation? resource)
    {
        if (resource is null)
        {
            return false;
        }

        foreach (var descendant in resource.EnumerateDescendantsAndSelf())
        {
            if (descendant is IInvocationOperation invocation)
            {
                var name = invocation.TargetMethod.Name;
                if (name == "EnterScope" || name.StartsWith("Acquire", System.StringComparison.Ordinal) ||
                    (name.Contains("Lock") && !name.Contains("Unlock")))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>A semaphore created with an initial count other than 1: it limits concurrency, it does not exclude.</summary>
    private static bool IsThrottle(IOperation? semaphore)
    {
        ISymbol? symbol = semaphore?.WalkDownConversions() switch
        {
            ILocalReferenceOperation local => local.Local,
            IFieldReferenceOperation field => field.Field,
            _ => null,
        };
        if (symbol is null)
        {
            return false;
        }

        foreach (var reference in symbol.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax() is VariableDeclaratorSyntax { Initializer.Value: { } value })
            {
                var arguments = value switch
                {
                    ObjectCreationExpressionSyntax creation => creation.ArgumentList,
                    ImplicitObjectCreationExpressionSyntax implicitCreation => implicitCreation.ArgumentList,
                    _ => null,
                };
                if (arguments is null || arguments.Arguments.Count == 0)
                {
                    return false;
                }

                var first = arguments.Arguments[0].Expression;
                return !(first is LiteralExpressionSyntax literal && literal.IsKind(SyntaxKind.NumericLiteralExpression) && literal.Token.ValueText == "1");
            }
        }

        return false;
    }
}
