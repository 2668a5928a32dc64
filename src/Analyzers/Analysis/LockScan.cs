using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Analysis;

/// <summary>
/// What a member body's tree says about its locks, from one linear scan shared by the locking rules (which decide from
/// it whether a body needs the flow, see <c>LockFlow.Run</c>) and by <see cref="LockRegions"/>.
/// </summary>
internal sealed class LockScan
{
    // Per member body: several locking rules and the lexical lock questions ask about the same body.
    private static readonly OperationMemo<LockScan> Scans = new();

    private LockScan()
    {
    }

    /// <summary>A <c>lock</c> statement or a lock API call (lambdas included). Without one, nothing is ever held.</summary>
    public bool HasAnyLock => LockStatements > 0 || HasLockApiCall;

    public int LockStatements { get; private set; }

    /// <summary>An explicit call <see cref="LockApis"/> knows (not the calls a <c>lock</c> statement stands for).</summary>
    public bool HasLockApiCall { get; private set; }

    /// <summary>
    /// A release call of an older primitive the lock APIs leave out (<c>ReaderWriterLock.Release*Lock</c>,
    /// <c>Semaphore.Release</c>): only the lexical lock test (<see cref="LockRegions"/>) looks at those.
    /// </summary>
    public bool HasLegacyRelease { get; private set; }

    /// <summary>A <c>using</c> statement or declaration (a lock scope, or an async-lock helper's releaser).</summary>
    public bool HasUsing { get; private set; }

    /// <summary><c>lock</c> statements and acquiring calls.</summary>
    public int Acquisitions { get; private set; }

    /// <summary>An acquiring call of a primitive that cannot be re-entered (SemaphoreSlim, ReaderWriterLockSlim, SpinLock).</summary>
    public bool HasNonReentrantAcquire { get; private set; }

    /// <summary>A <c>lock</c> statement, or an acquiring call of a thread-affine primitive (anything but SemaphoreSlim).</summary>
    public bool HasThreadAffineLock { get; private set; }

    /// <summary>A local function statement (lambdas' included): only such a body can have a lock-held local function.</summary>
    public bool HasLocalFunction { get; private set; }

    /// <summary>A <c>Monitor.Wait</c>/<c>Pulse</c>/<c>PulseAll</c>.</summary>
    public bool HasWaitOrPulse { get; private set; }

    /// <summary>A ReaderWriterLockSlim read lock taken (not upgradeable).</summary>
    public bool HasReadLockAcquire { get; private set; }

    /// <summary>A <c>lock</c> statement inside another one's body, in the same function.</summary>
    public bool HasNestedLockStatement { get; private set; }

    /// <summary>
    /// For a body with <see cref="HasAnyLock"/>: its operations (the root's descendants, in pre-order) of the kinds in
    /// <see cref="IsCandidateKind"/>, the only ones the locking rules' "could this be reported under a lock" tests
    /// (<c>LockFlow.AnyUnderLock</c>) ask about; those rules walk this short list instead of the whole body. Null otherwise.
    /// </summary>
    /// <remarks>
    /// Listed on first use, from the body's operation index (which the scan's walk built): a body that only names
    /// <c>using</c> or a lock API's name takes no lock and needs no list, nor does a locking body no rule asks about.
    /// Two threads may both list it; they list the same operations.
    /// </remarks>
    internal IOperation[]? Candidates => HasAnyLock ? _candidates ??= CandidatesOf(Root!) : null;

    private IOperation[]? _candidates;

    /// <summary>
    /// For a body with <see cref="HasLockApiCall"/>: its calls <see cref="LockApis"/> knows, in pre-order, each with what
    /// <see cref="LockApis.TryGetLockCall"/> said of it (so that it is not asked again). Null otherwise.
    /// </summary>
    internal (IInvocationOperation Invocation, LockCall Call)[]? LockCalls { get; private set; }

    /// <summary>The root this scan is of.</summary>
    internal IOperation? Root { get; private set; }

    /// <summary>Calls, property references, suspensions (await, yield return, await foreach / using) and writes.</summary>
    internal static bool IsCandidateKind(OperationKind kind)
        => kind is OperationKind.Invocation or OperationKind.PropertyReference or OperationKind.Await or OperationKind.YieldReturn or
            OperationKind.Loop or OperationKind.Using or OperationKind.UsingDeclaration or OperationKind.SimpleAssignment or
            OperationKind.CompoundAssignment or OperationKind.CoalesceAssignment or OperationKind.Increment or OperationKind.Decrement;

