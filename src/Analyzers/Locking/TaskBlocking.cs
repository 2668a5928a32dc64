using System.Collections.Generic;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Locking;

/// <summary>Synchronous waits on tasks: <c>.Result</c>, <c>.Wait()</c>, <c>GetAwaiter().GetResult()</c>, <c>Task.WaitAll/WaitAny</c>.</summary>
internal static class TaskBlocking
{
    // Per method definition: the blocking wait its own body makes on a task it started (null when none).
    private static readonly SymbolMemo<IMethodSymbol, CalleeWait> CalleeWaits = new();

    /// <summary>
    /// True when <paramref name="operation"/> blocks on a task; <paramref name="description"/> names the call and
    /// <paramref name="task"/> is the task expression (null for WaitAll/WaitAny).
    /// </summary>
    public static bool IsBlockingWait(IOperation operation, KnownTypes types, out string description, out IOperation? task)
    {
        description = string.Empty;
        task = null;
        switch (operation)
        {
            case IPropertyReferenceOperation { Property.Name: "Result", Instance: { } instance } when IsTaskOfT(instance.Type, types):
                description = ".Result";
                task = instance;
                return true;
            case IInvocationOperation invocation:
                var method = invocation.TargetMethod;
                if (LockApis.HasZeroTimeout(invocation))
                {
                    // Wait(0) / WaitAll(tasks, TimeSpan.Zero) polls; it never blocks.
                    return false;
                }

                if (IsTaskWait(invocation, types))
                {
                    description = method.IsStatic ? "Task." + method.Name : ".Wait()";
                    task = method.IsStatic ? null : invocation.Instance;
                    return true;
                }

                if (method.Name == "GetResult" && !method.IsStatic && invocation.Instance?.WalkDownConversions() is IInvocationOperation { TargetMethod.Name: "GetAwaiter", Instance: { } awaited } &&
                    awaited.WalkDownConversions() is var awaitedValue &&
                    (awaitedValue.Type.IsTaskLike(types) || awaitedValue.WalkDownConversionsAndConfigureAwait().Type.IsTaskLike(types)))
                {
                    description = ".GetAwaiter().GetResult()";
                    task = awaitedValue.WalkDownConversionsAndConfigureAwait();
                    return true;
                }

                return false;
            default:
                return false;
        }
    }

    /// <summary>
    /// <c>Wait</c> on a task, or <c>Task.WaitAll</c>/<c>Task.WaitAny</c>: <see cref="IsBlockingWait"/>'s test of a call
    /// by its method and receiver (not its timeout), which a flow graph's copy of the call answers as the tree's does.
    /// </summary>
    public static bool IsTaskWait(IInvocationOperation invocation, KnownTypes types)
    {
        var method = invocation.TargetMethod;
        return method.IsStatic
            ? (method.Name == "WaitAll" || method.Name == "WaitAny") && method.ContainingType.Is(types.Task)
            : method.Name == "Wait" && invocation.Instance is { } waited && waited.Type.InheritsFromOrEquals(types.Task);
    }

    /// <summary>
    /// True when <paramref name="operation"/> is on the synchronous branch of a dual-path method (see
    /// <see cref="DualPathAsync"/>) and every lock held there is a SemaphoreSlim: the async branch awaits under the same
    /// semaphore, and the sync branch blocks where it awaits, by design.
    /// </summary>
    public static bool IsSyncPathUnderAsyncLocks(IOperation operation, HeldState state, ISymbol? function)
    {
        foreach (var held in state.Must)
        {
            if (held.Kind != LockKind.SemaphoreSlim)
            {
                return false;
            }
        }

        return DualPathAsync.IsOnSyncPath(operation.Syntax, function);
    }

    /// <summary>The syntax to report a blocking wait at: the member name (<c>Result</c>, <c>Wait</c>, <c>GetResult</c>, <c>WaitAll</c>).</summary>
    public static Location ReportLocation(IOperation operation)
    {
        var syntax = operation.Syntax;
        if (syntax is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax invoked })
        {
            return invoked.Name.GetLocation();
        }

        if (syntax is MemberAccessExpressionSyntax access)
        {
            return access.Name.GetLocation();
        }

