using System.Collections.Generic;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Coordination;

public sealed partial class ChannelProtocolMisuseAnalyzer
{
    /// <summary>
    /// <c>Task.WhenAll(ImportAsync(a), ImportAsync(b))</c> or <c>tasks.Add(ImportAsync(p))</c> in a loop, where
    /// <c>ImportAsync</c> ends with <c>_channel.Writer.Complete()</c> on every path: each concurrent call completes the
    /// field's channel, and the second completion throws (Go's close of a closed channel by several senders). Asked
    /// only for a <c>Complete()</c> on a field's writer, outside any branch, catch, loop or nested function of a
    /// task-returning method; the calls are found by name in the type's declaration in the same file. Returns the
    /// method's name.
    /// </summary>
    private static string? RunsInMethodStartedSeveralTimes(IInvocationOperation call, ISymbol key, ISymbol owner, KnownTypes types)
    {
        if (key is not IFieldSymbol ||
            owner is not IMethodSymbol { MethodKind: MethodKind.Ordinary } method || !method.ReturnType.IsTaskLike(types) ||
            !RunsOnEveryPath(call) || call.SemanticModel is not { } model)
        {
            return null;
        }

        var joins = new HashSet<IOperation>();
        foreach (var typeReference in method.ContainingType.DeclaringSyntaxReferences)
        {
            if (typeReference.SyntaxTree != call.Syntax.SyntaxTree)
            {
                continue;
            }

            foreach (var node in typeReference.GetSyntax().DescendantNodes())
            {
                if (node is not InvocationExpressionSyntax invocation || CalledName(invocation) != method.Name ||
                    model.GetOperation(invocation) is not IInvocationOperation start ||
                    !SymbolEqualityComparer.Default.Equals(start.TargetMethod.OriginalDefinition, method.OriginalDefinition))
                {
                    continue;
                }

                if (ConcurrentContexts.ClassifyAsyncMethodCall(start, types) == SpawnKind.ConcurrentStart && StartedInLoopOrProjection(start))
                {
                    return method.Name;
                }

                if (JoinOf(start, model, types) is { } join && !joins.Add(join))
                {
                    return method.Name; // a second call in the same Task.WhenAll
                }
            }
        }

        return null;
    }

    /// <summary>Only blocks, <c>try</c> (not its catches), <c>using</c> and <c>lock</c> between the call and the body.</summary>
    private static bool RunsOnEveryPath(IInvocationOperation call)
    {
        if (call.WalkUpConversions() is not IExpressionStatementOperation statement)
        {
            return false;
        }

        for (var current = statement.Parent; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case IBlockOperation or ITryOperation or IUsingOperation or ILockOperation:
                    continue;
                case IMethodBodyOperation:
                    return true;
                default:
                    return false;
            }
        }

        return false;
    }

    private static string? CalledName(InvocationExpressionSyntax invocation) => invocation.Expression switch
    {
        IdentifierNameSyntax name => name.Identifier.ValueText,
        MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax, Name: var name } => name.Identifier.ValueText,
        _ => null,
    };

    private static bool StartedInLoopOrProjection(IOperation start)
    {
        for (var current = start.Parent; current is not null; current = current.Parent)
        {
            if (current is ILoopOperation or IAnonymousFunctionOperation)
            {
                return true;
            }

            if (current is ILocalFunctionOperation)
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>
    /// The <c>Task.WhenAll</c>/<c>WhenAny</c> call <paramref name="start"/> is an argument of. Read from the syntax:
    /// <c>Task.WhenAll(a, b)</c> binds to a params array, or to a params span (whose operation shape Roslyn 4.8 does
    /// not know) when a C# 13 compiler builds for .NET 9 and later.
    /// </summary>
    private static IInvocationOperation? JoinOf(IOperation start, SemanticModel model, KnownTypes types)
    {
        var syntax = start.Syntax;
        while (syntax.Parent is ParenthesizedExpressionSyntax)
        {
            syntax = syntax.Parent;
        }

        return syntax.Parent is ArgumentSyntax { Parent: ArgumentListSyntax { Parent: InvocationExpressionSyntax invocation } } &&
               model.GetOperation(invocation) is IInvocationOperation { TargetMethod.Name: "WhenAll" or "WhenAny" } join &&
               join.TargetMethod.ContainingType.Is(types.Task)
            ? join
            : null;
    }
}
