using ConcurrencyAnalyzers.Lifetime;
using ConcurrencyAnalyzers.Tests.Verifiers;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<
    ConcurrencyAnalyzers.Lifetime.TimerLifetimeAnalyzer,
    ConcurrencyAnalyzers.CodeFixes.Lifetime.TimerLifetimeCodeFix>;

namespace ConcurrencyAnalyzers.Tests.Lifetime;

public sealed class TimerLifetimeTests
{
    // ---- dropped System.Threading.Timer ----

    [Fact]
    public Task Dropped_timer_is_reported_without_a_fix()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;

            class Heartbeat
            {
                public void Start()
                {
                    {|#0:new Timer(_ => Console.WriteLine("beat"), null, 0, 1000)|};
                    _ = {|#1:new Timer(_ => Console.WriteLine("flush"), null, TimeSpan.Zero, TimeSpan.FromSeconds(5))|};
                }
            }
            """,
            Verify.Diagnostic(TimerLifetimeAnalyzer.DroppedRule).WithLocation(0),
            Verify.Diagnostic(TimerLifetimeAnalyzer.DroppedRule).WithLocation(1));

    [Fact]
    public Task Timer_in_a_local_that_is_only_configured_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;

            class Program
            {
                static void Main()
                {
                    var timer = {|CONC108:new Timer(_ => Console.WriteLine("tick"))|};
                    timer.Change(0, 1000);
                    Console.ReadLine();
                }
            }
            """);

    [Fact]
    public Task Timer_kept_alive_by_a_later_use_a_using_or_its_own_callback_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class Jobs
            {
                public async Task RunAsync(Func<Task> work)
                {
                    var progress = new Timer(_ => Console.WriteLine("still working"), null, 1000, 1000);
                    await work();
                    progress.Dispose();
                }

                public async Task RunScopedAsync(Func<Task> work)
                {
                    using var progress = new Timer(_ => Console.WriteLine("still working"), null, 1000, 1000);
                    await work();
                }

                public void ScheduleOnce(Action action)
                {
                    Timer? once = null;
                    once = new Timer(_ => { action(); once!.Dispose(); }, null, 500, Timeout.Infinite);
                }

                public Timer Create() => new Timer(_ => { }, null, 0, 1000);
            }
            """);

    // ---- timer fields of a disposable owner ----

    [Fact]
    public Task Timer_field_never_disposed_by_a_disposable_owner_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            sealed class MetricsReporter : IDisposable
            {
                private Timer? _timer;
                private readonly System.Timers.Timer _flush = {|#1:new System.Timers.Timer(1000)|};
                private readonly Action _report;

                public MetricsReporter(Action report) => _report = report;

                public void Start()
                {
                    _timer = {|#0:new Timer(_ => _report(), null, 0, 10_000)|};
                    _flush.Elapsed += (_, _) => _report();
                    _flush.Start();
                }

                public void Dispose() => Console.WriteLine("disposed");
            }
            """,
            Verify.Diagnostic(TimerLifetimeAnalyzer.NotDisposedRule).WithLocation(0).WithArguments("_timer", "MetricsReporter"),
            Verify.Diagnostic(TimerLifetimeAnalyzer.NotDisposedRule).WithLocation(1).WithArguments("_flush", "MetricsReporter"));

    [Fact]
    public Task PeriodicTimer_field_never_disposed_by_an_async_disposable_owner_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            sealed class Heartbeat : IAsyncDisposable
            {
                private readonly PeriodicTimer _ticks = {|#0:new PeriodicTimer(TimeSpan.FromSeconds(1))|};

                public async Task RunAsync(CancellationToken token)
                {
                    while (await _ticks.WaitForNextTickAsync(token))
                    {
                        Console.WriteLine("tick");
                    }
                }

                public ValueTask DisposeAsync() => default;
            }
            """,
            Verify.Diagnostic(TimerLifetimeAnalyzer.NotDisposedRule).WithLocation(0).WithArguments("_ticks", "Heartbeat"));

    [Fact]
    public Task Timer_fields_disposed_stopped_or_handed_on_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Collections.Generic;
            using System.Threading;
            using System.Threading.Tasks;

            sealed class Poller : IAsyncDisposable
            {
                private readonly Timer _a = new Timer(_ => { }, null, 0, 1000);
                private Timer? _b;
                private Timer? _c;
                private readonly PeriodicTimer _d = new PeriodicTimer(TimeSpan.FromSeconds(1));
                private readonly System.Timers.Timer _e = new System.Timers.Timer(1000);
                private readonly List<IDisposable> _owned = new();

                public void Start()
                {
                    _b = new Timer(_ => { }, null, 0, 1000);
                    _c = new Timer(_ => { }, null, 0, 1000);
                    _owned.Add(_c);
                }

                public Task StopAsync()
                {
                    _b?.Change(Timeout.Infinite, 0);
                    _e.Stop();
                    return Task.CompletedTask;
                }

                public async ValueTask DisposeAsync()
                {
                    await _a.DisposeAsync();
                    _d.Dispose();
                    foreach (var d in _owned) d.Dispose();
                }
            }
            """);

