using ConcurrencyAnalyzers.Cancellation;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<
    ConcurrencyAnalyzers.Cancellation.TokenSourceNotDisposedAnalyzer,
    ConcurrencyAnalyzers.CodeFixes.Cancellation.TokenSourceNotDisposedCodeFix>;

namespace ConcurrencyAnalyzers.Tests.Cancellation;

public sealed class TokenSourceNotDisposedTests
{
    [Fact]
    public Task Field_refilled_with_linked_sources_that_nothing_disposes_is_reported_timed_ones_are_not()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class SearchBox
            {
                private CancellationTokenSource? _debounce;

                public async Task OnTextChangedAsync(string text, Func<string, CancellationToken, Task> search, CancellationToken appToken)
                {
                    _debounce?.Cancel();
                    {|#0:_debounce = CancellationTokenSource.CreateLinkedTokenSource(appToken)|};
                    await Task.Delay(250, _debounce.Token);
                    await search(text, _debounce.Token);
                }
            }

            class Poller
            {
                private CancellationTokenSource? _current;

                public Task PollAsync(Func<CancellationToken, Task> poll, CancellationToken appToken)
                {
                    if (_current is not null && !_current.IsCancellationRequested)
                        _current.Cancel();
                    var cts = CancellationTokenSource.CreateLinkedTokenSource(appToken);
                    {|#1:_current = cts|};
                    return poll(cts.Token);
                }
            }

            class TimedPoller
            {
                // Cancelling the previous timed source stops its timer: nothing is left behind.
                private CancellationTokenSource? _timeout;

                public Task PollAsync(Func<CancellationToken, Task> poll)
                {
                    _timeout?.Cancel();
                    _timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    return poll(_timeout.Token);
                }
            }
            """,
            Verify.Diagnostic(TokenSourceNotDisposedAnalyzer.FieldRule).WithLocation(0).WithArguments("_debounce", "linked", "registration on the parent token"),
            Verify.Diagnostic(TokenSourceNotDisposedAnalyzer.FieldRule).WithLocation(1).WithArguments("_current", "linked", "registration on the parent token"));

    [Fact]
    public Task Field_refilled_with_linked_sources_in_another_part_of_a_partial_type_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            partial class Refresher
            {
                private CancellationTokenSource? _pending;

                public Task RefreshAsync(Func<CancellationToken, Task> refresh, CancellationToken appToken)
                {
                    _pending?.Cancel();
                    _pending = Link(appToken);
                    return refresh(_pending.Token);
                }
            }

            partial class Refresher
            {
                private static CancellationTokenSource Link(CancellationToken token) => new CancellationTokenSource();

                public Task ReloadAsync(Func<CancellationToken, Task> reload, CancellationToken appToken)
                {
                    _pending?.Cancel();
                    {|#1:_pending = CancellationTokenSource.CreateLinkedTokenSource(appToken)|};
                    return reload(_pending.Token);
                }
            }
            """,
            Verify.Diagnostic(TokenSourceNotDisposedAnalyzer.FieldRule).WithLocation(1).WithArguments("_pending", "linked", "registration on the parent token"));

    [Fact]
    public Task Linked_sources_kept_in_a_dictionary_field_that_nothing_disposes_are_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Collections.Concurrent;
            using System.Collections.Generic;
            using System.Threading;
            using System.Threading.Tasks;

            class JobRunner
            {
                private readonly ConcurrentDictionary<Guid, CancellationTokenSource> _running = new();

                public async Task RunAsync(Guid id, Func<CancellationToken, Task> job, CancellationToken appToken)
                {
                    {|#0:_running[id] = CancellationTokenSource.CreateLinkedTokenSource(appToken)|};
                    try
                    {
                        await job(_running[id].Token);
                    }
                    finally
                    {
                        _running.TryRemove(id, out _);
                    }
                }

                public bool Cancel(Guid id)
                {
                    if (_running.TryRemove(id, out var cts))
                    {
                        cts.Cancel();
                        return true;
                    }

                    return false;
                }
            }

            class Downloads
            {
                private readonly Dictionary<string, CancellationTokenSource> _active = new();

                public Task StartAsync(string url, Func<string, CancellationToken, Task> download, CancellationToken requestAborted)
                {
                    var cts = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
                    lock (_active)
                    {
                        {|#1:_active.Add(url, cts)|};
                    }

                    return download(url, cts.Token);
                }

                public void Stop(string url)
                {
                    lock (_active)
                    {
                        if (_active.Remove(url, out var cts))
                        {
                            cts.Cancel();
                        }
                    }
                }
            }
            """,
            Verify.Diagnostic(TokenSourceNotDisposedAnalyzer.CollectionRule).WithLocation(0).WithArguments("_running", "linked", "registration on the parent token"),
            Verify.Diagnostic(TokenSourceNotDisposedAnalyzer.CollectionRule).WithLocation(1).WithArguments("_active", "linked", "registration on the parent token"));

    [Fact]
    public Task Sources_kept_in_a_dictionary_field_and_disposed_handed_on_or_plain_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Collections.Concurrent;
            using System.Collections.Generic;
            using System.Threading;
            using System.Threading.Tasks;

            static class Sources
            {
                public static void Release(CancellationTokenSource cts) => cts.Dispose();
            }

            class DisposedOnRemove
            {
                private readonly ConcurrentDictionary<int, CancellationTokenSource> _running = new();

                public void Start(int id, CancellationToken token) => _running[id] = CancellationTokenSource.CreateLinkedTokenSource(token);

                public void Cancel(int id)
                {
                    if (_running.TryRemove(id, out var cts))
                    {
                        cts.Cancel();
                        cts.Dispose();
                    }
                }
            }

            class DisposedByUsing
            {
                private readonly ConcurrentDictionary<int, CancellationTokenSource> _running = new();

                public async Task RunAsync(int id, Func<CancellationToken, Task> job, CancellationToken token)
                {
                    using var cts = CancellationTokenSource.CreateLinkedTokenSource(token);
                    _running.TryAdd(id, cts);
                    try { await job(cts.Token); }
                    finally { _running.TryRemove(id, out _); }
                }

                public void Cancel(int id)
                {
                    if (_running.TryGetValue(id, out var cts)) cts.Cancel();
                }
            }

            sealed class DisposedWithTheOwner : IDisposable
            {
                private readonly Dictionary<int, CancellationTokenSource> _running = new();

                public void Start(int id, CancellationToken token) => _running[id] = CancellationTokenSource.CreateLinkedTokenSource(token);

                public void Dispose()
                {
                    foreach (var cts in _running.Values) cts.Dispose();
                    _running.Clear();
                }
            }

            class HandedOn
            {
                private readonly ConcurrentDictionary<int, CancellationTokenSource> _running = new();

                public void Start(int id, CancellationToken token) => _running[id] = CancellationTokenSource.CreateLinkedTokenSource(token);

                public void Cancel(int id)
                {
                    if (_running.TryRemove(id, out var cts)) Sources.Release(cts);
                }
            }

            class ValuesHandedOn
            {
                private readonly ConcurrentDictionary<int, CancellationTokenSource> _running = new();

                public void Start(int id, CancellationToken token) => _running[id] = CancellationTokenSource.CreateLinkedTokenSource(token);

                public void Stop() => DisposeAll(_running.Values);

                private static void DisposeAll(IEnumerable<IDisposable> items) { }
            }

            class Exposed
            {
                private readonly ConcurrentDictionary<int, CancellationTokenSource> _running = new();

                public IReadOnlyDictionary<int, CancellationTokenSource> Running => _running;

                public void Start(int id, CancellationToken token) => _running[id] = CancellationTokenSource.CreateLinkedTokenSource(token);
            }

            class PlainSources
            {
                // A plain source holds no timer and no registration: not disposing it leaks nothing.
                private readonly ConcurrentDictionary<int, CancellationTokenSource> _running = new();

                public void Start(int id) => _running[id] = new CancellationTokenSource();

                public void Cancel(int id)
                {
                    if (_running.TryRemove(id, out var cts)) cts.Cancel();
                }
            }
            """);

    [Fact]
    public Task Field_sources_that_are_disposed_handed_off_or_set_once_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class Disposing
            {
                private CancellationTokenSource? _cts;

                public void Restart(CancellationToken token)
                {
                    _cts?.Cancel();
                    _cts?.Dispose();
                    _cts = CancellationTokenSource.CreateLinkedTokenSource(token);
                }
            }

            class Exchanging
            {
                private CancellationTokenSource? _cts;

                public void Restart(CancellationToken token)
                {
                    var previous = Interlocked.Exchange(ref _cts, CancellationTokenSource.CreateLinkedTokenSource(token));
                    previous?.Cancel();
                    previous?.Dispose();
                }
            }

            class ReadIntoLocal
            {
                private CancellationTokenSource? _cts;

                public void Restart(CancellationToken token)
                {
                    var old = _cts;
                    _cts = new CancellationTokenSource(1000);
                    old?.Dispose();
                }
            }

            sealed class OnceInConstructor : IDisposable
            {
                private readonly CancellationTokenSource _stopping;

                public OnceInConstructor(CancellationToken appToken) => _stopping = CancellationTokenSource.CreateLinkedTokenSource(appToken);

                public void Stop() => _stopping.Cancel();

                public void Dispose() => _stopping.Cancel();
            }

            class PlainSource
            {
                private CancellationTokenSource? _cts;

                public void Restart()
                {
                    _cts?.Cancel();
                    _cts = new CancellationTokenSource();
                }
            }

            class NotPrivate
            {
                internal CancellationTokenSource? Cts;

                public void Restart(CancellationToken token)
                {
                    Cts?.Cancel();
                    Cts = CancellationTokenSource.CreateLinkedTokenSource(token);
                }
            }

            class StartedOnce
            {
                // One source per start: StartAsync stores it, StopAsync cancels it.
                private CancellationTokenSource? _stopping;

                public Task StartAsync(Func<CancellationToken, Task> run, CancellationToken token)
                {
                    _stopping = CancellationTokenSource.CreateLinkedTokenSource(token);
                    return run(_stopping.Token);
                }

                public void Stop() => _stopping?.Cancel();
            }

            class NeverCancelled
            {
                // The type does not manage these sources: whoever reads the field owns them.
                private CancellationTokenSource? _cts;

                public CancellationToken Start(CancellationToken token)
                {
                    _cts = CancellationTokenSource.CreateLinkedTokenSource(token);
                    return _cts.Token;
                }
            }
            """);

    [Fact]
    public Task Linked_source_local_is_reported_and_gets_using_var()
        => Verify.VerifyCodeFixAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                async Task<int> GetAsync(CancellationToken appStopping)
                {
                    // per-call deadline
                    var {|#0:cts|} = CancellationTokenSource.CreateLinkedTokenSource(appStopping);
                    cts.CancelAfter(TimeSpan.FromSeconds(2));
                    await Task.Delay(10, cts.Token);
                    return 1;
                }
            }
            """,
            new[] { Verify.Diagnostic(TokenSourceNotDisposedAnalyzer.LocalRule).WithLocation(0).WithMessage("'cts' is a linked CancellationTokenSource that is never disposed: its registration on the parent token leaks until the parent is cancelled; use 'using'") },
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                async Task<int> GetAsync(CancellationToken appStopping)
                {
                    // per-call deadline
                    using var cts = CancellationTokenSource.CreateLinkedTokenSource(appStopping);
                    cts.CancelAfter(TimeSpan.FromSeconds(2));
                    await Task.Delay(10, cts.Token);
                    return 1;
                }
            }
            """);

    [Fact]
    public Task Timed_sources_are_reported_Fix_All()
        => Verify.VerifyCodeFixAsync(
            """
            using System;
            using System.Threading;

            class C
            {
                void Run(Action<CancellationToken> work)
                {
                    var {|#0:a|} = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                    var {|#1:b|} = new CancellationTokenSource();
                    b.CancelAfter(100);
                    work(a.Token);
                    work(b.Token);
                }
            }
            """,
            new[]
            {
                Verify.Diagnostic(TokenSourceNotDisposedAnalyzer.LocalRule).WithLocation(0).WithMessage("'a' is a timed CancellationTokenSource that is never disposed: its timer leaks until it fires; use 'using'"),
                Verify.Diagnostic(TokenSourceNotDisposedAnalyzer.LocalRule).WithLocation(1).WithArguments("b", "timed", "timer", "it fires"),
            },
            """
            using System;
            using System.Threading;

            class C
            {
                void Run(Action<CancellationToken> work)
                {
                    using var a = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                    using var b = new CancellationTokenSource();
                    b.CancelAfter(100);
                    work(a.Token);
                    work(b.Token);
                }
            }
            """);

    [Fact]
    public Task CSharp73_gets_a_using_statement()
        => new Verify.Test
        {
            ReferenceAssemblies = Verifiers.TestReferences.NetStandard20,
            LanguageVersion = Microsoft.CodeAnalysis.CSharp.LanguageVersion.CSharp7_3,
            TestCode = """
                using System;
                using System.Threading;

                class C
                {
                    void Run(Action<CancellationToken> work, CancellationToken ct)
                    {
                        var {|CONC403:cts|} = CancellationTokenSource.CreateLinkedTokenSource(ct);
                        work(cts.Token);
                        work(ct);
                    }
                }
                """,
            FixedCode = """
                using System;
                using System.Threading;

                class C
                {
                    void Run(Action<CancellationToken> work, CancellationToken ct)
                    {
                        using (var cts = CancellationTokenSource.CreateLinkedTokenSource(ct))
                        {
                            work(cts.Token);
                            work(ct);
                        }
                    }
                }
                """,
        }.RunAsync();

    [Fact]
    public Task Inline_timed_source_for_its_token_is_reported_without_fix()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                Task RunAsync() => Task.Delay(100, {|#0:new CancellationTokenSource(TimeSpan.FromSeconds(5))|}.Token);
            }
            """,
            Verify.Diagnostic(TokenSourceNotDisposedAnalyzer.InlineRule).WithLocation(0).WithArguments("timed"));

    [Fact]
    public Task Dropped_registration_on_a_caller_token_is_reported_and_kept_in_async_code()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                async Task WaitAsync(TaskCompletionSource<bool> tcs, CancellationToken ct)
                {
                    {|#0:ct.Register(() => tcs.TrySetCanceled())|};
                    await tcs.Task;
                }
            }
            """,
            new[] { Verify.Diagnostic(TokenSourceNotDisposedAnalyzer.RegistrationRule).WithLocation(0).WithArguments("ct") },
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                async Task WaitAsync(TaskCompletionSource<bool> tcs, CancellationToken ct)
                {
                    using var registration = ct.Register(() => tcs.TrySetCanceled());
                    await tcs.Task;
                }
            }
            """);

