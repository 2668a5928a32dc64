using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace ConcurrencyAnalyzers.Reliability.Infrastructure;

/// <summary>
/// The reference sets inputs are compiled against. Built once per test run and reused by every input (a
/// compilation made with <c>AddSyntaxTrees</c> from a base compilation reuses its bound references).
/// </summary>
public static class References
{
    /// <summary>The running .NET's own assemblies: the whole framework.</summary>
    public static ImmutableArray<MetadataReference> Framework { get; } = LoadFramework();

    /// <summary>The framework without System.Threading.Channels.</summary>
    public static ImmutableArray<MetadataReference> NoChannels { get; } = Framework
        .Where(r => !string.Equals(Path.GetFileNameWithoutExtension(r.Display), "System.Threading.Channels", StringComparison.OrdinalIgnoreCase))
        .ToImmutableArray();

    /// <summary>A small hand-made core library with no System.Threading.Tasks (and no channels, no collections).</summary>
    public static ImmutableArray<MetadataReference> NoTasks { get; } = ImmutableArray.Create(MiniCoreLibrary());

    /// <summary>No references at all: not even object resolves.</summary>
    public static ImmutableArray<MetadataReference> None { get; } = ImmutableArray<MetadataReference>.Empty;

    private static ImmutableArray<MetadataReference> LoadFramework()
    {
        var directory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var builder = ImmutableArray.CreateBuilder<MetadataReference>();
        foreach (var path in Directory.EnumerateFiles(directory, "*.dll").OrderBy(p => p, StringComparer.Ordinal))
        {
            try
            {
                AssemblyName.GetAssemblyName(path);
            }
            catch (BadImageFormatException)
            {
                continue; // native library
            }

            builder.Add(MetadataReference.CreateFromFile(path));
        }

        return builder.ToImmutable();
    }

    private static MetadataReference MiniCoreLibrary()
    {
        const string source = """
            namespace System
            {
                public class Object { public virtual string ToString() => null; public virtual bool Equals(object o) => false; public virtual int GetHashCode() => 0; }
                public abstract class ValueType { }
                public abstract class Enum : ValueType { }
                public struct Void { }
                public struct Boolean { }
                public struct Char { }
                public struct SByte { }
                public struct Byte { }
                public struct Int16 { }
                public struct UInt16 { }
                public struct Int32 { }
                public struct UInt32 { }
                public struct Int64 { }
                public struct UInt64 { }
                public struct IntPtr { }
                public struct UIntPtr { }
                public struct Single { }
                public struct Double { }
                public struct Nullable<T> where T : struct { public T Value => default; public bool HasValue => false; }
                public sealed class String { public int Length => 0; }
                public abstract class Array { }
                public class Attribute { }
                public enum AttributeTargets { All = 32767 }
                public sealed class AttributeUsageAttribute : Attribute
                {
                    public AttributeUsageAttribute(AttributeTargets validOn) { }
                    public bool AllowMultiple { get; set; }
                    public bool Inherited { get; set; }
                }
                public sealed class ParamArrayAttribute : Attribute { }
                public abstract class Delegate { }
                public abstract class MulticastDelegate : Delegate { }
                public class Type { }
                public struct RuntimeTypeHandle { }
                public struct RuntimeFieldHandle { }
                public struct RuntimeMethodHandle { }
                public class Exception { public Exception() { } public Exception(string message) { } }
                public class EventArgs { }
                public interface IDisposable { void Dispose(); }
                public delegate void Action();
                public delegate TResult Func<TResult>();
                public delegate void EventHandler(object sender, EventArgs e);
            }
            namespace System.Collections
            {
                public interface IEnumerable { IEnumerator GetEnumerator(); }
                public interface IEnumerator { bool MoveNext(); object Current { get; } }
            }
            namespace System.Threading
            {
                public static class Monitor { public static void Enter(object o) { } public static void Exit(object o) { } }
                public struct CancellationToken { public bool IsCancellationRequested => false; }
            }
            """;
        var compilation = CSharpCompilation.Create(
            "System.Runtime",
            new[] { CSharpSyntaxTree.ParseText(source) },
            references: null,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        using var stream = new MemoryStream();
        var result = compilation.Emit(stream);
        if (!result.Success)
        {
            throw new InvalidOperationException("The mini core library does not compile: " +
                string.Join(Environment.NewLine, result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        }

        return MetadataReference.CreateFromImage(stream.ToArray(), filePath: "MiniCoreLibrary (no Tasks)");
    }
}
