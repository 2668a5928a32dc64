using System.Collections.Immutable;
using System.Linq;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Lifetime;

/// <summary>
/// CONC102: a Task/ValueTask-returning call whose result is dropped where CS4014 does not already warn (non-async
/// methods, lambdas, constructors, accessors), and a task returned from a non-async function while a <c>using</c>
/// resource it depends on is disposed as the function returns.
/// </summary>
public sealed class TaskNotObservedAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property naming the shape, for the fixer.</summary>
    public const string KindProperty = "Kind";
    public const string KindDropped = "Dropped";
    public const string KindOutlivesUsing = "OutlivesUsing";

    internal static readonly RuleOption FireAndForgetMethods = new(RuleIds.TaskNotObserved, "fire_and_forget_methods");

    private const string Title = "Task is neither awaited nor observed";
    private const string Description =
        "A task that nobody awaits, stores or hands on fails silently: its exception is never seen, and the caller " +
        "carries on as if the work had finished. The compiler warns (CS4014) only inside async methods; this rule " +
        "covers the rest. Await the task, return it, store it with an owner, or discard it explicitly with '_ ='.";

    internal static readonly DiagnosticDescriptor DroppedRule = RuleDescriptors.Create(
        RuleIds.TaskNotObserved,
        Title,
        "The task returned by '{0}' is dropped: nobody awaits it or sees its exceptions",
        DiagnosticSeverity.Warning,
        Description);

    internal static readonly DiagnosticDescriptor OutlivesUsingRule = RuleDescriptors.Create(
        RuleIds.TaskNotObserved,
        Title,
        "The task returned by '{0}' still uses '{1}', which is disposed as soon as this method returns; await it inside the using",
        DiagnosticSeverity.Warning,
        Description);

    private static readonly ImmutableHashSet<string> DefaultFireAndForgetMethods =
        ImmutableHashSet.Create("Forget", "FireAndForget", "SafeFireAndForget", "NoAwait");

    /// <summary>NSubstitute-style verification receivers: <c>sub.Received().SendAsync(x);</c> only records a check.</summary>
    private static readonly ImmutableHashSet<string> VerificationReceivers =
        ImmutableHashSet.Create("Received", "DidNotReceive", "ReceivedWithAnyArgs", "DidNotReceiveWithAnyArgs", "Verify");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DroppedRule, OutlivesUsingRule);

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

            start.RegisterOperationAction(c => AnalyzeInvocation(c, types), OperationKind.Invocation);
        });
    }

    private static void AnalyzeInvocation(OperationAnalysisContext context, KnownTypes types)
    {
        // Where the call's value goes first, before the method is touched at all: most calls are awaited, assigned or
        // passed on, and are left without reading the method's return type (then its base types). Void calls are
        // statements too, so ReturnsVoid comes second.
        var invocation = (IInvocationOperation)context.Operation;
        var user = invocation.WalkUpConversions();
        if (user is null || user.Kind is not (OperationKind.ExpressionStatement or OperationKind.ConditionalAccess or OperationKind.Return))
        {
            return;
        }

        var method = invocation.TargetMethod;
        if (method.ReturnsVoid)
        {
            return;
        }

        // A call dropped as a statement or returned is reported only outside async functions (see AnalyzeDropped and
        // AnalyzeReturnedFromUsing): most such calls are in async methods, and are left before the return type's base
        // types are walked. A conditional access is reported in async functions too.
        var function = EnclosingFunction(invocation, context.ContainingSymbol);
        if (function is null || (function.IsAsync && user.Kind != OperationKind.ConditionalAccess) || !method.ReturnType.IsTaskLike(types))
        {
            return;
        }

        switch (user)
        {
            case IExpressionStatementOperation:
                AnalyzeDropped(context, invocation, types, function, conditional: false);
                break;
            case IConditionalAccessOperation access when DroppedConditionalAccess(invocation, access):
                AnalyzeDropped(context, invocation, types, function, conditional: true);
                break;
            case IReturnOperation { Kind: OperationKind.Return } returned:
                AnalyzeReturnedFromUsing(context, invocation, returned);
                break;
        }
    }

    /// <summary>
    /// <c>_client?.SendAsync(x);</c>: the call is what a conditional access (or a chain of them) yields, and that
    /// value is dropped as a statement.
    /// </summary>
    private static bool DroppedConditionalAccess(IInvocationOperation invocation, IConditionalAccessOperation access)
    {
        IOperation current = invocation;
        IOperation? user = access;
        while (user is IConditionalAccessOperation conditional)
        {
            if (!ReferenceEquals(conditional.WhenNotNull.WalkDownConversions(), current))
            {
                // The call is the receiver being tested (`GetAsync()?.ContinueWith(...)`), not the dropped value.
                return false;
            }

            current = conditional;
            user = conditional.WalkUpConversions();
        }

        return user is IExpressionStatementOperation;
    }

    private static void AnalyzeDropped(OperationAnalysisContext context, IInvocationOperation invocation, KnownTypes types, IMethodSymbol function, bool conditional)
    {
        if (function.IsAsync && !conditional)
        {
            // CS4014 reports dropped awaitables inside async methods and lambdas: one warning per bug. It says
            // nothing about a conditional access (`_client?.SendAsync(x);`), so those are reported everywhere.
            return;
        }

        var method = invocation.TargetMethod;
        if (IsAlreadyCompleted(method, types) || ReturnsReplacedValue(method, types) || IsPipeToRecipient(method, types) || IsFireAndForget(context, invocation) || IsVerification(invocation) ||
            IsFaultObserver(invocation, types) || IsDelayedCallbackThatCannotFault(invocation, types) || IsSpawnThatCannotFault(invocation, types, context.CancellationToken) || IsPassThroughHelper(invocation, types) || HasFireAndForgetFlag(invocation) ||
            IsUnderDroppedTaskPragma(invocation, context.CancellationToken) || IsWinnerOfBlockingWhenAny(invocation, types) || ReturnsOnlyCompletedTasks(invocation, context.CancellationToken))
        {
            return;
        }

        context.ReportDiagnostic(Diagnostic.Create(
            DroppedRule,
            invocation.Syntax.GetLocation(),
            ImmutableDictionary<string, string?>.Empty.Add(KindProperty, KindDropped),
            DisplayName(invocation)));
    }

    /// <summary>
    /// The call sits where <c>#pragma warning disable CS4014</c> (or <c>4014</c>) is in force: the author switched off
    /// the compiler's own dropped-task warning around it, which says the drop is meant, as <c>_ =</c> does. Asked only
    /// when about to report; the directives are walked in order up to the call, so a <c>restore</c> ends the region.
    /// </summary>
    private static bool IsUnderDroppedTaskPragma(IInvocationOperation invocation, System.Threading.CancellationToken cancellationToken)
    {
        var root = invocation.Syntax.SyntaxTree.GetRoot(cancellationToken);
        if (!root.ContainsDirectives)
        {
            return false;
        }

        var position = invocation.Syntax.SpanStart;
        var disabled = false;
        for (var directive = root.GetFirstDirective(); directive is not null && directive.SpanStart < position; directive = directive.GetNextDirective())
        {
            if (directive is PragmaWarningDirectiveTriviaSyntax { IsActive: true } pragma && NamesDroppedTaskWarning(pragma))
            {
                disabled = pragma.DisableOrRestoreKeyword.IsKind(SyntaxKind.DisableKeyword);
            }
        }

        return disabled;

        static bool NamesDroppedTaskWarning(PragmaWarningDirectiveTriviaSyntax pragma)
        {
            foreach (var code in pragma.ErrorCodes)
            {
                switch (code)
                {
                    case IdentifierNameSyntax { Identifier.ValueText: "CS4014" }:
                    case LiteralExpressionSyntax { Token.Value: 4014 }:
                        return true;
                }
            }

            return false;
        }
    }

    /// <summary><c>using (var c = ...) { return c.SendAsync(); }</c> in a non-async function: the task outlives <c>c</c>.</summary>
    private static void AnalyzeReturnedFromUsing(OperationAnalysisContext context, IInvocationOperation invocation, IReturnOperation returned)
    {
        // The enclosing function is not async (AnalyzeInvocation tested it).
        foreach (var resource in UsingResourcesAround(returned))
        {
            if (UsesLocal(invocation, resource))
            {
                context.ReportDiagnostic(Diagnostic.Create(
                    OutlivesUsingRule,
                    invocation.Syntax.GetLocation(),
                    ImmutableDictionary<string, string?>.Empty.Add(KindProperty, KindOutlivesUsing),
                    DisplayName(invocation),
                    resource.Name));
                return;
            }
        }
    }

    /// <summary>The innermost method, local function or lambda symbol that contains the operation.</summary>
    internal static IMethodSymbol? EnclosingFunction(IOperation operation, ISymbol containingSymbol)
    {
        // By kind: one virtual read per ancestor, where two interface type tests walk each operation class's interfaces.
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            switch (current.Kind)
            {
                case OperationKind.AnonymousFunction:
                    return ((IAnonymousFunctionOperation)current).Symbol;
                case OperationKind.LocalFunction:
                    return ((ILocalFunctionOperation)current).Symbol;
            }
        }

        return containingSymbol as IMethodSymbol;
    }

    private static bool IsAlreadyCompleted(IMethodSymbol method, KnownTypes types)
        => (method.ContainingType.Is(types.Task) || method.ContainingType.Is(types.ValueTask)) &&
           method.Name is "FromResult" or "FromException" or "FromCanceled" or "CompletedTask";

    /// <summary>
    /// <c>ChangePassword(user, password);</c> where <c>ChangePassword</c> is a non-async method of this compilation that
    /// implements an interface member, is not named <c>…Async</c>, cannot be overridden, and whose every <c>return</c>
    /// hands back <c>Task.CompletedTask</c> or <c>Task.FromResult(…)</c> (or the <c>ValueTask</c> equivalents): a
    /// synchronous implementation of a signature the interface made task-shaped; or such a method of the base class
    /// called with <c>base.</c>, which runs that body whatever overrides it. A stand-in such as
    /// <c>Task SaveAsync() =&gt; Task.CompletedTask;</c> stays reported: its name promises asynchronous work. Its task is complete and successful before the call returns (a throw reaches the caller
    /// synchronously), so dropping it loses nothing. Asked only when about to report; reads the callee's syntax only.
    /// </summary>
    private static bool ReturnsOnlyCompletedTasks(IInvocationOperation invocation, System.Threading.CancellationToken cancellationToken)
    {
        var method = invocation.TargetMethod.PartialImplementationPart ?? invocation.TargetMethod;
        // `base.AfterRefresh(item);` in the override: the call runs exactly the base's body, whose task-shaped
        // signature the virtual contract forces.
        var baseCall = invocation.Instance?.Syntax is BaseExpressionSyntax;
        if (method.IsAsync || method.IsAbstract || method.IsExtern || method.Name.EndsWith("Async", System.StringComparison.Ordinal) ||
            (!baseCall && !ImplementsInterfaceMember(method)) ||
            (!baseCall && (method.IsVirtual || method.IsOverride) && !method.IsSealed && !method.ContainingType.IsSealed) ||
            method.DeclaringSyntaxReferences.Length != 1 ||
            method.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not MethodDeclarationSyntax declaration)
        {
            return false;
        }

        if (declaration.ExpressionBody is { } arrow)
        {
            return IsCompletedTaskExpression(arrow.Expression);
        }

        if (declaration.Body is not { } body)
        {
            return false;
        }

        var sawReturn = false;
        foreach (var node in body.DescendantNodes(static n => n is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)))
        {
            if (node is ReturnStatementSyntax returned)
            {
                if (returned.Expression is null || !IsCompletedTaskExpression(returned.Expression))
                {
                    return false;
                }

                sawReturn = true;
            }
        }

        return sawReturn;

        static bool ImplementsInterfaceMember(IMethodSymbol method)
        {
            if (method.ExplicitInterfaceImplementations.Length > 0)
            {
                return true;
            }

            foreach (var contract in method.ContainingType.AllInterfaces)
            {
                foreach (var member in contract.GetMembers(method.Name))
                {
                    if (SymbolEqualityComparer.Default.Equals(method.ContainingType.FindImplementationForInterfaceMember(member), method))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        static bool IsCompletedTaskExpression(ExpressionSyntax expression)
        {
            while (expression is ParenthesizedExpressionSyntax parenthesized)
            {
                expression = parenthesized.Expression;
            }

            if (expression is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax called })
            {
                return called.Name.Identifier.ValueText == "FromResult" && NamesTaskType(called.Expression);
            }

            return expression is MemberAccessExpressionSyntax member &&
                   member.Name.Identifier.ValueText == "CompletedTask" && NamesTaskType(member.Expression);
        }

        static bool NamesTaskType(ExpressionSyntax type)
        {
            var name = type switch
            {
                IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
                MemberAccessExpressionSyntax qualified => qualified.Name.Identifier.ValueText,
                QualifiedNameSyntax qualified => qualified.Right.Identifier.ValueText,
                _ => null,
            };
            return name is "Task" or "ValueTask";
        }
    }

    /// <summary>
    /// <c>Task.WhenAny(_runner, Task.Delay(1000)).GetAwaiter().GetResult();</c> (or an application's own blocking
    /// <c>T Await&lt;T&gt;(this Task&lt;T&gt;)</c> helper): the task a blocking wait on <c>WhenAny</c> hands back is the
    /// winner, already complete and one of the tasks given, which the caller still holds; dropping it is the statement
    /// form of <c>await Task.WhenAny(...)</c>, which CONC104 judges. Only a call whose declared result is the task's own
    /// type argument, on <c>WhenAny</c> itself (through <c>ConfigureAwait</c>/<c>GetAwaiter</c>); an unwrapped inner
    /// task of <c>StartNew</c> is new work and still reported.
    /// </summary>
    private static bool IsWinnerOfBlockingWhenAny(IInvocationOperation invocation, KnownTypes types)
    {
        var method = invocation.TargetMethod.ReducedFrom ?? invocation.TargetMethod;
        if (method.OriginalDefinition.ReturnType is not ITypeParameterSymbol)
        {
            return false;
        }

        var receiver = (invocation.Instance ?? (invocation.Arguments.Length > 0 ? invocation.Arguments[0].Value : null))?.WalkDownConversions();
        for (var depth = 0; depth < 3 && receiver is IInvocationOperation { TargetMethod.Name: "GetAwaiter" or "ConfigureAwait", Instance: { } inner }; depth++)
        {
            receiver = inner.WalkDownConversions();
        }

        return receiver is IInvocationOperation { TargetMethod.Name: "WhenAny" } whenAny && whenAny.TargetMethod.ContainingType.Is(types.Task);
    }

    /// <summary>
    /// <c>Interlocked.CompareExchange(ref _pending, null, seen);</c> on a task-typed field: the call swaps a reference
    /// and returns the one it replaced; it starts nothing, so dropping that value drops no work.
    /// </summary>
    private static bool ReturnsReplacedValue(IMethodSymbol method, KnownTypes types)
        => method.Name is "CompareExchange" or "Exchange" && method.ContainingType.Is(types.Interlocked);

    /// <summary>
    /// <c>LoadAsync().PipeTo(Self);</c>: the actor-model idiom (Akka.NET's <c>PipeToSupport.PipeTo</c>) hands the
    /// task's outcome to a recipient as a message, a failure included (<c>Status.Failure</c>); the recipient is the
    /// observer, and the task the extension returns is a detached one. Only an extension on a task-like receiver that
    /// also takes the recipient.
    /// </summary>
    private static bool IsPipeToRecipient(IMethodSymbol method, KnownTypes types)
    {
        if (method.Name != "PipeTo" || !method.IsExtensionMethod)
        {
            return false;
        }

        var definition = method.ReducedFrom ?? method;
        if (definition.Parameters.Length < 2 || definition.Parameters[1].Type is not { IsReferenceType: true })
        {
            return false;
        }

        var piped = definition.Parameters[0].Type.OriginalDefinition;
        return piped.Is(types.Task) || piped.Is(types.TaskOfT) || piped.Is(types.ValueTask) || piped.Is(types.ValueTaskOfT);
    }

    private static bool IsFireAndForget(OperationAnalysisContext context, IInvocationOperation invocation)
    {
        var name = invocation.TargetMethod.Name;
        if (DefaultFireAndForgetMethods.Contains(name))
        {
            return true;
        }

        var configured = FireAndForgetMethods.GetList(context.Options, invocation.Syntax.SyntaxTree);
        return configured.Contains(name) ||
               configured.Contains(invocation.TargetMethod.ContainingType.Name + "." + name);
    }

    private static bool IsVerification(IInvocationOperation invocation)
    {
        for (var receiver = invocation.Instance?.WalkDownConversions(); receiver is IInvocationOperation call; receiver = call.Instance?.WalkDownConversions())
        {
            if (VerificationReceivers.Contains(call.TargetMethod.Name))
            {
                return true;
            }

            if (call.Instance is null && call.Arguments.Length > 0)
            {
                // Extension-method receivers (`sub.Received()` is an extension in NSubstitute).
                receiver = call.Arguments[0].Value.WalkDownConversions();
                if (receiver is IInvocationOperation inner && VerificationReceivers.Contains(inner.TargetMethod.Name))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// <c>task.ObserveErrors();</c>: a helper of this compilation that takes a task and hands the same kind of task back
    /// (for chaining) has observed its argument; dropping the pass-through result loses nothing. A helper from a
    /// referenced assembly (the application's own common library, built before it) is taken at its word only when its
    /// name says it handles faults (<c>task.LogExceptions();</c>): a combinator such as <c>WithTimeout</c> returns a new
    /// task whose drop is the bug.
    /// </summary>
    private static bool IsPassThroughHelper(IInvocationOperation invocation, KnownTypes types)
    {
        var method = invocation.TargetMethod.ReducedFrom ?? invocation.TargetMethod;
        if (!method.IsExtensionMethod || method.Parameters.Length == 0 ||
            !method.Parameters[0].Type.IsTaskLike(types) ||
            !SymbolEqualityComparer.Default.Equals(method.Parameters[0].Type.OriginalDefinition, method.ReturnType.OriginalDefinition))
        {
            return false;
        }

        return method.Locations.Any(l => l.IsInSource) || NamesFaultHandling(method.Name);
    }

    private static bool NamesFaultHandling(string name)
        => name.IndexOf("Exception", System.StringComparison.Ordinal) >= 0 ||
           name.IndexOf("Error", System.StringComparison.Ordinal) >= 0 ||
           name.IndexOf("Fault", System.StringComparison.Ordinal) >= 0;

    /// <summary><c>db.KeyDeleteAsync(key, CommandFlags.FireAndForget)</c>: the API is told not to report back.</summary>
    private static bool HasFireAndForgetFlag(IInvocationOperation invocation)
    {
        foreach (var argument in invocation.Arguments)
        {
            foreach (var operation in argument.Value.EnumerateDescendantsAndSelf())
            {
                if (operation is IFieldReferenceOperation { Field.Name: var name } &&
                    name.IndexOf("FireAndForget", System.StringComparison.OrdinalIgnoreCase) >= 0)
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// <c>task.ContinueWith(t =&gt; Log(t.Exception), OnlyOnFaulted)</c>: the continuation is the observer of a fault;
    /// dropping its own task is the idiom.
    /// </summary>
    private static bool IsFaultObserver(IInvocationOperation invocation, KnownTypes types)
    {
        if (invocation.TargetMethod.Name != "ContinueWith")
        {
            return false;
        }

        foreach (var argument in invocation.Arguments)
        {
            var value = argument.Value.WalkDownConversions();
            if (value is IFieldReferenceOperation { Field.Name: "OnlyOnFaulted" or "NotOnRanToCompletion" })
            {
                return true;
            }

            if (value is IBinaryOperation && value.Syntax.ToString().Contains("OnlyOnFaulted"))
            {
                return true;
            }

            if (OffloadedCompletion.IsCompletionOnly(value, types, tryOnly: true) && CompletesWithPlainValues(value))
            {
                // cancelled.ContinueWith(_ => source.TrySetCanceled(), OnlyOnCanceled): a Try completion cannot throw,
                // so the continuation cannot fault; what it hands on reaches whoever awaits the source.
                return true;
            }

            if (value is IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda } &&
                lambda.Symbol.Parameters.Length > 0 && lambda.Symbol.Parameters[0].Type.InheritsFromOrEquals(types.Task))
            {
                // The continuation looks at the antecedent (its exception, its result, or hands it on): it observes it.
                var antecedent = lambda.Symbol.Parameters[0];
                foreach (var descendant in lambda.Body.EnumerateDescendants())
                {
                    if (descendant is IParameterReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Parameter, antecedent))
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    /// <summary>
    /// The completion call of a completion-only lambda (<see cref="OffloadedCompletion.IsCompletionOnly"/>) takes only
    /// locals, parameters other than the antecedent, fields or constants: <c>t =&gt; tcs.TrySetResult(t.Result)</c> throws
    /// on a faulted antecedent before the completion runs (and reading <c>t</c> is the fault observer's case anyway).
    /// </summary>
    private static bool CompletesWithPlainValues(IOperation argument)
    {
        if (argument.WalkDownConversions() is not IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda })
        {
            return false;
        }

        foreach (var descendant in lambda.Body.EnumerateDescendants())
        {
            if (descendant is IArgumentOperation completionArgument &&
                completionArgument.Value.WalkDownConversions() is not (ILocalReferenceOperation or IFieldReferenceOperation or ILiteralOperation or
                    IParameterReferenceOperation { Parameter.ContainingSymbol: not IMethodSymbol { MethodKind: MethodKind.AnonymousFunction } }))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// <c>Task.Delay(t, token).ContinueWith(_ =&gt; { try { ... } catch { } })</c>, the delay possibly in a local: the
    /// "run this later" idiom. The antecedent can only be cancelled (which raises no unobserved exception) and the
    /// continuation catches everything, so neither task can fault unobserved.
    /// </summary>
    private static bool IsDelayedCallbackThatCannotFault(IInvocationOperation invocation, KnownTypes types)
    {
        if (invocation.TargetMethod.Name != "ContinueWith")
        {
            return false;
        }

        var antecedent = invocation.Instance?.WalkDownConversions();
        if (antecedent is ILocalReferenceOperation { Local: { } local } && invocation.SemanticModel is { } model)
        {
            antecedent = null;
            foreach (var reference in local.DeclaringSyntaxReferences)
            {
                if (reference.SyntaxTree == model.SyntaxTree &&
                    model.GetOperation(reference.GetSyntax()) is IVariableDeclaratorOperation { Initializer.Value: { } value })
                {
                    antecedent = value.WalkDownConversions();
                }
            }
        }

        if (antecedent is not IInvocationOperation { TargetMethod: { Name: "Delay", IsStatic: true } delay } || !delay.ContainingType.Is(types.Task))
        {
            return false;
        }

        foreach (var argument in invocation.Arguments)
        {
            if (argument.Value.WalkDownConversions() is IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda })
            {
                return ExceptionEscape.CatchesEverything(lambda.Body, types);
            }
        }

        return false;
    }

    /// <summary>
    /// <c>Task.Factory.StartNew(continuation, state, CancellationToken.None, TaskCreationOptions.DenyChildAttach, scheduler)</c>
    /// where <c>continuation</c> is an <c>Action&lt;object?&gt;</c> handed in (a parameter or field, not a lambda made
    /// here): an awaitable's <c>OnCompleted</c> posting the awaiting code's continuation to the captured scheduler, as
    /// <c>SynchronizationContext.Post</c> does for a context (DotNext's value-task sources). The continuation is the
    /// resumption of an <c>await</c>, which keeps its own exceptions; the task has nothing to observe.
    /// </summary>
    private static bool IsContinuationScheduledOnScheduler(IInvocationOperation spawn, KnownTypes types)
    {
        var method = spawn.TargetMethod;
        if (method.Name != "StartNew" || !method.ContainingType.Is(types.TaskFactory) || method.Parameters.Length != 5 ||
            spawn.Arguments.Length != 5 || method.Parameters[4].Type.Name != "TaskScheduler")
        {
            return false;
        }

        foreach (var argument in spawn.Arguments)
        {
            if (argument.Parameter is { Ordinal: 0 })
            {
                return argument.Value.WalkDownConversions() is IParameterReferenceOperation or IFieldReferenceOperation &&
                       argument.Value.Type is INamedTypeSymbol { Name: "Action", TypeArguments.Length: 1 } action &&
                       action.TypeArguments[0].SpecialType == SpecialType.System_Object;
            }
        }

        return false;
    }

    /// <summary>
    /// <c>Task.Run(PumpAsync);</c> with <c>async Task PumpAsync() { try { ... } catch (Exception e) { writer.Complete(e); } }</c>
    /// (also <c>Task.Factory.StartNew(...)</c> and its <c>.Unwrap()</c>): the spawned delegate is the task's only source
    /// of faults, and one that is <c>async</c> (or <c>void</c>) and catches everything (<see cref="ExceptionEscape.CatchesEverything"/>)
    /// cannot fault. The delegate is a lambda, or a local function or method declared in the same file, or a lambda that
    /// only calls such a method with plain values (<c>Task.Run(() =&gt; StopEndpoint(state))</c>). A non-async
    /// delegate that returns a task is not covered: the task it returns can fault outside its <c>try</c>. Nor can a
    /// lambda that only calls <c>TrySetResult</c>/<c>TrySetException</c>/<c>TrySetCanceled</c> on a completion source
    /// (<see cref="OffloadedCompletion"/>): the completion is moved off the current thread, and a <c>Try</c> call does not throw.
    /// </summary>
    private static bool IsSpawnThatCannotFault(IInvocationOperation invocation, KnownTypes types, System.Threading.CancellationToken cancellationToken)
    {
        var spawn = invocation;
        if (spawn.TargetMethod.Name == "Unwrap" && spawn.Instance is null && spawn.Arguments.Length == 1 &&
            spawn.Arguments[0].Value.WalkDownConversions() is IInvocationOperation unwrapped)
        {
            spawn = unwrapped;
        }

        var method = spawn.TargetMethod;
        if (IsContinuationScheduledOnScheduler(spawn, types))
        {
            return true;
        }

        if (!(method.Name == "Run" && method.ContainingType.Is(types.Task)) &&
            !(method.Name == "StartNew" && (method.ContainingType.Is(types.TaskFactory) || method.ContainingType.Is(types.TaskFactoryOfT))) ||
            spawn.Arguments.Length == 0 ||
            spawn.Arguments[0].Value.WalkDownConversions() is not IDelegateCreationOperation { Target: var target })
        {
            return false;
        }

        if (OffloadedCompletion.IsCompletionOnly(spawn.Arguments[0].Value, types, tryOnly: true))
        {
            return true; // Task.Run(() => tcs.TrySetResult(r)): completes off this thread; a Try call cannot throw
        }

        switch (target)
        {
            case IAnonymousFunctionOperation lambda:
                if ((lambda.Symbol.IsAsync || lambda.Symbol.ReturnsVoid) && ExceptionEscape.CatchesEverything(lambda.Body, types))
                {
                    return true;
                }

                // Task.Run(() => StopEndpoint(state)): the lambda only hands plain values to one method, the same work
                // as the method group.
                return ForwardedCall(lambda) is { } forwarded && MethodCannotFault(forwarded, spawn.SemanticModel, types, cancellationToken);
            case IMethodReferenceOperation { Method: { } referenced }:
                return MethodCannotFault(referenced, spawn.SemanticModel, types, cancellationToken);
            default:
                return false;
        }
    }

    /// <summary>
    /// The lambda's whole body is one call, on <c>this</c> or static, whose arguments are locals, parameters, fields,
    /// <c>this</c> or constants (nothing that can throw before the call starts).
    /// </summary>
    private static IMethodSymbol? ForwardedCall(IAnonymousFunctionOperation lambda)
    {
        var operations = lambda.Body.Operations;
        if (operations.Length is 0 or > 2 ||
            operations.Length == 2 && operations[1] is not IReturnOperation { IsImplicit: true, ReturnedValue: null })
        {
            return null;
        }

        var value = operations[0] switch
        {
            IReturnOperation { ReturnedValue: { } returned } => returned.WalkDownConversions(),
            IExpressionStatementOperation { Operation: var statement } => statement.WalkDownConversions(),
            _ => null,
        };
        if (value is not IInvocationOperation { Instance: null or IInstanceReferenceOperation } call)
        {
            return null;
        }

        foreach (var argument in call.Arguments)
        {
            if (argument.ArgumentKind != ArgumentKind.Explicit ||
                argument.Value.WalkDownConversions() is not (ILocalReferenceOperation or IParameterReferenceOperation or IInstanceReferenceOperation or
                    IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } or ILiteralOperation))
            {
                return null;
            }
        }

        return call.TargetMethod;
    }

    /// <summary>
    /// An <c>async</c> (or <c>void</c>) method or local function declared in the same file whose body catches
    /// everything (<see cref="ExceptionEscape.CatchesEverything"/>).
    /// </summary>
    private static bool MethodCannotFault(IMethodSymbol method, SemanticModel? model, KnownTypes types, System.Threading.CancellationToken cancellationToken)
    {
        if (!(method.IsAsync || method.ReturnsVoid) || model is null)
        {
            return false;
        }

        foreach (var reference in method.OriginalDefinition.DeclaringSyntaxReferences)
        {
            if (reference.SyntaxTree != model.SyntaxTree)
            {
                continue;
            }

            var body = model.GetOperation(reference.GetSyntax(cancellationToken), cancellationToken) switch
            {
                ILocalFunctionOperation local => local.Body,
                IMethodBodyOperation member => member.BlockBody,
                _ => null,
            };
            return body is not null && ExceptionEscape.CatchesEverything(body, types);
        }

        return false;
    }

    private static System.Collections.Generic.IEnumerable<ILocalSymbol> UsingResourcesAround(IOperation operation)
    {
        IOperation? previous = operation;
        for (var current = operation.Parent; current is not null; previous = current, current = current.Parent)
        {
            switch (current)
            {
                case IAnonymousFunctionOperation or ILocalFunctionOperation:
                    yield break;
                case IUsingOperation { IsAsynchronous: false } usingOperation when ReferenceEquals(previous, usingOperation.Body):
                    foreach (var local in usingOperation.Locals)
                    {
                        yield return local;
                    }

                    break;
                case IBlockOperation block:
                    foreach (var child in block.Operations)
                    {
                        if (child.Syntax.SpanStart >= operation.Syntax.SpanStart)
                        {
                            break;
                        }

                        if (child is IUsingDeclarationOperation { IsAsynchronous: false } declaration)
                        {
                            foreach (var declarator in declaration.DeclarationGroup.Declarations)
                            {
                                foreach (var variable in declarator.Declarators)
                                {
                                    yield return variable.Symbol;
                                }
                            }
                        }
                    }

                    break;
            }
        }
    }

    private static bool UsesLocal(IInvocationOperation invocation, ILocalSymbol local)
    {
        foreach (var descendant in invocation.EnumerateDescendantsAndSelf())
        {
            if (descendant is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, local))
            {
                return true;
            }
        }

        return false;
    }

    private static string DisplayName(IInvocationOperation invocation)
    {
        var method = invocation.TargetMethod;
        return method.MethodKind == MethodKind.ReducedExtension || invocation.Instance is not null || method.ContainingType is null
            ? method.Name
            : method.ContainingType.Name + "." + method.Name;
    }
}
