using System.Collections.Immutable;
using System.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace ConcurrencyAnalyzers.Benchmarks;

internal sealed record BenchmarkSettings(int Warmup, int Iterations, bool Concurrent, bool Isolated);

/// <summary>
/// One round of the compiler: parse every file, then bind and emit (or, when the code has errors, bind only).
/// <paramref name="CpuMs"/> is the process's CPU time over the same span, all threads: in a concurrent build it is what
/// the compiler's work adds up to on every core, the same kind of sum as the analyzers' callback times.
/// </summary>
internal sealed record CompilerSample(double ParseMs, double BindEmitMs, bool Emitted, int Errors, int Warnings, double CpuMs)
{
    public double TotalMs => ParseMs + BindEmitMs;
}

/// <summary>One package's pass over a fresh compilation: callback time per analyzer (telemetry) and what it reported.</summary>
internal sealed record PackageSample(
    double TotalMs,
    double WallMs,
    ImmutableDictionary<DiagnosticAnalyzer, double> AnalyzerMs,
    ImmutableDictionary<DiagnosticAnalyzer, int> AnalyzerDiagnostics,
    ImmutableDictionary<string, int> DiagnosticsById,
    IReadOnlyList<string> Exceptions,
    IReadOnlyList<string> Reported);

internal sealed class RunResult
{
    public List<CompilerSample> Compiler { get; } = new();

    public Dictionary<AnalyzerPackage, List<PackageSample>> Packages { get; } = new();

    /// <summary>Wall time of the analysis pass(es) per round, driver and binding included.</summary>
    public List<double> AnalysisWallMs { get; } = new();
}

/// <summary>
/// Interleaved rounds: each round compiles the corpus, then runs every package on its own fresh compilation of the
/// same trees (in an order that rotates per round), so packages share the machine's drift and none pays another's
/// binding. Warm-up rounds are run and dropped.
/// </summary>
internal sealed class Runner
{
    private readonly Corpus _corpus;
    private readonly IReadOnlyList<AnalyzerPackage> _packages;
    private readonly BenchmarkSettings _settings;

    public Runner(Corpus corpus, IReadOnlyList<AnalyzerPackage> packages, BenchmarkSettings settings)
    {
        _corpus = corpus;
        _packages = packages;
        _settings = settings;
    }

    public RunResult Run(Action<string>? progress)
    {
        var result = new RunResult();
        foreach (var package in _packages)
        {
            result.Packages[package] = new List<PackageSample>();
        }

        var rounds = _settings.Warmup + _settings.Iterations;
        for (var round = 0; round < rounds; round++)
        {
            var measured = round >= _settings.Warmup;
            var clock = Stopwatch.StartNew();
            var compiler = MeasureCompiler(measured ? _corpus.Files : WarmupFiles(), out var trees);
            if (measured)
            {
                result.Compiler.Add(compiler);
            }

            var wall = Stopwatch.StartNew();
            if (_settings.Isolated)
            {
                for (var i = 0; i < _packages.Count; i++)
                {
                    var package = _packages[(i + round) % _packages.Count];
                    var sample = MeasurePackages(trees, new[] { package })[package];
                    if (measured)
                    {
                        result.Packages[package].Add(sample);
                    }
                }
            }
            else
            {
                // Ours first: an analyzer that first asks for a member's semantic model pays for binding it, so
                // this order charges shared binding to us rather than to the peers. The peers' order rotates.
                var peers = _packages.Where(p => !p.IsOurs).ToList();
                var order = _packages.Where(p => p.IsOurs)
                    .Concat(peers.Skip(round % Math.Max(1, peers.Count)).Concat(peers.Take(round % Math.Max(1, peers.Count))))
                    .ToList();
                foreach (var (package, sample) in MeasurePackages(trees, order))
                {
                    if (measured)
                    {
                        result.Packages[package].Add(sample);
                    }
                }
            }

            if (measured)
            {
                result.AnalysisWallMs.Add(wall.Elapsed.TotalMilliseconds);
            }

            progress?.Invoke($"{(measured ? "round" : "warm-up")} {(measured ? round - _settings.Warmup + 1 : round + 1)}/{(measured ? _settings.Iterations : _settings.Warmup)}: compiler {compiler.TotalMs:N0} ms, round {clock.Elapsed.TotalSeconds:N1} s");
        }

        return result;
    }

    public CSharpCompilationOptions CompilationOptions() =>
        new(OutputKind.DynamicallyLinkedLibrary,
            optimizationLevel: OptimizationLevel.Release,
            nullableContextOptions: NullableContextOptions.Enable,
            allowUnsafe: true,
            concurrentBuild: _settings.Concurrent,
            deterministic: true);

    private CSharpCompilation Create(ImmutableArray<SyntaxTree> trees) =>
        CSharpCompilation.Create("BenchmarkCorpus", trees, _corpus.References, CompilationOptions());

    // Warm-up rounds exist to JIT the compiler and the analyzers: a tenth of the corpus does that.
    private IReadOnlyList<CorpusFile> WarmupFiles()
    {
        if (_corpus.Files.Count < 10)
        {
            return _corpus.Files;
        }

        var files = new List<CorpusFile>();
        var lines = 0;
        foreach (var file in _corpus.Files)
        {
            files.Add(file);
            lines += Corpus.CountLines(file.Text);
            if (lines * 10 >= _corpus.Lines)
            {
                break;
            }
        }

        return files;
    }

