// Shared state (CONC3xx): loop variables captured by work that runs later.

namespace Showcase.SharedState;

public sealed class ShardReindexer
{
    private static void Reindex(string shard) => Console.WriteLine(shard);

    public async Task ReindexAllAsync(string[] shards)
    {
        var tasks = new List<Task>();
        for (int i = 0; i < shards.Length; i++)
        {
            // CONC304: `i` is one variable for the whole loop; the task reads it after the loop has moved on
            // (usually i == shards.Length, so this throws IndexOutOfRangeException).
            tasks.Add(Task.Run(() => Reindex(shards[i])));
        }

        await Task.WhenAll(tasks);

        // Correct: foreach variables are fresh per iteration.
        foreach (var shard in shards)
        {
            tasks.Add(Task.Run(() => Reindex(shard)));
        }

        await Task.WhenAll(tasks);
    }
}

public sealed class Poller
{
    private bool _stop;

    public void Stop() => _stop = true;

    public void Run()
    {
        // CONC306: `_stop` is a plain field written by Stop() on another thread; the JIT may read it once and spin forever.
        while (!_stop)
        {
            Thread.Sleep(10);
        }
    }
}
