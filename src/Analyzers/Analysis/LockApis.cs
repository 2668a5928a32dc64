using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Analysis;

/// <summary>The synchronization primitive behind a lock call.</summary>
internal enum LockKind
{
    Monitor,
    Lock,
    Mutex,
    SemaphoreSlim,
    ReaderWriterLockSlim,
    SpinLock,
}

/// <summary>What a lock call does.</summary>
internal enum LockAction
{
    /// <summary>Takes the lock unconditionally (<c>Monitor.Enter</c>, <c>Wait()</c>, <c>EnterWriteLock</c>, <c>EnterScope</c>, ...).</summary>
    Acquire,

    /// <summary>Takes the lock only when it returns <c>true</c> or sets its <c>lockTaken</c> argument.</summary>
    TryAcquire,

    Release,

    /// <summary><c>Monitor.Wait</c>: releases and re-acquires the lock.</summary>
    Wait,

    /// <summary><c>Monitor.Pulse</c> / <c>PulseAll</c>.</summary>
    Pulse,
}

/// <summary>The mode of a reader/writer lock call; <see cref="Exclusive"/> for every other primitive.</summary>
internal enum LockMode
{
    Exclusive,
    Read,
    UpgradeableRead,
    Write,
}

/// <summary>One recognized lock call.</summary>
internal readonly struct LockCall
{
    public LockCall(LockKind kind, LockAction action, LockMode mode, IOperation? lockExpression, IArgumentOperation? lockTaken, bool isAsync, bool isScope)
    {
        Kind = kind;
        Action = action;
        Mode = mode;
        LockExpression = lockExpression;
        LockTaken = lockTaken;
        IsAsync = isAsync;
        IsScope = isScope;
    }

    public LockKind Kind { get; }

    public LockAction Action { get; }

    public LockMode Mode { get; }

    /// <summary>The expression that names the lock: the receiver, or Monitor's first argument.</summary>
    public IOperation? LockExpression { get; }

    /// <summary>The <c>ref bool lockTaken</c> argument, when the overload has one.</summary>
    public IArgumentOperation? LockTaken { get; }

    /// <summary><c>SemaphoreSlim.WaitAsync</c>.</summary>
    public bool IsAsync { get; }

    /// <summary><c>Lock.EnterScope()</c>: released by disposing the returned scope.</summary>
    public bool IsScope { get; }

    /// <summary>The lock's owner is a thread: releasing it on another thread throws or leaks it.</summary>
    public bool IsThreadAffine => Kind is not LockKind.SemaphoreSlim;

    /// <summary>The call takes the lock (unconditionally, or conditionally with a result or <c>lockTaken</c>).</summary>
    public bool IsAcquire => Action is LockAction.Acquire or LockAction.TryAcquire;

    /// <summary>The field, local or parameter the lock expression names, or null when it names none.</summary>
    public ISymbol? Key => LockApis.GetKey(LockExpression);
}

