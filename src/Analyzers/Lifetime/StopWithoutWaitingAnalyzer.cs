using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Lifetime;

/// <summary>
/// CONC105: a <c>Dispose</c>/<c>Stop</c>/<c>Close</c> method that cancels the token source feeding a stored background
/// task (or thread) but never waits for it; and a fixed <c>Thread.Sleep</c>/<c>Task.Delay</c> used to "wait for" work
/// started or cancelled just before.
/// </summary>
public sealed class StopWithoutWaitingAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Fixer hint: the task field to await after the cancel (only when the fix is safe).</summary>
    public const string TaskFieldProperty = "TaskField";

    private const string Title = "Stop/Dispose cancels background work without waiting for it";
    private const string Description =
        "Cancelling a token only asks the background work to stop. If Stop or Dispose returns without waiting for it, " +
        "the work is still running while the owner disposes what it uses (ObjectDisposedException), its last exception " +
        "is lost, and shutdown is not really finished. Await the task (or Join the thread) after cancelling; never sleep " +
        "for a fixed time to let work finish.";

    internal static readonly DiagnosticDescriptor CancelRule = RuleDescriptors.Create(
        RuleIds.StopWithoutWaiting,
        Title,
        "'{0}' cancels '{1}' but never waits for '{2}': the work may still be running when '{0}' returns",
        DiagnosticSeverity.Warning,
        Description);

    internal static readonly DiagnosticDescriptor SleepRule = RuleDescriptors.Create(
        RuleIds.StopWithoutWaiting,
        Title,
        "'{0}' waits a fixed time for work started or cancelled before it; wait for that work itself (await the task, Join the thread)",
        DiagnosticSeverity.Warning,
        Description);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(CancelRule, SleepRule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var types = KnownTypes.For(start.Compilation);
            if (types.Task is null || types.CancellationTokenSource is null)
            {
                return;
            }

            start.RegisterSymbolStartAction(s => AnalyzeType(s, types), SymbolKind.NamedType);
            start.RegisterInvocationAction(c => AnalyzeSleep(c, types), InvocationActions.Names("Sleep", "Delay"));
        });
    }

    private sealed class MethodFacts
    {
        public HashSet<IFieldSymbol> Referenced { get; } = new(SymbolEqualityComparer.Default);

        public HashSet<IFieldSymbol> StartedWorkFields { get; } = new(SymbolEqualityComparer.Default);

        /// <summary>How each work field is started here: what the start expression hands the work.</summary>
        public List<WorkStart> Starts { get; } = new();

        /// <summary>Token sources this method observes: reads other than cancelling or disposing them.</summary>
        public HashSet<IFieldSymbol> Observed { get; } = new(SymbolEqualityComparer.Default);

        /// <summary>Reads a <c>CancellationToken</c> field (a token kept from a source, <c>_token = _cts.Token</c>).</summary>
        public bool ReadsTokenField { get; set; }

        public HashSet<IMethodSymbol> Calls { get; } = new(SymbolEqualityComparer.Default);

        public List<(IOperation Cancel, IFieldSymbol Source)> Cancels { get; } = new();

        /// <summary>Fields this method signals on (<c>_stopped.Set()</c>, <c>_done.TrySetResult()</c>): a work's "I am done".</summary>
        public HashSet<IFieldSymbol>? Signals { get; private set; }

        /// <summary>Fields this method waits on (<c>_stopped.WaitOne()</c>, <c>await _done.Task</c>).</summary>
        public HashSet<IFieldSymbol>? Waits { get; private set; }

        // Most methods neither signal nor wait: the sets are made on first use.
        public void AddWait(IFieldSymbol field) => (Waits ??= new HashSet<IFieldSymbol>(SymbolEqualityComparer.Default)).Add(field);

        public void AddSignal(IFieldSymbol field) => (Signals ??= new HashSet<IFieldSymbol>(SymbolEqualityComparer.Default)).Add(field);

        public bool IsConstructor { get; set; }
    }

    /// <summary>
    /// A task or thread field assigned a started piece of work (<c>_loop = Task.Run(...)</c>), with what the start
    /// expression hands it: token source fields it reads, whether it passes a token variable, and the methods of the
    /// type it calls or names (a method group, a call in the lambda).
    /// </summary>
    private sealed class WorkStart
    {
        public WorkStart(IFieldSymbol field) => Field = field;

        public IFieldSymbol Field { get; }

        public HashSet<IFieldSymbol> Sources { get; } = new(SymbolEqualityComparer.Default);

        public bool PassesToken { get; set; }

        public HashSet<IMethodSymbol> Methods { get; } = new(SymbolEqualityComparer.Default);
    }

    private static void AnalyzeType(SymbolStartAnalysisContext context, KnownTypes types)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        var hasSource = false;
        foreach (var member in type.GetMembers())
        {
            if (member is IFieldSymbol field && Analysis.CancellationTokens.IsTokenSource(field.Type, types))
            {
                hasSource = true;
            }
        }

        if (!hasSource)
        {
            return;
        }

        // The fields a start can be recorded for (Collect): the type's own, of a task or thread type, or of a type
        // parameter (a reference through a constructed type may see it as a task). Every work a report names is one.
        List<IFieldSymbol>? workFields = null;
        foreach (var member in type.GetMembers())
        {
            if (member is IFieldSymbol field && (IsWorkField(field, types) || field.Type.TypeKind == TypeKind.TypeParameter))
            {
                (workFields ??= new List<IFieldSymbol>()).Add(field.OriginalDefinition);
            }
        }

        if (workFields is null)
        {
            return;
        }

        // The stop methods' facts at once (the type's end reads them first); the other member bodies are kept for the
        // end, and walked only when a stop method may report (see below).
        var facts = new LockedMap<IMethodSymbol, MethodFacts>(SymbolEqualityComparer.Default);
        var others = new LockedMap<IMethodSymbol, (ImmutableArray<IOperation> Blocks, bool IsConstructor)>(SymbolEqualityComparer.Default);
        context.RegisterOperationBlockAction(c =>
        {
            if (c.OwningSymbol is not IMethodSymbol method)
            {
                return;
            }

            var definition = method.OriginalDefinition;
            var isConstructor = method.MethodKind == MethodKind.Constructor;
            if (IsStopMethod(definition))
            {
                facts[definition] = Collect(c.OperationBlocks, isConstructor, type, types);
            }
            else
            {
                others[definition] = (c.OperationBlocks, isConstructor);
            }
        });

        context.RegisterSymbolEndAction(c =>
        {
            // A report is at a stop method's cancel, for work none of whose fields the stop method waits for; a field
            // it reads itself is waited for (WaitsFor). So when each stop method that cancels a source reads every
            // field that can hold work, nothing is reported, and the other bodies are not walked (most types).
            var mayReport = false;
            foreach (var entry in facts)
            {
                mayReport |= entry.Value.Cancels.Count > 0 && !entry.Value.Referenced.IsSupersetOf(workFields);
            }

            if (!mayReport)
            {
                return;
            }

            foreach (var entry in others)
            {
                facts[entry.Key] = Collect(entry.Value.Blocks, entry.Value.IsConstructor, type, types);
            }

            foreach (var entry in facts)
            {
                var method = entry.Key;
                if (!IsStopMethod(method))
                {
                    continue;
                }

                foreach (var (cancel, source) in entry.Value.Cancels)
                {
                    var work = WorkFedBy(source, facts);
                    if (work.Count == 0)
                    {
                        continue;
                    }

                    IFieldSymbol? unwaited = null;
                    foreach (var field in work)
                    {
                        if (!IsWaitedFor(field, method, facts))
                        {
                            unwaited ??= field;
                        }
                        else
                        {
                            unwaited = null;
                            break;
                        }
                    }

                    if (unwaited is null)
                    {
                        continue;
                    }

                    var properties = ImmutableDictionary<string, string?>.Empty;
                    if (method.IsAsync && unwaited.Type.Is(types.Task) &&
                        unwaited.NullableAnnotation != NullableAnnotation.Annotated && IsAssignedInConstructor(unwaited, facts))
                    {
                        properties = properties.Add(TaskFieldProperty, unwaited.Name);
                    }

                    c.ReportDiagnostic(Diagnostic.Create(CancelRule, cancel.Syntax.GetLocation(), properties, method.Name, source.Name, unwaited.Name));
                }
            }
        });
    }

    private static MethodFacts Collect(ImmutableArray<IOperation> blocks, bool isConstructor, INamedTypeSymbol type, KnownTypes types)
    {
        var found = new MethodFacts { IsConstructor = isConstructor };
        foreach (var block in blocks)
        {
            Collect(block, type, found, types);
        }

        return found;
    }

    private static void Collect(IOperation block, INamedTypeSymbol type, MethodFacts facts, KnownTypes types)
    {
        // By kind: an interface type test per operation costs more than the walk, and three kinds matter. Is (the
        // own-type test) compares names first.
        foreach (var operation in block.EnumerateDescendantsAndSelf())
        {
            switch (operation.Kind)
            {
                case OperationKind.FieldReference:
                    var reference = (IFieldReferenceOperation)operation;
                    if (!reference.Field.ContainingType.Is(type))
                    {
                        break;
                    }

                    if (reference.Parent is ISimpleAssignmentOperation assignment && assignment.Target == reference)
                    {
                        if (IsWorkField(reference.Field, types) && assignment.Value.WalkDownConversions() is IInvocationOperation or IObjectCreationOperation)
                        {
                            facts.StartedWorkFields.Add(reference.Field.OriginalDefinition);
                            facts.Starts.Add(DescribeStart(reference.Field.OriginalDefinition, assignment.Value, type, types));
                        }
                    }
                    else
                    {
                        facts.Referenced.Add(reference.Field.OriginalDefinition);
                        if (Analysis.CancellationTokens.IsTokenSource(reference.Field.Type, types) && !IsCancelOrDispose(reference))
                        {
                            facts.Observed.Add(reference.Field.OriginalDefinition);
                        }
                        else if (reference.Field.Type.Is(types.CancellationToken))
                        {
                            facts.ReadsTokenField = true;
                        }
                    }

                    break;
                case OperationKind.PropertyReference when
                    operation is IPropertyReferenceOperation { Property.Name: "Task", Instance: IFieldReferenceOperation completion } &&
                    completion.Field.Type.Name == "TaskCompletionSource" && operation.Parent is IAwaitOperation or IInvocationOperation:
                    facts.AddWait(completion.Field.OriginalDefinition); // await _done.Task, _done.Task.Wait()
                    break;
                case OperationKind.Invocation:
                    var invocation = (IInvocationOperation)operation;
                    if (invocation.TargetMethod.ContainingType.Is(type))
                    {
                        facts.Calls.Add(invocation.TargetMethod.OriginalDefinition);
                    }

                    if (SignalOrWaitField(invocation) is { } signalled)
                    {
                        if (invocation.TargetMethod.Name is "WaitOne" or "Wait" or "WaitAsync")
                        {
                            facts.AddWait(signalled.OriginalDefinition);
                        }
                        else
                        {
                            facts.AddSignal(signalled.OriginalDefinition);
                        }
                    }

                    if (invocation.TargetMethod.Name is "Cancel" or "CancelAsync" &&
                        Analysis.CancellationTokens.IsTokenSource(invocation.TargetMethod.ContainingType, types) &&
                        SourceField(invocation) is { } source)
                    {
                        facts.Cancels.Add((ReportedCancel(invocation), source.OriginalDefinition));
                    }

                    break;
            }
        }
    }

    /// <summary><c>_cts.Cancel()</c>, <c>_cts?.Dispose()</c>, ...: a use of the source that does not hand its token to anything.</summary>
    private static bool IsCancelOrDispose(IFieldReferenceOperation reference)
    {
        var parent = reference.Parent;
        if (parent is IConditionalAccessOperation access && ReferenceEquals(access.Operation, reference))
        {
            parent = access.WhenNotNull;
        }

        return parent is IInvocationOperation { TargetMethod.Name: "Cancel" or "CancelAsync" or "CancelAfter" or "Dispose" or "TryReset" };
    }

    private static WorkStart DescribeStart(IFieldSymbol field, IOperation value, INamedTypeSymbol type, KnownTypes types)
    {
        var start = new WorkStart(field);
        foreach (var operation in value.EnumerateDescendantsAndSelf())
        {
            switch (operation)
            {
                case IFieldReferenceOperation reference when Analysis.CancellationTokens.IsTokenSource(reference.Field.Type, types):
                    start.Sources.Add(reference.Field.OriginalDefinition);
                    break;
                case IFieldReferenceOperation reference when reference.Field.Type.Is(types.CancellationToken):
                case ILocalReferenceOperation local when local.Local.Type.Is(types.CancellationToken):
                case IParameterReferenceOperation parameter when parameter.Parameter.Type.Is(types.CancellationToken):
                    start.PassesToken = true;
                    break;
                case IInvocationOperation call when IsOwn(call.TargetMethod, type):
                    start.Methods.Add(call.TargetMethod.OriginalDefinition);
                    break;
                case IMethodReferenceOperation method when IsOwn(method.Method, type):
                    start.Methods.Add(method.Method.OriginalDefinition);
                    break;
            }
        }

        return start;
    }

    private static bool IsOwn(IMethodSymbol method, INamedTypeSymbol type)
        => SymbolEqualityComparer.Default.Equals(method.ContainingType?.OriginalDefinition, type.OriginalDefinition);

    /// <summary>The cancel call, or the whole <c>_cts?.Cancel()</c> for a conditional access.</summary>
    private static IOperation ReportedCancel(IInvocationOperation cancel)
        => (IOperation?)cancel.Instance?.WalkDownConversions().EnclosingConditionalAccess() ?? cancel;

    private static IFieldSymbol? SourceField(IInvocationOperation cancel)
        => (cancel.Instance.ReceiverValue() as IFieldReferenceOperation)?.Field;

    private static bool IsWorkField(IFieldSymbol field, KnownTypes types)
        => field.Type.IsTaskLike(types) || field.Type.Is(types.Thread);

    /// <summary>
    /// Task/thread fields whose start hands them <paramref name="source"/>'s token: the start expression reads the
    /// source; or it passes a token variable in a method that reads the source; or it runs a method of the type that
    /// reads the source (or a token field) itself. A source the starting method only cancels or reads for other work
    /// (<c>_initialConnect.Cancel(); _loop = Task.Run(Loop);</c>) does not feed the loop.
    /// </summary>
    private static List<IFieldSymbol> WorkFedBy(IFieldSymbol source, LockedMap<IMethodSymbol, MethodFacts> facts)
    {
        var result = new List<IFieldSymbol>();
        foreach (var entry in facts)
        {
            foreach (var start in entry.Value.Starts)
            {
                if (Feeds(source, start, entry.Value, facts) && !result.Exists(f => SymbolEqualityComparer.Default.Equals(f, start.Field)))
                {
                    result.Add(start.Field);
                }
            }
        }

        // Declaration order: the methods were recorded concurrently, and the message names the first field not waited for.
        result.Sort(static (x, y) => SourceOrder.Compare(SourceOrder.Of(x), SourceOrder.Of(y)));
        return result;
    }

    private static bool Feeds(IFieldSymbol source, WorkStart start, MethodFacts starter, LockedMap<IMethodSymbol, MethodFacts> facts)
    {
        if (start.Sources.Contains(source) || (start.PassesToken && starter.Observed.Contains(source)))
        {
            return true;
        }

        foreach (var method in start.Methods)
        {
            if (facts.TryGetValue(method, out var work) &&
                (work.Observed.Contains(source) || (work.ReadsTokenField && starter.Observed.Contains(source))))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// <c>_stopped.Set()</c>, <c>_done.TrySetResult(true)</c>, <c>_stopped.WaitOne(timeout)</c>: a signal or a wait on an
    /// event, semaphore or completion source kept in a field.
    /// </summary>
    private static IFieldSymbol? SignalOrWaitField(IInvocationOperation invocation)
        => invocation.TargetMethod.Name is "Set" or "Signal" or "Release" or "SetResult" or "TrySetResult" or "WaitOne" or "Wait" or "WaitAsync"
            ? (invocation.Instance.ReceiverValue() as IFieldReferenceOperation)?.Field
            : null;

    /// <summary>
    /// The stop method, or a stop method of the type that calls it (<c>Dispose() { Stop(); _stopped.WaitOne(); }</c>:
    /// a signal-then-wait shutdown), reads the work's field, or waits on a field that the work signals as it ends.
    /// </summary>
    private static bool IsWaitedFor(IFieldSymbol work, IMethodSymbol stop, LockedMap<IMethodSymbol, MethodFacts> facts)
    {
        if (WaitsFor(work, stop, facts))
        {
            return true;
        }

        var isBackstop = IsSynchronousDispose(stop);
        foreach (var entry in facts)
        {
            if (SymbolEqualityComparer.Default.Equals(entry.Key, stop) || !IsStopMethod(entry.Key))
            {
                continue;
            }

            if (entry.Value.Calls.Count > 0 && Closure(entry.Key, facts, depth: 3).Contains(stop) && WaitsFor(work, entry.Key, facts))
            {
                return true;
            }

            // The hosted-service lifecycle: `StopAsync` cancels and waits, and `Dispose` (called after it) only cancels
            // as a backstop. A sync Dispose could not wait without blocking on the task anyway.
            if (isBackstop && entry.Key.Name.StartsWith("Stop", System.StringComparison.Ordinal) && WaitsFor(work, entry.Key, facts))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsSynchronousDispose(IMethodSymbol method)
    {
        if (!method.ReturnsVoid || !method.Parameters.IsEmpty)
        {
            return false;
        }

        if (method.Name == "Dispose")
        {
            return true;
        }

        foreach (var implemented in method.ExplicitInterfaceImplementations)
        {
            if (implemented.Name == "Dispose")
            {
                return true;
            }
        }

        return false;
    }

    private static bool WaitsFor(IFieldSymbol work, IMethodSymbol stop, LockedMap<IMethodSymbol, MethodFacts> facts)
    {
        if (ReferencedFrom(stop, facts, depth: 3).Contains(work))
        {
            return true;
        }

        HashSet<IFieldSymbol>? waits = null;
        foreach (var method in Closure(stop, facts, depth: 3))
        {
            if (facts.TryGetValue(method, out var found) && found.Waits is { } methodWaits)
            {
                (waits ??= new HashSet<IFieldSymbol>(SymbolEqualityComparer.Default)).UnionWith(methodWaits);
            }
        }

        if (waits is null)
        {
            return false;
        }

        // What the work signals: the methods its start runs (a method group, a call in the lambda) and what they call.
        foreach (var entry in facts)
        {
            foreach (var start in entry.Value.Starts)
            {
                if (!SymbolEqualityComparer.Default.Equals(start.Field, work))
                {
                    continue;
                }

                foreach (var root in start.Methods)
                {
                    foreach (var method in Closure(root, facts, depth: 2))
                    {
                        if (facts.TryGetValue(method, out var found) && found.Signals is { } signals && signals.Overlaps(waits))
                        {
                            return true;
                        }
                    }
                }
            }
        }

        return false;
    }

    /// <summary>The method and the methods of the type it calls, up to <paramref name="depth"/> calls deep.</summary>
    private static HashSet<IMethodSymbol> Closure(IMethodSymbol method, LockedMap<IMethodSymbol, MethodFacts> facts, int depth)
    {
        var visited = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
        var queue = new Queue<(IMethodSymbol, int)>();
        queue.Enqueue((method, 0));
        while (queue.Count > 0)
        {
            var (current, level) = queue.Dequeue();
            if (!visited.Add(current) || level >= depth || !facts.TryGetValue(current, out var found))
            {
                continue;
            }

            foreach (var call in found.Calls)
            {
                queue.Enqueue((call, level + 1));
            }
        }

        return visited;
    }

    private static HashSet<IFieldSymbol> ReferencedFrom(IMethodSymbol method, LockedMap<IMethodSymbol, MethodFacts> facts, int depth)
    {
        var result = new HashSet<IFieldSymbol>(SymbolEqualityComparer.Default);
        var visited = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
        var queue = new Queue<(IMethodSymbol, int)>();
        queue.Enqueue((method, 0));
        while (queue.Count > 0)
        {
            var (current, level) = queue.Dequeue();
            if (!visited.Add(current) || !facts.TryGetValue(current, out var found))
            {
                continue;
            }

            // The fields this method reads, except the ones it only starts (assigning a new task is not waiting).
            result.UnionWith(found.Referenced);
            if (level < depth)
            {
                foreach (var call in found.Calls)
                {
                    queue.Enqueue((call, level + 1));
                }
            }
        }

        return result;
    }

    private static bool IsAssignedInConstructor(IFieldSymbol field, LockedMap<IMethodSymbol, MethodFacts> facts)
    {
        foreach (var entry in facts)
        {
            if (entry.Value.IsConstructor && entry.Value.StartedWorkFields.Contains(field))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsStopMethod(IMethodSymbol method)
    {
        var name = method.Name;
        if (name.StartsWith("Stop", System.StringComparison.Ordinal) ||
            name.StartsWith("Dispose", System.StringComparison.Ordinal) ||
            name.StartsWith("Close", System.StringComparison.Ordinal) ||
            name.StartsWith("Shutdown", System.StringComparison.Ordinal) ||
            name.StartsWith("ShutDown", System.StringComparison.Ordinal))
        {
            return true;
        }

        // Explicit implementations: IDisposable.Dispose, IAsyncDisposable.DisposeAsync.
        foreach (var implemented in method.ExplicitInterfaceImplementations)
        {
            if (implemented.Name is "Dispose" or "DisposeAsync" or "StopAsync")
            {
                return true;
            }
        }

        return false;
    }

    // ---- Thread.Sleep / Task.Delay used to wait for work ----

    private static void AnalyzeSleep(OperationAnalysisContext context, KnownTypes types)
    {
        var invocation = (IInvocationOperation)context.Operation;
        var method = invocation.TargetMethod;
        var isSleep = method.Name == "Sleep" && method.ContainingType.Is(types.Thread);
        var isDelay = method.Name == "Delay" && method.ContainingType.Is(types.Task);
        if ((!isSleep && !isDelay) || invocation.Arguments.Length != 1 || !IsPositiveConstant(invocation.Arguments[0].Value))
        {
            return;
        }

        if (isDelay && invocation.WalkUpConversions() is not (IAwaitOperation or IInvocationOperation { TargetMethod.Name: "Wait" }))
        {
            return;
        }

        var function = invocation.GetEnclosingFunction();
        if (function is null || IsInsideLoop(invocation))
        {
            return;
        }

        var position = invocation.Syntax.SpanStart;
        var startedBefore = false;
        foreach (var operation in Analysis.ConcurrentContexts.DescendantsInSameFunction(function))
        {
            if (operation is IAwaitOperation awaited && awaited.Syntax.SpanStart > position && !IsDelay(awaited.Operation, types))
            {
                return; // something is awaited after the pause: assume it joins the work
            }

            if (operation is not IInvocationOperation call)
            {
                continue;
            }

            var start = call.Syntax.SpanStart;
            if (start < position && (IsCancel(call, types) || IsUnjoinedSpawn(call, types)))
            {
                startedBefore = true;
            }
            else if (start > position && (IsJoin(call, types) || IsCancel(call, types)))
            {
                // The work is joined after the pause, or cancelled after it (the pause lets the work run for a while
                // before stopping it: the run time, not a wait for the work to end).
                return;
            }
        }

        if (startedBefore)
        {
            context.ReportDiagnostic(Diagnostic.Create(SleepRule, invocation.Syntax.GetLocation(), isSleep ? "Thread.Sleep" : "Task.Delay"));
        }
    }

    private static bool IsPositiveConstant(IOperation value)
    {
        value = value.WalkDownConversions();
        if (value.ConstantValue is { HasValue: true, Value: int milliseconds })
        {
            return milliseconds > 0;
        }

        return value is IInvocationOperation { TargetMethod.Name: "FromMilliseconds" or "FromSeconds", Arguments.Length: 1 } fromCall &&
               fromCall.TargetMethod.ContainingType?.Name == "TimeSpan" &&
               fromCall.Arguments[0].Value.WalkDownConversions().ConstantValue is { HasValue: true, Value: int or double or long };
    }

    private static bool IsCancel(IInvocationOperation call, KnownTypes types)
        => call.TargetMethod.Name is "Cancel" or "CancelAsync" && Analysis.CancellationTokens.IsTokenSource(call.TargetMethod.ContainingType, types);

    /// <summary><c>Task.Run(...)</c>/<c>StartNew</c>/<c>QueueUserWorkItem</c> whose task is dropped, or <c>thread.Start()</c>.</summary>
    private static bool IsUnjoinedSpawn(IInvocationOperation call, KnownTypes types)
    {
        var method = call.TargetMethod;
        var type = method.ContainingType;
        if (type.Is(types.Thread) && method.Name == "Start")
        {
            return true;
        }

        if (type.Is(types.ThreadPool) && method.Name is "QueueUserWorkItem" or "UnsafeQueueUserWorkItem")
        {
            return true;
        }

        var spawn = (type.Is(types.Task) && method.Name == "Run") ||
                    ((type.Is(types.TaskFactory) || type.Is(types.TaskFactoryOfT)) && method.Name == "StartNew");
        return spawn && call.WalkUpConversions() is IExpressionStatementOperation or ISimpleAssignmentOperation { Target: IDiscardOperation };
    }

    private static bool IsJoin(IInvocationOperation call, KnownTypes types)
        => (call.TargetMethod.Name is "Join" or "WaitAll" or "WhenAll" or "WaitAsync" or "GetResult" or "WaitOne" or "Signal") ||
           (call.TargetMethod.Name == "Wait" && !IsDelay(call.Instance, types));

    private static bool IsDelay(IOperation? operation, KnownTypes types)
    {
        operation = operation?.WalkDownConversionsAndConfigureAwait();

        return operation is IInvocationOperation { TargetMethod.Name: "Delay" } delay && delay.TargetMethod.ContainingType.Is(types.Task);
    }

    private static bool IsInsideLoop(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return false;
            }

            if (current is ILoopOperation)
            {
                return true;
            }
        }

        return false;
    }
}
