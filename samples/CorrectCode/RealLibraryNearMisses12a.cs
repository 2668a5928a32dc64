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
