using System;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;

namespace ConcurrencyAnalyzers;

/// <summary>
/// Well-known types, each resolved at most once per compilation and only when a rule asks for it.
/// Get the compilation's instance with <see cref="For"/> in <c>RegisterCompilationStartAction</c> and hand it to the
/// per-node actions; a rule whose types are missing (null) does nothing.
/// </summary>
internal sealed class KnownTypes
{
    // One instance per compilation, shared by every analyzer: each metadata name is looked up once per compilation.
    private static readonly ConditionalWeakTable<Compilation, KnownTypes> Instances = new();
    private static readonly object Missing = new();

    private readonly Compilation _compilation;
    private readonly ConcurrentDictionary<string, INamedTypeSymbol?> _cache = new(StringComparer.Ordinal);

    // Resolved properties: the type, or Missing when the compilation has no such type (null: not looked up yet).
    private object? _eventArgs;
    private object? _exception;
    private object? _operationCanceledException;
    private object? _iDisposable;
    private object? _iAsyncDisposable;
    private object? _task;
    private object? _taskOfT;
    private object? _valueTask;
    private object? _valueTaskOfT;
    private object? _taskFactory;
    private object? _taskFactoryOfT;
    private object? _taskExtensions;
    private object? _taskCompletionSource;
    private object? _taskCompletionSourceOfT;
    private object? _parallel;
    private object? _parallelEnumerable;
    private object? _enumerable;
    private object? _thread;
    private object? _threadPool;
    private object? _threadingTimer;
    private object? _timersTimer;
    private object? _periodicTimer;
    private object? _monitor;
    private object? _lock;
    private object? _mutex;
    private object? _waitHandle;
    private object? _semaphoreSlim;
    private object? _readerWriterLockSlim;
    private object? _spinLock;
    private object? _spinWait;
    private object? _random;
    private object? _stringBuilder;
    private object? _interlocked;
    private object? _volatile;
    private object? _countdownEvent;
    private object? _manualResetEventSlim;
    private object? _barrier;
    private object? _cancellationToken;
    private object? _cancellationTokenSource;
    private object? _cancellationTokenRegistration;
    private object? _channel;
    private object? _channelOfT;
    private object? _channelWriterOfT;
    private object? _channelReaderOfT;
    private object? _blockingCollectionOfT;

    private bool? _hasAliasedReferences;

    // The CONC5xx rules' non-copyable test (Analysis/NonCopyableTypes.For), shared so that its answers are worked out once.
    private Analysis.NonCopyableTypes? _nonCopyableTypes;

    // What each SymbolMemo stored, by memo and symbol: one table, so a lookup is one hash.
    private readonly ConcurrentDictionary<SymbolMemoKey, object> _symbolFacts = new();

    private KnownTypes(Compilation compilation) => _compilation = compilation;

    /// <summary>The shared instance for <paramref name="compilation"/>.</summary>
    public static KnownTypes For(Compilation compilation) => Instances.GetValue(compilation, static c => new KnownTypes(c));

    public Compilation Compilation => _compilation;

    /// <summary>The type with this metadata name (arity suffix included, e.g. <c>System.Threading.Tasks.Task`1</c>).</summary>
    public INamedTypeSymbol? Get(string metadataName) => _cache.GetOrAdd(metadataName, Resolve);

