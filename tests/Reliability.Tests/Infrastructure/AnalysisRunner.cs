using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ConcurrencyAnalyzers.Reliability.Infrastructure;

/// <summary>Which references and language version an input is compiled with.</summary>
public enum ReferenceSet
{
    Framework,
    NoChannels,
    NoTasks,
    None,
}

/// <summary>The outcome of analyzing one input: every diagnostic, and every exception an analyzer threw.</summary>
public sealed record AnalysisResult(ImmutableArray<Diagnostic> Diagnostics, ImmutableArray<string> AnalyzerFailures);

/// <summary>
/// Runs all our analyzers and suppressors on one source through <see cref="CompilationWithAnalyzers"/> with
/// concurrent execution, collecting analyzer exceptions (the callback and any AD0001/AD0002 diagnostic).
/// </summary>
public sealed class AnalysisRunner
{
    /// <summary>The implicit usings of an SDK console project (the showcase has ImplicitUsings on).</summary>
    public const string ImplicitUsings = """
        global using global::System;
        global using global::System.Collections.Generic;
        global using global::System.IO;
        global using global::System.Linq;
        global using global::System.Net.Http;
        global using global::System.Threading;
        global using global::System.Threading.Tasks;
        """;

    private readonly ConcurrentDictionary<(ReferenceSet, LanguageVersion, bool), CSharpCompilation> _bases = new();

    public AnalysisRunner()
        : this(OurComponents.CreateAnalyzers())
    {
    }

    public AnalysisRunner(ImmutableArray<DiagnosticAnalyzer> analyzers)
    {
        Analyzers = analyzers;
    }

    public ImmutableArray<DiagnosticAnalyzer> Analyzers { get; }

    public static ImmutableArray<MetadataReference> ReferencesOf(ReferenceSet set) => set switch
    {
        ReferenceSet.Framework => References.Framework,
        ReferenceSet.NoChannels => References.NoChannels,
        ReferenceSet.NoTasks => References.NoTasks,
        _ => References.None,
    };

    public static CSharpParseOptions ParseOptions(LanguageVersion version)
        => new CSharpParseOptions(version, DocumentationMode.Parse);

    public static CSharpCompilationOptions CompilationOptions { get; } =
        new CSharpCompilationOptions(
                OutputKind.DynamicallyLinkedLibrary,
                nullableContextOptions: NullableContextOptions.Enable,
                allowUnsafe: true,
                concurrentBuild: false)
            .WithSpecificDiagnosticOptions(OurComponents.AllRulesOn);

    /// <summary>A compilation of <paramref name="trees"/> that reuses the bound references of a cached base compilation.</summary>
    public CSharpCompilation Compile(ReferenceSet set, LanguageVersion version, bool implicitUsings, params SyntaxTree[] trees)
    {
        var baseCompilation = _bases.GetOrAdd((set, version, implicitUsings), key =>
        {
            var initial = implicitUsings
                ? new[] { CSharpSyntaxTree.ParseText(ImplicitUsings, ParseOptions(key.Item2), "GlobalUsings.g.cs") }
                : Array.Empty<SyntaxTree>();
            var compilation = CSharpCompilation.Create("Input", initial, ReferencesOf(key.Item1), CompilationOptions);
            _ = compilation.GetDiagnostics(); // binds the references once
            return compilation;
        });

        return baseCompilation.AddSyntaxTrees(trees);
    }

    public async Task<AnalysisResult> AnalyzeAsync(
        Compilation compilation,
        AnalyzerConfigOptionsProvider? options = null,
        CancellationToken cancellationToken = default)
    {
        var failures = new ConcurrentQueue<string>();
        var analyzerOptions = new AnalyzerOptions(
            ImmutableArray<AdditionalText>.Empty,
            options ?? EmptyOptionsProvider.Instance);
        var withAnalyzers = compilation.WithAnalyzers(
            Analyzers,
            new CompilationWithAnalyzersOptions(
                analyzerOptions,
                onAnalyzerException: (exception, analyzer, _) =>
                    failures.Enqueue($"{analyzer.GetType().FullName} threw {exception}"),
                concurrentAnalysis: true,
                logAnalyzerExecutionTime: false,
                reportSuppressedDiagnostics: true));

        var diagnostics = await withAnalyzers.GetAllDiagnosticsAsync(cancellationToken).ConfigureAwait(false);
        foreach (var diagnostic in diagnostics)
        {
            if (diagnostic.Id is "AD0001" or "AD0002")
            {
                failures.Enqueue(diagnostic.ToString());
            }
        }

        return new AnalysisResult(diagnostics, failures.Distinct().ToImmutableArray());
    }
}

/// <summary>No .editorconfig: every rule option at its default.</summary>
public sealed class EmptyOptionsProvider : AnalyzerConfigOptionsProvider
{
    public static EmptyOptionsProvider Instance { get; } = new();

    public override AnalyzerConfigOptions GlobalOptions => DictionaryOptions.Empty;

    public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => DictionaryOptions.Empty;

    public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => DictionaryOptions.Empty;
}

/// <summary>
/// An .editorconfig that answers every key of ours (<c>CONCxxx.*</c>, <c>dotnet_diagnostic.CONCxxx.*</c>) with the
/// same garbage value: option parsing must survive whatever a user writes.
/// </summary>
public sealed class GarbageOptionsProvider : AnalyzerConfigOptionsProvider
{
    private readonly AnalyzerConfigOptions _options;

    public GarbageOptionsProvider(string value)
    {
        _options = new GarbageOptions(value);
    }

    public override AnalyzerConfigOptions GlobalOptions => _options;

    public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => _options;

    public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => _options;

    private sealed class GarbageOptions : AnalyzerConfigOptions
    {
        private readonly string _value;

        public GarbageOptions(string value) => _value = value;

        public override bool TryGetValue(string key, out string value)
        {
            if (key.StartsWith("conc", StringComparison.OrdinalIgnoreCase) ||
                key.StartsWith("dotnet_diagnostic.conc", StringComparison.OrdinalIgnoreCase))
            {
                value = _value;
                return true;
            }

            value = null!;
            return false;
        }
    }
}

public sealed class DictionaryOptions : AnalyzerConfigOptions
{
    public static DictionaryOptions Empty { get; } = new(ImmutableDictionary<string, string>.Empty);

    private readonly ImmutableDictionary<string, string> _values;

    public DictionaryOptions(ImmutableDictionary<string, string> values) => _values = values;

    public override bool TryGetValue(string key, out string value)
        => _values.TryGetValue(key, out value!);
}
