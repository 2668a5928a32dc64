using System;
using System.Collections;
using System.Collections.Generic;

namespace ConcurrencyAnalyzers.Internals;

// Collections for state that a symbol-start action gathers for one type. There is one set of them per type and per
// rule, most stay empty, and the actions that fill them rarely run at the same time: a lock and storage allocated on
// first use cost far less than a ConcurrentDictionary built up front (buckets and lock arrays per instance).
// They lock on themselves: they are private to the rule that made them, and a separate gate object would be one more
// allocation per type and rule, which is what they exist to save.

/// <summary>A thread-safe map whose storage is allocated on first write. Enumeration takes a snapshot.</summary>
internal sealed class LockedMap<TKey, TValue> : IEnumerable<KeyValuePair<TKey, TValue>>
    where TKey : notnull
{
    private readonly IEqualityComparer<TKey>? _comparer;
    private Dictionary<TKey, TValue>? _items;

    public LockedMap(IEqualityComparer<TKey>? comparer = null) => _comparer = comparer;

    public int Count
    {
        get
        {
            lock (this)
            {
                return _items?.Count ?? 0;
            }
        }
    }

    public bool IsEmpty => Count == 0;

    public ICollection<TKey> Keys
    {
        get
        {
            lock (this)
            {
                return _items is null ? Array.Empty<TKey>() : new List<TKey>(_items.Keys);
            }
        }
    }

    public ICollection<TValue> Values
    {
        get
        {
            lock (this)
            {
                return _items is null ? Array.Empty<TValue>() : new List<TValue>(_items.Values);
            }
        }
    }

    public TValue this[TKey key]
    {
        get
        {
            lock (this)
            {
                if (_items is not null && _items.TryGetValue(key, out var value))
                {
                    return value;
                }
            }

            throw new KeyNotFoundException();
        }

        set
        {
            lock (this)
            {
                Items()[key] = value;
            }
        }
    }

    public bool TryAdd(TKey key, TValue value)
    {
        lock (this)
        {
            var items = Items();
            if (items.ContainsKey(key))
            {
                return false;
            }

            items.Add(key, value);
            return true;
        }
    }

    public bool ContainsKey(TKey key)
    {
        lock (this)
        {
            return _items is not null && _items.ContainsKey(key);
        }
    }

    public bool TryGetValue(TKey key, out TValue value)
    {
        lock (this)
        {
            if (_items is not null && _items.TryGetValue(key, out value!))
            {
                return true;
            }
        }

        value = default!;
        return false;
    }

    /// <summary>The value for <paramref name="key"/>, created under the lock when missing (keep the factory cheap).</summary>
    public TValue GetOrAdd(TKey key, Func<TKey, TValue> create)
    {
        lock (this)
        {
            var items = Items();
            if (!items.TryGetValue(key, out var value))
            {
                value = create(key);
                items.Add(key, value);
            }

            return value;
        }
    }

    public TValue GetOrAdd(TKey key, TValue value) => GetOrAdd(key, _ => value);

    public IEnumerator<KeyValuePair<TKey, TValue>> GetEnumerator()
    {
        List<KeyValuePair<TKey, TValue>> snapshot;
        lock (this)
        {
            snapshot = _items is null ? new List<KeyValuePair<TKey, TValue>>() : new List<KeyValuePair<TKey, TValue>>(_items);
        }

        return snapshot.GetEnumerator();
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private Dictionary<TKey, TValue> Items() => _items ??= new Dictionary<TKey, TValue>(_comparer);
}

/// <summary>A thread-safe list (insertion order) whose storage is allocated on first add. Enumeration takes a snapshot.</summary>
internal sealed class LockedBag<T> : IEnumerable<T>
{
    private List<T>? _items;

    public int Count
    {
        get
        {
            lock (this)
            {
                return _items?.Count ?? 0;
            }
        }
    }

    public bool IsEmpty => Count == 0;

    public void Add(T item)
    {
        lock (this)
        {
            (_items ??= new List<T>()).Add(item);
        }
    }

    public void Enqueue(T item) => Add(item);

    public T[] ToArray()
    {
        lock (this)
        {
            return _items is null ? Array.Empty<T>() : _items.ToArray();
        }
    }

    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)ToArray()).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
