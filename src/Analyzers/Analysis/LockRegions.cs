using System;
using System.Collections.Generic;
using System.Linq;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Analysis;

/// <summary>
/// Cheap lexical answers to "is this operation protected by a lock?", from the operation tree alone (no flow).
/// </summary>
internal static class LockRegions
{
    /// <summary>
    /// True when <paramref name="operation"/> runs while a lock is held, judged lexically by walking up its parents:
    /// <list type="bullet">
    /// <item>inside the body of a <c>lock</c> statement;</item>
    /// <item>inside the body of a <c>using</c> whose resource is <c>Lock.EnterScope()</c>, or an (awaited) call of an
    /// async-lock helper whose name contains <c>Lock</c> or starts with <c>Acquire</c> (<c>using (await _mutex.LockAsync())</c>),
    /// or after such a <c>using</c> declaration in the same block;</item>
    /// <item>inside the <c>try</c> block of a <c>try/finally</c> whose <c>finally</c> releases a lock (Monitor.Exit,
    /// Lock.Exit, SemaphoreSlim.Release, ReaderWriterLockSlim.Exit*, Mutex.ReleaseMutex, SpinLock.Exit), however it was acquired;</item>
    /// <item>after an acquire statement (Monitor.Enter, Lock.Enter/EnterScope, SemaphoreSlim.Wait/await WaitAsync,
    /// ReaderWriterLockSlim.Enter*, Mutex.WaitOne, SpinLock.Enter) and before a release of the same lock, in the same block;</item>
    /// <item>in the true branch of <c>if (Monitor.TryEnter(x))</c> (and the other try-acquires), or after
    /// <c>if (!TryEnter(..)) return/throw;</c> in the same block.</item>
    /// </list>
    /// The walk stops at <paramref name="stopAt"/> (exclusive) when given: pass the lambda or local function whose body
    /// runs concurrently, since a lock taken outside it does not protect it. Without <paramref name="stopAt"/> the walk
    /// goes through lambdas and local functions up to the member's root, so a callback invoked synchronously inside a
    /// lock counts as protected. Cost: proportional to the depth of the operation times the size of the blocks it
    /// passes through. Never throws on incomplete code.
    /// </summary>
    public static bool IsInsideLock(IOperation operation, KnownTypes types, IOperation? stopAt = null)
    {
        if (!BodyMayLock(operation, types))
        {
            return InSynchronizedMethod(operation, stopAt);
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
                case ILockOperation lockOperation when ReferenceEquals(lockOperation.Body, child):
                    return true;
                case IUsingOperation usingOperation when ReferenceEquals(usingOperation.Body, child) && IsLockResource(usingOperation.Resources, types):
                    return true;
                case ITryOperation { Finally: { } finallyBlock } tryOperation when ReferenceEquals(tryOperation.Body, child) &&
                                                                                  (ReleasesAnyLock(finallyBlock, types) || ReleasesLegacyLock(finallyBlock, types)):
                    return true;
                case IConditionalOperation conditional when ReferenceEquals(conditional.WhenTrue, child) && IsTryAcquire(conditional.Condition, types, negated: false):
                    return true;
                case IConditionalOperation conditional when ReferenceEquals(conditional.WhenFalse, child) && IsTryAcquire(conditional.Condition, types, negated: true):
                    return true;
                case IBlockOperation block when HeldByEarlierStatement(block, child, types):
                    return true;
            }
        }

