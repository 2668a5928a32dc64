// Go concurrency documents (the seeds the rules grew from) translated to idiomatic C#: the correct counterparts of
// their examples, more correct variants of the same shapes, the one-shot result channel that CONC602/CONC603 used to
// report, and near misses of this session's fixes. Each type names the seed example it translates
// ("Go seed <file>:<line>"). Every CONC rule must stay silent here.
using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using System.Threading.Channels;

namespace CorrectCode.SeedTranslationsA.Seed000
{
    public sealed record Item(int Id, string Payload);

    // Go seed 000:35: correct
    public sealed class HeartbeatWorker : IAsyncDisposable
    {
        private readonly CancellationTokenSource _cts = new();
        private readonly Task _run;
        private int _beats;

        public HeartbeatWorker()
        {
            _run = Task.Run(() => RunAsync(_cts.Token));
        }

        public int Beats => Volatile.Read(ref _beats);

        private async Task RunAsync(CancellationToken cancellationToken)
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            try
            {
                while (await timer.WaitForNextTickAsync(cancellationToken))
                {
                    DoWork();
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                Console.WriteLine("Worker stopping");
            }
        }

        private void DoWork() => Interlocked.Increment(ref _beats);

        public async ValueTask DisposeAsync()
        {
            _cts.Cancel();
            await _run;
            _cts.Dispose();
        }
    }

    // Go seed 000:91: correct
    public sealed class PollingService : IAsyncDisposable
    {
        private readonly CancellationTokenSource _cts = new();
        private readonly List<Task> _workers = new();

        public void Start()
        {
            for (var i = 0; i < 5; i++)
            {
                var id = i;
                _workers.Add(Task.Run(() => WorkerAsync(id, _cts.Token)));
            }
        }

        private static async Task WorkerAsync(int id, CancellationToken cancellationToken)
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            Console.WriteLine($"Worker {id} stopping");
        }

