namespace CorrectCode.RealLibraries6b;

/// <summary>Something that takes messages: an actor's mailbox, as Akka.NET's <c>ICanTell</c>.</summary>
public interface IMessageTarget
{
    void Tell(object message, IMessageTarget? sender);
}

/// <summary>A failure delivered as a message, as Akka.NET's <c>Status.Failure</c>.</summary>
public sealed record FailureMessage(Exception Cause);

/// <summary>
/// The actor-model "pipe" (Akka.NET's <c>PipeToSupport.PipeTo</c>): the task's outcome, success or failure, is sent to
/// the recipient as a message. The returned task is detached: callers drop it, the recipient observes the outcome.
/// </summary>
public static class PipeExtensions
{
    public static Task PipeTo<T>(this Task<T> task, IMessageTarget recipient, IMessageTarget? sender = null,
        Func<Exception, object>? failure = null)
        => PipeCoreAsync(task, recipient, sender, failure);

    private static async Task PipeCoreAsync<T>(Task<T> task, IMessageTarget recipient, IMessageTarget? sender,
        Func<Exception, object>? failure)
    {
        try
        {
            var result = await task.ConfigureAwait(false);
            recipient.Tell(result!, sender);
        }
        catch (Exception ex)
        {
            recipient.Tell(failure is null ? new FailureMessage(ex) : failure(ex), sender);
        }
    }
}

/// <summary>
/// A listener actor's message handler (Akka.NET's <c>TcpListener</c> and routers): synchronous, as actor handlers are,
/// it starts the asynchronous bind or lookup and pipes its outcome back to itself or to the asker.
/// </summary>
public sealed class ListenerActor : IMessageTarget
{
    private readonly Queue<object> _mailbox = new();
    private readonly object _gate = new();
    private bool _binding;

    public void Tell(object message, IMessageTarget? sender)
    {
        lock (_gate)
        {
            _mailbox.Enqueue(message);
        }
    }

    public bool Receive(string message, IMessageTarget replyTo)
    {
        switch (message)
        {
            case "bind":
                _binding = true;
                BindAsync().PipeTo(this);
                return true;
            case "lookup":
                LookupAsync(message).PipeTo(replyTo, this, failure: ex => new FailureMessage(ex));
                return true;
            default:
                return _binding;
        }
    }

    private static async Task<int> BindAsync()
    {
        await Task.Yield();
        return 1;
    }

    private static async Task<string> LookupAsync(string name)
    {
        await Task.Yield();
        return name;
    }
}

/// <summary>
/// A worker loop over several readers (Akka.NET's <c>ChannelSchedulerExtension</c>): after each round it waits for any
/// reader to have data and reads the winner's result in the loop condition; the winner is a completed task.
/// </summary>
public sealed class PriorityPump
{
    private readonly System.Threading.Channels.Channel<Action> _high = System.Threading.Channels.Channel.CreateUnbounded<Action>();
    private readonly System.Threading.Channels.Channel<Action> _low = System.Threading.Channels.Channel.CreateUnbounded<Action>();

    public async Task RunAsync(CancellationToken token)
    {
        var readTasks = new Task<bool>[2];
        readTasks[0] = _high.Reader.WaitToReadAsync(token).AsTask();
        readTasks[1] = _low.Reader.WaitToReadAsync(token).AsTask();
        Task<bool> readTask;
        do
        {
            while (_high.Reader.TryRead(out var work) || _low.Reader.TryRead(out work))
            {
                work();
            }

            if (readTasks[0].IsCompleted)
            {
                readTasks[0] = _high.Reader.WaitToReadAsync(token).AsTask();
            }

            if (readTasks[1].IsCompleted)
            {
                readTasks[1] = _low.Reader.WaitToReadAsync(token).AsTask();
            }

            readTask = await Task.WhenAny(readTasks).ConfigureAwait(false);
        }
        while (readTask.Result && !token.IsCancellationRequested);
    }
}
