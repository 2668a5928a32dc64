using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Runtime.ExceptionServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ConcurrencyAnalyzers.Internals;

/// <summary>
/// Runs many rules as one analyzer. Each rule is written as an ordinary <see cref="DiagnosticAnalyzer"/> (and tested
/// as one); the host records what each rule registers and registers, for each operation kind, one driver callback
/// that calls every rule interested in that kind. The driver's cost per callback (its dispatch, timing, context)
/// is then paid once per operation instead of once per rule and operation.
/// </summary>
/// <remarks>
/// Only the registrations that fire often are merged: operation actions, operation block actions, symbol actions and
/// symbol-start actions (with the operation, operation block and symbol-end actions registered inside them). Operation
/// block start and compilation end actions go to the driver wrapped, so that their reports pass the host's
/// <see cref="GeneratedCodeFilter"/>; other registrations are refused. A rule whose descriptors are all off in every file is not started
/// at all (<see cref="IsOn"/>). Rules must register inside a compilation
/// start action and may not use <see cref="SymbolStartAnalysisContext.FilterTree"/>,
/// <see cref="SymbolStartAnalysisContext.FilterSpan"/> or <see cref="SymbolStartAnalysisContext.IsGeneratedCode"/>
/// (the host's symbol-start context cannot carry them).
/// </remarks>
internal sealed class RuleHost
{
    private readonly ImmutableArray<HostedRule> _rules;

    public RuleHost(ImmutableArray<DiagnosticAnalyzer> rules)
    {
        var builder = ImmutableArray.CreateBuilder<HostedRule>(rules.Length);
        var descriptors = ImmutableArray.CreateBuilder<DiagnosticDescriptor>();
        var seen = new HashSet<DiagnosticDescriptor>();
        foreach (var rule in rules)
        {
            var recorder = new InitializeRecorder(rule.GetType().Name);
            rule.Initialize(recorder);
            var supported = rule.SupportedDiagnostics;
            builder.Add(new HostedRule(supported, recorder.StartActions.ToImmutable()));
            foreach (var descriptor in supported)
            {
                if (seen.Add(descriptor))
                {
                    descriptors.Add(descriptor);
                }
            }
        }

        _rules = builder.MoveToImmutable();
        SupportedDiagnostics = descriptors.ToImmutable();
    }

