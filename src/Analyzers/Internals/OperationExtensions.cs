using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Internals;

internal static class OperationExtensions
{
    /// <summary>
    /// The operation without implicit conversions and parentheses around it. By kind: most operations are neither, and
    /// a kind is one call where each interface type test scans the operation's interfaces.
    /// </summary>
    public static IOperation WalkDownConversions(this IOperation operation)
    {
        while (true)
        {
            switch (operation.Kind)
            {
                case OperationKind.Conversion when operation.IsImplicit:
                    operation = ((IConversionOperation)operation).Operand;
                    continue;
                case OperationKind.Parenthesized:
                    operation = ((IParenthesizedOperation)operation).Operand;
                    continue;
                default:
                    return operation;
            }
        }
    }

    /// <summary>The first parent that is not a conversion or parenthesis (by kind, as <see cref="WalkDownConversions"/>).</summary>
    public static IOperation? WalkUpConversions(this IOperation operation)
    {
        var parent = operation.Parent;
        while (parent is { Kind: OperationKind.Conversion or OperationKind.Parenthesized })
        {
            parent = parent.Parent;
        }

        return parent;
    }

    /// <summary>
    /// What uses <paramref name="operation"/>'s value: its first parent that is not a conversion or parenthesis, past a
    /// <c>ConfigureAwait(...)</c> called on it (<c>await x.ConfigureAwait(false)</c> gives the <c>await</c>).
    /// </summary>
    public static IOperation? WalkUpConversionsAndConfigureAwait(this IOperation operation)
    {
        var parent = operation.WalkUpConversions();
        return parent is IInvocationOperation { TargetMethod.Name: "ConfigureAwait", Instance: { } instance } configure &&
               ReferenceEquals(instance.WalkDownConversions(), operation)
            ? configure.WalkUpConversions()
            : parent;
    }

    /// <summary>
    /// What <paramref name="operation"/> stands for past conversions and a <c>ConfigureAwait(...)</c> called on it
    /// (<c>task.ConfigureAwait(false)</c> gives <c>task</c>): the operand of an <c>await</c>, as written.
    /// </summary>
    public static IOperation WalkDownConversionsAndConfigureAwait(this IOperation operation)
    {
        operation = operation.WalkDownConversions();
        return operation is IInvocationOperation { TargetMethod.Name: "ConfigureAwait", Instance: { } instance }
            ? instance.WalkDownConversions()
            : operation;
    }

