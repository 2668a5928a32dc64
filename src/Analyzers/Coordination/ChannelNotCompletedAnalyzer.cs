using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Coordination;

/// <summary>
/// CONC601: a channel this method owns (created here, or a writer it was given and completes itself) is written
/// but not completed on every path: never at all, or only on the normal path so that a producer fault leaves
/// <c>ReadAllAsync</c> / <c>WaitToReadAsync</c> waiting forever.
/// </summary>
public sealed class ChannelNotCompletedAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property: <c>Never</c> (reported at the creation) or <c>NormalPathOnly</c> (reported at the completion).</summary>
    public const string ShapeProperty = "Shape";
    public const string ShapeNever = "Never";
    public const string ShapeNormalPathOnly = "NormalPathOnly";

    /// <summary>For <see cref="ShapeNever"/>: the start of the producer lambda or local function whose body the fix wraps.</summary>
    public const string ProducerStartProperty = "ProducerStart";

    /// <summary>For <see cref="ShapeNever"/>: C# text of the writer (<c>channel.Writer</c>).</summary>
    public const string WriterTextProperty = "WriterText";

    private const string Title = "Channel writer is not completed on every path";
    private const string Description =
        "A consumer that drains a channel with ReadAllAsync or WaitToReadAsync stops only when the writer is completed. " +
        "If the producer never completes it, or completes it only when everything goes well, a producer fault leaves " +
        "the consumer waiting forever (Go: ranging over a channel nobody closes). Complete the writer in a finally " +
        "block with TryComplete, passing the exception when there is one.";

    internal static readonly DiagnosticDescriptor NeverRule = RuleDescriptors.Create(
        RuleIds.ChannelNotCompleted,
        Title,
        "Channel '{0}' is written but its writer is never completed; its readers wait forever",
        DiagnosticSeverity.Warning,
        Description);

    internal static readonly DiagnosticDescriptor NormalPathRule = RuleDescriptors.Create(
        RuleIds.ChannelNotCompleted,
        Title,
        "'{0}' completes the channel only when the producer succeeds; if it throws, readers wait forever: complete it in a finally block",
        DiagnosticSeverity.Warning,
        Description);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(NeverRule, NormalPathRule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var types = KnownTypes.For(start.Compilation);
            if (types.Channel is null || types.ChannelWriterOfT is null || types.ChannelReaderOfT is null)
            {
                return;
            }

            SourceMentions.RegisterBlockActionInTypes(start, MayReport, c => AnalyzeBlock(c, types));
        });
    }

    /// <summary>
    /// Every report needs a body that names a write and either a channel factory (a channel created there) or a
    /// completion (a writer or channel handed in): a type whose text (every part of it) does not name them has no such
    /// body, and its members get no block action (most types: about half name a write, mostly a logger's or a
    /// stream's, and few of those a factory or a completion).
    /// </summary>
    private static bool MayReport(INamedTypeSymbol type)
        => SourceMentions.Any(type, WriteNames) && (SourceMentions.Any(type, CreateNames) || SourceMentions.Any(type, CompleteNames));

    // One core found in both names: one search of a text instead of one per name.
    private static readonly NameSet CreateNames = new(new[] { "ounded" }, "CreateBounded", "CreateUnbounded");

    // Every report needs a write to the channel, which ChannelUses counts only as a call named one of these: a body
    // whose text names none of them (most bodies) has nothing to report, created channel or channel parameter alike.
    private static readonly NameSet WriteNames = new(new[] { "Write" }, "WriteAsync", "TryWrite", "WaitToWriteAsync");

    // A writer that was handed in is reported only at a completion, which ChannelUses counts only as a call named one of these.
    private static readonly NameSet CompleteNames = new(new[] { "Complete" }, "Complete", "TryComplete");

    private static void AnalyzeBlock(OperationBlockAnalysisContext context, KnownTypes types)
    {
        foreach (var block in context.OperationBlocks)
        {
            if (block is not IBlockOperation and not IMethodBodyOperation)
            {
                // Parameter defaults, attribute arguments, field initializers: no channels to own.
                continue;
            }

            if (!SourceMentions.Any(block.Syntax, WriteNames))
            {
                continue;
            }

            // Channels created here into a local (a body that never names the factory methods has none).
            foreach (var operation in SourceMentions.Any(block.Syntax, CreateNames) ? block.EnumerateDescendants() : OperationRange.Empty)
            {
                // By kind and name first: the walk sees every call of every body.
                if (operation.Kind == OperationKind.Invocation && operation is IInvocationOperation creation &&
                    creation.TargetMethod.Name is "CreateBounded" or "CreateUnbounded" &&
                    creation.TargetMethod.ContainingType.Is(types.Channel) &&
                    creation.WalkUpConversions() is IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator })
                {
                    Analyze(context, types, block, declarator.Symbol, creation, ownsByCreation: true);
                }
            }

            // Writers (or channels) this method was given and completes itself.
            if (context.OwningSymbol is IMethodSymbol method)
            {
                // A completion is a call named in CompleteNames, which a producer that leaves completion to the
                // writer's owner (most) does not name: asked once, at the first channel parameter.
                bool? completes = null;
                foreach (var parameter in method.Parameters)
                {
                    // Channel<T> and ChannelWriter<T> are classes: value types and interfaces are left before a base type walk.
                    // So is string (a special type): most class parameters are left by that before a symbol comparison.
                    var type = parameter.Type;
                    if (type.TypeKind == TypeKind.Class && type.SpecialType == SpecialType.None &&
                        (type.Is(types.ChannelWriterOfT) || type.InheritsFromOrEquals(types.ChannelOfT)) &&
                        (completes ??= SourceMentions.Any(block.Syntax, CompleteNames)))
                    {
                        Analyze(context, types, block, parameter, creation: null, ownsByCreation: false);
                    }
                }
            }
        }
    }

    private static void Analyze(OperationBlockAnalysisContext context, KnownTypes types, IOperation block, ISymbol target, IInvocationOperation? creation, bool ownsByCreation)
    {
        var uses = ChannelUses.Collect(block, target, types);
        if (uses.Escapes || uses.Writes.Count == 0)
        {
            return;
        }

        if (uses.Completions.Count == 0)
        {
            // Only the creator owns completion; a writer that was handed in may be completed by its owner.
            if (!ownsByCreation || creation is null || !uses.ReaderConsumed)
            {
                return;
            }

            var properties = ImmutableDictionary<string, string?>.Empty.Add(ShapeProperty, ShapeNever);
            if (SingleProducer(uses.Writes, block) is { } producer && !uses.ReadersIn(producer))
            {
                properties = properties
                    .Add(ProducerStartProperty, producer.Syntax.SpanStart.ToString(System.Globalization.CultureInfo.InvariantCulture))
                    .Add(WriterTextProperty, target.Name + ".Writer");
            }

            context.ReportDiagnostic(Diagnostic.Create(NeverRule, creation.Syntax.GetLocation(), properties, target.Name));
            return;
        }

        // A writer or channel parameter that the method completes itself is owned here, with its consumer elsewhere
        // (the caller that handed it in); a channel created here needs a visible consumer (drained here or handed
        // out) for a missed completion to hang anyone.
        if (target is not IParameterSymbol && !uses.ReaderConsumed)
        {
            return;
        }

        if (uses.Completions.Any(CompletionPaths.IsGuaranteed))
        {
            return;
        }

        foreach (var completion in uses.Completions)
        {
            // Only a producer completing at the end of its own writing is at fault; a coordinator that completes
            // after joining its producers (`await Task.WhenAll(producers); writer.Complete();`) is Go's close-after-wait.
            if (WritesIn(completion.GetEnclosingFunction(), uses.Writes) && !uses.DrainsOnlyAfter(completion) &&
                CompletionPaths.CanThrowBefore(completion, "System.Threading.Channels"))
            {
                var properties = ImmutableDictionary<string, string?>.Empty.Add(ShapeProperty, ShapeNormalPathOnly);
                context.ReportDiagnostic(Diagnostic.Create(NormalPathRule, completion.Syntax.GetLocation(), properties, completion.Syntax.ToString()));
                return;
            }
        }
    }

    private static bool WritesIn(IOperation? function, IReadOnlyList<IOperation> writes)
        => function is not null && writes.Any(w => w.GetEnclosingFunction() == function);

    /// <summary>The one lambda or local function (with a block body) holding every write, when there is one.</summary>
    private static IOperation? SingleProducer(IReadOnlyList<IOperation> writes, IOperation block)
    {
        IOperation? producer = null;
        foreach (var write in writes)
        {
            var function = write.GetEnclosingFunction();
            if (function is not (IAnonymousFunctionOperation { Body.Syntax: Microsoft.CodeAnalysis.CSharp.Syntax.BlockSyntax } or ILocalFunctionOperation { Body: not null }) ||
                (producer is not null && producer != function))
            {
                return null;
            }

            producer = function;
        }

        return producer;
    }
}
