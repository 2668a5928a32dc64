using System.Collections;
using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.CompilerServices;
using ConcurrencyAnalyzers.Reliability.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit;

namespace ConcurrencyAnalyzers.Reliability;

/// <summary>
/// No static mutable state in our assemblies (the banned-API list, src/BannedSymbols.txt, covers files, network,
/// environment and processes at compile time), and the sweep's own machinery really catches a throwing analyzer.
/// </summary>
public sealed class StateTests
{
    [Fact]
    public void Our_assemblies_have_no_static_mutable_state()
    {
        var offenders = new List<string>();
        foreach (var type in OurComponents.Assemblies.SelectMany(a => a.GetTypes()))
        {
            if (IsCompilerGenerated(type))
            {
                continue; // lambda caches and the like
            }

            foreach (var field in type.GetFields(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                if (field.IsLiteral || field.IsDefined(typeof(CompilerGeneratedAttribute), false))
                {
                    continue;
                }

                if (!field.IsInitOnly)
                {
                    offenders.Add($"{type.FullName}.{field.Name} is static and not readonly");
                }
                else if (IsMutableCollection(field.FieldType))
                {
                    offenders.Add($"{type.FullName}.{field.Name} is a static mutable collection ({field.FieldType.Name})");
                }
            }
        }

        Assert.True(offenders.Count == 0, string.Join(Environment.NewLine, offenders));
    }

    [Fact]
    public void The_banned_API_list_is_applied_to_both_assemblies()
    {
        var root = SourceCorpus.RepositoryRoot;
        Assert.True(File.Exists(Path.Combine(root, "src", "BannedSymbols.txt")));
        foreach (var project in new[] { "src/Analyzers/Analyzers.csproj", "src/CodeFixes/CodeFixes.csproj" })
        {
            var text = File.ReadAllText(Path.Combine(root, project));
            Assert.Contains("Microsoft.CodeAnalysis.BannedApiAnalyzers", text, StringComparison.Ordinal);
            Assert.Contains("BannedSymbols.txt", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_runner_reports_an_analyzer_that_throws_with_the_input()
    {
        var runner = new AnalysisRunner(ImmutableArray.Create<DiagnosticAnalyzer>(new ThrowingAnalyzer()));
        var input = new SweepInput("self-test", InputKind.Truncated, "class C { void Boom() { } }", ReferenceSet.Framework, LanguageVersion.Latest, false, null);
        var result = await BadInputSweepTests.AnalyzeAsync(runner, new[] { input }, CancellationToken.None);
        Assert.Contains(result.AnalyzerFailures, f => f.Contains("deliberate", StringComparison.Ordinal));
    }

    private static bool IsCompilerGenerated(Type type)
        => type.IsDefined(typeof(CompilerGeneratedAttribute), false) ||
           (type.DeclaringType is { } outer && IsCompilerGenerated(outer)) ||
           type.Name.Contains('<', StringComparison.Ordinal);

    private static bool IsMutableCollection(Type type)
    {
        if (type.IsArray || type == typeof(string) || type.Namespace is "System.Collections.Immutable")
        {
            return false;
        }

        var ns = type.Namespace ?? string.Empty;
        return (ns == "System.Collections" || ns.StartsWith("System.Collections.Generic", StringComparison.Ordinal) ||
                ns.StartsWith("System.Collections.Concurrent", StringComparison.Ordinal)) &&
               typeof(IEnumerable).IsAssignableFrom(type) && !type.IsInterface;
    }

    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    private sealed class ThrowingAnalyzer : DiagnosticAnalyzer
    {
        private static readonly DiagnosticDescriptor Rule = new("TEST001", "t", "t", "t", DiagnosticSeverity.Warning, true);

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterSymbolAction(
                c =>
                {
                    if (c.Symbol.Name == "Boom")
                    {
                        throw new InvalidOperationException("deliberate");
                    }
                },
                SymbolKind.Method);
        }
    }
}
