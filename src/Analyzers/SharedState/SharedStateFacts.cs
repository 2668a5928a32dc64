using System.Collections.Immutable;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.SharedState;

/// <summary>
/// What the shared-state rules agree on: which types are not thread-safe and which of their members mutate, which
/// receivers are shared with other threads, and whether an operation is protected by a lock.
/// </summary>
internal static class SharedStateFacts
{
    /// <summary>Non-thread-safe collections (metadata names) and other objects whose members mutate internal state.</summary>
    private static readonly ImmutableArray<string> CollectionTypeNames = ImmutableArray.Create(
        "System.Collections.Generic.List`1",
        "System.Collections.Generic.Dictionary`2",
        "System.Collections.Generic.HashSet`1",
        "System.Collections.Generic.Queue`1",
        "System.Collections.Generic.Stack`1",
        "System.Collections.Generic.SortedList`2",
        "System.Collections.Generic.SortedSet`1",
        "System.Collections.Generic.SortedDictionary`2",
        "System.Collections.Generic.LinkedList`1",
        "System.Collections.Generic.PriorityQueue`2",
        "System.Collections.ArrayList",
        "System.Collections.Queue",
        "System.Collections.Stack",
        "System.Collections.SortedList");

    private static readonly ImmutableHashSet<string> MutatingCollectionMembers = ImmutableHashSet.Create(
        "Add", "AddRange", "TryAdd", "Insert", "InsertRange", "Remove", "RemoveAt", "RemoveAll", "RemoveRange",
        "RemoveWhere", "Clear", "Sort", "Reverse", "Enqueue", "Dequeue", "TryDequeue", "EnqueueRange", "Push", "Pop",
        "TryPop", "AddFirst", "AddLast", "AddBefore", "AddAfter", "RemoveFirst", "RemoveLast", "UnionWith",
        "ExceptWith", "IntersectWith", "SymmetricExceptWith", "TrimExcess", "EnsureCapacity", "EnqueueDequeue",
        "DequeueEnqueue", "SetValue");

    private static readonly ImmutableHashSet<string> MutatingBuilderMembers = ImmutableHashSet.Create(
        "Append", "AppendLine", "AppendFormat", "AppendJoin", "Insert", "Remove", "Replace", "Clear", "EnsureCapacity");

    /// <summary>
    /// The names of every call <see cref="MutatedReceiver"/> can find a receiver for in this compilation: the mutating
    /// collection and <c>StringBuilder</c> members, and every member <c>Random</c> declares (any of its methods but the
    /// getters changes its state, so the names are read from the type, not listed). For routing a rule's calls by name.
    /// </summary>
    public static ImmutableHashSet<string> MutatingMethodNames(KnownTypes types)
    {
        var names = ImmutableHashSet.CreateBuilder<string>(System.StringComparer.Ordinal);
        names.UnionWith(MutatingCollectionMembers);
        names.UnionWith(MutatingBuilderMembers);
        if (types.Random is { } random)
        {
            names.UnionWith(random.MemberNames);
        }

        return names.ToImmutable();
    }

    /// <summary>The non-thread-safe collection types of this compilation (those that exist).</summary>
    public static ImmutableHashSet<INamedTypeSymbol> CollectionTypes(KnownTypes types)
    {
        var builder = ImmutableHashSet.CreateBuilder<INamedTypeSymbol>(SymbolEqualityComparer.Default);
        foreach (var name in CollectionTypeNames)
        {
            if (types.Get(name) is { } type)
            {
                builder.Add(type);
            }
        }

        return builder.ToImmutable();
    }

    /// <summary>The collection type (or base type) among <paramref name="collections"/> that declares <paramref name="type"/>'s members.</summary>
    public static INamedTypeSymbol? AsCollection(ITypeSymbol? type, ImmutableHashSet<INamedTypeSymbol> collections)
    {
        for (var current = type as INamedTypeSymbol; current is not null; current = current.BaseType)
        {
            if (collections.Contains(current.OriginalDefinition))
            {
                return current;
            }
        }

        return null;
    }

    /// <summary>
    /// The shared object a mutation changes, and the receiver operation: for <c>list.Add(x)</c>, <c>dict[k] = v</c>,
    /// <c>rng.Next()</c>, <c>sb.Append(x)</c>. Null when the operation does not mutate a non-thread-safe object.
    /// </summary>
    public static IOperation? MutatedReceiver(IOperation operation, ImmutableHashSet<INamedTypeSymbol> collections, KnownTypes types, out string member)
    {
        member = string.Empty;
        // By kind, and a call's name before its type: most calls are named none of the mutating members, and a name
        // lookup is cheaper than an interface type test or a symbol's hash (CONC301 asks this of every call).
        switch (operation.Kind)
        {
            case OperationKind.Invocation:
            {
                var invocation = (IInvocationOperation)operation;
                var method = invocation.TargetMethod;
                var container = method.ContainingType;
                if (invocation.Instance is not { } instance || method.IsStatic || container is null)
                {
                    return null;
                }

                if (MutatingCollectionMembers.Contains(method.Name) && collections.Contains(container.OriginalDefinition))
                {
                    member = method.Name;
                    return instance;
                }

                if (container.Is(types.Random) && !method.Name.StartsWith("get_", System.StringComparison.Ordinal))
                {
                    member = method.Name;
                    return instance;
                }

                if (container.Is(types.StringBuilder) && MutatingBuilderMembers.Contains(method.Name))
                {
                    member = method.Name;
                    return instance;
                }

                return null;
            }

            case OperationKind.PropertyReference when operation is IPropertyReferenceOperation { Property.IsIndexer: true, Instance: { } instance } indexer &&
                                                      IsWrittenTo(indexer):
            {
                var container = indexer.Property.ContainingType;

                // `list[i] = x` writes distinct slots in the common per-index pattern: only dictionaries and sorted maps count.
                if (container is not null && collections.Contains(container.OriginalDefinition) &&
                    container.OriginalDefinition.MetadataName is "Dictionary`2" or "SortedList`2" or "SortedDictionary`2")
                {
                    member = "indexer";
                    return instance;
                }

                return null;
            }

            default:
                return null;
        }
    }

