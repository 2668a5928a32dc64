using System.Collections.Generic;
using System.Linq;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Analysis;

/// <summary>Whether an exception can leave a body: asked of callbacks that nobody observes.</summary>
internal static class ExceptionEscape
{
    /// <summary>
    /// Every statement of <paramref name="body"/> (but the implicit return) is a <c>try</c> with a catch-all clause (no
    /// filter; <c>catch</c> or <c>catch (Exception)</c>), no <c>finally</c>, and no handler that throws: nothing the
    /// body throws can leave it. False for an empty body.
    /// </summary>
    public static bool CatchesEverything(IBlockOperation body, KnownTypes types)
    {
        var any = false;
        foreach (var statement in body.Operations)
        {
            if (statement is IReturnOperation { IsImplicit: true, ReturnedValue: null })
            {
                continue;
            }

            if (statement is not ITryOperation { Finally: null } tryOperation ||
                !tryOperation.Catches.Any(c => c.Filter is null && (c.ExceptionType.SpecialType == SpecialType.System_Object || c.ExceptionType.Is(types.Exception))) ||
                tryOperation.Catches.Any(c => c.Handler.EnumerateDescendantsAndSelf().Any(o => o.Kind == OperationKind.Throw)))
            {
                return false;
            }

            any = true;
        }

        return any;
    }
    /// <summary>
    /// The body hands its outcome to a <c>TaskCompletionSource</c> it was given, on every path: after declarations of
    /// locals taken from its parameters (<c>var promise = state as TaskCompletionSource&lt;T&gt;;</c>), it is one
    /// <c>try</c> with no <c>finally</c> whose block completes that source (<c>promise.TrySetResult(result)</c>) and whose
    /// catch clauses, one of them a catch-all, complete it too (<c>promise.TrySetException(ex)</c>) and do not throw.
    /// Whoever calls the body hands it the source and can wait on it, so its end and its failure are seen.
    /// </summary>
    public static bool CompletesGivenSourceOnEveryPath(IBlockOperation body, KnownTypes types)
    {
        ITryOperation? found = null;
        List<ILocalSymbol>? given = null;
        foreach (var statement in body.Operations)
        {
            if (statement is IReturnOperation { IsImplicit: true, ReturnedValue: null })
            {
                continue;
            }

            if (found is null && statement is IVariableDeclarationGroupOperation group &&
                group.Declarations.All(d => d.Declarators.All(v => v.Initializer?.Value is { } value && StripCasts(value) is IParameterReferenceOperation)))
            {
                given ??= new List<ILocalSymbol>();
                foreach (var declaration in group.Declarations)
                {
                    foreach (var declarator in declaration.Declarators)
                    {
                        given.Add(declarator.Symbol);
                    }
                }

                continue;
            }

            if (found is not null || statement is not ITryOperation { Finally: null } tryOperation)
            {
                return false;
            }

            found = tryOperation;
        }

        return found is not null &&
               found.Catches.Any(c => c.Filter is null && (c.ExceptionType.SpecialType == SpecialType.System_Object || c.ExceptionType.Is(types.Exception))) &&
               found.Catches.All(c => CompletesGivenSource(c.Handler, given, types) && !c.Handler.EnumerateDescendantsAndSelf().Any(o => o.Kind == OperationKind.Throw)) &&
               CompletesGivenSource(found.Body, given, types);
    }

    private static bool CompletesGivenSource(IOperation operation, List<ILocalSymbol>? given, KnownTypes types)
    {
        foreach (var descendant in operation.EnumerateDescendantsAndSelf())
        {
            if (descendant is IInvocationOperation { Instance: { } instance } call &&
                OffloadedCompletion.IsCompletionCall(call, types, tryOnly: false) &&
                StripCasts(instance) switch
                {
                    IParameterReferenceOperation => true,
                    ILocalReferenceOperation local => given is not null && given.Exists(g => SymbolEqualityComparer.Default.Equals(g, local.Local)),
                    _ => false,
                })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary><c>(T)state</c>, <c>state as T</c> → <c>state</c>: any conversion, implicit or not.</summary>
    private static IOperation StripCasts(IOperation operation)
    {
        var current = operation.WalkDownConversions();
        while (current is IConversionOperation conversion)
        {
            current = conversion.Operand.WalkDownConversions();
        }

        return current;
    }
}
