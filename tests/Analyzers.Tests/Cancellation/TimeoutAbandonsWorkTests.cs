using ConcurrencyAnalyzers.Cancellation;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpAnalyzerVerifier<
    ConcurrencyAnalyzers.Cancellation.TimeoutAbandonsWorkAnalyzer>;

namespace ConcurrencyAnalyzers.Tests.Cancellation;

public sealed class TimeoutAbandonsWorkTests
{
    private const string Db = """
        using System;
        using System.Threading;
        using System.Threading.Tasks;

        class Db
        {
            public Task<int> QueryAsync(string sql) => Task.FromResult(0);
            public Task<int> QueryAsync(string sql, CancellationToken ct) => Task.FromResult(0);
            public Task<int> CountAsync(CancellationToken ct = default) => Task.FromResult(0);
            public Task<int> LegacyAsync(string sql) => Task.FromResult(0);
        }

        """;

    [Fact]
    public Task WhenAny_with_Delay_over_work_without_token_is_reported()
        => Verify.VerifyAnalyzerAsync(Db + """
            class C
            {
                async Task<int> RunAsync(Db db, string sql)
                {
                    var query = db.QueryAsync(sql);
                    if (await Task.{|#0:WhenAny|}(query, Task.Delay(TimeSpan.FromSeconds(1))) != query)
                        throw new TimeoutException();
                    return await query;
                }
            }
            """, Verify.Diagnostic(TimeoutAbandonsWorkAnalyzer.Rule).WithLocation(0).WithArguments("WhenAny", "QueryAsync"));

    [Fact]
    public Task WaitAsync_timeout_on_work_without_token_is_reported()
        => Verify.VerifyAnalyzerAsync(Db + """
            class C
            {
                Task<int> RunAsync(Db db) => db.CountAsync().{|#0:WaitAsync|}(TimeSpan.FromSeconds(1));
            }
            """, Verify.Diagnostic(TimeoutAbandonsWorkAnalyzer.Rule).WithLocation(0).WithArguments("WaitAsync", "CountAsync"));

    [Fact]
    public Task Timeout_guard_in_a_test_method_is_not_reported_helpers_and_plain_methods_are()
        => Verify.VerifyAnalyzerAsync(Db + """
            namespace Xunit { public sealed class FactAttribute : System.Attribute { } public sealed class TheoryAttribute : System.Attribute { } }
            namespace NUnit.Framework { public sealed class TestAttribute : System.Attribute { } }

            class Tests
            {
                // The timeout only keeps a hanging test from hanging the run: on timeout the test fails.
                [Xunit.Fact]
                public async Task Query_completes(Db db)
                {
                    var count = db.CountAsync();
                    await count.WaitAsync(TimeSpan.FromSeconds(5));
                    await Task.Run(() => db.QueryAsync("x").WaitAsync(TimeSpan.FromSeconds(5)));
                }

                [Xunit.Theory]
                public Task Theory_completes(Db db) => db.CountAsync().WaitAsync(TimeSpan.FromSeconds(5));

                [NUnit.Framework.Test]
                public async Task Race_completes(Db db)
                {
                    var query = db.QueryAsync("x");
                    await Task.WhenAny(query, Task.Delay(5000));
                }

                // Not a test: a helper that production-like code could call.
                public Task<int> Helper(Db db) => db.CountAsync().{|CONC404:WaitAsync|}(TimeSpan.FromSeconds(5));
            }
            """);

    [Fact]
    public Task Inline_work_in_WhenAny_array_is_reported()
        => Verify.VerifyAnalyzerAsync(Db + """
            class C
            {
                async Task RunAsync(Db db)
                {
                    await Task.{|CONC404:WhenAny|}(new[] { db.QueryAsync("x"), Task.Delay(100) });
                }
            }
            """);

    [Fact]
    public Task Work_in_a_method_with_a_token_is_CONC404_not_CONC401()
        => new CSharpAnalyzerTestWithBoth
        {
            TestCode = Db + """
                class C
                {
                    Task<int> RunAsync(Db db, CancellationToken ct) => db.CountAsync().{|CONC404:WaitAsync|}(TimeSpan.FromSeconds(1));
                }
                """,
        }.RunAsync();

