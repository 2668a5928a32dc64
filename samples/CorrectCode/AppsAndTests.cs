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
