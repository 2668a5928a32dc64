using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.SharedState;

/// <summary>
/// Per type (symbol start to symbol end): the methods whose callers hold a lock. A private, internal or protected
/// method (or property getter) of the type that is called (in the type) only while a lock is held, directly or from another such method,
/// and never used as a method group (a protected hook such as <c>InitializeTarget()</c> that the base class calls
/// under its lock: derived types override it, they do not call it); methods named <c>*Locked</c>, <c>*UnderLock</c>, <c>*NoLock</c>, <c>*Unsafe</c>, which by
/// convention expect the caller to hold the lock; and methods that assert it on entry
/// (<c>Debug.Assert(Monitor.IsEntered(_lock))</c>). Code in such a method is protected although no lock is visible in it.
/// </summary>
internal sealed class LockHeldMethods
{
    private readonly KnownTypes _types;
    private readonly INamedTypeSymbol _type;
    private readonly ConcurrentContexts.Cache _cache = new();
    // The type's calls to its own methods, as seen; whether each runs under a lock is worked out in Compute, which
    // the rules ask only when they have something that a lock-held caller would excuse.
    private readonly LockedBag<(IOperation Call, IMethodSymbol Callee, ISymbol ContainingSymbol)> _calls = new();
    private readonly LockedMap<IMethodSymbol, bool> _methodGroups = new(SymbolEqualityComparer.Default);
    // Methods that assert the lock is held on entry (Debug.Assert(Monitor.IsEntered(_lock))): whoever calls them,
    // base classes included, holds it.
    private readonly LockedMap<IMethodSymbol, bool> _asserted = new(SymbolEqualityComparer.Default);
    // Worked out at symbol end, on first use (a rule's end action runs once per type).
    private List<(IMethodSymbol Callee, IMethodSymbol? Caller, bool Locked, bool ConstructorCallOnThis)>? _classified;
    private HashSet<IMethodSymbol>? _callees;
    private HashSet<IMethodSymbol>? _lockHeld;

    /// <summary>
    /// What a type names when something in it counts as locked: a lock or a legacy release (<see cref="LockScan.Names"/>
    /// but <c>using</c>), a lock helper in a <c>using</c> (<c>*Lock*()</c>, <c>Acquire*()</c>), <c>[MethodImpl(Synchronized)]</c>,
    /// an assertion that the lock is held, a method named for a caller-held lock (<c>*Locked</c>, <c>*UnderLock</c>,
    /// <c>*Unsafe</c>) or a parameter that says it is (<c>lockTaken</c>, <c>semaphoreHeld</c>; see this class).
    /// A type that names none of them has no lock-held method and no locked access: CONC303 follows only types that
    /// name one, and CONC305 records calls for this class only there. A new convention here or in <see cref="LockRegions"/>
    /// needs a name in this set.
    /// </summary>
    internal static readonly NameSet LockedNames = new NameSet(
            new[] { "Enter", "Exit", "Wait", "Release", "Pulse", "Synchronized" },
            System.Linq.Enumerable.ToArray(System.Linq.Enumerable.Concat(
                System.Linq.Enumerable.Where(LockScan.LockNames.Names, name => name != "lock"),
                new[] { "ReleaseReaderLock", "ReleaseWriterLock", "ReleaseLock", "Synchronized", "IsEntered" })))
        .OrContaining("Lock", "Held", "Semaphore", "Acquire", "Unsafe")
        .OrStartingWith("lock", "held", "semaphore") // the `lock` keyword too
        .Covering(LockScan.LockNames); // a type that names a lock names this set: one text search of the two per type

    private LockHeldMethods(KnownTypes types, INamedTypeSymbol type)
    {
        _types = types;
        _type = type;
    }

    // One recording per symbol start: CONC303 and CONC305 ask for the same type's calls, and the host hands both rules
    // the same symbol-start context, so the second gets the first's recording instead of registering its own (a rule
    // run on its own, as in its tests, gets a context of its own).
    private static readonly ConditionalWeakTable<SymbolStartAnalysisContext, LockHeldMethods> Recordings = new();

