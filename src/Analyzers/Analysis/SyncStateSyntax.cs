using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ConcurrencyAnalyzers.Analysis;

/// <summary>
/// Reads a source struct's own declarations (no semantic model: names only) to see whether its members use its
/// instance fields as synchronization state: <c>Interlocked.X(ref _f)</c>, <c>Volatile.X(ref _f)</c>,
/// <c>lock (_f)</c> or <c>Monitor.Enter(_f)</c>.
/// </summary>
internal static class SyncStateSyntax
{
    public static bool UpdatesOwnFields(INamedTypeSymbol type)
    {
        if (type.DeclaringSyntaxReferences.IsEmpty)
        {
            return false; // a type from metadata: no declarations to read (its field names are not collected either)
        }

        var fieldNames = new HashSet<string>(
            type.GetMembers().OfType<IFieldSymbol>()
                .Where(f => !f.IsStatic && !f.IsConst && !f.IsImplicitlyDeclared)
                .Select(f => f.Name));
        if (fieldNames.Count == 0)
        {
            return false;
        }

        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax() is not TypeDeclarationSyntax declaration)
            {
                continue;
            }

            foreach (var node in declaration.DescendantNodes(n => n == declaration || n is not BaseTypeDeclarationSyntax))
            {
                switch (node)
                {
                    case InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax access } invocation
                        when ClassName(access.Expression) is "Interlocked" or "Volatile":
                        if (invocation.ArgumentList.Arguments.Any(a => a.RefKindKeyword.IsKind(SyntaxKind.RefKeyword) && IsOwnField(a.Expression, fieldNames)))
                        {
                            return true;
                        }

                        break;
                    case InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax access } invocation
                        when ClassName(access.Expression) == "Monitor" && access.Name.Identifier.ValueText is "Enter" or "TryEnter":
                        if (invocation.ArgumentList.Arguments.Count > 0 && IsOwnField(invocation.ArgumentList.Arguments[0].Expression, fieldNames))
                        {
                            return true;
                        }

                        break;
                    case LockStatementSyntax lockStatement when IsOwnField(lockStatement.Expression, fieldNames):
                        return true;
                }
            }
        }

        return false;
    }

    private static string? ClassName(ExpressionSyntax expression) => expression switch
    {
        IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
        MemberAccessExpressionSyntax access => access.Name.Identifier.ValueText,
        AliasQualifiedNameSyntax alias => alias.Name.Identifier.ValueText,
        _ => null,
    };

    private static bool IsOwnField(ExpressionSyntax expression, HashSet<string> fieldNames) => expression switch
    {
        IdentifierNameSyntax identifier => fieldNames.Contains(identifier.Identifier.ValueText),
        MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax } access => fieldNames.Contains(access.Name.Identifier.ValueText),
        _ => false,
    };
}