    // System / tasks
    public INamedTypeSymbol? Object => _compilation.GetSpecialType(SpecialType.System_Object);
    public INamedTypeSymbol? EventArgs => Slot(ref _eventArgs, "System.EventArgs");
    public INamedTypeSymbol? Exception => Slot(ref _exception, "System.Exception");
    public INamedTypeSymbol? OperationCanceledException => Slot(ref _operationCanceledException, "System.OperationCanceledException");
    public INamedTypeSymbol? IDisposable => Slot(ref _iDisposable, "System.IDisposable");
    public INamedTypeSymbol? IAsyncDisposable => Slot(ref _iAsyncDisposable, "System.IAsyncDisposable");
    public INamedTypeSymbol? Task => Slot(ref _task, "System.Threading.Tasks.Task");
    public INamedTypeSymbol? TaskOfT => Slot(ref _taskOfT, "System.Threading.Tasks.Task`1");
    public INamedTypeSymbol? ValueTask => Slot(ref _valueTask, "System.Threading.Tasks.ValueTask");
    public INamedTypeSymbol? ValueTaskOfT => Slot(ref _valueTaskOfT, "System.Threading.Tasks.ValueTask`1");
    public INamedTypeSymbol? TaskFactory => Slot(ref _taskFactory, "System.Threading.Tasks.TaskFactory");
    public INamedTypeSymbol? TaskFactoryOfT => Slot(ref _taskFactoryOfT, "System.Threading.Tasks.TaskFactory`1");
    public INamedTypeSymbol? TaskExtensions => Slot(ref _taskExtensions, "System.Threading.Tasks.TaskExtensions");
    public INamedTypeSymbol? TaskCompletionSource => Slot(ref _taskCompletionSource, "System.Threading.Tasks.TaskCompletionSource");
    public INamedTypeSymbol? TaskCompletionSourceOfT => Slot(ref _taskCompletionSourceOfT, "System.Threading.Tasks.TaskCompletionSource`1");
    public INamedTypeSymbol? Parallel => Slot(ref _parallel, "System.Threading.Tasks.Parallel");
    public INamedTypeSymbol? ParallelEnumerable => Slot(ref _parallelEnumerable, "System.Linq.ParallelEnumerable");
    public INamedTypeSymbol? Enumerable => Slot(ref _enumerable, "System.Linq.Enumerable");

    // Threads, timers, locks
    public INamedTypeSymbol? Thread => Slot(ref _thread, "System.Threading.Thread");
    public INamedTypeSymbol? ThreadPool => Slot(ref _threadPool, "System.Threading.ThreadPool");
    public INamedTypeSymbol? ThreadingTimer => Slot(ref _threadingTimer, "System.Threading.Timer");
    public INamedTypeSymbol? TimersTimer => Slot(ref _timersTimer, "System.Timers.Timer");
    public INamedTypeSymbol? PeriodicTimer => Slot(ref _periodicTimer, "System.Threading.PeriodicTimer");
    public INamedTypeSymbol? Monitor => Slot(ref _monitor, "System.Threading.Monitor");
    public INamedTypeSymbol? Lock => Slot(ref _lock, "System.Threading.Lock");
    public INamedTypeSymbol? Mutex => Slot(ref _mutex, "System.Threading.Mutex");
    public INamedTypeSymbol? WaitHandle => Slot(ref _waitHandle, "System.Threading.WaitHandle");
    public INamedTypeSymbol? SemaphoreSlim => Slot(ref _semaphoreSlim, "System.Threading.SemaphoreSlim");
    public INamedTypeSymbol? ReaderWriterLockSlim => Slot(ref _readerWriterLockSlim, "System.Threading.ReaderWriterLockSlim");
    public INamedTypeSymbol? SpinLock => Slot(ref _spinLock, "System.Threading.SpinLock");
    public INamedTypeSymbol? SpinWait => Slot(ref _spinWait, "System.Threading.SpinWait");
    public INamedTypeSymbol? Interlocked => Slot(ref _interlocked, "System.Threading.Interlocked");
    public INamedTypeSymbol? Volatile => Slot(ref _volatile, "System.Threading.Volatile");
    public INamedTypeSymbol? CountdownEvent => Slot(ref _countdownEvent, "System.Threading.CountdownEvent");
    public INamedTypeSymbol? ManualResetEventSlim => Slot(ref _manualResetEventSlim, "System.Threading.ManualResetEventSlim");
    public INamedTypeSymbol? Barrier => Slot(ref _barrier, "System.Threading.Barrier");

