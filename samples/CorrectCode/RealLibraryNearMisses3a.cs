using System.Collections.Concurrent;

namespace CorrectCode.RealLibraries3a;

/// <summary>
/// An index from tag lists to slots, looked up without a lock on the hot path and filled under a lock on the
/// dictionary: the locked re-check looks up the sorted tags, and both the sorted and the given order are added in the
/// same critical section, so no other writer can add either key in between (OpenTelemetry's
/// <c>AggregatorStore.LookupAggregatorStore</c>).
/// </summary>
public sealed class TagSlotIndex
{
    private readonly ConcurrentDictionary<string, int> _slots = new(StringComparer.Ordinal);
    private int _next;

    public int Find(string givenTags)
    {
        if (!_slots.TryGetValue(givenTags, out var slot))
        {
            var parts = givenTags.Split(',');
            Array.Sort(parts, StringComparer.Ordinal);
            var sortedTags = string.Join(",", parts);
            lock (_slots)
            {
                if (!_slots.TryGetValue(sortedTags, out slot))
                {
                    slot = ++_next;
                    _slots.TryAdd(sortedTags, slot);
                    _slots.TryAdd(givenTags, slot);
                }
            }
        }

        return slot;
    }
}
