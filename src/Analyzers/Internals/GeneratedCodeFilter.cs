using System;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.IO;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ConcurrencyAnalyzers.Internals;

/// <summary>
/// Keeps the host's reports out of generated code, in place of the driver's own check.
/// </summary>
/// <remarks>
/// <para>
/// The host tells the driver that it reports in generated code (<see cref="GeneratedCodeAnalysisFlags.ReportDiagnostics"/>
/// without <see cref="GeneratedCodeAnalysisFlags.Analyze"/>): the driver still runs no callback on generated code, but
/// no longer checks every reported diagnostic. That check costs little per diagnostic, but the first one in each file
/// walks every token of the file looking for a <c>GeneratedCode</c> attribute, and on a large solution with a finding
/// in many files that walk cost as much as a tenth of all our analysis.
/// </para>
/// <para>
/// What the driver would have dropped, this drops, with the same tests: a file that is generated (its
/// <c>generated_code</c> option, else its name or an <c>&lt;auto-generated&gt;</c> header comment), a position in a
/// <c>#line hidden</c> region (or before the first <c>#line</c> of a file that has one), or a declaration marked <c>[GeneratedCode]</c> (or in a type so marked). A diagnostic
/// reported by an operation or operation block callback lies in the code that callback analyzed, which the driver
/// already judged not generated, so only hidden regions can apply there, and only files that have one pay for the
/// check. Symbol, symbol-end and compilation-end callbacks can report anywhere (another part of a partial type, another
/// type), so everything they report is checked.
/// </para>
/// </remarks>
internal sealed class GeneratedCodeFilter
{
    private readonly Compilation _compilation;
    private readonly AnalyzerOptions _options;
    private readonly KnownTypes _types;
    private readonly ConcurrentDictionary<SyntaxTree, bool> _generatedTrees = new();

    public GeneratedCodeFilter(Compilation compilation, AnalyzerOptions options)
    {
        _compilation = compilation;
        _options = options;
        _types = KnownTypes.For(compilation);
    }

    /// <summary>Whether the driver would drop a diagnostic at <paramref name="location"/> as generated code.</summary>
    public bool IsGenerated(Location location, CancellationToken cancellationToken)
    {
        if (!location.IsInSource || location.SourceTree is not { } tree)
        {
            return false;
        }

        return IsGeneratedTree(tree, cancellationToken) ||
               IsHidden(tree, location.SourceSpan.Start, cancellationToken) ||
               (_types.Get("System.CodeDom.Compiler.GeneratedCodeAttribute") is { } attribute && InGeneratedDeclaration(tree, location, attribute, cancellationToken));
    }

    // ---- wrappers for the callbacks whose reports can land anywhere ----

    public Action<SymbolAnalysisContext> ForSymbol(Action<SymbolAnalysisContext> action)
        => context => action(Filtered(context));

#pragma warning disable CS0618 // Obsolete constructors: meant to keep tests from faking the driver; here they wrap the driver's own context.
    private SymbolAnalysisContext Filtered(SymbolAnalysisContext context)
        => new(context.Symbol, context.Compilation, context.Options, Reporter(context.ReportDiagnostic, context.CancellationToken), static _ => true, context.CancellationToken);

    public Action<CompilationAnalysisContext> ForCompilation(Action<CompilationAnalysisContext> action)
        => context => action(new CompilationAnalysisContext(
            context.Compilation, context.Options, Reporter(context.ReportDiagnostic, context.CancellationToken), static _ => true, context.CancellationToken));

    // ---- wrappers for operation callbacks: only a file with a #line hidden region can need one ----

    public Action<OperationAnalysisContext> ForOperation(Action<OperationAnalysisContext> action)
        => context =>
        {
            if (!context.Operation.Syntax.SyntaxTree.HasHiddenRegions())
            {
                action(context);
                return;
            }

            action(new OperationAnalysisContext(
                context.Operation, context.ContainingSymbol, context.Compilation, context.Options,
                Reporter(context.ReportDiagnostic, context.CancellationToken), static _ => true, context.CancellationToken));
        };

