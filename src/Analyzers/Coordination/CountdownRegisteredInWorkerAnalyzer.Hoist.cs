using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Coordination;

/// <summary>CONC606: when the fix may move the registration before the spawn.</summary>
public sealed partial class CountdownRegisteredInWorkerAnalyzer
{
    /// <summary>
    /// The registration can move before the spawning statement: it is a statement of the worker lambda's own body,
    /// nothing before it can leave the lambda or throw, its arguments use nothing of the lambda, and the spawn is a
    /// statement of a block that starts the work once (not through a conditional or a projection).
    /// </summary>
    private static bool CanHoist(IInvocationOperation call, ConcurrentContext worker)
    {
        if (worker.Function is not IAnonymousFunctionOperation lambda ||
            call.Parent is not IExpressionStatementOperation statement ||
            statement.Parent is not IBlockOperation body || body.Parent != lambda)
        {
            return false;
        }

        foreach (var earlier in body.Operations)
        {
            if (earlier == statement)
            {
                break;
            }

            if (earlier is not (IVariableDeclarationGroupOperation or IExpressionStatementOperation) || CanThrowOrLeave(earlier))
            {
                return false;
            }
        }

        foreach (var operation in call.EnumerateDescendants())
        {
            var symbol = operation switch
            {
                ILocalReferenceOperation local => (ISymbol)local.Local,
                IParameterReferenceOperation parameter => parameter.Parameter,
                _ => null,
            };
            if (symbol is not null && symbol.IsDeclaredInside(lambda))
            {
                return false;
            }
        }

        return SpawnStatement(worker.Origin) is not null;
    }

    private static bool CanThrowOrLeave(IOperation operation)
    {
        foreach (var descendant in operation.EnumerateDescendantsAndSelf())
        {
            if (descendant is IInvocationOperation or IObjectCreationOperation or IAwaitOperation or IReturnOperation or
                IThrowOperation or IDynamicInvocationOperation or IPropertyReferenceOperation or IArrayElementReferenceOperation)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The statement of a block that contains the spawn, reached through plain calls, creations and assignments.</summary>
    private static IOperation? SpawnStatement(IOperation origin)
    {
        for (var current = origin.Parent; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case IExpressionStatementOperation or IVariableDeclarationGroupOperation:
                    return current.Parent is IBlockOperation ? current : null;
                case IArgumentOperation or IInvocationOperation or IObjectCreationOperation or IConversionOperation or
                    ISimpleAssignmentOperation or IVariableInitializerOperation or IVariableDeclaratorOperation or IVariableDeclarationOperation:
                    continue;
                default:
                    return null;
            }
        }

        return null;
    }
}
