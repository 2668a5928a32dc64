using System.Collections.Immutable;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.SharedState;

/// <summary>
/// CONC307's cached-failure shape: a <c>Lazy&lt;Task&lt;T&gt;&gt;</c> (or <c>Lazy&lt;ValueTask&lt;T&gt;&gt;</c>) kept in a
/// <c>readonly</c> field or get-only property whose factory does asynchronous work that can fail. The factory returns
/// a task successfully even when the work later fails, so the Lazy caches the faulted or cancelled task, in every
/// thread-safety mode, and the field can never be replaced: one transient failure breaks every later caller.
/// </summary>
public sealed partial class RacyLazyInitializationAnalyzer
{
    private static void AnalyzeLazyTask(OperationAnalysisContext context, KnownTypes types, INamedTypeSymbol lazy)
    {
        var creation = (IObjectCreationOperation)context.Operation;
        // The name and arity first: TypeArguments builds an array on every read.
        if (creation.Type is not INamedTypeSymbol { Arity: 1, Name: "Lazy" } type || !type.OriginalDefinition.Is(lazy) ||
            type.TypeArguments.Length != 1 ||
            !IsTaskLike(type.TypeArguments[0], types) ||
            Factory(creation) is not { } factory || !CanFail(factory, types) ||
            StoredForever(creation) is not { } holder)
        {
            return;
        }

        context.ReportDiagnostic(Diagnostic.Create(
            Rule,
            creation.Syntax.GetLocation(),
            ImmutableDictionary<string, string?>.Empty.Add(ShapeProperty, "FaultedTaskCached"),
            holder,
            "caches the task its factory returns; if that asynchronous work fails or is cancelled once, every later caller gets the same faulted task, and the readonly Lazy can never be replaced (start the work again after a failure, e.g. a SemaphoreSlim-guarded field that is reset when the task faults)"));
    }

    private static bool IsTaskLike(ITypeSymbol type, KnownTypes types)
        => type is INamedTypeSymbol named &&
           (named.Is(types.Task) || named.OriginalDefinition.Is(types.TaskOfT) || named.OriginalDefinition.Is(types.ValueTaskOfT) || named.Is(types.ValueTask));

    private static IOperation? Factory(IObjectCreationOperation creation)
    {
        foreach (var argument in creation.Arguments)
        {
            if (argument.Value.WalkDownConversions() is IDelegateCreationOperation { Target: var target } &&
                target is IAnonymousFunctionOperation or IMethodReferenceOperation)
            {
                return target;
            }
        }

        return null;
    }

    /// <summary>
    /// The factory starts work that can fail: a method group, or a lambda that awaits or returns a task from a call
    /// (not <c>Task.FromResult</c>/<c>Task.CompletedTask</c>). A lambda that catches exceptions decides for itself.
    /// </summary>
    private static bool CanFail(IOperation factory, KnownTypes types)
    {
        if (factory is IMethodReferenceOperation)
        {
            return true;
        }

        var startsWork = false;
        foreach (var operation in factory.EnumerateDescendants())
        {
            switch (operation)
            {
                case ITryOperation { Catches.Length: > 0 }:
                    return false;
                case IAwaitOperation:
                    startsWork = true;
                    break;
                case IInvocationOperation invocation when IsTaskLike(invocation.Type!, types) &&
                                                          !(invocation.TargetMethod.ContainingType.Is(types.Task) && invocation.TargetMethod.Name.StartsWith("From", System.StringComparison.Ordinal)):
                    startsWork = true;
                    break;
            }
        }

        return startsWork;
    }

    /// <summary>The name of the readonly field or get-only property the Lazy is stored in (initializer or constructor), else null.</summary>
    private static string? StoredForever(IOperation creation)
    {
        var current = creation;
        while (current.Parent is IConversionOperation conversion)
        {
            current = conversion;
        }

        switch (current.Parent)
        {
            case IFieldInitializerOperation initializer when initializer.InitializedFields.Length == 1 && initializer.InitializedFields[0].IsReadOnly:
                return initializer.InitializedFields[0].Name;
            case IPropertyInitializerOperation initializer when initializer.InitializedProperties.Length == 1 && initializer.InitializedProperties[0].SetMethod is null:
                return initializer.InitializedProperties[0].Name;
            case ISimpleAssignmentOperation assignment when ReferenceEquals(assignment.Value, current) && assignment.Parent is IExpressionStatementOperation:
                return assignment.Target.WalkDownConversions() switch
                {
                    IFieldReferenceOperation { Field.IsReadOnly: true } field => field.Field.Name,
                    IPropertyReferenceOperation { Property: { SetMethod: null, IsIndexer: false } } property => property.Property.Name,
                    _ => null,
                };
            default:
                return null;
        }
    }
}
