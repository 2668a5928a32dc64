using System.Collections.Immutable;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Lifetime;

/// <summary>
/// CONC109: a <c>TaskCompletionSource</c> local whose <c>Task</c> is awaited or handed out on a path that ends
/// without completing the source or handing the source itself to someone who can; and a <c>TaskCompletionSource</c>
/// created without <c>TaskCreationOptions.RunContinuationsAsynchronously</c>.
/// </summary>
public sealed partial class TaskCompletionSourceAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property naming the shape, for the fixer.</summary>
    public const string KindProperty = "Kind";
    public const string KindIncomplete = "Incomplete";
    public const string KindSynchronousContinuations = "SynchronousContinuations";

    private const string Title = "TaskCompletionSource left incomplete on a path, or created without RunContinuationsAsynchronously";
    private const string Description =
        "A task from a TaskCompletionSource finishes only when someone calls SetResult, SetException or SetCanceled " +
        "(or their Try forms). When a path gives the task out or awaits it without completing the source or handing the " +
        "source to code that will, whoever awaits it waits forever. Without TaskCreationOptions.RunContinuationsAsynchronously, " +
        "the code awaiting the task runs inline inside SetResult, on the completing thread and under whatever locks it holds.";

    internal static readonly DiagnosticDescriptor IncompleteRule = RuleDescriptors.Create(
        RuleIds.TaskCompletionSourceMisuse,
        Title,
        "'{0}' is not completed on every path: its Task is awaited or given out on a path that ends without SetResult, SetException or SetCanceled, so that task never finishes",
        DiagnosticSeverity.Info,
        Description);

    internal static readonly DiagnosticDescriptor IncompleteHandlerRule = RuleDescriptors.Create(
        RuleIds.TaskCompletionSourceMisuse,
        Title,
        "'{0}' is not completed on every path of its completion handler: the event is raised once per operation, failed or cancelled ones too, and a path that returns without SetResult, SetException or SetCanceled leaves the task given out unfinished for good",
        DiagnosticSeverity.Info,
        Description);

    internal static readonly DiagnosticDescriptor SynchronousContinuationsRule = RuleDescriptors.Create(
        RuleIds.TaskCompletionSourceMisuse,
        Title,
        "TaskCompletionSource is created without TaskCreationOptions.RunContinuationsAsynchronously: awaiting code runs inline inside the call that completes it",
        DiagnosticSeverity.Info,
        Description);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(IncompleteRule, IncompleteHandlerRule, SynchronousContinuationsRule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var types = KnownTypes.For(start.Compilation);
            if (types.TaskCompletionSource is null && types.TaskCompletionSourceOfT is null)
            {
                return;
            }

            var options = types.Get("System.Threading.Tasks.TaskCreationOptions");
            start.RegisterOperationAction(c => AnalyzeCreation(c, types, options), OperationKind.ObjectCreation);
        });
    }

    private static void AnalyzeCreation(OperationAnalysisContext context, KnownTypes types, INamedTypeSymbol? options)
    {
        var creation = (IObjectCreationOperation)context.Operation;
        if (!IsTaskCompletionSource(creation.Type, types) || creation.Constructor is null)
        {
            return;
        }

        var local = AssignedLocal(creation);
        if (local is not null)
        {
            IncompletePaths.Analyze(context, creation, local, types);
        }

        if (options is not null && NeedsAsynchronousContinuations(creation, options) &&
            !(local is not null && IsCompletedBeforeTaskIsRead(creation, local)))
        {
            context.ReportDiagnostic(Diagnostic.Create(
                SynchronousContinuationsRule,
                creation.Syntax.GetLocation(),
                ImmutableDictionary<string, string?>.Empty.Add(KindProperty, KindSynchronousContinuations)));
        }
    }

    internal static bool IsTaskCompletionSource(ITypeSymbol? type, KnownTypes types)
        => type is not null && (type.Is(types.TaskCompletionSource) || type.Is(types.TaskCompletionSourceOfT));

    /// <summary>
    /// True when no constructor argument sets the flag: no options argument, or a constant options value without
    /// <c>RunContinuationsAsynchronously</c>. A non-constant options value is trusted.
    /// </summary>
    private static bool NeedsAsynchronousContinuations(IObjectCreationOperation creation, INamedTypeSymbol options)
    {
        var members = options.GetMembers("RunContinuationsAsynchronously");
        if (members.Length != 1 || members[0] is not IFieldSymbol { ConstantValue: int flag })
        {
            return false;
        }

        foreach (var argument in creation.Arguments)
        {
            var value = argument.Value.WalkDownConversions();
            if (argument.Parameter?.Type.Is(options) == true)
            {
                return argument.Value.ConstantValue is { HasValue: true, Value: int constant } && (constant & flag) == 0;
            }

            // `new TaskCompletionSource<object>(TaskContinuationOptions.X)` binds the `state` overload: CA2247's case.
            if (value.Type?.TypeKind == TypeKind.Enum && !value.Type.Is(options))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The local the new source is assigned to (<c>var tcs = new ...</c> or <c>tcs = new ...</c>), or null.</summary>
    private static ILocalSymbol? AssignedLocal(IObjectCreationOperation creation)
    {
        var parent = creation.WalkUpConversions();
        return parent switch
        {
            IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } => declarator.Symbol,
            ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment
                when assignment.Value.WalkDownConversions() == creation => target.Local,
            _ => null,
        };
    }

    /// <summary>
    /// <c>var tcs = new TaskCompletionSource&lt;T&gt;(); tcs.SetResult(x); return tcs.Task;</c>: completed before anyone
    /// can await it, so no continuation can run inline. Every use stays in the creating function, nothing hands the
    /// source on, and the first completion comes before the first read of <c>Task</c>.
    /// </summary>
    private static bool IsCompletedBeforeTaskIsRead(IObjectCreationOperation creation, ILocalSymbol local)
    {
        var function = creation.GetEnclosingFunction();
        if (function is null)
        {
            return false;
        }

        var root = function;
        while (root.Parent is not null)
        {
            root = root.Parent;
        }

        var firstCompletion = int.MaxValue;
        var firstRead = int.MaxValue;
        foreach (var descendant in root.EnumerateDescendants())
        {
            if (descendant is not ILocalReferenceOperation reference || !SymbolEqualityComparer.Default.Equals(reference.Local, local))
            {
                continue;
            }

            if (reference.GetEnclosingFunction() != function)
            {
                return false;
            }

            switch (IncompletePaths.ClassifyReference(reference))
            {
                case ReferenceKind.Complete:
                    firstCompletion = System.Math.Min(firstCompletion, reference.Syntax.SpanStart);
                    break;
                case ReferenceKind.Read:
                    firstRead = System.Math.Min(firstRead, reference.Syntax.SpanStart);
                    break;
                case ReferenceKind.Other:
                    break;
                default:
                    if (reference.Parent is ISimpleAssignmentOperation { Target: var target } && target == reference)
                    {
                        break;
                    }

                    return false;
            }
        }

        return firstCompletion < firstRead && !IsInsideLoop(creation, function);
    }

    private static bool IsInsideLoop(IOperation operation, IOperation function)
    {
        for (var current = operation.Parent; current is not null && current != function; current = current.Parent)
        {
            if (current is ILoopOperation)
            {
                return true;
            }
        }

        return false;
    }
}
