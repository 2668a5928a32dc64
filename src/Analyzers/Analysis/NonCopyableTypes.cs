using System;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ConcurrencyAnalyzers.Analysis;

/// <summary>
/// The non-copyable type test shared by the CONC5xx rules: <c>SpinLock</c>, <c>SpinWait</c>, any struct marked
/// with an attribute named <c>NonCopyableAttribute</c> (any namespace, or a name listed in
/// <c>CONC502.non_copyable_attributes</c>), and, transitively, any struct with an instance field of such a type.
/// Create one per compilation (in the compilation-start action); answers are cached and cycles are safe.
/// A second, weaker class: source structs that hold synchronization state of their own (a member passes one of the
/// struct's instance fields by <c>ref</c> to <c>Interlocked</c>/<c>Volatile</c>, or locks on one), and structs holding
/// those. Copying them is not always wrong (a snapshot can be read), but mutating one through a defensive copy is.
/// </summary>
internal sealed class NonCopyableTypes
{
    /// <summary>Extra attribute names (with or without the <c>Attribute</c> suffix) that mark a struct non-copyable.</summary>
    public static readonly RuleOption AttributesOption = new(RuleIds.NonCopyableCopied, "non_copyable_attributes");

    private const string DefaultAttributeName = "NonCopyableAttribute";

    private readonly INamedTypeSymbol? _spinLock;
    private readonly INamedTypeSymbol? _spinWait;
    private readonly ImmutableHashSet<string> _attributeNames;
    private readonly ConcurrentDictionary<ITypeSymbol, bool> _cache = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<ITypeSymbol, bool> _syncStateCache = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<ITypeSymbol, CopyFacts> _factsCache = new(SymbolEqualityComparer.Default);

    // In front of _factsCache, by reference: the operations of a compilation mostly share one symbol object per
    // type, and hashing a constructed type by value (its type arguments) cost more than the answer (CONC502 asks
    // about every struct-typed reference and call). Another object for the same type only misses this one.
    private readonly ConcurrentDictionary<ITypeSymbol, CopyFacts> _factsByReference = new(ReferenceComparer<ITypeSymbol>.Instance);

    private readonly AnalyzerOptions _options;

    private NonCopyableTypes(INamedTypeSymbol? spinLock, INamedTypeSymbol? spinWait, ImmutableHashSet<string> attributeNames, AnalyzerOptions options)
    {
        _spinLock = spinLock;
        _spinWait = spinWait;
        _attributeNames = attributeNames;
        _options = options;
    }

    /// <summary>
    /// The test for this compilation and options, shared by the rules that ask it (CONC501 and CONC502 ask about the
    /// same types): the option is read, and each type's answer worked out, once. A compilation analyzed again with
    /// other options gets a test of its own.
    /// </summary>
    public static NonCopyableTypes For(KnownTypes types, AnalyzerOptions options)
    {
        ref var slot = ref types.NonCopyableTypesSlot;
        if (Volatile.Read(ref slot) is { } shared && ReferenceEquals(shared._options, options))
        {
            return shared;
        }

        // Two rules starting at once may both create one; either is kept, and both answer alike.
        var created = Create(types, options);
        Volatile.Write(ref slot, created);
        return created;
    }

    /// <summary>The test for this compilation; the attribute option is read once (global options, else the first tree's).</summary>
    public static NonCopyableTypes Create(KnownTypes types, AnalyzerOptions options)
    {
        var names = ImmutableHashSet.CreateBuilder<string>(StringComparer.Ordinal);
        names.Add(DefaultAttributeName);
        foreach (var name in ReadAttributeNames(types.Compilation, options))
        {
            names.Add(name.EndsWith("Attribute", StringComparison.Ordinal) ? name : name + "Attribute");
        }

        return new NonCopyableTypes(types.SpinLock, types.SpinWait, names.ToImmutable(), options);
    }

