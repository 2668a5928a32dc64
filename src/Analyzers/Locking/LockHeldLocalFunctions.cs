using System.Collections.Generic;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Locking;

/// <summary>
/// Local functions whose every call is inside a <c>lock</c> statement of the calling function: their body runs with
/// that lock held although no lock is visible in it. The held-locks flow starts each local function with nothing held
/// (and skips one that takes no lock), so CONC202 and CONC205 ask here for the calls it cannot see.
/// </summary>
/// <remarks>
/// Precision first: not an async local function, none used as a method group, every call lexically inside a
/// <c>lock</c> body of its own function (not through a lambda), and the local function takes no lock of its own (then
/// the flow covers it). Cost: bodies with no lock statement or no local function are skipped by <see cref="LockScan"/>;
/// otherwise one walk of the member body, and one of each qualifying local function's own operations.
/// </remarks>
internal static class LockHeldLocalFunctions
{
    /// <summary>Calls <paramref name="visit"/> with each operation of a lock-held local function's body (its own, not nested functions') and the held lock's name.</summary>
    public static void Visit(OperationBlockAnalysisContext context, KnownTypes types, System.Action<IOperation, string> visit)
    {
        foreach (var (_, root) in LockFlow.Bodies(context))
        {
            // Without a local function (the scan saw every operation) the walk would find none to visit.
            if (LockScan.For(root, types) is { LockStatements: > 0, HasLocalFunction: true })
            {
                VisitRoot(root, types, visit);
            }
        }
    }

    private static void VisitRoot(IOperation root, KnownTypes types, System.Action<IOperation, string> visit)
    {
        List<ILocalFunctionOperation>? functions = null;
        // Per local function: the held lock's name at every call so far, or null once a use is not under a lock.
        Dictionary<IMethodSymbol, string?>? held = null;
        foreach (var operation in root.EnumerateDescendants())
        {
            switch (operation.Kind)
            {
                case OperationKind.LocalFunction:
                    (functions ??= new List<ILocalFunctionOperation>()).Add((ILocalFunctionOperation)operation);
                    break;
                case OperationKind.Invocation when operation is IInvocationOperation { TargetMethod.MethodKind: MethodKind.LocalFunction } call:
                    held ??= new Dictionary<IMethodSymbol, string?>(SymbolEqualityComparer.Default);
                    var method = call.TargetMethod.OriginalDefinition;
                    var name = EnclosingLockName(call);
                    held[method] = held.TryGetValue(method, out var before) ? (before is null ? null : name) : name;
                    break;
                case OperationKind.MethodReference when operation is IMethodReferenceOperation { Method.MethodKind: MethodKind.LocalFunction } reference:
                    held ??= new Dictionary<IMethodSymbol, string?>(SymbolEqualityComparer.Default);
                    held[reference.Method.OriginalDefinition] = null;
                    break;
            }
        }

        if (functions is null || held is null)
        {
            return;
        }

        foreach (var function in functions)
        {
            if (function.Symbol.IsAsync || !held.TryGetValue(function.Symbol, out var lockName) || lockName is null ||
                ((IOperation?)function.Body ?? function.IgnoredBody) is not { } body || LockScan.Of(body, types).HasAnyLock)
            {
                continue;
            }

            foreach (var operation in ConcurrentContexts.DescendantsInSameFunction(body))
            {
                visit(operation, lockName);
            }
        }
    }

    /// <summary>The name of the <c>lock</c> statement whose body holds <paramref name="call"/> in the call's own function; null when none.</summary>
    private static string? EnclosingLockName(IOperation call)
    {
        var child = call;
        for (var parent = call.Parent; parent is not null; child = parent, parent = parent.Parent)
        {
            if (parent is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return null;
            }

            if (parent is ILockOperation lockStatement && ReferenceEquals(lockStatement.Body, child))
            {
                return LockApis.Describe(lockStatement.LockedValue);
            }
        }

        return null;
    }
}
