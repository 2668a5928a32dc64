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
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;

namespace ConcurrencyAnalyzers.CodeFixes.Primitives;

/// <summary>
/// CONC503 fix: introduce <c>private readonly object _gate = new();</c> (static <c>_staticGate</c> in static code;
/// <c>new object()</c> before C# 9) and lock on it instead of the boxed value. Fix All adds one gate per type and
/// static-ness; an existing gate of that name is reused, so applying the fix again adds nothing.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(LockOnBoxedValueCodeFix)), Shared]
public sealed class LockOnBoxedValueCodeFix : CodeFixProvider
{
    private const string Title = "Lock on a private readonly object";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.LockOnBoxedValue);

    public override FixAllProvider GetFixAllProvider() => DocumentBatchFix.Create(IntroduceGateAsync);

    public override Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (var diagnostic in context.Diagnostics)
        {
            if (diagnostic.Properties.ContainsKey(LockOnBoxedValueAnalyzer.GateProperty))
            {
                context.RegisterCodeFix(
                    CodeAction.Create(Title, ct => IntroduceGateAsync(context.Document, ImmutableArray.Create(diagnostic), ct), RuleIds.LockOnBoxedValue),
                    diagnostic);
            }
        }

        return Task.CompletedTask;
    }

    private static async Task<Document> IntroduceGateAsync(Document document, ImmutableArray<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return document;
        }

        // One gate per (type, static-ness), shared by every site in the batch.
        var groups = new Dictionary<(TypeDeclarationSyntax Type, bool IsStatic), List<ExpressionSyntax>>();
        foreach (var diagnostic in diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(LockOnBoxedValueAnalyzer.GateProperty, out var gate) ||
                root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not ExpressionSyntax target)
            {
                continue;
            }

            while (target.Parent is ParenthesizedExpressionSyntax or CastExpressionSyntax &&
                   target.Parent.Span == diagnostic.Location.SourceSpan)
            {
                target = (ExpressionSyntax)target.Parent;
            }

            if (target.Span != diagnostic.Location.SourceSpan ||
                target.FirstAncestorOrSelf<TypeDeclarationSyntax>() is not ClassDeclarationSyntax and not RecordDeclarationSyntax { ClassOrStructKeyword.RawKind: not (int)SyntaxKind.StructKeyword })
            {
                continue;
            }

            var key = (target.FirstAncestorOrSelf<TypeDeclarationSyntax>()!, gate == LockOnBoxedValueAnalyzer.GateStatic);
            if (!groups.TryGetValue(key, out var targets))
            {
                groups[key] = targets = new List<ExpressionSyntax>();
            }

            targets.Add(target);
        }

        if (groups.Count == 0)
        {
            return document;
        }

        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        var languageVersion = (root.SyntaxTree.Options as CSharpParseOptions)?.LanguageVersion ?? LanguageVersion.CSharp7_3;
        foreach (var group in groups)
        {
            if (model.GetDeclaredSymbol(group.Key.Type, cancellationToken) is not INamedTypeSymbol typeSymbol)
            {
                continue;
            }

            var name = GateFields.ChooseName(typeSymbol, group.Key.IsStatic ? "_staticGate" : "_gate", group.Key.IsStatic, out var exists);
            foreach (var target in group.Value.Distinct())
            {
                editor.ReplaceNode(target, SyntaxFactory.IdentifierName(name).WithTriviaFrom(target));
            }

            if (!exists)
            {
                GateFields.Insert(editor, group.Key.Type, GateFields.Create(editor.Generator, name, group.Key.IsStatic, languageVersion));
            }
        }

        var changed = editor.GetChangedDocument();
        return await Formatter.FormatAsync(changed, Formatter.Annotation, cancellationToken: cancellationToken).ConfigureAwait(false);
    }
}
