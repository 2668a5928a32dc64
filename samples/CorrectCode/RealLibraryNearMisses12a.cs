using System.Threading.Channels;

namespace CorrectCode.RealLibraries12a;

/// <summary>
/// A JSON-RPC client that queues calls on a batch and sends them as one request; each queued call's task completes
/// when the batch's reply is read.
/// </summary>
public sealed class RpcBatch
{
    private readonly List<(int Id, TaskCompletionSource<string> Reply)> _queued = new();

    public Task<string> GetTxOutAsync(int id, CancellationToken cancellationToken)
    {
        var reply = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        _queued.Add((id, reply));
        return reply.Task;
    }

    public Task SendBatchAsync(CancellationToken cancellationToken)
    {
        foreach (var (id, reply) in _queued)
        {
            reply.TrySetResult("out-" + id);
        }

        _queued.Clear();
        return Task.CompletedTask;
    }
}

/// <summary>
/// NBXplorer's <c>GetTxOuts</c>: one call per outpoint is queued on a batch, the batch is sent (with retries), and the
/// replies are read one by one. The send answered every call, so no task is still running when one await throws.
/// </summary>
public static class BatchedLookups
{
    public static async Task<Dictionary<int, string>> GetTxOuts(IList<int> outpoints, CancellationToken cancellationToken)
    {
        var batch = new RpcBatch();
        var txOuts = outpoints.Select(o => batch.GetTxOutAsync(o, cancellationToken)).ToArray();
        await WithRetry(() => batch.SendBatchAsync(cancellationToken), cancellationToken);
        var result = new Dictionary<int, string>();
        var i = 0;
        foreach (var txOut in txOuts)
        {
            var outpoint = outpoints[i];
            var r = await txOut;
            result.TryAdd(outpoint, r);
            i++;
        }

        return result;
    }

    public static async Task<string> GetTwo(CancellationToken cancellationToken)
    {
        var batch = new RpcBatch();
        var first = batch.GetTxOutAsync(1, cancellationToken);
        var second = batch.GetTxOutAsync(2, cancellationToken);
        await batch.SendBatchAsync(cancellationToken);
        return await first + await second;
    }

    private static async Task WithRetry(Func<Task> send, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await send();
                return;
            }
            catch (HttpRequestException) when (attempt < 3)
            {
                await Task.Delay(100, cancellationToken);
            }
        }
    }
}

/// <summary>
/// NBXplorer's address pool: a refill per matched transaction is queued on a channel, and one worker runs them; the
/// caller waits for the completion sources. The loop starts nothing itself.
/// </summary>
public sealed class AddressPoolRefills
{
    private sealed class RefillRequest
    {
        public required string Strategy { get; init; }
        public required TaskCompletionSource<bool> Done { get; init; }
    }

    private readonly Channel<RefillRequest> _channel = Channel.CreateUnbounded<RefillRequest>();

    public Task GenerateAddresses(IReadOnlyList<string> matches)
    {
        var refill = new List<Task>();
        foreach (var strategy in matches)
        {
            refill.Add(GenerateAddresses(strategy));
        }

        return Task.WhenAll(refill.ToArray());
    }

    public async Task RunWorker(CancellationToken cancellationToken)
    {
        while (await _channel.Reader.WaitToReadAsync(cancellationToken))
        {
            while (_channel.Reader.TryRead(out var request))
            {
                request.Done.TrySetResult(request.Strategy.Length > 0);
            }
        }
    }

    private Task GenerateAddresses(string strategy)
    {
        var completion = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_channel.Writer.TryWrite(new RefillRequest { Strategy = strategy, Done = completion }))
            completion.TrySetCanceled();
        return completion.Task;
    }
}
