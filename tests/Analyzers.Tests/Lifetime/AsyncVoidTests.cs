using ConcurrencyAnalyzers.CodeFixes.Lifetime;
using ConcurrencyAnalyzers.Lifetime;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<
    ConcurrencyAnalyzers.Lifetime.AsyncVoidAnalyzer,
    ConcurrencyAnalyzers.CodeFixes.Lifetime.AsyncVoidCodeFix>;

namespace ConcurrencyAnalyzers.Tests.Lifetime;

public sealed class AsyncVoidTests
{
    // ---- async void methods ----

    [Fact]
    public Task Async_void_method_is_reported_and_fixed_to_return_Task()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading.Tasks;

            class C
            {
                // Saves the order.
                public async void {|#0:SaveAsync|}(int id)
                {
                    await Task.Delay(id);
                }
            }
            """,
            new[] { Verify.Diagnostic(AsyncVoidAnalyzer.MethodRule).WithLocation(0).WithArguments("SaveAsync") },
            """
            using System.Threading.Tasks;

            class C
            {
                // Saves the order.
                public async Task SaveAsync(int id)
                {
                    await Task.Delay(id);
                }
            }
            """);

    [Fact]
    public Task Fix_adds_the_using_directive_once_when_Task_is_not_imported()
        => Verify.VerifyCodeFixAsync(
            """
            // Copyright header stays first.
            using System;

            class C
            {
                async void {|CONC103:Run|}()
                {
                    await System.Threading.Tasks.Task.Yield();
                }

                async void {|CONC103:Stop|}() => await System.Threading.Tasks.Task.Yield();
            }
            """,
            """
            // Copyright header stays first.
            using System;
            using System.Threading.Tasks;

            class C
            {
                async Task Run()
                {
                    await System.Threading.Tasks.Task.Yield();
                }

                async Task Stop() => await System.Threading.Tasks.Task.Yield();
            }
            """);

    [Fact]
    public Task Fix_adds_the_first_using_directive_below_the_file_header()
        => Verify.VerifyCodeFixAsync(
            """
            // Licensed under the MIT license.

            class C
            {
                async void {|CONC103:Run|}() => await System.Threading.Tasks.Task.Yield();
            }
            """,
            """
            // Licensed under the MIT license.

            using System.Threading.Tasks;

            class C
            {
                async Task Run() => await System.Threading.Tasks.Task.Yield();
            }
            """);

    [Fact]
    public Task Fix_writes_the_full_name_when_Task_means_another_type()
        => Verify.VerifyCodeFixAsync(
            """
            class Task { }

            class C
            {
                async void {|CONC103:Run|}() => await System.Threading.Tasks.Task.Yield();
            }
            """,
            """
            class Task { }

            class C
            {
                async System.Threading.Tasks.Task Run() => await System.Threading.Tasks.Task.Yield();
            }
            """);

    [Fact]
    public Task Fix_awaits_statement_calls_in_async_code_and_leaves_other_callers()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading.Tasks;

            class C
            {
                private async void {|CONC103:RefreshAsync|}() => await Task.Yield();

                public async Task LoadAsync()
                {
                    RefreshAsync(); // refresh first
                    await Task.Yield();
                }

                public void Load()
                {
                    RefreshAsync();
                }
            }
            """,
            """
            using System.Threading.Tasks;

            class C
            {
                private async Task RefreshAsync() => await Task.Yield();

                public async Task LoadAsync()
                {
                    await RefreshAsync(); // refresh first
                    await Task.Yield();
                }

                public void Load()
                {
                    RefreshAsync();
                }
            }
            """);

    [Fact]
    public Task Async_void_local_function_is_reported_and_fixed()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading.Tasks;

            class C
            {
                async Task M()
                {
                    Work();
                    await Task.Yield();

                    async void {|CONC103:Work|}() => await Task.Delay(1);
                }
            }
            """,
            """
            using System.Threading.Tasks;

