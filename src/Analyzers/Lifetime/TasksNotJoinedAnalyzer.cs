using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using ConcurrencyAnalyzers.Locking;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;

namespace ConcurrencyAnalyzers.Lifetime;

/// <summary>
/// CONC104: tasks started together but joined one by one (<c>var a = F(); var b = G(); await a; await b;</c>,
/// <c>foreach (var t in tasks) await t;</c>), so a fault in the first leaves the others unobserved; and
/// <c>await Task.WhenAny(...)</c> whose winner is ignored.
/// </summary>
public sealed class TasksNotJoinedAnalyzer : DiagnosticAnalyzer
{
    public const string KindProperty = "Kind";
    public const string KindSequential = "Sequential";
    public const string KindForEach = "ForEach";
    public const string KindWhenAny = "WhenAny";

    /// <summary>For <see cref="KindSequential"/>: the locals to join, separated by commas (first awaited first).</summary>
    public const string TasksProperty = "Tasks";

    /// <summary>"true" when the await being replaced used <c>ConfigureAwait(false)</c>.</summary>
    public const string ConfigureAwaitProperty = "ConfigureAwaitFalse";

    private const string Title = "Started tasks are not joined on every path";
    private const string Description =
        "When several tasks run at once and are awaited one at a time, a fault in the first await leaves the others " +
        "running with nobody to observe their exceptions or wait for their end. Join them with Task.WhenAll, and use " +
        "the task Task.WhenAny returns.";

    internal static readonly DiagnosticDescriptor SequentialRule = RuleDescriptors.Create(
        RuleIds.TasksNotJoined,
        Title,
        "'{0}' is awaited while {1} still running: if '{0}' fails, nobody observes {2}; await Task.WhenAll first",
        DiagnosticSeverity.Warning,
        Description);

    internal static readonly DiagnosticDescriptor ForEachRule = RuleDescriptors.Create(
        RuleIds.TasksNotJoined,
        Title,
        "The tasks in '{0}' are awaited one by one: if one fails, the rest are never observed; await Task.WhenAll({0})",
        DiagnosticSeverity.Warning,
        Description);

    internal static readonly DiagnosticDescriptor WhenAnyRule = RuleDescriptors.Create(
        RuleIds.TasksNotJoined,
        Title,
        "The task returned by Task.WhenAny is ignored: the winner's fault is lost and the other tasks are never looked at again",
        DiagnosticSeverity.Warning,
        Description);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(SequentialRule, ForEachRule, WhenAnyRule);

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

