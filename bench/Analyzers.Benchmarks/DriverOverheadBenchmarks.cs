using System.Collections.Immutable;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace ConcurrencyAnalyzers.Benchmarks;

/// <summary>
/// BenchmarkDotNet view of the same question, end to end: wall time of "compile with all diagnostics" against
/// "compile with all diagnostics plus one analyzer package" (driver, operation trees and semantic models included,
/// which the telemetry table does not charge to anyone). Runs in process, so the analyzers load as in the table mode.
/// </summary>
public class DriverOverheadBenchmarks
{
    private static readonly Lazy<IReadOnlyList<AnalyzerPackage>> Packages = new(LoadPackages);

    private ImmutableArray<SyntaxTree> _trees;
    private ImmutableArray<MetadataReference> _references;
    private ImmutableArray<DiagnosticAnalyzer> _analyzers;

    internal static int Lines { get; set; } = 10_000;

    internal static ISet<string>? Only { get; set; }

    internal static bool IncludePeers { get; set; } = true;

    [ParamsSource(nameof(PackageNames))]
    public string Package { get; set; } = AnalyzerPackages.OursName;

    public static IEnumerable<string> PackageNames() => Packages.Value.Select(p => p.Name);

    [GlobalSetup]
    public void Setup()
    {
        var files = new CorpusGenerator(1, 0.05).Generate(Lines, 500);
        var options = Corpus.DefaultParseOptions(Array.Empty<string>());
        _trees = files.Select(f => CSharpSyntaxTree.ParseText(SourceText.From(f.Text, Corpus.Utf8), options, f.Path)).ToImmutableArray();
        _references = Corpus.FrameworkReferences().References;
        _analyzers = Packages.Value.Single(p => p.Name == Package).Analyzers;
    }

    [Benchmark(Baseline = true, Description = "compiler diagnostics")]
    public int CompilerOnly() => Create().GetDiagnostics().Length;

    [Benchmark(Description = "compiler + package diagnostics")]
    public int CompilerAndPackage()
    {
        var options = new CompilationWithAnalyzersOptions(
            new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), null, concurrentAnalysis: true, logAnalyzerExecutionTime: false);
        return Task.Run(() => Create().WithAnalyzers(_analyzers, options).GetAllDiagnosticsAsync()).GetAwaiter().GetResult().Length;
    }

    internal static void Run()
    {
        var config = ManualConfig.Create(DefaultConfig.Instance)
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
            .WithOptions(ConfigOptions.JoinSummary);
        BenchmarkRunner.Run<DriverOverheadBenchmarks>(config);
    }

    private CSharpCompilation Create() =>
        CSharpCompilation.Create(
            "BenchmarkCorpus",
            _trees,
            _references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Release, nullableContextOptions: NullableContextOptions.Enable));

    private static IReadOnlyList<AnalyzerPackage> LoadPackages()
    {
        var packages = new List<AnalyzerPackage> { AnalyzerPackages.LoadOurs() };
        if (IncludePeers)
        {
            packages.AddRange(AnalyzerPackages.LoadPeers(Only));
        }

        return packages;
    }
}