    // Cancellation
    public INamedTypeSymbol? CancellationToken => Slot(ref _cancellationToken, "System.Threading.CancellationToken");
    public INamedTypeSymbol? CancellationTokenSource => Slot(ref _cancellationTokenSource, "System.Threading.CancellationTokenSource");
    public INamedTypeSymbol? CancellationTokenRegistration => Slot(ref _cancellationTokenRegistration, "System.Threading.CancellationTokenRegistration");

    // Channels and queues
    public INamedTypeSymbol? Channel => Slot(ref _channel, "System.Threading.Channels.Channel");
    public INamedTypeSymbol? ChannelOfT => Slot(ref _channelOfT, "System.Threading.Channels.Channel`1");
    public INamedTypeSymbol? ChannelWriterOfT => Slot(ref _channelWriterOfT, "System.Threading.Channels.ChannelWriter`1");
    public INamedTypeSymbol? ChannelReaderOfT => Slot(ref _channelReaderOfT, "System.Threading.Channels.ChannelReader`1");
    public INamedTypeSymbol? BlockingCollectionOfT => Slot(ref _blockingCollectionOfT, "System.Collections.Concurrent.BlockingCollection`1");

    // Family-specific types: add new properties in your family's block (or call Get with the metadata name).
    // -- Lifetime
    // -- Locking
    // -- SharedState
    public INamedTypeSymbol? Random => Slot(ref _random, "System.Random");
    public INamedTypeSymbol? StringBuilder => Slot(ref _stringBuilder, "System.Text.StringBuilder");
    // -- Cancellation
    // -- Primitives
    // -- Coordination

    /// <summary>The slot behind <see cref="Analysis.NonCopyableTypes.For"/>.</summary>
    internal ref Analysis.NonCopyableTypes? NonCopyableTypesSlot => ref _nonCopyableTypes;

    /// <summary>The store behind <see cref="SymbolMemo{TKey,TValue}"/> for this compilation.</summary>
    internal ConcurrentDictionary<SymbolMemoKey, object> SymbolFacts => _symbolFacts;

    // Asked at every call (CONC401) and for every body's owner (the token finder): a typed table of its own, sized for
    // a project's called methods, so a lookup is one reference hash with no cast and the first files do not grow it.
    private ConcurrentDictionary<IMethodSymbol, Analysis.CancellationOverloads.MethodDefinition>? _methodDefinitions;

    /// <summary>What <see cref="Analysis.CancellationOverloads"/> knows per method definition of this compilation.</summary>
    internal ConcurrentDictionary<IMethodSymbol, Analysis.CancellationOverloads.MethodDefinition> MethodDefinitions
        => System.Threading.Volatile.Read(ref _methodDefinitions) ??
           Once(ref _methodDefinitions, new ConcurrentDictionary<IMethodSymbol, Analysis.CancellationOverloads.MethodDefinition>(
               4, 1024, ReferenceComparer<IMethodSymbol>.Instance));

    // The slots in front of MethodDefinitions (see CancellationOverloads.DefinitionOf): a power of two, about twice a
    // project's called methods. The bodies' owners, asked whether they offer a token, have slots of their own: a
    // project has more of them than called methods, and they would push the called methods out.
    private Analysis.CancellationOverloads.DefinitionSlot[]? _methodDefinitionSlots;
    private Analysis.CancellationOverloads.DefinitionSlot[]? _ownerDefinitionSlots;

    /// <summary>The most recent <see cref="MethodDefinitions"/> entry of a called method per reference hash of its method.</summary>
    internal Analysis.CancellationOverloads.DefinitionSlot[] MethodDefinitionSlots
        => System.Threading.Volatile.Read(ref _methodDefinitionSlots) ?? Once(ref _methodDefinitionSlots, new Analysis.CancellationOverloads.DefinitionSlot[2048]);

