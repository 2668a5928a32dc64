using System.Collections.Concurrent;
using System.Threading.Channels;
using CorrectCode.ServerCode.Framework;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

// Server-side code written the way ASP.NET Core apps are: middleware, controllers, minimal-API endpoints, singletons
// with state, background queues. This project does not reference ASP.NET Core or EF Core, so the few framework types
// the request-handler rules key on are stood in for at the end of the file, under their real names.
namespace CorrectCode.ServerCode
{
    public sealed record Order(int Id, string Customer, decimal Total);

    public sealed class ShopDb : DbContext
    {
        public List<Order> Orders { get; } = new();
    }

    // Convention middleware is built once for the app: shared counters are atomic, the shared map is locked or
    // concurrent, and request objects are copied out before any work that can outlive the request.
    public sealed class TenantMiddleware(RequestDelegate next)
    {
        private static long _requests;
        private readonly object _gate = new();
        private readonly Dictionary<string, string> _tenants = new(StringComparer.OrdinalIgnoreCase);
        private readonly ConcurrentDictionary<string, int> _hits = new();
        private int _misses;

        public async Task InvokeAsync(HttpContext context)
        {
            Interlocked.Increment(ref _requests);
            var host = context.Host;
            string? tenant;
            lock (_gate)
            {
                if (!_tenants.TryGetValue(host, out tenant))
                {
                    tenant = host.Split('.')[0];
                    _tenants[host] = tenant;
                    _misses++;
                }
            }

            _hits.AddOrUpdate(tenant, 1, (_, n) => n + 1);
            var path = context.Path;
            ThreadPool.QueueUserWorkItem(static p => Console.WriteLine(p), path, preferLocal: false);
            await Task.Run(() => Console.WriteLine(context.Path), context.RequestAborted);
            await next(context);
        }

        public int Misses
        {
            get
            {
                lock (_gate)
                {
                    return _misses;
                }
            }
        }
    }

    // Factory-activated middleware is resolved per request: its instance fields are its own.
    public sealed class TimingMiddleware : IMiddleware
    {
        private int _calls;

        public Task InvokeAsync(HttpContext context, RequestDelegate next)
        {
            _calls++;
            return _calls > 0 ? next(context) : Task.CompletedTask;
        }
    }

    // A controller is created per request: instance fields are per request, static ones are updated atomically or
    // under a lock, and a static lookup that is only read needs nothing.
    public sealed class OrdersController(ShopDb db) : ControllerBase
    {
        private static readonly object Gate = new();
        private static readonly Dictionary<string, int> Ranks = new() { ["gold"] = 1, ["silver"] = 2 };
        private static readonly Dictionary<int, DateTimeOffset> LastSeen = new();
        private static long _created;
        private int _linesThisRequest;

        public async Task<IActionResult> Create(Order order, CancellationToken cancellationToken)
        {
            db.Orders.Add(order);
            _linesThisRequest++;
            await db.SaveChangesAsync(cancellationToken);
            Interlocked.Increment(ref _created);
            lock (Gate)
            {
                LastSeen[order.Id] = DateTimeOffset.UtcNow;
            }

            return Ok(_linesThisRequest);
        }

        public IActionResult Rank(string tier) => Ranks.TryGetValue(tier, out var rank) ? Ok(rank) : Ok(-1);

        public IActionResult Created() => Ok(Interlocked.Read(ref _created));
    }

    // The documentation's background queue: bounded, written with the caller's token, completed on shutdown.
    public sealed class BackgroundTaskQueue
    {
        private readonly Channel<Func<CancellationToken, ValueTask>> _queue =
            Channel.CreateBounded<Func<CancellationToken, ValueTask>>(new BoundedChannelOptions(100) { FullMode = BoundedChannelFullMode.Wait });

        public ValueTask QueueAsync(Func<CancellationToken, ValueTask> workItem, CancellationToken cancellationToken) =>
            _queue.Writer.WriteAsync(workItem, cancellationToken);

        public ValueTask<Func<CancellationToken, ValueTask>> DequeueAsync(CancellationToken cancellationToken) =>
            _queue.Reader.ReadAsync(cancellationToken);

