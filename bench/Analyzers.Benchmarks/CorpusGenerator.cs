using System.Text;

namespace ConcurrencyAnalyzers.Benchmarks;

/// <summary>
/// A deterministic corpus of service-style concurrent C#: async methods with tokens, Task.Run fan-out, locks,
/// Monitor and SemaphoreSlim, Parallel loops over collections, channels, SpinLock fields, timers and workers.
/// Most code is correct; a few units (about one in twenty by default) carry one typical bug, so every rule family
/// has something to find and the analyzers walk both the quiet and the reporting paths.
/// </summary>
internal sealed partial class CorpusGenerator
{
    private static readonly string[] Entities =
    {
        "Order", "Invoice", "Shipment", "Customer", "Payment", "Product", "Ticket", "Session", "Report", "Message",
        "Booking", "Account", "Device", "Reading", "Upload", "Refund", "Quote", "Lease", "Alert", "Job",
    };

    private readonly Random _random;
    private readonly double _bugRate;
    private int _unitIndex;

    public CorpusGenerator(int seed, double bugRate)
    {
        _random = new Random(seed);
        _bugRate = bugRate;
    }

    public int BugsPlanted { get; private set; }

    /// <summary>Planted bugs by the rule expected to report them (each is marked "// Planted bug (CONCxxx)" in the code).</summary>
    public SortedDictionary<string, int> PlantedByRule { get; } = new(StringComparer.Ordinal);

    /// <summary>About <paramref name="targetLines"/> lines in files of about <paramref name="linesPerFile"/> lines, plus the shared model file.</summary>
    public IReadOnlyList<CorpusFile> Generate(int targetLines, int linesPerFile)
    {
        var files = new List<CorpusFile> { new("Generated/Model.cs", GlobalUsings + ModelNamespace()) };
        var total = Corpus.CountLines(files[0].Text);
        var fileIndex = 0;
        while (total < targetLines)
        {
            var budget = Math.Min(linesPerFile, targetLines - total);
            var text = FileText(fileIndex, budget);
            files.Add(new CorpusFile($"Generated/Area{fileIndex:D3}.cs", text));
            total += Corpus.CountLines(text);
            fileIndex++;
        }

        return files;
    }

    /// <summary>One file of about <paramref name="targetLines"/> lines holding the model and the units (scaling mode).</summary>
    public CorpusFile GenerateSingleFile(int targetLines)
    {
        var head = GlobalUsings + ModelNamespace();
        var body = FileText(0, Math.Max(1, targetLines - Corpus.CountLines(head)));
        return new CorpusFile($"Generated/Single{targetLines}.cs", head + body);
    }

    private string FileText(int fileIndex, int budget)
    {
        var builder = new StringBuilder();
        builder.Append("namespace Corpus.Services.Area").Append(fileIndex.ToString("D3")).Append('\n').Append("{\n");
        var lines = 2;
        var first = true;
        do
        {
            var unit = NextUnit();
            if (!first)
            {
                builder.Append('\n');
                lines++;
            }

            first = false;
            foreach (var line in unit.Split('\n'))
            {
                builder.Append(line.Length == 0 ? string.Empty : "    ").Append(line).Append('\n');
                lines++;
            }
        }
        while (lines < budget - 1);

        builder.Append("}\n");
        return builder.ToString();
    }

    private string NextUnit()
    {
        var index = _unitIndex++;
        var entity = Entities[_random.Next(Entities.Length)];
        var template = Templates[index % Templates.Length];
        var bug = _random.NextDouble() < _bugRate ? template.Bugs[_random.Next(template.Bugs.Length)] : null;
        if (bug is not null)
        {
            BugsPlanted++;
            var marker = "// Planted bug (";
            var start = bug.IndexOf(marker, StringComparison.Ordinal) + marker.Length;
            var rule = bug.Substring(start, bug.IndexOf(')', start) - start);
            PlantedByRule[rule] = PlantedByRule.TryGetValue(rule, out var count) ? count + 1 : 1;
        }

        var text = template.Body.Replace("/*BUG*/\n", bug is null ? string.Empty : "\n" + bug.TrimEnd('\n') + "\n", StringComparison.Ordinal);
        return Fill(text, entity, index);
    }

    private string Fill(string text, string entity, int index) => text
        .Replace("__E__", entity, StringComparison.Ordinal)
        .Replace("__e__", char.ToLowerInvariant(entity[0]) + entity.Substring(1), StringComparison.Ordinal)
        .Replace("__N__", index.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("__D__", (25 * (1 + _random.Next(8))).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("__P__", (2 + _random.Next(7)).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .TrimEnd('\n');

    private const string GlobalUsings = """
global using System;
global using System.Collections.Concurrent;
global using System.Collections.Generic;
global using System.Diagnostics;
global using System.Linq;
global using System.Runtime.CompilerServices;
global using System.Threading;
global using System.Threading.Channels;
global using System.Threading.Tasks;
global using Corpus.Model;

""";

    private static string ModelNamespace()
    {
        var builder = new StringBuilder();
        builder.Append("namespace Corpus.Model\n{\n");
        foreach (var entity in Entities)
        {
            builder.Append("    public sealed record ").Append(entity)
                .Append("(int Id, string Key, decimal Amount, DateTimeOffset CreatedAt);\n\n");
        }

        builder.Append(ModelTypes);
        builder.Append("}\n\n");
        return builder.ToString();
    }

    private const string ModelTypes = """
    public interface IStore<T>
        where T : class
    {
        Task<T?> FindAsync(int id, CancellationToken cancellationToken);

        Task SaveAsync(T item, CancellationToken cancellationToken);

        Task<IReadOnlyList<T>> ListAsync(int skip, int take, CancellationToken cancellationToken);

        IAsyncEnumerable<T> StreamAsync(CancellationToken cancellationToken);
    }

    public interface IEventSink
    {
        void Write(string category, string message);

        ValueTask WriteAsync(string category, string message, CancellationToken cancellationToken);
    }

    public sealed class MemoryStore<T> : IStore<T>
        where T : class
    {
        private readonly ConcurrentDictionary<int, T> _items = new();
        private readonly Func<T, int> _key;

        public MemoryStore(Func<T, int> key)
        {
            _key = key;
        }

        public Task<T?> FindAsync(int id, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return Task.FromResult(_items.TryGetValue(id, out var item) ? item : null);
        }

        public Task SaveAsync(T item, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            _items[_key(item)] = item;
            return Task.CompletedTask;
        }

        public Task<IReadOnlyList<T>> ListAsync(int skip, int take, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return Task.FromResult<IReadOnlyList<T>>(_items.Values.Skip(skip).Take(take).ToList());
        }

        public async IAsyncEnumerable<T> StreamAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            foreach (var item in _items.Values)
            {
                cancellationToken.ThrowIfCancellationRequested();
                await Task.Yield();
                yield return item;
            }
        }
    }

    public sealed class ConsoleSink : IEventSink
    {
        private readonly object _gate = new();

        public void Write(string category, string message)
        {
            lock (_gate)
            {
                Console.WriteLine(category + ": " + message);
            }
        }

        public ValueTask WriteAsync(string category, string message, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Write(category, message);
            return default;
        }
    }

""";

    private sealed record Template(string Body, string[] Bugs);
}
