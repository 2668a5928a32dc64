using ConcurrencyAnalyzers.Cancellation;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpAnalyzerVerifier<
    ConcurrencyAnalyzers.Cancellation.TokenStoredBeyondRequestAnalyzer>;

namespace ConcurrencyAnalyzers.Tests.Cancellation;

public sealed class TokenStoredBeyondRequestTests
{
    private const string Web = """
        using System.Threading;
        using System.Threading.Tasks;

        namespace Microsoft.Extensions.Hosting { public interface IHostedService { Task StartAsync(CancellationToken ct); } }
        namespace Microsoft.AspNetCore.Http
        {
            public class HttpContext { public CancellationToken RequestAborted { get; } public HttpRequest Request { get; } = null!; }
            public class HttpRequest { }
            public delegate Task RequestDelegate(HttpContext context);
        }

        """;

    [Fact]
    public Task Static_field_holding_a_callers_token_is_reported()
        => Verify.VerifyAnalyzerAsync(Web + """
            class ReportService
            {
                private static CancellationToken s_token;
                public void Begin(CancellationToken requestAborted) => {|#0:s_token = requestAborted|};
            }
            """, Verify.Diagnostic(TokenStoredBeyondRequestAnalyzer.Rule).WithLocation(0).WithArguments("token", "requestAborted", "s_token"));

    [Fact]
    public Task Middleware_storing_the_context_is_reported()
        => Verify.VerifyAnalyzerAsync(Web + """
            class AuditMiddleware
            {
                private readonly Microsoft.AspNetCore.Http.RequestDelegate _next;
                private Microsoft.AspNetCore.Http.HttpContext? _current;
                private CancellationToken _aborted;
                public AuditMiddleware(Microsoft.AspNetCore.Http.RequestDelegate next) => _next = next;
                public Task InvokeAsync(Microsoft.AspNetCore.Http.HttpContext context)
                {
                    {|#0:_current = context|};
                    {|#1:_aborted = context.RequestAborted|};
                    return _next(context);
                }
            }
            """,
            Verify.Diagnostic(TokenStoredBeyondRequestAnalyzer.Rule).WithLocation(0).WithArguments("HttpContext", "context", "_current"),
            Verify.Diagnostic(TokenStoredBeyondRequestAnalyzer.Rule).WithLocation(1).WithArguments("token", "context", "_aborted"));

    [Fact]
    public Task Hosted_service_storing_a_callers_token_is_reported()
        => Verify.VerifyAnalyzerAsync(Web + """
            class Worker : Microsoft.Extensions.Hosting.IHostedService
            {
                private CancellationToken Current { get; set; }
                public Task StartAsync(CancellationToken ct) => Task.CompletedTask;
                public void Handle(CancellationToken requestToken) { {|CONC407:Current = requestToken|}; }
            }
            """);

    [Fact]
    public Task Background_service_keeping_its_stopping_token_is_fine_its_start_token_is_reported()
        => Verify.VerifyAnalyzerAsync(Web + """
            namespace Microsoft.Extensions.Hosting
            {
                public abstract class BackgroundService : IHostedService
                {
                    public virtual Task StartAsync(CancellationToken cancellationToken) => ExecuteAsync(cancellationToken);
                    protected abstract Task ExecuteAsync(CancellationToken stoppingToken);
                }
            }

            class Indexer : Microsoft.Extensions.Hosting.BackgroundService
            {
                private CancellationToken _stopping;
                private CancellationToken _starting;
                private System.Action? _onChange;

                public override Task StartAsync(CancellationToken cancellationToken)
                {
                    {|CONC407:_starting = cancellationToken|};
                    return base.StartAsync(cancellationToken);
                }

                protected override Task ExecuteAsync(CancellationToken stoppingToken)
                {
                    _stopping = stoppingToken;
                    _onChange = () => { _stopping = stoppingToken; };
                    return Task.Delay(-1, stoppingToken);
                }

                public bool Stopping => _stopping.IsCancellationRequested || _starting.IsCancellationRequested || _onChange is null;
            }
            """);

    [Fact]
    public Task Static_request_object_is_reported()
        => Verify.VerifyAnalyzerAsync(Web + """
            static class Ambient
            {
                public static Microsoft.AspNetCore.Http.HttpRequest? Request;
                public static void Set(Microsoft.AspNetCore.Http.HttpContext context) { {|CONC407:Request = context.Request|}; }
            }
            """);

