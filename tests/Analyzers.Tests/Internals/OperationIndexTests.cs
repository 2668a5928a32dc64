using ConcurrencyAnalyzers.Internals;
using ConcurrencyAnalyzers.Tests.Analysis;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Xunit;
using RoslynOperations = Microsoft.CodeAnalysis.Operations.OperationExtensions;

namespace ConcurrencyAnalyzers.Tests.Internals;

/// <summary>
/// The shared walk (<see cref="OperationIndex"/>) must give exactly what Roslyn's <c>Descendants()</c> gives, in the same
/// order, for a member body, every subtree of it, and operations outside any member body (control-flow graphs).
/// </summary>
public sealed class OperationIndexTests
{
    private const string Source = """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;

        class C
        {
            private readonly object _gate = new object();
            private int _count = Environment.ProcessorCount * 2;

            public C(int start) : this() { _count = start; }
            public C() { }

            public async Task<int> RunAsync(IEnumerable<int> items, CancellationToken token)
            {
                var sum = 0;
                foreach (var item in items)
                {
                    lock (_gate) { sum += item > 0 ? item : -item; }
                    await Task.Run(() => { Local(item); return sum; }, token);
                }

                try { sum = checked(sum * 2); }
                catch (OverflowException e) when (e.Message != null) { sum = 0; }
                finally { _count++; }

                return sum switch { 0 => 1, var n => n };

                void Local(int x) => Console.WriteLine($"{x} {sum}");
            }

            public int Property { get; set; } = 3;
        }
        """;

    [Fact]
    public async Task Every_subtree_of_a_member_body_matches_Roslyns_walk()
    {
        var compilation = await LockAnalysisHarness.CompileAsync(Source);
        var tree = compilation.SyntaxTrees.Single();
        var model = compilation.GetSemanticModel(tree);
        var roots = tree.GetRoot().DescendantNodes()
            .Where(n => n is BaseMethodDeclarationSyntax or VariableDeclaratorSyntax { Parent.Parent: FieldDeclarationSyntax } or PropertyDeclarationSyntax)
            .Select(n => n is VariableDeclaratorSyntax { Initializer: { } init } ? model.GetOperation(init) : model.GetOperation(n))
            .OfType<IOperation>()
            .ToList();
        Assert.True(roots.Count >= 5, $"expected the methods, constructors and initializers, got {roots.Count}");

        var checkedNodes = 0;
        foreach (var root in roots)
        {
            Assert.Null(root.Parent);
            foreach (var node in RoslynOperations.DescendantsAndSelf(root))
            {
                Assert.Equal(RoslynOperations.Descendants(node).ToList(), node.EnumerateDescendants().ToList());
                Assert.Equal(RoslynOperations.DescendantsAndSelf(node).ToList(), node.EnumerateDescendantsAndSelf().ToList());
                checkedNodes++;
            }
        }

        Assert.True(checkedNodes > 100, $"walked only {checkedNodes} operations");
    }

    [Fact]
    public async Task Same_function_walk_leaves_out_lambdas_and_local_functions_whole()
    {
        var compilation = await LockAnalysisHarness.CompileAsync(Source);
        var tree = compilation.SyntaxTrees.Single();
        var model = compilation.GetSemanticModel(tree);
        var method = tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().Single(m => m.Identifier.Text == "RunAsync");
        var body = model.GetOperation(method)!;

        var nested = 0;
        foreach (var node in RoslynOperations.DescendantsAndSelf(body))
        {
            var expected = RoslynOperations.Descendants(node).Where(d => !InNestedFunction(d, node)).ToList();
            Assert.Equal(expected, OperationIndex.SubtreeInSameFunction(node).ToList());
            nested += node is Microsoft.CodeAnalysis.Operations.IAnonymousFunctionOperation or Microsoft.CodeAnalysis.Operations.ILocalFunctionOperation ? 1 : 0;
        }

        Assert.True(nested >= 2, "the snippet must have a lambda and a local function");

        static bool InNestedFunction(IOperation operation, IOperation root)
        {
            for (var current = operation; current is not null && !ReferenceEquals(current, root); current = current.Parent)
            {
                if (current is Microsoft.CodeAnalysis.Operations.IAnonymousFunctionOperation or Microsoft.CodeAnalysis.Operations.ILocalFunctionOperation)
                {
                    return true;
                }
            }

            return false;
        }
    }

    [Fact]
    public async Task Operations_of_a_control_flow_graph_match_Roslyns_walk()
    {
        var compilation = await LockAnalysisHarness.CompileAsync(Source);
        var tree = compilation.SyntaxTrees.Single();
        var model = compilation.GetSemanticModel(tree);
        var method = tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().Single(m => m.Identifier.Text == "RunAsync");
        var graph = ControlFlowGraph.Create((Microsoft.CodeAnalysis.Operations.IMethodBodyOperation)model.GetOperation(method)!);

        var checkedNodes = 0;
        foreach (var block in graph.Blocks)
        {
            foreach (var operation in block.Operations.Concat(block.BranchValue is null ? Array.Empty<IOperation>() : new[] { block.BranchValue }))
            {
                Assert.Equal(RoslynOperations.DescendantsAndSelf(operation).ToList(), operation.EnumerateDescendantsAndSelf().ToList());
                Assert.Equal(RoslynOperations.Descendants(operation).ToList(), operation.EnumerateDescendants().ToList());
                // A graph's lambdas are flow anonymous functions with no operations below them: nothing to leave out.
                Assert.Equal(RoslynOperations.Descendants(operation).ToList(), OperationIndex.SubtreeInSameFunction(operation).ToList());
                checkedNodes++;
            }
        }

        Assert.True(checkedNodes > 10, $"walked only {checkedNodes} graph operations");
    }
}
