using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Coordination;

/// <summary>
/// CONC603, consumer side: a method that was handed a channel (or a <c>BlockingCollection</c>) and only reads from it
/// completes its writer on a normal path (Go: the receiver closes the channel); a <c>BlockingCollection</c> created in
/// a method and drained there with a <c>GetConsumingEnumerable()</c> loop that has no other way out, whose producer
/// never calls <c>CompleteAdding</c>, or calls it only when it succeeds.
/// </summary>
public sealed partial class ChannelProtocolMisuseAnalyzer
{
    private static readonly string[] ChannelReads = { "ReadAsync", "ReadAllAsync", "TryRead", "WaitToReadAsync", "TryPeek" };

    /// <summary>
    /// <c>channel.Writer.Complete()</c> (or <c>CompleteAdding()</c>) on a parameter that this function only reads from:
    /// no writes, the channel and its writer handed to nobody. Completions in <c>catch</c>/<c>finally</c> (a failing
    /// consumer telling its producers to stop) stay silent.
    /// </summary>
    private static bool IsCompletedByAConsumer(IInvocationOperation call, KnownTypes types)
    {
        var instance = call.Instance?.WalkDownConversions();
        var isChannel = instance is IPropertyReferenceOperation { Property.Name: "Writer", Instance: { } channel } &&
                        channel.Type.InheritsFromOrEquals(types.ChannelOfT);
        if (isChannel)
        {
            instance = ((IPropertyReferenceOperation)instance!).Instance!.WalkDownConversions();
        }

        if (instance is not IParameterReferenceOperation { Parameter: var parameter } ||
            InCatchOrFinally(call) || ScopeOf(call, parameter) is not { } scope)
        {
            return false;
        }

        if (isChannel)
        {
            var uses = ChannelUses.Collect(scope, parameter, types);
            return !uses.Escapes && uses.Writes.Count == 0 && ReadsChannel(scope, parameter);
        }

        return parameter.Type.Is(types.BlockingCollectionOfT) && OnlyConsumes(scope, parameter);
    }

    private static bool ReadsChannel(IOperation scope, IParameterSymbol channel)
    {
        foreach (var operation in scope.EnumerateDescendants())
        {
            if (operation is IInvocationOperation { Instance: IPropertyReferenceOperation { Property.Name: "Reader", Instance: IParameterReferenceOperation owner } } read &&
                SymbolEqualityComparer.Default.Equals(owner.Parameter, channel) &&
                System.Array.IndexOf(ChannelReads, read.TargetMethod.Name) >= 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Every use of the collection is a call on it, none adds, and one takes.</summary>
    private static bool OnlyConsumes(IOperation scope, IParameterSymbol collection)
    {
        var takes = false;
        foreach (var operation in scope.EnumerateDescendants())
        {
            if (operation is not IParameterReferenceOperation reference || !SymbolEqualityComparer.Default.Equals(reference.Parameter, collection))
            {
                continue;
            }

            if (reference.Parent is not IInvocationOperation call || call.Instance != reference)
            {
                if (reference.Parent is IPropertyReferenceOperation)
                {
                    continue;
                }

                return false;
            }

            switch (call.TargetMethod.Name)
            {
                case "Add" or "TryAdd":
                    return false;
                case "GetConsumingEnumerable" or "Take" or "TryTake":
                    takes = true;
                    break;
            }
        }

        return takes;
    }

    /// <summary>The function (method body, lambda or local function) that declares <paramref name="parameter"/>.</summary>
    private static IOperation? ScopeOf(IOperation operation, IParameterSymbol parameter)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case IAnonymousFunctionOperation lambda when SymbolEqualityComparer.Default.Equals(lambda.Symbol, parameter.ContainingSymbol):
                    return lambda;
                case ILocalFunctionOperation local when SymbolEqualityComparer.Default.Equals(local.Symbol, parameter.ContainingSymbol):
                    return local;
            }

            if (current.Parent is null)
            {
                return current;
            }
        }

        return null;
    }

