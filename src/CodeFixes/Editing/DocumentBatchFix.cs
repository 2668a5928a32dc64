using System;
using System.Collections.Immutable;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;

namespace ConcurrencyAnalyzers.CodeFixes.Editing;

/// <summary>
/// A Fix All provider for fixes whose edits interact (several diagnostics editing one declaration, one new field per
/// type): the fixer's own routine gets every diagnostic of a document at once and applies them in one pass. The single
/// fix calls the same routine with one diagnostic, so both paths give the same code.
/// </summary>
internal static class DocumentBatchFix
{
    public static FixAllProvider Create(Func<Document, ImmutableArray<Diagnostic>, CancellationToken, Task<Document>> fixAsync)
        => FixAllProvider.Create(async (context, document, diagnostics) =>
            diagnostics.IsEmpty ? document : await fixAsync(document, diagnostics, context.CancellationToken).ConfigureAwait(false));
}
