using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace ConcurrencyAnalyzers.Tests.Verifiers;

/// <summary>Analyzer and fix verification: <c>using Verify = CSharpCodeFixVerifier&lt;XAnalyzer, XCodeFix&gt;;</c>.</summary>
public static class CSharpCodeFixVerifier<TAnalyzer, TCodeFix>
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TCodeFix : CodeFixProvider, new()
{
    public static DiagnosticResult Diagnostic(string id) => new DiagnosticResult(id, DiagnosticSeverity.Warning);

    public static DiagnosticResult Diagnostic(DiagnosticDescriptor descriptor) => new DiagnosticResult(descriptor);

    /// <summary>Runs only the analyzer (no fix is applied or checked); use <see cref="VerifyCodeFixAsync(string, string)"/> with the source as fixed source to show that no fix is offered.</summary>
    public static Task VerifyAnalyzerAsync(string source, params DiagnosticResult[] expected)
    {
        var test = new Test { TestCode = source };
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync(CancellationToken.None);
    }

    /// <summary>
    /// Applies the fix to every diagnostic one by one, then Fix All in document, project and solution scope:
    /// each must give <paramref name="fixedSource"/>, and the fixed source must compile with no diagnostics left
    /// (so a second application changes nothing).
    /// </summary>
    public static Task VerifyCodeFixAsync(string source, string fixedSource)
        => VerifyCodeFixAsync(source, Array.Empty<DiagnosticResult>(), fixedSource);

    public static Task VerifyCodeFixAsync(string source, DiagnosticResult[] expected, string fixedSource)
    {
        var test = new Test { TestCode = source, FixedCode = fixedSource };
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync(CancellationToken.None);
    }

    public sealed class Test : CSharpCodeFixTest<TAnalyzer, TCodeFix, DefaultVerifier>
    {
        public Test()
        {
            ReferenceAssemblies = TestReferences.Net80;
            TestBehaviors |= TestBehaviors.SkipGeneratedCodeCheck;

            // A rule may have several descriptors (one message per shape) under one ID: markup uses the first.
            MarkupOptions = MarkupOptions.UseFirstDescriptor;
        }

        public LanguageVersion LanguageVersion { get; set; } = LanguageVersion.Latest;

        protected override ParseOptions CreateParseOptions()
            => ((CSharpParseOptions)base.CreateParseOptions()).WithLanguageVersion(LanguageVersion);

        protected override CompilationOptions CreateCompilationOptions()
            => ((CSharpCompilationOptions)base.CreateCompilationOptions()).WithWarningLevel(9999);
    }
}
