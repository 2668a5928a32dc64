using ConcurrencyAnalyzers.Analysis;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.CodeFixes.Cancellation;

/// <summary>Where a call takes its token: the parameter index (in the method's parameters) and name.</summary>
internal static class CancellationOverloadsBridge
{
    public static string? Plan(IInvocationOperation call, ISymbol owner, KnownTypes types, out int index, out string? parameterName)
    {
        if (CancellationOverloads.DefaultedTokenArgument(call, types) is { Parameter: { } defaulted })
        {
            index = defaulted.Ordinal;
            parameterName = defaulted.Name;
            return "Defaulted";
        }

        if (CancellationOverloads.FindTokenOverload(call, owner, types, out var tokenIndex) is { } overload)
        {
            index = tokenIndex;
            parameterName = overload.Parameters[tokenIndex].Name;
            return "Overload";
        }

        index = -1;
        parameterName = null;
        return null;
    }
}
