using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace ConcurrencyAnalyzers.Benchmarks;

internal static class Program
{
    private const string Usage = """
Measures ConcurrencyAnalyzers against the compiler and peer analyzer packages on one compilation.

  dotnet run -c Release --project bench/Analyzers.Benchmarks [-- options]

Corpus (default: a generated corpus of concurrent service code, about 50,000 lines):
  --corpus <folder>        compile every .cs file under <folder> (bin/obj skipped) instead
  --reference <dll|dir>    extra metadata references for --corpus (repeatable; a folder adds its DLLs)
  --assets <file>          add the package compile references from a restored project's obj/project.assets.json
  --framework <tfm>        target framework to take from --assets (default: the newest in the file)
  --define <SYMBOL>        extra preprocessor symbol (repeatable; net10.0 Release symbols are set)
  --no-implicit-usings     do not add the SDK's implicit global usings to a --corpus folder
  --lines <n>              size of the generated corpus (default 50000)
  --lines-per-file <n>     file size of the generated corpus (default 500)
  --seed <n>               generator seed (default 1); --bug-rate <0..1> share of units with a bug (default 0.05)
  --write-corpus <folder>  also write the generated corpus there (with --iterations 0: only write it)
Measurement:
  --iterations <n>         measured rounds (default 5); --warmup <n> rounds on a tenth of the corpus (default 1)
  --sequential             sequential build and analysis (default: concurrent, as csc runs them)
  --isolated               each package on a compilation of its own (its stand-alone cost, binding included);
                           default: all packages in one analysis pass, as in a build that has them all
  --peers <a,b>            only these peers (name contains: vsthrd, meziantou, asyncfixer, netanalyzers)
  --no-peers               only our analyzers
  --analyzer <name>=<path> also measure another analyzer DLL or package folder (repeatable)
  --top <n>                most expensive analyzers listed per peer (default 5)
  --per-rule               run our rules as one analyzer each instead of the package's one hosting analyzer, to see
                           each rule's cost (the driver then calls 42 analyzers instead of one)
Modes:
  --scaling                one generated file of 1k, 2k, 4k, 8k and 16k lines; time per 1,000 lines
  --sizes <a,b,...>        sizes for --scaling
  --bdn                    BenchmarkDotNet (in process, short run): wall time of compiling with and without each
                           package, driver included (--lines default 10000 here; --peers / --no-peers apply)
  --out <file>             also write the report (markdown) to <file>
  --diagnostics <folder>   also write each package's diagnostics of the first measured round (Info and above, one
                           line each, sorted) to <folder>/<package>.txt: diff two builds' files to check that a change
                           reports exactly what the old build reported
""";

    public static int Main(string[] args)
    {
        try
        {
            return Run(new Arguments(args));
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine("error: " + ex.Message);
            Console.Error.WriteLine(Usage);
            return 2;
        }
    }

    private static int Run(Arguments args)
    {
        if (args.Flag("--help") || args.Flag("-h"))
        {
            Console.WriteLine(Usage);
            return 0;
        }

        if (args.Flag("--bdn"))
        {
            DriverOverheadBenchmarks.Lines = args.Int("--lines", 10_000);
            DriverOverheadBenchmarks.IncludePeers = !args.Flag("--no-peers");
            DriverOverheadBenchmarks.Only = args.Value("--peers")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.OrdinalIgnoreCase);
            args.ThrowOnUnknown();
            DriverOverheadBenchmarks.Run();
            return 0;
        }

        var total = Stopwatch.StartNew();
        var settings = new BenchmarkSettings(
            Warmup: args.Int("--warmup", 1),
            Iterations: args.Int("--iterations", 5),
            Concurrent: !args.Flag("--sequential"),
            Isolated: args.Flag("--isolated"));
        var scaling = args.Flag("--scaling");
        var sizes = args.Value("--sizes")?.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray()
            ?? new[] { 1000, 2000, 4000, 8000, 16000 };
        var corpusFolder = args.Value("--corpus");
        var lines = args.Int("--lines", 50_000);
        var linesPerFile = args.Int("--lines-per-file", 500);
        var seed = args.Int("--seed", 1);
        var bugRate = double.Parse(args.Value("--bug-rate") ?? "0.05", CultureInfo.InvariantCulture);
        var writeCorpus = args.Value("--write-corpus");
        var noPeers = args.Flag("--no-peers");
        var perRule = args.Flag("--per-rule");
        var only = args.Value("--peers")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var extras = args.Values("--analyzer");
        var top = args.Int("--top", 5);
        var output = args.Value("--out");
        var diagnosticsFolder = args.Value("--diagnostics");
        var parseOptions = Corpus.DefaultParseOptions(args.Values("--define"));
        var implicitUsings = !args.Flag("--no-implicit-usings");
        var references = args.Values("--reference");
        var assets = args.Value("--assets");
        var framework = args.Value("--framework");
        if (corpusFolder is not null && !Directory.Exists(corpusFolder))
        {
            throw new ArgumentException($"--corpus: no folder at {corpusFolder}");
        }

