using System.Collections.Immutable;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Primitives;

/// <summary>
/// CONC502: a non-copyable value (<c>SpinLock</c>, <c>SpinWait</c>, a <c>[NonCopyable]</c> struct, or a struct
/// holding one) copied: passed by value or <c>in</c>, assigned from another location, returned, boxed, copied by
/// <c>with</c>, read through an indexer or property, iterated by <c>foreach</c>, or called through a readonly
/// reference; and <c>Interlocked</c>/<c>Volatile</c> applied to a field of a struct copy.
/// </summary>
public sealed partial class NonCopyableCopiedAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property naming the shape, for the fixer.</summary>
    public const string KindProperty = "Kind";
    public const string KindArgument = "Argument";
    public const string KindOther = "Other";

    private const string Title = "SpinLock or struct holding synchronization state is copied";
    private const string Description =
        "Copying a SpinLock, SpinWait or a struct that holds one gives the copy its own lock state: entering the copy " +
        "excludes nobody, exiting it releases nothing, and updates made through the copy are lost. Pass such values by " +
        "ref, keep them in non-readonly fields or array elements, and use them in place.";

    internal static readonly DiagnosticDescriptor CopyRule = RuleDescriptors.Create(
        RuleIds.NonCopyableCopied,
        Title,
        "'{0}' of type '{1}' is {2}: '{1}' holds synchronization state, and the copy has its own, so it synchronizes nothing",
        DiagnosticSeverity.Warning,
        Description);

    internal static readonly DiagnosticDescriptor AtomicOnCopyRule = RuleDescriptors.Create(
        RuleIds.NonCopyableCopied,
        Title,
        "'{0}.{1}' works on '{2}', a field of a copy of '{3}': the shared value never changes",
        DiagnosticSeverity.Warning,
        Description);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(CopyRule, AtomicOnCopyRule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var types = KnownTypes.For(start.Compilation);
            var nonCopyable = NonCopyableTypes.For(types, start.Options);
            start.RegisterOperationAction(
                c => AnalyzeLocation(c, types, nonCopyable),
                OperationKind.LocalReference,
                OperationKind.ParameterReference,
                OperationKind.FieldReference,
                OperationKind.ArrayElementReference,
                OperationKind.Invocation,
                OperationKind.PropertyReference);

            // An explicit `this` is of the type whose member it is written in, and only a struct's `this` can be
            // copied: it is watched in the structs that hold synchronization state, not at every implicit receiver
            // of every class (most instance references, which the driver would otherwise call this rule for).
            start.RegisterSymbolStartAction(s => WatchOwnInstance(s, types, nonCopyable), SymbolKind.NamedType);
            start.RegisterOperationAction(c => AnalyzeForEach(c, nonCopyable), OperationKind.Loop);
            if (types.Interlocked is not null || types.Volatile is not null)
            {
                start.RegisterInvocationAction(c => AnalyzeAtomicOnCopy(c, types), AtomicMethods);
            }
        });
    }

    private static void WatchOwnInstance(SymbolStartAnalysisContext start, KnownTypes types, NonCopyableTypes nonCopyable)
    {
        if (start.Symbol is not INamedTypeSymbol { TypeKind: TypeKind.Struct } type || nonCopyable.Classify(type) == CopyFacts.None)
        {
            return;
        }

        start.RegisterOperationAction(
            c =>
            {
                // The driver may also run a type's actions in the types nested in it, which watch their own `this`.
                if (SymbolEqualityComparer.Default.Equals(c.Operation.Type, type))
                {
                    AnalyzeLocation(c, types, nonCopyable);
                }
            },
            OperationKind.InstanceReference);
    }

    private static void AnalyzeLocation(OperationAnalysisContext context, KnownTypes types, NonCopyableTypes nonCopyable)
    {
        var operation = context.Operation;
        if (operation.IsImplicit)
        {
            return;
        }

        // Most operations are of a class or primitive type (void calls included), and most calls of another struct
        // type return a fresh value (ConfigureAwait, a source method): none copies a stored value, so the type's facts
        // are not looked up. The kind first: only a named type is a struct, so the type test is one call, not a cast.
        var type = operation.Type;
        if (type is null || type.TypeKind != TypeKind.Struct || NonCopyableTypes.IsPrimitive((INamedTypeSymbol)type) ||
            (operation.Kind == OperationKind.Invocation && !MayHandOutStoredValue(((IInvocationOperation)operation).TargetMethod)))
        {
            return;
        }

        var facts = nonCopyable.ClassifyStruct((INamedTypeSymbol)type);
        if ((facts & CopyFacts.NonCopyable) == 0)
        {
            // A struct that updates its own fields atomically may be copied as a snapshot; only a mutating call on a
            // copy loses an update.
            if ((facts & CopyFacts.HoldsSynchronizationState) != 0)
            {
                AnalyzeMutationThroughCopy(context, operation);
            }

            return;
        }

        ValueCopyKind kind;
        if (operation is IPropertyReferenceOperation { Property.ReturnsByRef: false, Property.ReturnsByRefReadonly: false } property)
        {
            kind = IsCopyingPropertyRead(property) ? ValueCopyKind.ReadThroughProperty : ValueCopyKind.None;
        }
        else if (operation is IInvocationOperation { TargetMethod: { ReturnsByRef: false, ReturnsByRefReadonly: false } method } &&
                 method.DeclaringSyntaxReferences.IsEmpty &&
                 method.OriginalDefinition.ReturnType.TypeKind == TypeKind.TypeParameter)
        {
            // A generic container's method outside the source (GetOrAdd, First, ElementAt) hands out a copy of the
            // stored element.
            kind = ValueCopyKind.ReadThroughCall;
        }
        else if (ValueCopies.IsStorageLocation(operation))
        {
            kind = ValueCopies.Classify(operation, context.ContainingSymbol);
            if (kind == ValueCopyKind.Boxed && ValueCopies.IsLockTargetConversion(operation.Parent!, types))
            {
                return; // CONC503 reports a boxed lock target.
            }

            if (kind == ValueCopyKind.None && IsDefensiveCopyReceiver(operation, context.ContainingSymbol))
            {
                kind = ValueCopyKind.DefensiveCopy;
            }
        }
        else
        {
            return;
        }

        if (kind == ValueCopyKind.None)
        {
            return;
        }

        var properties = ImmutableDictionary<string, string?>.Empty.Add(
            KindProperty,
            kind is ValueCopyKind.PassedByValue or ValueCopyKind.PassedAsIn ? KindArgument : KindOther);
        context.ReportDiagnostic(Diagnostic.Create(
            CopyRule,
            operation.Syntax.GetLocation(),
            properties,
            Shorten(operation.Syntax.ToString()),
            operation.Type!.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat),
            Describe(kind)));
    }

    /// <summary>
    /// A call reported on at all: one returning a reference (a storage location), or one that may return a stored
    /// element (its declared return type is a type parameter). Any other call's value is its own.
    /// </summary>
    private static bool MayHandOutStoredValue(IMethodSymbol method)
        => method.ReturnsByRef ||
           (!method.ReturnsByRefReadonly && method.OriginalDefinition.ReturnType.TypeKind == TypeKind.TypeParameter);

    private static void AnalyzeMutationThroughCopy(OperationAnalysisContext context, IOperation operation)
    {
        var copied = operation is IPropertyReferenceOperation { Property.ReturnsByRef: false, Property.ReturnsByRefReadonly: false } property
            ? IsCopyingPropertyRead(property) && IsMutatingCallReceiver(property)
            : ValueCopies.IsStorageLocation(operation) && IsMutatingCallReceiver(operation) &&
              (IsDefensiveCopyReceiver(operation, context.ContainingSymbol) || IsForEachVariable(operation));
        if (!copied)
        {
            return;
        }

        context.ReportDiagnostic(Diagnostic.Create(
            CopyRule,
            operation.Syntax.GetLocation(),
            ImmutableDictionary<string, string?>.Empty.Add(KindProperty, KindOther),
            Shorten(operation.Syntax.ToString()),
            operation.Type!.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat),
            operation is IPropertyReferenceOperation ? Describe(ValueCopyKind.ReadThroughProperty) : Describe(ValueCopyKind.DefensiveCopy)));
    }

    private static bool IsForEachVariable(IOperation operation)
        => operation is ILocalReferenceOperation { Local: { IsRef: false } local } &&
           local.DeclaringSyntaxReferences.Length == 1 &&
           local.DeclaringSyntaxReferences[0].GetSyntax() is ForEachStatementSyntax;

    private static bool IsMutatingCallReceiver(IOperation operation)
        => operation.Parent is IInvocationOperation invocation &&
           ReferenceEquals(invocation.Instance, operation) &&
           !invocation.TargetMethod.IsReadOnly &&
           !invocation.TargetMethod.IsStatic;

    /// <summary>
    /// A property or indexer declared outside the source (<c>List&lt;T&gt;[i]</c>, <c>Dictionary</c>) returns a copy.
    /// Source properties are reported where they copy: auto-properties by CONC501, others at their <c>return</c>.
    /// </summary>
    private static bool IsCopyingPropertyRead(IPropertyReferenceOperation property)
    {
        if (!property.Property.DeclaringSyntaxReferences.IsEmpty)
        {
            return false;
        }

        var parent = property.Parent;
        return !(parent is ISimpleAssignmentOperation assignment && ReferenceEquals(assignment.Target, property)) &&
               parent is not INameOfOperation;
    }

    /// <summary>
    /// The receiver of a non-readonly member call is a readonly reference (an <c>in</c> parameter, a <c>ref readonly</c>
    /// local or return, a readonly field from metadata): the call runs on a copy. A readonly field declared in source is
    /// CONC501's; <c>this</c> in a <c>readonly</c> member is the compiler's CS8656.
    /// </summary>
    private static bool IsDefensiveCopyReceiver(IOperation operation, ISymbol? containingSymbol)
    {
        if (operation.Type is INamedTypeSymbol { IsReadOnly: true })
        {
            return false;
        }

        var parent = operation.Parent;
        var mutatingMember = parent switch
        {
            IInvocationOperation invocation when ReferenceEquals(invocation.Instance, operation)
                => !invocation.TargetMethod.IsReadOnly && !invocation.TargetMethod.IsStatic,
            IPropertyReferenceOperation property when ReferenceEquals(property.Instance, operation)
                => property.Property.GetMethod is { IsReadOnly: false },
            _ => false,
        };

        return mutatingMember && IsReadonlyReference(operation, containingSymbol);
    }

    private static bool IsReadonlyReference(IOperation operation, ISymbol? containingSymbol)
    {
        switch (operation)
        {
            case IFieldReferenceOperation field:
                if (field.Field.IsReadOnly && !IsInOwnConstructor(field, containingSymbol))
                {
                    // Source fields are reported once, at their declaration, by CONC501.
                    return field.Field.DeclaringSyntaxReferences.IsEmpty;
                }

                return field.Instance is { Type.IsValueType: true } instance && IsReadonlyReference(instance, containingSymbol);
            case IParameterReferenceOperation parameter:
                return parameter.Parameter.RefKind is RefKind.In or (RefKind)4; // RefKind.RefReadOnlyParameter (C# 12)
            case ILocalReferenceOperation local:
                return local.Local.RefKind == RefKind.RefReadOnly;
            case IInvocationOperation invocation:
                return invocation.TargetMethod.ReturnsByRefReadonly;
            default:
                return false;
        }
    }

    private static bool IsInOwnConstructor(IFieldReferenceOperation field, ISymbol? containingSymbol)
        => containingSymbol is IMethodSymbol { MethodKind: MethodKind.Constructor or MethodKind.StaticConstructor } constructor &&
           SymbolEqualityComparer.Default.Equals(constructor.ContainingType, field.Field.ContainingType) &&
           (field.Field.IsStatic || field.Instance is IInstanceReferenceOperation);

    private static void AnalyzeForEach(OperationAnalysisContext context, NonCopyableTypes nonCopyable)
    {
        if (context.Operation is not IForEachLoopOperation { LoopControlVariable: IVariableDeclaratorOperation declarator } ||
            declarator.Symbol.IsRef ||
            !nonCopyable.IsNonCopyable(declarator.Symbol.Type) ||
            context.Operation.Syntax is not ForEachStatementSyntax syntax)
        {
            return;
        }

        context.ReportDiagnostic(Diagnostic.Create(
            CopyRule,
            syntax.Identifier.GetLocation(),
            ImmutableDictionary<string, string?>.Empty.Add(KindProperty, KindOther),
            declarator.Symbol.Name,
            declarator.Symbol.Type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat),
            Describe(ValueCopyKind.ForEachVariable)));
    }

    private static string Describe(ValueCopyKind kind) => kind switch
    {
        ValueCopyKind.PassedByValue => "passed by value",
        ValueCopyKind.PassedAsIn => "passed as 'in' (its non-readonly members run on a defensive copy)",
        ValueCopyKind.Assigned => "copied by assignment",
        ValueCopyKind.CopiedIntoLocal => "copied into a local",
        ValueCopyKind.Returned => "returned by value",
        ValueCopyKind.Boxed => "boxed",
        ValueCopyKind.CopiedByWith => "copied by 'with'",
        ValueCopyKind.CopiedIntoCollection => "copied into a new array or tuple",
        ValueCopyKind.ReadThroughProperty => "read through a property or indexer, which returns a copy",
        ValueCopyKind.ReadThroughCall => "returned by value from a generic method, a copy of the stored value",
        ValueCopyKind.ReceivedThroughOut => "received through 'out' as a copy of the stored value",
        ValueCopyKind.ForEachVariable => "a foreach iteration variable, a copy of each element",
        ValueCopyKind.DefensiveCopy => "reached through a readonly reference, so this call runs on a defensive copy",
        _ => "copied",
    };

    private static string Shorten(string text)
        => text.Length <= 60 ? text : text.Substring(0, 57) + "...";
}
