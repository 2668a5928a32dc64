using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Analysis;

/// <summary>How a struct value read from a storage location is copied (or not) by its use.</summary>
internal enum ValueCopyKind
{
    None,
    PassedByValue,
    PassedAsIn,
    Assigned,
    CopiedIntoLocal,
    Returned,
    Boxed,
    CopiedByWith,
    CopiedIntoCollection,
    ReadThroughProperty,
    ReadThroughCall,
    ReceivedThroughOut,
    ForEachVariable,
    DefensiveCopy,
}

/// <summary>
/// The value-copy detector shared by the CONC5xx rules. Given an operation that reads a struct from a storage
/// location (local, parameter, field, array element, <c>this</c>), it says whether the use copies the value.
/// In-place uses (member access, <c>ref</c> arguments and locals, <c>ref</c> returns) and lambda captures (the local
/// is hoisted into the closure and shared) are not copies.
/// </summary>
internal static class ValueCopies
{
    /// <summary>True for the operations the detector classifies: reads of a variable, not fresh values.</summary>
    public static bool IsStorageLocation(IOperation operation)
        => operation is ILocalReferenceOperation or IParameterReferenceOperation or IFieldReferenceOperation or
               IArrayElementReferenceOperation or IInstanceReferenceOperation { IsImplicit: false } ||
           operation is IInvocationOperation { TargetMethod.ReturnsByRef: true } ||
           operation is IPropertyReferenceOperation { Property.ReturnsByRef: true };

    /// <summary>How the value of <paramref name="location"/> is used; <see cref="ValueCopyKind.None"/> when in place.</summary>
    public static ValueCopyKind Classify(IOperation location, ISymbol? containingSymbol)
    {
        var current = location;
        var parent = current.Parent;
        while (parent is IParenthesizedOperation || parent is IDeclarationExpressionOperation ||
               parent is IConversionOperation { Conversion.IsIdentity: true })
        {
            current = parent;
            parent = parent.Parent;
        }

        switch (parent)
        {
            case IArgumentOperation argument:
                return argument.Parameter?.RefKind switch
                {
                    RefKind.None => ValueCopyKind.PassedByValue,
                    RefKind.In => ValueCopyKind.PassedAsIn,

                    // dictionary.TryGetValue(key, out var bucket): a copy of the stored element. A source method's
                    // own `value = _field` is reported where it is written.
                    RefKind.Out when argument.Parameter.ContainingSymbol is IMethodSymbol { DeclaringSyntaxReferences.IsEmpty: true } &&
                                     argument.Parameter.OriginalDefinition.Type.TypeKind == TypeKind.TypeParameter
                        => ValueCopyKind.ReceivedThroughOut,
                    _ => ValueCopyKind.None,
                };

            case ISimpleAssignmentOperation assignment when ReferenceEquals(assignment.Value, current):
                return assignment.IsRef || assignment.Target is IDiscardOperation ? ValueCopyKind.None : ValueCopyKind.Assigned;

            case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                return declarator.Symbol.IsRef ? ValueCopyKind.None : ValueCopyKind.CopiedIntoLocal;

            case IFieldInitializerOperation or IPropertyInitializerOperation:
                return ValueCopyKind.Assigned;

            case IReturnOperation @return when ReferenceEquals(@return.ReturnedValue, current):
                return ReturnsByRef(@return, containingSymbol) ? ValueCopyKind.None : ValueCopyKind.Returned;

            case IConversionOperation conversion:
                return conversion.Type?.IsReferenceType == true
                    ? ValueCopyKind.Boxed
                    : conversion.Conversion.Exists && !conversion.Conversion.IsUserDefined ? ValueCopyKind.Assigned : ValueCopyKind.None;

            case IWithOperation with when ReferenceEquals(with.Operand, current):
                return ValueCopyKind.CopiedByWith;

            case IArrayInitializerOperation or ITupleOperation:
                return ValueCopyKind.CopiedIntoCollection;

            default:
                return ValueCopyKind.None;
        }
    }

    /// <summary>True when the conversion boxes the value for <c>Monitor</c> or a <c>lock</c>: CONC503 reports those.</summary>
    public static bool IsLockTargetConversion(IOperation conversion, KnownTypes types)
    {
        var parent = conversion.Parent;
        while (parent is IParenthesizedOperation or IConversionOperation)
        {
            parent = parent.Parent;
        }

        return parent is ILockOperation ||
               parent is IArgumentOperation { Parent: IInvocationOperation invocation } &&
               invocation.TargetMethod.ContainingType.Is(types.Monitor);
    }

    private static bool ReturnsByRef(IReturnOperation operation, ISymbol? containingSymbol)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case IAnonymousFunctionOperation lambda:
                    return lambda.Symbol.ReturnsByRef || lambda.Symbol.ReturnsByRefReadonly;
                case ILocalFunctionOperation local:
                    return local.Symbol.ReturnsByRef || local.Symbol.ReturnsByRefReadonly;
            }
        }

        return containingSymbol switch
        {
            IMethodSymbol method => method.ReturnsByRef || method.ReturnsByRefReadonly,
            IPropertySymbol property => property.ReturnsByRef || property.ReturnsByRefReadonly,
            _ => false,
        };
    }
}
