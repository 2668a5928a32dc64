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
            new[] { Verify.Diagnostic(TokenSourceNotDisposedAnalyzer.LocalRule).WithLocation(0).WithArguments("cts", "linked", "registration on the parent token") },
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
                Verify.Diagnostic(TokenSourceNotDisposedAnalyzer.LocalRule).WithLocation(0).WithArguments("a", "timed", "timer"),
                Verify.Diagnostic(TokenSourceNotDisposedAnalyzer.LocalRule).WithLocation(1).WithArguments("b", "timed", "timer"),
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
}
