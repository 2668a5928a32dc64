using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Simplification;

namespace ConcurrencyAnalyzers.CodeFixes.Editing;

/// <summary>How new code names a framework type: by its simple name (adding the <c>using</c>) unless that name means something else there.</summary>
internal static class TypeNames
{
    /// <summary>
    /// The name to write for <paramref name="namespaceName"/>.<paramref name="typeName"/> at <paramref name="position"/>,
    /// and the namespace to import for it (null when nothing needs importing).
    /// </summary>
    public static (TypeSyntax Name, string? NamespaceToImport) At(SemanticModel model, int position, string namespaceName, string typeName)
    {
        var visible = model.LookupNamespacesAndTypes(position, name: typeName);
        if (visible.IsEmpty)
        {
            return (SyntaxFactory.IdentifierName(typeName), namespaceName);
        }

        if (visible.Length == 1 && visible[0] is INamedTypeSymbol type &&
            type.ContainingNamespace?.ToDisplayString() == namespaceName)
        {
            return (SyntaxFactory.IdentifierName(typeName), null);
        }

        // The simple name means something else here: write it in full.
        var qualified = SyntaxFactory.ParseTypeName("global::" + namespaceName + "." + typeName)
            .WithAdditionalAnnotations(Simplifier.Annotation);
        return (qualified, null);
    }
}
