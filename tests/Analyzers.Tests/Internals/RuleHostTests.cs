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
    public async Task Rules_that_share_one_recording_of_the_lock_held_helpers_report_through_the_host_what_they_report_alone()
    {
        // CONC303 and CONC305 both ask which helpers run under their callers' lock; through the host they share one
        // recording of the type's calls. Fill's check-then-act runs only under Add's lock (silent), Other's does not;
        // _count is written under the lock and read without it.
        var compilation = await CompileAsync("""
            using System.Collections.Concurrent;

            public class Cache
            {
                private readonly object _gate = new object();
                private readonly ConcurrentDictionary<string, int> _map = new ConcurrentDictionary<string, int>();
                private long _count;

                public void Add(string key)
                {
                    lock (_gate)
                    {
                        _count = 1;
                        Fill(key);
                    }
                }

                public long Count() => _count;

                private void Fill(string key)
                {
                    if (!_map.ContainsKey(key)) _map[key] = 1;
                }

                public void Other(string key)
                {
                    if (!_map.ContainsKey(key)) _map[key] = 2;
                }
            }
            """);
        var alone = new List<string>();
        foreach (var rule in ConcurrencyRulesAnalyzer.CreateRules())
        {
            alone.AddRange(await DiagnosticsAsync(compilation, rule));
        }

        var hosted = await DiagnosticsAsync(compilation, new ConcurrencyRulesAnalyzer());

        Assert.Single(alone, d => d.Contains(RuleIds.InconsistentlyLockedField, StringComparison.Ordinal));
        Assert.Single(alone, d => d.Contains(RuleIds.CheckThenAct, StringComparison.Ordinal));
        Assert.Equal(alone.OrderBy(d => d, StringComparer.Ordinal), hosted.OrderBy(d => d, StringComparer.Ordinal));
    }

    [Fact]
    public async Task Rules_that_share_one_walk_of_the_type_bodies_report_through_the_host_what_they_report_alone()
    {
        // CONC301 and CONC302 (and CONC307) read the uses of their candidates' variables from the type's bodies at its
        // end; through the host one recording of the bodies and one walk of them serve all of them. Each rule has
        // candidates here, CONC302 one on a captured local too (whose uses only it follows), and one of them races.
        var compilation = await CompileAsync("""
            using System.Collections.Generic;
            using System.Threading;
            using System.Threading.Tasks;

            public class Tally
            {
                private readonly List<int> _items = new List<int>();
                private int _count;

                public Task Run()
                {
                    var a = Task.Run(() => { _items.Add(1); _count++; });
                    var b = Task.Run(() => { _items.Add(2); _count++; });
                    return Task.WhenAll(a, b);
                }

                public int Sum()
                {
                    var total = 0;
                    Parallel.For(0, 10, i => total++);
                    return total;
                }

                public async Task Once()
                {
                    await Task.Run(() => _items.Add(3));
                }
            }
            """);
        var alone = new List<string>();
        foreach (var rule in ConcurrencyRulesAnalyzer.CreateRules())
        {
            alone.AddRange(await DiagnosticsAsync(compilation, rule));
        }

        var hosted = await DiagnosticsAsync(compilation, new ConcurrencyRulesAnalyzer());

        Assert.Equal(2, alone.Count(d => d.Contains(RuleIds.CollectionMutatedConcurrently, StringComparison.Ordinal)));
        Assert.Equal(3, alone.Count(d => d.Contains(RuleIds.NonAtomicUpdate, StringComparison.Ordinal)));
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

        var (diagnostics, failures) = await RunCatchingFailuresAsync(compilation, host);

        Assert.Contains(diagnostics, d => d.Id == RuleIds.AsyncVoid);
        Assert.Contains(failures, e => e is InvalidOperationException { Message: ThrowingRule.Message });
    }

    [Fact]
    public async Task A_types_action_that_throws_does_not_keep_the_other_actions_for_the_same_operation_from_running()
    {
        // Through the host a type's invocation actions run from the compilation-level callback, after its own
        // actions: a failure in either part leaves the other part running, and the first failure is reported.
        var compilation = await CompileAsync("""
            public class C
            {
                public void Foo() { }
                public void Run() { Foo(); }
            }
            """);
        var recorder = new RoutingRule();
        var host = new ConcurrencyRulesAnalyzer(ImmutableArray.Create<DiagnosticAnalyzer>(new ThrowingTypeRule(), recorder));

        var (_, failures) = await RunCatchingFailuresAsync(compilation, host);

        Assert.Equal(new[] { "all:Foo", "both:Foo", "foo:Foo", "type-foo-baz:Foo" }, recorder.Calls.OrderBy(c => c, StringComparer.Ordinal));
        Assert.Contains(failures, e => e is InvalidOperationException { Message: ThrowingRule.Message });
    }

    [Fact]
    public async Task Invocation_actions_by_method_name_see_the_same_calls_through_the_host_as_on_their_own()
    {
        var compilation = await CompileAsync("""
            public class C
            {
                public void Foo() { }
                public void Bar() { }
                public void Baz() { }
                public C() { Foo(); }

                public void Run()
                {
                    Foo();
                    Bar();
                    Baz();
                    System.Action a = () => Bar();
                    new C().Foo();
                }
            }
            """);
        var alone = new RoutingRule();
        var hosted = new RoutingRule();

        await DiagnosticsAsync(compilation, alone);
        await DiagnosticsAsync(compilation, new ConcurrencyRulesAnalyzer(ImmutableArray.Create<DiagnosticAnalyzer>(hosted)));

        // Every call for the actions without names, only the named ones for the others, and the same calls either way.
        string[] expected =
        {
            "all:Bar", "all:Bar", "all:Baz", "all:Foo", "all:Foo", "all:Foo",
            "both:Bar", "both:Bar", "both:Baz", "both:Foo", "both:Foo", "both:Foo",
            "foo:Foo", "foo:Foo", "foo:Foo",
            "type-bar:Bar", "type-bar:Bar",
            "type-foo-baz:Baz", "type-foo-baz:Foo", "type-foo-baz:Foo", "type-foo-baz:Foo",
        };
        Assert.Equal(expected, alone.Calls.OrderBy(c => c, StringComparer.Ordinal));
        Assert.Equal(expected, hosted.Calls.OrderBy(c => c, StringComparer.Ordinal));
    }

    [Fact]
    public async Task Actions_registered_in_a_types_symbol_start_see_the_same_operations_through_the_host_as_on_their_own()
    {
        // The host runs a type's invocation, field-reference and block actions from its compilation-level callbacks
        // (which have those kinds too) instead of registering them with the driver: they must see exactly the
        // operations the driver gives them, that is, those of the type's own members and declaration (nested types
        // have their own), in every kind of member, partial part and top-level statement.
        var compilation = await CompileAsync(
            """
            using System;

            Helper.Log(Outer.Count);
            for (var i = 0; i < 2; i++) Helper.Log(i);

            public static class Helper { public static void Log(object o) { } }

            public partial class Outer
            {
                public static int Count = Make(() => Helper.Log(1));
                private int _field;
                public Outer() : this(Make(null)) { }
                public Outer(int x) { _field = x; }
                public int Prop { get { Helper.Log(_field); return _field; } set => _field = value; }
                public event Action E { add => Helper.Log(_field); remove { } }
                public void Run(int p = 0)
                {
                    Helper.Log(_field);
                    void Local() => Helper.Log(_field);
                    Action a = () => Helper.Log(Count);
                    while (_field > 0) Local();
                }

                private static int Make(Action? a) => 0;

                public class Nested
                {
                    private int _n;
                    public void Go() { Helper.Log(_n); Helper.Log(Count); }
                    public class Deeper { public void Go() => Helper.Log(Count); }
                }
            }

            public class SkipMe
            {
                private int _s;
                public void Go() { Helper.Log(_s); }
                public class Inner { public void Go() { while (Outer.Count > 0) Helper.Log(Outer.Count); } }
            }

            public record Point(int X, int Y) { public int Sum() { Helper.Log(X); return X + Y; } }
            public struct S { public int V; public S(int v) { V = v; Helper.Log(v); } }
            public interface I { void M() => Helper.Log(1); }
            public enum E { A = 1, B = A + 1 }
            """,
            "public partial class Outer { public void More() { Helper.Log(_field); } }");
        compilation = compilation.WithOptions(compilation.Options.WithOutputKind(OutputKind.ConsoleApplication));
        var alone = new ScopeRule();
        var hosted = new ScopeRule();

        await DiagnosticsAsync(compilation, alone);
        await DiagnosticsAsync(compilation, new ConcurrencyRulesAnalyzer(ImmutableArray.Create<DiagnosticAnalyzer>(hosted)));

        var seen = alone.Calls.OrderBy(c => c, StringComparer.Ordinal).ToList();
        Assert.Equal(seen, hosted.Calls.OrderBy(c => c, StringComparer.Ordinal));

        // The scope is not trivially everything or nothing: a nested type's members are its own, and a type that
        // registers nothing (SkipMe) gets nothing while its nested type does.
        Assert.Contains("type Nested invocation in Outer.Nested.Go(): Helper.Log(Count)", seen);
        Assert.DoesNotContain("type Outer invocation in Outer.Nested.Go(): Helper.Log(Count)", seen);
        Assert.Contains("type Outer invocation in Outer.Count: Helper.Log(1)", seen);
        Assert.Contains("type Outer block in Outer.More()", seen);
        Assert.Contains("type Inner loop in SkipMe.Inner.Go(): while (Outer.Count > 0) Helper.Log(Outer.Count);", seen);
        Assert.Contains("compilation invocation in SkipMe.Go(): Helper.Log(_s)", seen);
        Assert.DoesNotContain(seen, c => c.StartsWith("type SkipMe", StringComparison.Ordinal));
        Assert.Contains("type Program invocation in <top-level-statements-entry-point>: Helper.Log(i)", seen);
    }

    [Fact]
    public async Task Host_keeps_out_of_generated_code_exactly_what_the_driver_keeps_out_for_a_rule_on_its_own()
    {
        // The host lets the driver skip its per-diagnostic generated-code check and filters reports itself. A rule that
        // reports everywhere it can (calls, blocks, members at type end, types at compilation end) must come out the
        // same hosted as on its own, where the driver filters: nothing in a generated file (by name, header comment or
        // generated_code option), in a [GeneratedCode] declaration or type, or in a #line hidden region.
        var references = await TestReferences.Net80.ResolveAsync(LanguageNames.CSharp, CancellationToken.None);
        var compilation = CSharpCompilation.Create(
            "Test",
            new[]
            {
                CSharpSyntaxTree.ParseText("""
                    using System.CodeDom.Compiler;

                    public partial class Worker
                    {
                        [GeneratedCode("tool", "1.0")]
                        private int _marked;

                        public void Run() { Helper(); }

                        public void Helper() { }

                        [GeneratedCode("tool", "1.0")]
                        public void Marked() { Helper(); }

                        public int Value
                        {
                            [GeneratedCode("tool", "1.0")]
                            get { return _marked; }
                        }
                    }

                    [GeneratedCode("tool", "1.0")]
                    public class MarkedType
                    {
                        public void Call() => new Worker().Helper();
                    }
                    """, path: "Worker.cs"),
                CSharpSyntaxTree.ParseText("""
                    #line default
                    public partial class Worker
                    {
                        public void Mixed()
                        {
                            Helper();
                            foreach (var item in new int[1])
                            {
                    #line hidden
                                Helper();
                            }
                        }

                        public void InHidden() { }
                    #line default

                        public void After() { Helper(); }
                    }
                    """, path: "Hidden.cs"),
                CSharpSyntaxTree.ParseText("public partial class Worker { public void ByName() { Helper(); } }", path: "Worker.g.cs"),
                CSharpSyntaxTree.ParseText("// <auto-generated/>\npublic partial class Worker { public void ByHeader() { Helper(); } }", path: "Header.cs"),
                CSharpSyntaxTree.ParseText("public partial class Worker { public void ByOption() { Helper(); } }", path: "Configured.cs"),
            },
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        var options = new ConfigOptions(perTreeOnly: ("Configured.cs", "generated_code", "true"));

        var alone = (await DiagnosticsAsync(compilation, new ReportEverywhereRule(), options)).OrderBy(d => d, StringComparer.Ordinal).ToList();
        var hosted = (await DiagnosticsAsync(compilation, new ConcurrencyRulesAnalyzer(ImmutableArray.Create<DiagnosticAnalyzer>(new ReportEverywhereRule())), options))
            .OrderBy(d => d, StringComparer.Ordinal).ToList();

        Assert.Equal(alone, hosted);

        // What is left is the hand-written code, and all of it: the test sees every kind of report the filter handles.
        Assert.All(alone, d => Assert.True(d.StartsWith("Worker.cs(", StringComparison.Ordinal) || d.StartsWith("Hidden.cs(", StringComparison.Ordinal), d));
        foreach (var kind in new[] { "call", "block", "block call", "block-start call", "member", "method", "type" })
        {
            Assert.Contains(alone, d => d.EndsWith(": " + kind, StringComparison.Ordinal));
        }

        Assert.Equal(3, alone.Count(d => d.EndsWith(": call", StringComparison.Ordinal))); // Run's, Mixed's visible one, After's
    }

    [Fact]
    public async Task A_registration_whose_reports_the_host_cannot_filter_is_refused()
    {
        var compilation = await CompileAsync("class C { }");
        var host = new ConcurrencyRulesAnalyzer(ImmutableArray.Create<DiagnosticAnalyzer>(new SyntaxNodeRule()));

        var (_, failures) = await RunCatchingFailuresAsync(compilation, host);

        Assert.Contains(failures, e => e is NotSupportedException && e.Message.Contains("RegisterSyntaxNodeAction", StringComparison.Ordinal));
    }

    [Fact]
    public void Invocation_method_names_are_ordinal()
        => Assert.DoesNotContain("wait", InvocationActions.Names("Wait"));

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
        var offByDefault = new CountingRule(enabledByDefault: false);
        var onByDefault = new CountingRule(enabledByDefault: true);
        var host = new ConcurrencyRulesAnalyzer(ImmutableArray.Create<DiagnosticAnalyzer>(offByDefault, onByDefault));

        await DiagnosticsAsync(compilation, host);
        Assert.Equal((0, 1), (offByDefault.Starts, onByDefault.Starts));

        await DiagnosticsAsync(WithSpecific(compilation, offByDefault.Descriptor.Id, ReportDiagnostic.Warn), host);
        Assert.Equal((1, 2), (offByDefault.Starts, onByDefault.Starts));

        // The ConcurrencyAnalysisMode=None preset's shape: every category off (a global config's entry, in every file's options).
        var none = new ConfigOptions(perTree: ("dotnet_analyzer_diagnostic.category-" + onByDefault.Descriptor.Category + ".severity", "none"));
        await DiagnosticsAsync(compilation, host, none);
        Assert.Equal((1, 2), (offByDefault.Starts, onByDefault.Starts));
    }

    [Fact]
    public async Task A_rule_is_off_where_a_bulk_entry_turns_its_category_or_all_analyzers_off_in_every_file()
    {
        var compilation = await CompileAsync("class C { }", "class D { }");
        var rule = AsyncVoidAnalyzer.MethodRule; // Concurrency.Lifetime, on by default
        var category = "dotnet_analyzer_diagnostic.category-" + rule.Category + ".severity";
        const string All = "dotnet_analyzer_diagnostic.severity";

        // The ConcurrencyAnalysisMode=None preset: a global config, whose entries every file's options carry, that turns
        // every category off; or an .editorconfig that turns all analyzers off.
        Assert.False(IsOn(compilation, new ConfigOptions(perTree: (category, "none")), rule));
        Assert.False(IsOn(compilation, new ConfigOptions(perTree: (All, "none")), rule));

        // Anything else keeps it on: another category, another or unreadable value, one file left on, the category
        // entry over the all-analyzers one, an entry for the ID itself, a global entry the files' options do not carry.
        Assert.True(IsOn(compilation, new ConfigOptions(perTree: ("dotnet_analyzer_diagnostic.category-Concurrency.Locking.severity", "none")), rule));
        Assert.True(IsOn(compilation, new ConfigOptions(perTree: (category, "suggestion")), rule));
        Assert.True(IsOn(compilation, new ConfigOptions(perTree: (category, "nothing")), rule));
        Assert.True(IsOn(compilation, new ConfigOptions(perTree: (category, "none"), perTreeOnly: ("Test0.cs", category, "warning")), rule));
        Assert.True(IsOn(compilation, new ConfigOptions(perTree: (All, "none"), perTreeOnly: ("Test1.cs", category, "warning")), rule));
        Assert.True(IsOn(WithTreeOptions(compilation, new TreeOptions(perTree: ReportDiagnostic.Warn)), new ConfigOptions(perTree: (category, "none")), rule));
        Assert.True(IsOn(WithSpecific(compilation, rule.Id, ReportDiagnostic.Error), new ConfigOptions(perTree: (category, "none")), rule));
        Assert.True(IsOn(compilation, new ConfigOptions(global: (category, "none")), rule));

        // A bulk entry does not turn on a rule that is off by default.
        var offByDefault = AsyncApiWithoutTokenAnalyzer.Rule;
        Assert.False(IsOn(compilation, new ConfigOptions(perTree: ("dotnet_analyzer_diagnostic.category-" + offByDefault.Category + ".severity", "warning")), offByDefault));
    }

    [Fact]
    public void The_compiler_gives_every_file_the_bulk_entries_of_a_global_config()
    {
        // What the test above relies on, and how the presets' global config reaches each file.
        var global = AnalyzerConfig.Parse("is_global = true\ndotnet_analyzer_diagnostic.category-Concurrency.Lifetime.severity = none\n", "/repo/.globalconfig");
        var local = AnalyzerConfig.Parse("root = true\n[*.cs]\ndotnet_diagnostic.CONC101.severity = warning\n", "/repo/.editorconfig");
        var options = AnalyzerConfigSet.Create(ImmutableArray.Create(global, local)).GetOptionsForSourcePath("/repo/src/Worker.cs");

        Assert.Equal("none", options.AnalyzerOptions["dotnet_analyzer_diagnostic.category-Concurrency.Lifetime.severity"]);
    }

    private static bool IsOn(Compilation compilation, params DiagnosticDescriptor[] descriptors)
        => RuleHost.IsOn(compilation, null, descriptors.ToImmutableArray(), CancellationToken.None);

    private static bool IsOn(Compilation compilation, AnalyzerConfigOptionsProvider options, params DiagnosticDescriptor[] descriptors)
        => RuleHost.IsOn(compilation, options, descriptors.ToImmutableArray(), CancellationToken.None);

    private static Compilation WithSpecific(Compilation compilation, string id, ReportDiagnostic severity)
        => compilation.WithOptions(compilation.Options.WithSpecificDiagnosticOptions(
            compilation.Options.SpecificDiagnosticOptions.SetItem(id, severity)));

    private static Compilation WithTreeOptions(Compilation compilation, SyntaxTreeOptionsProvider provider)
        => compilation.WithOptions(compilation.Options.WithSyntaxTreeOptionsProvider(provider));

    private static async Task<Compilation> CompileAsync(params string[] sources)
    {
        var references = await TestReferences.Net80.ResolveAsync(LanguageNames.CSharp, CancellationToken.None);
        return CSharpCompilation.Create(
            "Test",
            sources.Select((source, i) => CSharpSyntaxTree.ParseText(source, path: $"Test{i}.cs")),
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
    }

    /// <summary>Entries in every file's options (or one file's), and in the global options only.</summary>
    private sealed class ConfigOptions : AnalyzerConfigOptionsProvider
    {
        private readonly (string Key, string Value)? _perTree;
        private readonly (string Path, string Key, string Value)? _perTreeOnly;

        public ConfigOptions((string Key, string Value)? global = null, (string Key, string Value)? perTree = null, (string Path, string Key, string Value)? perTreeOnly = null)
        {
            GlobalOptions = new Options(global is { } g ? new Dictionary<string, string> { [g.Key] = g.Value } : new Dictionary<string, string>());
            _perTree = perTree;
            _perTreeOnly = perTreeOnly;
        }

        public override AnalyzerConfigOptions GlobalOptions { get; }

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree)
        {
            var values = new Dictionary<string, string>();
            if (_perTree is { } all)
            {
                values[all.Key] = all.Value;
            }

            if (_perTreeOnly is { } one && one.Path == tree.FilePath)
            {
                values[one.Key] = one.Value;
            }

            return new Options(values);
        }

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => new Options(new Dictionary<string, string>());

        private sealed class Options : AnalyzerConfigOptions
        {
            private readonly Dictionary<string, string> _values;

            public Options(Dictionary<string, string> values) => _values = values;

            public override bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value)
                => _values.TryGetValue(key, out value);
        }
    }

    /// <summary>Runs <paramref name="analyzer"/> alone, keeping the exceptions the driver would report as AD0001.</summary>
    private static async Task<(ImmutableArray<Diagnostic> Diagnostics, ConcurrentQueue<Exception> Failures)> RunCatchingFailuresAsync(Compilation compilation, DiagnosticAnalyzer analyzer)
    {
        var failures = new ConcurrentQueue<Exception>();
        var withAnalyzers = compilation.WithAnalyzers(
            ImmutableArray.Create(analyzer),
            new CompilationWithAnalyzersOptions(
                new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
                onAnalyzerException: (e, _, _) => failures.Enqueue(e),
                concurrentAnalysis: false,
                logAnalyzerExecutionTime: false));
        return (await withAnalyzers.GetAnalyzerDiagnosticsAsync(), failures);
    }

    private static async Task<IEnumerable<string>> DiagnosticsAsync(Compilation compilation, DiagnosticAnalyzer analyzer, AnalyzerConfigOptionsProvider? options = null)
    {
        var analyzerOptions = options is null
            ? new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty)
            : new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty, options);
        var diagnostics = await compilation.WithAnalyzers(ImmutableArray.Create(analyzer), analyzerOptions).GetAnalyzerDiagnosticsAsync();
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

