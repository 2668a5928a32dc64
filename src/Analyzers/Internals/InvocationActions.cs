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
/// named methods. Each method name gets its own array of the actions that run for it, so a call costs one lookup.
/// </summary>
internal sealed class InvocationTable
{
    private readonly List<(Action<OperationAnalysisContext> Action, ImmutableHashSet<string>? Names)> _actions = new();

    public bool IsEmpty => _actions.Count == 0;

    public bool HasRouted { get; private set; }

    public void Add(Action<OperationAnalysisContext> action, ImmutableHashSet<string>? names)
    {
        _actions.Add((action, names));
        HasRouted |= names is not null;
    }

    /// <summary>The actions for calls of <paramref name="name"/> (null: the actions for every call).</summary>
    public List<Action<OperationAnalysisContext>> For(string? name)
    {
        var list = new List<Action<OperationAnalysisContext>>();
        foreach (var (action, names) in _actions)
        {
            if (names is null || (name is not null && names.Contains(name)))
            {
                list.Add(action);
            }
        }

        return list;
    }

    /// <summary>The method names some action asked for.</summary>
    public HashSet<string> RoutedNames()
    {
        var all = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (_, names) in _actions)
        {
            if (names is not null)
            {
                all.UnionWith(names);
            }
        }

        return all;
    }
}
