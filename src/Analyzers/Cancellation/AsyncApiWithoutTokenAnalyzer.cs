using System.Collections.Generic;
using System.Collections.Immutable;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Cancellation;

/// <summary>
/// CONC406 (opt-in): a public Task/ValueTask/IAsyncEnumerable method with no token parameter whose body calls
/// something that accepts one, so its callers cannot cancel it.
/// </summary>
public sealed class AsyncApiWithoutTokenAnalyzer : DiagnosticAnalyzer
{
    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        RuleIds.AsyncApiWithoutToken,
        "Async API offers no way to cancel",
        "'{0}' calls '{1}', which accepts a cancellation token, but offers its callers no token to pass; add a CancellationToken parameter",
        DiagnosticSeverity.Info,
        "A public asynchronous method that does cancellable work but takes no CancellationToken forces every caller to " +
        "wait for it to finish, even when their request was aborted or the application is stopping.",
        isEnabledByDefault: false);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var types = KnownTypes.For(start.Compilation);
            if (types.CancellationToken is null)
            {
                return;
            }

            start.RegisterOperationBlockAction(c => Analyze(c, types));
        });
    }

    private static void Analyze(OperationBlockAnalysisContext context, KnownTypes types)
    {
        if (context.OwningSymbol is not IMethodSymbol method || !IsCandidate(method, types))
        {
            return;
        }

        foreach (var block in context.OperationBlocks)
        {
            foreach (var call in CancellableCalls(block, method, types))
            {
                var location = method.Locations.Length > 0 ? method.Locations[0] : null;
                if (location is not null && location.IsInSource)
                {
                    context.ReportDiagnostic(Diagnostic.Create(Rule, location, method.Name, call.TargetMethod.Name));
                }

                return;
            }
        }
    }

    private static bool IsCandidate(IMethodSymbol method, KnownTypes types)
    {
        if (method.MethodKind != MethodKind.Ordinary || method.DeclaredAccessibility != Accessibility.Public ||
            !IsPubliclyVisible(method.ContainingType) || method.IsOverrideOrInterfaceImplementation() || method.IsAbstract ||
            !(method.ReturnType.IsTaskLike(types) || method.ReturnType.Name == "IAsyncEnumerable"))
        {
            return false;
        }

        foreach (var parameter in method.Parameters)
        {
            if (CancellationTokens.IsToken(parameter.Type, types) || CancellationTokens.IsNullableToken(parameter.Type, types) ||
                CancellationTokens.IsTokenSource(parameter.Type, types) || parameter.Type.Name.EndsWith("Context", System.StringComparison.Ordinal) ||
                HasTokenProperty(parameter.Type, types))
            {
                return false;
            }
        }

        if (method.IsTestMethod())
        {
            return false;
        }

        foreach (var attribute in method.GetAttributes())
        {
            if (attribute.AttributeClass?.Name is "BenchmarkAttribute" or "GlobalSetupAttribute" or "GlobalCleanupAttribute")
            {
                return false;
            }
        }

        // A convenience overload next to one that takes a token is the intended shape.
        foreach (var member in method.ContainingType.GetMembers(method.Name))
        {
            if (member is IMethodSymbol other && !SymbolEqualityComparer.Default.Equals(other, method))
            {
                foreach (var parameter in other.Parameters)
                {
                    if (CancellationTokens.IsToken(parameter.Type, types))
                    {
                        return false;
                    }
                }
            }
        }

        return true;
    }

    /// <summary>Direct calls (not in lambdas, catch or finally) that leave out a token they could take.</summary>
    internal static IEnumerable<IInvocationOperation> CancellableCalls(IOperation block, IMethodSymbol owner, KnownTypes types)
    {
        foreach (var operation in block.EnumerateDescendants())
        {
            if (operation is not IInvocationOperation invocation || invocation.IsInNestedFunction() || TokenNotPassedAnalyzer.IsInCleanup(invocation) ||
                invocation.TargetMethod.Name is "WaitForNextTickAsync" or "ContinueWith" or "Dispose" or "DisposeAsync" ||
                invocation.Syntax is not InvocationExpressionSyntax ||
                CancellationOverloads.PassesAnyToken(invocation, types) || HasExplicitNone(invocation, types))
            {
                continue;
            }

            if (CancellationOverloads.DefaultedTokenArgument(invocation, types) is not null ||
                CancellationOverloads.FindTokenOverload(invocation, owner, types, out _) is not null)
            {
                yield return invocation;
            }
        }
    }

    private static bool HasExplicitNone(IInvocationOperation invocation, KnownTypes types)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.ArgumentKind == ArgumentKind.Explicit && CancellationTokens.IsToken(argument.Parameter?.Type, types))
            {
                return true; // None passed on purpose: the method decided not to be cancellable
            }
        }

        return false;
    }

    private static bool IsPubliclyVisible(INamedTypeSymbol? type)
    {
        for (var current = type; current is not null; current = current.ContainingType)
        {
            if (current.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Protected or Accessibility.ProtectedOrInternal))
            {
                return false;
            }
        }

        return true;
    }

    private static bool HasTokenProperty(ITypeSymbol type, KnownTypes types)
    {
        if (type.SpecialType != SpecialType.None || type.TypeKind is TypeKind.Error or TypeKind.TypeParameter)
        {
            return false;
        }

        foreach (var member in type.GetMembers())
        {
            if (member is IPropertySymbol { IsStatic: false } property && CancellationTokens.IsToken(property.Type, types))
            {
                return true;
            }
        }

        return false;
    }
}
