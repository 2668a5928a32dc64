using ConcurrencyAnalyzers.Cancellation;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<
    ConcurrencyAnalyzers.Cancellation.AsyncApiWithoutTokenAnalyzer,
    ConcurrencyAnalyzers.CodeFixes.Cancellation.AsyncApiWithoutTokenCodeFix>;

namespace ConcurrencyAnalyzers.Tests.Cancellation;

public sealed class AsyncApiWithoutTokenTests
{
    private const string Repo = """
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;

        public interface IRepo
        {
            Task<int[]> GetAccountsAsync(CancellationToken ct = default);
            Task PushAsync(int account);
            Task PushAsync(int account, CancellationToken ct);
        }

        """;

    private static DiagnosticResult Info(int location, string method, string call)
        => new DiagnosticResult(AsyncApiWithoutTokenAnalyzer.Rule).WithLocation(location).WithArguments(method, call);

    [Fact]
    public Task Rule_is_off_by_default_and_Info()
    {
        Assert.False(AsyncApiWithoutTokenAnalyzer.Rule.IsEnabledByDefault);
        Assert.Equal(DiagnosticSeverity.Info, AsyncApiWithoutTokenAnalyzer.Rule.DefaultSeverity);
        return Task.CompletedTask;
    }

    [Fact]
    public Task Public_async_method_gets_a_parameter_and_forwards_it()
        => Verify.VerifyCodeFixAsync(
            Repo + """
            public class Sync
            {
                private readonly IRepo _repo = null!;

                public async Task {|#0:SyncAllAsync|}(bool full)
                {
                    foreach (var a in await _repo.GetAccountsAsync())
                        await _repo.PushAsync(a); // one by one
                }
            }
            """,
            new[] { Info(0, "SyncAllAsync", "GetAccountsAsync") },
            Repo + """
            public class Sync
            {
                private readonly IRepo _repo = null!;

                public async Task SyncAllAsync(bool full, CancellationToken cancellationToken = default)
                {
                    foreach (var a in await _repo.GetAccountsAsync(cancellationToken))
                        await _repo.PushAsync(a, cancellationToken); // one by one
                }
            }
            """);

    [Fact]
    public Task Fix_All_and_qualified_type_when_System_Threading_is_not_imported()
        => Verify.VerifyCodeFixAsync(
            """
            using System.Threading.Tasks;

            public class C
            {
                public Task {|CONC406:WaitAsync|}() => Task.Delay(100);
                public async ValueTask {|CONC406:PauseAsync|}(int ms) { await Task.Delay(ms); }
            }
            """,
            """
            using System.Threading.Tasks;

            public class C
            {
                public Task WaitAsync(System.Threading.CancellationToken cancellationToken = default) => Task.Delay(100, cancellationToken);
                public async ValueTask PauseAsync(int ms, System.Threading.CancellationToken cancellationToken = default) { await Task.Delay(ms, cancellationToken); }
            }
            """);

    [Fact]
    public Task Params_method_is_reported_without_a_fix()
    {
        const string source = """
            using System.Threading.Tasks;

            public class C
            {
                public Task {|CONC406:WaitAllAsync|}(params int[] delays) => Task.Delay(delays[0]);
            }
            """;
        return Verify.VerifyCodeFixAsync(source, source);
    }

    // ---- negatives ----

    [Fact]
    public Task Methods_with_a_token_or_a_context_are_fine()
        => Verify.VerifyAnalyzerAsync(Repo + """
            public class RequestContext { public CancellationToken Aborted { get; } }
            public class C
            {
                public Task A(CancellationToken ct) => Task.Delay(1, ct);
                public Task B(CancellationToken? ct) => Task.Delay(1);
                public Task D(RequestContext context) => Task.Delay(1);
            }
            """);

    [Fact]
    public Task Convenience_overload_passing_None_is_fine()
        => Verify.VerifyAnalyzerAsync(Repo + """
            public class C
            {
                public Task SaveAsync() => SaveAsync(CancellationToken.None);
                public Task SaveAsync(CancellationToken ct) => Task.Delay(1, ct);
                public Task FlushAsync() => Task.Delay(1, CancellationToken.None);
            }
            """);

    [Fact]
    public Task Non_public_overrides_and_interface_implementations_are_fine()
        => Verify.VerifyAnalyzerAsync(Repo + """
            public interface IJob { Task RunAsync(); }
            public abstract class Base { public abstract Task StepAsync(); }
            public class C : Base, IJob
            {
                public Task RunAsync() => Task.Delay(1);
                public override Task StepAsync() => Task.Delay(1);
                internal Task HelperAsync() => Task.Delay(1);
                private Task PrivateAsync() => Task.Delay(1);
            }
            internal class Hidden { public Task RunAsync() => Task.Delay(1); }
            """);

    [Fact]
    public Task Token_forwarded_through_a_local_function_and_no_cancellable_calls_are_fine()
        => Verify.VerifyAnalyzerAsync(Repo + """
            public class C
            {
                public Task<int> ComputeAsync() => Task.FromResult(42);
                public async Task RunAsync()
                {
                    await Local(CancellationToken.None);
                    static Task Local(CancellationToken ct) => Task.Delay(1, ct);
                }
            }
            """);

    [Fact]
    public Task Synchronous_methods_and_test_methods_are_fine()
        => Verify.VerifyAnalyzerAsync(Repo + """
            public class FactAttribute : System.Attribute { }
            public class C
            {
                public void Run() => Task.Delay(1).Wait();
                [Fact]
                public async Task Test() => await Task.Delay(1);
            }
            """);

    [Fact]
    public Task Cleanup_calls_are_not_counted()
        => Verify.VerifyAnalyzerAsync(Repo + """
            public class C
            {
                private readonly IRepo _repo = null!;
                public async Task RunAsync()
                {
                    try { await Task.Yield(); }
                    finally { await _repo.PushAsync(1); }
                }
            }
            """);

    [Fact]
    public Task Half_typed_code_does_not_crash()
        => new Verify.Test
        {
            TestCode = """
                using System.Threading.Tasks;
                public class C
                {
                    public async Task RunAsync( { await Task.Delay(
                }
                """,
            CompilerDiagnostics = CompilerDiagnostics.None,
        }.RunAsync();
}
