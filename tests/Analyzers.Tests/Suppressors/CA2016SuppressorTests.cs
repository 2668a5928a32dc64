#pragma warning disable RS2008, RS1029 // the stand-in for the SDK's CA2016 reuses its reserved ID on purpose
using System.Collections.Immutable;
using ConcurrencyAnalyzers.Cancellation;
using ConcurrencyAnalyzers.Suppressors;
using ConcurrencyAnalyzers.Tests.Verifiers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace ConcurrencyAnalyzers.Tests.Suppressors;

public sealed class CA2016SuppressorTests
{
    /// <summary>
    /// Reports CA2016 where the SDK would (the real analyzer needs a newer Roslyn than the 4.8 test host): in a
    /// method with a token parameter, at the name of a call that leaves an optional token to its default or has an
    /// overload with one more (token) parameter. Lambdas are not followed, as in the SDK.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class StandInCA2016Analyzer : DiagnosticAnalyzer
    {
        public static readonly DiagnosticDescriptor Rule = new(
            "CA2016", "Forward the 'CancellationToken' parameter to methods", "Forward the '{0}' parameter to the '{1}' method",
            "Reliability", DiagnosticSeverity.Warning, isEnabledByDefault: true);

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterOperationAction(
                c =>
                {
                    var invocation = (IInvocationOperation)c.Operation;
                    if (invocation.Syntax is not InvocationExpressionSyntax syntax || c.ContainingSymbol is not IMethodSymbol method ||
                        IsInsideLambda(invocation))
                    {
                        return;
                    }

                    IParameterSymbol? token = null;
                    foreach (var parameter in method.Parameters)
                    {
                        if (parameter.Type.Name == "CancellationToken")
                        {
                            token = parameter;
                        }
                    }

                    if (token is null)
                    {
                        return;
                    }

                    var target = invocation.TargetMethod;
                    if (invocation.Arguments.Any(a => a.ArgumentKind != ArgumentKind.DefaultValue && a.Parameter?.Type.Name == "CancellationToken"))
                    {
                        return;
                    }

                    var defaulted = invocation.Arguments.Any(a => a.ArgumentKind == ArgumentKind.DefaultValue && a.Parameter?.Type.Name == "CancellationToken");
                    var overload = target.ContainingType.GetMembers(target.Name).OfType<IMethodSymbol>()
                        .Any(m => m.Parameters.Length == target.Parameters.Length + 1 && m.Parameters.Last().Type.Name == "CancellationToken");
                    if (!defaulted && !overload)
                    {
                        return;
                    }

                    var name = syntax.Expression is MemberAccessExpressionSyntax member ? member.Name : syntax.Expression;
                    c.ReportDiagnostic(Diagnostic.Create(Rule, name.GetLocation(), token.Name, target.Name));
                },
                OperationKind.Invocation);
        }

        private static bool IsInsideLambda(IOperation operation)
        {
            for (var current = operation.Parent; current is not null; current = current.Parent)
            {
                if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
                {
                    return true;
                }
            }

            return false;
        }
    }

    private sealed class Test : CSharpAnalyzerTest<StandInCA2016Analyzer, DefaultVerifier>
    {
        public Test()
        {
            ReferenceAssemblies = TestReferences.Net80;
            TestBehaviors |= TestBehaviors.SkipGeneratedCodeCheck;
        }

        protected override IEnumerable<DiagnosticAnalyzer> GetDiagnosticAnalyzers()
            => new DiagnosticAnalyzer[] { new StandInCA2016Analyzer(), new TokenNotPassedAnalyzer(), new CA2016Suppressor() };
    }

    private static DiagnosticResult CA2016(int location, string token, string method)
        => new DiagnosticResult(StandInCA2016Analyzer.Rule).WithLocation(location).WithArguments(token, method);

    private static DiagnosticResult Conc401(int location, string method, string token)
        => new DiagnosticResult(TokenNotPassedAnalyzer.Rule).WithLocation(location).WithArguments(method, token);

    [Fact]
    public Task CA2016_is_suppressed_where_CONC401_reports_the_same_call()
        => new Test
        {
            TestCode = """
                using System.Threading;
                using System.Threading.Tasks;

                class C
                {
                    async Task RunAsync(CancellationToken ct)
                    {
                        await Task.{|#0:Delay|}(100);
                        await Task.{|#1:Run|}(() => Task.{|#2:Delay|}(5));
                    }
                }
                """,
            ExpectedDiagnostics =
            {
                CA2016(0, "ct", "Delay").WithIsSuppressed(true),
                Conc401(0, "Delay", "ct"),
                CA2016(1, "ct", "Run").WithIsSuppressed(true),
                Conc401(1, "Run", "ct"),
                Conc401(2, "Delay", "ct"), // the SDK does not follow the lambda: only ours
            },
        }.RunAsync();

    [Fact]
    public Task CA2016_stays_where_CONC401_is_silent()
        => new Test
        {
            TestCode = """
                using System;
                using System.Threading;
                using System.Threading.Tasks;

                class C
                {
                    Task RollbackAsync(CancellationToken ct = default) => Task.CompletedTask;

                    async Task RunAsync(CancellationToken ct)
                    {
                        try
                        {
                            await Task.Yield();
                        }
                        catch (Exception)
                        {
                            await {|#0:RollbackAsync|}();
                        }
                    }
                }
                """,
            ExpectedDiagnostics = { CA2016(0, "ct", "RollbackAsync") },
        }.RunAsync();

    [Fact]
    public Task CA2016_stays_when_CONC401_is_turned_off()
    {
        var test = new Test
        {
            TestCode = """
                using System.Threading;
                using System.Threading.Tasks;

                class C
                {
                    Task RunAsync(CancellationToken ct) => Task.{|#0:Delay|}(100);
                }
                """,
            ExpectedDiagnostics = { CA2016(0, "ct", "Delay") },
        };
        test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n[*.cs]\ndotnet_diagnostic.CONC401.severity = none"));
        return test.RunAsync();
    }

    [Fact]
    public Task Suppressor_ignores_other_diagnostics_and_half_typed_code()
        => new Test
        {
            TestCode = """
                using System.Threading;
                using System.Threading.Tasks;

                class C
                {
                    Task RunAsync(CancellationToken ct) => Task.Delay(100, ct);
                    void Broken(CancellationToken ct) { Missing.Call(; }
                }
                """,
            CompilerDiagnostics = CompilerDiagnostics.None,
        }.RunAsync();
}
