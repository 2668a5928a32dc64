using ConcurrencyAnalyzers.Cancellation;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<
    ConcurrencyAnalyzers.Cancellation.CancellationSwallowedAnalyzer,
    ConcurrencyAnalyzers.CodeFixes.Cancellation.CancellationSwallowedCodeFix>;

namespace ConcurrencyAnalyzers.Tests.Cancellation;

public sealed class CancellationSwallowedTests
{
    private const string Api = """
        using System;
        using System.Threading;
        using System.Threading.Tasks;

        interface IApi { Task<int> CallAsync(CancellationToken ct); void Log(Exception ex); }

        """;

    [Fact]
    public Task Retry_loop_catch_all_is_reported_and_filtered()
        => Verify.VerifyCodeFixAsync(
            Api + """
            class C
            {
                async Task<int> RunAsync(IApi api, CancellationToken ct)
                {
                    while (true)
                    {
                        try
                        {
                            return await api.CallAsync(ct);
                        }
                        {|#0:catch (Exception ex)|} // transient
                        {
                            api.Log(ex);
                        }
                    }
                }
            }
            """,
            new[] { Verify.Diagnostic(CancellationSwallowedAnalyzer.Rule).WithLocation(0).WithArguments("ct") },
            Api + """
            class C
            {
                async Task<int> RunAsync(IApi api, CancellationToken ct)
                {
                    while (true)
                    {
                        try
                        {
                            return await api.CallAsync(ct);
                        }
                        catch (Exception ex) when (ex is not OperationCanceledException) // transient
                        {
                            api.Log(ex);
                        }
                    }
                }
            }
            """);

    [Fact]
    public Task Unnamed_bare_and_filtered_catches_Fix_All()
        => Verify.VerifyCodeFixAsync(
            Api + """
            class C
            {
                async Task RunAsync(IApi api, CancellationToken ct)
                {
                    for (var attempt = 0; ; attempt++)
                    {
                        try { await api.CallAsync(ct); }
                        {|CONC405:catch (Exception)|} { }
                    }
                }

                async Task OtherAsync(IApi api, CancellationToken ct, bool a, bool b)
                {
                    while (true)
                    {
                        try { await api.CallAsync(ct); }
                        {|CONC405:catch|} { }
                    }
                }

                async Task ThirdAsync(IApi api, CancellationToken ct, bool a, bool b)
                {
                    do
                    {
                        try { await api.CallAsync(ct); }
                        {|CONC405:catch (Exception e)|} when (a || b) { api.Log(e); }
                    }
                    while (a);
                }
            }
            """,
            Api + """
            class C
            {
                async Task RunAsync(IApi api, CancellationToken ct)
                {
                    for (var attempt = 0; ; attempt++)
                    {
                        try { await api.CallAsync(ct); }
                        catch (Exception ex) when (ex is not OperationCanceledException) { }
                    }
                }

                async Task OtherAsync(IApi api, CancellationToken ct, bool a, bool b)
                {
                    while (true)
                    {
                        try { await api.CallAsync(ct); }
                        catch (Exception ex) when (ex is not OperationCanceledException) { }
                    }
                }

                async Task ThirdAsync(IApi api, CancellationToken ct, bool a, bool b)
                {
                    do
                    {
                        try { await api.CallAsync(ct); }
                        catch (Exception e) when ((a || b) && e is not OperationCanceledException) { api.Log(e); }
                    }
                    while (a);
                }
            }
            """);

    [Fact]
    public Task CSharp73_gets_a_negated_is()
        => new Verify.Test
        {
            ReferenceAssemblies = Verifiers.TestReferences.NetStandard20,
            LanguageVersion = Microsoft.CodeAnalysis.CSharp.LanguageVersion.CSharp7_3,
            TestCode = Api + """
                class C
                {
                    async Task RunAsync(IApi api, CancellationToken ct)
                    {
                        while (true)
                        {
                            try { await api.CallAsync(ct); }
                            {|CONC405:catch (Exception ex)|} { api.Log(ex); }
                        }
                    }
                }
                """,
            FixedCode = Api + """
                class C
                {
                    async Task RunAsync(IApi api, CancellationToken ct)
                    {
                        while (true)
                        {
                            try { await api.CallAsync(ct); }
                            catch (Exception ex) when (!(ex is OperationCanceledException)) { api.Log(ex); }
                        }
                    }
                }
                """,
        }.RunAsync();

    // ---- negatives ----

