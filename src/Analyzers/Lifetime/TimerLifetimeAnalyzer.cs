using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Lifetime;

/// <summary>
/// CONC108: a <c>System.Threading.Timer</c> that nothing keeps alive (it can be collected and stop firing); a timer
/// field of a disposable owner that never disposes or stops it; <c>PeriodicTimer.WaitForNextTickAsync()</c> without
/// the token in scope.
/// </summary>
public sealed class TimerLifetimeAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property naming the shape, for the fixer.</summary>
    public const string KindProperty = "Kind";
    public const string KindDropped = "Dropped";
    public const string KindNotDisposed = "NotDisposed";
    public const string KindNoToken = "NoToken";

    /// <summary>For <see cref="KindNoToken"/>: the C# text that reads the token in scope.</summary>
    public const string TokenProperty = "Token";

    private const string Title = "Timer dropped, never disposed, or ticking without cancellation";
    private const string Description =
        "A System.Threading.Timer that no variable, field or callback keeps reachable can be garbage-collected, and " +
        "then it silently stops firing. A timer owned by a disposable object keeps firing after the object is disposed " +
        "unless Dispose stops it. A PeriodicTimer loop that waits without the token in scope cannot be cancelled between ticks.";

    internal static readonly DiagnosticDescriptor DroppedRule = RuleDescriptors.Create(
        RuleIds.TimerLifetime,
        Title,
        "Nothing keeps this Timer reachable: it can be garbage-collected and stop firing; store it in a field and dispose it with its owner",
        DiagnosticSeverity.Warning,
        Description);

    internal static readonly DiagnosticDescriptor NotDisposedRule = RuleDescriptors.Create(
        RuleIds.TimerLifetime,
        Title,
        "Timer field '{0}' is never disposed or stopped by '{1}', which is disposable: the timer keeps firing after its owner is disposed",
        DiagnosticSeverity.Warning,
        Description);

    internal static readonly DiagnosticDescriptor NoTokenRule = RuleDescriptors.Create(
        RuleIds.TimerLifetime,
        Title,
        "WaitForNextTickAsync is called without the token '{0}' that is in scope: the wait cannot be cancelled",
        DiagnosticSeverity.Warning,
        Description);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DroppedRule, NotDisposedRule, NoTokenRule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var types = KnownTypes.For(start.Compilation);
            if (types.ThreadingTimer is null && types.TimersTimer is null && types.PeriodicTimer is null)
            {
                return;
            }

            if (types.ThreadingTimer is not null)
            {
                start.RegisterOperationAction(c => AnalyzeCreation(c, types), OperationKind.ObjectCreation);
            }

            if (types.PeriodicTimer is not null && types.CancellationToken is not null)
            {
                start.RegisterInvocationAction(c => AnalyzeWait(c, types), InvocationActions.Names("WaitForNextTickAsync"));
            }

            if (types.IDisposable is not null)
            {
                start.RegisterSymbolStartAction(s => AnalyzeOwner(s, types), SymbolKind.NamedType);
            }
        });
    }

    private static bool IsTimer(ITypeSymbol? type, KnownTypes types)
        => type is not null && (type.Is(types.ThreadingTimer) || type.Is(types.TimersTimer) || type.Is(types.PeriodicTimer));

    // ---- a System.Threading.Timer nothing keeps alive ----

    private static void AnalyzeCreation(OperationAnalysisContext context, KnownTypes types)
    {
        var creation = (IObjectCreationOperation)context.Operation;
        if (!creation.Type.Is(types.ThreadingTimer) || creation.Constructor is null || !IsUnrooted(creation))
        {
            return;
        }

        context.ReportDiagnostic(Diagnostic.Create(
            DroppedRule,
            creation.Syntax.GetLocation(),
            ImmutableDictionary<string, string?>.Empty.Add(KindProperty, KindDropped)));
    }

    private static bool IsUnrooted(IObjectCreationOperation creation)
    {
        switch (creation.WalkUpConversions())
        {
            case IExpressionStatementOperation:
            case ISimpleAssignmentOperation { Target: IDiscardOperation }:
                return true;
            case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } initializer:
                return !IsInUsing(initializer) && IsLocalUnrooted(declarator.Symbol, creation);
            case ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment when assignment.Value.WalkDownConversions() == creation:
                return IsLocalUnrooted(target.Local, creation);
            default:
                return false;
        }
    }

    private static bool IsInUsing(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case IUsingOperation or IUsingDeclarationOperation:
                    return true;
                case IVariableDeclaratorOperation or IVariableDeclarationOperation or IVariableDeclarationGroupOperation:
                    continue;
                default:
                    return false;
            }
        }

        return false;
    }

    /// <summary>
    /// A local that is only ever configured in its own function (<c>timer.Change(...)</c>): no read hands it on, no
    /// callback captures it, nothing disposes it, so once the function moves on nothing refers to the timer.
    /// </summary>
    private static bool IsLocalUnrooted(ILocalSymbol local, IOperation creation)
    {
        var function = creation.GetEnclosingFunction();
        if (function is null || local.IsRef)
        {
            return false;
        }

        var root = function;
        while (root.Parent is not null)
        {
            root = root.Parent;
        }

        foreach (var descendant in root.EnumerateDescendants())
        {
            if (descendant is not ILocalReferenceOperation reference || !SymbolEqualityComparer.Default.Equals(reference.Local, local))
            {
                continue;
            }

            if (reference.Parent is ISimpleAssignmentOperation assignment && assignment.Target == reference)
            {
                continue;
            }

            if (reference.GetEnclosingFunction() != function ||
                reference.Parent is not IInvocationOperation { TargetMethod.Name: "Change" } change ||
                change.Instance != reference)
            {
                return false;
            }
        }

        return true;
    }

    // ---- PeriodicTimer.WaitForNextTickAsync() without the token in scope ----

    private static void AnalyzeWait(OperationAnalysisContext context, KnownTypes types)
    {
        var invocation = (IInvocationOperation)context.Operation;
        if (invocation.TargetMethod.Name != "WaitForNextTickAsync" || !invocation.TargetMethod.ContainingType.Is(types.PeriodicTimer))
        {
            return;
        }

        IArgumentOperation? tokenArgument = null;
        foreach (var argument in invocation.Arguments)
        {
            if (CancellationTokens.IsToken(argument.Parameter?.Type, types))
            {
                tokenArgument = argument;
            }
        }

        if (tokenArgument is not null && tokenArgument.ArgumentKind != ArgumentKind.DefaultValue &&
            !CancellationTokens.IsNoneOrDefault(tokenArgument.Value, types))
        {
            return;
        }

        if (CancellationTokens.FindInnermostToken(invocation, context.ContainingSymbol, types) is not { } token)
        {
            return;
        }

        context.ReportDiagnostic(Diagnostic.Create(
            NoTokenRule,
            invocation.Syntax.GetLocation(),
            ImmutableDictionary<string, string?>.Empty.Add(KindProperty, KindNoToken).Add(TokenProperty, token.ExpressionText),
            token.ExpressionText));
    }

    // ---- timer fields of a disposable owner ----

    private static void AnalyzeOwner(SymbolStartAnalysisContext context, KnownTypes types)
    {
        // The timer fields first: most types have none, and the interface test walks all of a type's interfaces.
        var type = (INamedTypeSymbol)context.Symbol;
        HashSet<IFieldSymbol>? candidates = null;
        foreach (var member in type.GetMembers())
        {
            if (member is IFieldSymbol { IsStatic: false, IsImplicitlyDeclared: false, DeclaredAccessibility: Accessibility.Private } field &&
                IsTimer(field.Type, types))
            {
                (candidates ??= new HashSet<IFieldSymbol>(SymbolEqualityComparer.Default)).Add(field);
            }
        }

        if (candidates is null ||
            !(type.Implements(types.IDisposable) || type.Implements(types.IAsyncDisposable)) ||
            type.GetTypeMembers().Length > 0)
        {
            return;
        }

        var handled = new LockedMap<IFieldSymbol, bool>(SymbolEqualityComparer.Default);
        var creations = new LockedMap<IFieldSymbol, LockedBag<Location>>(SymbolEqualityComparer.Default);

        context.RegisterOperationAction(
            c =>
            {
                var initializer = (IFieldInitializerOperation)c.Operation;
                foreach (var field in initializer.InitializedFields)
                {
                    if (candidates.Contains(field) && initializer.Value.WalkDownConversions() is IObjectCreationOperation creation && IsTimer(creation.Type, types))
                    {
                        creations.GetOrAdd(field, _ => new LockedBag<Location>()).Add(creation.Syntax.GetLocation());
                    }
                }
            },
            OperationKind.FieldInitializer);

        context.RegisterOperationAction(
            c =>
            {
                var reference = (IFieldReferenceOperation)c.Operation;
                if (!candidates.Contains(reference.Field))
                {
                    return;
                }

                switch (ClassifyFieldUse(reference, types, out var creation))
                {
                    case FieldUse.Created:
                        creations.GetOrAdd(reference.Field, _ => new LockedBag<Location>()).Add(creation!.Syntax.GetLocation());
                        break;
                    case FieldUse.Settled:
                        handled.TryAdd(reference.Field, true);
                        break;
                }
            },
            OperationKind.FieldReference);

        context.RegisterSymbolEndAction(c =>
        {
            foreach (var field in candidates)
            {
                if (handled.ContainsKey(field) || !creations.TryGetValue(field, out var locations) || locations.IsEmpty)
                {
                    continue;
                }

                var first = locations
                    .OrderBy(l => l.SourceTree?.FilePath, System.StringComparer.Ordinal)
                    .ThenBy(l => l.SourceSpan.Start)
                    .First();
                c.ReportDiagnostic(Diagnostic.Create(
                    NotDisposedRule,
                    first,
                    ImmutableDictionary<string, string?>.Empty.Add(KindProperty, KindNotDisposed),
                    field.Name,
                    type.Name));
            }
        });
    }

    private enum FieldUse
    {
        /// <summary>A use that neither creates nor ends the timer (<c>Change</c>, <c>Start</c>, <c>Elapsed +=</c>).</summary>
        Neutral,

        /// <summary><c>_timer = new Timer(...)</c>.</summary>
        Created,

        /// <summary>Disposed, stopped, or handed to other code that may do so.</summary>
        Settled,
    }

    private static FieldUse ClassifyFieldUse(IFieldReferenceOperation reference, KnownTypes types, out IObjectCreationOperation? creation)
    {
        creation = null;
        var parent = reference.Parent;
        switch (parent)
        {
            case ISimpleAssignmentOperation assignment when assignment.Target == reference:
                if (assignment.Value.WalkDownConversions() is IObjectCreationOperation created && IsTimer(created.Type, types))
                {
                    creation = created;
                    return FieldUse.Created;
                }

                return FieldUse.Neutral;
            case IConditionalAccessOperation conditional when conditional.Operation == reference:
                return ClassifyMemberUse(conditional.WhenNotNull);
            case IInvocationOperation or IPropertyReferenceOperation or IEventReferenceOperation when MemberInstance(parent) == reference:
                return ClassifyMemberUse(parent);
            default:
                return FieldUse.Settled;
        }
    }

    private static IOperation? MemberInstance(IOperation member) => member switch
    {
        IInvocationOperation invocation => invocation.Instance,
        IMemberReferenceOperation memberReference => memberReference.Instance,
        _ => null,
    };

    private static FieldUse ClassifyMemberUse(IOperation use)
    {
        switch (use)
        {
            case IInvocationOperation invocation:
                switch (invocation.TargetMethod.Name)
                {
                    case "Dispose" or "DisposeAsync" or "Close" or "Stop":
                        return FieldUse.Settled;
                    case "Change":
                        return invocation.Arguments.Length > 0 && IsInfinite(invocation.Arguments[0].Value) ? FieldUse.Settled : FieldUse.Neutral;
                    default:
                        return FieldUse.Neutral;
                }

            case IPropertyReferenceOperation { Property.Name: "Enabled" } property:
                return property.Parent is ISimpleAssignmentOperation { Value.ConstantValue: { HasValue: true, Value: false } } ? FieldUse.Settled : FieldUse.Neutral;
            default:
                return FieldUse.Neutral;
        }
    }

    /// <summary><c>Timeout.Infinite</c> (-1), <c>Timeout.InfiniteTimeSpan</c>, or any non-constant due time (trusted).</summary>
    private static bool IsInfinite(IOperation value)
    {
        value = value.WalkDownConversions();
        if (value.ConstantValue.HasValue)
        {
            return value.ConstantValue.Value is int i ? i == -1 : value.ConstantValue.Value is long l ? l == -1 : value.ConstantValue.Value is uint u && u == uint.MaxValue;
        }

        return value is IFieldReferenceOperation { Field.Name: "InfiniteTimeSpan" } or not (IObjectCreationOperation or IInvocationOperation or IFieldReferenceOperation or IPropertyReferenceOperation);
    }
}
