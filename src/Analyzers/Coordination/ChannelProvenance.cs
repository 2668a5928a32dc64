using System.Linq;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Coordination;

/// <summary>
/// Where a channel writer or a <c>BlockingCollection&lt;T&gt;</c> comes from, when that is visible: a local of the
/// same member (created there, or a writer alias <c>var w = channel.Writer;</c>) or a field initializer of the same
/// type in the same file. Used to know that writes can block (bounded, <c>BoundedChannelFullMode.Wait</c>). Anything
/// else (parameters, reassigned locals, fields set in constructors) is unknown, and callers stay silent.
/// </summary>
internal static class ChannelProvenance
{
    /// <summary>
    /// True when <paramref name="instance"/> (the receiver of a write) is a channel writer of a bounded channel whose
    /// full mode is <c>Wait</c>, or a bounded <c>BlockingCollection&lt;T&gt;</c>.
    /// </summary>
    public static bool IsBlockingBounded(IOperation? instance, KnownTypes types)
    {
        var creation = FindCreation(instance, types);
        return creation is not null && IsBlockingBoundedCreation(creation, types);
    }

    /// <summary>The creation of the channel (or collection) that <paramref name="instance"/> writes to, when visible.</summary>
    public static IOperation? FindCreation(IOperation? instance, KnownTypes types)
    {
        var value = instance?.WalkDownConversions();
        if (value is null)
        {
            return null;
        }

        var root = value.GetRoot();
        if (value is ILocalReferenceOperation alias && alias.Local.Type.Is(types.ChannelWriterOfT))
        {
            value = SingleValue(alias.Local, root);
        }

        if (value is IPropertyReferenceOperation { Property.Name: "Writer", Instance: { } channel } &&
            channel.Type.InheritsFromOrEquals(types.ChannelOfT))
        {
            value = channel.WalkDownConversions();
        }
        else if (value is null || !value.Type.Is(types.BlockingCollectionOfT))
        {
            return null;
        }

        return value switch
        {
            ILocalReferenceOperation local => SingleValue(local.Local, root),
            IFieldReferenceOperation field => FieldInitializer(field),
            _ => null,
        };
    }

    public static bool IsBlockingBoundedCreation(IOperation creation, KnownTypes types)
    {
        switch (creation.WalkDownConversions())
        {
            case IObjectCreationOperation collection when collection.Type.Is(types.BlockingCollectionOfT):
                return collection.Constructor?.Parameters.Any(p => p.Name == "boundedCapacity") == true;
            case IInvocationOperation { TargetMethod.Name: "CreateBounded" } call when call.TargetMethod.ContainingType.Is(types.Channel):
                if (call.Arguments.Length == 0)
                {
                    return false;
                }

                var first = call.Arguments[0].Value.WalkDownConversions();
                if (first.Type?.SpecialType == SpecialType.System_Int32)
                {
                    return true;
                }

                return IsWaitOptions(first, types);
            default:
                return false;
        }
    }

    private static bool IsWaitOptions(IOperation options, KnownTypes types)
    {
        IObjectCreationOperation? creation = options as IObjectCreationOperation;
        ILocalSymbol? local = null;
        if (options is ILocalReferenceOperation reference)
        {
            local = reference.Local;
            creation = SingleValue(local, options.GetRoot())?.WalkDownConversions() as IObjectCreationOperation;
        }

        if (creation is null || creation.Type?.Name != "BoundedChannelOptions")
        {
            return false;
        }

        var mode = creation.Initializer?.Initializers
            .OfType<ISimpleAssignmentOperation>()
            .FirstOrDefault(a => a.Target is IPropertyReferenceOperation { Property.Name: "FullMode" })?.Value;
        if (mode is not null && !IsWaitMode(mode))
        {
            return false;
        }

        if (local is not null)
        {
            // `options.FullMode = ...` later in the member.
            foreach (var operation in options.GetRoot().EnumerateDescendants())
            {
                if (operation is ISimpleAssignmentOperation
                    {
                        Target: IPropertyReferenceOperation { Property.Name: "FullMode", Instance: ILocalReferenceOperation owner },
                    } assignment &&
                    SymbolEqualityComparer.Default.Equals(owner.Local, local) &&
                    !IsWaitMode(assignment.Value))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static bool IsWaitMode(IOperation value)
    {
        var mode = value.WalkDownConversions();
        return mode is IFieldReferenceOperation { Field.Name: "Wait" } ||
               (mode.ConstantValue.HasValue && mode.ConstantValue.Value is int and 0);
    }

    /// <summary>The one value ever given to <paramref name="local"/> (its initializer), or null when it is reassigned.</summary>
    private static IOperation? SingleValue(ILocalSymbol local, IOperation root)
    {
        IOperation? value = null;
        foreach (var operation in root.EnumerateDescendants())
        {
            switch (operation)
            {
                case IVariableDeclaratorOperation declarator when SymbolEqualityComparer.Default.Equals(declarator.Symbol, local):
                    value = declarator.GetVariableInitializer()?.Value;
                    break;
                case ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } when SymbolEqualityComparer.Default.Equals(target.Local, local):
                case IDeconstructionAssignmentOperation:
                    return null;
            }
        }

        return value?.WalkDownConversions();
    }

    private static IOperation? FieldInitializer(IFieldReferenceOperation reference)
    {
        var field = reference.Field;
        if (field.DeclaringSyntaxReferences.Length != 1 || reference.SemanticModel is not { } model ||
            field.DeclaredAccessibility != Accessibility.Private)
        {
            return null;
        }

        var syntaxReference = field.DeclaringSyntaxReferences[0];
        if (syntaxReference.SyntaxTree != model.SyntaxTree ||
            syntaxReference.GetSyntax() is not VariableDeclaratorSyntax { Initializer.Value: { } initializer })
        {
            return null;
        }

        return model.GetOperation(initializer)?.WalkDownConversions();
    }

}