    [Fact]
    public Task Loop_that_checks_the_token_elsewhere_is_fine()
        => Verify.VerifyAnalyzerAsync(Api + """
            class C
            {
                async Task RunAsync(IApi api, CancellationToken ct)
                {
                    while (!ct.IsCancellationRequested)
                    {
                        try { await api.CallAsync(ct); }
                        catch (Exception ex) { api.Log(ex); }
                    }

                    while (true)
                    {
                        try { await api.CallAsync(ct); }
                        catch (Exception ex) { api.Log(ex); }
                        await Task.Delay(1000, ct);
                    }
                }
            }
            """);

    [Fact]
    public Task Handlers_that_filter_rethrow_or_leave_are_fine()
        => Verify.VerifyAnalyzerAsync(Api + """
            class C
            {
                async Task RunAsync(IApi api, CancellationToken ct)
                {
                    while (true)
                    {
                        try { await api.CallAsync(ct); }
                        catch (OperationCanceledException) when (ct.IsCancellationRequested) { throw; }
                        catch (Exception ex) { api.Log(ex); }
                        try { await api.CallAsync(ct); }
                        catch (Exception ex) when (ex is not OperationCanceledException) { api.Log(ex); }
                        try { await api.CallAsync(ct); }
                        catch (Exception ex) when (!ct.IsCancellationRequested) { api.Log(ex); }
                        try { await api.CallAsync(ct); }
                        catch (Exception ex) { api.Log(ex); throw; }
                        try { await api.CallAsync(ct); }
                        catch (Exception) { break; }
                        try { await api.CallAsync(ct); }
                        catch (Exception) { if (ct.IsCancellationRequested) return; }
                    }
                }
            }
            """);

    [Fact]
    public Task Catch_all_outside_a_loop_or_without_token_work_is_fine()
        => Verify.VerifyAnalyzerAsync(Api + """
            class C
            {
                async Task RunAsync(IApi api, CancellationToken ct)
                {
                    try { await api.CallAsync(ct); }
                    catch (Exception ex) { api.Log(ex); }

                    while (true)
                    {
                        try { await api.CallAsync(CancellationToken.None); }
                        catch (Exception ex) { api.Log(ex); }
                    }
                }
            }
            """);

    [Fact]
    public Task Specific_exception_types_are_fine()
        => Verify.VerifyAnalyzerAsync(Api + """
            class C
            {
                async Task RunAsync(IApi api, CancellationToken ct)
                {
                    while (true)
                    {
                        try { await api.CallAsync(ct); }
                        catch (TimeoutException ex) { api.Log(ex); }
                        catch (InvalidOperationException ex) { api.Log(ex); }
                    }
                }
            }
            """);

    [Fact]
    public Task Lambda_retry_loop_with_SystemException_is_reported_without_touching_earlier_specific_catches()
        => Verify.VerifyCodeFixAsync(Api + """
            class C
            {
                Task Start(IApi api, CancellationToken ct) => Task.Run(async () =>
                {
                    while (true)
                    {
                        try { await api.CallAsync(ct); }
                        catch (TimeoutException) { }
                        {|CONC405:catch (SystemException ex)|} { api.Log(ex); }
                    }
                });
            }
            """, Api + """
            class C
            {
                Task Start(IApi api, CancellationToken ct) => Task.Run(async () =>
                {
                    while (true)
                    {
                        try { await api.CallAsync(ct); }
                        catch (TimeoutException) { }
                        catch (SystemException ex) when (ex is not OperationCanceledException) { api.Log(ex); }
                    }
                });
            }
            """);

    [Fact]
    public Task Foreach_over_listeners_makes_one_attempt_each_and_is_fine()
        => Verify.VerifyAnalyzerAsync(Api + """
            class C
            {
                async Task NotifyAsync(System.Collections.Generic.IReadOnlyList<IApi> listeners, CancellationToken ct)
                {
                    // Every listener is told; one failing listener must not stop the others.
                    foreach (var listener in listeners)
                    {
                        try { await listener.CallAsync(ct); }
                        catch (Exception ex) { listener.Log(ex); }
                    }
                }

                async Task ShutdownAllAsync(IApi[] schedulers, CancellationToken ct)
                {
                    System.Collections.Generic.List<Exception>? failures = null;
                    foreach (var scheduler in schedulers)
                    {
                        try { await scheduler.CallAsync(ct); }
                        catch (Exception ex) { (failures ??= new()).Add(ex); }
                    }
                }
            }
            """);

