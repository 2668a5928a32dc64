using System.Collections.Immutable;
using ConcurrencyAnalyzers.Analysis;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpAnalyzerVerifier<
    ConcurrencyAnalyzers.Tests.Analysis.AsyncMethodStartTests.Probe>;

namespace ConcurrencyAnalyzers.Tests.Analysis;

/// <summary>
/// <see cref="ConcurrentContexts.ClassifyAsyncMethodCall"/> probed: every call to a source method named <c>Work*</c>
/// reports how it starts the method, and every <c>Here()</c> inside a method body whether it is after the first await.
/// </summary>
public sealed class AsyncMethodStartTests
{
    private const string Prelude = """
        using System.Collections.Generic;
        using System.Linq;
        using System.Threading.Tasks;

        """;

    [Fact]
    public Task Async_method_calls_joined_together_are_concurrent_starts_and_awaited_calls_are_not()
        => Verify.VerifyAnalyzerAsync(Prelude + """
            class C
            {
                async Task WorkAsync(int i) { await Task.Delay(i); }

                async Task M(int[] items)
                {
                    await Task.WhenAll(new[] { {|#8:WorkAsync(1)|} }.Concat(new[] { {|#9:WorkAsync(2)|} }));
                    var tasks = new List<Task>();
                    foreach (var i in items)
                    {
                        tasks.Add({|#2:WorkAsync(i)|});
                    }

                    await Task.WhenAll(items.Select(i => {|#3:WorkAsync(i)|}));
                    await {|#4:WorkAsync(3)|};
                    _ = {|#5:WorkAsync(4)|};
                }
            }
            """,
            Expect(8, "None"),
            Expect(9, "None"),
            Expect(2, "ConcurrentStart"),
            Expect(3, "ConcurrentStart"),
            Expect(4, "None"),
            Expect(5, "DroppedAsyncCall"));

    [Fact]
    public Task IsAfterFirstAwait_accepts_a_method_body()
        => Verify.VerifyAnalyzerAsync(Prelude + """
            class C
            {
                void Here() { }

                async Task M()
                {
                    {|#0:Here()|};
                    await Task.Yield();
                    {|#1:Here()|};
                }
            }
            """,
            Expect(0, "False"),
            Expect(1, "True"));

    private static Microsoft.CodeAnalysis.Testing.DiagnosticResult Expect(int location, string text)
        => Verify.Diagnostic(Probe.Rule).WithLocation(location).WithArguments(text);

    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class Probe : InvocationProbe
    {
        public static readonly DiagnosticDescriptor Rule = new("PROBE4", "Probe", "{0}", "Test", DiagnosticSeverity.Warning, true);

        protected override DiagnosticDescriptor Descriptor => Rule;

        private protected override string? Describe(IInvocationOperation invocation, ISymbol containingSymbol, KnownTypes types)
        {
            if (invocation.TargetMethod.Name.StartsWith("Work", System.StringComparison.Ordinal))
            {
                return ConcurrentContexts.ClassifyAsyncMethodCall(invocation, types)?.ToString() ?? "None";
            }

            if (invocation.TargetMethod.Name != "Here")
            {
                return null;
            }

            var root = (IOperation)invocation;
            while (root.Parent is not null)
            {
                root = root.Parent;
            }

            return ConcurrentContexts.IsAfterFirstAwait(invocation, root).ToString();
        }
    }
}
