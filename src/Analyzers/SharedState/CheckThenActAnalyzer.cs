using System.Collections.Concurrent;
using System.Collections.Immutable;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.SharedState;

/// <summary>
/// CONC305: two steps where one atomic step is needed. <c>if (!d.ContainsKey(k)) d[k] = v;</c> and
/// <c>if (!d.TryGetValue(k, out v)) { ...; d.TryAdd(k, v); }</c> on a shared <c>LockedMap</c>;
/// <c>++</c>/<c>+=</c> on a <c>volatile</c> field; a field updated with <c>Interlocked</c> in one place and with a
/// plain read-modify-write in another; an <c>Interlocked.CompareExchange</c> whose result is ignored in a retry loop.
/// </summary>
public sealed partial class CheckThenActAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property: the shape (<c>Dictionary</c>, <c>Volatile</c>, <c>Mixed</c>, <c>CompareExchange</c>).</summary>
    public const string ShapeProperty = "Shape";

    /// <summary>Diagnostic property: the Interlocked method that replaces a plain update (<c>Increment</c>, <c>Decrement</c>, <c>Add</c>).</summary>
    public const string InterlockedProperty = "Interlocked";

    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        RuleIds.CheckThenAct,
        "Check-then-act or mixed atomic/plain access on shared state",
        "'{0}' {1}",
        DiagnosticSeverity.Warning,
        "Each call on a ConcurrentDictionary is atomic, but a check followed by an act is not: another thread can add " +
        "the key between them. 'volatile' makes reads and writes visible, not '++' atomic, and a field updated with " +
        "Interlocked in one place loses updates made plainly in another. Use GetOrAdd/AddOrUpdate, Interlocked, or a lock.");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var types = KnownTypes.For(start.Compilation);
            if (types.Interlocked is null)
            {
                return;
            }

            var concurrentDictionary = types.Get("System.Collections.Concurrent.ConcurrentDictionary`2");
            var producerConsumer = ProducerConsumerCollections(types);
            start.RegisterSymbolStartAction(
                symbolStart =>
                {
                    var atomic = new LockedMap<IFieldSymbol, bool>(SymbolEqualityComparer.Default);
                    // Plain updates of number fields, reported only when the field is also updated with Interlocked (rare):
                    // the diagnostic is made at the end, for those.
                    var plain = new LockedBag<PlainUpdate>();
                    var checks = new LockedBag<(ISymbol Method, bool InFunction, Diagnostic Diagnostic)>();
                    // Which helpers run only under their callers' lock: recorded only in a type where something can
                    // count as locked (the text gate CONC303 uses for the same question); elsewhere none does.
                    var lockHeld = SourceMentions.Any((INamedTypeSymbol)symbolStart.Symbol, LockHeldMethods.LockedNames, types)
                        ? LockHeldMethods.Register(symbolStart, types)
                        : null;
                    symbolStart.RegisterInvocationAction(
                        c => AnalyzeInvocation(c, (IInvocationOperation)c.Operation, types, concurrentDictionary, atomic, checks),
                        InvocationNames);
                    var cache = new ConcurrentContexts.Cache();
                    if (!producerConsumer.IsEmpty)
                    {
                        symbolStart.RegisterInvocationAction(
                            c => AnalyzeCountThenTake(c, (IInvocationOperation)c.Operation, types, producerConsumer, cache, checks),
                            TakeNames);
                    }

                    // One action for both questions asked of every update (one callback per assignment, not two).
                    symbolStart.RegisterOperationAction(
                        c =>
                        {
                            if (concurrentDictionary is not null)
                            {
                                AnalyzeIndexerUpdate(c, types, concurrentDictionary, cache, checks);
                            }

                            AnalyzeUpdate(c, types, plain, cache);
                        },
                        OperationKind.Increment,
                        OperationKind.Decrement,
                        OperationKind.CompoundAssignment,
                        OperationKind.SimpleAssignment);
                    symbolStart.RegisterSymbolEndAction(c =>
                    {
                        // Most types have neither checks nor atomic updates: their bags are not enumerated (a snapshot each).
                        if (!checks.IsEmpty)
                        {
                            // A check-then-act in a helper whose callers all hold the lock is protected by that lock.
                            var held = lockHeld?.Compute() ?? new System.Collections.Generic.HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
                            foreach (var (method, inFunction, diagnostic) in checks)
                            {
                                if (inFunction || !LockHeldMethods.IsLockHeld(held, method))
                                {
                                    c.ReportDiagnostic(diagnostic);
                                }
                            }
                        }

                        if (!atomic.IsEmpty)
                        {
                            foreach (var update in plain)
                            {
                                if (atomic.ContainsKey(update.Field))
                                {
                                    c.ReportDiagnostic(update.CreateDiagnostic());
                                }
                            }
                        }
                    });
                },
                SymbolKind.NamedType);
        });
    }

    /// <summary>The calls <see cref="AnalyzeInvocation"/> looks at: Interlocked updates and ConcurrentDictionary lookups.</summary>
    private static readonly ImmutableHashSet<string> InvocationNames = InvocationActions.Names(
        "Increment", "Decrement", "Add", "Exchange", "CompareExchange", "And", "Or", "ContainsKey", "TryGetValue");

    /// <summary>The takes <see cref="AnalyzeCountThenTake"/> looks at.</summary>
    private static readonly ImmutableHashSet<string> TakeNames = InvocationActions.Names("TryDequeue", "TryPop", "TryTake", "TryPeek");

    private static void AnalyzeInvocation(
        OperationAnalysisContext context,
        IInvocationOperation invocation,
        KnownTypes types,
        INamedTypeSymbol? concurrentDictionary,
        LockedMap<IFieldSymbol, bool> atomic,
        LockedBag<(ISymbol Method, bool InFunction, Diagnostic Diagnostic)> checks)
    {
        // By name first: the dictionary checks are ContainsKey/TryGetValue, which Interlocked has not; every other name
        // routed here (Add is a common one) is asked only whether it is Interlocked's.
        var method = invocation.TargetMethod;
        if (method.Name is not ("ContainsKey" or "TryGetValue") && method.ContainingType.Is(types.Interlocked))
        {
            if (method.Name is "Increment" or "Decrement" or "Add" or "Exchange" or "CompareExchange" or "And" or "Or" &&
                !IsAtomicRead(invocation) && invocation.Arguments.Length > 0 &&
                invocation.Arguments[0].Value.WalkDownConversions() is IFieldReferenceOperation reference &&
                SharedStateFacts.SharedVariable(reference) is IFieldSymbol field)
            {
                atomic.TryAdd(field.OriginalDefinition, true);
            }

            if (method.Name == "CompareExchange" && invocation.Parent is IExpressionStatementOperation &&
                IsInRetryLoop(invocation) && invocation.Arguments.Length > 0 &&
                invocation.Arguments[0].Value.WalkDownConversions() is IFieldReferenceOperation target &&
                !LoopRetestsComparand(invocation, target.Field))
            {
                context.ReportDiagnostic(Diagnostic.Create(
                    Rule,
                    invocation.Syntax.GetLocation(),
                    ImmutableDictionary<string, string?>.Empty.Add(ShapeProperty, "CompareExchange"),
                    target.Field.Name,
                    "is compared and exchanged in a retry loop but the result of Interlocked.CompareExchange is ignored; compare it with the expected value to know whether the exchange happened"));
            }

            return;
        }

        if (concurrentDictionary is not null && method.Name is "ContainsKey" or "TryGetValue" &&
            method.ContainingType?.OriginalDefinition.Is(concurrentDictionary) == true && invocation.Instance is { } receiver &&
            invocation.Arguments.Length > 0 && (IsSharedReceiver(receiver) || IsSharedBySiblings(invocation, receiver, types)))
        {
            if (DictionaryCheck(invocation, receiver, types) is { } diagnostic)
            {
                checks.Enqueue((context.ContainingSymbol, IsInFunction(invocation), diagnostic));
            }
        }
    }

    /// <summary><c>Interlocked.CompareExchange(ref x, 0, 0)</c>: an atomic read, not an update.</summary>
    private static bool IsAtomicRead(IInvocationOperation invocation)
        => invocation.TargetMethod.Name == "CompareExchange" && invocation.Arguments.Length == 3 &&
           invocation.Arguments[1].Value.ConstantValue is { HasValue: true } a && invocation.Arguments[2].Value.ConstantValue is { HasValue: true } b &&
           Equals(a.Value, b.Value);

    /// <summary>A field or property (of this object, another object or a type): state other threads can reach.</summary>
    private static bool IsSharedReceiver(IOperation receiver)
        => receiver.WalkDownConversions() is IFieldReferenceOperation or IPropertyReferenceOperation { Property.IsIndexer: false };

    /// <summary>
    /// A local or parameter captured by a function of which several instances run at once (a <c>Parallel.For</c> body,
    /// async lambdas projected into <c>Task.WhenAll</c>): <c>var seen = new ConcurrentDictionary&lt;..&gt;();
    /// Parallel.ForEach(items, i =&gt; { if (!seen.ContainsKey(i.Key)) seen[i.Key] = i; });</c>. The siblings share it
    /// as if it were a field.
    /// </summary>
    private static bool IsSharedBySiblings(IOperation check, IOperation receiver, KnownTypes types)
        => SharedStateFacts.SharedVariable(receiver) is ILocalSymbol or IParameterSymbol &&
           ConcurrentContexts.FindEnclosing(check, types) is { } context && SharedStateFacts.RunsWithSiblings(context) &&
           !SharedStateFacts.IsDeclaredInside(SharedStateFacts.SharedVariable(receiver)!, context.Function);

    private static bool IsInFunction(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return true;
            }
        }

        return false;
    }

    private static Diagnostic? DictionaryCheck(IInvocationOperation check, IOperation receiver, KnownTypes types)
    {
        // `if (!d.ContainsKey(k)) act;` or `if (d.ContainsKey(k)) { } else act;`
        IOperation condition = check;
        var negated = false;
        while (condition.Parent is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not)
        {
            negated = !negated;
            condition = not;
        }

        if (condition.Parent is not IConditionalOperation conditional || !ReferenceEquals(conditional.Condition, condition))
        {
            return null;
        }

        var branch = negated ? conditional.WhenTrue : conditional.WhenFalse;
        if (LockRegions.IsInsideLock(check, types))
        {
            return null;
        }

        var key = check.Arguments[0].Value.Syntax;
        if (branch is not null)
        {
            return FindAct(check, receiver, key, branch, branch);
        }

        // `if (d.TryGetValue(k, out var v)) return v; v = Create(k); d.TryAdd(k, v); return v;`: the statements after
        // a positive check whose branch always leaves run only when the key was missing, like an else branch. A later
        // statement that checks the key again (the double-checked shape under a lock) ends the search: it decides.
        if (negated || !AlwaysLeaves(conditional.WhenTrue) || conditional.Parent is not IBlockOperation block)
        {
            return null;
        }

        var after = false;
        foreach (var statement in block.Operations)
        {
            if (!after)
            {
                after = ReferenceEquals(statement, conditional);
                continue;
            }

            if (ChecksKey(statement, receiver, key))
            {
                return null;
            }

            if (FindAct(check, receiver, key, statement, block) is { } diagnostic)
            {
                return diagnostic;
            }
        }

        return null;
    }

    /// <summary>A <c>return</c> or <c>throw</c>, alone or as the last statement of a block.</summary>
    private static bool AlwaysLeaves(IOperation branch)
    {
        while (branch is IBlockOperation { Operations.Length: > 0 } block)
        {
            branch = block.Operations[block.Operations.Length - 1];
        }

        return branch is IReturnOperation or IThrowOperation ||
               branch is IExpressionStatementOperation { Operation: IThrowOperation };
    }

    /// <summary>
    /// The operation contains a <c>ContainsKey</c>/<c>TryGetValue</c> of the same key (any key when <paramref name="key"/>
    /// is null) on the same dictionary.
    /// </summary>
    private static bool ChecksKey(IOperation operation, IOperation receiver, SyntaxNode? key)
    {
        foreach (var descendant in operation.EnumerateDescendantsAndSelf())
        {
            if (descendant is IInvocationOperation { TargetMethod.Name: "ContainsKey" or "TryGetValue", Instance: { } instance, Arguments.Length: > 0 } recheck &&
                SameSyntax(instance, receiver) && (key is null || SyntaxFactory.AreEquivalent(recheck.Arguments[0].Value.Syntax, key)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The first act on the checked key in <paramref name="region"/> (the check's branch, or a statement after it).</summary>
    private static Diagnostic? FindAct(IInvocationOperation check, IOperation receiver, SyntaxNode key, IOperation region, IOperation stopAt)
    {
        foreach (var operation in region.EnumerateDescendantsAndSelf())
        {
            if (operation is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                continue;
            }

            string? act = operation switch
            {
                IPropertyReferenceOperation { Property.IsIndexer: true, Instance: { } instance, Arguments.Length: 1 } indexer
                    when operation.Parent is ISimpleAssignmentOperation assignment && ReferenceEquals(assignment.Target, operation) &&
                         SameSyntax(instance, receiver) && SyntaxFactory.AreEquivalent(indexer.Arguments[0].Value.Syntax, key)
                    => "indexer",
                IInvocationOperation { TargetMethod.Name: "TryAdd", Instance: { } instance, Arguments.Length: 2 } tryAdd
                    when check.TargetMethod.Name == "TryGetValue" && operation.Parent is IExpressionStatementOperation &&
                         SameSyntax(instance, receiver) && SyntaxFactory.AreEquivalent(tryAdd.Arguments[0].Value.Syntax, key) &&
                         !StoresNoValueOfItsOwn(tryAdd.Arguments[1].Value, key)
                    => "TryAdd",
                _ => null,
            };
            if (act is null || IsCheckedAgain(operation, stopAt, receiver, key))
            {
                continue;
            }

            var description = act == "indexer"
                ? $"is checked with {check.TargetMethod.Name} and then written with the indexer; another thread can add the key in between and its value is overwritten (use GetOrAdd or TryAdd)"
                : "is checked with TryGetValue and then filled with TryAdd whose result is ignored; when another thread adds the key first, this caller keeps a value that is not the stored one (use GetOrAdd)";
            var location = operation.Parent is ISimpleAssignmentOperation set && act == "indexer" ? set.Syntax.GetLocation() : operation.Syntax.GetLocation();
            return Diagnostic.Create(
                Rule,
                location,
                ImmutableDictionary<string, string?>.Empty.Add(ShapeProperty, "Dictionary"),
                receiver.Syntax.ToString(),
                description);
        }

        return null;
    }

    /// <summary>
    /// <c>d.TryAdd(k, k)</c>, <c>d.TryAdd(k, true)</c>: a dictionary used as a set. Every caller would store the same
    /// value, so the one that loses the race keeps nothing that differs from the stored entry.
    /// </summary>
    private static bool StoresNoValueOfItsOwn(IOperation value, SyntaxNode key)
    {
        value = value.WalkDownConversions();
        return value.ConstantValue.HasValue || value is IDefaultValueOperation ||
               (value is ILocalReferenceOperation or IParameterReferenceOperation or IFieldReferenceOperation or IPropertyReferenceOperation &&
                SyntaxFactory.AreEquivalent(value.Syntax, key));
    }

    /// <summary>
    /// The act sits under a second check of the same key on the same dictionary, nested in this check's branch: the
    /// double-checked shape <c>if (!d.TryGetValue(k, out v)) { lock (g) { if (!d.TryGetValue(k, out v)) d[k] = ...; } }</c>.
    /// That inner check decides: silent under its lock, reported on its own without one. Under a <c>lock</c>, a re-check
    /// of the same dictionary with another key decides too: <c>lock (d) { if (!d.TryGetValue(sorted, out v)) {
    /// d.TryAdd(sorted, v); d.TryAdd(given, v); } }</c> fills the aliases of a key in one critical section, so the
    /// writers are serialized and the outer, unlocked check was only a fast path.
    /// </summary>
    private static bool IsCheckedAgain(IOperation act, IOperation branch, IOperation receiver, SyntaxNode key)
    {
        // The lock counts only around a re-check in the same function (a lambda inside the lock runs later).
        var rechecked = false;
        var crossedFunction = false;
        for (var current = act.Parent; current is not null && !ReferenceEquals(current, branch); current = current.Parent)
        {
            switch (current)
            {
                case IConditionalOperation { Condition: var condition } when ChecksKey(condition, receiver, key):
                    return true;
                case IConditionalOperation { Condition: var condition } when !rechecked && !crossedFunction:
                    rechecked = ChecksKey(condition, receiver, key: null);
                    break;
                case ILockOperation when rechecked:
                    return true;
                case IAnonymousFunctionOperation or ILocalFunctionOperation:
                    crossedFunction = true;
                    rechecked = false;
                    break;
            }
        }

        return false;
    }

    private static bool SameSyntax(IOperation instance, IOperation receiver)
        => SyntaxFactory.AreEquivalent(instance.WalkDownConversions().Syntax, receiver.WalkDownConversions().Syntax);

    /// <summary>The nearest enclosing loop (in the same function) is a <c>while</c> or <c>do</c> loop.</summary>
    /// <summary>
    /// <c>while (Volatile.Read(ref _cache) == null) Interlocked.CompareExchange(ref _cache, new Cache(), null);</c>: the
    /// loop's condition compares the field with the constant the exchange expects, so a failed exchange (another thread
    /// installed its value) ends the loop, and a successful one too. The result is not needed.
    /// </summary>
    private static bool LoopRetestsComparand(IInvocationOperation exchange, IFieldSymbol field)
    {
        if (exchange.Arguments.Length != 3 || exchange.Arguments[2].Value.WalkDownConversions().ConstantValue is not { HasValue: true } expected)
        {
            return false;
        }

        IOperation? loop = exchange.Parent;
        while (loop is not null and not IWhileLoopOperation)
        {
            loop = loop.Parent;
        }

        return loop is IWhileLoopOperation { Condition: IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals } test } &&
               (ReadsField(test.LeftOperand, field) && IsConstant(test.RightOperand, expected.Value) ||
                ReadsField(test.RightOperand, field) && IsConstant(test.LeftOperand, expected.Value));

        static bool IsConstant(IOperation operand, object? expected)
            => operand.WalkDownConversions().ConstantValue is { HasValue: true } constant && Equals(constant.Value, expected);

        static bool ReadsField(IOperation operand, IFieldSymbol field)
        {
            var value = operand.WalkDownConversions();
            if (value is IInvocationOperation { TargetMethod: { Name: "Read", ContainingType.Name: "Volatile" }, Arguments.Length: 1 } read)
            {
                value = read.Arguments[0].Value.WalkDownConversions();
            }

            return value is IFieldReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Field, field);
        }
    }

    private static bool IsInRetryLoop(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case IWhileLoopOperation:
                    return true;
                case ILoopOperation:
                case IAnonymousFunctionOperation:
                case ILocalFunctionOperation:
                    return false;
            }
        }

        return false;
    }

    private static void AnalyzeUpdate(OperationAnalysisContext context, KnownTypes types, LockedBag<PlainUpdate> plain, ConcurrentContexts.Cache cache)
    {
        if (context.Operation is ISimpleAssignmentOperation { Value.ConstantValue: { HasValue: true, Value: true } } raise)
        {
            AnalyzeGuard(context, raise, types, cache);
            return;
        }

        if (context.ContainingSymbol is IMethodSymbol { MethodKind: MethodKind.Constructor or MethodKind.StaticConstructor } ||
            context.ContainingSymbol is not IMethodSymbol ||
            !TryGetUpdate(context.Operation, out var target, out var fix) ||
            target.WalkDownConversions() is not IFieldReferenceOperation reference ||
            SharedStateFacts.SharedVariable(reference) is not IFieldSymbol field ||
            field.IsConst || !IsNumber(field.Type))
        {
            return;
        }

        if (field.IsVolatile)
        {
            if (SharedStateFacts.IsProtected(context.Operation, types, null))
            {
                return;
            }

            context.ReportDiagnostic(Diagnostic.Create(
                Rule,
                context.Operation.Syntax.GetLocation(),
                Properties("Volatile", null),
                field.Name,
                "is volatile, but 'volatile' does not make a read-modify-write atomic; concurrent updates are lost (use Interlocked)"));
            return;
        }

        plain.Enqueue(new PlainUpdate(
            field.OriginalDefinition,
            field.Name,
            context.Operation,
            field.Type.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64 ? fix : null));
    }

    /// <summary>A plain read-modify-write of a number field, kept until the end of the type shows whether the field is also updated with Interlocked.</summary>
    private readonly struct PlainUpdate
    {
        private readonly string _name;
        private readonly IOperation _operation;
        private readonly string? _fix;

        public PlainUpdate(IFieldSymbol field, string name, IOperation operation, string? fix)
        {
            Field = field;
            _name = name;
            _operation = operation;
            _fix = fix;
        }

        public IFieldSymbol Field { get; }

        public Diagnostic CreateDiagnostic() => Diagnostic.Create(
            Rule,
            _operation.Syntax.GetLocation(),
            Properties("Mixed", _fix),
            _name,
            "is updated with Interlocked elsewhere but read, changed and written back plainly here; this update can overwrite a concurrent atomic one (use Interlocked here too)");
    }

    /// <summary>
    /// A re-entry guard made of a plain <c>bool</c> field in concurrent work (a timer callback, a <c>Task.Run</c> or
    /// <c>Parallel</c> body): <c>if (_busy) return; _busy = true;</c> or <c>if (!_busy) { _busy = true; ... }</c>, with
    /// no lock held. The guard exists because runs overlap, and two overlapping runs can both see the flag clear.
    /// Reported at the assignment; no fix (<c>Interlocked.Exchange</c> on an <c>int</c> changes the field's type).
    /// </summary>
    private static void AnalyzeGuard(OperationAnalysisContext context, ISimpleAssignmentOperation raise, KnownTypes types, ConcurrentContexts.Cache cache)
    {
        if (raise.Target is not IFieldReferenceOperation { Field.Type.SpecialType: SpecialType.System_Boolean } reference ||
            SharedStateFacts.SharedVariable(reference) is not IFieldSymbol field ||
            raise.Parent is not IExpressionStatementOperation statement ||
            !IsGuardedBy(statement, field) ||
            ConcurrentContexts.FindEnclosing(raise, types, cache) is not { } work ||
            !SharedStateFacts.IsInConcurrentPart(raise, work) ||
            SharedStateFacts.IsProtected(raise, types, work.Function))
        {
            return;
        }

        context.ReportDiagnostic(Diagnostic.Create(
            Rule,
            raise.Syntax.GetLocation(),
            Properties("Guard", null),
            field.Name,
            "is checked and then set without a lock as a re-entry guard in work that runs concurrently (" + work.Spawner + "); two overlapping runs can both see it clear (use Interlocked.CompareExchange on an int, or a lock)"));
    }

    /// <summary>The statement right after <c>if (flag) return;</c>, or the first statement of <c>if (!flag) { ... }</c>.</summary>
    private static bool IsGuardedBy(IExpressionStatementOperation statement, IFieldSymbol field)
    {
        if (statement.Parent is not IBlockOperation block)
        {
            return false;
        }

        var index = block.Operations.IndexOf(statement);
        if (index > 0)
        {
            return block.Operations[index - 1] is IConditionalOperation { WhenFalse: null } check &&
                   ReadsFlag(check.Condition, field) &&
                   (check.WhenTrue is IReturnOperation || (check.WhenTrue is IBlockOperation { Operations.Length: 1 } then && then.Operations[0] is IReturnOperation));
        }

        return index == 0 && block.Parent is IConditionalOperation outer && ReferenceEquals(outer.WhenTrue, block) &&
               outer.Condition is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not && ReadsFlag(not.Operand, field);
    }

    private static bool ReadsFlag(IOperation condition, IFieldSymbol field)
        => condition.WalkDownConversions() is IFieldReferenceOperation read &&
           SymbolEqualityComparer.Default.Equals(SharedStateFacts.SharedVariable(read), field);

    private static ImmutableDictionary<string, string?> Properties(string shape, string? fix)
    {
        var properties = ImmutableDictionary<string, string?>.Empty.Add(ShapeProperty, shape);
        return fix is null ? properties : properties.Add(InterlockedProperty, fix);
    }

    private static bool TryGetUpdate(IOperation operation, out IOperation target, out string? fix)
    {
        fix = null;
        // By kind (one call, where a failed type test walks the node's interfaces): most updates are simple assignments.
        switch (operation.Kind)
        {
            case OperationKind.Increment or OperationKind.Decrement:
                target = ((IIncrementOrDecrementOperation)operation).Target;
                fix = operation.Kind == OperationKind.Increment ? "Increment" : "Decrement";
                return true;
            case OperationKind.CompoundAssignment
                when operation is ICompoundAssignmentOperation { OperatorMethod: null } compound &&
                     compound.OperatorKind is BinaryOperatorKind.Add or BinaryOperatorKind.Subtract or
                         BinaryOperatorKind.Or or BinaryOperatorKind.And or BinaryOperatorKind.ExclusiveOr or BinaryOperatorKind.Multiply:
                target = compound.Target;
                fix = compound.OperatorKind switch
                {
                    BinaryOperatorKind.Add => "Add",
                    BinaryOperatorKind.Subtract => "Subtract",
                    _ => null,
                };
                return true;
            case OperationKind.SimpleAssignment
                when operation is ISimpleAssignmentOperation { Value: var value } assignment &&
                     value.WalkDownConversions() is IBinaryOperation { OperatorMethod: null } binary &&
                     binary.OperatorKind is BinaryOperatorKind.Add or BinaryOperatorKind.Subtract &&
                     SharedStateFacts.SharedVariable(assignment.Target) is { } variable &&
                     SymbolEqualityComparer.Default.Equals(variable, SharedStateFacts.SharedVariable(binary.LeftOperand)):
                target = assignment.Target;
                return true;
            default:
                target = operation;
                return false;
        }
    }

    private static bool IsNumber(ITypeSymbol type)
        => type.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_UInt32 or
            SpecialType.System_UInt64 or SpecialType.System_Int16 or SpecialType.System_UInt16 or SpecialType.System_Byte or
            SpecialType.System_SByte or SpecialType.System_Single or SpecialType.System_Double;
}
