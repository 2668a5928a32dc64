using ConcurrencyAnalyzers.Lifetime;
using ConcurrencyAnalyzers.Tests.Verifiers;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<
    ConcurrencyAnalyzers.Lifetime.TaskCompletionSourceAnalyzer,
    ConcurrencyAnalyzers.CodeFixes.Lifetime.TaskCompletionSourceCodeFix>;

namespace ConcurrencyAnalyzers.Tests.Lifetime;

public sealed class TaskCompletionSourceTests
{
    // ---- incomplete on a path ----

    [Fact]
    public Task Catch_path_that_returns_the_task_uncompleted_is_reported_without_a_fix()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading.Tasks;

            class Loader
            {
                public Task<int> LoadAsync(Func<int> compute)
                {
                    var tcs = {|#0:new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously)|};
                    try
                    {
                        tcs.SetResult(compute());
                    }
                    catch (Exception ex)
                    {
                        Console.WriteLine(ex.Message);
                    }

                    return tcs.Task;
                }
            }
            """,
            Verify.Diagnostic(TaskCompletionSourceAnalyzer.IncompleteRule).WithLocation(0).WithArguments("tcs"));

    [Fact]
    public Task Source_in_a_lambda_written_inside_a_finally_is_analyzed_on_the_lambdas_own_graph()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading.Tasks;

            class Loader
            {
                private Task<int>? _pending;

                public void Run(Func<int> compute, int a, int b, int c)
                {
                    if (a > 0) { Console.WriteLine("a"); }
                    if (b > 0) { Console.WriteLine("b"); }
                    if (c > 0) { Console.WriteLine("c"); }
                    if (a > b) { Console.WriteLine("a > b"); }
                    if (b > c) { Console.WriteLine("b > c"); }
                    try
                    {
                        Console.WriteLine("work");
                    }
                    finally
                    {
                        Func<Task<int>> load = () =>
                        {
                            var tcs = {|#0:new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously)|};
                            try
                            {
                                tcs.SetResult(compute());
                            }
                            catch (Exception ex)
                            {
                                Console.WriteLine(ex.Message);
                            }

                            return tcs.Task;
                        };
                        _pending = load();
                    }
                }
            }
            """,
            Verify.Diagnostic(TaskCompletionSourceAnalyzer.IncompleteRule).WithLocation(0).WithArguments("tcs"));

    [Fact]
    public Task Early_return_before_the_source_is_registered_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Concurrent;
            using System.Threading.Tasks;

            class Rpc
            {
                private readonly ConcurrentDictionary<int, TaskCompletionSource<string>> _pending = new();

                public Task<string> CallAsync(int id, bool connected)
                {
                    var reply = {|CONC109:new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously)|};
                    if (!connected)
                    {
                        return reply.Task;
                    }

