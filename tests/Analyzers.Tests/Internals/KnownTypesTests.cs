using ConcurrencyAnalyzers.Tests.Analysis;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace ConcurrencyAnalyzers.Tests.Internals;

/// <summary>How <see cref="KnownTypes"/> settles a metadata name: the fast namespace lookup must agree with the compiler's.</summary>
public sealed class KnownTypesTests
{
    [Fact]
    public async Task Framework_types_resolve_to_the_compilers_symbols()
    {
        var compilation = await LockAnalysisHarness.CompileAsync("class C { }");
        var types = KnownTypes.For(compilation);
        foreach (var name in new[] { "System.Threading.Monitor", "System.Threading.Tasks.Task`1", "System.Threading.Channels.Channel`1", "System.Collections.Generic.ICollection`1" })
        {
            var expected = compilation.GetTypeByMetadataName(name);
            Assert.NotNull(expected);
            Assert.Same(expected, types.Get(name));
        }

        Assert.Same(types, KnownTypes.For(compilation));
        Assert.Null(types.Get("System.Threading.NoSuchType"));
        Assert.Null(types.Get("No.Such.Namespace.Type"));
        Assert.Null(types.Get("System.Threading.Tasks.Task`5"));
    }

    [Fact]
    public async Task Source_wins_then_the_single_public_copy_then_nothing()
    {
        var baseline = await LockAnalysisHarness.CompileAsync("class C { }");
        var polyfillA = Library("A", "namespace System.Threading { public sealed class Lock { } } namespace P { public class OnlyInA { } internal class Shared { } }", baseline);
        var polyfillB = Library("B", "namespace System.Threading { public sealed class Lock { } } namespace P { public class Shared { } }", baseline);

        // Two public copies in references, none in source: ambiguous, so null (rules needing it do nothing).
        var both = baseline.AddReferences(polyfillA, polyfillB);
        Assert.Null(KnownTypes.For(both).Get("System.Threading.Lock"));
        Assert.Equal("A", KnownTypes.For(both).Get("P.OnlyInA")?.ContainingAssembly.Name);

        // An internal copy and a public one: the public one.
        Assert.Equal("B", KnownTypes.For(both).Get("P.Shared")?.ContainingAssembly.Name);

        // A copy in source wins over references.
        var withSource = both.AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace System.Threading { public sealed class Lock { } }", (CSharpParseOptions)baseline.SyntaxTrees.First().Options));
        Assert.Equal(withSource.Assembly.Name, KnownTypes.For(withSource).Get("System.Threading.Lock")?.ContainingAssembly.Name);
    }

    private static MetadataReference Library(string name, string source, CSharpCompilation baseline)
    {
        var library = CSharpCompilation.Create(name, new[] { CSharpSyntaxTree.ParseText(source) }, baseline.References, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        using var stream = new MemoryStream();
        var result = library.Emit(stream);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
        return MetadataReference.CreateFromImage(stream.ToArray());
    }
}