/// <summary>
/// Recognizes acquire / release / try-acquire calls of Monitor, System.Threading.Lock, Mutex, SemaphoreSlim,
/// ReaderWriterLockSlim and SpinLock, and names the lock they act on.
/// </summary>
internal static class LockApis
{
    /// <summary>True when <paramref name="invocation"/> is a call of a known lock API; <paramref name="call"/> describes it.</summary>
    public static bool TryGetLockCall(IInvocationOperation invocation, KnownTypes types, out LockCall call)
    {
        call = default;
        var method = invocation.TargetMethod;
        var containing = method.ContainingType;
        if (containing is null)
        {
            return false;
        }

        var name = method.Name;
        if (!IsLockMethodName(name))
        {
            // Most calls are not lock calls: a string switch rules them out before any type test.
            return false;
        }

        if (method.IsStatic)
        {
            if (!containing.Is(types.Monitor) || invocation.Arguments.Length == 0)
            {
                return false;
            }

            var target = ArgumentFor(invocation, 0)?.Value;
            var lockTaken = FindLockTaken(invocation);
            switch (name)
            {
                case "Enter":
                    call = new LockCall(LockKind.Monitor, LockAction.Acquire, LockMode.Exclusive, target, lockTaken, isAsync: false, isScope: false);
                    return true;
                case "TryEnter":
                    call = new LockCall(LockKind.Monitor, LockAction.TryAcquire, LockMode.Exclusive, target, lockTaken, isAsync: false, isScope: false);
                    return true;
                case "Exit":
                    call = new LockCall(LockKind.Monitor, LockAction.Release, LockMode.Exclusive, target, null, isAsync: false, isScope: false);
                    return true;
                case "Wait":
                    call = new LockCall(LockKind.Monitor, LockAction.Wait, LockMode.Exclusive, target, null, isAsync: false, isScope: false);
                    return true;
                case "Pulse":
                case "PulseAll":
                    call = new LockCall(LockKind.Monitor, LockAction.Pulse, LockMode.Exclusive, target, null, isAsync: false, isScope: false);
                    return true;
                default:
                    return false;
            }
        }

        var instance = invocation.Instance;
        if (instance is null)
        {
            return false;
        }

        if (types.Lock is not null && containing.Is(types.Lock))
        {
            return name switch
            {
                "Enter" => Make(LockKind.Lock, LockAction.Acquire, LockMode.Exclusive, out call),
                "TryEnter" => Make(LockKind.Lock, LockAction.TryAcquire, LockMode.Exclusive, out call),
                "Exit" => Make(LockKind.Lock, LockAction.Release, LockMode.Exclusive, out call),
                "EnterScope" => MakeScope(out call),
                _ => false,
            };
        }

        if (containing.Is(types.SemaphoreSlim))
        {
            var timed = method.ReturnType.SpecialType == SpecialType.System_Boolean ||
                        (method.ReturnType is INamedTypeSymbol { IsGenericType: true } generic && generic.TypeArguments[0].SpecialType == SpecialType.System_Boolean);
            return name switch
            {
                "Wait" => Make(LockKind.SemaphoreSlim, timed ? LockAction.TryAcquire : LockAction.Acquire, LockMode.Exclusive, out call),
                "WaitAsync" => Make(LockKind.SemaphoreSlim, timed ? LockAction.TryAcquire : LockAction.Acquire, LockMode.Exclusive, out call, isAsync: true),
                "Release" => Make(LockKind.SemaphoreSlim, LockAction.Release, LockMode.Exclusive, out call),
                _ => false,
            };
        }

        if (containing.Is(types.ReaderWriterLockSlim))
        {
            return name switch
            {
                "EnterReadLock" => Make(LockKind.ReaderWriterLockSlim, LockAction.Acquire, LockMode.Read, out call),
                "EnterWriteLock" => Make(LockKind.ReaderWriterLockSlim, LockAction.Acquire, LockMode.Write, out call),
                "EnterUpgradeableReadLock" => Make(LockKind.ReaderWriterLockSlim, LockAction.Acquire, LockMode.UpgradeableRead, out call),
                "TryEnterReadLock" => Make(LockKind.ReaderWriterLockSlim, LockAction.TryAcquire, LockMode.Read, out call),
                "TryEnterWriteLock" => Make(LockKind.ReaderWriterLockSlim, LockAction.TryAcquire, LockMode.Write, out call),
                "TryEnterUpgradeableReadLock" => Make(LockKind.ReaderWriterLockSlim, LockAction.TryAcquire, LockMode.UpgradeableRead, out call),
                "ExitReadLock" => Make(LockKind.ReaderWriterLockSlim, LockAction.Release, LockMode.Read, out call),
                "ExitWriteLock" => Make(LockKind.ReaderWriterLockSlim, LockAction.Release, LockMode.Write, out call),
                "ExitUpgradeableReadLock" => Make(LockKind.ReaderWriterLockSlim, LockAction.Release, LockMode.UpgradeableRead, out call),
                _ => false,
            };
        }

        if (containing.Is(types.SpinLock))
        {
            return name switch
            {
                "Enter" => Make(LockKind.SpinLock, LockAction.Acquire, LockMode.Exclusive, out call),
                "TryEnter" => Make(LockKind.SpinLock, LockAction.TryAcquire, LockMode.Exclusive, out call),
                "Exit" => Make(LockKind.SpinLock, LockAction.Release, LockMode.Exclusive, out call),
                _ => false,
            };
        }

        if (types.Mutex is not null && instance.Type.InheritsFromOrEquals(types.Mutex))
        {
            if (name == "ReleaseMutex")
            {
                return Make(LockKind.Mutex, LockAction.Release, LockMode.Exclusive, out call);
            }

            if (name == "WaitOne")
            {
                // WaitOne() blocks until owned; the timed overloads return whether it was taken.
                return Make(LockKind.Mutex, method.Parameters.Length == 0 ? LockAction.Acquire : LockAction.TryAcquire, LockMode.Exclusive, out call);
            }
        }

        return false;

        bool Make(LockKind kind, LockAction action, LockMode mode, out LockCall result, bool isAsync = false)
        {
            result = new LockCall(kind, action, mode, instance, FindLockTaken(invocation), isAsync, isScope: false);
            return true;
        }

        bool MakeScope(out LockCall result)
        {
            result = new LockCall(LockKind.Lock, LockAction.Acquire, LockMode.Exclusive, instance, null, isAsync: false, isScope: true);
            return true;
        }
    }

