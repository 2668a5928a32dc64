using System.Collections.Concurrent;
using System.Collections.Immutable;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Locking;

/// <summary>
/// CONC203: a SemaphoreSlim wait inside the <c>try</c> whose <c>finally</c> releases it; a timed wait whose <c>bool</c>
/// result is ignored; a synchronous <c>Wait()</c> in async code.
/// </summary>
public sealed class SemaphoreSlimMisuseAnalyzer : DiagnosticAnalyzer
{
    public const string FixProperty = "Fix";
    public const string FixMoveBeforeTry = "MoveBeforeTry";
    public const string FixWaitAsync = "WaitAsync";
    public const string FixMaxCount = "MaxCount";

    /// <summary>For <see cref="FixWaitAsync"/>: the cancellation token parameter to pass, when there is exactly one.</summary>
    public const string TokenProperty = "Token";

    private const string Title = "SemaphoreSlim used as an async lock incorrectly";
    private const string Description =
        "A SemaphoreSlim used as an async lock must be awaited with WaitAsync before the try whose finally releases it: " +
        "a wait inside the try releases a slot it never took when it throws or is cancelled (the count grows past one and " +
        "mutual exclusion is gone). A timed wait returns false on timeout, and the code must not enter the critical " +
        "section then. A synchronous Wait() in async code blocks a thread-pool thread.";

    internal static readonly DiagnosticDescriptor InsideTryRule = RuleDescriptors.Create(
        RuleIds.SemaphoreSlimMisuse,
        Title,
        "'{0}' waits inside the try whose finally releases it: if the wait throws or is cancelled, Release() frees a slot that was never taken; wait before the try",
        DiagnosticSeverity.Warning,
        Description);

    internal static readonly DiagnosticDescriptor IgnoredResultRule = RuleDescriptors.Create(
        RuleIds.SemaphoreSlimMisuse,
        Title,
        "The result of the timed '{0}' is ignored: on timeout the code runs without the semaphore",
        DiagnosticSeverity.Warning,
        Description);

    internal static readonly DiagnosticDescriptor SyncWaitRule = RuleDescriptors.Create(
        RuleIds.SemaphoreSlimMisuse,
        Title,
        "'{0}' blocks a thread in async code; use 'await {0}Async'",
        DiagnosticSeverity.Warning,
        Description);

