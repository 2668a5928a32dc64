#pragma warning disable RS2008 // a test-only probe rule
using System.Collections.Immutable;
using ConcurrencyAnalyzers.Analysis;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpAnalyzerVerifier<
    ConcurrencyAnalyzers.Tests.Analysis.CancellationTokensTests.ProbeAnalyzer>;

namespace ConcurrencyAnalyzers.Tests.Analysis;

public sealed class CancellationTokensTests
{
    /// <summary>Reports, at every call to a method named <c>Probe</c>, the innermost token's text and whether the
    /// enclosing loop (if any) observes a token.</summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class ProbeAnalyzer : InvocationProbe
    {
        public static readonly DiagnosticDescriptor Rule = new("TOKENPROBE", "Probe", "{0}", "Test", DiagnosticSeverity.Warning, true);

        protected override DiagnosticDescriptor Descriptor => Rule;

        private protected override string? Describe(IInvocationOperation invocation, ISymbol containingSymbol, KnownTypes types)
        {
            if (invocation.TargetMethod.Name != "Probe")
            {
                return null;
            }

            var token = CancellationTokens.FindInnermostToken(invocation, containingSymbol, types);
            var text = token is null ? "none" : token.ExpressionText + ":" + token.Kind;
            IOperation? loop = invocation;
            while (loop is not null and not ILoopOperation)
            {
                loop = loop.Parent;
            }

            if (loop is not null)
            {
                text += CancellationTokens.ObservesToken(loop, types) ? ":observed" : ":unobserved";
            }

            return text;
        }
    }

    private static DiagnosticResult Probe(int location, string text)
        => Verify.Diagnostic(ProbeAnalyzer.Rule).WithLocation(location).WithArguments(text);

    private const string Prelude = """
        using System;
        using System.Threading;
        using System.Threading.Tasks;

        """;

    [Fact]
    public Task Parameter_token_is_found()
        => Verify.VerifyAnalyzerAsync(Prelude + """
            class C
            {
                void Probe() { }
                void M(int x, CancellationToken ct) { {|#0:Probe()|}; }
            }
            """, Probe(0, "ct:Parameter"));

    [Fact]
    public Task No_token_gives_none_and_nullable_token_is_not_a_token()
        => Verify.VerifyAnalyzerAsync(Prelude + """
            class C
            {
                void Probe() { }
                void M(CancellationToken? ct) { {|#0:Probe()|}; }
            }
            """, Probe(0, "none"));

    [Fact]
    public Task Lambda_token_is_innermost()
        => Verify.VerifyAnalyzerAsync(Prelude + """
            class C
            {
                void Probe() { }
                async Task M(int[] items, CancellationToken ct)
                {
                    await Parallel.ForEachAsync(items, ct, async (item, token) => { {|#0:Probe()|}; await Task.Yield(); });
                    Func<Task> f = async () => { {|#1:Probe()|}; await Task.Yield(); };
                }
            }
            """, Probe(0, "token:Parameter"), Probe(1, "ct:Parameter"));

    [Fact]
    public Task Static_lambda_and_static_local_function_do_not_reach_the_outer_token()
        => Verify.VerifyAnalyzerAsync(Prelude + """
            class C
            {
                static void Probe() { }
                void M(CancellationToken ct)
                {
                    Action a = static () => {|#0:Probe()|};
                    Local();
                    static void Local() { {|#1:Probe()|}; }
                    void Other() { {|#2:Probe()|}; }
                    Other();
                }
            }
            """, Probe(0, "none"), Probe(1, "none"), Probe(2, "ct:Parameter"));

    [Fact]
    public Task Linked_source_local_is_innermost_but_plain_source_is_not_a_token()
        => Verify.VerifyAnalyzerAsync(Prelude + """
            class C
            {
                void Probe() { }
                void M(CancellationToken ct)
                {
                    {|#0:Probe()|};
                    using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    {|#1:Probe()|};
                    var plain = new CancellationTokenSource();
                    {|#2:Probe()|};
                    var timed = new CancellationTokenSource();
                    timed.CancelAfter(100);
                    {|#3:Probe()|};
                }
            }
            """, Probe(0, "ct:Parameter"), Probe(1, "linked.Token:SourceLocal"), Probe(2, "linked.Token:SourceLocal"), Probe(3, "timed.Token:SourceLocal"));

