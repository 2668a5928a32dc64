using System.Collections.Immutable;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Tests.Verifiers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Testing;

namespace ConcurrencyAnalyzers.Tests.Analysis;

/// <summary>
/// Compiles a snippet and reports, for every call <c>Probe("label")</c>, the locks the analyses see there.
/// </summary>
internal static class LockAnalysisHarness
{
    public static async Task<CSharpCompilation> CompileAsync(string source, ReferenceAssemblies? references = null)
    {
        var resolved = await (references ?? TestReferences.Net80).ResolveAsync(LanguageNames.CSharp, CancellationToken.None);
        var tree = CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Preview));
        return CSharpCompilation.Create("Probe", new[] { tree }, resolved, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
    }

    /// <summary>label → "may:a,b|must:a" from <see cref="HeldLocks"/>, over every method of the snippet.</summary>
    public static async Task<IReadOnlyDictionary<string, string>> HeldAtProbesAsync(string source, ReferenceAssemblies? references = null)
    {
        var compilation = await CompileAsync(source, references);
        var types = KnownTypes.For(compilation);
        var result = new Dictionary<string, string>();
        foreach (var tree in compilation.SyntaxTrees)
        {
            var model = compilation.GetSemanticModel(tree);
            foreach (var method in tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>())
            {
                if (model.GetOperation(method) is not IMethodBodyOperation body)
                {
                    continue;
                }

                var graph = ControlFlowGraph.Create(body);
                HeldLocks.AnalyzeAll(graph, model.GetDeclaredSymbol(method), types, (operation, state, _, _) =>
                {
                    if (Label(operation) is { } label)
                    {
                        result[label] = Describe(state);
                    }
                }, CancellationToken.None);
            }
        }

        return result;
    }

    /// <summary>label → <see cref="LockRegions.IsInsideLock"/> for every probe.</summary>
    public static async Task<IReadOnlyDictionary<string, bool>> InsideLockAtProbesAsync(string source, bool stopAtLambda = false, ReferenceAssemblies? references = null)
    {
        var compilation = await CompileAsync(source, references);
        var types = KnownTypes.For(compilation);
        var result = new Dictionary<string, bool>();
        foreach (var tree in compilation.SyntaxTrees)
        {
            var model = compilation.GetSemanticModel(tree);
            foreach (var invocation in tree.GetRoot().DescendantNodes().OfType<InvocationExpressionSyntax>())
            {
                if (model.GetOperation(invocation) is IInvocationOperation operation && Label(operation) is { } label)
                {
                    IOperation? stopAt = null;
                    if (stopAtLambda)
                    {
                        for (var parent = operation.Parent; parent is not null; parent = parent.Parent)
                        {
                            if (parent is IAnonymousFunctionOperation)
                            {
                                stopAt = parent;
                                break;
                            }
                        }
                    }

                    result[label] = LockRegions.IsInsideLock(operation, types, stopAt);
                }
            }
        }

        return result;
    }

    /// <summary>label → <see cref="LockRegions.InLockStatement"/> for every probe.</summary>
    public static async Task<IReadOnlyDictionary<string, bool>> InLockStatementAtProbesAsync(string source)
    {
        var compilation = await CompileAsync(source);
        var result = new Dictionary<string, bool>();
        foreach (var tree in compilation.SyntaxTrees)
        {
            var model = compilation.GetSemanticModel(tree);
            foreach (var invocation in tree.GetRoot().DescendantNodes().OfType<InvocationExpressionSyntax>())
            {
                if (model.GetOperation(invocation) is IInvocationOperation operation && Label(operation) is { } label)
                {
                    result[label] = LockRegions.InLockStatement(operation);
                }
            }
        }

        return result;
    }

    private static string? Label(IOperation operation)
        => operation is IInvocationOperation { TargetMethod.Name: "Probe", Arguments: [{ Value.ConstantValue: { HasValue: true, Value: string label } }] }
            ? label
            : null;

    private static string Describe(HeldState state)
        => "may:" + string.Join(",", state.May.Select(Name).OrderBy(n => n, StringComparer.Ordinal)) +
           "|must:" + string.Join(",", state.Must.Select(Name).OrderBy(n => n, StringComparer.Ordinal));

    private static string Name(HeldLock held)
        => held.Mode == LockMode.Exclusive ? held.Name : held.Name + "(" + held.Mode + ")";
}