    /// <summary>The facts of the body whose operation tree has <paramref name="root"/> as its root, scanned once.</summary>
    public static LockScan For(IOperation root, KnownTypes types)
        => Scans.GetOrCompute(root, types, static (r, t) => SourceMentions.Any(r.Syntax, Names) ? Of(r, t) : Nothing);

    /// <summary>
    /// What a body with a lock (<see cref="HasAnyLock"/>: a <c>lock</c> statement or a call in <see cref="LockApis.MethodNames"/>)
    /// names: a body or type that names none of them takes no lock.
    /// </summary>
    internal static readonly NameSet LockNames = new(
        new[] { "lock", "Enter", "Exit", "Wait", "Release", "Pulse" },
        System.Linq.Enumerable.ToArray(System.Linq.Enumerable.Append(LockApis.MethodNames, "lock")));

    // Every fact comes from a `lock` or `using` keyword or from a call of a method named in LockApis.MethodNames or a
    // legacy release: a body that names none of them has none of the facts, and is not walked. The answer is kept with
    // the others: several locking rules and LockRegions ask about the same body, most of them more than once.
    internal static readonly NameSet Names = new(
        new[] { "lock", "using", "Enter", "Exit", "Wait", "Release", "Pulse" },
        System.Linq.Enumerable.ToArray(System.Linq.Enumerable.Concat(LockApis.MethodNames, new[] { "lock", "using", "ReleaseReaderLock", "ReleaseWriterLock", "ReleaseLock" })));

    private static readonly LockScan Nothing = new();

    internal static LockScan Of(IOperation root, KnownTypes types)
    {
        var scan = new LockScan { Root = root };
        System.Collections.Generic.List<(IInvocationOperation, LockCall)>? lockCalls = null;
        foreach (var operation in root.EnumerateDescendantsAndSelf())
        {
            var kind = operation.Kind;

            // By kind first: most operations are none of these, and an interface type test costs more.
            if (kind is not (OperationKind.Lock or OperationKind.Using or OperationKind.UsingDeclaration or OperationKind.Invocation))
            {
                if (kind == OperationKind.LocalFunction)
                {
                    scan.HasLocalFunction = true;
                }

                continue;
            }

            if (operation is ILockOperation)
            {
                scan.LockStatements++;
                scan.Acquisitions++;
                scan.HasThreadAffineLock = true;
                if (!scan.HasNestedLockStatement && LockRegions.InLockStatement(operation))
                {
                    scan.HasNestedLockStatement = true;
                }
            }
            else if (operation is IUsingOperation or IUsingDeclarationOperation)
            {
                scan.HasUsing = true;
            }
            else if (operation is IInvocationOperation invocation && LockApis.TryGetLockCall(invocation, types, out var call))
            {
                scan.HasLockApiCall = true;
                (lockCalls ??= new System.Collections.Generic.List<(IInvocationOperation, LockCall)>()).Add((invocation, call));
                if (call.IsAcquire)
                {
                    scan.Acquisitions++;
                    scan.HasNonReentrantAcquire |= call.Kind is LockKind.SemaphoreSlim or LockKind.ReaderWriterLockSlim or LockKind.SpinLock;
                    scan.HasThreadAffineLock |= call.Kind != LockKind.SemaphoreSlim;
                    scan.HasReadLockAcquire |= call.Kind == LockKind.ReaderWriterLockSlim && call.Mode == LockMode.Read;
                }

                scan.HasWaitOrPulse |= call.Action is LockAction.Wait or LockAction.Pulse;
            }
            else if (!scan.HasLegacyRelease && LockRegions.IsLegacyRelease((IInvocationOperation)operation))
            {
                scan.HasLegacyRelease = true;
            }
        }

        if (scan.HasAnyLock)
        {
            scan.LockCalls = lockCalls?.ToArray();
        }

        return scan;
    }

    private static IOperation[] CandidatesOf(IOperation root)
    {
        System.Collections.Generic.List<IOperation>? candidates = null;
        foreach (var operation in root.EnumerateDescendants())
        {
            if (IsCandidateKind(operation.Kind))
            {
                (candidates ??= new System.Collections.Generic.List<IOperation>()).Add(operation);
            }
        }

        return candidates is null ? System.Array.Empty<IOperation>() : candidates.ToArray();
    }
}
