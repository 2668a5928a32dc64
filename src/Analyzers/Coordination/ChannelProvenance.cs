using System.Linq;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Coordination;

/// <summary>
/// Where a channel writer or a <c>BlockingCollection&lt;T&gt;</c> comes from, when that is visible: a local of the
/// same member (created there, or a writer alias <c>var w = channel.Writer;</c>) or a field initializer of the same
/// type in the same file, and (when asked) the one constructor assignment of a readonly field of a type declared in
/// that file. Used to know that writes can block (bounded, <c>BoundedChannelFullMode.Wait</c>). Anything else
/// (parameters, reassigned locals, fields set in several places) is unknown, and callers stay silent.
/// </summary>
internal static class ChannelProvenance
{
    /// <summary>
    /// True when <paramref name="instance"/> (the receiver of a write) is a channel writer of a bounded channel whose
    /// full mode is <c>Wait</c>, or a bounded <c>BlockingCollection&lt;T&gt;</c>.
    /// </summary>
    /// <remarks>
    /// With <paramref name="constructorAssigned"/>, a readonly field's one constructor assignment counts as its
    /// creation too.
    /// </remarks>
    public static bool IsBlockingBounded(IOperation? instance, KnownTypes types, bool constructorAssigned = false)
    {
        var creation = FindCreation(instance, types, constructorAssigned);
        return creation is not null && IsBlockingBoundedCreation(creation, types) && !HasRoomForEveryWrite(creation);
    }

    /// <summary>
    /// <c>var result = Channel.CreateBounded&lt;T&gt;(1); … result.Writer.TryWrite(value);</c>: a channel local created
    /// with a constant capacity that no code outside this member can write to (only its <c>Reader</c> and the
    /// writes and completions of this member use it), written at most capacity times, never from a loop or a
    /// handler that can run again. Such a write always finds room (Go's one-shot buffered result channel).
    /// </summary>
    private static bool HasRoomForEveryWrite(IOperation creation)
    {
        if (creation is not IInvocationOperation { Arguments.Length: > 0 } call ||
            call.Arguments[0].Value.ConstantValue is not { HasValue: true, Value: int capacity } || capacity < 1 ||
            call.WalkUpConversions() is not IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator })
        {
            return false;
        }

        var writes = 0;
        foreach (var operation in creation.GetRoot().EnumerateDescendants())
        {
            if (operation is not ILocalReferenceOperation reference || !SymbolEqualityComparer.Default.Equals(reference.Local, declarator.Symbol))
            {
                continue;
            }

            if (reference.WalkUpConversions() is not IPropertyReferenceOperation { Property.Name: "Reader" or "Writer" } property)
            {
                return false; // the channel itself is handed on, returned or stored
            }

            if (property.Property.Name == "Reader")
            {
                continue;
            }

            if (property.WalkUpConversions() is not IInvocationOperation { Instance: { } instance } use ||
                !ReferenceEquals(instance.WalkDownConversions(), property))
            {
                return false; // the writer is handed on
            }

            switch (use.TargetMethod.Name)
            {
                case "Complete" or "TryComplete":
                    break;
                case "TryWrite" or "WriteAsync" when RunsOnce(use, declarator):
                    writes++;
                    break;
                default:
                    return false;
            }
        }