    /// <summary>True when the invoked method is <paramref name="name"/> declared on <paramref name="type"/>.</summary>
    public static bool IsCallTo(this IInvocationOperation invocation, INamedTypeSymbol? type, string name)
        => type is not null &&
           invocation.TargetMethod.Name == name &&
           SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.ContainingType?.OriginalDefinition, type.OriginalDefinition);

    /// <summary>
    /// The conditional access (<c>x?.M()</c>) that <paramref name="receiver"/> is the stand-in receiver of, or null when
    /// it is not one.
    /// </summary>
    public static IConditionalAccessOperation? EnclosingConditionalAccess(this IOperation? receiver)
    {
        if (receiver is not IConditionalAccessInstanceOperation)
        {
            return null;
        }

        for (var current = receiver.Parent; current is not null; current = current.Parent)
        {
            if (current is IConditionalAccessOperation access)
            {
                return access;
            }
        }

        return null;
    }

    /// <summary>What a call's receiver is, conversions removed: <c>_gate</c> for <c>_gate.Wait()</c> and for <c>_gate?.Wait()</c>.</summary>
    public static IOperation? ReceiverValue(this IOperation? receiver)
    {
        var value = receiver?.WalkDownConversions();
        return value.EnclosingConditionalAccess() is { } access ? access.Operation.WalkDownConversions() : value;
    }

    /// <summary>The root of the operation tree the operation belongs to (the member's body).</summary>
    public static IOperation GetRoot(this IOperation operation)
    {
        var current = operation;
        while (current.Parent is not null)
        {
            current = current.Parent;
        }

        return current;
    }

    /// <summary>The operation is <paramref name="ancestor"/> or one of its descendants.</summary>
    public static bool IsWithin(this IOperation operation, IOperation ancestor)
    {
        for (var current = operation; current is not null; current = current.Parent)
        {
            if (ReferenceEquals(current, ancestor))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when the operation is inside a lambda or local function (of the tree it belongs to).</summary>
    public static bool IsInNestedFunction(this IOperation operation)
        => operation.GetEnclosingFunction() is IAnonymousFunctionOperation or ILocalFunctionOperation;

    /// <summary>
    /// The innermost loop around the operation in its own function (a lambda or local function in between ends the
    /// search: its body runs when it is called, not in the loop's passes); null when there is none. By kind, as it is
    /// asked of many operations.
    /// </summary>
    public static ILoopOperation? GetEnclosingLoop(this IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            switch (current.Kind)
            {
                case OperationKind.Loop:
                    return (ILoopOperation)current;
                case OperationKind.AnonymousFunction or OperationKind.LocalFunction:
                    return null;
            }
        }

        return null;
    }

    /// <summary>The lambda or method body containing the operation (anonymous function, local function, or the root).</summary>
    public static IOperation? GetEnclosingFunction(this IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return current;
            }

            if (current.Parent is null)
            {
                return current;
            }
        }

        return null;
    }

    /// <summary>The local, field or parameter <paramref name="operation"/> reads; null for anything else.</summary>
    public static ISymbol? ReferencedVariable(this IOperation operation) => operation switch
    {
        ILocalReferenceOperation local => local.Local,
        IFieldReferenceOperation field => field.Field,
        IParameterReferenceOperation parameter => parameter.Parameter,
        _ => null,
    };

    /// <summary>
    /// The value <paramref name="local"/> is declared with (conversions walked down), found in <paramref name="root"/>;
    /// null when it is declared without one. With <paramref name="notReassigned"/>, also null when the local is assigned
    /// again anywhere in <paramref name="root"/>: the initializer is then the local's only value.
    /// </summary>
    public static IOperation? InitializerOf(this ILocalSymbol local, IOperation root, bool notReassigned = false)
    {
        IOperation? initial = null;
        foreach (var operation in root.EnumerateDescendants())
        {
            if (operation is IVariableDeclaratorOperation declarator && SymbolEqualityComparer.Default.Equals(declarator.Symbol, local))
            {
                initial = declarator.Initializer?.Value.WalkDownConversions();
                if (!notReassigned)
                {
                    return initial;
                }
            }
            else if (notReassigned && operation is IAssignmentOperation { Target: ILocalReferenceOperation target } &&
                     SymbolEqualityComparer.Default.Equals(target.Local, local))
            {
                return null;
            }
        }

        return initial;
    }

    /// <summary>
    /// The elements of a collection an argument writes in place: <c>new[] { a, b }</c> or a params array, a collection
    /// expression <c>[a, b]</c>, or a params collection (on .NET 9+ <c>Task.WhenAll(a, b)</c> binds to
    /// <c>params ReadOnlySpan&lt;Task&gt;</c>, whose operation kind Roslyn 4.8 does not know). Empty for anything else.
    /// </summary>
    public static ImmutableArray<IOperation> InPlaceElements(this IArgumentOperation argument)
    {
        var value = argument.Value.WalkDownConversions();
        if (value is IArrayCreationOperation array)
        {
            return array.Initializer is { } initializer ? initializer.ElementValues : ImmutableArray<IOperation>.Empty;
        }

        var paramsCollection = argument.ArgumentKind is not (ArgumentKind.Explicit or ArgumentKind.ParamArray or ArgumentKind.DefaultValue);
        if (!paramsCollection && value.Syntax is not CollectionExpressionSyntax)
        {
            return ImmutableArray<IOperation>.Empty;
        }

        var elements = ImmutableArray.CreateBuilder<IOperation>();
        foreach (var child in value.ChildOperations)
        {
            elements.Add(child.WalkDownConversions());
        }

        return elements.ToImmutable();
    }

    /// <summary>
    /// The operations below <paramref name="operation"/>, in pre-order (the order of Roslyn's <c>Descendants()</c>).
    /// Rules walk every member body many times over, so the walk of a member body's tree is done once and shared
    /// (<see cref="OperationIndex"/>): this is an array slice, not a new walk.
    /// </summary>
    public static OperationRange EnumerateDescendants(this IOperation operation) => OperationIndex.Subtree(operation, includeSelf: false);

    /// <summary><paramref name="operation"/> and the operations below it, in pre-order.</summary>
    public static OperationRange EnumerateDescendantsAndSelf(this IOperation operation) => OperationIndex.Subtree(operation, includeSelf: true);
}