#pragma warning disable RS1001, RS1012, RS1025, RS1026, RS1037, RS2008 // test doubles, hosted rather than loaded
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

    /// <summary>Throws from a compilation-level and from a type-level invocation action.</summary>
    private sealed class ThrowingTypeRule : DiagnosticAnalyzer
    {
        private static readonly DiagnosticDescriptor Descriptor = new("TEST009", "t", "m", "c", DiagnosticSeverity.Warning, true);

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Descriptor);

        public override void Initialize(AnalysisContext context)
            => context.RegisterCompilationStartAction(start =>
            {
                start.RegisterOperationAction(_ => throw new InvalidOperationException(ThrowingRule.Message), OperationKind.Invocation);
                start.RegisterSymbolStartAction(
                    symbolStart => symbolStart.RegisterOperationAction(_ => throw new InvalidOperationException(ThrowingRule.Message), OperationKind.Invocation),
                    SymbolKind.NamedType);
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
        private int _starts;

        public CountingRule(bool enabledByDefault)
            => Descriptor = new(enabledByDefault ? "TEST004" : "TEST003", "t", "m", "c", DiagnosticSeverity.Warning, enabledByDefault);

        public DiagnosticDescriptor Descriptor { get; }

        public int Starts => Volatile.Read(ref _starts);

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Descriptor);

        public override void Initialize(AnalysisContext context)
            => context.RegisterCompilationStartAction(_ => Interlocked.Increment(ref _starts));
    }
    /// <summary>Invocation actions with and without method names, at compilation and at type level; records what each sees.</summary>
    private sealed class RoutingRule : DiagnosticAnalyzer
    {
        private static readonly DiagnosticDescriptor Descriptor = new("TEST005", "t", "m", "c", DiagnosticSeverity.Warning, true);

        public ConcurrentQueue<string> Calls { get; } = new();

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Descriptor);

        public override void Initialize(AnalysisContext context)
            => context.RegisterCompilationStartAction(start =>
            {
                start.RegisterOperationAction(c => Record("all", c), OperationKind.Invocation);
                start.RegisterInvocationAction(c => Record("foo", c), InvocationActions.Names("Foo"));
                start.RegisterOperationAction(c => Record("both", c), OperationKind.ObjectCreation, OperationKind.Invocation);
                start.RegisterSymbolStartAction(
                    symbolStart =>
                    {
                        symbolStart.RegisterInvocationAction(c => Record("type-bar", c), InvocationActions.Names("Bar"));
                        symbolStart.RegisterInvocationAction(c => Record("type-foo-baz", c), InvocationActions.Names("Foo", "Baz"));
                    },
                    SymbolKind.NamedType);
            });

        private void Record(string action, OperationAnalysisContext context)
        {
            if (context.Operation is IInvocationOperation invocation)
            {
                Calls.Enqueue(action + ":" + invocation.TargetMethod.Name);
            }
        }
    }

    /// <summary>
    /// Invocation, field-reference and block actions at compilation level and in every type's symbol start (but
    /// SkipMe's), and a loop action only in symbol starts; records what each sees and for which symbol.
    /// </summary>
    private sealed class ScopeRule : DiagnosticAnalyzer
    {
        private static readonly DiagnosticDescriptor Descriptor = new("TEST008", "t", "m", "c", DiagnosticSeverity.Warning, true);

        public ConcurrentQueue<string> Calls { get; } = new();

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Descriptor);

        public override void Initialize(AnalysisContext context)
            => context.RegisterCompilationStartAction(start =>
            {
                start.RegisterOperationAction(c => Record("compilation", c), OperationKind.Invocation, OperationKind.FieldReference);
                start.RegisterOperationBlockAction(c => Calls.Enqueue("compilation block in " + c.OwningSymbol.ToDisplayString()));
                start.RegisterSymbolStartAction(
                    symbolStart =>
                    {
                        var scope = "type " + symbolStart.Symbol.Name;
                        if (symbolStart.Symbol.Name == "SkipMe")
                        {
                            return;
                        }

                        symbolStart.RegisterOperationAction(c => Record(scope, c), OperationKind.Invocation, OperationKind.FieldReference, OperationKind.Loop);
                        symbolStart.RegisterOperationBlockAction(c => Calls.Enqueue(scope + " block in " + c.OwningSymbol.ToDisplayString()));
                    },
                    SymbolKind.NamedType);
            });

        private void Record(string scope, OperationAnalysisContext context)
            => Calls.Enqueue($"{scope} {context.Operation.Kind.ToString().ToLowerInvariant().Replace("fieldreference", "field")} in {context.ContainingSymbol.ToDisplayString()}: {context.Operation.Syntax}");
    }

    /// <summary>
    /// Reports wherever a rule can: every call (from a type's symbol start and from a block start), every call in a
    /// loop's body (from the loop), every operation block and every call in it, every member of a type at its end, every method (symbol action), every source type
    /// at compilation end.
    /// </summary>
    private sealed class ReportEverywhereRule : DiagnosticAnalyzer
    {
        private static readonly DiagnosticDescriptor Descriptor = new("TEST006", "t", "{0}", "c", DiagnosticSeverity.Warning, true);

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Descriptor);

        public override void Initialize(AnalysisContext context)
        {
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                start.RegisterSymbolStartAction(
                    symbolStart =>
                    {
                        symbolStart.RegisterOperationAction(c => c.ReportDiagnostic(Diagnostic.Create(Descriptor, c.Operation.Syntax.GetLocation(), "call")), OperationKind.Invocation);
                        symbolStart.RegisterOperationAction(
                            c =>
                            {
                                foreach (var call in ((ILoopOperation)c.Operation).Body.Descendants().OfType<IInvocationOperation>())
                                {
                                    c.ReportDiagnostic(Diagnostic.Create(Descriptor, call.Syntax.GetLocation(), "loop call"));
                                }
                            },
                            OperationKind.Loop);
                        symbolStart.RegisterOperationBlockAction(c =>
                        {
                            foreach (var block in c.OperationBlocks)
                            {
                                c.ReportDiagnostic(Diagnostic.Create(Descriptor, block.Syntax.GetLocation(), "block"));
                                foreach (var call in block.Descendants().OfType<IInvocationOperation>())
                                {
                                    c.ReportDiagnostic(Diagnostic.Create(Descriptor, call.Syntax.GetLocation(), "block call"));
                                }
                            }
                        });
                        symbolStart.RegisterSymbolEndAction(c =>
                        {
                            foreach (var member in ((INamedTypeSymbol)c.Symbol).GetMembers())
                            {
                                foreach (var location in member.IsImplicitlyDeclared ? ImmutableArray<Location>.Empty : member.Locations)
                                {
                                    c.ReportDiagnostic(Diagnostic.Create(Descriptor, location, "member"));
                                }
                            }
                        });
                    },
                    SymbolKind.NamedType);
                start.RegisterOperationBlockStartAction(blockStart =>
                    blockStart.RegisterOperationAction(c => c.ReportDiagnostic(Diagnostic.Create(Descriptor, c.Operation.Syntax.GetLocation(), "block-start call")), OperationKind.Invocation));
                start.RegisterSymbolAction(c => c.ReportDiagnostic(Diagnostic.Create(Descriptor, c.Symbol.Locations[0], "method")), SymbolKind.Method);
                start.RegisterCompilationEndAction(c =>
                {
                    foreach (var type in c.Compilation.Assembly.GlobalNamespace.GetTypeMembers())
                    {
                        foreach (var location in type.Locations)
                        {
                            c.ReportDiagnostic(Diagnostic.Create(Descriptor, location, "type"));
                        }
                    }
                });
            });
        }
    }

    private sealed class SyntaxNodeRule : DiagnosticAnalyzer
    {
        private static readonly DiagnosticDescriptor Descriptor = new("TEST007", "t", "m", "c", DiagnosticSeverity.Warning, true);

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Descriptor);

        public override void Initialize(AnalysisContext context)
            => context.RegisterCompilationStartAction(start => start.RegisterSyntaxNodeAction(_ => { }, Microsoft.CodeAnalysis.CSharp.SyntaxKind.IdentifierName));
    }

#pragma warning restore RS1001, RS1012, RS1025, RS1026, RS1037, RS2008
}