    /// <summary>True when <paramref name="reference"/> is the target of an assignment, compound assignment or increment.</summary>
    public static bool IsWrittenTo(IOperation reference)
    {
        var parent = reference.Parent;
        return parent switch
        {
            ISimpleAssignmentOperation assignment => ReferenceEquals(assignment.Target, reference),
            ICompoundAssignmentOperation compound => ReferenceEquals(compound.Target, reference),
            ICoalesceAssignmentOperation coalesce => ReferenceEquals(coalesce.Target, reference),
            IIncrementOrDecrementOperation => true,
            _ => false,
        };
    }

    /// <summary>
    /// The variable a receiver names, when it can be shared between threads: a local or parameter, a static field,
    /// or an instance field of <c>this</c>. Null for anything else (a member of another object, a call result, ...).
    /// </summary>
    public static ISymbol? SharedVariable(IOperation receiver)
    {
        switch (receiver.WalkDownConversions())
        {
            case ILocalReferenceOperation local:
                return local.Local;
            case IParameterReferenceOperation parameter:
                return parameter.Parameter;
            case IFieldReferenceOperation field when field.Field.IsStatic:
                return IsThreadStatic(field.Field) ? null : field.Field;
            case IFieldReferenceOperation { Instance: IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } } field:
                return field.Field;
            default:
                return null;
        }
    }

    /// <summary>
    /// A local or <c>readonly</c> field declared with a synchronized wrapper of an old collection
    /// (<c>Queue.Synchronized(new Queue())</c>, <c>ArrayList.Synchronized(…)</c>, <c>Hashtable.Synchronized(…)</c>): each
    /// member of the wrapper takes the collection's lock, so single changes are safe. Read from the declaration's syntax.
    /// </summary>
    /// <summary>A generic collection of <c>SemaphoreSlim</c>s (<c>Dictionary&lt;string, SemaphoreSlim&gt;</c>): a keyed async lock's table.</summary>
    public static bool HoldsSemaphores(ITypeSymbol? type, KnownTypes types)
        => type is INamedTypeSymbol { IsGenericType: true } named && types.SemaphoreSlim is { } semaphore &&
           SymbolEqualityComparer.Default.Equals(named.TypeArguments[named.TypeArguments.Length - 1], semaphore);

    public static bool IsSynchronizedWrapper(ISymbol variable)
    {
        if (variable is not (ILocalSymbol or IFieldSymbol { IsReadOnly: true }) ||
            variable.DeclaringSyntaxReferences.Length != 1 ||
            variable.DeclaringSyntaxReferences[0].GetSyntax() is not VariableDeclaratorSyntax { Initializer.Value: var value })
        {
            return false;
        }

        return value is InvocationExpressionSyntax
        {
            Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Synchronized" },
            ArgumentList.Arguments.Count: 1,
        };
    }

    private static bool IsThreadStatic(IFieldSymbol field)
    {
        foreach (var attribute in field.GetAttributes())
        {
            if (attribute.AttributeClass?.Name == "ThreadStaticAttribute")
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when <paramref name="variable"/> is declared inside <paramref name="function"/> (per invocation, not shared).</summary>
    public static bool IsDeclaredInside(ISymbol variable, IOperation function)
    {
        if (variable is IFieldSymbol)
        {
            return false;
        }

        var span = function.Syntax.Span;
        foreach (var location in variable.Locations)
        {
            if (location.IsInSource && location.SourceTree == function.Syntax.SyntaxTree && span.Contains(location.SourceSpan))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// True when <paramref name="operation"/> runs under a lock taken inside <paramref name="stopAt"/> (or anywhere
    /// up to the member when null): a lock taken outside a concurrent function does not protect its body.
    /// </summary>
    /// <remarks>
    /// Uses the shared <see cref="LockRegions"/> query, except that a <c>SemaphoreSlim</c> created with a count other than 1
    /// is a throttle (several holders at once), so work inside only such a region is not protected.
    /// </remarks>
    public static bool IsProtected(IOperation operation, KnownTypes types, IOperation? stopAt)
        => LockRegions.IsInsideLock(operation, types, stopAt) &&
           (!LexicalLocks.IsInsideThrottle(operation, types, stopAt) || LexicalLocks.IsInsideLock(operation, types, stopAt));

    /// <summary>True when the operation lies in the concurrent part of its context (after the first await where only that part is concurrent).</summary>
    public static bool IsInConcurrentPart(IOperation operation, ConcurrentContext context)
        => !context.OnlyAfterFirstAwait || ConcurrentContexts.IsAfterFirstAwait(operation, context.Function);

    /// <summary>Several instances of the function run at once: Parallel bodies, PLINQ, async lambdas started together.</summary>
    public static bool RunsWithSiblings(ConcurrentContext context)
        => context.Kind is SpawnKind.Parallel or SpawnKind.Plinq or SpawnKind.ConcurrentStart &&
           !(context.Kind == SpawnKind.Parallel && context.Origin is IInvocationOperation { TargetMethod.Name: "Invoke" });

    /// <summary>True for operations in a <c>nameof(...)</c>, which do not touch the variable.</summary>
    public static bool IsInNameOf(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            switch (current.Kind)
            {
                case OperationKind.NameOf:
                    return true;
                case OperationKind.Block or OperationKind.AnonymousFunction:
                    return false;
            }
        }

        return false;
    }
}
