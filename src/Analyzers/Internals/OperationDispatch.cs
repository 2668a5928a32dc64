using System;
using System.Collections.Immutable;
using System.Runtime.ExceptionServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ConcurrencyAnalyzers.Internals;

/// <summary>
/// Runs the hosted rules' operation actions from an operation block action: one walk over the operations of the
/// blocks (the body's <see cref="OperationIndex"/>, which the rules build anyway) calls, for each operation, the
/// actions registered for its kind, with a context like the driver's.
/// </summary>
/// <remarks>
/// The driver would make a callback per operation and registered kind, and what it spends around each (a context,
/// the execution-time stopwatch, its dispatch) came to about a sixth of all our time, more than most rules. The walk
/// visits what the driver visits: every operation of every block, and the method or constructor body above the first
/// block when there is one. Operation contexts made here cannot cache control-flow graphs with the driver's:
/// <see cref="OperationAnalysisContext.GetControlFlowGraph()"/> builds the graph of the operation's root each time.
/// </remarks>
internal sealed class OperationDispatch
{
    private static readonly Func<Diagnostic, bool> Supported = static _ => true;

    private readonly Action<OperationAnalysisContext>?[] _byKind;

    public OperationDispatch(Action<OperationAnalysisContext>?[] byKind) => _byKind = byKind;

    public void Run(OperationBlockAnalysisContext context)
    {
        // Reports go through the block's context, which checks them as the driver checks an operation's.
        Action<Diagnostic> report = context.ReportDiagnostic;
        var walk = new Walk(this, context, report);
        var checkParent = true;
        foreach (var block in context.OperationBlocks)
        {
            if (checkParent && block.Parent is { } parent)
            {
                // As the driver: a body's root (method or constructor body, or the constructor body above an
                // initializer's implicit statement) gets its callbacks too, once.
                var root = parent.Kind is OperationKind.MethodBody or OperationKind.ConstructorBody ? parent
                    : parent.Kind == OperationKind.ExpressionStatement ? parent.Parent
                    : null;
                if (root is not null)
                {
                    walk.Visit(root);
                }

                checkParent = false;
            }

            foreach (var operation in OperationIndex.Subtree(block, includeSelf: true))
            {
                walk.Visit(operation);
            }
        }

        walk.Finish();
    }

    private struct Walk
    {
        private readonly OperationDispatch _dispatch;
        private readonly OperationBlockAnalysisContext _context;
        private readonly Action<Diagnostic> _report;
        private ExceptionDispatchInfo? _first;

        public Walk(OperationDispatch dispatch, OperationBlockAnalysisContext context, Action<Diagnostic> report)
        {
            _dispatch = dispatch;
            _context = context;
            _report = report;
            _first = null;
        }

        public void Visit(IOperation operation)
        {
            var kind = (int)operation.Kind;
            var byKind = _dispatch._byKind;
            if ((uint)kind >= (uint)byKind.Length || byKind[kind] is not { } action)
            {
                return;
            }

            _context.CancellationToken.ThrowIfCancellationRequested();
            try
            {
#pragma warning disable CS0618 // Obsolete: meant to keep tests from faking the driver; here the host stands in for it.
                action(new OperationAnalysisContext(operation, _context.OwningSymbol, _context.Compilation, _context.Options, _report, Supported, _context.CancellationToken));
#pragma warning restore CS0618
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A failing rule does not stop the walk; the driver reports the first failure (AD0001).
                _first ??= ExceptionDispatchInfo.Capture(e);
            }
        }

        public void Finish() => _first?.Throw();
    }
}
