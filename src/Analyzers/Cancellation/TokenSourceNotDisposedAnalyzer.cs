using System.Collections.Immutable;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Cancellation;

/// <summary>
/// CONC403 (Go's lostcancel): a linked or timed <c>CancellationTokenSource</c> held in a local that is never disposed
/// and never handed off, a timed source whose only use is <c>.Token</c>, and a <c>token.Register(...)</c> on a
/// caller's token whose registration is dropped.
/// </summary>
public sealed partial class TokenSourceNotDisposedAnalyzer : DiagnosticAnalyzer
{
    public const string KindProperty = "Kind";
    public const string KindLocal = "Local";
    public const string KindRegistration = "Registration";
    public const string FixableProperty = "Fixable";

    private const string Title = "CancellationTokenSource or registration is not disposed";
    private const string Description =
        "A linked CancellationTokenSource registers a callback on its parent token, and a timed one holds a timer; " +
        "both stay alive (with everything they reference) until disposed, or until the parent is cancelled, which for " +
        "an application-lifetime token is never. A dropped CancellationTokenRegistration keeps its callback rooted the " +
        "same way, and the callback can still run after the operation ended. Dispose them with using.";

    internal static readonly DiagnosticDescriptor LocalRule = RuleDescriptors.Create(
        RuleIds.TokenSourceNotDisposed,
        Title,
        "'{0}' is a {1} CancellationTokenSource that is never disposed: its {2} leaks until {3}; use 'using'",
        DiagnosticSeverity.Warning,
        Description);

    internal static readonly DiagnosticDescriptor SomePathsRule = RuleDescriptors.Create(
        RuleIds.TokenSourceNotDisposed,
        Title,
        "'{0}' is a {1} CancellationTokenSource that is not disposed on every path: {3} skips its Dispose() and the {2} leaks; use 'using'",
        DiagnosticSeverity.Warning,
        Description);

    internal static readonly DiagnosticDescriptor InlineRule = RuleDescriptors.Create(
        RuleIds.TokenSourceNotDisposed,
        Title,
        "This {0} CancellationTokenSource is created only for its Token and can never be disposed; hold it in a 'using' local",
        DiagnosticSeverity.Warning,
        Description);

