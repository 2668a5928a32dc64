using System.Collections.Immutable;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Locking;

/// <summary>
/// CONC204: an explicit acquire (Monitor.Enter, Lock.Enter, SpinLock.Enter, Mutex.WaitOne, ReaderWriterLockSlim.Enter*,
/// SemaphoreSlim.Wait/WaitAsync, or a successful TryEnter) whose release in the same method is not in a <c>finally</c>
/// covering the region.
/// </summary>
public sealed class LockReleaseNotGuaranteedAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property: <see cref="FixLock"/> or <see cref="FixFinally"/> when a fix applies.</summary>
    public const string FixProperty = "Fix";
    public const string FixLock = "Lock";
    public const string FixFinally = "Finally";

    /// <summary>Diagnostic property: how many statements after the acquire the release statement is.</summary>
    public const string DistanceProperty = "Distance";

    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        RuleIds.LockReleaseNotGuaranteed,
        "Lock release is not guaranteed",
        "'{0}' is released outside a finally block: an exception before the release leaves it held forever",
        DiagnosticSeverity.Warning,
        "When the code between an explicit acquire and its release throws (or returns early), the release never runs and " +
        "every later caller waits forever. Put the release in a finally block right after the acquire, or use the lock " +
        "statement, which does that for Monitor.");

    internal static readonly DiagnosticDescriptor OtherThreadRule = RuleDescriptors.Create(
        RuleIds.LockReleaseNotGuaranteed,
        "Lock release is not guaranteed",
        "'{0}' is released only in work started by {1}, which runs on another thread: a {2} can only be released by the thread that took it, so that release throws and the lock stays held",
        DiagnosticSeverity.Warning,
        "When the code between an explicit acquire and its release throws (or returns early), the release never runs and " +
        "every later caller waits forever. Put the release in a finally block right after the acquire, or use the lock " +
        "statement, which does that for Monitor.");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Rule, OtherThreadRule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var types = KnownTypes.For(start.Compilation);
            if (types.Monitor is null)
            {
                return;
            }

            start.RegisterInvocationAction(c => Analyze(c, types), LockApis.MethodNames);
        });
    }

    private static void Analyze(OperationAnalysisContext context, KnownTypes types)
    {
        var invocation = (IInvocationOperation)context.Operation;
        if (!LockApis.TryGetLockCall(invocation, types, out var call) || call.IsScope || call.Key is not { } key)
        {
            return;
        }

        IOperation region;
        IExpressionStatementOperation? statement = null;
        IConditionalOperation? guard = null;
        if (call.Action == LockAction.Acquire)
        {
            var parent = invocation.WalkUpConversions();
            if (parent is IAwaitOperation)
            {
                parent = parent.WalkUpConversions();
            }

            if (parent is not IExpressionStatementOperation { Parent: IBlockOperation } expressionStatement)
            {
                return;
            }

            statement = expressionStatement;
            region = expressionStatement.Parent!;
        }
        else if (call.Action == LockAction.TryAcquire && call.LockTaken is null &&
                 IsConditionOf(invocation, out var conditional))
        {
            region = conditional.WhenTrue;
        }
        else if (call.Action == LockAction.TryAcquire && call.LockTaken is null &&
                 IsNegatedGuardOf(invocation, out guard))
        {
            // if (!Monitor.TryEnter(x, t)) return false; …: the rest of the block runs with the lock held.
            region = guard!.Parent!;
        }
        else
        {
            return;
        }

        if (IsInsideTryReleasing(invocation, key, types) ||
            (statement is not null && FollowedByTryReleasing((IBlockOperation)region, statement, key, types)) ||
            (guard is not null && FollowedByTryReleasing((IBlockOperation)region, guard, key, types)) ||
            (statement is null && guard is null && ContainsTryReleasing(region, key, types)))
        {
            return;
        }

        var function = invocation.GetEnclosingFunction();
        if (function is not null && statement is not null && IsThreadAffine(call.Kind) &&
            ReleasedOnlyInSpawnedWork(function, invocation, key, types) is { } spawned)
        {
            context.ReportDiagnostic(Diagnostic.Create(
                OtherThreadRule, invocation.Syntax.GetLocation(), LockApis.Describe(call.LockExpression), spawned.Spawner, KindName(call.Kind)));
            return;
        }

        if (function is null || !HasUnprotectedRelease(function, invocation, key, types, out var release) ||
            (statement is not null && ReleasedBeforeAnythingCanThrow(statement, key, types)) ||
            (call.Kind == LockKind.SemaphoreSlim && LockApis.IsCreatedEmpty(key)))
        {
            return; // new SemaphoreSlim(0): a signal handed back (`Release()` to put the item back), not a lock left held
        }

        var properties = ImmutableDictionary<string, string?>.Empty;
        if (statement is not null && FixShape(statement, (IBlockOperation)region, call, key, types) is { } fix)
        {
            properties = properties.Add(FixProperty, fix.Kind).Add(DistanceProperty, fix.Distance.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        context.ReportDiagnostic(Diagnostic.Create(Rule, invocation.Syntax.GetLocation(), properties, LockApis.Describe(call.LockExpression)));
    }

    /// <summary>
    /// <c>if (!Monitor.TryEnter(x, t)) { return false; }</c> (or <c>!await sem.WaitAsync(t)</c>) as a statement of a
    /// block, with no <c>else</c> and a branch that ends in <c>return</c> or <c>throw</c>.
    /// </summary>
    private static bool IsNegatedGuardOf(IOperation invocation, out IConditionalOperation? guard)
    {
        guard = null;
        var current = invocation;
        var parent = current.WalkUpConversions();
        if (parent is IAwaitOperation)
        {
            current = parent;
            parent = parent.WalkUpConversions();
        }

        if (parent is not IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not ||
            not.WalkUpConversions() is not IConditionalOperation { WhenFalse: null, WhenTrue: { } whenTrue, Parent: IBlockOperation } found ||
            !ReferenceEquals(found.Condition.WalkDownConversions(), not))
        {
            return false;
        }

        var last = whenTrue;
        while (last is IBlockOperation { Operations.Length: > 0 } block)
        {
            last = block.Operations[block.Operations.Length - 1];
        }

        if (last is IReturnOperation { Kind: OperationKind.Return } or IThrowOperation or IExpressionStatementOperation { Operation: IThrowOperation })
        {
            guard = found;
            return true;
        }

        return false;
    }

    private static bool IsConditionOf(IOperation invocation, out IConditionalOperation conditional)
    {
        var current = invocation;
        var parent = current.WalkUpConversions();
        if (parent is IAwaitOperation)
        {
            current = parent;
            parent = parent.WalkUpConversions();
        }

        if (parent is IConditionalOperation found && found.Condition.WalkDownConversions() is var condition &&
            (ReferenceEquals(condition, current) || ReferenceEquals(condition, invocation)) && found.WhenTrue is not null)
        {
            conditional = found;
            return true;
        }

        conditional = null!;
        return false;
    }

    private static bool IsInsideTryReleasing(IOperation operation, ISymbol key, KnownTypes types)
    {
        var child = operation;
        for (var parent = operation.Parent; parent is not null; child = parent, parent = parent.Parent)
        {
            if (parent is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return false;
            }

            if (parent is ITryOperation { Finally: { } finallyBlock } tryOperation && ReferenceEquals(tryOperation.Body, child) &&
                LockRegions.Releases(finallyBlock, key, types))
            {
                return true;
            }
        }

        return false;
    }

    private static bool FollowedByTryReleasing(IBlockOperation block, IOperation statement, ISymbol key, KnownTypes types)
    {
        var index = block.Operations.IndexOf(statement);
        for (var i = index + 1; i < block.Operations.Length; i++)
        {
            var next = block.Operations[i];
            if (next is ITryOperation { Finally: { } finallyBlock } && LockRegions.Releases(finallyBlock, key, types))
            {
                return true;
            }

            // An early exit that releases first (if (closed) { Monitor.Exit(x); return; }) before the try is fine.
            if (LockRegions.Releases(next, key, types) && !IsReleasingEarlyExit(next, key, types))
            {
                return false;
            }
        }

        return false;
    }

    /// <summary><c>if (...) { ...; release; return/throw; }</c> with no <c>else</c>: the branch releases and leaves.</summary>
    private static bool IsReleasingEarlyExit(IOperation statement, ISymbol key, KnownTypes types)
    {
        if (statement is not IConditionalOperation { WhenFalse: null, WhenTrue: { } whenTrue })
        {
            return false;
        }

        var last = whenTrue;
        while (last is IBlockOperation { Operations.Length: > 0 } block)
        {
            last = block.Operations[block.Operations.Length - 1];
        }

        return last is IReturnOperation { Kind: OperationKind.Return } or IThrowOperation or IExpressionStatementOperation { Operation: IThrowOperation } &&
               LockRegions.Releases(whenTrue, key, types);
    }

    private static bool ContainsTryReleasing(IOperation region, ISymbol key, KnownTypes types)
    {
        foreach (var descendant in region.EnumerateDescendantsAndSelf())
        {
            if (descendant.Kind == OperationKind.Try && descendant is ITryOperation { Finally: { } finallyBlock } && LockRegions.Releases(finallyBlock, key, types))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsThreadAffine(LockKind kind) => kind is LockKind.Monitor or LockKind.Mutex or LockKind.Lock or LockKind.ReaderWriterLockSlim;

    private static string KindName(LockKind kind) => kind switch
    {
        LockKind.Mutex => "Mutex",
        LockKind.ReaderWriterLockSlim => "ReaderWriterLockSlim",
        LockKind.Lock => "Lock",
        _ => "Monitor lock",
    };

    /// <summary>
    /// The acquire's only releases (after it) are in a lambda that runs on another thread (a thread, the thread pool,
    /// <c>Task.Run</c>, a timer or continuation) and does not take the lock itself: the thread-affine lock is handed to
    /// a thread that cannot release it. A release in the acquiring function itself (protected or not) is the other
    /// checks' business, and a hand-off to a helper method or an inline lambda stays silent.
    /// </summary>
    private static ConcurrentContext? ReleasedOnlyInSpawnedWork(IOperation function, IOperation acquire, ISymbol key, KnownTypes types)
    {
        ConcurrentContext? spawned = null;
        foreach (var descendant in function.EnumerateDescendants())
        {
            if (descendant.Kind != OperationKind.Invocation || descendant is not IInvocationOperation candidate ||
                candidate.Syntax.SpanStart <= acquire.Syntax.SpanStart ||
                !LockApis.TryGetLockCall(candidate, types, out var call) ||
                !SymbolEqualityComparer.Default.Equals(call.Key, key))
            {
                continue;
            }

            var enclosing = candidate.GetEnclosingFunction();
            if (ReferenceEquals(enclosing, function))
            {
                return null;
            }

            if (call.Action != LockAction.Release)
            {
                continue;
            }

            if (spawned is null &&
                enclosing is IAnonymousFunctionOperation lambda &&
                ReferenceEquals(lambda.GetEnclosingFunction(), function) &&
                !AcquiresInside(lambda, key, types) &&
                ConcurrentContexts.Classify(lambda, types) is { Kind: SpawnKind.TaskRun or SpawnKind.StartNew or SpawnKind.NewTask or SpawnKind.Thread or SpawnKind.ThreadPool or SpawnKind.Timer or SpawnKind.Continuation } context)
            {
                spawned = context;
            }
        }

        return spawned;
    }

    private static bool AcquiresInside(IOperation lambda, ISymbol key, KnownTypes types)
    {
        foreach (var descendant in lambda.EnumerateDescendants())
        {
            if (descendant.Kind == OperationKind.Invocation && descendant is IInvocationOperation candidate &&
                LockApis.TryGetLockCall(candidate, types, out var call) &&
                call.Action is LockAction.Acquire or LockAction.TryAcquire &&
                SymbolEqualityComparer.Default.Equals(call.Key, key))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// A release of <paramref name="key"/> in the same function (not in a lambda), after the acquire, that is not inside a
    /// finally block. A release before it (<c>Monitor.Exit(_sync); Monitor.Enter(_sync);</c>, which lets others in and
    /// takes the caller's lock back) is the caller's business.
    /// </summary>
    private static bool HasUnprotectedRelease(IOperation function, IOperation acquire, ISymbol key, KnownTypes types, out IInvocationOperation? release)
    {
        release = null;
        foreach (var descendant in function.EnumerateDescendants())
        {
            if (descendant.Kind == OperationKind.Invocation && descendant is IInvocationOperation candidate &&
                LockApis.TryGetLockCall(candidate, types, out var call) &&
                call.Action == LockAction.Release &&
                SymbolEqualityComparer.Default.Equals(call.Key, key) &&
                candidate.Syntax.SpanStart > acquire.Syntax.SpanStart &&
                ReferenceEquals(candidate.GetEnclosingFunction(), function) &&
                !IsInFinally(candidate) && !IsInRethrowingCatch(candidate))
            {
                release = candidate;
                return true;
            }
        }

        return false;
    }

    private enum PathEnd
    {
        Released,
        FallsThrough,
        MayThrow,
    }

    /// <summary>
    /// Every path from the acquire statement reaches a release of <paramref name="key"/> through statements that cannot
    /// throw: plain assignments and declarations of locals, parameters, constants and the type's own fields, and
    /// <c>if</c>s on such values (<c>Monitor.Enter(_sync); if (!_starting) { var again = _stopping; _stopping = true;
    /// Monitor.Exit(_sync); … } Monitor.Exit(_sync);</c>, or <c>Monitor.Enter(_sync); Monitor.Exit(_sync);</c> as a
    /// barrier). Nothing can leave the lock held, so no <c>finally</c> is needed. The path leaves the acquire's block
    /// only through the end of an <c>if</c> branch.
    /// </summary>
    private static bool ReleasedBeforeAnythingCanThrow(IOperation acquire, ISymbol key, KnownTypes types)
    {
        var statement = acquire;
        for (var depth = 0; depth < 4 && statement.Parent is IBlockOperation block; depth++)
        {
            var end = Scan(block, block.Operations.IndexOf(statement) + 1, key, types, 0);
            if (end != PathEnd.FallsThrough)
            {
                return end == PathEnd.Released;
            }

            // The end of an if branch: go on after the if.
            if (block.Parent is not IConditionalOperation { Parent: IBlockOperation } conditional ||
                !(ReferenceEquals(conditional.WhenTrue, block) || ReferenceEquals(conditional.WhenFalse, block)))
            {
                return false;
            }

            statement = conditional;
        }

        return false;
    }

    private static PathEnd Scan(IBlockOperation block, int from, ISymbol key, KnownTypes types, int depth)
    {
        for (var i = from; i < block.Operations.Length; i++)
        {
            var next = block.Operations[i];
            if (LockRegions.TryGetStatementCall(next, types, out var call, out _) && next is IExpressionStatementOperation)
            {
                return call.Action == LockAction.Release && SymbolEqualityComparer.Default.Equals(call.Key, key) ? PathEnd.Released : PathEnd.MayThrow;
            }

            switch (next)
            {
                case IExpressionStatementOperation { Operation: ISimpleAssignmentOperation assignment }
                    when IsPlainStorage(assignment.Target) && CannotThrow(assignment.Value):
                    continue;
                case IVariableDeclarationGroupOperation group when DeclaresPlainly(group):
                    continue;
                case IConditionalOperation { Condition: { } condition } conditional when depth < 3 && CannotThrow(condition):
                    var whenTrue = Branch(conditional.WhenTrue, key, types, depth);
                    var whenFalse = conditional.WhenFalse is null ? PathEnd.FallsThrough : Branch(conditional.WhenFalse, key, types, depth);
                    if (whenTrue == PathEnd.MayThrow || whenFalse == PathEnd.MayThrow)
                    {
                        return PathEnd.MayThrow;
                    }

                    if (whenTrue == PathEnd.Released && whenFalse == PathEnd.Released)
                    {
                        return PathEnd.Released;
                    }

                    // A branch that released goes on without the lock (or returns); the rest of the method is not
                    // followed for it, and only paths still holding the lock continue here.
                    continue;
                default:
                    return PathEnd.MayThrow;
            }
        }

        return PathEnd.FallsThrough;
    }

    private static PathEnd Branch(IOperation branch, ISymbol key, KnownTypes types, int depth)
        => branch is IBlockOperation block ? Scan(block, 0, key, types, depth + 1) : PathEnd.MayThrow;

    private static bool DeclaresPlainly(IVariableDeclarationGroupOperation group)
    {
        foreach (var declaration in group.Declarations)
        {
            foreach (var declarator in declaration.Declarators)
            {
                if (declarator.Initializer is { } initializer && !CannotThrow(initializer.Value))
                {
                    return false;
                }
            }

            if (declaration.Initializer is { } shared && !CannotThrow(shared.Value))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsPlainStorage(IOperation target)
        => target is ILocalReferenceOperation or IParameterReferenceOperation ||
           target is IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation };

    private static bool CannotThrow(IOperation value)
    {
        value = value.WalkDownConversions();
        return value switch
        {
            ILiteralOperation or ILocalReferenceOperation or IParameterReferenceOperation or IDefaultValueOperation => true,
            IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } => true,
            IUnaryOperation { OperatorKind: UnaryOperatorKind.Not, OperatorMethod: null } not => CannotThrow(not.Operand),
            IBinaryOperation { OperatorMethod: null, IsChecked: false } binary =>
                binary.OperatorKind is BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals or BinaryOperatorKind.LessThan or
                    BinaryOperatorKind.LessThanOrEqual or BinaryOperatorKind.GreaterThan or BinaryOperatorKind.GreaterThanOrEqual or
                    BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr &&
                CannotThrow(binary.LeftOperand) && CannotThrow(binary.RightOperand),
            _ => false,
        };
    }

    /// <summary>
    /// <c>catch { _mutex.ReleaseMutex(); throw; }</c>: a release on the failure path only, of a method that otherwise
    /// returns with the lock held for its caller to release (LiteDB's <c>OpenDatabase</c>/<c>CloseDatabase</c> pair).
    /// </summary>
    private static bool IsInRethrowingCatch(IOperation operation)
    {
        for (var parent = operation.Parent; parent is not null; parent = parent.Parent)
        {
            if (parent is ICatchClauseOperation { Handler.Operations: { Length: > 0 } handler })
            {
                return handler[handler.Length - 1] is IThrowOperation or IExpressionStatementOperation { Operation: IThrowOperation };
            }

            if (parent is IAnonymousFunctionOperation or ILocalFunctionOperation or ITryOperation)
            {
                return false;
            }
        }

        return false;
    }

    private static bool IsInFinally(IOperation operation)
    {
        var child = operation;
        for (var parent = operation.Parent; parent is not null; child = parent, parent = parent.Parent)
        {
            if (parent is ITryOperation tryOperation && ReferenceEquals(tryOperation.Finally, child))
            {
                return true;
            }

            if (parent is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>
    /// The acquire statement is followed, in the same block, by a plain release statement of the same lock, with no
    /// other acquire/release of it in between and no local declared in between that is used after the release.
    /// </summary>
    private static (string Kind, int Distance)? FixShape(IExpressionStatementOperation acquire, IBlockOperation block, LockCall call, ISymbol key, KnownTypes types)
    {
        var index = block.Operations.IndexOf(acquire);
        for (var j = index + 1; j < block.Operations.Length; j++)
        {
            var candidate = block.Operations[j];
            if (LockRegions.TryGetStatementCall(candidate, types, out var releaseCall, out _) &&
                releaseCall.Action == LockAction.Release && SymbolEqualityComparer.Default.Equals(releaseCall.Key, key) &&
                candidate is IExpressionStatementOperation { Operation: IInvocationOperation })
            {
                for (var k = index + 1; k < j; k++)
                {
                    if (MentionsLockCall(block.Operations[k], key, types) || DeclaresLocalUsedAfter(block, k, j))
                    {
                        return null;
                    }
                }

                var canLock = call.Kind == LockKind.Monitor && call.LockTaken is null &&
                              call.LockExpression?.WalkDownConversions().Type is { IsReferenceType: true } &&
                              !ContainsAwaitOrYield(block, index + 1, j);
                return (canLock ? FixLock : FixFinally, j - index);
            }

            if (MentionsLockCall(candidate, key, types))
            {
                return null;
            }
        }

        return null;
    }

    private static bool MentionsLockCall(IOperation operation, ISymbol key, KnownTypes types)
    {
        foreach (var descendant in operation.EnumerateDescendantsAndSelf())
        {
            if (descendant.Kind == OperationKind.Invocation && LockApis.TryGetLockCall((IInvocationOperation)descendant, types, out var call) &&
                SymbolEqualityComparer.Default.Equals(call.Key, key))
            {
                return true;
            }
        }

        return false;
    }

    private static bool DeclaresLocalUsedAfter(IBlockOperation block, int statementIndex, int releaseIndex)
    {
        if (block.Operations[statementIndex] is not IVariableDeclarationGroupOperation group)
        {
            return false;
        }

        var declared = new System.Collections.Generic.HashSet<ILocalSymbol>(SymbolEqualityComparer.Default);
        foreach (var declaration in group.Declarations)
        {
            foreach (var declarator in declaration.Declarators)
            {
                declared.Add(declarator.Symbol);
            }
        }

        for (var i = releaseIndex + 1; i < block.Operations.Length; i++)
        {
            foreach (var descendant in block.Operations[i].EnumerateDescendantsAndSelf())
            {
                if (descendant is ILocalReferenceOperation reference && declared.Contains(reference.Local))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool ContainsAwaitOrYield(IBlockOperation block, int from, int to)
    {
        for (var i = from; i < to; i++)
        {
            foreach (var descendant in block.Operations[i].EnumerateDescendantsAndSelf())
            {
                if (descendant is IAwaitOperation or IReturnOperation { Kind: OperationKind.YieldReturn } or IUsingOperation { IsAsynchronous: true })
                {
                    return true;
                }

                if (descendant is IForEachLoopOperation { IsAsynchronous: true })
                {
                    return true;
                }
            }
        }

        return false;
    }
}