        public void Complete() => _queue.Writer.TryComplete();
    }

    public static class OrderEndpoints
    {
        private static long _rebuilds;

        public static long Rebuilds => Interlocked.Read(ref _rebuilds);

        // Endpoint handlers: work that outlives the request gets copies and its own context; work the handler awaits
        // may use the request's objects.
        public static void Map(IEndpointRouteBuilder app, BackgroundTaskQueue queue, Func<ShopDb> newDb)
        {
            app.MapPost("/orders/{id}/rebuild", async (int id, ShopDb db, HttpContext context) =>
            {
                var total = await Task.Run(() => db.Orders.Sum(o => o.Total), context.RequestAborted);
                var requestedBy = context.User;
                Interlocked.Increment(ref _rebuilds);
                await queue.QueueAsync(async token =>
                {
                    var own = newDb();
                    own.Orders.Add(new Order(id, requestedBy, total));
                    await own.SaveChangesAsync(token);
                }, context.RequestAborted);
                return 202;
            });
        }
    }

    // A singleton cache: one Lazy<Task<T>> per key so concurrent requests share one load, started without any one
    // caller's token; each caller waits with its own.
    public sealed class OrderCache(Func<int, Task<Order?>> load)
    {
        private readonly ConcurrentDictionary<int, Lazy<Task<Order?>>> _entries = new();

        public async Task<Order?> GetAsync(int id, CancellationToken cancellationToken)
        {
            var lazy = _entries.GetOrAdd(id, key => new Lazy<Task<Order?>>(() => load(key)));
            try
            {
                return await lazy.Value.WaitAsync(cancellationToken);
            }
            catch (Exception) when (lazy.Value.IsFaulted)
            {
                _entries.TryRemove(new KeyValuePair<int, Lazy<Task<Order?>>>(id, lazy));
                throw;
            }
        }
    }

    // A SemaphoreSlim throttle polled with a zero timeout, and a blocking wait only in synchronous code.
    public sealed class ReportThrottle
    {
        private readonly SemaphoreSlim _slots = new(4, 4);

        public async Task<bool> TryRunAsync(Func<CancellationToken, Task> work, CancellationToken cancellationToken)
        {
            if (!await _slots.WaitAsync(0, cancellationToken))
            {
                return false;
            }

            try
            {
                await work(cancellationToken);
                return true;
            }
            finally
            {
                _slots.Release();
            }
        }

        public void RunBlocking(Action work, CancellationToken cancellationToken)
        {
            _slots.Wait(cancellationToken);
            try
            {
                work();
            }
            finally
            {
                _slots.Release();
            }
        }
    }
}

// Stand-ins for the framework types, under their real names.
namespace Microsoft.AspNetCore.Http
{
    public abstract class HttpContext
    {
        public abstract string Host { get; }
        public abstract string Path { get; }
        public abstract string User { get; }
        public abstract CancellationToken RequestAborted { get; }
    }

    public delegate Task RequestDelegate(HttpContext context);

    public interface IMiddleware
    {
        Task InvokeAsync(HttpContext context, RequestDelegate next);
    }
}

namespace Microsoft.AspNetCore.Mvc
{
    public interface IActionResult
    {
    }

    public abstract class ControllerBase
    {
        public IActionResult Ok(object? value) => new OkResult(value);

        private sealed record OkResult(object? Value) : IActionResult;
    }
}

namespace Microsoft.AspNetCore.Routing
{
    public interface IEndpointRouteBuilder
    {
    }
}

namespace Microsoft.AspNetCore.Builder
{
    public static class EndpointRouteBuilderExtensions
    {
        public static Delegate MapPost(this Microsoft.AspNetCore.Routing.IEndpointRouteBuilder app, string pattern, Delegate handler) =>
            handler;
    }
}

namespace Microsoft.EntityFrameworkCore
{
    public abstract class DbContext
    {
        public Task<int> SaveChangesAsync(CancellationToken cancellationToken = default) => Task.FromResult(0);
    }
}

namespace CorrectCode.ServerCode.Framework
{
    internal static class Marker
    {
    }
}