    /// <summary>Both answers about <paramref name="type"/> at once, from one cache lookup (CONC502 asks about every struct-typed reference).</summary>
    public CopyFacts Classify(ITypeSymbol? type)
        => type is INamedTypeSymbol { TypeKind: TypeKind.Struct } named && !IsPrimitive(named) ? ClassifyStruct(named) : CopyFacts.None;

    /// <summary><see cref="Classify"/> of a struct that is not <see cref="IsPrimitive">primitive</see> (the caller has tested both).</summary>
    public CopyFacts ClassifyStruct(INamedTypeSymbol named)
    {
        if (_factsByReference.TryGetValue(named, out var known))
        {
            return known;
        }

        // A generic struct's instances are new symbol objects (most miss the cache above, and hashing them by value
        // walks their type arguments). When no type argument is itself non-copyable or holds synchronization state,
        // an instance's fields say what the definition's say: a field of a type parameter becomes a plain type, a
        // field of another generic struct becomes an instance of it with plain arguments (the same again). So the
        // answer is the definition's, which the cache above keeps. Nullable<T> included: its definition is answered
        // without its fields, and an instance over a plain type has none that matter either.
        if (!ReferenceEquals(named, named.OriginalDefinition) && named.IsGenericType && HasOnlyPlainTypeArguments(named))
        {
            return Classify(named.OriginalDefinition);
        }

        if (!_factsCache.TryGetValue(named, out known))
        {
            known = IsNonCopyable(named) ? CopyFacts.NonCopyable : CopyFacts.None;
            if (HoldsSynchronizationState(named))
            {
                known |= CopyFacts.HoldsSynchronizationState;
            }

            known = _factsCache.GetOrAdd(named, known);
        }

        return _factsByReference.GetOrAdd(named, known);
    }

