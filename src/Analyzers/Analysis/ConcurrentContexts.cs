using System.Runtime.CompilerServices;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Analysis;

/// <summary>
/// The concurrent-context classifier: decides whether a lambda, anonymous method, local function or method group
/// runs detached from its caller (Task.Run, StartNew, threads, the thread pool, timers, continuations, dropped async
/// calls), concurrently with its siblings (Parallel.*, PLINQ, async lambdas projected into Task.WhenAll/WhenAny,
/// async local functions started together), or inline (everything else, including unknown APIs that take a delegate:
/// precision first).
/// </summary>
/// <remarks>
/// Cost: classifying a lambda or method group looks only at its parents; classifying a local function scans the
/// member body once for its uses. Rules that ask about many operations of one body should share a
/// <see cref="Cache"/> (create it per operation block) so each function is classified once.
/// </remarks>
internal static class ConcurrentContexts
{
    /// <summary>
    /// Memoizes classification per function (thread-safe). The memo is shared by every rule: a function's
    /// classification depends only on its operation tree, which the driver hands to all analyzers.
    /// </summary>
    internal sealed class Cache
    {
        private static readonly OperationMemo<StrongBox<ConcurrentContext?>> ByFunction = new();
        private static readonly OperationMemo<StrongBox<ConcurrentContext?>> ByCallers = new();

        public ConcurrentContext? Classify(IOperation function, KnownTypes types)
            => ByFunction.GetOrCompute(function, types, static (f, t) => new StrongBox<ConcurrentContext?>(ConcurrentContexts.Classify(f, t))).Value;

        /// <summary>Memoized <see cref="ClassifyByCallers"/>.</summary>
        public ConcurrentContext? ClassifyByCallers(ILocalFunctionOperation function, KnownTypes types)
            => ByCallers.GetOrCompute(function, (Types: types, Cache: this), static (f, s) => new StrongBox<ConcurrentContext?>(ConcurrentContexts.ClassifyByCallers((ILocalFunctionOperation)f, s.Types, s.Cache))).Value;
    }

    /// <summary>
    /// How <paramref name="function"/> runs: null when inline (or not a function). Accepts an
    /// <see cref="IAnonymousFunctionOperation"/>, <see cref="ILocalFunctionOperation"/> or <see cref="IMethodReferenceOperation"/>.
    /// </summary>
    public static ConcurrentContext? Classify(IOperation function, KnownTypes types)
    {
        switch (function)
        {
            case IAnonymousFunctionOperation lambda:
                return ClassifyDelegateValue(lambda, lambda, lambda.Symbol.IsAsync, types);
            case IMethodReferenceOperation reference:
                return ClassifyDelegateValue(reference, reference, reference.Method.IsAsync, types);
            case ILocalFunctionOperation local:
                return ClassifyLocalFunction(local, types);
            default:
                return null;
        }
    }

