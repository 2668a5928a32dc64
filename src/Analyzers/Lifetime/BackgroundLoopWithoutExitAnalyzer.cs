using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;

namespace ConcurrencyAnalyzers.Lifetime;

/// <summary>
/// CONC101: background work (Task.Run, StartNew, threads, the thread pool, timers, dropped or stored calls of async
/// methods) whose loop can never end: constant-true condition, no reachable break/return/throw, no token observed,
/// no stop flag read. Reported at the loop when the work is a lambda or local function, at the spawn when it is a
/// method of the same type.
/// </summary>
public sealed class BackgroundLoopWithoutExitAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Fixer hint: C# text of a token in scope at the loop.</summary>
    public const string TokenProperty = "Token";

    /// <summary>Fixer hint: "true" when the token can also be passed to the <c>Task.Run</c> call.</summary>
    public const string PassToSpawnProperty = "PassToSpawn";

    internal static readonly RuleOption AllowInMain = new(RuleIds.BackgroundLoopWithoutExit, "allow_in_main");

    private const string Title = "Background loop has no exit path";
    private const string Description =
        "Work started in the background with a loop that nothing can stop runs until the process dies: it cannot be " +
        "shut down cleanly, keeps resources alive, and a foreground thread even blocks process exit. Give the loop an " +
        "exit: loop on a cancellation token (or a BackgroundService's stoppingToken) and keep the task so its owner can " +
        "cancel and await it.";

    internal static readonly DiagnosticDescriptor LoopRule = RuleDescriptors.Create(
        RuleIds.BackgroundLoopWithoutExit,
        Title,
        "This loop runs in work started by '{0}' and has no exit path: no token, stop flag, break, return or throw ends it",
        DiagnosticSeverity.Warning,
        Description);

    internal static readonly DiagnosticDescriptor SpawnRule = RuleDescriptors.Create(
        RuleIds.BackgroundLoopWithoutExit,
        Title,
        "'{1}' is started in the background ({0}), and its loop has no exit path: no token, stop flag, break, return or throw ends it",
        DiagnosticSeverity.Warning,
        Description);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(LoopRule, SpawnRule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var types = KnownTypes.For(start.Compilation);
            if (types.Task is null)
            {
                return;
            }

            start.RegisterSymbolStartAction(symbolStart => AnalyzeType(symbolStart, types), SymbolKind.NamedType);
        });
    }

    private static void AnalyzeType(SymbolStartAnalysisContext context, KnownTypes types)
    {
        // Both diagnostics are of a `while`, `do … while` or `for` loop written in the type (in a lambda or local
        // function, or in a method of the type it starts): a type whose text (every part) has neither keyword has none,
        // and nothing in it is watched. The answer is read once per type.
        var type = (INamedTypeSymbol)context.Symbol;
        if (!SourceMentions.Any(type, LoopKeywords, types))
        {
            return;
        }

        // The methods' bodies are kept, and searched for a loop without exit at the end, only for the methods that
        // the type starts as background work: most methods are never started that way.
        var methodBodies = new LockedBag<(IMethodSymbol Method, ImmutableArray<IOperation> Blocks)>();
        var spawns = new LockedBag<(IMethodSymbol Target, Location Site, string Spawner)>();

        context.RegisterOperationBlockAction(c =>
        {
            if (c.OwningSymbol is IMethodSymbol { MethodKind: MethodKind.Ordinary or MethodKind.ExplicitInterfaceImplementation } method)
            {
                methodBodies.Add((method.OriginalDefinition, c.OperationBlocks));
            }
        });

        context.RegisterOperationAction(c => AnalyzeFunction(c, types), OperationKind.AnonymousFunction, OperationKind.LocalFunction);
        context.RegisterOperationAction(
            c =>
            {
                if (!IsAllowedMain(c) && SpawnedMethod(c.Operation, type, types) is { } spawn)
                {
                    spawns.Add((spawn.Target, c.Operation.Syntax.GetLocation(), spawn.Spawner));
                }
            },
            OperationKind.MethodReference,
            OperationKind.Invocation);

        context.RegisterSymbolEndAction(c =>
        {
            if (spawns.IsEmpty)
            {
                return;
            }

            // A type starts few methods: they are looked for in the (short) list of spawns, not put in sets.
            var started = spawns.ToArray();
            List<IMethodSymbol>? loopingMethods = null;
            foreach (var (method, blocks) in methodBodies)
            {
                if (IsStarted(started, method) && HasLoopWithoutExit(blocks, method, types))
                {
                    (loopingMethods ??= new List<IMethodSymbol>()).Add(method);
                }
            }

            if (loopingMethods is null)
            {
                return;
            }

            foreach (var spawn in started)
            {
                foreach (var looping in loopingMethods)
                {
                    if (SymbolEqualityComparer.Default.Equals(looping, spawn.Target))
                    {
                        c.ReportDiagnostic(Diagnostic.Create(SpawnRule, spawn.Site, spawn.Spawner, spawn.Target.Name));
                        break;
                    }
                }
            }
        });
    }

    private static readonly NameSet LoopKeywords = NameSet.ConditionLoopKeywords;

    private static bool IsStarted((IMethodSymbol Target, Location Site, string Spawner)[] spawns, IMethodSymbol method)
    {
        foreach (var spawn in spawns)
        {
            if (SymbolEqualityComparer.Default.Equals(spawn.Target, method))
            {
                return true;
            }
        }

        return false;
    }

    private static bool HasLoopWithoutExit(ImmutableArray<IOperation> blocks, IMethodSymbol method, KnownTypes types)
    {
        foreach (var block in blocks)
        {
            foreach (var _ in LoopExits.FindLoopsWithoutExit(block, types, method))
            {
                return true;
            }
        }

        return false;
    }

    private static void AnalyzeFunction(OperationAnalysisContext context, KnownTypes types)
    {
        var function = context.Operation;
        var body = function switch
        {
            IAnonymousFunctionOperation lambda => lambda.Body,
            ILocalFunctionOperation local => (IOperation?)local.Body ?? local.IgnoredBody,
            _ => null,
        };
        // A loop without exit is a `while`, `do … while` or `for` loop: a function whose text has neither keyword has none
        // (most lambdas), and is left before its context is classified or its body walked.
        if (body is null || !SourceMentions.Any(function.Syntax, LoopKeywords) ||
            ConcurrentContexts.Classify(function, types) is not { IsDetached: true } spawn || IsAllowedMain(context))
        {
            return;
        }

        foreach (var loop in LoopExits.FindLoopsWithoutExit(body, types, context.ContainingSymbol))
        {
            var properties = ImmutableDictionary<string, string?>.Empty;
            if (FindToken(loop, context.ContainingSymbol, types) is { } token)
            {
                properties = properties.Add(TokenProperty, token.Text);
                if (spawn.Kind == SpawnKind.TaskRun && spawn.Origin is IInvocationOperation { Arguments.Length: 1 } &&
                    function is IAnonymousFunctionOperation && token.VisibleAt(spawn.Origin, context.ContainingSymbol, types))
                {
                    properties = properties.Add(PassToSpawnProperty, "true");
                }
            }

            context.ReportDiagnostic(Diagnostic.Create(LoopRule, LoopHeader(loop), properties, spawn.Spawner));
        }
    }

    /// <summary>A method of <paramref name="type"/> started as background work: method group handed to a spawner, or an async call dropped, discarded or stored.</summary>
    private static (IMethodSymbol Target, string Spawner)? SpawnedMethod(IOperation operation, INamedTypeSymbol type, KnownTypes types)
    {
        // By kind (the callback sees only these two): one virtual read, where interface type tests walk the interfaces.
        switch (operation.Kind)
        {
            case OperationKind.MethodReference
                when ((IMethodReferenceOperation)operation).Method is { MethodKind: MethodKind.Ordinary } referenced && IsOwnMethod(referenced, type) &&
                     ConcurrentContexts.Classify(operation, types) is { IsDetached: true } context:
                return (referenced.OriginalDefinition, context.Spawner);
            case OperationKind.Invocation
                when ((IInvocationOperation)operation).TargetMethod is { MethodKind: MethodKind.Ordinary } target && IsOwnMethod(target, type) &&
                     target.ReturnType.IsTaskLike(types):
                var invocation = (IInvocationOperation)operation;
                var parent = invocation.WalkUpConversions();
                if (parent is IExpressionStatementOperation ||
                    parent is ISimpleAssignmentOperation { Target: IDiscardOperation or IFieldReferenceOperation or IPropertyReferenceOperation })
                {
                    return invocation.TargetMethod.IsAsync ? (invocation.TargetMethod.OriginalDefinition, "not awaited") : null;
                }

                // `Task.Run(() => LoopAsync())` / `Task.Run(async () => await LoopAsync())`.
                if (parent is IAwaitOperation awaited)
                {
                    parent = awaited.WalkUpConversions();
                }

                if (parent is IReturnOperation or IExpressionStatementOperation &&
                    parent.Parent is IBlockOperation { Operations.Length: <= 2 } block &&
                    block.Parent is IAnonymousFunctionOperation lambda &&
                    ConcurrentContexts.Classify(lambda, types) is { IsDetached: true } lambdaContext)
                {
                    return (invocation.TargetMethod.OriginalDefinition, lambdaContext.Spawner);
                }

                return null;
            default:
                return null;
        }
    }

    // Asked of every call and method reference in the type (Is compares the names first).
    private static bool IsOwnMethod(IMethodSymbol method, INamedTypeSymbol type)
        => method.ContainingType.Is(type) &&
           !method.IsAbstract && !method.IsVirtual && !method.IsExtern;

    private static bool IsAllowedMain(OperationAnalysisContext context)
    {
        if (context.ContainingSymbol is not IMethodSymbol { IsStatic: true } method ||
            (method.Name != "Main" && method.Name != "<Main>$" && !method.Name.StartsWith("<Main>", System.StringComparison.Ordinal)))
        {
            return false;
        }

        return AllowInMain.GetBool(context.Options, context.Operation.Syntax.SyntaxTree, defaultValue: true);
    }

    /// <summary>The loop header: <c>while (true)</c>, <c>for (;;)</c>, or the <c>do</c> keyword.</summary>
    private static Location LoopHeader(ILoopOperation loop)
    {
        var syntax = loop.Syntax;
        var span = syntax switch
        {
            WhileStatementSyntax w => TextSpan.FromBounds(w.WhileKeyword.SpanStart, w.CloseParenToken.Span.End),
            ForStatementSyntax f => TextSpan.FromBounds(f.ForKeyword.SpanStart, f.CloseParenToken.Span.End),
            DoStatementSyntax d => d.DoKeyword.Span,
            _ => syntax.Span,
        };
        return Location.Create(syntax.SyntaxTree, span);
    }

    private sealed class FoundToken
    {
        public FoundToken(string text, ISymbol? symbol)
        {
            Text = text;
            Symbol = symbol;
        }

        public string Text { get; }

        /// <summary>The parameter or local holding it; null for a field (visible everywhere in the type).</summary>
        public ISymbol? Symbol { get; }

        public bool VisibleAt(IOperation at, ISymbol containingSymbol, KnownTypes types)
        {
            if (Symbol is null)
            {
                return true;
            }

            foreach (var token in CancellationTokens.FindTokens(at, containingSymbol, types))
            {
                if (SymbolEqualityComparer.Default.Equals(token.Symbol, Symbol))
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>
    /// A token in scope at the loop: the shared finder's innermost token, else the <c>Token</c> of the type's one
    /// readonly <c>CancellationTokenSource</c> field (the finder does not look at fields).
    /// </summary>
    private static FoundToken? FindToken(ILoopOperation loop, ISymbol containingSymbol, KnownTypes types)
    {
        if (CancellationTokens.FindInnermostToken(loop, containingSymbol, types) is { } token)
        {
            return new FoundToken(token.ExpressionText, token.Symbol);
        }

        if (containingSymbol.IsStatic || containingSymbol.ContainingType is not { } type)
        {
            return null;
        }

        IFieldSymbol? source = null;
        foreach (var member in type.GetMembers())
        {
            if (member is IFieldSymbol { IsStatic: false, IsReadOnly: true, IsImplicitlyDeclared: false } field &&
                CancellationTokens.IsTokenSource(field.Type, types))
            {
                if (source is not null)
                {
                    return null;
                }

                source = field;
            }
        }

        return source is null ? null : new FoundToken(source.Name + ".Token", null);
    }
}