    [Fact]
    public Task Singletons_and_message_handlers_storing_a_callers_token_are_reported()
        => Verify.VerifyAnalyzerAsync(Web + """
            sealed class Telemetry
            {
                public static Telemetry Instance { get; } = new Telemetry();
                private CancellationToken _ct;
                private Telemetry() { }
                public void Begin(CancellationToken ct) => {|#0:_ct = ct|};
            }

            sealed class Catalog
            {
                private static readonly System.Lazy<Catalog> s_instance = new System.Lazy<Catalog>(() => new Catalog());
                public static Catalog Instance => s_instance.Value;
                private CancellationToken _ct;
                private Catalog() { }
                public void Load(CancellationToken cancellationToken) => {|#1:_ct = cancellationToken|};
            }

            sealed class RetryHandler : System.Net.Http.DelegatingHandler
            {
                private CancellationToken _current;
                protected override Task<System.Net.Http.HttpResponseMessage> SendAsync(System.Net.Http.HttpRequestMessage request, CancellationToken cancellationToken)
                {
                    {|#2:_current = cancellationToken|};
                    return base.SendAsync(request, cancellationToken);
                }
            }
            """,
            Verify.Diagnostic(TokenStoredBeyondRequestAnalyzer.Rule).WithLocation(0).WithArguments("token", "ct", "_ct"),
            Verify.Diagnostic(TokenStoredBeyondRequestAnalyzer.Rule).WithLocation(1).WithArguments("token", "cancellationToken", "_ct"),
            Verify.Diagnostic(TokenStoredBeyondRequestAnalyzer.Rule).WithLocation(2).WithArguments("token", "cancellationToken", "_current"));

    // ---- negatives ----

    [Fact]
    public Task Per_operation_objects_are_fine()
        => Verify.VerifyAnalyzerAsync(Web + """
            class Operation
            {
                private CancellationToken _ct;
                public void Start(CancellationToken ct) => _ct = ct;
            }
            """);

    [Fact]
    public Task Plain_classes_that_are_not_provably_shared_are_fine()
        => Verify.VerifyAnalyzerAsync(Web + """
            class Query
            {
                public static readonly Query Empty = new Query();
                private CancellationToken _ct;
                public void Bind(CancellationToken ct) => _ct = ct;
            }

            sealed class Download
            {
                private CancellationToken _ct;
                private Download() { }
                public static Download Create() => new Download();
                public void Start(CancellationToken ct) => _ct = ct;
            }

            sealed class Registry
            {
                public static Registry Instance { get; } = new Registry(CancellationToken.None);
                private readonly CancellationToken _shutdown;
                private Registry(CancellationToken shutdown) => _shutdown = shutdown;
            }
            """);

    [Fact]
    public Task Constructor_wiring_in_a_long_lived_type_is_fine()
        => Verify.VerifyAnalyzerAsync(Web + """
            class Worker : Microsoft.Extensions.Hosting.IHostedService
            {
                private readonly CancellationToken _stopping;
                public Worker(CancellationToken stopping) => _stopping = stopping;
                public Task StartAsync(CancellationToken ct) => Task.CompletedTask;
            }
            """);

    [Fact]
    public Task Owned_source_token_and_None_are_fine()
        => Verify.VerifyAnalyzerAsync(Web + """
            class Worker : Microsoft.Extensions.Hosting.IHostedService
            {
                private readonly CancellationTokenSource _cts = new();
                private CancellationToken _token;
                private static CancellationToken s_none;
                public Task StartAsync(CancellationToken ct)
                {
                    _token = _cts.Token;
                    s_none = CancellationToken.None;
                    return Task.CompletedTask;
                }
            }
            """);

    [Fact]
    public Task Lazy_capturing_a_token_is_CONC307s()
        => Verify.VerifyAnalyzerAsync(Web + """
            class Cache
            {
                private static CancellationToken s_seen;
                private System.Lazy<int>? _lazy;
                public void Get(CancellationToken ct) => _lazy = new System.Lazy<int>(() => { s_seen = ct; return 1; });
            }
            """);

    [Fact]
    public Task Locals_and_other_objects_fields_are_fine()
        => Verify.VerifyAnalyzerAsync(Web + """
            class State { public CancellationToken Token; }
            class Worker : Microsoft.Extensions.Hosting.IHostedService
            {
                public Task StartAsync(CancellationToken ct)
                {
                    var local = ct;
                    var state = new State();
                    state.Token = ct;
                    return Task.CompletedTask;
                }
            }
            """);

    [Fact]
    public Task Missing_aspnet_types_and_half_typed_code_do_not_crash()
        => new Verify.Test
        {
            TestCode = """
                using System.Threading;
                class C
                {
                    static CancellationToken s;
                    void M(CancellationToken ct) { s = ; Missing = ct; }
                }
                """,
            CompilerDiagnostics = CompilerDiagnostics.None,
        }.RunAsync();
}
