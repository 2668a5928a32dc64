// Lifetime family (CONC106-CONC109): fan-out, request scope, timers and completion sources each have an owner
// and an end.

namespace Showcase.Lifetime
{
    public sealed class PushNotifier
    {
        private readonly HttpClient _http = new();

        // CONC106 (Info): one request per user, all at once; a large campaign opens thousands of connections.
        // Fix: Parallel.ForEachAsync (offered), which runs a bounded number at a time.
        public async Task NotifyAsync(IReadOnlyList<string> userIds, CancellationToken ct)
        {
            await Task.WhenAll(userIds.Select(async id => await _http.PostAsync("https://push.example/" + id, null, ct)));
        }
    }

    // A scoped service (one instance per request) that holds the request's DbContext.
    public sealed class CheckoutService
    {
        private readonly ShopDbContext _db;

        public CheckoutService(ShopDbContext db) => _db = db;

        public void Checkout(string orderId)
        {
            // CONC107: the background work outlives the request; by the time it saves, the request scope has disposed _db.
            // Fix: create a scope (or a context from IDbContextFactory) inside the work, or queue the order.
            _ = Task.Run(async () =>
            {
                _db.Add(orderId);
                await _db.SaveChangesAsync();
            });
        }
    }

    public sealed class ConfigLoader
    {
        private readonly string _path = "appsettings.json";

        // CONC109 (Info, twice): the source is created without RunContinuationsAsynchronously, and the catch path returns
        // its task without completing it, so every caller awaiting LoadAsync hangs when the file is unreadable.
        public Task<string> LoadAsync()
        {
            var tcs = new TaskCompletionSource<string>();
            try
            {
                tcs.SetResult(File.ReadAllText(_path));
            }
            catch (IOException ex)
            {
                Console.Error.WriteLine(ex.Message);
            }

            return tcs.Task;
        }
    }

    public sealed class CacheSweeper : IDisposable
    {
        private readonly Dictionary<string, DateTime> _entries = new();
        private Timer? _sweep;

        public void Start()
        {
            // CONC108: nothing keeps this timer reachable; after the next garbage collection the heartbeat stops.
            new Timer(_ => Console.WriteLine("alive"), null, 0, 1000);

            // CONC108: Dispose below never disposes _sweep, so it keeps firing against a disposed cache.
            _sweep = new Timer(_ => Sweep(), null, 0, 60_000);
        }

        public async Task RunAsync(CancellationToken stoppingToken)
        {
            using var ticks = new PeriodicTimer(TimeSpan.FromSeconds(5));

            // CONC108: the wait ignores stoppingToken, so shutdown waits for the next tick (fix: pass the token).
            while (await ticks.WaitForNextTickAsync())
            {
                Sweep();
            }
        }

        private void Sweep()
        {
            lock (_entries)
            {
                _entries.Clear();
            }
        }

        public void Dispose() => Console.WriteLine("cache disposed");
    }

    // Stand-in for Entity Framework Core's DbContext (the showcase references no packages); CONC107 keys on this name.
    public class ShopDbContext : Microsoft.EntityFrameworkCore.DbContext
    {
    }
}

namespace Microsoft.EntityFrameworkCore
{
    public class DbContext
    {
        public void Add(object entity) { }

        public Task<int> SaveChangesAsync() => Task.FromResult(0);
    }
}
