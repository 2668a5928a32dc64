using System.Collections.Immutable;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Primitives;

/// <summary>
/// CONC503: <c>Monitor.Enter/TryEnter/Exit/Wait/Pulse/PulseAll</c> on a value type or an unconstrained generic
/// <c>T</c>, and <c>lock ((object)value)</c>: each call boxes a new object, so nothing is locked.
/// <c>lock (value)</c> itself is CS0185 and is left to the compiler.
/// </summary>
public sealed class LockOnBoxedValueAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property: <c>Instance</c> or <c>Static</c> when a gate field can be introduced.</summary>
    public const string GateProperty = "Gate";
    public const string GateInstance = "Instance";
    public const string GateStatic = "Static";

    private const string Title = "Lock taken on a boxed value type";
    private const string Description =
        "Monitor methods take an object, so a value-type argument is boxed into a new object on every call: two threads " +
        "never lock the same object, Exit on a new box throws SynchronizationLockException, and Pulse wakes nobody. " +
        "Lock on a private readonly object instead.";

    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        RuleIds.LockOnBoxedValue,
        Title,
        "'{0}' is given '{1}', a boxed '{2}': every call boxes a new object, so nothing is locked; lock on a private readonly object",
        DiagnosticSeverity.Warning,
        Description);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var types = KnownTypes.For(start.Compilation);
            start.RegisterOperationAction(AnalyzeLock, OperationKind.Lock);
            if (types.Monitor is not null)
            {
                start.RegisterInvocationAction(c => AnalyzeMonitorCall(c, types), MonitorLockMethods);
            }
        });
    }

    private static void AnalyzeMonitorCall(OperationAnalysisContext context, KnownTypes types)
    {
        // Monitor is a static class: a call on an instance (`semaphore.Wait()`, `task.Wait()`) is another type's,
        // and is left before its method's containing type is read.
        var invocation = (IInvocationOperation)context.Operation;
        if (invocation.Instance is not null ||
            !invocation.TargetMethod.ContainingType.Is(types.Monitor) || !IsMonitorLockMethod(invocation.TargetMethod.Name))
        {
            return;
        }

        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter is { Ordinal: 0, RefKind: RefKind.None, Type.SpecialType: SpecialType.System_Object } &&
                BoxedOperand(argument.Value) is { } boxed)
            {
                Report(context, argument.Value, boxed, "Monitor." + invocation.TargetMethod.Name);
            }
        }
    }

    private static void AnalyzeLock(OperationAnalysisContext context)
    {
        var lockOperation = (ILockOperation)context.Operation;

        // lock (valueType) is CS0185: only the explicit box (`lock ((object)x)`) compiles.
        if (lockOperation.LockedValue.Type?.IsReferenceType == true && BoxedOperand(lockOperation.LockedValue) is { } boxed)
        {
            Report(context, lockOperation.LockedValue, boxed, "lock");
        }
    }

    /// <summary>The value-type (or not-reference-constrained generic) operand boxed by <paramref name="value"/>.</summary>
    private static IOperation? BoxedOperand(IOperation value)
    {
        var current = value;
        while (current is IParenthesizedOperation parenthesized)
        {
            current = parenthesized.Operand;
        }

        while (current is IConversionOperation { Type.IsReferenceType: true } conversion)
        {
            var operand = conversion.Operand;
            while (operand is IParenthesizedOperation inner)
            {
                operand = inner.Operand;
            }

            if (operand.Type is { } type && type.TypeKind != TypeKind.Error && !type.IsReferenceType &&
                (type.IsValueType || type.TypeKind == TypeKind.TypeParameter))
            {
                return operand;
            }

            current = operand;
        }

        return null;
    }

    private static readonly System.Collections.Immutable.ImmutableHashSet<string> MonitorLockMethods =
        InvocationActions.Names("Enter", "TryEnter", "Exit", "Wait", "Pulse", "PulseAll");

    private static bool IsMonitorLockMethod(string name) => MonitorLockMethods.Contains(name);

    private static void Report(OperationAnalysisContext context, IOperation target, IOperation boxed, string call)
    {
        var properties = ImmutableDictionary<string, string?>.Empty;
        if (context.ContainingSymbol.ContainingType is { TypeKind: TypeKind.Class, IsImplicitlyDeclared: false, IsScriptClass: false } &&
            !context.ContainingSymbol.ContainingType.IsImplicitClass)
        {
            properties = properties.Add(GateProperty, context.ContainingSymbol.IsStatic ? GateStatic : GateInstance);
        }

        context.ReportDiagnostic(Diagnostic.Create(
            Rule,
            target.Syntax.GetLocation(),
            properties,
            call,
            boxed.Syntax.ToString(),
            boxed.Type!.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)));
    }
}
