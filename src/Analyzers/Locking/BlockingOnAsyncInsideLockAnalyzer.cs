using System.Collections.Generic;
using System.Collections.Immutable;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Locking;

/// <summary>
/// CONC202: <c>.Result</c>, <c>.Wait()</c>, <c>GetAwaiter().GetResult()</c>, <c>Task.WaitAll/WaitAny</c> while a lock is
/// held; an async call started inside a lock whose task is dropped or awaited after the lock ends.
/// </summary>
public sealed class BlockingOnAsyncInsideLockAnalyzer : DiagnosticAnalyzer
{
    private const string Title = "Blocking wait on async work, or async work started, inside a lock";
    private const string Description =
        "Blocking on a task while holding a lock parks a thread with the lock taken: every other caller queues behind it, " +
        "and under a single-threaded synchronization context it deadlocks when the task needs that context (or the lock) to " +
        "finish. An async method started inside a lock runs only its synchronous part under the lock; the rest runs " +
        "unprotected after the lock is released. Use SemaphoreSlim(1, 1) with await WaitAsync for async critical sections.";

    internal static readonly DiagnosticDescriptor BlockingRule = RuleDescriptors.Create(
        RuleIds.BlockingOnAsyncInsideLock,
        Title,
        "'{0}' blocks on a task while '{1}' is held: callers queue behind it and it can deadlock",
        DiagnosticSeverity.Warning,
        Description);

    internal static readonly DiagnosticDescriptor StartedRule = RuleDescriptors.Create(
        RuleIds.BlockingOnAsyncInsideLock,
        Title,
        "'{0}' is started while '{1}' is held, but its task is awaited after the lock ends: the lock covers only its synchronous part",
        DiagnosticSeverity.Warning,
        Description);

