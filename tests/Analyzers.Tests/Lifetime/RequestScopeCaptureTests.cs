using ConcurrencyAnalyzers.Lifetime;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencyAnalyzers.Lifetime.RequestScopeCaptureAnalyzer>;

namespace ConcurrencyAnalyzers.Tests.Lifetime;

public sealed class RequestScopeCaptureTests
{
    /// <summary>Minimal stand-ins for the ASP.NET Core, SignalR, EF Core and hosting types (the real packages are not referenced).</summary>
    private const string Framework = """

        namespace Microsoft.AspNetCore.Http
        {
            public abstract class HttpContext
            {
                public abstract HttpRequest Request { get; }
                public abstract HttpResponse Response { get; }
                public abstract System.Security.Claims.ClaimsPrincipal User { get; set; }
            }
            public abstract class HttpRequest { public abstract string Path { get; set; } }
            public abstract class HttpResponse { public abstract int StatusCode { get; set; } }
            public interface IHttpContextAccessor { HttpContext? HttpContext { get; set; } }
        }

        namespace Microsoft.AspNetCore.Mvc
        {
            public interface IActionResult { }
            public abstract class ControllerBase
            {
                public Microsoft.AspNetCore.Http.HttpContext HttpContext => null!;
                public Microsoft.AspNetCore.Http.HttpRequest Request => null!;
                public Microsoft.AspNetCore.Http.HttpResponse Response => null!;
                public System.Security.Claims.ClaimsPrincipal User => null!;
                public IActionResult Accepted() => null!;
            }
        }

        namespace Microsoft.AspNetCore.SignalR
        {
            public interface IClientProxy { System.Threading.Tasks.Task SendAsync(string method, object? arg); }
            public interface IHubCallerClients { IClientProxy Caller { get; } }
            public class HubCallerContext { public string ConnectionId => ""; }
            public abstract class Hub
            {
                public IHubCallerClients Clients => null!;
                public HubCallerContext Context => null!;
            }
        }

        namespace Microsoft.EntityFrameworkCore
        {
            public class DbContext
            {
                public void Add(object entity) { }
                public System.Threading.Tasks.Task<int> SaveChangesAsync() => System.Threading.Tasks.Task.FromResult(0);
            }
        }

        namespace Microsoft.Extensions.Hosting
        {
            public interface IHostedService { }
        }
        """;

    [Fact]
    public Task Scoped_DbContext_used_by_fire_and_forget_work_in_a_controller_is_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading.Tasks;
            using Microsoft.AspNetCore.Mvc;
            using Microsoft.EntityFrameworkCore;

            public class OrdersController : ControllerBase
            {
                private readonly DbContext _db;
                public OrdersController(DbContext db) => _db = db;

                public IActionResult Post(object order)
                {
                    _ = Task.Run(async () =>
                    {
                        {|#0:_db|}.Add(order);
                        await _db.SaveChangesAsync();
                    });
                    return Accepted();
                }
            }
            """ + Framework,
            Verify.Diagnostic(RequestScopeCaptureAnalyzer.Rule).WithLocation(0).WithArguments("Task.Run", "_db"));

    [Fact]
    public Task HttpContext_and_User_used_by_stored_or_pooled_work_are_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;
            using Microsoft.AspNetCore.Mvc;

            public class AuditController : ControllerBase
            {
                private Task? _pending;

                public IActionResult Audit()
                {
                    _pending = Task.Run(() => Console.WriteLine({|#0:HttpContext|}.Request.Path));
                    ThreadPool.QueueUserWorkItem(_ => Console.WriteLine({|#1:User|}.Identity?.Name));
                    return Accepted();
                }
            }
            """ + Framework,
            Verify.Diagnostic(RequestScopeCaptureAnalyzer.Rule).WithLocation(0).WithArguments("Task.Run", "HttpContext"),
            Verify.Diagnostic(RequestScopeCaptureAnalyzer.Rule).WithLocation(1).WithArguments("ThreadPool.QueueUserWorkItem", "User"));

    [Fact]
    public Task Captured_HttpContext_local_and_accessor_in_a_scoped_service_are_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading;
            using System.Threading.Tasks;
            using Microsoft.AspNetCore.Http;

            public class ActivityTracker
            {
                private readonly IHttpContextAccessor _accessor;
                public ActivityTracker(IHttpContextAccessor accessor) => _accessor = accessor;