        return IsSynchronizedBody(child);
    }

    /// <summary>
    /// The operation is in the body of a method marked <c>[MethodImpl(MethodImplOptions.Synchronized)]</c> (not below
    /// <paramref name="stopAt"/>): the runtime holds the lock on the instance (or the type) for the whole call.
    /// </summary>
    private static bool InSynchronizedMethod(IOperation operation, IOperation? stopAt)
    {
        var root = operation.GetRoot();
        if (!IsSynchronizedBody(root))
        {
            return false;
        }

        for (var parent = operation.Parent; parent is not null; parent = parent.Parent)
        {
            if (ReferenceEquals(parent, stopAt))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A member body root whose method is <c>MethodImplOptions.Synchronized</c>; the attribute lists are looked at before the symbol.</summary>
    private static bool IsSynchronizedBody(IOperation root)
    {
        var lists = root.Syntax switch
        {
            BaseMethodDeclarationSyntax declaration => declaration.AttributeLists,
            AccessorDeclarationSyntax accessor => accessor.AttributeLists,
            _ => default,
        };
        return NamesMethodImpl(lists) &&
               root.SemanticModel?.GetDeclaredSymbol(root.Syntax) is IMethodSymbol method &&
               (method.MethodImplementationFlags & System.Reflection.MethodImplAttributes.Synchronized) != 0;
    }

    /// <summary>
    /// An attribute written <c>MethodImpl</c> (or <c>MethodImplAttribute</c>, qualified or not): asked for every body a
    /// lock question finds no lock in, so controller actions and test methods, attributed for other reasons, are turned
    /// away by their syntax before the symbol is looked up.
    /// </summary>
    private static bool NamesMethodImpl(SyntaxList<AttributeListSyntax> lists)
    {
        foreach (var list in lists)
        {
            foreach (var attribute in list.Attributes)
            {
                var name = attribute.Name is QualifiedNameSyntax qualified ? qualified.Right : attribute.Name;
                if (name is IdentifierNameSyntax { Identifier.ValueText: "MethodImpl" or "MethodImplAttribute" })
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// The member body of <paramref name="operation"/> has what the answers here look for: a <c>lock</c> statement, a
    /// <c>using</c> (a lock scope or an async-lock helper's releaser), or a call <see cref="LockApis"/> knows.
    /// Without one, nothing in the body is protected and nothing is released. Most bodies take no lock, and these
    /// questions are asked about many of their operations.
    /// </summary>
    internal static bool BodyMayLock(IOperation operation, KnownTypes types)
    {
        var scan = LockScan.For(operation.GetRoot(), types);
        return scan.HasAnyLock || scan.HasUsing || scan.HasLegacyRelease;
    }

    /// <summary>
    /// A release of an older primitive used as a lock: <c>ReaderWriterLock.ReleaseReaderLock/ReleaseWriterLock/ReleaseLock</c>,
    /// or <c>Semaphore.Release()</c> on a local or field declared with an initial count of 1 (<c>new Semaphore(1, 1)</c>;
    /// a semaphore created with more slots is a throttle). Matched by name first: most calls are none of these.
    /// </summary>
    public static bool IsLegacyRelease(IInvocationOperation invocation)
    {
        var method = invocation.TargetMethod;
        switch (method.Name)
        {
            case "ReleaseReaderLock" or "ReleaseWriterLock" or "ReleaseLock":
                return method.ContainingType is { Name: "ReaderWriterLock", ContainingNamespace: { Name: "Threading", ContainingNamespace.Name: "System" } };
            case "Release" when method.Parameters.Length == 0 &&
                               method.ContainingType is { Name: "Semaphore", ContainingNamespace: { Name: "Threading", ContainingNamespace.Name: "System" } }:
                return DeclaredWithOneSlot(invocation.Instance?.WalkDownConversions());
            default:
                return false;
        }
    }

    private static bool DeclaredWithOneSlot(IOperation? semaphore)
    {
        ISymbol? symbol = semaphore switch
        {
            ILocalReferenceOperation local => local.Local,
            IFieldReferenceOperation field => field.Field,
            _ => null,
        };
        if (symbol is null || symbol.DeclaringSyntaxReferences.Length != 1 ||
            symbol.DeclaringSyntaxReferences[0].GetSyntax() is not VariableDeclaratorSyntax { Initializer.Value: BaseObjectCreationExpressionSyntax { ArgumentList.Arguments: { Count: > 0 } arguments } })
        {
            return false;
        }

        return arguments[0].Expression is LiteralExpressionSyntax { Token.Value: 1 };
    }

    /// <summary>Inside the body of a <c>lock</c> statement of the same function (a lambda or local function in it runs later).</summary>
    public static bool InLockStatement(IOperation operation)
    {
        var child = operation;
        for (var parent = operation.Parent; parent is not null; child = parent, parent = parent.Parent)
        {
            // By kind: asked of many operations of a body that locks, on every level up.
            var kind = parent.Kind;
            if (kind is OperationKind.AnonymousFunction or OperationKind.LocalFunction)
            {
                return false;
            }

            if (kind == OperationKind.Lock && ReferenceEquals(((ILockOperation)parent).Body, child))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when <paramref name="operation"/> (a <c>finally</c> block) releases an older primitive used as a lock.</summary>
    private static bool ReleasesLegacyLock(IOperation operation, KnownTypes types)
    {
        if (!LockScan.For(operation.GetRoot(), types).HasLegacyRelease)
        {
            return false;
        }

        foreach (var descendant in operation.EnumerateDescendantsAndSelf())
        {
            if (descendant.Kind == OperationKind.Invocation && IsLegacyRelease((IInvocationOperation)descendant))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when <paramref name="operation"/> contains a release call of any known lock.</summary>
    public static bool ReleasesAnyLock(IOperation operation, KnownTypes types)
    {
        foreach (var (invocation, call) in LockCallsOf(operation, types))
        {
            if (call.Action == LockAction.Release && !IsSignalRelease(call) && invocation.IsWithin(operation))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Every call <see cref="LockApis"/> knows in the body of <paramref name="operation"/>, as its shared
    /// <see cref="LockScan"/> listed them (with what <see cref="LockApis.TryGetLockCall"/> said of each): a body has few,
    /// and the ones inside an operation are found by walking up from each rather than down the operation's subtree.
    /// Empty for a body without one.
    /// </summary>
    private static (IInvocationOperation Invocation, LockCall Call)[] LockCallsOf(IOperation operation, KnownTypes types)
        => LockScan.For(operation.GetRoot(), types).LockCalls ?? System.Array.Empty<(IInvocationOperation, LockCall)>();

    /// <summary>
    /// <c>_received.Release()</c> on a semaphore created empty: a signal to a waiter, not the end of a locked region, so
    /// the code before it (or in the <c>try</c> whose <c>finally</c> signals) is not protected by it.
    /// </summary>
    private static bool IsSignalRelease(LockCall call)
        => call.Kind == LockKind.SemaphoreSlim && call.Key is { } key && LockApis.IsCreatedEmpty(key);

    /// <summary>True when <paramref name="operation"/> contains a release of the lock named <paramref name="key"/>.</summary>
    public static bool Releases(IOperation operation, ISymbol key, KnownTypes types)
    {
        foreach (var (invocation, call) in LockCallsOf(operation, types))
        {
            if (call.Action == LockAction.Release && SymbolEqualityComparer.Default.Equals(call.Key, key) && invocation.IsWithin(operation))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The lock call a statement makes: <c>x.Enter();</c>, <c>await s.WaitAsync();</c>, <c>Monitor.Enter(x, ref t);</c>.</summary>
    public static bool TryGetStatementCall(IOperation statement, KnownTypes types, out LockCall call, out IInvocationOperation? invocation)
    {
        call = default;
        invocation = null;
        if (statement is not IExpressionStatementOperation expressionStatement)
        {
            return false;
        }

        var value = expressionStatement.Operation.WalkDownConversions();
        if (value is IAwaitOperation awaitOperation)
        {
            value = awaitOperation.Operation.WalkDownConversionsAndConfigureAwait();
        }

        invocation = value as IInvocationOperation;
        return invocation is not null && LockApis.TryGetLockCall(invocation, types, out call);
    }

    private static bool HeldByEarlierStatement(IBlockOperation block, IOperation child, KnownTypes types)
    {
        var index = block.Operations.IndexOf(child);
        if (index <= 0)
        {
            return false;
        }

        List<ISymbol>? released = null;
        var releasedUnkeyed = false;
        for (var i = index - 1; i >= 0; i--)
        {
            var statement = block.Operations[i];
            if (statement is IUsingDeclarationOperation usingDeclaration && IsLockDeclaration(usingDeclaration, types))
            {
                return true;
            }

            if (statement is IConditionalOperation { WhenFalse: null } guard &&
                IsTryAcquire(guard.Condition, types, negated: true) &&
                AlwaysExits(guard.WhenTrue))
            {
                return true;
            }

            if (!TryGetStatementCall(AcquireGuardedForAbandonment(statement) ?? statement, types, out var call, out _))
            {
                // A statement that releases a lock somewhere inside (a try/finally, an if) ends what came before it.
                foreach (var descendant in statement.EnumerateDescendants())
                {
                    if (descendant is IInvocationOperation inner &&
                        LockApis.TryGetLockCall(inner, types, out var innerCall) &&
                        innerCall.Action == LockAction.Release)
                    {
                        if (innerCall.Key is { } innerKey)
                        {
                            (released ??= new List<ISymbol>()).Add(innerKey);
                        }
                        else
                        {
                            releasedUnkeyed = true;
                        }
                    }
                }

                continue;
            }

            var key = call.Key;
            if (call.Action == LockAction.Release)
            {
                if (key is null)
                {
                    releasedUnkeyed = true;
                }
                else
                {
                    (released ??= new List<ISymbol>()).Add(key);
                }
            }
            else if (call.Action == LockAction.Acquire || (call.Action == LockAction.TryAcquire && call.LockTaken is not null))
            {
                var wasReleased = key is null
                    ? releasedUnkeyed
                    : released is not null && released.Exists(r => SymbolEqualityComparer.Default.Equals(r, key));
                if (!wasReleased)
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// <c>try { _mutex.WaitOne(); } catch (AbandonedMutexException) { }</c>: the acquire statement inside. The mutex is
    /// owned after the statement either way (an abandoned mutex is handed to the waiter with the exception).
    /// </summary>
    public static IOperation? AcquireGuardedForAbandonment(IOperation statement)
    {
        if (statement is ITryOperation { Finally: null, Body.Operations: { Length: 1 } body, Catches: { Length: > 0 } catches } &&
            catches.All(c => c.Filter is null && c.ExceptionType.Name == "AbandonedMutexException"))
        {
            return body[0];
        }

        return null;
    }

    private static bool IsLockResource(IOperation? resources, KnownTypes types)
    {
        if (resources is null)
        {
            return false;
        }

        foreach (var operation in resources.EnumerateDescendantsAndSelf())
        {
            var value = operation.WalkDownConversions();
            if (value is IAwaitOperation awaitOperation)
            {
                value = awaitOperation.Operation.WalkDownConversionsAndConfigureAwait();
            }

            if (value is IInvocationOperation invocation && IsLockHelperCall(invocation, types))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsLockDeclaration(IUsingDeclarationOperation declaration, KnownTypes types)
        => IsLockResource(declaration.DeclarationGroup, types);

    /// <summary><c>Lock.EnterScope()</c> or an async-lock helper such as <c>LockAsync()</c>, <c>ReaderLockAsync()</c>, <c>AcquireAsync()</c>.</summary>
    private static bool IsLockHelperCall(IInvocationOperation invocation, KnownTypes types)
    {
        if (LockApis.TryGetLockCall(invocation, types, out var call))
        {
            return call.IsScope;
        }

        var name = invocation.TargetMethod.Name;
        return name.IndexOf("Lock", StringComparison.Ordinal) >= 0 || name.StartsWith("Acquire", StringComparison.Ordinal);
    }

    private static bool IsTryAcquire(IOperation condition, KnownTypes types, bool negated)
    {
        var value = condition.WalkDownConversions();
        if (value is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not)
        {
            negated = !negated;
            value = not.Operand.WalkDownConversions();
        }

        if (negated)
        {
            return false;
        }

        if (value is IAwaitOperation awaitOperation)
        {
            value = awaitOperation.Operation.WalkDownConversionsAndConfigureAwait();
        }

        return value is IInvocationOperation invocation &&
               LockApis.TryGetLockCall(invocation, types, out var call) &&
               call.Action == LockAction.TryAcquire &&
               call.LockTaken is null;
    }

    private static bool AlwaysExits(IOperation operation)
    {
        var last = operation is IBlockOperation block
            ? (block.Operations.Length == 0 ? null : block.Operations[block.Operations.Length - 1])
            : operation;
        return last is IReturnOperation or IThrowOperation or IBranchOperation ||
               last is IExpressionStatementOperation { Operation: IThrowOperation };
    }
}