    public ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; }

    /// <summary>Starts every rule that is on for this compilation and registers their merged callbacks.</summary>
    public void Start(CompilationStartAnalysisContext start)
    {
        var registry = new CompilationRegistry(start);
        ExceptionDispatchInfo? first = null;
        foreach (var rule in _rules)
        {
            if (rule.StartActions.IsEmpty || !IsOn(start.Compilation, start.Options.AnalyzerConfigOptionsProvider, rule.Descriptors, start.CancellationToken))
            {
                continue;
            }

            foreach (var action in rule.StartActions)
            {
                RunIsolated(action, registry, ref first);
            }
        }

        // The rules that started keep running when another one failed to; the driver still reports the failure.
        registry.Commit();
        first?.Throw();
    }

    /// <summary>
    /// Whether any of the descriptors can be reported somewhere in this compilation. A file's severity for an ID comes
    /// from, first to last: its .editorconfig entry for the ID; a global config entry or compilation option for the ID
    /// (command line, rule set); for a rule on by default, a bulk entry for its category or for all analyzers
    /// (<c>dotnet_analyzer_diagnostic.category-X.severity</c>, which the <c>ConcurrencyAnalysisMode=None</c> preset
    /// sets to none); its default. When unsure, on: the driver filters what is reported, so this only decides what
    /// work is skipped.
    /// </summary>
    internal static bool IsOn(
        Compilation compilation,
        AnalyzerConfigOptionsProvider? configOptions,
        ImmutableArray<DiagnosticDescriptor> descriptors,
        CancellationToken cancellationToken)
    {
        var options = compilation.Options;
        var treeOptions = options.SyntaxTreeOptionsProvider;
        foreach (var descriptor in descriptors)
        {
            // A compilation-wide entry for the ID: on if either of the two says on.
            ReportDiagnostic? wide = options.SpecificDiagnosticOptions.TryGetValue(descriptor.Id, out var specific) ? specific : null;
            if (treeOptions is not null && treeOptions.TryGetGlobalDiagnosticValue(descriptor.Id, cancellationToken, out var global) &&
                (wide is null || global != ReportDiagnostic.Suppress))
            {
                wide = global;
            }

            if (wide is { } severity ? severity != ReportDiagnostic.Suppress :
                descriptor.IsEnabledByDefault && !IsBulkOffEverywhere(compilation, configOptions, descriptor.Category))
            {
                return true;
            }

            // Off by default (or by a wide entry, or in bulk): on where a file's own entry for the ID says so.
            if (treeOptions is not null)
            {
                foreach (var tree in compilation.SyntaxTrees)
                {
                    if (treeOptions.TryGetDiagnosticValue(tree, descriptor.Id, cancellationToken, out var treeSeverity) &&
                        treeSeverity != ReportDiagnostic.Suppress)
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    /// <summary>
    /// Whether every file's bulk entry (its category's, else all analyzers') is <c>none</c>; false for no files. Read
    /// as the compiler reads it: from the file's options (global config entries included), exact values only.
    /// </summary>
    private static bool IsBulkOffEverywhere(Compilation compilation, AnalyzerConfigOptionsProvider? configOptions, string category)
    {
        if (configOptions is null)
        {
            return false;
        }

        var categoryKey = "dotnet_analyzer_diagnostic.category-" + category + ".severity";
        var any = false;
        foreach (var tree in compilation.SyntaxTrees)
        {
            any = true;
            var options = configOptions.GetOptions(tree);
            if (!(options.TryGetValue(categoryKey, out var value) || options.TryGetValue("dotnet_analyzer_diagnostic.severity", out value)) ||
                value != "none")
            {
                return false;
            }
        }

        return any;
    }

    /// <summary>
    /// One callback that runs <paramref name="actions"/> in order. A rule that throws does not keep the others from
    /// running; the first exception is rethrown afterwards, so the driver still reports it (AD0001).
    /// </summary>
    internal static Action<T> FanOut<T>(List<Action<T>> actions)
    {
        if (actions.Count == 1)
        {
            return actions[0];
        }

        var array = actions.ToArray();
        var order = new int[array.Length];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        return context => RunEach(array, order, context);
    }

    /// <summary>
    /// Runs <c>actions[order[0]]</c>, <c>actions[order[1]]</c>, ... with the failure handling of <see cref="FanOut"/>:
    /// one <c>try</c> around the loop, resumed after a failure, rather than a <c>try</c> (and a copy of the context)
    /// per rule, as this runs for every operation the rules registered for.
    /// </summary>
    internal static void RunEach<T>(Action<T>[] actions, int[] order, T context)
    {
        ExceptionDispatchInfo? first = null;
        var next = 0;
        while (next < order.Length)
        {
            try
            {
                while (next < order.Length)
                {
                    actions[order[next++]](context);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                first ??= ExceptionDispatchInfo.Capture(e);
            }
        }

        first?.Throw();
    }

    /// <summary>Runs one rule's action; a failure other than cancellation is kept in <paramref name="first"/> (the first one wins).</summary>
    private static void RunIsolated<T>(Action<T> action, T context, ref ExceptionDispatchInfo? first)
    {
        try
        {
            action(context);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            first ??= ExceptionDispatchInfo.Capture(e);
        }
    }

    /// <summary>
    /// A registration whose reports the host cannot pass through its <see cref="GeneratedCodeFilter"/> (no rule uses
    /// one; a rule that needs one adds a wrapper there first).
    /// </summary>
    private static NotSupportedException Unfiltered(string what)
        => new($"A hosted rule cannot use {what}: the host keeps reports out of generated code only for the registrations it wraps");

    /// <summary>Runs two callbacks with the failure handling of <see cref="FanOut"/>.</summary>
    private static void RunBoth<T>(Action<T> first, Action<T> second, T context)
    {
        ExceptionDispatchInfo? failure = null;
        RunIsolated(first, context, ref failure);
        RunIsolated(second, context, ref failure);
        failure?.Throw();
    }

    /// <summary>
    /// The operation and block actions rules register in a type's symbol start, for the kinds the compilation-level
    /// callbacks already cover: the compilation-level callback runs them after its own, for the operations of that
    /// type's members, instead of the driver calling a second callback for each such operation (about 25,000 calls
    /// per pass on the benchmark's corpus). This is the scope the driver gives them: a type's symbol-start actions
    /// apply to its own members (their bodies, initializers, accessors, parameters' defaults, attributes) and to the
    /// type's own declaration, not to a nested type or its members, which get their own symbol start. So the type
    /// whose actions apply is the analyzed symbol itself when it is a type, else the nearest type containing it. The
    /// driver runs a type's symbol start before it analyzes any of the type's members, and its symbol end after, so
    /// the actions are in place in time and done before the end.
    /// </summary>
    private sealed class TypeRoutes
    {
        private readonly OperationKind[] _kinds;
        private readonly ConcurrentDictionary<INamedTypeSymbol, TypeActions> _types = new(ReferenceComparer<INamedTypeSymbol>.Instance);

        public TypeRoutes(List<KeyValuePair<OperationKind, Action<OperationAnalysisContext>>> compilationLevel, bool routesBlocks)
        {
            _kinds = new OperationKind[compilationLevel.Count];
            for (var i = 0; i < _kinds.Length; i++)
            {
                _kinds[i] = compilationLevel[i].Key;
            }

            RoutesBlocks = routesBlocks;
        }

        public bool RoutesBlocks { get; }

        /// <summary>The position of a kind among the compilation-level callbacks, or -1.</summary>
        public int Slot(OperationKind kind) => Array.IndexOf(_kinds, kind);

        public TypeActions Empty() => new(_kinds.Length);

        public void Add(INamedTypeSymbol type, TypeActions actions) => _types[type] = actions;

        /// <summary>The routed actions for what the driver analyzes as <paramref name="analyzed"/>, if any.</summary>
        public TypeActions? For(ISymbol? analyzed)
            => (analyzed as INamedTypeSymbol ?? analyzed?.ContainingType) is { } type && _types.TryGetValue(type, out var actions) ? actions : null;
    }

    private sealed class TypeActions
    {
        public TypeActions(int kinds) => Operations = new Action<OperationAnalysisContext>?[kinds];

        public Action<OperationAnalysisContext>?[] Operations { get; }

        public Action<OperationBlockAnalysisContext>? Block { get; set; }

        public bool IsEmpty { get; set; } = true;
    }

    private sealed class HostedRule
    {
        public HostedRule(ImmutableArray<DiagnosticDescriptor> descriptors, ImmutableArray<Action<CompilationStartAnalysisContext>> startActions)
        {
            Descriptors = descriptors;
            StartActions = startActions;
        }

        public ImmutableArray<DiagnosticDescriptor> Descriptors { get; }

        public ImmutableArray<Action<CompilationStartAnalysisContext>> StartActions { get; }
    }

    /// <summary>Actions keyed by a kind, in registration order.</summary>
    private sealed class ByKind<TKind, TContext>
        where TKind : struct
    {
        private readonly Dictionary<TKind, List<Action<TContext>>> _actions = new();

        public void Add(Action<TContext> action, ImmutableArray<TKind> kinds)
        {
            foreach (var kind in kinds)
            {
                if (!_actions.TryGetValue(kind, out var list))
                {
                    _actions.Add(kind, list = new List<Action<TContext>>());
                }

                list.Add(action);
            }
        }

        public void Commit(Action<Action<TContext>, ImmutableArray<TKind>> register)
        {
            foreach (var pair in Merged())
            {
                register(pair.Value, ImmutableArray.Create(pair.Key));
            }
        }

        /// <summary>One callback per kind, running that kind's actions in registration order.</summary>
        public IEnumerable<KeyValuePair<TKind, Action<TContext>>> Merged()
        {
            foreach (var pair in _actions)
            {
                yield return new KeyValuePair<TKind, Action<TContext>>(pair.Key, FanOut(pair.Value));
            }
        }
    }

    /// <summary>
    /// The operation actions of one registration context (compilation or symbol start): invocation actions, with or
    /// without method names, go to an <see cref="InvocationTable"/> and one routed callback; the other kinds, one
    /// callback per kind.
    /// </summary>
    private sealed class OperationActions
    {
        private readonly ByKind<OperationKind, OperationAnalysisContext> _byKind = new();
        private readonly InvocationTable _invocations = new();

        public void Add(Action<OperationAnalysisContext> action, ImmutableArray<OperationKind> kinds)
        {
            if (kinds.Contains(OperationKind.Invocation))
            {
                _invocations.Add(action, names: null);
                kinds = kinds.Remove(OperationKind.Invocation);
            }

            _byKind.Add(action, kinds);
        }

        public void AddInvocation(Action<OperationAnalysisContext> action, ImmutableHashSet<string> methodNames) => _invocations.Add(action, methodNames);

        /// <summary>One callback per kind: the invocation table's routed callback for invocations, a fan-out for the others.</summary>
        public List<KeyValuePair<OperationKind, Action<OperationAnalysisContext>>> Merged(InvocationPlans plans)
        {
            var merged = new List<KeyValuePair<OperationKind, Action<OperationAnalysisContext>>>(_byKind.Merged());
            if (!_invocations.IsEmpty)
            {
                merged.Add(new KeyValuePair<OperationKind, Action<OperationAnalysisContext>>(OperationKind.Invocation, _invocations.Callback(plans)));
            }

            return merged;
        }
    }

    /// <summary>Records a rule's <see cref="DiagnosticAnalyzer.Initialize"/>.</summary>
    private sealed class InitializeRecorder : AnalysisContext
    {
        private readonly string _rule;

        public InitializeRecorder(string rule) => _rule = rule;

        public ImmutableArray<Action<CompilationStartAnalysisContext>>.Builder StartActions { get; } =
            ImmutableArray.CreateBuilder<Action<CompilationStartAnalysisContext>>();

        public override void EnableConcurrentExecution()
        {
        }

        public override void ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags analysisMode)
        {
            if (analysisMode != GeneratedCodeAnalysisFlags.None)
            {
                throw Unsupported("analysis of generated code");
            }
        }

        public override void RegisterCompilationStartAction(Action<CompilationStartAnalysisContext> action) => StartActions.Add(action);

        public override void RegisterCompilationAction(Action<CompilationAnalysisContext> action) => throw Unsupported(nameof(RegisterCompilationAction));

        public override void RegisterSemanticModelAction(Action<SemanticModelAnalysisContext> action) => throw Unsupported(nameof(RegisterSemanticModelAction));

        public override void RegisterSymbolAction(Action<SymbolAnalysisContext> action, ImmutableArray<SymbolKind> symbolKinds) => throw Unsupported(nameof(RegisterSymbolAction));

        public override void RegisterSymbolStartAction(Action<SymbolStartAnalysisContext> action, SymbolKind symbolKind) => throw Unsupported(nameof(RegisterSymbolStartAction));

        public override void RegisterCodeBlockStartAction<TLanguageKindEnum>(Action<CodeBlockStartAnalysisContext<TLanguageKindEnum>> action) => throw Unsupported(nameof(RegisterCodeBlockStartAction));

        public override void RegisterCodeBlockAction(Action<CodeBlockAnalysisContext> action) => throw Unsupported(nameof(RegisterCodeBlockAction));

        public override void RegisterSyntaxTreeAction(Action<SyntaxTreeAnalysisContext> action) => throw Unsupported(nameof(RegisterSyntaxTreeAction));

        public override void RegisterAdditionalFileAction(Action<AdditionalFileAnalysisContext> action) => throw Unsupported(nameof(RegisterAdditionalFileAction));

        public override void RegisterSyntaxNodeAction<TLanguageKindEnum>(Action<SyntaxNodeAnalysisContext> action, ImmutableArray<TLanguageKindEnum> syntaxKinds) => throw Unsupported(nameof(RegisterSyntaxNodeAction));

        public override void RegisterOperationBlockStartAction(Action<OperationBlockStartAnalysisContext> action) => throw Unsupported(nameof(RegisterOperationBlockStartAction));

        public override void RegisterOperationBlockAction(Action<OperationBlockAnalysisContext> action) => throw Unsupported(nameof(RegisterOperationBlockAction));

        public override void RegisterOperationAction(Action<OperationAnalysisContext> action, ImmutableArray<OperationKind> operationKinds) => throw Unsupported(nameof(RegisterOperationAction));

        private NotSupportedException Unsupported(string what)
            => new($"{_rule}: a hosted rule registers everything inside a compilation start action ({what} is not supported)");
    }

    /// <summary>A rule's view of the compilation start: merges the frequent registrations, forwards what it can filter, refuses the rest.</summary>
    private sealed class CompilationRegistry : CompilationStartAnalysisContext, IInvocationRouter
    {
        private readonly CompilationStartAnalysisContext _start;
        private readonly GeneratedCodeFilter _filter;
        private readonly InvocationPlans _plans = new();
        private readonly OperationActions _operations = new();
        private readonly ByKind<SymbolKind, SymbolAnalysisContext> _symbols = new();
        private readonly ByKind<SymbolKind, SymbolStartAnalysisContext> _symbolStarts = new();
        private readonly List<Action<OperationBlockAnalysisContext>> _blocks = new();

#pragma warning disable RS1012 // Registers on 'start' later, in Commit.
        public CompilationRegistry(CompilationStartAnalysisContext start)
            : base(start.Compilation, start.Options, start.CancellationToken)
        {
            _start = start;
            _filter = new GeneratedCodeFilter(start.Compilation, start.Options);
        }
#pragma warning restore RS1012

        public void Commit()
        {
            var operations = _operations.Merged(_plans);
            var block = _blocks.Count > 0 ? FanOut(_blocks) : null;
            var routes = new TypeRoutes(operations, block is not null);
            for (var slot = 0; slot < operations.Count; slot++)
            {
                var action = operations[slot].Value;
                var index = slot;
                _start.RegisterOperationAction(
                    _filter.ForOperation(context =>
                    {
                        if (routes.For(context.ContainingSymbol)?.Operations[index] is { } typeAction)
                        {
                            RunBoth(action, typeAction, context);
                        }
                        else
                        {
                            action(context);
                        }
                    }),
                    ImmutableArray.Create(operations[slot].Key));
            }

            if (block is not null)
            {
                _start.RegisterOperationBlockAction(_filter.ForBlock(context =>
                {
                    if (routes.For(context.OwningSymbol)?.Block is { } typeBlock)
                    {
                        RunBoth(block, typeBlock, context);
                    }
                    else
                    {
                        block(context);
                    }
                }));
            }

            _symbols.Commit((action, kinds) => _start.RegisterSymbolAction(_filter.ForSymbol(action), kinds));
            _symbolStarts.Commit((action, kinds) => _start.RegisterSymbolStartAction(
                symbolStart =>
                {
                    var registry = new SymbolRegistry(symbolStart, _plans, _filter, kinds[0] == SymbolKind.NamedType ? routes : null);
                    try
                    {
                        action(registry);
                    }
                    finally
                    {
                        registry.Commit();
                    }
                },
                kinds[0]));
        }

        public override void RegisterOperationAction(Action<OperationAnalysisContext> action, ImmutableArray<OperationKind> operationKinds)
            => _operations.Add(action, operationKinds);

        public void AddInvocationAction(Action<OperationAnalysisContext> action, ImmutableHashSet<string> methodNames) => _operations.AddInvocation(action, methodNames);

        public override void RegisterOperationBlockAction(Action<OperationBlockAnalysisContext> action) => _blocks.Add(action);

        public override void RegisterSymbolAction(Action<SymbolAnalysisContext> action, ImmutableArray<SymbolKind> symbolKinds) => _symbols.Add(action, symbolKinds);

        public override void RegisterSymbolStartAction(Action<SymbolStartAnalysisContext> action, SymbolKind symbolKind) => _symbolStarts.Add(action, ImmutableArray.Create(symbolKind));

        public override void RegisterCompilationEndAction(Action<CompilationAnalysisContext> action) => _start.RegisterCompilationEndAction(_filter.ForCompilation(action));

        public override void RegisterOperationBlockStartAction(Action<OperationBlockStartAnalysisContext> action) => _start.RegisterOperationBlockStartAction(_filter.ForBlockStart(action));

        public override void RegisterSemanticModelAction(Action<SemanticModelAnalysisContext> action) => throw Unfiltered(nameof(RegisterSemanticModelAction));

        public override void RegisterCodeBlockStartAction<TLanguageKindEnum>(Action<CodeBlockStartAnalysisContext<TLanguageKindEnum>> action) => throw Unfiltered(nameof(RegisterCodeBlockStartAction));

        public override void RegisterCodeBlockAction(Action<CodeBlockAnalysisContext> action) => throw Unfiltered(nameof(RegisterCodeBlockAction));

        public override void RegisterSyntaxTreeAction(Action<SyntaxTreeAnalysisContext> action) => throw Unfiltered(nameof(RegisterSyntaxTreeAction));

        public override void RegisterAdditionalFileAction(Action<AdditionalFileAnalysisContext> action) => throw Unfiltered(nameof(RegisterAdditionalFileAction));

        public override void RegisterSyntaxNodeAction<TLanguageKindEnum>(Action<SyntaxNodeAnalysisContext> action, ImmutableArray<TLanguageKindEnum> syntaxKinds) => throw Unfiltered(nameof(RegisterSyntaxNodeAction));
    }

    /// <summary>The rules' view of one symbol start: merges what they register inside it, forwards operation block starts, refuses the rest.</summary>
    private sealed class SymbolRegistry : SymbolStartAnalysisContext, IInvocationRouter, ISymbolStartState
    {
        private readonly SymbolStartAnalysisContext _start;
        private readonly InvocationPlans _plans;
        private readonly GeneratedCodeFilter _filter;
        private readonly TypeRoutes? _routes;
        private readonly OperationActions _operations = new();
        private readonly List<Action<OperationBlockAnalysisContext>> _blocks = new();
        private readonly List<Action<SymbolAnalysisContext>> _ends = new();
        private readonly object _keptLock = new();
        private List<KeyValuePair<object, object>>? _kept;

#pragma warning disable CS0618 // Obsolete: meant to keep tests from faking the driver; here it wraps the driver's own context.
        public SymbolRegistry(SymbolStartAnalysisContext start, InvocationPlans plans, GeneratedCodeFilter filter, TypeRoutes? routes)
            : base(start.Symbol, start.Compilation, start.Options, start.CancellationToken)
        {
            _start = start;
            _plans = plans;
            _filter = filter;
            _routes = routes;
        }
#pragma warning restore CS0618

        public void Commit()
        {
            // A kind the compilation-level callbacks already have runs from them (see TypeRoutes); the others, and
            // everything of a symbol start that is not a type's, go to the driver.
            var routed = _routes?.Empty();
            foreach (var pair in _operations.Merged(_plans))
            {
                if (routed is not null && _routes!.Slot(pair.Key) is var slot && slot >= 0)
                {
                    routed.Operations[slot] = pair.Value;
                    routed.IsEmpty = false;
                }
                else
                {
                    _start.RegisterOperationAction(_filter.ForOperation(pair.Value), ImmutableArray.Create(pair.Key));
                }
            }

            if (_blocks.Count > 0)
            {
                if (routed is not null && _routes!.RoutesBlocks)
                {
                    routed.Block = FanOut(_blocks);
                    routed.IsEmpty = false;
                }
                else
                {
                    _start.RegisterOperationBlockAction(_filter.ForBlock(FanOut(_blocks)));
                }
            }

            if (routed is { IsEmpty: false })
            {
                _routes!.Add((INamedTypeSymbol)Symbol, routed);
            }

            if (_ends.Count > 0)
            {
                _start.RegisterSymbolEndAction(_filter.ForSymbol(FanOut(_ends)));
            }
        }

        // Values the rules share for this type (see ISymbolStartState); the rules' symbol starts run one after another.
        public object? Get(object key)
        {
            lock (_keptLock)
            {
                for (var i = 0; _kept is not null && i < _kept.Count; i++)
                {
                    if (ReferenceEquals(_kept[i].Key, key))
                    {
                        return _kept[i].Value;
                    }
                }

                return null;
            }
        }

        public object GetOrAdd(object key, object value)
        {
            lock (_keptLock)
            {
                if (Get(key) is { } first)
                {
                    return first;
                }

                (_kept ??= new List<KeyValuePair<object, object>>(2)).Add(new KeyValuePair<object, object>(key, value));
                return value;
            }
        }

        public override void RegisterOperationAction(Action<OperationAnalysisContext> action, ImmutableArray<OperationKind> operationKinds)
            => _operations.Add(action, operationKinds);

        public void AddInvocationAction(Action<OperationAnalysisContext> action, ImmutableHashSet<string> methodNames) => _operations.AddInvocation(action, methodNames);

        public override void RegisterOperationBlockAction(Action<OperationBlockAnalysisContext> action) => _blocks.Add(action);

        public override void RegisterSymbolEndAction(Action<SymbolAnalysisContext> action) => _ends.Add(action);

        public override void RegisterOperationBlockStartAction(Action<OperationBlockStartAnalysisContext> action) => _start.RegisterOperationBlockStartAction(_filter.ForBlockStart(action));

        public override void RegisterCodeBlockStartAction<TLanguageKindEnum>(Action<CodeBlockStartAnalysisContext<TLanguageKindEnum>> action) => throw Unfiltered(nameof(RegisterCodeBlockStartAction));

        public override void RegisterCodeBlockAction(Action<CodeBlockAnalysisContext> action) => throw Unfiltered(nameof(RegisterCodeBlockAction));

        public override void RegisterSyntaxNodeAction<TLanguageKindEnum>(Action<SyntaxNodeAnalysisContext> action, ImmutableArray<TLanguageKindEnum> syntaxKinds) => throw Unfiltered(nameof(RegisterSyntaxNodeAction));
    }
}