        if (assets is not null)
        {
            if (!File.Exists(assets))
            {
                throw new ArgumentException($"--assets: no file at {assets} (a restored project's obj/project.assets.json)");
            }

            references.AddRange(AssetsReferences.Read(assets, framework));
        }

        args.ThrowOnUnknown();
        if (writeCorpus is not null && settings.Iterations == 0)
        {
            // Generate only: --write-corpus <folder> --iterations 0.
            var generatorOnly = new CorpusGenerator(seed, bugRate);
            WriteCorpus(writeCorpus, generatorOnly.Generate(lines, linesPerFile));
            Console.WriteLine($"Wrote the generated corpus to {writeCorpus}; planted bugs: " + string.Join(", ", generatorOnly.PlantedByRule.Select(kv => $"{kv.Key} ×{kv.Value}")));
            return 0;
        }

        if (settings.Iterations < 1 || settings.Warmup < 0)
        {
            throw new ArgumentException("--iterations must be at least 1 and --warmup at least 0");
        }

        var packages = new List<AnalyzerPackage> { AnalyzerPackages.LoadOurs(perRule) };
        if (!noPeers)
        {
            packages.AddRange(AnalyzerPackages.LoadPeers(only));
        }

        foreach (var extra in extras)
        {
            var parts = extra.Split('=', 2);
            if (parts.Length != 2)
            {
                throw new ArgumentException("--analyzer takes <name>=<path>");
            }

            packages.Add(AnalyzerPackages.LoadExtra(parts[0], parts[1]));
        }

        var report = new StringBuilder();
        void Out(string line = "")
        {
            Console.WriteLine(line);
            report.AppendLine(line);
        }

        Out($"# ConcurrencyAnalyzers benchmark ({(scaling ? "scaling" : "table")})");
        Out();
        Out($"- Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, load average {LoadAverage()}");
        Out($"- Host: .NET {Environment.Version}, Microsoft.CodeAnalysis {AnalyzerPackages.HostRoslynDisplay()}; {(settings.Concurrent ? "concurrent" : "sequential")} build and analysis, {(settings.Isolated ? "one pass per package" : "one analysis pass for all packages")}; {settings.Warmup} warm-up + {settings.Iterations} measured rounds, medians");
        foreach (var package in packages)
        {
            var ids = package.Analyzers.SelectMany(a => a.SupportedDiagnostics).Select(d => d.Id).Distinct().OrderBy(i => i, StringComparer.Ordinal).ToList();
            var idText = package.IsOurs ? ": " + string.Join(", ", ids) : string.Empty;
            Out($"- {(package.IsOurs ? "Ours" : "Peer")}: {package.Display}, {package.Analyzers.Length} analyzers, {ids.Count} rule IDs{idText}");
        }

        if (scaling)
        {
            RunScaling(sizes, seed, bugRate, packages, settings, Out);
        }
        else
        {
            Corpus corpus;
            if (corpusFolder is not null)
            {
                corpus = Corpus.FromFolder(corpusFolder, parseOptions, implicitUsings, references);
            }
            else
            {
                var generator = new CorpusGenerator(seed, bugRate);
                var files = generator.Generate(lines, linesPerFile);
                corpus = new Corpus($"generated (seed {seed}, {generator.BugsPlanted} planted bugs)", files, parseOptions, Corpus.FrameworkReferences().References, Corpus.FrameworkReferences().Description)
                {
                    Planted = generator.PlantedByRule,
                };
                if (writeCorpus is not null)
                {
                    WriteCorpus(writeCorpus, files);
                }
            }

            Out($"- Corpus: {corpus.Description}: {corpus.Files.Count} files, {corpus.Lines:N0} lines; references: {corpus.ReferencesDescription}");
            Out();
            var result = new Runner(corpus, packages, settings).Run(Console.Error.WriteLine);
            Out(Report.Table(corpus, result, settings, top));
            if (diagnosticsFolder is not null)
            {
                WriteDiagnostics(diagnosticsFolder, result);
                Out($"Diagnostics of each package written to {diagnosticsFolder}.");
            }
        }

