using System.Collections.Generic;
using System.Collections.Immutable;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using ConcurrencyAnalyzers.Locking;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;

namespace ConcurrencyAnalyzers.Cancellation;

/// <summary>
/// CONC401: a token is in scope and a call that could take it does not get it (no token, an optional token left
/// to its default, <c>CancellationToken.None</c>/<c>default</c>), or <c>await foreach</c> enumerates without
/// <c>WithCancellation</c>. Innermost token wins; lambdas and local functions that capture it are covered.
/// </summary>
public sealed partial class TokenNotPassedAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Properties for the fixer.</summary>
    public const string TokenProperty = "Token";
    public const string ModeProperty = "Mode";
    public const string IndexProperty = "Index";
    public const string ParameterNameProperty = "ParameterName";

    /// <summary>Fix modes: insert a positional argument, add a named one, replace None/default, wrap with WithCancellation.</summary>
    public const string ModeInsert = "Insert";
    public const string ModeNamed = "Named";
    public const string ModeReplace = "Replace";
    public const string ModeWithCancellation = "WithCancellation";

    private const string Title = "Cancellation token in scope is not passed on";
    private const string Description =
        "A call that accepts a cancellation token runs to completion when the caller is cancelled if it does not get " +
        "the token in scope: the request or the shutdown waits for work nobody wants any more. Pass the innermost " +
        "token (a lambda's own token, a linked source's Token, the method's parameter).";

    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        RuleIds.TokenNotPassed,
        Title,
        "'{0}' can take a cancellation token but does not get '{1}'",
        DiagnosticSeverity.Warning,
        Description);

    internal static readonly DiagnosticDescriptor NoneRule = RuleDescriptors.Create(
        RuleIds.TokenNotPassed,
        Title,
        "'{0}' is passed '{2}' while '{1}' is in scope",
        DiagnosticSeverity.Warning,
        Description);

    internal static readonly DiagnosticDescriptor ForEachRule = RuleDescriptors.Create(
        RuleIds.TokenNotPassed,
        Title,
        "'await foreach' enumerates without '{1}': add WithCancellation({1})",
        DiagnosticSeverity.Warning,
        Description);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Rule, NoneRule, ForEachRule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var types = KnownTypes.For(start.Compilation);
            if (types.CancellationToken is null)
            {
                return;
            }

            start.RegisterOperationAction(
                c =>
                {
                    var invocation = (IInvocationOperation)c.Operation;
                    if (Find(invocation, c.ContainingSymbol, types) is { } diagnostic &&
                        !SemaphoreSlimMisuseAnalyzer.ReportsSyncWait(invocation, c.ContainingSymbol, types)) // CONC203's, with the token in its fix
                    {
                        c.ReportDiagnostic(diagnostic);
                    }
                },
                OperationKind.Invocation);
            start.RegisterOperationAction(c => AnalyzeForEach(c, types), OperationKind.Loop);
        });
    }

    /// <summary>The CONC401 diagnostic for this call, or null. Shared with the CA2016 suppressor.</summary>
    internal static Diagnostic? Find(IInvocationOperation invocation, ISymbol owner, KnownTypes types)
    {
        // Every diagnostic is about a place for a token (a token parameter or a token overload) and names the token
        // in scope: calls without the one, and bodies without the other, are left at once.
        var method = invocation.TargetMethod;
        if (invocation.Syntax is not InvocationExpressionSyntax syntax || !CancellationOverloads.MayTakeToken(invocation, types))
        {
            return null;
        }

        // A call that passes a token (most calls that reach here) is reported only when it passes an outer token inside a
        // callback with a token of its own: that is asked first, and the questions about the method and the body (all
        // exits that report nothing, in any order) only of the few calls it finds. Wait(0), TryEnter(x, 0): a poll
        // returns at once, a token adds nothing.
        if (CancellationOverloads.PassesAnyToken(invocation, types))
        {
            // any token is a choice, except the host's own one inside its callback
            return OuterTokenInsteadOfOwn(invocation, types) is { } outer && !IsExcludedMethod(method, types) &&
                   CancellationTokens.MayHaveTokenInScope(invocation, owner, types) && !IsPipelineContinuation(invocation, types) &&
                   !LockApis.HasZeroTimeout(invocation)
                ? outer
                : null;
        }

        if (IsExcludedMethod(method, types) || !CancellationTokens.MayHaveTokenInScope(invocation, owner, types) ||
            IsPipelineContinuation(invocation, types))
        {
            return null;
        }

        if (LockApis.HasZeroTimeout(invocation))
        {
            return null;
        }

        if (WaitsOnWorkGivenToken(invocation, types) || IsOverStreamGivenToken(ReceiverOf(invocation), types))
        {
            return null; // DoTakeAsync(ct, sync: true).WaitAndUnwrapException(): the work it waits for has the token
        }

        // Finding the token in scope costs more than asking whether the call has a place for one, and most calls do
        // not: it is looked for only where a diagnostic would be reported.
        TokenInScope? Token()
        {
            var token = ReachableToken(invocation, owner, types);
            return token is null || TimeoutAbandonsWorkAnalyzer.IsRacedAgainstTimeout(invocation, types)
                ? null // no token; or a timeout race that CONC404 reports
                : token;
        }

        var inCleanup = IsInCleanup(invocation);
        var name = method.Name;

        // Explicit None/default where a token is in scope.
        if (CancellationOverloads.NoneTokenArgument(invocation, types) is { } argument)
        {
            if (inCleanup || HasComment(argument.Syntax) || argument.Syntax is not ArgumentSyntax argumentSyntax ||
                (name is "Run" or "StartNew" && IsGivenTokenLater(invocation, types)) || IsKeptInMember(invocation) ||
                IsWaitedWithTokenLater(invocation, types) ||
                Token() is not { } token || CancellationTokens.IsKnownNoneAt(invocation, token))
            {
                // cleanup must finish; a commented None is a decision; under `if (ct == None)` it is ct; and
                // Task.Run(() => LoopAsync(_stopping.Token), CancellationToken.None) hands its work a token itself:
                // the None only says "always start it", as leaving the argument out would.
                return null;
            }

            return Diagnostic.Create(
                NoneRule,
                argumentSyntax.Expression.GetLocation(),
                Properties(token, ModeReplace, -1, null),
                name,
                token.ExpressionText,
                argumentSyntax.Expression.ToString());
        }

        if (inCleanup && !(name == "Delay" && method.ContainingType.Is(types.Task)))
        {
            return null;
        }

        if (name == "Delay" && method.ContainingType.Is(types.Task) && (IsJoinedWithTokenWait(invocation, types) || SchedulesContinuationForAnyOutcome(invocation)))
        {
            return null; // Task.WhenAll(Task.Delay(grace), ct.WhenCancelled()): the wait already has the token
        }

        var location = NameLocation(syntax);
        if (CancellationOverloads.DefaultedTokenArgument(invocation, types) is { Parameter: { } defaulted })
        {
            if (IsGivenTokenLater(invocation, types))
            {
                return null; // GetItems() feeding .WithCancellation(ct): [EnumeratorCancellation] gets the token
            }

            if (HasCancellationComment(syntax) || Token() is not { } token)
            {
                return null; // "// no point in passing the token here: ..." is a decision
            }

            var (mode, index) = PositionFor(invocation, syntax, defaulted.Ordinal - ReceiverOffset(invocation));
            return Diagnostic.Create(Rule, location, Properties(token, mode, index, defaulted.Name), name, token.ExpressionText);
        }

        if (HasParamsExpansion(invocation) || IsGivenTokenLater(invocation, types) || IsWaitedWithTokenLater(invocation, types))
        {
            return null;
        }

        var overload = CancellationOverloads.FindTokenOverload(invocation, owner, types, out var tokenIndex);
        if (overload is null || Token() is not { } reachable ||
            (name is "Run" or "StartNew" && IsBackgroundWorkKeptByStart(invocation, reachable)))
        {
            return null;
        }

        var (fixMode, fixIndex) = PositionFor(invocation, syntax, tokenIndex - ReceiverOffset(invocation));
        return Diagnostic.Create(Rule, location, Properties(reachable, fixMode, fixIndex, overload.Parameters[tokenIndex].Name), name, reachable.ExpressionText);
    }

    private static void AnalyzeForEach(OperationAnalysisContext context, KnownTypes types)
    {
        // By loop kind first (one read, where an interface type test walks the operation class's interfaces): only a
        // foreach can be an await foreach.
        if (((ILoopOperation)context.Operation).LoopKind != LoopKind.ForEach ||
            context.Operation is not IForEachLoopOperation { IsAsynchronous: true } loop ||
            loop.Syntax is not ForEachStatementSyntax { Expression: { } expression })
        {
            return;
        }

        var collection = loop.Collection.WalkDownConversions();
        if (collection.Type is not INamedTypeSymbol collectionType || collectionType.TypeKind == TypeKind.Error)
        {
            return;
        }

        // Through ConfigureAwait / WithCancellation: any WithCancellation means a token is passed.
        var inner = collection;
        while (inner is IInvocationOperation { TargetMethod.Name: "ConfigureAwait" or "WithCancellation" } call)
        {
            if (call.TargetMethod.Name == "WithCancellation")
            {
                return;
            }

            inner = (call.Instance ?? (call.Arguments.Length > 0 ? call.Arguments[0].Value : null))?.WalkDownConversions();
            if (inner is null)
            {
                return;
            }
        }

        if (collectionType.Name != "IAsyncEnumerable" && collectionType.Name != "ConfiguredCancelableAsyncEnumerable" &&
            !ImplementsAsyncEnumerable(collectionType))
        {
            return;
        }

        // A call that takes the token (passed, or reported by the invocation check) owns the diagnostic; so does one
        // given None or default explicitly (ReadAllAsync(CancellationToken.None): reported there, or a commented decision).
        if (inner is IInvocationOperation producer &&
            (CancellationOverloads.PassesAnyToken(producer, types) || CancellationOverloads.DefaultedTokenArgument(producer, types) is not null ||
             HasExplicitTokenArgument(producer, types) ||
             CancellationOverloads.FindTokenOverload(producer, context.ContainingSymbol, types, out _) is not null))
        {
            return;
        }

        // `ListAsync(ct).Where(...)`: operators over a stream whose source took a token enumerate it with that token.
        if (inner is IInvocationOperation && IsOverStreamGivenToken(inner, types))
        {
            return;
        }

        // A local filled by a call that took a token: the enumerable already carries it (var stream = Start(ct);).
        if (inner is ILocalReferenceOperation source && LocalFilledByTokenCall(loop, source.Local, types))
        {
            return;
        }

        var token = ReachableToken(loop, context.ContainingSymbol, types);
        if (token is null || IsInCleanup(loop) ||
            (inner is IInvocationOperation { TargetMethod.MethodKind: MethodKind.LocalFunction } local && LocalIteratorReadsToken(loop, local.TargetMethod, token.Symbol)))
        {
            return;
        }

        context.ReportDiagnostic(Diagnostic.Create(
            ForEachRule, expression.GetLocation(), Properties(token, ModeWithCancellation, -1, null), "await foreach", token.ExpressionText));
    }

    /// <summary>
    /// The async stream reached through operators that take no token of their own (<c>Where</c>, <c>Select</c>,
    /// <c>Distinct</c>, <c>ConfigureAwait</c>) comes from a call given a token: <c>backend.ListAsync(ct).Where(p)</c>.
    /// The source enumerates with that token, so an operator or terminal call over it (<c>.FirstOrDefaultAsync()</c>,
    /// <c>.ToListAsync()</c>, <c>.ToBlockingEnumerable()</c>, <c>await foreach</c>) is cancelled with it, as
    /// <c>await foreach</c> over a local filled by such a call is.
    /// </summary>
    private static bool IsOverStreamGivenToken(IOperation? stream, KnownTypes types)
    {
        for (var depth = 0; depth < 8; depth++)
        {
            if (stream?.WalkDownConversions() is not IInvocationOperation call || !IsAsyncStream(call.Type))
            {
                return false;
            }

            if (CancellationOverloads.PassesAnyToken(call, types))
            {
                return true;
            }

            stream = ReceiverOf(call);
            if (stream is null || !IsAsyncStream(stream.Type))
            {
                return false;
            }
        }

        return false;
    }

    private static bool IsAsyncStream(ITypeSymbol? type)
        => type is INamedTypeSymbol named &&
           (named.Name is "IAsyncEnumerable" or "ConfiguredCancelableAsyncEnumerable" || ImplementsAsyncEnumerable(named));

    /// <summary>The object a call works on: its instance, or the first argument of an extension method.</summary>
    private static IOperation? ReceiverOf(IInvocationOperation call)
        => (call.Instance ?? (call.TargetMethod.IsExtensionMethod && call.Arguments.Length > 0 ? call.Arguments[0].Value : null))?.WalkDownConversions();

    /// <summary>
    /// <c>await foreach (var r in BuildResult(cmd, sql))</c> where <c>BuildResult</c> is a local async iterator that
    /// reads the token in scope itself (<c>ExecuteReaderAsync(token)</c>): its work is already cancelled with it, and
    /// with no <c>[EnumeratorCancellation]</c> parameter a <c>WithCancellation</c> would be ignored anyway.
    /// </summary>
    private static bool LocalIteratorReadsToken(IOperation loop, IMethodSymbol localFunction, ISymbol token)
    {
        var root = loop;
        while (root.Parent is not null)
        {
            root = root.Parent;
        }

        foreach (var operation in root.EnumerateDescendants())
        {
            if (operation is ILocalFunctionOperation declaration && SymbolEqualityComparer.Default.Equals(declaration.Symbol, localFunction.OriginalDefinition))
            {
                foreach (var use in declaration.EnumerateDescendants())
                {
                    var symbol = use switch
                    {
                        IParameterReferenceOperation parameter => (ISymbol)parameter.Parameter,
                        ILocalReferenceOperation reference => reference.Local,
                        _ => null,
                    };
                    if (symbol is not null && SymbolEqualityComparer.Default.Equals(symbol, token))
                    {
                        return true;
                    }
                }

                return false;
            }
        }

        return false;
    }

    private static bool HasExplicitTokenArgument(IInvocationOperation invocation, KnownTypes types)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.ArgumentKind == ArgumentKind.Explicit && argument.Parameter is { } parameter &&
                CancellationTokens.IsToken(parameter.Type, types))
            {
                return true;
            }
        }

        return false;
    }

    private static bool LocalFilledByTokenCall(IOperation loop, ILocalSymbol local, KnownTypes types)
    {
        var root = loop;
        while (root.Parent is not null)
        {
            root = root.Parent;
        }

        foreach (var operation in root.EnumerateDescendants())
        {
            var value = operation switch
            {
                IVariableDeclaratorOperation declarator when SymbolEqualityComparer.Default.Equals(declarator.Symbol, local) => declarator.Initializer?.Value,
                ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment when SymbolEqualityComparer.Default.Equals(target.Local, local) => assignment.Value,
                _ => null,
            };
            if (value?.WalkDownConversions() is IInvocationOperation call && (CancellationOverloads.PassesAnyToken(call, types) || IsOverStreamGivenToken(call, types)))
            {
                return true;
            }
        }

        return false;
    }

    private static bool ImplementsAsyncEnumerable(INamedTypeSymbol type)
    {
        foreach (var @interface in type.AllInterfaces)
        {
            if (@interface.Name == "IAsyncEnumerable" && @interface.ContainingNamespace?.ToDisplayString() == "System.Collections.Generic")
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// <c>context.Publish(message)</c> with <c>context.CancellationToken</c> in scope: a method of the very context that
    /// carries the token (as receiver, or as the first argument of an extension method). The context knows its own
    /// token; handing it back is the context's API's business, and messaging frameworks leave it out on purpose.
    /// Calls on anything reached through the context (<c>context.Response.WriteAsync(...)</c>) are still asked for it.
    /// </summary>
    private static bool IsCallOnCarrier(IInvocationOperation invocation, TokenInScope token)
    {
        var receiver = invocation.Instance ??
                       (invocation.TargetMethod.IsExtensionMethod && invocation.Arguments.Length > 0 ? invocation.Arguments[0].Value : null);
        return receiver?.WalkDownConversions() is IParameterReferenceOperation reference &&
               SymbolEqualityComparer.Default.Equals(reference.Parameter, token.Symbol);
    }

    /// <summary>
    /// The innermost token, unless reaching it crosses a lambda that runs outside the token's operation: a
    /// registration or continuation callback, an event handler, a shared lazy factory (CONC307's), a stored delegate.
    /// </summary>
    internal static TokenInScope? ReachableToken(IOperation at, ISymbol owner, KnownTypes types)
    {
        var token = CancellationTokens.FindInnermostToken(at, owner, types);
        if (token is null)
        {
            return null;
        }

        // A request's token (context.RequestAborted) is not handed to work the request fires and forgets: that work is
        // meant to outlive the request, and leaving its token out is the usual, deliberate choice. Likewise a hosted
        // service's start token: the background work StartAsync fires off lives as long as the service.
        var requestToken = token.Kind == TokenSourceKind.ParameterProperty ||
                           (token.Kind == TokenSourceKind.Parameter && CancellationTokens.IsHostedServiceStartToken(token.Symbol));
        if (requestToken && at is IInvocationOperation spawn && (IsFireAndForgetSpawn(spawn, types) || IsCallOnCarrier(spawn, token)))
        {
            return null;
        }

        for (var current = at.Parent; current is not null; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation lambda)
            {
                if (IsParameterOf(token.Symbol, lambda.Symbol) || IsDeclaredInside(token.Symbol, lambda))
                {
                    return token;
                }

                if (!IsInlineCallback(lambda) || (requestToken && SpawnOf(lambda) is { } started && IsFireAndForgetSpawn(started, types)))
                {
                    return null;
                }
            }
            else if (current is ILocalFunctionOperation localFunction)
            {
                if (IsParameterOf(token.Symbol, localFunction.Symbol) || IsDeclaredInside(token.Symbol, localFunction))
                {
                    return token;
                }
            }
        }

        return token;
    }

    /// <summary>The call a lambda is passed to directly, or null.</summary>
    private static IInvocationOperation? SpawnOf(IAnonymousFunctionOperation lambda)
    {
        var parent = lambda.WalkUpConversions();
        if (parent is IDelegateCreationOperation)
        {
            parent = parent.WalkUpConversions();
        }

        return parent is IArgumentOperation { Parent: IInvocationOperation call } ? call : null;
    }

    /// <summary><c>Task.Run</c> / <c>Task.Factory.StartNew</c> whose task is dropped as a statement or discarded (<c>_ = Task.Run(...)</c>).</summary>
    private static bool IsFireAndForgetSpawn(IInvocationOperation invocation, KnownTypes types)
    {
        var method = invocation.TargetMethod;
        if (!(method.Name == "Run" && method.ContainingType.Is(types.Task)) &&
            !(method.Name == "StartNew" && (method.ContainingType.Is(types.TaskFactory) || method.ContainingType.Is(types.TaskFactoryOfT))))
        {
            return false;
        }

        return invocation.WalkUpConversions() is IExpressionStatementOperation or ISimpleAssignmentOperation { Target: IDiscardOperation };
    }

    private static bool IsParameterOf(ISymbol symbol, IMethodSymbol method)
        => symbol is IParameterSymbol parameter && SymbolEqualityComparer.Default.Equals(parameter.ContainingSymbol, method);

    private static bool IsDeclaredInside(ISymbol symbol, IOperation function)
        => symbol is ILocalSymbol && symbol.DeclaringSyntaxReferences.Length > 0 &&
           function.Syntax.Span.Contains(symbol.DeclaringSyntaxReferences[0].Span);

    /// <summary>A lambda passed straight to a call that runs it as part of the current work (Task.Run, Select, ForEachAsync...).</summary>
    private static bool IsInlineCallback(IAnonymousFunctionOperation lambda)
    {
        var parent = lambda.WalkUpConversions();
        if (parent is IDelegateCreationOperation)
        {
            parent = parent.WalkUpConversions();
        }

        if (parent is not IArgumentOperation { Parent: { } call })
        {
            return false;
        }

        string name;
        switch (call)
        {
            case IInvocationOperation invocation:
                name = invocation.TargetMethod.Name;
                break;
            case IObjectCreationOperation creation:
                name = creation.Type?.Name ?? string.Empty;
                break;
            default:
                return false;
        }

        return name is not ("Register" or "UnsafeRegister" or "ContinueWith" or "Lazy" or "AsyncLazy" or "EnsureInitialized" or
            "GetOrAdd" or "AddOrUpdate" or "GetOrCreate" or "GetOrCreateAsync" or "Timer" or "Thread" or "QueueUserWorkItem" or
            "UnsafeQueueUserWorkItem" or "RegisterWaitForSingleObject" or "Subscribe" or "On" or "Add" or "Post" or "Send" or "Dispose");
    }

    /// <summary>Calls whose token would not be the caller's lifetime, or that another rule owns.</summary>
    /// <summary>
    /// <c>await next()</c> in a pipeline step (a MediatR <c>IPipelineBehavior.Handle(request, next, cancellationToken)</c>):
    /// the delegate is a parameter of a method that also takes a token, both from the pipeline that built the delegate,
    /// and the delegate's token parameter is optional: left out, the pipeline runs the rest with its own token. An
    /// explicit <c>next(CancellationToken.None)</c> is still reported.
    /// </summary>
    private static bool IsPipelineContinuation(IInvocationOperation invocation, KnownTypes types)
    {
        if (invocation.TargetMethod.MethodKind != MethodKind.DelegateInvoke ||
            invocation.Instance?.WalkDownConversions() is not IParameterReferenceOperation { Parameter.ContainingSymbol: IMethodSymbol declaring })
        {
            return false;
        }

        var omitted = false;
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter is { } parameter && CancellationTokens.IsToken(parameter.Type, types))
            {
                if (argument.ArgumentKind != ArgumentKind.DefaultValue)
                {
                    return false;
                }

                omitted = true;
            }
        }

        if (!omitted)
        {
            return false;
        }

        foreach (var parameter in declaring.Parameters)
        {
            if (CancellationTokens.IsToken(parameter.Type, types))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsExcludedMethod(IMethodSymbol method, KnownTypes types)
    {
        var type = method.ContainingType;
        if (type is null)
        {
            return true;
        }

        return method.Name switch
        {
            "WaitForNextTickAsync" => true, // CONC108
            "ContinueWith" => true, // a token cancels the continuation itself, so cleanup would never run
            "CreateLinkedTokenSource" or "Register" or "UnsafeRegister" => true,
            "Dispose" or "DisposeAsync" or "Close" or "CloseAsync" => true,
            "WaitAsync" when type.Is(types.Task) || type.Is(types.TaskOfT) => true, // CONC404 owns timeouts on tasks
            // The token of tcs.TrySetCanceled(token) / Task.FromCanceled(token) records which token ended the work: data, not
            // a way to stop the call, and the caller's token is usually not the one that fired.
            "SetCanceled" or "TrySetCanceled" when type.Is(types.TaskCompletionSource) || type.Is(types.TaskCompletionSourceOfT) => true,
            "FromCanceled" when type.Is(types.Task) || type.Is(types.ValueTask) => true,
            _ => CancellationTokens.IsToken(type, types) || CancellationTokens.IsTokenSource(type, types),
        };
    }

    /// <summary>Inside a catch or finally block (of the same function): compensation and cleanup must run to the end.</summary>
    internal static bool IsInCleanup(IOperation operation)
    {
        IOperation? previous = operation;
        for (var current = operation.Parent; current is not null; previous = current, current = current.Parent)
        {
            switch (current)
            {
                case ICatchClauseOperation:
                    return true;
                case ITryOperation tryOperation when ReferenceEquals(tryOperation.Finally, previous):
                    return true;
                case IAnonymousFunctionOperation or ILocalFunctionOperation:
                    return false;
            }
        }

        return false;
    }

    /// <summary>
    /// The call's result flows into <c>WithCancellation(...)</c> or <c>GetAsyncEnumerator(token)</c>; or it is
    /// <c>Task.Run</c>/<c>StartNew</c> whose delegate already hands the token to the work it starts: a lambda that
    /// passes a token on, or a method of the type that reads a token (or token source) field of its own
    /// (<c>_loop = Task.Run(NotificationLoop)</c>, whose loop waits with <c>_cancellationToken</c>). A delegate that only
    /// completes a <c>TaskCompletionSource</c> (<see cref="OffloadedCompletion"/>) must start whatever happens: a token
    /// cancelled before it runs would leave the source incomplete and its awaiter waiting for good.
    /// </summary>
    private static bool IsGivenTokenLater(IInvocationOperation invocation, KnownTypes types)
    {
        var parent = invocation.WalkUpConversions();
        if (invocation.TargetMethod.Name is "Run" or "StartNew")
        {
            foreach (var argument in invocation.Arguments)
            {
                if (OffloadedCompletion.IsCompletionOnly(argument.Value, types, tryOnly: false))
                {
                    return true; // Task.Run(() => tcs.TrySetResult(r)): a token could cancel the start and leave the source incomplete
                }

                switch (argument.Value.WalkDownConversions())
                {
                    case IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda } when PassesTokenInside(lambda, types):
                    case IDelegateCreationOperation { Target: IMethodReferenceOperation { Method: var work } } when ReadsTokenMember(work, types):
                    case IDelegateCreationOperation { Target: IAnonymousFunctionOperation forwarding } when ForwardedMethod(forwarding) is { } forwarded && ReadsTokenMember(forwarded, types):
                        return true;
                }
            }
        }

        return parent switch
        {
            IInvocationOperation { TargetMethod.Name: "WithCancellation" or "GetAsyncEnumerator", Arguments.Length: > 0 } => true,
            IArgumentOperation { Parent: IInvocationOperation { TargetMethod.Name: "WithCancellation" } } => true,
            _ => false,
        };
    }

    /// <summary>
    /// The call waits on a task that a call given a token made: <c>DoTakeAsync(ct, sync: true).WaitAndUnwrapException()</c>,
    /// <c>WaitAsync(ct).Wait()</c>. The token already reaches the work; when it is cancelled the task ends, and so does
    /// the wait (with or without <c>CancellationToken.None</c> for the wait itself).
    /// </summary>
    private static bool WaitsOnWorkGivenToken(IInvocationOperation invocation, KnownTypes types)
    {
        var receiver = invocation.Instance ??
                       (invocation.TargetMethod.IsExtensionMethod && invocation.Arguments.Length > 0 ? invocation.Arguments[0].Value : null);
        return receiver?.WalkDownConversions() is IInvocationOperation producer && producer.Type.IsTaskLike(types) &&
               CancellationOverloads.PassesAnyToken(producer, types);
    }

    /// <summary>
    /// <c>Task.WhenAll(Task.Delay(grace), ct.WhenCancelled())</c>: the delay is one element of a
    /// <c>Task.WhenAll</c>/<c>WhenAny</c> whose other elements use a token. How the token bears on the wait is decided
    /// there (with <c>WhenAll</c>, a minimum grace period that the token must not cut short), so the delay is no
    /// place for it.
    /// </summary>
    private static bool IsJoinedWithTokenWait(IInvocationOperation delay, KnownTypes types)
    {
        // Up to the first call: the delay is a direct element of the join (through its argument, a params array or
        // collection, and conversions), not an argument of some other call inside it.
        IOperation current = delay;
        for (var depth = 0; depth < 5 && current.Parent is { } parent; depth++, current = parent)
        {
            if (parent is IInvocationOperation or IObjectCreationOperation or IAwaitOperation or IAnonymousFunctionOperation ||
                parent.Parent is null)
            {
                return false;
            }

            if (parent is not IArgumentOperation { Parent: IInvocationOperation { TargetMethod.Name: "WhenAll" or "WhenAny" } join } ||
                !join.TargetMethod.ContainingType.Is(types.Task))
            {
                continue;
            }

            return UsesToken(join, delay.Syntax.Span, types, followLocals: true);
        }

        return false;
    }

    /// <summary>
    /// True when <paramref name="operation"/> reads a real token outside <paramref name="skip"/>; with
    /// <paramref name="followLocals"/>, also through a task local initialized from one
    /// (<c>var cancelled = ct.WhenCancelled(); Task.WhenAll(Task.Delay(t), cancelled)</c>).
    /// </summary>
    private static bool UsesToken(IOperation operation, TextSpan skip, KnownTypes types, bool followLocals)
    {
        foreach (var descendant in operation.EnumerateDescendants())
        {
            if (descendant.Syntax.Span.IntersectsWith(skip))
            {
                continue;
            }

            if (descendant is IParameterReferenceOperation or ILocalReferenceOperation or IFieldReferenceOperation or IPropertyReferenceOperation &&
                CancellationTokens.IsToken(descendant.Type, types) && !CancellationTokens.IsNoneOrDefault(descendant, types))
            {
                return true;
            }

            if (followLocals && descendant is ILocalReferenceOperation { Local: var local } && !CancellationTokens.IsToken(local.Type, types) &&
                descendant.GetEnclosingFunction() is { } root)
            {
                foreach (var candidate in root.EnumerateDescendants())
                {
                    if (candidate is IVariableDeclaratorOperation { Initializer.Value: { } initial } declarator &&
                        SymbolEqualityComparer.Default.Equals(declarator.Symbol, local) &&
                        UsesToken(initial, skip, types, followLocals: false))
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    /// <summary>
    /// The task the call returns is waited on with a token: <c>WaitAsync().WaitAsync(ct)</c>, or through a local,
    /// <c>var wait = WaitAsync(); if (wait.IsCompleted) return wait; return wait.WaitAsync(ct);</c>. The caller gives
    /// the token to its wait on purpose (an event that must be looked at even when the token is already cancelled); the
    /// caller's cancellation is honoured there. Asked only of calls about to be reported.
    /// </summary>
    private static bool IsWaitedWithTokenLater(IInvocationOperation invocation, KnownTypes types)
    {
        if (!invocation.Type.IsTaskLike(types))
        {
            return false;
        }

        var parent = invocation.WalkUpConversions();
        if (IsTokenWaitOn(parent, types))
        {
            return true;
        }

        ILocalSymbol? local = parent switch
        {
            IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } => declarator.Symbol,
            ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } => target.Local,
            _ => null,
        };
        if (local is null)
        {
            return false;
        }

        foreach (var operation in invocation.GetRoot().EnumerateDescendants())
        {
            if (operation is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, local) &&
                IsTokenWaitOn(reference.WalkUpConversions(), types))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The parent of a task expression is a call on it (instance or extension receiver) that gets a token.</summary>
    private static bool IsTokenWaitOn(IOperation? parent, KnownTypes types) => parent switch
    {
        IInvocationOperation { Instance: not null } wait => CancellationOverloads.PassesAnyToken(wait, types),
        IArgumentOperation { Parent: IInvocationOperation { TargetMethod.IsExtensionMethod: true } wait } argument =>
            ReferenceEquals(wait.Arguments[0], argument) && CancellationOverloads.PassesAnyToken(wait, types),
        _ => false,
    };

    /// <summary>
    /// <c>() =&gt; RenewLock()</c>: a lambda whose whole body calls a method of its own type (on <c>this</c>) with no
    /// arguments, the same work as the method group <c>RenewLock</c>.
    /// </summary>
    private static IMethodSymbol? ForwardedMethod(IAnonymousFunctionOperation lambda)
    {
        if (lambda.Symbol.Parameters.Length != 0 || lambda.Body.Operations.Length is 0 or > 2)
        {
            return null;
        }

        var call = lambda.Body.Operations[0] switch
        {
            IReturnOperation { ReturnedValue: { } value } => value.WalkDownConversions(),
            IExpressionStatementOperation { Operation: var value } => value.WalkDownConversions(),
            _ => null,
        };
        return call is IInvocationOperation { Arguments.Length: 0, Instance: null or IInstanceReferenceOperation } invocation &&
               (lambda.Body.Operations.Length == 1 || lambda.Body.Operations[1] is IReturnOperation { IsImplicit: true, ReturnedValue: null })
            ? invocation.TargetMethod
            : null;
    }

    /// <summary>
    /// The method's declaration names a token or token source field or property of its type (read from the syntax:
    /// the method is usually declared after the call, and this is asked only of a method group given to <c>Run</c>, or
    /// one a lambda given to it forwards to). Members of base types count when the type can read them.
    /// </summary>
    private static bool ReadsTokenMember(IMethodSymbol method, KnownTypes types)
    {
        if (method.ContainingType is not { } type || method.DeclaringSyntaxReferences.IsEmpty)
        {
            return false;
        }

        HashSet<string>? names = null;
        for (var owner = type; owner is not null && owner.SpecialType != SpecialType.System_Object; owner = owner.BaseType)
        {
            AddTokenMemberNames(owner, ReferenceEquals(owner, type), types, ref names);
        }

        if (names is null)
        {
            return false;
        }

        foreach (var reference in method.DeclaringSyntaxReferences)
        {
            foreach (var node in reference.GetSyntax().DescendantNodes())
            {
                if (node is IdentifierNameSyntax identifier && names.Contains(identifier.Identifier.ValueText))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// Adds the names of <paramref name="owner"/>'s token and token source fields and properties; of a base type only
    /// those a derived type can read (an agent's <c>Stopping</c> token declared by its base class).
    /// </summary>
    private static void AddTokenMemberNames(INamedTypeSymbol owner, bool declaring, KnownTypes types, ref HashSet<string>? names)
    {
        foreach (var member in owner.GetMembers())
        {
            if (!declaring && member.DeclaredAccessibility is Accessibility.Private or Accessibility.NotApplicable)
            {
                continue;
            }

            var memberType = member switch
            {
                IFieldSymbol field => field.Type,
                IPropertySymbol property => property.Type,
                _ => null,
            };
            if (memberType is not null && (CancellationTokens.IsToken(memberType, types) || CancellationTokens.IsTokenSource(memberType, types)))
            {
                (names ??= new HashSet<string>(System.StringComparer.Ordinal)).Add(member.Name);
            }
        }
    }

    /// <summary>
    /// <c>Task OnStart(CancellationToken ct) { _runTask = Task.Run(MonitorAsync); … }</c>, or <c>tasks.Add(Task.Run(…))</c>
    /// into a collection the start does not own: a start method or callback launches background work and keeps it for
    /// its stop to join. Its token is the start's (cancelled when starting is abandoned, as
    /// <c>IHostedService.StartAsync</c>'s); the work outlives the start, and a token given to <c>Task.Run</c> would
    /// only decide whether it is scheduled at all.
    /// </summary>
    private static bool IsBackgroundWorkKeptByStart(IInvocationOperation spawn, TokenInScope token)
    {
        if (token.Kind != TokenSourceKind.Parameter ||
            token.Symbol is not IParameterSymbol { ContainingSymbol: IMethodSymbol start } ||
            start.MethodKind is not (MethodKind.Ordinary or MethodKind.LocalFunction or MethodKind.ExplicitInterfaceImplementation) ||
            start.Name.IndexOf("Start", System.StringComparison.Ordinal) < 0)
        {
            return false;
        }

        // StartNew(...).Unwrap(): the unwrapped task is the one kept.
        var parent = spawn.WalkUpConversions();
        if ((parent as IInvocationOperation ?? (parent as IArgumentOperation)?.Parent as IInvocationOperation) is { TargetMethod.Name: "Unwrap" } unwrap)
        {
            spawn = unwrap;
        }

        if (IsKeptInMember(spawn))
        {
            return true;
        }

        // tasks.Add(Task.Run(...)): a field's collection, or a local the start captured from the method that declared it.
        return spawn.WalkUpConversions() is IArgumentOperation { Parent: IInvocationOperation { TargetMethod.Name: "Add", Instance: { } collection } } &&
               collection.WalkDownConversions() switch
               {
                   IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } => true,
                   IPropertyReferenceOperation { Instance: null or IInstanceReferenceOperation } => true,
                   ILocalReferenceOperation { Local: var local } => local.DeclaringSyntaxReferences.Length > 0 && start.DeclaringSyntaxReferences.Length > 0 &&
                                                                   !start.DeclaringSyntaxReferences[0].Span.Contains(local.DeclaringSyntaxReferences[0].Span),
                   _ => false,
               };
    }

    /// <summary>
    /// <c>_loading = LoadAsync(CancellationToken.None);</c> (also <c>??=</c>): the work is kept in a field or property and
    /// shared with later callers, so it must not stop when this caller's token fires (a caller's token there is the
    /// CONC307 bug); an explicit <c>None</c> says so.
    /// </summary>
    /// <summary>
    /// <c>Task.Delay(3000).ContinueWith(t =&gt; Restart())</c> with no <c>TaskContinuationOptions</c>: "run this later".
    /// The continuation runs however the delay ends, so a token would only make the work run early, not stop it.
    /// </summary>
    private static bool SchedulesContinuationForAnyOutcome(IInvocationOperation delay)
    {
        if (delay.Parent is not IInvocationOperation { TargetMethod.Name: "ContinueWith" } continuation ||
            !ReferenceEquals(continuation.Instance, delay))
        {
            return false;
        }

        foreach (var argument in continuation.Arguments)
        {
            if (argument.Parameter?.Type.Name == "TaskContinuationOptions")
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsKeptInMember(IInvocationOperation invocation)
    {
        return invocation.WalkUpConversions() switch
        {
            ISimpleAssignmentOperation assignment => ReferenceEquals(assignment.Value.WalkDownConversions(), invocation) && IsMember(assignment.Target),
            ICoalesceAssignmentOperation coalesce => ReferenceEquals(coalesce.Value.WalkDownConversions(), invocation) && IsMember(coalesce.Target),
            _ => false,
        };

        static bool IsMember(IOperation target)
            => target is IFieldReferenceOperation or IPropertyReferenceOperation { Property.IsIndexer: false };
    }

    /// <summary>
    /// The lambda hands its work a token explicitly: a variable, a member, or <c>CancellationToken.None</c> /
    /// <c>default</c> (a decision that is reported, or explained by a comment, at that argument: one diagnostic); or an
    /// object that carries one (a context with a token property, options, a source).
    /// </summary>
    private static bool PassesTokenInside(IAnonymousFunctionOperation lambda, KnownTypes types)
    {
        foreach (var operation in lambda.Body.EnumerateDescendants())
        {
            if (operation is IArgumentOperation { Value.Type.Name: "CancellationToken" } argument && argument.ArgumentKind == ArgumentKind.Explicit &&
                (argument.Value.WalkDownConversions() is IParameterReferenceOperation or ILocalReferenceOperation or IPropertyReferenceOperation { Property.IsStatic: false } or
                    IFieldReferenceOperation { Field.IsStatic: false } ||
                 CancellationTokens.IsNoneOrDefault(argument.Value, types)))
            {
                return true;
            }

            if (operation is IInvocationOperation call && CancellationOverloads.PassesAnyToken(call, types))
            {
                return true; // Task.Run(() => ProcessAsync(storage, context)): the context carries the token to the work
            }
        }

        return false;
    }

    private static bool HasParamsExpansion(IInvocationOperation invocation)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.ArgumentKind == ArgumentKind.ParamArray)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>1 when an extension method is called in reduced form (<c>x.Ext()</c>): its receiver is no source argument.</summary>
    internal static int ReceiverOffset(IInvocationOperation invocation)
        => invocation.TargetMethod.IsExtensionMethod && invocation.Arguments.Length > 0 &&
           invocation.Arguments[0].Syntax is not ArgumentSyntax ? 1 : 0;

    /// <summary>
    /// Positional insertion at <paramref name="index"/> (in source arguments) when every argument before it is
    /// written positionally and none after it is; otherwise a named argument.
    /// </summary>
    internal static (string Mode, int Index) PositionFor(IInvocationOperation invocation, InvocationExpressionSyntax syntax, int index)
    {
        var arguments = syntax.ArgumentList.Arguments;
        if (index < 0)
        {
            return (ModeNamed, -1);
        }

        foreach (var argument in arguments)
        {
            if (argument.NameColon is not null)
            {
                return (ModeNamed, -1);
            }
        }

        return index <= arguments.Count ? (ModeInsert, index) : (ModeNamed, -1);
    }

    private static Location NameLocation(InvocationExpressionSyntax syntax) => syntax.Expression switch
    {
        MemberAccessExpressionSyntax member => member.Name.GetLocation(),
        MemberBindingExpressionSyntax binding => binding.Name.GetLocation(),
        SimpleNameSyntax name => name.GetLocation(),
        _ => syntax.GetLocation(),
    };

    /// <summary>
    /// A comment on the statement, or on the first of an unbroken run of statements right above it that also pass
    /// <c>CancellationToken.None</c> or <c>default</c> (one comment explaining a sequence of shutdown calls), or a
    /// comment about cancellation on the statement right above that run (<c>// the events may be cancelled, but once
    /// they are written the snapshot must be too</c> over <c>await WriteEventsAsync(e, ct); await WriteSnapshotAsync(s,
    /// default);</c>).
    /// </summary>
    internal static bool HasComment(SyntaxNode node)
    {
        var statement = node.FirstAncestorOrSelf<StatementSyntax>();
        if (statement is null)
        {
            return false;
        }

        if (HasAnyComment(statement))
        {
            return true;
        }

        var previous = PreviousStatement(statement);
        for (; previous is not null && PassesNone(previous); previous = PreviousStatement(previous))
        {
            if (HasAnyComment(previous))
            {
                return true;
            }
        }

        return previous is not null && HasCancellationWords(previous.GetFirstToken().LeadingTrivia);
    }

    private static StatementSyntax? PreviousStatement(StatementSyntax statement)
    {
        if (statement.Parent is not BlockSyntax block)
        {
            return null;
        }

        var index = block.Statements.IndexOf(statement);
        return index > 0 ? block.Statements[index - 1] : null;
    }

    private static bool PassesNone(StatementSyntax statement)
    {
        foreach (var node in statement.DescendantNodes())
        {
            if (node is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "None", Expression: IdentifierNameSyntax { Identifier.ValueText: "CancellationToken" } or MemberAccessExpressionSyntax { Name.Identifier.ValueText: "CancellationToken" } } ||
                node is ArgumentSyntax { Expression: LiteralExpressionSyntax { RawKind: (int)Microsoft.CodeAnalysis.CSharp.SyntaxKind.DefaultLiteralExpression } or DefaultExpressionSyntax { Type: IdentifierNameSyntax { Identifier.ValueText: "CancellationToken" } } })
            {
                return true;
            }
        }

        return false;
    }

    private static bool HasAnyComment(StatementSyntax statement)
    {
        foreach (var trivia in statement.DescendantTrivia(descendIntoTrivia: false))
        {
            if ((trivia.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.SingleLineCommentTrivia) ||
                 trivia.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.MultiLineCommentTrivia)) &&
                !FlagsAProblem(trivia.ToString()))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// A comment that talks about cancellation or tokens, in the lines right above the call's statement, inside the
    /// call, or after its semicolon.
    /// </summary>
    private static bool HasCancellationComment(SyntaxNode node)
    {
        var statement = node.FirstAncestorOrSelf<StatementSyntax>();
        if (statement is null)
        {
            return false;
        }

        var next = node.GetLastToken().GetNextToken();
        return HasCancellationWords(statement.GetFirstToken().LeadingTrivia) ||
               HasCancellationWords(node.DescendantTrivia(descendIntoTrivia: false)) ||
               (next.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.SemicolonToken) && HasCancellationWords(next.TrailingTrivia));
    }

    private static bool HasCancellationWords(System.Collections.Generic.IEnumerable<SyntaxTrivia> all)
    {
        foreach (var trivia in all)
        {
            if ((trivia.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.SingleLineCommentTrivia) ||
                 trivia.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.MultiLineCommentTrivia)) &&
                (trivia.ToString().IndexOf("cancel", System.StringComparison.OrdinalIgnoreCase) >= 0 ||
                 trivia.ToString().IndexOf("token", System.StringComparison.OrdinalIgnoreCase) >= 0) &&
                !FlagsAProblem(trivia.ToString()))
            {
                return true;
            }
        }

        return false;
    }

    private static readonly ImmutableArray<string> ProblemMarkers = ImmutableArray.Create("TODO", "FIXME", "BUG", "HACK", "XXX");

    /// <summary>
    /// A comment that flags the call as a problem (<c>// TODO: pass the token</c>, <c>// BUG: ...</c>) is no decision
    /// to leave the token out. The markers count as whole words only ("debug" is not "bug").
    /// </summary>
    private static bool FlagsAProblem(string comment)
    {
        foreach (var marker in ProblemMarkers)
        {
            for (var at = comment.IndexOf(marker, System.StringComparison.OrdinalIgnoreCase); at >= 0;
                 at = comment.IndexOf(marker, at + 1, System.StringComparison.OrdinalIgnoreCase))
            {
                var end = at + marker.Length;
                if ((at == 0 || !char.IsLetterOrDigit(comment[at - 1])) && (end == comment.Length || !char.IsLetterOrDigit(comment[end])))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static ImmutableDictionary<string, string?> Properties(TokenInScope token, string mode, int index, string? parameterName)
        => ImmutableDictionary<string, string?>.Empty
            .Add(TokenProperty, token.ExpressionText)
            .Add(ModeProperty, mode)
            .Add(IndexProperty, index.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Add(ParameterNameProperty, parameterName);
}
