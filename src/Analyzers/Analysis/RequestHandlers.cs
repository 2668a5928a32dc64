using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Analysis;

/// <summary>
/// Methods ASP.NET Core runs once per request or hub invocation, so concurrently with themselves: public actions of a
/// controller or page model, public hub methods, and a middleware's <c>Invoke</c>/<c>InvokeAsync(HttpContext, ...)</c>.
/// Controllers, page models, hubs and factory-activated (<c>IMiddleware</c>) middleware are created per request or
/// invocation, so only static fields are shared between those runs; a convention-based middleware (a constructor that
/// takes the <c>RequestDelegate</c>) is built once for the app, so its instance fields are shared as well. Also finds
/// minimal-API endpoint handler lambdas (request-scoped code, for CONC107).
/// Only when the framework types exist in the compilation.
/// </summary>
internal static class RequestHandlers
{
    /// <summary>Whether two concurrent runs of <paramref name="method"/> (a handler) share <paramref name="field"/>.</summary>
    public static bool SharesField(IMethodSymbol method, IFieldSymbol field, KnownTypes types)
    {
        if (method.MethodKind != MethodKind.Ordinary || method.IsStatic ||
            method.DeclaredAccessibility != Accessibility.Public || method.ContainingType is not { } type)
        {
            return false;
        }

        if (IsMiddlewareInvoke(method, types))
        {
            return field.IsStatic || IsConventionMiddleware(type, types);
        }

        return field.IsStatic && IsActionOrHubMethod(method, type, types);
    }

    /// <summary>A middleware's <c>Invoke</c>/<c>InvokeAsync</c>: an instance method whose first parameter is the <c>HttpContext</c>.</summary>
    public static bool IsMiddlewareInvoke(IMethodSymbol method, KnownTypes types)
        => method is { MethodKind: MethodKind.Ordinary, IsStatic: false, Name: "Invoke" or "InvokeAsync" } &&
           method.Parameters.Length > 0 &&
           method.Parameters[0].Type.Is(types.Get("Microsoft.AspNetCore.Http.HttpContext"));

    /// <summary>
    /// The handler lambda of a minimal-API endpoint, <c>app.MapGet/MapPost/...(pattern, handler)</c> (also on a route
    /// group): its parameters are bound from the request and its services come from the request's scope.
    /// </summary>
    public static bool IsEndpointHandler(IAnonymousFunctionOperation lambda)
        => lambda.WalkUpConversions() is IDelegateCreationOperation creation &&
           creation.WalkUpConversions() is IArgumentOperation { Parent: IInvocationOperation map } &&
           map.TargetMethod.Name.StartsWith("Map", System.StringComparison.Ordinal) &&
           map.TargetMethod.ContainingType is { Name: "EndpointRouteBuilderExtensions" } extensions &&
           extensions.ContainingNamespace?.ToDisplayString() == "Microsoft.AspNetCore.Builder";

    /// <summary>
    /// Inside a minimal-API endpoint handler lambda (or a lambda nested in one): the handler runs once per request, and
    /// every field it reaches, static or of the captured <c>this</c>, is shared by those runs.
    /// </summary>
    public static bool RunsInEndpointHandler(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation lambda && IsEndpointHandler(lambda))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsActionOrHubMethod(IMethodSymbol method, INamedTypeSymbol type, KnownTypes types)
    {
        if (type.InheritsFromOrEquals(types.Get("Microsoft.AspNetCore.Mvc.ControllerBase")))
        {
            return !HasAttribute(method, "NonActionAttribute");
        }

        if (type.InheritsFromOrEquals(types.Get("Microsoft.AspNetCore.Mvc.RazorPages.PageModel")))
        {
            return method.Name.StartsWith("On", System.StringComparison.Ordinal) && !HasAttribute(method, "NonHandlerAttribute");
        }

        return type.InheritsFromOrEquals(types.Get("Microsoft.AspNetCore.SignalR.Hub")) ||
               type.InheritsFromOrEquals(types.Get("Microsoft.AspNetCore.SignalR.Hub`1"));
    }

    /// <summary>A middleware class the pipeline activates once: it takes the next <c>RequestDelegate</c> in its constructor.</summary>
    private static bool IsConventionMiddleware(INamedTypeSymbol type, KnownTypes types)
    {
        if (types.Get("Microsoft.AspNetCore.Http.RequestDelegate") is not { } next ||
            type.Implements(types.Get("Microsoft.AspNetCore.Http.IMiddleware")))
        {
            return false;
        }

        foreach (var constructor in type.InstanceConstructors)
        {
            foreach (var parameter in constructor.Parameters)
            {
                if (parameter.Type.Is(next))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool HasAttribute(IMethodSymbol method, string name)
    {
        foreach (var attribute in method.GetAttributes())
        {
            if (attribute.AttributeClass?.Name == name)
            {
                return true;
            }
        }

        return false;
    }
}
