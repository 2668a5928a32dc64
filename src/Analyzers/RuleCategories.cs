namespace ConcurrencyAnalyzers;

/// <summary>One category per family, so users can tune a whole family with one key.</summary>
public static class RuleCategories
{
    public const string Lifetime = "Concurrency.Lifetime";
    public const string Locking = "Concurrency.Locking";
    public const string SharedState = "Concurrency.SharedState";
    public const string Cancellation = "Concurrency.Cancellation";
    public const string Primitives = "Concurrency.Primitives";
    public const string Coordination = "Concurrency.Coordination";

    /// <summary>The family category of an ID of the form <c>CONC&lt;family&gt;&lt;nn&gt;</c>, or null when the ID is not ours.</summary>
    public static string? ForId(string id)
    {
        if (id.Length != 7 || !id.StartsWith("CONC", System.StringComparison.Ordinal))
        {
            return null;
        }

        switch (id[4])
        {
            case '1': return Lifetime;
            case '2': return Locking;
            case '3': return SharedState;
            case '4': return Cancellation;
            case '5': return Primitives;
            case '6': return Coordination;
            default: return null;
        }
    }
}
