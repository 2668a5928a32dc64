using System.Collections.Generic;
using System.Collections.Immutable;
using ConcurrencyAnalyzers.Analysis;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Locking;

/// <summary>
/// CONC201: an <c>await</c> (also <c>await foreach</c> / <c>await using</c>) or <c>yield return</c> reached while a
/// thread-affine lock (Monitor, Lock, Mutex, ReaderWriterLockSlim, SpinLock, or a <c>lock</c> statement) may be held.
/// </summary>
public sealed class LockHeldAcrossAwaitAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property: the lock's field name when the SemaphoreSlim conversion fix may apply.</summary>
    public const string GateProperty = "Gate";

    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        RuleIds.LockHeldAcrossAwait,
        "Thread-affine lock held across await or yield",
        "'{0}' ({1}) may still be held at this {2}: the code after it can run on another thread, where releasing the lock throws and the lock stays held",
        DiagnosticSeverity.Warning,
        "Monitor, Lock, Mutex, ReaderWriterLockSlim and SpinLock belong to the thread that took them. After an await (or " +
        "between the MoveNext calls of an iterator) the method may continue on another thread: releasing the lock there " +
        "throws SynchronizationLockException or ApplicationException, and the first thread keeps the lock forever. Use " +
        "SemaphoreSlim(1, 1) with WaitAsync/Release for a lock that spans awaits, or release the lock before awaiting.");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var types = KnownTypes.For(start.Compilation);
            if (types.Monitor is null)
            {
                return;
            }

            LockFlow.RegisterForLockingBodies(start, types, c => Analyze(c, types));
        });
    }

    private static void Analyze(OperationBlockAnalysisContext context, KnownTypes types)
    {
        // Made at the first report: most locking bodies report nothing.
        HashSet<Location>? reported = null;
        LockFlow.Run(context, types, (operation, state, function, _) =>
        {
            if (state.IsEmpty)
            {
                return;
            }

            string what;
            Location location;
            if (operation is IAwaitOperation)
            {
                what = "await";
                location = LockFlow.AwaitLocation(operation);
            }
            else if (operation is IReturnOperation { Kind: OperationKind.YieldReturn })
            {
                what = "yield return";
                location = operation.Syntax is Microsoft.CodeAnalysis.CSharp.Syntax.YieldStatementSyntax yield
                    ? Location.Create(yield.SyntaxTree, Microsoft.CodeAnalysis.Text.TextSpan.FromBounds(yield.YieldKeyword.SpanStart, yield.ReturnOrBreakKeyword.Span.End))
                    : operation.Syntax.GetLocation();
            }
            else
            {
                return;
            }

            foreach (var held in state.May)
            {
                // `await` inside a lock statement is CS1996; a Lock held by a lock statement or scope is a compile error too.
                if (!held.IsThreadAffine || (what == "await" && held.IsLockStatement))
                {
                    continue;
                }

                if ((reported ??= new HashSet<Location>()).Add(location))
                {
                    var properties = ImmutableDictionary<string, string?>.Empty;
                    if (held.Key is IFieldSymbol { DeclaredAccessibility: Accessibility.Private } field && held.Kind == LockKind.Monitor)
                    {
                        properties = properties.Add(GateProperty, field.Name);
                    }

                    context.ReportDiagnostic(Diagnostic.Create(Rule, location, properties, held.Name, LockFlow.KindName(held.Kind), what));
                }

                break;
            }
        },
        // Only a thread-affine lock counts (a SemaphoreSlim held across an await is the async lock working).
        static (root, scan) => scan.HasThreadAffineLock && LockFlow.AnyUnderLock(root, scan, IsSuspension));
    }

    // What the rule reports, as the tree has it (the graph turns await foreach / await using into awaits). Asked of
    // every operation of a body that locks: by kind first, since most operations are none of these.
    private static bool IsSuspension(IOperation operation) => operation.Kind switch
    {
        OperationKind.Await or OperationKind.YieldReturn => true,
        OperationKind.Loop => operation is IForEachLoopOperation { IsAsynchronous: true },
        OperationKind.Using => ((IUsingOperation)operation).IsAsynchronous,
        OperationKind.UsingDeclaration => ((IUsingDeclarationOperation)operation).IsAsynchronous,
        _ => false,
    };
}
