using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Locking;

/// <summary>
/// CONC208: <c>Monitor.Wait</c> not in a loop; <c>Monitor.Wait/Pulse</c> outside a lock on the same object (in a method
/// that takes that lock elsewhere); a write under a <c>ReaderWriterLockSlim</c> read lock; <c>EnterWriteLock</c> or
/// <c>EnterUpgradeableReadLock</c> while holding the read lock.
/// </summary>
public sealed class MonitorProtocolMisuseAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property set when the <c>if</c> around a Monitor.Wait can become <c>while</c>.</summary>
    public const string IfToWhileProperty = "IfToWhile";

    private const string Title = "Monitor wait/pulse or reader/writer lock protocol misuse";
    private const string Description =
        "Monitor.Wait must be called in a loop that re-checks the condition (another thread may consume the state between " +
        "the pulse and the wake-up), and Wait/Pulse must be called while holding the lock on the same object " +
        "(SynchronizationLockException otherwise). Under a ReaderWriterLockSlim read lock, other readers run at the same " +
        "time, so writing there races; and taking the write lock while holding the read lock throws or deadlocks: use an " +
        "upgradeable read lock.";

    internal static readonly DiagnosticDescriptor WaitNotInLoopRule = RuleDescriptors.Create(
        RuleIds.MonitorProtocolMisuse, Title,
        "Monitor.Wait is not in a loop: re-check the condition in a 'while' loop after waking up",
        DiagnosticSeverity.Warning, Description);

    internal static readonly DiagnosticDescriptor OutsideLockRule = RuleDescriptors.Create(
        RuleIds.MonitorProtocolMisuse, Title,
        "Monitor.{0} is called on '{1}' without holding its lock: it throws SynchronizationLockException",
        DiagnosticSeverity.Warning, Description);

    internal static readonly DiagnosticDescriptor WriteUnderReadLockRule = RuleDescriptors.Create(
        RuleIds.MonitorProtocolMisuse, Title,
        "'{0}' is written while only the read lock of '{1}' is held: other readers run concurrently; take the write lock",
        DiagnosticSeverity.Warning, Description);

    internal static readonly DiagnosticDescriptor UpgradeRule = RuleDescriptors.Create(
        RuleIds.MonitorProtocolMisuse, Title,
        "{1} is called on '{0}' while its read lock is held: a reader cannot upgrade, so this throws LockRecursionException or deadlocks; take the upgradeable read lock (EnterUpgradeableReadLock) instead of the read lock",
        DiagnosticSeverity.Warning, Description);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(WaitNotInLoopRule, OutsideLockRule, WriteUnderReadLockRule, UpgradeRule);

    private static readonly ImmutableHashSet<string> Mutators = ImmutableHashSet.Create(
        "Add", "AddRange", "Remove", "RemoveAt", "RemoveAll", "RemoveRange", "Clear", "Insert", "InsertRange",
        "Enqueue", "Dequeue", "Push", "Pop", "TryAdd", "TryDequeue", "TryPop", "Sort", "Reverse", "UnionWith", "ExceptWith", "IntersectWith");

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var types = KnownTypes.For(start.Compilation);
            if (types.Monitor is null)
            {
                return;
            }

            start.RegisterInvocationAction(c => AnalyzeWait(c, types), InvocationActions.Names("Wait"));
            LockFlow.RegisterForLockingBodies(start, types, c => AnalyzeFlow(c, types));
        });
    }

    private static void AnalyzeWait(OperationAnalysisContext context, KnownTypes types)
    {
        var invocation = (IInvocationOperation)context.Operation;
        if (!invocation.IsCallTo(types.Monitor, "Wait") || invocation.WalkUpConversions() is not IExpressionStatementOperation statement)
        {
            return;
        }

        for (var parent = statement.Parent; parent is not null; parent = parent.Parent)
        {
            if (parent is ILoopOperation)
            {
                return;
            }

            if (parent is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                break;
            }
        }

        var properties = ImmutableDictionary<string, string?>.Empty;
        var guard = statement.Parent is IBlockOperation { Operations.Length: 1 } block ? block.Parent : statement.Parent;
        if (guard is IConditionalOperation { WhenFalse: null } conditional && conditional.Syntax is Microsoft.CodeAnalysis.CSharp.Syntax.IfStatementSyntax)
        {
            if (IsBoundedWaitThatRereadsItsCondition(invocation, conditional))
            {
                return;
            }

            properties = properties.Add(IfToWhileProperty, "true");
        }

        context.ReportDiagnostic(Diagnostic.Create(WaitNotInLoopRule, TaskBlocking.ReportLocation(invocation), properties));
    }

    /// <summary>
    /// <c>if (_served == 0) Monitor.Wait(_gate, timeout); var result = _served; _served = 0; return result;</c>: a timed
    /// wait (not <c>Timeout.Infinite</c>) whose code after the <c>if</c> reads again a value-typed field or property that
    /// the condition tested. A bounded wait can end with the condition still false anyway, so the code that re-reads the
    /// state does not assume it, and a <c>while</c> would turn the bounded wait into an unbounded one. Asked only of a
    /// reported wait: the condition and the statements after the <c>if</c> in its block are walked once.
    /// </summary>
    private static bool IsBoundedWaitThatRereadsItsCondition(IInvocationOperation wait, IConditionalOperation conditional)
    {
        if (!HasFiniteTimeout(wait) || conditional.Parent is not IBlockOperation block)
        {
            return false;
        }

        var tested = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        foreach (var read in conditional.Condition.EnumerateDescendantsAndSelf())
        {
            if (ValueMember(read) is { } member)
            {
                tested.Add(member);
            }
        }

        if (tested.Count == 0)
        {
            return false;
        }

        var after = false;
        foreach (var sibling in block.Operations)
        {
            if (ReferenceEquals(sibling, conditional))
            {
                after = true;
                continue;
            }

            if (after && sibling.EnumerateDescendantsAndSelf().Any(o => ValueMember(o) is { } member && tested.Contains(member)))
            {
                return true;
            }
        }

        return false;

        // The outermost member of a read (`_queue.Count`, not `_queue`), when its value is a value type.
        static ISymbol? ValueMember(IOperation operation)
            => operation is IMemberReferenceOperation { Member: IFieldSymbol or IPropertySymbol, Type.IsValueType: true } reference &&
               reference.Parent is not IMemberReferenceOperation
                ? reference.Member.OriginalDefinition
                : null;
    }

    /// <summary><c>Monitor.Wait(gate, timeout)</c> with a timeout other than the constant <c>-1</c> / <c>Timeout.InfiniteTimeSpan</c>.</summary>
    private static bool HasFiniteTimeout(IInvocationOperation wait)
    {
        foreach (var argument in wait.Arguments)
        {
            if (argument.Parameter is { Ordinal: 1 })
            {
                var value = argument.Value.WalkDownConversions();
                return !(value.ConstantValue is { HasValue: true, Value: -1 } ||
                         value is IFieldReferenceOperation { Field: { Name: "InfiniteTimeSpan", IsStatic: true } });
            }
        }

        return false;
    }

    private static void AnalyzeFlow(OperationBlockAnalysisContext context, KnownTypes types)
    {
        var acquired = new List<HeldLock>();
        var unheld = new List<(HeldLock Lock, IOperation Operation, IMethodSymbol? Function)>();
        // Monitors the method releases without having taken them: its caller holds them on entry.
        var callerHeld = new List<HeldLock>();
        LockFlow.Run(context, types, (operation, state, function, lockCall) =>
        {
            if (lockCall is not null)
            {
                if (operation is IInvocationOperation invocation && LockApis.TryGetLockCall(invocation, types, out var call))
                {
                    if (call.IsAcquire && lockCall.Kind == LockKind.Monitor)
                    {
                        acquired.Add(lockCall);
                    }
                    else if (call.Action is LockAction.Wait or LockAction.Pulse && !Holds(state.May, lockCall, modeMatters: false))
                    {
                        unheld.Add((lockCall, operation, function));
                    }
                    else if (call.Action == LockAction.Release && lockCall.Kind == LockKind.Monitor && !Holds(state.May, lockCall, modeMatters: false))
                    {
                        callerHeld.Add(lockCall);
                    }
                    else if (call.Kind == LockKind.ReaderWriterLockSlim && call.IsAcquire && call.Mode is LockMode.Write or LockMode.UpgradeableRead &&
                             HoldsReadOnly(state.Must, lockCall))
                    {
                        // Whatever the recursion policy, a thread that entered read mode may not enter write or upgradeable mode.
                        context.ReportDiagnostic(Diagnostic.Create(UpgradeRule, TaskBlocking.ReportLocation(operation), lockCall.Name, invocation.TargetMethod.Name));
                    }
                }

                return;
            }

            if (state.Must.IsDefaultOrEmpty)
            {
                return;
            }

            foreach (var held in state.Must)
            {
                if (held.Kind == LockKind.ReaderWriterLockSlim && held.Mode == LockMode.Read && HoldsReadOnly(state.Must, held) &&
                    WrittenMember(operation, types) is { } written)
                {
                    context.ReportDiagnostic(Diagnostic.Create(WriteUnderReadLockRule, operation.Syntax.GetLocation(), written, held.Name));
                    return;
                }
            }
        },
        // Wait/Pulse outside the lock; a write lock (a second acquisition) or a write under a read lock. Nothing else
        // here needs the flow: a read lock around reads alone gets no graph.
        (root, scan) => scan.HasWaitOrPulse ||
                        (scan.HasReadLockAcquire &&
                         (scan.Acquisitions >= 2 || LockFlow.AnyUnderLock(root, scan, o => WrittenMember(o, types) is not null))));

        foreach (var (held, operation, function) in unheld)
        {
            // Monitor.Exit(_sync); Monitor.Enter(_sync); in a method that also waits on _sync: it gives its caller's lock
            // up for a moment and takes it back, so the lock is held on entry and the wait is under it.
            if (callerHeld.Exists(c => c.Key is not null && c.SameLock(held)))
            {
                continue;
            }

            if (acquired.Exists(a => a.Key is not null && a.SameLock(held)) || IsUnreachableGate(held, function, context.OwningSymbol))
            {
                var name = operation is IInvocationOperation invocation ? invocation.TargetMethod.Name : "Wait";
                context.ReportDiagnostic(Diagnostic.Create(OutsideLockRule, TaskBlocking.ReportLocation(operation), name, held.Name));
            }
        }
    }

    /// <summary>
    /// Wait/Pulse in the body of a non-private method on a private gate the type creates itself: no caller outside
    /// the type can hold that lock, so the call throws whenever it is called from there. Lambdas and local functions
    /// (which a caller may run under the lock) and gates handed in from outside (a constructor parameter) stay silent.
    /// </summary>
    private static bool IsUnreachableGate(HeldLock held, IMethodSymbol? function, ISymbol owner)
    {
        if (function is null || !SymbolEqualityComparer.Default.Equals(function, owner) ||
            function.DeclaredAccessibility is Accessibility.Private or Accessibility.NotApplicable ||
            function.MethodKind is not (MethodKind.Ordinary or MethodKind.PropertyGet or MethodKind.PropertySet) ||
            held.Key is not IFieldSymbol { DeclaredAccessibility: Accessibility.Private } field ||
            !SymbolEqualityComparer.Default.Equals(field.ContainingType, function.ContainingType) ||
            field.DeclaringSyntaxReferences.Length != 1)
        {
            return false;
        }

        return field.DeclaringSyntaxReferences[0].GetSyntax() is VariableDeclaratorSyntax
        {
            Initializer.Value: ObjectCreationExpressionSyntax or ImplicitObjectCreationExpressionSyntax,
        };
    }

    private static bool Holds(ImmutableArray<HeldLock> set, HeldLock target, bool modeMatters)
    {
        foreach (var held in set)
        {
            if ((held.Kind == LockKind.Monitor || held.Kind == target.Kind) &&
                (held.Key is null || target.Key is null ? held.Name == target.Name : SymbolEqualityComparer.Default.Equals(held.Key, target.Key)) &&
                (!modeMatters || held.Mode == target.Mode))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The read lock of this RWLS is held, and neither its write nor its upgradeable lock.</summary>
    private static bool HoldsReadOnly(ImmutableArray<HeldLock> must, HeldLock target)
    {
        var read = false;
        foreach (var held in must)
        {
            if (held.Kind != LockKind.ReaderWriterLockSlim || !held.SameLock(target))
            {
                continue;
            }

            if (held.Mode == LockMode.Read)
            {
                read = true;
            }
            else
            {
                return false;
            }
        }

        return read;
    }

    /// <summary>The field or collection an operation writes: field assignment, indexer set or mutator call on a non-concurrent collection field.</summary>
    private static string? WrittenMember(IOperation operation, KnownTypes types)
    {
        IOperation? target = operation switch
        {
            ISimpleAssignmentOperation { IsImplicit: false } simple => simple.Target,
            ICompoundAssignmentOperation compound => compound.Target,
            IIncrementOrDecrementOperation increment => increment.Target,
            ICoalesceAssignmentOperation coalesce => coalesce.Target,
            _ => null,
        };

        if (target is IFieldReferenceOperation field && !field.Field.IsReadOnly)
        {
            return field.Field.Name;
        }

        if (target is IPropertyReferenceOperation { Property.IsIndexer: true, Instance: IFieldReferenceOperation indexed } && IsPlainCollection(indexed.Type))
        {
            return indexed.Field.Name;
        }

        if (operation is IInvocationOperation { Instance: IFieldReferenceOperation receiver } invocation &&
            Mutators.Contains(invocation.TargetMethod.Name) && IsPlainCollection(receiver.Type))
        {
            return receiver.Field.Name;
        }

        return null;
    }

    private static bool IsPlainCollection(ITypeSymbol? type)
    {
        var ns = type?.ContainingNamespace?.ToDisplayString();
        return ns is "System.Collections.Generic" or "System.Collections";
    }
}
