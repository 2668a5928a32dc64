using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Cancellation;

/// <summary>
/// CONC402: a <c>while</c>/<c>do</c>/<c>for</c> loop that is not counted (constant-true or data-dependent), does slow
/// work (awaits or blocks), and never looks at the token in scope. Loops where some call could take the token are
/// CONC401's (passing it makes the loop observe it); loops in spawned delegates are CONC101's.
/// </summary>
public sealed class LoopIgnoresTokenAnalyzer : DiagnosticAnalyzer
{
    public const string TokenProperty = "Token";

    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        RuleIds.LoopIgnoresToken,
        "Loop never observes the cancellation token",
        "This loop waits or awaits on every pass but never observes '{0}': cancellation cannot stop it",
        DiagnosticSeverity.Warning,
        "A loop that keeps awaiting or blocking without ever checking the token in scope keeps running after its caller " +
        "was cancelled: shutdown hangs until the loop ends by itself, if it ever does. Check the token on each pass.");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Rule);

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

            start.RegisterOperationAction(c => Analyze(c, types), OperationKind.Loop);
        });
    }

    private static void Analyze(OperationAnalysisContext context, KnownTypes types)
    {
        var loop = (ILoopOperation)context.Operation;
        // No token anywhere in the body (answered once per method and body): nothing to observe, no walk of the loop.
        // A loop in a spawned delegate (CONC101's) is left first: that walk up reads kinds and parents only, where
        // the token question also walks up to the root and then looks the body up in a memo.
        // A condition that reads a token (`while (!ct.IsCancellationRequested)`, half the loops that get this far) is a
        // token read of the loop, which the walk below would stop at: it is asked of the condition's few operations
        // before the token question's memo and the loop's walk, which both look the body up.
        if (loop is IForEachLoopOperation || !IsUncounted(loop) || IsInSpawnedDelegate(loop) || ConditionReadsToken(loop, types) ||
            !CancellationTokens.MayHaveTokenInScope(loop, context.ContainingSymbol, types) ||
            DrainsAnEnumerator(loop) || !DoesSlowWorkIgnoringTokens(loop, types) || DrainsACollection(loop) ||
            LoopExits.IsBoundedByClock(loop))
        {
            return;
        }

        var token = TokenNotPassedAnalyzer.ReachableToken(loop, context.ContainingSymbol, types);
        if (token is null || AsksTheTokensCarrier(loop, token) || WalksAChain(loop) || WaitsOnATokensHandle(loop, types) ||
            HasCancellableCall(loop, context.ContainingSymbol, types) ||
            CallsLocalFunctionObservingToken(loop, types) || CancellationTokens.IsKnownNoneAt(loop, token))
        {
            return;
        }

        var keyword = loop.Syntax switch
        {
            WhileStatementSyntax w => w.WhileKeyword.GetLocation(),
            DoStatementSyntax d => d.DoKeyword.GetLocation(),
            ForStatementSyntax f => f.ForKeyword.GetLocation(),
            _ => null,
        };
        if (keyword is null)
        {
            return;
        }

        context.ReportDiagnostic(Diagnostic.Create(
            Rule, keyword, ImmutableDictionary<string, string?>.Empty.Add(TokenProperty, token.ExpressionText), token.ExpressionText));
    }

    private static bool ConditionReadsToken(ILoopOperation loop, KnownTypes types)
    {
        var condition = loop.LoopKind switch
        {
            LoopKind.While => ((IWhileLoopOperation)loop).Condition,
            LoopKind.For => ((IForLoopOperation)loop).Condition,
            _ => null,
        };
        return condition is not null && ReadsToken(condition, types);
    }

    /// <summary>A token read (<see cref="CancellationTokens.IsTokenRead"/>) in <paramref name="operation"/> or below it, walked directly.</summary>
    private static bool ReadsToken(IOperation operation, KnownTypes types)
    {
        if (CancellationTokens.IsTokenRead(operation, types))
        {
            return true;
        }

        foreach (var child in operation.ChildOperations)
        {
            if (ReadsToken(child, types))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// <c>while (await e.MoveNextAsync())</c>: a hand-written <c>await foreach</c>. The token belongs where the enumerator
    /// is made (<c>GetAsyncEnumerator(token)</c>, CONC401's business), not in the loop.
    /// </summary>
    private static bool DrainsAnEnumerator(ILoopOperation loop)
        => loop is IWhileLoopOperation { Condition: { } condition } && CallsMoveNext(condition);

    /// <summary>
    /// A <c>MoveNext</c>/<c>MoveNextAsync</c> call in <paramref name="operation"/> or below it. A condition is a few
    /// operations: they are walked directly, as finding the condition in the body's shared index costs more.
    /// </summary>
    private static bool CallsMoveNext(IOperation operation)
    {
        if (operation.Kind == OperationKind.Invocation && ((IInvocationOperation)operation).TargetMethod.Name is "MoveNextAsync" or "MoveNext")
        {
            return true;
        }

        foreach (var child in operation.ChildOperations)
        {
            if (CallsMoveNext(child))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// <c>while (queue.Count > 0) { var item = queue.Dequeue(); await HandleAsync(item); }</c>: every pass takes an item
    /// out of an in-memory collection (a <c>System.Collections.Generic</c> one, which no other thread feeds without a
    /// lock) and the loop ends when the collection runs out: the removal is the loop's condition
    /// (<c>while (stack.TryPop(out var item))</c>), or it is a statement of the body that runs on every pass and the
    /// loop, which can end (a condition or a <c>break</c>/<c>return</c>), reads the collection somewhere else too (its
    /// <c>Count</c>, its <c>Min</c>). Such a loop is bounded by its input, like a <c>foreach</c>. A removal under an
    /// <c>if</c> or a lock, from a queue of another kind (a channel, a concurrent queue, an interface of the application),
    /// or in a loop whose end does not depend on the collection, stays reported.
    /// </summary>
    private static bool DrainsACollection(ILoopOperation loop)
    {
        if (loop is IWhileLoopOperation { Condition: { } condition })
        {
            foreach (var operation in condition.EnumerateDescendantsAndSelf())
            {
                if (RemovedFrom(operation) is not null)
                {
                    return true;
                }
            }
        }

        if (loop.Body is not IBlockOperation body)
        {
            return false;
        }

        foreach (var statement in body.Operations)
        {
            var removal = statement switch
            {
                IExpressionStatementOperation { Operation: var expression } => expression,
                IVariableDeclarationGroupOperation { Declarations.Length: 1 } group when group.Declarations[0].Declarators.Length == 1 =>
                    group.Declarations[0].Declarators[0].Initializer?.Value.WalkDownConversions(),
                _ => null,
            };
            if (removal is not null && RemovedFrom(removal) is { } collection && CanEnd(loop) && ReadsElsewhere(loop, collection, removal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The collection (a field, local or parameter) an in-memory removal takes from, or null.</summary>
    private static ISymbol? RemovedFrom(IOperation operation)
    {
        if (operation is not IInvocationOperation
            {
                TargetMethod: { Name: "Remove" or "RemoveAt" or "RemoveFirst" or "RemoveLast" or "Dequeue" or "Pop" or "TryDequeue" or "TryPop" } method,
                Instance: { } instance,
            } ||
            method.ContainingType is not { ContainingNamespace: { Name: "Generic", ContainingNamespace: { Name: "Collections", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } } } })
        {
            return null;
        }

        return instance.WalkDownConversions().ReferencedVariable();
    }

    /// <summary>The field, local or parameter a reference reads, or null.</summary>

    /// <summary>A condition that is not constant-true, or a <c>break</c> out of this loop or a <c>return</c> in it.</summary>
    private static bool CanEnd(ILoopOperation loop)
    {
        if (!LoopExits.IsConstantTrueLoop(loop))
        {
            return true;
        }

        foreach (var operation in ConcurrentContexts.DescendantsInSameFunction(loop))
        {
            if (operation is IReturnOperation ||
                operation is IBranchOperation { BranchKind: BranchKind.Break } branch && SymbolEqualityComparer.Default.Equals(branch.Target, loop.ExitLabel))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The loop reads <paramref name="collection"/> outside the removal (the test that ends it, in practice).</summary>
    private static bool ReadsElsewhere(ILoopOperation loop, ISymbol collection, IOperation removal)
    {
        var removalSpan = removal.Syntax.Span;
        foreach (var operation in loop.EnumerateDescendants())
        {
            var referenced = operation.ReferencedVariable();
            if (referenced is not null && SymbolEqualityComparer.Default.Equals(referenced, collection) && !removalSpan.Contains(operation.Syntax.Span))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Not a counted <c>for</c> (<c>i &lt; n</c> with an increment): constant-true, or a data-dependent condition.</summary>
    private static bool IsUncounted(ILoopOperation loop)
    {
        switch (loop)
        {
            case IForLoopOperation forLoop:
                return forLoop.Condition is null || forLoop.Condition.ConstantValue is { HasValue: true, Value: true } || forLoop.AtLoopBottom.IsEmpty;
            case IWhileLoopOperation whileLoop:
                return whileLoop.Condition is not null;
            default:
                return false;
        }
    }

    /// <summary>
    /// The loop awaits, sleeps or blocks (the kind of loop that can run for a long time) and reads no token or token
    /// source anywhere (<see cref="CancellationTokens.ObservesToken(IOperation, KnownTypes)"/>): one walk for both
    /// questions, which ends at the first token read (most loops with a token in scope test it in their condition).
    /// </summary>
    private static bool DoesSlowWorkIgnoringTokens(ILoopOperation loop, KnownTypes types)
    {
        var slow = false;
        foreach (var operation in loop.EnumerateDescendantsAndSelf())
        {
            if (CancellationTokens.IsTokenRead(operation, types))
            {
                return false;
            }

            // By kind: most operations are neither.
            switch (operation.Kind)
            {
                case OperationKind.Await:
                    slow = true;
                    break;
                case OperationKind.Invocation when !slow && IsBlockingWait(((IInvocationOperation)operation).TargetMethod, types):
                    slow = true;
                    break;
            }
        }

        return slow;
    }

    private static bool IsBlockingWait(IMethodSymbol method, KnownTypes types)
    {
        var type = method.ContainingType;
        return method.Name switch
        {
            "Sleep" => type.Is(types.Thread),
            "Wait" or "WaitAll" or "WaitAny" => type.InheritsFromOrEquals(types.Task) || type.InheritsFromOrEquals(types.WaitHandle),
            "WaitOne" => type.InheritsFromOrEquals(types.WaitHandle),
            "Join" => type.Is(types.Thread),
            "GetResult" => type.Name is "TaskAwaiter" or "ValueTaskAwaiter",
            _ => false,
        };
    }

    /// <summary>
    /// The token is a property of a context parameter (<c>context.CancellationToken</c>) and the loop asks that context
    /// whether it is stopping: a <c>bool</c> property of it (<c>while (!context.IsStopping)</c>) or a <c>ThrowIf…</c>
    /// method (<c>context.ThrowIfStopping()</c>). Such members exist to wrap the token. Asked only of loops about to be reported.
    /// </summary>
    private static bool AsksTheTokensCarrier(ILoopOperation loop, TokenInScope token)
    {
        if (token.Kind != TokenSourceKind.ParameterProperty)
        {
            return false;
        }

        foreach (var operation in loop.EnumerateDescendants())
        {
            var carrier = operation switch
            {
                IPropertyReferenceOperation { Property.Type.SpecialType: SpecialType.System_Boolean, Instance: IParameterReferenceOperation instance } => instance.Parameter,
                IInvocationOperation { Instance: IParameterReferenceOperation instance } call when call.TargetMethod.Name.StartsWith("ThrowIf", StringComparison.Ordinal) => instance.Parameter,
                _ => null,
            };
            if (carrier is not null && SymbolEqualityComparer.Default.Equals(carrier, token.Symbol))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// <c>WaitHandle.WaitAny(handles)</c> (or <c>WaitAll</c>) in the loop, over an array that holds a token's
    /// <c>WaitHandle</c>: written in the call, or a local built before the loop (<c>var handles = new[] { _work,
    /// ct.WaitHandle };</c>). The wait wakes when the token is cancelled: the pre-async way to observe it. Asked only of
    /// loops about to be reported.
    /// </summary>
    private static bool WaitsOnATokensHandle(ILoopOperation loop, KnownTypes types)
    {
        foreach (var operation in loop.EnumerateDescendants())
        {
            if (operation is not IInvocationOperation { TargetMethod: { IsStatic: true, Name: "WaitAny" or "WaitAll" } method, Arguments: { Length: > 0 } arguments } ||
                !method.ContainingType.Is(types.WaitHandle))
            {
                continue;
            }

            var handles = arguments[0].Value.WalkDownConversions();
            if (handles is ILocalReferenceOperation local)
            {
                handles = local.Local.InitializerOf(loop.GetRoot());
            }

            if (handles is IArrayCreationOperation { Initializer: { } initializer } && HoldsATokensHandle(initializer, types))
            {
                return true;
            }
        }

        return false;

        static bool HoldsATokensHandle(IArrayInitializerOperation initializer, KnownTypes types)
        {
            foreach (var element in initializer.ElementValues)
            {
                if (element.WalkDownConversions() is IPropertyReferenceOperation { Property.Name: "WaitHandle", Instance: { } instance } &&
                    instance.Type.Is(types.CancellationToken))
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>
    /// <c>while (state != null &amp;&amp; ...) { await state.Raise(...); state = state.SuperState; }</c>: the loop walks a chain
    /// of objects (parents, super-states, linked nodes), ending at its null end; its last statement moves the local the
    /// condition tests for null to a member of that same local. Bounded by the chain, like a <c>foreach</c> over it.
    /// Asked only of loops about to be reported.
    /// </summary>
    private static bool WalksAChain(ILoopOperation loop)
    {
        if (loop is not IWhileLoopOperation { Condition: { } condition, Body: IBlockOperation { Operations: { Length: > 0 } statements } } ||
            statements[statements.Length - 1] is not IExpressionStatementOperation
            {
                Operation: ISimpleAssignmentOperation { Target: ILocalReferenceOperation { Local: var cursor }, Value: var next },
            } ||
            next.WalkDownConversions() is not IMemberReferenceOperation { Instance: ILocalReferenceOperation from } ||
            next.WalkDownConversions() is not (IPropertyReferenceOperation or IFieldReferenceOperation) ||
            !SymbolEqualityComparer.Default.Equals(from.Local, cursor) ||
            loop.Body.EnumerateDescendants().Any(o => o is IBranchOperation { BranchKind: BranchKind.Continue }))
        {
            return false;
        }

        return TestsNotNull(condition, cursor);

        static bool TestsNotNull(IOperation test, ILocalSymbol cursor)
        {
            switch (test.WalkDownConversions())
            {
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd } both:
                    return TestsNotNull(both.LeftOperand, cursor) || TestsNotNull(both.RightOperand, cursor);
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.NotEquals } comparison:
                    return IsCursor(comparison.LeftOperand, cursor) && IsNull(comparison.RightOperand) ||
                           IsCursor(comparison.RightOperand, cursor) && IsNull(comparison.LeftOperand);
                case IIsPatternOperation { Pattern: INegatedPatternOperation { Pattern: IConstantPatternOperation { Value: var constant } } } pattern:
                    return IsCursor(pattern.Value, cursor) && IsNull(constant);
                default:
                    return false;
            }
        }

        static bool IsCursor(IOperation operand, ILocalSymbol cursor)
            => operand.WalkDownConversions() is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, cursor);

        static bool IsNull(IOperation operand)
            => operand.WalkDownConversions().ConstantValue is { HasValue: true, Value: null };
    }

    /// <summary>Some call inside could take the token: CONC401 reports it, and passing it fixes this loop too.</summary>
    private static bool HasCancellableCall(ILoopOperation loop, ISymbol owner, KnownTypes types)
    {
        foreach (var operation in loop.EnumerateDescendants())
        {
            if (operation is IInvocationOperation invocation && TokenNotPassedAnalyzer.Find(invocation, owner, types) is not null)
            {
                return true;
            }

            if (operation is IForEachLoopOperation { IsAsynchronous: true } ||
                operation is IInvocationOperation { TargetMethod.Name: "WaitForNextTickAsync" }) // CONC108's
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The loop calls a local function that reads a token it does not take as a parameter: the one it captured from the
    /// enclosing method (<c>var item = await NextAsync();</c> with <c>NextAsync() => reader.ReadAsync(ct)</c>). The loop
    /// observes the token through that call. Only reached for loops about to be reported, so the walk of the method's
    /// tree to find the local functions stays off the hot path.
    /// </summary>
    private static bool CallsLocalFunctionObservingToken(ILoopOperation loop, KnownTypes types)
    {
        HashSet<IMethodSymbol>? called = null;
        foreach (var operation in loop.EnumerateDescendants())
        {
            if (operation is IInvocationOperation { TargetMethod: { MethodKind: MethodKind.LocalFunction } target })
            {
                (called ??= new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default)).Add(target.OriginalDefinition);
            }
        }

        if (called is null)
        {
            return false;
        }

        foreach (var operation in loop.GetRoot().EnumerateDescendants())
        {
            if (operation is ILocalFunctionOperation local && called.Contains(local.Symbol.OriginalDefinition) &&
                ReadsCapturedToken(local, types))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A token read in the local function's body that is not one of its own parameters.</summary>
    private static bool ReadsCapturedToken(ILocalFunctionOperation local, KnownTypes types)
    {
        foreach (var operation in local.EnumerateDescendants())
        {
            if (CancellationTokens.IsTokenRead(operation, types) &&
                !(operation is IParameterReferenceOperation parameter &&
                  SymbolEqualityComparer.Default.Equals(parameter.Parameter.ContainingSymbol, local.Symbol)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Inside a delegate handed to Task.Run / StartNew / new Thread / ThreadPool: CONC101 owns that loop.</summary>
    private static bool IsInSpawnedDelegate(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current.Kind != OperationKind.AnonymousFunction || current is not IAnonymousFunctionOperation lambda)
            {
                continue;
            }

            var parent = lambda.WalkUpConversions();
            if (parent is IDelegateCreationOperation)
            {
                parent = parent.WalkUpConversions();
            }

            switch (parent)
            {
                case IArgumentOperation { Parent: IInvocationOperation invocation }
                    when invocation.TargetMethod.Name is "Run" or "StartNew" or "QueueUserWorkItem" or "UnsafeQueueUserWorkItem":
                    return true;
                case IArgumentOperation { Parent: IObjectCreationOperation creation } when creation.Type?.Name == "Thread":
                    return true;
            }
        }

        return false;
    }
}
