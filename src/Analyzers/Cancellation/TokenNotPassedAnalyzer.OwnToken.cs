using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Cancellation;

public sealed partial class TokenNotPassedAnalyzer
{
    /// <summary>
    /// A caller's token passed inside a callback that has a token of its own, when the call the callback is handed to
    /// gets that same caller's token: <c>pipeline.ExecuteAsync(async inner => await Task.Delay(d, outer), outer)</c>,
    /// <c>Parallel.ForEachAsync(ids, ct, async (id, token) => await SaveAsync(id, ct))</c>. The host links the
    /// caller's token into the callback's (with a timeout, or the loop's own cancellation on a failure), so the work
    /// misses what the host cancels. Only when the callback never reads its own token: one that uses both chose.
    /// </summary>
    private static Diagnostic? OuterTokenInsteadOfOwn(IInvocationOperation invocation, KnownTypes types)
    {
        if (!MayBeInCallback(invocation.Syntax))
        {
            return null; // most calls that pass a token: no callback around them to have a token of its own
        }

        foreach (var argument in invocation.Arguments)
        {
            if (argument.ArgumentKind != ArgumentKind.Explicit || argument.Syntax is not ArgumentSyntax syntax ||
                TokenVariable(argument.Value) is not { } outer || !CancellationTokens.IsToken(argument.Value.WalkDownConversions().Type, types))
            {
                continue;
            }

            if (OwnTokenOfCallback(invocation, outer, types) is { } own)
            {
                var token = new TokenInScope(own, null, TokenSourceKind.Parameter, own.Name);
                return Diagnostic.Create(
                    NoneRule,
                    syntax.Expression.GetLocation(),
                    Properties(token, ModeReplace, -1, null),
                    invocation.TargetMethod.Name,
                    own.Name,
                    syntax.Expression.ToString());
            }
        }

        return null;
    }

    /// <summary>
    /// Whether an anonymous function can enclose <paramref name="node"/>: a lambda or anonymous method among its syntax
    /// ancestors, or a query (its clauses are lambdas in the operation tree). Without one, <see cref="OwnTokenOfCallback"/>
    /// finds none; this asks the syntax, whose parents and kinds are field reads, where walking up the operations makes
    /// two interface calls per ancestor at call sites that see every operation type. The walk ends at the first member
    /// declaration (a method, an accessor's property, a field, a top-level statement): no expression encloses one.
    /// </summary>
    private static bool MayBeInCallback(SyntaxNode node)
    {
        for (var current = node.Parent; current is not null && current is not MemberDeclarationSyntax; current = current.Parent)
        {
            switch ((SyntaxKind)current.RawKind)
            {
                case SyntaxKind.ParenthesizedLambdaExpression or SyntaxKind.SimpleLambdaExpression or
                     SyntaxKind.AnonymousMethodExpression or SyntaxKind.QueryExpression:
                    return true;
            }
        }

        return false;
    }

    /// <summary>The parameter or local a token argument reads, or null.</summary>
    private static ISymbol? TokenVariable(IOperation value) => value.WalkDownConversions() switch
    {
        IParameterReferenceOperation parameter => parameter.Parameter,
        ILocalReferenceOperation local => local.Local,
        _ => null,
    };

    /// <summary>
    /// The token parameter of the innermost enclosing lambda that has one, when <paramref name="outer"/> comes from
    /// outside it, the lambda is an argument of a call that also gets <paramref name="outer"/>, and the lambda never
    /// reads its own token; otherwise null.
    /// </summary>
    private static IParameterSymbol? OwnTokenOfCallback(IOperation at, ISymbol outer, KnownTypes types)
    {
        for (var current = at.Parent; current is not null; current = current.Parent)
        {
            // By kind: most ancestors are neither, and a kind is one call where a type test walks interfaces.
            var kind = current.Kind;
            if (kind == OperationKind.LocalFunction)
            {
                return null;
            }

            if (kind != OperationKind.AnonymousFunction)
            {
                continue;
            }

            var lambda = (IAnonymousFunctionOperation)current;

            if (IsParameterOf(outer, lambda.Symbol) || IsDeclaredInside(outer, lambda))
            {
                return null; // the callback's own token, or one it made
            }

            IParameterSymbol? own = null;
            foreach (var parameter in lambda.Symbol.Parameters)
            {
                if (CancellationTokens.IsToken(parameter.Type, types))
                {
                    if (parameter.IsDiscard || parameter.Name == "_")
                    {
                        return null; // (id, _) => SaveAsync(id, ct): the callback's token is set aside on purpose
                    }

                    own = parameter;
                }
            }

            if (own is null)
            {
                continue; // Task.Run(() => ...) inside the callback: look further out
            }

            if (SpawnOf(lambda) is not { } host || !GetsToken(host, outer) || ReadsParameter(lambda, own))
            {
                return null;
            }

            return own;
        }

        return null;
    }

    private static bool GetsToken(IInvocationOperation host, ISymbol outer)
    {
        foreach (var argument in host.Arguments)
        {
            if (argument.ArgumentKind == ArgumentKind.Explicit && SymbolEqualityComparer.Default.Equals(TokenVariable(argument.Value), outer))
            {
                return true;
            }
        }

        return false;
    }

    private static bool ReadsParameter(IAnonymousFunctionOperation lambda, IParameterSymbol parameter)
    {
        foreach (var operation in lambda.Body.EnumerateDescendants())
        {
            if (operation is IParameterReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Parameter, parameter))
            {
                return true;
            }
        }

        return false;
    }
}