        public async ValueTask DisposeAsync()
        {
            _cts.Cancel();
            await Task.WhenAll(_workers);
            _cts.Dispose();
        }
    }

    // Go seed 000:163: correct
    public static class CancellableSequenceSource
    {
        public static ChannelReader<int> GenerateNumbers(CancellationToken cancellationToken)
        {
            var channel = Channel.CreateBounded<int>(1);
            _ = Task.Run(async () =>
            {
                try
                {
                    for (var i = 0; ; i++)
                    {
                        await channel.Writer.WriteAsync(i, cancellationToken);
                    }
                }
                catch (OperationCanceledException)
                {
                }
                finally
                {
                    channel.Writer.TryComplete();
                }
            });
            return channel.Reader;
        }
    }

    // Go seed 000:189: correct
    public sealed class ReportBuilder
    {
        public async Task<int> BuildAsync()
        {
            var result = await Task.Run(ExpensiveComputation);
            Console.WriteLine(result);
            return result;
        }

        private static int ExpensiveComputation() => Enumerable.Range(0, 1000).Sum();
    }

    // Go seed 000:209: correct
    public sealed class BatchPrinter
    {
        public async Task PrintAsync(CancellationToken cancellationToken)
        {
            var channel = Channel.CreateBounded<int>(10);
            var producer = Task.Run(async () =>
            {
                try
                {
                    for (var i = 0; i < 10; i++)
                    {
                        await channel.Writer.WriteAsync(i, cancellationToken);
                    }
                }
                finally
                {
                    channel.Writer.Complete();
                }
            }, cancellationToken);

            await foreach (var value in channel.Reader.ReadAllAsync(cancellationToken))
            {
                Console.WriteLine(value);
            }

            await producer;
        }
    }

    // Go seed 000:257: correct
    public sealed class CancellingQuoteClient
    {
        private readonly HttpClient _http;

        public CancellingQuoteClient(HttpClient http) => _http = http;

        public async Task<string> FetchWithTimeoutAsync(CancellationToken cancellationToken)
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(TimeSpan.FromSeconds(5));
            return await _http.GetStringAsync("https://quotes.example.com/latest", cts.Token);
        }
    }

    // Go seed 000:288: correct
    public sealed class Mailbox
    {
        private readonly Channel<int> _channel = Channel.CreateBounded<int>(16);

        public bool TryReceive(out int value) => _channel.Reader.TryRead(out value);

        public bool TrySend(int value) => _channel.Writer.TryWrite(value);
    }

    // Go seed 000:312: correct
    public sealed class ItemProcessor
    {
        public Task ProcessItemsAsync(IReadOnlyList<Item> items)
        {
            return Task.Run(() =>
            {
                foreach (var item in items)
                {
                    Process(item);
                }
            });
        }

        public async Task RunAsync(IReadOnlyList<Item> items)
        {
            await ProcessItemsAsync(items);
            Console.WriteLine("Processing complete");
        }

        private static void Process(Item item) => Console.WriteLine(item.Id);
    }

    // Go seed 000:345: correct
    public static class SquarePipeline
    {
        public static ChannelReader<int> Generate(CancellationToken cancellationToken, params int[] numbers)
        {
            var output = Channel.CreateUnbounded<int>();
            _ = Task.Run(async () =>
            {
                try
                {
                    foreach (var n in numbers)
                    {
                        await output.Writer.WriteAsync(n, cancellationToken);
                    }
                }
                finally
                {
                    output.Writer.TryComplete();
                }
            }, cancellationToken);
            return output.Reader;
        }

        public static ChannelReader<int> Square(ChannelReader<int> input, CancellationToken cancellationToken)
        {
            var output = Channel.CreateUnbounded<int>();
            _ = Task.Run(async () =>
            {
                try
                {
                    await foreach (var n in input.ReadAllAsync(cancellationToken))
                    {
                        await output.Writer.WriteAsync(n * n, cancellationToken);
                    }
                }
                finally
                {
                    output.Writer.TryComplete();
                }
            }, cancellationToken);
            return output.Reader;
        }

        public static async Task PrintAsync(ChannelReader<int> input, CancellationToken cancellationToken)
        {
            await foreach (var n in input.ReadAllAsync(cancellationToken))
            {
                Console.WriteLine(n);
            }
        }

        public static async Task RunAsync()
        {
            using var cts = new CancellationTokenSource();
            var numbers = Generate(cts.Token, 1, 2, 3, 4);
            var squared = Square(numbers, cts.Token);
            await PrintAsync(squared, cts.Token);
        }
    }

    // Go seed 000:408: correct
    public sealed class RequestCounter
    {
        private readonly object _gate = new();
        private int _value;

        public void Increment()
        {
            lock (_gate)
            {
                _value++;
            }
        }

        public int Value
        {
            get
            {
                lock (_gate)
                {
                    return _value;
                }
            }
        }
    }

    // Go seed 000:433: correct
    public sealed class SettingsCache : IDisposable
    {
        private readonly ReaderWriterLockSlim _lock = new();
        private readonly Dictionary<string, string> _data = new();

        public bool TryGet(string key, out string? value)
        {
            _lock.EnterReadLock();
            try
            {
                return _data.TryGetValue(key, out value);
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }

        public void Set(string key, string value)
        {
            _lock.EnterWriteLock();
            try
            {
                _data[key] = value;
            }
            finally
            {
                _lock.ExitWriteLock();
            }
        }

        public void Delete(string key)
        {
            _lock.EnterWriteLock();
            try
            {
                _data.Remove(key);
            }
            finally
            {
                _lock.ExitWriteLock();
            }
        }

        public int Count
        {
            get
            {
                _lock.EnterReadLock();
                try
                {
                    return _data.Count;
                }
                finally
                {
                    _lock.ExitReadLock();
                }
            }
        }

        public void Dispose() => _lock.Dispose();
    }

    // Go seed 000:481: correct
    public sealed class ThumbnailRenderer
    {
        public void RenderAll(IReadOnlyList<Item> items)
        {
            Parallel.ForEach(items, item => Render(item));
        }

        private static void Render(Item item) => Console.WriteLine(item.Payload);
    }

    // Go seed 000:503: correct
    public sealed class ImportValidator
    {
        public List<Exception> ValidateAll(IReadOnlyList<Item> items)
        {
            var gate = new object();
            var errors = new List<Exception>();

            Parallel.ForEach(items, item =>
            {
                try
                {
                    Validate(item);
                }
                catch (FormatException ex)
                {
                    lock (gate)
                    {
                        errors.Add(ex);
                    }
                }
            });

            return errors;
        }

        private static void Validate(Item item)
        {
            if (item.Payload.Length == 0)
            {
                throw new FormatException($"Item {item.Id} is empty");
            }
        }
    }

    public sealed class Database
    {
        public Database(string connection) => Connection = connection;

        public string Connection { get; }
    }

    // Go seed 000:541: correct
    public static class DatabaseProvider
    {
        private static readonly Lazy<Database> Instance = new(() => new Database(OpenConnection()));

        public static Database GetDatabase() => Instance.Value;

        private static string OpenConnection() => Environment.GetEnvironmentVariable("DATABASE_URL") ?? "Host=localhost";
    }

    public sealed class ApiClient { }

    public sealed class ResponseCache { }

    // Go seed 000:564: correct
    public sealed class AppServices
    {
        private readonly Lazy<ApiClient> _api = new(() => new ApiClient());
        private readonly Lazy<Database> _db = new(() => new Database("Host=db"));
        private readonly Lazy<ResponseCache> _cache = new(() => new ResponseCache(), LazyThreadSafetyMode.ExecutionAndPublication);

        public ApiClient Api => _api.Value;

        public Database Db => _db.Value;

        public ResponseCache Cache => _cache.Value;
    }

    // Go seed 000:600: correct
    public static class PayloadHasher
    {
        public static int ProcessData(ReadOnlySpan<byte> data)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(data.Length);
            try
            {
                data.CopyTo(buffer);
                var hash = 17;
                for (var i = 0; i < data.Length; i++)
                {
                    hash = unchecked(hash * 31 + buffer[i]);
                }

                return hash;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    public sealed class PooledWorker
    {
        public StringBuilder Scratch { get; } = new();

        public void Reset() => Scratch.Clear();
    }

    // Go seed 000:636: correct
    public sealed class WorkerPoolCache
    {
        private readonly ConcurrentBag<PooledWorker> _pool = new();

        public PooledWorker Get() => _pool.TryTake(out var worker) ? worker : new PooledWorker();

        public void Put(PooledWorker worker)
        {
            worker.Reset();
            _pool.Add(worker);
        }
    }

    // Go seed 000:677: correct
    public sealed class Registry
    {
        private readonly ConcurrentDictionary<string, object> _items = new();

        public void Register(string id, object item) => _items[id] = item;

        public bool TryGet(string id, out object? item) => _items.TryGetValue(id, out item);

        public void Delete(string id) => _items.TryRemove(id, out _);

        public void Range(Func<string, object, bool> visit)
        {
            foreach (var (key, value) in _items)
            {
                if (!visit(key, value))
                {
                    break;
                }
            }
        }
    }

    // Go seed 000:756: correct
    public sealed class LimitedProcessor
    {
        public Task ProcessItemsAsync(IReadOnlyList<Item> items, CancellationToken cancellationToken)
        {
            var options = new ParallelOptions { MaxDegreeOfParallelism = 10, CancellationToken = cancellationToken };
            return Parallel.ForEachAsync(items, options, async (item, token) => await ProcessItemAsync(item, token));
        }

        private static async Task ProcessItemAsync(Item item, CancellationToken cancellationToken)
            => await Task.Delay(item.Id, cancellationToken);
    }

    // Go seed 000:782: correct
    public sealed class PageFetcher
    {
        private readonly HttpClient _http;

        public PageFetcher(HttpClient http) => _http = http;

        public async Task<List<string>> FetchMultipleAsync(IReadOnlyList<string> urls, CancellationToken cancellationToken)
        {
            var gate = new object();
            var results = new List<string>();
            var options = new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken };

            await Parallel.ForEachAsync(urls, options, async (url, token) =>
            {
                var body = await _http.GetStringAsync(url, token);
                lock (gate)
                {
                    results.Add(body);
                }
            });

            return results;
        }
    }

    // Go seed 000:832: correct
    public sealed class BillingApi
    {
        private readonly HttpClient _http;

        public BillingApi(HttpClient http) => _http = http;

        public async Task CallApiAsync(CancellationToken cancellationToken)
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(TimeSpan.FromSeconds(5));
            using var response = await _http.PostAsync("https://billing.example.com/charge", null, cts.Token);
            response.EnsureSuccessStatusCode();
        }
    }

    // Go seed 000:896: correct
    public sealed class DeadlineScheduler
    {
        private int _remaining = 100;

        public void ScheduleTask(DateTimeOffset deadline)
        {
            var delay = deadline - DateTimeOffset.UtcNow;
            using var cts = new CancellationTokenSource(delay > TimeSpan.Zero ? delay : TimeSpan.Zero);
            RunTask(cts.Token);
        }

        private void RunTask(CancellationToken cancellationToken)
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (DoWork())
                {
                    return;
                }
            }
        }

        private bool DoWork() => --_remaining <= 0;
    }

    // Go seed 000:1008: correct
    public static class FanInStage
    {
        public static ChannelReader<int> FanIn(params ChannelReader<int>[] inputs)
        {
            var output = Channel.CreateUnbounded<int>();
            var pumps = inputs.Select(input => Task.Run(async () =>
            {
                await foreach (var n in input.ReadAllAsync())
                {
                    output.Writer.TryWrite(n);
                }
            })).ToArray();

            _ = Task.WhenAll(pumps).ContinueWith(
                t => output.Writer.TryComplete(t.Exception),
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);

            return output.Reader;
        }
    }

    // Go seed 000:1040: correct
    public static class SquareFanOutFanIn
    {
        public static ChannelReader<int> Process(ChannelReader<int> input, int workers, CancellationToken cancellationToken)
        {
            var outputs = new ChannelReader<int>[workers];
            for (var i = 0; i < workers; i++)
            {
                outputs[i] = Worker(input, cancellationToken);
            }

            return Merge(outputs, cancellationToken);
        }

        private static ChannelReader<int> Worker(ChannelReader<int> input, CancellationToken cancellationToken)
        {
            var output = Channel.CreateBounded<int>(1);
            _ = Task.Run(async () =>
            {
                try
                {
                    await foreach (var n in input.ReadAllAsync(cancellationToken))
                    {
                        await output.Writer.WriteAsync(n * n, cancellationToken);
                    }
                }
                finally
                {
                    output.Writer.TryComplete();
                }
            }, cancellationToken);
            return output.Reader;
        }

        private static ChannelReader<int> Merge(ChannelReader<int>[] inputs, CancellationToken cancellationToken)
        {
            var output = Channel.CreateBounded<int>(1);
            _ = MergeAsync();
            return output.Reader;

            async Task MergeAsync()
            {
                try
                {
                    await Task.WhenAll(inputs.Select(async input =>
                    {
                        await foreach (var n in input.ReadAllAsync(cancellationToken))
                        {
                            await output.Writer.WriteAsync(n, cancellationToken);
                        }
                    }));
                }
                catch (OperationCanceledException)
                {
                }
                finally
                {
                    output.Writer.TryComplete();
                }
            }
        }
    }

    // Go seed 000:1105: correct
    public sealed class JobWorkerPool
    {
        private readonly Channel<Func<Task>> _tasks;
        private readonly List<Task> _workers = new();
        private readonly int _workerCount;
        private readonly Action<Exception> _onError;

        public JobWorkerPool(int workers, Action<Exception> onError)
        {
            _workerCount = workers;
            _onError = onError;
            _tasks = Channel.CreateBounded<Func<Task>>(workers);
        }

        public void Start(CancellationToken cancellationToken)
        {
            for (var i = 0; i < _workerCount; i++)
            {
                _workers.Add(Task.Run(() => WorkerAsync(cancellationToken), cancellationToken));
            }
        }

        private async Task WorkerAsync(CancellationToken cancellationToken)
        {
            await foreach (var task in _tasks.Reader.ReadAllAsync(cancellationToken))
            {
                try
                {
                    await task();
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    _onError(ex);
                }
            }
        }

        public ValueTask SubmitAsync(Func<Task> task, CancellationToken cancellationToken)
            => _tasks.Writer.WriteAsync(task, cancellationToken);

        public async Task StopAsync()
        {
            _tasks.Writer.TryComplete();
            await Task.WhenAll(_workers);
        }
    }

    public sealed record Job(int Id, string Data);

    public sealed record JobResult(Job Job, int Value, Exception? Error);

    // Go seed 000:1167: correct
    public sealed class ResultPool
    {
        private readonly Channel<Job> _jobs = Channel.CreateBounded<Job>(32);
        private readonly Channel<JobResult> _results = Channel.CreateUnbounded<JobResult>();
        private readonly List<Task> _workers = new();
        private readonly int _workerCount;

        public ResultPool(int workers) => _workerCount = workers;

        public ChannelReader<JobResult> Results => _results.Reader;

        public void Start(CancellationToken cancellationToken)
        {
            for (var i = 0; i < _workerCount; i++)
            {
                _workers.Add(Task.Run(() => WorkerAsync(cancellationToken), cancellationToken));
            }
        }

        private async Task WorkerAsync(CancellationToken cancellationToken)
        {
            await foreach (var job in _jobs.Reader.ReadAllAsync(cancellationToken))
            {
                JobResult result;
                try
                {
                    result = new JobResult(job, Process(job.Data), null);
                }
                catch (FormatException ex)
                {
                    result = new JobResult(job, 0, ex);
                }

                await _results.Writer.WriteAsync(result, cancellationToken);
            }
        }

        private static int Process(string data) => int.Parse(data);

        public ValueTask SubmitAsync(Job job, CancellationToken cancellationToken) => _jobs.Writer.WriteAsync(job, cancellationToken);

        public async Task StopAsync()
        {
            _jobs.Writer.TryComplete();
            try
            {
                await Task.WhenAll(_workers);
            }
            finally
            {
                _results.Writer.TryComplete();
            }
        }
    }

    // Go seed 000:1306: correct
    public sealed class ThrottledUploader
    {
        public async Task ThrottledProcessAsync(IReadOnlyList<Item> items, TimeSpan rate, CancellationToken cancellationToken)
        {
            using var timer = new PeriodicTimer(rate);
            foreach (var item in items)
            {
                await timer.WaitForNextTickAsync(cancellationToken);
                await UploadAsync(item, cancellationToken);
            }
        }

        private static Task UploadAsync(Item item, CancellationToken cancellationToken) => Task.Delay(item.Id, cancellationToken);
    }

    // Go seed 000:1358: correct
    public sealed class SafeMap
    {
        private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
        private readonly Dictionary<string, int> _map = new();

        public void Set(string key, int value)
        {
            _lock.EnterWriteLock();
            try
            {
                _map[key] = value;
            }
            finally
            {
                _lock.ExitWriteLock();
            }
        }

        public int Get(string key)
        {
            _lock.EnterReadLock();
            try
            {
                return _map.TryGetValue(key, out var value) ? value : 0;
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    // Go seed 000:1395: correct
    public sealed class ChannelCollector
    {
        public async Task<List<int>> CollectAsync(CancellationToken cancellationToken)
        {
            var channel = Channel.CreateUnbounded<int>();

            var producer = Task.Run(() =>
            {
                try
                {
                    for (var i = 0; i < 10; i++)
                    {
                        channel.Writer.TryWrite(i);
                    }
                }
                finally
                {
                    channel.Writer.Complete();
                }
            }, cancellationToken);

            var items = new List<int>();
            await foreach (var n in channel.Reader.ReadAllAsync(cancellationToken))
            {
                items.Add(n);
            }

            await producer;
            return items;
        }
    }

    // Go seed 000:1418: correct
    public sealed class AtomicCounter
    {
        private long _value;

        public void Increment() => Interlocked.Increment(ref _value);

        public void Decrement() => Interlocked.Decrement(ref _value);

        public long Value => Interlocked.Read(ref _value);

        public void Reset() => Interlocked.Exchange(ref _value, 0);

        public bool CompareAndSwap(long expected, long replacement)
            => Interlocked.CompareExchange(ref _value, replacement, expected) == expected;
    }
}

namespace CorrectCode.SeedTranslationsA.Seed002
{
    public sealed record Job(int Id, string Name);

    // Go seed 002:31: correct
    public sealed class JobBatchRunner
    {
        public async Task ProcessAllAsync(IReadOnlyList<Job> jobs, int workers, CancellationToken cancellationToken)
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var token = cts.Token;
            var jobChannel = Channel.CreateBounded<Job>(workers);

            var consumers = new Task[workers];
            for (var i = 0; i < workers; i++)
            {
                consumers[i] = Task.Run(async () =>
                {
                    try
                    {
                        await foreach (var job in jobChannel.Reader.ReadAllAsync(token))
                        {
                            await ProcessAsync(job, token);
                        }
                    }
                    catch
                    {
                        cts.Cancel();
                        throw;
                    }
                }, token);
            }

            var producer = Task.Run(async () =>
            {
                try
                {
                    foreach (var job in jobs)
                    {
                        await jobChannel.Writer.WriteAsync(job, token);
                    }
                }
                finally
                {
                    jobChannel.Writer.TryComplete();
                }
            }, token);

            await Task.WhenAll(consumers.Append(producer));
        }

        private static Task ProcessAsync(Job job, CancellationToken cancellationToken) => Task.Delay(job.Id, cancellationToken);
    }

    // Go seed 002:100: correct
    public sealed class JobConsumer
    {
        public async Task WorkerAsync(ChannelReader<Job> input, CancellationToken cancellationToken)
        {
            await foreach (var job in input.ReadAllAsync(cancellationToken))
            {
                Process(job);
            }
        }

        private static void Process(Job job) => Console.WriteLine(job.Name);
    }

    // Go seed 002:121: correct
    public sealed class FixedHotPathCounter
    {
        private SpinLock _spinLock = new(enableThreadOwnerTracking: false);
        private long _count;

        public void Increment()
        {
            var taken = false;
            try
            {
                _spinLock.Enter(ref taken);
                _count++;
            }
            finally
            {
                if (taken)
                {
                    _spinLock.Exit();
                }
            }
        }

        public long Count
        {
            get
            {
                var taken = false;
                try
                {
                    _spinLock.Enter(ref taken);
                    return _count;
                }
                finally
                {
                    if (taken)
                    {
                        _spinLock.Exit();
                    }
                }
            }
        }
    }
}

namespace CorrectCode.SeedTranslationsA.Seed003
{
    public sealed record Item(int Id, string Name);

    public readonly record struct Update(string Key, int Value);

    // Go seed 003:14: correct
    public static class SharedScoreboard
    {
        private static readonly object Gate = new();
        private static readonly Dictionary<string, int> Data = new();

        public static void Update(string key, int value)
        {
            lock (Gate)
            {
                Data[key] = value;
            }
        }
    }

    // Go seed 003:31: correct
    public sealed class ScoreboardManager
    {
        private readonly Channel<Update> _updates = Channel.CreateUnbounded<Update>(new UnboundedChannelOptions { SingleReader = true });

        public bool Post(Update update) => _updates.Writer.TryWrite(update);

        public void Complete() => _updates.Writer.TryComplete();

        public async Task<Dictionary<string, int>> RunAsync(CancellationToken cancellationToken)
        {
            var data = new Dictionary<string, int>();
            await foreach (var update in _updates.Reader.ReadAllAsync(cancellationToken))
            {
                data[update.Key] = update.Value;
            }

            return data;
        }
    }

    // Go seed 003:45: correct
    public sealed class IndexWarmerFixed
    {
        public async Task WarmAllAsync(IReadOnlyList<Item> items)
        {
            var tasks = new List<Task>();
            for (var i = 0; i < Math.Min(items.Count, 8); i++)
            {
                var item = items[i];
                tasks.Add(Task.Run(() => Warm(item)));
            }

            await Task.WhenAll(tasks);
        }

        private static void Warm(Item item) => Console.WriteLine(item.Name);
    }

    // Go seed 003:63: correct
    public sealed class CountdownProcessor
    {
        public void ProcessAll(IReadOnlyList<Item> items)
        {
            using var done = new CountdownEvent(items.Count);
            foreach (var item in items)
            {
                ThreadPool.QueueUserWorkItem(_ =>
                {
                    try
                    {
                        Process(item);
                    }
                    finally
                    {
                        done.Signal();
                    }
                });
            }

            done.Wait();
        }

        private static void Process(Item item) => Console.WriteLine(item.Id);
    }

    // Go seed 003:108: correct
    public static class Generator
    {
        public static ChannelReader<int> Generate(params int[] numbers)
        {
            var output = Channel.CreateUnbounded<int>();
            _ = Task.Run(() =>
            {
                try
                {
                    foreach (var n in numbers)
                    {
                        output.Writer.TryWrite(n);
                    }
                }
                finally
                {
                    output.Writer.TryComplete();
                }
            });
            return output.Reader;
        }

        public static async Task PrintAsync()
        {
            await foreach (var n in Generate(1, 2, 3, 4, 5).ReadAllAsync())
            {
                Console.WriteLine(n);
            }
        }
    }

    // Go seed 003:149: correct
    public static class Merger
    {
        public static ChannelReader<int> FanIn(params ChannelReader<int>[] channels)
        {
            var output = Channel.CreateUnbounded<int>();
            _ = PumpAllAsync();
            return output.Reader;

            async Task PumpAllAsync()
            {
                Exception? error = null;
                try
                {
                    await Task.WhenAll(channels.Select(async channel =>
                    {
                        await foreach (var n in channel.ReadAllAsync())
                        {
                            await output.Writer.WriteAsync(n);
                        }
                    }));
                }
                catch (Exception ex)
                {
                    error = ex;
                }
                finally
                {
                    output.Writer.TryComplete(error);
                }
            }
        }
    }

    // Go seed 003:222: correct
    public sealed class ReplyWaiterFixed
    {
        private readonly Channel<string> _replies = Channel.CreateUnbounded<string>();

        public bool Post(string reply) => _replies.Writer.TryWrite(reply);

        public async Task<string?> WaitForReplyAsync(CancellationToken cancellationToken)
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(TimeSpan.FromSeconds(5));
            try
            {
                return await _replies.Reader.ReadAsync(cts.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return null;
            }
        }
    }

    // Go seed 003:233: correct
    public sealed class JobLoop
    {
        public async Task WorkerAsync(ChannelReader<Item> jobs, CancellationToken cancellationToken)
        {
            while (true)
            {
                var job = await jobs.ReadAsync(cancellationToken);
                Process(job);
            }
        }

        private static void Process(Item item) => Console.WriteLine(item.Id);
    }

    // Go seed 003:250: correct
    public static class ConsoleHost
    {
        public static async Task RunAsync()
        {
            using var cts = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) =>
            {
                e.Cancel = true;
                cts.Cancel();
            };

            var worker = Task.Run(() => Worker(cts.Token));
            await worker;
        }

        private static void Worker(CancellationToken cancellationToken)
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                DoWork();
            }

            Console.WriteLine("worker stopped");
        }

        private static void DoWork() => Thread.Sleep(100);
    }

    // Go seed 003:279: correct
    public sealed class DataFetcher
    {
        private readonly HttpClient _http;

        public DataFetcher(HttpClient http) => _http = http;

        public async Task<string> FetchDataAsync(string url, CancellationToken cancellationToken)
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(TimeSpan.FromSeconds(10));
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            using var response = await _http.SendAsync(request, cts.Token);
            return await response.Content.ReadAsStringAsync(cts.Token);
        }
    }

    // Go seed 003:313: correct
    public sealed class SafeCounter
    {
        private readonly Lock _gate = new();
        private int _count;

        public void Inc()
        {
            lock (_gate)
            {
                _count++;
            }
        }

        public int Value
        {
            get
            {
                lock (_gate)
                {
                    return _count;
                }
            }
        }
    }

    // Go seed 003:356: correct
    public sealed class Singleton
    {
        private static readonly Lazy<Singleton> LazyInstance = new(() => new Singleton());

        private Singleton()
        {
        }

        public static Singleton Instance => LazyInstance.Value;
    }

    // Go seed 003:372: correct
    public static class Compressor
    {
        public static int Process(ReadOnlySpan<byte> data)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(data.Length);
            try
            {
                data.CopyTo(buffer);
                return buffer.AsSpan(0, data.Length).IndexOf((byte)0);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
            }
        }
    }

    // Go seed 003:393: correct
    public static class ResultWorkerPool
    {
        public static async Task RunAsync(ChannelReader<Item> jobs, ChannelWriter<string> results, int workers, CancellationToken cancellationToken)
        {
            try
            {
                var tasks = Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
                {
                    await foreach (var job in jobs.ReadAllAsync(cancellationToken))
                    {
                        await results.WriteAsync(Process(job), cancellationToken);
                    }
                }, cancellationToken));

                await Task.WhenAll(tasks);
            }
            finally
            {
                results.TryComplete();
            }
        }

        private static string Process(Item item) => item.Name.ToUpperInvariant();
    }

    // Go seed 003:414: correct
    public sealed class ThrottledIndexer
    {
        private readonly SemaphoreSlim _semaphore = new(10, 10);

        public async Task IndexAllAsync(IEnumerable<Item> items, CancellationToken cancellationToken)
        {
            var tasks = new List<Task>();
            foreach (var item in items)
            {
                await _semaphore.WaitAsync(cancellationToken);
                tasks.Add(Task.Run(() =>
                {
                    try
                    {
                        Process(item);
                    }
                    finally
                    {
                        _semaphore.Release();
                    }
                }, cancellationToken));
            }

            await Task.WhenAll(tasks);
        }

        private static void Process(Item item) => Console.WriteLine(item.Id);
    }

    // Go seed 003:455: correct
    public static class Computation
    {
        public static ChannelReader<int> NoLeak(CancellationToken cancellationToken)
        {
            var channel = Channel.CreateBounded<int>(1);
            _ = Task.Run(async () =>
            {
                try
                {
                    await channel.Writer.WriteAsync(ExpensiveComputation(), cancellationToken);
                }
                catch (OperationCanceledException)
                {
                }
                finally
                {
                    channel.Writer.TryComplete();
                }
            }, cancellationToken);
            return channel.Reader;
        }

        private static int ExpensiveComputation() => Enumerable.Range(1, 100).Sum();
    }

    // Go seed 003:476: correct
    public sealed class HitCounterFixed
    {
        public async Task<int> CountAsync()
        {
            var gate = new object();
            var counter = 0;
            var first = Task.Run(() =>
            {
                lock (gate)
                {
                    counter++;
                }
            });
            var second = Task.Run(() =>
            {
                lock (gate)
                {
                    counter++;
                }
            });
            await Task.WhenAll(first, second);
            return counter;
        }
    }
}

