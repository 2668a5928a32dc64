using Microsoft.CodeAnalysis;

namespace ConcurrencyAnalyzers.Internals;

internal static class SymbolExtensions
{
    /// <summary>
    /// The two types have the same definition (<c>List&lt;int&gt;</c> is <c>List&lt;T&gt;</c>). The names first: most
    /// comparisons are of different types, and equal definitions have equal names.
    /// </summary>
    public static bool Is(this ITypeSymbol? type, ITypeSymbol? other)
        => type is not null && other is not null && type.Name == other.Name &&
           SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, other.OriginalDefinition);

    public static bool InheritsFromOrEquals(this ITypeSymbol? type, ITypeSymbol? baseType)
    {
        if (baseType is null)
        {
            return false;
        }

        var target = baseType.OriginalDefinition;
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current.OriginalDefinition, target))
            {
                return true;
            }
        }

        return false;
    }

    public static bool Implements(this ITypeSymbol? type, ITypeSymbol? interfaceType)
    {
        if (type is null || interfaceType is null)
        {
            return false;
        }

        if (type.Is(interfaceType))
        {
            return true;
        }

        foreach (var candidate in type.AllInterfaces)
        {
            if (SymbolEqualityComparer.Default.Equals(candidate.OriginalDefinition, interfaceType.OriginalDefinition))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The symbol is declared (in source) inside <paramref name="scope"/>: a parameter or local of that lambda or block.</summary>
    public static bool IsDeclaredInside(this ISymbol symbol, IOperation scope)
    {
        foreach (var location in symbol.Locations)
        {
            if (location.IsInSource && location.SourceTree == scope.Syntax.SyntaxTree && scope.Syntax.Span.Contains(location.SourceSpan))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// A parameter of a class's or struct's primary constructor (<c>class C(IEnumerable&lt;IHandler&gt; handlers)</c>):
    /// read from members, it is the instance's captured state, like a field.
    /// </summary>
    public static bool IsPrimaryConstructorParameter(this IParameterSymbol parameter)
        => parameter.ContainingSymbol is IMethodSymbol { MethodKind: MethodKind.Constructor, DeclaringSyntaxReferences: { Length: > 0 } references } &&
           references[0].GetSyntax() is Microsoft.CodeAnalysis.CSharp.Syntax.TypeDeclarationSyntax;

    /// <summary>Task, Task&lt;T&gt;, ValueTask, ValueTask&lt;T&gt; (or a type deriving from Task).</summary>
    public static bool IsTaskLike(this ITypeSymbol? type, KnownTypes types)
        => type?.TypeKind switch
        {
            // Asked about the result of most calls: void, string, bool and the like are left at once, and only classes
            // walk their base types.
            TypeKind.Class => type.SpecialType == SpecialType.None && type.InheritsFromOrEquals(types.Task),
            TypeKind.Struct => type.SpecialType == SpecialType.None && (type.Is(types.ValueTask) || type.Is(types.ValueTaskOfT)),
            _ => false,
        };

    /// <summary>
    /// A test method of xUnit, NUnit or MSTest (<c>[Fact]</c>, <c>[Theory]</c>, <c>[Test]</c>, <c>[TestMethod]</c>, ...),
    /// matched by the attribute's name so that any framework version, or a project's own attribute of that name, counts.
    /// </summary>
    public static bool IsTestMethod(this ISymbol? symbol)
    {
        if (symbol is not IMethodSymbol method)
        {
            return false;
        }

        foreach (var attribute in method.GetAttributes())
        {
            if (attribute.AttributeClass?.Name is "FactAttribute" or "TheoryAttribute" or "SkippableFactAttribute" or "SkippableTheoryAttribute" or
                "TestAttribute" or "TestCaseAttribute" or "TestCaseSourceAttribute" or "TestMethodAttribute" or "DataTestMethodAttribute")
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The member is an override or an (implicit or explicit) implementation of an interface member.</summary>
    public static bool IsOverrideOrInterfaceImplementation(this IMethodSymbol method)
    {
        if (method.IsOverride || !method.ExplicitInterfaceImplementations.IsEmpty)
        {
            return true;
        }

        var containingType = method.ContainingType;
        if (containingType is null)
        {
            return false;
        }

        foreach (var @interface in containingType.AllInterfaces)
        {
            foreach (var member in @interface.GetMembers(method.Name))
            {
                var implementation = containingType.FindImplementationForInterfaceMember(member);
                if (SymbolEqualityComparer.Default.Equals(implementation, method))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
