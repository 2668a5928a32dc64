using ConcurrencyAnalyzers.Lifetime;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<
    ConcurrencyAnalyzers.Lifetime.BackgroundLoopWithoutExitAnalyzer,
    ConcurrencyAnalyzers.CodeFixes.Lifetime.BackgroundLoopWithoutExitCodeFix>;

namespace ConcurrencyAnalyzers.Tests.Lifetime;

public sealed class BackgroundLoopWithoutExitTests
{
    [Fact]
    public Task Loop_in_Task_Run_without_a_token_in_scope_is_reported_without_a_fix()
        => VerifyNoFixAsync(
            """
            using System;
            using System.Threading.Tasks;

            class MetricsPump
            {
                private Task _loop;

                public MetricsPump() => _loop = Task.Run(async () =>
                {
                    {|#0:while (true)|}
                    {
                        await PublishAsync();
                        await Task.Delay(TimeSpan.FromSeconds(10));
                    }
                });

                Task PublishAsync() => Task.CompletedTask;
            }
            """,
            Verify.Diagnostic(BackgroundLoopWithoutExitAnalyzer.LoopRule).WithLocation(0).WithArguments("Task.Run"));

    [Fact]
    public Task Loop_with_a_token_parameter_in_scope_loops_on_it_and_passes_it_to_Task_Run()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class Poller
            {
                public Task Start(CancellationToken ct)
                {
                    return Task.Run(() =>
                    {
                        // Poll forever.
                        {|CONC101:while (true)|} // until stopped
                        {
                            Poll();
                            Thread.Sleep(1000);
                        }
                    });
                }

                void Poll() { }
            }
            """,
            """
            using System.Threading;
            using System.Threading.Tasks;

            class Poller
            {
                public Task Start(CancellationToken ct)
                {
                    return Task.Run(() =>
                    {
                        // Poll forever.
                        while (!ct.IsCancellationRequested) // until stopped
                        {
                            Poll();
                            Thread.Sleep(1000);
                        }
                    }, ct);
                }