    [Fact]
    public Task Registration_in_a_task_returning_method_has_no_fix()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                Task WaitAsync(TaskCompletionSource<bool> tcs, CancellationToken ct)
                {
                    {|CONC403:ct.Register(() => tcs.TrySetCanceled())|};
                    return tcs.Task;
                }
            }
            """,
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                Task WaitAsync(TaskCompletionSource<bool> tcs, CancellationToken ct)
                {
                    {|CONC403:ct.Register(() => tcs.TrySetCanceled())|};
                    return tcs.Task;
                }
            }
            """);

    // The statement shape is asked of calls named Register and UnsafeRegister only (an invocation action by name):
    // both names, a dropped registration inside a lambda's statement, and a non-statement use that stays silent.
    [Fact]
    public Task Unsafe_registration_and_a_registration_in_a_lambda_statement_are_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                void Arm(TaskCompletionSource<bool> tcs, CancellationToken ct)
                {
                    {|CONC403:ct.UnsafeRegister(static s => ((TaskCompletionSource<bool>)s!).TrySetCanceled(), tcs)|};
                    Action arm = () => { {|CONC403:ct.Register(() => tcs.TrySetCanceled())|}; };
                    Func<CancellationTokenRegistration> kept = () => ct.Register(() => tcs.TrySetCanceled());
                    arm();
                    kept().Dispose();
                }
            }
            """);

    [Fact]
    public Task Registration_local_never_used_again_is_reported_one_disposed_or_handed_on_is_fine()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private CancellationTokenRegistration _kept;

                async Task WaitAsync(TaskCompletionSource<bool> tcs, CancellationToken ct)
                {
                    var registration = {|CONC403:ct.Register(() => tcs.TrySetCanceled())|};
                    await tcs.Task;
                }

                async Task DisposedAsync(TaskCompletionSource<bool> tcs, CancellationToken ct)
                {
                    var registration = ct.Register(() => tcs.TrySetCanceled());
                    try { await tcs.Task; }
                    finally { registration.Dispose(); }
                }

                async Task KeptAsync(TaskCompletionSource<bool> tcs, CancellationToken ct)
                {
                    var registration = ct.Register(() => tcs.TrySetCanceled());
                    _kept = registration;
                    using var owned = ct.Register(() => { });
                    await tcs.Task;
                }
            }
            """);

    [Fact]
    public Task Registration_that_alone_completes_the_returned_task_is_fine_one_completed_elsewhere_too_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            static class TokenExtensions
            {
                public static Task WhenCancelled(this CancellationToken ct)
                {
                    var tcs = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                    ct.Register(static s => ((TaskCompletionSource<bool>)s!).TrySetResult(true), tcs);
                    return tcs.Task;
                }

                public static Task WhenCancelledCaptured(this CancellationToken ct)
                {
                    var tcs = new TaskCompletionSource<bool>();
                    ct.Register(() => tcs.TrySetCanceled());
                    return tcs.Task;
                }

                public static Task<int> FromCallback(Action<Action<int>> subscribe, CancellationToken ct)
                {
                    var tcs = new TaskCompletionSource<int>();
                    {|CONC403:ct.Register(() => tcs.TrySetCanceled())|};
                    subscribe(v => tcs.TrySetResult(v));
                    return tcs.Task;
                }
            }
            """);

    // ---- negatives ----

    [Fact]
    public Task Disposed_returned_or_handed_off_sources_are_fine()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Collections.Generic;
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private CancellationTokenSource? _cts;
                private readonly List<CancellationTokenSource> _all = new();

                async Task A(CancellationToken ct)
                {
                    var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    try { await Task.Delay(1, cts.Token); } finally { cts.Dispose(); }
                }

                CancellationTokenSource B(CancellationToken ct)
                {
                    var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    cts.CancelAfter(100);
                    return cts;
                }

                void D(CancellationToken ct)
                {
                    var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    _cts = cts;
                    var other = new CancellationTokenSource(1000);
                    _all.Add(other);
                    using var u = new CancellationTokenSource(100);
                    using (var v = CancellationTokenSource.CreateLinkedTokenSource(ct)) { }
                    var w = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    w?.Dispose();
                }
            }
            """);

    [Fact]
    public Task Plain_source_without_timer_is_fine()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading;

            class C
            {
                void Run()
                {
                    var cts = new CancellationTokenSource();
                    cts.Cancel();
                }
            }
            """);

    [Fact]
    public Task Source_owned_by_a_disposable_field_is_fine()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;

            sealed class Worker : IDisposable
            {
                private readonly CancellationTokenSource _stopping;
                public Worker(CancellationToken appStopping) => _stopping = CancellationTokenSource.CreateLinkedTokenSource(appStopping);
                public void Dispose() => _stopping.Dispose();
            }
            """);

    [Fact]
    public Task Kept_registrations_and_registrations_on_owned_tokens_are_fine()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private CancellationTokenRegistration _registration;

                public C(CancellationToken appStopping) { appStopping.Register(() => { }); }

                async Task RunAsync(CancellationToken ct)
                {
                    using var reg = ct.Register(() => { });
                    _registration = ct.Register(() => { });
                    using var cts = new CancellationTokenSource();
                    cts.Token.Register(() => { });
                    await Task.Yield();
                }
            }
            """);

    // ---- disposed only on some paths ----

    [Fact]
    public Task Early_return_before_the_Dispose_is_reported_and_the_Dispose_becomes_a_using()
        => Verify.VerifyCodeFixAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                async Task<string?> GetAsync(Func<CancellationToken, Task<string>> fetch, bool cached, CancellationToken appStopping)
                {
                    var {|#0:cts|} = CancellationTokenSource.CreateLinkedTokenSource(appStopping);
                    if (cached)
                    {
                        return null;
                    }

                    var body = await fetch(cts.Token).ConfigureAwait(false);
                    {|#1:cts.Dispose();|}
                    return body;
                }
            }
            """,
            new[] { Verify.Diagnostic(TokenSourceNotDisposedAnalyzer.SomePathsRule).WithLocation(0).WithLocation(1).WithArguments("cts", "linked", "registration on the parent token", "the return on line 12") },
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                async Task<string?> GetAsync(Func<CancellationToken, Task<string>> fetch, bool cached, CancellationToken appStopping)
                {
                    using var cts = CancellationTokenSource.CreateLinkedTokenSource(appStopping);
                    if (cached)
                    {
                        return null;
                    }

                    var body = await fetch(cts.Token).ConfigureAwait(false);
                    return body;
                }
            }
            """);

    [Fact]
    public Task Await_on_the_own_token_without_try_is_reported_Fix_All_keeps_comments()
        => Verify.VerifyCodeFixAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                async Task PingAsync(Func<CancellationToken, Task> ping)
                {
                    var {|#0:deadline|} = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                    await ping(deadline.Token);
                    // release the timer
                    {|#2:deadline.Dispose();|}
                }

                async Task PollAsync(Func<CancellationToken, Task> poll, CancellationToken ct)
                {
                    var {|#1:linked|} = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    linked.CancelAfter(500);
                    await poll(linked.Token);
                    {|#3:linked.Dispose();|} // done
                    Console.WriteLine("polled");
                }
            }
            """,
            new[]
            {
                Verify.Diagnostic(TokenSourceNotDisposedAnalyzer.SomePathsRule).WithLocation(0).WithLocation(2)
                    .WithArguments("deadline", "timed", "timer", "an exception from the await on line 10 (its own cancellation included)"),
                Verify.Diagnostic(TokenSourceNotDisposedAnalyzer.SomePathsRule).WithLocation(1).WithLocation(3)
                    .WithArguments("linked", "linked", "registration on the parent token", "an exception from the await on line 19 (its own cancellation included)"),
            },
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                async Task PingAsync(Func<CancellationToken, Task> ping)
                {
                    using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                    await ping(deadline.Token);
                    // release the timer
                }

                async Task PollAsync(Func<CancellationToken, Task> poll, CancellationToken ct)
                {
                    using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    linked.CancelAfter(500);
                    await poll(linked.Token);
                    // done
                    Console.WriteLine("polled");
                }
            }
            """);

    [Fact]
    public Task Break_out_of_the_loop_and_throw_skip_the_Dispose()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;

            class C
            {
                void Drain(Func<CancellationToken, bool> step, CancellationToken ct)
                {
                    while (true)
                    {
                        var {|#0:cts|} = CancellationTokenSource.CreateLinkedTokenSource(ct);
                        if (!step(cts.Token))
                        {
                            break;
                        }

                        {|#2:cts.Dispose();|}
                    }
                }

                void Check(Func<CancellationToken, bool> step)
                {
                    var {|#1:cts|} = new CancellationTokenSource(1000);
                    if (!step(cts.Token))
                        throw new InvalidOperationException("step failed");
                    {|#3:cts.Dispose();|}
                }

                void Armed(Func<CancellationToken, bool> step)
                {
                    var {|#4:cts|} = new CancellationTokenSource();
                    cts.CancelAfter(100);
                    if (!step(cts.Token)) return;
                    {|#5:cts.Dispose();|}
                }
            }
            """,
            Verify.Diagnostic(TokenSourceNotDisposedAnalyzer.SomePathsRule).WithLocation(4).WithLocation(5).WithArguments("cts", "timed", "timer", "the return on line 32"),
            Verify.Diagnostic(TokenSourceNotDisposedAnalyzer.SomePathsRule).WithLocation(0).WithLocation(2).WithArguments("cts", "linked", "registration on the parent token", "the jump on line 13"),
            Verify.Diagnostic(TokenSourceNotDisposedAnalyzer.SomePathsRule).WithLocation(1).WithLocation(3).WithArguments("cts", "timed", "timer", "the throw on line 24"));

    [Fact]
    public Task Dispose_also_in_an_embedded_statement_has_no_fix()
        => Verify.VerifyCodeFixAsync(
            """
            using System;
            using System.Threading;

            class C
            {
                int Run(Func<CancellationToken, int> step, CancellationToken ct)
                {
                    var {|#0:cts|} = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    var n = step(cts.Token);
                    if (n < 0)
                        {|#1:cts.Dispose();|}
                    if (n == 0)
                        return 0;
                    {|#2:cts.Dispose();|}
                    return n;
                }
            }
            """,
            new[] { Verify.Diagnostic(TokenSourceNotDisposedAnalyzer.SomePathsRule).WithLocation(0).WithLocation(1).WithLocation(2).WithArguments("cts", "linked", "registration on the parent token", "the return on line 13") },
            """
            using System;
            using System.Threading;

            class C
            {
                int Run(Func<CancellationToken, int> step, CancellationToken ct)
                {
                    var {|#0:cts|} = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    var n = step(cts.Token);
                    if (n < 0)
                        {|#1:cts.Dispose();|}
                    if (n == 0)
                        return 0;
                    {|#2:cts.Dispose();|}
                    return n;
                }
            }
            """);

    [Fact]
    public Task Reassigned_source_is_reported_without_fix()
        => Verify.VerifyCodeFixAsync(
            """
            using System;
            using System.Threading;

            class C
            {
                void Run(Func<CancellationToken, bool> step, CancellationToken ct)
                {
                    var {|CONC403:cts|} = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    if (!step(cts.Token))
                    {
                        return;
                    }

                    cts.Dispose();
                    cts = new CancellationTokenSource();
                    step(cts.Token);
                }
            }
            """,
            """
            using System;
            using System.Threading;

            class C
            {
                void Run(Func<CancellationToken, bool> step, CancellationToken ct)
                {
                    var {|CONC403:cts|} = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    if (!step(cts.Token))
                    {
                        return;
                    }

                    cts.Dispose();
                    cts = new CancellationTokenSource();
                    step(cts.Token);
                }
            }
            """);

    [Fact]
    public Task CSharp73_early_return_gets_a_using_statement_without_the_Dispose()
        => new Verify.Test
        {
            ReferenceAssemblies = Verifiers.TestReferences.NetStandard20,
            LanguageVersion = Microsoft.CodeAnalysis.CSharp.LanguageVersion.CSharp7_3,
            TestCode = """
                using System;
                using System.Threading;

                class C
                {
                    bool Run(Func<CancellationToken, bool> step, CancellationToken ct)
                    {
                        var {|CONC403:cts|} = CancellationTokenSource.CreateLinkedTokenSource(ct);
                        if (!step(cts.Token))
                            return false;
                        cts.Dispose();
                        return true;
                    }
                }
                """,
            FixedCode = """
                using System;
                using System.Threading;

                class C
                {
                    bool Run(Func<CancellationToken, bool> step, CancellationToken ct)
                    {
                        using (var cts = CancellationTokenSource.CreateLinkedTokenSource(ct))
                        {
                            if (!step(cts.Token))
                                return false;
                            return true;
                        }
                    }
                }
                """,
        }.RunAsync();

    [Fact]
    public Task Every_path_disposed_or_handled_is_fine()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                async Task<int> A(Func<CancellationToken, Task<int>> work, bool skip, CancellationToken ct)
                {
                    var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    if (skip)
                    {
                        Console.WriteLine("skipped");
                        cts.Dispose();
                        return 0;
                    }

                    int n;
                    try
                    {
                        n = await work(cts.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        n = -1;
                    }

                    cts.Dispose();
                    return n;
                }

                async Task B(Task work)
                {
                    var cts = new CancellationTokenSource(1000);
                    await Task.WhenAny(work, Task.Delay(-1, cts.Token)).ConfigureAwait(false);
                    await SaveAsync();
                    cts.Dispose();
                }

                void D(Func<CancellationToken, bool> step, CancellationToken ct)
                {
                    var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    foreach (var i in new[] { 1, 2 })
                    {
                        if (step(cts.Token)) break;
                        if (i > 1) continue;
                    }

                    Func<int> f = () => { return 1; };
                    int Local() { return 2; }
                    cts.Dispose();
                }

                Task SaveAsync() => Task.CompletedTask;
            }
            """);

    [Fact]
    public Task Ownership_moved_or_covered_on_the_early_path_is_fine()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class C
            {
                private CancellationTokenSource? _current;

                CancellationTokenSource? A(bool keep, CancellationToken ct)
                {
                    var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    if (keep)
                    {
                        return cts;
                    }

                    cts.Dispose();
                    return null;
                }

                Task B(Func<CancellationToken, Task> work, bool skip, CancellationToken ct)
                {
                    var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    if (skip)
                    {
                        return Task.CompletedTask;
                    }

                    var task = work(cts.Token);
                    task.ContinueWith(_ => cts.Dispose());
                    cts.Dispose();
                    return task;
                }

                void D(bool skip, CancellationToken ct)
                {
                    var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    if (skip)
                    {
                        return;
                    }

                    using (cts)
                    {
                        Console.WriteLine(cts.Token.IsCancellationRequested);
                    }

                    cts.Dispose();
                }

                async Task E(Func<CancellationToken, Task> work, CancellationToken ct)
                {
                    var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    try
                    {
                        await work(cts.Token);
                    }
                    catch
                    {
                        cts.Dispose();
                        throw;
                    }

                    _current = cts;
                }

                void F(bool skip)
                {
                    var plain = new CancellationTokenSource();
                    if (skip)
                    {
                        return;
                    }

                    plain.Cancel();
                    plain.Dispose();
                }

                void G(bool skip, Action<CancellationToken> work)
                {
                    var later = new CancellationTokenSource();
                    if (skip)
                    {
                        return; // no timer yet: nothing leaks
                    }

                    later.CancelAfter(100);
                    work(later.Token);
                    later.Dispose();
                }
            }
            """);

    [Fact]
    public Task Missing_types_and_half_typed_code_do_not_crash()
        => new Verify.Test
        {
            TestCode = """
                using System.Threading;
                class C
                {
                    void Run(CancellationToken ct)
                    {
                        var cts = CancellationTokenSource.CreateLinkedTokenSource(
                        ct.Register(
                    }
                }
                """,
            CompilerDiagnostics = CompilerDiagnostics.None,
        }.RunAsync();

    [Fact]
    public Task A_background_services_one_registration_on_its_stopping_token_is_fine_one_per_iteration_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            namespace Microsoft.Extensions.Hosting
            {
                public abstract class BackgroundService
                {
                    protected abstract Task ExecuteAsync(CancellationToken stoppingToken);
                }
            }

            class GracePeriodWorker : Microsoft.Extensions.Hosting.BackgroundService
            {
                protected override async Task ExecuteAsync(CancellationToken stoppingToken)
                {
                    stoppingToken.Register(() => Console.WriteLine("stopping"));
                    while (!stoppingToken.IsCancellationRequested)
                    {
                        {|CONC403:stoppingToken.Register(() => Console.WriteLine("tick cancelled"))|};
                        await Task.Delay(1000, stoppingToken);
                    }
                }

                public async Task StartAsync(CancellationToken cancellationToken)
                {
                    {|CONC403:cancellationToken.Register(() => Console.WriteLine("start aborted"))|};
                    await Task.Yield();
                }
            }

            class NotAService
            {
                protected async Task ExecuteAsync(CancellationToken stoppingToken)
                {
                    {|CONC403:stoppingToken.Register(() => Console.WriteLine("stopping"))|};
                    await Task.Yield();
                }
            }
            """);
}
