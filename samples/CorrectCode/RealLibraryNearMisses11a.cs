namespace CorrectCode.RealLibraries11a;

/// <summary>
/// Duplicati's backend manager shutdown: it gives its queue runner one second to finish, then looks at the runner
/// itself. The blocking wait on <c>WhenAny</c> hands back the winner, which is already complete and still held.
/// </summary>
public sealed class BackendQueueOwner : IDisposable
{
    private readonly Task _queueRunner;
    private readonly Action<string> _log;

    public BackendQueueOwner(Func<Task> runQueue, Action<string> log)
    {
        _queueRunner = Task.Run(runQueue);
        _log = log;
    }

    public void Dispose()
    {
        if (!_queueRunner.IsCompleted)
        {
            Task.WhenAny(_queueRunner, Task.Delay(1000)).GetAwaiter().GetResult();

            if (!_queueRunner.IsCompleted)
                _log("queue runner did not stop");
            if (_queueRunner.IsFaulted)
                _log("queue runner crashed: " + _queueRunner.Exception?.GetBaseException().Message);
        }
    }
}

/// <summary>
/// Duplicati's websocket notifications: each event is sent to every open, subscribed connection at once. The
/// connections were accepted elsewhere; the broadcast only writes to them.
/// </summary>
public sealed class WebsocketNotifier
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<System.Net.WebSockets.WebSocket, bool> _subscribers = new();

    public void Subscribe(System.Net.WebSockets.WebSocket socket) => _subscribers[socket] = true;

    public async Task SendDataAsync(string message, IEnumerable<System.Net.WebSockets.WebSocket> connections)
    {
        var bytes = new ArraySegment<byte>(System.Text.Encoding.UTF8.GetBytes(message));
        try
        {
            await Task.WhenAll(
                connections
                    .Where(c => c.State == System.Net.WebSockets.WebSocketState.Open)
                    .Where(c => _subscribers.ContainsKey(c))
                    .Select(c => c.SendAsync(bytes, System.Net.WebSockets.WebSocketMessageType.Text, true, CancellationToken.None))
            ).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine("websocket send failed: " + ex.Message);
        }
    }
}

/// <summary>
/// Duplicati's server database: one connection for the whole server, whose every use the lock serializes (a SQLite
/// connection is not thread-safe). The queries cannot move out of the lock; the lock exists for them.
/// </summary>
public sealed class ServerDatabase
{
    private readonly System.Data.IDbConnection _connection;
    private readonly System.Data.IDbCommand _errorCommand;
    private readonly object _lock = new();

    public ServerDatabase(System.Data.IDbConnection connection)
    {
        _connection = connection;
        _errorCommand = connection.CreateCommand();
        _errorCommand.CommandText = "INSERT INTO \"ErrorLog\" (\"Message\") VALUES (@Message)";
    }

    public void LogError(string message)
    {
        lock (_lock)
        {
            _errorCommand.Parameters.Clear();
            var parameter = _errorCommand.CreateParameter();
            parameter.ParameterName = "@Message";
            parameter.Value = message;
            _errorCommand.Parameters.Add(parameter);
            _errorCommand.ExecuteNonQuery();
        }
    }

    public void DeleteBackup(long id)
    {
        lock (_lock)
        {
            using var transaction = _connection.BeginTransaction();
            using (var cmd = _connection.CreateCommand())
            {
                cmd.Transaction = transaction;
                cmd.CommandText = "DELETE FROM \"Backup\" WHERE \"ID\" = " + id.ToString(System.Globalization.CultureInfo.InvariantCulture);
                cmd.ExecuteNonQuery();
            }

            transaction.Commit();
        }
    }
}

/// <summary>
/// Duplicati's queue runner: the running task, its queue entry and its lock source are published together under the
/// lock; the status getters read one reference out of the tuple, which sees the old or the new run.
/// </summary>
public sealed class QueueRunner
{
    private readonly object _lock = new();
    private readonly Queue<Func<Task>> _tasks = new();
    private (Task? Task, Func<Task>? Work) _current;

    public void Add(Func<Task> work)
    {
        lock (_lock)
            _tasks.Enqueue(work);
        StartNext();
    }

    public bool GetIsActive() => _current.Task != null;

    public Func<Task>? GetCurrentWork() => _current.Work;

    public void Terminate()
    {
        var task = _current.Task;
        task?.GetAwaiter().GetResult();
    }

    private void StartNext()
    {
        lock (_lock)
        {
            if (_current.Task is { IsCompleted: false } || _tasks.Count == 0)
                return;

            var next = _tasks.Dequeue();
            _current = (Task.Run(() => RunAsync(next)), next);
        }
    }

    private async Task RunAsync(Func<Task> work)
    {
        try
        {
            await work().ConfigureAwait(false);
        }
        finally
        {
            lock (_lock)
                _current = (null, null);
            StartNext();
        }
    }
}

/// <summary>
/// Duplicati's upload verification and database listings: the listing is given the token, and the LINQ operators over
/// it enumerate with that token.
/// </summary>
public sealed class RemoteListing
{
    private readonly Func<CancellationToken, IAsyncEnumerable<string>> _list;

    public RemoteListing(Func<CancellationToken, IAsyncEnumerable<string>> list) => _list = list;

    public async IAsyncEnumerable<string> ListAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var name in _list(cancellationToken).WithCancellation(cancellationToken).ConfigureAwait(false))
            yield return name;
    }

    public async Task<bool> VerifyUploadAsync(string name, CancellationToken cancelToken)
    {
        var found = await ListAsync(cancelToken).FirstOrDefaultAsync(n => n.Equals(name, StringComparison.OrdinalIgnoreCase)).ConfigureAwait(false);
        return found is not null;
    }

    public async Task<int> CountVolumesAsync(CancellationToken token)
    {
        var count = 0;
        await foreach (var name in ListAsync(token).Where(n => n.EndsWith(".zip", StringComparison.Ordinal)).Distinct().ConfigureAwait(false))
            count += name.Length > 0 ? 1 : 0;
        return count;
    }
}

/// <summary>
/// Duplicati's change report: a local async iterator runs each query with the caller's token itself.
/// </summary>
public static class ChangeReport
{
    public static async IAsyncEnumerable<string> CreateAsync(Func<string, CancellationToken, Task<string[]>> query, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken token)
    {
        async IAsyncEnumerable<string> BuildResult(string sql, string change)
        {
            foreach (var row in await query(sql, token).ConfigureAwait(false))
                yield return change + ": " + row;
        }

        await foreach (var r in BuildResult("SELECT added", "Added").ConfigureAwait(false))
            yield return r;
        await foreach (var r in BuildResult("SELECT deleted", "Deleted").ConfigureAwait(false))
            yield return r;
    }
}
