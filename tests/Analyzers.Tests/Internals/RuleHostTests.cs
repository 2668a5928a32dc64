using System.Collections.Concurrent;
using System.Collections.Immutable;
using ConcurrencyAnalyzers.Cancellation;
using ConcurrencyAnalyzers.Internals;
using ConcurrencyAnalyzers.Lifetime;
using ConcurrencyAnalyzers.Tests.Verifiers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencyAnalyzers.ConcurrencyRulesAnalyzer>;

namespace ConcurrencyAnalyzers.Tests.Internals;

/// <summary>
/// <see cref="ConcurrencyRulesAnalyzer"/> runs every rule through <see cref="RuleHost"/>: it must report what each rule
/// reports on its own (the rules' own tests run them on their own), skip rules that are off, and keep one failing rule
/// from silencing the others.
/// </summary>
public sealed class RuleHostTests
{
    // One bug per registration shape the host merges: a symbol-start rule with operation and symbol-end actions
    // (CONC103), operation actions (CONC209 lock target, CONC403 undisposed source), operation block actions
    // (CONC204), a symbol action (CONC501 readonly SpinLock).
    private const string Source = """
        using System;
        using System.Threading;
        using System.Threading.Tasks;

        public class Worker
        {
            private readonly SpinLock {|#0:_spin|} = new SpinLock(false);
            private readonly object _gate = new object();

            public async void {|#1:Run|}()
            {
                await Task.Delay(1);
            }

            public void Touch()
            {
                lock ({|#2:this|})
                {
                }
            }

            public void Enter()
            {
                {|#3:Monitor.Enter(_gate)|};
                Console.WriteLine();
                Monitor.Exit(_gate);
            }

            public async Task WaitAsync()
            {
                var {|#4:cts|} = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                await Task.Delay(10, cts.Token);
            }
        }
        """;

    [Fact]
    public Task Host_reports_what_the_rules_report_for_every_merged_registration_kind()
        => Verify.VerifyAnalyzerAsync(
            Source,
            Verify.Diagnostic(RuleIds.NonCopyableInReadonlyField).WithLocation(0),
            Verify.Diagnostic(RuleIds.AsyncVoid).WithLocation(1),
            Verify.Diagnostic(RuleIds.UnstableLockTarget).WithLocation(2),
            Verify.Diagnostic(RuleIds.LockReleaseNotGuaranteed).WithLocation(3),
            Verify.Diagnostic(RuleIds.TokenSourceNotDisposed).WithLocation(4));

    [Fact]
    public async Task Host_reports_exactly_what_its_rules_report_on_their_own()
    {
        var compilation = await CompileAsync(System.Text.RegularExpressions.Regex.Replace(Source, @"\{\|#\d:|\|\}", ""));
        var rules = ConcurrencyRulesAnalyzer.CreateRules();

        var alone = new List<string>();
        foreach (var rule in rules)
        {
            alone.AddRange(await DiagnosticsAsync(compilation, rule));
        }

        var hosted = await DiagnosticsAsync(compilation, new ConcurrencyRulesAnalyzer());

        Assert.Equal(5, alone.Count);
        Assert.Equal(alone.OrderBy(d => d, StringComparer.Ordinal), hosted.OrderBy(d => d, StringComparer.Ordinal));
    }

    [Fact]
    public void Host_supports_every_descriptor_of_every_rule_once()
    {
        var expected = ConcurrencyRulesAnalyzer.CreateRules().SelectMany(r => r.SupportedDiagnostics).Distinct().ToList();
        var supported = new ConcurrencyRulesAnalyzer().SupportedDiagnostics;
        Assert.Equal(expected, supported);
    }

    [Fact]
    public async Task A_rule_that_throws_does_not_silence_the_others_and_its_failure_is_reported()
    {
        var compilation = await CompileAsync("""
            using System.Threading.Tasks;

            public class C
            {
                public async void Run() => await Task.Yield();
            }
            """);
        var host = new ConcurrencyRulesAnalyzer(ImmutableArray.Create<DiagnosticAnalyzer>(new ThrowingRule(), new AsyncVoidAnalyzer()));
        var failures = new ConcurrentQueue<Exception>();
        var withAnalyzers = compilation.WithAnalyzers(
            ImmutableArray.Create<DiagnosticAnalyzer>(host),
            new CompilationWithAnalyzersOptions(
                new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
                onAnalyzerException: (e, _, _) => failures.Enqueue(e),
                concurrentAnalysis: false,
                logAnalyzerExecutionTime: false));

        var diagnostics = await withAnalyzers.GetAnalyzerDiagnosticsAsync();

        Assert.Contains(diagnostics, d => d.Id == RuleIds.AsyncVoid);
        Assert.Contains(failures, e => e is InvalidOperationException { Message: ThrowingRule.Message });
    }

