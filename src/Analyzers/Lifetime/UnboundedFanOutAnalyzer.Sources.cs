using System.Linq;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Lifetime;

public sealed partial class UnboundedFanOutAnalyzer
{
    /// <summary>
    /// An input whose size nobody bounds: a parameter (or a member of one: <c>request.Items</c>), a database query
    /// (<c>IQueryable</c>, also after <c>await ToListAsync()</c>), through LINQ operators that keep the size unbounded
    /// the lines of a file, and one local. <c>Take</c>, <c>Chunk</c>, <c>First</c> … bound it; fields, properties of <c>this</c>, arrays,
    /// <c>Enumerable.Range</c> and other method results are trusted (configured shards, injected handlers, workers).
    /// </summary>
    private static bool IsUnbounded(IOperation? source, KnownTypes types, int depth)
    {
        if (source is null || depth > 6)
        {
            return false;
        }

        source = source.WalkDownConversions();
        switch (source)
        {
            case IInvocationOperation invocation:
                var name = invocation.TargetMethod.Name;
                if (IsBoundingOperator(name))
                {
                    return false;
                }

                if (IsPassThroughOperator(name))
                {
                    var receiver = invocation.Instance ?? (invocation.Arguments.Length > 0 ? invocation.Arguments[0].Value : null);
                    return IsUnbounded(receiver, types, depth + 1);
                }

                return IsQueryable(invocation.Type, types) || IsFileLines(invocation);
            case IAwaitOperation awaited:
                return IsUnbounded(awaited.Operation, types, depth + 1);
            case IParameterReferenceOperation parameter when parameter.Parameter.IsPrimaryConstructorParameter():
                // class SearchManager(IEnumerable<ISearchSource> sources): captured state, like a field of injected handlers.
                return IsQueryable(parameter.Type, types);
            case IParameterReferenceOperation parameter:
                return (!parameter.Parameter.Type.IsValueType || parameter.Parameter.Type.TypeKind == TypeKind.Array) &&
                       !IsInjectedServices(parameter.Parameter);
            case IPropertyReferenceOperation or IFieldReferenceOperation:
                var member = (IMemberReferenceOperation)source;
                return IsQueryable(member.Type, types) ||
                       (member.Instance?.WalkDownConversions() is IParameterReferenceOperation { Parameter: var owner } &&
                        !owner.IsPrimaryConstructorParameter() && !member.Member.IsStatic);
            case ILocalReferenceOperation local:
                return SingleValueOf(local) is { } value && IsUnbounded(value, types, depth + 1);
            default:
                return IsQueryable(source.Type, types);
        }
    }