    [Fact]
    public Task Token_local_declared_later_is_not_in_scope()
        => Verify.VerifyAnalyzerAsync(Prelude + """
            class C
            {
                void Probe() { }
                void M(CancellationTokenSource source)
                {
                    {|#0:Probe()|};
                    var token = source.Token;
                    {|#1:Probe()|};
                }
            }
            """, Probe(0, "none"), Probe(1, "token:Local"));

    [Fact]
    public Task Token_property_of_a_context_parameter_is_found()
        => Verify.VerifyAnalyzerAsync(Prelude + """
            class RequestContext { public CancellationToken Aborted { get; } public string Path { get; } = ""; }
            class TwoTokensContext { public CancellationToken A { get; } public CancellationToken B { get; } }
            class C
            {
                void Probe() { }
                void M(RequestContext context) { {|#0:Probe()|}; }
                void N(TwoTokensContext ambiguous) { {|#1:Probe()|}; }
            }
            """, Probe(0, "context.Aborted:ParameterProperty"), Probe(1, "none"));

    [Fact]
    public Task Loop_observation()
        => Verify.VerifyAnalyzerAsync(Prelude + """
            class C
            {
                void Probe() { }
                void Work(CancellationToken t) { }
                void M(CancellationToken ct, CancellationTokenSource cts)
                {
                    while (true) { {|#0:Probe()|}; }
                    while (!ct.IsCancellationRequested) { {|#1:Probe()|}; }
                    while (true) { {|#2:Probe()|}; Work(CancellationToken.None); }
                    while (true) { {|#3:Probe()|}; Work(cts.Token); }
                    for (;;) { {|#4:Probe()|}; ct.ThrowIfCancellationRequested(); }
                }
            }
            """,
            Probe(0, "ct:Parameter:unobserved"), Probe(1, "ct:Parameter:observed"), Probe(2, "ct:Parameter:unobserved"),
            Probe(3, "ct:Parameter:observed"), Probe(4, "ct:Parameter:observed"));

    // IsTokenRead goes by operation kind and IsNullableToken by name first: a field of nullable token type, a local
    // source and a property returning a token are each a read (only those kinds and that name reach the type tests).
    [Fact]
    public Task Loop_observation_through_a_nullable_token_field_a_source_local_and_a_token_property()
        => Verify.VerifyAnalyzerAsync(Prelude + """
            class C
            {
                private CancellationToken? _maybe;
                private CancellationToken Current => default;
                void Probe() { }
                void M(CancellationToken ct)
                {
                    var source = new CancellationTokenSource();
                    while (true) { {|#0:Probe()|}; if (_maybe.HasValue) { break; } }
                    while (true) { {|#1:Probe()|}; GC.KeepAlive(source); }
                    while (true) { {|#2:Probe()|}; GC.KeepAlive(Current); }
                }
            }
            """,
            Probe(0, "ct:Parameter:observed"), Probe(1, "ct:Parameter:observed"), Probe(2, "ct:Parameter:observed"));

    [Fact]
    public Task Using_statement_and_keyword_names()
        => Verify.VerifyAnalyzerAsync(Prelude + """
            class C
            {
                void Probe() { }
                void M(CancellationToken @event)
                {
                    {|#0:Probe()|};
                    using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1)))
                    {
                        {|#1:Probe()|};
                    }
                }
            }
            """, Probe(0, "@event:Parameter"), Probe(1, "cts.Token:SourceLocal"));

    [Fact]
    public Task Tokens_only_the_body_declares_are_found_in_a_method_without_token_parameters()
        => Verify.VerifyAnalyzerAsync(Prelude + """
            class C
            {
                readonly CancellationTokenSource _stopping = new();
                void Probe() { }
                void M(int[] items)
                {
                    {|#0:Probe()|};
                    Parallel.ForEachAsync(items, async (item, token) => { {|#2:Probe()|}; await Task.Yield(); });
                    Local(default);
                    void Local(CancellationToken local) { {|#3:Probe()|}; }
                    using (var linked = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token))
                    {
                        {|#4:Probe()|};
                    }
                }

                void N() { var token = _stopping.Token; {|#5:Probe()|}; }
                void O(int x) { {|#6:Probe()|}; }
            }
            """,
            Probe(0, "none"), Probe(2, "token:Parameter"), Probe(3, "local:Parameter"),
            Probe(4, "linked.Token:SourceLocal"), Probe(5, "token:Local"), Probe(6, "none"));
}
