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
/// CONC305's compound shapes on concurrent collections: <c>d[k]++</c>, <c>d[k] += n</c>, <c>d[k] = d[k] + n</c>,
/// <c>d[k] = d.GetValueOrDefault(k) + n</c> on a shared <c>ConcurrentDictionary</c> (two steps, lost updates), and
/// <c>if (q.Count &gt; 0) q.TryDequeue(out var x);</c> with the result ignored and <c>x</c> used (another consumer can
/// take the last item between the test and the take, and <c>x</c> is then the default value).
/// </summary>
public sealed partial class CheckThenActAnalyzer
{
    /// <summary>Diagnostic property for the dictionary read-modify-write: the key's new value is <c>GetValueOrDefault(k) + n</c> (an AddOrUpdate is exact).</summary>
    public const string AddOrUpdateProperty = "AddOrUpdate";

    private static ImmutableHashSet<INamedTypeSymbol> ProducerConsumerCollections(KnownTypes types)
    {
        var builder = ImmutableHashSet.CreateBuilder<INamedTypeSymbol>(SymbolEqualityComparer.Default);
        foreach (var name in new[]
                 {
                     "System.Collections.Concurrent.ConcurrentQueue`1",
                     "System.Collections.Concurrent.ConcurrentStack`1",
                     "System.Collections.Concurrent.ConcurrentBag`1",
                 })
        {
            if (types.Get(name) is { } type)
            {
                builder.Add(type);
            }
        }

        return builder.ToImmutable();
    }

    // ---- d[k]++ / d[k] += n / d[k] = d[k] + n on a ConcurrentDictionary ----

    private static void AnalyzeIndexerUpdate(
        OperationAnalysisContext context,
        KnownTypes types,
        INamedTypeSymbol concurrentDictionary,
        ConcurrentContexts.Cache cache,
        LockedBag<(ISymbol Method, bool InFunction, Diagnostic Diagnostic)> checks)
    {
        var operation = context.Operation;
        IOperation target;
        var exact = false;
        // By kind (one call, where a failed type test walks the node's interfaces): most updates are simple
        // assignments, and most targets are not properties.
        switch (operation.Kind)
        {
            case OperationKind.Increment or OperationKind.Decrement:
                target = ((IIncrementOrDecrementOperation)operation).Target;
                break;
            case OperationKind.CompoundAssignment:
                target = ((ICompoundAssignmentOperation)operation).Target;
                break;
            case OperationKind.SimpleAssignment
                when operation is ISimpleAssignmentOperation { Target.Kind: OperationKind.PropertyReference } assignment &&
                     assignment.Target is IPropertyReferenceOperation { Property.IsIndexer: true, Instance: { } instance, Arguments.Length: 1 } written &&
                     ReadsSameEntry(assignment.Value, instance, written.Arguments[0].Value, out exact):
                target = assignment.Target;
                break;
            default:
                return;
        }

        if (target.Kind != OperationKind.PropertyReference ||
            target is not IPropertyReferenceOperation { Property.IsIndexer: true, Instance: { } receiver, Arguments.Length: 1 } indexer ||
            indexer.Property.ContainingType?.OriginalDefinition.Is(concurrentDictionary) != true ||
            LockRegions.IsInsideLock(operation, types) ||
            !IsSharedHere(operation, receiver, types, cache, out var inFunction))
        {
            return;
        }

        var properties = ImmutableDictionary<string, string?>.Empty.Add(ShapeProperty, "ReadModifyWrite");
        if (exact)
        {
            properties = properties.Add(AddOrUpdateProperty, "true");
        }

        checks.Enqueue((context.ContainingSymbol, inFunction, Diagnostic.Create(
            Rule,
            operation.Syntax.GetLocation(),
            properties,
            receiver.Syntax.ToString(),
            "is read and written back through the indexer in two steps; when two threads update the same key at once, one update is lost (use AddOrUpdate)")));
    }