    private CompilerSample MeasureCompiler(IReadOnlyList<CorpusFile> files, out ImmutableArray<SyntaxTree> trees)
    {
        Collect();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var parsed = new SyntaxTree[files.Count];
        SyntaxTree Parse(int i) => CSharpSyntaxTree.ParseText(SourceText.From(files[i].Text, Corpus.Utf8), _corpus.ParseOptions, files[i].Path);
        if (_settings.Concurrent)
        {
            // csc parses files in parallel too.
            Parallel.For(0, files.Count, i => parsed[i] = Parse(i));
        }
        else
        {
            for (var i = 0; i < files.Count; i++)
            {
                parsed[i] = Parse(i);
            }
        }

        trees = parsed.ToImmutableArray();
        var parseMs = clock.Elapsed.TotalMilliseconds;
        clock.Restart();
        var compilation = Create(trees);

        // Emit binds every method body and reports every diagnostic, as csc does. Code with errors cannot be emitted
        // (and emit may stop early), so then the compiler's time is binding with all diagnostics.
        ImmutableArray<Diagnostic> diagnostics;
        var emitted = false;
        var declarationErrors = compilation.GetDeclarationDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error)
            || compilation.GetParseDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error);
        if (declarationErrors)
        {
            diagnostics = compilation.GetDiagnostics();
        }
        else
        {
            using var stream = new MemoryStream();
            var emit = compilation.Emit(stream);
            diagnostics = emit.Diagnostics;
            emitted = emit.Success;
            if (!emit.Success)
            {
                diagnostics = compilation.GetDiagnostics();
            }
        }

        var bindMs = clock.Elapsed.TotalMilliseconds;
        var cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds;
        return new CompilerSample(
            parseMs,
            bindMs,
            emitted,
            diagnostics.Count(d => d.Severity == DiagnosticSeverity.Error),
            diagnostics.Count(d => d.Severity == DiagnosticSeverity.Warning),
            cpuMs);
    }

    private Dictionary<AnalyzerPackage, PackageSample> MeasurePackages(ImmutableArray<SyntaxTree> trees, IReadOnlyList<AnalyzerPackage> packages)
    {
        var compilation = Create(trees);
        var exceptions = new List<(DiagnosticAnalyzer Analyzer, string Message)>();
        var options = new CompilationWithAnalyzersOptions(
            new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
            onAnalyzerException: (exception, analyzer, _) =>
            {
                lock (exceptions)
                {
                    exceptions.Add((analyzer, $"{analyzer.GetType().Name}: {exception.GetType().Name}: {exception.Message}"));
                }
            },
            concurrentAnalysis: _settings.Concurrent,
            logAnalyzerExecutionTime: true,
            reportSuppressedDiagnostics: false);

        Collect();
        var clock = Stopwatch.StartNew();
        var withAnalyzers = compilation.WithAnalyzers(packages.SelectMany(p => p.Analyzers).ToImmutableArray(), options);
        var analysis = Task.Run(() => withAnalyzers.GetAnalysisResultAsync(CancellationToken.None)).GetAwaiter().GetResult();
        var wallMs = clock.Elapsed.TotalMilliseconds;

        var samples = new Dictionary<AnalyzerPackage, PackageSample>();
        foreach (var package in packages)
        {
            var times = ImmutableDictionary.CreateBuilder<DiagnosticAnalyzer, double>();
            var counts = ImmutableDictionary.CreateBuilder<DiagnosticAnalyzer, int>();
            var byId = new Dictionary<string, int>(StringComparer.Ordinal);
            var lines = new List<string>();
            double total = 0;
            foreach (var analyzer in package.Analyzers)
            {
                var ms = analysis.AnalyzerTelemetryInfo.TryGetValue(analyzer, out var telemetry) ? telemetry.ExecutionTime.TotalMilliseconds : 0;
                times[analyzer] = ms;
                total += ms;
                var reported = analysis.GetAllDiagnostics(analyzer).Where(Counts).ToList();
                counts[analyzer] = reported.Count;
                foreach (var diagnostic in reported)
                {
                    byId[diagnostic.Id] = byId.TryGetValue(diagnostic.Id, out var n) ? n + 1 : 1;
                    lines.Add(Describe(diagnostic));
                }
            }

            var own = new HashSet<DiagnosticAnalyzer>(package.Analyzers);
            var failures = exceptions.Where(e => own.Contains(e.Analyzer)).Select(e => e.Message).ToList();
            lines.Sort(StringComparer.Ordinal);
            samples[package] = new PackageSample(total, wallMs, times.ToImmutable(), counts.ToImmutable(), byId.ToImmutableDictionary(StringComparer.Ordinal), failures, lines);
        }

        return samples;
    }

    // One line per diagnostic for --diagnostics: the same code reports the same lines, whichever build reports them.
    private static string Describe(Diagnostic diagnostic)
    {
        var span = diagnostic.Location.GetLineSpan();
        var where = diagnostic.Location.IsInSource
            ? $"{span.Path}({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1})"
            : "(no location)";
        return $"{where}: {diagnostic.Id}: {diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}";
    }

    // What a user sees: Info and above, not suppressed.
    private static bool Counts(Diagnostic diagnostic) =>
        diagnostic.Severity >= DiagnosticSeverity.Info && !diagnostic.IsSuppressed;

    private static void Collect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }
}

internal static class Stats
{
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    public static double Min(IEnumerable<double> values) => values.DefaultIfEmpty(double.NaN).Min();

    public static double Max(IEnumerable<double> values) => values.DefaultIfEmpty(double.NaN).Max();
}
