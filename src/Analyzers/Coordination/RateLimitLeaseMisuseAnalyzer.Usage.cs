using System.Collections.Generic;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Coordination;

public sealed partial class RateLimitLeaseMisuseAnalyzer
{
    /// <summary>What a method does with a lease local: disposes it (and where), checks it, or hands it on.</summary>
    private sealed class LeaseUsage
    {
        public bool Escapes { get; private set; }

        /// <summary>In <c>using</c>, or disposed in a <c>finally</c>: disposed on every path.</summary>
        public bool Disposed { get; private set; }

        public bool InUsing { get; private set; }

        public bool Checked { get; private set; }

        /// <summary>Explicit <c>lease.Dispose()</c> / <c>lease?.Dispose()</c> calls outside a finally.</summary>
        public List<IOperation> Disposals { get; } = new();

        public static LeaseUsage Collect(ILocalSymbol local, IOperation function, IVariableDeclaratorOperation declarator)
        {
            var usage = new LeaseUsage();
            if (IsUsingResource(declarator))
            {
                usage.Disposed = usage.InUsing = true;
            }

            foreach (var operation in function.EnumerateDescendants())
            {
                if (operation is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, local))
                {
                    usage.Add(reference, function);
                    if (usage.Escapes)
                    {
                        break;
                    }
                }
            }

            return usage;
        }

        private void Add(ILocalReferenceOperation reference, IOperation function)
        {
            if (reference.GetEnclosingFunction() != function)
            {
                Escapes = true; // captured by a lambda or local function: its lifetime is not visible here
                return;
            }

            switch (reference.WalkUpConversions())
            {
                case IPropertyReferenceOperation property when IsInstance(property.Instance, reference):
                    Checked |= property.Property.Name is "IsAcquired" or "MetadataNames";
                    break;
                case IInvocationOperation call when IsInstance(call.Instance, reference):
                    AddCall(call, call.TargetMethod.Name, function);
                    break;
                case IConditionalAccessOperation conditional when IsInstance(conditional.Operation, reference):
                    switch (conditional.WhenNotNull)
                    {
                        case IInvocationOperation call:
                            AddCall(conditional, call.TargetMethod.Name, function);
                            break;
                        case IPropertyReferenceOperation property:
                            Checked |= property.Property.Name is "IsAcquired" or "MetadataNames";
                            break;
                    }

                    break;
                case IIsPatternOperation pattern:
                    Checked |= ReadsIsAcquired(pattern.Pattern);
                    break;
                case IBinaryOperation:
                    break; // lease == null
                case IUsingOperation:
                    Disposed = true;
                    break;
                default:
                    Escapes = true; // returned, stored, passed on, reassigned, deconstructed: not ours to follow
                    break;
            }
        }

        private void AddCall(IOperation call, string name, IOperation function)
        {
            switch (name)
            {
                case "Dispose":
                    if (InFinally(call, function))
                    {
                        Disposed = true;
                    }
                    else
                    {
                        Disposals.Add(call);
                    }

                    break;
                case "TryGetMetadata" or "GetAllMetadata":
                    Checked = true;
                    break;
                default:
                    Escapes = true; // an extension or helper we do not know
                    break;
            }
        }

        private static bool IsInstance(IOperation? instance, IOperation reference)
            => instance is not null && instance.WalkDownConversions() == reference;

        private static bool ReadsIsAcquired(IPatternOperation pattern)
        {
            foreach (var operation in pattern.EnumerateDescendantsAndSelf())
            {
                if (operation is IPropertySubpatternOperation { Member: IPropertyReferenceOperation { Property.Name: "IsAcquired" } })
                {
                    return true;
                }
            }

            return false;
        }

        private static bool IsUsingResource(IOperation declarator)
        {
            var current = declarator.Parent;
            for (var i = 0; i < 3 && current is not null; i++, current = current.Parent)
            {
                if (current is IUsingDeclarationOperation or IUsingOperation)
                {
                    return true;
                }
            }

            return false;
        }

