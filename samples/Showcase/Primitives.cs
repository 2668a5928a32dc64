// Primitives family (CONC5xx): synchronization primitives are never copied.

namespace Showcase.Primitives;

public sealed class RequestCounter
{
    // CONC501: a readonly SpinLock; every Enter/Exit runs on a defensive copy, so two threads are never excluded.
    private readonly SpinLock _spin = new(enableThreadOwnerTracking: false);
    private long _requests;

    public void OnRequest()
    {
        bool taken = false;
        try { _spin.Enter(ref taken); _requests++; }
        finally { if (taken) _spin.Exit(); }
    }
}

public sealed class LatencyHistogram
{
    // Correct: a non-readonly SpinLock used in place.
    private SpinLock _spin = new(enableThreadOwnerTracking: false);
    private readonly long[] _buckets = new long[16];

    // CONC502: the SpinLock is passed by value, so Record locks a private copy.
    public void Add(int bucket) => Record(_spin, bucket);

    private void Record(SpinLock spin, int bucket)
    {
        bool taken = false;
        try { spin.Enter(ref taken); _buckets[bucket]++; }
        finally { if (taken) spin.Exit(); }
    }
}

public sealed class ConfigVersion
{
    private int _version;

    // CONC503: Monitor.Enter boxes the int into a new object on each call; Exit gets another box and throws.
    public void Bump()
    {
        Monitor.Enter(_version);
        try { _version++; }
        finally { Monitor.Exit(_version); }
    }
}
