using System.Collections.Immutable;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Cancellation;

/// <summary>
/// CONC405: in a loop, a catch-all around work that observes a token swallows the <c>OperationCanceledException</c>
/// and goes round again, so cancellation becomes an endless (often hot) retry. Silent when the loop can still see
/// the cancellation elsewhere (its condition, a check or cancellable call outside the try) or the handler leaves.
/// </summary>
public sealed class CancellationSwallowedAnalyzer : DiagnosticAnalyzer
{
    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        RuleIds.CancellationSwallowed,
        "OperationCanceledException swallowed by a catch-all",
        "This catch-all also catches the OperationCanceledException of '{0}' and the loop retries: cancellation never ends it; filter it out",
        DiagnosticSeverity.Warning,
        "When a retry loop catches Exception around cancellable work, cancelling the token makes every attempt throw " +
        "OperationCanceledException at once, the handler logs it, and the loop goes round again: the operation never " +
        "stops, and usually spins hot. Let OperationCanceledException through with an exception filter.");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var types = KnownTypes.For(start.Compilation);
            if (types.CancellationToken is null || types.Exception is null)
            {
                return;
            }

            start.RegisterOperationAction(c => Analyze(c, types), OperationKind.CatchClause);
        });
    }

    private static void Analyze(OperationAnalysisContext context, KnownTypes types)
    {
        var clause = (ICatchClauseOperation)context.Operation;
        // The cheap questions first: a catch-all in a loop that makes more than one pass over the same work (a walk up
        // the tree), then, without a token anywhere in the body (answered once per method and body), no walks at all.
        if (clause.Parent is not ITryOperation tryOperation || !IsCatchAll(clause, types) ||
            tryOperation.GetEnclosingLoop() is not { } loop || IsOnePassPerItem(loop) || FilterExcludesCancellation(clause, types) ||
            !CancellationTokens.MayHaveTokenInScope(tryOperation, context.ContainingSymbol, types) || LeavesOrRethrows(clause.Handler, types) ||
            clause.Syntax is not CatchClauseSyntax syntax)
        {
            return;
        }

        // An earlier clause of the same try that handles OperationCanceledException takes it first.
        var filteredOnToken = false;
        foreach (var other in tryOperation.Catches)
        {
            if (ReferenceEquals(other, clause))
            {
                break;
            }

            if (other.ExceptionType.InheritsFromOrEquals(types.OperationCanceledException) || other.ExceptionType.Name == "TaskCanceledException")
            {
                return;
            }

            filteredOnToken |= other.Filter is not null && IsCatchAll(other, types);
        }

        if (!CancellationTokens.ObservesToken(tryOperation.Body, types) || LoopSeesCancellationOutside(loop, tryOperation, types))
        {
            return;
        }

        var token = TokenNotPassedAnalyzer.ReachableToken(tryOperation, context.ContainingSymbol, types);
        if (token is null || (filteredOnToken && EarlierClauseTakesCancellation(tryOperation, clause, token, types)))
        {
            return;
        }

        var location = syntax.Declaration is { } declaration
            ? Location.Create(syntax.SyntaxTree, Microsoft.CodeAnalysis.Text.TextSpan.FromBounds(syntax.CatchKeyword.SpanStart, declaration.Span.End))
            : syntax.CatchKeyword.GetLocation();
        context.ReportDiagnostic(Diagnostic.Create(Rule, location, token.ExpressionText));
    }

    /// <summary>
    /// <c>catch when (ct.IsCancellationRequested) { throw; }</c> before the catch-all: an earlier catch-all clause whose
    /// filter is true whenever the reported token is cancelled (the token's <c>IsCancellationRequested</c>, alone or as
    /// one side of <c>||</c>) gets the cancellation first.
    /// </summary>
    private static bool EarlierClauseTakesCancellation(ITryOperation tryOperation, ICatchClauseOperation clause, TokenInScope token, KnownTypes types)
    {
        foreach (var other in tryOperation.Catches)
        {
            if (ReferenceEquals(other, clause))
            {
                return false;
            }

            if (other.Filter is { } filter && IsCatchAll(other, types) && TrueWhenCancelled(filter, token, types, depth: 0))
            {
                return true;
            }
        }

        return false;
    }

    private static bool TrueWhenCancelled(IOperation condition, TokenInScope token, KnownTypes types, int depth)
        => condition.WalkDownConversions() switch
        {
            IPropertyReferenceOperation { Property.Name: "IsCancellationRequested", Instance: { } instance } =>
                CancellationTokens.IsToken(instance.Type, types) && instance.Syntax.ToString() == token.ExpressionText,
            IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalOr } either when depth < 4 =>
                TrueWhenCancelled(either.LeftOperand, token, types, depth + 1) || TrueWhenCancelled(either.RightOperand, token, types, depth + 1),
            _ => false,
        };

    private static bool IsCatchAll(ICatchClauseOperation clause, KnownTypes types)
        => clause.ExceptionType is null || clause.ExceptionType.SpecialType == SpecialType.System_Object ||
           clause.ExceptionType.Is(types.Exception) || clause.ExceptionType.Is(types.Get("System.SystemException"));

    /// <summary>The filter mentions cancellation: an exception type test for OCE/TaskCanceledException, or a token.</summary>
    private static bool FilterExcludesCancellation(ICatchClauseOperation clause, KnownTypes types)
    {
        if (clause.Filter is null)
        {
            return false;
        }

        foreach (var operation in clause.Filter.EnumerateDescendantsAndSelf())
        {
            switch (operation)
            {
                case IIsTypeOperation isType when IsCancellationException(isType.TypeOperand, types):
                    return true;
                case ITypePatternOperation typePattern when IsCancellationException(typePattern.MatchedType, types):
                    return true;
                case IDeclarationPatternOperation declarationPattern when IsCancellationException(declarationPattern.MatchedType, types):
                    return true;
                case IInvocationOperation invocation when invocation.Syntax.ToString().Contains("Cancel"):
                    return true; // IsCancellation(ex), ShouldRetry checks: trust helpers named for it
                default:
                    if (CancellationTokens.IsTokenRead(operation, types))
                    {
                        return true;
                    }

                    break;
            }
        }

        return false;
    }

    private static bool IsCancellationException(ITypeSymbol? type, KnownTypes types)
        => type is not null && (type.InheritsFromOrEquals(types.OperationCanceledException) || type.Name == "TaskCanceledException");

    /// <summary>The handler rethrows, throws, returns, breaks, or checks a token: it does not blindly go round again.</summary>
    private static bool LeavesOrRethrows(IOperation handler, KnownTypes types)
    {
        foreach (var operation in handler.EnumerateDescendantsAndSelf())
        {
            switch (operation)
            {
                case IThrowOperation:
                case IReturnOperation:
                case IBranchOperation { BranchKind: BranchKind.Break or BranchKind.GoTo }:
                    return true;
                case IInvocationOperation invocation when DoesNotReturn(invocation.TargetMethod):
                    return true; // Throw.JobPersistenceException(...): a throw helper
                default:
                    if (CancellationTokens.IsTokenRead(operation, types))
                    {
                        return true;
                    }

                    break;
            }
        }

        return false;
    }

    private static bool DoesNotReturn(IMethodSymbol method)
    {
        foreach (var attribute in method.GetAttributes())
        {
            if (attribute.AttributeClass is { Name: "DoesNotReturnAttribute" })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// <c>foreach</c> over a collection makes one attempt per item and then ends (notify every listener, shut every
    /// scheduler down, each failure logged): cancellation shortens it, it cannot make it retry forever. A stream that
    /// never ends by itself (<c>GetConsumingEnumerable()</c>, <c>ReadAllAsync()</c>) is still a processing loop.
    /// </summary>
    private static bool IsOnePassPerItem(ILoopOperation loop)
        => loop is IForEachLoopOperation forEach &&
           forEach.Collection.WalkDownConversions() is not IInvocationOperation { TargetMethod.Name: "GetConsumingEnumerable" or "ReadAllAsync" };

    /// <summary>The loop observes a token outside this try: its condition, a check, or a cancellable call (a delay with the token).</summary>
    private static bool LoopSeesCancellationOutside(ILoopOperation loop, ITryOperation tryOperation, KnownTypes types)
    {
        foreach (var operation in loop.EnumerateDescendants())
        {
            if (IsWithin(operation, tryOperation, loop))
            {
                continue;
            }

            if (CancellationTokens.IsTokenRead(operation, types))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary><paramref name="operation"/> is <paramref name="ancestor"/> or below it; both are below <paramref name="stop"/>, where the walk up ends.</summary>
    private static bool IsWithin(IOperation operation, IOperation ancestor, IOperation stop)
    {
        for (var current = operation; current is not null && !ReferenceEquals(current, stop); current = current.Parent)
        {
            if (ReferenceEquals(current, ancestor))
            {
                return true;
            }
        }

        return false;
    }
}
