using ConcurrencyAnalyzers.Locking;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencyAnalyzers.Locking.BlockingCallUnderLockAnalyzer>;

namespace ConcurrencyAnalyzers.Tests.Locking;

public sealed class BlockingCallUnderLockTests
{
    private static string Wrap(string body) => $$"""
        using System;
        using System.IO;
        using System.Threading;
        using System.Threading.Tasks;

        class C
        {
            private readonly object _gate = new object();
            private readonly SemaphoreSlim _sem = new SemaphoreSlim(1, 1);
        {{body}}
        }
        """;

    [Fact]
    public Task Thread_Sleep_inside_lock_is_reported_with_names()
        => Verify.VerifyAnalyzerAsync(
            Wrap("""
                public void M()
                {
                    lock (_gate) { Thread.{|#0:Sleep|}(100); }
                }
            """),
            Verify.Diagnostic(BlockingCallUnderLockAnalyzer.Rule).WithLocation(0).WithArguments("Thread.Sleep", "_gate"));

    [Fact]
    public Task File_io_and_process_wait_under_Monitor_are_reported()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                public void M(System.Diagnostics.Process p)
                {
                    Monitor.Enter(_gate);
                    try
                    {
                        File.{|CONC205:WriteAllText|}("a", "b");
                        p.{|CONC205:WaitForExit|}();
                    }
                    finally { Monitor.Exit(_gate); }
                }
            """));

    [Fact]
    public Task Console_and_event_wait_under_semaphore_are_reported()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                public async Task M(ManualResetEvent signal)
                {
                    await _sem.WaitAsync();
                    try
                    {
                        signal.{|CONC205:WaitOne|}();
                        Console.{|CONC205:ReadLine|}();
                    }
                    finally { _sem.Release(); }
                }
            """));

    [Fact]
    public Task Http_send_under_lock_is_reported()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                public void M(System.Net.Http.HttpClient client, System.Net.Http.HttpRequestMessage request)
                {
                    lock (_gate) { client.{|CONC205:Send|}(request); }
                }
            """));

    [Fact]
    public Task Configured_method_is_reported()
    {
        var test = new Verify.Test
        {
            TestCode = Wrap("""
                public void M() { lock (_gate) { Store.{|CONC205:Save|}(); } }
                static class Store { public static void Save() { } }
            """),
        };
        test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n[*.cs]\nCONC205.blocking_methods = Store.Save"));
        return test.RunAsync();
    }

    [Fact]
    public Task Thread_Sleep_in_a_local_function_called_only_inside_lock_is_reported_with_the_lock_name()
        => Verify.VerifyAnalyzerAsync(
            Wrap("""
                public void M(int n)
                {
                    lock (_gate)
                    {
                        Backoff(n);
                    }

                    void Backoff(int attempt)
                    {
                        if (attempt > 0)
                        {
                            Thread.{|#0:Sleep|}(attempt * 10);
                        }
                    }
                }
            """),
            Verify.Diagnostic(BlockingCallUnderLockAnalyzer.Rule).WithLocation(0).WithArguments("Thread.Sleep", "_gate"));

    [Fact]
    public Task Thread_Sleep_in_a_local_function_of_a_lambda_called_only_inside_its_lock_is_reported()
        => Verify.VerifyAnalyzerAsync(
            Wrap("""
                public System.Action M(int n)
                {
                    return () =>
                    {
                        lock (_gate)
                        {
                            Backoff(n);
                        }

                        void Backoff(int attempt) => Thread.{|#0:Sleep|}(attempt * 10);
                    };
                }
            """),
            Verify.Diagnostic(BlockingCallUnderLockAnalyzer.Rule).WithLocation(0).WithArguments("Thread.Sleep", "_gate"));

    // ---- near misses ----

    [Fact]
    public Task Monitor_Wait_inside_lock_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                private bool _ready;
                public void M()
                {
                    lock (_gate) { while (!_ready) Monitor.Wait(_gate); }
                }
            """));

    [Fact]
    public Task Sleep_after_the_lock_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                private int _n;
                public void M()
                {
                    lock (_gate) { _n++; }
                    Thread.Sleep(100);
                }
            """));

    [Fact]
    public Task Nested_lock_acquisition_is_not_a_blocking_call()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                private readonly Mutex _mutex = new Mutex();
                public void M()
                {
                    lock (_gate)
                    {
                        _mutex.WaitOne();
                        try { } finally { _mutex.ReleaseMutex(); }
                    }
                }
            """));

    [Fact]
    public Task File_io_under_a_mutex_is_what_it_serializes_sleeps_under_it_and_io_under_a_lock_too_are_reported()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                private readonly Mutex _fileMutex = new Mutex(false, "catalog-file");
                public void Save(string path, string[] lines)
                {
                    bool owned = false;
                    try
                    {
                        try { owned = _fileMutex.WaitOne(5000); }
                        catch (AbandonedMutexException) { owned = true; }
                        if (!owned) throw new TimeoutException();
                        File.WriteAllLines(path, lines);
                        using (var stream = new FileStream(path, FileMode.Append))
                        {
                            stream.WriteByte(1);
                        }
                    }
                    finally
                    {
                        if (owned) _fileMutex.ReleaseMutex();
                    }
                }

                public void Retry(string path)
                {
                    _fileMutex.WaitOne();
                    try
                    {
                        Thread.{|CONC205:Sleep|}(100);
                        lock (_gate)
                        {
                            File.{|CONC205:AppendAllText|}(path, "x");
                        }
                    }
                    finally
                    {
                        _fileMutex.ReleaseMutex();
                    }
                }
            """));

    [Fact]
    public Task Sleep_in_a_lambda_started_under_lock_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                private Task _t = Task.CompletedTask;
                public void M()
                {
                    lock (_gate) { _t = Task.Run(() => Thread.Sleep(10)); }
                }
            """));

    [Fact]
    public Task Lock_in_a_lambda_started_under_a_lock_is_analyzed_on_the_lambdas_own_graph()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                private int _n;
                public void M(int a, int b)
                {
                    lock (_gate)
                    {
                        if (a > 0) { _n++; }
                        if (b > 0) { _n--; }
                        if (a > b) { _n += 2; }
                        Task.Run(() => { lock (_gate) { Thread.{|#0:Sleep|}(10); } });
                    }
                }
            """),
            Verify.Diagnostic(BlockingCallUnderLockAnalyzer.Rule).WithLocation(0).WithArguments("Thread.Sleep", "_gate"));

    [Fact]
    public Task In_memory_work_under_lock_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                private readonly MemoryStream _buffer = new MemoryStream();
                public void M(byte[] data)
                {
                    lock (_gate) { _buffer.Write(data, 0, data.Length); }
                }
            """));

    [Fact]
    public Task Stream_and_writer_calls_on_shared_fields_and_in_memory_locals_under_lock_are_not_reported()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                private readonly FileStream _journal = new FileStream("journal", FileMode.Append);
                private readonly StreamWriter _log = new StreamWriter("log.txt");

                public void Append(byte[] data, string line, Stream unknown)
                {
                    lock (_gate)
                    {
                        // A lock that serializes writes to one shared file: a deliberate design.
                        _journal.Write(data, 0, data.Length);
                        _journal.Flush();
                        _log.WriteLine(line);

                        var buffer = new MemoryStream();
                        buffer.Write(data, 0, data.Length);
                        var text = new StringWriter();
                        text.WriteLine(line);
                        using var inMemory = new StreamWriter(buffer);
                        inMemory.WriteLine(line);
                        inMemory.Flush();
                        unknown.Write(data, 0, data.Length);
                    }
                }
            """));

    [Fact]
    public Task Commands_on_the_types_one_shared_connection_are_not_reported_under_its_lock_a_connection_of_its_own_is()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                private readonly System.Data.IDbConnection _connection;
                private readonly System.Data.IDbCommand _errorCommand;
                private readonly System.Data.Common.DbProviderFactory _factory;

                public C(System.Data.IDbConnection connection, System.Data.Common.DbProviderFactory factory)
                {
                    _connection = connection;
                    _errorCommand = connection.CreateCommand();
                    _factory = factory;
                }

                public void LogError(string message)
                {
                    // The lock serializes the use of the one connection the type holds (SQLite's is not thread-safe).
                    lock (_gate)
                    {
                        _errorCommand.CommandText = "INSERT INTO Error (Message) VALUES ('" + message + "')";
                        _errorCommand.ExecuteNonQuery();
                    }
                }

                public void DeleteBackup(long id)
                {
                    lock (_gate)
                    {
                        using (var cmd = _connection.CreateCommand())
                        {
                            cmd.CommandText = "DELETE FROM Backup WHERE ID = " + id;
                            cmd.ExecuteNonQuery();
                            var left = cmd.ExecuteScalar();
                        }
                    }
                }

                public void Rename(long id, string name)
                {
                    lock (_gate)
                    {
                        using var tr = _connection.BeginTransaction();
                        using var cmd = _connection.CreateCommand(tr, "UPDATE Backup SET Name = @Name WHERE ID = @Id");
                        cmd.With("@Name", name).With("@Id", id).ExecuteNonQuery();
                        tr.Commit();
                    }
                }

                public void Archive(System.Data.IDbConnection other, long id)
                {
                    lock (_gate)
                    {
                        using var fromParameter = other.CreateCommand();
                        fromParameter.CommandText = "DELETE FROM Log WHERE ID = " + id;
                        fromParameter.{|#0:ExecuteNonQuery|}();

                        using var own = _factory.CreateConnection()!;
                        own.{|#1:Open|}();
                        using var cmd = own.CreateCommand();
                        cmd.{|#2:ExecuteNonQuery|}();
                    }
                }
            """) + """

            static class DbExtensions
            {
                public static System.Data.IDbCommand CreateCommand(this System.Data.IDbConnection connection, System.Data.IDbTransaction transaction, string sql)
                {
                    var cmd = connection.CreateCommand();
                    cmd.Transaction = transaction;
                    cmd.CommandText = sql;
                    return cmd;
                }

                public static System.Data.IDbCommand With(this System.Data.IDbCommand cmd, string name, object value)
                {
                    var p = cmd.CreateParameter();
                    p.ParameterName = name;
                    p.Value = value;
                    cmd.Parameters.Add(p);
                    return cmd;
                }
            }
            """,
            Verify.Diagnostic(BlockingCallUnderLockAnalyzer.Rule).WithLocation(0).WithArguments("IDbCommand.ExecuteNonQuery", "_gate"),
            Verify.Diagnostic(BlockingCallUnderLockAnalyzer.Rule).WithLocation(1).WithArguments("DbConnection.Open", "_gate"),
            Verify.Diagnostic(BlockingCallUnderLockAnalyzer.Rule).WithLocation(2).WithArguments("DbCommand.ExecuteNonQuery", "_gate"));

    [Fact]
    public Task File_and_network_streams_opened_in_the_method_are_reported_under_lock()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                public void Append(string path, byte[] data, string line, System.Net.Sockets.TcpClient client)
                {
                    lock (_gate)
                    {
                        using var file = new FileStream(path, FileMode.Append);
                        file.{|#0:Write|}(data, 0, data.Length);
                        using var writer = File.AppendText(path);
                        writer.{|#1:WriteLine|}(line);
                        using var reader = new StreamReader(path);
                        reader.{|#2:ReadToEnd|}();
                        var network = client.GetStream();
                        network.{|#3:Read|}(data, 0, data.Length);
                    }
                }
            """),
            Verify.Diagnostic(BlockingCallUnderLockAnalyzer.Rule).WithLocation(0).WithArguments("FileStream.Write", "_gate"),
            Verify.Diagnostic(BlockingCallUnderLockAnalyzer.Rule).WithLocation(1).WithArguments("StreamWriter.WriteLine", "_gate"),
            Verify.Diagnostic(BlockingCallUnderLockAnalyzer.Rule).WithLocation(2).WithArguments("StreamReader.ReadToEnd", "_gate"),
            Verify.Diagnostic(BlockingCallUnderLockAnalyzer.Rule).WithLocation(3).WithArguments("NetworkStream.Read", "_gate"));

    [Fact]
    public Task Rename_ending_a_temp_file_write_under_an_async_semaphore_is_not_reported_under_a_lock_or_sync_wait_it_is()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                public async Task SaveAsync(string path, string text, CancellationToken ct)
                {
                    await _sem.WaitAsync(ct);
                    try
                    {
                        await File.WriteAllTextAsync(path + ".tmp", text, ct);
                        File.Move(path + ".tmp", path, overwrite: true);
                        File.Replace(path + ".new", path, null);
                    }
                    finally
                    {
                        _sem.Release();
                    }
                }

                public void Save(string path)
                {
                    _sem.Wait();
                    try { File.{|CONC205:Move|}(path + ".tmp", path); }
                    finally { _sem.Release(); }
                    lock (_gate) { File.{|CONC205:Move|}(path + ".tmp", path); }
                }

                public async Task CopyAsync(string path, CancellationToken ct)
                {
                    await _sem.WaitAsync(ct);
                    try { File.{|CONC205:Copy|}(path, path + ".bak"); }
                    finally { _sem.Release(); }
                }
            """));

    [Fact]
    public Task Task_wait_under_lock_is_left_to_CONC202()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                public void M()
                {
                    lock (_gate) { Task.Delay(10).Wait(); }
                }
            """));

    [Fact]
    public Task Half_typed_code_does_not_crash()
        => new Verify.Test
        {
            TestCode = Wrap("""
                public void M() { lock (_gate) { Thread.Sleep( } }
            """),
            CompilerDiagnostics = CompilerDiagnostics.None,
        }.RunAsync();

    [Fact]
    public Task Zero_timeout_polls_under_a_lock_are_not_reported()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                private readonly ManualResetEventSlim _drained = new ManualResetEventSlim();

                public bool TryCancel(Thread worker, AutoResetEvent signal)
                {
                    lock (_gate)
                    {
                        // Never wait under the lock: only check whether the reader is done.
                        if (!_drained.Wait(0))
                            return false;
                        if (!signal.WaitOne(TimeSpan.Zero))
                            return false;
                        if (!worker.Join(0))
                            return false;
                        return _drained.{|CONC205:Wait|}(50);
                    }
                }
            """));

    [Fact]
    public Task Sync_branch_of_the_dual_path_idiom_under_its_semaphore_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                private readonly ManualResetEventSlim _ready = new ManualResetEventSlim();

                internal async Task Rent(bool async, CancellationToken ct)
                {
                    if (async)
                    {
                        await _sem.WaitAsync(ct);
                        try { await Task.Delay(1, ct); }
                        finally { _sem.Release(); }
                    }
                    else
                    {
                        _sem.Wait(ct);
                        try { _ready.Wait(ct); }
                        finally { _sem.Release(); }
                    }
                }
            """));

    [Fact]
    public Task Sync_branch_of_the_dual_path_idiom_under_a_monitor_is_reported()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                internal void Flush(bool async)
                {
                    lock (_gate)
                    {
                        if (!async)
                            Thread.{|CONC205:Sleep|}(10);
                    }
                }
            """));

    [Fact]
    public Task Local_function_also_called_outside_the_lock_used_as_a_method_group_or_taking_its_own_lock_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Wrap("""
                public void Mixed(int n)
                {
                    Backoff(n);
                    lock (_gate)
                    {
                        Backoff(n);
                    }

                    void Backoff(int attempt) => Thread.Sleep(attempt);
                }

                public void Group(int[] items)
                {
                    lock (_gate)
                    {
                        Pause(1);
                    }

                    Array.ForEach(items, Pause);

                    void Pause(int ms) => Thread.Sleep(ms);
                }

                public void Lambda()
                {
                    lock (_gate)
                    {
                        Task.Run(() => Wait(5));
                    }

                    void Wait(int ms) => Thread.Sleep(ms);
                }

                public void OwnLock(int n)
                {
                    lock (_gate)
                    {
                        Nap(n);
                    }

                    void Nap(int ms)
                    {
                        Thread.Sleep(ms);
                        lock (_gate)
                        {
                        }
                    }
                }
            """));

    [Fact]
    public Task Sleep_under_lock_in_top_level_statements_is_reported()
    {
        // Top-level statements belong to a type the compiler declares: the per-type gate must not leave them.
        var test = new Verify.Test
        {
            TestCode = """
                using System.Threading;

                var gate = new object();
                lock (gate)
                {
                    Thread.{|CONC205:Sleep|}(10);
                }
                """,
        };
        test.TestState.OutputKind = Microsoft.CodeAnalysis.OutputKind.ConsoleApplication;
        return test.RunAsync();
    }

    [Fact]
    public Task Sleep_under_lock_in_a_nested_type_of_a_type_without_locks_is_reported()
        => Verify.VerifyAnalyzerAsync("""
                using System.Threading;

                class Outer
                {
                    public void Idle() => Thread.Sleep(1);

                    class Inner
                    {
                        private readonly object _gate = new object();

                        public void M()
                        {
                            lock (_gate) { Thread.{|CONC205:Sleep|}(10); }
                        }
                    }
                }

                class Plain
                {
                    public void M() => Thread.Sleep(1);
                }
                """);
}
