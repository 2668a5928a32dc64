using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Analysis;

/// <summary>
/// The sync-over-async dual-path idiom (Npgsql, SqlClient and others): one method body serves a synchronous and an
/// asynchronous API, chosen by a <c>bool</c> parameter named <c>async</c> (or <c>isAsync</c> / <c>useAsync</c>). Its
/// synchronous branch blocks on purpose (it is the sync API), and a call that passes the literal <c>false</c> for that
/// parameter returns a task that has completed by the time it returns.
/// </summary>
internal static class DualPathAsync
{
    /// <summary>A parameter name the idiom uses for its mode flag.</summary>
    public static bool IsFlagName(string name)
        => string.Equals(name, "async", StringComparison.OrdinalIgnoreCase) ||
           string.Equals(name, "isAsync", StringComparison.OrdinalIgnoreCase) ||
           string.Equals(name, "useAsync", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// True when <paramref name="invocation"/> passes the constant <c>false</c> to a <c>bool</c> mode-flag parameter
    /// (<c>F(async: false)</c>): by the idiom's contract its task completes synchronously.
    /// </summary>
    public static bool IsSyncModeCall(IInvocationOperation invocation)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter is { Type.SpecialType: SpecialType.System_Boolean } parameter && IsFlagName(parameter.Name) &&
                argument.Value.ConstantValue is { HasValue: true, Value: false })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// True when <paramref name="node"/> runs only when a mode flag of <paramref name="function"/> (or a method that
    /// encloses it) is false: the <c>else</c> of <c>if (async)</c>, the body of <c>if (!async)</c>, the false arm of
    /// <c>async ? ... : ...</c>, or a statement after <c>if (async) { ...; return; }</c>.
    /// </summary>
    public static bool IsOnSyncPath(SyntaxNode node, ISymbol? function)
    {
        if (function is not IMethodSymbol method || !HasFlagParameter(method))
        {
            return false;
        }

        var child = node;
        for (var parent = node.Parent; parent is not null; child = parent, parent = parent.Parent)
        {
            switch (parent)
            {
                case IfStatementSyntax ifStatement when child == ifStatement.Statement:
                    if (IsFlagTest(ifStatement.Condition, method, out var negated) && negated)
                    {
                        return true;
                    }

                    break;
                case IfStatementSyntax ifStatement when child == ifStatement.Else:
                    if (IsFlagTest(ifStatement.Condition, method, out var elseNegated) && !elseNegated)
                    {
                        return true;
                    }

                    break;
                case ConditionalExpressionSyntax conditional when child == conditional.WhenTrue || child == conditional.WhenFalse:
                    if (IsFlagTest(conditional.Condition, method, out var conditionNegated) && conditionNegated == (child == conditional.WhenTrue))
                    {
                        return true;
                    }

                    break;
                case BlockSyntax block when child is StatementSyntax statement && FollowsAsyncReturn(block, statement, method):
                    return true;
                case MemberDeclarationSyntax:
                    return false;
            }
        }

        return false;
    }

    private static bool HasFlagParameter(IMethodSymbol method)
    {
        for (ISymbol? symbol = method; symbol is IMethodSymbol current; symbol = current.ContainingSymbol)
        {
            foreach (var parameter in current.Parameters)
            {
                if (parameter.Type.SpecialType == SpecialType.System_Boolean && IsFlagName(parameter.Name))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary><c>async</c> or <c>!async</c> (parentheses allowed), where <c>async</c> is a bool flag parameter in scope.</summary>
    private static bool IsFlagTest(ExpressionSyntax condition, IMethodSymbol method, out bool negated)
    {
        negated = false;
        while (true)
        {
            switch (condition)
            {
                case ParenthesizedExpressionSyntax parenthesized:
                    condition = parenthesized.Expression;
                    continue;
                case PrefixUnaryExpressionSyntax prefix when prefix.IsKind(SyntaxKind.LogicalNotExpression):
                    negated = !negated;
                    condition = prefix.Operand;
                    continue;
                case IdentifierNameSyntax identifier:
                    return IsFlagParameter(identifier.Identifier.ValueText, method);
                default:
                    return false;
            }
        }
    }

    private static bool IsFlagParameter(string name, IMethodSymbol method)
    {
        if (!IsFlagName(name))
        {
            return false;
        }

        for (ISymbol? symbol = method; symbol is IMethodSymbol current; symbol = current.ContainingSymbol)
        {
            foreach (var parameter in current.Parameters)
            {
                if (parameter.Name == name)
                {
                    return parameter.Type.SpecialType == SpecialType.System_Boolean;
                }
            }
        }

        return false;
    }

    /// <summary>An earlier statement of <paramref name="block"/> is <c>if (async) { ...; return; }</c> with no <c>else</c>.</summary>
    private static bool FollowsAsyncReturn(BlockSyntax block, StatementSyntax statement, IMethodSymbol method)
    {
        foreach (var earlier in block.Statements)
        {
            if (earlier == statement)
            {
                return false;
            }

            if (earlier is IfStatementSyntax { Else: null } ifStatement &&
                IsFlagTest(ifStatement.Condition, method, out var negated) && !negated && AlwaysExits(ifStatement.Statement))
            {
                return true;
            }
        }

        return false;
    }

    private static bool AlwaysExits(StatementSyntax statement)
    {
        while (statement is BlockSyntax { Statements.Count: > 0 } block)
        {
            statement = block.Statements[block.Statements.Count - 1];
        }

        return statement is ReturnStatementSyntax or ThrowStatementSyntax;
    }
}
