using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace ConcurrencyAnalyzers.Internals;

internal static class CompilationExtensions
{
    /// <summary>The assemblies the compilation references (not the source assembly itself).</summary>
    public static IEnumerable<IAssemblySymbol> ReferencedAssemblySymbols(this Compilation compilation)
    {
        foreach (var reference in compilation.References)
        {
            if (compilation.GetAssemblyOrModuleSymbol(reference) is IAssemblySymbol assembly)
            {
                yield return assembly;
            }
        }
    }
}