    private static bool InCatchOrFinally(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case ICatchClauseOperation:
                case IBlockOperation { Parent: ITryOperation tryOperation } block when tryOperation.Finally == block:
                    return true;
                case IAnonymousFunctionOperation or ILocalFunctionOperation:
                    return false;
            }
        }

        return false;
    }

    /// <summary><c>var queue = new BlockingCollection&lt;T&gt;()</c> drained by a GetConsumingEnumerable loop in the same member.</summary>
    private static void AnalyzeCollectionCreation(OperationAnalysisContext context, KnownTypes types)
    {
        var creation = (IObjectCreationOperation)context.Operation;
        if (!creation.Type.Is(types.BlockingCollectionOfT) ||
            creation.WalkUpConversions() is not IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator })
        {
            return;
        }

        var uses = CollectionUses.Collect(creation.GetRoot(), declarator.Symbol);
        if (uses is null || uses.Adds.Count == 0 || !uses.DrainedUntilCompleted)
        {
            return;
        }

        if (uses.Completions.Count == 0)
        {
            context.ReportDiagnostic(Diagnostic.Create(NeverCompletedAddingRule, creation.Syntax.GetLocation(), declarator.Symbol.Name));
            return;
        }

        foreach (var completion in uses.Completions)
        {
            if (CompletionPaths.IsGuaranteed(completion))
            {
                return;
            }
        }

        foreach (var completion in uses.Completions)
        {
            var function = completion.GetEnclosingFunction();
            if (uses.Adds.Exists(add => add.GetEnclosingFunction() == function) &&
                CompletionPaths.CanThrowBefore(completion, "System.Collections.Concurrent"))
            {
                context.ReportDiagnostic(Diagnostic.Create(CompleteAddingNormalPathRule, completion.Syntax.GetLocation(), completion.Syntax.ToString()));
                return;
            }
        }
    }

    /// <summary>How a local <c>BlockingCollection</c> is used; null when it leaves the member or is reassigned.</summary>
    private sealed class CollectionUses
    {
        public System.Collections.Generic.List<IInvocationOperation> Adds { get; } = new();

        public System.Collections.Generic.List<IInvocationOperation> Completions { get; } = new();

        /// <summary>A <c>foreach</c> over <c>GetConsumingEnumerable()</c> (no token) with no break, return or goto out of it.</summary>
        public bool DrainedUntilCompleted { get; private set; }

        public static CollectionUses? Collect(IOperation root, ILocalSymbol local)
        {
            var uses = new CollectionUses();
            foreach (var operation in root.EnumerateDescendants())
            {
                if (operation is not ILocalReferenceOperation reference || !SymbolEqualityComparer.Default.Equals(reference.Local, local))
                {
                    continue;
                }

                if (reference.Parent is IPropertyReferenceOperation)
                {
                    continue;
                }

                if (reference.Parent is not IInvocationOperation call || call.Instance != reference)
                {
                    return null;
                }

                switch (call.TargetMethod.Name)
                {
                    case "Add" or "TryAdd":
                        uses.Adds.Add(call);
                        break;
                    case "CompleteAdding":
                        uses.Completions.Add(call);
                        break;
                    case "GetConsumingEnumerable" when call.Arguments.IsEmpty && IsLoopWithoutExit(call):
                        uses.DrainedUntilCompleted = true;
                        break;
                }
            }

            return uses;
        }

        private static bool IsLoopWithoutExit(IInvocationOperation consuming)
        {
            if (consuming.WalkUpConversions() is not IForEachLoopOperation loop || loop.Collection.WalkDownConversions() != consuming)
            {
                return false;
            }

            foreach (var operation in ConcurrentContexts.DescendantsInSameFunction(loop.Body))
            {
                switch (operation)
                {
                    case IReturnOperation:
                    case IBranchOperation { BranchKind: BranchKind.GoTo }:
                    case IBranchOperation { BranchKind: BranchKind.Break } exit when SymbolEqualityComparer.Default.Equals(exit.Target, loop.ExitLabel):
                        return false;
                }
            }

            return true;
        }
    }
}
