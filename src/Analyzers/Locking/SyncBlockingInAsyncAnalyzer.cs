using System.Collections.Generic;
using System.Collections.Immutable;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Locking;

/// <summary>
/// CONC207 (Info): <c>.Result</c>, <c>.Wait()</c>, <c>GetAwaiter().GetResult()</c>, <c>Task.WaitAll</c>, <c>Thread.Sleep</c>,
/// an untimed <c>Process.WaitForExit()</c>, <c>Thread.Join</c>, a wait on a wait handle or slim event (<c>WaitOne</c>, <c>WaitHandle.WaitAll/WaitAny</c>,
/// <c>ManualResetEventSlim.Wait</c>, <c>CountdownEvent.Wait</c>) in an async method or lambda. Silent where a lock is held (CONC202 / CONC205 report those).
/// </summary>
public sealed class SyncBlockingInAsyncAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property: which shape the fix rewrites (<see cref="FixResult"/>, ...); absent for WaitAll/WaitAny.</summary>
    public const string FixProperty = "Fix";
    public const string FixResult = "Result";
    public const string FixGetResult = "GetResult";
    public const string FixWait = "Wait";
    public const string FixSleep = "Sleep";

    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        RuleIds.SyncBlockingInAsync,
        "Synchronous blocking in async code",
        "'{0}' blocks a thread inside async code; use '{1}' instead",
        DiagnosticSeverity.Info,
        "An async method that blocks on a task or sleeps holds a thread-pool thread for the whole wait, starving the pool " +
        "under load, and deadlocks under a single-threaded synchronization context when the awaited work needs that " +
        "context. Await the task (or Task.Delay) instead.");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Rule);

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

            SourceMentions.RegisterBlockActionInTypes(start, type => MayHaveAsyncCodeAndABlockingCall(type, types), c => Analyze(c, types));
        });
    }

    /// <summary>
    /// The type-wide form of the text test in <see cref="HasAsyncCodeAndABlockingCall"/>: a body can only report when it
    /// names a blocking call and is async code, which is written with the <c>async</c> keyword (the owner's modifier is
    /// in the type's text too), except in the entry point the compiler declares for top-level statements that await.
    /// </summary>
    private static bool MayHaveAsyncCodeAndABlockingCall(INamedTypeSymbol type, KnownTypes types)
        => SourceMentions.Any(type, BlockingNames, types) && (SourceMentions.Any(type, AsyncKeyword, types) || IsDeclaredByTopLevelStatements(type));

    private static bool IsDeclaredByTopLevelStatements(INamedTypeSymbol type)
    {
        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax() is Microsoft.CodeAnalysis.CSharp.Syntax.CompilationUnitSyntax)
            {
                return true;
            }
        }

        return false;
    }

    private static bool HasAsyncCodeAndABlockingCall(System.Collections.Immutable.ImmutableArray<IOperation> blocks, ISymbol owner)
    {
        // Async code is an async owner or an async lambda or local function, which the text names by its `async`
        // keyword: most bodies are neither, and one name is looked for before the blocking calls' four.
        var isAsync = owner is IMethodSymbol { IsAsync: true };
        if ((!isAsync && !Mentions(blocks, AsyncKeyword)) || !Mentions(blocks, BlockingNames))
        {
            return false;
        }

        var blocking = false;
        foreach (var block in blocks)
        {
            foreach (var operation in block.EnumerateDescendantsAndSelf())
            {
                // Most operations are none of these: their kind says so before any type test.
                if (operation.Kind is not (OperationKind.AnonymousFunction or OperationKind.LocalFunction or OperationKind.Invocation or OperationKind.PropertyReference))
                {
                    continue;
                }

                switch (operation)
                {
                    case IAnonymousFunctionOperation { Symbol.IsAsync: true }:
                    case ILocalFunctionOperation { Symbol.IsAsync: true }:
                        isAsync = true;
                        break;
                    case IInvocationOperation { TargetMethod.Name: "Wait" or "GetResult" or "Sleep" or "WaitAll" or "WaitAny" or "WaitForExit" or "WaitOne" }:
                    case IInvocationOperation { TargetMethod: { Name: "Join", IsStatic: false, ContainingType.Name: "Thread" } }:
                    case IPropertyReferenceOperation { Property.Name: "Result" }:
                        blocking = true;
                        break;
                }

                if (isAsync && blocking)
                {
                    return true;
                }
            }
        }

        return false;
    }

    // The blocking calls below, by the names they are written with.
    internal static readonly NameSet BlockingNames = new(
        new[] { "Wait", "Result", "Sleep", "Join" },
        "Wait", "GetResult", "Sleep", "WaitAll", "WaitAny", "WaitForExit", "WaitOne", "Join", "Result");

    private static readonly NameSet AsyncKeyword = NameSet.Of("async");

    private static bool Mentions(System.Collections.Immutable.ImmutableArray<IOperation> blocks, NameSet names)
    {
        foreach (var block in blocks)
        {
            if (SourceMentions.Any(block.Syntax, names))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// <c>process.WaitForExit()</c> with no timeout, on a process the method neither kills nor waits for otherwise: the
    /// thread is blocked for as long as the child runs. After <c>Kill()</c>, a timed <c>WaitForExit(ms)</c> or
    /// <c>WaitForExitAsync</c> on the same process, it is the documented brief wait (reap the process, flush its
    /// redirected output) and is left alone.
    /// </summary>
    private static bool IsUntimedProcessWait(IOperation operation, ImmutableArray<IOperation> blocks)
    {
        if (operation is not IInvocationOperation { TargetMethod: { Name: "WaitForExit", Parameters.Length: 0, ContainingType: { Name: "Process", ContainingNamespace.Name: "Diagnostics" } }, Instance: { } instance })
        {
            return false;
        }

        var process = instance.WalkDownConversions().ReferencedVariable();
        if (process is null)
        {
            return true;
        }

        foreach (var block in blocks)
        {
            foreach (var other in block.EnumerateDescendants())
            {
                // The flow graph's operations are copies of the tree's: the call itself is told apart by its syntax.
                if (other.Kind == OperationKind.Invocation && other.Syntax != operation.Syntax &&
                    other is IInvocationOperation { TargetMethod.Name: "Kill" or "WaitForExit" or "WaitForExitAsync", Instance: { } otherInstance } &&
                    SymbolEqualityComparer.Default.Equals(otherInstance.WalkDownConversions().ReferencedVariable(), process))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>
    /// A blocking wait on a signal: <c>WaitOne</c> on a wait handle (events, <c>Semaphore</c>, a token's
    /// <c>WaitHandle</c>), <c>WaitHandle.WaitAll/WaitAny</c>, <c>ManualResetEventSlim.Wait</c>, <c>CountdownEvent.Wait</c>.
    /// Not a zero-timeout poll, not <c>Mutex.WaitOne</c> (a lock acquire: CONC201/CONC204 judge it), not a slim wait
    /// that CONC401 reports for leaving out the token in scope, and not in the
    /// body of an async entry point (a console app parking its main flow until Ctrl+C holds one thread on purpose).
    /// </summary>
    private static bool IsSignalWait(IOperation operation, KnownTypes types, IMethodSymbol function, ISymbol owner, out string description)
    {
        description = string.Empty;
        if (operation is not IInvocationOperation { TargetMethod: { Name: "WaitOne" or "WaitAll" or "WaitAny" or "Wait" } method } invocation ||
            function is { IsStatic: true, Name: "Main" or "<Main>$" })
        {
            return false;
        }

        var containing = method.ContainingType;
        bool matches;
        if (method.IsStatic)
        {
            matches = method.Name is "WaitAll" or "WaitAny" && containing.Is(types.WaitHandle);
        }
        else if (method.Name == "WaitOne")
        {
            var handleType = invocation.Instance?.Type;
            matches = containing.InheritsFromOrEquals(types.WaitHandle) && !handleType.InheritsFromOrEquals(types.Mutex);
            containing = handleType as INamedTypeSymbol ?? containing;
        }
        else
        {
            // A slim wait that leaves out the token in scope is CONC401's (one diagnostic per site).
            matches = method.Name == "Wait" && (containing.Is(types.ManualResetEventSlim) || containing.Is(types.CountdownEvent)) &&
                      Cancellation.TokenNotPassedAnalyzer.Find(invocation, owner, types) is null;
        }

        if (!matches || LockApis.HasZeroTimeout(invocation))
        {
            return false;
        }

        description = containing.Name + "." + method.Name;
        return true;
    }

    private static void Analyze(OperationBlockAnalysisContext context, KnownTypes types)
    {
        // Only async code with a blocking call can report: a linear scan spares every other method its flow graph.
        if (!HasAsyncCodeAndABlockingCall(context.OperationBlocks, context.OwningSymbol))
        {
            return;
        }

        HashSet<ISymbol>? completed = null;
        var reported = new HashSet<Location>();
        LockFlow.Run(context, types, (operation, state, function, _) =>
        {
            if (function is not { IsAsync: true } || !state.IsEmpty)
            {
                return;
            }

            string description;
            string replacement;
            string? fix;
            if (TaskBlocking.IsBlockingWait(operation, types, out description, out var task))
            {
                completed ??= TaskBlocking.CompletedTasks(context.OperationBlocks, types);
                if (TaskBlocking.IsKnownComplete(task, completed))
                {
                    return;
                }

                replacement = task is null ? "await Task.WhenAll/WhenAny" : "await";
                fix = description switch
                {
                    ".Result" => FixResult,
                    ".GetAwaiter().GetResult()" => FixGetResult,
                    ".Wait()" => FixWait,
                    _ => null,
                };
            }
            else if (operation is IInvocationOperation { TargetMethod: { Name: "Sleep", IsStatic: true } sleep } sleepCall &&
                     sleep.ContainingType.Is(types.Thread) && !LockApis.HasZeroTimeout(sleepCall))
            {
                description = "Thread.Sleep";
                replacement = "await Task.Delay";
                fix = FixSleep;
            }
            else if (operation is IInvocationOperation { TargetMethod: { Name: "Join", IsStatic: false } join } joinCall &&
                     join.ContainingType.Is(types.Thread) && !LockApis.HasZeroTimeout(joinCall) &&
                     function is not { IsStatic: true, Name: "Main" or "<Main>$" })
            {
                description = "Thread.Join";
                replacement = "await a Task that runs the thread's work";
                fix = null;
            }
            else if (IsUntimedProcessWait(operation, context.OperationBlocks))
            {
                description = "Process.WaitForExit";
                replacement = "await WaitForExitAsync";
                fix = null;
            }
            else if (IsSignalWait(operation, types, function, context.OwningSymbol, out description))
            {
                replacement = "await an async signal (TaskCompletionSource, SemaphoreSlim.WaitAsync)";
                fix = null;
            }
            else
            {
                return;
            }

            // The sync branch of a dual-path method blocks by design: it is the synchronous API.
            if (DualPathAsync.IsOnSyncPath(operation.Syntax, function))
            {
                return;
            }

            var location = TaskBlocking.ReportLocation(operation);
            if (reported.Add(location))
            {
                var properties = fix is null ? ImmutableDictionary<string, string?>.Empty : ImmutableDictionary<string, string?>.Empty.Add(FixProperty, fix);
                context.ReportDiagnostic(Diagnostic.Create(Rule, location, properties, description, replacement));
            }
        }, visitWithoutLocks: true);
    }
}
