using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Internals;

/// <summary>
/// Invocation actions for calls of methods with given names. Most rules care about a handful of APIs and used to
/// start every invocation callback with a name test; declaring the names instead lets <see cref="RuleHost"/> route a
/// call only to the rules that want its method name, so the other calls (most of them) reach none of these rules.
/// </summary>
/// <remarks>
/// The names must cover every call the action can report on or record (an action still checks the containing type
/// itself). A rule run on its own, as in its tests, gets an ordinary invocation action that tests the name first, so
/// the tests check that the names are enough.
/// </remarks>
internal static class InvocationActions
{
    public static void RegisterInvocationAction(this CompilationStartAnalysisContext context, Action<OperationAnalysisContext> action, ImmutableHashSet<string> methodNames)
    {
        if (context is IInvocationRouter router)
        {
            router.AddInvocationAction(action, methodNames);
        }
        else
        {
            context.RegisterOperationAction(Filtered(action, methodNames), OperationKind.Invocation);
        }
    }

    public static void RegisterInvocationAction(this SymbolStartAnalysisContext context, Action<OperationAnalysisContext> action, ImmutableHashSet<string> methodNames)
    {
        if (context is IInvocationRouter router)
        {
            router.AddInvocationAction(action, methodNames);
        }
        else
        {
            context.RegisterOperationAction(Filtered(action, methodNames), OperationKind.Invocation);
        }
    }

    /// <summary>A set of method names (ordinal).</summary>
    public static ImmutableHashSet<string> Names(params string[] names) => ImmutableHashSet.Create(StringComparer.Ordinal, names);

    private static Action<OperationAnalysisContext> Filtered(Action<OperationAnalysisContext> action, ImmutableHashSet<string> methodNames)
        => context =>
        {
            if (methodNames.Contains(((IInvocationOperation)context.Operation).TargetMethod.Name))
            {
                action(context);
            }
        };
}

/// <summary>A registration context that routes invocation actions by method name (the host's).</summary>
internal interface IInvocationRouter
{
    void AddInvocationAction(Action<OperationAnalysisContext> action, ImmutableHashSet<string> methodNames);
}

/// <summary>
/// The invocation actions of one registration context, in registration order: those for every call, and those for
/// named methods. <see cref="Callback"/> makes them one callback that runs, for a call, the actions for every call and
/// those for its method name, in registration order, after one name lookup.
/// </summary>
internal sealed class InvocationTable
{
    private readonly List<Action<OperationAnalysisContext>> _actions = new();
    private readonly List<ImmutableHashSet<string>?> _names = new();

    public bool IsEmpty => _actions.Count == 0;

    public void Add(Action<OperationAnalysisContext> action, ImmutableHashSet<string>? names)
    {
        _actions.Add(action);
        _names.Add(names);
    }

    public Action<OperationAnalysisContext> Callback(InvocationPlans plans)
    {
        var actions = _actions.ToArray();
        var plan = plans.For(_names);
        if (!plan.HasRouted)
        {
            return RuleHost.FanOut(_actions);
        }

        return context => RuleHost.RunEach(actions, plan.Select(((IInvocationOperation)context.Operation).TargetMethod.Name), context);
    }
}

/// <summary>
/// The invocation plans of one compilation. A plan depends only on the sequence of name sets a table holds, and the
/// rules register the same sets at every symbol start, so the tables of all symbol starts share a few plans instead
/// of each building its own (symbol starts run once per type).
/// </summary>
internal sealed class InvocationPlans
{
    private readonly List<InvocationPlan> _plans = new();

    public InvocationPlan For(List<ImmutableHashSet<string>?> names)
    {
        lock (_plans)
        {
            foreach (var plan in _plans)
            {
                if (plan.Matches(names))
                {
                    return plan;
                }
            }

            var created = new InvocationPlan(names.ToArray());
            _plans.Add(created);
            return created;
        }
    }
}

/// <summary>Which of a table's actions run for a method name, as positions in registration order.</summary>
internal sealed class InvocationPlan
{
    private readonly ImmutableHashSet<string>?[] _key;
    private readonly Dictionary<string, int[]> _byName = new(StringComparer.Ordinal);
    private readonly int[] _forEveryCall;

    // Most calls are to none of the routed names: a table by length and first and last character turns most of them
    // away before the name is hashed.
    private readonly bool[] _mayBeRouted = new bool[16 * 32 * 32];

    public InvocationPlan(ImmutableHashSet<string>?[] key)
    {
        _key = key;
        var forEveryCall = new List<int>();
        var all = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < key.Length; i++)
        {
            if (key[i] is { } names)
            {
                all.UnionWith(names);
            }
            else
            {
                forEveryCall.Add(i);
            }
        }

        _forEveryCall = forEveryCall.ToArray();
        foreach (var name in all)
        {
            var order = new List<int>();
            for (var i = 0; i < key.Length; i++)
            {
                if (key[i] is not { } names || names.Contains(name))
                {
                    order.Add(i);
                }
            }

            _byName.Add(name, order.ToArray());
            _mayBeRouted[Slot(name)] = true;
        }
    }

    public bool HasRouted => _byName.Count > 0;

    /// <summary>The positions of the actions that run for a call of <paramref name="name"/>, in registration order.</summary>
    public int[] Select(string name)
        => _mayBeRouted[Slot(name)] && _byName.TryGetValue(name, out var order) ? order : _forEveryCall;

    /// <summary>The same name sets in the same order (the same set objects, mostly: rules keep them in static fields).</summary>
    public bool Matches(List<ImmutableHashSet<string>?> names)
    {
        if (names.Count != _key.Length)
        {
            return false;
        }

        for (var i = 0; i < _key.Length; i++)
        {
            var (mine, theirs) = (_key[i], names[i]);
            if (!ReferenceEquals(mine, theirs) && (mine is null || theirs is null || mine.Count != theirs.Count || !mine.SetEquals(theirs)))
            {
                return false;
            }
        }

        return true;
    }

    private static int Slot(string name)
        => name.Length == 0 ? 0 : ((name.Length & 15) << 10) | ((name[0] & 31) << 5) | (name[name.Length - 1] & 31);
}