namespace CorrectCode.SeedTranslationsA.Seed004
{
    public sealed record Message(string Id, string Body);

    public sealed record Item(int Id, string Name);

    // Go seed 004:10: correct
    public sealed class QueueProcessor
    {
        private readonly Channel<Message> _queue;
        private readonly Action<Exception, string> _onError;

        public QueueProcessor(Channel<Message> queue, Action<Exception, string> onError)
        {
            _queue = queue;
            _onError = onError;
        }

        public async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            await foreach (var message in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await HandleAsync(message, stoppingToken);
                }
                catch (Exception ex)
                {
                    _onError(ex, message.Id);
                }
            }
        }

        private static Task HandleAsync(Message message, CancellationToken cancellationToken) => Task.Delay(message.Body.Length, cancellationToken);
    }

    // Go seed 004:56: correct
    public sealed class LimitedBatchService
    {
        public Task ProcessItemsAsync(IReadOnlyList<Item> items, int workers, CancellationToken cancellationToken)
        {
            return Parallel.ForEachAsync(
                items,
                new ParallelOptions { MaxDegreeOfParallelism = workers, CancellationToken = cancellationToken },
                (item, token) => new ValueTask(ProcessItemAsync(item, token)));
        }

        private static Task ProcessItemAsync(Item item, CancellationToken cancellationToken) => Task.Delay(item.Id, cancellationToken);
    }

    // Go seed 004:73: correct
    public sealed class ManualWorkerPool
    {
        public async Task RunAsync(IReadOnlyList<Item> items, int workers, CancellationToken cancellationToken)
        {
            var jobs = Channel.CreateBounded<Item>(Math.Max(1, items.Count));
            var consumers = Enumerable.Range(0, workers)
                .Select(_ => Task.Run(async () =>
                {
                    await foreach (var item in jobs.Reader.ReadAllAsync(cancellationToken))
                    {
                        await ProcessItemAsync(item, cancellationToken);
                    }
                }, cancellationToken))
                .ToArray();

            try
            {
                foreach (var item in items)
                {
                    if (cancellationToken.IsCancellationRequested)
                    {
                        break;
                    }

                    await jobs.Writer.WriteAsync(item, cancellationToken);
                }
            }
            finally
            {
                jobs.Writer.Complete();
            }

            await Task.WhenAll(consumers);
        }

        private static Task ProcessItemAsync(Item item, CancellationToken cancellationToken) => Task.Delay(item.Id, cancellationToken);
    }

    // Go seed 004:113: correct
    public sealed class PriceAggregatorFixed
    {
        private readonly HttpClient _http;

        public PriceAggregatorFixed(HttpClient http) => _http = http;

        public async Task<string[]> FetchAllAsync(string[] urls, CancellationToken cancellationToken)
        {
            var results = new string[urls.Length];
            await Parallel.ForEachAsync(
                Enumerable.Range(0, urls.Length),
                new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken },
                async (index, token) => results[index] = await _http.GetStringAsync(urls[index], token));
            return results;
        }
    }

    public sealed record Result(string Source, int Value);

    // Go seed 004:138: correct
    public static class ResultMerger
    {
        public static ChannelReader<Result> FanIn(CancellationToken cancellationToken, params ChannelReader<Result>[] channels)
        {
            var merged = Channel.CreateBounded<Result>(channels.Length);
            var pumps = new List<Task>();
            foreach (var channel in channels)
            {
                pumps.Add(Task.Run(async () =>
                {
                    await foreach (var result in channel.ReadAllAsync(cancellationToken))
                    {
                        await merged.Writer.WriteAsync(result, cancellationToken);
                    }
                }, cancellationToken));
            }

            _ = CompleteWhenDoneAsync();
            return merged.Reader;

            async Task CompleteWhenDoneAsync()
            {
                try
                {
                    await Task.WhenAll(pumps);
                    merged.Writer.TryComplete();
                }
                catch (Exception ex)
                {
                    merged.Writer.TryComplete(ex);
                }
            }
        }
    }

    // Go seed 004:191: correct
    public sealed class StringCache
    {
        private readonly ReaderWriterLockSlim _lock = new();
        private readonly Dictionary<string, string> _items = new(StringComparer.Ordinal);

        public bool TryGet(string key, out string? value)
        {
            _lock.EnterReadLock();
            try
            {
                return _items.TryGetValue(key, out value);
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }

        public void Set(string key, string value)
        {
            _lock.EnterWriteLock();
            try
            {
                _items[key] = value;
            }
            finally
            {
                _lock.ExitWriteLock();
            }
        }
    }

    public sealed class DataSource
    {
        public static async Task<DataSource> OpenAsync(string connectionString, CancellationToken cancellationToken)
        {
            await Task.Delay(10, cancellationToken);
            return new DataSource();
        }
    }

    // Go seed 004:213: correct
    public sealed class DbPoolFixed
    {
        private readonly SemaphoreSlim _gate = new(1, 1);
        private DataSource? _pool;

        public async Task<DataSource> GetAsync(CancellationToken cancellationToken)
        {
            await _gate.WaitAsync(cancellationToken);
            try
            {
                return _pool ??= await DataSource.OpenAsync(Environment.GetEnvironmentVariable("DATABASE_URL") ?? "", cancellationToken);
            }
            finally
            {
                _gate.Release();
            }
        }
    }

    // Go seed 004:238: correct
    public static class RequestRenderer
    {
        public static string ProcessRequest(ReadOnlySpan<char> data)
        {
            var buffer = ArrayPool<char>.Shared.Rent(data.Length);
            try
            {
                data.CopyTo(buffer);
                return new string(buffer, 0, data.Length);
            }
            finally
            {
                ArrayPool<char>.Shared.Return(buffer);
            }
        }
    }

    // Go seed 004:256: correct
    public sealed class DoneSignalWorker
    {
        public async Task WorkerAsync(CancellationToken done, ChannelReader<Item> jobs)
        {
            try
            {
                while (await jobs.WaitToReadAsync(done))
                {
                    while (jobs.TryRead(out var job))
                    {
                        Process(job);
                    }
                }
            }
            catch (OperationCanceledException) when (done.IsCancellationRequested)
            {
            }
        }

        private static void Process(Item item) => Console.WriteLine(item.Id);
    }

    // Go seed 004:274: correct
    public sealed class TimeoutFetcher
    {
        private readonly HttpClient _http;

        public TimeoutFetcher(HttpClient http) => _http = http;

        public async Task<byte[]> FetchWithTimeoutAsync(string url, CancellationToken cancellationToken)
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(TimeSpan.FromSeconds(5));
            using var response = await _http.GetAsync(url, cts.Token);
            response.EnsureSuccessStatusCode();
            return await response.Content.ReadAsByteArrayAsync(cts.Token);
        }
    }

    // Go seed 004:296: correct
    public static class Doubler
    {
        public static ChannelReader<int> Pipeline(ChannelReader<int> input, CancellationToken cancellationToken)
        {
            var output = Channel.CreateBounded<int>(1);
            _ = Task.Run(async () =>
            {
                try
                {
                    await foreach (var n in input.ReadAllAsync(cancellationToken))
                    {
                        await output.Writer.WriteAsync(n * 2, cancellationToken);
                    }
                }
                finally
                {
                    output.Writer.TryComplete();
                }
            }, cancellationToken);
            return output.Reader;
        }
    }

    // Go seed 004:327: correct
    public static class BufferedComputation
    {
        public static ChannelReader<int> Safe()
        {
            var channel = Channel.CreateBounded<int>(1);
            _ = Task.Run(() =>
            {
                try
                {
                    channel.Writer.TryWrite(Enumerable.Range(1, 1000).Sum());
                }
                finally
                {
                    channel.Writer.TryComplete();
                }
            });
            return channel.Reader;
        }

        public static ChannelReader<int> SafeAsync()
        {
            var channel = Channel.CreateBounded<int>(1);
            _ = Task.Run(async () =>
            {
                try
                {
                    await channel.Writer.WriteAsync(Enumerable.Range(1, 1000).Sum());
                }
                finally
                {
                    channel.Writer.TryComplete();
                }
            });
            return channel.Reader;
        }
    }

    // Go seed 004:350: correct
    public sealed class FeatureFlagsFixed
    {
        public async Task<Dictionary<string, int>> LoadAsync()
        {
            var gate = new object();
            var flags = new Dictionary<string, int>();
            var a = Task.Run(() =>
            {
                lock (gate)
                {
                    flags["a"] = 1;
                }
            });
            var b = Task.Run(() =>
            {
                lock (gate)
                {
                    flags["b"] = 2;
                }
            });
            await Task.WhenAll(a, b);
            return flags;
        }
    }

    // Go seed 004:370: correct
    public sealed class InventoryLedgerFixed
    {
        private readonly object _ordersGate = new();
        private readonly object _stockGate = new();
        private readonly Dictionary<string, int> _reserved = new();
        private readonly Dictionary<string, int> _stock = new();

        public void Reserve(string sku, int quantity)
        {
            lock (_ordersGate)
            {
                lock (_stockGate)
                {
                    _stock[sku] = _stock.GetValueOrDefault(sku) - quantity;
                    _reserved[sku] = _reserved.GetValueOrDefault(sku) + quantity;
                }
            }
        }

        public void Restock(string sku, int quantity)
        {
            lock (_ordersGate)
            {
                lock (_stockGate)
                {
                    _stock[sku] = _stock.GetValueOrDefault(sku) + quantity;
                    _reserved.Remove(sku);
                }
            }
        }
    }

    // Go seed 004:376: correct
    public sealed class TwoSourceImporterFixed
    {
        private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
        private int _remaining = 2;

        public ChannelReader<string> Lines => _lines.Reader;

        public Task StartAsync(string first, string second, CancellationToken cancellationToken)
            => Task.WhenAll(ImportAsync(first, cancellationToken), ImportAsync(second, cancellationToken));

        private async Task ImportAsync(string path, CancellationToken cancellationToken)
        {
            try
            {
                await foreach (var line in File.ReadLinesAsync(path, cancellationToken))
                {
                    await _lines.Writer.WriteAsync(line, cancellationToken);
                }
            }
            finally
            {
                if (Interlocked.Decrement(ref _remaining) == 0)
                {
                    _lines.Writer.TryComplete();
                }
            }
        }
    }
}