    // ---- negatives ----

    [Fact]
    public Task Work_that_got_a_token_is_fine()
        => Verify.VerifyAnalyzerAsync(Db + """
            class C
            {
                async Task<int> RunAsync(Db db, CancellationToken ct)
                {
                    using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    cts.CancelAfter(1000);
                    var query = db.QueryAsync("x", cts.Token);
                    await Task.WhenAny(query, Task.Delay(1000, ct));
                    return await db.CountAsync(cts.Token).WaitAsync(TimeSpan.FromSeconds(1));
                }
            }
            """);

    [Fact]
    public Task Work_without_a_cancellable_API_is_fine()
        => Verify.VerifyAnalyzerAsync(Db + """
            class C
            {
                async Task<int> RunAsync(Db db)
                {
                    var legacy = db.LegacyAsync("x");
                    await Task.WhenAny(legacy, Task.Delay(1000));
                    return await db.LegacyAsync("y").WaitAsync(TimeSpan.FromSeconds(1));
                }
            }
            """);

    [Fact]
    public Task WhenAny_without_Delay_and_WaitAsync_with_a_token_are_fine()
        => Verify.VerifyAnalyzerAsync(Db + """
            class C
            {
                async Task RunAsync(Db db, CancellationToken ct)
                {
                    await Task.WhenAny(db.QueryAsync("a"), db.QueryAsync("b"));
                    await db.CountAsync().WaitAsync(ct);
                }
            }
            """);

    [Fact]
    public Task Task_reassigned_is_not_guessed()
        => Verify.VerifyAnalyzerAsync(Db + """
            class C
            {
                async Task RunAsync(Db db, CancellationToken ct)
                {
                    var work = db.QueryAsync("a");
                    work = db.QueryAsync("b", ct);
                    await Task.WhenAny(work, Task.Delay(10));
                }
            }
            """);

    private const string Inbox = """

        class Inbox
        {
            public ValueTask<string> ReadAsync(CancellationToken ct = default) => new("x");
            public ValueTask<string> PeekAsync() => new("x");
        }

        """;

    [Fact]
    public Task ValueTask_work_converted_with_AsTask_that_got_a_token_or_has_no_cancellable_API_is_fine()
        => Verify.VerifyAnalyzerAsync(Db + Inbox + """
            class C
            {
                async Task<string> RunAsync(Inbox inbox, CancellationToken ct)
                {
                    using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    cts.CancelAfter(TimeSpan.FromSeconds(5));
                    var first = await inbox.ReadAsync(cts.Token).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
                    var pending = inbox.ReadAsync(cts.Token).AsTask();
                    await Task.WhenAny(pending, Task.Delay(1000, ct));
                    return first + await inbox.PeekAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(1));
                }
            }
            """);

    [Fact]
    public Task ValueTask_work_converted_with_AsTask_without_a_token_is_reported()
        => Verify.VerifyAnalyzerAsync(Db + Inbox + """
            class C
            {
                async Task<string?> WaitForReplyAsync(Inbox inbox)
                {
                    try
                    {
                        return await inbox.ReadAsync().AsTask().{|#0:WaitAsync|}(TimeSpan.FromSeconds(5));
                    }
                    catch (TimeoutException)
                    {
                        return null;
                    }
                }

                async Task<string> RaceAsync(Inbox inbox)
                {
                    var read = inbox.ReadAsync().AsTask();
                    if (await Task.{|#1:WhenAny|}(read, Task.Delay(1000)) != read) throw new TimeoutException();
                    return await read;
                }
            }
            """,
            Verify.Diagnostic(TimeoutAbandonsWorkAnalyzer.Rule).WithLocation(0).WithArguments("WaitAsync", "ReadAsync"),
            Verify.Diagnostic(TimeoutAbandonsWorkAnalyzer.Rule).WithLocation(1).WithArguments("WhenAny", "ReadAsync"));

