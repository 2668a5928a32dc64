using System.Collections.Immutable;
using ConcurrencyAnalyzers.Internals;
using Xunit;

namespace ConcurrencyAnalyzers.Tests.Internals;

/// <summary>
/// The host's routing plan: which invocation actions run for a method name, and the plans a compilation's symbol
/// starts share. The host tests check the routing end to end; these pin the plan itself.
/// </summary>
public sealed class InvocationPlanTests
{
    private static readonly ImmutableHashSet<string> Waits = InvocationActions.Names("Wait", "WaitAsync");
    private static readonly ImmutableHashSet<string> Releases = InvocationActions.Names("Release", "Wait");

    [Fact]
    public void A_name_selects_the_actions_that_asked_for_it_and_those_for_every_call_in_registration_order()
    {
        var plan = new InvocationPlans().For(new() { Waits, null, Releases, null });

        Assert.True(plan.HasRouted);
        Assert.Equal(new[] { 0, 1, 2, 3 }, plan.Select("Wait"));
        Assert.Equal(new[] { 0, 1, 3 }, plan.Select("WaitAsync"));
        Assert.Equal(new[] { 1, 2, 3 }, plan.Select("Release"));

        // Other names, including ones the prefilter cannot tell from a routed name (same length, first and last letter).
        Assert.Equal(new[] { 1, 3 }, plan.Select("ToString"));
        Assert.Equal(new[] { 1, 3 }, plan.Select("Wxit"));
        Assert.Equal(new[] { 1, 3 }, plan.Select("wait"));
        Assert.Equal(new[] { 1, 3 }, plan.Select(string.Empty));
    }

    [Fact]
    public void Tables_with_the_same_name_sets_share_a_plan_and_other_tables_do_not()
    {
        var plans = new InvocationPlans();
        var first = plans.For(new() { Waits, null });

        Assert.Same(first, plans.For(new() { Waits, null }));
        Assert.Same(first, plans.For(new() { InvocationActions.Names("WaitAsync", "Wait"), null })); // equal, not the same set
        Assert.NotSame(first, plans.For(new() { null, Waits }));
        Assert.NotSame(first, plans.For(new() { Waits }));
        Assert.NotSame(first, plans.For(new() { Releases, null }));
        Assert.NotSame(first, plans.For(new() { InvocationActions.Names("Wait"), null }));
    }

    [Fact]
    public void A_table_without_names_routes_nothing()
    {
        var plan = new InvocationPlans().For(new() { null, null });

        Assert.False(plan.HasRouted);
        Assert.Equal(new[] { 0, 1 }, plan.Select("Wait"));
    }
}
