using System.Collections.Immutable;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Tests.Verifiers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit;

namespace ConcurrencyAnalyzers.Tests.Analysis;

public sealed class NonCopyableTypesTests
{
    private const string Source = """
        using System;
        using System.Threading;

        namespace Any.Where { sealed class NonCopyableAttribute : Attribute { } }

        [Any.Where.NonCopyable] struct Marked { public int X; }
        struct HoldsSpinLock { public SpinLock Lock; }
        struct Nested { public HoldsSpinLock Inner; public int Count; }
        struct HoldsMarked { private Marked _m; }
        struct Generic<T> { public T Value; }
        struct Plain { public int X; public string Name; }
        struct StaticOnly { public static SpinLock Shared; }
        sealed class Holder { public SpinLock Lock; }
        struct HoldsReference { public Holder Holder; }
        struct Counter { private long _n; public void Hit() => Interlocked.Increment(ref _n); }
        struct Gated { private object _gate; private int _n; public void Add() { lock (_gate) _n++; } }
        struct HoldsCounter { public Counter C; }

        class Uses
        {
            Generic<SpinLock> a; Generic<int> b; SpinWait c;
        }

        struct Guarded<T> { public SpinLock Lock; public T Value; }
        struct Counted<T> { private long _n; public T Value; public void Hit() => Interlocked.Increment(ref _n); }
        class Outer<T> { public struct Inner { public T Value; } }

        class Instances
        {
            Guarded<int> guardedInt; Guarded<string> guardedText; Generic<int> genericInt; Generic<SpinLock> genericSpin;
            Generic<Counter> genericCounter; Generic<Generic<SpinLock>> nestedSpin; Generic<Generic<int>> nestedInt;
            SpinLock? maybeSpin; Counter? maybeCounter; int? maybeInt;
            System.Collections.Generic.KeyValuePair<int, SpinLock> pair; (int, SpinLock) tuple; (int, long) plainTuple;
            System.Collections.Generic.List<SpinLock>.Enumerator enumerator; System.Collections.Generic.List<int>.Enumerator plainEnumerator;
            Outer<SpinLock>.Inner innerSpin; Outer<int>.Inner innerInt; Counted<int> countedInt;
        }
        """;

    [Theory]
    [InlineData("Marked", true)]
    [InlineData("HoldsSpinLock", true)]
    [InlineData("Nested", true)]
    [InlineData("HoldsMarked", true)]
    [InlineData("Plain", false)]
    [InlineData("StaticOnly", false)]
    [InlineData("Holder", false)]
    [InlineData("HoldsReference", false)]
    [InlineData("Counter", false)]
    public async Task Classifies_source_types(string name, bool expected)
    {
        var (compilation, test) = await CreateAsync();
        Assert.Equal(expected, test.IsNonCopyable(compilation.GetTypeByMetadataName(name)));
    }

    [Theory]
    [InlineData("Counter", true)]
    [InlineData("Gated", true)]
    [InlineData("HoldsCounter", true)]
    [InlineData("Plain", false)]
    [InlineData("HoldsReference", false)]
    public async Task Finds_structs_holding_their_own_synchronization_state(string name, bool expected)
    {
        var (compilation, test) = await CreateAsync();
        Assert.Equal(expected, test.HoldsSynchronizationState(compilation.GetTypeByMetadataName(name)));
    }

    [Fact]
    public async Task Knows_the_framework_types_and_generic_instantiations()
    {
        var (compilation, test) = await CreateAsync();
        var uses = compilation.GetTypeByMetadataName("Uses")!;
        var fieldTypes = uses.GetMembers().OfType<IFieldSymbol>().ToDictionary(f => f.Name, f => f.Type);
        Assert.True(test.IsNonCopyable(fieldTypes["a"]));
        Assert.False(test.IsNonCopyable(fieldTypes["b"]));
        Assert.True(test.IsNonCopyable(fieldTypes["c"]));
        Assert.True(test.IsNonCopyable(compilation.GetTypeByMetadataName("System.Threading.SpinLock")));
        Assert.False(test.IsNonCopyable(compilation.GetSpecialType(SpecialType.System_Int32)));
        Assert.False(test.IsNonCopyable(null));
    }

    [Fact]
    public async Task Classifies_generic_instances_as_their_fields_do()
    {
        // Classify answers an instance over plain arguments from its definition; the field-by-field answers of
        // IsNonCopyable and HoldsSynchronizationState are the reference.
        var (compilation, test) = await CreateAsync();
        var fieldTypes = compilation.GetTypeByMetadataName("Instances")!.GetMembers().OfType<IFieldSymbol>().ToDictionary(f => f.Name, f => f.Type);
        var expected = new Dictionary<string, CopyFacts>
        {
            ["guardedInt"] = CopyFacts.NonCopyable,
            ["guardedText"] = CopyFacts.NonCopyable,
            ["genericInt"] = CopyFacts.None,
            ["genericSpin"] = CopyFacts.NonCopyable,
            ["genericCounter"] = CopyFacts.HoldsSynchronizationState,
            ["nestedSpin"] = CopyFacts.NonCopyable,
            ["nestedInt"] = CopyFacts.None,
            ["maybeSpin"] = CopyFacts.NonCopyable,
            ["maybeCounter"] = CopyFacts.HoldsSynchronizationState,
            ["maybeInt"] = CopyFacts.None,
            ["pair"] = CopyFacts.NonCopyable,
            ["tuple"] = CopyFacts.NonCopyable,
            ["plainTuple"] = CopyFacts.None,
            ["enumerator"] = CopyFacts.NonCopyable,
            ["plainEnumerator"] = CopyFacts.None,
            ["innerSpin"] = CopyFacts.NonCopyable,
            ["innerInt"] = CopyFacts.None,
            ["countedInt"] = CopyFacts.HoldsSynchronizationState,
        };
        foreach (var (name, facts) in expected)
        {
            var type = fieldTypes[name];
            var reference = (test.IsNonCopyable(type) ? CopyFacts.NonCopyable : CopyFacts.None) |
                            (test.HoldsSynchronizationState(type) ? CopyFacts.HoldsSynchronizationState : CopyFacts.None);
            Assert.Equal((name, facts), (name, reference));
            Assert.Equal((name, facts), (name, test.Classify(type)));
        }
    }

    [Fact]
    public async Task One_test_is_shared_per_compilation_and_options()
    {
        var (compilation, _) = await CreateAsync();
        var types = KnownTypes.For(compilation);
        var options = new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty);
        var first = NonCopyableTypes.For(types, options);
        Assert.Same(first, NonCopyableTypes.For(types, options));

        // Other options may name other attributes: the compilation analyzed with them gets a test of its own.
        Assert.NotSame(first, NonCopyableTypes.For(types, new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty)));
    }

    private static async Task<(Compilation Compilation, NonCopyableTypes Test)> CreateAsync()
    {
        var references = await TestReferences.Net80.ResolveAsync(LanguageNames.CSharp, CancellationToken.None);
        var compilation = CSharpCompilation.Create(
            "Test",
            new[] { CSharpSyntaxTree.ParseText(Source) },
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var options = new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty);
        return (compilation, NonCopyableTypes.Create(KnownTypes.For(compilation), options));
    }
}
