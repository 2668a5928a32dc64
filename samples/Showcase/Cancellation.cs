// Cancellation family (CONC4xx): a token in scope flows into every call, loops look at it, sources are disposed.

using System.Runtime.CompilerServices;

namespace Showcase.Cancellation;

public interface IQuoteApi
{
    Task<decimal> GetQuoteAsync(string symbol, CancellationToken cancellationToken = default);
    Task<string?> NextMessageAsync();
}

public sealed class QuoteService
{
    private readonly IQuoteApi _api;
    private readonly SemaphoreSlim _throttle = new(4);

    public QuoteService(IQuoteApi api) => _api = api;

    // CONC401: the token is in scope but WaitAsync and Task.Delay do not get it (and a lambda captures it too).
    public async Task<decimal> GetAsync(string symbol, CancellationToken ct)
    {
        await _throttle.WaitAsync();
        try
        {
            await Task.Run(() => Task.Delay(10));
            return await _api.GetQuoteAsync(symbol, ct);
        }
        finally
        {
            _throttle.Release();
        }
    }

    // CONC402: this loop awaits on every pass but never looks at ct (NextMessageAsync takes no token).
    public async Task PumpAsync(CancellationToken ct)
    {
        while (true)
        {
            var message = await _api.NextMessageAsync();
            if (message is null)
            {
                break;
            }
        }
    }

    // CONC403: the linked, timed source is never disposed: its registration on appStopping leaks per call.
    public async Task<decimal> GetWithDeadlineAsync(string symbol, CancellationToken appStopping)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(appStopping);
        cts.CancelAfter(TimeSpan.FromSeconds(2));
        return await _api.GetQuoteAsync(symbol, cts.Token);
    }

    // CONC403: disposed only at the end: the early return (and the timeout's own exception) skip cts.Dispose().
    public async Task<decimal?> GetUnlessBlockedAsync(string symbol, ISet<string> blocked, CancellationToken appStopping)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(appStopping);
        if (blocked.Contains(symbol))
        {
            return null;
        }

        cts.CancelAfter(TimeSpan.FromSeconds(2));
        var quote = await _api.GetQuoteAsync(symbol, cts.Token);
        cts.Dispose();
        return quote;
    }

    // CONC404: WaitAsync stops waiting after a second, but the quote request got no token and keeps running.
    public Task<decimal> GetQuicklyAsync(string symbol) => _api.GetQuoteAsync(symbol).WaitAsync(TimeSpan.FromSeconds(1));

    // CONC405: the catch-all swallows the OperationCanceledException and the loop retries forever after cancellation.
    public async Task<decimal> GetWithRetryAsync(string symbol, CancellationToken ct)
    {
        while (true)
        {
            try
            {
                return await _api.GetQuoteAsync(symbol, ct);
            }
            catch (Exception ex)
            {
                Console.WriteLine("retrying: " + ex.Message);
            }
        }
    }

    // CONC406 (off by default): a public async API that calls cancellable work but offers no token.
    public async Task<decimal> GetDefaultAsync() => await _api.GetQuoteAsync("MSFT");

    // Correct: the token flows everywhere, [EnumeratorCancellation] receives it through WithCancellation.
    public async IAsyncEnumerable<decimal> StreamAsync(string[] symbols, [EnumeratorCancellation] CancellationToken ct = default)
    {
        foreach (var symbol in symbols)
        {
            yield return await _api.GetQuoteAsync(symbol, ct);
        }
    }
}

public sealed class AmbientToken
{
    private static CancellationToken s_current;

    // CONC407: a caller's token stored in a static: the next caller reads a token from a finished request.
    public static void Enter(CancellationToken requestAborted) => s_current = requestAborted;

    public static bool IsCancelled => s_current.IsCancellationRequested;
}
