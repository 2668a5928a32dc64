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
}