    /// <summary>
    /// <c>[FromServices] IEnumerable&lt;ISwaggerProvider&gt; providers</c> (or <c>[FromKeyedServices]</c>): the container
    /// fills the parameter with the registered services, whose number the application sets, as for an injected field.
    /// </summary>
    private static bool IsInjectedServices(IParameterSymbol parameter)
    {
        foreach (var attribute in parameter.GetAttributes())
        {
            if (attribute.AttributeClass?.Name is "FromServicesAttribute" or "FromKeyedServicesAttribute")
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The lines of a file (<c>File.ReadLines</c>, <c>File.ReadAllLines</c> and their async forms): one element per line
    /// of input the program does not control, the textbook shape of a batch job's unbounded fan-out.
    /// </summary>
    private static bool IsFileLines(IInvocationOperation invocation)
        => invocation.TargetMethod is { IsStatic: true, Name: "ReadLines" or "ReadAllLines" or "ReadLinesAsync" or "ReadAllLinesAsync" } method &&
           method.ContainingType is { Name: "File", ContainingNamespace: { Name: "IO", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } } };

    /// <summary>
    /// The elements are work already, not data: tasks (<c>tasks.Select(t =&gt; t.WaitAsync(timeout))</c>), delegates
    /// (a list of handlers or jobs, <c>handlers.Select(h =&gt; h(message))</c>), channel readers or async streams (one
    /// pump per input merges them, and each input must be drained concurrently). The code that built the list set
    /// its size; one task per element adds no fan-out over data.
    /// </summary>
    private static bool ElementsAreWork(ITypeSymbol? sequence, KnownTypes types)
        => ElementType(sequence, types) is { } element && IsWork(element, types);

    private static bool IsWork(ITypeSymbol element, KnownTypes types)
        => element.TypeKind == TypeKind.Delegate ||
           element.IsTaskLike(types) ||
           element.InheritsFromOrEquals(types.ChannelReaderOfT) ||
           element.Is(types.Get("System.Collections.Generic.IAsyncEnumerable`1"));

    private static ITypeSymbol? ElementType(ITypeSymbol? sequence, KnownTypes types)
    {
        switch (sequence)
        {
            case IArrayTypeSymbol array:
                return array.ElementType;
            case INamedTypeSymbol named:
                var enumerable = types.Get("System.Collections.Generic.IEnumerable`1");
                if (enumerable is null)
                {
                    return null;
                }

                if (named.Is(enumerable))
                {
                    return named.TypeArguments[0];
                }

                foreach (var candidate in named.AllInterfaces)
                {
                    if (candidate.Is(enumerable))
                    {
                        return candidate.TypeArguments[0];
                    }
                }

                return null;
            default:
                return null;
        }
    }

    private static bool IsBoundingOperator(string name) => name is
        "Take" or "TakeLast" or "TakeWhile" or "Chunk" or "Batch" or "First" or "FirstOrDefault" or "Single" or
        "SingleOrDefault" or "Last" or "LastOrDefault" or "ElementAt" or "ElementAtOrDefault" or "Buffer" or "Page";

    private static bool IsPassThroughOperator(string name) => name is
        "Where" or "Select" or "SelectMany" or "OrderBy" or "OrderByDescending" or "ThenBy" or "ThenByDescending" or
        "Distinct" or "DistinctBy" or "AsEnumerable" or "AsQueryable" or "ToList" or "ToArray" or "ToHashSet" or
        "ToListAsync" or "ToArrayAsync" or "AsAsyncEnumerable" or "AsNoTracking" or "Include" or "ThenInclude" or
        "Skip" or "SkipWhile" or "Reverse" or "Cast" or "OfType" or "Append" or "Prepend" or "Concat" or "Union";

    private static bool IsQueryable(ITypeSymbol? type, KnownTypes types)
        => type is not null && type.Implements(types.Get("System.Linq.IQueryable"));

    /// <summary>The value of a local assigned exactly once, by its declaration (not a foreach variable).</summary>
    private static IOperation? SingleValueOf(ILocalReferenceOperation local)
    {
        var function = local.GetEnclosingFunction();
        if (function is null)
        {
            return null;
        }

        var root = function;
        while (root.Parent is not null)
        {
            root = root.Parent;
        }

        IOperation? value = null;
        foreach (var descendant in root.EnumerateDescendants())
        {
            switch (descendant)
            {
                case IVariableDeclaratorOperation declarator when SymbolEqualityComparer.Default.Equals(declarator.Symbol, local.Local):
                    value = declarator.Initializer?.Value;
                    break;
                case ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } when SymbolEqualityComparer.Default.Equals(target.Local, local.Local):
                case ICompoundAssignmentOperation { Target: ILocalReferenceOperation target2 } when SymbolEqualityComparer.Default.Equals(target2.Local, local.Local):
                    return null;
            }
        }

        return value;
    }

    // ---- throttles ----

    private static bool IsThrottleName(string name) => name is
        "WaitAsync" or "WaitOne" or "AcquireAsync" or "AttemptAcquire" or "WaitToWriteAsync";

