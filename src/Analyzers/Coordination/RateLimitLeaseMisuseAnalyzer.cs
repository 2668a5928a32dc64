using System.Collections.Generic;
using System.Collections.Immutable;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Coordination;

/// <summary>
/// CONC604: a <c>RateLimitLease</c> from <c>RateLimiter</c>/<c>PartitionedRateLimiter&lt;T&gt;</c>
/// <c>AcquireAsync</c>/<c>AttemptAcquire</c> that is never disposed (a concurrency limiter loses its permits for good),
/// or whose <c>IsAcquired</c> is never read (the work runs even when the limiter said no). A lease that leaves the
/// method (returned, stored, passed on, captured) belongs to someone else and is not reported.
/// </summary>
public sealed partial class RateLimitLeaseMisuseAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property: "Declaration" when the lease is a local of a declaration statement (a fix may apply).</summary>
    public const string ShapeProperty = "Shape";
    public const string ShapeDeclaration = "Declaration";

    /// <summary>Diagnostic property: "true" when a <c>using</c> may be added to the declaration.</summary>
    public const string UsingFixableProperty = "UsingFixable";

    /// <summary>Diagnostic property: "true" when <c>if (!lease.IsAcquired) { return; }</c> may follow the declaration.</summary>
    public const string GuardFixableProperty = "GuardFixable";

    private const string Title = "Rate-limiter lease not disposed or not checked";
    private const string Description =
        "A RateLimitLease holds the permits it was granted until it is disposed: a ConcurrencyLimiter whose leases are " +
        "never disposed runs out of permits for good. A lease can also be a refusal: unless IsAcquired is checked, the " +
        "protected work runs even when the limiter said no, and the limit is not enforced. Dispose the lease with using " +
        "and return (or throw) when IsAcquired is false.";

    internal static readonly DiagnosticDescriptor NeitherRule = RuleDescriptors.Create(
        RuleIds.RateLimitLeaseMisuse, Title,
        "The lease {0} is never disposed and its IsAcquired is never checked: the work runs even when the limiter refuses, and granted permits are never given back",
        DiagnosticSeverity.Warning, Description);

    internal static readonly DiagnosticDescriptor NotDisposedRule = RuleDescriptors.Create(
        RuleIds.RateLimitLeaseMisuse, Title,
        "The lease {0} is never disposed: its permits are never given back to the limiter; dispose it with 'using'",
        DiagnosticSeverity.Warning, Description);

    internal static readonly DiagnosticDescriptor NotDisposedOnEveryPathRule = RuleDescriptors.Create(
        RuleIds.RateLimitLeaseMisuse, Title,
        "The lease {0} is not disposed on every path: a '{1}' leaves before Dispose; dispose it with 'using'",
        DiagnosticSeverity.Warning, Description);

    internal static readonly DiagnosticDescriptor NotCheckedRule = RuleDescriptors.Create(
        RuleIds.RateLimitLeaseMisuse, Title,
        "The lease {0} is used without checking IsAcquired: when the limiter refuses, the work runs anyway",
        DiagnosticSeverity.Warning, Description);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(NeitherRule, NotDisposedRule, NotDisposedOnEveryPathRule, NotCheckedRule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var types = KnownTypes.For(start.Compilation);
            var lease = types.Get("System.Threading.RateLimiting.RateLimitLease");
            var limiter = types.Get("System.Threading.RateLimiting.RateLimiter");
            var partitioned = types.Get("System.Threading.RateLimiting.PartitionedRateLimiter`1");
            if (lease is null || (limiter is null && partitioned is null))
            {
                return;
            }

            var symbols = new LeaseTypes(lease, limiter, partitioned);
            start.RegisterInvocationAction(c => AnalyzeInvocation(c, symbols), InvocationActions.Names("AcquireAsync", "AttemptAcquire"));
        });
    }

    private sealed class LeaseTypes
    {
        public LeaseTypes(INamedTypeSymbol lease, INamedTypeSymbol? limiter, INamedTypeSymbol? partitioned)
        {
            Lease = lease;
            Limiter = limiter;
            Partitioned = partitioned;
        }

        public INamedTypeSymbol Lease { get; }

        public INamedTypeSymbol? Limiter { get; }

        public INamedTypeSymbol? Partitioned { get; }
    }

    private static void AnalyzeInvocation(OperationAnalysisContext context, LeaseTypes types)
    {
        var invocation = (IInvocationOperation)context.Operation;
        if (invocation.TargetMethod.Name is not ("AcquireAsync" or "AttemptAcquire") ||
            !IsLimiter(invocation.TargetMethod.ContainingType, types))
        {
            return;
        }

        var leaseValue = LeaseValue(invocation);
        if (leaseValue is null || !leaseValue.Type.InheritsFromOrEquals(types.Lease))
        {
            return;
        }

        var location = invocation.Syntax.GetLocation();
        var name = "returned by " + invocation.TargetMethod.Name;
        switch (leaseValue.WalkUpConversions())
        {
            case IExpressionStatementOperation:
                context.ReportDiagnostic(Diagnostic.Create(NeitherRule, location, name));
                return;
            case ISimpleAssignmentOperation { Target: IDiscardOperation }:
                context.ReportDiagnostic(Diagnostic.Create(NeitherRule, location, name));
                return;
            case IUsingOperation:
                context.ReportDiagnostic(Diagnostic.Create(NotCheckedRule, location, name));
                return;
            case IPropertyReferenceOperation { Property.Name: "IsAcquired" }:
                context.ReportDiagnostic(Diagnostic.Create(NotDisposedRule, location, name));
                return;
            case IInvocationOperation { TargetMethod.Name: "Dispose" } dispose when dispose.Instance is not null:
                context.ReportDiagnostic(Diagnostic.Create(NotCheckedRule, location, name));
                return;
            case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                AnalyzeLocal(context, invocation, declarator);
                return;
            default:
                return; // returned, stored, passed on, combined: the lease belongs to whoever receives it
        }
    }

    private static bool IsLimiter(INamedTypeSymbol? type, LeaseTypes types)
        => type.InheritsFromOrEquals(types.Limiter) || type.InheritsFromOrEquals(types.Partitioned);

    /// <summary>The operation holding the lease: the call itself, or the <c>await</c> of it (through <c>ConfigureAwait</c>).</summary>
    private static IOperation? LeaseValue(IInvocationOperation invocation)
    {
        IOperation current = invocation;
        var parent = current.WalkUpConversions();
        if (parent is IInvocationOperation { TargetMethod.Name: "ConfigureAwait" } configure &&
            configure.Instance?.WalkDownConversions() == current)
        {
            current = configure;
            parent = current.WalkUpConversions();
        }

        if (parent is IAwaitOperation awaited)
        {
            return awaited;
        }

        return invocation.TargetMethod.Name == "AttemptAcquire" && current == invocation ? invocation : null;
    }

    private static void AnalyzeLocal(OperationAnalysisContext context, IInvocationOperation invocation, IVariableDeclaratorOperation declarator)
    {
        var local = declarator.Symbol;
        var function = invocation.GetEnclosingFunction();
        if (function is null || local.IsRef)
        {
            return;
        }

        var usage = LeaseUsage.Collect(local, function, declarator);
        if (usage.Escapes)
        {
            return;
        }

        string? exit = null;
        var disposed = usage.Disposed || (usage.Disposals.Count > 0 && !MissesDispose(declarator, usage.Disposals, local, out exit));
        if (disposed && usage.Checked)
        {
            return;
        }

        if (usage.Disposals.Count > 0 && !disposed && exit is null)
        {
            return; // disposed somewhere we cannot follow: trust it
        }

        var properties = FixProperties(context, declarator, usage, disposed);
        var name = "'" + local.Name + "'";
        var location = invocation.Syntax.GetLocation();
        if (!disposed && exit is not null)
        {
            context.ReportDiagnostic(Diagnostic.Create(NotDisposedOnEveryPathRule, location, properties, name, exit));
        }
        else if (!disposed && !usage.Checked)
        {
            context.ReportDiagnostic(Diagnostic.Create(NeitherRule, location, properties, name));
        }
        else if (!disposed)
        {
            context.ReportDiagnostic(Diagnostic.Create(NotDisposedRule, location, properties, name));
        }
        else
        {
            context.ReportDiagnostic(Diagnostic.Create(NotCheckedRule, location, properties, name));
        }
    }

    private static ImmutableDictionary<string, string?> FixProperties(OperationAnalysisContext context, IVariableDeclaratorOperation declarator, LeaseUsage usage, bool disposed)
    {
        var properties = ImmutableDictionary<string, string?>.Empty.Add(ShapeProperty, ShapeDeclaration);
        var function = declarator.GetEnclosingFunction();
        var method = FunctionSymbol(function, context.ContainingSymbol);
        if (!disposed && usage.Disposals.Count == 0 && !usage.InUsing && method is not null && !ReturnsUnawaitedWork(method))
        {
            properties = properties.Add(UsingFixableProperty, "true");
        }

        if (!usage.Checked && method is not null && PlainReturnIsValid(method) && !InLoopOrFinally(declarator, function))
        {
            properties = properties.Add(GuardFixableProperty, "true");
        }

        return properties;
    }

    private static IMethodSymbol? FunctionSymbol(IOperation? function, ISymbol owner) => function switch
    {
        IAnonymousFunctionOperation lambda => lambda.Symbol,
        ILocalFunctionOperation localFunction => localFunction.Symbol,
        _ => owner as IMethodSymbol,
    };

    private static bool IsPlainTask(ITypeSymbol type)
        => type is INamedTypeSymbol { Arity: 0, Name: "Task" or "ValueTask", ContainingNamespace: { Name: "Tasks", ContainingNamespace.Name: "Threading" } };

    /// <summary><c>return;</c> compiles: a void method, or an async method returning a non-generic task.</summary>
    private static bool PlainReturnIsValid(IMethodSymbol method)
    {
        return method.ReturnsVoid || (method.IsAsync && IsPlainTask(method.ReturnType));
    }

    /// <summary>A non-async method returning a task: disposing at its end would release the permits before the work ran.</summary>
    private static bool ReturnsUnawaitedWork(IMethodSymbol method)
        => !method.IsAsync && method.ReturnType is INamedTypeSymbol { Name: "Task" or "ValueTask" or "IAsyncEnumerable" or "IEnumerable" or "IEnumerator" };

    private static bool InLoopOrFinally(IOperation operation, IOperation? function)
    {
        for (var current = operation.Parent; current is not null && current != function; current = current.Parent)
        {
            if (current is ILoopOperation ||
                current is IBlockOperation { Parent: ITryOperation tryOperation } block && tryOperation.Finally == block)
            {
                return true;
            }
        }

        return false;
    }
}