                void Poll() { }
            }
            """);

    [Fact]
    public Task Fix_all_uses_the_types_token_source_field_for_every_loop_shape()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class Workers
            {
                private readonly CancellationTokenSource _stop = new CancellationTokenSource();

                public void Start()
                {
                    new Thread(() => { {|CONC101:for (;;)|} { Work(); } }).Start();
                    ThreadPool.QueueUserWorkItem(_ => { {|CONC101:do|} { Work(); } while (true); });
                }

                void Work() { }
            }
            """,
            """
            using System.Threading;
            using System.Threading.Tasks;

            class Workers
            {
                private readonly CancellationTokenSource _stop = new CancellationTokenSource();

                public void Start()
                {
                    new Thread(() => { for (; !_stop.Token.IsCancellationRequested;) { Work(); } }).Start();
                    ThreadPool.QueueUserWorkItem(_ => { do { Work(); } while (!_stop.Token.IsCancellationRequested); });
                }

                void Work() { }
            }
            """);

    [Fact]
    public Task Observing_the_task_does_not_give_the_loop_an_exit()
        => VerifyNoFixAsync(
            """
            using System.Threading.Tasks;

            class C
            {
                void M()
                {
                    _ = Task.Run(() => { {|#0:while (true)|} { Work(); } });
                }

                void Work() { }
            }
            """,
            Verify.Diagnostic(BackgroundLoopWithoutExitAnalyzer.LoopRule).WithLocation(0).WithArguments("Task.Run"));

    [Fact]
    public Task Tick_loops_that_a_token_a_disposal_or_a_break_can_end_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class Refiller : IDisposable
            {
                private readonly PeriodicTimer _timer = new(TimeSpan.FromSeconds(1));
                private PeriodicTimer _current;
                private int _tokens;

                public void Start(CancellationToken ct)
                {
                    // The token ends the wait.
                    _ = Task.Run(async () =>
                    {
                        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
                        while (await timer.WaitForNextTickAsync(ct)) _tokens++;
                    });

                    // A token in scope but not passed: CONC108 reports the wait instead.
                    _ = Task.Run(async () =>
                    {
                        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
                        while (await timer.WaitForNextTickAsync()) _tokens++;
                    });
                }

                public void StartOwned()
                {
                    // A field timer: Dispose makes WaitForNextTickAsync return false.
                    _ = Task.Run(async () =>
                    {
                        while (await _timer.WaitForNextTickAsync()) _tokens++;
                    });

                    // A local timer handed to the owner, who can dispose it.
                    _ = Task.Run(async () =>
                    {
                        var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
                        _current = timer;
                        while (await timer.WaitForNextTickAsync().ConfigureAwait(false)) _tokens++;
                    });

                    // The body leaves the loop.
                    _ = Task.Run(async () =>
                    {
                        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
                        while (await timer.WaitForNextTickAsync())
                        {
                            if (++_tokens > 10) break;
                        }
                    });
                }

                public void Dispose()
                {
                    _timer.Dispose();
                    _current?.Dispose();
                }
            }
            """);

    [Fact]
    public Task Tick_loop_on_a_local_timer_nothing_disposes_is_reported()
        => VerifyNoFixAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class TokenBucket
            {
                public TokenBucket(TimeSpan refill)
                {
                    _ = Task.Run(async () =>
                    {
                        using var timer = new PeriodicTimer(refill);
                        {|#0:while (await timer.WaitForNextTickAsync().ConfigureAwait(false))|}
                        {
                            AddToken();
                        }
                    });
                }

                void AddToken() { }
            }
            """,
            Verify.Diagnostic(BackgroundLoopWithoutExitAnalyzer.LoopRule).WithLocation(0).WithArguments("Task.Run"));

    [Fact]
    public Task Method_started_as_a_thread_or_dropped_async_call_is_reported_at_the_spawn()
        => VerifyNoFixAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class Server
            {
                public Server()
                {
                    new Thread({|#0:Loop|}).Start();
                    _ = {|#1:PumpAsync()|};
                }

                void Loop()
                {
                    while (true) { Thread.Sleep(10); }
                }

                async Task PumpAsync()
                {
                    while (true) { await Task.Delay(10); }
                }
            }
            """,
            Verify.Diagnostic(BackgroundLoopWithoutExitAnalyzer.SpawnRule).WithLocation(0).WithArguments("new Thread", "Loop"),
            Verify.Diagnostic(BackgroundLoopWithoutExitAnalyzer.SpawnRule).WithLocation(1).WithArguments("not awaited", "PumpAsync"));

    [Fact]
    public Task Type_whose_only_loop_keyword_is_for_in_another_part_is_watched()
        => VerifyNoFixAsync(
            """
            using System.Threading;

            partial class Spooler
            {
                public Spooler()
                {
                    new Thread({|#0:Drain|}).Start();
                }
            }

            partial class Spooler
            {
                void Drain()
                {
                    for (;;) { Thread.Sleep(10); }
                }

                void Spin()
                {
                    new Thread(() => { {|#1:for (;;)|} { Thread.Sleep(10); } }).Start();
                }
            }
            """,
            Verify.Diagnostic(BackgroundLoopWithoutExitAnalyzer.SpawnRule).WithLocation(0).WithArguments("new Thread", "Drain"),
            Verify.Diagnostic(BackgroundLoopWithoutExitAnalyzer.LoopRule).WithLocation(1).WithArguments("new Thread"));

    [Fact]
    public Task Loops_with_break_return_throw_or_token_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                void M(CancellationToken ct)
                {
                    Task.Run(() => { while (true) { if (Done()) break; } });
                    Task.Run(() => { while (true) { if (Done()) return; } });
                    Task.Run(() => { while (true) { if (Done()) throw new InvalidOperationException(); } });
                    Task.Run(async () => { while (true) { await Task.Delay(1000, ct); } });
                    Task.Run(() => { while (true) { ct.ThrowIfCancellationRequested(); } });
                    Task.Run(() => { while (!ct.IsCancellationRequested) { Done(); } });
                }

                bool Done() => true;
            }
            """);

    [Fact]
    public Task Flag_controlled_loops_and_queue_consumers_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Concurrent;
            using System.Threading;
            using System.Threading.Channels;
            using System.Threading.Tasks;

            class C
            {
                private volatile bool _running = true;
                private bool _disposed;
                private readonly BlockingCollection<int> _queue = new();
                private readonly Channel<int> _channel = Channel.CreateUnbounded<int>();

                void Start()
                {
                    Task.Run(() => { while (true) { if (!_running) { } Work(); } });
                    Task.Run(() => { while (true) { Work(); if (_disposed) { } } });
                    Task.Run(() => { while (true) { var item = _queue.Take(); } });
                    Task.Run(async () => { while (true) { var item = await _channel.Reader.ReadAsync(); } });
                    Task.Run(() => { foreach (var item in _queue.GetConsumingEnumerable()) { Work(); } });
                }

                void Work() { }
            }
            """);

    [Fact]
    public Task Polling_a_completed_queue_or_channel_does_not_end_the_loop()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Collections.Concurrent;
            using System.Threading.Channels;
            using System.Threading.Tasks;

            class Consumer
            {
                private readonly BlockingCollection<int> _queue = new();
                private readonly Channel<int> _channel = Channel.CreateUnbounded<int>();

                void Start()
                {
                    // After CompleteAdding, TryTake returns false at once, every time: the loop never ends.
                    Task.Run(() => { {|#0:while (true)|} { if (_queue.TryTake(out var item, 100)) { Handle(item); } } });
                    // WaitToReadAsync returns false once the writer completes; ignoring it spins.
                    Task.Run(async () =>
                    {
                        {|#1:while (true)|}
                        {
                            await _channel.Reader.WaitToReadAsync();
                            while (_channel.Reader.TryRead(out var item)) { Handle(item); }
                        }
                    });
                    // The inner foreach ends when the channel completes, and the outer loop starts it again.
                    Task.Run(async () => { {|#2:while (true)|} { await foreach (var item in _channel.Reader.ReadAllAsync()) { Handle(item); } } });

                    // Near misses: a result that is checked ends the loop, and the throwing reads end it too.
                    Task.Run(async () => { while (true) { if (!await _channel.Reader.WaitToReadAsync()) { break; } } });
                    Task.Run(() => { while (true) { if (!_queue.TryTake(out var item, -1)) { return; } Handle(item); } });
                    Task.Run(() => { while (true) { Handle(_queue.Take()); } });
                    Task.Run(async () => { while (true) { Handle(await _channel.Reader.ReadAsync()); } });
                }

                void Handle(int item) { }
            }
            """,
            Verify.Diagnostic(BackgroundLoopWithoutExitAnalyzer.LoopRule).WithLocation(0).WithArguments("Task.Run"),
            Verify.Diagnostic(BackgroundLoopWithoutExitAnalyzer.LoopRule).WithLocation(1).WithArguments("Task.Run"),
            Verify.Diagnostic(BackgroundLoopWithoutExitAnalyzer.LoopRule).WithLocation(2).WithArguments("Task.Run"));

    [Fact]
    public Task Loops_that_are_not_background_work_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                async Task RunAsync()
                {
                    while (true) { await Task.Delay(10); }
                }

                async Task Caller() => await RunAsync();

                void Inline(int[] items) => System.Array.ForEach(items, x => { while (true) { } });
            }
            """);

    [Fact]
    public Task BackgroundService_loop_on_stoppingToken_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            abstract class BackgroundService
            {
                protected abstract Task ExecuteAsync(CancellationToken stoppingToken);
            }

            class Worker : BackgroundService
            {
                protected override Task ExecuteAsync(CancellationToken stoppingToken)
                    => Task.Run(async () =>
                    {
                        while (true)
                        {
                            await Task.Delay(1000, stoppingToken);
                        }
                    });
            }
            """);

    [Fact]
    public Task Loop_exiting_through_a_caught_exception_or_a_disposed_listener_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Net.Sockets;
            using System.Threading.Tasks;

            class C
            {
                private readonly TcpListener _listener = new TcpListener(System.Net.IPAddress.Any, 0);

                void Start()
                {
                    Task.Run(async () => { while (true) { var client = await _listener.AcceptTcpClientAsync(); } });
                    Task.Run(async () =>
                    {
                        try { while (true) { await Task.Delay(10); } }
                        catch (SocketException) { }
                    });
                }
            }
            """);

    [Fact]
    public Task Loop_inside_a_log_and_forget_catch_all_is_still_reported()
        => VerifyNoFixAsync(
            """
            using System;
            using System.Threading.Tasks;

            class C
            {
                void Start()
                {
                    Task.Run(async () =>
                    {
                        try { {|#0:while (true)|} { await Task.Delay(10); } }
                        catch (Exception ex) { Console.WriteLine(ex); }
                    });
                }
            }
            """,
            Verify.Diagnostic(BackgroundLoopWithoutExitAnalyzer.LoopRule).WithLocation(0).WithArguments("Task.Run"));

    [Fact]
    public Task Loop_in_Main_is_allowed_by_default()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading.Tasks;

            static class Program
            {
                static void Main()
                {
                    Task.Run(async () => { while (true) { await Task.Delay(1000); } });
                }
            }
            """);

    [Fact]
    public Task Option_allow_in_main_false_reports_loops_in_Main()
    {
        const string source = """
            using System.Threading.Tasks;

            static class Program
            {
                static void Main()
                {
                    Task.Run(async () => { {|CONC101:while (true)|} { await Task.Delay(1000); } });
                }
            }
            """;
        var test = new Verify.Test { TestCode = source, FixedCode = source };
        test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n[*.cs]\nCONC101.allow_in_main = false\n"));
        return test.RunAsync();
    }

    [Fact]
    public Task Half_typed_code_does_not_throw()
    {
        const string source = """
            using System.Threading.Tasks;

            class C
            {
                void M()
                {
                    Task.Run(() => { while (true) { Missing(; } });
                    Task.Run(() => { while (
                }
            }
            """;
        return new Verify.Test { TestCode = source, FixedCode = source, CompilerDiagnostics = CompilerDiagnostics.None }.RunAsync();
    }

    [Fact]
    public Task Local_function_that_is_the_whole_body_of_a_spawned_lambda_is_spawned_work()
        => VerifyNoFixAsync(
            """
            using System.Collections.Generic;
            using System.Threading;
            using System.Threading.Tasks;

            class Heartbeat
            {
                void Start()
                {
                    _ = Task.Run(async () => await BeatAsync());
                    _ = Task.Run(() => Spin());
                    new List<int> { 1 }.ForEach(_ => Repeat());

                    async Task BeatAsync()
                    {
                        {|#0:while (true)|}
                        {
                            await Task.Delay(1000);
                        }
                    }

                    void Spin()
                    {
                        {|#1:while (true)|}
                        {
                            Work();
                        }
                    }

                    void Repeat()
                    {
                        while (true)
                        {
                            Work();
                        }
                    }
                }

                void StartDrain(CancellationToken token)
                {
                    _ = Task.Run(() => Drain(token));

                    void Drain(CancellationToken ct)
                    {
                        while (true)
                        {
                            ct.ThrowIfCancellationRequested();
                            Work();
                        }
                    }
                }

                void Work() { }
            }
            """,
            Verify.Diagnostic(BackgroundLoopWithoutExitAnalyzer.LoopRule).WithLocation(0).WithArguments("Task.Run"),
            Verify.Diagnostic(BackgroundLoopWithoutExitAnalyzer.LoopRule).WithLocation(1).WithArguments("Task.Run"));

    [Fact]
    public Task PeriodicTimer_loop_that_can_be_stopped_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            sealed class Refresher : IDisposable
            {
                private readonly PeriodicTimer _timer = new(TimeSpan.FromSeconds(1));
                private PeriodicTimer? _current;
                private int _ticks;

                public void Start()
                {
                    // A field timer: Dispose ends the wait, which then returns false.
                    _ = Task.Run(async () =>
                    {
                        while (await _timer.WaitForNextTickAsync()) _ticks++;
                    });

                    // A local timer handed to a field: someone else may dispose it.
                    _ = Task.Run(async () =>
                    {
                        var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
                        _current = timer;
                        while (await timer.WaitForNextTickAsync()) _ticks++;
                    });

                    // A loop that leaves by itself.
                    _ = Task.Run(async () =>
                    {
                        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
                        while (await timer.WaitForNextTickAsync())
                        {
                            if (++_ticks > 10) break;
                        }
                    });
                }

                public void Start(CancellationToken ct)
                {
                    // The token is passed, or it is in scope and not passed (CONC108 reports that wait).
                    _ = Task.Run(async () =>
                    {
                        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
                        while (await timer.WaitForNextTickAsync(ct)) _ticks++;
                    });
                    _ = Task.Run(async () =>
                    {
                        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
                        while (await timer.WaitForNextTickAsync()) _ticks++;
                    });
                }

                public void Dispose()
                {
                    _timer.Dispose();
                    _current?.Dispose();
                }
            }
            """);

    [Fact]
    public Task PeriodicTimer_loop_over_a_local_timer_nothing_disposes_is_reported()
        => VerifyNoFixAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            sealed class TokenBucket
            {
                private readonly SemaphoreSlim _tokens;
                private readonly int _burst;

                public TokenBucket(TimeSpan rate, int burst)
                {
                    _burst = burst;
                    _tokens = new SemaphoreSlim(burst, burst);
                    _ = Task.Run(async () =>
                    {
                        using var timer = new PeriodicTimer(rate);
                        {|#0:while (await timer.WaitForNextTickAsync())|}
                        {
                            if (_tokens.CurrentCount < _burst) _tokens.Release();
                        }
                    });
                }

                public Task WaitAsync(CancellationToken ct) => _tokens.WaitAsync(ct);
            }

            sealed class Heartbeat
            {
                public Heartbeat(TimeSpan period) => _ = Task.Run(() => {|#1:BeatAsync(period)|});

                private static async Task BeatAsync(TimeSpan period)
                {
                    var timer = new PeriodicTimer(period);
                    while (await timer.WaitForNextTickAsync().ConfigureAwait(false))
                    {
                        Console.WriteLine("beat");
                    }
                }
            }
            """,
            Verify.Diagnostic(BackgroundLoopWithoutExitAnalyzer.LoopRule).WithLocation(0).WithArguments("Task.Run"),
            Verify.Diagnostic(BackgroundLoopWithoutExitAnalyzer.SpawnRule).WithLocation(1).WithArguments("Task.Run", "BeatAsync"));

    private static Task VerifyNoFixAsync(string source, params DiagnosticResult[] expected)
    {
        var test = new Verify.Test { TestCode = source, FixedCode = source };
        test.ExpectedDiagnostics.AddRange(expected);
        test.FixedState.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    [Fact]
    public Task Netstandard_library_in_CSharp_7_3_is_reported_and_fixed()
        => new Verify.Test
        {
            ReferenceAssemblies = ConcurrencyAnalyzers.Tests.Verifiers.TestReferences.NetStandard20,
            LanguageVersion = Microsoft.CodeAnalysis.CSharp.LanguageVersion.CSharp7_3,
            TestCode = """
                using System.Threading;
                using System.Threading.Tasks;

                class Poller
                {
                    public Task Start(CancellationToken ct)
                    {
                        return Task.Run(() =>
                        {
                            {|CONC101:while (true)|}
                            {
                                Thread.Sleep(1000);
                            }
                        });
                    }
                }
                """,
            FixedCode = """
                using System.Threading;
                using System.Threading.Tasks;

                class Poller
                {
                    public Task Start(CancellationToken ct)
                    {
                        return Task.Run(() =>
                        {
                            while (!ct.IsCancellationRequested)
                            {
                                Thread.Sleep(1000);
                            }
                        }, ct);
                    }
                }
                """,
        }.RunAsync();

}
