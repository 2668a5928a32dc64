using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Analysis;

/// <summary>
/// Decides whether a call could have taken a token: an optional token parameter left to its default, or an
/// overload of the same method that takes exactly the same parameters plus one <c>CancellationToken</c>. Anything
/// looser (other parameter types, a token hidden in an options object, a different return type where the result is
/// not awaited) is not an overload of the call: suggesting it would change what the call does.
/// </summary>
internal static class CancellationOverloads
{
    /// <summary>
    /// True when the called method has a place for a token: a token parameter (passed <c>None</c>, or left to its
    /// default) or an overload with one more, token, parameter. Most calls have none, and this answers from the
    /// method alone (the overloads are looked up once per method), before anything looks at the arguments.
    /// </summary>
    public static bool MayTakeToken(IInvocationOperation invocation, KnownTypes types)
    {
        var method = invocation.TargetMethod;
        var definition = DefinitionOf(method, types, types.MethodDefinitionSlots);
        if (definition.MayTakeToken)
        {
            return true;
        }

        // A parameter of a type parameter's type can be a token in this construction (Run<CancellationToken>(...)).
        // Such a parameter's type is a type argument of the method or of a containing type: when none is a token (the
        // stored arrays, where each read of a constructed method's Parameters builds its substituted parameters anew),
        // none is (a call in reduced form has all its method's type arguments too, inferred or written).
        if (definition.HasTypeParameterParameter && HasTokenTypeArgument(method, types))
        {
            foreach (var parameter in method.Parameters)
            {
                if (CancellationTokens.IsToken(parameter.Type, types))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool HasTokenTypeArgument(IMethodSymbol method, KnownTypes types)
    {
        foreach (var argument in method.TypeArguments)
        {
            if (CancellationTokens.IsToken(argument, types))
            {
                return true;
            }
        }

        for (var type = method.ContainingType; type is not null; type = type.ContainingType)
        {
            foreach (var argument in type.TypeArguments)
            {
                if (CancellationTokens.IsToken(argument, types))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>The first token argument written out as <c>CancellationToken.None</c> or <c>default</c>, or null.</summary>
    public static IArgumentOperation? NoneTokenArgument(IInvocationOperation invocation, KnownTypes types)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.ArgumentKind == ArgumentKind.Explicit && argument.Parameter is { } parameter &&
                CancellationTokens.IsToken(parameter.Type, types) && CancellationTokens.IsNoneOrDefault(argument.Value, types))
            {
                return argument;
            }
        }

        return null;
    }

    /// <summary>The optional token parameter of <paramref name="invocation"/> that was left to its default, or null.</summary>
    public static IArgumentOperation? DefaultedTokenArgument(IInvocationOperation invocation, KnownTypes types)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.ArgumentKind == ArgumentKind.DefaultValue && argument.Parameter is { } parameter &&
                CancellationTokens.IsToken(parameter.Type, types))
            {
                return argument;
            }
        }

        return null;
    }

