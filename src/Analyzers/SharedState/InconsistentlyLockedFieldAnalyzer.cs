using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.SharedState;

/// <summary>
/// CONC303: per type, a field written under a lock in one place and read or written without it in another.
/// Constructors, <c>Dispose</c>, volatile/const fields (readonly ones only count when their collection is changed in place), fields used with <c>Interlocked</c>/<c>Volatile</c>,
/// private helpers only called under the lock, and unlocked pre-checks repeated under the lock are left alone.
/// </summary>
public sealed class InconsistentlyLockedFieldAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property: the name of the gate field every locked access uses (<c>lock (_gate)</c>), for the fix.</summary>
    public const string GateProperty = "Gate";

    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        RuleIds.InconsistentlyLockedField,
        "Field accessed both with and without its lock",
        "'{0}' is written under a lock elsewhere but {1} here without it",
        DiagnosticSeverity.Warning,
        "A lock protects a field only if every access takes it. A read without the lock can see a half-done update (a " +
        "Dictionary in the middle of a resize, a torn long, a count that is already stale), and a write without it " +
        "races with the locked writers. Take the same lock around this access.");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var types = KnownTypes.For(start.Compilation);
            var collections = SharedStateFacts.CollectionTypes(types);
            if (types.Monitor is null)
            {
                return;
            }

            var threadSafe = new ThreadSafeTypes(start.Options);
            start.RegisterSymbolStartAction(symbolStart => new TypeScan(types, collections, threadSafe).Register(symbolStart), SymbolKind.NamedType);
        });
    }

    private enum AccessKind
    {
        Read,
        Assign,
        Update,
    }

    /// <summary>
    /// One use of a field, recorded cheaply as the driver walks the type; what it is (read or write, under a lock or
    /// not, in concurrent code or not) is worked out at the end, and only as far as the verdict needs it.
    /// </summary>
    private sealed class Access
    {
        public Access(IFieldSymbol field, IFieldReferenceOperation operation, IMethodSymbol method)
        {
            Field = field;
            Operation = operation;
            Method = method;
        }

        public IFieldSymbol Field { get; }

        public IFieldReferenceOperation Operation { get; }

        public IMethodSymbol Method { get; }

        public AccessKind Kind { get; set; }

        public bool Locked { get; private set; }

        /// <summary>The field a <c>lock</c> statement around the access locks on, when that is how it is protected.</summary>
        public ISymbol? Gate { get; private set; }

        /// <summary>The access runs in a concurrent lambda or local function.</summary>
        public bool Concurrent { get; private set; }

        public bool IsClassified { get; private set; }

        public void SetClass(bool locked, ISymbol? gate, bool concurrent)
        {
            Locked = locked;
            Gate = gate;
            Concurrent = concurrent;
            IsClassified = true;
        }
    }

    private sealed class TypeScan
    {
        private readonly KnownTypes _types;
        private readonly ImmutableHashSet<INamedTypeSymbol> _collections;
        private readonly ThreadSafeTypes _threadSafe;
        private readonly ConcurrentContexts.Cache _cache = new();
        private readonly LockedBag<Access> _accesses = new();
        private readonly LockedMap<IFieldSymbol, bool> _atomic = new(SymbolEqualityComparer.Default);
        private LockHeldMethods? _lockHeldScan;
        private HashSet<IMethodSymbol>? _lockHeld;
        private HashSet<IMethodSymbol>? _lockHeldOrConstruct;
        private HashSet<IMethodSymbol>? _disposalHelpers;
        private HashSet<IMethodSymbol>? _constructionHelpers;

        public TypeScan(KnownTypes types, ImmutableHashSet<INamedTypeSymbol> collections, ThreadSafeTypes threadSafe)
        {
            _threadSafe = threadSafe;
            _types = types;
            _collections = collections;
        }

        public void Register(SymbolStartAnalysisContext context)
        {
            var type = (INamedTypeSymbol)context.Symbol;
            if (!SourceMentions.Any(type, LockHeldMethods.LockedNames, _types))
            {
                return; // nothing in the type is protected, so no field is written under a lock (most types)
            }

            context.RegisterOperationAction(c => RecordField((IFieldReferenceOperation)c.Operation, type, c.ContainingSymbol), OperationKind.FieldReference);
            _lockHeldScan = LockHeldMethods.Register(context, _types);
            context.RegisterSymbolEndAction(Report);
        }

        private void RecordField(IFieldReferenceOperation reference, INamedTypeSymbol type, ISymbol containingSymbol)
        {
            var field = reference.Field.OriginalDefinition;
            if (!SymbolEqualityComparer.Default.Equals(field.ContainingType, type) ||
                field.IsConst || field.IsVolatile || field.IsImplicitlyDeclared ||
                (!field.IsStatic && reference.Instance is not IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance }) ||
                SharedStateFacts.IsInNameOf(reference))
            {
                return;
            }

            if (IsAtomicUse(reference))
            {
                _atomic.TryAdd(field, true);
                return;
            }

            var method = containingSymbol as IMethodSymbol;
            if (containingSymbol is IFieldSymbol or IPropertySymbol || method is null || IsExcludedMember(method, field) ||
                IsReferenceHandedOn(reference) || ReadsFixedCollectionProperty(reference) || ReachesLockObject(reference) ||
                IsRefHandedToRefStruct(reference))
            {
                return;
            }

            _accesses.Enqueue(new Access(field, reference, method));
        }

        /// <summary>
        /// A statement followed, in its block, by the release of a lock (<c>_owner = null; _semaphore.Release();</c>)
        /// runs while that lock is still held: it was acquired by the caller or by an earlier method of the protocol.
        /// </summary>
        private bool IsBeforeRelease(IOperation operation, IOperation? stopAt)
        {
            // Asked of every unprotected write: most bodies release nothing, which their lock scan says at once.
            if (!LockRegions.BodyMayLock(operation, _types))
            {
                return false;
            }

            var child = operation;
            for (var parent = operation.Parent; parent is not null && !ReferenceEquals(parent, stopAt); child = parent, parent = parent.Parent)
            {
                if (parent is IAnonymousFunctionOperation or ILocalFunctionOperation)
                {
                    return false;
                }

                if (parent is IBlockOperation block)
                {
                    var after = false;
                    foreach (var statement in block.Operations)
                    {
                        if (ReferenceEquals(statement, child))
                        {
                            after = true;
                            continue;
                        }

                        if (after && LockRegions.ReleasesAnyLock(statement, _types))
                        {
                            return true;
                        }
                    }
                }
            }

            return false;
        }

        /// <summary>
        /// The object in a reference-typed field is handed on, not used: <c>lock (_items)</c>, <c>Monitor.Exit(_items)</c>,
        /// <c>Drain(_items)</c>, or the object of a <c>readonly</c> field returned as it is
        /// (<c>public IList&lt;Target&gt; Targets =&gt; _targets;</c>: the reference never changes, so reading it races with
        /// nothing). Whoever receives it does (or does not) take the lock.
        /// </summary>
        private static bool IsReferenceHandedOn(IFieldReferenceOperation reference)
        {
            if (reference.Type is not { IsReferenceType: true })
            {
                return false;
            }

            var parent = reference.WalkUpConversions();
            return (parent is IArgumentOperation { Parameter.RefKind: RefKind.None } argument &&
                    !(argument.Parent is IInvocationOperation { TargetMethod.IsExtensionMethod: true } && argument.Parameter.Ordinal == 0)) ||
                   (parent is ILockOperation lockOperation && ReferenceEquals(lockOperation.LockedValue.WalkDownConversions(), reference)) ||
                   (parent is IReturnOperation && reference.Field.IsReadOnly);
        }

        /// <summary>
        /// <c>new Acquisition(ref _queue, token)</c>: a <c>ref struct</c> is given the field by reference to keep in a ref
        /// field and use later (DotNext's acquisition builders, which take the lock through it). The field is handed
        /// on, neither read nor written here; the ref struct's own code, in its own type, does that.
        /// </summary>
        private static bool IsRefHandedToRefStruct(IFieldReferenceOperation reference)
            => reference.Parent is IArgumentOperation { Parameter.RefKind: RefKind.Ref, Parent: IObjectCreationOperation { Type.IsRefLikeType: true } };

        /// <summary>
        /// The field is read only to reach the lock object a <c>readonly</c> field of it holds: <c>lock (_queue.SyncRoot)</c>,
        /// <c>Monitor.Enter(_state.Gate)</c>, <c>_queue.SyncRoot.EnterScope()</c> (a struct that keeps its own gate). The
        /// lock object never changes, so reaching it races with nothing, and the access takes the lock rather than
        /// skipping it.
        /// </summary>
        private bool ReachesLockObject(IFieldReferenceOperation reference)
        {
            IOperation gate = reference;
            while (gate.Parent is IFieldReferenceOperation { Field.IsReadOnly: true, Field.IsStatic: false } member && ReferenceEquals(member.Instance, gate))
            {
                gate = member;
            }

            if (ReferenceEquals(gate, reference))
            {
                return false;
            }

            return gate.WalkUpConversions() switch
            {
                ILockOperation lockOperation => ReferenceEquals(lockOperation.LockedValue.WalkDownConversions(), gate),
                IArgumentOperation { Parameter.Ordinal: 0, Parent: IInvocationOperation call } => call.TargetMethod.ContainingType.Is(_types.Monitor),
                IInvocationOperation { Instance: { } instance } call => ReferenceEquals(instance, gate) && call.TargetMethod.ContainingType.Is(_types.Lock),
                _ => false,
            };
        }

        /// <summary>
        /// The field's collection is asked only what it was built with: <c>_dict.Comparer</c>,
        /// <c>((ICollection&lt;T&gt;)_list).IsReadOnly</c> on a <c>System.Collections</c> type. Changing the contents never
        /// changes those, so the read races with nothing.
        /// </summary>
        private static bool ReadsFixedCollectionProperty(IFieldReferenceOperation reference)
            => reference.WalkUpConversions() is IPropertyReferenceOperation
            {
                // Not an indexer: the field (through any cast) is the instance.
                Property: { Name: "Comparer" or "IsReadOnly" or "IsFixedSize", IsIndexer: false, ContainingType.ContainingNamespace: { } ns },
                Instance: not null,
            } &&
               (ns.Name is "Generic" or "Concurrent" or "Collections" or "Immutable") &&
               ns.ToDisplayString().StartsWith("System.Collections", StringComparison.Ordinal);

        /// <summary>
        /// A <c>protected override</c> named <c>Initialize…</c> or <c>Close…</c>: the base class runs it before the
        /// object starts its work or after it stops, as NLog's targets and layout renderers are initialized and closed.
        /// </summary>
        private static bool IsLifecycleHook(IMethodSymbol method)
            => method.IsOverride && method.DeclaredAccessibility == Accessibility.Protected &&
               (method.Name.StartsWith("Initialize", StringComparison.Ordinal) || method.Name.StartsWith("Close", StringComparison.Ordinal));

        /// <summary>Members the rule leaves out; with no <paramref name="field"/>, the ones left out for every field.</summary>
        private static bool IsExcludedMember(IMethodSymbol method, IFieldSymbol? field)
        {
            switch (method.MethodKind)
            {
                case MethodKind.Constructor:
                    return field is { IsStatic: false };
                case MethodKind.PropertySet when method.IsInitOnly:
                    // An init accessor runs in the object initializer, before anyone else can see the object.
                    return field is { IsStatic: false };
                case MethodKind.StaticConstructor:
                case MethodKind.Destructor:
                    return true;
            }

            // Disposal runs after the work is stopped (or is itself racy by design): not a place to ask for the lock.
            // So do the lifecycle hooks a framework base class calls around the work, which the type overrides and
            // never calls itself (protected override InitializeTarget() / CloseTarget()).
            return method.Name is "Dispose" or "DisposeAsync" or "DisposeCore" or "DisposeAsyncCore" or "Finalize" ||
                   IsLifecycleHook(method);
        }

        private bool IsAtomicUse(IOperation reference)
        {
            if (reference.Parent is not IArgumentOperation { Parent: IInvocationOperation invocation } argument ||
                argument.Parameter?.RefKind is not (RefKind.Ref or RefKind.Out or RefKind.In or RefKind.RefReadOnlyParameter))
            {
                return false;
            }

            var container = invocation.TargetMethod.ContainingType;
            return container.Is(_types.Interlocked) || container.Is(_types.Volatile) || container?.Name == "ImmutableInterlocked";
        }

        private AccessKind KindOf(IFieldReferenceOperation reference)
        {
            if (SharedStateFacts.IsWrittenTo(reference))
            {
                return reference.Parent is ISimpleAssignmentOperation ? AccessKind.Assign : AccessKind.Update;
            }

            if (reference.Parent is IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out } byRef &&
                !IsReinterpretation(byRef))
            {
                return AccessKind.Update;
            }

            // A mutating call or dictionary indexer set on the field's (non-thread-safe) object changes it in place;
            // on a type the user lists as thread-safe it is a use, not an update.
            var user = reference.WalkUpConversions();
            if (user is not null && SharedStateFacts.MutatedReceiver(user, _collections, _types, out _) is { } receiver &&
                ReferenceEquals(receiver.WalkDownConversions(), reference) && !_threadSafe.Contains(reference.Type, reference.Syntax.SyntaxTree))
            {
                return AccessKind.Update;
            }

            return AccessKind.Read;
        }

        /// <summary>
        /// <c>Unsafe.As&lt;ulong, uint&gt;(ref _version)</c> read at once: the field is viewed as another type, not written
        /// (a write through the returned reference is a separate assignment, which is not this argument's parent).
        /// </summary>
        private static bool IsReinterpretation(IArgumentOperation argument)
            => argument.Parent is IInvocationOperation { TargetMethod: { Name: "As", ContainingType: { Name: "Unsafe", ContainingNamespace.Name: "CompilerServices" } } } call &&
               call.WalkUpConversions() is not (IAssignmentOperation or IArgumentOperation { Parameter.RefKind: not RefKind.None } or IIncrementOrDecrementOperation);

        /// <summary>The field named by the innermost enclosing <c>lock (x)</c> statement, if the access is under one.</summary>
        private static ISymbol? EnclosingLockGate(IOperation operation, IOperation? stopAt)
        {
            for (var current = operation.Parent; current is not null && !ReferenceEquals(current, stopAt); current = current.Parent)
            {
                if (current is ILockOperation lockOperation)
                {
                    return lockOperation.LockedValue.WalkDownConversions() switch
                    {
                        IFieldReferenceOperation field => field.Field,
                        _ => null,
                    };
                }
            }

            return null;
        }

        private void Report(SymbolAnalysisContext context)
        {
            if (_accesses.IsEmpty)
            {
                return;
            }

            // Most types hand no field to Interlocked or Volatile: their accesses are not looked up one by one.
            var anyAtomic = !_atomic.IsEmpty;
            var byField = new Dictionary<IFieldSymbol, List<Access>>(SymbolEqualityComparer.Default);
            foreach (var access in _accesses)
            {
                if (anyAtomic && _atomic.ContainsKey(access.Field))
                {
                    continue;
                }

                if (!byField.TryGetValue(access.Field, out var list))
                {
                    byField[access.Field] = list = new List<Access>();
                }

                list.Add(access);
            }

            foreach (var pair in byField)
            {
                var field = pair.Key;
                var accesses = pair.Value;

                // Only a field written under a lock can be reported: find its writes first, and classify the rest of
                // its accesses only when one of them is locked.
                // (The list is made at the first locked write: most fields have none.)
                List<Access>? lockedWrites = null;
                foreach (var access in accesses)
                {
                    access.Kind = KindOf(access.Operation);
                    if (access.Kind != AccessKind.Read && IsLocked(access))
                    {
                        (lockedWrites ??= new List<Access>()).Add(access);
                    }
                }

                if (lockedWrites is null)
                {
                    continue;
                }

                // What the verdicts on unlocked accesses need, worked out at the first one: in most fields with a locked
                // write every access is locked (HandOffHalf walks a method body, the gate classifies every access).
                bool? readsMatter = null;
                bool? callersHoldAcrossCalls = null;
                ISymbol? gate = null;
                HashSet<SyntaxNode>? reported = null;
                foreach (var access in accesses)
                {
                    // A read is reported only where reads of the field matter: the others are not even classified.
                    if (access.Kind == AccessKind.Read &&
                        !(readsMatter ??= lockedWrites.Any(a => a.Kind == AccessKind.Update && SharedStateFacts.AsCollection(field.Type, _collections) is not null) ||
                                          ReadsOfValueMatter(field.Type)))
                    {
                        continue;
                    }

                    if (IsLocked(access))
                    {
                        continue;
                    }

                    if (callersHoldAcrossCalls is null)
                    {
                        // The gate first: it classifies every access of the field, whose Locked IsPreCheck then reads.
                        gate = CommonGate(accesses);
                        callersHoldAcrossCalls = CallersHoldAcrossCalls(lockedWrites);
                    }

                    if (callersHoldAcrossCalls.Value && !access.Concurrent)
                    {
                        continue;
                    }

                    if (access.Kind == AccessKind.Read)
                    {
                        if (IsPreCheck(access, accesses) || IsDebuggerDisplayMember(access.Method) || IsFollowedByFence(access.Operation) ||
                            ReadsOneWordOfStruct(access, accesses))
                        {
                            continue;
                        }
                    }
                    else if (access.Concurrent && access.Kind == AccessKind.Update)
                    {
                        // An unlocked update in concurrent code is CONC301's (collections) or CONC302's (x++): one diagnostic per bug.
                        continue;
                    }

                    if (IsInDisposalOrConstructionHelper(access))
                    {
                        continue;
                    }

                    var statement = StatementOf(access.Operation);
                    reported ??= new HashSet<SyntaxNode>();
                    if (!reported.Add(statement))
                    {
                        continue;
                    }

                    var properties = ImmutableDictionary<string, string?>.Empty;
                    // The fix names the gate as is (`lock (_gate)`): only one the type itself can name, not a member of
                    // another object (`lock (_queue.SyncRoot)`).
                    if (gate is not null && (gate.IsStatic || !access.Method.IsStatic) &&
                        field.ContainingType.InheritsFromOrEquals(gate.ContainingType))
                    {
                        properties = properties.Add(GateProperty, gate.Name);
                    }

                    context.ReportDiagnostic(Diagnostic.Create(
                        Rule,
                        access.Operation.Syntax.GetLocation(),
                        properties,
                        field.Name,
                        access.Kind == AccessKind.Read ? "read" : "written"));
                }
            }
        }

        /// <summary>
        /// Every locked write is in one half of a lock the type hands to its callers (a non-private Enter() takes it and
        /// returns, Exit() gives it back), and one of them takes it: the callers hold it around their calls of the type's
        /// other methods. Private halves are the type's own protocol, which its own calls show.
        /// </summary>
        private bool CallersHoldAcrossCalls(List<Access> lockedWrites)
            => lockedWrites.All(a => !a.Concurrent && a.Method.DeclaredAccessibility != Accessibility.Private && HandOffHalf(a.Operation) != 0) &&
               lockedWrites.Any(a => HandOffHalf(a.Operation) > 0);

        /// <summary>The one gate every locked access of the field locks on (by name), for the fix; null when they differ or one has none.</summary>
        private ISymbol? CommonGate(List<Access> accesses)
        {
            var gates = accesses.Where(IsLocked).Select(a => a.Gate).ToList();
            return gates.All(g => g is not null) && gates.Select(g => g!.Name).Distinct().Count() == 1 ? gates[0] : null;
        }

        /// <summary>
        /// Whether the write's method (not a lambda or local function in it) is one half of a lock held across calls:
        /// 1 when it takes a lock and returns holding it (<c>public void Enter() { _spin.Enter(ref taken); }</c>,
        /// <c>EnterAndGetResponseObject</c>), -1 when it gives back one it never took (<c>Exit()</c>), 0 otherwise.
        /// Garnet's network senders expose their send lock so; the session calls their other methods between the two.
        /// Asked only of the locked writes of a field about to be reported.
        /// </summary>
        private int HandOffHalf(IOperation write)
        {
            if (write.IsInNestedFunction())
            {
                return 0;
            }

            ISymbol? key = null;
            bool acquires = false, releases = false;
            foreach (var descendant in write.GetRoot().EnumerateDescendants())
            {
                if (descendant.Kind is OperationKind.Lock or OperationKind.Using or OperationKind.UsingDeclaration)
                {
                    return 0; // a lock statement or a scope: released in the method
                }

                if (descendant is not IInvocationOperation invocation || !LockApis.TryGetLockCall(invocation, _types, out var call) ||
                    call.Key is not { } callKey)
                {
                    continue;
                }

                if (call.IsScope || (key is not null && !SymbolEqualityComparer.Default.Equals(key, callKey)))
                {
                    return 0;
                }

                key = callKey;
                if (call.IsAcquire)
                {
                    acquires = true;
                }
                else if (call.Action == LockAction.Release)
                {
                    releases = true;
                }
            }

            return key is not IFieldSymbol || acquires == releases ? 0 : acquires ? 1 : -1;
        }

        /// <summary>
        /// The statement that reads the field is followed at once by a memory barrier
        /// (<c>var v = _version; Volatile.ReadBarrier();</c>, <c>Interlocked.MemoryBarrier()</c>, <c>Thread.MemoryBarrier()</c>):
        /// a lock-free read written on purpose, ordered by hand, like a <c>Volatile.Read</c>. Asked only of reads about to
        /// be reported.
        /// </summary>
        private static bool IsFollowedByFence(IOperation read)
        {
            IOperation statement = read;
            while (statement.Parent is { } parent && parent is not IBlockOperation)
            {
                if (parent.Kind is OperationKind.AnonymousFunction or OperationKind.LocalFunction)
                {
                    return false;
                }

                statement = parent;
            }

            if (statement.Parent is not IBlockOperation block)
            {
                return false;
            }

            var index = block.Operations.IndexOf(statement);
            return index >= 0 && index + 1 < block.Operations.Length &&
                   block.Operations[index + 1] is IExpressionStatementOperation { Operation: IInvocationOperation { Arguments.Length: 0 } call } &&
                   call.TargetMethod is { IsStatic: true, Name: "ReadBarrier" or "MemoryBarrier", ContainingType: { Name: "Volatile" or "Interlocked" or "Thread", ContainingNamespace.Name: "Threading" } };
        }

        /// <summary>
        /// The read is in a non-public property or method that the type's <c>[DebuggerDisplay]</c> names
        /// (<c>[DebuggerDisplay("State = {GetStateForDebugger}")]</c>, <c>{DebuggerDisplay,nq}</c>): the debugger evaluates
        /// it while the program is stopped, where taking the lock could hang the debugger; a stale view is the point.
        /// Asked only of reads about to be reported.
        /// </summary>
        private static bool IsDebuggerDisplayMember(IMethodSymbol method)
        {
            var member = method.AssociatedSymbol ?? method;
            if (member.DeclaredAccessibility == Accessibility.Public || member.ContainingType is not { } type)
            {
                return false;
            }

            foreach (var attribute in type.GetAttributes())
            {
                if (attribute.AttributeClass is { Name: "DebuggerDisplayAttribute" } &&
                    attribute.ConstructorArguments.Length > 0 && attribute.ConstructorArguments[0].Value is string text &&
                    NamesMember(text, member.Name))
                {
                    return true;
                }
            }

            return false;

            static bool NamesMember(string text, string name)
            {
                for (var at = text.IndexOf("{" + name, StringComparison.Ordinal); at >= 0; at = text.IndexOf("{" + name, at + 1, StringComparison.Ordinal))
                {
                    var end = at + 1 + name.Length;
                    if (end == text.Length || !(char.IsLetterOrDigit(text[end]) || text[end] == '_'))
                    {
                        return true;
                    }
                }

                return false;
            }
        }

        /// <summary>
        /// The access is in a private helper that only <c>Dispose</c> calls (<c>RemoveAllPlugins()</c>), or, for an
        /// instance field, only a constructor: it belongs to the member that calls it, which the rule leaves out.
        /// </summary>
        private bool IsInDisposalOrConstructionHelper(Access access)
        {
            var method = access.Method.OriginalDefinition;
            if (method.MethodKind != MethodKind.Ordinary)
            {
                return false;
            }

            _disposalHelpers ??= _lockHeldScan!.CalledOnlyFrom(static m => IsExcludedMember(m, field: null));
            if (_disposalHelpers.Contains(method))
            {
                return true;
            }

            if (access.Field.IsStatic)
            {
                return false;
            }

            _constructionHelpers ??= _lockHeldScan!.CalledOnlyFrom(static m => m.MethodKind == MethodKind.Constructor);
            return _constructionHelpers.Contains(method);
        }

        private bool IsLocked(Access access)
        {
            if (!access.IsClassified)
            {
                var context = ConcurrentContexts.FindEnclosing(access.Operation, _types, _cache);
                var stopAt = context?.Function;
                var locked = SharedStateFacts.IsProtected(access.Operation, _types, stopAt) || IsBeforeRelease(access.Operation, stopAt) ||
                             (context is null && LockHeldMethods.IsInCallerHeldBranch(access.Operation, _types));
                access.SetClass(locked, locked ? EnclosingLockGate(access.Operation, stopAt) : null, context is not null);
            }

            return access.Locked ||
                   (!access.Concurrent && (LockHeldMethods.HasLockHeldName(access.Method.Name) || IsCalledUnderLock(access.Method.OriginalDefinition, access.Field) ||
                                           EnclosingLocalFunction(access.Operation) is { } local && _lockHeldScan!.MayBeLockHeld(local) && CallersHoldLock().Contains(local) ||
                                           LockHeldMethods.GuardsHeldParameter(access.Operation)));
        }

        /// <summary>
        /// The method's callers in the type hold the lock (for an instance field, a call from the constructor counts
        /// too). Most unlocked accesses are in methods the type never calls: those are answered without working out
        /// which of its calls hold a lock.
        /// </summary>
        private bool IsCalledUnderLock(IMethodSymbol method, IFieldSymbol field)
            => _lockHeldScan!.MayBeLockHeld(method) &&
               (CallersHoldLock().Contains(method) || (!field.IsStatic && CallersHoldLockOrConstruct().Contains(method)));

        /// <summary>
        /// The local function the access is in, whose own callers may hold the lock. Lambdas in between are looked
        /// through (<c>_items.Where(k => _other.Contains(k))</c> in a local function called under the lock): the access
        /// is not in a concurrent context, so they run while the local function does, as lambdas in a method do.
        /// </summary>
        private static IMethodSymbol? EnclosingLocalFunction(IOperation operation)
        {
            for (var current = operation.Parent; current is not null; current = current.Parent)
            {
                if (current is ILocalFunctionOperation local)
                {
                    return local.Symbol.OriginalDefinition;
                }
            }

            return null;
        }

        /// <summary>
        /// Value types other than <c>bool</c> and enums (counters, longs, structs): an unlocked read sees torn or
        /// half-updated values. Flags and references published whole are read racily by design (fast-path checks,
        /// copy-on-write snapshots) and are not reported.
        /// </summary>
        private static bool ReadsOfValueMatter(ITypeSymbol type)
            => type.IsValueType && type.TypeKind != TypeKind.Enum && type.SpecialType != SpecialType.System_Boolean &&
               !(type is INamedTypeSymbol { IsGenericType: true } named && named.ConstructedFrom.SpecialType == SpecialType.System_Nullable_T);

        /// <summary>
        /// <c>_current.Task != null</c> on a struct (tuple) field only ever replaced whole: the read loads one
        /// reference, flag or enum member, which cannot tear, and sees the old or the new value as a reference field
        /// would. Only when it is the method's one unlocked read of the field: two members read apart can come from
        /// different values, and a number member (or a copy of the whole struct) can tear.
        /// </summary>
        private bool ReadsOneWordOfStruct(Access read, List<Access> accesses)
        {
            if (read.Operation is not IFieldReferenceOperation { Type: { TypeKind: TypeKind.Struct, SpecialType: SpecialType.None } } reference ||
                reference.Parent is not IFieldReferenceOperation member || !ReferenceEquals(member.Instance, reference) ||
                ReadsOfValueMatter(member.Field.Type))
            {
                return false;
            }

            foreach (var other in accesses)
            {
                // A struct changed in place (`_queue.Count++`, `Push(ref _queue)`) is not published whole.
                if (other.Kind == AccessKind.Update ||
                    (!ReferenceEquals(other, read) && other.Kind == AccessKind.Read &&
                     SymbolEqualityComparer.Default.Equals(other.Method, read.Method) && !IsLocked(other)))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>An unlocked read before a locked access to the same field in the same method: a fast-path check repeated under the lock.</summary>
        private static bool IsPreCheck(Access read, List<Access> accesses)
        {
            foreach (var other in accesses)
            {
                if (other.Locked && SymbolEqualityComparer.Default.Equals(other.Method, read.Method) &&
                    other.Operation.Syntax.SpanStart > read.Operation.Syntax.SpanStart)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The type's methods whose callers hold the lock (<see cref="LockHeldMethods"/>), worked out on first use.</summary>
        private HashSet<IMethodSymbol> CallersHoldLock() => _lockHeld ??= _lockHeldScan!.Compute();

        /// <summary>
        /// As <see cref="CallersHoldLock"/>, but a call on <c>this</c> from an instance constructor counts as locked
        /// too: for instance fields, a helper the constructor runs and the type otherwise calls under the lock.
        /// </summary>
        private HashSet<IMethodSymbol> CallersHoldLockOrConstruct() => _lockHeldOrConstruct ??= _lockHeldScan!.Compute(constructionCounts: true);

        private static SyntaxNode StatementOf(IOperation operation)
        {
            for (var current = operation; current is not null; current = current.Parent)
            {
                if (current.Parent is null or IBlockOperation)
                {
                    return current.Syntax;
                }
            }

            return operation.Syntax;
        }
    }
}
