using System.Collections.Immutable;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.SharedState;

/// <summary>
/// CONC301: a non-thread-safe collection (<c>List</c>, <c>Dictionary</c>, <c>HashSet</c>, ...), <c>Random</c> or
/// <c>StringBuilder</c> declared outside a concurrently running function and changed inside it with no lock held.
/// </summary>
public sealed partial class CollectionMutatedConcurrentlyAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property: <c>true</c> when the concurrent work is joined before its caller goes on, so a lock around the change is a complete fix.</summary>
    public const string JoinedProperty = "Joined";

    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        RuleIds.CollectionMutatedConcurrently,
        "Non-thread-safe collection mutated from concurrent code",
        "'{0}' ({1}) is changed by '{2}' in code that runs concurrently ({3}) without a lock; concurrent changes lose items or corrupt it",
        DiagnosticSeverity.Warning,
        "List, Dictionary, HashSet, Queue, Stack, the sorted collections, LinkedList, Random and StringBuilder are not " +
        "thread-safe: two threads changing one at the same time lose entries, throw from inside the collection, or leave " +
        "a Dictionary in a state where later lookups spin forever. Take a lock around each change, use a concurrent " +
        "collection, or collect per-task results and merge them after the join.");

    internal static readonly DiagnosticDescriptor EnumeratedRule = RuleDescriptors.Create(
        RuleIds.CollectionMutatedConcurrently,
        "Non-thread-safe collection mutated from concurrent code",
        "'{0}' ({1}) is changed by '{2}' without a lock while the work started by {3} walks it with foreach; the walk throws or misses items",
        DiagnosticSeverity.Warning,
        "List, Dictionary, HashSet and the other collections are not thread-safe: a change made while another thread " +
        "enumerates one makes that enumeration throw InvalidOperationException, or read a torn state. Lock around both " +
        "the change and the walk (walk a copy taken under the lock), or use an immutable or concurrent collection.");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Rule, EnumeratedRule, SharedDbContextRule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var types = KnownTypes.For(start.Compilation);
            var collections = SharedStateFacts.CollectionTypes(types);
            if (types.Task is null || collections.IsEmpty)
            {
                return;
            }

            var threadSafe = new ThreadSafeTypes(start.Options);
            if (types.Get(DbContextMetadataName) is { } dbContext)
            {
                start.RegisterInvocationAction(c => AnalyzeProjection(c, dbContext, types), InvocationActions.Names("Select"));
            }

            // Calls by name (a mutating member's), so most calls reach none of this rule's code, and indexers where they
            // are written; the names are one set per compilation, which the host's routing plans share between types.
            var mutatingNames = SharedStateFacts.MutatingMethodNames(types);
            start.RegisterSymbolStartAction(
                symbolStart => ConcurrentAccessScan.RegisterWithEnumerations(
                    symbolStart,
                    types,
                    (operation, scan) => Find(operation, collections, types, threadSafe),
                    mutatingNames),
                SymbolKind.NamedType);
        });
    }

    private static (ISymbol, System.Func<ConcurrentContext?, ConcurrentContext?, Diagnostic>)? Find(
        IOperation operation, ImmutableHashSet<INamedTypeSymbol> collections, KnownTypes types, ThreadSafeTypes threadSafe)
    {
        if (SharedStateFacts.MutatedReceiver(operation, collections, types, out var member) is not { } receiver ||
            SharedStateFacts.SharedVariable(receiver) is not { } variable ||
            !ConcurrentAccessScan.MayBeCandidate(operation, variable) ||
            threadSafe.Contains(receiver.WalkDownConversions().Type, operation.Syntax.SyntaxTree) ||
            (receiver.WalkDownConversions().Type is INamedTypeSymbol { IsGenericType: false, ContainingNamespace.Name: "Collections" } &&
             SharedStateFacts.IsSynchronizedWrapper(variable)))
        {
            return null;
        }

        // Most candidates turn out to be protected: the message's text is made only for those reported.
        var receiverType = receiver.WalkDownConversions().Type;
        var location = operation.Syntax.GetLocation();
        var shown = member == "indexer" ? "this[]" : member;
        return (variable, (context, enumerating) =>
        {
            var type = receiverType?.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat) ?? "?";
            if (enumerating is not null)
            {
                // Races with a walk in detached work: a lock around this change alone does not fix it.
                var detached = ImmutableDictionary<string, string?>.Empty.Add(JoinedProperty, "false");
                return Diagnostic.Create(EnumeratedRule, location, detached, variable.Name, type, shown, enumerating.Spawner);
            }

            // A keyed lock's table (Dictionary<string, SemaphoreSlim>) races between its lookup and its change: a lock
            // around the change alone would leave two callers each making a semaphore for one key, so no fix is offered.
            var joined = (context is null || SharedStateFacts.RunsWithSiblings(context)) && !SharedStateFacts.HoldsSemaphores(receiverType, types);
            var properties = ImmutableDictionary<string, string?>.Empty.Add(JoinedProperty, joined ? "true" : "false");
            var where = context?.Spawner ?? "a method started concurrently with itself";
            return Diagnostic.Create(Rule, location, properties, variable.Name, type, shown, where);
        });
    }
}
