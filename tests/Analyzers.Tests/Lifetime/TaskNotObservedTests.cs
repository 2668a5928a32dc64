using ConcurrencyAnalyzers.Lifetime;
using ConcurrencyAnalyzers.Tests.Verifiers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<
    ConcurrencyAnalyzers.Lifetime.TaskNotObservedAnalyzer,
    ConcurrencyAnalyzers.CodeFixes.Lifetime.TaskNotObservedCodeFix>;

namespace ConcurrencyAnalyzers.Tests.Lifetime;

public sealed class TaskNotObservedTests
{
    [Fact]
    public Task Dropped_task_in_a_sync_method_is_reported_and_discarded_explicitly()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading.Tasks;

            class Orders
            {
                public void OnOrderPlaced(int id)
                {
                    // Tell the customer.
                    {|#0:SendConfirmationAsync(id)|}; // best effort
                }

                Task SendConfirmationAsync(int id) => Task.Delay(id);
            }
            """,
            new[] { Verify.Diagnostic(TaskNotObservedAnalyzer.DroppedRule).WithLocation(0).WithArguments("SendConfirmationAsync") },
            """
            using System.Threading.Tasks;

            class Orders
            {
                public void OnOrderPlaced(int id)
                {
                    // Tell the customer.
                    _ = SendConfirmationAsync(id); // best effort
                }

                Task SendConfirmationAsync(int id) => Task.Delay(id);
            }
            """);

    [Fact]
    public Task Task_Run_ValueTask_and_constructor_drops_are_all_fixed()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading.Tasks;

            class Pump
            {
                public Pump()
                {
                    {|CONC102:Task.Run(() => Work())|};
                    {|CONC102:FlushAsync()|};
                }

                void Work() { }
                ValueTask FlushAsync() => default;
            }
            """,
            """
            using System.Threading.Tasks;

            class Pump
            {
                public Pump()
                {
                    _ = Task.Run(() => Work());
                    _ = FlushAsync();
                }

                void Work() { }
                ValueTask FlushAsync() => default;
            }
            """);

    [Fact]
    public Task Dropped_task_in_a_void_lambda_is_reported()
        => Verify.VerifyCodeFixAsync(
            """
            using System;
            using System.Threading.Tasks;

            class C
            {
                void Subscribe(Action<int> onItem) { }

                void M() => Subscribe(x => {|CONC102:SaveAsync(x)|});

                Task SaveAsync(int x) => Task.CompletedTask;
            }
            """,
            """
            using System;
            using System.Threading.Tasks;

            class C
            {
                void Subscribe(Action<int> onItem) { }

                void M() => Subscribe(x => _ = SaveAsync(x));

                Task SaveAsync(int x) => Task.CompletedTask;
            }
            """);