    [Fact]
    public Task Foreach_over_an_endless_consuming_stream_is_reported()
        => Verify.VerifyAnalyzerAsync(Api + """
            class C
            {
                async Task ConsumeAsync(System.Collections.Concurrent.BlockingCollection<IApi> queue, CancellationToken ct)
                {
                    foreach (var work in queue.GetConsumingEnumerable())
                    {
                        try { await work.CallAsync(ct); }
                        {|#0:catch (Exception ex)|} { work.Log(ex); }
                    }
                }
            }
            """,
            Verify.Diagnostic(CancellationSwallowedAnalyzer.Rule).WithLocation(0).WithArguments("ct"));

    [Fact]
    public Task Handler_calling_a_throw_helper_leaves_the_loop()
        => Verify.VerifyAnalyzerAsync(Api + """
            static class Throw
            {
                [System.Diagnostics.CodeAnalysis.DoesNotReturn]
                public static void Persistence(string message, Exception inner) => throw new InvalidOperationException(message, inner);

                public static void Log(string message) { }
            }

            class C
            {
                async Task RunAsync(IApi api, CancellationToken ct)
                {
                    do
                    {
                        try { await api.CallAsync(ct); break; }
                        catch (Exception e) { Throw.Persistence("Couldn't acquire: " + e.Message, e); }
                    } while (true);
                }

                async Task LogsAndRetriesAsync(IApi api, CancellationToken ct)
                {
                    do
                    {
                        try { await api.CallAsync(ct); break; }
                        {|#0:catch (Exception e)|} { Throw.Log(e.Message); }
                    } while (true);
                }
            }
            """,
            Verify.Diagnostic(CancellationSwallowedAnalyzer.Rule).WithLocation(0).WithArguments("ct"));

    [Fact]
    public Task No_token_in_scope_is_fine()
        => Verify.VerifyAnalyzerAsync(Api + """
            class C
            {
                private readonly CancellationTokenSource _cts = new();

                async Task RunAsync(IApi api)
                {
                    while (true)
                    {
                        try { await api.CallAsync(_cts.Token); }
                        catch (Exception ex) { api.Log(ex); }
                    }
                }
            }
            """);

    [Fact]
    public Task Earlier_catch_all_filtered_on_the_loop_token_takes_the_cancellation_first()
        => Verify.VerifyAnalyzerAsync(Api + """
            class C
            {
                // An event loop: a cancelled token goes to the first clause and is rethrown.
                async Task ProcessAsync(IApi api, System.Threading.Channels.ChannelReader<int> reader, CancellationToken cancellationToken)
                {
                    while (await reader.WaitToReadAsync())
                    {
                        while (reader.TryRead(out var item))
                        {
                            try { await api.CallAsync(cancellationToken); }
                            catch when (cancellationToken.IsCancellationRequested) { throw; }
                            catch (Exception ex) { api.Log(ex); }
                        }
                    }
                }

                async Task EitherAsync(IApi api, CancellationTokenSource cts, CancellationToken ct)
                {
                    while (true)
                    {
                        try { await api.CallAsync(cts.Token); }
                        catch (Exception) when (ct.IsCancellationRequested || cts.Token.IsCancellationRequested) { throw; }
                        catch (Exception ex) { api.Log(ex); }
                    }
                }
            }
            """);

    [Fact]
    public Task Earlier_clause_filtered_on_another_token_or_negated_does_not_take_the_cancellation()
        => Verify.VerifyAnalyzerAsync(Api + """
            class C
            {
                private CancellationToken _other;

                async Task RunAsync(IApi api, CancellationToken ct)
                {
                    while (true)
                    {
                        try { await api.CallAsync(ct); }
                        catch when (_other.IsCancellationRequested) { throw; }
                        {|CONC405:catch (Exception ex)|} { api.Log(ex); }
                    }
                }

                async Task NegatedAsync(IApi api, CancellationToken ct)
                {
                    while (true)
                    {
                        try { await api.CallAsync(ct); }
                        catch (TimeoutException) when (!ct.IsCancellationRequested) { }
                        {|CONC405:catch (Exception ex)|} { api.Log(ex); }
                    }
                }

                async Task BothAsync(IApi api, CancellationToken ct, bool verbose)
                {
                    while (true)
                    {
                        try { await api.CallAsync(ct); }
                        catch when (verbose && ct.IsCancellationRequested) { throw; }
                        {|CONC405:catch (Exception ex)|} { api.Log(ex); }
                    }
                }
            }
            """);

    [Fact]
    public Task Half_typed_code_does_not_crash()
        => new Verify.Test
        {
            TestCode = Api + """
                class C
                {
                    async Task RunAsync(IApi api, CancellationToken ct)
                    {
                        while (true) { try { await api.CallAsync(ct } catch (Exception ex { throw
                    }
                }
                """,
            CompilerDiagnostics = CompilerDiagnostics.None,
        }.RunAsync();
}
