using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;

namespace ConcurrencyAnalyzers.CodeFixes.Editing;

/// <summary>A <c>private readonly object</c> gate field: found when the type already has one, otherwise created.</summary>
internal static class GateFields
{
    /// <summary>
    /// The name of the gate field to lock on in <paramref name="type"/>: an existing <c>private [static] readonly object</c>
    /// field called <paramref name="preferredName"/> (or a numbered variant) is reused; otherwise the first free name is
    /// returned and <paramref name="exists"/> is false.
    /// </summary>
    public static string ChooseName(INamedTypeSymbol type, string preferredName, bool isStatic, out bool exists)
    {
        for (var i = 0; ; i++)
        {
            var candidate = i == 0 ? preferredName : preferredName + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var members = type.GetMembers(candidate);
            if (members.IsEmpty && !InheritedNameClash(type, candidate))
            {
                exists = false;
                return candidate;
            }

            if (members.Length == 1 && members[0] is IFieldSymbol
                {
                    IsReadOnly: true,
                    DeclaredAccessibility: Accessibility.Private,
                    Type.SpecialType: SpecialType.System_Object,
                } field && field.IsStatic == isStatic)
            {
                exists = true;
                return candidate;
            }
        }
    }

    /// <summary><c>private [static] readonly object name = new();</c> (<c>new object()</c> before C# 9), formatted on insertion.</summary>
    public static MemberDeclarationSyntax Create(SyntaxGenerator generator, string name, bool isStatic, LanguageVersion languageVersion)
    {
        ExpressionSyntax initializer = languageVersion >= LanguageVersion.CSharp9
            ? SyntaxFactory.ImplicitObjectCreationExpression()
            : (ExpressionSyntax)generator.ObjectCreationExpression(generator.TypeExpression(SpecialType.System_Object));
        var modifiers = DeclarationModifiers.ReadOnly;
        if (isStatic)
        {
            modifiers |= DeclarationModifiers.Static;
        }

        return ((MemberDeclarationSyntax)generator.FieldDeclaration(
                name,
                generator.TypeExpression(SpecialType.System_Object),
                Accessibility.Private,
                modifiers,
                initializer))
            .WithAdditionalAnnotations(Formatter.Annotation);
    }

    /// <summary>Inserts <paramref name="field"/> after the type's last field, or first when it has none.</summary>
    public static void Insert(SyntaxEditor editor, TypeDeclarationSyntax type, MemberDeclarationSyntax field)
    {
        var lastField = type.Members.OfType<FieldDeclarationSyntax>().LastOrDefault();
        if (lastField is not null)
        {
            editor.InsertAfter(lastField, field);
        }
        else
        {
            editor.InsertMembers(type, 0, new SyntaxNode[] { field });
        }
    }

    private static bool InheritedNameClash(INamedTypeSymbol type, string name)
    {
        for (var current = type.BaseType; current is not null; current = current.BaseType)
        {
            if (current.GetMembers(name).Any(m => m.DeclaredAccessibility != Accessibility.Private))
            {
                return true;
            }
        }

        return false;
    }
}
