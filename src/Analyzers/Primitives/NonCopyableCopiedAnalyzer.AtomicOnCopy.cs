using System.Collections.Immutable;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Primitives;

/// <summary>CONC502, second shape: <c>Interlocked</c>/<c>Volatile</c> applied to a field of a struct copy.</summary>
public sealed partial class NonCopyableCopiedAnalyzer
{
    /// <summary>The Interlocked and Volatile methods that take a location by reference.</summary>
    private static readonly System.Collections.Immutable.ImmutableHashSet<string> AtomicMethods = InvocationActions.Names(
        "Add", "And", "Or", "Increment", "Decrement", "Exchange", "CompareExchange", "Read", "Write");

    private static void AnalyzeAtomicOnCopy(OperationAnalysisContext context, KnownTypes types)
    {
        // Interlocked and Volatile are static classes: a call on an instance (`list.Add(x)`, `dictionary.Add(k, v)`,
        // most calls of these names) is another type's, and is left before its method's containing type is read.
        var invocation = (IInvocationOperation)context.Operation;
        if (invocation.Instance is not null)
        {
            return;
        }

        var containingType = invocation.TargetMethod.ContainingType;
        if (!containingType.Is(types.Interlocked) && !containingType.Is(types.Volatile))
        {
            return;
        }

        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter is not { RefKind: not RefKind.None } ||
                argument.Value is not IFieldReferenceOperation { Field.IsStatic: false } field)
            {
                continue;
            }

            // s.Total or s.Inner.Total: every container on the way is a struct, so the root holds the value itself.
            var instance = field.Instance;
            while (instance is IFieldReferenceOperation { Field.IsStatic: false, Instance: not null } inner && inner.Type?.IsValueType == true)
            {
                instance = inner.Instance;
            }

            if (instance?.Type?.IsValueType != true || !TryGetCopyRoot(instance, out var root, out var origin))
            {
                continue;
            }

            if (!IsOnlyUsedInPlace(invocation, root))
            {
                continue;
            }

            context.ReportDiagnostic(Diagnostic.Create(
                AtomicOnCopyRule,
                argument.Syntax.GetLocation(),
                ImmutableDictionary<string, string?>.Empty.Add(KindProperty, KindOther),
                containingType.Name,
                invocation.TargetMethod.Name,
                Shorten(field.Syntax.ToString()),
                origin));
        }
    }

    /// <summary>A by-value parameter, or a local initialized by copying a field, element, property or variable.</summary>
    private static bool TryGetCopyRoot(IOperation instance, out ISymbol root, out string origin)
    {
        root = null!;
        origin = string.Empty;
        switch (instance)
        {
            case IParameterReferenceOperation { Parameter: { RefKind: RefKind.None } parameter }:
                root = parameter;
                origin = "the caller's argument";
                return true;
            case ILocalReferenceOperation { Local: { IsRef: false } local }:
                var declarator = FindDeclarator(instance, local);
                var value = declarator?.Initializer?.Value.WalkDownConversions();
                if (value is IFieldReferenceOperation or IArrayElementReferenceOperation or
                    IPropertyReferenceOperation { Property.ReturnsByRef: false, Property.ReturnsByRefReadonly: false } or
                    IParameterReferenceOperation or ILocalReferenceOperation)
                {
                    root = local;
                    origin = Shorten(value.Syntax.ToString());
                    return true;
                }

                return false;
            default:
                return false;
        }
    }

    private static IVariableDeclaratorOperation? FindDeclarator(IOperation operation, ILocalSymbol local)
    {
        var top = operation;
        while (top.Parent is not null)
        {
            top = top.Parent;
        }

        foreach (var descendant in top.EnumerateDescendantsAndSelf())
        {
            if (descendant is IVariableDeclaratorOperation declarator && SymbolEqualityComparer.Default.Equals(declarator.Symbol, local))
            {
                return declarator;
            }
        }

        return null;
    }

    /// <summary>
    /// Every use of <paramref name="root"/> reaches one of its fields, in the same function as the atomic call: the
    /// copy is never published back (<c>_stats = s</c>), passed on, or captured by concurrent work.
    /// </summary>
    private static bool IsOnlyUsedInPlace(IOperation atomicCall, ISymbol root)
    {
        var top = atomicCall;
        while (top.Parent is not null)
        {
            top = top.Parent;
        }

        var function = EnclosingFunction(atomicCall);
        foreach (var descendant in top.EnumerateDescendants())
        {
            var isReference = descendant switch
            {
                ILocalReferenceOperation local => SymbolEqualityComparer.Default.Equals(local.Local, root),
                IParameterReferenceOperation parameter => SymbolEqualityComparer.Default.Equals(parameter.Parameter, root),
                _ => false,
            };
            if (!isReference)
            {
                continue;
            }

            if (descendant.Parent is not IFieldReferenceOperation { Instance: { } instance } || !ReferenceEquals(instance, descendant) ||
                !ReferenceEquals(EnclosingFunction(descendant), function))
            {
                return false;
            }
        }

        return true;
    }

    private static IOperation? EnclosingFunction(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return current;
            }
        }

        return null;
    }
}