    [Fact]
    public Task A_delayed_callback_that_catches_everything_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class Expiry
            {
                void Schedule(TimeSpan after)
                {
                    var cts = new CancellationTokenSource();
                    var timeout = Task.Delay(after, cts.Token);
                    timeout.ContinueWith((_, state) =>
                    {
                        try { ((Expiry)state!).Sweep(); } catch { }
                    }, this);
                    Task.Delay(after).ContinueWith(_ =>
                    {
                        try { Sweep(); }
                        catch (Exception e) { Console.WriteLine(e); }
                    });
                }

                void Sweep() { }
            }
            """);

    [Fact]
    public Task A_delayed_callback_that_can_fault_or_a_catch_all_after_real_work_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading.Tasks;

            class Expiry
            {
                void Schedule(TimeSpan after, Task work)
                {
                    {|CONC102:Task.Delay(after).ContinueWith(_ => Sweep())|};
                    {|CONC102:Task.Delay(after).ContinueWith(_ =>
                    {
                        try { Sweep(); } catch (InvalidOperationException) { }
                    })|};
                    {|CONC102:work.ContinueWith(_ =>
                    {
                        try { Sweep(); } catch { }
                    })|};
                    {|CONC102:Task.Delay(after).ContinueWith(_ =>
                    {
                        try { Sweep(); } catch (Exception e) { Console.WriteLine(e); throw; }
                    })|};
                    {|CONC102:Task.Delay(after).ContinueWith(_ =>
                    {
                        try { Sweep(); } catch { } finally { Sweep(); }
                    })|};
                }

                void Sweep() { }
            }
            """);

    [Fact]
    public Task A_spawned_delegate_that_is_async_or_void_and_catches_everything_cannot_fault_and_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Channels;
            using System.Threading.Tasks;

            class Joiner
            {
                public ChannelReader<int> Start(ChannelReader<int> source)
                {
                    var buffer = Channel.CreateBounded<int>(1);
                    var writer = buffer.Writer;
                    Task.Run(JoinCore);
                    Task.Run(async () =>
                    {
                        try { await Copy(source, writer); writer.Complete(); }
                        catch (Exception e) { writer.Complete(e); }
                    });
                    Task.Run(() => { try { Work(); } catch { } });
                    Task.Factory.StartNew(LoopAsync, CancellationToken.None, TaskCreationOptions.None, TaskScheduler.Default).Unwrap();
                    return buffer.Reader;

                    async ValueTask JoinCore()
                    {
                        try
                        {
                            await Copy(source, writer);
                            writer.Complete();
                        }
                        catch (Exception ex)
                        {
                            writer.Complete(ex);
                        }
                    }
                }

                private async Task LoopAsync()
                {
                    try { await Task.Delay(10); }
                    catch (Exception e) { Console.WriteLine(e); }
                }

                static async Task Copy(ChannelReader<int> from, ChannelWriter<int> to)
                {
                    await foreach (var item in from.ReadAllAsync()) await to.WriteAsync(item);
                }

                static void Work() { }
            }
            """);

    [Fact]
    public Task A_lambda_that_only_forwards_plain_values_to_a_method_that_catches_everything_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading.Tasks;

            sealed class KillSwitch
            {
                private readonly Func<Task> _restart;
                private string _name = "endpoint";

                public KillSwitch(Func<Task> restart) => _restart = restart;

                public void Restart(int attempt)
                {
                    Task.Run(() => RestartEndpoint());
                    Task.Run(() => Notify(attempt, _name, this, 3));
                    {|CONC102:Task.Run(() => Notify(attempt + 1, _name, this, 3))|};
                    {|CONC102:Task.Run(() => Unguarded())|};
                    {|CONC102:Task.Run(() => _restart())|};
                }

                private async Task RestartEndpoint()
                {
                    try
                    {
                        await _restart().ConfigureAwait(false);
                    }
                    catch (Exception exception)
                    {
                        Console.WriteLine(exception);
                    }
                }

                private async Task Notify(int attempt, string name, KillSwitch owner, int limit)
                {
                    try
                    {
                        await Task.Delay(attempt * limit).ConfigureAwait(false);
                        Console.WriteLine(name + owner);
                    }
                    catch
                    {
                    }
                }

                private async Task Unguarded()
                {
                    await _restart().ConfigureAwait(false);
                }
            }
            """);

    [Fact]
    public Task A_continuation_that_only_try_completes_a_source_with_plain_values_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading.Tasks;

            sealed class Harness
            {
                private readonly Task _testCancelled;
                private readonly int _fallback = 1;

                public Harness(Task testCancelled) => _testCancelled = testCancelled;

                public TaskCompletionSource<int> GetTask(IDisposable handler, int value)
                {
                    var source = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
                    _testCancelled.ContinueWith(x => source.TrySetCanceled(), TaskContinuationOptions.OnlyOnCanceled);
                    _testCancelled.ContinueWith(_ => source.TrySetResult(value));
                    _testCancelled.ContinueWith(_ => source.TrySetResult(_fallback));
                    {|CONC102:_testCancelled.ContinueWith(_ => source.TrySetResult(Compute()))|};
                    {|CONC102:_testCancelled.ContinueWith(_ => source.SetCanceled())|};
                    {|CONC102:_testCancelled.ContinueWith(_ =>
                    {
                        handler.Dispose();
                        source.TrySetCanceled();
                    }, TaskContinuationOptions.OnlyOnCanceled)|};
                    return source;
                }

                private static int Compute() => 2;
            }
            """);

    [Fact]
    public Task A_call_dropped_where_CS4014_is_switched_off_is_meant_and_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            static class Timers
            {
                public static IDisposable Start(Func<Task> callback, TimeSpan period)
                {
                    var timer = new PeriodicTimer(period);
            #pragma warning disable CS4014 // fire and forget: the loop logs its own errors
                    RunAsync(timer, callback);
            #pragma warning restore CS4014
                    {|CONC102:RunAsync(timer, callback)|};
            #pragma warning disable 4014
                    RunAsync(timer, callback);
            #pragma warning restore 4014
            #pragma warning disable CS0618
                    {|CONC102:RunAsync(timer, callback)|};
            #pragma warning restore CS0618
                    return timer;
                }

                private static async Task RunAsync(PeriodicTimer timer, Func<Task> callback)
                {
                    while (await timer.WaitForNextTickAsync())
                    {
                        try { await callback(); }
                        catch (Exception e) { Console.WriteLine(e); }
                    }
                }
            }
            """);

    [Fact]
    public Task A_spawned_delegate_that_can_fault_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class Worker
            {
                public void Start()
                {
                    {|CONC102:Task.Run(async () => { try { await WorkAsync(); } catch (InvalidOperationException) { } })|};
                    {|CONC102:Task.Run(Filtered)|};
                    {|CONC102:Task.Run(NotAsync)|};
                    {|CONC102:Task.Run(Rethrows)|};
                    {|CONC102:Task.Factory.StartNew(Cleanup, CancellationToken.None, TaskCreationOptions.None, TaskScheduler.Default).Unwrap()|};
                    {|CONC102:Task.Run(async () => { await Task.Yield(); try { await WorkAsync(); } catch { } })|};
                }

                async Task Filtered()
                {
                    try { await WorkAsync(); }
                    catch (Exception e) when (e is TimeoutException) { }
                }

                Task NotAsync()
                {
                    try { return WorkAsync(); }
                    catch { return Task.CompletedTask; }
                }

                async Task Rethrows()
                {
                    try { await WorkAsync(); }
                    catch (Exception e) { Console.WriteLine(e); throw; }
                }

                async Task Cleanup()
                {
                    try { await WorkAsync(); }
                    catch (Exception e) { Console.WriteLine(e); }
                    finally { await WorkAsync(); }
                }

                static Task WorkAsync() => Task.CompletedTask;
            }
            """);

    [Fact]
    public Task A_completion_source_completed_on_the_thread_pool_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading.Tasks;

            class Poller
            {
                public void OnResult(object state, int value, Exception error)
                {
                    if (error is not null)
                    {
                        Task.Run(() => ((TaskCompletionSource<int>)state).TrySetException(new InvalidOperationException("failed", error)));
                        return;
                    }

                    Task.Run(() => ((TaskCompletionSource<int>)state).TrySetResult(value));
                    Task.Run(() => { ((TaskCompletionSource)state).TrySetCanceled(); });
                    {|CONC102:Task.Run(() => ((TaskCompletionSource<int>)state).SetResult(value))|};
                    {|CONC102:Task.Run(() => { ((TaskCompletionSource<int>)state).TrySetResult(value); Console.WriteLine(value); })|};
                    {|CONC102:Task.Run(() => Console.WriteLine(value))|};
                }
            }
            """);

    [Fact]
    public Task A_continuation_handed_in_and_posted_to_a_scheduler_is_not_reported_other_work_started_there_is()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class ContinuationSource
            {
                private readonly Action<object> _work = s => Console.WriteLine(s);

                public void OnCompleted(Action<object> continuation, object state, object schedulingContext)
                {
                    switch (schedulingContext)
                    {
                        case SynchronizationContext context:
                            context.Post(new SendOrPostCallback(continuation), state);
                            break;
                        case TaskScheduler scheduler:
                            Task.Factory.StartNew(continuation, state, CancellationToken.None, TaskCreationOptions.DenyChildAttach, scheduler);
                            {|CONC102:Task.Factory.StartNew(s => Console.WriteLine(s), state, CancellationToken.None, TaskCreationOptions.DenyChildAttach, scheduler)|};
                            {|CONC102:Task.Factory.StartNew(continuation, state)|};
                            {|CONC102:Task.Factory.StartNew(() => continuation(state), CancellationToken.None, TaskCreationOptions.DenyChildAttach, scheduler)|};
                            break;
                    }
                }
            }
            """);

    [Fact]
    public Task Dropped_ContinueWith_that_is_not_a_fault_observer_is_reported()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading.Tasks;

            class C
            {
                void M(Task work)
                {
                    {|CONC102:work.ContinueWith(t => Next())|};
                }

                void Next() { }
            }
            """,
            """
            using System.Threading.Tasks;

            class C
            {
                void M(Task work)
                {
                    _ = work.ContinueWith(t => Next());
                }

                void Next() { }
            }
            """);

    [Fact]
    public Task Task_returned_from_a_using_scope_is_reported_without_a_fix()
        => VerifyNoFixAsync(
            """
            using System.IO;
            using System.Threading.Tasks;

            class C
            {
                Task CopyAsync(string path, Stream target)
                {
                    using var source = File.OpenRead(path);
                    return {|#0:source.CopyToAsync(target)|};
                }
            }
            """,
            new[] { Verify.Diagnostic(TaskNotObservedAnalyzer.OutlivesUsingRule).WithLocation(0).WithArguments("CopyToAsync", "source") },
            """
            using System.IO;
            using System.Threading.Tasks;

            class C
            {
                Task CopyAsync(string path, Stream target)
                {
                    using var source = File.OpenRead(path);
                    return {|#0:source.CopyToAsync(target)|};
                }
            }
            """);

    [Fact]
    public Task Dropped_task_inside_an_async_method_is_left_to_CS4014()
    {
        const string source = """
            using System.Threading.Tasks;

            class C
            {
                async Task M()
                {
                    {|CS4014:SaveAsync()|};
                    {|CS4014:Task.Run(() => { })|};
                    await Task.Yield();
                }

                Task SaveAsync() => Task.CompletedTask;
            }
            """;
        return new Verify.Test { TestCode = source, FixedCode = source, CompilerDiagnostics = CompilerDiagnostics.Warnings }.RunAsync();
    }

    [Fact]
    public Task Dropped_conditional_access_call_is_reported_also_in_async_methods_where_CS4014_is_silent()
    {
        const string source = """
            #nullable enable
            using System.Threading.Tasks;

            interface IClient
            {
                Task SendAsync(string message);
                ValueTask FlushAsync();
                IClient? Next { get; }
            }

            class Notifier
            {
                private readonly IClient? _client;

                public Notifier(IClient? client) => _client = client;

                public void Notify(string message) => _client?{|CONC102:.SendAsync(message)|};

                public async Task CloseAsync()
                {
                    // flush what is buffered
                    _client?{|CONC102:.FlushAsync()|}; // best effort
                    _client?.Next?{|CONC102:.SendAsync("bye")|};
                    await Task.Yield();
                }
            }
            """;
        const string fixedSource = """
            #nullable enable
            using System.Threading.Tasks;

            interface IClient
            {
                Task SendAsync(string message);
                ValueTask FlushAsync();
                IClient? Next { get; }
            }

            class Notifier
            {
                private readonly IClient? _client;

                public Notifier(IClient? client) => _client = client;

                public void Notify(string message) => _ = _client?.SendAsync(message);

                public async Task CloseAsync()
                {
                    // flush what is buffered
                    _ = _client?.FlushAsync(); // best effort
                    _ = _client?.Next?.SendAsync("bye");
                    await Task.Yield();
                }
            }
            """;
        return new Verify.Test { TestCode = source, FixedCode = fixedSource, CompilerDiagnostics = CompilerDiagnostics.Warnings }.RunAsync();
    }

    [Fact]
    public Task Observed_conditional_access_calls_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading.Tasks;

            interface IClient { Task SendAsync(string message); }

            class Notifier
            {
                private IClient? _client;
                private Task? _pending;

                public Task NotifyAsync(string message) => _client?.SendAsync(message) ?? Task.CompletedTask;

                public void Remember(string message) => _pending = _client?.SendAsync(message);

                public void Discard(string message) => _ = _client?.SendAsync(message);

                public async Task AwaitAsync(string message) => await (_client?.SendAsync(message) ?? Task.CompletedTask);

                public void Log(Func<Task>? pending) => pending?.Invoke().ContinueWith(t => Console.WriteLine(t.Exception));

                public void Forward(IClient? client) => client?.SendAsync("x").Forget();
            }

            static class TaskExtensions
            {
                public static void Forget(this Task task) { }
            }
            """);

    [Fact]
    public Task Observed_tasks_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Generic;
            using System.Threading.Tasks;

            class C
            {
                private Task _loop;
                private readonly List<Task> _pending = new();

                Task M()
                {
                    _ = SaveAsync();
                    _loop = SaveAsync();
                    _pending.Add(SaveAsync());
                    var later = SaveAsync();
                    Task.Delay(10).Wait();
                    SaveAsync().GetAwaiter().GetResult();
                    return Task.WhenAll(later, SaveAsync());
                }

                Task SaveAsync() => Task.CompletedTask;
            }
            """);

    [Fact]
    public Task ContinueWith_fault_observers_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading.Tasks;

            class C
            {
                void M(Task work)
                {
                    work.ContinueWith(t => Console.WriteLine(t.Exception), TaskContinuationOptions.OnlyOnFaulted);
                    work.ContinueWith(t => { if (t.IsFaulted) Console.WriteLine("failed"); });
                }
            }
            """);

    [Fact]
    public Task Completed_tasks_and_void_calls_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                void M(Timer timer)
                {
                    Task.FromResult(1);
                    timer.Change(1000, Timeout.Infinite);
                    Run();
                }

                void Run() { }
            }
            """);

    [Fact]
    public Task Swapping_a_task_field_with_Interlocked_is_not_dropping_a_task_starting_one_is()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class Reader
            {
                private Task? _finishRead;

                // Lazy unset: clears the field only if it still holds the task seen; the replaced value is not work.
                void Finish(Task seen)
                {
                    Interlocked.CompareExchange(ref _finishRead, null, seen);
                    Interlocked.Exchange(ref _finishRead, null);
                    {|CONC102:ReadAsync()|};
                }

                Task ReadAsync() => Task.Delay(1);
            }
            """);

    [Fact]
    public Task A_task_piped_to_an_actor_is_observed_by_the_recipient_other_PipeTo_calls_are_not()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading.Tasks;

            interface ICanTell { void Tell(object message, object? sender); }

            static class PipeToSupport
            {
                public static async Task PipeTo<T>(this Task<T> task, ICanTell recipient, object? sender = null, Func<Exception, object>? failure = null)
                {
                    try { recipient.Tell(await task, sender); }
                    catch (Exception ex) { recipient.Tell(failure is null ? ex : failure(ex), sender); }
                }

                public static Task PipeTo(this ValueTask task, ICanTell recipient) => task.AsTask();
            }

            class Pipe
            {
                public Task PipeTo(ICanTell recipient) => Task.CompletedTask;
            }

            class Listener
            {
                private readonly ICanTell _self;
                private readonly Pipe _pipe = new Pipe();

                public Listener(ICanTell self) { _self = self; }

                bool Receive(object message)
                {
                    BindAsync().PipeTo(_self, failure: ex => ex.Message);
                    LoadAsync().PipeTo(_self);
                    PipeToSupport.PipeTo(BindAsync(), _self);
                    {|CONC102:_pipe.PipeTo(_self)|};
                    {|CONC102:SendAsync(_self)|};
                    return true;
                }

                Task<int> BindAsync() => Task.FromResult(1);
                ValueTask LoadAsync() => default;
                Task SendAsync(ICanTell to) => Task.Delay(1);
            }
            """);

    [Fact]
    public Task Fire_and_forget_helpers_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading.Tasks;

            static class TaskExtensions
            {
                public static Task FireAndForget(this Task task) => task;
            }

            class C
            {
                void M() => SaveAsync().FireAndForget();

                Task SaveAsync() => Task.CompletedTask;
            }
            """);

    [Fact]
    public Task Option_fire_and_forget_methods_adds_names()
    {
        var test = new Verify.Test
        {
            TestCode = """
                using System.Threading.Tasks;

                class Background
                {
                    public static Task Enqueue(Task work) => work;
                }

                class C
                {
                    void M()
                    {
                        Background.Enqueue(SaveAsync());
                        {|CONC102:SaveAsync()|};
                    }

                    Task SaveAsync() => Task.CompletedTask;
                }
                """,
            FixedCode = """
                using System.Threading.Tasks;

                class Background
                {
                    public static Task Enqueue(Task work) => work;
                }

                class C
                {
                    void M()
                    {
                        Background.Enqueue(SaveAsync());
                        _ = SaveAsync();
                    }

                    Task SaveAsync() => Task.CompletedTask;
                }
                """,
        };
        test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n[*.cs]\nCONC102.fire_and_forget_methods = Enqueue\n"));
        return test.RunAsync();
    }

    [Fact]
    public Task Returned_task_that_does_not_use_the_resource_and_awaited_using_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.IO;
            using System.Threading.Tasks;

            class C
            {
                Task M(string path)
                {
                    using var log = File.OpenRead(path);
                    return Task.Delay(10);
                }

                async Task N(string path, Stream target)
                {
                    using var source = File.OpenRead(path);
                    await source.CopyToAsync(target);
                }
            }
            """);

    [Fact]
    public Task Pass_through_observer_helpers_fire_and_forget_flags_and_forwarding_continuations_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading.Tasks;

            enum CommandFlags { None, FireAndForget }

            static class TaskHelpers
            {
                public static Task ObserveErrors(this Task task) => task;
            }

            class C
            {
                void M(Task work)
                {
                    work.ObserveErrors();
                    SetAsync("key", CommandFlags.FireAndForget);
                    work.ContinueWith(static (done, state) => Forward(done), null);
                }

                Task SetAsync(string key, CommandFlags flags) => Task.CompletedTask;
                static void Forward(Task done) { }
            }
            """);

    [Fact]
    public async Task A_referenced_libraries_helper_named_for_logging_faults_observes_the_task_other_helpers_do_not()
    {
        // Sonarr: NzbDrone.Common's `public static Task LogExceptions(this Task task)` attaches an OnlyOnFaulted
        // continuation and returns the task; NzbDrone.Core, built against the DLL, drops the result.
        var references = await TestReferences.Net80.ResolveAsync(LanguageNames.CSharp, System.Threading.CancellationToken.None);
        var library = CSharpCompilation.Create(
            "CommonLib",
            new[]
            {
                CSharpSyntaxTree.ParseText(
                    """
                    using System;
                    using System.Threading.Tasks;

                    namespace CommonLib
                    {
                        public static class TaskExtensions
                        {
                            public static Task LogExceptions(this Task task) => task;
                            public static Task WithTimeout(this Task task, TimeSpan timeout) => Task.WhenAny(task, Task.Delay(timeout));
                        }
                    }
                    """),
            },
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        using var image = new System.IO.MemoryStream();
        Assert.True(library.Emit(image).Success);

        const string source = """
            using System;
            using System.Threading.Tasks;
            using CommonLib;

            class Scheduler
            {
                readonly System.Timers.Timer _timer = new System.Timers.Timer(30000);

                void Start()
                {
                    _timer.Elapsed += (o, args) => Task.Factory.StartNew(ExecuteCommands).LogExceptions();
                }

                void Publish(Action handler)
                {
                    Task.Factory.StartNew(handler, TaskCreationOptions.PreferFairness).LogExceptions();
                    {|CONC102:Task.Run(handler).WithTimeout(TimeSpan.FromSeconds(5))|};
                }

                void ExecuteCommands() { }
            }
            """;
        var test = new Verify.Test { TestCode = source, FixedCode = source.Replace("{|CONC102:Task.Run(handler).WithTimeout(TimeSpan.FromSeconds(5))|}", "_ = Task.Run(handler).WithTimeout(TimeSpan.FromSeconds(5))") };
        test.TestState.AdditionalReferences.Add(MetadataReference.CreateFromImage(image.ToArray()));
        test.FixedState.AdditionalReferences.Add(MetadataReference.CreateFromImage(image.ToArray()));
        await test.RunAsync();
    }

    [Fact]
    public Task Mock_verification_calls_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading.Tasks;

            interface ISender { Task SendAsync(string message); }

            static class Substitute
            {
                public static T Received<T>(this T substitute) => substitute;
            }

            class Test
            {
                void Verifies(ISender sender) => sender.Received().SendAsync("hello");
            }
            """);

    [Fact]
    public Task Netstandard_library_in_CSharp_7_3_gets_a_discard()
        => new Verify.Test
        {
            ReferenceAssemblies = TestReferences.NetStandard20,
            LanguageVersion = Microsoft.CodeAnalysis.CSharp.LanguageVersion.CSharp7_3,
            TestCode = """
                using System.Threading.Tasks;

                class C
                {
                    void M() { {|CONC102:Task.Delay(1)|}; }
                }
                """,
            FixedCode = """
                using System.Threading.Tasks;

                class C
                {
                    void M() { _ = Task.Delay(1); }
                }
                """,
        }.RunAsync();

    [Fact]
    public Task A_synchronous_method_that_only_returns_completed_tasks_is_not_reported_other_callees_are()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading.Tasks;

            class User { public string? Password; }

            interface IPasswords
            {
                Task ChangePassword(User user, string password);
                Task Rehash(User user);
                ValueTask<int> Count(User user);
                Task Overridable(User user);
                Task Faulted(User user);
                Task Delayed(User user);
                Task<int> Mixed(User user);
                Task SaveAsync(User user);
            }

            class Passwords : IPasswords
            {
                public void Authenticate(User user, string password, IPasswords other)
                {
                    ChangePassword(user, password);
                    Rehash(user);
                    Count(user);
                    {|CONC102:other.ChangePassword(user, password)|};
                    {|CONC102:SaveAsync(user)|};
                    {|CONC102:Unshared(user)|};
                    {|CONC102:Overridable(user)|};
                    {|CONC102:Faulted(user)|};
                    {|CONC102:Delayed(user)|};
                    {|CONC102:Mixed(user)|};
                }

                public Task ChangePassword(User user, string password)
                {
                    if (string.IsNullOrEmpty(password))
                    {
                        user.Password = null;
                        return Task.CompletedTask;
                    }

                    user.Password = Hash(password);
                    return Task.CompletedTask;
                }

                public Task Rehash(User user) => Task.CompletedTask;

                public ValueTask<int> Count(User user) => ValueTask.FromResult(user.Password?.Length ?? 0);

                public virtual Task Overridable(User user) => Task.CompletedTask;

                public Task Faulted(User user) => Task.FromException(new InvalidOperationException());

                public Task Delayed(User user) => Task.Delay(10);

                public Task SaveAsync(User user) => Task.CompletedTask;

                private Task Unshared(User user) => Task.CompletedTask;

                public Task<int> Mixed(User user)
                {
                    if (user.Password is null)
                    {
                        return Task.FromResult(0);
                    }

                    return Task.Run(() => user.Password.Length);
                }

                private static string Hash(string password) => password;
            }

            class RefreshService
            {
                protected virtual Task AfterRefresh(User user)
                {
                    user.Password ??= string.Empty;
                    return Task.CompletedTask;
                }

                protected virtual Task BeforeSave(User user) => Task.Delay(1);
            }

            class AlbumRefreshService : RefreshService
            {
                protected override Task AfterRefresh(User user)
                {
                    base.AfterRefresh(user);
                    return Task.CompletedTask;
                }

                public void Touch(User user) => {|CONC102:AfterRefresh(user)|};

                protected override Task BeforeSave(User user)
                {
                    {|CONC102:base.BeforeSave(user)|};
                    return Task.CompletedTask;
                }
            }
            """);

    [Fact]
    public Task Winner_of_a_blocking_wait_on_WhenAny_is_not_reported_an_unwrapped_inner_task_is()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading.Tasks;

            static class TaskExtensions
            {
                public static void Await(this Task task) => task.GetAwaiter().GetResult();
                public static T Await<T>(this Task<T> task) => task.GetAwaiter().GetResult();
            }

            class QueueOwner : IDisposable
            {
                private readonly Task _runner = Task.Run(() => { });

                public void Dispose()
                {
                    if (!_runner.IsCompleted)
                    {
                        Task.WhenAny(_runner, Task.Delay(1000)).Await();
                        Task.WhenAny(_runner, Task.Delay(1000)).GetAwaiter().GetResult();
                        Task.WhenAny(_runner, Task.Delay(1000)).ConfigureAwait(false).GetAwaiter().GetResult();
                        if (!_runner.IsCompleted)
                            Console.WriteLine("runner did not stop");
                    }
                }

                public void Restart()
                {
                    {|CONC102:Task.Factory.StartNew(() => Task.Delay(10)).Await()|};
                    {|CONC102:Task.Run(() => Task.FromResult(Task.Delay(10))).GetAwaiter().GetResult()|};
                }
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
                    void M()
                    {
                        Missing().Foo(;
                        Task.Run(
                    }
                }
                """,
            FixedCode = """
                using System.Threading.Tasks;

                class C
                {
                    void M()
                    {
                        Missing().Foo(;
                        Task.Run(
                    }
                }
                """,
            CompilerDiagnostics = CompilerDiagnostics.None,
        }.RunAsync();

    private static Task VerifyNoFixAsync(string source, DiagnosticResult[] expected, string fixedSource)
    {
        var test = new Verify.Test { TestCode = source, FixedCode = fixedSource };
        test.ExpectedDiagnostics.AddRange(expected);
        test.FixedState.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }
}