    [Fact]
    public Task Timer_fields_of_non_disposable_owners_static_fields_and_injected_timers_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;

            class ProcessWideClock
            {
                private readonly Timer _timer = new Timer(_ => Console.WriteLine("tick"), null, 0, 1000);
            }

            sealed class Cache : IDisposable
            {
                private static readonly Timer s_sweep = new Timer(_ => { }, null, 0, 60_000);
                private readonly Timer _injected;

                public Cache(Timer injected) => _injected = injected;

                public void Dispose() { }
            }
            """);

    // ---- PeriodicTimer.WaitForNextTickAsync without the token ----

    [Fact]
    public Task WaitForNextTickAsync_without_the_token_is_fixed_keeping_comments_with_Fix_All()
        => Verify.VerifyCodeFixAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class Worker
            {
                public async Task RunAsync(CancellationToken stoppingToken)
                {
                    using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
                    // Tick until stopped.
                    while (await {|#0:timer.WaitForNextTickAsync()|}) // every 5 s
                    {
                        Console.WriteLine("tick");
                    }
                }

                public async Task DrainAsync(PeriodicTimer timer, CancellationToken ct)
                {
                    await {|#1:timer.WaitForNextTickAsync(/* none */ CancellationToken.None)|};
                }
            }
            """,
            new[]
            {
                Verify.Diagnostic(TimerLifetimeAnalyzer.NoTokenRule).WithLocation(0).WithArguments("stoppingToken"),
                Verify.Diagnostic(TimerLifetimeAnalyzer.NoTokenRule).WithLocation(1).WithArguments("ct"),
            },
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class Worker
            {
                public async Task RunAsync(CancellationToken stoppingToken)
                {
                    using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
                    // Tick until stopped.
                    while (await timer.WaitForNextTickAsync(stoppingToken)) // every 5 s
                    {
                        Console.WriteLine("tick");
                    }
                }

                public async Task DrainAsync(PeriodicTimer timer, CancellationToken ct)
                {
                    await timer.WaitForNextTickAsync(/* none */ ct);
                }
            }
            """);

    [Fact]
    public Task WaitForNextTickAsync_in_a_lambda_uses_the_lambdas_token()
        => Verify.VerifyCodeFixAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class Worker
            {
                public Func<CancellationToken, Task> Loop(PeriodicTimer timer)
                    => async token => { while (await {|CONC108:timer.WaitForNextTickAsync()|}) { } };
            }
            """,
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class Worker
            {
                public Func<CancellationToken, Task> Loop(PeriodicTimer timer)
                    => async token => { while (await timer.WaitForNextTickAsync(token)) { } };
            }
            """);

    [Fact]
    public Task WaitForNextTickAsync_with_a_token_or_with_none_in_scope_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class Worker
            {
                public async Task RunAsync(CancellationToken ct)
                {
                    using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
                    while (await timer.WaitForNextTickAsync(ct)) { }
                }

                public async Task ForeverAsync()
                {
                    using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
                    while (await timer.WaitForNextTickAsync()) { }
                }
            }
            """);

    [Fact]
    public Task Netstandard_library_without_PeriodicTimer_still_checks_dropped_timers()
        => new Verify.Test
        {
            ReferenceAssemblies = TestReferences.NetStandard20,
            LanguageVersion = Microsoft.CodeAnalysis.CSharp.LanguageVersion.CSharp7_3,
            TestCode = """
                using System.Threading;

                class C
                {
                    public void Start(TimerCallback callback)
                    {
                        {|CONC108:new Timer(callback, null, 0, 1000)|};
                    }
                }
                """,
        }.RunAsync();

    [Fact]
    public Task Half_typed_code_does_not_throw()
        => new Verify.Test
        {
            TestCode = """
                using System;
                using System.Threading;

                sealed class C : IDisposable
                {
                    private Timer _t;
                    public void Start() { _t = new Timer(Missing, null, ; }
                    public void Dispose() { _t.
                }
                """,
            CompilerDiagnostics = CompilerDiagnostics.None,
        }.RunAsync();
}
