using System.Collections.Generic;
using System.Collections.Immutable;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Locking;

/// <summary>CONC205: a known blocking or slow call (sleep, synchronous I/O, process/console waits) while a lock is held.</summary>
public sealed class BlockingCallUnderLockAnalyzer : DiagnosticAnalyzer
{
    /// <summary><c>CONC205.blocking_methods</c>: more methods to treat as blocking, as <c>Type.Method</c> or <c>Namespace.Type.Method</c>.</summary>
    internal static readonly RuleOption BlockingMethods = new(RuleIds.BlockingCallUnderLock, "blocking_methods");

    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        RuleIds.BlockingCallUnderLock,
        "Blocking or slow call while holding a lock",
        "'{0}' blocks while '{1}' is held: every thread that needs the lock waits for it too",
        DiagnosticSeverity.Warning,
        "A lock should be held for a few instructions. Sleeping, waiting on a process or the console, or doing synchronous " +
        "file, network or database I/O while holding it makes every other caller queue behind that wait, and turns a " +
        "slow dependency into a stalled service. Copy what you need under the lock, release it, then do the slow work.");

    /// <summary>Blocking methods by containing type (metadata name) → method names.</summary>
    private static readonly (string Type, string[] Methods)[] Known =
    {
        ("System.Threading.Thread", new[] { "Sleep", "Join" }),
        ("System.Threading.WaitHandle", new[] { "WaitOne", "WaitAll", "WaitAny", "SignalAndWait" }),
        ("System.Threading.ManualResetEventSlim", new[] { "Wait" }),
        ("System.Threading.CountdownEvent", new[] { "Wait" }),
        ("System.Threading.Barrier", new[] { "SignalAndWait" }),
        ("System.Collections.Concurrent.BlockingCollection`1", new[] { "Take" }),
        ("System.Diagnostics.Process", new[] { "WaitForExit" }),
        ("System.Console", new[] { "ReadLine", "ReadKey", "Read" }),
        ("System.IO.File", new[] { "ReadAllText", "ReadAllBytes", "ReadAllLines", "WriteAllText", "WriteAllBytes", "WriteAllLines", "AppendAllText", "AppendAllLines", "Copy", "Move", "Replace" }),
        ("System.Net.Http.HttpClient", new[] { "Send" }),
        ("System.Net.WebClient", new[] { "DownloadString", "DownloadData", "DownloadFile", "UploadString", "UploadData", "UploadFile", "UploadValues", "OpenRead", "OpenWrite" }),
        ("System.Net.WebRequest", new[] { "GetResponse", "GetRequestStream" }),
        ("System.Net.Dns", new[] { "GetHostEntry", "GetHostAddresses", "Resolve", "GetHostByName" }),
        ("System.Net.Sockets.Socket", new[] { "Connect", "Accept", "Receive", "Send", "ReceiveFrom", "SendTo" }),
        ("System.Net.Sockets.TcpClient", new[] { "Connect" }),
        ("System.Net.Mail.SmtpClient", new[] { "Send" }),
        ("System.Data.Common.DbCommand", new[] { "ExecuteNonQuery", "ExecuteReader", "ExecuteScalar" }),
        ("System.Data.IDbCommand", new[] { "ExecuteNonQuery", "ExecuteReader", "ExecuteScalar" }),
        ("System.Data.Common.DbConnection", new[] { "Open" }),
    };

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var types = KnownTypes.For(start.Compilation);
            if (types.Monitor is null)
            {
                return;
            }

            var known = new Dictionary<INamedTypeSymbol, string[]>(SymbolEqualityComparer.Default);
            foreach (var (typeName, methods) in Known)
            {
                if (types.Get(typeName) is { } type)
                {
                    known[type] = methods;
                }
            }

            var lists = new RuleOptionLists(BlockingMethods, start.Options);
            LockFlow.RegisterForLockingBodies(start, types, c => Analyze(c, types, known, lists));
        });
    }

    private static void Analyze(OperationBlockAnalysisContext context, KnownTypes types, Dictionary<INamedTypeSymbol, string[]> known, RuleOptionLists lists)
    {
        var extra = lists.For(context.OperationBlocks[0].Syntax.SyntaxTree);

        // A user's list may name calls that only the flow graph has (a foreach's MoveNext, a using's Dispose).
        System.Func<IOperation, LockScan, bool>? worthIt = extra.IsEmpty
            ? (root, scan) => LockFlow.AnyUnderLock(root, scan, o => o.Kind == OperationKind.Invocation && IsBlocking((IInvocationOperation)o, types, known, extra, context.OperationBlocks))
            : null;
        LockFlow.Run(context, types, (operation, state, function, lockCall) =>
        {
            if (state.Must.IsDefaultOrEmpty || lockCall is not null || operation is not IInvocationOperation invocation ||
                !IsBlocking(invocation, types, known, extra, context.OperationBlocks) || TaskBlocking.IsSyncPathUnderAsyncLocks(operation, state, function ?? context.OwningSymbol) ||
                IsRenameUnderAsyncGate(invocation, state, function ?? context.OwningSymbol))
            {
                return;
            }

            // Only Mutexes held: a kernel lock, taken (usually by name, across processes) to serialize the use of an
            // outside resource, a file above all. The I/O on that resource is the work it exists to serialize, as with the
            // "one writer to a log file" locks the rule page leaves to the user; sleeps and waits under it are reported.
            if (OnlyHeld(state.Must, LockKind.Mutex) && IsResourceIo(invocation, types, known, context.OperationBlocks))
            {
                return;
            }

            var held = state.Must[state.Must.Length - 1];
            context.ReportDiagnostic(Diagnostic.Create(Rule, TaskBlocking.ReportLocation(invocation), Name(invocation.TargetMethod), held.Name));
        }, worthIt);

        // A local function called only inside `lock` bodies: the flow starts it with nothing held.
        LockHeldLocalFunctions.Visit(context, types, (operation, lockName) =>
        {
            if (operation is IInvocationOperation invocation && IsBlocking(invocation, types, known, extra, context.OperationBlocks))
            {
                context.ReportDiagnostic(Diagnostic.Create(Rule, TaskBlocking.ReportLocation(invocation), Name(invocation.TargetMethod), lockName));
            }
        });
    }

    /// <summary>
    /// <c>File.Move</c>/<c>File.Replace</c> in async code while only <c>SemaphoreSlim</c>s are held: the rename that ends
    /// the write-a-temp-file-then-rename idiom (a checkpoint or state file replaced atomically). It has no async form,
    /// is a metadata change on one volume (<c>Replace</c> requires it), and the waiters of an async gate hold no thread:
    /// the rename is the step the gate exists to serialize. Under a <c>lock</c>/<c>Monitor</c> it is still reported.
    /// </summary>
    private static bool IsRenameUnderAsyncGate(IInvocationOperation invocation, HeldState state, ISymbol? function)
    {
        if (invocation.TargetMethod is not { Name: "Move" or "Replace", IsStatic: true, ContainingType: { Name: "File", ContainingNamespace.Name: "IO" } } ||
            function is not IMethodSymbol { IsAsync: true })
        {
            return false;
        }

        return OnlyHeld(state.Must, LockKind.SemaphoreSlim);
    }

    /// <summary>Every held lock is of <paramref name="kind"/>.</summary>
    private static bool OnlyHeld(ImmutableArray<HeldLock> held, LockKind kind)
    {
        foreach (var heldLock in held)
        {
            if (heldLock.Kind != kind)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Synchronous file, network or database I/O (not sleeps, waits, process or console calls).</summary>
    private static bool IsResourceIo(IInvocationOperation invocation, KnownTypes types, Dictionary<INamedTypeSymbol, string[]> known, ImmutableArray<IOperation> blocks)
    {
        for (var type = invocation.TargetMethod.ContainingType; type is not null; type = type.BaseType)
        {
            if (known.ContainsKey(type.OriginalDefinition))
            {
                var ns = type.ContainingNamespace?.ToDisplayString();
                return ns is "System.IO" or "System.Data" or "System.Data.Common" or "System.Net" or "System.Net.Http" or "System.Net.Sockets" or "System.Net.Mail";
            }
        }

        return IsLocalFileOrNetworkIo(invocation, types, blocks);
    }

    private static string Name(IMethodSymbol method) => method.ContainingType.Name + "." + method.Name;

    private static bool IsBlocking(
        IInvocationOperation invocation, KnownTypes types, Dictionary<INamedTypeSymbol, string[]> known, ImmutableHashSet<string> extra, ImmutableArray<IOperation> blocks)
    {
        var method = invocation.TargetMethod;
        var name = method.Name;

        // Without a configured list, only a call named like a known blocking method or a stream/reader/writer I/O
        // method can be one: most calls are ruled out by their name, before any type is looked at.
        if (extra.IsEmpty && !IsBlockingName(name))
        {
            return false;
        }

        // Acquiring another lock is lock nesting (CONC206's business), not a blocking call.
        if (name == "WaitOne" && invocation.Instance?.Type is { } instanceType && instanceType.InheritsFromOrEquals(types.Mutex))
        {
            return false;
        }

        // A zero timeout polls: Wait(0), TryTake(out x, 0), Join(TimeSpan.Zero), Sleep(0) never block.
        if (LockApis.HasZeroTimeout(invocation))
        {
            return false;
        }

        for (var type = method.ContainingType; type is not null; type = type.BaseType)
        {
            if (known.TryGetValue(type.OriginalDefinition, out var methods) && System.Array.IndexOf(methods, name) >= 0)
            {
                return !(name.StartsWith("Execute", System.StringComparison.Ordinal) && RunsOnSharedConnection(invocation, blocks));
            }
        }

        if (IsLocalFileOrNetworkIo(invocation, types, blocks))
        {
            return true;
        }

        if (!extra.IsEmpty)
        {
            var containing = method.ContainingType;
            if (containing is not null &&
                (extra.Contains(containing.Name + "." + name) ||
                 extra.Contains(containing.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat.WithGenericsOptions(SymbolDisplayGenericsOptions.None)) + "." + name)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// A database command of the type's one shared connection: a command field (<c>_errorCommand.ExecuteNonQuery()</c>),
    /// or a local made from a connection field (<c>using var cmd = _connection.CreateCommand();</c>). The lock
    /// serializes the use of that connection (a SQLite connection is not thread-safe), as a lock around a shared log
    /// writer does: the query cannot move out of it. A command of a connection the method opens or is given, whose
    /// lock guards something else, is still reported.
    /// </summary>
    private static bool RunsOnSharedConnection(IInvocationOperation invocation, ImmutableArray<IOperation> blocks)
    {
        var command = Receiver(invocation);
        // `cmd.SetParameterValue("@Id", id).ExecuteNonQuery()`: a fluent extension hands the same command back.
        for (var depth = 0; depth < 16 && command is IInvocationOperation { TargetMethod: { IsExtensionMethod: true } fluent } call &&
                            SymbolEqualityComparer.Default.Equals(fluent.ReturnType, (fluent.ReducedFrom ?? fluent).Parameters[0].Type); depth++)
        {
            command = Receiver(call);
        }

        switch (command)
        {
            case IFieldReferenceOperation { Field.IsStatic: false }:
                return true;
            case ILocalReferenceOperation { Local: var local }:
                foreach (var block in blocks)
                {
                    foreach (var operation in block.EnumerateDescendants())
                    {
                        if (operation is IVariableDeclaratorOperation declarator && SymbolEqualityComparer.Default.Equals(declarator.Symbol, local))
                        {
                            var value = (declarator.Initializer ?? (declarator.Parent as IVariableDeclarationOperation)?.Initializer)?.Value.WalkDownConversions();
                            // `_connection.CreateCommand()`, or an extension taking the connection first (`CreateCommand(tr, sql)`).
                            return value is IInvocationOperation { TargetMethod.Name: "CreateCommand" } create &&
                                   Receiver(create) is IFieldReferenceOperation { Field.IsStatic: false };
                        }
                    }
                }

                return false;
            default:
                return false;
        }
    }

    /// <summary>The object a call works on: its instance, or the first argument of an extension method.</summary>
    private static IOperation? Receiver(IInvocationOperation call)
        => (call.Instance ?? (call.TargetMethod.IsExtensionMethod && call.Arguments.Length > 0 ? call.Arguments[0].Value : null))?.WalkDownConversions();

    private static readonly string[] StreamIo = { "Read", "Write", "Flush", "ReadByte", "WriteByte", "CopyTo", "ReadExactly", "ReadAtLeast" };
    private static readonly string[] WriterIo = { "Write", "WriteLine", "Flush" };
    private static readonly string[] ReaderIo = { "Read", "ReadLine", "ReadToEnd", "ReadBlock" };

    /// <summary>Every method name <see cref="IsBlocking"/> can match without a configured list (after the lists it is made of).</summary>
    private static readonly ImmutableHashSet<string> BlockingNames = NamesOfBlockingMethods();

    // In front of the set (asked of every call the rule looks at): one bit per length and per first character (its low
    // six bits) of a blocking name. A name whose length or first character has no bit is in no set; most are not.
    private static readonly ulong BlockingNameLengths = Mask(static name => name.Length);
    private static readonly ulong BlockingNameFirstChars = Mask(static name => name[0]);

    private static ulong Mask(System.Func<string, int> bit)
    {
        ulong mask = 0;
        foreach (var name in BlockingNames)
        {
            mask |= 1UL << (bit(name) & 63);
        }

        return mask;
    }

    private static bool IsBlockingName(string name)
        => name.Length is > 0 and < 64 && (BlockingNameLengths & (1UL << name.Length)) != 0 &&
           (BlockingNameFirstChars & (1UL << (name[0] & 63))) != 0 && BlockingNames.Contains(name);

    private static ImmutableHashSet<string> NamesOfBlockingMethods()
    {
        var names = ImmutableHashSet.CreateBuilder<string>(System.StringComparer.Ordinal);
        foreach (var (_, methods) in Known)
        {
            names.UnionWith(methods);
        }

        names.UnionWith(StreamIo);
        names.UnionWith(WriterIo);
        names.UnionWith(ReaderIo);
        return names.ToImmutable();
    }

    /// <summary>
    /// Synchronous I/O on a file or network stream the method opened itself: a <c>FileStream</c> or
    /// <c>NetworkStream</c> local, or a <c>StreamWriter</c>/<c>StreamReader</c> local made from a path
    /// (<c>new StreamWriter(path)</c>, <c>File.AppendText(path)</c>). Like <c>File.AppendAllText</c>, the whole file
    /// (or connection) work happens under the lock. A shared stream or writer field guarded by the lock (one writer
    /// to a log file) is a deliberate design, and a stream of unknown kind may be in memory: neither is reported.
    /// </summary>
    private static bool IsLocalFileOrNetworkIo(IInvocationOperation invocation, KnownTypes types, ImmutableArray<IOperation> blocks)
    {
        if (invocation.Instance?.WalkDownConversions() is not ILocalReferenceOperation { Local: var local, Type: { TypeKind: TypeKind.Class } type })
        {
            return false;
        }

        var name = invocation.TargetMethod.Name;
        if (System.Array.IndexOf(StreamIo, name) >= 0 &&
            (type.InheritsFromOrEquals(types.Get("System.IO.FileStream")) || type.InheritsFromOrEquals(types.Get("System.Net.Sockets.NetworkStream"))))
        {
            return true;
        }

        var readerOrWriter =
            (System.Array.IndexOf(WriterIo, name) >= 0 && type.InheritsFromOrEquals(types.Get("System.IO.StreamWriter"))) ||
            (System.Array.IndexOf(ReaderIo, name) >= 0 && type.InheritsFromOrEquals(types.Get("System.IO.StreamReader")));
        return readerOrWriter && OpenedFromPath(local, blocks, types);
    }

    /// <summary>The local is declared with <c>new StreamWriter(path, ...)</c>/<c>new StreamReader(path, ...)</c> or <c>File.AppendText/CreateText/OpenText</c>.</summary>
    private static bool OpenedFromPath(ILocalSymbol local, ImmutableArray<IOperation> blocks, KnownTypes types)
    {
        foreach (var block in blocks)
        {
            foreach (var operation in block.EnumerateDescendants())
            {
                if (operation is not IVariableDeclaratorOperation declarator || !SymbolEqualityComparer.Default.Equals(declarator.Symbol, local))
                {
                    continue;
                }

                var value = (declarator.Initializer ?? (declarator.Parent as IVariableDeclarationOperation)?.Initializer)?.Value.WalkDownConversions();
                return value switch
                {
                    IObjectCreationOperation { Arguments.Length: > 0 } creation =>
                        creation.Arguments[0].Value.WalkDownConversions().Type?.SpecialType == SpecialType.System_String,
                    IInvocationOperation { TargetMethod.Name: "AppendText" or "CreateText" or "OpenText" } call =>
                        call.TargetMethod.ContainingType.Is(types.Get("System.IO.File")),
                    _ => false,
                };
            }
        }

        return false;
    }
}
