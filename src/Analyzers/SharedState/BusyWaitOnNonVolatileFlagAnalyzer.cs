using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.SharedState;

/// <summary>
/// CONC306: a loop that only spins or sleeps (<c>while (!_done) { }</c>, <c>while (!_done) Thread.Sleep(10);</c>)
/// until a non-volatile field changes, where the field is written elsewhere (another member, or a lambda). Nothing
/// forces the loop to read memory again: the JIT may hoist the read, and the loop never ends in a Release build.
/// Also a captured local written by a lambda and polled outside it (the closure field is just as plain).
/// </summary>
public sealed class BusyWaitOnNonVolatileFlagAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property: present when the read can become <c>Volatile.Read(ref …)</c>.</summary>
    public const string VolatileReadFixProperty = "VolatileRead";

    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        RuleIds.BusyWaitOnNonVolatileFlag,
        "Busy-wait on a flag that is not volatile",
        "'{0}' is polled in a busy-wait loop without a memory barrier; the read may be hoisted out of the loop and never see the other thread's write; use Volatile.Read or a blocking primitive",
        DiagnosticSeverity.Warning,
        "A loop that only spins or sleeps until a plain field changes relies on the compiler and the JIT reading the field " +
        "again on every iteration. They are allowed not to: the read can be hoisted out of the loop, which then never " +
        "ends in an optimized build. Read the flag with Volatile.Read (or declare it volatile), or better, wait on a " +
        "ManualResetEventSlim, a TaskCompletionSource or a CancellationToken instead of polling.");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var types = KnownTypes.For(start.Compilation);
            if (types.Thread is null)
            {
                return;
            }

            start.RegisterSymbolStartAction(symbolStart => AnalyzeType(symbolStart, types), SymbolKind.NamedType);
        });
    }

    private static void AnalyzeType(SymbolStartAnalysisContext context, KnownTypes types)
    {
        // The keywords of a loop with a condition (do ... while included): a type without one polls nothing. The answer
        // is read once per type (CONC101 asks it too).
        if (!SourceMentions.Any((INamedTypeSymbol)context.Symbol, NameSet.ConditionLoopKeywords, types))
        {
            return; // no while, do or for loop in the type (most types): no busy wait, and its writes are not followed
        }

        var candidates = new LockedBag<(IFieldReferenceOperation Read, ISymbol Method)>();
        // The writes of a polled flag are looked for at the end, in the type's recorded bodies, and only in a type with
        // a busy loop (few): no callback for every field reference of the type.
        var bodies = ConcurrentAccessScan.TypeBodies.For(context);

        context.RegisterOperationAction(
            c =>
            {
                // The condition first: a foreach (most loops) or a condition that does work polls no flag, and the
                // body is walked only for a loop that does.
                if (c.Operation is not ILoopOperation loop || PolledCondition(loop) is not { } condition || !IsBusyLoop(loop, types))
                {
                    return;
                }

                foreach (var read in ConditionReads(condition))
                {
                    switch (read)
                    {
                        case IFieldReferenceOperation field when IsPlainFlag(field.Field):
                            candidates.Add((field, c.ContainingSymbol));
                            break;
                        case ILocalReferenceOperation local when IsWrittenByLambda(local.Local, loop):
                            c.ReportDiagnostic(Diagnostic.Create(Rule, local.Syntax.GetLocation(), local.Local.Name));
                            break;
                    }
                }
            },
            OperationKind.Loop);

        context.RegisterSymbolEndAction(c =>
        {
            if (candidates.IsEmpty)
            {
                return;
            }

            var writers = Writers(bodies, candidates);
            foreach (var (read, method) in candidates)
            {
                if (!writers.TryGetValue(read.Field.OriginalDefinition, out var writtenBy) ||
                    !writtenBy.Any(w => !SymbolEqualityComparer.Default.Equals(w, method) && !IsConstructor(w)))
                {
                    continue;
                }

                var properties = CanUseVolatileRead(read.Field.Type)
                    ? ImmutableDictionary<string, string?>.Empty.Add(VolatileReadFixProperty, "true")
                    : ImmutableDictionary<string, string?>.Empty;
                c.ReportDiagnostic(Diagnostic.Create(Rule, read.Syntax.GetLocation(), properties, read.Field.Name));
            }
        });
    }

    /// <summary>
    /// Who writes each polled flag (by its original definition): the member whose body writes it, or the field itself
    /// for a write in a lambda or local function (which counts as another thread even in the polling method).
    /// </summary>
    private static Dictionary<IFieldSymbol, List<ISymbol>> Writers(
        ConcurrentAccessScan.TypeBodies bodies, LockedBag<(IFieldReferenceOperation Read, ISymbol Method)> candidates)
    {
        var polled = new HashSet<IFieldSymbol>(SymbolEqualityComparer.Default);
        foreach (var (read, _) in candidates)
        {
            polled.Add(read.Field.OriginalDefinition);
        }

        var writers = new Dictionary<IFieldSymbol, List<ISymbol>>(SymbolEqualityComparer.Default);
        foreach (var (root, owner) in bodies.Unique())
        {
            foreach (var operation in root.EnumerateDescendantsAndSelf())
            {
                if (operation.Kind != OperationKind.FieldReference)
                {
                    continue;
                }

                var reference = (IFieldReferenceOperation)operation;
                var field = reference.Field.OriginalDefinition;
                if (!polled.Contains(field) || !IsWrite(reference) || !IsPlainFlag(reference.Field))
                {
                    continue;
                }

                var writer = reference.GetEnclosingFunction() is IAnonymousFunctionOperation or ILocalFunctionOperation
                    ? (ISymbol)reference.Field
                    : owner;
                if (!writers.TryGetValue(field, out var list))
                {
                    writers[field] = list = new List<ISymbol>();
                }

                list.Add(writer);
            }
        }

        return writers;
    }

    private static bool IsConstructor(ISymbol symbol) => symbol is IMethodSymbol { MethodKind: MethodKind.Constructor or MethodKind.StaticConstructor };

    /// <summary>A field a busy loop could wait on: mutable, not volatile, on this instance or static.</summary>
    private static bool IsPlainFlag(IFieldSymbol field)
        => !field.IsVolatile && !field.IsReadOnly && !field.IsConst &&
           (field.Type.IsReferenceType || field.Type.SpecialType != SpecialType.None || field.Type.TypeKind == TypeKind.Enum);

    /// <summary>
    /// The condition of a <c>while</c>, <c>do</c> or <c>for</c> loop that could poll a flag; null for a loop without
    /// one (<c>foreach</c>, <c>for (;;)</c>) and for a condition that calls, awaits or reads properties: it does work on
    /// every iteration, so it is not a flag poll (<c>while (await _enumerator.MoveNextAsync()) { }</c> drains, it does
    /// not spin).
    /// </summary>
    private static IOperation? PolledCondition(ILoopOperation loop)
    {
        var condition = loop.LoopKind switch
        {
            LoopKind.While => ((IWhileLoopOperation)loop).Condition,
            LoopKind.For => ((IForLoopOperation)loop).Condition,
            _ => null,
        };
        if (condition is null)
        {
            return null;
        }

        // By kind (one call each, where a type test walks the node's interfaces), with no closure.
        foreach (var operation in condition.EnumerateDescendantsAndSelf())
        {
            if (operation.Kind is OperationKind.Invocation or OperationKind.Await ||
                (operation.Kind == OperationKind.PropertyReference && !((IPropertyReferenceOperation)operation).Property.IsStatic))
            {
                return null;
            }
        }

        return condition;
    }

    /// <summary>Field and local reads in the loop condition that are plain reads (not <c>ref</c> arguments such as <c>Volatile.Read(ref x)</c>).</summary>
    private static System.Collections.Generic.IEnumerable<IOperation> ConditionReads(IOperation condition)
    {
        foreach (var operation in condition.EnumerateDescendantsAndSelf())
        {
            if (operation is IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } or ILocalReferenceOperation &&
                operation.Parent is not IArgumentOperation { Parameter.RefKind: not RefKind.None })
            {
                yield return operation;
            }
        }
    }

    /// <summary>The body does nothing but wait: empty, or only sleeps, yields and spins.</summary>
    private static bool IsBusyLoop(ILoopOperation loop, KnownTypes types)
    {
        foreach (var operation in loop.Body.EnumerateDescendantsAndSelf())
        {
            // By kind (one call, where each failed type test walks the node's interfaces); each kind is one interface.
            switch (operation.Kind)
            {
                case OperationKind.Block:
                case OperationKind.Empty:
                case OperationKind.ExpressionStatement:
                case OperationKind.Literal:
                case OperationKind.Argument:
                case OperationKind.Conversion:
                case OperationKind.FieldReference:
                case OperationKind.LocalReference:
                case OperationKind.Binary:
                case OperationKind.Branch when ((IBranchOperation)operation).BranchKind == BranchKind.Continue:
                case OperationKind.PropertyReference when ((IPropertyReferenceOperation)operation).Property.IsStatic:
                case OperationKind.Invocation when IsWaitCall((IInvocationOperation)operation, types):
                    continue;
                default:
                    return false;
            }
        }

        return true;
    }

    private static bool IsWaitCall(IInvocationOperation invocation, KnownTypes types)
    {
        var method = invocation.TargetMethod;
        var type = method.ContainingType;
        return (type.Is(types.Thread) && method.Name is "Sleep" or "Yield" or "SpinWait") ||
               (type.Is(types.SpinWait) && method.Name == "SpinOnce");
    }

    private static bool IsWrite(IFieldReferenceOperation reference) => reference.Parent switch
    {
        ISimpleAssignmentOperation assignment => assignment.Target == reference,
        ICompoundAssignmentOperation compound => compound.Target == reference,
        IIncrementOrDecrementOperation => true,
        IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out } => true,
        _ => false,
    };

    private static bool IsWrittenByLambda(ILocalSymbol local, ILoopOperation loop)
    {
        var root = (IOperation)loop;
        while (root.Parent is not null)
        {
            root = root.Parent;
        }

        foreach (var operation in root.EnumerateDescendants())
        {
            if (operation is ILocalReferenceOperation reference &&
                SymbolEqualityComparer.Default.Equals(reference.Local, local) &&
                reference.Parent is ISimpleAssignmentOperation assignment && assignment.Target == reference &&
                reference.GetEnclosingFunction() is IAnonymousFunctionOperation or ILocalFunctionOperation &&
                !loop.Syntax.Span.Contains(reference.Syntax.Span))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Types <c>Volatile.Read(ref T)</c> has an overload for (or reference types, through the generic one).</summary>
    private static bool CanUseVolatileRead(ITypeSymbol type)
        => type.IsReferenceType || type.SpecialType is SpecialType.System_Boolean or SpecialType.System_Byte or SpecialType.System_SByte
            or SpecialType.System_Int16 or SpecialType.System_UInt16 or SpecialType.System_Int32 or SpecialType.System_UInt32
            or SpecialType.System_Int64 or SpecialType.System_UInt64 or SpecialType.System_IntPtr or SpecialType.System_UIntPtr
            or SpecialType.System_Single or SpecialType.System_Double;
}
