using System;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Text;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ConcurrencyAnalyzers.SharedState;

/// <summary>
/// The user's list of types to treat as thread-safe (<c>CONC301.thread_safe_types</c>): fully qualified names, generic
/// types by metadata name (<c>My.Collections.SafeList`1</c>) or without the arity (<c>My.Collections.SafeList</c>),
/// nested types with <c>+</c> or <c>.</c>. Read once per syntax tree; one instance per compilation.
/// </summary>
internal sealed class ThreadSafeTypes
{
    /// <summary>The option key; CONC301 and CONC303 read it.</summary>
    public static readonly RuleOption Option = new(RuleIds.CollectionMutatedConcurrently, "thread_safe_types");

    private readonly AnalyzerOptions _options;
    private readonly ConcurrentDictionary<SyntaxTree, ImmutableHashSet<string>> _byTree = new();

    public ThreadSafeTypes(AnalyzerOptions options) => _options = options;

    /// <summary>
    /// True when <paramref name="type"/> or one of its base types is listed for the file <paramref name="tree"/>:
    /// a listed wrapper deriving from <c>List&lt;T&gt;</c> is thread-safe, and so is every user of a listed BCL type.
    /// </summary>
    public bool Contains(ITypeSymbol? type, SyntaxTree? tree)
    {
        if (type is null || tree is null)
        {
            return false;
        }

        // Looked up first: the factory (a delegate on this object) is made only for a tree not seen yet.
        if (!_byTree.TryGetValue(tree, out var names))
        {
            names = _byTree.GetOrAdd(tree, t => Parse(Option.GetList(_options, t)));
        }

        if (names.IsEmpty)
        {
            return false;
        }

        for (var current = type as INamedTypeSymbol; current is not null; current = current.BaseType)
        {
            if (current.SpecialType == SpecialType.System_Object)
            {
                break;
            }

            var withArity = FullName(current.OriginalDefinition, withArity: true);
            if (names.Contains(withArity) || names.Contains(FullName(current.OriginalDefinition, withArity: false)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Entries normalized: nested types with <c>.</c>, <c>SafeList&lt;T&gt;</c> read as <c>SafeList</c>, <c>global::</c> dropped.</summary>
    private static ImmutableHashSet<string> Parse(ImmutableHashSet<string> entries)
    {
        if (entries.IsEmpty)
        {
            return entries;
        }

        var builder = ImmutableHashSet.CreateBuilder<string>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            var name = entry.Trim();
            if (name.StartsWith("global::", StringComparison.Ordinal))
            {
                name = name.Substring("global::".Length);
            }

            var angle = name.IndexOf('<');
            if (angle > 0)
            {
                name = name.Substring(0, angle);
            }

            name = name.Replace('+', '.');
            if (name.Length > 0)
            {
                builder.Add(name);
            }
        }

        return builder.ToImmutable();
    }

    /// <summary><c>Namespace.Outer.Inner`1</c> (with arity) or <c>Namespace.Outer.Inner</c> (without any arity).</summary>
    private static string FullName(INamedTypeSymbol type, bool withArity)
    {
        var builder = new StringBuilder();
        Append(builder, type, withArity);
        return builder.ToString();
    }

    private static void Append(StringBuilder builder, INamedTypeSymbol type, bool withArity)
    {
        if (type.ContainingType is { } outer)
        {
            Append(builder, outer, withArity);
            builder.Append('.');
        }
        else if (type.ContainingNamespace is { IsGlobalNamespace: false } ns)
        {
            builder.Append(ns.ToDisplayString()).Append('.');
        }

        builder.Append(withArity ? type.MetadataName : type.Name);
    }
}