    internal static readonly DiagnosticDescriptor RegistrationRule = RuleDescriptors.Create(
        RuleIds.TokenSourceNotDisposed,
        Title,
        "The registration on '{0}' is dropped: the callback stays registered after this operation ends; dispose it with 'using'",
        DiagnosticSeverity.Warning,
        Description);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(LocalRule, SomePathsRule, InlineRule, RegistrationRule, FieldRule, CollectionRule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var types = KnownTypes.For(start.Compilation);
            if (types.CancellationTokenSource is null || types.CancellationToken is null)
            {
                return;
            }

            start.RegisterOperationAction(c => AnalyzeDeclarator(c, types), OperationKind.VariableDeclarator);
            start.RegisterOperationAction(c => AnalyzeInline(c, types), OperationKind.ObjectCreation);
            start.RegisterInvocationAction(c => AnalyzeInline(c, types), InvocationActions.Names("CreateLinkedTokenSource"));
            start.RegisterInvocationAction(c => AnalyzeRegistration(c, types), RegisterNames);
            start.RegisterSymbolStartAction(s => AnalyzeFields(s, types), SymbolKind.NamedType);
        });
    }

    private static void AnalyzeDeclarator(OperationAnalysisContext context, KnownTypes types)
    {
        var declarator = (IVariableDeclaratorOperation)context.Operation;
        // Both shapes start from the initializer: a source made here (CreateLinkedTokenSource, or a new source) or a
        // registration (Register, UnsafeRegister). Any other initializer, or none, is left before the local's type is
        // looked at (most declarators).
        if (!MayCreateSourceOrRegistration((declarator.Initializer ?? (declarator.Parent as IVariableDeclarationOperation)?.Initializer)?.Value.WalkDownConversions()))
        {
            return;
        }

        var local = declarator.Symbol;
        if (local.Type is { Name: "CancellationTokenRegistration" } && !local.IsRef && !IsUsingResource(declarator))
        {
            AnalyzeRegistrationLocal(context, declarator, types);
            return;
        }

        if (!CancellationTokens.IsTokenSource(local.Type, types) || local.IsRef || IsUsingResource(declarator) ||
            declarator.Syntax is not VariableDeclaratorSyntax syntax)
        {
            return;
        }

        var initializer = (declarator.Initializer ?? (declarator.Parent as IVariableDeclarationOperation)?.Initializer)?.Value.WalkDownConversions();
        var function = FunctionBody(declarator);
        if (initializer is null || function is null)
        {
            return;
        }

        string? kind = initializer switch
        {
            IInvocationOperation { TargetMethod.Name: "CreateLinkedTokenSource" } => "linked",
            IObjectCreationOperation { Arguments.Length: > 0 } creation when CancellationTokens.IsTokenSource(creation.Type, types) => "timed",
            IObjectCreationOperation creation when CancellationTokens.IsTokenSource(creation.Type, types) => null,
            _ => "none",
        };
        if (kind == "none")
        {
            return; // assigned from somewhere else: not created here, not ours to dispose
        }

        var usage = Classify(local, function, out var capturedInCallback);
        var armedAt = 0;
        if (kind is null)
        {
            kind = usage.CancelAfter ? "timed" : null;
            armedAt = usage.FirstCancelAfter; // a plain source gets its timer only there
        }

        if (kind is null || usage.Disposed || usage.Escapes)
        {
            return;
        }

        var leaked = kind == "linked" ? "registration on the parent token" : "timer";
        var fixable = !capturedInCallback && !usage.Reassigned && !ReturnsUnawaitedTask(function, context.ContainingSymbol);
        if (usage.PlainDisposes is null)
        {
            context.ReportDiagnostic(Diagnostic.Create(
                LocalRule, syntax.Identifier.GetLocation(), Properties(fixable), local.Name, kind, leaked,
                kind == "linked" ? "the parent is cancelled" : "it fires"));
            return;
        }

        // Disposed by plain Dispose() statements only: report a path that leaves before the first one.
        var exit = FindSkippingExit(declarator, local, usage.PlainDisposes, armedAt);
        if (exit is null)
        {
            return;
        }

        // The fix turns the local into a using and removes the Dispose() statements: each must sit in a block.
        foreach (var dispose in usage.PlainDisposes)
        {
            fixable &= dispose.Parent is IBlockOperation && dispose.Syntax is ExpressionStatementSyntax;
        }

        var line = exit.Syntax.GetLocation().GetLineSpan().StartLinePosition.Line + 1;
        var how = exit switch
        {
            IReturnOperation => $"the return on line {line}",
            IBranchOperation => $"the jump on line {line}",
            IThrowOperation => $"the throw on line {line}",
            _ => $"an exception from the await on line {line} (its own cancellation included)",
        };
        var disposeLocations = new System.Collections.Generic.List<Location>();
        foreach (var dispose in usage.PlainDisposes)
        {
            disposeLocations.Add(dispose.Syntax.GetLocation());
        }

        context.ReportDiagnostic(Diagnostic.Create(
            SomePathsRule, syntax.Identifier.GetLocation(), disposeLocations, Properties(fixable), local.Name, kind, leaked, how));
    }

    /// <summary>
    /// The initializer could make a source or a registration: a call named <c>CreateLinkedTokenSource</c>,
    /// <c>Register</c> or <c>UnsafeRegister</c>, or an object creation (the only initializers the declarator's two
    /// shapes go on with). By kind and name: no type is looked at.
    /// </summary>
    private static bool MayCreateSourceOrRegistration(IOperation? initializer)
        => initializer is not null &&
           (initializer.Kind == OperationKind.ObjectCreation ||
            (initializer.Kind == OperationKind.Invocation &&
             ((IInvocationOperation)initializer).TargetMethod.Name is "CreateLinkedTokenSource" or "Register" or "UnsafeRegister"));

    private static ImmutableDictionary<string, string?> Properties(bool fixable)
        => ImmutableDictionary<string, string?>.Empty
            .Add(KindProperty, KindLocal)
            .Add(FixableProperty, fixable ? "true" : "false");

    /// <summary>
    /// The local is declared in a block and disposed by a plain <c>x.Dispose();</c> statement later in that block.
    /// Returns the first operation between the two that leaves the block without passing a Dispose(): a return, a
    /// break/continue/goto out of the block, a throw, or an await on the source's own token (which throws exactly when
    /// the source fires); a throw or await inside a try of that range is handled there and does not count. Exits before
    /// <paramref name="armedAt"/> (the first CancelAfter of a plain source) leak nothing.
    /// Nested lambdas and local functions are not walked.
    /// </summary>
    private static IOperation? FindSkippingExit(
        IVariableDeclaratorOperation declarator, ILocalSymbol local, System.Collections.Generic.List<IExpressionStatementOperation> disposes, int armedAt)
    {
        if (declarator.Parent?.Parent is not IVariableDeclarationGroupOperation group || group.Parent is not IBlockOperation block)
        {
            return null;
        }

        var start = block.Operations.IndexOf(group);
        var end = -1;
        for (var i = start + 1; i < block.Operations.Length && end < 0; i++)
        {
            foreach (var dispose in disposes)
            {
                if (ReferenceEquals(block.Operations[i], dispose))
                {
                    end = i;
                    break;
                }
            }
        }

        if (start < 0 || end < 0)
        {
            return null; // no Dispose() statement in the declaring block itself: a shape we do not judge
        }

        var pending = new System.Collections.Generic.Stack<IOperation>();
        for (var i = end - 1; i > start; i--)
        {
            pending.Push(block.Operations[i]);
        }

        while (pending.Count > 0)
        {
            var operation = pending.Pop();
            if (operation is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                continue;
            }

            var leaves = operation switch
            {
                IReturnOperation { Kind: OperationKind.Return } => !DisposedBefore(operation, block, disposes),
                IBranchOperation branch => LeavesBlock(branch, block) && !DisposedBefore(operation, block, disposes),
                IThrowOperation => !HandledWithin(operation, block) && !DisposedBefore(operation, block, disposes),
                IAwaitOperation awaitOperation => MayThrowOnOwnToken(awaitOperation, local) && !HandledWithin(operation, block),
                _ => false,
            };
            if (leaves && operation.Syntax.SpanStart > armedAt)
            {
                return operation;
            }

            var children = new System.Collections.Generic.List<IOperation>(operation.ChildOperations);
            for (var i = children.Count - 1; i >= 0; i--)
            {
                pending.Push(children[i]);
            }
        }

        return null;
    }

    /// <summary>A Dispose() statement runs before the exit: an earlier statement of a block on the way up.</summary>
    private static bool DisposedBefore(IOperation exit, IBlockOperation outer, System.Collections.Generic.List<IExpressionStatementOperation> disposes)
    {
        var child = exit;
        for (var current = exit.Parent; current is not null; child = current, current = current.Parent)
        {
            if (current is IBlockOperation block)
            {
                var index = block.Operations.IndexOf(child);
                foreach (var dispose in disposes)
                {
                    if (ReferenceEquals(dispose.Parent, block) && block.Operations.IndexOf(dispose) is var at && at >= 0 && at < index)
                    {
                        return true;
                    }
                }
            }

            if (ReferenceEquals(current, outer))
            {
                break;
            }
        }

        return false;
    }

    /// <summary>A try with a catch or finally between the operation and the declaring block handles what it throws.</summary>
    private static bool HandledWithin(IOperation operation, IBlockOperation outer)
    {
        var child = operation;
        for (var current = operation.Parent; current is not null && !ReferenceEquals(current, outer); child = current, current = current.Parent)
        {
            if (current is ITryOperation @try && ReferenceEquals(@try.Body, child) && (@try.Catches.Length > 0 || @try.Finally is not null))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>break/continue/goto whose target is outside the declaring block.</summary>
    private static bool LeavesBlock(IBranchOperation branch, IBlockOperation outer)
    {
        if (branch.BranchKind is not (BranchKind.Break or BranchKind.Continue) || branch.Target is null)
        {
            return false; // goto: not judged
        }

        for (var current = branch.Parent; current is not null && !ReferenceEquals(current, outer); current = current.Parent)
        {
            var target = current switch
            {
                ILoopOperation loop => branch.BranchKind == BranchKind.Break ? loop.ExitLabel : loop.ContinueLabel,
                ISwitchOperation @switch when branch.BranchKind == BranchKind.Break => @switch.ExitLabel,
                _ => null,
            };
            if (target is not null && SymbolEqualityComparer.Default.Equals(target, branch.Target))
            {
                return false; // the loop or switch is inside the range
            }
        }

        return true;
    }

    /// <summary>An await whose operand uses the source (its token): it throws when the source is cancelled.</summary>
    private static bool MayThrowOnOwnToken(IAwaitOperation awaitOperation, ILocalSymbol local)
    {
        var awaited = awaitOperation.Operation.WalkDownConversionsAndConfigureAwait();

        if (awaited is IInvocationOperation { TargetMethod.Name: "WhenAny" })
        {
            return false; // WhenAny does not throw when one of its tasks is cancelled
        }

        foreach (var operation in awaitOperation.Operation.EnumerateDescendantsAndSelf())
        {
            if (operation is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, local))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary><c>new CancellationTokenSource(timeout).Token</c>: the source is unreachable right away.</summary>
    private static void AnalyzeInline(OperationAnalysisContext context, KnownTypes types)
    {
        var operation = context.Operation;
        // Only a source read for its Token at once is unreachable: that is asked first, before any type walk.
        if (operation.WalkUpConversions() is not IPropertyReferenceOperation { Property.Name: "Token" })
        {
            return;
        }

        string? kind = operation switch
        {
            IInvocationOperation { TargetMethod.Name: "CreateLinkedTokenSource" } invocation when CancellationTokens.IsTokenSource(invocation.TargetMethod.ContainingType, types) => "linked",
            IObjectCreationOperation { Arguments.Length: > 0 } creation when CancellationTokens.IsTokenSource(creation.Type, types) => "timed",
            _ => null,
        };
        if (kind is null)
        {
            return;
        }

        context.ReportDiagnostic(Diagnostic.Create(InlineRule, operation.Syntax.GetLocation(), kind));
    }

    /// <summary><c>ct.Register(...)</c> as a statement, on a caller's token (a parameter), outside constructors.</summary>
    // The registration calls a statement can drop: asked of those calls only, not of every expression statement.
    private static readonly ImmutableHashSet<string> RegisterNames = InvocationActions.Names("Register", "UnsafeRegister");

    private static void AnalyzeRegistration(OperationAnalysisContext context, KnownTypes types)
    {
        // `ct.Register(...);`: the call is the whole statement (its result dropped).
        if (context.Operation.Parent is not IExpressionStatementOperation statement)
        {
            return;
        }

        if (RegistrationOnCallersToken(context, statement.Operation, types) is { } registration)
        {
            ReportRegistration(context, statement, registration, fixable: statement.Parent is IBlockOperation);
        }
    }

    /// <summary>
    /// <c>var registration = ct.Register(...);</c> on a caller's token, outside constructors, and the local is never
    /// used again: the registration is dropped as surely as a discarded one. Any later use (a <c>Dispose()</c>, a
    /// hand-off, a field) is left alone.
    /// </summary>
    private static void AnalyzeRegistrationLocal(OperationAnalysisContext context, IVariableDeclaratorOperation declarator, KnownTypes types)
    {
        var initializer = (declarator.Initializer ?? (declarator.Parent as IVariableDeclarationOperation)?.Initializer)?.Value.WalkDownConversions();
        if (RegistrationOnCallersToken(context, initializer, types) is not { } registration || declarator.GetRoot() is not { } root)
        {
            return;
        }

        var local = declarator.Symbol;
        foreach (var operation in root.EnumerateDescendants())
        {
            if (operation is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, local))
            {
                return;
            }
        }

        ReportRegistration(context, declarator, registration, fixable: false);
    }

    /// <summary><c>ct.Register(...)</c> / <c>UnsafeRegister</c> on a token parameter, outside constructors; else null.</summary>
    private static (IInvocationOperation Invocation, IParameterSymbol Token)? RegistrationOnCallersToken(OperationAnalysisContext context, IOperation? value, KnownTypes types)
    {
        if (value is null || value.Kind != OperationKind.Invocation ||
            value is not IInvocationOperation { TargetMethod.Name: "Register" or "UnsafeRegister", Instance: IParameterReferenceOperation parameter } invocation ||
            !CancellationTokens.IsToken(invocation.TargetMethod.ContainingType, types) ||
            context.ContainingSymbol is IMethodSymbol { MethodKind: MethodKind.Constructor or MethodKind.StaticConstructor } ||
            invocation.Syntax is not InvocationExpressionSyntax ||
            IsOnceOnServiceLifetimeToken(invocation, parameter.Parameter, types))
        {
            return null;
        }

        return (invocation, parameter.Parameter);
    }

    /// <summary>
    /// A registration on a <c>BackgroundService.ExecuteAsync</c> override's <c>stoppingToken</c>, made once in the
    /// method's own body (not in a loop, lambda or local function): the token lives as long as the service, so the one
    /// registration is what a constructor's registration on the application's stopping token is. One made per
    /// iteration still piles up and stays reported.
    /// </summary>
    private static bool IsOnceOnServiceLifetimeToken(IInvocationOperation invocation, IParameterSymbol token, KnownTypes types)
    {
        if (!CancellationTokens.IsServiceLifetimeToken(token, types))
        {
            return false;
        }

        for (var current = invocation.Parent; current is not null; current = current.Parent)
        {
            if (current is ILoopOperation or IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Reports a dropped registration, unless a non-async function's registration alone completes the signal it returns
    /// (a <c>WhenCancelled()</c> helper). Only a statement in an async function's block gets the fix.
    /// </summary>
    private static void ReportRegistration(OperationAnalysisContext context, IOperation site, (IInvocationOperation Invocation, IParameterSymbol Token) registration, bool fixable)
    {
        var function = FunctionBody(site);
        var isAsync = function switch
        {
            IAnonymousFunctionOperation lambda => lambda.Symbol.IsAsync,
            ILocalFunctionOperation localFunction => localFunction.Symbol.IsAsync,
            _ => context.ContainingSymbol is IMethodSymbol { IsAsync: true },
        };
        if (!isAsync && function is not null && CompletesReturnedSignal(registration.Invocation, function))
        {
            return;
        }

        var properties = ImmutableDictionary<string, string?>.Empty
            .Add(KindProperty, KindRegistration)
            .Add(FixableProperty, isAsync && fixable ? "true" : "false");
        context.ReportDiagnostic(Diagnostic.Create(RegistrationRule, registration.Invocation.Syntax.GetLocation(), properties, registration.Token.Name));
    }

    private struct Usage
    {
        /// <summary>Disposed by a using, in a finally or catch, or by a callback: every path is covered or ownership moved.</summary>
        public bool Disposed;
        public bool Escapes;
        public bool CancelAfter;
        public bool Reassigned;

        /// <summary>Where the first <c>CancelAfter</c> call starts (a plain source leaks nothing before it).</summary>
        public int FirstCancelAfter;

        /// <summary><c>x.Dispose();</c> / <c>x?.Dispose();</c> statements of the function itself, outside try/catch/finally clauses.</summary>
        public System.Collections.Generic.List<IExpressionStatementOperation>? PlainDisposes;
    }

    private static Usage Classify(ILocalSymbol local, IOperation function, out bool capturedInCallback)
    {
        var usage = default(Usage);
        capturedInCallback = false;
        foreach (var operation in function.EnumerateDescendants())
        {
            if (operation is not ILocalReferenceOperation reference || !SymbolEqualityComparer.Default.Equals(reference.Local, local))
            {
                continue;
            }

            if (IsInsideNestedFunction(reference, function))
            {
                capturedInCallback = true;
            }

            var parent = reference.WalkUpConversions();
            switch (parent)
            {
                case IInvocationOperation call when ReferenceEquals(call.Instance?.WalkDownConversions(), reference):
                    if (call.TargetMethod.Name is "Dispose" or "DisposeAsync")
                    {
                        NoteDispose(ref usage, call, function);
                    }
                    else if (call.TargetMethod.Name == "CancelAfter")
                    {
                        var start = call.Syntax.SpanStart;
                        usage.FirstCancelAfter = usage.CancelAfter ? System.Math.Min(usage.FirstCancelAfter, start) : start;
                        usage.CancelAfter = true;
                    }

                    break;
                case IConditionalAccessOperation conditional when ReferenceEquals(conditional.Operation.WalkDownConversions(), reference):
                    if (conditional.WhenNotNull is IInvocationOperation { TargetMethod.Name: "Dispose" or "DisposeAsync" })
                    {
                        NoteDispose(ref usage, conditional, function);
                    }

                    break;
                case IPropertyReferenceOperation:
                    break;
                case IUsingOperation:
                case IUsingDeclarationOperation:
                    usage.Disposed = true;
                    break;
                case ISimpleAssignmentOperation assignment when ReferenceEquals(assignment.Target.WalkDownConversions(), reference):
                    usage.Reassigned = true; // the new value is checked where it is created; a using local cannot be re-assigned
                    break;
                case IAwaitOperation:
                    break;
                default:
                    // returned, stored in a field, passed to a method or constructor, put in a collection: handed off.
                    usage.Escapes = true;
                    break;
            }
        }

        return usage;
    }

    /// <summary>A plain <c>x.Dispose();</c> statement of the function, or a dispose that covers every path (or hands off).</summary>
    private static void NoteDispose(ref Usage usage, IOperation call, IOperation function)
    {
        if (call.Parent is IExpressionStatementOperation statement && !IsInsideNestedFunction(call, function) && !InHandlerClause(statement, function))
        {
            (usage.PlainDisposes ??= new System.Collections.Generic.List<IExpressionStatementOperation>()).Add(statement);
        }
        else
        {
            usage.Disposed = true;
        }
    }

    private static bool InHandlerClause(IOperation operation, IOperation function)
    {
        var child = operation;
        for (var current = operation.Parent; current is not null && !ReferenceEquals(current, function); child = current, current = current.Parent)
        {
            if (current is ICatchClauseOperation || (current is ITryOperation @try && ReferenceEquals(@try.Finally, child)))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsInsideNestedFunction(IOperation operation, IOperation function)
    {
        for (var current = operation.Parent; current is not null && !ReferenceEquals(current, function); current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// <c>var tcs = new TaskCompletionSource(); ct.Register(s => ((TaskCompletionSource)s!).TrySetResult(), tcs);
    /// return tcs.Task;</c> (a <c>WhenCancelled()</c> helper): the registration is the only thing that completes the
    /// task the method returns, so it has to outlive the method, and it ends with the token. A source that anything
    /// else completes (a parameter, or a local also set elsewhere) leaves the registration behind after it completes,
    /// and stays reported.
    /// </summary>
    private static bool CompletesReturnedSignal(IInvocationOperation registration, IOperation function)
    {
        ILocalSymbol? signal = null;
        if (registration.Arguments.Length > 1 && registration.Arguments[1].Value.WalkDownConversions() is ILocalReferenceOperation state)
        {
            signal = state.Local;
        }
        else if (registration.Arguments.Length > 0)
        {
            foreach (var operation in registration.Arguments[0].Value.EnumerateDescendants())
            {
                if (CompletedSignal(operation) is { } completed)
                {
                    signal = completed;
                    break;
                }
            }
        }

        if (signal is null || signal.Type.Name is not "TaskCompletionSource")
        {
            return false;
        }

        var callbackSpan = registration.Syntax.Span;
        var returned = false;
        foreach (var operation in function.EnumerateDescendants())
        {
            if (operation is IReturnOperation { ReturnedValue: { } value } &&
                value.WalkDownConversions() is IPropertyReferenceOperation { Property.Name: "Task", Instance: ILocalReferenceOperation source } &&
                SymbolEqualityComparer.Default.Equals(source.Local, signal))
            {
                returned = true;
            }
            else if (!callbackSpan.Contains(operation.Syntax.Span) && SymbolEqualityComparer.Default.Equals(CompletedSignal(operation), signal))
            {
                return false; // completed elsewhere too: the registration outlives the task
            }
        }

        return returned;
    }

    /// <summary>The local whose <c>SetResult</c>/<c>TrySetCanceled</c>/... this call is, or null.</summary>
    private static ILocalSymbol? CompletedSignal(IOperation operation)
        => operation is IInvocationOperation
           {
               TargetMethod.Name: "SetResult" or "TrySetResult" or "SetCanceled" or "TrySetCanceled" or "SetException" or "TrySetException",
               Instance: { } instance,
           } &&
           instance.WalkDownConversions() is ILocalReferenceOperation local
            ? local.Local
            : null;

    /// <summary>The innermost lambda, local function or method body holding the operation.</summary>
    private static IOperation? FunctionBody(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation || current.Parent is null)
            {
                return current;
            }
        }

        return null;
    }

    /// <summary>A non-async function that returns a task: disposing at the end of it would cut the work short.</summary>
    private static bool IsUsingResource(IOperation declarator)
    {
        var current = declarator.Parent;
        for (var i = 0; i < 3 && current is not null; i++, current = current.Parent)
        {
            if (current is IUsingDeclarationOperation or IUsingOperation)
            {
                return true;
            }
        }

        return false;
    }

    private static bool ReturnsUnawaitedTask(IOperation function, ISymbol owner)
    {
        IMethodSymbol? method = function switch
        {
            IAnonymousFunctionOperation lambda => lambda.Symbol,
            ILocalFunctionOperation localFunction => localFunction.Symbol,
            _ => owner as IMethodSymbol,
        };
        if (method is null)
        {
            return true;
        }

        if (method.IsAsync)
        {
            return false;
        }

        var name = method.ReturnType.Name;
        return name is "Task" or "ValueTask" or "IAsyncEnumerable" or "IEnumerable" or "IEnumerator" || method.IsIterator();
    }
}

internal static class IteratorExtensions
{
    public static bool IsIterator(this IMethodSymbol method)
    {
        foreach (var reference in method.DeclaringSyntaxReferences)
        {
            foreach (var node in reference.GetSyntax().DescendantNodes())
            {
                if (node is YieldStatementSyntax)
                {
                    return true;
                }
            }
        }

        return false;
    }
}