    [Fact]
    public void A_rule_that_registers_outside_a_compilation_start_action_is_refused()
    {
        var error = Assert.Throws<NotSupportedException>(
            () => new ConcurrencyRulesAnalyzer(ImmutableArray.Create<DiagnosticAnalyzer>(new TopLevelRule())));
        Assert.Contains(nameof(TopLevelRule), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rule_is_started_when_one_of_its_descriptors_is_on()
    {
        var compilation = await CompileAsync("class C { }");
        var onByDefault = AsyncVoidAnalyzer.MethodRule;
        var offByDefault = AsyncApiWithoutTokenAnalyzer.Rule;

        Assert.True(IsOn(compilation, onByDefault));
        Assert.False(IsOn(compilation, offByDefault));
        Assert.False(IsOn(WithSpecific(compilation, onByDefault.Id, ReportDiagnostic.Suppress), onByDefault));
        Assert.True(IsOn(WithSpecific(compilation, offByDefault.Id, ReportDiagnostic.Warn), offByDefault));
        Assert.True(IsOn(WithSpecific(compilation, offByDefault.Id, ReportDiagnostic.Suppress), offByDefault, onByDefault));

        // An .editorconfig that turns the rule on for one file, or for the whole project (a global config).
        Assert.True(IsOn(WithTreeOptions(compilation, new TreeOptions(perTree: ReportDiagnostic.Info)), offByDefault));
        Assert.True(IsOn(WithTreeOptions(compilation, new TreeOptions(global: ReportDiagnostic.Warn)), offByDefault));
        Assert.False(IsOn(WithTreeOptions(compilation, new TreeOptions(global: ReportDiagnostic.Suppress)), onByDefault));
        Assert.False(IsOn(WithTreeOptions(compilation, new TreeOptions(perTree: ReportDiagnostic.Suppress)), offByDefault));
    }

    [Fact]
    public async Task A_rule_that_is_off_is_not_started()
    {
        var compilation = await CompileAsync("class C { }");
        var rule = new CountingRule();
        var host = new ConcurrencyRulesAnalyzer(ImmutableArray.Create<DiagnosticAnalyzer>(rule));

        await DiagnosticsAsync(compilation, host);
        Assert.Equal(0, rule.Starts);

        await DiagnosticsAsync(WithSpecific(compilation, CountingRule.Descriptor.Id, ReportDiagnostic.Warn), host);
        Assert.Equal(1, rule.Starts);
    }

    private static bool IsOn(Compilation compilation, params DiagnosticDescriptor[] descriptors)
        => RuleHost.IsOn(compilation, descriptors.ToImmutableArray(), CancellationToken.None);

    private static Compilation WithSpecific(Compilation compilation, string id, ReportDiagnostic severity)
        => compilation.WithOptions(compilation.Options.WithSpecificDiagnosticOptions(
            compilation.Options.SpecificDiagnosticOptions.SetItem(id, severity)));

    private static Compilation WithTreeOptions(Compilation compilation, SyntaxTreeOptionsProvider provider)
        => compilation.WithOptions(compilation.Options.WithSyntaxTreeOptionsProvider(provider));

    private static async Task<Compilation> CompileAsync(string source)
    {
        var references = await TestReferences.Net80.ResolveAsync(LanguageNames.CSharp, CancellationToken.None);
        return CSharpCompilation.Create(
            "Test",
            new[] { CSharpSyntaxTree.ParseText(source, path: "Test.cs") },
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
    }

    private static async Task<IEnumerable<string>> DiagnosticsAsync(Compilation compilation, DiagnosticAnalyzer analyzer)
    {
        var diagnostics = await compilation.WithAnalyzers(ImmutableArray.Create(analyzer)).GetAnalyzerDiagnosticsAsync();
        return diagnostics.Select(d => d.ToString());
    }

    /// <summary>Severity options as an .editorconfig (per file) or a global config (whole project) gives them.</summary>
    private sealed class TreeOptions : SyntaxTreeOptionsProvider
    {
        private readonly ReportDiagnostic? _perTree;
        private readonly ReportDiagnostic? _global;

        public TreeOptions(ReportDiagnostic? perTree = null, ReportDiagnostic? global = null)
        {
            _perTree = perTree;
            _global = global;
        }

        public override GeneratedKind IsGenerated(SyntaxTree tree, CancellationToken cancellationToken) => GeneratedKind.NotGenerated;

        public override bool TryGetDiagnosticValue(SyntaxTree tree, string diagnosticId, CancellationToken cancellationToken, out ReportDiagnostic severity)
        {
            severity = _perTree ?? default;
            return _perTree is not null;
        }

        public override bool TryGetGlobalDiagnosticValue(string diagnosticId, CancellationToken cancellationToken, out ReportDiagnostic severity)
        {
            severity = _global ?? default;
            return _global is not null;
        }
    }

#pragma warning disable RS1001, RS1012, RS1025, RS1026, RS2008 // test doubles, hosted rather than loaded
    private sealed class ThrowingRule : DiagnosticAnalyzer
    {
        public const string Message = "rule failure";

        private static readonly DiagnosticDescriptor Descriptor = new("TEST001", "t", "m", "c", DiagnosticSeverity.Warning, true);

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Descriptor);

        public override void Initialize(AnalysisContext context)
            => context.RegisterCompilationStartAction(start =>
            {
                start.RegisterSymbolStartAction(_ => throw new InvalidOperationException(Message), SymbolKind.NamedType);
                start.RegisterOperationAction(_ => throw new InvalidOperationException(Message), OperationKind.MethodBody);
            });
    }

    private sealed class TopLevelRule : DiagnosticAnalyzer
    {
        private static readonly DiagnosticDescriptor Descriptor = new("TEST002", "t", "m", "c", DiagnosticSeverity.Warning, true);

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Descriptor);

        public override void Initialize(AnalysisContext context)
            => context.RegisterOperationAction(_ => { }, OperationKind.Invocation);
    }

    private sealed class CountingRule : DiagnosticAnalyzer
    {
        public static readonly DiagnosticDescriptor Descriptor = new("TEST003", "t", "m", "c", DiagnosticSeverity.Warning, isEnabledByDefault: false);

        private int _starts;

        public int Starts => Volatile.Read(ref _starts);

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Descriptor);

        public override void Initialize(AnalysisContext context)
            => context.RegisterCompilationStartAction(_ => Interlocked.Increment(ref _starts));
    }
#pragma warning restore RS1001, RS1012, RS1025, RS1026, RS2008
}
