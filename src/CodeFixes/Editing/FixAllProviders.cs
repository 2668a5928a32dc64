using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;

namespace ConcurrencyAnalyzers.CodeFixes.Editing;

/// <summary>
/// The Fix All providers our fixers return. Use <see cref="Batch"/> instead of
/// <c>WellKnownFixAllProviders.BatchFixer</c> (RS0030 enforces it).
/// </summary>
/// <remarks>
/// The IDE starts a Fix All from an action the user picked, so it always has an equivalence key.
/// <c>dotnet format analyzers</c> does not: it asks the fixer for the actions of the rule's first diagnostic and uses
/// the first one's key, or <c>null</c> when that diagnostic has no fix. Most of our rules report some shapes without a
/// fix (precision first: no fix rather than a wrong one), and Roslyn's batch fixer with a <c>null</c> key matches no
/// action, so one unfixable diagnostic at the top of the first file used to switch the rule's bulk fix off entirely.
/// Given no key, these providers take the key of the first diagnostic in scope that does have a fix.
/// </remarks>
internal static class FixAllProviders
{
    /// <summary>Roslyn's batch fixer, made to work when the Fix All arrives without an equivalence key.</summary>
#pragma warning disable RS0030 // The one place the batch fixer is wrapped.
    public static FixAllProvider Batch { get; } = new KeyInferring(WellKnownFixAllProviders.BatchFixer);
#pragma warning restore RS0030

    /// <summary>Wraps a key-sensitive Fix All provider so that a missing key is inferred (see the type remarks).</summary>
    public static FixAllProvider InferringKey(FixAllProvider inner) => new KeyInferring(inner);

    private sealed class KeyInferring : FixAllProvider
    {
        private readonly FixAllProvider _inner;

        public KeyInferring(FixAllProvider inner) => _inner = inner;

        public override IEnumerable<FixAllScope> GetSupportedFixAllScopes() => _inner.GetSupportedFixAllScopes();

        public override async Task<CodeAction?> GetFixAsync(FixAllContext fixAllContext)
        {
            if (fixAllContext.CodeActionEquivalenceKey is null)
            {
                var key = await FirstKeyAsync(fixAllContext).ConfigureAwait(false);
                if (key is null)
                {
                    return null;
                }

                fixAllContext = WithKey(fixAllContext, key);
            }

            return await _inner.GetFixAsync(fixAllContext).ConfigureAwait(false);
        }

        private static async Task<string?> FirstKeyAsync(FixAllContext context)
        {
            foreach (var document in DocumentsInScope(context))
            {
                var diagnostics = await context.GetDocumentDiagnosticsAsync(document).ConfigureAwait(false);
                foreach (var diagnostic in diagnostics.OrderBy(d => d.Location.SourceSpan.Start))
                {
                    string? key = null;
                    var codeFixContext = new CodeFixContext(
                        document,
                        diagnostic,
                        (action, _) => key ??= action.EquivalenceKey,
                        context.CancellationToken);
                    await context.CodeFixProvider.RegisterCodeFixesAsync(codeFixContext).ConfigureAwait(false);
                    if (key is not null)
                    {
                        return key;
                    }
                }
            }

            return null;
        }

        private static IEnumerable<Document> DocumentsInScope(FixAllContext context)
        {
            if (context.Scope is FixAllScope.Document)
            {
                return context.Document is null ? Enumerable.Empty<Document>() : new[] { context.Document };
            }

            var first = context.Document is null ? Enumerable.Empty<Document>() : new[] { context.Document };
            var projects = context.Scope is FixAllScope.Solution
                ? new[] { context.Project }.Concat(context.Solution.Projects.Where(p => p.Id != context.Project.Id))
                : new[] { context.Project };
            return first.Concat(projects.SelectMany(p => p.Documents).Where(d => d.Id != context.Document?.Id));
        }

        private static FixAllContext WithKey(FixAllContext context, string key)
        {
            var diagnostics = new SameDiagnostics(context);
            return context.Document is { } document
                ? new FixAllContext(document, context.CodeFixProvider, context.Scope, key, context.DiagnosticIds, diagnostics, context.CancellationToken)
                : new FixAllContext(context.Project, context.CodeFixProvider, context.Scope, key, context.DiagnosticIds, diagnostics, context.CancellationToken);
        }
    }

    /// <summary>The diagnostics of the original Fix All, unchanged.</summary>
    private sealed class SameDiagnostics : FixAllContext.DiagnosticProvider
    {
        private readonly FixAllContext _original;

        public SameDiagnostics(FixAllContext original) => _original = original;

        public override async Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken)
            => await _original.WithCancellationToken(cancellationToken).GetDocumentDiagnosticsAsync(document).ConfigureAwait(false);

        public override async Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken)
            => await _original.WithCancellationToken(cancellationToken).GetProjectDiagnosticsAsync(project).ConfigureAwait(false);

        public override async Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken)
            => await _original.WithCancellationToken(cancellationToken).GetAllDiagnosticsAsync(project).ConfigureAwait(false);
    }
}