                    _pending[id] = reply;
                    return reply.Task;
                }
            }
            """);

    [Fact]
    public Task Read_before_the_statement_that_hands_the_source_to_a_callback_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading.Tasks;

            class Signal
            {
                public Task<bool> WaitAsync(Action<Action> subscribe, bool ready)
                {
                    var done = {|CONC109:new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously)|};
                    if (!ready)
                    {
                        return done.Task;
                    }

                    subscribe(() => done.TrySetResult(true));
                    return done.Task;
                }
            }
            """);

    [Fact]
    public Task Goto_past_the_statement_that_completes_the_source_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading.Tasks;

            class Signal
            {
                public Task<bool> WaitAsync(bool ready)
                {
                    var done = {|CONC109:new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously)|};
                    if (!ready)
                    {
                        goto end;
                    }

                    done.SetResult(true);
                    end:
                    return done.Task;
                }
            }
            """);

    [Fact]
    public Task Source_handed_to_a_callback_before_its_task_is_returned_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading.Tasks;

            class Signal
            {
                public Task<bool> WaitAsync(Action<Action> subscribe)
                {
                    var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                    subscribe(() => done.TrySetResult(true));
                    return done.Task;
                }
            }
            """);

    [Fact]
    public Task Awaiting_a_source_completed_only_on_one_branch_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading.Tasks;

            class Gate
            {
                public async Task<int> WaitAsync(bool ready)
                {
                    var done = {|CONC109:new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously)|};
                    if (ready)
                    {
                        done.TrySetResult(1);
                    }

                    return await done.Task.ConfigureAwait(false);
                }
            }
            """);

    [Fact]
    public Task Source_completed_in_finally_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading.Tasks;

            class Loader
            {
                public Task<int> LoadAsync(Func<int> compute)
                {
                    var tcs = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
                    var value = 0;
                    try
                    {
                        value = compute();
                    }
                    finally
                    {
                        tcs.TrySetResult(value);
                    }

                    return tcs.Task;
                }
            }
            """);

    [Fact]
    public Task Source_completed_on_every_path_including_the_catch_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading.Tasks;

            class Loader
            {
                public Task<int> LoadAsync(Func<int> compute, bool cancel)
                {
                    var tcs = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
                    if (cancel)
                    {
                        tcs.SetCanceled();
                        return tcs.Task;
                    }

                    try
                    {
                        tcs.SetResult(compute());
                    }
                    catch (Exception ex)
                    {
                        tcs.TrySetException(ex);
                    }

                    return tcs.Task;
                }
            }
            """);

    [Fact]
    public Task Source_handed_off_to_a_collection_or_a_method_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Generic;
            using System.Threading.Tasks;

            class Rpc
            {
                private readonly Dictionary<int, TaskCompletionSource<string>> _pending = new();

                public Task<string> CallAsync(int id, bool queue)
                {
                    var reply = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
                    if (queue)
                    {
                        Enqueue(reply);
                    }
                    else
                    {
                        lock (_pending) { _pending.Add(id, reply); }
                    }

                    return reply.Task;
                }

                private void Enqueue(TaskCompletionSource<string> reply) { }
            }
            """);

    [Fact]
    public Task Source_captured_by_a_registered_callback_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class Waiter
            {
                public event EventHandler? Signaled;

                public Task WaitAsync(CancellationToken ct)
                {
                    var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    ct.Register(() => tcs.TrySetCanceled(ct));
                    Signaled += (_, _) => tcs.TrySetResult();
                    return tcs.Task;
                }
            }
            """);

    [Fact]
    public Task Source_captured_in_a_try_whose_catch_completes_rethrows_or_returns_another_task_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            interface IClient { void Start(int id, Action<string> reply); }

            class Caller
            {
                private readonly IClient _client;
                private readonly CancellationToken _stopping;

                public Caller(IClient client, CancellationToken stopping) { _client = client; _stopping = stopping; }

                public Task<string> Completing(int id)
                {
                    var tcs = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
                    try
                    {
                        _client.Start(id, reply => tcs.TrySetResult(reply));
                    }
                    catch (Exception ex)
                    {
                        tcs.TrySetException(ex);
                    }

                    return tcs.Task;
                }

                public Task<string> Rethrowing(int id)
                {
                    var tcs = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
                    try
                    {
                        _client.Start(id, reply => tcs.TrySetResult(reply));
                    }
                    catch (Exception ex)
                    {
                        Console.WriteLine(ex.Message);
                        throw;
                    }

                    return tcs.Task;
                }

                public Task<string> Failing(int id)
                {
                    var tcs = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
                    try
                    {
                        _client.Start(id, reply => tcs.TrySetResult(reply));
                    }
                    catch (Exception ex)
                    {
                        return Task.FromException<string>(ex);
                    }

                    return tcs.Task;
                }

                public Task<string> RegisteredFirst(int id)
                {
                    var tcs = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
                    _stopping.Register(() => tcs.TrySetCanceled());
                    try
                    {
                        _client.Start(id, reply => tcs.TrySetResult(reply));
                    }
                    catch (Exception ex)
                    {
                        Console.WriteLine(ex.Message);
                    }

                    return tcs.Task;
                }

                public Task<string> ThroughLocalFunction(int id)
                {
                    var tcs = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
                    try
                    {
                        _client.Start(id, OnReply);
                    }
                    catch (Exception ex)
                    {
                        Console.WriteLine(ex.Message);
                    }

                    return tcs.Task;

                    void OnReply(string reply) => tcs.TrySetResult(reply);
                }
            }
            """);

    [Fact]
    public Task Source_captured_in_a_try_whose_catch_swallows_and_returns_the_task_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading.Tasks;

            interface IClient { void Start(int id, Action<string> reply); }

            class Caller
            {
                private readonly IClient _client;

                public Caller(IClient client) => _client = client;

                public Task<string> CallAsync(int id)
                {
                    var tcs = {|#0:new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously)|};
                    try
                    {
                        _client.Start(id, reply => tcs.TrySetResult(reply));
                    }
                    catch (Exception ex)
                    {
                        Console.WriteLine(ex.Message);
                    }

                    return tcs.Task;
                }
            }
            """,
            Verify.Diagnostic(TaskCompletionSourceAnalyzer.IncompleteRule).WithLocation(0).WithArguments("tcs"));

    [Fact]
    public Task Paths_that_never_give_out_the_task_or_only_race_it_against_a_timeout_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading.Tasks;

            class Probe
            {
                public async Task<bool> PingAsync(bool enabled)
                {
                    var tcs = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                    if (!enabled)
                    {
                        return false;
                    }

                    var winner = await Task.WhenAny(tcs.Task, Task.Delay(TimeSpan.FromSeconds(1)));
                    return winner == tcs.Task;
                }
            }
            """);

    [Fact]
    public Task Throwing_path_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading.Tasks;

            class Loader
            {
                public Task<int> LoadAsync(int id)
                {
                    var tcs = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
                    if (id < 0)
                    {
                        throw new ArgumentOutOfRangeException(nameof(id));
                    }

                    tcs.SetResult(id);
                    return tcs.Task;
                }
            }
            """);

    // ---- RunContinuationsAsynchronously ----

    [Fact]
    public Task Missing_flag_is_reported_and_fixed_keeping_comments_with_Fix_All()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Collections.Generic;
            using System.Threading.Tasks;

            class Broker
            {
                private readonly List<object> _waiters = new();

                public Task<int> NextAsync()
                {
                    // Completed by Publish.
                    var tcs = {|#0:new TaskCompletionSource<int>()|}; // one per waiter
                    _waiters.Add(tcs);
                    return tcs.Task;
                }

                public Task DrainAsync()
                {
                    var drained = {|#1:new TaskCompletionSource(/* state */ null)|};
                    _waiters.Add(drained);
                    return drained.Task;
                }
            }
            """,
            new[]
            {
                Verify.Diagnostic(TaskCompletionSourceAnalyzer.SynchronousContinuationsRule).WithLocation(0),
                Verify.Diagnostic(TaskCompletionSourceAnalyzer.SynchronousContinuationsRule).WithLocation(1),
            },
            """
            using System.Collections.Generic;
            using System.Threading.Tasks;

            class Broker
            {
                private readonly List<object> _waiters = new();

                public Task<int> NextAsync()
                {
                    // Completed by Publish.
                    var tcs = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously); // one per waiter
                    _waiters.Add(tcs);
                    return tcs.Task;
                }

                public Task DrainAsync()
                {
                    var drained = new TaskCompletionSource(/* state */ null, TaskCreationOptions.RunContinuationsAsynchronously);
                    _waiters.Add(drained);
                    return drained.Task;
                }
            }
            """);

    [Fact]
    public Task Constant_options_without_the_flag_get_it_added()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading.Tasks;

            class C
            {
                private TaskCompletionSource<bool> _a = {|CONC109:new(TaskCreationOptions.AttachedToParent)|};
                private TaskCompletionSource<bool> _b = {|CONC109:new TaskCompletionSource<bool>(TaskCreationOptions.None)|};
            }
            """,
            """
            using System.Threading.Tasks;

            class C
            {
                private TaskCompletionSource<bool> _a = new(TaskCreationOptions.AttachedToParent | TaskCreationOptions.RunContinuationsAsynchronously);
                private TaskCompletionSource<bool> _b = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            """);

    [Fact]
    public Task Fix_adds_the_using_in_a_CSharp_7_3_netstandard_library()
        => new Verify.Test
        {
            ReferenceAssemblies = TestReferences.NetStandard20,
            LanguageVersion = Microsoft.CodeAnalysis.CSharp.LanguageVersion.CSharp7_3,
            TestCode = """
                class C
                {
                    private readonly System.Threading.Tasks.TaskCompletionSource<int> _ready = {|CONC109:new System.Threading.Tasks.TaskCompletionSource<int>()|};
                }
                """,
            FixedCode = """
                using System.Threading.Tasks;

                class C
                {
                    private readonly System.Threading.Tasks.TaskCompletionSource<int> _ready = new System.Threading.Tasks.TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
                }
                """,
        }.RunAsync();

    [Fact]
    public Task Flag_present_options_from_a_variable_and_pre_completed_sources_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading.Tasks;

            class C
            {
                private readonly TaskCompletionSource<int> _a = new(TaskCreationOptions.RunContinuationsAsynchronously);
                private readonly TaskCompletionSource<int> _b = new(TaskCreationOptions.AttachedToParent | TaskCreationOptions.RunContinuationsAsynchronously);

                public TaskCompletionSource<int> Create(TaskCreationOptions options) => new TaskCompletionSource<int>(options);

                public Task<int> Completed(int value)
                {
                    var tcs = new TaskCompletionSource<int>();
                    tcs.SetResult(value);
                    return tcs.Task;
                }
            }
            """);

    [Fact]
    public Task Continuation_options_passed_as_state_are_left_to_CA2247()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading.Tasks;

            class C
            {
                private readonly TaskCompletionSource<int> _a = new(TaskContinuationOptions.RunContinuationsAsynchronously);
            }
            """);

    [Fact]
    public Task Half_typed_code_does_not_throw()
        => new Verify.Test
        {
            TestCode = """
                using System.Threading.Tasks;

                class C
                {
                    public Task<int> M(Missing m)
                    {
                        var tcs = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
                        if (m.Ok) { tcs.SetResult(m.
                        return tcs.Task;
                    }
                }
                """,
            CompilerDiagnostics = CompilerDiagnostics.None,
        }.RunAsync();

    [Fact]
    public Task Early_return_before_the_capturing_callback_is_created_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.IO;
            using System.Threading;
            using System.Threading.Tasks;

            class Reader
            {
                public static Task<string> ReadAsync(Stream stream, CancellationToken ct)
                {
                    var tcs = {|#0:new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously)|};
                    if (!stream.CanRead)
                    {
                        return tcs.Task;
                    }

                    Task.Run(() => tcs.TrySetResult(new StreamReader(stream).ReadToEnd()), ct);
                    return tcs.Task;
                }
            }
            """,
            Verify.Diagnostic(TaskCompletionSourceAnalyzer.IncompleteRule).WithLocation(0).WithArguments("tcs"));

    [Fact]
    public Task Early_return_after_the_capturing_callback_or_through_a_local_function_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.IO;
            using System.Threading;
            using System.Threading.Tasks;

            class Reader
            {
                public event EventHandler? Done;

                public Task WaitAsync(bool ready, CancellationToken ct)
                {
                    var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    Done += (_, _) => tcs.TrySetResult();
                    if (ready)
                    {
                        return tcs.Task;
                    }

                    ct.Register(() => tcs.TrySetCanceled(ct));
                    return tcs.Task;
                }

                public Task<int> ComputeAsync(bool skip)
                {
                    var tcs = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
                    if (skip)
                    {
                        return tcs.Task;
                    }

                    Complete();
                    return tcs.Task;

                    void Complete() => tcs.TrySetResult(1);
                }
            }
            """);

    [Fact]
    public Task Event_based_completion_handler_that_returns_without_completing_on_a_path_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.ComponentModel;
            using System.Threading.Tasks;

            class Downloader
            {
                public event EventHandler<AsyncCompletedEventArgs>? DownloadCompleted;
                public event AsyncCompletedEventHandler? SendCompleted;
                public void DownloadAsync(string url) { }
                public void SendAsync(string body) { }
                public int Parse(object? state) => 0;

                public Task<bool> DownloadTaskAsync(string url)
                {
                    var tcs = {|#0:new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously)|};
                    EventHandler<AsyncCompletedEventArgs>? handler = null;
                    handler = (_, e) =>
                    {
                        DownloadCompleted -= handler;
                        if (e.Error == null)
                        {
                            tcs.SetResult(true);
                        }
                    };
                    DownloadCompleted += handler;
                    DownloadAsync(url);
                    return tcs.Task;
                }

                public Task<int> SendTaskAsync(string body)
                {
                    var tcs = {|#1:new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously)|};
                    SendCompleted += (_, e) =>
                    {
                        try
                        {
                            tcs.TrySetResult(Parse(e.Cancelled));
                        }
                        catch (FormatException ex)
                        {
                            Console.WriteLine(ex.Message);
                        }
                    };
                    SendAsync(body);
                    return tcs.Task;
                }
            }
            """,
            Verify.Diagnostic(TaskCompletionSourceAnalyzer.IncompleteHandlerRule).WithLocation(0).WithArguments("tcs"),
            Verify.Diagnostic(TaskCompletionSourceAnalyzer.IncompleteHandlerRule).WithLocation(1).WithArguments("tcs"));

    [Fact]
    public Task Completion_handlers_that_complete_on_every_path_filter_by_user_state_or_sender_or_are_not_event_based_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.ComponentModel;
            using System.Threading.Tasks;

            class ProgressArgs : EventArgs
            {
                public bool Done { get; set; }
            }

            class Downloader
            {
                public event EventHandler<AsyncCompletedEventArgs>? DownloadCompleted;
                public event EventHandler<ProgressArgs>? Progress;
                public void DownloadAsync(string url, object? state) { }
                static void Complete(TaskCompletionSource<bool> tcs, AsyncCompletedEventArgs e) => tcs.TrySetResult(e.Error == null);

                public Task<bool> EveryPathAsync(string url)
                {
                    var tcs = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                    EventHandler<AsyncCompletedEventArgs>? handler = null;
                    handler = (_, e) =>
                    {
                        DownloadCompleted -= handler;
                        if (e.Error != null)
                        {
                            tcs.TrySetException(e.Error);
                            return;
                        }

                        if (e.Cancelled)
                        {
                            tcs.TrySetCanceled();
                            return;
                        }

                        tcs.TrySetResult(true);
                    };
                    DownloadCompleted += handler;
                    DownloadAsync(url, null);
                    return tcs.Task;
                }

                public Task<bool> FilteredAsync(string url)
                {
                    var tcs = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                    DownloadCompleted += (_, e) =>
                    {
                        if (e.UserState != tcs)
                        {
                            return;
                        }

                        tcs.TrySetResult(e.Error == null);
                    };
                    DownloadAsync(url, tcs);
                    return tcs.Task;
                }

                public Task<bool> FilteredBySenderAsync(Downloader other, string url)
                {
                    var tcs = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                    DownloadCompleted += (sender, e) =>
                    {
                        if (sender != other)
                        {
                            return;
                        }

                        tcs.TrySetResult(e.Error == null);
                    };
                    other.DownloadAsync(url, null);
                    return tcs.Task;
                }

                public Task<bool> AlreadySettledAsync(string url)
                {
                    var tcs = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                    DownloadCompleted += (_, e) =>
                    {
                        if (tcs.Task.IsCompleted)
                        {
                            return;
                        }

                        tcs.TrySetResult(e.Error == null);
                    };
                    DownloadAsync(url, null);
                    return tcs.Task;
                }

                public Task<bool> HelperAsync(string url)
                {
                    var tcs = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                    DownloadCompleted += (_, e) => Complete(tcs, e);
                    DownloadAsync(url, null);
                    return tcs.Task;
                }

                public Task<bool> ThrowsAsync(string url)
                {
                    var tcs = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                    DownloadCompleted += (_, e) =>
                    {
                        if (e.Error == null)
                        {
                            tcs.TrySetResult(true);
                            return;
                        }

                        throw new InvalidOperationException("unexpected", e.Error);
                    };
                    DownloadAsync(url, null);
                    return tcs.Task;
                }

                public Task WhenDoneAsync()
                {
                    var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    Progress += (_, e) =>
                    {
                        if (e.Done)
                        {
                            tcs.TrySetResult();
                        }
                    };
                    return tcs.Task;
                }
            }
            """);
}
