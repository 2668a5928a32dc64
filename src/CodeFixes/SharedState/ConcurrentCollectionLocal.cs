using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ConcurrencyAnalyzers.CodeFixes.Editing;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.CodeFixes.SharedState;

/// <summary>
/// CONC301's second fix: a local <c>Dictionary&lt;K, V&gt;</c> becomes a <c>ConcurrentDictionary&lt;K, V&gt;</c>, a local
/// <c>List&lt;T&gt;</c> only added to, counted and enumerated becomes a <c>ConcurrentBag&lt;T&gt;</c>. Offered only when
/// every use of the local is an API the concurrent type has with the same meaning (<c>Add(k, v)</c> becomes
/// <c>TryAdd</c>, <c>Remove(k)</c> becomes <c>TryRemove(k, out _)</c>), the local is never handed on as the concrete
/// type, and the rewritten method compiles.
/// </summary>
internal static class ConcurrentCollectionLocal
{
    private const string ConcurrentNamespace = "System.Collections.Concurrent";

    private enum Kind
    {
        Dictionary,
        List,
    }

    /// <summary>The fix's title for the local's type, or null when the type has no concurrent counterpart here.</summary>
    public static string? Title(ILocalSymbol local) => KindOf(local.Type) switch
    {
        Kind.Dictionary => "Use ConcurrentDictionary for the local",
        Kind.List => "Use ConcurrentBag for the local (items lose their order)",
        _ => null,
    };

    private static Kind? KindOf(ITypeSymbol type)
        => type is INamedTypeSymbol { IsGenericType: true } named &&
           named.ContainingNamespace?.ToDisplayString() == "System.Collections.Generic"
            ? named.OriginalDefinition.MetadataName switch
            {
                "Dictionary`2" => Kind.Dictionary,
                "List`1" => Kind.List,
                _ => null,
            }
            : null;

    /// <summary>The rewritten document, or null when some use of the local does not map or the result would not compile.</summary>
    public static async Task<Document?> TryRewriteAsync(Document document, SemanticModel model, ILocalSymbol local, CancellationToken cancellationToken)
    {
        if (KindOf(local.Type) is not { } kind || local.DeclaringSyntaxReferences.Length != 1 ||
            await local.DeclaringSyntaxReferences[0].GetSyntaxAsync(cancellationToken).ConfigureAwait(false) is not VariableDeclaratorSyntax declarator ||
            declarator.Parent is not VariableDeclarationSyntax { Variables.Count: 1 } declaration ||
            declaration.Parent is not LocalDeclarationStatementSyntax { UsingKeyword.RawKind: 0, AwaitKeyword.RawKind: 0 })
        {
            return null;
        }

        var concurrentName = kind == Kind.Dictionary ? "ConcurrentDictionary" : "ConcurrentBag";
        var concurrentType = model.Compilation.GetTypeByMetadataName(ConcurrentNamespace + "." + concurrentName + (kind == Kind.Dictionary ? "`2" : "`1"));
        var typeArguments = ((INamedTypeSymbol)local.Type).TypeArguments.ToArray();
        if (concurrentType is null)
        {
            return null;
        }

        var constructed = concurrentType.Construct(typeArguments);
        // The local's scope: the block (or switch section) declaring it; all top-level statements for a top-level local.
        var scope = declaration.Parent!.Parent is GlobalStatementSyntax global ? global.Parent : declaration.Parent!.Parent;
        if (scope is null || !CanRewriteDeclaration(model, declaration, declarator, cancellationToken))
        {
            return null;
        }

        var replacements = new Dictionary<SyntaxNode, SyntaxNode>();
        foreach (var identifier in scope.DescendantNodes().OfType<IdentifierNameSyntax>())
        {
            if (identifier.Identifier.ValueText != local.Name ||
                !SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(identifier, cancellationToken).Symbol, local))
            {
                continue;
            }

            if (model.GetOperation(identifier, cancellationToken) is not ILocalReferenceOperation reference ||
                !Maps(reference, kind, model.Compilation, constructed, replacements))
            {
                return null;
            }
        }

