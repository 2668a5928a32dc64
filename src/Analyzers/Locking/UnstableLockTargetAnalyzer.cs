using System.Collections.Concurrent;
using System.Collections.Immutable;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Locking;

/// <summary>
/// CONC209: <c>lock</c> / <c>Monitor.Enter/TryEnter</c> on <c>this</c>, <c>typeof(...)</c> or <c>GetType()</c>, a string, a public or
/// protected field, a non-readonly field reassigned outside the constructor, or an object created at the lock site.
/// Value-type and unconstrained generic targets are CONC503's.
/// </summary>
public sealed class UnstableLockTargetAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property: present when the private-gate fix applies; <c>Static</c> or <c>Instance</c>.</summary>
    public const string GateProperty = "Gate";
    public const string GateStatic = "Static";
    public const string GateInstance = "Instance";

    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        RuleIds.UnstableLockTarget,
        "Lock on a publicly reachable or unstable object",
        "Lock taken on {0}: {1}; lock on a private readonly object instead",
        DiagnosticSeverity.Warning,
        "A lock only excludes code that locks the same object, and only that code. Locking on this, a Type, a string or a " +
        "public field lets unrelated code take the same lock (deadlocks you cannot see from the type); locking on a field " +
        "that is reassigned, or on an object created at the lock site, lets threads lock different objects, so nothing is " +
        "excluded. Lock on a private readonly field that holds a dedicated object.");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var types = KnownTypes.For(start.Compilation);
            if (types.Monitor is null)
            {
                return;
            }

            start.RegisterSymbolStartAction(s => AnalyzeType(s, types), SymbolKind.NamedType);
        });
    }

    private static readonly ImmutableHashSet<string> EnterMethods = InvocationActions.Names("Enter", "TryEnter");

    private static void AnalyzeType(SymbolStartAnalysisContext context, KnownTypes types)
    {
        if (!SourceMentions.Any((INamedTypeSymbol)context.Symbol, LockScan.LockNames, types))
        {
            return; // no lock statement and no Monitor call in the type: no lock target
        }

        var candidates = new LockedBag<(IFieldSymbol Field, Location Location, ISymbol Method)>();
        var reassigned = new LockedMap<(IFieldSymbol, ISymbol), bool>();

        void AnalyzeTarget(OperationAnalysisContext c)
        {
            var target = c.Operation switch
            {
                ILockOperation lockOperation => lockOperation.LockedValue,
                IInvocationOperation invocation when LockApis.TryGetLockCall(invocation, types, out var call) &&
                                                     call.Kind == LockKind.Monitor && call.IsAcquire => call.LockExpression,
                _ => null,
            };
            if (target is not null)
            {
                Classify(c, target, candidates);
            }
        }

        context.RegisterOperationAction(AnalyzeTarget, OperationKind.Lock);
        context.RegisterInvocationAction(AnalyzeTarget, EnterMethods);

        context.RegisterOperationAction(
            c =>
            {
                var target = c.Operation switch
                {
                    ISimpleAssignmentOperation simple => simple.Target,
                    ICoalesceAssignmentOperation coalesce => coalesce.Target,
                    _ => null,
                };
                if (target is IFieldReferenceOperation fieldReference &&
                    !IsConstructorOf(c.ContainingSymbol, fieldReference.Field))
                {
                    reassigned.TryAdd((fieldReference.Field.OriginalDefinition, c.ContainingSymbol), true);
                }
            },
            OperationKind.SimpleAssignment,
            OperationKind.CoalesceAssignment);

        context.RegisterSymbolEndAction(c =>
        {
            // Reported when a method that locks on the field also reassigns it (the lock object changes while in use);
            // a one-time initialization method that never locks is not enough.
            foreach (var (field, location, method) in candidates)
            {
                if (reassigned.ContainsKey((field, method)))
                {
                    c.ReportDiagnostic(Diagnostic.Create(Rule, location, "'" + field.Name + "'", "it is reassigned outside the constructor, so threads can lock different objects"));
                }
            }
        });
    }

    private static void Classify(OperationAnalysisContext context, IOperation target, LockedBag<(IFieldSymbol, Location, ISymbol)> candidates)
    {
        var value = target;
        while (value is IConversionOperation conversion)
        {
            value = conversion.Operand;
        }

        // A value type or an unconstrained type parameter boxes: CONC503 reports that.
        if (value.Type is null || value.Type.IsValueType || value.Type is ITypeParameterSymbol { HasReferenceTypeConstraint: false } ||
            value.Type.TypeKind == TypeKind.Error)
        {
            return;
        }

        var location = value.Syntax.GetLocation();
        var isStatic = context.ContainingSymbol.IsStatic;
        switch (value)
        {
            case IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } when IsLockImplementation(value.Type) || IsPrivateType(value.Type):
                return;
            case IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance }:
                Report("'this'", "any code holding a reference to this object can lock on it too", GateInstance);
                return;
            case ITypeOfOperation typeOf:
                Report("'" + value.Syntax + "'", "the Type object is shared by all code in the process", SymbolEqualityComparer.Default.Equals(typeOf.TypeOperand, context.ContainingSymbol.ContainingType) ? GateStatic : null);
                return;
            case IInvocationOperation { TargetMethod: { Name: "GetType", Parameters.Length: 0, ContainingType.SpecialType: SpecialType.System_Object } }:
                // `lock (GetType())` is `lock (typeof(...))` with the type known only at run time: the same shared object.
                Report("'" + value.Syntax + "'", "the Type object is shared by all code in the process", null);
                return;
            case IObjectCreationOperation:
                Report("an object created at the lock site", "every caller locks its own object, so nothing is excluded", isStatic ? GateStatic : GateInstance);
                return;
            case ILiteralOperation when value.Type.SpecialType == SpecialType.System_String:
                Report("a string", "equal strings are interned and shared with unrelated code", GateStatic);
                return;
        }

        if (value.Type.SpecialType == SpecialType.System_String)
        {
            Report("a string", "equal strings are interned and shared with unrelated code", null);
            return;
        }

        if (value is IFieldReferenceOperation { Field: var field })
        {
            if (field.DeclaredAccessibility is Accessibility.Public or Accessibility.Protected or Accessibility.ProtectedOrInternal &&
                field.ContainingType.DeclaredAccessibility == Accessibility.Public)
            {
                Report("'" + field.Name + "'", "the field is " + (field.DeclaredAccessibility == Accessibility.Public ? "public" : "protected") + ", so code outside the type can lock on it or replace it", null);
                return;
            }

            if (!field.IsReadOnly && !field.IsConst && SymbolEqualityComparer.Default.Equals(field.ContainingType.OriginalDefinition, context.ContainingSymbol.ContainingType?.OriginalDefinition))
            {
                candidates.Add((field.OriginalDefinition, location, context.ContainingSymbol));
            }

            return;
        }

        if (value is ILocalReferenceOperation local && IsPerCallLocal(local))
        {
            Report("'" + local.Local.Name + "'", "it is a new object created in this method, so every caller locks its own object and nothing is excluded", null);
        }

        void Report(string what, string why, string? gate)
        {
            var properties = gate is null ? ImmutableDictionary<string, string?>.Empty : ImmutableDictionary<string, string?>.Empty.Add(GateProperty, gate);
            context.ReportDiagnostic(Diagnostic.Create(Rule, location, properties, what, why));
        }
    }

    /// <summary>A local initialized with <c>new</c> in the same function, used only as a lock target there (not captured, not passed on).</summary>
    private static bool IsPerCallLocal(ILocalReferenceOperation reference)
    {
        var function = reference.GetEnclosingFunction();
        if (function is null)
        {
            return false;
        }

        var initializedWithNew = false;
        foreach (var descendant in function.EnumerateDescendants())
        {
            switch (descendant)
            {
                case IVariableDeclaratorOperation declarator when SymbolEqualityComparer.Default.Equals(declarator.Symbol, reference.Local):
                    initializedWithNew = declarator.GetVariableInitializer()?.Value.WalkDownConversions() is IObjectCreationOperation &&
                                         ReferenceEquals(declarator.GetEnclosingFunction(), function);
                    break;
                case ILocalReferenceOperation other when SymbolEqualityComparer.Default.Equals(other.Local, reference.Local):
                    if (!ReferenceEquals(other.GetEnclosingFunction(), function) || !IsLockTarget(other))
                    {
                        return false;
                    }

                    break;
            }
        }

        return initializedWithNew;
    }

    private static bool IsLockTarget(IOperation operation)
    {
        var parent = operation.WalkUpConversions();
        return parent is ILockOperation ||
               parent is IArgumentOperation { Parent: IInvocationOperation { TargetMethod.ContainingType.Name: "Monitor" } };
    }

    /// <summary>
    /// A private nested type (or one nested in a private type): only its enclosing type can hold a reference to it,
    /// so <c>lock (this)</c> there is not publicly reachable.
    /// </summary>
    private static bool IsPrivateType(ITypeSymbol type)
    {
        for (ISymbol? current = type; current is INamedTypeSymbol named; current = named.ContainingType)
        {
            if (named.DeclaredAccessibility == Accessibility.Private)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A type that is itself a lock (declares Enter and Exit, like a System.Threading.Lock polyfill): locking on this is its job.</summary>
    private static bool IsLockImplementation(ITypeSymbol type)
        => !type.GetMembers("Enter").IsEmpty && !type.GetMembers("Exit").IsEmpty;

    private static bool IsConstructorOf(ISymbol containing, IFieldSymbol field)
        => containing is IMethodSymbol { MethodKind: MethodKind.Constructor or MethodKind.StaticConstructor } constructor &&
           constructor.IsStatic == field.IsStatic &&
           SymbolEqualityComparer.Default.Equals(constructor.ContainingType.OriginalDefinition, field.ContainingType.OriginalDefinition);
}