        private static bool InFinally(IOperation operation, IOperation function)
        {
            for (var current = operation.Parent; current is not null && current != function; current = current.Parent)
            {
                if (current is IBlockOperation { Parent: ITryOperation tryOperation } block && tryOperation.Finally == block)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>
    /// True when a normal path can leave between the declaration and its last <c>Dispose</c> statement in the same
    /// block (<paramref name="exit"/> names it). A <c>return</c> under an <c>IsAcquired</c> test (a refused lease holds
    /// nothing), in a <c>catch</c>, or after a <c>Dispose</c> of its own does not count. <paramref name="exit"/> stays
    /// null when the shape is not one we follow (the caller then trusts the disposal).
    /// </summary>
    private static bool MissesDispose(IVariableDeclaratorOperation declarator, List<IOperation> disposals, ILocalSymbol local, out string? exit)
    {
        exit = null;
        if (declarator.Parent?.Parent is not IVariableDeclarationGroupOperation { Parent: IBlockOperation block } group)
        {
            return true;
        }

        var start = block.Operations.IndexOf(group);
        var end = -1;
        for (var i = block.Operations.Length - 1; i > start; i--)
        {
            if (block.Operations[i] is IExpressionStatementOperation statement && disposals.Contains(statement.Operation))
            {
                end = i;
                break;
            }
        }

        if (start < 0 || end < 0)
        {
            return true;
        }

        for (var i = start + 1; i < end; i++)
        {
            var statement = block.Operations[i];
            foreach (var operation in statement.EnumerateDescendantsAndSelf())
            {
                string? kind = operation switch
                {
                    IReturnOperation { IsImplicit: false } when operation.Kind == OperationKind.Return => "return",
                    IBranchOperation { BranchKind: BranchKind.Break } when !InsideJumpTarget(operation, statement) => "break",
                    IBranchOperation { BranchKind: BranchKind.Continue } when !InsideJumpTarget(operation, statement) => "continue",
                    IBranchOperation { BranchKind: BranchKind.GoTo } => "goto",
                    _ => null,
                };
                if (kind is null || operation.GetEnclosingFunction() != declarator.GetEnclosingFunction())
                {
                    continue;
                }

                if (kind == "goto")
                {
                    return true; // not followed: trust the disposal
                }

                if (!ExitIsCovered(operation, statement, disposals, local))
                {
                    exit = kind;
                    return true;
                }
            }
        }

        return false;
    }

    private static bool InsideJumpTarget(IOperation branch, IOperation statement)
    {
        for (var current = branch.Parent; current is not null; current = current.Parent)
        {
            if (current is ILoopOperation or ISwitchOperation)
            {
                return true;
            }

            if (current == statement)
            {
                return false;
            }
        }

        return false;
    }

    private static bool ExitIsCovered(IOperation exit, IOperation statement, List<IOperation> disposals, ILocalSymbol local)
    {
        IOperation child = exit;
        for (var current = exit.Parent; current is not null; child = current, current = current.Parent)
        {
            if (current is ICatchClauseOperation)
            {
                return true;
            }

            if (current is IConditionalOperation conditional && child != conditional.Condition && ReadsIsAcquired(conditional.Condition, local))
            {
                return true;
            }

            if (current is IBlockOperation block)
            {
                foreach (var earlier in block.Operations)
                {
                    if (earlier == child)
                    {
                        break;
                    }

                    if (earlier is IExpressionStatementOperation expression && disposals.Contains(expression.Operation))
                    {
                        return true;
                    }
                }
            }

            if (current == statement)
            {
                break;
            }
        }

        return false;
    }

    private static bool ReadsIsAcquired(IOperation condition, ILocalSymbol local)
    {
        foreach (var operation in condition.EnumerateDescendantsAndSelf())
        {
            if (operation is IPropertyReferenceOperation { Property.Name: "IsAcquired", Instance: { } instance } &&
                instance.WalkDownConversions() is ILocalReferenceOperation reference &&
                SymbolEqualityComparer.Default.Equals(reference.Local, local))
            {
                return true;
            }
        }

        return false;
    }
}