        Out($"Total run time: {total.Elapsed.TotalSeconds:N0} s wall, {Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds:N0} s CPU.");
        if (output is not null)
        {
            File.WriteAllText(output, report.ToString());
        }

        return 0;
    }

    private static void RunScaling(int[] sizes, int seed, double bugRate, List<AnalyzerPackage> packages, BenchmarkSettings settings, Action<string> output)
    {
        var (references, description) = Corpus.FrameworkReferences();
        var runs = new List<(int, RunResult, int)>();
        output($"- Corpus: one generated file per size (seed {seed}); references: {description}");
        output(string.Empty);
        var largest = sizes.Max();
        var parseOptions = Corpus.DefaultParseOptions(Array.Empty<string>());
        Corpus SingleFile(int size) =>
            new($"single file of {size} lines", new[] { new CorpusGenerator(seed, bugRate).GenerateSingleFile(size) }, parseOptions, references, description);

        // JIT and first-use costs land here, not on the smallest size.
        new Runner(SingleFile(sizes.Min()), packages, settings with { Warmup = 0, Iterations = 2 }).Run(null);
        foreach (var size in sizes.OrderBy(s => s))
        {
            var corpus = SingleFile(size);

            // The smallest files get a few more rounds (their times are small and noisy).
            var iterations = Math.Max(settings.Iterations, settings.Iterations * largest / size / 8);
            Console.Error.WriteLine($"scaling: {corpus.Lines} lines, {settings.Warmup} warm-up + {iterations} rounds");
            var result = new Runner(corpus, packages, settings with { Iterations = iterations }).Run(null);
            runs.Add((corpus.Lines, result, iterations));
        }

        output(Report.Scaling(runs, packages));
    }

    private static void WriteDiagnostics(string folder, RunResult result)
    {
        Directory.CreateDirectory(folder);
        foreach (var (package, samples) in result.Packages)
        {
            var name = string.Concat(package.Name.Select(c => char.IsLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_'));
            File.WriteAllLines(Path.Combine(folder, name + ".txt"), samples[0].Reported);
        }
    }

    private static void WriteCorpus(string folder, IReadOnlyList<CorpusFile> files)
    {
        foreach (var file in files)
        {
            var path = Path.Combine(folder, file.Path);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, file.Text, Corpus.Utf8);
        }
    }

    private static string LoadAverage()
    {
        try
        {
            return File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
        }
        catch (IOException)
        {
            return "n/a";
        }
    }

    /// <summary>A small command-line reader: --flag, --name value (repeatable).</summary>
    private sealed class Arguments
    {
        private readonly List<string> _args;
        private readonly HashSet<int> _used = new();

        public Arguments(string[] args)
        {
            _args = args.ToList();
        }

        public bool Flag(string name)
        {
            var index = _args.IndexOf(name);
            if (index < 0)
            {
                return false;
            }

            _used.Add(index);
            return true;
        }

        public string? Value(string name) => Values(name).LastOrDefault();

        public List<string> Values(string name)
        {
            var values = new List<string>();
            for (var i = 0; i < _args.Count; i++)
            {
                if (_args[i] != name)
                {
                    continue;
                }

                if (i + 1 >= _args.Count)
                {
                    throw new ArgumentException(name + " needs a value");
                }

                _used.Add(i);
                _used.Add(i + 1);
                values.Add(_args[i + 1]);
            }

            return values;
        }

        public int Int(string name, int fallback) =>
            Value(name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

        public void ThrowOnUnknown()
        {
            var unknown = _args.Where((_, i) => !_used.Contains(i)).ToList();
            if (unknown.Count > 0)
            {
                throw new ArgumentException("unknown argument(s): " + string.Join(" ", unknown));
            }
        }
    }
}