    /// <summary>
    /// The innermost function enclosing <paramref name="operation"/> that runs concurrently, looking outward through
    /// functions that run inline (a <c>ForEach</c> lambda inside a <c>Task.Run</c> lambda runs in the Task.Run context).
    /// Null when the operation runs on its caller's thread.
    /// </summary>
    public static ConcurrentContext? FindEnclosing(IOperation operation, KnownTypes types, Cache? cache = null)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                var context = cache is null ? Classify(current, types) : cache.Classify(current, types);
                if (context is not null)
                {
                    return context;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// <see cref="FindEnclosing"/>, except that a local function that is not itself started concurrently but is only
    /// ever called (or handed as a method group) from one concurrent lambda, never under a lock, runs in that lambda's
    /// context (<see cref="ClassifyByCallers"/>). For the shared-state rules, which ask where a variable is changed.
    /// </summary>
    public static ConcurrentContext? FindEnclosingThroughCallers(IOperation operation, KnownTypes types, Cache cache)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                var context = cache.Classify(current, types);
                if (context is not null)
                {
                    return context;
                }

                if (current is ILocalFunctionOperation local && cache.ClassifyByCallers(local, types) is { } viaCallers)
                {
                    return viaCallers;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// The context of the one concurrent lambda that holds every call and method-group use of
    /// <paramref name="localFunction"/> (<c>Parallel.ForEach(items, i => Record(i)); void Record(Item i) => results.Add(i);</c>),
    /// with <see cref="ConcurrentContext.Caller"/> set to that lambda. Null (precision first) when any use is outside a
    /// concurrent lambda, in a different one, in another local function (recursion included), under a lock, in the
    /// part of an async lambda before its first await only, or stored rather than passed; and when the local function
    /// is declared inside the lambda (the lambda's own context already covers it). Scans the member body once.
    /// </summary>
    private static ConcurrentContext? ClassifyByCallers(ILocalFunctionOperation localFunction, KnownTypes types, Cache cache)
    {
        var symbol = localFunction.Symbol;
        ConcurrentContext? found = null;
        foreach (var descendant in localFunction.GetRoot().EnumerateDescendants())
        {
            if (descendant.Kind is not (OperationKind.Invocation or OperationKind.MethodReference))
            {
                continue;
            }

            IOperation use;
            switch (descendant)
            {
                case IInvocationOperation call when SymbolEqualityComparer.Default.Equals(call.TargetMethod.OriginalDefinition, symbol):
                    use = call;
                    break;
                case IMethodReferenceOperation reference when SymbolEqualityComparer.Default.Equals(reference.Method.OriginalDefinition, symbol):
                    // Only a method group passed straight to a call (`items.ForEach(Record)`); one stored in a field, local or event runs who knows where.
                    if (reference.WalkUpConversions() is not IDelegateCreationOperation creation ||
                        creation.WalkUpConversions() is not IArgumentOperation)
                    {
                        return null;
                    }

                    use = reference;
                    break;
                default:
                    continue;
            }

            if (CallerContext(use, types, cache) is not { OnlyAfterFirstAwait: false } context ||
                (found is not null && !ReferenceEquals(found.Function, context.Function)) ||
                LockRegions.IsInsideLock(use, types))
            {
                return null;
            }

            found = context;
        }

        if (found is null || found.Function.Syntax.Span.Contains(localFunction.Syntax.Span))
        {
            return null;
        }

        return new ConcurrentContext(localFunction, found.Kind, found.Origin, found.Spawner, found.Function);
    }

    /// <summary>The concurrent lambda a use runs in, looking outward through inline lambdas; null at a local function or the member.</summary>
    private static ConcurrentContext? CallerContext(IOperation use, KnownTypes types, Cache cache)
    {
        for (var current = use.Parent; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case IAnonymousFunctionOperation lambda when cache.Classify(lambda, types) is { } context:
                    return context;
                case ILocalFunctionOperation:
                    return null;
            }
        }

        return null;
    }

    /// <summary>
    /// True when <paramref name="operation"/> can run after an <c>await</c> of <paramref name="function"/> has yielded:
    /// an await (or <c>await foreach</c> / <c>await using</c>) of the function itself precedes it, or a loop around it
    /// contains one, or it is a write or call whose own value or arguments await (<c>sizes[u] = await GetAsync(u)</c>).
    /// Awaits in nested lambdas and local functions do not count.
    /// </summary>
    public static bool IsAfterFirstAwait(IOperation operation, IOperation function)
    {
        var body = FunctionBody(function);
        if (body is null)
        {
            return false;
        }

        // `sizes[u] = await GetAsync(u)`, `list.Add(await GetAsync())`: the write runs once the await in its own value
        // or arguments has resumed, although its syntax starts before it.
        var effect = operation.Parent is IAssignmentOperation assignment && assignment.Target == operation ? assignment : operation;
        foreach (var descendant in DescendantsInSameFunction(effect))
        {
            if (descendant != effect && IsAwait(descendant))
            {
                return true;
            }
        }

        var start = operation.Syntax.SpanStart;
        foreach (var descendant in DescendantsInSameFunction(body))
        {
            if (!IsAwait(descendant))
            {
                continue;
            }

            if (descendant.Syntax.Span.End <= start)
            {
                return true;
            }
        }

        // An await later in a loop that also contains the operation comes before it on the next iteration.
        for (var current = operation.Parent; current is not null && current != body; current = current.Parent)
        {
            if (current is ILoopOperation loop)
            {
                foreach (var descendant in DescendantsInSameFunction(loop))
                {
                    if (IsAwait(descendant))
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    /// <summary>The operations of <paramref name="root"/> that belong to the same function (not to nested lambdas or local functions), in pre-order.</summary>
    public static OperationRange DescendantsInSameFunction(IOperation root) => OperationIndex.SubtreeInSameFunction(root);

    private static bool IsAwait(IOperation operation)
        => operation is IAwaitOperation ||
           operation is IForEachLoopOperation { IsAsynchronous: true } ||
           operation is IUsingOperation { IsAsynchronous: true } ||
           operation is IUsingDeclarationOperation { IsAsynchronous: true };

    private static IOperation? FunctionBody(IOperation function) => function switch
    {
        IAnonymousFunctionOperation lambda => lambda.Body,
        ILocalFunctionOperation local => (IOperation?)local.Body ?? local.IgnoredBody,
        IMethodBodyOperation method => (IOperation?)method.BlockBody ?? method.ExpressionBody,
        IBlockOperation { Parent: null } block => block,
        _ => null,
    };

    /// <summary>
    /// How a call to an async method (not a local function) starts it: <see cref="SpawnKind.ConcurrentStart"/> when its
    /// task is started together with others and joined later (passed to <c>Task.WhenAll/WhenAny</c>, added to a list in a
    /// loop, returned from a <c>Select</c> lambda that flows into <c>WhenAll</c>), <see cref="SpawnKind.DroppedAsyncCall"/>
    /// when the task is dropped, null otherwise. Lets a rule aggregate, per type, the methods whose bodies run concurrently
    /// with themselves; <see cref="IsAfterFirstAwait"/> accepts the method's body operation (<c>IMethodBodyOperation</c>).
    /// </summary>
    public static SpawnKind? ClassifyAsyncMethodCall(IInvocationOperation call, KnownTypes types)
        => call.TargetMethod.IsAsync || call.TargetMethod.ReturnType.IsTaskLike(types)
            ? ClassifyAsyncCall(call, call, types)?.Kind
            : null;

    /// <summary>Classifies where a delegate value (a lambda, method group, or a local holding one) is handed.</summary>
    private static ConcurrentContext? ClassifyDelegateValue(IOperation function, IOperation value, bool isAsync, KnownTypes types)
    {
        var parent = value.WalkUpConversions();
        if (parent is IDelegateCreationOperation creation)
        {
            value = creation;
            parent = creation.WalkUpConversions();
        }

        if (parent is IArrayInitializerOperation { Parent: IArrayCreationOperation { IsImplicit: true } paramsArray })
        {
            // An element of a params array: `Parallel.Invoke(a, b)`.
            value = paramsArray;
            parent = paramsArray.WalkUpConversions();
        }

        switch (parent)
        {
            case IArgumentOperation { Parent: IInvocationOperation invocation } argument:
                return ClassifyInvocationArgument(function, invocation, argument, isAsync, types);
            case IArgumentOperation { Parent: IObjectCreationOperation objectCreation }:
                return ClassifyConstructorArgument(function, objectCreation, types);
            case IEventAssignmentOperation { Adds: true, EventReference: IEventReferenceOperation eventReference } assignment
                when eventReference.Event.ContainingType.Is(types.TimersTimer):
                return new ConcurrentContext(function, SpawnKind.Timer, assignment, "System.Timers.Timer." + eventReference.Event.Name);
            case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                // `Action work = () => ...; Task.Run(work);`: follow the local one step.
                return ClassifyThroughLocal(function, declarator.Symbol, value, isAsync, types);
            default:
                return null;
        }
    }

    private static ConcurrentContext? ClassifyThroughLocal(IOperation function, ILocalSymbol local, IOperation value, bool isAsync, KnownTypes types)
    {
        var root = value.GetRoot();
        foreach (var descendant in root.EnumerateDescendants())
        {
            if (descendant is ILocalReferenceOperation reference &&
                SymbolEqualityComparer.Default.Equals(reference.Local, local) &&
                reference.WalkUpConversions() is IArgumentOperation argument)
            {
                var context = argument.Parent switch
                {
                    IInvocationOperation invocation => ClassifyInvocationArgument(function, invocation, argument, isAsync, types),
                    IObjectCreationOperation creation => ClassifyConstructorArgument(function, creation, types),
                    _ => null,
                };
                if (context is not null)
                {
                    return context;
                }
            }
        }

        return null;
    }

    private static ConcurrentContext? ClassifyInvocationArgument(IOperation function, IInvocationOperation invocation, IArgumentOperation argument, bool isAsync, KnownTypes types)
    {
        var method = invocation.TargetMethod;
        var type = method.ContainingType;
        if (type is null)
        {
            return null;
        }

        if (type.Is(types.Task) && method.Name == "Run")
        {
            return new ConcurrentContext(function, SpawnKind.TaskRun, invocation, "Task.Run");
        }

        if ((type.Is(types.TaskFactory) || type.Is(types.TaskFactoryOfT)) && method.Name == "StartNew")
        {
            return new ConcurrentContext(function, SpawnKind.StartNew, invocation, "Task.Factory.StartNew");
        }

        if ((type.Is(types.Task) || type.Is(types.TaskOfT)) && method.Name == "ContinueWith")
        {
            return new ConcurrentContext(function, SpawnKind.Continuation, invocation, "ContinueWith");
        }

        if (type.Is(types.ThreadPool) && method.Name is "QueueUserWorkItem" or "UnsafeQueueUserWorkItem")
        {
            return new ConcurrentContext(function, SpawnKind.ThreadPool, invocation, "ThreadPool." + method.Name);
        }

        if (type.Is(types.Parallel) && method.Name is "For" or "ForEach" or "ForEachAsync" or "Invoke")
        {
            return new ConcurrentContext(function, SpawnKind.Parallel, invocation, "Parallel." + method.Name);
        }

        if (type.Is(types.ParallelEnumerable))
        {
            return new ConcurrentContext(function, SpawnKind.Plinq, invocation, "PLINQ " + method.Name);
        }

        // `items.Select(async x => ...)` flowing into Task.WhenAll/WhenAny: the tasks run together.
        if (isAsync && type.Is(types.Enumerable) && method.Name == "Select" &&
            argument.Parameter?.Ordinal == 1 &&
            FlowsIntoWhenAllOrWhenAny(invocation, types) is { } join)
        {
            return new ConcurrentContext(function, SpawnKind.ConcurrentStart, join, "Select into Task." + join.TargetMethod.Name);
        }

        return null;
    }

    private static ConcurrentContext? ClassifyConstructorArgument(IOperation function, IObjectCreationOperation creation, KnownTypes types)
    {
        var type = creation.Type;
        if (type.Is(types.Thread))
        {
            return new ConcurrentContext(function, SpawnKind.Thread, creation, "new Thread");
        }

        if (type.InheritsFromOrEquals(types.Task))
        {
            return new ConcurrentContext(function, SpawnKind.NewTask, creation, "new Task");
        }

        if (type.Is(types.ThreadingTimer))
        {
            return new ConcurrentContext(function, SpawnKind.Timer, creation, "new Timer");
        }

        return null;
    }

    private static ConcurrentContext? ClassifyLocalFunction(ILocalFunctionOperation localFunction, KnownTypes types)
    {
        var symbol = localFunction.Symbol;
        foreach (var descendant in localFunction.GetRoot().EnumerateDescendants())
        {
            switch (descendant)
            {
                case IMethodReferenceOperation reference when SymbolEqualityComparer.Default.Equals(reference.Method.OriginalDefinition, symbol):
                    if (ClassifyDelegateValue(localFunction, reference, symbol.IsAsync, types) is { } viaDelegate)
                    {
                        return viaDelegate;
                    }

                    break;
                case IInvocationOperation call when SymbolEqualityComparer.Default.Equals(call.TargetMethod.OriginalDefinition, symbol):
                    if (symbol.IsAsync && ClassifyAsyncCall(localFunction, call, types) is { } viaCall)
                    {
                        return viaCall;
                    }

                    // `Task.Run(() => Loop())`, `Task.Run(async () => await LoopAsync())`: the lambda only calls the local
                    // function, so the local function runs where the lambda runs.
                    if (WholeBodyOfLambda(call) is { } wrapper && ClassifyDelegateValue(wrapper, wrapper, wrapper.Symbol.IsAsync, types) is { } viaLambda)
                    {
                        return new ConcurrentContext(localFunction, viaLambda.Kind, viaLambda.Origin, viaLambda.Spawner);
                    }

                    break;
            }
        }

        return null;
    }

    /// <summary>
    /// The lambda whose whole body is <paramref name="call"/>, awaited or not, returned or not (<c>() => Work()</c>,
    /// <c>async () => await WorkAsync()</c>, <c>() => { Work(); }</c>); null when the lambda does anything else.
    /// </summary>
    private static IAnonymousFunctionOperation? WholeBodyOfLambda(IInvocationOperation call)
    {
        var parent = call.WalkUpConversions();
        if (parent is IAwaitOperation awaited)
        {
            parent = awaited.WalkUpConversions();
        }

        if (parent is not (IReturnOperation or IExpressionStatementOperation) ||
            parent.Parent is not IBlockOperation { Parent: IAnonymousFunctionOperation lambda } block)
        {
            return null;
        }

        foreach (var statement in block.Operations)
        {
            if (statement != parent && statement is not IReturnOperation { IsImplicit: true, ReturnedValue: null })
            {
                return null;
            }
        }

        return lambda;
    }

    /// <summary>An async call whose task is dropped, or started together with others and joined later.</summary>
    private static ConcurrentContext? ClassifyAsyncCall(IOperation function, IInvocationOperation call, KnownTypes types)
    {
        var parent = call.WalkUpConversions();
        switch (parent)
        {
            case IExpressionStatementOperation:
            case ISimpleAssignmentOperation { Target: IDiscardOperation }:
                return new ConcurrentContext(function, SpawnKind.DroppedAsyncCall, call, call.TargetMethod.Name);
            case IArgumentOperation { Parent: IInvocationOperation join } when IsWhenAllOrWhenAny(join, types):
                return new ConcurrentContext(function, SpawnKind.ConcurrentStart, join, "Task." + join.TargetMethod.Name);
            case IArgumentOperation { Parent: IInvocationOperation add } when add.TargetMethod.Name == "Add" && IsInsideLoop(call):
                // `tasks.Add(WorkAsync(x))` in a loop: started together, joined later.
                return new ConcurrentContext(function, SpawnKind.ConcurrentStart, add, "started in a loop");
            case IReturnOperation returned when EnclosingLambdaOfReturn(returned) is { } selectLambda:
                // `items.Select(x => WorkAsync(x))` into Task.WhenAll: each call starts a task; they run together.
                if (selectLambda.WalkUpConversions() is IDelegateCreationOperation creation &&
                    creation.WalkUpConversions() is IArgumentOperation { Parent: IInvocationOperation select } &&
                    select.TargetMethod.Name == "Select" && select.TargetMethod.ContainingType.Is(types.Enumerable) &&
                    FlowsIntoWhenAllOrWhenAny(select, types) is { } selectJoin)
                {
                    return new ConcurrentContext(function, SpawnKind.ConcurrentStart, selectJoin, "Select into Task." + selectJoin.TargetMethod.Name);
                }

                return null;
            default:
                return null;
        }
    }

    /// <summary>The <c>Task.WhenAll/WhenAny/WaitAll/WaitAny</c> call that a sequence flows into (directly, through ToList/ToArray, or a local).</summary>
    private static IInvocationOperation? FlowsIntoWhenAllOrWhenAny(IOperation sequence, KnownTypes types)
    {
        for (var depth = 0; depth < 4; depth++)
        {
            var parent = sequence.WalkUpConversions();
            switch (parent)
            {
                case IArgumentOperation { Parent: IInvocationOperation invocation } when IsWhenAllOrWhenAny(invocation, types):
                    return invocation;
                case IArgumentOperation { Parent: IInvocationOperation materialize } when materialize.TargetMethod.Name is "ToList" or "ToArray":
                    sequence = materialize;
                    continue;
                case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                    foreach (var descendant in sequence.GetRoot().EnumerateDescendants())
                    {
                        if (descendant is ILocalReferenceOperation reference &&
                            SymbolEqualityComparer.Default.Equals(reference.Local, declarator.Symbol) &&
                            reference.WalkUpConversions() is IArgumentOperation { Parent: IInvocationOperation join } &&
                            IsWhenAllOrWhenAny(join, types))
                        {
                            return join;
                        }
                    }

                    return null;
                default:
                    return null;
            }
        }

        return null;
    }

    private static IAnonymousFunctionOperation? EnclosingLambdaOfReturn(IReturnOperation returned) => returned.Parent switch
    {
        IAnonymousFunctionOperation lambda => lambda,
        IBlockOperation { Parent: IAnonymousFunctionOperation lambda } => lambda,
        _ => null,
    };

    private static bool IsWhenAllOrWhenAny(IInvocationOperation invocation, KnownTypes types)
        => invocation.TargetMethod.ContainingType.Is(types.Task) &&
           invocation.TargetMethod.Name is "WhenAll" or "WhenAny" or "WaitAll" or "WaitAny";

    private static bool IsInsideLoop(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current is ILoopOperation)
            {
                return true;
            }

            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return false;
            }
        }

        return false;
    }

}