    internal static readonly DiagnosticDescriptor NoMaxCountRule = RuleDescriptors.Create(
        RuleIds.SemaphoreSlimMisuse,
        Title,
        "'{0}' is used as a lock but created without maxCount: one Release() too many raises its count to 2 and two callers enter at once; use new SemaphoreSlim(1, 1)",
        DiagnosticSeverity.Info,
        Description);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(InsideTryRule, IgnoredResultRule, SyncWaitRule, NoMaxCountRule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var types = KnownTypes.For(start.Compilation);
            if (types.SemaphoreSlim is null)
            {
                return;
            }

            start.RegisterInvocationAction(c => Analyze(c, types), LockApis.MethodNames);
            start.RegisterSymbolStartAction(s => AnalyzeMaxCount(s, types), SymbolKind.NamedType);
        });
    }

    /// <summary>
    /// A private field created as <c>new SemaphoreSlim(1)</c> whose every <c>Release()</c> is in a <c>finally</c> of a
    /// method that also waits on it: a mutex without a ceiling. Semaphores released elsewhere (signals, throttles) stay silent.
    /// </summary>
    private static void AnalyzeMaxCount(SymbolStartAnalysisContext context, KnownTypes types)
    {
        // Only a private field of the type can hold the semaphore: a type without one that could (most types) is left at once.
        var mayHold = false;
        var type = (INamedTypeSymbol)context.Symbol;
        foreach (var member in type.GetMembers())
        {
            if (member is IFieldSymbol { DeclaredAccessibility: Accessibility.Private, IsConst: false, Type: var fieldType } &&
                (fieldType.Is(types.SemaphoreSlim) || fieldType.SpecialType == SpecialType.System_Object || fieldType.Is(types.IDisposable)))
            {
                mayHold = true;
                break;
            }
        }

        // The report needs a Release() in the type: a type that names no lock API (most types) is left too.
        if (!mayHold || !SourceMentions.Any(type, LockScan.LockNames, types))
        {
            return;
        }

        var created = new LockedMap<IFieldSymbol, Location>(SymbolEqualityComparer.Default);
        var lockUse = new LockedMap<IFieldSymbol, bool>(SymbolEqualityComparer.Default);
        var otherUse = new LockedMap<IFieldSymbol, bool>(SymbolEqualityComparer.Default);

        context.RegisterOperationAction(
            c =>
            {
                var creation = (IObjectCreationOperation)c.Operation;
                if (creation.Type.Is(types.SemaphoreSlim) && creation.Arguments.Length == 1 &&
                    creation.Arguments[0].Value.ConstantValue is { HasValue: true, Value: 1 } &&
                    CreatedField(creation) is { DeclaredAccessibility: Accessibility.Private } field &&
                    SymbolEqualityComparer.Default.Equals(field.ContainingType, type.OriginalDefinition))
                {
                    created.TryAdd(field, creation.Syntax.GetLocation());
                }
            },
            OperationKind.ObjectCreation);

        context.RegisterInvocationAction(
            c =>
            {
                var invocation = (IInvocationOperation)c.Operation;
                if (!LockApis.TryGetLockCall(invocation, types, out var call) || call.Kind != LockKind.SemaphoreSlim ||
                    call.Action != LockAction.Release || call.Key is not IFieldSymbol field)
                {
                    return;
                }

                if (invocation.Arguments.Length == 0 && IsInFinally(invocation) && invocation.GetEnclosingFunction() is { } function &&
                    Acquires(function, field, types))
                {
                    lockUse.TryAdd(field, true);
                }
                else
                {
                    otherUse.TryAdd(field, true);
                }
            },
            InvocationActions.Names("Release"));

        context.RegisterSymbolEndAction(c =>
        {
            foreach (var entry in created)
            {
                if (lockUse.ContainsKey(entry.Key) && !otherUse.ContainsKey(entry.Key))
                {
                    c.ReportDiagnostic(Diagnostic.Create(
                        NoMaxCountRule, entry.Value, ImmutableDictionary<string, string?>.Empty.Add(FixProperty, FixMaxCount), entry.Key.Name));
                }
            }
        });
    }

    private static IFieldSymbol? CreatedField(IObjectCreationOperation creation)
        => creation.WalkUpConversions() switch
        {
            IFieldInitializerOperation { InitializedFields.Length: 1 } initializer => initializer.InitializedFields[0].OriginalDefinition,
            ISimpleAssignmentOperation { Target: IFieldReferenceOperation target } => target.Field.OriginalDefinition,
            _ => null,
        };

    private static bool IsInFinally(IOperation operation)
    {
        var child = operation;
        for (var parent = operation.Parent; parent is not null; child = parent, parent = parent.Parent)
        {
            if (parent is ITryOperation tryOperation && ReferenceEquals(tryOperation.Finally, child))
            {
                return true;
            }

            if (parent is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return false;
            }
        }

        return false;
    }

    private static bool Acquires(IOperation function, IFieldSymbol field, KnownTypes types)
    {
        foreach (var descendant in function.EnumerateDescendants())
        {
            if (descendant is IInvocationOperation candidate && LockApis.TryGetLockCall(candidate, types, out var call) &&
                call.Kind == LockKind.SemaphoreSlim && call.IsAcquire && SymbolEqualityComparer.Default.Equals(call.Key, field.OriginalDefinition))
            {
                return true;
            }
        }

        return false;
    }

    private static void Analyze(OperationAnalysisContext context, KnownTypes types)
    {
        var invocation = (IInvocationOperation)context.Operation;
        if (!LockApis.TryGetLockCall(invocation, types, out var call) || call.Kind != LockKind.SemaphoreSlim || !call.IsAcquire)
        {
            return;
        }

        var name = invocation.TargetMethod.Name;
        var location = invocation.Syntax is Microsoft.CodeAnalysis.CSharp.Syntax.InvocationExpressionSyntax { Expression: Microsoft.CodeAnalysis.CSharp.Syntax.MemberAccessExpressionSyntax access }
            ? access.Name.GetLocation()
            : invocation.Syntax.GetLocation();

        var statement = StatementOf(invocation);
        if (statement is { Parent: IBlockOperation { Parent: ITryOperation { Finally: { } finallyBlock } tryOperation } body } &&
            ReferenceEquals(tryOperation.Body, body) && call.Key is { } key && ReleasesUnconditionally(finallyBlock, key, types))
        {
            var properties = ImmutableDictionary<string, string?>.Empty;
            if (call.Action == LockAction.Acquire && body.Operations.IndexOf(statement) == 0 && (call.IsAsync || !IsInAsyncCode(invocation, context.ContainingSymbol)))
            {
                properties = properties.Add(FixProperty, FixMoveBeforeTry);
            }

            context.ReportDiagnostic(Diagnostic.Create(InsideTryRule, location, properties, name));
            return;
        }

        // Only a semaphore used as a lock here (released in this method): a signal semaphore waited with a timeout polls.
        if (call.Action == LockAction.TryAcquire && statement is not null && call.Key is { } timedKey &&
            invocation.GetEnclosingFunction() is { } function && LockRegions.Releases(function, timedKey, types))
        {
            context.ReportDiagnostic(Diagnostic.Create(IgnoredResultRule, location, name));
            return;
        }

        // Wait(0) polls; the sync branch of a dual-path method (if (async) await WaitAsync(); else Wait();) is the sync API.
        if (!call.IsAsync && IsSyncWaitInAsyncCode(invocation, context.ContainingSymbol))
        {
            var properties = ImmutableDictionary<string, string?>.Empty;
            if (call.Action == LockAction.Acquire && statement is not null && invocation.Arguments.Length <= 1)
            {
                properties = properties.Add(FixProperty, FixWaitAsync);
                if (invocation.Arguments.Length == 0 && SingleTokenParameter(invocation, context.ContainingSymbol, types) is { } token)
                {
                    properties = properties.Add(TokenProperty, token);
                }
            }

            context.ReportDiagnostic(Diagnostic.Create(SyncWaitRule, location, properties, name));
        }
    }

    /// <summary>The expression statement the call (or its await) forms, or null when its value is used.</summary>
    private static IExpressionStatementOperation? StatementOf(IInvocationOperation invocation)
    {
        var parent = invocation.WalkUpConversionsAndConfigureAwait();
        if (parent is IAwaitOperation)
        {
            parent = parent.WalkUpConversions();
        }

        return parent as IExpressionStatementOperation;
    }

    private static bool ReleasesUnconditionally(IBlockOperation finallyBlock, ISymbol key, KnownTypes types)
    {
        foreach (var statement in finallyBlock.Operations)
        {
            if (LockRegions.TryGetStatementCall(statement, types, out var call, out _) &&
                call.Action == LockAction.Release && SymbolEqualityComparer.Default.Equals(call.Key, key))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// A synchronous <c>SemaphoreSlim.Wait(...)</c> that blocks a thread in async code: not a zero-timeout poll, not the
    /// sync branch of a dual-path method. CONC203 reports every such call (as a sync wait, or inside-try/ignored result),
    /// so CONC401 leaves it: the fix to <c>await WaitAsync(token)</c> passes the token too.
    /// </summary>
    internal static bool IsSyncWaitInAsyncCode(IInvocationOperation invocation, ISymbol containingSymbol)
        => IsInAsyncCode(invocation, containingSymbol) && !LockApis.HasZeroTimeout(invocation) &&
           !DualPathAsync.IsOnSyncPath(invocation.Syntax, EnclosingFunctionSymbol(invocation, containingSymbol));

    /// <summary>Whether CONC203 reports the call as a blocking acquire of a <c>SemaphoreSlim</c> in async code.</summary>
    internal static bool ReportsSyncWait(IInvocationOperation invocation, ISymbol containingSymbol, KnownTypes types)
        => invocation.TargetMethod.Name == "Wait" && types.SemaphoreSlim is not null &&
           LockApis.TryGetLockCall(invocation, types, out var call) && call.Kind == LockKind.SemaphoreSlim && call.IsAcquire &&
           !call.IsAsync && IsSyncWaitInAsyncCode(invocation, containingSymbol);

    internal static bool IsInAsyncCode(IOperation operation, ISymbol containingSymbol)
    {
        for (var parent = operation.Parent; parent is not null; parent = parent.Parent)
        {
            switch (parent)
            {
                case IAnonymousFunctionOperation lambda:
                    return lambda.Symbol.IsAsync;
                case ILocalFunctionOperation local:
                    return local.Symbol.IsAsync;
            }
        }

        return containingSymbol is IMethodSymbol { IsAsync: true };
    }

    private static ISymbol? EnclosingFunctionSymbol(IOperation operation, ISymbol containingSymbol)
        => operation.GetEnclosingFunction() switch
        {
            IAnonymousFunctionOperation lambda => lambda.Symbol,
            ILocalFunctionOperation local => local.Symbol,
            _ => containingSymbol,
        };

    private static string? SingleTokenParameter(IOperation operation, ISymbol containingSymbol, KnownTypes types)
    {
        IMethodSymbol? function = containingSymbol as IMethodSymbol;
        for (var parent = operation.Parent; parent is not null; parent = parent.Parent)
        {
            if (parent is IAnonymousFunctionOperation lambda)
            {
                function = lambda.Symbol;
                break;
            }

            if (parent is ILocalFunctionOperation local)
            {
                function = local.Symbol;
                break;
            }
        }

        string? found = null;
        foreach (var parameter in function?.Parameters ?? ImmutableArray<IParameterSymbol>.Empty)
        {
            if (parameter.Type.Is(types.CancellationToken))
            {
                if (found is not null)
                {
                    return null;
                }

                found = parameter.Name;
            }
        }

        return found;
    }
}
