// Coordination (CONC602-CONC607): producers can be stopped, channels follow their protocol, pooled resources go back once.

using System.Buffers;
using System.Threading.Channels;

namespace Showcase.Coordination;

public static class NumberSource
{
    public static ChannelReader<int> Start(int count)
    {
        var channel = Channel.CreateBounded<int>(1);
        _ = Task.Run(async () =>
        {
            try
            {
                for (var i = 0; i < count; i++)
                {
                    // CONC602: once the caller stops reading, this write waits for room forever; nothing can cancel it.
                    await channel.Writer.WriteAsync(i);
                }
            }
            finally
            {
                channel.Writer.TryComplete();
            }
        });

        return channel.Reader;
    }
}

public sealed class BatchMerger
{
    public ChannelReader<string> Merge(string[][] batches)
    {
        var merged = Channel.CreateUnbounded<string>();
        Parallel.ForEach(batches, batch =>
        {
            foreach (var item in batch)
            {
                merged.Writer.TryWrite(item);
            }

            // CONC603: every parallel body completes the shared writer; the second one to finish throws.
            merged.Writer.Complete();
        });

        return merged.Reader;
    }
}

public sealed class BackendGateway(System.Threading.RateLimiting.RateLimiter limiter)
{
    public async Task ForwardAsync(Func<CancellationToken, Task> send, CancellationToken ct)
    {
        // CONC604: the lease is never disposed (a concurrency limiter loses the permit for good) and IsAcquired is never
        // read, so a refused call goes to the backend anyway. Use 'using var' and return when !lease.IsAcquired.
        var lease = await limiter.AcquireAsync(1, ct);
        await send(ct);
    }
}

public static class Checksum
{
    public static async Task<int> ComputeAsync(Stream stream, int size, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        var read = await stream.ReadAsync(buffer.AsMemory(0, size), ct);
        var sum = 0;
        for (var i = 0; i < read; i++)
        {
            sum += buffer[i];
        }

        // CONC605: if ReadAsync throws, the buffer never goes back to the pool; return it in a finally.
        ArrayPool<byte>.Shared.Return(buffer);
        return sum;
    }
}

public static class ThumbnailBatch
{
    public static void RenderAll(string[] images)
    {
        using var pending = new CountdownEvent(1);
        foreach (var image in images)
        {
            ThreadPool.QueueUserWorkItem(_ =>
            {
                // CONC606: the worker registers only once it runs; Wait() below can pass before any worker started.
                pending.AddCount();
                try
                {
                    Render(image);
                }
                finally
                {
                    pending.Signal();
                }
            });
        }

        pending.Signal();
        pending.Wait();
    }

    private static void Render(string image) => Console.WriteLine(image);
}

public static class CustomerLookup
{
    public static string? FindByEmail(string[] customers, string email)
    {
        string? match = null;
        Parallel.ForEach(customers, customer =>
        {
            if (customer.EndsWith(email, StringComparison.OrdinalIgnoreCase))
            {
                match = customer;
                // CONC607: 'return' ends only this iteration; the loop keeps scanning and may overwrite the match.
                return;
            }
        });

        return match;
    }
}