    /// <summary>Every method name <see cref="TryGetLockCall"/> recognizes, on any of the lock types.</summary>
    /// <summary>The names of the methods <see cref="TryGetLockCall"/> knows (for <see cref="InvocationActions"/>).</summary>
    public static readonly System.Collections.Immutable.ImmutableHashSet<string> MethodNames = InvocationActions.Names(
        "Enter", "TryEnter", "Exit", "Wait", "Pulse", "PulseAll", "EnterScope", "WaitAsync", "Release",
        "EnterReadLock", "EnterWriteLock", "EnterUpgradeableReadLock",
        "TryEnterReadLock", "TryEnterWriteLock", "TryEnterUpgradeableReadLock",
        "ExitReadLock", "ExitWriteLock", "ExitUpgradeableReadLock",
        "ReleaseMutex", "WaitOne");

    private static bool IsLockMethodName(string name) => name switch
    {
        "Enter" or "TryEnter" or "Exit" or "Wait" or "Pulse" or "PulseAll" or "EnterScope" or "WaitAsync" or "Release" or
        "EnterReadLock" or "EnterWriteLock" or "EnterUpgradeableReadLock" or
        "TryEnterReadLock" or "TryEnterWriteLock" or "TryEnterUpgradeableReadLock" or
        "ExitReadLock" or "ExitWriteLock" or "ExitUpgradeableReadLock" or
        "ReleaseMutex" or "WaitOne" => true,
        _ => false,
    };

    /// <summary>
    /// The symbol naming a lock expression: a field, local, parameter or property (through conversions and
    /// parentheses); the containing type for <c>this</c>; the type for <c>typeof(T)</c>; null otherwise.
    /// </summary>
    public static ISymbol? GetKey(IOperation? expression)
    {
        if (expression is null)
        {
            return null;
        }

        switch (expression.WalkDownConversions())
        {
            case IFieldReferenceOperation field:
                return field.Field.OriginalDefinition;
            case ILocalReferenceOperation local:
                return local.Local;
            case IParameterReferenceOperation parameter:
                return parameter.Parameter;
            case IPropertyReferenceOperation { Arguments.Length: 0 } property:
                return property.Property.OriginalDefinition;
            case IInstanceReferenceOperation instance:
                return instance.Type;
            case ITypeOfOperation typeOf:
                return typeOf.TypeOperand;
            default:
                return null;
        }
    }

    /// <summary>
    /// The semaphore <paramref name="key"/> (a field or local) is declared with an initial count of zero:
    /// <c>new SemaphoreSlim(0)</c>, <c>new(0, int.MaxValue)</c>, or is a field without an initializer that the type's
    /// constructors assign only such semaphores (<c>readonly SemaphoreSlim _received; … _received = new SemaphoreSlim(0);</c>).
    /// Nobody can enter it until someone releases it, so it is a signal (a producer's <c>Release()</c>, a consumer's
    /// <c>WaitAsync()</c>), not a lock whose holder must give it back. Read from the declaration's syntax (and the
    /// constructors' for such a field); asked only where a rule is about to report, or about a release it found.
    /// </summary>
    public static bool IsCreatedEmpty(ISymbol key)
    {
        if (key is not (IFieldSymbol or ILocalSymbol))
        {
            return false;
        }

        foreach (var reference in key.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax() is VariableDeclaratorSyntax declarator)
            {
                if (declarator.Initializer is { } initializer)
                {
                    return IsEmptySemaphoreCreation(initializer.Value);
                }

                return key is IFieldSymbol field && AssignedOnlyEmptyInConstructors(field);
            }
        }

