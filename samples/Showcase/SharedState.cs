// Shared state family (CONC3xx): state touched by concurrent code is synchronized, or not shared at all.

using System.Collections.Concurrent;

namespace Showcase.SharedState;

public sealed class ReportBuilder
{
    // CONC301: List<T>.Add from every Parallel.ForEach worker at once loses items or throws from inside the list.
    public List<string> Summarize(IEnumerable<string> files)
    {
        var summaries = new List<string>();
        Parallel.ForEach(files, file => summaries.Add(file.ToUpperInvariant()));
        return summaries;
    }

    // Correct: a concurrent collection (or no shared mutation at all: files.AsParallel().Select(...).ToList()).
    public List<string> SummarizeSafely(IEnumerable<string> files)
    {
        var summaries = new ConcurrentQueue<string>();
        Parallel.ForEach(files, file => summaries.Enqueue(file.ToUpperInvariant()));
        return summaries.ToList();
    }

    // CONC301: after the first await the projected lambdas run together; the Dictionary is written concurrently.
    public async Task<Dictionary<string, int>> MeasureAsync(IEnumerable<string> urls)
    {
        var sizes = new Dictionary<string, int>();
        await Task.WhenAll(urls.Select(async url =>
        {
            await Task.Delay(10);
            sizes[url] = url.Length;
        }));
        return sizes;
    }
}

public sealed class JobRunner
{
    private long _processedBytes;

    // CONC302: `failures++` and `_processedBytes += ...` are read-modify-write: concurrent workers lose updates.
    public int Run(IReadOnlyList<string> jobs)
    {
        var failures = 0;
        Parallel.ForEach(jobs, job =>
        {
            if (job.Length == 0)
            {
                failures++;
            }

            _processedBytes += job.Length;
        });
        return failures;
    }

    // Correct: Interlocked makes each update one atomic step.
    public int RunSafely(IReadOnlyList<string> jobs)
    {
        var failures = 0;
        Parallel.ForEach(jobs, job =>
        {
            if (job.Length == 0)
            {
                Interlocked.Increment(ref failures);
            }
        });
        return failures;
    }
}

public sealed class HitCounter
{
    private readonly object _gate = new();
    private readonly Dictionary<string, int> _hits = new();

    public void Hit(string page)
    {
        lock (_gate)
        {
            _hits[page] = _hits.GetValueOrDefault(page) + 1;
        }
    }

    // CONC303: _hits is changed under _gate, but read here without it: the read can meet a resize half-way.
    public int Count(string page) => _hits.GetValueOrDefault(page);

    // Correct: the same lock around the read.
    public int CountSafely(string page)
    {
        lock (_gate)
        {
            return _hits.GetValueOrDefault(page);
        }
    }
}
