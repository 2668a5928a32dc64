// Coordination (CONC6xx): channels are completed by their owner, once.

using System.Threading.Channels;

namespace Showcase.Coordination;

public sealed class RowPipeline
{
    public async Task RunAsync(IAsyncEnumerable<string> rows, CancellationToken ct)
    {
        var channel = Channel.CreateBounded<string>(100);
        var producer = Task.Run(async () =>
        {
            await foreach (var row in rows.WithCancellation(ct))
            {
                await channel.Writer.WriteAsync(row, ct);
            }

            // CONC601: skipped when `rows` throws, and then the consumer below waits forever.
            channel.Writer.Complete();
        });

        await foreach (var row in channel.Reader.ReadAllAsync(ct))
        {
            Console.WriteLine(row);
        }

        await producer;
    }
}