    internal static readonly DiagnosticDescriptor CalleeRule = RuleDescriptors.Create(
        RuleIds.BlockingOnAsyncInsideLock,
        Title,
        "'{0}' blocks on a task with {1} and is called while '{2}' is held: callers queue behind it and it can deadlock",
        DiagnosticSeverity.Warning,
        Description);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(BlockingRule, StartedRule, CalleeRule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var types = KnownTypes.For(start.Compilation);
            if (types.Task is null || types.Monitor is null)
            {
                return;
            }

            LockFlow.RegisterForLockingBodies(start, types, c => Analyze(c, types));
        });
    }

    private static void Analyze(OperationBlockAnalysisContext context, KnownTypes types)
    {
        HashSet<ISymbol>? completed = null;
        HashSet<ISymbol>? awaitedLocals = null;
        // Made at the first report: most locking bodies report nothing.
        HashSet<Location>? reported = null;
        var model = context.OperationBlocks.IsEmpty ? null : context.OperationBlocks[0].SemanticModel;
        LockFlow.Run(context, types, (operation, state, function, _) =>
        {
            if (state.Must.IsDefaultOrEmpty)
            {
                return;
            }

            var held = state.Must[state.Must.Length - 1];
            if (TaskBlocking.IsBlockingWait(operation, types, out var description, out var task))
            {
                completed ??= TaskBlocking.CompletedTasks(context.OperationBlocks, types);
                if (!TaskBlocking.IsKnownComplete(task, completed) &&
                    !TaskBlocking.IsSyncPathUnderAsyncLocks(operation, state, function ?? context.OwningSymbol))
                {
                    var location = TaskBlocking.ReportLocation(operation);
                    if ((reported ??= new HashSet<Location>()).Add(location))
                    {
                        context.ReportDiagnostic(Diagnostic.Create(BlockingRule, location, description, held.Name));
                    }
                }

                return;
            }

            if (operation is IInvocationOperation wrapper && !ReferenceEquals(wrapper.TargetMethod.OriginalDefinition, context.OwningSymbol.OriginalDefinition) &&
                TaskBlocking.CalleeBlockingWait(wrapper, model, types, context.CancellationToken) is { } calleeWait &&
                !TaskBlocking.IsSyncPathUnderAsyncLocks(operation, state, function ?? context.OwningSymbol))
            {
                // A sync-over-async wrapper of this document called with the lock held blocks as surely as its wait would here.
                var location = operation.Syntax.GetLocation();
                if ((reported ??= new HashSet<Location>()).Add(location))
                {
                    context.ReportDiagnostic(Diagnostic.Create(CalleeRule, location, wrapper.TargetMethod.Name, calleeWait, held.Name));
                }

                return;
            }

            if (operation is IInvocationOperation invocation && held.IsThreadAffine && IsStartedAsyncWork(invocation, types))
            {
                awaitedLocals ??= AwaitedLocals(context.OperationBlocks, types);
                if (IsDroppedOrAwaitedLater(invocation, function, awaitedLocals))
                {
                    var location = invocation.Syntax.GetLocation();
                    if ((reported ??= new HashSet<Location>()).Add(location))
                    {
                        context.ReportDiagnostic(Diagnostic.Create(StartedRule, location, invocation.TargetMethod.Name, held.Name));
                    }
                }
            }
        }, (root, scan) => LockFlow.AnyUnderLock(root, scan, o => MayBlockOrStart(o, scan, types) || CallsBlockingWrapper(o, scan, model, types, context.CancellationToken)));

        // A local function called only inside `lock` bodies: the flow starts it with nothing held.
        LockHeldLocalFunctions.Visit(context, types, (operation, lockName) =>
        {
            if (TaskBlocking.IsBlockingWait(operation, types, out var description, out var task))
            {
                completed ??= TaskBlocking.CompletedTasks(context.OperationBlocks, types);
                var location = TaskBlocking.ReportLocation(operation);
                if (!TaskBlocking.IsKnownComplete(task, completed) && (reported ??= new HashSet<Location>()).Add(location))
                {
                    context.ReportDiagnostic(Diagnostic.Create(BlockingRule, location, description, lockName));
                }
            }
        });
    }

    // Every shape the rule reports, by name (the graph may hold the receiver in a capture the tree does not have), and
    // a Wait also by its receiver's type, which a capture keeps: a SemaphoreSlim's or Monitor's Wait (a lock call the
    // scan found) is not a task's, and gives the body no flow graph. Started work is reported only under a
    // thread-affine lock. Asked of every operation of a body that locks: by kind first, since most operations are neither.
    private static bool MayBlockOrStart(IOperation operation, LockScan scan, KnownTypes types) => operation.Kind switch
    {
        OperationKind.PropertyReference => ((IPropertyReferenceOperation)operation).Property.Name == "Result",
        OperationKind.Invocation => ((IInvocationOperation)operation).TargetMethod.Name switch
        {
            "GetResult" => true,
            "Wait" or "WaitAll" or "WaitAny" when TaskBlocking.IsTaskWait((IInvocationOperation)operation, types) => true,
            _ => scan.HasThreadAffineLock && IsStartedAsyncWork((IInvocationOperation)operation, types),
        },
        _ => false,
    };

    /// <summary>
    /// A call of a method of this document that blocks on a task it starts (see <see cref="TaskBlocking.CalleeBlockingWait"/>).
    /// In a body whose only locks are <c>lock</c> statements, <see cref="LockFlow.AnyUnderLock"/> counts only a call inside
    /// one, so the callee is looked at only there (after its own flags, which rule out most calls for less than the
    /// walk up to a <c>lock</c>).
    /// </summary>
    private static bool CallsBlockingWrapper(IOperation operation, LockScan scan, SemanticModel? model, KnownTypes types, System.Threading.CancellationToken cancellationToken)
        => operation.Kind == OperationKind.Invocation && model is not null &&
           TaskBlocking.MayBeBlockingWrapper(((IInvocationOperation)operation).TargetMethod) &&
           (scan.HasLockApiCall || LockRegions.InLockStatement(operation)) &&
           TaskBlocking.CalleeBlockingWait((IInvocationOperation)operation, model, types, cancellationToken) is not null;

    /// <summary>A call returning a task that starts work: not Task/ValueTask/TaskCompletionSource helpers, not Task.Run (CONC102's).</summary>
    private static bool IsStartedAsyncWork(IInvocationOperation invocation, KnownTypes types)
    {
        // Async or named so first: asked of every call under a thread-affine lock, and most calls are neither.
        var method = invocation.TargetMethod;
        if (!(method.IsAsync || method.Name.EndsWith("Async", System.StringComparison.Ordinal)) || !method.ReturnType.IsTaskLike(types))
        {
            return false;
        }

        var containing = method.ContainingType;
        return !(containing is null || containing.Is(types.Task) || containing.Is(types.TaskOfT) || containing.Is(types.ValueTask) ||
                 containing.Is(types.ValueTaskOfT) || containing.Is(types.TaskFactory) || containing.Is(types.TaskFactoryOfT) ||
                 containing.Is(types.SemaphoreSlim) || containing.Is(types.TaskCompletionSourceOfT) || containing.Is(types.TaskCompletionSource));
    }

    /// <summary>
    /// The task is discarded (<c>_ = F()</c>), dropped as a statement outside async code (inside async code CS4014 says
    /// so already), or stored in a local that is awaited somewhere in the method. Stored in a field, returned or passed
    /// on: silent (single-flight memoization).
    /// </summary>
    private static bool IsDroppedOrAwaitedLater(IInvocationOperation invocation, IMethodSymbol? function, HashSet<ISymbol> awaitedLocals)
    {
        var parent = invocation.WalkUpConversions();
        switch (parent)
        {
            case null when IsReturnedValue(invocation.Syntax):
                // In the flow graph a returned value is the block's branch value and has no parent: returned, not dropped.
                return false;
            case null:
                return function is { IsAsync: false };
            case IExpressionStatementOperation:
                return function is { IsAsync: false };
            case ISimpleAssignmentOperation { Target: IDiscardOperation }:
                return true;
            case ISimpleAssignmentOperation { Target: ILocalReferenceOperation local }:
                return awaitedLocals.Contains(local.Local) && MayRunPastTheLock(invocation.TargetMethod);
            case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                return awaitedLocals.Contains(declarator.Symbol) && MayRunPastTheLock(invocation.TargetMethod);
            default:
                return false;
        }
    }

    /// <summary>
    /// Whether the called method can go on running after it returns its task. A method of this compilation that is
    /// not <c>async</c> does all its own work before it returns (registering a waiter under the caller's lock and
    /// handing back its <c>TaskCompletionSource</c>'s task is the point of calling it there); an <c>async</c> one, or
    /// one we cannot see, may not.
    /// </summary>
    private static bool MayRunPastTheLock(IMethodSymbol method)
        => method.IsAsync || method.DeclaringSyntaxReferences.IsEmpty;

    private static bool IsReturnedValue(SyntaxNode syntax)
    {
        var parent = syntax.Parent;
        while (parent is ParenthesizedExpressionSyntax or CastExpressionSyntax)
        {
            parent = parent.Parent;
        }

        return parent is ReturnStatementSyntax or ArrowExpressionClauseSyntax ||
               parent is LambdaExpressionSyntax;
    }

    private static HashSet<ISymbol> AwaitedLocals(IEnumerable<IOperation> roots, KnownTypes types)
    {
        var locals = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        foreach (var root in roots)
        {
            foreach (var operation in root.EnumerateDescendants())
            {
                if (operation is IAwaitOperation awaitOperation)
                {
                    var awaited = awaitOperation.Operation.WalkDownConversionsAndConfigureAwait();
                    if (awaited is ILocalReferenceOperation local)
                    {
                        locals.Add(local.Local);
                    }
                    else if (awaited is IInvocationOperation { TargetMethod.Name: "WhenAll" or "WhenAny" } when && when.TargetMethod.ContainingType.Is(types.Task))
                    {
                        foreach (var argument in when.Arguments)
                        {
                            foreach (var value in argument.Value.EnumerateDescendantsAndSelf())
                            {
                                if (value is ILocalReferenceOperation element)
                                {
                                    locals.Add(element.Local);
                                }
                            }
                        }
                    }
                }
            }
        }

        return locals;
    }
}
