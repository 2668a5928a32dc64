namespace CorrectCode.RealLibraries6a;

/// <summary>
/// A handler list in the style of MessagePipe's <c>FreeList</c>: slots are handed out under a gate, the array is
/// published whole with <c>Volatile.Write</c> and iterated without the lock, and a private <c>Initialize()</c> is run
/// by the constructor and re-run under the gate when the list empties.
/// </summary>
public sealed class SlotList<T>
    where T : class
{
    private const int InitialCapacity = 4;

    private readonly object _gate = new();
    private T?[] _values = Array.Empty<T?>();
    private Queue<int> _free = new();
    private int _count;
    private bool _disposed;

    public SlotList()
    {
        Initialize();
    }

    public T?[] Snapshot() => Volatile.Read(ref _values);

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    public int Add(T value)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_free.Count == 0)
            {
                var grown = new T?[_values.Length * 2];
                Array.Copy(_values, grown, _values.Length);
                for (var i = _values.Length; i < grown.Length; i++)
                {
                    _free.Enqueue(i);
                }

                Volatile.Write(ref _values, grown);
            }

            var index = _free.Dequeue();
            _values[index] = value;
            _count++;
            return index;
        }
    }

    public void Remove(int index)
    {
        lock (_gate)
        {
            if (_disposed || _values[index] is null)
            {
                return;
            }

            _values[index] = null;
            _free.Enqueue(index);
            _count--;
            if (_count == 0 && _values.Length > 2 * InitialCapacity)
            {
                Initialize();
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _count = 0;
            Volatile.Write(ref _values, Array.Empty<T?>());
        }
    }

    private void Initialize()
    {
        _free = new Queue<int>(InitialCapacity);
        for (var i = 0; i < InitialCapacity; i++)
        {
            _free.Enqueue(i);
        }

        _count = 0;
        Volatile.Write(ref _values, new T?[InitialCapacity]);
    }
}

/// <summary>
/// A publisher over the list, in the style of MessagePipe's brokers: a sequential strategy awaits each handler, the
/// parallel one awaits them together, and a one-shot handler lets only its first call through with
/// <c>Interlocked.Increment</c>.
/// </summary>
public sealed class Publisher<TMessage>
{
    private readonly SlotList<Func<TMessage, CancellationToken, ValueTask>> _handlers = new();

    public IDisposable Subscribe(Func<TMessage, CancellationToken, ValueTask> handler)
        => new Subscription(_handlers, _handlers.Add(handler));

    public async ValueTask PublishAsync(TMessage message, bool sequential, CancellationToken cancellationToken)
    {
        var handlers = _handlers.Snapshot();
        if (sequential)
        {
            foreach (var handler in handlers)
            {
                if (handler is not null)
                {
                    await handler(message, cancellationToken).ConfigureAwait(false);
                }
            }

            return;
        }

        var tasks = new List<Task>(handlers.Length);
        foreach (var handler in handlers)
        {
            if (handler is not null)
            {
                tasks.Add(handler(message, cancellationToken).AsTask());
            }
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    public Task<TMessage> FirstAsync(CancellationToken cancellationToken)
    {
        var once = new FirstMessage(cancellationToken);
        once.Subscription = Subscribe(once.HandleAsync);
        return once.Task;
    }

    private sealed class FirstMessage
    {
        private readonly TaskCompletionSource<TMessage> _source = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationToken _cancellationToken;
        private int _handled;

        public FirstMessage(CancellationToken cancellationToken) => _cancellationToken = cancellationToken;

        public IDisposable? Subscription { get; set; }

        public Task<TMessage> Task => _source.Task;

        public ValueTask HandleAsync(TMessage message, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _handled) == 1)
            {
                if (cancellationToken.IsCancellationRequested || _cancellationToken.IsCancellationRequested)
                {
                    _source.TrySetCanceled(cancellationToken.IsCancellationRequested ? cancellationToken : _cancellationToken);
                }
                else
                {
                    _source.TrySetResult(message);
                }

                Subscription?.Dispose();
            }

            return default;
        }
    }

    private sealed class Subscription : IDisposable
    {
        private readonly SlotList<Func<TMessage, CancellationToken, ValueTask>> _list;
        private readonly int _index;
        private int _disposed;

        public Subscription(SlotList<Func<TMessage, CancellationToken, ValueTask>> list, int index)
        {
            _list = list;
            _index = index;
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                _list.Remove(_index);
            }
        }
    }
}

/// <summary>
/// A try-only spin gate around a pooled stack, as MessagePipe's <c>PoolStack</c>: a caller that loses the
/// <c>CompareExchange</c> gives up instead of waiting, and the winner releases the gate with <c>Volatile.Write</c>.
/// </summary>
public sealed class PooledStack<T>
    where T : class
{
    private readonly Stack<T> _items = new();
    private int _gate;

    public bool TryPop(out T? item)
    {
        if (Interlocked.CompareExchange(ref _gate, 1, 0) == 0)
        {
            var found = _items.TryPop(out item);
            Volatile.Write(ref _gate, 0);
            return found;
        }

        item = null;
        return false;
    }

    public bool TryPush(T item)
    {
        if (Interlocked.CompareExchange(ref _gate, 1, 0) == 0)
        {
            _items.Push(item);
            Volatile.Write(ref _gate, 0);
            return true;
        }

        return false;
    }
}

/// <summary>
/// A message writer in the style of StreamJsonRpc's <c>NewLineDelimitedMessageHandler</c>: every constructor runs a
/// common helper that sets the line terminator, a property setter replaces it (configuration before use), and the
/// write path reads it without a lock; an unrelated counter is kept under a gate.
/// </summary>
public sealed class LineDelimitedWriter
{
    private readonly object _statsGate = new();
    private readonly Stream _stream;
    private byte[] _newLine = Array.Empty<byte>();
    private bool _crlf;
    private long _messages;

    public LineDelimitedWriter(Stream stream)
    {
        _stream = stream;
        CommonConstructor();
    }

    public LineDelimitedWriter(Stream stream, bool crlf)
        : this(stream)
    {
        CrLf = crlf;
    }

    public bool CrLf
    {
        get => _crlf;
        set
        {
            if (_crlf != value)
            {
                _newLine = value ? "\r\n"u8.ToArray() : "\n"u8.ToArray();
                _crlf = value;
            }
        }
    }

    public long Messages
    {
        get
        {
            lock (_statsGate)
            {
                return _messages;
            }
        }
    }

    public async Task WriteAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        await _stream.WriteAsync(message, cancellationToken).ConfigureAwait(false);
        await _stream.WriteAsync(_newLine, cancellationToken).ConfigureAwait(false);
        lock (_statsGate)
        {
            _messages++;
        }
    }

    private void CommonConstructor()
    {
        _newLine = "\n"u8.ToArray();
    }
}
