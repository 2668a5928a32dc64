using System.Collections.Immutable;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Coordination;

/// <summary>
/// CONC603: channel / BlockingCollection protocol misuse: <c>Complete()</c> that can run twice (in a finally after
/// the try already completed, right after another completion, or in each of several concurrent producers), a write
/// after the writer was completed on the same path, and an ignored <c>TryWrite</c> on a bounded channel that waits
/// when full (the item is silently dropped). The consumer-side shapes (a method that only reads completing the writer,
/// a <c>GetConsumingEnumerable</c> loop whose collection is never completed) are in the other parts of this class.
/// </summary>
public sealed partial class ChannelProtocolMisuseAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property: present (value <c>TryComplete</c>) when the fix renames <c>Complete</c>.</summary>
    public const string FixProperty = "Fix";

    private const string Title = "Channel or BlockingCollection protocol misuse";
    private const string Description =
        "Channels have a protocol: the owner completes the writer once, after the last write. Complete() throws when the " +
        "writer is already completed (use TryComplete where several paths or producers may complete), writes after " +
        "completion throw or are dropped, and TryWrite on a bounded channel returns false when it is full, dropping the item " +
        "if the result is ignored. A method that only reads must not complete the writer (the producers' next write fails), " +
        "and a BlockingCollection drained with GetConsumingEnumerable must get CompleteAdding on every producer path, " +
        "or the consuming loop never ends (Go: close twice, send on a closed channel, close by the receiver, range over a " +
        "channel nobody closes).";

    internal static readonly DiagnosticDescriptor TwiceRule = RuleDescriptors.Create(
        RuleIds.ChannelProtocolMisuse, Title,
        "'{0}' can run after the writer was already completed ({1}) and then throws: use TryComplete",
        DiagnosticSeverity.Warning, Description);

    internal static readonly DiagnosticDescriptor WriteAfterCompleteRule = RuleDescriptors.Create(
        RuleIds.ChannelProtocolMisuse, Title,
        "'{0}' writes after '{1}' completed the writer on the same path; the write throws or is dropped",
        DiagnosticSeverity.Warning, Description);

    internal static readonly DiagnosticDescriptor TryWriteIgnoredRule = RuleDescriptors.Create(
        RuleIds.ChannelProtocolMisuse, Title,
        "The result of '{0}' is ignored; on this bounded channel it returns false when full and the item is silently dropped",
        DiagnosticSeverity.Warning, Description);

    internal static readonly DiagnosticDescriptor ConsumerCompletesRule = RuleDescriptors.Create(
        RuleIds.ChannelProtocolMisuse, Title,
        "'{0}' completes the writer from a method that only reads; producers still writing then fail: let the producer side complete it",
        DiagnosticSeverity.Warning, Description);

    internal static readonly DiagnosticDescriptor NeverCompletedAddingRule = RuleDescriptors.Create(
        RuleIds.ChannelProtocolMisuse, Title,
        "'{0}' is drained with GetConsumingEnumerable() but CompleteAdding() is never called; the consuming loop never ends",
        DiagnosticSeverity.Warning, Description);

    internal static readonly DiagnosticDescriptor CompleteAddingNormalPathRule = RuleDescriptors.Create(
        RuleIds.ChannelProtocolMisuse, Title,
        "'{0}' runs only when the producer succeeds; if it throws, the GetConsumingEnumerable() loop waits forever: call it in a finally block",
        DiagnosticSeverity.Warning, Description);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(TwiceRule, WriteAfterCompleteRule, TryWriteIgnoredRule, ConsumerCompletesRule, NeverCompletedAddingRule, CompleteAddingNormalPathRule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var types = KnownTypes.For(start.Compilation);
            if (types.ChannelWriterOfT is null && types.BlockingCollectionOfT is null)
            {
                return;
            }

            start.RegisterInvocationAction(c => Analyze(c, types), ProtocolMethods);
            if (types.BlockingCollectionOfT is not null)
            {
                start.RegisterOperationAction(c => AnalyzeCollectionCreation(c, types), OperationKind.ObjectCreation);
            }
        });
    }

    /// <summary>The completions and writes <see cref="Analyze"/> looks at.</summary>
    private static readonly ImmutableHashSet<string> ProtocolMethods = InvocationActions.Names(
        "Complete", "TryComplete", "CompleteAdding", "WriteAsync", "TryWrite", "WaitToWriteAsync", "Add", "TryAdd");

    private static void Analyze(OperationAnalysisContext context, KnownTypes types)
    {
        var call = (IInvocationOperation)context.Operation;
        var name = call.TargetMethod.Name;
        // ChannelWriter<T> is a class: a method of an interface or a struct (ICollection<T>.Add) is left before the walk.
        var containingType = call.TargetMethod.ContainingType;
        var isWriter = containingType is { TypeKind: TypeKind.Class } && containingType.InheritsFromOrEquals(types.ChannelWriterOfT);
        var isCollection = !isWriter && call.TargetMethod.ContainingType.Is(types.BlockingCollectionOfT);
        if (!isWriter && !isCollection)
        {
            return;
        }

        var key = TargetKey(call.Instance);
        if (key is null)
        {
            return;
        }

        if (isWriter && name == "Complete")
        {
            var earlier = FindEarlierCompletionInTry(call, key, types) ?? FindEarlierSiblingCompletion(call, key, types, includeTry: true);
            if (earlier is not null)
            {
                Report(context, TwiceRule, call, true, call.Syntax.ToString(), earlier.Syntax.ToString());
                return;
            }

            if (FindDrainingLoopBefore(call, key) is { } drained)
            {
                Report(context, TwiceRule, call, true, call.Syntax.ToString(), "the 'await foreach' over " + drained + " above ends only once it is");
                return;
            }

            if (RunsOncePerProducer(call, key, types) is { } spawner)
            {
                Report(context, TwiceRule, call, true, call.Syntax.ToString(), "each of several producers run by " + spawner + " completes it");
                return;
            }

            if (RunsInMethodStartedSeveralTimes(call, key, context.ContainingSymbol, types) is { } producer)
            {
                Report(context, TwiceRule, call, true, call.Syntax.ToString(), "each of several " + producer + " calls started together completes it");
                return;
            }
        }

        if ((isWriter && name is "Complete" or "TryComplete") || (isCollection && name == "CompleteAdding"))
        {
            if (IsCompletedByAConsumer(call, types))
            {
                Report(context, ConsumerCompletesRule, call, false, call.Syntax.ToString(), string.Empty);
            }

            return;
        }

        if ((isWriter && name is "WriteAsync" or "TryWrite" or "WaitToWriteAsync") || (isCollection && name is "Add" or "TryAdd"))
        {
            var completion = FindEarlierSiblingCompletion(call, key, types, includeTry: true);
            if (completion is not null)
            {
                Report(context, WriteAfterCompleteRule, call, false, call.Syntax.ToString(), completion.Syntax.ToString());
                return;
            }

            if (isWriter && name == "TryWrite" && call.Parent is IExpressionStatementOperation &&
                ChannelProvenance.IsBlockingBounded(call.Instance, types) &&
                !ChannelProvenance.HasSlotForEveryWrite(call, types))
            {
                Report(context, TryWriteIgnoredRule, call, false, call.Syntax.ToString(), string.Empty);
            }
        }
    }

    private static void Report(OperationAnalysisContext context, DiagnosticDescriptor rule, IInvocationOperation call, bool fixable, string arg0, string arg1)
    {
        var properties = fixable
            ? ImmutableDictionary<string, string?>.Empty.Add(FixProperty, "TryComplete")
            : ImmutableDictionary<string, string?>.Empty;
        context.ReportDiagnostic(Diagnostic.Create(rule, call.Syntax.GetLocation(), properties, arg0, arg1));
    }

    /// <summary>
    /// <c>await foreach (var x in ch.Reader.ReadAllAsync(ct)) { … } ch.Writer.Complete();</c>: an earlier statement of
    /// the same block drains the same channel with no <c>break</c> or <c>return</c>; that loop ends normally only once
    /// the writer is completed, so the completion after it always throws. Returns the drained call's text.
    /// </summary>
    private static string? FindDrainingLoopBefore(IInvocationOperation call, ISymbol key)
    {
        if (call.WalkUpConversions() is not IExpressionStatementOperation { Parent: IBlockOperation block } statement)
        {
            return null;
        }

        for (var i = block.Operations.IndexOf(statement) - 1; i >= 0; i--)
        {
            if (block.Operations[i] is IForEachLoopOperation { IsAsynchronous: true } loop &&
                DrainedChannel(loop.Collection) is { } drained &&
                SymbolEqualityComparer.Default.Equals(drained.Channel, key) &&
                !LeavesEarly(loop))
            {
                return drained.Read.Syntax.ToString();
            }
        }

        return null;
    }

    /// <summary>The <c>ch.Reader.ReadAllAsync(...)</c> call an <c>await foreach</c> walks (through ConfigureAwait/WithCancellation), with the channel's key.</summary>
    private static (IInvocationOperation Read, ISymbol Channel)? DrainedChannel(IOperation collection)
    {
        var value = collection.WalkDownConversions();
        while (value is IInvocationOperation { TargetMethod.Name: "ConfigureAwait" or "WithCancellation" } wrapper &&
               (wrapper.Instance ?? (wrapper.TargetMethod.IsExtensionMethod && wrapper.Arguments.Length > 0 ? wrapper.Arguments[0].Value : null)) is { } inner)
        {
            value = inner.WalkDownConversions();
        }

        return value is IInvocationOperation { TargetMethod.Name: "ReadAllAsync", Instance: IPropertyReferenceOperation { Property.Name: "Reader", Instance: { } channel } } read &&
               TargetKey(channel) is { } key
            ? (read, key)
            : null;
    }

    private static bool LeavesEarly(IForEachLoopOperation loop)
    {
        foreach (var operation in ConcurrentContexts.DescendantsInSameFunction(loop.Body))
        {
            if (operation is IReturnOperation or IThrowOperation ||
                (operation is IBranchOperation branch && (branch.BranchKind == BranchKind.GoTo || ReferenceEquals(branch.Target, loop.ExitLabel))))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The writer's identity: the channel of <c>x.Writer</c>, or the writer/collection variable itself.</summary>
    private static ISymbol? TargetKey(IOperation? instance)
    {
        var value = instance?.WalkDownConversions();
        if (value is IPropertyReferenceOperation { Property.Name: "Writer", Instance: { } channel })
        {
            value = channel.WalkDownConversions();
        }

        return value switch
        {
            ILocalReferenceOperation local => local.Local,
            IParameterReferenceOperation parameter => parameter.Parameter,
            IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field => field.Field,
            _ => null,
        };
    }

    private static bool IsCompletionOf(IOperation? operation, ISymbol key, KnownTypes types, bool includeTry)
    {
        if (operation is not IExpressionStatementOperation { Operation: IInvocationOperation call } ||
            !SymbolEqualityComparer.Default.Equals(TargetKey(call.Instance), key))
        {
            return false;
        }

        var type = call.TargetMethod.ContainingType;
        return type.InheritsFromOrEquals(types.ChannelWriterOfT)
            ? call.TargetMethod.Name == "Complete" || (includeTry && call.TargetMethod.Name == "TryComplete")
            : includeTry && type.Is(types.BlockingCollectionOfT) && call.TargetMethod.Name == "CompleteAdding";
    }

    /// <summary>
    /// <c>try { …; w.Complete(); } finally { w.Complete(); }</c> (or a catch that completes, then the finally again):
    /// the finally's completion runs after one that already happened.
    /// </summary>
    private static IOperation? FindEarlierCompletionInTry(IInvocationOperation call, ISymbol key, KnownTypes types)
    {
        if (call.Parent is not IExpressionStatementOperation)
        {
            return null;
        }

        var function = call.GetEnclosingFunction();
        for (var current = call.Parent; current is not null && current != function; current = current.Parent)
        {
            if (current is IBlockOperation { Parent: ITryOperation tryOperation } block && tryOperation.Finally == block)
            {
                foreach (var statement in Statements(tryOperation.Body))
                {
                    if (IsCompletionOf(statement, key, types, includeTry: true))
                    {
                        return ((IExpressionStatementOperation)statement).Operation;
                    }
                }

                foreach (var handler in tryOperation.Catches)
                {
                    foreach (var statement in Statements(handler.Handler))
                    {
                        if (IsCompletionOf(statement, key, types, includeTry: true))
                        {
                            return ((IExpressionStatementOperation)statement).Operation;
                        }
                    }
                }

                return null;
            }

            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return null;
            }
        }

        return null;
    }

    /// <summary>Direct statements of a block (not nested in conditionals, loops or lambdas).</summary>
    private static ImmutableArray<IOperation> Statements(IBlockOperation? block)
        => block?.Operations ?? ImmutableArray<IOperation>.Empty;

    /// <summary>
    /// A completion that is an earlier statement of a block enclosing <paramref name="call"/> in the same function, so
    /// every path to the call passes it.
    /// </summary>
    private static IOperation? FindEarlierSiblingCompletion(IInvocationOperation call, ISymbol key, KnownTypes types, bool includeTry)
    {
        IOperation child = call;
        for (var current = call.Parent; current is not null; child = current, current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation or ILoopOperation ||
                current is IBlockOperation { Parent: ITryOperation } or ICatchClauseOperation)
            {
                // Loops: an earlier statement of the body may belong to another iteration's path; try/catch: the
                // completion may not have run. Stop there.
                if (current is not IBlockOperation block || block.Parent is not ITryOperation { Body: var body } || body != block)
                {
                    return null;
                }
            }

            if (current is IBlockOperation siblings)
            {
                foreach (var statement in siblings.Operations)
                {
                    if (statement == child)
                    {
                        break;
                    }

                    if (IsCompletionOf(statement, key, types, includeTry))
                    {
                        return ((IExpressionStatementOperation)statement).Operation;
                    }
                }
            }
        }

        return null;
    }

    /// <summary>
    /// The spawner when <paramref name="call"/> runs in a function started several times concurrently (Parallel.*,
    /// PLINQ, async lambdas into WhenAll, Task.Run in a loop or a Select) and the writer is shared (declared outside).
    /// </summary>
    private static string? RunsOncePerProducer(IInvocationOperation call, ISymbol key, KnownTypes types)
    {
        var context = ConcurrentContexts.FindEnclosing(call, types);
        if (context is null)
        {
            return null;
        }

        var several = context.Kind is SpawnKind.Parallel or SpawnKind.Plinq or SpawnKind.ConcurrentStart ||
                      (context.IsDetached && StartedRepeatedly(context.Origin));
        if (!several || context.Kind == SpawnKind.Parallel && context.Spawner == "Parallel.Invoke")
        {
            return null;
        }

        // A writer declared inside the function (or a parameter of it) is each producer's own.
        var functionSpan = context.Function.Syntax.Span;
        foreach (var location in key.Locations)
        {
            if (location.IsInSource && location.SourceTree == call.Syntax.SyntaxTree && functionSpan.Contains(location.SourceSpan))
            {
                return null;
            }
        }

        return context.Spawner;
    }

    private static bool StartedRepeatedly(IOperation origin)
    {
        for (var current = origin.Parent; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case ILoopOperation:
                    return true;
                case IAnonymousFunctionOperation lambda:
                    return lambda.WalkUpConversions() is IDelegateCreationOperation creation &&
                           creation.WalkUpConversions() is IArgumentOperation { Parent: IInvocationOperation { TargetMethod.Name: "Select" } };
                case ILocalFunctionOperation:
                    return false;
            }
        }

        return false;
    }
}