        return syntax.GetLocation();
    }

    /// <summary>
    /// Symbols (locals, parameters, fields) of tasks known to be complete somewhere in <paramref name="roots"/>:
    /// awaited, passed to <c>Task.WhenAll/WhenAny/WaitAll</c>, tested with <c>IsCompleted*</c>/<c>Status</c> (or an
    /// <c>IsCompleted*()</c> extension method),
    /// assigned from <c>await Task.WhenAny(...)</c>, the antecedent parameter of a continuation lambda, or the
    /// iteration variables of a <c>foreach</c> over a collection passed to <c>Task.WhenAll/WaitAll</c>.
    /// </summary>
    public static HashSet<ISymbol> CompletedTasks(IEnumerable<IOperation> roots, KnownTypes types)
    {
        var completed = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        HashSet<ISymbol>? joinedCollections = null;
        List<IForEachLoopOperation>? loops = null;
        HashSet<ISymbol>? assignedWinners = null;
        HashSet<ISymbol>? assignedOtherwise = null;
        HashSet<ISymbol>? testedWrappers = null;
        Dictionary<ISymbol, HashSet<ISymbol>>? copiedFrom = null;
        HashSet<ISymbol>? assignedNonCopy = null;
        foreach (var root in roots)
        {
            foreach (var operation in root.EnumerateDescendants())
            {
                switch (operation)
                {
                    case IAwaitOperation awaitOperation:
                        var awaited = awaitOperation.Operation.WalkDownConversionsAndConfigureAwait();
                        AddKey(awaited);
                        if (awaited is IInvocationOperation { TargetMethod.Name: "WhenAny" or "WhenAll" } when &&
                            awaitOperation.WalkUpConversions() is IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator })
                        {
                            completed.Add(declarator.Symbol);
                        }

                        break;
                    case IInvocationOperation { TargetMethod.Name: "WhenAll" or "WhenAny" or "WaitAll" or "WaitAny" } invocation when invocation.TargetMethod.ContainingType.Is(types.Task):
                        var joinsAll = invocation.TargetMethod.Name is "WhenAll" or "WaitAll";
                        foreach (var argument in invocation.Arguments)
                        {
                            AddKey(argument.Value);
                            if (joinsAll)
                            {
                                AddCollection(argument.Value);
                            }

                            foreach (var element in argument.InPlaceElements())
                            {
                                AddKey(element);
                            }
                        }

                        break;
                    case IPropertyReferenceOperation { Property.Name: "IsCompleted" or "IsCompletedSuccessfully" or "IsFaulted" or "IsCanceled" or "Status", Instance: { } instance } test:
                        AddTested(test, instance);
                        break;
                    case IPropertyReferenceOperation { Property: { Type.SpecialType: SpecialType.System_Boolean, IsStatic: false } wrapper, Instance: null or IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } } wrapperTest
                        when (testedWrappers ??= new HashSet<ISymbol>(SymbolEqualityComparer.Default)).Add(wrapper.OriginalDefinition):
                        AddWrapperTests(wrapper, wrapperTest.SemanticModel);
                        break;
                    case IInvocationOperation { TargetMethod: { Name: "IsCompleted" or "IsCompletedSuccessfully", IsExtensionMethod: true }, Arguments.Length: 1 } test:
                        // A library's own helper for targets without the property: task.IsCompletedSuccessfully().
                        AddKey(test.Arguments[0].Value);
                        break;
                    case IInvocationOperation { TargetMethod.Name: "ContinueWith" } continuation:
                        foreach (var argument in continuation.Arguments)
                        {
                            if (argument.Value.WalkDownConversions() is IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda } &&
                                lambda.Symbol.Parameters.Length > 0)
                            {
                                completed.Add(lambda.Symbol.Parameters[0]);
                            }
                        }

                        break;
                    case IForEachLoopOperation loop:
                        (loops ??= new List<IForEachLoopOperation>()).Add(loop);
                        break;
                    case ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment:
                        if (IsAwaitedWhenAny(assignment.Value, types))
                        {
                            (assignedWinners ??= new HashSet<ISymbol>(SymbolEqualityComparer.Default)).Add(target.Local);
                        }
                        else
                        {
                            (assignedOtherwise ??= new HashSet<ISymbol>(SymbolEqualityComparer.Default)).Add(target.Local);
                        }

                        AddCopy(target.Local, assignment.Value);
                        break;
                    case IVariableDeclaratorOperation { Initializer: { } initializer } declared:
                        if (!IsAwaitedWhenAny(initializer.Value, types))
                        {
                            (assignedOtherwise ??= new HashSet<ISymbol>(SymbolEqualityComparer.Default)).Add(declared.Symbol);
                        }

                        AddCopy(declared.Symbol, initializer.Value);
                        break;
                }
            }
        }

        // `Task<bool> winner; do { … winner = await Task.WhenAny(reads); } while (winner.Result …);`: a local that is
        // only ever assigned the winner of an awaited WhenAny (declared without a value, so every read follows one)
        // holds a completed task.
        if (assignedWinners is not null)
        {
            foreach (var winner in assignedWinners)
            {
                if (assignedOtherwise is null || !assignedOtherwise.Contains(winner))
                {
                    completed.Add(winner);
                }
            }
        }

        // `Task<T> success = null; … if (done.IsCompletedSuccessfully) { success = done; break; } … success.Result`
        // (a happy-eyeballs connect): a local assigned nothing but null and locals known complete holds a completed
        // task (or none). Copies of copies are followed a few steps.
        if (copiedFrom is not null)
        {
            for (var changed = true; changed;)
            {
                changed = false;
                foreach (var copy in copiedFrom)
                {
                    if (!completed.Contains(copy.Key) && (assignedNonCopy is null || !assignedNonCopy.Contains(copy.Key)) &&
                        AllIn(copy.Value, completed) && completed.Add(copy.Key))
                    {
                        changed = true;
                    }
                }
            }
        }

        // `await Task.WhenAll(tasks); foreach (var t in tasks) … t.Result`: every element is complete.
        if (loops is not null && joinedCollections is not null)
        {
            foreach (var loop in loops)
            {
                if (CollectionKey(loop.Collection) is { } collection && joinedCollections.Contains(collection))
                {
                    foreach (var local in loop.Locals)
                    {
                        completed.Add(local);
                    }
                }
            }
        }

        return completed;

        // `bool HasValue => _value.Task.Status == TaskStatus.RanToCompletion;` tested before `_value.Task.Result`: a
        // bool property of this type, declared in this document with an expression body, whose body tests a task.
        void AddWrapperTests(IPropertySymbol wrapper, SemanticModel? model)
        {
            if (model is null)
            {
                return;
            }

            foreach (var reference in wrapper.OriginalDefinition.DeclaringSyntaxReferences)
            {
                if (reference.SyntaxTree == model.SyntaxTree &&
                    reference.GetSyntax() is PropertyDeclarationSyntax { ExpressionBody.Expression: { } body } &&
                    model.GetOperation(body) is { } getter)
                {
                    foreach (var tested in getter.EnumerateDescendantsAndSelf())
                    {
                        if (tested is IPropertyReferenceOperation { Property.Name: "IsCompleted" or "IsCompletedSuccessfully" or "Status", Instance: { } wrapped })
                        {
                            AddKey(wrapped);
                        }
                    }
                }
            }
        }

        // Records `local = otherLocal` (a copy) apart from any other value; `null`/`default` assigns no task at all.
        void AddCopy(ISymbol local, IOperation value)
        {
            if (local is not ILocalSymbol)
            {
                return;
            }

            value = value.WalkDownConversions();
            if (value.ConstantValue is { HasValue: true, Value: null })
            {
                return;
            }

            if (value is ILocalReferenceOperation { Local: var source } && !SymbolEqualityComparer.Default.Equals(source, local))
            {
                copiedFrom ??= new Dictionary<ISymbol, HashSet<ISymbol>>(SymbolEqualityComparer.Default);
                if (!copiedFrom.TryGetValue(local, out var sources))
                {
                    copiedFrom.Add(local, sources = new HashSet<ISymbol>(SymbolEqualityComparer.Default));
                }

                sources.Add(source);
                return;
            }

            (assignedNonCopy ??= new HashSet<ISymbol>(SymbolEqualityComparer.Default)).Add(local);
        }

        static bool AllIn(HashSet<ISymbol> sources, HashSet<ISymbol> known)
        {
            foreach (var source in sources)
            {
                if (!known.Contains(source))
                {
                    return false;
                }
            }

            return true;
        }

        void AddKey(IOperation value)
        {
            if (LockApis.GetKey(value) is { } key)
            {
                completed.Add(key);
            }
        }

        void AddCollection(IOperation value)
        {
            if (JoinedCollectionKey(value, types) is { } key)
            {
                (joinedCollections ??= new HashSet<ISymbol>(SymbolEqualityComparer.Default)).Add(key);
            }
        }

        // A test written as a property pattern (`_load is { IsCompleted: true } done`) or through `?.`
        // (`_load?.IsCompleted == true`) tests the pattern's input and its designation, or the accessed value.
        void AddTested(IOperation test, IOperation instance)
        {
            switch (instance)
            {
                case IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.PatternInput }:
                    if (test.Parent is IPropertySubpatternOperation { Parent: IRecursivePatternOperation pattern })
                    {
                        if (pattern.DeclaredSymbol is { } designation)
                        {
                            completed.Add(designation);
                        }

                        if (pattern.Parent is IIsPatternOperation isPattern)
                        {
                            AddKey(isPattern.Value);
                        }
                    }

                    break;
                case IConditionalAccessInstanceOperation:
                    for (var parent = test.Parent; parent is not null; parent = parent.Parent)
                    {
                        if (parent is IConditionalAccessOperation access)
                        {
                            AddKey(access.Operation);
                            break;
                        }
                    }

                    break;
                default:
                    AddKey(instance);
                    break;
            }
        }
    }

    /// <summary><c>await Task.WhenAny(...)</c> (through conversions and <c>ConfigureAwait</c>): the task that completed first.</summary>
    private static bool IsAwaitedWhenAny(IOperation value, KnownTypes types)
        => value.WalkDownConversions() is IAwaitOperation awaited &&
           awaited.Operation.WalkDownConversionsAndConfigureAwait() is IInvocationOperation { TargetMethod.Name: "WhenAny" } whenAny &&
           whenAny.TargetMethod.ContainingType.Is(types.Task);

    /// <summary>
    /// The collection a <c>foreach</c> walks was passed to <c>Task.WhenAll/WaitAll</c> earlier in the same body
    /// (<c>await Task.WhenAll(tasks); foreach (var t in tasks) …</c>): every element is complete when the loop runs.
    /// </summary>
    public static bool IsJoinedBefore(IForEachLoopOperation loop, KnownTypes types) => IsJoinedBefore(loop, loop.Collection, types);

    /// <summary>
    /// <paramref name="tasks"/> (the collection a loop walks, by element or by index) was passed to
    /// <c>Task.WhenAll/WaitAll</c> before <paramref name="loop"/> in the same body.
    /// </summary>
    public static bool IsJoinedBefore(ILoopOperation loop, IOperation tasks, KnownTypes types)
    {
        if (CollectionKey(tasks) is not { } collection)
        {
            return false;
        }

        foreach (var operation in loop.GetRoot().EnumerateDescendants())
        {
            if (operation is IInvocationOperation { TargetMethod.Name: "WhenAll" or "WaitAll" } invocation &&
                invocation.Syntax.SpanStart < loop.Syntax.SpanStart &&
                invocation.TargetMethod.ContainingType.Is(types.Task))
            {
                foreach (var argument in invocation.Arguments)
                {
                    if (SymbolEqualityComparer.Default.Equals(JoinedCollectionKey(argument.Value, types), collection))
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    /// <summary>The collection of tasks an argument of <c>Task.WhenAll/WaitAll</c> passes (not a single task); null otherwise.</summary>
    private static ISymbol? JoinedCollectionKey(IOperation argument, KnownTypes types)
        => argument.WalkDownConversions().Type.IsTaskLike(types) ? null : CollectionKey(argument);

    /// <summary>The symbol of a collection of tasks: <c>tasks</c>, or <c>pending</c> for <c>pending.Values</c>.</summary>
    private static ISymbol? CollectionKey(IOperation collection)
    {
        var value = collection.WalkDownConversions();
        if (value is IPropertyReferenceOperation { Property.Name: "Values", Arguments.Length: 0, Instance: { } owner })
        {
            value = owner.WalkDownConversions();
        }

        return value is ILocalReferenceOperation or IParameterReferenceOperation or IFieldReferenceOperation ? LockApis.GetKey(value) : null;
    }

    /// <summary>True when the blocked-on task is known complete (see <see cref="CompletedTasks"/>) or is a constant completed task.</summary>
    public static bool IsKnownComplete(IOperation? task, HashSet<ISymbol> completed)
    {
        if (task is null)
        {
            return false;
        }

        var value = task.WalkDownConversions();
        if (value is IInvocationOperation { TargetMethod.Name: "FromResult" or "FromException" or "FromCanceled" })
        {
            return true;
        }

        if (value is IPropertyReferenceOperation { Property.Name: "CompletedTask" })
        {
            return true;
        }

        // F(async: false) of the dual-path idiom completes synchronously by contract.
        if (value is IInvocationOperation call && DualPathAsync.IsSyncModeCall(call))
        {
            return true;
        }

        // `foreach (var entry in pending) … entry.Value.Result` after the dictionary's values were joined.
        if (value is IPropertyReferenceOperation { Property: { Name: "Value", ContainingType.Name: "KeyValuePair" }, Instance: { } pair } &&
            LockApis.GetKey(pair) is ILocalSymbol pairKey && completed.Contains(pairKey))
        {
            return true;
        }

        return LockApis.GetKey(value) is { } key && completed.Contains(key);
    }

    private static bool IsTaskOfT(ITypeSymbol? type, KnownTypes types)
        => type is not null && (type.InheritsFromOrEquals(types.TaskOfT) || type.Is(types.ValueTaskOfT));

    /// <summary>
    /// The blocking wait (<c>.Result</c>, <c>.Wait()</c>, <c>.GetAwaiter().GetResult()</c>) that the method
    /// <paramref name="call"/> calls makes in its own body on a task it started there, when the rule can tell without
    /// following further calls: a sync-over-async wrapper (<c>Data Load() => LoadAsync().GetAwaiter().GetResult();</c>).
    /// Null when the callee is not an ordinary non-virtual, non-async method declared in <paramref name="model"/>'s
    /// document; when it takes a lock of its own (the flow reports inside it); or when its waits are on tasks known
    /// complete, on tasks it did not start (a field or a parameter: the caller may know they are complete), in lambdas
    /// or local functions, or on the sync branch of the dual-path idiom. Memoized per method.
    /// </summary>
    public static string? CalleeBlockingWait(IInvocationOperation call, SemanticModel? model, KnownTypes types, System.Threading.CancellationToken cancellationToken)
    {
        var callee = call.TargetMethod;
        if (model is null || !MayBeBlockingWrapper(callee))
        {
            return null;
        }

        var definition = callee.OriginalDefinition;
        var references = definition.DeclaringSyntaxReferences;
        if (references.Length != 1 || references[0].SyntaxTree != model.SyntaxTree)
        {
            return null;
        }

        return CalleeWaits.GetOrCompute(types, definition, (model, types, cancellationToken), static (method, s) => ComputeCalleeWait(method, s.model, s.types, s.cancellationToken)).Description;
    }

    /// <summary>
    /// The flags <see cref="CalleeBlockingWait"/> asks of the callee first (an ordinary non-virtual, non-async method of
    /// a class or struct): a caller may test them before anything dearer it needs for the same answer.
    /// </summary>
    public static bool MayBeBlockingWrapper(IMethodSymbol callee)
        => callee.MethodKind == MethodKind.Ordinary && !callee.IsAsync && !callee.IsVirtual && !callee.IsAbstract &&
           !callee.IsOverride && !callee.IsExtern && callee.ContainingType is { TypeKind: TypeKind.Class or TypeKind.Struct };

    private static CalleeWait ComputeCalleeWait(IMethodSymbol method, SemanticModel model, KnownTypes types, System.Threading.CancellationToken cancellationToken)
    {
        if (method.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not BaseMethodDeclarationSyntax declaration ||
            !MentionsWait(declaration) ||
            model.GetOperation(declaration, cancellationToken) is not IMethodBodyOperation body ||
            LockScan.For(body, types).HasAnyLock)
        {
            return CalleeWait.None;
        }

        HashSet<ISymbol>? completed = null;
        foreach (var operation in OperationIndex.SubtreeInSameFunction(body))
        {
            if (!IsBlockingWait(operation, types, out var description, out var task) ||
                task?.WalkDownConversions() is not (IInvocationOperation or ILocalReferenceOperation))
            {
                continue;
            }

            completed ??= CompletedTasks(new IOperation[] { body }, types);
            if (!IsKnownComplete(task, completed) && !DualPathAsync.IsOnSyncPath(operation.Syntax, method))
            {
                return new CalleeWait(description);
            }
        }

        return CalleeWait.None;
    }

    /// <summary>A cheap syntactic screen: the declaration names <c>Result</c>, <c>Wait</c> or <c>GetResult</c> somewhere.</summary>
    private static bool MentionsWait(BaseMethodDeclarationSyntax declaration)
    {
        foreach (var token in declaration.DescendantTokens())
        {
            if (token.RawKind == (int)Microsoft.CodeAnalysis.CSharp.SyntaxKind.IdentifierToken &&
                token.ValueText is "Result" or "Wait" or "GetResult")
            {
                return true;
            }
        }

        return false;
    }

    private sealed class CalleeWait
    {
        public static readonly CalleeWait None = new(null);

        public CalleeWait(string? description) => Description = description;

        public string? Description { get; }
    }
}