        foreach (var type in TypesToRename(declaration, declarator))
        {
            replacements[type] = type.WithIdentifier(SyntaxFactory.Identifier(concurrentName).WithTriviaFrom(type.Identifier));
        }

        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return null;
        }

        var newRoot = root.ReplaceNodes(replacements.Keys, (original, _) => replacements[original]);
        newRoot = UsingDirectives.AddIfMissing(newRoot, ConcurrentNamespace);
        var newDocument = document.WithSyntaxRoot(newRoot);

        // The rewrite must compile: an overload or extension method that only fits the old type ends the offer.
        var newModel = await newDocument.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (newModel is null || HasErrors(model, cancellationToken) || HasErrors(newModel, cancellationToken))
        {
            return null;
        }

        return newDocument;
    }

    private static bool HasErrors(SemanticModel model, CancellationToken cancellationToken)
        => model.GetDiagnostics(cancellationToken: cancellationToken).Any(d => d.Severity == DiagnosticSeverity.Error);

    /// <summary><c>var d = new Dictionary&lt;K, V&gt;()</c>, <c>Dictionary&lt;K, V&gt; d = new()</c>, optionally with a key comparer; no capacity, no initializer.</summary>
    private static bool CanRewriteDeclaration(SemanticModel model, VariableDeclarationSyntax declaration, VariableDeclaratorSyntax declarator, CancellationToken cancellationToken)
    {
        if (!(declaration.Type.IsVar || declaration.Type is GenericNameSyntax))
        {
            return false;
        }

        ArgumentListSyntax? arguments;
        InitializerExpressionSyntax? initializer;
        switch (declarator.Initializer?.Value)
        {
            case ObjectCreationExpressionSyntax { Type: GenericNameSyntax } creation:
                arguments = creation.ArgumentList;
                initializer = creation.Initializer;
                break;
            case ImplicitObjectCreationExpressionSyntax creation when declaration.Type is GenericNameSyntax:
                arguments = creation.ArgumentList;
                initializer = creation.Initializer;
                break;
            default:
                return false;
        }

        if (initializer is not null)
        {
            return false;
        }

        if (arguments is null || arguments.Arguments.Count == 0)
        {
            return true;
        }

        // A key comparer only: ConcurrentDictionary has the same constructor. A capacity means something else there.
        return arguments.Arguments.Count == 1 &&
               model.GetSymbolInfo(declarator.Initializer!.Value, cancellationToken).Symbol is IMethodSymbol { Parameters.Length: 1 } constructor &&
               constructor.Parameters[0].Type is INamedTypeSymbol { Name: "IEqualityComparer", IsGenericType: true };
    }

    private static IEnumerable<GenericNameSyntax> TypesToRename(VariableDeclarationSyntax declaration, VariableDeclaratorSyntax declarator)
    {
        if (declaration.Type is GenericNameSyntax declared)
        {
            yield return declared;
        }

        if (declarator.Initializer?.Value is ObjectCreationExpressionSyntax { Type: GenericNameSyntax created })
        {
            yield return created;
        }
    }

    /// <summary>One use of the local: allowed as is, allowed with a rename recorded in <paramref name="replacements"/>, or not allowed.</summary>
    private static bool Maps(ILocalReferenceOperation reference, Kind kind, Compilation compilation, INamedTypeSymbol concurrent, Dictionary<SyntaxNode, SyntaxNode> replacements)
    {
        var parent = reference.Parent;
        switch (parent)
        {
            case IInvocationOperation invocation when ReferenceEquals(invocation.Instance, reference):
                return MapsCall(invocation, kind, replacements);

            case IPropertyReferenceOperation property when ReferenceEquals(property.Instance, reference):
                return MapsProperty(property, reference, kind, compilation, concurrent);

            case IForEachLoopOperation loop when ReferenceEquals(loop.Collection, reference):
                return true;

            case IConversionOperation { IsImplicit: true } conversion:
                // foreach over it, or handed on as an interface the concurrent type also implements (LINQ, IReadOnlyDictionary, ...).
                return conversion.Parent is IForEachLoopOperation ||
                       (conversion.Type is { TypeKind: TypeKind.Interface } target && compilation.ClassifyConversion(concurrent, target).IsImplicit);

            case IArgumentOperation { Parameter: { RefKind: RefKind.None, Type: { TypeKind: TypeKind.Interface } parameterType } }:
                // The receiver of an extension method (`d.Select(...)`) is an argument without a conversion operation.
                return compilation.ClassifyConversion(concurrent, parameterType).IsImplicit;

            case ILockOperation @lock when ReferenceEquals(@lock.LockedValue, reference):
                return true;

            default:
                return false;
        }
    }

    private static bool MapsCall(IInvocationOperation invocation, Kind kind, Dictionary<SyntaxNode, SyntaxNode> replacements)
    {
        var name = invocation.TargetMethod.Name;
        if (kind == Kind.List)
        {
            return name is "Add" or "ToArray" && invocation.Arguments.Length == (name == "Add" ? 1 : 0);
        }

        switch (name)
        {
            case "TryGetValue" or "ContainsKey" or "TryAdd" or "Clear":
                return true;
            case "Add" when invocation.Arguments.Length == 2 && invocation.Syntax is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax access }:
                replacements[access.Name] = SyntaxFactory.IdentifierName("TryAdd").WithTriviaFrom(access.Name);
                return true;
            case "Remove" when invocation.Syntax is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax access } call:
                if (invocation.Arguments.Length == 1)
                {
                    // Parsed, so `_` is a discard and not a name.
                    var discard = SyntaxFactory.ParseArgumentList("(out _)").Arguments[0];
                    var arguments = call.ArgumentList.Arguments;
                    var withDiscard = SyntaxFactory.SeparatedList<ArgumentSyntax>(
                        arguments.Add(discard).GetWithSeparators().Select(
                            item => item.IsToken && item.AsToken().IsKind(SyntaxKind.CommaToken) && !item.AsToken().HasTrailingTrivia
                                ? (SyntaxNodeOrToken)item.AsToken().WithTrailingTrivia(SyntaxFactory.Space)
                                : item));
                    replacements[call] = call
                        .WithExpression(access.WithName(SyntaxFactory.IdentifierName("TryRemove").WithTriviaFrom(access.Name)))
                        .WithArgumentList(call.ArgumentList.WithArguments(withDiscard));
                    return true;
                }

                if (invocation.Arguments.Length == 2 && invocation.Arguments[1].Parameter?.RefKind == RefKind.Out)
                {
                    replacements[call] = call.WithExpression(access.WithName(SyntaxFactory.IdentifierName("TryRemove").WithTriviaFrom(access.Name)));
                    return true;
                }

                return false;
            default:
                return false;
        }
    }

    private static bool MapsProperty(IPropertyReferenceOperation property, ILocalReferenceOperation reference, Kind kind, Compilation compilation, INamedTypeSymbol concurrent)
    {
        if (property.Property.Name == "Count" && !property.Property.IsIndexer)
        {
            return true;
        }

        if (kind != Kind.Dictionary)
        {
            return false;
        }

        if (property.Property.IsIndexer)
        {
            switch (property.Parent)
            {
                case ISimpleAssignmentOperation assignment when ReferenceEquals(assignment.Target, property):
                    // `d[k] = d[k] + 1` would become a lost update on the concurrent type: no fix.
                    return !assignment.Value.EnumerateDescendantsAndSelf().Any(o => o is ILocalReferenceOperation other && SymbolEqualityComparer.Default.Equals(other.Local, reference.Local));
                case ICompoundAssignmentOperation or IIncrementOrDecrementOperation or ICoalesceAssignmentOperation:
                    return false;
                default:
                    return !(property.Parent is IArgumentOperation { Parameter.RefKind: not RefKind.None });
            }
        }

        if (property.Property.Name is "Keys" or "Values")
        {
            var user = property.Parent;
            return user switch
            {
                IForEachLoopOperation => true,
                IPropertyReferenceOperation { Property.Name: "Count" } => true,
                IConversionOperation { IsImplicit: true } conversion =>
                    conversion.Parent is IForEachLoopOperation || conversion.Type is { TypeKind: TypeKind.Interface },
                IArgumentOperation { Parameter: { RefKind: RefKind.None, Type.TypeKind: TypeKind.Interface } } => true,
                _ => false,
            };
        }

        return false;
    }
}