            class C
            {
                async Task M()
                {
                    await Work();
                    await Task.Yield();

                    async Task Work() => await Task.Delay(1);
                }
            }
            """);

    [Fact]
    public Task Fix_All_fixes_every_method_in_the_document()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading.Tasks;

            class C
            {
                async void {|CONC103:A|}() => await Task.Yield();
                async void {|CONC103:B|}() => await Task.Yield();

                async Task Both()
                {
                    A();
                    B();
                }
            }
            """,
            """
            using System.Threading.Tasks;

            class C
            {
                async Task A() => await Task.Yield();
                async Task B() => await Task.Yield();

                async Task Both()
                {
                    await A();
                    await B();
                }
            }
            """);

    [Fact]
    public Task Method_used_as_a_method_group_is_reported_without_a_fix()
    {
        const string source = """
            using System;
            using System.Threading.Tasks;

            class C
            {
                async void {|CONC103:Tick|}() => await Task.Yield();

                void Start()
                {
                    Action a = Tick;
                    a();
                }
            }
            """;
        return Verify.VerifyCodeFixAsync(source, source);
    }

    [Fact]
    public Task Private_timer_callback_that_catches_everything_is_not_reported_near_misses_are()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.IO;
            using System.Threading;
            using System.Threading.Tasks;

            class Heartbeat
            {
                private readonly Timer _timer;
                private readonly Timer _rethrowing;
                private readonly Timer _narrow;
                private readonly Timer _called;
                private readonly Timer _finally;

                Heartbeat()
                {
                    _timer = new Timer(OnTick, null, 0, 1000);
                    _rethrowing = new Timer(OnTickRethrowing, null, 0, 1000);
                    _narrow = new Timer(OnTickNarrow, null, 0, 1000);
                    _called = new Timer(OnTickCalled, null, 0, 1000);
                    _finally = new Timer(OnTickWithFinally, null, 0, 1000);
                    ThreadPool.QueueUserWorkItem(Drain);
                    Parallel.Invoke(Flush);
                }

                // The timer's callback: nothing escapes it, and the timer could not have awaited it.
                private async void OnTick(object? state)
                {
                    try
                    {
                        await Task.Delay(10);
                    }
                    catch (Exception ex)
                    {
                        Console.WriteLine(ex);
                    }
                }

                private async void Drain(object? state)
                {
                    try { await Task.Yield(); }
                    catch { }
                }

                private async void {|CONC103:OnTickRethrowing|}(object? state)
                {
                    try { await Task.Delay(10); }
                    catch (Exception ex) when (ex is IOException) { }
                    catch (Exception) { throw; }
                }

                private async void {|CONC103:OnTickNarrow|}(object? state)
                {
                    try { await Task.Delay(10); }
                    catch (IOException) { }
                }

                private async void {|CONC103:OnTickCalled|}(object? state)
                {
                    try { await Task.Delay(10); }
                    catch (Exception) { }
                }

                private async void {|CONC103:OnTickWithFinally|}(object? state)
                {
                    try { await Task.Delay(10); }
                    catch (Exception) { }
                    finally { await Task.Yield(); }
                }

                // An Action handed to code that runs it and returns: Parallel.Invoke returns before the work ends.
                private async void {|CONC103:Flush|}()
                {
                    try { await Task.Delay(10); }
                    catch (Exception) { }
                }

                public void Poke() => OnTickCalled(null);
            }
            """);

    [Fact]
    public Task Private_bridge_completing_the_source_it_is_given_on_every_path_is_not_reported_near_misses_are()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading.Tasks;

            interface IExecutor
            {
                void Execute(Action<object> action, object state);
                void Execute(Action<object, object> action, object context, object state);
            }

            class Pool
            {
                private readonly IExecutor _executor;
                private TaskCompletionSource<int>? _pending;

                Pool(IExecutor executor) => _executor = executor;

                // Each bridge is handed the promise its caller returns, and completes it on every path.
                public Task<int> AcquireAsync()
                {
                    var promise = new TaskCompletionSource<int>();
                    _executor.Execute(Acquire0, promise);
                    return promise.Task;
                }

                public Task<bool> ReleaseAsync(string item)
                {
                    var promise = new TaskCompletionSource<bool>();
                    _executor.Execute(Release0, item, promise);
                    return promise.Task;
                }

                private async void Acquire0(object state)
                {
                    var promise = (TaskCompletionSource<int>)state;
                    try
                    {
                        var result = await DoAcquireAsync();
                        promise.TrySetResult(result);
                    }
                    catch (Exception ex)
                    {
                        promise.TrySetException(ex);
                    }
                }

                private async void Release0(object item, object state)
                {
                    var promise = state as TaskCompletionSource<bool>;
                    try
                    {
                        promise!.TrySetResult(await DoReleaseAsync((string)item));
                    }
                    catch (Exception ex)
                    {
                        promise!.TrySetException(ex);
                    }
                }

                // The failure path forgets the promise: its caller waits forever.
                private async void {|CONC103:AcquireLogged|}(object state)
                {
                    var promise = (TaskCompletionSource<int>)state;
                    try
                    {
                        promise.TrySetResult(await DoAcquireAsync());
                    }
                    catch (Exception ex)
                    {
                        Console.WriteLine(ex);
                    }
                }

                // A narrow catch lets the rest escape.
                private async void {|CONC103:AcquireNarrow|}(object state)
                {
                    var promise = (TaskCompletionSource<int>)state;
                    try
                    {
                        promise.TrySetResult(await DoAcquireAsync());
                    }
                    catch (InvalidOperationException ex)
                    {
                        promise.TrySetException(ex);
                    }
                }

                // A source kept in a field, not the one the caller handed over.
                private async void {|CONC103:AcquireIntoField|}(object state)
                {
                    try
                    {
                        _pending!.TrySetResult(await DoAcquireAsync());
                    }
                    catch (Exception ex)
                    {
                        _pending!.TrySetException(ex);
                    }
                }

                // Work before the try can throw where nobody sees it.
                private async void {|CONC103:AcquireAfterWork|}(object state)
                {
                    await Task.Yield();
                    var promise = (TaskCompletionSource<int>)state;
                    try
                    {
                        promise.TrySetResult(await DoAcquireAsync());
                    }
                    catch (Exception ex)
                    {
                        promise.TrySetException(ex);
                    }
                }

                public void Poke()
                {
                    _executor.Execute(AcquireLogged, new TaskCompletionSource<int>());
                    _executor.Execute(AcquireNarrow, new TaskCompletionSource<int>());
                    _executor.Execute(AcquireIntoField, new TaskCompletionSource<int>());
                    _executor.Execute(AcquireAfterWork, new TaskCompletionSource<int>());
                }

                private Task<int> DoAcquireAsync() => Task.FromResult(1);

                private Task<bool> DoReleaseAsync(string item) => Task.FromResult(item.Length > 0);
            }
            """);

    [Fact]
    public Task Private_catch_all_method_called_only_from_a_timer_callback_lambda_is_not_reported_near_misses_are()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.IO;
            using System.Threading;
            using System.Threading.Tasks;

            class Poller
            {
                private readonly Timer _timer;
                private readonly Timer _narrow;
                private readonly Timer _twice;
                private readonly Timer _more;
                private readonly Timer _action;

                Poller()
                {
                    _timer = new Timer(_ => Tick(), null, 0, 1000);
                    ThreadPool.QueueUserWorkItem(state => { Drain(); });
                    _narrow = new Timer(_ => TickNarrow(), null, 0, 1000);
                    _twice = new Timer(_ => TickAlsoCalled(), null, 0, 1000);
                    _more = new Timer(_ => { Console.WriteLine("tick"); TickAfterMore(); }, null, 0, 1000);
                    Action run = () => TickAsAction();
                    run();
                }

                // The lambda only forwards to the method: nothing escapes it, and the timer could not have awaited it.
                private async void Tick()
                {
                    try { await Task.Delay(10); }
                    catch (Exception e) { Console.WriteLine(e); }
                }

                private async void Drain()
                {
                    try { await Task.Yield(); }
                    catch { }
                }

                private async void {|CONC103:TickNarrow|}()
                {
                    try { await Task.Delay(10); }
                    catch (IOException) { }
                }

                private async void {|CONC103:TickAlsoCalled|}()
                {
                    try { await Task.Delay(10); }
                    catch (Exception) { }
                }

                private async void {|CONC103:TickAfterMore|}()
                {
                    try { await Task.Delay(10); }
                    catch (Exception) { }
                }

                private async void {|CONC103:TickAsAction|}()
                {
                    try { await Task.Delay(10); }
                    catch (Exception) { }
                }

                public void Poke() => TickAlsoCalled();
            }
            """);

    [Fact]
    public Task Timer_callback_others_can_call_is_still_reported_public_or_with_a_nested_type()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class PublicHeartbeat
            {
                private readonly Timer _timer;

                PublicHeartbeat() => _timer = new Timer(OnTick, null, 0, 1000);

                // Other types can call it directly.
                public async void {|CONC103:OnTick|}(object? state)
                {
                    try { await Task.Delay(10); }
                    catch (Exception) { }
                }
            }

            class NestedHeartbeat
            {
                private readonly Timer _timer;

                NestedHeartbeat() => _timer = new Timer(OnTick, null, 0, 1000);

                private async void {|CONC103:OnTick|}(object? state)
                {
                    try { await Task.Delay(10); }
                    catch (Exception) { }
                }

                // A nested type may call the private callback directly.
                private sealed class Probe
                {
                    public void Poke(NestedHeartbeat owner) => owner.OnTick(null);
                }
            }
            """);

    [Fact]
    public Task Event_handler_signatures_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.ComponentModel;
            using System.Threading.Tasks;

            class C
            {
                async void OnClick(object sender, EventArgs e) => await Task.Yield();
                async void OnChanged(object? sender, PropertyChangedEventArgs e) => await Task.Yield();
            }
            """);

    [Fact]
    public Task Methods_subscribed_to_events_are_event_handlers()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading.Tasks;

            class C
            {
                public event Action? Changed;

                C() { Changed += OnChanged; }

                async void OnChanged() => await Task.Yield();
            }
            """);

    [Fact]
    public Task Override_and_interface_implementation_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading.Tasks;

            abstract class Base { public abstract void Run(); }
            interface IStep { void Execute(); }

            class C : Base, IStep
            {
                public override async void Run() => await Task.Yield();
                public async void Execute() => await Task.Yield();
            }
            """);

    [Fact]
    public Task Async_Task_and_plain_void_methods_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading.Tasks;

            class C
            {
                async Task A() => await Task.Yield();
                async ValueTask B() => await Task.Yield();
                void D() { }
            }
            """);

    // ---- async lambdas ----

    [Fact]
    public Task Async_lambda_passed_as_Action_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Generic;
            using System.Threading.Tasks;

            class C
            {
                void M(List<int> items)
                {
                    items.ForEach({|#0:async|} i => await Task.Delay(i));
                    Parallel.ForEach(items, {|#1:async|} i => await Task.Delay(i));
                }
            }
            """,
            Verify.Diagnostic(AsyncVoidAnalyzer.LambdaRule).WithLocation(0).WithArguments("Action<int>"),
            Verify.Diagnostic(AsyncVoidAnalyzer.LambdaRule).WithLocation(1).WithArguments("Action<int>"));

    [Fact]
    public Task Async_anonymous_method_to_timer_callback_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private Timer? _timer;

                void M()
                {
                    _timer = new Timer({|CONC103:async|} delegate (object? state) { await Task.Yield(); }, null, 0, 1000);
                }
            }
            """);

    [Fact]
    public Task Async_callback_lambda_that_catches_everything_is_not_reported_near_misses_are()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Collections.Generic;
            using System.IO;
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private Timer? _timer;

                void M(SynchronizationContext ui, Func<Task> work, Action<Exception> log, List<int> items)
                {
                    // Posted to the UI context or a timer: nothing escapes, and nobody could await it.
                    ui.Post(async _ =>
                    {
                        try
                        {
                            await work();
                        }
                        catch (Exception ex)
                        {
                            log(ex);
                        }
                    }, null);
                    _timer = new Timer(async _ =>
                    {
                        try { await work(); }
                        catch { }
                    }, null, 0, 1000);

                    ui.Post({|CONC103:async|} _ => await work(), null);
                    ui.Post({|CONC103:async|} _ =>
                    {
                        try { await work(); }
                        catch (IOException ex) { log(ex); }
                    }, null);
                    ui.Post({|CONC103:async|} _ =>
                    {
                        try { await work(); }
                        catch (Exception) { throw; }
                    }, null);
                    // An Action returns before the work ends, whatever it catches.
                    items.ForEach({|CONC103:async|} i =>
                    {
                        try { await work(); }
                        catch (Exception ex) { log(ex); }
                    });
                }
            }
            """);

    [Fact]
    public Task Async_lambdas_converted_to_Func_of_Task_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Linq;
            using System.Threading.Tasks;

            class C
            {
                async Task M(int[] items)
                {
                    Func<Task> f = async () => await Task.Yield();
                    await Task.Run(async () => await Task.Delay(1));
                    await Task.WhenAll(items.Select(async i => await Task.Delay(i)));
                    await Parallel.ForEachAsync(items, async (i, ct) => await Task.Delay(i, ct));
                }
            }
            """);

    [Fact]
    public Task Async_lambda_subscribed_to_an_event_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading.Tasks;

            class C
            {
                public event EventHandler? Clicked;
                public event Action<int>? Progress;

                void M()
                {
                    Clicked += async (s, e) => await Task.Yield();
                    Progress += async p => await Task.Delay(p);
                }
            }
            """);

    // ---- Task.Run of a ValueTask-returning delegate ----

    [Fact]
    public Task Task_Run_of_a_ValueTask_delegate_is_reported_a_Task_one_or_one_awaited_twice_is_not()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Linq;
            using System.Threading;
            using System.Threading.Tasks;

            class Dispatcher
            {
                private readonly CancellationTokenSource _cts = new();

                public async Task StartAsync()
                {
                    await Task.{|#0:Run|}(SendingAsync, _cts.Token);
                    var workers = Enumerable.Range(0, 2).Select(_ => Task.{|#1:Run|}(() => ProcessingAsync(1))).ToArray();
                    await Task.WhenAll(workers);

                    await Task.Run(DrainAsync, _cts.Token);
                    await Task.Run(async () => await SendingAsync());
                    await await Task.Run(SendingAsync);
                    var count = await Task.Run(() => 42);
                    var pending = Task.Run(SendingAsync);
                    await await pending;
                    Task.Run(SendingAsync);
                    _ = Task.Run(() => ProcessingAsync(2));
                }

                private async ValueTask SendingAsync() => await Task.Delay(10, _cts.Token);

                private async ValueTask<int> ProcessingAsync(int n) { await Task.Delay(n, _cts.Token); return n; }

                private async Task DrainAsync() => await Task.Delay(10, _cts.Token);
            }
            """,
            Verify.Diagnostic(AsyncVoidAnalyzer.RunValueTaskRule).WithLocation(0).WithArguments("ValueTask"),
            Verify.Diagnostic(AsyncVoidAnalyzer.RunValueTaskRule).WithLocation(1).WithArguments("ValueTask<int>"));

    [Fact]
    public Task Task_Run_of_a_delegate_returning_a_configured_awaitable_is_reported_when_waited_on_not_when_dropped()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class Ticker
            {
                private readonly CancellationTokenSource _cts = new();
                private Task? _loop;

                public async Task StartAsync()
                {
                    await Task.{|#0:Run|}(() => RunAsync(_cts.Token).ConfigureAwait(false));
                    _loop = Task.{|#1:Run|}(() => CountAsync().ConfigureAwait(false));
                    await Task.{|#2:Run|}(() => PollAsync().ConfigureAwait(false));

                    await Task.Run(() => RunAsync(_cts.Token));
                    await Task.Run(async () => await RunAsync(_cts.Token).ConfigureAwait(false));
                    _ = Task.Run(() => RunAsync(_cts.Token).ConfigureAwait(false));
                }

                private async Task RunAsync(CancellationToken token) => await Task.Delay(10, token);

                private async Task<int> CountAsync() { await Task.Delay(1); return 1; }

                private async ValueTask PollAsync() => await Task.Delay(1);
            }
            """,
            Verify.Diagnostic(AsyncVoidAnalyzer.RunConfiguredAwaitableRule).WithLocation(0).WithArguments("ConfiguredTaskAwaitable"),
            Verify.Diagnostic(AsyncVoidAnalyzer.RunConfiguredAwaitableRule).WithLocation(1).WithArguments("ConfiguredTaskAwaitable<int>"),
            Verify.Diagnostic(AsyncVoidAnalyzer.RunConfiguredAwaitableRule).WithLocation(2).WithArguments("ConfiguredValueTaskAwaitable"));

    // ---- Task.Factory.StartNew(async ...) ----

    [Fact]
    public Task StartNew_with_async_delegate_is_fixed_to_Task_Run()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                async Task M(CancellationToken ct)
                {
                    await Task.Factory.{|#0:StartNew|}(async () => await Task.Delay(10)); // pump
                    var n = await Task.Factory.{|#1:StartNew|}(async () => { await Task.Yield(); return 1; }, ct);
                }
            }
            """,
            new[]
            {
                Verify.Diagnostic(AsyncVoidAnalyzer.StartNewRule).WithLocation(0).WithArguments("Task<Task>"),
                Verify.Diagnostic(AsyncVoidAnalyzer.StartNewRule).WithLocation(1).WithArguments("Task<Task<int>>"),
            },
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                async Task M(CancellationToken ct)
                {
                    await Task.Run(async () => await Task.Delay(10)); // pump
                    var n = await Task.Run(async () => { await Task.Yield(); return 1; }, ct);
                }
            }
            """);

    [Fact]
    public Task StartNew_with_options_is_fixed_with_Unwrap()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                Task M(CancellationToken ct)
                    => Task.Factory.{|CONC103:StartNew|}(async () => await Task.Delay(10), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default) /* pump */;
            }
            """,
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                Task M(CancellationToken ct)
                    => Task.Factory.StartNew(async () => await Task.Delay(10), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap() /* pump */;
            }
            """);

    [Fact]
    public Task StartNew_that_is_unwrapped_or_awaited_twice_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading.Tasks;

            class C
            {
                async Task M()
                {
                    await Task.Factory.StartNew(async () => await Task.Delay(1)).Unwrap();
                    await await Task.Factory.StartNew(async () => await Task.Delay(1));
                    var pending = Task.Factory.StartNew(async () => await Task.Delay(1));
                    await pending.Unwrap();
                    await Task.Factory.StartNew(() => 42);
                }
            }
            """);

    [Fact]
    public Task StartNew_of_a_delegate_value_whose_task_is_dropped_is_not_reported_an_async_lambda_or_a_kept_task_is()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class Dispatcher
            {
                private readonly TaskScheduler _scheduler = TaskScheduler.Default;
                private readonly Func<Task> _tick = () => Task.CompletedTask;

                public void Schedule(Func<Task> runner) => Task.Factory.StartNew(runner, CancellationToken.None, TaskCreationOptions.None, _scheduler);

                public void Post(Func<Task> runner)
                {
                    Task.Factory.StartNew(runner, TaskCreationOptions.None);
                    _ = Task.Factory.StartNew(_tick);
                    Task.Factory.StartNew(Pump);
                    Task.Factory.{|CONC103:StartNew|}(async () => await runner());
                    Task.Factory.{|CONC103:StartNew|}(PumpAsync);
                }

                public Task Kept(Func<Task> runner) => Task.Factory.{|CONC103:StartNew|}(runner);

                Task Pump() => Task.CompletedTask;

                async Task PumpAsync() => await Task.Yield();
            }
            """);

    [Fact]
    public Task Half_typed_code_does_not_crash()
        => new Verify.Test
        {
            TestCode = """
                using System.Threading.Tasks;

                class C
                {
                    async void {|CONC103:M|}(
                    {
                        Task.Factory.StartNew(async () => await
                    }
                }
                """,
            CompilerDiagnostics = CompilerDiagnostics.None,
        }.RunAsync();

    [Fact]
    public Task Netstandard_library_in_CSharp_7_3_is_reported_and_fixed()
        => new Verify.Test
        {
            ReferenceAssemblies = ConcurrencyAnalyzers.Tests.Verifiers.TestReferences.NetStandard20,
            LanguageVersion = Microsoft.CodeAnalysis.CSharp.LanguageVersion.CSharp7_3,
            TestCode = """
                using System.Threading.Tasks;

                class Sync
                {
                    async void {|CONC103:RefreshAsync|}()
                    {
                        await Task.Delay(1);
                    }
                }
                """,
            FixedCode = """
                using System.Threading.Tasks;

                class Sync
                {
                    async Task RefreshAsync()
                    {
                        await Task.Delay(1);
                    }
                }
                """,
        }.RunAsync();

}
