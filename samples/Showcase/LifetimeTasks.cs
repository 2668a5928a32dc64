// Lifetime family (CONC101, CONC102, CONC104, CONC105): every task has an owner, an exit path, and someone who sees
// its faults.

namespace Showcase.Lifetime;

public sealed class MetricsPublisher
{
    // CONC101: a background loop nothing can stop: no token, no flag, no break. It runs until the process dies.
    public MetricsPublisher() => _ = Task.Run(async () =>
    {
        while (true)
        {
            await PublishAsync();
            await Task.Delay(TimeSpan.FromSeconds(10));
        }
    });

    // Correct: the loop watches a token that its owner cancels.
    public static Task RunAsync(CancellationToken stoppingToken) => Task.Run(async () =>
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            await PublishAsync();
            await Task.Delay(TimeSpan.FromSeconds(10), stoppingToken);
        }
    }, stoppingToken);

    private static Task PublishAsync() => Task.CompletedTask;
}

public sealed class CheckoutHandler
{
    // CONC102: the confirmation mail's task is dropped in a non-async method: if sending fails, nobody ever knows.
    public void OnOrderPlaced(string orderId)
    {
        SendConfirmationAsync(orderId);
    }

    // Correct: awaited by an async caller.
    public async Task OnOrderPlacedAsync(string orderId) => await SendConfirmationAsync(orderId);

    private static Task SendConfirmationAsync(string orderId) => Task.Delay(orderId.Length);
}

public sealed class ProfilePage
{
    // CONC104: both loads run at once, but if the user load fails the orders task is never observed.
    public async Task<string> LoadAsync(int id)
    {
        var user = LoadUserAsync(id);
        var orders = LoadOrdersAsync(id);
        var u = await user;
        var o = await orders;
        return u + o;
    }

    // Correct: join both first; the awaits below then only read the results.
    public async Task<string> LoadJoinedAsync(int id)
    {
        var user = LoadUserAsync(id);
        var orders = LoadOrdersAsync(id);
        await Task.WhenAll(user, orders);
        return await user + await orders;
    }

    private static Task<string> LoadUserAsync(int id) => Task.FromResult("user" + id);

    private static Task<string> LoadOrdersAsync(int id) => Task.FromResult("orders" + id);
}

public sealed class QueuePump : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public QueuePump() => _loop = DrainAsync(_stop.Token);

    // CONC105: Dispose cancels the loop but returns without waiting for it; the loop may still be running when the
    // token source (and whatever else the loop uses) is disposed.
    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }

    private static async Task DrainAsync(CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            await Task.Delay(100, token);
        }
    }
}
