using System.Threading.Channels;

namespace CorrectCode.RealLibraries;

/// <summary>
/// Joins a reader of async sequences into one reader. The pump is started and dropped, but its whole body is a
/// <c>try</c> whose catch-all completes the output with the fault: the reader is how the caller sees the end and
/// any failure, and nothing can escape the task.
/// </summary>
public static class SequenceJoiner
{
    public static ChannelReader<T> Join<T>(ChannelReader<IAsyncEnumerable<T>> source)
    {
        var buffer = Channel.CreateUnbounded<T>(new UnboundedChannelOptions { SingleWriter = true });
        var writer = buffer.Writer;

        Task.Run(JoinCore);

        return buffer.Reader;

        async ValueTask JoinCore()
        {
            try
            {
                await foreach (var batch in source.ReadAllAsync().ConfigureAwait(false))
                {
                    await foreach (var item in batch.ConfigureAwait(false))
                    {
                        await writer.WriteAsync(item).ConfigureAwait(false);
                    }
                }

                writer.TryComplete();
            }
            catch (Exception ex)
            {
                writer.TryComplete(ex);
            }
        }
    }

    /// <summary>The same pump as a lambda: a void delegate that catches everything.</summary>
    public static void Drain<T>(ChannelReader<T> source, Action<T> sink)
        => Task.Run(() =>
        {
            try
            {
                while (source.TryRead(out var item))
                {
                    sink(item);
                }
            }
            catch (Exception ex)
            {
                Console.Error.WriteLine(ex);
            }
        });
}

/// <summary>
/// A reader helper with a fast path: when the token cannot be cancelled, the loops skip the checks on purpose; when
/// it can, they check it on every pass.
/// </summary>
public static class ReadUntilCancelled
{
    public static async ValueTask<long> ReadAsync<T>(ChannelReader<T> reader, Func<T, ValueTask> receiver, CancellationToken cancellationToken)
    {
        long count = 0;
        if (cancellationToken.CanBeCanceled)
        {
            do
            {
                while (!cancellationToken.IsCancellationRequested && reader.TryRead(out var item))
                {
                    await receiver(item).ConfigureAwait(false);
                    count++;
                }
            }
            while (!cancellationToken.IsCancellationRequested &&
                   await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false));
        }
        else
        {
            do
            {
                while (reader.TryRead(out var item))
                {
                    await receiver(item).ConfigureAwait(false);
                    count++;
                }
            }
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false));
        }

        return count;
    }
}

/// <summary>
/// A dispatcher that schedules work on its own scheduler: <c>StartNew</c> is the only way to pick the scheduler, and
/// the discarded <c>Task&lt;Task&gt;</c> is waited on by nobody (the runner reports its own end).
/// </summary>
public sealed class SchedulerDispatcher
{
    private readonly TaskScheduler _scheduler;

    public SchedulerDispatcher(TaskScheduler scheduler) => _scheduler = scheduler;

    public void Schedule(Func<Task> runner)
        => _ = Task.Factory.StartNew(runner, CancellationToken.None, TaskCreationOptions.None, _scheduler);
}

/// <summary>
/// A batching producer: a message whose own token fired is cancelled with <c>TrySetCanceled</c>; the token given
/// there records what cancelled it, and the loop's token is not the one.
/// </summary>
public sealed class BatchingProducer
{
    private readonly Channel<PendingMessage> _pending = Channel.CreateUnbounded<PendingMessage>();

    public Task ProduceAsync(string message, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_pending.Writer.TryWrite(new PendingMessage(message, done, cancellationToken)))
        {
            done.TrySetCanceled();
        }

        return done.Task;
    }

    public async Task RunAsync(Func<IReadOnlyList<string>, CancellationToken, Task> publish, CancellationToken cancel)
    {
        var batch = new List<PendingMessage>();
        while (await _pending.Reader.WaitToReadAsync(cancel).ConfigureAwait(false))
        {
            while (_pending.Reader.TryRead(out var message))
            {
                if (message.Cancel.IsCancellationRequested)
                {
                    message.Done.TrySetCanceled(message.Cancel);
                    continue;
                }

                batch.Add(message);
            }

            await publish(batch.ConvertAll(m => m.Text), cancel).ConfigureAwait(false);
            foreach (var sent in batch)
            {
                sent.Done.TrySetResult();
            }

            batch.Clear();
        }
    }

    private sealed record PendingMessage(string Text, TaskCompletionSource Done, CancellationToken Cancel);
}