    /// <summary>
    /// The assigned value reads the entry being written: <c>d[k]</c> or <c>d.GetValueOrDefault(k)</c> (then
    /// <paramref name="exact"/>: the value is <c>GetValueOrDefault(k) + n</c>, which AddOrUpdate reproduces exactly).
    /// </summary>
    private static bool ReadsSameEntry(IOperation value, IOperation receiver, IOperation key, out bool exact)
    {
        exact = false;
        var found = false;
        foreach (var operation in value.EnumerateDescendantsAndSelf())
        {
            switch (operation)
            {
                case IPropertyReferenceOperation { Property.IsIndexer: true, Instance: { } instance, Arguments.Length: 1 } read
                    when SameSyntax(instance, receiver) && SyntaxFactory.AreEquivalent(read.Arguments[0].Value.Syntax, key.Syntax):
                    found = true;
                    break;
                case IInvocationOperation { TargetMethod.Name: "GetValueOrDefault" } call
                    when call.Arguments.Length == 2 && SameSyntax(call.Arguments[0].Value, receiver) &&
                         SyntaxFactory.AreEquivalent(call.Arguments[1].Value.Syntax, key.Syntax):
                    found = true;
                    exact = value.WalkDownConversions() is IBinaryOperation { OperatorKind: BinaryOperatorKind.Add, OperatorMethod: null } sum &&
                            ReferenceEquals(sum.LeftOperand.WalkDownConversions(), call);
                    break;
                case ILocalReferenceOperation local when IsOutOfStandaloneTryGetValue(local.Local, receiver, key):
                    found = true;
                    break;
            }
        }

        return found;
    }

    /// <summary>
    /// <c>d.TryGetValue(k, out var current);</c> as a statement of its own (its result dropped), then
    /// <c>d[k] = current + 1</c>: the same two-step update as <c>d[k] = d[k] + 1</c>. Read from the declaration's
    /// syntax, no walk; a <c>TryGetValue</c> used as a condition is the check-then-act shape, reported on its own.
    /// </summary>
    private static bool IsOutOfStandaloneTryGetValue(ILocalSymbol local, IOperation receiver, IOperation key)
    {
        if (local.DeclaringSyntaxReferences.Length != 1 ||
            local.DeclaringSyntaxReferences[0].GetSyntax() is not Microsoft.CodeAnalysis.CSharp.Syntax.SingleVariableDesignationSyntax
            {
                Parent: Microsoft.CodeAnalysis.CSharp.Syntax.DeclarationExpressionSyntax
                {
                    Parent: Microsoft.CodeAnalysis.CSharp.Syntax.ArgumentSyntax
                    {
                        Parent: Microsoft.CodeAnalysis.CSharp.Syntax.ArgumentListSyntax { Arguments.Count: 2 } arguments,
                    } argument,
                },
            } ||
            arguments.Arguments[1] != argument ||
            arguments.Parent is not Microsoft.CodeAnalysis.CSharp.Syntax.InvocationExpressionSyntax
            {
                Parent: Microsoft.CodeAnalysis.CSharp.Syntax.ExpressionStatementSyntax,
                Expression: Microsoft.CodeAnalysis.CSharp.Syntax.MemberAccessExpressionSyntax { Name.Identifier.ValueText: "TryGetValue" } access,
            })
        {
            return false;
        }

        return SyntaxFactory.AreEquivalent(access.Expression, receiver.WalkDownConversions().Syntax) &&
               SyntaxFactory.AreEquivalent(arguments.Arguments[0].Expression, key.Syntax);
    }

    // ---- if (q.Count > 0) q.TryDequeue(out var x); Use(x); ----

    private static void AnalyzeCountThenTake(
        OperationAnalysisContext context,
        IInvocationOperation invocation,
        KnownTypes types,
        ImmutableHashSet<INamedTypeSymbol> collections,
        ConcurrentContexts.Cache cache,
        LockedBag<(ISymbol Method, bool InFunction, Diagnostic Diagnostic)> checks)
    {
        // Disposal drains after the producers and consumers have stopped.
        if (context.ContainingSymbol is IMethodSymbol { Name: "Dispose" or "DisposeAsync" or "DisposeCore" or "DisposeAsyncCore" } ||
            invocation.TargetMethod.Name is not ("TryDequeue" or "TryPop" or "TryTake" or "TryPeek") ||
            invocation.Instance is not { } receiver ||
            invocation.TargetMethod.ContainingType is not { } container || !collections.Contains(container.OriginalDefinition) ||
            invocation.Arguments.Length != 1 || !IsResultIgnored(invocation) ||
            OutLocal(invocation.Arguments[0]) is not { } item ||
            GuardingCountTest(invocation, receiver) is not { } guard ||
            !IsReadAfter(item, invocation) ||
            LockRegions.IsInsideLock(invocation, types) ||
            !IsSharedHere(invocation, receiver, types, cache, out var inFunction))
        {
            return;
        }

        checks.Enqueue((context.ContainingSymbol, inFunction, Diagnostic.Create(
            Rule,
            invocation.Syntax.GetLocation(),
            ImmutableDictionary<string, string?>.Empty.Add(ShapeProperty, "CountThenTake"),
            receiver.Syntax.ToString(),
            $"is tested with {guard} and then {invocation.TargetMethod.Name} ignores whether it got an item; another consumer can take the last item in between, and '{item.Name}' is then the default value (test the result of {invocation.TargetMethod.Name} instead)")));
    }

