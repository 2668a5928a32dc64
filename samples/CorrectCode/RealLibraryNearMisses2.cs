namespace CorrectCode.RealLibraries2;

/// <summary>
/// A logging rule whose target list is changed under a lock on the list and exposed as it is by a property: the
/// property returns a reference that never changes, and the snapshot method copies the list under the lock (NLog's
/// <c>LoggingRule.Targets</c> and <c>GetTargetsThreadSafe</c>).
/// </summary>
public sealed class RoutingRule
{
    private readonly List<string> _targets = new();

    public IList<string> Targets => _targets;

    public void AddTarget(string target)
    {
        lock (_targets)
        {
            _targets.Add(target);
        }
    }

    public string[] GetTargetsSnapshot()
    {
        lock (_targets)
        {
            return _targets.ToArray();
        }
    }
}
