using System.Collections.Concurrent;
using System.Collections.Generic;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Lifetime;

public sealed partial class RequestScopeCaptureAnalyzer
{
    /// <summary>
    /// <c>_ = SendReceiptAsync(order);</c> inside a controller, where <c>SendReceiptAsync</c> is an async method of the same
    /// type that uses a request-scoped object after its first <c>await</c>: that part runs after the request has ended.
    /// Calls are collected per type, method bodies summarized, and the pairs reported at the end of the type.
    /// </summary>
    private static void AnalyzeDroppedMethodCalls(SymbolStartAnalysisContext context, RequestTypes request)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        if (!IsRequestScopedOwner(type, request))
        {
            return;
        }

        var calls = new ConcurrentBag<(IInvocationOperation Call, IMethodSymbol Target)>();
        var lateUses = new ConcurrentDictionary<IMethodSymbol, string>(SymbolEqualityComparer.Default);

        context.RegisterOperationAction(
            c =>
            {
                var call = (IInvocationOperation)c.Operation;
                var target = call.TargetMethod.OriginalDefinition;
                if (target.IsStatic || !target.IsAsync || !SymbolEqualityComparer.Default.Equals(target.ContainingType, type) ||
                    call.Instance is not (null or IInstanceReferenceOperation))
                {
                    return;
                }

                var use = TaskObservation.Classify(call);
                var inAsyncCode = call.GetEnclosingFunction() switch
                {
                    IAnonymousFunctionOperation lambda => lambda.Symbol.IsAsync,
                    ILocalFunctionOperation local => local.Symbol.IsAsync,
                    _ => c.ContainingSymbol is IMethodSymbol { IsAsync: true },
                };

                // A dropped call in async code is the compiler's CS4014; a discarded or stored one nobody waits for is ours.
                if ((use == TaskUse.Dropped && !inAsyncCode) || use is TaskUse.Discarded or TaskUse.Stored or TaskUse.StoredInUnreadLocal)
                {
                    if (!IsJoined(call, request.Types, depth: 0))
                    {
                        calls.Add((call, target));
                    }
                }
            },
            OperationKind.Invocation);

        context.RegisterOperationBlockStartAction(blockStart =>
        {
            if (blockStart.OwningSymbol is not IMethodSymbol { IsAsync: true, IsStatic: false } method)
            {
                return;
            }

            blockStart.RegisterOperationBlockEndAction(blockEnd =>
            {
                foreach (var block in blockEnd.OperationBlocks)
                {
                    if (FirstUseAfterAwait(block, type, request) is { } name)
                    {
                        lateUses.TryAdd(method.OriginalDefinition, name);
                        return;
                    }
                }
            });
        });

        context.RegisterSymbolEndAction(c =>
        {
            foreach (var (call, target) in calls)
            {
                if (lateUses.TryGetValue(target, out var name))
                {
                    c.ReportDiagnostic(Diagnostic.Create(Rule, call.Syntax.GetLocation(), target.Name, name));
                }
            }
        });
    }

    /// <summary>The first request-scoped object the method body uses after an await of its own, or null.</summary>
    private static string? FirstUseAfterAwait(IOperation body, INamedTypeSymbol owner, RequestTypes request)
    {
        var awaitEnds = new List<int>();
        var loops = new List<IOperation>();
        foreach (var operation in ConcurrentContexts.DescendantsInSameFunction(body))
        {
            if (operation is IAwaitOperation or IForEachLoopOperation { IsAsynchronous: true } or IUsingOperation { IsAsynchronous: true })
            {
                awaitEnds.Add(operation.Syntax.Span.End);
            }
        }

        if (awaitEnds.Count == 0)
        {
            return null;
        }

        awaitEnds.Sort();
        foreach (var operation in BodyOperations(body, request.Types))
        {
            if (operation.Syntax.SpanStart < awaitEnds[0] && !IsInLoopWithAwait(operation, body))
            {
                continue;
            }

            if (RequestScopedUse(operation, body, owner, request) is { } name)
            {
                return name;
            }
        }

        return null;
    }

    private static bool IsInLoopWithAwait(IOperation operation, IOperation body)
    {
        for (var current = operation.Parent; current is not null && current != body; current = current.Parent)
        {
            if (current is ILoopOperation loop)
            {
                foreach (var descendant in ConcurrentContexts.DescendantsInSameFunction(loop))
                {
                    if (descendant is IAwaitOperation)
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }
}