    /// <summary>
    /// True when a <c>CancellationToken</c> parameter of the call gets a real token: an argument written out that is not
    /// <c>None</c>/<c>default</c> (narrower than <see cref="PassesAnyToken"/>: no sources, options or nullable tokens).
    /// </summary>
    public static bool PassesRealToken(IInvocationOperation invocation, KnownTypes types)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.ArgumentKind != ArgumentKind.DefaultValue && CancellationTokens.IsToken(argument.Parameter?.Type, types) &&
                !CancellationTokens.IsNoneOrDefault(argument.Value, types))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when some argument passes a real token (not <c>None</c>/<c>default</c>) or a token source.</summary>
    public static bool PassesAnyToken(IInvocationOperation invocation, KnownTypes types)
    {
        // Two passes over the arguments, the cheap question first: a call that passes its token (usually its last
        // argument) is answered before any other argument's type is walked for a source or a token member.
        var arguments = invocation.Arguments;
        foreach (var argument in arguments)
        {
            if (argument.ArgumentKind == ArgumentKind.DefaultValue)
            {
                continue;
            }

            var type = argument.Value.WalkDownConversions().Type;
            if ((CancellationTokens.IsToken(type, types) || CancellationTokens.IsNullableToken(type, types)) &&
                !CancellationTokens.IsNoneOrDefault(argument.Value, types))
            {
                return true;
            }
        }

        foreach (var argument in arguments)
        {
            if (argument.ArgumentKind != ArgumentKind.DefaultValue && argument.Parameter?.Type is { } parameterType &&
                (CancellationTokens.IsTokenSource(parameterType, types) || HasTokenMember(parameterType, types)))
            {
                return true; // ParallelOptions, a source, an options object carrying a token
            }
        }

        return false;
    }

    /// <summary>
    /// The overload of <paramref name="invocation"/>'s method that takes the same parameters with one
    /// <c>CancellationToken</c> added, and the index of that token parameter; null when there is none.
    /// </summary>
    public static IMethodSymbol? FindTokenOverload(IInvocationOperation invocation, ISymbol within, KnownTypes types, out int tokenIndex)
    {
        tokenIndex = -1;
        var method = invocation.TargetMethod;
        if (method.ContainingType is null || method.MethodKind is not (MethodKind.Ordinary or MethodKind.ReducedExtension))
        {
            return null;
        }

        var original = (method.ReducedFrom ?? method).OriginalDefinition;
        foreach (var overload in OverloadsOf(method, types))
        {
            if (!types.Compilation.IsSymbolAccessibleWithin(overload.Method, within.ContainingType ?? (ISymbol)within.ContainingAssembly) ||
                !ReturnTypeFits(invocation, original, overload.Method))
            {
                continue;
            }

            if (IsOrOverrides(within, overload.Method))
            {
                // `Task ReadAsync(T x, CancellationToken ct) => ReadAsync(x);`: the token overload is the caller itself,
                // a default that falls back to the token-less one. Passing the token would make it call itself.
                return null;
            }

            tokenIndex = overload.TokenIndex;
            return overload.Method;
        }

        return null;
    }

    private static bool IsOrOverrides(ISymbol within, IMethodSymbol overload)
    {
        for (var current = within as IMethodSymbol; current is not null; current = current.OverriddenMethod)
        {
            if (SymbolEqualityComparer.Default.Equals(current.OriginalDefinition, overload))
            {
                return true;
            }
        }

        return false;
    }

    // Per method definition: most methods have no token parameter and no token overload, and a method is called from
    // many places. One lookup answers both (every call is asked, by CONC401), in the compilation's typed table. In
    // front of it, one slot per reference hash keeps the definition last looked up there, with its entry: a repeated
    // method (most calls) reads one array cell and the entry, where the table reads its buckets, a node and its
    // comparer too. A method called as its own definition (no type arguments, not in reduced form: most calls) is
    // looked for in its slot before its definition is asked for: an entry's key is a definition, and a definition's
    // definition is itself. The key is kept in the cell next to the entry, so that a miss (a constructed method, a
    // slot another method took) reads no entry.
    private static MethodDefinition DefinitionOf(IMethodSymbol method, KnownTypes types, DefinitionSlot[] slots)
    {
        if (Recent(slots, method, out _) is { } recent)
        {
            return recent;
        }

        var definition = (method.ReducedFrom ?? method).OriginalDefinition;
        if (Recent(slots, definition, out var slot) is { } recentDefinition)
        {
            return recentDefinition;
        }

        var table = types.MethodDefinitions;
        var known = table.TryGetValue(definition, out var found) ? found : table.GetOrAdd(definition, new MethodDefinition(definition, types));

        // Two threads may fill one slot at once: a reader that finds one's key with the other's entry checks the
        // entry's own key and looks in the table.
        Volatile.Write(ref slots[slot].Entry, known);
        Volatile.Write(ref slots[slot].Key, known.Original);
        return known;
    }

    /// <summary>The entry in <paramref name="key"/>'s slot when it is the entry of <paramref name="key"/> itself.</summary>
    private static MethodDefinition? Recent(DefinitionSlot[] slots, IMethodSymbol key, out int slot)
    {
        slot = RuntimeHelpers.GetHashCode(key) & (slots.Length - 1);
        if (!ReferenceEquals(Volatile.Read(ref slots[slot].Key), key))
        {
            return null;
        }

        var recent = Volatile.Read(ref slots[slot].Entry);
        return recent is not null && ReferenceEquals(recent.Original, key) ? recent : null;
    }

    /// <summary>A method definition and its entry, in the slots in front of the table (see <see cref="DefinitionOf"/>).</summary>
    internal struct DefinitionSlot
    {
        public IMethodSymbol? Key;
        public MethodDefinition? Entry;
    }

    /// <summary>
    /// True when a body owned by <paramref name="method"/> has a token from it: a token parameter, or a context
    /// parameter carrying one (<see cref="CancellationTokens.OffersToken"/>), answered once per method.
    /// </summary>
    public static bool OffersToken(IMethodSymbol method, KnownTypes types)
        => ReferenceEquals(method, method.OriginalDefinition) && method.ReducedFrom is null
            ? DefinitionOf(method, types, types.OwnerDefinitionSlots).OffersToken
            : CancellationTokens.OffersToken(method, types);

    private static TokenOverload[] OverloadsOf(IMethodSymbol method, KnownTypes types) => DefinitionOf(method, types, types.MethodDefinitionSlots).Overloads;

    /// <summary>
    /// What does not depend on the call: the definition's token parameters, and its token overloads, looked up on
    /// first use (the lookup walks the base types; a method with a token parameter, a constructor or an operator
    /// never needs it).
    /// </summary>
    internal sealed class MethodDefinition
    {
        private readonly IMethodSymbol _original;
        private readonly KnownTypes _types;
        private TokenOverload[]? _overloads;
        private int _offersToken; // 0 not worked out yet, 1 yes, 2 no
        private int _mayTakeToken; // the same

        public MethodDefinition(IMethodSymbol original, KnownTypes types)
        {
            _original = original;
            _types = types;
            foreach (var parameter in original.Parameters)
            {
                HasTokenParameter |= CancellationTokens.IsToken(parameter.Type, types);
                HasTypeParameterParameter |= parameter.Type.TypeKind == TypeKind.TypeParameter;
            }
        }

        public bool HasTokenParameter { get; }

        public bool HasTypeParameterParameter { get; }

        /// <summary>The definition itself, the table's key.</summary>
        public IMethodSymbol Original => _original;

        /// <summary>
        /// A token parameter, or a token overload of an ordinary method (a call in reduced form reaches its static
        /// definition, which is ordinary): what every call of this definition has, worked out on first use.
        /// </summary>
        public bool MayTakeToken
        {
            get
            {
                var answer = Volatile.Read(ref _mayTakeToken);
                if (answer == 0)
                {
                    answer = HasTokenParameter ||
                             (_original.ContainingType is not null && _original.MethodKind == MethodKind.Ordinary && Overloads.Length > 0) ? 1 : 2;
                    Volatile.Write(ref _mayTakeToken, answer);
                }

                return answer == 1;
            }
        }

        // Two threads may both look them up: the answers are the same, either may be kept.
        public TokenOverload[] Overloads => Volatile.Read(ref _overloads) ?? (_overloads = ComputeTokenOverloads(_original, _types));

        /// <summary>See <see cref="CancellationTokens.OffersToken"/>; worked out on first use (asked of bodies' owners only).</summary>
        public bool OffersToken
        {
            get
            {
                var answer = Volatile.Read(ref _offersToken);
                if (answer == 0)
                {
                    answer = CancellationTokens.OffersToken(_original, _types) ? 1 : 2;
                    Volatile.Write(ref _offersToken, answer);
                }

                return answer == 1;
            }
        }
    }

    /// <summary>The overloads that take the same parameters plus one token, in lookup order (what does not depend on the call).</summary>
    private static TokenOverload[] ComputeTokenOverloads(IMethodSymbol original, KnownTypes types)
    {
        // The parameters are counted once (each read of a method's Parameters builds a new array), and a candidate's
        // attributes are read only for one that matches (decoding them costs more than comparing parameters).
        List<TokenOverload>? found = null;
        var parameterCount = original.Parameters.Length;
        foreach (var candidate in Candidates(original))
        {
            if (candidate is not IMethodSymbol other || SymbolEqualityComparer.Default.Equals(other.OriginalDefinition, original) ||
                other.IsStatic != original.IsStatic || other.Arity != original.Arity ||
                other.Parameters.Length != parameterCount + 1)
            {
                continue;
            }

            var index = TokenInsertionIndex(original, other, types);
            if (index >= 0 && !IsObsolete(other))
            {
                (found ??= new List<TokenOverload>()).Add(new TokenOverload(other, index));
            }
        }

        return found?.ToArray() ?? System.Array.Empty<TokenOverload>();
    }

    internal sealed class TokenOverload
    {
        public TokenOverload(IMethodSymbol method, int tokenIndex)
        {
            Method = method;
            TokenIndex = tokenIndex;
        }

        public IMethodSymbol Method { get; }

        public int TokenIndex { get; }
    }

    private static IEnumerable<ISymbol> Candidates(IMethodSymbol method)
    {
        var type = method.ContainingType;
        for (var current = type; current is not null; current = current.BaseType)
        {
            foreach (var member in current.GetMembers(method.Name))
            {
                yield return member;
            }
        }

        if (type.TypeKind == TypeKind.Interface)
        {
            foreach (var @interface in type.AllInterfaces)
            {
                foreach (var member in @interface.GetMembers(method.Name))
                {
                    yield return member;
                }
            }
        }
    }

    /// <summary>The index of the one added token parameter when the rest match in order, else -1.</summary>
    private static int TokenInsertionIndex(IMethodSymbol original, IMethodSymbol candidate, KnownTypes types)
    {
        var found = -1;
        var theirs = candidate.Parameters;
        var ours = original.Parameters;
        for (int i = 0, j = 0; j < theirs.Length; j++)
        {
            var parameter = theirs[j];
            if (found < 0 && CancellationTokens.IsToken(parameter.Type, types) &&
                (i >= ours.Length || !CancellationTokens.IsToken(ours[i].Type, types)))
            {
                found = j;
                continue;
            }

            if (i >= ours.Length)
            {
                return -1;
            }

            var mine = ours[i++];
            if (mine.RefKind != parameter.RefKind || mine.IsParams != parameter.IsParams || !SameType(mine.Type, parameter.Type))
            {
                return -1;
            }
        }

        return found;
    }

    /// <summary>Same return type, or both awaitable and the call is awaited directly.</summary>
    private static bool ReturnTypeFits(IInvocationOperation invocation, IMethodSymbol original, IMethodSymbol candidate)
    {
        if (SameType(original.ReturnType, candidate.ReturnType))
        {
            return true;
        }

        return invocation.WalkUpConversions() is IAwaitOperation &&
               IsAwaitableLike(original.ReturnType) && IsAwaitableLike(candidate.ReturnType) &&
               SameType(ResultType(original.ReturnType), ResultType(candidate.ReturnType));
    }

    private static bool IsAwaitableLike(ITypeSymbol type)
        => type.Name is "Task" or "ValueTask" && type.ContainingNamespace?.ToDisplayString() == "System.Threading.Tasks";

    private static ITypeSymbol? ResultType(ITypeSymbol type)
        => type is INamedTypeSymbol { TypeArguments.Length: 1 } named ? named.TypeArguments[0] : null;

    /// <summary>Type equality that treats method type parameters by position (two overloads have distinct ones).</summary>
    private static bool SameType(ITypeSymbol? a, ITypeSymbol? b)
    {
        if (a is null || b is null)
        {
            return a is null && b is null;
        }

        switch (a)
        {
            case ITypeParameterSymbol { TypeParameterKind: TypeParameterKind.Method } pa:
                return b is ITypeParameterSymbol { TypeParameterKind: TypeParameterKind.Method } pb && pa.Ordinal == pb.Ordinal;
            case IArrayTypeSymbol arrayA:
                return b is IArrayTypeSymbol arrayB && arrayA.Rank == arrayB.Rank && SameType(arrayA.ElementType, arrayB.ElementType);
            case INamedTypeSymbol { IsGenericType: true } namedA:
                if (b is not INamedTypeSymbol { IsGenericType: true } namedB ||
                    !SymbolEqualityComparer.Default.Equals(namedA.OriginalDefinition, namedB.OriginalDefinition) ||
                    namedA.TypeArguments.Length != namedB.TypeArguments.Length)
                {
                    return false;
                }

                for (var i = 0; i < namedA.TypeArguments.Length; i++)
                {
                    if (!SameType(namedA.TypeArguments[i], namedB.TypeArguments[i]))
                    {
                        return false;
                    }
                }

                return true;
            default:
                return SymbolEqualityComparer.Default.Equals(a, b);
        }
    }

    private static bool IsObsolete(ISymbol symbol)
    {
        foreach (var attribute in symbol.GetAttributes())
        {
            if (attribute.AttributeClass?.Name == "ObsoleteAttribute")
            {
                return true;
            }
        }

        return false;
    }

    // Per type definition (symbols live as long as their compilation): an options type is asked about at every call.
    private static readonly SymbolMemo<ITypeSymbol, StrongBox<bool>> TokenMembers = new();

    private static bool HasTokenMember(ITypeSymbol type, KnownTypes types)
    {
        if (type.SpecialType != SpecialType.None || type.TypeKind is TypeKind.TypeParameter or TypeKind.Error)
        {
            return false;
        }

        return TokenMembers.GetOrCompute(types, type.OriginalDefinition, types, static (t, k) => new StrongBox<bool>(ComputeHasTokenMember(t, k))).Value;
    }

    private static bool ComputeHasTokenMember(ITypeSymbol type, KnownTypes types)
    {
        foreach (var member in type.GetMembers())
        {
            if (member is IPropertySymbol { IsStatic: false } property && CancellationTokens.IsToken(property.Type, types))
            {
                return true;
            }
        }

        return false;
    }
}
