using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ConcurrencyAnalyzers.CodeFixes.Editing;
using ConcurrencyAnalyzers.Locking;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace ConcurrencyAnalyzers.CodeFixes.Locking;

/// <summary>
/// CONC209: adds one <c>private readonly</c> gate per type (<c>System.Threading.Lock</c> when available, else
/// <c>object</c>) and locks on it at every site of the type that locked on the same target (all or nothing).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UnstableLockTargetCodeFix))]
[Shared]
public sealed class UnstableLockTargetCodeFix : CodeFixProvider
{
    private const string Title = "Lock on a private readonly gate";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.UnstableLockTarget);

    public override FixAllProvider GetFixAllProvider()
        => FixAllProvider.Create(async (fixAll, document, diagnostics) => await FixAsync(document, diagnostics, fixAll.CancellationToken).ConfigureAwait(false));

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var diagnostic = context.Diagnostics[0];
        if (!diagnostic.Properties.ContainsKey(UnstableLockTargetAnalyzer.GateProperty))
        {
            return;
        }

        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root?.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<TypeDeclarationSyntax>() is null)
        {
            return;
        }

        context.RegisterCodeFix(
            CodeAction.Create(Title, ct => FixAsync(context.Document, ImmutableArray.Create(diagnostic), ct), RuleIds.UnstableLockTarget),
            diagnostic);
    }

    private static async Task<Document> FixAsync(Document document, ImmutableArray<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return document;
        }

        // Group the diagnosed targets by type: one gate per type and kind (static / instance).
        var byType = new Dictionary<TypeDeclarationSyntax, List<(ExpressionSyntax Target, bool IsStatic)>>();
        foreach (var diagnostic in diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(UnstableLockTargetAnalyzer.GateProperty, out var gate) ||
                root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not ExpressionSyntax target ||
                target.FirstAncestorOrSelf<TypeDeclarationSyntax>() is not { } type)
            {
                continue;
            }

            if (!byType.TryGetValue(type, out var list))
            {
                byType[type] = list = new List<(ExpressionSyntax, bool)>();
            }

            list.Add((target, gate == UnstableLockTargetAnalyzer.GateStatic));
        }

        if (byType.Count == 0)
        {
            return document;
        }

        var languageVersion = ((CSharpParseOptions)root.SyntaxTree.Options).LanguageVersion;
        var useLockType = (int)languageVersion >= 1300 && languageVersion != LanguageVersion.Latest && languageVersion != LanguageVersion.LatestMajor &&
                          model.Compilation.GetTypeByMetadataName("System.Threading.Lock") is not null;
        var targetTyped = (int)languageVersion >= 900;
        string? namespaceToImport = null;

        var replacements = new Dictionary<SyntaxNode, SyntaxNode>();
        var additions = new Dictionary<TypeDeclarationSyntax, List<MemberDeclarationSyntax>>();
        foreach (var pair in byType)
        {
            var type = pair.Key;
            var sites = LockSites(type, model, cancellationToken);
            var members = new List<MemberDeclarationSyntax>();
            foreach (var isStatic in new[] { false, true })
            {
                var diagnosed = pair.Value.Where(t => t.IsStatic == isStatic).Select(t => t.Target).ToList();
                if (diagnosed.Count == 0)
                {
                    continue;
                }

                // Every site of the type that locks on the same target changes with the diagnosed ones (all or nothing).
                var targets = new HashSet<ExpressionSyntax>();
                var usedWithMonitor = false;
                foreach (var (expression, isMonitor) in sites)
                {
                    if (diagnosed.Any(d => SameTarget(d, expression)))
                    {
                        targets.Add(expression);
                        usedWithMonitor |= isMonitor;
                    }
                }

                var preferred = isStatic ? "s_gate" : "_gate";
                var gateType = useLockType && !usedWithMonitor ? "Lock" : "object";
                if (ExistingGate(type, preferred, isStatic, usedWithMonitor))
                {
                    // A gate this fix added before (one gate per type, also when sites are fixed one at a time).
                    foreach (var target in targets)
                    {
                        replacements[target] = SyntaxFactory.IdentifierName(preferred).WithTriviaFrom(target);
                    }

                    continue;
                }

                var name = FreeName(type, preferred);
                TypeSyntax typeSyntax = SyntaxFactory.PredefinedType(SyntaxFactory.Token(SyntaxKind.ObjectKeyword));
                if (gateType == "Lock")
                {
                    var (lockName, import) = TypeNames.At(model, type.SpanStart, "System.Threading", "Lock");
                    typeSyntax = lockName;
                    namespaceToImport = import;
                }

                ExpressionSyntax creation = targetTyped
                    ? SyntaxFactory.ImplicitObjectCreationExpression()
                    : SyntaxFactory.ObjectCreationExpression(typeSyntax.WithoutTrivia()).WithArgumentList(SyntaxFactory.ArgumentList());
                var modifiers = isStatic
                    ? SyntaxFactory.TokenList(SyntaxFactory.Token(SyntaxKind.PrivateKeyword), SyntaxFactory.Token(SyntaxKind.StaticKeyword), SyntaxFactory.Token(SyntaxKind.ReadOnlyKeyword))
                    : SyntaxFactory.TokenList(SyntaxFactory.Token(SyntaxKind.PrivateKeyword), SyntaxFactory.Token(SyntaxKind.ReadOnlyKeyword));
                var field = SyntaxFactory.FieldDeclaration(
                        SyntaxFactory.VariableDeclaration(typeSyntax)
                            .AddVariables(SyntaxFactory.VariableDeclarator(name).WithInitializer(SyntaxFactory.EqualsValueClause(creation))))
                    .WithModifiers(modifiers)
                    .WithAdditionalAnnotations(Formatter.Annotation);
                members.Add(field);
                foreach (var target in targets)
                {
                    replacements[target] = SyntaxFactory.IdentifierName(name).WithTriviaFrom(target);
                }
            }

            if (members.Count > 0)
            {
                additions[type] = members;
            }
        }

        var newRoot = root.ReplaceNodes(
            replacements.Keys.Concat(additions.Keys),
            (original, rewritten) =>
            {
                if (replacements.TryGetValue(original, out var replacement))
                {
                    return replacement;
                }

                if (rewritten is TypeDeclarationSyntax type && additions.TryGetValue((TypeDeclarationSyntax)original, out var members))
                {
                    return type.WithMembers(type.Members.InsertRange(0, members));
                }

                return rewritten;
            });
        newRoot = UsingDirectives.AddIfMissing(newRoot, namespaceToImport);
        return document.WithSyntaxRoot(newRoot);
    }

    /// <summary>Lock targets in the type (not nested types): lock statements and Monitor calls' first argument.</summary>
    private static List<(ExpressionSyntax Expression, bool IsMonitor)> LockSites(TypeDeclarationSyntax type, SemanticModel model, CancellationToken cancellationToken)
    {
        var sites = new List<(ExpressionSyntax, bool)>();
        foreach (var node in type.DescendantNodes(n => n == type || n is not TypeDeclarationSyntax))
        {
            switch (node)
            {
                case LockStatementSyntax lockStatement:
                    sites.Add((Unparenthesize(lockStatement.Expression), false));
                    break;
                case InvocationExpressionSyntax { ArgumentList.Arguments.Count: > 0 } invocation
                    when model.GetSymbolInfo(invocation, cancellationToken).Symbol is IMethodSymbol { IsStatic: true, ContainingType: { Name: "Monitor", ContainingNamespace: { Name: "Threading" } } }:
                    sites.Add((Unparenthesize(invocation.ArgumentList.Arguments[0].Expression), true));
                    break;
            }
        }

        return sites;
    }

    private static ExpressionSyntax Unparenthesize(ExpressionSyntax expression)
    {
        while (expression is ParenthesizedExpressionSyntax parenthesized)
        {
            expression = parenthesized.Expression;
        }

        return expression;
    }

    private static bool SameTarget(ExpressionSyntax diagnosed, ExpressionSyntax candidate)
    {
        if (diagnosed == candidate)
        {
            return true;
        }

        return diagnosed switch
        {
            ThisExpressionSyntax => candidate is ThisExpressionSyntax,
            TypeOfExpressionSyntax typeOf => candidate is TypeOfExpressionSyntax other && other.Type.ToString() == typeOf.Type.ToString(),
            LiteralExpressionSyntax literal => candidate is LiteralExpressionSyntax otherLiteral && otherLiteral.Token.ValueText == literal.Token.ValueText &&
                                               otherLiteral.IsKind(SyntaxKind.StringLiteralExpression),
            _ => false,
        };
    }

    private static bool ExistingGate(TypeDeclarationSyntax type, string name, bool isStatic, bool usedWithMonitor)
    {
        foreach (var field in type.Members.OfType<FieldDeclarationSyntax>())
        {
            if (field.Declaration.Variables.Any(v => v.Identifier.ValueText == name))
            {
                var modifiers = field.Modifiers;
                var typeName = field.Declaration.Type.ToString();
                return modifiers.Any(SyntaxKind.PrivateKeyword) && modifiers.Any(SyntaxKind.ReadOnlyKeyword) &&
                       modifiers.Any(SyntaxKind.StaticKeyword) == isStatic &&
                       (typeName == "object" || (!usedWithMonitor && (typeName == "Lock" || typeName.EndsWith(".Lock", System.StringComparison.Ordinal))));
            }
        }

        return false;
    }

    private static string FreeName(TypeDeclarationSyntax type, string preferred)
    {
        var taken = new HashSet<string>(type.Members.OfType<FieldDeclarationSyntax>().SelectMany(f => f.Declaration.Variables).Select(v => v.Identifier.ValueText));
        foreach (var member in type.Members)
        {
            switch (member)
            {
                case PropertyDeclarationSyntax property: taken.Add(property.Identifier.ValueText); break;
                case MethodDeclarationSyntax method: taken.Add(method.Identifier.ValueText); break;
            }
        }

        var name = preferred;
        for (var i = 2; taken.Contains(name); i++)
        {
            name = preferred + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return name;
    }
}