    /// <summary>The work acquires a semaphore or rate limiter (itself, or in a method it calls that is declared in source).</summary>
    private static bool IsThrottled(IOperation work, KnownTypes types)
    {
        foreach (var operation in work.EnumerateDescendantsAndSelf())
        {
            if (operation is IInvocationOperation invocation && IsThrottledCall(invocation, types))
            {
                return true;
            }

            if (operation is IMethodReferenceOperation reference && MethodSyntaxAcquires(reference.Method))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsThrottledCall(IInvocationOperation invocation, KnownTypes types)
    {
        var method = invocation.TargetMethod;
        if (IsThrottleName(method.Name) || (method.Name == "Wait" && method.ContainingType.Is(types.SemaphoreSlim)))
        {
            return true;
        }

        foreach (var argument in invocation.Arguments)
        {
            if (argument.Value.WalkDownConversions() is IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda } && IsThrottled(lambda, types))
            {
                return true;
            }
        }

        return MethodSyntaxAcquires(method) || MethodSyntaxQueuesRequest(method);
    }

    /// <summary>
    /// A source method, not async, that writes a request holding a completion source into a queue and returns the
    /// source's <c>Task</c> (<c>var done = new TaskCompletionSource&lt;bool&gt;(); _channel.Writer.TryWrite(new Request { Done = done });
    /// return done.Task;</c>): the call starts nothing, the queue's consumer runs the requests, so it sets how many run
    /// at once. Looked at syntactically, one level deep; a method that also starts work (<c>Run</c>, <c>StartNew</c>,
    /// <c>Start</c>) does not count.
    /// </summary>
    private static bool MethodSyntaxQueuesRequest(IMethodSymbol method)
    {
        if (method.IsAsync || method.DeclaringSyntaxReferences.Length != 1 ||
            method.DeclaringSyntaxReferences[0].GetSyntax() is not MethodDeclarationSyntax { Body: { } body })
        {
            return false;
        }

        string? source = null;
        var queued = false;
        foreach (var statement in body.Statements)
        {
            if (statement is LocalDeclarationStatementSyntax declaration)
            {
                foreach (var variable in declaration.Declaration.Variables)
                {
                    if (IsCompletionSourceCreation(declaration.Declaration.Type, variable.Initializer?.Value))
                    {
                        source = variable.Identifier.ValueText;
                    }
                }
            }
        }

        if (source is null)
        {
            return false;
        }

        foreach (var node in body.DescendantNodes())
        {
            switch (node)
            {
                case InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax access } call:
                    var name = access.Name.Identifier.ValueText;
                    if (name is "Run" or "StartNew" or "Start")
                    {
                        return false;
                    }

                    if (name is "TryWrite" or "WriteAsync" or "Enqueue" or "Post" or "SendAsync" or "TryAdd" or "Add" &&
                        call.ArgumentList.DescendantNodes().Any(n => n is IdentifierNameSyntax id && id.Identifier.ValueText == source))
                    {
                        queued = true;
                    }

                    break;
                case ReturnStatementSyntax { Expression: { } returned }
                    when !(returned is MemberAccessExpressionSyntax { Expression: IdentifierNameSyntax returnedSource, Name.Identifier.ValueText: "Task" } &&
                           returnedSource.Identifier.ValueText == source):
                    return false;
                case AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax:
                    return false;
            }
        }

        return queued;

        static bool IsCompletionSourceCreation(TypeSyntax declared, ExpressionSyntax? value) => value switch
        {
            ObjectCreationExpressionSyntax creation => IsCompletionSourceName(creation.Type),
            ImplicitObjectCreationExpressionSyntax => IsCompletionSourceName(declared),
            _ => false,
        };

        static bool IsCompletionSourceName(TypeSyntax type) => type switch
        {
            GenericNameSyntax generic => generic.Identifier.ValueText == "TaskCompletionSource",
            IdentifierNameSyntax identifier => identifier.Identifier.ValueText == "TaskCompletionSource",
            QualifiedNameSyntax qualified => IsCompletionSourceName(qualified.Right),
            _ => false,
        };
    }

    /// <summary>A source method whose body calls <c>WaitAsync</c>, <c>AcquireAsync</c>, … (looked at syntactically, one level deep).</summary>
    private static bool MethodSyntaxAcquires(IMethodSymbol method)
    {
        foreach (var reference in method.OriginalDefinition.DeclaringSyntaxReferences)
        {
            foreach (var node in reference.GetSyntax().DescendantNodes())
            {
                if (node is MemberAccessExpressionSyntax access && IsThrottleName(access.Name.Identifier.ValueText))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>The loop body limits itself: it leaves early, waits for running tasks, delays, or acquires a throttle.</summary>
    private static bool HasThrottleOrExit(IOperation body, KnownTypes types)
    {
        foreach (var operation in ConcurrentContexts.DescendantsInSameFunction(body))
        {
            // By kind first: an interface type test per operation costs more than the walk.
            if (operation.Kind is not (OperationKind.Branch or OperationKind.Return or OperationKind.YieldReturn or OperationKind.YieldBreak or OperationKind.Invocation))
            {
                continue;
            }

            switch (operation)
            {
                case IBranchOperation { BranchKind: BranchKind.Break }:
                case IReturnOperation:
                    return true;
                case IInvocationOperation invocation when IsThrottleName(invocation.TargetMethod.Name) ||
                                                          (invocation.TargetMethod.Name == "Wait" && invocation.TargetMethod.ContainingType.Is(types.SemaphoreSlim)):
                    return true;
                case IInvocationOperation invocation when invocation.TargetMethod.ContainingType.Is(types.Task) &&
                                                          invocation.TargetMethod.Name is "WhenAny" or "WhenAll" or "WaitAny" or "WaitAll" or "Delay":
                    return true;
                case IInvocationOperation { TargetMethod.Name: "WriteAsync" } invocation
                    when invocation.TargetMethod.ContainingType.Is(types.ChannelWriterOfT) &&
                         Coordination.ChannelProvenance.IsBlockingBounded(invocation.Instance, types):
                    // Go's channel semaphore: the write waits for a free slot of a bounded channel.
                    return true;
            }
        }

        return false;
    }
}
