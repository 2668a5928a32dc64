namespace CorrectCode.RealLibraries11c;

using System.Runtime.CompilerServices;
using System.Threading.Channels;

/// <summary>A domain object's snapshot store (Squidex-like): events and snapshots are written separately.</summary>
public interface ISnapshotStore
{
    Task WriteEventsAsync(IReadOnlyList<string> events, CancellationToken ct);

    Task WriteSnapshotAsync(int version, CancellationToken ct);

    Task CacheAsync(int version, CancellationToken ct);
}

/// <summary>
/// Squidex's domain object and caching middleware: once the events are written, the snapshot and the cache entries must
/// follow even if the caller gives up, and a comment says so above the run of calls given <c>default</c>.
/// </summary>
public sealed class SnapshotWriter(ISnapshotStore store)
{
    public async Task WriteAsync(IReadOnlyList<string> events, int version, CancellationToken ct)
    {
        if (events.Count > 0)
        {
            // Writing the events may be cancelled by the caller, but once they are written the snapshot must be
            // written too, to keep both stores consistent.
            await store.WriteEventsAsync(events, ct);
            await store.WriteSnapshotAsync(version, default);
        }
    }

    public async Task CacheAsync(int oldVersion, int newVersion, CancellationToken ct)
    {
        await store.WriteSnapshotAsync(newVersion, ct);

        if (oldVersion != newVersion)
        {
            // If we are so far it is not worth to stop the flow anymore.
            await store.CacheAsync(oldVersion, default);
            await store.CacheAsync(newVersion, default);
        }
    }
}

/// <summary>
/// Squidex's buffered async enumerable: a producer fills a bounded channel; when the consumer stops early the producer
/// is cancelled and then waited for with <c>Task.WhenAny(producer)</c>, which ends without rethrowing its fault.
/// </summary>
public static class Buffering
{
    public static async IAsyncEnumerable<T> BufferAsync<T>(
        this IAsyncEnumerable<T> source,
        int capacity,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        var channel = Channel.CreateBounded<T>(capacity);
        using var completion = new CancellationTokenSource();

        var producer = Task.Run(
            async () =>
            {
                try
                {
                    await foreach (var item in source.WithCancellation(completion.Token).ConfigureAwait(false))
                    {
                        await channel.Writer.WriteAsync(item, completion.Token).ConfigureAwait(false);
                    }
                }
                finally
                {
                    channel.Writer.TryComplete();
                }
            },
            completion.Token);

        try
        {
            await foreach (var item in channel.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                yield return item;
            }

            await producer.ConfigureAwait(false);
        }
        finally
        {
            if (!producer.IsCompleted)
            {
                await completion.CancelAsync().ConfigureAwait(false);
                channel.Writer.TryComplete();

                await Task.WhenAny(producer).ConfigureAwait(false);
            }
        }
    }
}

/// <summary>A search provider registered in the container.</summary>
public interface ISearchSource
{
    Task<IReadOnlyList<string>> SearchAsync(string query, CancellationToken ct);
}

/// <summary>
/// Squidex's search manager: every registered source is asked at once. The sources are injected through a primary
/// constructor, so their number is the application's configuration, not input.
/// </summary>
public sealed class SearchManager(IEnumerable<ISearchSource> searchSources)
{
    public async Task<List<string>> SearchAsync(string? query, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(query) || query.Length < 3)
        {
            return [];
        }

        var tasks = searchSources.Select(x => SearchOneAsync(x, query, ct));
        var results = await Task.WhenAll(tasks);

        return results.SelectMany(x => x).ToList();
    }

    private static async Task<IReadOnlyList<string>> SearchOneAsync(ISearchSource source, string query, CancellationToken ct)
    {
        try
        {
            return await source.SearchAsync(query, ct);
        }
        catch (InvalidOperationException)
        {
            return [];
        }
    }
}
