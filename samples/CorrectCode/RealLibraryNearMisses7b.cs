namespace CorrectCode.RealLibraries7b;

/// <summary>
/// A storage contract whose token overloads are default interface methods falling back to the token-less ones, for
/// implementations written before the token existed (Orleans' <c>IGrainStorage</c>). Passing the token there would make
/// each default call itself.
/// </summary>
public interface IStateStorage
{
    Task ReadStateAsync(string stateName, string id);

    Task ReadStateAsync(string stateName, string id, CancellationToken cancellationToken)
        => ReadStateAsync(stateName, id);

    Task WriteStateAsync(string stateName, string id, ReadOnlyMemory<byte> state);

    Task WriteStateAsync(string stateName, string id, ReadOnlyMemory<byte> state, CancellationToken cancellationToken)
        => WriteStateAsync(stateName, id, state);
}

/// <summary>An implementation that has the token: its callers pass it.</summary>
public sealed class MemoryStateStorage : IStateStorage
{
    private readonly Dictionary<(string, string), byte[]> _states = new();
    private readonly object _gate = new();

    public Task ReadStateAsync(string stateName, string id) => ReadStateAsync(stateName, id, CancellationToken.None);

    public Task ReadStateAsync(string stateName, string id, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            _ = _states.ContainsKey((stateName, id));
        }

        return Task.CompletedTask;
    }

    public Task WriteStateAsync(string stateName, string id, ReadOnlyMemory<byte> state)
        => WriteStateAsync(stateName, id, state, CancellationToken.None);

    public Task WriteStateAsync(string stateName, string id, ReadOnlyMemory<byte> state, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            _states[(stateName, id)] = state.ToArray();
        }

        return Task.CompletedTask;
    }
}
