using System.Collections.Immutable;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Lifetime;

/// <summary>
/// CONC107: background work (Task.Run, StartNew, threads, the thread pool, timers, continuations, dropped async
/// local functions) started by a controller, Razor page, SignalR hub or a service holding a <c>DbContext</c> or
/// <c>IHttpContextAccessor</c>, that touches <c>HttpContext</c>, <c>Request</c>, <c>Response</c>, <c>User</c>, the
/// hub's <c>Context</c>/<c>Clients</c>/<c>Groups</c>, or the request's <c>DbContext</c>, and is not awaited by the request.
/// </summary>
public sealed partial class RequestScopeCaptureAnalyzer : DiagnosticAnalyzer
{
    private const string Title = "Request-scoped object captured by background work";
    private const string Description =
        "Work started in the background outlives the request that started it. HttpContext, HttpRequest, HttpResponse " +
        "and User are recycled for the next request once the response is sent, a hub is disposed after each call, and a " +
        "scoped DbContext is disposed with the request scope: the background work then reads another request's data or " +
        "throws ObjectDisposedException. Copy the values you need into locals before starting the work, and create a " +
        "new scope (IServiceScopeFactory) or a DbContext from IDbContextFactory inside it.";

    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        RuleIds.RequestScopeCapturedByBackgroundWork,
        Title,
        "Work started by '{0}' can run after the request has ended, but uses request-scoped '{1}', which is disposed or reused by then",
        DiagnosticSeverity.Warning,
        Description);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Rule);

    internal sealed class RequestTypes
    {
        public RequestTypes(KnownTypes types)
        {
            Types = types;
            ControllerBase = types.Get("Microsoft.AspNetCore.Mvc.ControllerBase");
            PageModel = types.Get("Microsoft.AspNetCore.Mvc.RazorPages.PageModel");
            Hub = types.Get("Microsoft.AspNetCore.SignalR.Hub");
            HubOfT = types.Get("Microsoft.AspNetCore.SignalR.Hub`1");
            DbContext = types.Get("Microsoft.EntityFrameworkCore.DbContext");
            HttpContext = types.Get("Microsoft.AspNetCore.Http.HttpContext");
            HttpRequest = types.Get("Microsoft.AspNetCore.Http.HttpRequest");
            HttpResponse = types.Get("Microsoft.AspNetCore.Http.HttpResponse");
            HttpContextAccessor = types.Get("Microsoft.AspNetCore.Http.IHttpContextAccessor");
            HostedService = types.Get("Microsoft.Extensions.Hosting.IHostedService");
        }

        public KnownTypes Types { get; }
        public INamedTypeSymbol? ControllerBase { get; }
        public INamedTypeSymbol? PageModel { get; }
        public INamedTypeSymbol? Hub { get; }
        public INamedTypeSymbol? HubOfT { get; }
        public INamedTypeSymbol? DbContext { get; }
        public INamedTypeSymbol? HttpContext { get; }
        public INamedTypeSymbol? HttpRequest { get; }
        public INamedTypeSymbol? HttpResponse { get; }
        public INamedTypeSymbol? HttpContextAccessor { get; }
        public INamedTypeSymbol? HostedService { get; }

        public bool AnyPresent => ControllerBase is not null || PageModel is not null || Hub is not null || DbContext is not null || HttpContext is not null;

        public bool IsHttpObject(ITypeSymbol? type)
            => type is not null && (type.InheritsFromOrEquals(HttpContext) || type.InheritsFromOrEquals(HttpRequest) || type.InheritsFromOrEquals(HttpResponse));

        public bool IsDbContext(ITypeSymbol? type) => type is not null && DbContext is not null && type.InheritsFromOrEquals(DbContext);

        public bool IsHub(ITypeSymbol? type) => type.InheritsFromOrEquals(Hub) || type.InheritsFromOrEquals(HubOfT);

        public bool IsRequestScopedBase(ITypeSymbol? type)
            => type.InheritsFromOrEquals(ControllerBase) || type.InheritsFromOrEquals(PageModel) || IsHub(type);
    }

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var types = KnownTypes.For(start.Compilation);
            var request = new RequestTypes(types);
            if (types.Task is null || !request.AnyPresent)
            {
                return;
            }

            start.RegisterOperationAction(c => AnalyzeFunction(c, request), OperationKind.AnonymousFunction, OperationKind.LocalFunction);
            start.RegisterSymbolStartAction(s => AnalyzeDroppedMethodCalls(s, request), SymbolKind.NamedType);
        });
    }

    private static void AnalyzeFunction(OperationAnalysisContext context, RequestTypes request)
    {
        var owner = context.ContainingSymbol as INamedTypeSymbol ?? context.ContainingSymbol.ContainingType;
        if (owner is null ||
            (!IsRequestScopedOwner(owner, request) && !IsInRequestHandler(context.Operation, context.ContainingSymbol, request)))
        {
            return;
        }

        var function = context.Operation;
        var spawn = ConcurrentContexts.Classify(function, request.Types);
        if (spawn is null || !spawn.IsDetached || IsJoinedByTheRequest(spawn, request.Types))
        {
            return;
        }

        var body = function switch
        {
            IAnonymousFunctionOperation lambda => (IOperation)lambda.Body,
            ILocalFunctionOperation local => (IOperation?)local.Body ?? local.IgnoredBody,
            _ => null,
        };
        if (body is null)
        {
            return;
        }

        foreach (var operation in BodyOperations(body, request.Types))
        {
            if (RequestScopedUse(operation, function, owner, request) is not { } name)
            {
                continue;
            }

            if (spawn.OnlyAfterFirstAwait && !ConcurrentContexts.IsAfterFirstAwait(operation, function))
            {
                continue;
            }

            context.ReportDiagnostic(Diagnostic.Create(Rule, operation.Syntax.GetLocation(), spawn.Spawner, name));
            return;
        }
    }

    /// <summary>
    /// A controller, Razor page or hub; or a type holding a <c>DbContext</c> or <c>IHttpContextAccessor</c> in an
    /// instance field (a scoped service), unless it is a hosted service, which owns its own scopes.
    /// </summary>
    private static bool IsRequestScopedOwner(INamedTypeSymbol owner, RequestTypes request)
    {
        if (request.IsRequestScopedBase(owner))
        {
            return true;
        }

        if (owner.Implements(request.HostedService))
        {
            return false;
        }

        foreach (var member in owner.GetMembers())
        {
            if (member is IFieldSymbol { IsStatic: false } field &&
                (request.IsDbContext(field.Type) || field.Type.Is(request.HttpContextAccessor)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Outside request-scoped types: work started by the other request handlers, a middleware's
    /// <c>Invoke</c>/<c>InvokeAsync(HttpContext, ...)</c> or a minimal-API endpoint handler lambda (<c>app.MapPost(...,
    /// (Order o, ShopDbContext db) => ...)</c>), whose parameters are the request and services of its scope. A plain
    /// method that is merely given an <c>HttpContext</c> is not one. Only symbols and parents are looked at: cheap.
    /// </summary>
    private static bool IsInRequestHandler(IOperation function, ISymbol containingSymbol, RequestTypes request)
    {
        if (request.HttpContext is null)
        {
            return false;
        }

        for (var current = function; current is not null; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation lambda && RequestHandlers.IsEndpointHandler(lambda))
            {
                return true;
            }
        }

        return containingSymbol is IMethodSymbol method && RequestHandlers.IsMiddlewareInvoke(method, request.Types);
    }

    /// <summary>Awaited, blocked on or returned by the code that started it (also through <c>Task.WhenAll</c>): the request waits for it.</summary>
    private static bool IsJoinedByTheRequest(ConcurrentContext spawn, KnownTypes types)
    {
        if (spawn.Kind is not (SpawnKind.TaskRun or SpawnKind.StartNew or SpawnKind.Continuation or SpawnKind.NewTask))
        {
            return false;
        }

        return IsJoined(spawn.Origin, types, depth: 0);
    }

    private static bool IsJoined(IOperation task, KnownTypes types, int depth)
    {
        if (depth > 4)
        {
            return false;
        }

        if (task.WalkUpConversions() is IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator })
        {
            var root = task;
            while (root.Parent is not null)
            {
                root = root.Parent;
            }

            foreach (var descendant in root.EnumerateDescendants())
            {
                if (descendant is ILocalReferenceOperation reference &&
                    SymbolEqualityComparer.Default.Equals(reference.Local, declarator.Symbol) &&
                    IsJoined(reference, types, depth + 1))
                {
                    return true;
                }
            }

            return false;
        }

        switch (TaskObservation.Classify(task))
        {
            case TaskUse.Awaited or TaskUse.Blocked or TaskUse.Returned:
                return true;
            case TaskUse.Passed:
                var join = JoinTakingTask(task);
                if (join is null || !join.TargetMethod.ContainingType.Is(types.Task))
                {
                    return false;
                }

                return join.TargetMethod.Name == "WaitAll" || (join.TargetMethod.Name == "WhenAll" && IsJoined(join, types, depth + 1));
            default:
                return false;
        }
    }

    private static IInvocationOperation? JoinTakingTask(IOperation task)
    {
        var parent = task.WalkUpConversions();
        if (parent is IArrayInitializerOperation { Parent: IArrayCreationOperation array })
        {
            parent = array.WalkUpConversions();
        }

        if (parent is IVariableInitializerOperation)
        {
            // Through a local: find where the local is passed.
            return null;
        }

        return parent is IArgumentOperation { Parent: IInvocationOperation invocation } ? invocation : null;
    }

    /// <summary>The body's operations, skipping nested functions that are themselves detached (they are analyzed on their own).</summary>
    private static System.Collections.Generic.IEnumerable<IOperation> BodyOperations(IOperation body, KnownTypes types)
    {
        var stack = new System.Collections.Generic.Stack<IOperation>();
        stack.Push(body);
        var ordered = new System.Collections.Generic.List<IOperation>();
        while (stack.Count > 0)
        {
            var current = stack.Pop();
            foreach (var child in current.ChildOperations)
            {
                if (child is IAnonymousFunctionOperation or ILocalFunctionOperation &&
                    ConcurrentContexts.Classify(child, types) is { IsDetached: true })
                {
                    continue;
                }

                ordered.Add(child);
                stack.Push(child);
            }
        }

        ordered.Sort((a, b) => a.Syntax.SpanStart != b.Syntax.SpanStart
            ? a.Syntax.SpanStart.CompareTo(b.Syntax.SpanStart)
            : a.Syntax.Span.Length.CompareTo(b.Syntax.Span.Length));
        return ordered;
    }

    /// <summary>The display name of the request-scoped object <paramref name="operation"/> reaches from outside the work, or null.</summary>
    private static string? RequestScopedUse(IOperation operation, IOperation function, INamedTypeSymbol owner, RequestTypes request)
    {
        switch (operation)
        {
            case IPropertyReferenceOperation property when !property.Property.IsStatic:
                if (!ComesFromOutside(property.Instance, function))
                {
                    return null;
                }

                if (request.IsHttpObject(property.Type))
                {
                    return property.Property.Name;
                }

                // `User` of a controller/page; a hub's Context, Clients and Groups (the hub is disposed after the call).
                if (property.Instance is IInstanceReferenceOperation &&
                    ((property.Property.Name == "User" && request.IsRequestScopedBase(owner)) ||
                     (property.Property.Name is "Context" or "Clients" or "Groups" && request.IsHub(owner))))
                {
                    return property.Property.Name;
                }

                return request.IsDbContext(property.Type) ? property.Property.Name : null;
            case IFieldReferenceOperation field when !field.Field.IsStatic:
                return (request.IsDbContext(field.Type) || request.IsHttpObject(field.Type)) && ComesFromOutside(field.Instance, function)
                    ? field.Field.Name
                    : null;
            case IParameterReferenceOperation parameter:
                return (request.IsDbContext(parameter.Type) || request.IsHttpObject(parameter.Type)) && IsDeclaredOutside(parameter.Parameter, function)
                    ? parameter.Parameter.Name
                    : null;
            case ILocalReferenceOperation local:
                return request.IsHttpObject(local.Type) && IsDeclaredOutside(local.Local, function) ? local.Local.Name : null;
            default:
                return null;
        }
    }

    /// <summary>The instance is <c>this</c>, or a chain of members ending at a variable declared outside the work.</summary>
    private static bool ComesFromOutside(IOperation? instance, IOperation function)
    {
        for (var depth = 0; depth < 8 && instance is not null; depth++)
        {
            instance = instance.WalkDownConversions();
            switch (instance)
            {
                case IInstanceReferenceOperation:
                    return true;
                case IMemberReferenceOperation member:
                    if (member.Member.IsStatic)
                    {
                        return true;
                    }

                    instance = member.Instance;
                    continue;
                case IParameterReferenceOperation parameter:
                    return IsDeclaredOutside(parameter.Parameter, function);
                case ILocalReferenceOperation local:
                    return IsDeclaredOutside(local.Local, function);
                default:
                    return false;
            }
        }

        return false;
    }

    private static bool IsDeclaredOutside(ISymbol symbol, IOperation function)
    {
        if (symbol.DeclaringSyntaxReferences.Length == 0)
        {
            return false;
        }

        var span = symbol.DeclaringSyntaxReferences[0].Span;
        return symbol.DeclaringSyntaxReferences[0].SyntaxTree == function.Syntax.SyntaxTree && !function.Syntax.Span.Contains(span);
    }
}
