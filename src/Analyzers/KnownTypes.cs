using System.Collections.Concurrent;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;

namespace ConcurrencyAnalyzers;

/// <summary>
/// Well-known types, each resolved at most once per compilation and only when a rule asks for it.
/// Create one in <c>RegisterCompilationStartAction</c> and hand it to the per-node actions; a rule whose
/// types are missing (null) does nothing.
/// </summary>
internal sealed class KnownTypes
{
    private readonly Compilation _compilation;
    private readonly ConcurrentDictionary<string, INamedTypeSymbol?> _cache = new();

    public KnownTypes(Compilation compilation) => _compilation = compilation;

    public Compilation Compilation => _compilation;

    /// <summary>The type with this metadata name (arity suffix included, e.g. <c>System.Threading.Tasks.Task`1</c>).</summary>
    public INamedTypeSymbol? Get(string metadataName) => _cache.GetOrAdd(metadataName, Resolve);

    // System / tasks
    public INamedTypeSymbol? Object => _compilation.GetSpecialType(SpecialType.System_Object);
    public INamedTypeSymbol? EventArgs => Get("System.EventArgs");
    public INamedTypeSymbol? Exception => Get("System.Exception");
    public INamedTypeSymbol? OperationCanceledException => Get("System.OperationCanceledException");
    public INamedTypeSymbol? IDisposable => Get("System.IDisposable");
    public INamedTypeSymbol? IAsyncDisposable => Get("System.IAsyncDisposable");
    public INamedTypeSymbol? Task => Get("System.Threading.Tasks.Task");
    public INamedTypeSymbol? TaskOfT => Get("System.Threading.Tasks.Task`1");
    public INamedTypeSymbol? ValueTask => Get("System.Threading.Tasks.ValueTask");
    public INamedTypeSymbol? ValueTaskOfT => Get("System.Threading.Tasks.ValueTask`1");
    public INamedTypeSymbol? TaskFactory => Get("System.Threading.Tasks.TaskFactory");
    public INamedTypeSymbol? TaskFactoryOfT => Get("System.Threading.Tasks.TaskFactory`1");
    public INamedTypeSymbol? TaskExtensions => Get("System.Threading.Tasks.TaskExtensions");
    public INamedTypeSymbol? TaskCompletionSource => Get("System.Threading.Tasks.TaskCompletionSource");
    public INamedTypeSymbol? TaskCompletionSourceOfT => Get("System.Threading.Tasks.TaskCompletionSource`1");
    public INamedTypeSymbol? Parallel => Get("System.Threading.Tasks.Parallel");
    public INamedTypeSymbol? ParallelEnumerable => Get("System.Linq.ParallelEnumerable");
    public INamedTypeSymbol? Enumerable => Get("System.Linq.Enumerable");

    // Threads, timers, locks
    public INamedTypeSymbol? Thread => Get("System.Threading.Thread");
    public INamedTypeSymbol? ThreadPool => Get("System.Threading.ThreadPool");
    public INamedTypeSymbol? ThreadingTimer => Get("System.Threading.Timer");
    public INamedTypeSymbol? TimersTimer => Get("System.Timers.Timer");
    public INamedTypeSymbol? PeriodicTimer => Get("System.Threading.PeriodicTimer");
    public INamedTypeSymbol? Monitor => Get("System.Threading.Monitor");
    public INamedTypeSymbol? Lock => Get("System.Threading.Lock");
    public INamedTypeSymbol? Mutex => Get("System.Threading.Mutex");
    public INamedTypeSymbol? WaitHandle => Get("System.Threading.WaitHandle");
    public INamedTypeSymbol? SemaphoreSlim => Get("System.Threading.SemaphoreSlim");
    public INamedTypeSymbol? ReaderWriterLockSlim => Get("System.Threading.ReaderWriterLockSlim");
    public INamedTypeSymbol? SpinLock => Get("System.Threading.SpinLock");
    public INamedTypeSymbol? SpinWait => Get("System.Threading.SpinWait");
    public INamedTypeSymbol? Interlocked => Get("System.Threading.Interlocked");
    public INamedTypeSymbol? Volatile => Get("System.Threading.Volatile");
    public INamedTypeSymbol? CountdownEvent => Get("System.Threading.CountdownEvent");
    public INamedTypeSymbol? Barrier => Get("System.Threading.Barrier");

    // Cancellation
    public INamedTypeSymbol? CancellationToken => Get("System.Threading.CancellationToken");
    public INamedTypeSymbol? CancellationTokenSource => Get("System.Threading.CancellationTokenSource");
    public INamedTypeSymbol? CancellationTokenRegistration => Get("System.Threading.CancellationTokenRegistration");

    // Channels and queues
    public INamedTypeSymbol? Channel => Get("System.Threading.Channels.Channel");
    public INamedTypeSymbol? ChannelOfT => Get("System.Threading.Channels.Channel`1");
    public INamedTypeSymbol? ChannelWriterOfT => Get("System.Threading.Channels.ChannelWriter`1");
    public INamedTypeSymbol? ChannelReaderOfT => Get("System.Threading.Channels.ChannelReader`1");
    public INamedTypeSymbol? BlockingCollectionOfT => Get("System.Collections.Concurrent.BlockingCollection`1");

    // Family-specific types: add new properties in your family's block (or call Get with the metadata name).
    // -- Lifetime
    // -- Locking
    // -- SharedState
    // -- Cancellation
    // -- Primitives
    // -- Coordination

    private INamedTypeSymbol? Resolve(string metadataName)
    {
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
}
