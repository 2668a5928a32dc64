using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Cancellation;

/// <summary>
/// CONC407: a caller's <c>CancellationToken</c>, <c>HttpContext</c>, <c>HttpRequest</c> or <c>HttpResponse</c> (a
/// parameter, or read from one) stored in a static field or property, or in an instance member of a long-lived type
/// (hosted service, middleware) outside its constructor. The next caller then uses a dead token or a recycled context.
/// A <c>Lazy</c> factory capturing a caller's token is CONC307's.
/// </summary>
public sealed class TokenStoredBeyondRequestAnalyzer : DiagnosticAnalyzer
{
    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        RuleIds.TokenStoredBeyondRequest,
        "Token or request context stored beyond its request",
        "The caller's {0} '{1}' is stored in '{2}', which outlives the call: later callers will use a cancelled token or a recycled request",
        DiagnosticSeverity.Info,
        "A token or request object belongs to one call. Stored in a static or in a long-lived service, it is read by later " +
        "calls after its request ended: the token is already cancelled (or never will be), and ASP.NET Core reuses " +
        "HttpContext objects, so the stored one may describe someone else's request. Pass them per call instead.");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var types = KnownTypes.For(start.Compilation);
            if (types.CancellationToken is null)
            {
                return;
            }

            start.RegisterOperationAction(c => Analyze(c, types), OperationKind.SimpleAssignment);
        });
    }

    private static void Analyze(OperationAnalysisContext context, KnownTypes types)
    {
        var assignment = (ISimpleAssignmentOperation)context.Operation;
        // By kind, not by interface type: most targets are locals, and a kind is one virtual read where a type test
        // of an interface walks the operation class's interface map.
        var target = assignment.Target;
        ISymbol? member = target.Kind switch
        {
            OperationKind.FieldReference => ((IFieldReferenceOperation)target).Field,
            OperationKind.PropertyReference when ((IPropertyReferenceOperation)target).Property is { IsIndexer: false } property => property,
            _ => null,
        };
        if (member is null || member.ContainingType is null)
        {
            return;
        }

        // The value's type before the walk up the tree for a Lazy factory: most members are assigned neither a token nor
        // a request object.
        var value = assignment.Value.WalkDownConversions();
        var kind = Kind(value.Type, types);
        if (kind is null || CancellationTokens.IsNoneOrDefault(value, types) || OriginParameter(value) is not { } parameter ||
            IsInLazyFactory(assignment))
        {
            return;
        }

        // Instance members: only a long-lived owner, and only outside the constructor (construction-time wiring is the owner's choice).
        if (!member.IsStatic)
        {
            if (context.ContainingSymbol is IMethodSymbol { MethodKind: MethodKind.Constructor } ||
                assignment.Target is IMemberReferenceOperation { Instance: not (IInstanceReferenceOperation or null) } ||
                !IsLongLivedOnce(member.ContainingType, types) || CancellationTokens.IsServiceLifetimeToken(parameter, types))
            {
                return;
            }
        }

        context.ReportDiagnostic(Diagnostic.Create(Rule, assignment.Syntax.GetLocation(), kind, parameter.Name, member.Name));
    }

    private static string? Kind(ITypeSymbol? type, KnownTypes types)
    {
        if (type is null)
        {
            return null;
        }

        if (CancellationTokens.IsToken(type, types))
        {
            return "token";
        }

        return type.Name is "HttpContext" or "HttpRequest" or "HttpResponse" &&
               type.ContainingNamespace?.ToDisplayString() == "Microsoft.AspNetCore.Http"
            ? type.Name
            : null;
    }

    /// <summary>The parameter the value comes from: the parameter itself, or a property read on it (<c>context.RequestAborted</c>).</summary>
    private static IParameterSymbol? OriginParameter(IOperation value)
    {
        for (var current = value; current is not null;)
        {
            switch (current)
            {
                case IParameterReferenceOperation reference:
                    return reference.Parameter;
                case IPropertyReferenceOperation { Instance: { } instance }:
                    current = instance.WalkDownConversions();
                    continue;
                default:
                    return null;
            }
        }

        return null;
    }

    /// <summary>
    /// Hosted services, middleware, HTTP message handlers (one pipeline instance serves many concurrent requests) and
    /// singletons (private constructors only, and a static member holding the one instance): one instance serves every
    /// caller for the life of the application.
    /// </summary>
    // Per type of this compilation: the owners of the members assigned a token repeat (`new ParallelOptions {
    // CancellationToken = ct }`, whose implicit receiver counts as this, at every parallel loop), and the answer walks
    // the type's interfaces, base types, constructors and static members.
    private static readonly SymbolMemo<INamedTypeSymbol, StrongBox<bool>> LongLivedTypes = new();

    private static bool IsLongLivedOnce(INamedTypeSymbol type, KnownTypes types)
        => LongLivedTypes.GetOrCompute(types, type, types, static (t, k) => new StrongBox<bool>(IsLongLived(t, k))).Value;

    private static bool IsLongLived(INamedTypeSymbol type, KnownTypes types)
    {
        if (type.Implements(types.Get("Microsoft.Extensions.Hosting.IHostedService")) ||
            type.Implements(types.Get("Microsoft.AspNetCore.Http.IMiddleware")) ||
            type.InheritsFromOrEquals(types.Get("System.Net.Http.HttpMessageHandler")) ||
            IsSingleton(type))
        {
            return true;
        }

        foreach (var constructor in type.InstanceConstructors)
        {
            foreach (var parameter in constructor.Parameters)
            {
                if (parameter.Type.Name == "RequestDelegate")
                {
                    return true; // convention-based middleware
                }
            }
        }

        return false;
    }

    /// <summary>
    /// The singleton pattern: every instance constructor is private, and a static field or property holds an instance
    /// of the type (or a <c>Lazy</c> of it). A private constructor alone is a factory, and a static instance beside a
    /// public constructor is a sentinel (<c>Empty</c>): neither says the instance is shared.
    /// </summary>
    private static bool IsSingleton(INamedTypeSymbol type)
    {
        if (type.IsStatic || type.InstanceConstructors.IsEmpty)
        {
            return false;
        }

        foreach (var constructor in type.InstanceConstructors)
        {
            if (constructor.DeclaredAccessibility != Accessibility.Private || constructor.IsImplicitlyDeclared)
            {
                return false;
            }
        }

        foreach (var member in type.GetMembers())
        {
            var memberType = member switch
            {
                IFieldSymbol { IsStatic: true } field => field.Type,
                IPropertySymbol { IsStatic: true } property => property.Type,
                _ => null,
            };
            if (memberType is INamedTypeSymbol named &&
                (SymbolEqualityComparer.Default.Equals(named, type) ||
                 (named.Name == "Lazy" && named.TypeArguments.Length == 1 && SymbolEqualityComparer.Default.Equals(named.TypeArguments[0], type))))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsInLazyFactory(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation lambda)
            {
                var parent = lambda.WalkUpConversions();
                if (parent is IDelegateCreationOperation)
                {
                    parent = parent.WalkUpConversions();
                }

                if (parent is IArgumentOperation { Parent: IObjectCreationOperation creation } && creation.Type?.Name is "Lazy" or "AsyncLazy")
                {
                    return true;
                }
            }
        }

        return false;
    }
}