        return false;
    }

    private static bool IsEmptySemaphoreCreation(ExpressionSyntax value)
        => value is BaseObjectCreationExpressionSyntax { ArgumentList.Arguments: { Count: > 0 } arguments } &&
           arguments[0].Expression is LiteralExpressionSyntax { Token.Value: 0 };

    /// <summary>
    /// Every assignment to <paramref name="field"/> in its type's constructors (<c>_sem = …</c> or <c>this._sem = …</c>)
    /// creates an empty semaphore, and there is at least one. An assignment anywhere else is not looked at: a field
    /// replaced later is still a signal when each replacement is made the same way, and the rule asking has already
    /// found a release of it.
    /// </summary>
    private static bool AssignedOnlyEmptyInConstructors(IFieldSymbol field)
    {
        var constructors = field.IsStatic ? field.ContainingType.StaticConstructors : field.ContainingType.InstanceConstructors;
        var found = false;
        foreach (var constructor in constructors)
        {
            foreach (var reference in constructor.DeclaringSyntaxReferences)
            {
                foreach (var node in reference.GetSyntax().DescendantNodes())
                {
                    if (node is not AssignmentExpressionSyntax assignment ||
                        !assignment.IsKind(SyntaxKind.SimpleAssignmentExpression))
                    {
                        continue;
                    }

                    var target = assignment.Left is MemberAccessExpressionSyntax
                    {
                        Expression: ThisExpressionSyntax,
                    } member
                        ? member.Name
                        : assignment.Left as SimpleNameSyntax;
                    if (target is null || target.Identifier.ValueText != field.Name)
                    {
                        continue;
                    }

                    if (!IsEmptySemaphoreCreation(assignment.Right))
                    {
                        return false;
                    }

                    found = true;
                }
            }
        }

        return found;
    }

    /// <summary>
    /// True when the call's timeout argument (a parameter named <c>*timeout</c> or <c>milliseconds</c>) is a constant zero:
    /// <c>0</c>, <c>TimeSpan.Zero</c>, <c>TimeSpan.FromX(0)</c>, <c>default</c>. Such a call polls and never blocks.
    /// </summary>
    public static bool HasZeroTimeout(IInvocationOperation invocation)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter is { } parameter &&
                (parameter.Name.EndsWith("imeout", System.StringComparison.Ordinal) || parameter.Name == "milliseconds") &&
                IsZero(argument.Value.WalkDownConversions()))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsZero(IOperation value)
    {
        if (value.ConstantValue is { HasValue: true, Value: { } constant })
        {
            return constant is int i ? i == 0 : constant is long l ? l == 0 : constant is uint u ? u == 0 : constant is double d && d == 0;
        }

        switch (value)
        {
            case IFieldReferenceOperation { Field: { Name: "Zero", IsStatic: true } field } when IsTimeSpan(field.ContainingType):
                return true;
            case IDefaultValueOperation when IsTimeSpan(value.Type):
                return true;
            case IInvocationOperation { TargetMethod: { IsStatic: true } method, Arguments.Length: 1 } from
                when method.Name.StartsWith("From", System.StringComparison.Ordinal) && IsTimeSpan(method.ContainingType):
                return IsZero(from.Arguments[0].Value.WalkDownConversions());
            case IObjectCreationOperation { Arguments.Length: 1 } creation when IsTimeSpan(creation.Type):
                return IsZero(creation.Arguments[0].Value.WalkDownConversions());
            default:
                return false;
        }
    }

    private static bool IsTimeSpan(ITypeSymbol? type)
        => type is { Name: "TimeSpan", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } };

    /// <summary>A readable name for the lock in messages.</summary>
    public static string Describe(IOperation? expression)
    {
        if (expression is null)
        {
            return "lock";
        }

        var text = expression.WalkDownConversions().Syntax.ToString();
        return text.Length > 60 ? text.Substring(0, 57) + "..." : text;
    }

    private static IArgumentOperation? ArgumentFor(IInvocationOperation invocation, int ordinal)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter?.Ordinal == ordinal)
            {
                return argument;
            }
        }

        return null;
    }

    private static IArgumentOperation? FindLockTaken(IInvocationOperation invocation)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter is { RefKind: RefKind.Ref, Type.SpecialType: SpecialType.System_Boolean })
            {
                return argument;
            }
        }

        return null;
    }
}
