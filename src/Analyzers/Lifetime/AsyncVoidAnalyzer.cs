using System.Collections.Concurrent;
using System.Collections.Immutable;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Lifetime;

/// <summary>
/// CONC103: <c>async void</c> methods that are not event handlers, async lambdas converted to void-returning
/// delegates, and <c>TaskFactory.StartNew</c> with an async delegate whose <c>Task&lt;Task&gt;</c> is not unwrapped.
/// </summary>
public sealed class AsyncVoidAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property naming the shape, for the fixer.</summary>
    public const string KindProperty = "Kind";
    public const string KindMethod = "Method";
    public const string KindLambda = "Lambda";
    public const string KindStartNew = "StartNew";

    /// <summary>For <see cref="KindStartNew"/>: <c>TaskRun</c> when the call can become <c>Task.Run</c>, else <c>Unwrap</c>.</summary>
    public const string StartNewFixProperty = "StartNewFix";

    private const string Title = "Async void method or async lambda passed as a void delegate";
    private const string Description =
        "Nobody can await async void work: its caller continues before it finishes, and an exception it throws is " +
        "raised on the thread pool or synchronization context, where it crashes the process. Return Task instead, " +
        "pass the lambda where a Func<Task> is accepted, or use Task.Run rather than Task.Factory.StartNew for async delegates.";

    internal static readonly DiagnosticDescriptor MethodRule = RuleDescriptors.Create(
        RuleIds.AsyncVoid,
        Title,
        "'{0}' is async void: callers cannot await it and its exceptions crash the process; return Task",
        DiagnosticSeverity.Warning,
        Description);

    internal static readonly DiagnosticDescriptor LambdaRule = RuleDescriptors.Create(
        RuleIds.AsyncVoid,
        Title,
        "Async lambda is converted to the void-returning delegate '{0}': nobody awaits it and its exceptions crash the process",
        DiagnosticSeverity.Warning,
        Description);

    internal static readonly DiagnosticDescriptor StartNewRule = RuleDescriptors.Create(
        RuleIds.AsyncVoid,
        Title,
        "'StartNew' with an async delegate returns '{0}', which completes at the delegate's first await; use Task.Run or Unwrap()",
        DiagnosticSeverity.Warning,
        Description);

    internal static readonly DiagnosticDescriptor RunValueTaskRule = RuleDescriptors.Create(
        RuleIds.AsyncVoid,
        Title,
        "'Run' with a delegate that returns '{0}' gives a 'Task<{0}>', which completes when the delegate returns, at its first await, and drops its work; make the delegate return a Task (AsTask())",
        DiagnosticSeverity.Warning,
        Description);

    internal static readonly DiagnosticDescriptor RunConfiguredAwaitableRule = RuleDescriptors.Create(
        RuleIds.AsyncVoid,
        Title,
        "'Run' with a delegate that returns '{0}' gives a 'Task<{0}>', which completes as soon as the delegate returns and drops its work; return the task itself (ConfigureAwait belongs on the await)",
        DiagnosticSeverity.Warning,
        Description);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(MethodRule, LambdaRule, StartNewRule, RunValueTaskRule, RunConfiguredAwaitableRule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var types = KnownTypes.For(start.Compilation);
            if (types.Task is null)
            {
                return;
            }

            start.RegisterSymbolStartAction(symbolStart => AnalyzeType(symbolStart, types), SymbolKind.NamedType);
            start.RegisterOperationAction(c => AnalyzeLambda(c, types), OperationKind.AnonymousFunction);
            start.RegisterOperationAction(c => AnalyzeLocalFunction(c, types), OperationKind.LocalFunction);
            start.RegisterInvocationAction(c => AnalyzeStartNew(c, types), InvocationActions.Names("StartNew"));
            start.RegisterInvocationAction(c => AnalyzeRunOfValueTask(c, types), InvocationActions.Names("Run"));
        });
    }

    private static void AnalyzeType(SymbolStartAnalysisContext context, KnownTypes types)
    {
        // Most types declare no async void method: nothing to watch for them (their members are all known here).
        var candidates = false;
        foreach (var member in ((INamedTypeSymbol)context.Symbol).GetMembers())
        {
            if (member is IMethodSymbol method && IsCandidate(method, types))
            {
                candidates = true;
                break;
            }
        }

        if (!candidates)
        {
            return;
        }

        // Methods subscribed to events anywhere in the type are event handlers, whatever their parameters.
        var subscribed = new LockedMap<IMethodSymbol, bool>(SymbolEqualityComparer.Default);
        context.RegisterOperationAction(
            c =>
            {
                var assignment = (IEventAssignmentOperation)c.Operation;
                if (assignment.HandlerValue.WalkDownConversions() is IDelegateCreationOperation { Target: IMethodReferenceOperation reference })
                {
                    subscribed.TryAdd(reference.Method.OriginalDefinition, true);
                }
            },
            OperationKind.EventAssignment);

        // A private timer or thread-pool callback (`new Timer(OnTick, ...)`) whose body catches everything: nothing it
        // throws escapes, and no caller could have awaited it. Any other use (a direct call, another delegate) counts;
        // a nested type could call the method where these callbacks do not look, so a type with one gets no exemption.
        var mayExempt = ((INamedTypeSymbol)context.Symbol).GetTypeMembers().IsEmpty;
        var asCallback = new LockedMap<IMethodSymbol, bool>(SymbolEqualityComparer.Default);
        var otherUse = new LockedMap<IMethodSymbol, bool>(SymbolEqualityComparer.Default);
        var catchesEverything = new LockedMap<IMethodSymbol, bool>(SymbolEqualityComparer.Default);

        // A private method that is given a TaskCompletionSource and completes it on every path, the catch-all included
        // (`executor.Execute(this.Acquire0, promise)`, `async void Acquire0(object state) { var promise = state as ...;
        // try { ...; promise.TrySetResult(r); } catch (Exception ex) { promise.TrySetException(ex); } }`): a bridge from
        // a callback API to a task. Every caller hands it the source it waits on, so the work's end and failure are seen.
        var completesSource = new LockedMap<IMethodSymbol, bool>(SymbolEqualityComparer.Default);
        context.RegisterOperationAction(
            c =>
            {
                var reference = (IMethodReferenceOperation)c.Operation;
                if (IsAsyncVoid(reference.Method))
                {
                    var uses = IsCallbackDelegate(reference.Parent) ? asCallback : otherUse;
                    uses.TryAdd(reference.Method.OriginalDefinition, true);
                }
            },
            OperationKind.MethodReference);
        context.RegisterOperationAction(
            c =>
            {
                var invocation = (IInvocationOperation)c.Operation;
                if (IsAsyncVoid(invocation.TargetMethod))
                {
                    var uses = IsWholeCallbackLambda(invocation) ? asCallback : otherUse;
                    uses.TryAdd(invocation.TargetMethod.OriginalDefinition, true);
                }
            },
            OperationKind.Invocation);
        context.RegisterOperationBlockAction(c =>
        {
            if (c.OwningSymbol is IMethodSymbol { DeclaredAccessibility: Accessibility.Private } method && IsCandidate(method, types))
            {
                foreach (var block in c.OperationBlocks)
                {
                    if ((block as IBlockOperation ?? (block as IMethodBodyOperation)?.BlockBody) is { } body)
                    {
                        if (ExceptionEscape.CatchesEverything(body, types))
                        {
                            catchesEverything.TryAdd(method.OriginalDefinition, true);
                        }

                        if (ExceptionEscape.CompletesGivenSourceOnEveryPath(body, types))
                        {
                            completesSource.TryAdd(method.OriginalDefinition, true);
                        }
                    }
                }
            }
        });

        context.RegisterSymbolEndAction(c =>
        {
            foreach (var member in ((INamedTypeSymbol)c.Symbol).GetMembers())
            {
                if (member is IMethodSymbol method && IsCandidate(method, types) && !subscribed.ContainsKey(method) &&
                    !(mayExempt && asCallback.ContainsKey(method) && !otherUse.ContainsKey(method) && catchesEverything.ContainsKey(method)) &&
                    !completesSource.ContainsKey(method))
                {
                    foreach (var location in method.Locations)
                    {
                        if (location.IsInSource)
                        {
                            c.ReportDiagnostic(Diagnostic.Create(MethodRule, location, Properties(KindMethod), method.Name));
                        }
                    }
                }
            }
        });
    }

    /// <summary>A timer or thread-pool callback delegate: nothing waits for what it runs.</summary>
    private static bool IsCallbackDelegate(IOperation? operation)
        => operation is IDelegateCreationOperation { Type: INamedTypeSymbol callback } && IsCallbackDelegate(callback);

    /// <summary>
    /// The call is all a (non-async) lambda handed to a timer or thread-pool callback does (<c>new Timer(_ =&gt; Tick(), ...)</c>,
    /// <c>state =&gt; { Tick(); }</c>): the method is that callback, as if handed over as a method group.
    /// </summary>
    private static bool IsWholeCallbackLambda(IInvocationOperation invocation)
    {
        if (invocation.Instance is not (null or IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance }) ||
            invocation.Parent is not IExpressionStatementOperation statement ||
            statement.Parent is not IBlockOperation body ||
            body.Parent is not IAnonymousFunctionOperation { Symbol.IsAsync: false } lambda ||
            !IsCallbackDelegate(lambda.Parent))
        {
            return false;
        }

        foreach (var operation in body.Operations)
        {
            if (!ReferenceEquals(operation, statement) && operation is not IReturnOperation { IsImplicit: true, ReturnedValue: null })
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>An async void method that is not an event handler by its shape, nor bound to a signature by an override or interface.</summary>
    private static bool IsCandidate(IMethodSymbol method, KnownTypes types)
        => IsAsyncVoid(method) && !IsEventHandlerShape(method, types) && !method.IsOverrideOrInterfaceImplementation();

    private static void AnalyzeLocalFunction(OperationAnalysisContext context, KnownTypes types)
    {
        var operation = (ILocalFunctionOperation)context.Operation;
        var method = operation.Symbol;
        if (IsAsyncVoid(method) && !IsEventHandlerShape(method, types) &&
            operation.Syntax is LocalFunctionStatementSyntax syntax)
        {
            context.ReportDiagnostic(Diagnostic.Create(MethodRule, syntax.Identifier.GetLocation(), Properties(KindMethod), method.Name));
        }
    }

    private static void AnalyzeLambda(OperationAnalysisContext context, KnownTypes types)
    {
        var lambda = (IAnonymousFunctionOperation)context.Operation;
        if (!lambda.Symbol.IsAsync ||
            lambda.WalkUpConversions() is not IDelegateCreationOperation { Type: INamedTypeSymbol { DelegateInvokeMethod: { ReturnsVoid: true } invoke } delegateType } creation)
        {
            return;
        }

        // `x.Event += async (s, e) => ...` is an event handler: the accepted place for async void.
        if (creation.WalkUpConversions() is IEventAssignmentOperation || IsEventHandlerShape(invoke, types))
        {
            return;
        }

        // `context.Post(async _ => { try { ... } catch (Exception ex) { Log(ex); } }, null)`: a timer, thread-pool or
        // synchronization-context callback could not await anything, and nothing the body throws escapes it.
        if (IsCallbackDelegate(delegateType) && lambda.Body is { } body && ExceptionEscape.CatchesEverything(body, types))
        {
            return;
        }

        var asyncKeyword = lambda.Syntax switch
        {
            AnonymousFunctionExpressionSyntax anonymous => anonymous.AsyncKeyword,
            _ => default,
        };
        if (asyncKeyword == default)
        {
            return;
        }

        context.ReportDiagnostic(Diagnostic.Create(
            LambdaRule,
            asyncKeyword.GetLocation(),
            Properties(KindLambda),
            delegateType.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)));
    }

    private static void AnalyzeStartNew(OperationAnalysisContext context, KnownTypes types)
    {
        var invocation = (IInvocationOperation)context.Operation;
        var method = invocation.TargetMethod;
        if (method.Name != "StartNew" ||
            !(method.ContainingType.Is(types.TaskFactory) || method.ContainingType.Is(types.TaskFactoryOfT)) ||
            method.ReturnType is not INamedTypeSymbol { IsGenericType: true } returnType ||
            !returnType.Is(types.TaskOfT) ||
            !(returnType.TypeArguments[0].Is(types.Task) || returnType.TypeArguments[0].Is(types.TaskOfT)) ||
            HasErrorType(returnType))
        {
            return;
        }

        if (IsUnwrapped(invocation, invocation) || IsUnwrappedThroughLocal(invocation) || IsDroppedWithOpaqueDelegate(invocation))
        {
            return;
        }

        if (invocation.Syntax is not InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax memberAccess })
        {
            return;
        }

        var fix = CanBecomeTaskRun(invocation, types) ? "TaskRun" : "Unwrap";
        var properties = ImmutableDictionary<string, string?>.Empty
            .Add(KindProperty, KindStartNew)
            .Add(StartNewFixProperty, fix);
        context.ReportDiagnostic(Diagnostic.Create(
            StartNewRule,
            memberAccess.Name.GetLocation(),
            properties,
            returnType.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)));
    }

    /// <summary>
    /// <c>Task.Run(SendingAsync)</c> where <c>SendingAsync</c> returns a <c>ValueTask</c>: no <c>Run</c> overload takes a
    /// <c>Func&lt;ValueTask&gt;</c>, so this is <c>Run&lt;ValueTask&gt;</c>, whose task completes as soon as the delegate
    /// returns its <c>ValueTask</c> (at the work's first await). Awaiting it, or <c>Task.WhenAll</c> over such tasks,
    /// does not wait for the work, and its exceptions are never seen. Silent when the result is awaited twice, and when it
    /// is dropped or discarded (nobody waits on it).
    /// </summary>
    private static void AnalyzeRunOfValueTask(OperationAnalysisContext context, KnownTypes types)
    {
        var invocation = (IInvocationOperation)context.Operation;
        var method = invocation.TargetMethod;
        if (method.Name != "Run" || !method.IsStatic || !method.IsGenericMethod || method.TypeArguments.Length != 1 ||
            !method.ContainingType.Is(types.Task) ||
            method.TypeArguments[0] is not INamedTypeSymbol result)
        {
            return;
        }

        // The result's type by name before its type arguments are searched for an error type: most Run<T> results are
        // neither awaitable kind.
        var configured = IsConfiguredAwaitable(result);
        if ((!configured && !(result.Is(types.ValueTask) || result.Is(types.ValueTaskOfT))) || HasErrorType(result))
        {
            return;
        }

        // Dropped (`Task.Run(PumpAsync);`) or discarded: nobody waits on the outer task, so its early completion misleads
        // nobody (CONC102 judges the dropped work, as for StartNew of a delegate value).
        var parent = invocation.WalkUpConversions();
        if (parent is IExpressionStatementOperation ||
            (parent is ISimpleAssignmentOperation { Target: IDiscardOperation } discard && ReferenceEquals(discard.Value.WalkDownConversions(), invocation)) ||
            IsUnwrapped(invocation, invocation) || IsUnwrappedThroughLocal(invocation) ||
            invocation.Syntax is not InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax memberAccess })
        {
            return;
        }

        context.ReportDiagnostic(Diagnostic.Create(
            configured ? RunConfiguredAwaitableRule : RunValueTaskRule,
            memberAccess.Name.GetLocation(),
            result.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)));
    }

    /// <summary>
    /// <c>ConfiguredTaskAwaitable</c>/<c>ConfiguredValueTaskAwaitable</c> (and their generic forms): what
    /// <c>WorkAsync().ConfigureAwait(false)</c> returns. No <c>Run</c> overload takes a delegate returning one, so
    /// <c>Task.Run(() => WorkAsync().ConfigureAwait(false))</c> is <c>Run&lt;ConfiguredTaskAwaitable&gt;</c>.
    /// </summary>
    private static bool IsConfiguredAwaitable(INamedTypeSymbol type)
        => type.Name is "ConfiguredTaskAwaitable" or "ConfiguredValueTaskAwaitable" &&
           type.ContainingType is null &&
           type.ContainingNamespace is { Name: "CompilerServices", ContainingNamespace: { Name: "Runtime", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } } };

    private static bool HasErrorType(ITypeSymbol type)
    {
        if (type.TypeKind == TypeKind.Error)
        {
            return true;
        }

        if (type is INamedTypeSymbol named)
        {
            foreach (var argument in named.TypeArguments)
            {
                if (HasErrorType(argument))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool IsAsyncVoid(IMethodSymbol method) => method.IsAsync && method.ReturnsVoid;

    /// <summary>The callbacks of timers, the thread pool and synchronization contexts: fire-and-forget by nature.</summary>
    private static bool IsCallbackDelegate(INamedTypeSymbol type)
        => type.Name is "TimerCallback" or "WaitCallback" or "WaitOrTimerCallback" or "SendOrPostCallback";

    /// <summary><c>(object sender, TEventArgs e)</c> with TEventArgs deriving from EventArgs (or named like one).</summary>
    private static bool IsEventHandlerShape(IMethodSymbol method, KnownTypes types)
    {
        if (method.Parameters.Length != 2 || method.Parameters[0].Type.IsValueType)
        {
            return false;
        }

        var args = method.Parameters[1].Type;
        return args.InheritsFromOrEquals(types.EventArgs) || args.Name.EndsWith("EventArgs", System.StringComparison.Ordinal);
    }

    /// <summary>The StartNew result flows into <c>Unwrap()</c> or is awaited twice (<c>await await</c>).</summary>
    private static bool IsUnwrapped(IOperation value, IInvocationOperation startNew)
    {
        var parent = value.WalkUpConversions();
        return parent switch
        {
            IArgumentOperation { Parent: IInvocationOperation { TargetMethod.Name: "Unwrap" } } => true,
            IInvocationOperation { TargetMethod.Name: "Unwrap" } call => !ReferenceEquals(call, startNew),
            IAwaitOperation awaitOperation => awaitOperation.WalkUpConversions() is IAwaitOperation,
            _ => false,
        };
    }

    /// <summary><c>var t = Task.Factory.StartNew(...); ... t.Unwrap()</c> or <c>await await t</c>.</summary>
    private static bool IsUnwrappedThroughLocal(IInvocationOperation invocation)
    {
        if (invocation.WalkUpConversions() is not IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator })
        {
            return false;
        }

        var body = invocation.GetEnclosingFunction();
        if (body is null)
        {
            return false;
        }

        foreach (var descendant in body.EnumerateDescendants())
        {
            if (descendant is ILocalReferenceOperation reference &&
                SymbolEqualityComparer.Default.Equals(reference.Local, declarator.Symbol) &&
                IsUnwrapped(reference, invocation))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// <c>public void Schedule(Func&lt;Task&gt; runner) =&gt; Task.Factory.StartNew(runner, CancellationToken.None, TaskCreationOptions.None, _scheduler);</c>:
    /// the delegate is a value whose code is elsewhere (a parameter, field, local, or a method group of a method that is
    /// not <c>async</c>), and the <c>Task&lt;Task&gt;</c> is dropped or discarded, so nothing waits on the outer task and
    /// its early completion misleads nobody (CONC102 reports a dropped task). An <c>async</c> lambda or method is still
    /// reported wherever its task goes.
    /// </summary>
    private static bool IsDroppedWithOpaqueDelegate(IInvocationOperation invocation)
    {
        var user = invocation.WalkUpConversions();
        var dropped = user is IExpressionStatementOperation ||
                      user is ISimpleAssignmentOperation { Target: IDiscardOperation } assignment && ReferenceEquals(assignment.Value.WalkDownConversions(), invocation);
        if (!dropped || invocation.Arguments.Length == 0)
        {
            return false;
        }

        return invocation.Arguments[0].Value.WalkDownConversions() switch
        {
            IDelegateCreationOperation { Target: IAnonymousFunctionOperation } => false,
            IDelegateCreationOperation { Target: IMethodReferenceOperation { Method.IsAsync: var isAsync } } => !isAsync,
            IDelegateCreationOperation => false,
            IParameterReferenceOperation or ILocalReferenceOperation or IFieldReferenceOperation or IPropertyReferenceOperation => true,
            _ => false,
        };
    }

    /// <summary><c>Task.Factory.StartNew(func)</c> or <c>Task.Factory.StartNew(func, token)</c>: Task.Run has the same overload.</summary>
    private static bool CanBecomeTaskRun(IInvocationOperation invocation, KnownTypes types)
    {
        if (invocation.Instance is not IPropertyReferenceOperation { Property: { Name: "Factory", IsStatic: true } factory } ||
            !factory.ContainingType.Is(types.Task) ||
            !factory.ContainingType.IsDefinition)
        {
            return false;
        }

        var parameters = invocation.TargetMethod.Parameters;
        return parameters.Length switch
        {
            1 => parameters[0].Type.TypeKind == TypeKind.Delegate,
            2 => parameters[0].Type.TypeKind == TypeKind.Delegate && parameters[1].Type.Is(types.CancellationToken),
            _ => false,
        };
    }

    private static ImmutableDictionary<string, string?> Properties(string kind)
        => ImmutableDictionary<string, string?>.Empty.Add(KindProperty, kind);
}