    /// <summary>
    /// Every type argument of <paramref name="type"/> and of the types it is nested in is neither non-copyable nor
    /// holds synchronization state (classes, primitives, type parameters and plain structs).
    /// </summary>
    private bool HasOnlyPlainTypeArguments(INamedTypeSymbol type)
    {
        for (var current = type; current is not null; current = current.ContainingType)
        {
            foreach (var argument in current.TypeArguments)
            {
                if (argument.TypeKind == TypeKind.Struct && Classify(argument) != CopyFacts.None)
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>True when copying a value of <paramref name="type"/> splits synchronization state.</summary>
    public bool IsNonCopyable(ITypeSymbol? type) => IsNonCopyable(type, path: null);

    /// <summary>
    /// True for a non-readonly source struct that updates its own fields with <c>Interlocked</c>/<c>Volatile</c> or
    /// locks on its own field (or holds such a struct): its mutating members must run on the one shared variable.
    /// </summary>
    public bool HoldsSynchronizationState(ITypeSymbol? type) => HoldsSynchronizationState(type, path: null);

    // Callbacks run concurrently and share the caches, so only final answers go into them. Cycles (a struct cannot
    // really contain itself, but half-typed code can say so) are cut with a path set private to this call: a type
    // already on the path counts as "no" for the member that leads back to it.
    private bool IsNonCopyable(ITypeSymbol? type, ImmutableHashSet<ITypeSymbol>? path)
    {
        if (type is not INamedTypeSymbol { TypeKind: TypeKind.Struct } named || IsPrimitive(named))
        {
            return false;
        }

        if (_cache.TryGetValue(named, out var known))
        {
            return known;
        }

        path ??= ImmutableHashSet.Create<ITypeSymbol>(SymbolEqualityComparer.Default);
        if (path.Contains(named))
        {
            return false;
        }

        var result = Compute(named, path.Add(named));
        return _cache.GetOrAdd(named, result);
    }

    private bool HoldsSynchronizationState(ITypeSymbol? type, ImmutableHashSet<ITypeSymbol>? path)
    {
        if (type is not INamedTypeSymbol { TypeKind: TypeKind.Struct, IsReadOnly: false } named || IsPrimitive(named))
        {
            return false;
        }

        if (_syncStateCache.TryGetValue(named, out var known))
        {
            return known;
        }

        path ??= ImmutableHashSet.Create<ITypeSymbol>(SymbolEqualityComparer.Default);
        if (path.Contains(named))
        {
            return false;
        }

        var inner = path.Add(named);
        var result = SyncStateSyntax.UpdatesOwnFields(named);
        if (!result)
        {
            foreach (var member in named.GetMembers())
            {
                if (member is IFieldSymbol { IsStatic: false, IsConst: false, RefKind: RefKind.None } field &&
                    field.Type.TypeKind == TypeKind.Struct &&
                    HoldsSynchronizationState(field.Type, inner))
                {
                    result = true;
                    break;
                }
            }
        }

        return _syncStateCache.GetOrAdd(named, result);
    }

    /// <summary>
    /// <c>int</c>, <c>bool</c>, <c>DateTime</c>, <c>void</c>...: most struct-typed operations are of these, and they
    /// neither hold a lock nor can carry an attribute of ours, so they are answered before the caches are asked. A
    /// special type is never nested, so its own arity is the generic test (<c>Nullable&lt;T&gt;</c>), without walking
    /// containers and type arguments as <c>IsGenericType</c> does.
    /// </summary>
    public static bool IsPrimitive(INamedTypeSymbol type)
        => type.SpecialType != SpecialType.None && type.Arity == 0;

    private bool Compute(INamedTypeSymbol type, ImmutableHashSet<ITypeSymbol> path)
    {
        if (type.Is(_spinLock) || type.Is(_spinWait))
        {
            return true;
        }

        foreach (var attribute in type.OriginalDefinition.GetAttributes())
        {
            if (attribute.AttributeClass is { } attributeClass && _attributeNames.Contains(attributeClass.Name))
            {
                return true;
            }
        }

        // Primitives and framework structs never hold a SpinLock; skip their (possibly large) member lists.
        if (type.SpecialType != SpecialType.None || type.IsTupleType && type.TupleElements.IsEmpty)
        {
            return false;
        }

        foreach (var member in type.GetMembers())
        {
            if (member is IFieldSymbol { IsStatic: false, IsConst: false, RefKind: RefKind.None } field &&
                field.Type.TypeKind == TypeKind.Struct &&
                IsNonCopyable(field.Type, path))
            {
                return true;
            }
        }

        return false;
    }

    private static ImmutableArray<string> ReadAttributeNames(Compilation compilation, AnalyzerOptions options)
    {
        var key = AttributesOption.Key;
        var global = options.AnalyzerConfigOptionsProvider.GlobalOptions;
        string? raw = null;
        if (!global.TryGetValue(key, out raw) && !global.TryGetValue(key.ToLowerInvariant(), out raw))
        {
            var tree = compilation.SyntaxTrees.FirstOrDefault();
            if (tree is not null)
            {
                var set = AttributesOption.GetList(options, tree);
                return set.ToImmutableArray();
            }

            return ImmutableArray<string>.Empty;
        }

        return raw.Split(new[] { ',', ' ', ';' }, StringSplitOptions.RemoveEmptyEntries)
            .Select(s => s.Trim())
            .Where(s => s.Length > 0)
            .ToImmutableArray();
    }
}

/// <summary>What <see cref="NonCopyableTypes.Classify"/> knows about a type.</summary>
[Flags]
internal enum CopyFacts : byte
{
    None = 0,

    /// <summary><see cref="NonCopyableTypes.IsNonCopyable(ITypeSymbol?)"/>.</summary>
    NonCopyable = 1,

    /// <summary><see cref="NonCopyableTypes.HoldsSynchronizationState(ITypeSymbol?)"/>.</summary>
    HoldsSynchronizationState = 2,
}
