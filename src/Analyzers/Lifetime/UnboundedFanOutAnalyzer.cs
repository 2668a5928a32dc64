using System.Collections.Immutable;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Lifetime;

/// <summary>
/// CONC106: one task started per element of an input whose size nobody bounds (a parameter, a database query, an
/// <c>IEnumerable</c> or async stream), all at once: <c>Task.WhenAll(items.Select(x => WorkAsync(x)))</c>, or a loop
/// that collects or discards a task per element, with no semaphore, <c>Take</c>, <c>Chunk</c> or other throttle.
/// </summary>
public sealed partial class UnboundedFanOutAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property: present when the Select shape can become <c>Parallel.ForEachAsync</c>.</summary>
    public const string FixableProperty = "ForEachAsync";

    /// <summary>Diagnostic property: the token in scope to pass to <c>Parallel.ForEachAsync</c>, when there is one.</summary>
    public const string TokenProperty = "Token";

    private const string Title = "Unbounded task fan-out over input of unknown size";
    private const string Description =
        "Starting one task per element of an input whose size is not bounded runs all of them at once: ten thousand " +
        "items become ten thousand concurrent requests, connections or queries, which exhausts sockets, connection " +
        "pools and downstream services. Bound the concurrency with Parallel.ForEachAsync and MaxDegreeOfParallelism, a " +
        "SemaphoreSlim, or batches (Chunk).";

    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        RuleIds.UnboundedFanOut,
        Title,
        "One task is started per element of '{0}', whose size is not bounded, and nothing limits how many run at once",
        DiagnosticSeverity.Info,
        Description);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var types = KnownTypes.For(start.Compilation);
            if (types.Task is null || types.Enumerable is null)
            {
                return;
            }

            start.RegisterInvocationAction(c => AnalyzeSelect(c, types), InvocationActions.Names("Select"));
            start.RegisterOperationAction(c => AnalyzeLoop(c, types), OperationKind.Loop);
        });
    }

    // ---- items.Select(x => WorkAsync(x)) into Task.WhenAll / WhenAny / WaitAll ----

    private static void AnalyzeSelect(OperationAnalysisContext context, KnownTypes types)
    {
        var select = (IInvocationOperation)context.Operation;
        if (select.TargetMethod.Name != "Select" || !select.TargetMethod.ContainingType.Is(types.Enumerable) ||
            select.Arguments.Length != 2 ||
            select.Arguments[1].Value.WalkDownConversions() is not IDelegateCreationOperation { Type: INamedTypeSymbol { DelegateInvokeMethod: { } invoke } } selector ||
            !invoke.ReturnType.IsTaskLike(types))
        {
            return;
        }

        // The source and the selector first: most selects are over a bounded source (`ids.Take(4)`,
        // `Enumerable.Range(0, workers)`), and following the sequence to its join may walk the whole function.
        var source = select.Arguments[0].Value;
        if (!IsUnbounded(source, types, depth: 0) ||
            (select.TargetMethod.TypeArguments.Length > 0 && IsWork(select.TargetMethod.TypeArguments[0], types)) || StopsEachElement(selector, types))
        {
            return;
        }

        var join = FlowsIntoJoin(select, types);
        if (join is null || IsThrottled(selector.Target, types))
        {
            return;
        }

        var properties = ImmutableDictionary<string, string?>.Empty;
        if (CanUseForEachAsync(select, selector, join, types))
        {
            properties = properties.Add(FixableProperty, "true");
            if (CancellationTokens.FindInnermostToken(select, context.ContainingSymbol, types) is { } token)
            {
                properties = properties.Add(TokenProperty, token.ExpressionText);
            }
        }

        context.ReportDiagnostic(Diagnostic.Create(Rule, select.Syntax.GetLocation(), properties, Describe(source)));
    }

    /// <summary>
    /// <c>agents.Select(a =&gt; a.Stop(context))</c>, <c>services.Select(s =&gt; s.StopAsync(ct))</c>: the selector only stops
    /// (or disposes, closes) its element. The elements are components already running; a shutdown stops them all at
    /// once, and their number was set by whoever started them, not by this call. <c>agents.Select(a =&gt; a.Completed)</c>
    /// reads each element's own task and starts nothing. <c>connections.Select(c =&gt; c.SendAsync(bytes, ...))</c> on
    /// <c>WebSocket</c> elements is a broadcast: each connection is open already (accepted elsewhere, which set their
    /// number), and writing to every one at once opens nothing new.
    /// </summary>
    private static bool StopsEachElement(IDelegateCreationOperation selector, KnownTypes types)
    {
        if (selector.Target is not IAnonymousFunctionOperation { Symbol.Parameters.Length: 1 } lambda ||
            lambda.Body.Operations.Length != 1 ||
            lambda.Body.Operations[0] is not IReturnOperation { ReturnedValue: { } returned } ||
            returned.WalkDownConversions() is not { } value)
        {
            return false;
        }

        var element = value switch
        {
            IInvocationOperation { TargetMethod.Name: "Stop" or "StopAsync" or "DisposeAsync" or "CloseAsync" } call => call.Instance,
            IInvocationOperation { TargetMethod.Name: "SendAsync", Instance: { } socket } when IsWebSocket(socket.Type, types) => socket,
            // agents.Select(a => a.Completed): the element's own task, already running; nothing is started.
            IPropertyReferenceOperation { Arguments.Length: 0 } property => property.Instance,
            IFieldReferenceOperation field => field.Instance,
            _ => null,
        };
        return element?.WalkDownConversions() is IParameterReferenceOperation reference &&
               SymbolEqualityComparer.Default.Equals(reference.Parameter, lambda.Symbol.Parameters[0]);
    }

    /// <summary>A <c>System.Net.WebSockets.WebSocket</c> (or a type derived from it, such as <c>ClientWebSocket</c>).</summary>
    private static bool IsWebSocket(ITypeSymbol? type, KnownTypes types)
        => type is INamedTypeSymbol named && types.Get("System.Net.WebSockets.WebSocket") is { } webSocket && named.InheritsFromOrEquals(webSocket);

    /// <summary>The <c>Task.WhenAll/WhenAny/WaitAll/WaitAny</c> call the sequence reaches (directly, through ToList/ToArray, or one local).</summary>
    private static IInvocationOperation? FlowsIntoJoin(IOperation sequence, KnownTypes types)
    {
        for (var depth = 0; depth < 4; depth++)
        {
            switch (sequence.WalkUpConversions())
            {
                case IArgumentOperation { Parent: IInvocationOperation join } when IsJoin(join, types):
                    return join;
                case IArgumentOperation { Parent: IInvocationOperation materialize } when materialize.TargetMethod.Name is "ToList" or "ToArray":
                    sequence = materialize;
                    continue;
                case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                    var function = sequence.GetEnclosingFunction();
                    if (function is null)
                    {
                        return null;
                    }

                    foreach (var descendant in function.EnumerateDescendants())
                    {
                        if (descendant is ILocalReferenceOperation reference &&
                            SymbolEqualityComparer.Default.Equals(reference.Local, declarator.Symbol) &&
                            reference.WalkUpConversions() is IArgumentOperation { Parent: IInvocationOperation join } &&
                            IsJoin(join, types))
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

    private static bool IsJoin(IInvocationOperation invocation, KnownTypes types)
        => invocation.TargetMethod.ContainingType.Is(types.Task) &&
           invocation.TargetMethod.Name is "WhenAll" or "WhenAny" or "WaitAll" or "WaitAny";

    // ---- a loop that collects or discards one task per element ----

    private static void AnalyzeLoop(OperationAnalysisContext context, KnownTypes types)
    {
        IOperation? collection;
        switch (context.Operation)
        {
            case IForEachLoopOperation forEach:
                collection = forEach.Collection;
                break;
            case IForLoopOperation { Condition: IBinaryOperation condition }:
                // `for (var i = 0; i < items.Count; i++)` over an unbounded input.
                collection = CountedCollection(condition.RightOperand) ?? CountedCollection(condition.LeftOperand);
                break;
            default:
                return;
        }

        // Only a task that is discarded, stored in an array element or handed to a collection (IsFannedOut) is
        // reported: a loop whose text names none of those ways is left before its input or body is looked at (most loops).
        if (collection is null || !SourceMentions.Any(context.Operation.Syntax, FanOutNames))
        {
            return;
        }

        // The first task started and left running in the body, if any (most loops await what they start, or start
        // none); only then whether the input is unbounded (its type's interfaces, a local's one value, which walks the
        // whole function) and the second walk, for what throttles the loop or leaves it early.
        var loop = (ILoopOperation)context.Operation;
        foreach (var operation in ConcurrentContexts.DescendantsInSameFunction(loop.Body))
        {
            if (operation.Kind != OperationKind.Invocation || operation is not IInvocationOperation call ||
                !call.Type.IsTaskLike(types) || !IsFannedOut(call, loop))
            {
                continue;
            }

            if (!IsFannedOverUnboundedInput(loop, collection, types))
            {
                return;
            }

            if (!HasThrottleOrExit(loop.Body, types) && !IsThrottledCall(call, types))
            {
                context.ReportDiagnostic(Diagnostic.Create(Rule, call.Syntax.GetLocation(), Describe(collection)));
            }

            return;
        }
    }

    /// <summary>
    /// A <c>foreach</c> over an async stream, a consuming enumerable or an unbounded input, or a <c>for</c> counting an
    /// unbounded input, whose elements are data (not tasks, delegates or streams).
    /// </summary>
    private static bool IsFannedOverUnboundedInput(ILoopOperation loop, IOperation collection, KnownTypes types)
    {
        var unbounded = loop is IForEachLoopOperation forEach
            ? forEach.IsAsynchronous || IsConsumingEnumerable(forEach.Collection) || IsUnbounded(forEach.Collection, types, depth: 0)
            : IsUnbounded(collection, types, depth: 0);
        return unbounded && !ElementsAreWork(collection.WalkDownConversions().Type, types);
    }

    /// <summary>
    /// What the text of a loop that fans out names (<see cref="IsFannedOut"/>): the discard <c>_</c>, a bracket (an array
    /// element, a collection expression), a collection's adding method, or <c>new</c> (a collection initializer, whose
    /// <c>Add</c> calls are not written).
    /// </summary>
    private static readonly NameSet FanOutNames = new NameSet(
        new[] { "_", "Add", "Enqueue", "Push", "new" },
        "_", "Add", "TryAdd", "AddLast", "Enqueue", "Push", "new").OrContaining("[");

    /// <summary>The task is discarded (<c>_ = ...</c>), added to a collection, or stored in an array element: it keeps running into the next iteration.</summary>
    private static bool IsFannedOut(IInvocationOperation call, ILoopOperation loop)
    {
        IOperation value = call;
        for (var depth = 0; depth < 3; depth++)
        {
            switch (value.WalkUpConversions())
            {
                case ISimpleAssignmentOperation { Target: IDiscardOperation }:
                    return true;
                case ISimpleAssignmentOperation { Target: IArrayElementReferenceOperation }:
                    return true;
                case IArgumentOperation { Parent: IInvocationOperation add } when add.TargetMethod.Name is "Add" or "Enqueue" or "Push" or "TryAdd" or "AddLast":
                    return true;
                case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                    // `var t = WorkAsync(x); tasks.Add(t);`: follow the local within the loop body.
                    foreach (var descendant in ConcurrentContexts.DescendantsInSameFunction(loop.Body))
                    {
                        if (descendant is ILocalReferenceOperation reference &&
                            SymbolEqualityComparer.Default.Equals(reference.Local, declarator.Symbol) &&
                            !(reference.Parent is ISimpleAssignmentOperation assignment && assignment.Target == reference))
                        {
                            if (reference.WalkUpConversions() is IAwaitOperation)
                            {
                                return false;
                            }

                            value = reference;
                        }
                    }

                    if (value == call)
                    {
                        return false;
                    }

                    continue;
                default:
                    return false;
            }
        }

        return false;
    }

    /// <summary><c>items.Count</c>, <c>items.Length</c>, <c>items.Count()</c>: the collection counted.</summary>
    private static IOperation? CountedCollection(IOperation bound) => bound.WalkDownConversions() switch
    {
        IPropertyReferenceOperation { Property.Name: "Count" or "Length", Instance: { } instance } => instance,
        IInvocationOperation { TargetMethod.Name: "Count", Arguments.Length: 1 } count => count.Arguments[0].Value,
        _ => null,
    };

    private static bool IsConsumingEnumerable(IOperation collection)
        => collection.WalkDownConversions() is IInvocationOperation { TargetMethod.Name: "GetConsumingEnumerable" or "ReadAllAsync" };

    private static string Describe(IOperation source)
    {
        var text = source.WalkDownConversions().Syntax.ToString();
        return text.Length <= 40 ? text : text.Substring(0, 37) + "...";
    }

    /// <summary>The select can become <c>await Parallel.ForEachAsync(source, async (x, token) => ...)</c>.</summary>
    private static bool CanUseForEachAsync(IInvocationOperation select, IDelegateCreationOperation selector, IInvocationOperation join, KnownTypes types)
    {
        if (types.Parallel is null || types.Parallel.GetMembers("ForEachAsync").IsEmpty ||
            join.TargetMethod.Name != "WhenAll" || join.Arguments.Length != 1 ||
            selector.Target is not IAnonymousFunctionOperation { Symbol.Parameters.Length: 1 } lambda ||
            lambda.Syntax is not (SimpleLambdaExpressionSyntax or ParenthesizedLambdaExpressionSyntax))
        {
            return false;
        }

        // Select → (ToList/ToArray) → WhenAll → (ConfigureAwait) → await, as a statement: the results are not used.
        if (!IsDirectArgumentOf(select, join))
        {
            return false;
        }

        IOperation awaited = join;
        if (join.WalkUpConversions() is IInvocationOperation { TargetMethod.Name: "ConfigureAwait" } configure && configure.Instance?.WalkDownConversions() == join)
        {
            awaited = configure;
        }

        if (awaited.WalkUpConversions() is not IAwaitOperation await || await.WalkUpConversions() is not IExpressionStatementOperation)
        {
            return false;
        }

        // The body must not return values: an async lambda returning Task, or an expression lambda.
        if (lambda.Symbol.IsAsync)
        {
            return lambda.Symbol.ReturnType.Is(types.Task);
        }

        return lambda.Syntax is LambdaExpressionSyntax { ExpressionBody: not null };
    }

    private static bool IsDirectArgumentOf(IOperation sequence, IInvocationOperation join)
    {
        for (var depth = 0; depth < 3; depth++)
        {
            switch (sequence.WalkUpConversions())
            {
                case IArgumentOperation { Parent: IInvocationOperation parent } when parent == join:
                    return true;
                case IArgumentOperation { Parent: IInvocationOperation materialize } when materialize.TargetMethod.Name is "ToList" or "ToArray":
                    sequence = materialize;
                    continue;
                default:
                    return false;
            }
        }

        return false;
    }
}
