using System.Collections.Immutable;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.SharedState;

/// <summary>
/// CONC302: <c>x++</c>, <c>x--</c>, <c>x += n</c>, <c>x = x + n</c> on a captured local, parameter or field inside code
/// that runs concurrently, with no lock held. Silent on <c>volatile</c> fields and on variables also updated with
/// <c>Interlocked</c> (both are CONC305's).
/// </summary>
public sealed class NonAtomicUpdateAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property: the Interlocked method the fix uses (<c>Increment</c>, <c>Decrement</c>, <c>Add</c>, <c>Subtract</c>), absent when there is none.</summary>
    public const string InterlockedProperty = "Interlocked";

    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        RuleIds.NonAtomicUpdate,
        "Non-atomic update of a shared variable in concurrent code",
        "'{0}' is read, changed and written back in code that runs concurrently ({1}) without a lock; concurrent updates are lost",
        DiagnosticSeverity.Warning,
        "'x++' and 'x += n' read the variable, compute, and write it back: two threads doing it at once both read the " +
        "same old value and one update is lost. Use Interlocked.Increment/Decrement/Add, take a lock, or give each " +
        "worker its own accumulator and combine them after the join.");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var types = KnownTypes.For(start.Compilation);
            if (types.Task is null)
            {
                return;
            }

            start.RegisterSymbolStartAction(
                symbolStart => ConcurrentAccessScan.Register(
                    symbolStart,
                    types,
                    (operation, scan) => Find(operation, types),
                    OperationKind.Increment,
                    OperationKind.Decrement,
                    OperationKind.CompoundAssignment,
                    OperationKind.SimpleAssignment),
                SymbolKind.NamedType);
        });
    }

    private static (ISymbol, System.Func<ConcurrentContext?, Diagnostic>)? Find(IOperation operation, KnownTypes types)
    {
        if (!TryGetUpdate(operation, out var target, out var fix) ||
            SharedStateFacts.SharedVariable(target) is not { } variable ||
            variable is IFieldSymbol { IsVolatile: true } or IFieldSymbol { IsConst: true } ||
            !IsRacyValueType(target.Type) || !ConcurrentAccessScan.MayBeCandidate(operation, variable))
        {
            return null;
        }

        // Most candidates turn out to be protected or not racing: the fix and the location are worked out only for
        // those reported.
        return (variable, context =>
        {
            // Interlocked exists for int and long (and their unsigned forms on .NET 5+); others get no fix.
            var properties = fix is null || !SupportsInterlocked(target.Type, fix, types)
                ? ImmutableDictionary<string, string?>.Empty
                : ImmutableDictionary<string, string?>.Empty.Add(InterlockedProperty, fix);
            return Diagnostic.Create(
                Rule,
                operation.Syntax.GetLocation(),
                properties,
                variable.Name,
                context?.Spawner ?? "a method started concurrently with itself");
        });
    }

    /// <summary>The updated variable of <c>x++</c>, <c>x op= n</c> or <c>x = x op n</c>, and the Interlocked method that replaces it.</summary>
    private static bool TryGetUpdate(IOperation operation, out IOperation target, out string? fix)
    {
        fix = null;
        // By kind (one call, where a failed type test walks the node's interfaces): most updates are simple assignments.
        switch (operation.Kind)
        {
            case OperationKind.Increment or OperationKind.Decrement:
                target = ((IIncrementOrDecrementOperation)operation).Target;
                fix = operation.Kind == OperationKind.Increment ? "Increment" : "Decrement";
                return true;
            case OperationKind.CompoundAssignment:
                var compound = (ICompoundAssignmentOperation)operation;
                target = compound.Target;
                fix = compound.OperatorKind switch
                {
                    BinaryOperatorKind.Add => "Add",
                    BinaryOperatorKind.Subtract => "Subtract",
                    _ => null,
                };
                return compound.OperatorMethod is null;
            case OperationKind.SimpleAssignment
                when operation is ISimpleAssignmentOperation { Value: var value } assignment &&
                     value.WalkDownConversions() is IBinaryOperation { OperatorMethod: null } binary &&
                     binary.OperatorKind is BinaryOperatorKind.Add or BinaryOperatorKind.Subtract or BinaryOperatorKind.Multiply or
                         BinaryOperatorKind.Or or BinaryOperatorKind.And or BinaryOperatorKind.ExclusiveOr &&
                     (SameVariable(assignment.Target, binary.LeftOperand) ||
                      (binary.OperatorKind != BinaryOperatorKind.Subtract && SameVariable(assignment.Target, binary.RightOperand))):
                target = assignment.Target;
                return true;
            default:
                target = operation;
                return false;
        }
    }

    private static bool SameVariable(IOperation target, IOperation value)
    {
        var symbol = SharedStateFacts.SharedVariable(target);
        return symbol is not null && SymbolEqualityComparer.Default.Equals(symbol, SharedStateFacts.SharedVariable(value));
    }

    /// <summary>Numbers, <c>bool</c>, <c>char</c>, <c>string</c> and enums: values whose read-modify-write is a plain load and store.</summary>
    private static bool IsRacyValueType(ITypeSymbol? type)
    {
        if (type is null)
        {
            return false;
        }

        if (type.TypeKind == TypeKind.Enum)
        {
            return true;
        }

        return type.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_UInt32 or
            SpecialType.System_UInt64 or SpecialType.System_Int16 or SpecialType.System_UInt16 or SpecialType.System_Byte or
            SpecialType.System_SByte or SpecialType.System_Single or SpecialType.System_Double or SpecialType.System_Decimal or
            SpecialType.System_Boolean or SpecialType.System_Char or SpecialType.System_String;
    }

    private static bool SupportsInterlocked(ITypeSymbol? type, string method, KnownTypes types)
    {
        if (type?.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64)
        {
            return true;
        }

        // Unsigned overloads (and no Subtract: negating an unsigned amount is not a plain rewrite) exist on .NET 5+.
        return type?.SpecialType is SpecialType.System_UInt32 or SpecialType.System_UInt64 &&
               method is "Increment" or "Decrement" &&
               types.Interlocked is { } interlocked &&
               !interlocked.GetMembers("Increment").IsEmpty &&
               HasOverloadFor(interlocked, "Increment", type);
    }

    private static bool HasOverloadFor(INamedTypeSymbol interlocked, string name, ITypeSymbol type)
    {
        foreach (var member in interlocked.GetMembers(name))
        {
            if (member is IMethodSymbol { Parameters.Length: 1 } candidate &&
                SymbolEqualityComparer.Default.Equals(candidate.Parameters[0].Type, type))
            {
                return true;
            }
        }

        return false;
    }
}
