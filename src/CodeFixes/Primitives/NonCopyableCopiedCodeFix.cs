using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ConcurrencyAnalyzers.CodeFixes.Editing;
using ConcurrencyAnalyzers.Primitives;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.CodeFixes.Primitives;

/// <summary>
/// CONC502 fix, for a value passed by value or <c>in</c> to a private method or local function declared in the same
/// document: the parameter becomes <c>ref</c>, and every call site passes <c>ref</c>. Offered only when every call site
/// passes a writable variable, the method is never used as a method group, and the body neither captures nor
/// reassigns the parameter (with <c>ref</c>, a reassignment would overwrite the caller's value).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(NonCopyableCopiedCodeFix)), Shared]
public sealed class NonCopyableCopiedCodeFix : CodeFixProvider
{
    private const string Title = "Pass by ref";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.NonCopyableCopied);

    public override FixAllProvider GetFixAllProvider() => DocumentBatchFix.Create(PassByRefAsync);

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            if (FindParameter(root, model, diagnostic, context.CancellationToken) is { } parameter &&
                Plan(root, model, parameter, context.CancellationToken) is not null)
            {
                context.RegisterCodeFix(
                    CodeAction.Create(Title, ct => PassByRefAsync(context.Document, ImmutableArray.Create(diagnostic), ct), RuleIds.NonCopyableCopied),
                    diagnostic);
            }
        }
    }

    private static async Task<Document> PassByRefAsync(Document document, ImmutableArray<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return document;
        }

        var parameters = new HashSet<IParameterSymbol>(SymbolEqualityComparer.Default);
        var edits = new Dictionary<SyntaxNode, bool>();
        foreach (var diagnostic in diagnostics)
        {
            if (FindParameter(root, model, diagnostic, cancellationToken) is { } parameter &&
                parameters.Add(parameter) &&
                Plan(root, model, parameter, cancellationToken) is { } nodes)
            {
                foreach (var node in nodes)
                {
                    edits[node] = true;
                }
            }
        }

        if (edits.Count == 0)
        {
            return document;
        }

        var newRoot = root.ReplaceNodes(edits.Keys, static (_, rewritten) => rewritten switch
        {
            ParameterSyntax parameter => WithRef(parameter),
            ArgumentSyntax argument => WithRef(argument),
            _ => rewritten,
        });
        return document.WithSyntaxRoot(newRoot);
    }

    private static IParameterSymbol? FindParameter(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (!diagnostic.Properties.TryGetValue(NonCopyableCopiedAnalyzer.KindProperty, out var kind) ||
            kind != NonCopyableCopiedAnalyzer.KindArgument)
        {
            return null;
        }

        var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
        return node.FirstAncestorOrSelf<ArgumentSyntax>() is { } argument &&
               model.GetOperation(argument, cancellationToken) is IArgumentOperation { Parameter: { } parameter }
            ? parameter.OriginalDefinition
            : null;
    }

    /// <summary>The parameter declaration and every argument that must gain <c>ref</c>; null when the rewrite is not safe.</summary>
    private static List<SyntaxNode>? Plan(SyntaxNode root, SemanticModel model, IParameterSymbol parameter, CancellationToken cancellationToken)
    {
        if (parameter.RefKind is not (RefKind.None or RefKind.In) || parameter.IsParams || parameter.HasExplicitDefaultValue ||
            parameter.ContainingSymbol is not IMethodSymbol method ||
            method.MethodKind is not (MethodKind.Ordinary or MethodKind.LocalFunction) ||
            method.IsAsync || method.IsAbstract || method.IsVirtual || method.IsOverride || method.IsExtern ||
            (method.MethodKind == MethodKind.Ordinary && method.DeclaredAccessibility != Accessibility.Private) ||
            !AllInTree(method.DeclaringSyntaxReferences, root.SyntaxTree) ||
            (method.MethodKind == MethodKind.Ordinary && !AllInTree(method.ContainingType.DeclaringSyntaxReferences, root.SyntaxTree)) ||
            method.DeclaringSyntaxReferences.Length != 1 ||
            parameter.DeclaringSyntaxReferences.Length != 1 ||
            parameter.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not ParameterSyntax parameterSyntax)
        {
            return null;
        }

        var declaration = method.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken);
        if (!IsParameterSafeAsRef(declaration, model, parameter, cancellationToken))
        {
            return null;
        }

        var nodes = new List<SyntaxNode> { parameterSyntax };
        foreach (var name in root.DescendantNodes().OfType<SimpleNameSyntax>())
        {
            if (name.Identifier.ValueText != method.Name ||
                !SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(name, cancellationToken).Symbol?.OriginalDefinition, method))
            {
                continue;
            }

            var callee = name.Parent is MemberAccessExpressionSyntax access && access.Name == name ? access : (ExpressionSyntax)name;
            if (callee.Parent is not InvocationExpressionSyntax invocation || invocation.Expression != callee ||
                model.GetOperation(invocation, cancellationToken) is not IInvocationOperation operation)
            {
                return null; // A method group or something we do not understand.
            }

            var argument = operation.Arguments.FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.Parameter?.OriginalDefinition, parameter));
            if (argument is null || argument.IsImplicit || argument.Syntax is not ArgumentSyntax argumentSyntax ||
                !IsWritableVariable(argument.Value))
            {
                return null;
            }

            nodes.Add(argumentSyntax);
        }

        return nodes;
    }

    private static bool AllInTree(ImmutableArray<SyntaxReference> references, SyntaxTree tree)
        => !references.IsEmpty && references.All(r => r.SyntaxTree == tree);

    /// <summary>Not captured by a lambda or local function, and never reassigned as a whole.</summary>
    private static bool IsParameterSafeAsRef(SyntaxNode declaration, SemanticModel model, IParameterSymbol parameter, CancellationToken cancellationToken)
    {
        if (declaration.DescendantNodes().Any(n => n is YieldStatementSyntax))
        {
            return false;
        }

        foreach (var identifier in declaration.DescendantNodes().OfType<IdentifierNameSyntax>())
        {
            if (identifier.Identifier.ValueText != parameter.Name ||
                !SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(identifier, cancellationToken).Symbol, parameter))
            {
                continue;
            }

            var nested = identifier.Ancestors().TakeWhile(a => a != declaration)
                .Any(a => a is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or QueryExpressionSyntax);
            if (nested)
            {
                return false;
            }

            if (identifier.Parent is AssignmentExpressionSyntax assignment && assignment.Left == identifier)
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsWritableVariable(IOperation value)
    {
        while (value is IConversionOperation { Conversion.IsIdentity: true, IsImplicit: true } or IParenthesizedOperation)
        {
            value = value is IConversionOperation conversion ? conversion.Operand : ((IParenthesizedOperation)value).Operand;
        }

        return value switch
        {
            ILocalReferenceOperation local => local.Local.RefKind is RefKind.None or RefKind.Ref && !IsReadOnlyLocal(local),
            IParameterReferenceOperation parameter => parameter.Parameter.RefKind is RefKind.None or RefKind.Ref or RefKind.Out,
            IFieldReferenceOperation field => !field.Field.IsReadOnly &&
                                             (field.Instance is null || field.Instance.Type?.IsReferenceType == true || IsWritableVariable(field.Instance)),
            IArrayElementReferenceOperation => true,
            _ => false,
        };
    }

    /// <summary>foreach and using variables are readonly (CS1657).</summary>
    private static bool IsReadOnlyLocal(ILocalReferenceOperation local)
        => local.Local.DeclaringSyntaxReferences.Any(r => r.GetSyntax() is ForEachStatementSyntax ||
                                                          r.GetSyntax().Parent?.Parent is UsingStatementSyntax or LocalDeclarationStatementSyntax { UsingKeyword.RawKind: (int)SyntaxKind.UsingKeyword });

    private static ParameterSyntax WithRef(ParameterSyntax parameter)
    {
        var modifiers = parameter.Modifiers;
        var index = modifiers.IndexOf(SyntaxKind.InKeyword);
        if (index >= 0)
        {
            var old = modifiers[index];
            return parameter.WithModifiers(modifiers.Replace(old, SyntaxFactory.Token(old.LeadingTrivia, SyntaxKind.RefKeyword, old.TrailingTrivia)));
        }

        if (modifiers.Any(SyntaxKind.RefKeyword))
        {
            return parameter;
        }

        if (parameter.Type is null)
        {
            return parameter;
        }

        // `ref` goes in front of the type (after `this`/`scoped`) and takes over the type's leading trivia.
        var type = parameter.Type;
        var refToken = SyntaxFactory.Token(modifiers.Count == 0 ? type.GetLeadingTrivia() : default, SyntaxKind.RefKeyword, SyntaxFactory.TriviaList(SyntaxFactory.Space));
        return modifiers.Count == 0
            ? parameter.WithType(type.WithoutLeadingTrivia()).WithModifiers(SyntaxFactory.TokenList(refToken))
            : parameter.WithModifiers(modifiers.Add(refToken));
    }

    private static ArgumentSyntax WithRef(ArgumentSyntax argument)
    {
        if (argument.RefKindKeyword.IsKind(SyntaxKind.RefKeyword))
        {
            return argument;
        }

        if (argument.RefKindKeyword.IsKind(SyntaxKind.InKeyword))
        {
            var old = argument.RefKindKeyword;
            return argument.WithRefKindKeyword(SyntaxFactory.Token(old.LeadingTrivia, SyntaxKind.RefKeyword, old.TrailingTrivia));
        }

        var expression = argument.Expression;
        var refToken = SyntaxFactory.Token(expression.GetLeadingTrivia(), SyntaxKind.RefKeyword, SyntaxFactory.TriviaList(SyntaxFactory.Space));
        return argument.WithExpression(expression.WithoutLeadingTrivia()).WithRefKindKeyword(refToken);
    }
}