    public Action<OperationBlockAnalysisContext> ForBlock(Action<OperationBlockAnalysisContext> action)
        => context =>
        {
            if (!HasHiddenRegions(context.OperationBlocks))
            {
                action(context);
                return;
            }

            action(new OperationBlockAnalysisContext(
                context.OperationBlocks, context.OwningSymbol, context.Compilation, context.Options,
                Reporter(context.ReportDiagnostic, context.CancellationToken), static _ => true, context.CancellationToken));
        };
#pragma warning restore CS0618

    public Action<OperationBlockStartAnalysisContext> ForBlockStart(Action<OperationBlockStartAnalysisContext> action)
        => context => action(HasHiddenRegions(context.OperationBlocks) ? new FilteredBlockStart(context, this) : context);

    private static bool HasHiddenRegions(ImmutableArray<IOperation> blocks)
    {
        foreach (var block in blocks)
        {
            if (block.Syntax.SyntaxTree.HasHiddenRegions())
            {
                return true;
            }
        }

        return false;
    }

    private Action<Diagnostic> Reporter(Action<Diagnostic> report, CancellationToken cancellationToken)
        => diagnostic =>
        {
            if (!IsGenerated(diagnostic.Location, cancellationToken))
            {
                report(diagnostic);
            }
        };

    // ---- the driver's tests ----

    private bool IsGeneratedTree(SyntaxTree tree, CancellationToken cancellationToken)
    {
        if (_generatedTrees.TryGetValue(tree, out var generated))
        {
            return generated;
        }

        generated = ComputeIsGeneratedTree(tree, cancellationToken);
        _generatedTrees.TryAdd(tree, generated);
        return generated;
    }