    private static bool IsResultIgnored(IInvocationOperation invocation)
        => invocation.Parent is IExpressionStatementOperation ||
           (invocation.Parent is ISimpleAssignmentOperation { Target: IDiscardOperation } discard && discard.Parent is IExpressionStatementOperation);

    private static ILocalSymbol? OutLocal(IArgumentOperation argument)
        => argument.Parameter?.RefKind == RefKind.Out
            ? argument.Value switch
            {
                IDeclarationExpressionOperation { Expression: ILocalReferenceOperation declared } => declared.Local,
                ILocalReferenceOperation local => local.Local,
                _ => null,
            }
            : null;

    /// <summary>The enclosing <c>if</c>/<c>while</c> (in the same function) whose condition tests the receiver's <c>Count</c> or <c>IsEmpty</c>.</summary>
    private static string? GuardingCountTest(IOperation operation, IOperation receiver)
    {
        var child = operation;
        for (var parent = operation.Parent; parent is not null; child = parent, parent = parent.Parent)
        {
            switch (parent)
            {
                case IAnonymousFunctionOperation or ILocalFunctionOperation:
                    return null;
                case IConditionalOperation conditional when ReferenceEquals(conditional.WhenTrue, child) && CountTest(conditional.Condition, receiver) is { } test:
                    return test;
                case IWhileLoopOperation loop when ReferenceEquals(loop.Body, child) && loop.Condition is { } condition && CountTest(condition, receiver) is { } test:
                    return test;
            }
        }

        return null;
    }

    /// <summary><c>q.Count &gt; 0</c>, <c>q.Count != 0</c>, <c>q.Count &gt;= 1</c>, <c>!q.IsEmpty</c> (possibly one side of an <c>&amp;&amp;</c>).</summary>
    private static string? CountTest(IOperation condition, IOperation receiver)
    {
        switch (condition.WalkDownConversions())
        {
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd } and:
                return CountTest(and.LeftOperand, receiver) ?? CountTest(and.RightOperand, receiver);
            case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not, Operand: var operand }
                when operand.WalkDownConversions() is IPropertyReferenceOperation { Property.Name: "IsEmpty", Instance: { } instance } && SameSyntax(instance, receiver):
                return "IsEmpty";
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.GreaterThan or BinaryOperatorKind.NotEquals or BinaryOperatorKind.GreaterThanOrEqual } binary
                when binary.LeftOperand.WalkDownConversions() is IPropertyReferenceOperation { Property.Name: "Count", Instance: { } instance } && SameSyntax(instance, receiver) &&
                     binary.RightOperand.ConstantValue is { HasValue: true, Value: int limit } &&
                     (binary.OperatorKind == BinaryOperatorKind.GreaterThanOrEqual ? limit == 1 : limit == 0):
                return "Count";
            default:
                return null;
        }
    }

    /// <summary>The out local is read after the call (in the block that declares or holds the call).</summary>
    private static bool IsReadAfter(ILocalSymbol local, IOperation call)
    {
        IOperation? scope = call;
        while (scope is not null && scope is not IBlockOperation)
        {
            scope = scope.Parent;
        }

        if (scope is null)
        {
            return false;
        }

        var end = call.Syntax.Span.End;
        foreach (var operation in scope.EnumerateDescendants())
        {
            if (operation is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, local) &&
                reference.Syntax.SpanStart >= end && !SharedStateFacts.IsWrittenTo(reference))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The receiver is state other threads reach: a field or property, or a local/parameter captured by a function
    /// that runs together with its siblings (Parallel, PLINQ, tasks started together). <paramref name="inFunction"/>:
    /// the operation is in a lambda or local function (a lock held by the method's callers does not cover it).
    /// </summary>
    private static bool IsSharedHere(IOperation operation, IOperation receiver, KnownTypes types, ConcurrentContexts.Cache cache, out bool inFunction)
    {
        inFunction = IsInFunction(operation);
        if (IsSharedReceiver(receiver))
        {
            return true;
        }

        if (SharedStateFacts.SharedVariable(receiver) is not { } variable || variable is IFieldSymbol ||
            ConcurrentContexts.FindEnclosing(operation, types, cache) is not { } concurrent)
        {
            return false;
        }

        return SharedStateFacts.RunsWithSiblings(concurrent) &&
               !SharedStateFacts.IsDeclaredInside(variable, concurrent.Function) &&
               SharedStateFacts.IsInConcurrentPart(operation, concurrent) &&
               !SharedStateFacts.IsProtected(operation, types, concurrent.Function);
    }
}
