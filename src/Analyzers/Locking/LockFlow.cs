using System.Collections.Generic;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Locking;

/// <summary>Runs <see cref="HeldLocks"/> over the bodies of one operation block (and the lambdas / local functions in them).</summary>
internal static class LockFlow
{
    public static void Run(OperationBlockAnalysisContext context, KnownTypes types, HeldLockVisitor visitor, bool visitWithoutLocks = false)
    {
        var seen = new HashSet<IOperation>();
        foreach (var operationBlock in context.OperationBlocks)
        {
            var block = operationBlock;
            while (block.Parent is not null)
            {
                block = block.Parent;
            }

            if (block is not (IMethodBodyOperation or IConstructorBodyOperation or IBlockOperation) || !seen.Add(block))
            {
                continue;
            }

            // Most methods take no lock at all: a linear scan is far cheaper than building their flow graph.
            if (!visitWithoutLocks && !MayTakeALock(block, types))
            {
                continue;
            }

            ControlFlowGraph graph;
            try
            {
                graph = context.GetControlFlowGraph(operationBlock);
            }
            catch (System.Exception e) when (e is System.ArgumentException or System.InvalidOperationException)
            {
                continue;
            }

            HeldLocks.AnalyzeAll(graph, context.OwningSymbol as IMethodSymbol, types, visitor, context.CancellationToken, visitWithoutLocks);
        }
    }

    /// <summary>A <c>lock</c> statement, or a call <see cref="LockApis"/> knows, anywhere in the block (lambdas included).</summary>
    private static bool MayTakeALock(IOperation block, KnownTypes types)
    {
        foreach (var operation in block.Descendants())
        {
            if (operation is ILockOperation ||
                (operation is IInvocationOperation invocation && LockApis.TryGetLockCall(invocation, types, out _)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The location to report an await at: the <c>await</c> keyword of an implicit await (await foreach / await using).</summary>
    public static Location AwaitLocation(IOperation operation)
    {
        var syntax = operation.Syntax;
        switch (syntax)
        {
            case Microsoft.CodeAnalysis.CSharp.Syntax.CommonForEachStatementSyntax forEach when forEach.AwaitKeyword.Span.Length > 0:
                return forEach.AwaitKeyword.GetLocation();
            case Microsoft.CodeAnalysis.CSharp.Syntax.UsingStatementSyntax usingStatement when usingStatement.AwaitKeyword.Span.Length > 0:
                return usingStatement.AwaitKeyword.GetLocation();
            case Microsoft.CodeAnalysis.CSharp.Syntax.LocalDeclarationStatementSyntax declaration when declaration.AwaitKeyword.Span.Length > 0:
                return declaration.AwaitKeyword.GetLocation();
        }

        for (var node = syntax; node is not null; node = node.Parent)
        {
            if (node is Microsoft.CodeAnalysis.CSharp.Syntax.CommonForEachStatementSyntax { AwaitKeyword.Span.Length: > 0 } f)
            {
                return f.AwaitKeyword.GetLocation();
            }

            if (node is Microsoft.CodeAnalysis.CSharp.Syntax.UsingStatementSyntax { AwaitKeyword.Span.Length: > 0 } u)
            {
                return u.AwaitKeyword.GetLocation();
            }

            if (node is Microsoft.CodeAnalysis.CSharp.Syntax.LocalDeclarationStatementSyntax { AwaitKeyword.Span.Length: > 0 } d)
            {
                return d.AwaitKeyword.GetLocation();
            }

            if (node is Microsoft.CodeAnalysis.CSharp.Syntax.StatementSyntax)
            {
                break;
            }
        }

        return syntax.GetLocation();
    }

    /// <summary>A short name for a primitive in messages.</summary>
    public static string KindName(LockKind kind) => kind switch
    {
        LockKind.Monitor => "Monitor",
        LockKind.Lock => "Lock",
        LockKind.Mutex => "Mutex",
        LockKind.SemaphoreSlim => "SemaphoreSlim",
        LockKind.ReaderWriterLockSlim => "ReaderWriterLockSlim",
        _ => "SpinLock",
    };
}