    [Fact]
    public Task ValueTask_work_converted_with_AsTask_in_a_method_with_a_token_is_CONC404_not_CONC401()
        => new CSharpAnalyzerTestWithBoth
        {
            TestCode = Db + Inbox + """
                class C
                {
                    Task<string> RunAsync(Inbox inbox, CancellationToken ct) => inbox.ReadAsync().AsTask().{|CONC404:WaitAsync|}(TimeSpan.FromSeconds(1));
                }
                """,
        }.RunAsync();

    [Fact]
    public Task Work_given_None_explicitly_and_raced_is_CONC404_commented_or_in_cleanup_it_is_not()
        => new CSharpAnalyzerTestWithBoth
        {
            TestCode = """
                using System;
                using System.Threading;
                using System.Threading.Tasks;

                static class Timeouts
                {
                    static async Task<T> RaceAsync<T>(Func<CancellationToken, Task<T>> action, TimeSpan timeout, CancellationToken ct)
                    {
                        var work = action(CancellationToken.None);
                        if (await Task.{|CONC404:WhenAny|}(work, Task.Delay(timeout, ct)) != work)
                            throw new TimeoutException();
                        return await work;
                    }

                    static Task<T> WaitAsync<T>(Func<CancellationToken, Task<T>> action, TimeSpan timeout)
                        => action(default).{|CONC404:WaitAsync|}(timeout);

                    static Task<T> GivenTokenAsync<T>(Func<CancellationToken, Task<T>> action, TimeSpan timeout, CancellationToken ct)
                        => action(ct).WaitAsync(timeout);

                    static async Task FlushOnCloseAsync(Func<CancellationToken, Task> flush, Func<Task> close)
                    {
                        try
                        {
                            await close();
                        }
                        finally
                        {
                            await flush(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
                        }
                    }

                    static Task SaveAsync(Func<CancellationToken, Task> save)
                    {
                        // The save must finish even when the caller stops waiting for it.
                        return save(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
                    }
                }
                """,
        }.RunAsync();

    [Fact]
    public Task Half_typed_code_does_not_crash()
        => new Verify.Test
        {
            TestCode = Db + """
                class C
                {
                    async Task RunAsync(Db db) { await Task.WhenAny(db.QueryAsync(, Task.Delay( }
                }
                """,
            CompilerDiagnostics = CompilerDiagnostics.None,
        }.RunAsync();

    [Fact]
    public Task Netstandard20_without_WaitAsync_does_not_crash()
        => new Verify.Test
        {
            ReferenceAssemblies = Verifiers.TestReferences.NetStandard20,
            LanguageVersion = Microsoft.CodeAnalysis.CSharp.LanguageVersion.CSharp7_3,
            TestCode = """
                using System.Threading;
                using System.Threading.Tasks;
                class C
                {
                    Task<int> Work(CancellationToken ct = default(CancellationToken)) => Task.FromResult(1);
                    async Task RunAsync() { await Task.{|CONC404:WhenAny|}(Work(), Task.Delay(10)); }
                }
                """,
        }.RunAsync();

    /// <summary>CONC404 and CONC401 together: the race is reported once, by CONC404.</summary>
    private sealed class CSharpAnalyzerTestWithBoth : Microsoft.CodeAnalysis.CSharp.Testing.CSharpAnalyzerTest<TimeoutAbandonsWorkAnalyzer, DefaultVerifier>
    {
        public CSharpAnalyzerTestWithBoth()
        {
            ReferenceAssemblies = Verifiers.TestReferences.Net80;
        }

        protected override IEnumerable<Microsoft.CodeAnalysis.Diagnostics.DiagnosticAnalyzer> GetDiagnosticAnalyzers()
            => new Microsoft.CodeAnalysis.Diagnostics.DiagnosticAnalyzer[] { new TimeoutAbandonsWorkAnalyzer(), new TokenNotPassedAnalyzer() };
    }
}