        return writes <= capacity;
    }

    /// <summary>
    /// Between the write and the block that declares the channel, no loop and no function but a <c>Task.Run</c> or
    /// <c>StartNew</c> body (a loop around the declaration creates a fresh channel each time).
    /// </summary>
    private static bool RunsOnce(IOperation write, IOperation declarator)
    {
        var declaration = declarator.Syntax.Span;
        for (var current = write.Parent; current is not null; current = current.Parent)
        {
            if (current.Syntax.Span.Contains(declaration))
            {
                return true;
            }

            switch (current)
            {
                case ILoopOperation or ILocalFunctionOperation:
                    return false;
                case IAnonymousFunctionOperation lambda when
                    lambda.WalkUpConversions() is not IDelegateCreationOperation creation ||
                    creation.WalkUpConversions() is not IArgumentOperation { Parent: IInvocationOperation { TargetMethod.Name: "Run" or "StartNew" } }:
                    return false;
            }
        }

        return true;
    }

    /// <summary>The creation of the channel (or collection) that <paramref name="instance"/> writes to, when visible.</summary>
    public static IOperation? FindCreation(IOperation? instance, KnownTypes types, bool constructorAssigned = false)
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
            IFieldReferenceOperation field => FieldInitializer(field, constructorAssigned),
            _ => null,
        };
    }

    /// <summary>
    /// There is a slot for every write: <paramref name="write"/> runs once per element of a <c>foreach</c> over the
    /// collection whose <c>Count</c> or <c>Length</c> sized the channel (Go's <c>make(chan T, len(tasks))</c>), directly
    /// or in a task started per element. (A constant capacity with few enough writes is <see cref="HasRoomForEveryWrite"/>'s.)
    /// </summary>
    public static bool HasSlotForEveryWrite(IInvocationOperation write, KnownTypes types)
    {
        if (FindCreation(write.Instance, types) is not IInvocationOperation { Arguments.Length: > 0 } creation ||
            creation.Arguments[0].Value.WalkDownConversions() is not IPropertyReferenceOperation { Property.Name: "Count" or "Length", Instance: { } collection } ||
            collection.WalkDownConversions().ReferencedVariable() is not { } sizedBy)
        {
            return false;
        }

        // The first loop around the write (lambdas in between are fine: one task per element) must be that foreach.
        for (var current = write.Parent; current is not null; current = current.Parent)
        {
            if (current is ILoopOperation loop)
            {
                return loop is IForEachLoopOperation forEach &&
                       SymbolEqualityComparer.Default.Equals(forEach.Collection.WalkDownConversions().ReferencedVariable(), sizedBy);
            }
        }

        return false;
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

    private static IOperation? FieldInitializer(IFieldReferenceOperation reference, bool constructorAssigned)
    {
        var field = reference.Field;
        if (field.DeclaringSyntaxReferences.Length != 1 || reference.SemanticModel is not { } model ||
            field.DeclaredAccessibility != Accessibility.Private)
        {
            return null;
        }

        var syntaxReference = field.DeclaringSyntaxReferences[0];
        if (syntaxReference.SyntaxTree != model.SyntaxTree || syntaxReference.GetSyntax() is not VariableDeclaratorSyntax declarator)
        {
            return null;
        }

        if (declarator.Initializer?.Value is { } initializer)
        {
            return model.GetOperation(initializer)?.WalkDownConversions();
        }

        return constructorAssigned && field.IsReadOnly && !field.IsStatic ? ConstructorValue(field, model) : null;
    }

    /// <summary>
    /// The one value the constructors give a readonly field with no initializer (<c>_channel =
    /// Channel.CreateBounded&lt;T&gt;(capacity);</c>), when the whole type is declared in this file; null when
    /// several assignments (or a <c>ref</c>/<c>out</c> use) could set it.
    /// </summary>
    private static IOperation? ConstructorValue(IFieldSymbol field, SemanticModel model)
    {
        IOperation? value = null;
        foreach (var typeReference in field.ContainingType.DeclaringSyntaxReferences)
        {
            if (typeReference.SyntaxTree != model.SyntaxTree || typeReference.GetSyntax() is not TypeDeclarationSyntax type)
            {
                return null;
            }

            foreach (var member in type.Members)
            {
                if (member is not ConstructorDeclarationSyntax constructor || constructor.Modifiers.Any(m => m.Text == "static") ||
                    model.GetOperation(constructor) is not { } body)
                {
                    continue;
                }

                foreach (var operation in body.EnumerateDescendants())
                {
                    if (operation is not IFieldReferenceOperation reference || !SymbolEqualityComparer.Default.Equals(reference.Field, field))
                    {
                        continue;
                    }

                    if (reference.Parent is ISimpleAssignmentOperation assignment && ReferenceEquals(assignment.Target, reference))
                    {
                        if (value is not null)
                        {
                            return null;
                        }

                        value = assignment.Value.WalkDownConversions();
                    }
                    else if (reference.Parent is IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out } ||
                             reference.Parent is IDeconstructionAssignmentOperation or ITupleOperation or ICompoundAssignmentOperation or ICoalesceAssignmentOperation)
                    {
                        return null;
                    }
                }
            }
        }

        return value;
    }

}
