using System.Collections.Immutable;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Coordination;

/// <summary>CONC607: the cancellation-guard shape, and whether the fix can reach a <c>ParallelLoopState</c>.</summary>
public sealed partial class ParallelLoopReturnAsExitAnalyzer
{
    /// <summary>
    /// <c>if (token.IsCancellationRequested) return;</c> on a token from outside the body: cancellation handled as if it
    /// ended the loop. (The body's own token parameter of ForEachAsync belongs to the loop, which stops by itself.)
    /// </summary>
    private static bool IsCancellationGuard(IReturnOperation ret, IAnonymousFunctionOperation body, KnownTypes types)
    {
        var statement = ret.Parent is IBlockOperation { Operations.Length: 1 } block ? block : (IOperation)ret;
        return statement.Parent is IConditionalOperation { WhenFalse: null } conditional &&
               conditional.WhenTrue == statement &&
               conditional.Condition.WalkDownConversions() is IPropertyReferenceOperation { Property.Name: "IsCancellationRequested" } property &&
               (property.Property.ContainingType.Is(types.CancellationToken) || property.Property.ContainingType.Is(types.CancellationTokenSource)) &&
               !(property.Instance is IParameterReferenceOperation { Parameter: var parameter } && parameter.IsDeclaredInside(body));
    }

    /// <summary>
    /// The loop is given a token (a CancellationToken argument, or ParallelOptions that may carry one): it ends by itself
    /// on cancellation, and the guard only skips the iterations already running. Options created inline without a
    /// <c>CancellationToken</c> do not count.
    /// </summary>
    private static bool ObservesCancellation(IInvocationOperation loop, KnownTypes types)
    {
        foreach (var argument in loop.Arguments)
        {
            var value = argument.Value.WalkDownConversions();
            if (argument.Parameter?.Type.Is(types.CancellationToken) == true && !argument.IsImplicit && value is not IDefaultValueOperation)
            {
                return true;
            }

            if (argument.Parameter?.Type.Name == "ParallelOptions")
            {
                if (value is not IObjectCreationOperation creation)
                {
                    return true;
                }

                foreach (var initializer in creation.Initializer?.Initializers ?? ImmutableArray<IOperation>.Empty)
                {
                    if (initializer is ISimpleAssignmentOperation { Target: IPropertyReferenceOperation { Property.Name: "CancellationToken" } })
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    private static IParameterSymbol? StateParameter(IAnonymousFunctionOperation body, INamedTypeSymbol loopState)
    {
        foreach (var parameter in body.Symbol.Parameters)
        {
            if (parameter.Type.Is(loopState))
            {
                return parameter;
            }
        }

        return null;
    }

    /// <summary>
    /// An <c>Action&lt;T&gt;</c> body with one implicitly typed parameter: every such overload of For/ForEach has an
    /// <c>Action&lt;T, ParallelLoopState&gt;</c> twin, so adding a parameter switches to it.
    /// </summary>
    private static bool CanAddState(IAnonymousFunctionOperation body, IInvocationOperation loop)
    {
        if (body.Symbol.Parameters.Length != 1 || loop.TargetMethod.Name is not ("For" or "ForEach"))
        {
            return false;
        }

        foreach (var argument in loop.Arguments)
        {
            if (argument.Parameter?.Name == "body")
            {
                return argument.Parameter.Type is INamedTypeSymbol { Name: "Action", Arity: 1 } &&
                       body.Syntax is Microsoft.CodeAnalysis.CSharp.Syntax.SimpleLambdaExpressionSyntax ||
                       body.Syntax is Microsoft.CodeAnalysis.CSharp.Syntax.ParenthesizedLambdaExpressionSyntax { ParameterList.Parameters: { Count: 1 } parameters } &&
                       parameters[0].Type is null && argument.Parameter.Type is INamedTypeSymbol { Name: "Action", Arity: 1 };
            }
        }

        return false;
    }
}