    /// <summary>
    /// The file's <c>generated_code</c> setting when it has one; otherwise generated by its name (<c>.g.cs</c>,
    /// <c>.g.i.cs</c>, <c>.designer.cs</c>, <c>.generated.cs</c>, <c>TemporaryGeneratedFile_*</c>) or by a leading
    /// comment containing <c>&lt;auto-generated</c> or <c>&lt;autogenerated</c>.
    /// </summary>
    private bool ComputeIsGeneratedTree(SyntaxTree tree, CancellationToken cancellationToken)
    {
        switch (_compilation.Options.SyntaxTreeOptionsProvider?.IsGenerated(tree, cancellationToken))
        {
            case GeneratedKind.MarkedGenerated:
                return true;
            case GeneratedKind.NotGenerated:
                return false;
        }

        if (_options.AnalyzerConfigOptionsProvider.GetOptions(tree).TryGetValue("generated_code", out var value))
        {
            if (string.Equals(value, "true", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            if (string.Equals(value, "false", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        return HasGeneratedFileName(tree.FilePath) || BeginsWithAutoGeneratedComment(tree.GetRoot(cancellationToken));
    }

    private static bool HasGeneratedFileName(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return false;
        }

        string fileName;
        try
        {
            fileName = Path.GetFileName(path);
        }
        catch (ArgumentException)
        {
            return false;
        }

        if (fileName.StartsWith("TemporaryGeneratedFile_", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var dot = fileName.LastIndexOf('.');
        if (dot <= 0)
        {
            return false;
        }

        var stem = fileName.Substring(0, dot);
        return stem.EndsWith(".designer", StringComparison.OrdinalIgnoreCase) ||
               stem.EndsWith(".generated", StringComparison.OrdinalIgnoreCase) ||
               stem.EndsWith(".g", StringComparison.OrdinalIgnoreCase) ||
               stem.EndsWith(".g.i", StringComparison.OrdinalIgnoreCase);
    }

    private static bool BeginsWithAutoGeneratedComment(SyntaxNode root)
    {
        foreach (var trivia in root.GetLeadingTrivia())
        {
            if (trivia.IsKind(SyntaxKind.SingleLineCommentTrivia) || trivia.IsKind(SyntaxKind.MultiLineCommentTrivia))
            {
                var text = trivia.ToString();
                if (text.Contains("<auto-generated") || text.Contains("<autogenerated"))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>In a file with a <c>#line hidden</c> region: hidden, or before the file's first <c>#line</c> directive.</summary>
    private static bool IsHidden(SyntaxTree tree, int position, CancellationToken cancellationToken)
        => tree.HasHiddenRegions() &&
           tree.GetLineVisibility(position, cancellationToken) is LineVisibility.Hidden or LineVisibility.BeforeFirstLineDirective;

    /// <summary>
    /// The location lies in a declaration (type or member) marked <c>[GeneratedCode]</c>, or declared in a type so
    /// marked. Files that do not mention the attribute are answered from their text.
    /// </summary>
    private bool InGeneratedDeclaration(SyntaxTree tree, Location location, INamedTypeSymbol attribute, CancellationToken cancellationToken)
    {
        if (tree.GetText(cancellationToken).ToString().IndexOf("GeneratedCode", StringComparison.Ordinal) < 0)
        {
            return false;
        }

#pragma warning disable RS1030 // Only for a diagnostic about to be reported in a file that mentions GeneratedCode.
        var model = _compilation.GetSemanticModel(tree);
#pragma warning restore RS1030
        var root = tree.GetRoot(cancellationToken);
        for (SyntaxNode? node = root.FindNode(location.SourceSpan, getInnermostNodeForTie: true); node is not null; node = node.Parent)
        {
            switch (node)
            {
                case BaseFieldDeclarationSyntax field:
                    foreach (var variable in field.Declaration.Variables)
                    {
                        if (IsMarked(model.GetDeclaredSymbol(variable, cancellationToken), attribute))
                        {
                            return true;
                        }
                    }

                    break;
                case VariableDeclaratorSyntax { Parent.Parent: BaseFieldDeclarationSyntax }:
                case MemberDeclarationSyntax and not (BaseNamespaceDeclarationSyntax or GlobalStatementSyntax or IncompleteMemberSyntax):
                case AccessorDeclarationSyntax:
                    if (IsMarked(model.GetDeclaredSymbol(node, cancellationToken), attribute))
                    {
                        return true;
                    }

                    break;
            }
        }

        return false;
    }

    /// <summary>The symbol or one of its containing types carries <c>[GeneratedCode]</c>.</summary>
    private static bool IsMarked(ISymbol? symbol, INamedTypeSymbol attribute)
    {
        for (; symbol is not null and not INamespaceSymbol; symbol = symbol.ContainingType)
        {
            foreach (var data in symbol.GetAttributes())
            {
                if (SymbolEqualityComparer.Default.Equals(data.AttributeClass, attribute))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>An operation block start in a file with a hidden region: what its rules register reports through the filter.</summary>
    private sealed class FilteredBlockStart : OperationBlockStartAnalysisContext
    {
        private readonly OperationBlockStartAnalysisContext _start;
        private readonly GeneratedCodeFilter _filter;

#pragma warning disable CS0618, RS1012 // Obsolete constructor: wraps the driver's own context, on which it registers.
        public FilteredBlockStart(OperationBlockStartAnalysisContext start, GeneratedCodeFilter filter)
            : base(start.OperationBlocks, start.OwningSymbol, start.Compilation, start.Options, start.CancellationToken)
        {
            _start = start;
            _filter = filter;
        }
#pragma warning restore CS0618, RS1012

        public override void RegisterOperationAction(Action<OperationAnalysisContext> action, ImmutableArray<OperationKind> operationKinds)
            => _start.RegisterOperationAction(_filter.ForOperation(action), operationKinds);

        public override void RegisterOperationBlockEndAction(Action<OperationBlockAnalysisContext> action)
            => _start.RegisterOperationBlockEndAction(_filter.ForBlock(action));
    }
}