    /// <summary>Starts recording the calls of the type in <paramref name="context"/>; ask <see cref="Compute"/> at symbol end.</summary>
    public static LockHeldMethods Register(SymbolStartAnalysisContext context, KnownTypes types)
        => Recordings.GetOrComputePerSymbolStart(context, types, static (c, t) => RegisterNew(c, t));

    private static LockHeldMethods RegisterNew(SymbolStartAnalysisContext context, KnownTypes types)
    {
        var scan = new LockHeldMethods(types, (INamedTypeSymbol)context.Symbol);
        context.RegisterOperationAction(c => scan.RecordCall((IInvocationOperation)c.Operation, c.ContainingSymbol), OperationKind.Invocation);
        context.RegisterOperationAction(c => scan.RecordMethodGroup((IMethodReferenceOperation)c.Operation), OperationKind.MethodReference);
        if (DeclaresNonPublicGetter(scan._type))
        {
            context.RegisterOperationAction(c => scan.RecordPropertyRead((IPropertyReferenceOperation)c.Operation, c.ContainingSymbol), OperationKind.PropertyReference);
        }

        return scan;
    }

    /// <summary>
    /// The type declares a property or indexer with a getter that is not public (an explicit implementation is
    /// private): the only reads <see cref="RecordPropertyRead"/> keeps. Most types declare none, and get no callback
    /// for their property references.
    /// </summary>
    private static bool DeclaresNonPublicGetter(INamedTypeSymbol type)
    {
        foreach (var member in type.GetMembers())
        {
            if (member is IPropertySymbol { GetMethod: not null } property && property.DeclaredAccessibility != Accessibility.Public)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// A read of one of the type's own properties calls its getter: <c>while (Empty) ...</c> under the lock, with
    /// <c>private bool Empty => _queue.Count == 0;</c>, runs the getter under the lock as a helper method would.
    /// </summary>
    private void RecordPropertyRead(IPropertyReferenceOperation reference, ISymbol containingSymbol)
    {
        var property = reference.Property;
        if (property.GetMethod is not { } getter || property.DeclaredAccessibility == Accessibility.Public ||
            !SymbolEqualityComparer.Default.Equals(property.ContainingType.OriginalDefinition, _type) ||
            reference.Parent is IAssignmentOperation assignment && ReferenceEquals(assignment.Target, reference))
        {
            return;
        }

        _calls.Enqueue((reference, getter.OriginalDefinition, containingSymbol));
    }

    private void RecordCall(IInvocationOperation call, ISymbol containingSymbol)
    {
        if (containingSymbol is IMethodSymbol method && AssertsLockHeld(call))
        {
            _asserted.TryAdd(method.OriginalDefinition, true);
            return;
        }

        var callee = call.TargetMethod.OriginalDefinition;
        if (!SymbolEqualityComparer.Default.Equals(callee.ContainingType, _type))
        {
            return;
        }

        _calls.Enqueue((call, callee, containingSymbol));
    }

    private void RecordMethodGroup(IMethodReferenceOperation reference)
    {
        var method = reference.Method.OriginalDefinition;
        if (SymbolEqualityComparer.Default.Equals(method.ContainingType, _type))
        {
            _methodGroups.TryAdd(method, true);
        }
    }

    /// <summary>
    /// <c>Debug.Assert(Monitor.IsEntered(x))</c>, <c>Debug.Assert(_lock.IsHeldByCurrentThread)</c>,
    /// <c>Debug.Assert(_rw.IsWriteLockHeld)</c> (or <c>Trace.Assert</c>, <c>Assumes.True</c>, <c>Contract.Assert</c>) as a
    /// statement of the method's own body (not of a lambda in it).
    /// </summary>
    private static bool AssertsLockHeld(IInvocationOperation call)
    {
        if (!IsAssertion(call.TargetMethod) || call.Arguments.Length == 0 ||
            call.Parent is not IExpressionStatementOperation { Parent: IBlockOperation { Parent: IMethodBodyOperation or null } })
        {
            return false;
        }

        return call.Arguments[0].Value.WalkDownConversions() switch
        {
            IInvocationOperation { TargetMethod: { Name: "IsEntered", ContainingType.Name: "Monitor" } } => true,
            IPropertyReferenceOperation { Property.Name: "IsHeldByCurrentThread" or "IsWriteLockHeld" or "IsReadLockHeld" or "IsUpgradeableReadLockHeld" } => true,
            _ => false,
        };
    }

    /// <summary>
    /// A method that calls, as a statement of its own body, one of the type's methods that asserts the lock
    /// (<c>private void AssertInternalLockState() =&gt; Debug.Assert(_sync.IsHeldByCurrentThread);</c>, as DotNext's
    /// synchronizers do) asserts it too.
    /// </summary>
    private void AddCallersOfAssertingHelpers(HashSet<IMethodSymbol> result)
    {
        if (_asserted.Count == 0)
        {
            return;
        }

        for (var round = 0; round < 3; round++)
        {
            var changed = false;
            foreach (var (call, callee, containingSymbol) in _calls)
            {
                if (containingSymbol is IMethodSymbol caller && result.Contains(callee) && _asserted.ContainsKey(callee) &&
                    call.Parent is IExpressionStatementOperation { Parent: IBlockOperation { Parent: IMethodBodyOperation or null } } &&
                    _asserted.TryAdd(caller.OriginalDefinition, true))
                {
                    result.Add(caller.OriginalDefinition);
                    changed = true;
                }
            }

            if (!changed)
            {
                break;
            }
        }
    }

    private static bool IsAssertion(IMethodSymbol method) => (method.ContainingType?.Name, method.Name) switch
    {
        ("Debug" or "Trace" or "Contract", "Assert") => true,
        ("Assumes", "True") => true, // Microsoft.VisualStudio.Validation
        _ => false,
    };

    /// <summary>
    /// The lock-held methods (original definitions). Call at symbol end. With <paramref name="constructionCounts"/>,
    /// a call of an instance method on <c>this</c> made directly in one of the type's instance constructors (not in a
    /// lambda or local function) counts as a locked call: nobody else sees the object yet. A private
    /// <c>Initialize()</c> run by the constructor and again under the lock (FreeList's re-initialization) then runs
    /// under the lock whenever another thread can see it. Only for instance state, which the constructor owns; a helper
    /// that only constructors run is not made lock-held by this (its writes are not locked ones).
    /// </summary>
    public HashSet<IMethodSymbol> Compute(bool constructionCounts = false)
    {
        // The plain form is kept: both rules sharing this recording ask for it, and the first answer is the one a
        // recording of their own would give (the construction form, asked only by CONC303 after it, is not kept).
        if (!constructionCounts)
        {
            return _lockHeld ??= ComputeCore(constructionCounts: false);
        }

        return ComputeCore(constructionCounts: true);
    }

    private HashSet<IMethodSymbol> ComputeCore(bool constructionCounts)
    {
        var result = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
        foreach (var entry in _asserted)
        {
            result.Add(entry.Key);
        }

        AddCallersOfAssertingHelpers(result);

        var calls = new List<(IMethodSymbol Callee, IMethodSymbol? Caller, bool Locked, bool Constructing)>();
        foreach (var call in ClassifiedCalls())
        {
            calls.Add((call.Callee, call.Caller, call.Locked, constructionCounts && call.ConstructorCallOnThis));
        }

        foreach (var callee in calls.Select(c => c.Callee).Distinct<IMethodSymbol>(SymbolEqualityComparer.Default))
        {
            if (HasLockHeldName(callee.Name))
            {
                result.Add(callee);
            }
        }

        var groups = calls.GroupBy(c => c.Callee, SymbolEqualityComparer.Default).ToList();
        for (var round = 0; round < 4; round++)
        {
            var changed = false;
            foreach (var group in groups)
            {
                var callee = (IMethodSymbol)group.Key!;
                if (result.Contains(callee) ||
                    (callee.MethodKind != MethodKind.LocalFunction &&
                     callee.DeclaredAccessibility is not (Accessibility.Private or Accessibility.Internal or Accessibility.ProtectedAndInternal or Accessibility.Protected)) ||
                    _methodGroups.ContainsKey(callee))
                {
                    continue;
                }

                // A helper only the constructor runs is construction code, not lock-held code: at least one call
                // must hold the lock, or its writes would count as locked ones for the rules.
                if (group.All(c => c.Locked || c.Constructing || (c.Caller is not null && result.Contains(c.Caller.OriginalDefinition))) &&
                    group.Any(c => c.Locked || (c.Caller is not null && result.Contains(c.Caller.OriginalDefinition))))
                {
                    result.Add(callee);
                    changed = true;
                }
            }

            if (!changed)
            {
                break;
            }
        }

        return result;
    }

    /// <summary>
    /// Each recorded call, classified once for both forms of <see cref="Compute"/>: the callee, the calling method
    /// (null in a concurrent function), whether the call holds a lock, and, when it does not, whether it is a call on
    /// <c>this</c> made directly in an instance constructor.
    /// </summary>
    private List<(IMethodSymbol Callee, IMethodSymbol? Caller, bool Locked, bool ConstructorCallOnThis)> ClassifiedCalls()
    {
        if (_classified is { } known)
        {
            return known;
        }

        var calls = new List<(IMethodSymbol Callee, IMethodSymbol? Caller, bool Locked, bool ConstructorCallOnThis)>();
        foreach (var (call, callee, containingSymbol) in _calls)
        {
            var context = ConcurrentContexts.FindEnclosing(call, _types, _cache);
            var locked = SharedStateFacts.IsProtected(call, _types, context?.Function) ||
                         (context is null && (IsInCallerHeldBranch(call, _types) || GuardsHeldParameter(call)));
            var onThis = !locked && context is null && IsConstructorCallOnThis(call, containingSymbol);
            calls.Add((callee, context is null ? containingSymbol as IMethodSymbol : null, locked, onThis));
        }

        return _classified = calls;
    }

    /// <summary>
    /// False when <paramref name="method"/> (an original definition) cannot be in <see cref="Compute"/>'s result, in
    /// either form: nothing in the type asserts the lock and the type never calls it. Answered from the recorded calls
    /// without classifying them, so a rule can skip <see cref="Compute"/> for a method nobody calls (most public ones).
    /// Call at symbol end.
    /// </summary>
    public bool MayBeLockHeld(IMethodSymbol method)
    {
        if (_asserted.Count > 0)
        {
            return true;
        }

        if (_callees is null)
        {
            var callees = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
            foreach (var (_, callee, _) in _calls)
            {
                callees.Add(callee);
            }

            _callees = callees;
        }

        return _callees.Contains(method);
    }

    private static bool IsConstructorCallOnThis(IOperation call, ISymbol containingSymbol)
        => containingSymbol is IMethodSymbol { MethodKind: MethodKind.Constructor } &&
           call is IInvocationOperation { TargetMethod.IsStatic: false, Instance: IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } } &&
           !call.IsInNestedFunction();

    /// <summary>
    /// The operation runs in the branch of an <c>if</c> on a <c>bool</c> parameter whose other branch takes a lock:
    /// <c>if (lockHeld) Do(); else { await _gate.WaitAsync(); try { Do(); } finally { _gate.Release(); } }</c>. The
    /// caller says it holds the lock already (a hand-off), so the branch runs under it as much as the other one does.
    /// Lambdas and local functions in the branch run later and are not covered.
    /// </summary>
    public static bool IsInCallerHeldBranch(IOperation operation, KnownTypes types)
    {
        var child = operation;
        for (var parent = operation.Parent; parent is not null; child = parent, parent = parent.Parent)
        {
            if (parent.Kind is OperationKind.AnonymousFunction or OperationKind.LocalFunction)
            {
                return false;
            }

            if (parent is not IConditionalOperation { WhenFalse: { } whenFalse } conditional ||
                ReferenceEquals(child, conditional.Condition) || !IsBoolParameterTest(conditional.Condition, out var whenSet))
            {
                continue;
            }

            var heldBranch = whenSet ? conditional.WhenTrue : whenFalse;
            var lockingBranch = whenSet ? whenFalse : conditional.WhenTrue;
            if (ReferenceEquals(child, heldBranch) && TakesLock(lockingBranch, types))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The method body the operation is in starts by refusing to run unless a <c>bool</c> parameter named for the lock
    /// says it is held: <c>if (false == semaphoreHeld) throw new InvalidOperationException(...);</c> (or
    /// <c>if (!lockHeld) throw</c>), one of the <c>if</c> statements that open the body (the others return or throw). Like an assertion of
    /// the lock on entry, it makes every caller hold the lock.
    /// </summary>
    public static bool GuardsHeldParameter(IOperation operation)
    {
        if (operation.GetRoot() is not IMethodBodyOperation { BlockBody: { } body })
        {
            return false;
        }

        foreach (var statement in body.Operations)
        {
            if (statement is not IConditionalOperation conditional)
            {
                return false;
            }

            if (IsBoolParameterTest(conditional.Condition, out var whenSet, out var parameter) && !whenSet &&
                NamesALock(parameter.Name) && conditional.WhenFalse is null && Throws(conditional.WhenTrue))
            {
                return true;
            }

            // Only the guards at the top of the body: after the first other test the method has started its work.
            if (!Throws(conditional.WhenTrue) && !Returns(conditional.WhenTrue))
            {
                return false;
            }
        }

        return false;
    }

    private static bool NamesALock(string name)
        => name.IndexOf("Held", StringComparison.OrdinalIgnoreCase) >= 0 || name.IndexOf("Lock", StringComparison.OrdinalIgnoreCase) >= 0 ||
           name.IndexOf("Semaphore", StringComparison.OrdinalIgnoreCase) >= 0;

    private static bool Throws(IOperation branch)
        => branch is IThrowOperation or IExpressionStatementOperation { Operation: IThrowOperation } ||
           (branch is IBlockOperation { Operations.Length: 1 } block && Throws(block.Operations[0]));

    private static bool Returns(IOperation branch)
        => branch is IReturnOperation || (branch is IBlockOperation { Operations.Length: 1 } block && Returns(block.Operations[0]));

    private static bool IsBoolParameterTest(IOperation condition, out bool whenSet)
        => IsBoolParameterTest(condition, out whenSet, out _);

    /// <summary>
    /// <c>p</c>, <c>!p</c>, <c>p == true</c>, <c>false == p</c>, <c>p != false</c>... for a <c>bool</c> parameter
    /// <c>p</c>; <paramref name="whenSet"/> is whether the condition is true when <c>p</c> is.
    /// </summary>
    private static bool IsBoolParameterTest(IOperation condition, out bool whenSet, out IParameterSymbol parameter)
    {
        whenSet = true;
        parameter = null!;
        var current = condition.WalkDownConversions();
        while (current is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not)
        {
            whenSet = !whenSet;
            current = not.Operand.WalkDownConversions();
        }

        if (current is IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } binary)
        {
            var left = binary.LeftOperand.WalkDownConversions();
            var right = binary.RightOperand.WalkDownConversions();
            var constant = left.ConstantValue.HasValue ? left : right;
            var other = ReferenceEquals(constant, left) ? right : left;
            if (constant.ConstantValue is not { HasValue: true, Value: bool value })
            {
                return false;
            }

            whenSet = whenSet == (value == (binary.OperatorKind == BinaryOperatorKind.Equals));
            current = other;
        }

        if (current is IParameterReferenceOperation { Parameter: { Type.SpecialType: SpecialType.System_Boolean } symbol })
        {
            parameter = symbol;
            return true;
        }

        return false;
    }

    /// <summary>The branch takes a lock: a <c>lock</c> statement or an acquiring call <see cref="LockApis"/> knows.</summary>
    private static bool TakesLock(IOperation branch, KnownTypes types)
    {
        if (!LockScan.For(branch.GetRoot(), types).HasAnyLock)
        {
            return false;
        }

        foreach (var operation in branch.EnumerateDescendantsAndSelf())
        {
            if (operation.Kind == OperationKind.Lock ||
                (operation.Kind == OperationKind.Invocation && operation is IInvocationOperation invocation &&
                 LockApis.TryGetLockCall(invocation, types, out var call) && call.IsAcquire))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The private or internal methods of the type called (in the type, not from concurrent code, never as a method
    /// group) only from methods <paramref name="isRoot"/> accepts or from other such methods: a <c>RemoveAll()</c>
    /// helper that only <c>Dispose</c> calls is part of the disposal. Call at symbol end, only when a rule needs it.
    /// </summary>
    public HashSet<IMethodSymbol> CalledOnlyFrom(Func<IMethodSymbol, bool> isRoot)
    {
        var byCallee = new Dictionary<IMethodSymbol, List<IMethodSymbol?>>(SymbolEqualityComparer.Default);
        foreach (var (call, callee, containingSymbol) in _calls)
        {
            if (!byCallee.TryGetValue(callee, out var callers))
            {
                byCallee[callee] = callers = new List<IMethodSymbol?>();
            }

            // A call from a lambda or local function runs when that function runs, not as part of its container.
            callers.Add(call.IsInNestedFunction() ? null : (containingSymbol as IMethodSymbol)?.OriginalDefinition);
        }

        var result = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
        for (var round = 0; round < 4; round++)
        {
            var changed = false;
            foreach (var pair in byCallee)
            {
                var callee = pair.Key;
                if (result.Contains(callee) || isRoot(callee) || _methodGroups.ContainsKey(callee) ||
                    callee.DeclaredAccessibility is not (Accessibility.Private or Accessibility.Internal or Accessibility.ProtectedAndInternal) ||
                    callee.IsVirtual || callee.IsOverride || callee.IsAbstract)
                {
                    continue;
                }

                if (pair.Value.TrueForAll(caller => caller is not null && (isRoot(caller) || result.Contains(caller))))
                {
                    result.Add(callee);
                    changed = true;
                }
            }

            if (!changed)
            {
                break;
            }
        }

        return result;
    }

    /// <summary>True when <paramref name="method"/> is in <paramref name="lockHeld"/> (its original definition) or has a lock-held name.</summary>
    public static bool IsLockHeld(HashSet<IMethodSymbol> lockHeld, ISymbol? method)
        => method is IMethodSymbol m && (lockHeld.Contains(m.OriginalDefinition) || HasLockHeldName(m.Name));

    /// <summary>
    /// <c>*Locked</c> (not <c>*Unlocked</c>), <c>*UnderLock</c>, <c>*NoLock</c>, <c>*NeedsLock</c>, <c>*RequiresLock</c>
    /// (Polly's <c>BreakFor_NeedsLock</c>), <c>*Unsafe</c>: by convention the caller holds the lock.
    /// </summary>
    public static bool HasLockHeldName(string name)
        => name.EndsWith("Lock", StringComparison.Ordinal)
            ? name.EndsWith("UnderLock", StringComparison.Ordinal) || name.EndsWith("NoLock", StringComparison.Ordinal) ||
              name.EndsWith("NeedsLock", StringComparison.Ordinal) || name.EndsWith("RequiresLock", StringComparison.Ordinal)
            : (name.EndsWith("Locked", StringComparison.Ordinal) && !name.EndsWith("Unlocked", StringComparison.Ordinal)) ||
              name.EndsWith("Unsafe", StringComparison.Ordinal);
}