                public void Track()
                {
                    _ = Task.Run(() => Console.WriteLine({|#0:_accessor.HttpContext|}?.Request.Path));

                    var context = _accessor.HttpContext!;
                    new Thread(() => Console.WriteLine({|#1:context|}.Response.StatusCode)).Start();
                }
            }
            """ + Framework,
            Verify.Diagnostic(RequestScopeCaptureAnalyzer.Rule).WithLocation(0).WithArguments("Task.Run", "HttpContext"),
            Verify.Diagnostic(RequestScopeCaptureAnalyzer.Rule).WithLocation(1).WithArguments("new Thread", "context"));

    [Fact]
    public Task Hub_clients_used_after_the_hub_method_returned_are_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading.Tasks;
            using Microsoft.AspNetCore.SignalR;

            public class ChatHub : Hub
            {
                public void StartCountdown()
                {
                    _ = Task.Run(async () =>
                    {
                        await Task.Delay(TimeSpan.FromSeconds(10));
                        await {|CONC107:Clients|}.Caller.SendAsync("done", null);
                    });
                }
            }
            """ + Framework);

    [Fact]
    public Task Dropped_async_local_function_is_reported_only_after_its_first_await()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading.Tasks;
            using Microsoft.AspNetCore.Mvc;
            using Microsoft.EntityFrameworkCore;

            public class ReceiptsController : ControllerBase
            {
                private readonly DbContext _db;
                public ReceiptsController(DbContext db) => _db = db;

                public IActionResult Send(object receipt)
                {
                    _ = SendLaterAsync();
                    return Accepted();

                    async Task SendLaterAsync()
                    {
                        _db.Add(receipt);
                        await Task.Delay(100);
                        await {|CONC107:_db|}.SaveChangesAsync();
                    }
                }
            }
            """ + Framework);

    [Fact]
    public Task Discarded_call_to_an_async_method_that_uses_the_DbContext_after_an_await_is_reported_at_the_call()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading.Tasks;
            using Microsoft.AspNetCore.Mvc;
            using Microsoft.EntityFrameworkCore;

            public class SignupController : ControllerBase
            {
                private readonly DbContext _db;
                public SignupController(DbContext db) => _db = db;

                public IActionResult Register(object user)
                {
                    _ = {|#0:SendWelcomeAsync(user)|};
                    return Accepted();
                }

                public async Task<IActionResult> RegisterAndWait(object user)
                {
                    await SendWelcomeAsync(user);
                    _ = AuditAsync(user);
                    return Accepted();
                }

                private async Task SendWelcomeAsync(object user)
                {
                    await Task.Delay(100);
                    _db.Add(user);
                    await _db.SaveChangesAsync();
                }

                private async Task AuditAsync(object user)
                {
                    _db.Add(user);
                    await Task.Delay(100);
                }
            }
            """ + Framework,
            Verify.Diagnostic(RequestScopeCaptureAnalyzer.Rule).WithLocation(0).WithArguments("SendWelcomeAsync", "_db"));

    [Fact]
    public Task Values_copied_into_locals_before_spawning_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading.Tasks;
            using Microsoft.AspNetCore.Mvc;

            public class ReportsController : ControllerBase
            {
                public IActionResult Generate(int id)
                {
                    var user = User.Identity?.Name;
                    var path = Request.Path;
                    _ = Task.Run(() => Console.WriteLine($"{user} asked for {path} #{id}"));
                    return Accepted();
                }
            }
            """ + Framework);

    [Fact]
    public Task Work_the_request_awaits_or_returns_is_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System.Threading.Tasks;
            using Microsoft.AspNetCore.Mvc;
            using Microsoft.EntityFrameworkCore;

            public class ImportController : ControllerBase
            {
                private readonly DbContext _db;
                public ImportController(DbContext db) => _db = db;

                public async Task<IActionResult> Import(string body)
                {
                    var parsed = await Task.Run(() => body.Length + Request.Path.Length);
                    var save = Task.Run(() => _db.SaveChangesAsync());
                    await Task.WhenAll(save, Task.Run(() => _db.Add(parsed)));
                    return Accepted();
                }

                public Task Refresh() => Task.Run(() => _db.SaveChangesAsync());
            }
            """ + Framework);

    [Fact]
    public Task Work_that_creates_its_own_scope_and_hosted_services_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading.Tasks;
            using Microsoft.AspNetCore.Mvc;
            using Microsoft.EntityFrameworkCore;
            using Microsoft.Extensions.Hosting;

            public class ExportController : ControllerBase
            {
                private readonly Func<DbContext> _factory;
                public ExportController(Func<DbContext> factory) => _factory = factory;

                public IActionResult Export()
                {
                    _ = Task.Run(async () =>
                    {
                        var db = _factory();
                        db.Add(new object());
                        await db.SaveChangesAsync();
                    });
                    return Accepted();
                }
            }

            public class Cleaner : IHostedService
            {
                private readonly DbContext _db = new DbContext();

                public void Start() => _ = Task.Run(() => _db.SaveChangesAsync());
            }

            public class PlainService
            {
                public void Run(Microsoft.AspNetCore.Http.HttpContext context) => _ = Task.Run(() => context.Response.StatusCode = 200);
            }
            """ + Framework);

    [Fact]
    public Task Nothing_is_reported_without_the_framework_types()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading.Tasks;

            public class HttpContext { public string Path => ""; }

            public class ControllerBase { public HttpContext HttpContext => new(); }

            public class HomeController : ControllerBase
            {
                public void Index() => _ = Task.Run(() => Console.WriteLine(HttpContext.Path));
            }
            """);

    [Fact]
    public Task Half_typed_code_does_not_throw()
        => new Verify.Test
        {
            TestCode = """
                using System.Threading.Tasks;
                using Microsoft.AspNetCore.Mvc;

                public class BrokenController : ControllerBase
                {
                    public void Post() { _ = Task.Run(() => HttpContext.Missing.
                }
                """ + Framework,
            CompilerDiagnostics = CompilerDiagnostics.None,
        }.RunAsync();

    /// <summary>Minimal API and middleware stand-ins: the route builder's <c>Map*</c> extensions and the next delegate.</summary>
    private const string Endpoints = """

        namespace Microsoft.AspNetCore.Http
        {
            public delegate System.Threading.Tasks.Task RequestDelegate(HttpContext context);
        }

        namespace Microsoft.AspNetCore.Routing
        {
            public interface IEndpointRouteBuilder { }
        }

        namespace Microsoft.AspNetCore.Builder
        {
            public static class EndpointRouteBuilderExtensions
            {
                public static object MapPost(this Microsoft.AspNetCore.Routing.IEndpointRouteBuilder app, string pattern, System.Delegate handler) => handler;
            }
        }
        """;

    [Fact]
    public Task Request_objects_handed_to_middleware_and_endpoint_handlers_and_used_by_background_work_are_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading.Tasks;
            using Microsoft.AspNetCore.Builder;
            using Microsoft.AspNetCore.Http;
            using Microsoft.AspNetCore.Routing;
            using Microsoft.EntityFrameworkCore;

            public sealed class AuditMiddleware
            {
                private readonly RequestDelegate _next;
                public AuditMiddleware(RequestDelegate next) => _next = next;

                public async Task InvokeAsync(HttpContext context)
                {
                    _ = Task.Run(() => Console.WriteLine({|#0:context|}.Request.Path));
                    await _next(context);
                }
            }

            public static class OrderEndpoints
            {
                public static void Map(IEndpointRouteBuilder app)
                {
                    app.MapPost("/orders", (object order, DbContext db) =>
                    {
                        _ = Task.Run(async () =>
                        {
                            {|#1:db|}.Add(order);
                            await db.SaveChangesAsync();
                        });
                        return 202;
                    });
                }
            }
            """ + Framework + Endpoints,
            Verify.Diagnostic(RequestScopeCaptureAnalyzer.Rule).WithLocation(0).WithArguments("Task.Run", "context"),
            Verify.Diagnostic(RequestScopeCaptureAnalyzer.Rule).WithLocation(1).WithArguments("Task.Run", "db"));

    [Fact]
    public Task Values_copied_before_the_work_awaited_work_and_services_outside_a_request_are_not_reported()
        => Verify.VerifyAnalyzerAsync(
            """
            using System;
            using System.Threading.Tasks;
            using Microsoft.AspNetCore.Builder;
            using Microsoft.AspNetCore.Http;
            using Microsoft.AspNetCore.Routing;
            using Microsoft.EntityFrameworkCore;

            public sealed class AuditMiddleware
            {
                private readonly RequestDelegate _next;
                public AuditMiddleware(RequestDelegate next) => _next = next;

                public async Task InvokeAsync(HttpContext context)
                {
                    var path = context.Request.Path;
                    _ = Task.Run(() => Console.WriteLine(path));
                    await Task.Run(() => Console.WriteLine(context.Request.Path));
                    await _next(context);
                }
            }

            public static class OrderEndpoints
            {
                public static void Map(IEndpointRouteBuilder app, Func<DbContext> factory)
                {
                    app.MapPost("/orders", async (object order, DbContext db) =>
                    {
                        await Task.Run(() => db.Add(order));
                        _ = Task.Run(async () =>
                        {
                            var own = factory();
                            own.Add(order);
                            await own.SaveChangesAsync();
                        });
                        return 202;
                    });
                }
            }

            // Not handed a request: a seeding helper given a context by its caller.
            public static class Seeder
            {
                public static void Seed(DbContext db) => _ = Task.Run(() => db.Add(new object()));
            }
            """ + Framework + Endpoints);
}
