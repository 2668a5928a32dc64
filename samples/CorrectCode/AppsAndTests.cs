using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace CorrectCode.AppsAndTests;

// Console tools, reusable libraries, desktop-style view-models and test code: the shapes these kinds of program are
// made of, written correctly. Each analyzer must stay silent on them.

// ---- desktop-style code, no UI reference ----

public interface ISearchService
{
    Task<IReadOnlyList<string>> SearchAsync(string query, CancellationToken cancellationToken);
}

/// <summary>Runs work on the UI context; a posted async callback catches everything it could throw.</summary>
public sealed class UiPoster(SynchronizationContext ui, Action<Exception> onError)
{
    public void RunOnUi(Func<Task> work)
    {
        ui.Post(async _ =>
        {
            try
            {
                await work();
            }
            catch (Exception ex)
            {
                onError(ex);
            }
        }, null);
    }
}

/// <summary>A search box: one CTS per keystroke, the previous one cancelled and disposed; async void only for events.</summary>
public sealed class SearchViewModel : INotifyPropertyChanged, IDisposable
{
    private readonly ISearchService _service;
    private CancellationTokenSource? _debounce;
    private string _query = "";
    private string _status = "";

    public SearchViewModel(ISearchService service) => _service = service;

    public event PropertyChangedEventHandler? PropertyChanged;

    public List<string> Results { get; } = new();

    public string Query
    {
        get => _query;
        set
        {
            _query = value;
            OnPropertyChanged();
            _ = SearchDebouncedAsync(value);
        }
    }

    public string Status
    {
        get => _status;
        private set { _status = value; OnPropertyChanged(); }
    }

    public async void OnRefreshClicked(object? sender, EventArgs e)
    {
        try
        {
            await SearchDebouncedAsync(_query);
        }
        catch (Exception ex)
        {
            Status = ex.Message;
        }
    }

    private async Task SearchDebouncedAsync(string query)
    {
        var cts = new CancellationTokenSource();
        var previous = Interlocked.Exchange(ref _debounce, cts);
        if (previous is not null)
        {
            previous.Cancel();
            previous.Dispose();
        }

        try
        {
            await Task.Delay(300, cts.Token);
            var found = await _service.SearchAsync(query, cts.Token);
            Results.Clear();
            Results.AddRange(found);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
        }
        finally
        {
            if (Interlocked.CompareExchange(ref _debounce, null, cts) == cts)
            {
                cts.Dispose();
            }
        }
    }

    public void Dispose()
    {
        var cts = Interlocked.Exchange(ref _debounce, null);
        cts?.Cancel();
        cts?.Dispose();
    }

    private void OnPropertyChanged([CallerMemberName] string? name = null)
        => PropertyChanged?.Invoke(this, new PropertyChangedEventArgs(name));
}

/// <summary>Per-call linked sources kept in a field: the previous one is cancelled and disposed when replaced.</summary>
public sealed class LinkedDebouncer : IDisposable
{
    private CancellationTokenSource? _pending;

    public async Task RunAsync(Func<CancellationToken, Task> work, CancellationToken appToken)
    {
        var next = CancellationTokenSource.CreateLinkedTokenSource(appToken);
        var previous = Interlocked.Exchange(ref _pending, next);
        previous?.Cancel();
        previous?.Dispose();
        await Task.Delay(250, next.Token);
        await work(next.Token);
    }

    public void Dispose()
    {
        _pending?.Cancel();
        _pending?.Dispose();
    }
}

// ---- console tools ----

public static class ConsoleTool
{
    /// <summary>Top-level-style main: Ctrl+C cancels the work; a final bounded wait polls for a marker file.</summary>
    public static async Task<int> RunAsync(string root)
    {
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };
        var token = cts.Token;
        var sizes = new ConcurrentDictionary<string, long>();
        var options = new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = token };
        await Parallel.ForEachAsync(Directory.EnumerateFiles(root), options, async (file, ct) =>
        {
            await using var stream = File.OpenRead(file);
            sizes[file] = stream.Length;
            await Task.Yield();
        });

        var marker = Path.Combine(root, "done.flag");
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        while (!File.Exists(marker) && stopwatch.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(100, token);
        }
        return WaitForMarker(marker, token) ? sizes.Count : -1;
    }

    /// <summary>Synchronous variant for scripts: polls for at most two seconds.</summary>
    public static bool WaitForMarker(string marker, CancellationToken token)
    {
        token.ThrowIfCancellationRequested();
        var deadline = DateTime.UtcNow.AddSeconds(2);
        while (DateTime.UtcNow < deadline)
        {
            if (File.Exists(marker))
            {
                return true;
            }
            Thread.Sleep(50);
        }
        return File.Exists(marker);
    }
}

public static class ToolRunner
{
    /// <summary>Runs a tool; on cancellation kills it and reaps it before rethrowing.</summary>
    public static async Task<int> RunAsync(string fileName, string arguments, CancellationToken cancellationToken)
    {
        var startInfo = new System.Diagnostics.ProcessStartInfo(fileName, arguments) { UseShellExecute = false };
        using var process = System.Diagnostics.Process.Start(startInfo)
            ?? throw new InvalidOperationException("Could not start " + fileName);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw;
        }
        return process.ExitCode;
    }
}

// ---- test code (xUnit-style attributes declared here so the project needs no test framework) ----

[AttributeUsage(AttributeTargets.Method)]
public sealed class FactAttribute : Attribute;

public sealed class FakeClock
{
    private readonly object _gate = new();
    private readonly List<(DateTimeOffset Due, TaskCompletionSource Signal)> _waiters = new();
    private DateTimeOffset _now = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken = default)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            _waiters.Add((_now + delay, signal));
        }
        return signal.Task.WaitAsync(cancellationToken);
    }

    public void Advance(TimeSpan by)
    {
        List<TaskCompletionSource> due;
        lock (_gate)
        {
            _now += by;
            due = _waiters.Where(w => w.Due <= _now).Select(w => w.Signal).ToList();
            _waiters.RemoveAll(w => w.Due <= _now);
        }
        foreach (var signal in due)
        {
            signal.TrySetResult();
        }
    }
}

public sealed class ClockTests
{
    [Fact]
    public async Task Fake_clock_releases_waiters()
    {
        var clock = new FakeClock();
        var waiting = clock.DelayAsync(TimeSpan.FromMinutes(5));
        clock.Advance(TimeSpan.FromMinutes(5));
        // The timeout keeps a broken clock from hanging the test run.
        await waiting.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void Parallel_for_counts_with_interlocked()
    {
        var count = 0;
        var seen = new ConcurrentBag<int>();
        Parallel.For(0, 1000, i =>
        {
            Interlocked.Increment(ref count);
            seen.Add(i);
        });
        if (count != 1000 || seen.Distinct().Count() != 1000)
        {
            throw new InvalidOperationException("lost updates");
        }
    }

    [Fact]
    public void Countdown_waits_for_every_worker()
    {
        using var done = new CountdownEvent(8);
        var total = 0;
        for (var i = 0; i < 8; i++)
        {
            var n = i;
            ThreadPool.QueueUserWorkItem(_ =>
            {
                Interlocked.Add(ref total, n);
                done.Signal();
            });
        }
        if (!done.Wait(TimeSpan.FromSeconds(5)) || Volatile.Read(ref total) != 28)
        {
            throw new InvalidOperationException("workers did not finish");
        }
    }
}
