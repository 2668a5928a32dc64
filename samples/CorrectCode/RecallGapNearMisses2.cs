namespace CorrectCode.RecallGaps2;

/// <summary>
/// Helpers called under a lock that look like sync-over-async wrappers but do not block on incomplete work: a task
/// known complete, one tested before it is read, one handed in by the caller, a wait deferred into a lambda.
/// </summary>
public sealed class SettingsCache
{
    private readonly object _gate = new();
    private readonly Task<string> _warmup = Task.FromResult("warm");
    private string _value = string.Empty;
    private Func<string>? _reload;

    public string Value
    {
        get
        {
            lock (_gate)
            {
                return _value;
            }
        }
    }

    public void Refresh(Task<string> loaded)
    {
        lock (_gate)
        {
            _value = Completed() + Probed(loaded) + Handed(loaded);
            _reload = Deferred();
        }
    }

    public string Reload()
    {
        Func<string>? reload;
        lock (_gate)
        {
            reload = _reload;
        }

        return reload is null ? Value : reload();
    }

    private static string Completed() => Task.FromResult("fixed").Result;

    private static string Probed(Task<string> pending) => pending.IsCompletedSuccessfully ? pending.Result : "pending";

    private static string Handed(Task<string> loaded) => loaded.IsCompleted ? loaded.Result : string.Empty;

    private Func<string> Deferred() => () => _warmup.GetAwaiter().GetResult();
}
