using ConcurrencyAnalyzers.Analysis;
using System.Collections.Generic;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Coordination;

/// <summary>
/// How one channel (a <c>Channel&lt;T&gt;</c> or <c>ChannelWriter&lt;T&gt;</c> local or parameter) is used in a method,
/// lambdas and local functions included, following writer aliases (<c>var writer = channel.Writer;</c>).
/// </summary>
internal sealed class ChannelUses
{
    public List<IOperation> Writes { get; } = new();

    public List<IInvocationOperation> Completions { get; } = new();

    private readonly List<IOperation> _readers = new();

    private readonly List<IOperation> _drains = new();

    /// <summary>
    /// The reader is drained here (a read that can wait for completion), or handed out (returned, passed, stored) for
    /// someone else to drain. One-shot reads (<c>TryRead</c>, a single <c>ReadAsync</c>) do not count.
    /// </summary>
    public bool ReaderConsumed { get; private set; }

    /// <summary>The channel or its writer leaves the method (passed on, stored, returned): someone else may complete it.</summary>
    public bool Escapes { get; private set; }

    public bool ReadersIn(IOperation function)
    {
        foreach (var reader in _readers)
        {
            if (function.Syntax.Span.Contains(reader.Syntax.Span))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Every drain (or hand-out) of the reader comes after <paramref name="completion"/> in the same function, outside
    /// lambdas: a fault before the completion skips the reads as well, so nobody is left waiting.
    /// </summary>
    public bool DrainsOnlyAfter(IOperation completion)
    {
        var function = completion.GetEnclosingFunction();
        foreach (var drain in _drains)
        {
            if (drain.Syntax.SpanStart < completion.Syntax.Span.End || drain.GetEnclosingFunction() != function)
            {
                return false;
            }
        }

        return _drains.Count > 0;
    }

    public static ChannelUses Collect(IOperation root, ISymbol target, KnownTypes types)
    {
        var isWriterTarget = target is IParameterSymbol parameter && parameter.Type.Is(types.ChannelWriterOfT) ||
                             target is ILocalSymbol local && local.Type.Is(types.ChannelWriterOfT);

        // Most channels have no writer alias (`var writer = channel.Writer;`): one walk, which gives up at the first
        // alias. Then the aliases are found first (a reference may precede its declaration in code that does not
        // compile), and the uses collected again.
        if (Collect(root, target, isWriterTarget, isWriterTarget ? new HashSet<ISymbol>(SymbolEqualityComparer.Default) { target } : null, untilAlias: true) is { } uses)
        {
            return uses;
        }

        var writerAliases = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        if (isWriterTarget)
        {
            writerAliases.Add(target);
        }

        foreach (var operation in root.EnumerateDescendants())
        {
            if (operation.Kind == OperationKind.PropertyReference && operation is IPropertyReferenceOperation { Property.Name: "Writer" } writer &&
                IsReferenceTo(writer.Instance, target) && AliasDeclaredBy(writer) is { } alias)
            {
                writerAliases.Add(alias);
            }
        }

        return Collect(root, target, isWriterTarget, writerAliases, untilAlias: false)!;
    }

    /// <summary>The local that <c>var writer = channel.Writer;</c> declares, for the <c>Writer</c> read.</summary>
    private static ILocalSymbol? AliasDeclaredBy(IOperation writer)
        => writer.WalkUpConversions() is IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } ? declarator.Symbol : null;

    /// <summary>The uses, following <paramref name="writerAliases"/>; null at the first alias declaration when <paramref name="untilAlias"/>.</summary>
    private static ChannelUses? Collect(IOperation root, ISymbol target, bool isWriterTarget, HashSet<ISymbol>? writerAliases, bool untilAlias)
    {
        var uses = new ChannelUses();
        foreach (var operation in root.EnumerateDescendants())
        {
            // Only references are uses: the kind first (one call), before the type patterns below.
            if (operation.Kind is not (OperationKind.PropertyReference or OperationKind.LocalReference or OperationKind.ParameterReference))
            {
                continue;
            }

            switch (operation)
            {
                case IPropertyReferenceOperation { Property.Name: "Writer" } writer when IsReferenceTo(writer.Instance, target):
                    if (untilAlias && AliasDeclaredBy(writer) is not null)
                    {
                        return null;
                    }

                    uses.ClassifyWriterUse(writer);
                    break;
                case IPropertyReferenceOperation { Property.Name: "Reader" } reader when IsReferenceTo(reader.Instance, target):
                    uses._readers.Add(reader);
                    if (!IsOneShotRead(reader))
                    {
                        uses._drains.Add(reader);
                        uses.ReaderConsumed = true;
                    }

                    break;
                case ILocalReferenceOperation or IParameterReferenceOperation when !isWriterTarget && IsReferenceTo(operation, target):
                    // The channel itself: `.Writer` / `.Reader` are fine; anything else hands it on.
                    if (operation.Parent is not IPropertyReferenceOperation { Property.Name: "Writer" or "Reader" } &&
                        operation.Parent is not IVariableDeclaratorOperation)
                    {
                        uses.Escapes |= !IsDeclarationOrAssignmentTarget(operation);
                    }

                    break;
                // Most channels have no writer alias: the set is not asked (a symbol hash) for every other reference.
                case ILocalReferenceOperation aliasLocal when writerAliases is not null && writerAliases.Contains(aliasLocal.Local):
                    uses.ClassifyWriterUse(aliasLocal);
                    break;
                case IParameterReferenceOperation aliasParameter when writerAliases is not null && writerAliases.Contains(aliasParameter.Parameter):
                    uses.ClassifyWriterUse(aliasParameter);
                    break;
            }
        }

        return uses;
    }

    private void ClassifyWriterUse(IOperation writer)
    {
        var parent = writer.WalkUpConversions();
        switch (parent)
        {
            case IInvocationOperation call when call.Instance is not null && (call.Instance == writer || call.Instance.WalkDownConversions() == writer):
                switch (call.TargetMethod.Name)
                {
                    case "WriteAsync" or "TryWrite" or "WaitToWriteAsync":
                        Writes.Add(call);
                        break;
                    case "Complete" or "TryComplete":
                        Completions.Add(call);
                        break;
                }

                break;
            case IArgumentOperation { Parent: IInvocationOperation { TargetMethod.IsExtensionMethod: true } extension }
                when extension.TargetMethod.Name is "WriteAsync" or "TryWrite":
                Writes.Add(extension);
                break;
            case IVariableInitializerOperation:
                // The alias declaration itself: its uses are followed through the alias.
                break;
            default:
                Escapes = true;
                break;
        }
    }

    /// <summary>
    /// A read that never waits for the writer's completion: <c>TryRead</c>/<c>TryPeek</c>, or a <c>ReadAsync</c> outside
    /// any constant-true loop (Go's one-value result channel, or results collected by count). Only a
    /// <c>while (true)</c> <c>ReadAsync</c> loop relies on the writer's completion to end.
    /// </summary>
    private static bool IsOneShotRead(IOperation reader)
    {
        if (reader.WalkUpConversions() is not IInvocationOperation call || call.Instance?.WalkDownConversions() != reader)
        {
            return false;
        }

        switch (call.TargetMethod.Name)
        {
            case "TryRead" or "TryPeek":
                return true;
            case "ReadAsync":
                for (var current = call.Parent; current is not null; current = current.Parent)
                {
                    if (current is ILoopOperation loop && LoopExits.IsConstantTrueLoop(loop))
                    {
                        return false;
                    }

                    if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
                    {
                        break;
                    }
                }

                return true;
            default:
                return false;
        }
    }

    // Asked of every local and parameter reference of the body: the names first (equal symbols have equal names, and a
    // string comparison costs less than the symbol comparer's), as most references are to other variables.
    private static bool IsReferenceTo(IOperation? operation, ISymbol target) => operation?.WalkDownConversions() switch
    {
        ILocalReferenceOperation local => local.Local.Name == target.Name && SymbolEqualityComparer.Default.Equals(local.Local, target),
        IParameterReferenceOperation parameter => parameter.Parameter.Name == target.Name && SymbolEqualityComparer.Default.Equals(parameter.Parameter, target),
        _ => false,
    };

    private static bool IsDeclarationOrAssignmentTarget(IOperation operation)
        => operation.Parent is ISimpleAssignmentOperation assignment && assignment.Target == operation;
}