    /// <summary>The same for the methods that own bodies (<see cref="Analysis.CancellationOverloads.OffersToken"/>).</summary>
    internal Analysis.CancellationOverloads.DefinitionSlot[] OwnerDefinitionSlots
        => System.Threading.Volatile.Read(ref _ownerDefinitionSlots) ?? Once(ref _ownerDefinitionSlots, new Analysis.CancellationOverloads.DefinitionSlot[2048]);

    // The first value stored in an empty field wins; a thread that lost the race gets the winner's.
    private static T Once<T>(ref T? field, T created)
        where T : class
        => System.Threading.Interlocked.CompareExchange(ref field, created, null) ?? created;

    // Properties are read in hot loops: a field read, not a dictionary lookup on the name.
    private INamedTypeSymbol? Slot(ref object? field, string metadataName)
    {
        var value = System.Threading.Volatile.Read(ref field);
        if (value is null)
        {
            value = (object?)Get(metadataName) ?? Missing;
            System.Threading.Volatile.Write(ref field, value);
        }

        return value as INamedTypeSymbol;
    }

    private INamedTypeSymbol? Resolve(string metadataName)
    {
        // The common case, one type of that name among the source and all references, straight from the compiler's
        // merged namespaces (built for binding already): a few dictionary lookups instead of a scan of every reference.
        if (FindInNamespaces(metadataName, out var unique))
        {
            return unique;
        }

        var type = _compilation.GetTypeByMetadataName(metadataName);
        if (type is not null)
        {
            return type;
        }

        // Ambiguous (the same name in several references): prefer the source assembly, then the one accessible
        // from it. A type that is not unambiguously found stays null, and rules that need it do nothing.
        INamedTypeSymbol? found = null;
        foreach (var assembly in _compilation.ReferencedAssemblySymbols())
        {
            var candidate = assembly.GetTypeByMetadataName(metadataName);
            if (candidate is null || candidate.DeclaredAccessibility != Accessibility.Public)
            {
                continue;
            }

            if (found is not null)
            {
                return null;
            }

            found = candidate;
        }

        return found;
    }

    /// <summary>
    /// Looks the name up through the global namespace. True when that settles it: no such type (null), or exactly one
    /// (it). False for nested types and for names several assemblies define (the caller disambiguates).
    /// </summary>
    private bool FindInNamespaces(string metadataName, out INamedTypeSymbol? type)
    {
        type = null;
        if (metadataName.IndexOf('+') >= 0)
        {
            return false;
        }

        var lastDot = metadataName.LastIndexOf('.');
        var typeName = metadataName.Substring(lastDot + 1);
        var arity = 0;
        var tick = typeName.IndexOf('`');
        if (tick >= 0)
        {
            if (!int.TryParse(typeName.Substring(tick + 1), out arity))
            {
                return false;
            }

            typeName = typeName.Substring(0, tick);
        }

        INamespaceSymbol? current = _compilation.GlobalNamespace;
        if (lastDot > 0)
        {
            foreach (var part in metadataName.Substring(0, lastDot).Split('.'))
            {
                INamespaceSymbol? next = null;
                foreach (var member in current.GetMembers(part))
                {
                    if (member is INamespaceSymbol ns)
                    {
                        next = ns;
                        break;
                    }
                }

                if (next is null)
                {
                    return !HasAliasedReferences; // no such namespace: no such type (unless it hides behind an extern alias)
                }

                current = next;
            }
        }

        var candidates = current.GetTypeMembers(typeName, arity);
        if (candidates.Length > 1)
        {
            return false;
        }

        type = candidates.Length == 1 ? candidates[0] : null;
        return type is not null || !HasAliasedReferences;
    }

    // A reference under an extern alias is not in the global namespace; the compiler's own lookup still sees it.
    private bool HasAliasedReferences
    {
        get
        {
            if (_hasAliasedReferences is null)
            {
                var any = false;
                foreach (var reference in _compilation.References)
                {
                    any |= !reference.Properties.Aliases.IsDefaultOrEmpty;
                }

                _hasAliasedReferences = any;
            }

            return _hasAliasedReferences.Value;
        }
    }
}