            // Sequential awaits are reported at an await of a local: only a function with such an await is analyzed,
            // once (memoized per function), when its first such await comes by. Most async functions await calls.
            start.RegisterOperationAction(
                c =>
                {
                    // The awaited operand is walked to once for both checks: an awaited local is no WhenAny call.
                    var awaitOperation = (IAwaitOperation)c.Operation;
                    var operand = awaitOperation.Operation.WalkDownConversionsAndConfigureAwait();
                    if (operand.Kind == OperationKind.LocalReference)
                    {
                        ReportSequential(c, awaitOperation, types);
                    }
                    else
                    {
                        AnalyzeWhenAny(c, awaitOperation, operand, types);
                    }
                },
                OperationKind.Await);
            start.RegisterOperationAction(c => AnalyzeForEach(c, types), OperationKind.Loop);
        });
    }

    // ---- var a = F(); var b = G(); await a; await b; ----

    private sealed class StartedTask
    {
        public StartedTask(ILocalSymbol local, int position, ILoopOperation? loop, IOperation value)
        {
            Local = local;
            Position = position;
            Loop = loop;
            Receiver = value.WalkDownConversions() is IInvocationOperation invocation ? CalledOnLocal(invocation) : null;
        }

        /// <summary>The local the starting call was made on (<c>batch</c> in <c>batch.GetAsync(id)</c>), if any.</summary>
        public ILocalSymbol? Receiver { get; }

        public ILocalSymbol Local { get; }

        public int Position { get; }

        public ILoopOperation? Loop { get; }
    }

    /// <summary>An async method, lambda or local function (top-level statements that await count as async too).</summary>
    private static bool MayAwait(ISymbol function)
        => function is not IMethodSymbol method || method.IsAsync;

    private static readonly OperationMemo<IReadOnlyList<Diagnostic>> SequentialFindings = new();

    /// <summary>
    /// The findings of <see cref="AnalyzeFunction"/> for the function <paramref name="awaitOperation"/> belongs to
    /// (computed once per function), reported when they are at this await: every sequential finding is at an await
    /// of a local, so the functions with none are never walked.
    /// </summary>
    private static void ReportSequential(OperationAnalysisContext context, IAwaitOperation awaitOperation, KnownTypes types)
    {
        if (FunctionBody(awaitOperation, context.ContainingSymbol) is not { } body)
        {
            return;
        }

        var findings = SequentialFindings.GetOrCompute(body, types, static (b, t) => AnalyzeFunction(b, t));
        foreach (var diagnostic in findings)
        {
            if (diagnostic.Location.SourceSpan == awaitOperation.Syntax.Span)
            {
                context.ReportDiagnostic(diagnostic);
            }
        }
    }

    /// <summary>
    /// The body <see cref="AnalyzeFunction"/> looks at for an await: that of the innermost lambda or local function
    /// around it, else the driver's operation block it is in; null when that function is not async.
    /// </summary>
    private static IOperation? FunctionBody(IOperation operation, ISymbol containingSymbol)
    {
        var child = operation;
        for (var current = operation.Parent; current is not null; child = current, current = current.Parent)
        {
            switch (current.Kind)
            {
                case OperationKind.AnonymousFunction:
                    var lambda = (IAnonymousFunctionOperation)current;
                    return MayAwait(lambda.Symbol) && ReferenceEquals(lambda.Body, child) ? child : null;
                case OperationKind.LocalFunction:
                    var localFunction = (ILocalFunctionOperation)current;
                    return MayAwait(localFunction.Symbol) && ReferenceEquals(localFunction.Body, child) ? child : null;
            }

            if (current.Parent is null)
            {
                // The driver's operation blocks: a method's (or constructor's) bodies are the root's children.
                var block = current.Kind is OperationKind.MethodBody or OperationKind.ConstructorBody ? child : current;
                return MayAwait(containingSymbol) ? block : null;
            }
        }

        return MayAwait(containingSymbol) ? child : null;
    }

    // Returns its findings rather than taking c.ReportDiagnostic: a delegate over a context struct's method boxes the
    // struct and goes through the runtime's slow delegate constructor, which cost more than the walk (3% of the
    // package's CPU samples, for every async function).
    private static IReadOnlyList<Diagnostic> AnalyzeFunction(IOperation body, KnownTypes types)
    {
        var started = new List<StartedTask>();
        var awaits = new List<(IAwaitOperation Await, ILocalSymbol Local)>();
        foreach (var operation in ConcurrentContexts.DescendantsInSameFunction(body))
        {
            if (operation.Kind is not (OperationKind.VariableDeclarator or OperationKind.SimpleAssignment or OperationKind.Await))
            {
                continue;
            }

            switch (operation)
            {
                case IVariableDeclaratorOperation { Initializer.Value: { } value } declarator when IsStartedTask(value, types):
                    started.Add(new StartedTask(declarator.Symbol, declarator.Syntax.Span.End, declarator.GetEnclosingLoop(), value));
                    break;
                case ISimpleAssignmentOperation { Target: ILocalReferenceOperation target, Value: { } assigned } assignment when IsStartedTask(assigned, types):
                    started.Add(new StartedTask(target.Local, assignment.Syntax.Span.End, assignment.GetEnclosingLoop(), assigned));
                    break;
                case IAwaitOperation awaitOperation when AwaitedLocal(awaitOperation) is { } local:
                    awaits.Add((awaitOperation, local));
                    break;
            }
        }

        if (started.Count < 2 || awaits.Count == 0)
        {
            return Array.Empty<Diagnostic>();
        }

        var diagnostics = new List<Diagnostic>();
        started.Sort((x, y) => x.Position.CompareTo(y.Position));

        var reads = LocalReads(body, started);
        var covered = new HashSet<ILocalSymbol>(SymbolEqualityComparer.Default);
        foreach (var (awaitOperation, local) in awaits.OrderBy(a => a.Await.Syntax.SpanStart))
        {
            var position = awaitOperation.Syntax.SpanStart;
            var first = started.LastOrDefault(s => SymbolEqualityComparer.Default.Equals(s.Local, local) && s.Position <= position);
            if (first is null || covered.Contains(local) || IsInsideTryWithCatch(awaitOperation) ||
                ReadBetween(reads, local, first.Position, position, awaitOperation))
            {
                continue;
            }

            var loop = awaitOperation.GetEnclosingLoop();
            var pending = new List<ILocalSymbol>();
            foreach (var other in started)
            {
                if (SymbolEqualityComparer.Default.Equals(other.Local, local) || other.Position > position ||
                    !ReferenceEquals(other.Loop, loop) || pending.Contains(other.Local, SymbolEqualityComparer.Default) ||
                    ReadBetween(reads, other.Local, other.Position, position, null) ||
                    !ReadAfter(reads, other.Local, position))
                {
                    continue;
                }

                pending.Add(other.Local);
            }

            if (pending.Count == 0 || IsFlushedBatch(body, started, local, pending, position))
            {
                continue;
            }

            covered.Add(local);
            covered.UnionWith(pending);
            var names = pending.Select(p => "'" + p.Name + "'").ToList();
            var all = new[] { local }.Concat(pending).ToList();
            var properties = ImmutableDictionary<string, string?>.Empty
                .Add(KindProperty, KindSequential)
                .Add(ConfigureAwaitProperty, UsesConfigureAwaitFalse(awaitOperation) ? "true" : "false");
            if (all.All(l => l.Type.InheritsFromOrEquals(types.Task)))
            {
                properties = properties.Add(TasksProperty, string.Join(",", all.Select(l => l.Name)));
            }

            diagnostics.Add(Diagnostic.Create(
                SequentialRule,
                awaitOperation.Syntax.GetLocation(),
                properties,
                local.Name,
                string.Join(", ", names) + (names.Count == 1 ? " is" : " are"),
                names.Count == 1 ? names[0] : "them"));
        }

        return diagnostics;
    }

    /// <summary>
    /// <c>var a = batch.GetAsync(1); var b = batch.GetAsync(2); batch.Execute(); await a; await b;</c>: every task was
    /// queued on one local receiver, which gets another call (the flush) after the last of them and before the await.
    /// </summary>
    private static bool IsFlushedBatch(IOperation body, List<StartedTask> started, ILocalSymbol awaited, List<ILocalSymbol> pending, int awaitPosition)
    {
        ILocalSymbol? receiver = null;
        var lastStart = -1;
        foreach (var task in started)
        {
            if (task.Position > awaitPosition ||
                !SymbolEqualityComparer.Default.Equals(task.Local, awaited) && !pending.Contains(task.Local, SymbolEqualityComparer.Default))
            {
                continue;
            }

            if (task.Receiver is null || receiver is not null && !SymbolEqualityComparer.Default.Equals(receiver, task.Receiver))
            {
                return false;
            }

            receiver = task.Receiver;
            lastStart = Math.Max(lastStart, task.Position);
        }

        if (receiver is null)
        {
            return false;
        }

        return IsCalledBetween(body, receiver, lastStart, awaitPosition);
    }

    /// <summary>Some call on <paramref name="receiver"/> in <paramref name="scope"/> starts after <paramref name="after"/> and before <paramref name="before"/> (lambdas included).</summary>
    private static bool IsCalledBetween(IOperation scope, ILocalSymbol receiver, int after, int before)
    {
        foreach (var operation in scope.EnumerateDescendants())
        {
            if (operation is IInvocationOperation call && call.Syntax.SpanStart > after && call.Syntax.SpanStart < before &&
                CalledOnLocal(call) is { } called && SymbolEqualityComparer.Default.Equals(called, receiver))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A task started by a call (not an already-completed or combined task).</summary>
    private static bool IsStartedTask(IOperation value, KnownTypes types)
    {
        value = value.WalkDownConversions();
        if (value is not IInvocationOperation invocation || !invocation.Type.IsTaskLike(types))
        {
            return false;
        }

        var method = invocation.TargetMethod;
        if (method.ContainingType.Is(types.Task) || method.ContainingType.Is(types.ValueTask))
        {
            return method.Name is "Run";
        }

        return method.ContainingType?.Name is not ("TaskExtensions" or "TaskCompletionSource") && method.Name != "ConfigureAwait";
    }

    private static ILocalSymbol? AwaitedLocal(IAwaitOperation awaitOperation)
    {
        return (awaitOperation.Operation.WalkDownConversionsAndConfigureAwait() as ILocalReferenceOperation)?.Local;
    }

    private static bool UsesConfigureAwaitFalse(IAwaitOperation awaitOperation)
        => awaitOperation.Operation.WalkDownConversions() is IInvocationOperation { TargetMethod.Name: "ConfigureAwait" } call &&
           call.Arguments.Length == 1 && call.Arguments[0].Value.ConstantValue is { HasValue: true, Value: false };

    private static Dictionary<ILocalSymbol, List<(int Position, IOperation Reference)>> LocalReads(IOperation body, List<StartedTask> started)
    {
        var result = new Dictionary<ILocalSymbol, List<(int, IOperation)>>(SymbolEqualityComparer.Default);
        foreach (var task in started)
        {
            if (!result.ContainsKey(task.Local))
            {
                result[task.Local] = new List<(int, IOperation)>();
            }
        }

        foreach (var operation in body.EnumerateDescendants())
        {
            if (operation is ILocalReferenceOperation reference &&
                result.TryGetValue(reference.Local, out var list) &&
                !(reference.Parent is ISimpleAssignmentOperation assignment && assignment.Target == reference))
            {
                list.Add((reference.Syntax.SpanStart, reference));
            }
        }

        return result;
    }

    private static bool ReadBetween(Dictionary<ILocalSymbol, List<(int Position, IOperation Reference)>> reads, ILocalSymbol local, int from, int to, IAwaitOperation? except)
        => reads[local].Any(r => r.Position > from && r.Position < to && (except is null || !r.Reference.IsWithin(except)));

    private static bool ReadAfter(Dictionary<ILocalSymbol, List<(int Position, IOperation Reference)>> reads, ILocalSymbol local, int position)
        => reads[local].Any(r => r.Position > position);

    private static bool IsInsideTryWithCatch(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return false;
            }

            if (current is ITryOperation { Catches.Length: > 0 } tryOperation && operation.IsWithin(tryOperation.Body))
            {
                return true;
            }
        }

        return false;
    }

    // ---- foreach (var t in tasks) await t; ----

    private static void AnalyzeForEach(OperationAnalysisContext context, KnownTypes types)
    {
        // By loop kind (one read of the loop, where each interface type test walks the operation class's interfaces):
        // while and do loops, most of them, are left at once.
        var kind = ((ILoopOperation)context.Operation).LoopKind;
        if (kind == LoopKind.For)
        {
            AnalyzeIndexedLoop(context, (IForLoopOperation)context.Operation, types);
            return;
        }

        if (kind != LoopKind.ForEach || context.Operation is not IForEachLoopOperation { IsAsynchronous: false } loop ||
            loop.Syntax is not ForEachStatementSyntax syntax || syntax.ContainsDiagnostics ||
            loop.Locals.Length != 1 || !loop.Locals[0].Type.IsTaskLike(types))
        {
            return;
        }

        var collection = loop.Collection.WalkDownConversions();
        if (!IsMaterialized(collection.Type, types))
        {
            return;
        }

        var variable = loop.Locals[0];
        IAwaitOperation? found = null;
        foreach (var operation in ConcurrentContexts.DescendantsInSameFunction(loop.Body))
        {
            if (operation is IAwaitOperation awaitOperation &&
                AwaitedLocal(awaitOperation) is { } local && SymbolEqualityComparer.Default.Equals(local, variable))
            {
                if (IsInsideTryWithCatch(awaitOperation))
                {
                    return;
                }

                found ??= awaitOperation;
            }
        }

        if (found is null || TaskBlocking.IsJoinedBefore(loop, types) || IsFlushedBatch(loop, collection, types))
        {
            return;
        }

        var properties = ImmutableDictionary<string, string?>.Empty
            .Add(KindProperty, KindForEach)
            .Add(ConfigureAwaitProperty, UsesConfigureAwaitFalse(found) ? "true" : "false");
        if (!variable.Type.InheritsFromOrEquals(types.Task) || !IsSingleAwaitStatement(syntax.Statement))
        {
            properties = properties.Remove(KindProperty).Add(KindProperty, KindForEach + "NoFix");
        }

        var span = TextSpan.FromBounds(syntax.ForEachKeyword.SpanStart, syntax.CloseParenToken.Span.End);
        context.ReportDiagnostic(Diagnostic.Create(ForEachRule, Location.Create(syntax.SyntaxTree, span), properties, syntax.Expression.ToString()));
    }

    /// <summary>
    /// <c>var batch = rpc.PrepareBatch(); var pending = ids.Select(id => batch.GetAsync(id)).ToArray();
    /// await batch.SendBatchAsync(); foreach (var t in pending) … await t …</c>: every task of the collection (a local
    /// declared in the loop's block) was queued on one local receiver, and a later call on that receiver before the loop
    /// (the flush: <c>SendBatchAsync</c>, <c>Execute</c>, even inside a retry lambda) sends them together. The replies
    /// come back as one answer, so by the loop there is nothing left running for a failed await to abandon.
    /// </summary>
    private static bool IsFlushedBatch(IForEachLoopOperation loop, IOperation collection, KnownTypes types)
    {
        if (collection is not ILocalReferenceOperation { Local: var tasks } || loop.Parent is not IBlockOperation block)
        {
            return false;
        }

        foreach (var statement in block.Operations)
        {
            if (statement == loop)
            {
                return false;
            }

            if (statement is IVariableDeclarationGroupOperation group &&
                group.Declarations.SelectMany(d => d.Declarators).FirstOrDefault(d => SymbolEqualityComparer.Default.Equals(d.Symbol, tasks)) is { Initializer.Value: { } value })
            {
                // The flush: a later call on the receiver, between the declaration and the loop.
                return QueuedOnOneLocal(value, types) is { } receiver &&
                       IsCalledBetween(block, receiver, statement.Syntax.Span.End, loop.Syntax.SpanStart);
            }
        }

        return false;
    }

    /// <summary>
    /// The local every task-returning call in <paramref name="value"/> is made on (<c>batch</c> in
    /// <c>ids.Select(id => batch.GetAsync(id)).ToArray()</c>), or null when there is none or more than one.
    /// </summary>
    private static ILocalSymbol? QueuedOnOneLocal(IOperation value, KnownTypes types)
    {
        ILocalSymbol? receiver = null;
        foreach (var operation in value.EnumerateDescendantsAndSelf())
        {
            if (operation is not IInvocationOperation invocation || !invocation.Type.IsTaskLike(types))
            {
                continue;
            }

            if (CalledOnLocal(invocation) is not { } local ||
                receiver is not null && !SymbolEqualityComparer.Default.Equals(receiver, local))
            {
                return null;
            }

            receiver = local;
        }

        return receiver;
    }

    /// <summary>The local a call is made on, as receiver or as an extension method's first argument.</summary>
    private static ILocalSymbol? CalledOnLocal(IInvocationOperation invocation)
    {
        var receiver = invocation.Instance ??
            (invocation.TargetMethod.IsExtensionMethod && invocation.Arguments.Length > 0 ? invocation.Arguments[0].Value : null);
        return (receiver?.WalkDownConversions() as ILocalReferenceOperation)?.Local;
    }

    /// <summary>
    /// <c>for (var i = 0; i &lt; pending.Length; i++) { var r = await pending[i]; … }</c> over an array or list of tasks
    /// started before the loop: the indexed form of <c>foreach (var t in tasks) await t;</c>. Silent when the loop
    /// stores into the collection (a task started and awaited in the same iteration), when the await sits in a
    /// <c>try</c> with a <c>catch</c>, and after a <c>Task.WhenAll</c> of the collection. Reported without a fix.
    /// </summary>
    private static void AnalyzeIndexedLoop(OperationAnalysisContext context, IForLoopOperation loop, KnownTypes types)
    {
        if (loop.Syntax is not ForStatementSyntax syntax || syntax.ContainsDiagnostics ||
            loop.Condition is not IBinaryOperation { OperatorKind: BinaryOperatorKind.LessThan, LeftOperand: var left, RightOperand: var right } ||
            left.WalkDownConversions() is not ILocalReferenceOperation { Local: var index } ||
            right.WalkDownConversions() is not IPropertyReferenceOperation { Property.Name: "Length" or "Count", Instance: { } bound } ||
            LockApis.GetKey(bound) is not { } collection ||
            bound.WalkDownConversions() is not (ILocalReferenceOperation or IParameterReferenceOperation or IFieldReferenceOperation) ||
            !IsMaterialized(bound.Type, types))
        {
            return;
        }

        IAwaitOperation? found = null;
        foreach (var operation in ConcurrentContexts.DescendantsInSameFunction(loop.Body))
        {
            switch (operation)
            {
                case IAwaitOperation awaitOperation when IsElementAt(AwaitedOperand(awaitOperation), collection, index):
                    if (IsInsideTryWithCatch(awaitOperation))
                    {
                        return;
                    }

                    found ??= awaitOperation;
                    break;
                case ISimpleAssignmentOperation { Target: var target } when IsElementOf(target, collection):
                    return; // started in this iteration: sequential on purpose
                case IInvocationOperation { TargetMethod.Name: "Add" or "Insert" or "Clear" or "RemoveAt", Instance: { } list }
                    when SymbolEqualityComparer.Default.Equals(LockApis.GetKey(list), collection):
                    return;
            }
        }

        if (found is null || !found.Operation.Type.IsTaskLike(types) && !AwaitedOperand(found).Type.IsTaskLike(types) ||
            TaskBlocking.IsJoinedBefore(loop, bound, types))
        {
            return;
        }

        var properties = ImmutableDictionary<string, string?>.Empty.Add(KindProperty, KindForEach + "NoFix");
        var span = TextSpan.FromBounds(syntax.ForKeyword.SpanStart, syntax.CloseParenToken.Span.End);
        context.ReportDiagnostic(Diagnostic.Create(ForEachRule, Location.Create(syntax.SyntaxTree, span), properties, bound.Syntax.ToString()));

        static IOperation AwaitedOperand(IAwaitOperation awaitOperation) => awaitOperation.Operation.WalkDownConversionsAndConfigureAwait();

        static bool IsElementAt(IOperation operand, ISymbol collection, ILocalSymbol index) => operand switch
        {
            IArrayElementReferenceOperation { Indices.Length: 1 } element =>
                SymbolEqualityComparer.Default.Equals(LockApis.GetKey(element.ArrayReference), collection) &&
                element.Indices[0].WalkDownConversions() is ILocalReferenceOperation { Local: var i } && SymbolEqualityComparer.Default.Equals(i, index),
            IPropertyReferenceOperation { Property.IsIndexer: true, Arguments.Length: 1, Instance: { } instance } indexer =>
                SymbolEqualityComparer.Default.Equals(LockApis.GetKey(instance), collection) &&
                indexer.Arguments[0].Value.WalkDownConversions() is ILocalReferenceOperation { Local: var i } && SymbolEqualityComparer.Default.Equals(i, index),
            _ => false,
        };

        static bool IsElementOf(IOperation target, ISymbol collection) => target switch
        {
            IArrayElementReferenceOperation element => SymbolEqualityComparer.Default.Equals(LockApis.GetKey(element.ArrayReference), collection),
            IPropertyReferenceOperation { Property.IsIndexer: true, Instance: { } instance } => SymbolEqualityComparer.Default.Equals(LockApis.GetKey(instance), collection),
            _ => SymbolEqualityComparer.Default.Equals(LockApis.GetKey(target), collection),
        };
    }

    private static bool IsSingleAwaitStatement(StatementSyntax statement)
    {
        if (statement is BlockSyntax { Statements.Count: 1 } block)
        {
            statement = block.Statements[0];
        }

        return statement is ExpressionStatementSyntax { Expression: AwaitExpressionSyntax };
    }

    /// <summary>Arrays and collections: the tasks were all started before the loop (a lazy sequence would start them one by one).</summary>
    private static bool IsMaterialized(ITypeSymbol? type, KnownTypes types)
    {
        if (type is null)
        {
            return false;
        }

        if (type is IArrayTypeSymbol)
        {
            return true;
        }

        var collection = types.Get("System.Collections.Generic.ICollection`1");
        var readOnly = types.Get("System.Collections.Generic.IReadOnlyCollection`1");
        return type.Implements(collection) || type.Implements(readOnly);
    }

    // ---- await Task.WhenAny(...); ----

    private static void AnalyzeWhenAny(OperationAnalysisContext context, IAwaitOperation awaitOperation, IOperation operand, KnownTypes types)
    {
        if (operand.Kind != OperationKind.Invocation || operand is not IInvocationOperation { TargetMethod.Name: "WhenAny" } whenAny ||
            !whenAny.TargetMethod.ContainingType.Is(types.Task) || whenAny.Syntax.ContainsDiagnostics ||
            awaitOperation.WalkUpConversions() is not IExpressionStatementOperation)
        {
            return;
        }

        if (WaitsForOwnedWorkOrSignal(whenAny, types) || IsQuietWaitForOneTask(whenAny, types) ||
            IsWakeUpWhoseLosersAreCancelled(awaitOperation, whenAny, types))
        {
            return;
        }

        // `await Task.WhenAny(work, Task.Delay(t)); if (!work.IsCompleted) ...`: the tasks are looked at afterwards.
        var referenced = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        foreach (var operation in whenAny.EnumerateDescendants())
        {
            if (Referenced(operation) is { } symbol)
            {
                referenced.Add(symbol);
            }
        }

        var root = awaitOperation.GetEnclosingFunction() ?? awaitOperation;
        var end = awaitOperation.Syntax.Span.End;
        foreach (var operation in root.EnumerateDescendants())
        {
            if (operation.Syntax.SpanStart >= end && Referenced(operation) is { } symbol && referenced.Contains(symbol))
            {
                return;
            }
        }

        context.ReportDiagnostic(Diagnostic.Create(
            WhenAnyRule,
            whenAny.Syntax.GetLocation(),
            ImmutableDictionary<string, string?>.Empty.Add(KindProperty, KindWhenAny)));
    }

    /// <summary>
    /// <c>await Task.WhenAny(producer);</c>: one task, so there is no other to lose and the winner is that task. The
    /// idiom waits for it to end without rethrowing its fault (in a <c>finally</c> after cancelling it, where a throw
    /// would hide the first exception). A collection passed whole (<c>WhenAny(tasks)</c>) is not one task.
    /// </summary>
    private static bool IsQuietWaitForOneTask(IInvocationOperation whenAny, KnownTypes types)
    {
        if (whenAny.Syntax is not InvocationExpressionSyntax { ArgumentList.Arguments: { Count: 1 } arguments } ||
            arguments[0] is not { NameColon: null } only || whenAny.Arguments.Length != 1)
        {
            return false;
        }

        // The written argument, below the params array (or collection) the compiler wraps it in.
        foreach (var operation in whenAny.Arguments[0].Value.EnumerateDescendantsAndSelf())
        {
            if (!operation.IsImplicit && operation.Syntax == only.Expression)
            {
                return operation.Type is { TypeKind: TypeKind.Class } type && type.IsTaskLike(types);
            }
        }

        return false;
    }

    /// <summary>
    /// <c>await Task.WhenAny(_executeTask, Task.Delay(Timeout.Infinite, cancellationToken))</c>: a bounded wait for
    /// work the type keeps in a field (its owner can still look at it, so nothing is lost), against a delay or a
    /// completion source's task. Every argument is one of those, and at least one is a field (a task, or the
    /// <c>Task</c> of a completion source the type keeps in a field).
    /// </summary>
    private static bool WaitsForOwnedWorkOrSignal(IInvocationOperation whenAny, KnownTypes types)
    {
        var owned = false;
        foreach (var argument in whenAny.Arguments)
        {
            var value = argument.Value.WalkDownConversions();
            // The tasks written out: a params array, or on .NET 9+ a params span (see InPlaceElements).
            var elements = argument.InPlaceElements() is { IsEmpty: false } written ? written : ImmutableArray.Create(value);
            foreach (var element in elements)
            {
                switch (element.WalkDownConversions())
                {
                    case IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation }:
                        owned = true;
                        break;
                    case IPropertyReferenceOperation { Property.Name: "Task", Instance: IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } source }
                        when source.Type.Is(types.TaskCompletionSource) || source.Type.Is(types.TaskCompletionSourceOfT):
                        owned = true; // `_runningTask.Task`: the type keeps the source, as it keeps a task field
                        break;
                    case ILocalReferenceOperation { Local: var local } when IsHandedToFaultObserver(local, whenAny, types):
                        owned = true;
                        break;
                    case IInvocationOperation { TargetMethod.Name: "WhenAll" } join when IsJoinOfKeptWork(join, whenAny, types):
                        owned = true;
                        break;
                    case var signal when IsSignal(signal, whenAny, types, depth: 0):
                        break;
                    default:
                        return false;
                }
            }
        }

        return owned;
    }

    /// <summary>
    /// <c>var delay = Task.Delay(1000, cts.Token); var changed = WaitNext(cts.Token); await Task.WhenAny(delay, changed);
    /// cts.Cancel();</c>: a wake-up, waiting for an event or a poll interval, whose losers are cancelled by the very next
    /// statement. Every argument is a signal (<see cref="IsSignal"/>) or a call, or a local holding one and never
    /// reassigned, given the <c>Token</c> of the source cancelled there. Work given another token is still reported.
    /// </summary>
    private static bool IsWakeUpWhoseLosersAreCancelled(IAwaitOperation awaitOperation, IInvocationOperation whenAny, KnownTypes types)
    {
        if (awaitOperation.WalkUpConversions() is not IExpressionStatementOperation { Parent: IBlockOperation block } statement)
        {
            return false;
        }

        var index = block.Operations.IndexOf(statement);
        if (index < 0 || index + 1 >= block.Operations.Length ||
            block.Operations[index + 1] is not IExpressionStatementOperation { Operation: var next } ||
            (next is IAwaitOperation awaited ? awaited.Operation : next).WalkDownConversions() is not IInvocationOperation
            {
                TargetMethod.Name: "Cancel" or "CancelAsync", Instance: { } cancelled,
            } cancel ||
            !cancel.TargetMethod.ContainingType.Is(types.CancellationTokenSource) ||
            ReferencedSymbol(cancelled) is not { } source)
        {
            return false;
        }

        foreach (var argument in whenAny.Arguments)
        {
            var value = argument.Value.WalkDownConversions();
            // The tasks written out: a params array, or on .NET 9+ a params span (see InPlaceElements).
            var elements = argument.InPlaceElements() is { IsEmpty: false } written ? written : ImmutableArray.Create(value);
            foreach (var element in elements)
            {
                if (!IsSignal(element, whenAny, types, depth: 0) && !TakesTokenOf(element, source, whenAny, types))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>A call given <c>source.Token</c>, or a local initialized with one and never assigned again.</summary>
    private static bool TakesTokenOf(IOperation operation, ISymbol source, IInvocationOperation whenAny, KnownTypes types)
    {
        operation = operation.WalkDownConversions();
        if (operation is ILocalReferenceOperation { Local: var local } && whenAny.GetEnclosingFunction() is { } root)
        {
            operation = local.InitializerOf(root, notReassigned: true)!;
        }

        if (operation is not IInvocationOperation call)
        {
            return false;
        }

        foreach (var argument in call.Arguments)
        {
            if (argument.Value.WalkDownConversions() is IPropertyReferenceOperation { Property.Name: "Token", Instance: { } instance } &&
                instance.Type.Is(types.CancellationTokenSource) &&
                ReferencedSymbol(instance) is { } given && SymbolEqualityComparer.Default.Equals(given, source))
            {
                return true;
            }
        }

        return false;
    }

    private static ISymbol? ReferencedSymbol(IOperation operation) => operation.WalkDownConversions() switch
    {
        ILocalReferenceOperation local => local.Local,
        IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field => field.Field,
        _ => null,
    };

    /// <summary>
    /// <c>Task.WhenAll(tasks)</c> over the background tasks a type keeps for its stop: a field, or a list the stop
    /// captured from the method that set up both start and stop (Orleans' lifecycle participants). As with a field
    /// task, the owner keeps the work.
    /// </summary>
    private static bool IsJoinOfKeptWork(IInvocationOperation join, IInvocationOperation whenAny, KnownTypes types)
    {
        if (!join.TargetMethod.ContainingType.Is(types.Task) || join.Arguments.Length != 1)
        {
            return false;
        }

        switch (join.Arguments[0].Value.WalkDownConversions())
        {
            case IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation }:
                return true;
            case ILocalReferenceOperation { Local: var local } when !local.Type.InheritsFromOrEquals(types.Task):
                return whenAny.GetEnclosingFunction() is { } root && local.DeclaringSyntaxReferences.Length > 0 &&
                       !root.Syntax.Span.Contains(local.DeclaringSyntaxReferences[0].Span);
            default:
                return false;
        }
    }

    /// <summary>
    /// A task that only marks time or a token: <c>Task.Delay</c>, a completion source's <c>Task</c>, a task made from a
    /// token (<c>ct.WhenCancelled()</c>), <c>Task.WhenAll</c>/<c>WhenAny</c> of those, or a local initialized with one
    /// and never assigned again (<c>var gracePeriod = Task.WhenAll(Task.Delay(t), ct.WhenCancelled());</c>).
    /// </summary>
    private static bool IsSignal(IOperation operation, IInvocationOperation whenAny, KnownTypes types, int depth)
    {
        switch (operation.WalkDownConversions())
        {
            case IInvocationOperation { TargetMethod.Name: "Delay" } delay when delay.TargetMethod.ContainingType.Is(types.Task):
                return true;
            case IPropertyReferenceOperation { Property.Name: "Task", Instance: { } source }
                when source.Type.Is(types.TaskCompletionSource) || source.Type.Is(types.TaskCompletionSourceOfT):
                return true;
            case IInvocationOperation { TargetMethod: { IsExtensionMethod: true } method } fromToken
                when method.Parameters.Length == 1 && method.Parameters[0].Type.Is(types.CancellationToken) && fromToken.Type.InheritsFromOrEquals(types.Task):
                return true;
            case IInvocationOperation { TargetMethod.Name: "WhenAll" or "WhenAny" } join when join.TargetMethod.ContainingType.Is(types.Task) && depth < 3:
                var any = false;
                foreach (var argument in join.Arguments)
                {
                    var value = argument.Value.WalkDownConversions();
                    var elements = value.Type.InheritsFromOrEquals(types.Task) ? ImmutableArray.Create(value)
                        : value is IArrayCreationOperation { Initializer: { } initializer } ? initializer.ElementValues
                        : value.ChildOperations.ToImmutableArray(); // a params collection (no operation kind in Roslyn 4.8)
                    foreach (var element in elements)
                    {
                        if (!IsSignal(element, whenAny, types, depth + 1))
                        {
                            return false;
                        }

                        any = true;
                    }
                }

                return any;
            case ILocalReferenceOperation { Local: var local } when depth < 3 && whenAny.GetEnclosingFunction() is { } root:
                return local.InitializerOf(root, notReassigned: true) is { } initial && IsSignal(initial, whenAny, types, depth + 1);
            default:
                return false;
        }
    }

    /// <summary>
    /// <c>var update = UpdateAsync(); update.Ignore(); await Task.WhenAny(Task.Delay(500), update);</c>: before the wait,
    /// the task was handed to a <c>void</c> extension of its own (<c>Ignore()</c>, <c>Forget()</c>), which takes charge of
    /// its fault; the wait only bounds how long to give it.
    /// </summary>
    private static bool IsHandedToFaultObserver(ILocalSymbol local, IInvocationOperation whenAny, KnownTypes types)
    {
        var root = whenAny.GetEnclosingFunction();
        if (root is null)
        {
            return false;
        }

        var start = whenAny.Syntax.SpanStart;
        foreach (var operation in root.EnumerateDescendants())
        {
            if (operation is IInvocationOperation { TargetMethod: { IsExtensionMethod: true, ReturnsVoid: true } method, Arguments.Length: 1 } observer &&
                observer.Syntax.SpanStart < start && observer.Parent is IExpressionStatementOperation &&
                method.Parameters[0].Type.InheritsFromOrEquals(types.Task) &&
                observer.Arguments[0].Value.WalkDownConversions() is ILocalReferenceOperation reference &&
                SymbolEqualityComparer.Default.Equals(reference.Local, local))
            {
                return true;
            }
        }

        return false;
    }

    private static ISymbol? Referenced(IOperation operation) => operation switch
    {
        ILocalReferenceOperation local => local.Local,
        IFieldReferenceOperation field => field.Field,
        IParameterReferenceOperation parameter => parameter.Parameter,
        IPropertyReferenceOperation { Property.IsStatic: false, Instance: IInstanceReferenceOperation } property => property.Property,
        _ => null,
    };
}