namespace CorrectCode.SeedTranslationsA.Variants
{
    // Go seed 000:35: correct
    public sealed class HeartbeatService
    {
        private readonly Action<string> _log;

        public HeartbeatService(Action<string> log) => _log = log;

        public async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            try
            {
                while (await timer.WaitForNextTickAsync(stoppingToken))
                {
                    _log("tick");
                }
            }
            catch (OperationCanceledException)
            {
                _log("Worker stopping");
            }
        }
    }

    // Go seed 000:91: correct
    public sealed class ThreadWorkers : IDisposable
    {
        private readonly CancellationTokenSource _cts = new();
        private readonly List<Thread> _threads = new();

        public void Start()
        {
            for (var i = 0; i < 5; i++)
            {
                var id = i;
                var thread = new Thread(() => Work(id, _cts.Token)) { IsBackground = true, Name = $"worker-{id}" };
                _threads.Add(thread);
                thread.Start();
            }
        }

        private static void Work(int id, CancellationToken cancellationToken)
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                cancellationToken.WaitHandle.WaitOne(TimeSpan.FromSeconds(1));
            }

            Console.WriteLine($"Worker {id} stopping");
        }

        public void Dispose()
        {
            _cts.Cancel();
            foreach (var thread in _threads)
            {
                thread.Join();
            }

            _cts.Dispose();
        }
    }

    // Go seed 000:1105: correct
    public sealed class BlockingWorkerPool : IDisposable
    {
        private readonly BlockingCollection<Action> _tasks = new(boundedCapacity: 100);
        private readonly CancellationTokenSource _cts = new();
        private readonly Thread[] _workers;

        public BlockingWorkerPool(int workers)
        {
            _workers = new Thread[workers];
            for (var i = 0; i < workers; i++)
            {
                _workers[i] = new Thread(Work) { IsBackground = true };
                _workers[i].Start();
            }
        }

        private void Work()
        {
            try
            {
                foreach (var task in _tasks.GetConsumingEnumerable(_cts.Token))
                {
                    try
                    {
                        task();
                    }
                    catch (InvalidOperationException ex)
                    {
                        Console.Error.WriteLine($"Task failed: {ex.Message}");
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        public void Submit(Action task) => _tasks.Add(task, _cts.Token);

        public void Dispose()
        {
            _tasks.CompleteAdding();
            foreach (var worker in _workers)
            {
                worker.Join();
            }

            _cts.Dispose();
            _tasks.Dispose();
        }
    }

    // Go seed 000:1249: correct
    public sealed class RefillingLimiter : IAsyncDisposable
    {
        private readonly SemaphoreSlim _tokens;
        private readonly int _burst;
        private readonly CancellationTokenSource _cts = new();
        private readonly Task _refill;

        public RefillingLimiter(TimeSpan rate, int burst)
        {
            _burst = burst;
            _tokens = new SemaphoreSlim(burst, burst);
            _refill = Task.Run(() => RefillAsync(rate, _cts.Token));
        }

        private async Task RefillAsync(TimeSpan rate, CancellationToken cancellationToken)
        {
            using var timer = new PeriodicTimer(rate);
            try
            {
                while (await timer.WaitForNextTickAsync(cancellationToken))
                {
                    if (_tokens.CurrentCount < _burst)
                    {
                        _tokens.Release();
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        public Task WaitAsync(CancellationToken cancellationToken) => _tokens.WaitAsync(cancellationToken);

        public async ValueTask DisposeAsync()
        {
            _cts.Cancel();
            await _refill;
            _cts.Dispose();
            _tokens.Dispose();
        }
    }

    // Go seed 000:1249: correct
    public sealed class TimerLimiter : IDisposable
    {
        private readonly SemaphoreSlim _tokens;
        private readonly Timer _timer;
        private readonly int _burst;

        public TimerLimiter(TimeSpan rate, int burst)
        {
            _burst = burst;
            _tokens = new SemaphoreSlim(burst, burst);
            _timer = new Timer(_ => Refill(), null, rate, rate);
        }

        private void Refill()
        {
            if (_tokens.CurrentCount < _burst)
            {
                _tokens.Release();
            }
        }

        public Task WaitAsync(CancellationToken cancellationToken) => _tokens.WaitAsync(cancellationToken);

        public void Dispose()
        {
            _timer.Dispose();
            _tokens.Dispose();
        }
    }

    // Go seed 000:257: correct
    public sealed class RacingFetcher
    {
        private readonly HttpClient _http;

        public RacingFetcher(HttpClient http) => _http = http;

        public async Task<string> FetchAsync(string url, TimeSpan timeout, CancellationToken cancellationToken)
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var work = _http.GetStringAsync(url, cts.Token);
            var winner = await Task.WhenAny(work, Task.Delay(timeout, cts.Token));
            if (winner != work)
            {
                cts.Cancel();
                throw new TimeoutException($"{url} did not answer within {timeout}");
            }

            return await work;
        }
    }

    // Go seed 000:541: correct
    public sealed class ConnectionHolder
    {
        private readonly object _gate = new();
        private volatile HttpClient? _client;

        public HttpClient Client
        {
            get
            {
                if (_client is null)
                {
                    lock (_gate)
                    {
                        _client ??= new HttpClient();
                    }
                }

                return _client;
            }
        }
    }

    // Go seed 000:564: correct
    public sealed class LazyConfig
    {
        private Dictionary<string, string>? _settings;
        private bool _initialized;
        private object? _lock;

        public Dictionary<string, string> Settings
            => LazyInitializer.EnsureInitialized(ref _settings, ref _initialized, ref _lock, Load)!;

        private static Dictionary<string, string> Load() => new() { ["mode"] = "fast" };
    }

    // Go seed 000:677: correct
    public sealed class UserCache
    {
        private readonly ConcurrentDictionary<int, Lazy<Task<string>>> _users = new();

        public Task<string> GetAsync(int id)
            => _users.GetOrAdd(id, key => new Lazy<Task<string>>(() => LoadAsync(key))).Value;

        private static async Task<string> LoadAsync(int id)
        {
            await Task.Yield();
            return $"user-{id}";
        }
    }

    // Go seed 003:414: correct
    public sealed class SyncThrottledIndexer
    {
        private readonly SemaphoreSlim _semaphore = new(10, 10);

        public void IndexAll(IEnumerable<string> items)
        {
            using var done = new CountdownEvent(1);
            foreach (var item in items)
            {
                _semaphore.Wait();
                done.AddCount();
                ThreadPool.QueueUserWorkItem(_ =>
                {
                    try
                    {
                        Console.WriteLine(item);
                    }
                    finally
                    {
                        _semaphore.Release();
                        done.Signal();
                    }
                });
            }

            done.Signal();
            done.Wait();
        }
    }

    // Go seed 000:481: correct
    public sealed class ReportGenerator
    {
        public async Task<(string Users, string Orders)> BuildAsync(CancellationToken cancellationToken)
        {
            var users = LoadAsync("users", cancellationToken);
            var orders = LoadAsync("orders", cancellationToken);
            await Task.WhenAll(users, orders);
            return (await users, await orders);
        }

        private static async Task<string> LoadAsync(string name, CancellationToken cancellationToken)
        {
            await Task.Delay(10, cancellationToken);
            return name;
        }
    }

    // Go seed 004:10: correct
    public sealed class QueueDrainer
    {
        private readonly Channel<string> _queue;
        private readonly Action<Exception> _onError;

        public QueueDrainer(Channel<string> queue, Action<Exception> onError)
        {
            _queue = queue;
            _onError = onError;
        }

        public async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                string message;
                try
                {
                    message = await _queue.Reader.ReadAsync(stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                try
                {
                    await HandleAsync(message, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    _onError(ex);
                }
            }
        }

        private static Task HandleAsync(string message, CancellationToken cancellationToken) => Task.Delay(message.Length, cancellationToken);
    }

    // Go seed 003:63: correct
    public sealed class ParallelChecksum
    {
        public long Compute(int[] values)
        {
            long total = 0;
            Parallel.For(0, values.Length, () => 0L, (i, _, local) => local + values[i], local => Interlocked.Add(ref total, local));
            return total;
        }
    }

    // Near misses of this session's fixes: a PeriodicTimer field that Dispose stops, a "last producer" completion,
    // and a timed channel read that is cancelled by the timeout.
    public sealed class FieldTicker : IDisposable
    {
        private readonly PeriodicTimer _timer = new(TimeSpan.FromSeconds(5));
        private readonly Task _loop;
        private int _ticks;

        public FieldTicker()
        {
            _loop = Task.Run(async () =>
            {
                while (await _timer.WaitForNextTickAsync())
                {
                    Interlocked.Increment(ref _ticks);
                }
            });
        }

        public int Ticks => Volatile.Read(ref _ticks);

        public void Dispose()
        {
            _timer.Dispose();
            _loop.GetAwaiter().GetResult();
        }
    }

    public sealed class LastProducerCompletes
    {
        private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
        private readonly string[] _sources;
        private int _remaining;

        public LastProducerCompletes(string primary, string fallback) => _sources = new[] { primary, fallback };

        public ChannelReader<string> Lines => _lines.Reader;

        public Task StartAsync(CancellationToken cancellationToken)
        {
            _remaining = _sources.Length;
            var producers = new List<Task>();
            foreach (var source in _sources)
            {
                producers.Add(ProduceAsync(source, cancellationToken));
            }

            return Task.WhenAll(producers);
        }

        private async Task ProduceAsync(string source, CancellationToken cancellationToken)
        {
            try
            {
                foreach (var line in source.Split('\n'))
                {
                    await _lines.Writer.WriteAsync(line, cancellationToken);
                }
            }
            finally
            {
                if (Interlocked.Decrement(ref _remaining) == 0)
                {
                    _lines.Writer.Complete();
                }
            }
        }
    }

    public sealed class TimedInbox
    {
        private readonly Channel<string> _inbox = Channel.CreateUnbounded<string>();

        public bool Post(string message) => _inbox.Writer.TryWrite(message);

        public async Task<string?> ReceiveAsync(TimeSpan timeout, CancellationToken cancellationToken)
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(timeout);
            try
            {
                return await _inbox.Reader.ReadAsync(cts.Token).AsTask().WaitAsync(timeout, cancellationToken);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return null;
            }
            catch (TimeoutException)
            {
                return null;
            }
        }
    }
}
