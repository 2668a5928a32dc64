namespace CorrectCode.RecallGaps;

/// <summary>Per-item tokens from a foreach: each item's work gets its own token.</summary>
public sealed class PerItemDispatcher
{
    private readonly SemaphoreSlim _slots = new(4);

    public async Task DispatchAsync(IReadOnlyList<(string Name, CancellationToken Token)> work)
    {
        foreach (var (name, token) in work)
        {
            await _slots.WaitAsync(token).ConfigureAwait(false);
            try
            {
                await Task.Delay(name.Length, token).ConfigureAwait(false);
            }
            finally
            {
                _slots.Release();
            }
        }
    }

    public async Task TakeTurnsAsync(IEnumerable<CancellationToken> tokens)
    {
        foreach (CancellationToken token in tokens)
        {
            await _slots.WaitAsync(token).ConfigureAwait(false);
            _slots.Release();
        }
    }
}
