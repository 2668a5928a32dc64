// Lifetime family (CONC1xx): every task has an exit path, an owner and someone who sees its faults.

namespace Showcase.Lifetime;

public sealed class OrderNotifier
{
    private readonly List<string> _sent = new();

    // CONC103: async void outside an event handler; the caller cannot await it, and an exception crashes the process.
    public async void NotifyAsync(string orderId)
    {
        await Task.Delay(10);
        _sent.Add(orderId);
    }

    // Correct: an event handler may be async void.
    public async void OnOrderPlaced(object? sender, EventArgs e) => await Task.Delay(10);

    // CONC103: an async lambda converted to Action<string> — ForEach returns before any of the work finishes.
    public void NotifyAll(List<string> orderIds) => orderIds.ForEach(async id => await Task.Delay(10));

    // CONC103: StartNew with an async delegate returns Task<Task>; awaiting it only waits for the first await.
    public async Task PumpAsync() => await Task.Factory.StartNew(async () => await Task.Delay(10));
}
