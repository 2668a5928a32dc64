using System.Collections.Generic;
using System.Runtime.CompilerServices;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Analysis;

/// <summary>Where a token in scope comes from.</summary>
internal enum TokenSourceKind
{
    /// <summary>A <c>CancellationToken</c> parameter of the method, lambda or local function.</summary>
    Parameter,

    /// <summary>A <c>CancellationToken</c> local.</summary>
    Local,

    /// <summary>The <c>Token</c> of a linked or timed <c>CancellationTokenSource</c> local (<c>cts.Token</c>).</summary>
    SourceLocal,

    /// <summary>A <c>CancellationToken</c> property of a parameter (<c>context.RequestAborted</c>).</summary>
    ParameterProperty,
}

/// <summary>A cancellation token reachable at some operation, and the C# text that reads it.</summary>
internal sealed class TokenInScope
{
    public TokenInScope(ISymbol symbol, IPropertySymbol? property, TokenSourceKind kind, string expressionText)
    {
        Symbol = symbol;
        Property = property;
        Kind = kind;
        ExpressionText = expressionText;
    }

    /// <summary>The parameter or local that holds the token (or the source, or the object with the token property).</summary>
    public ISymbol Symbol { get; }

    /// <summary>The property read on <see cref="Symbol"/> (<c>Token</c>, <c>RequestAborted</c>), or null.</summary>
    public IPropertySymbol? Property { get; }

    public TokenSourceKind Kind { get; }

    /// <summary>C# text that reads the token where it was found: <c>ct</c>, <c>cts.Token</c>, <c>context.RequestAborted</c>.</summary>
    public string ExpressionText { get; }
}

/// <summary>
/// The token-in-scope finder and the "observes a token" test shared by the cancellation rules (and by CONC101 and
/// CONC602). Innermost first: locals of the enclosing blocks (latest declared first), then the parameters of the
/// enclosing lambda or local function, then outward up to the method. A <c>static</c> lambda or local function
/// cannot capture, so the walk stops there.
/// </summary>
internal static class CancellationTokens
{
    // The name first: a type equal to CancellationToken has its name, and most types asked about do not (one string
    // compare instead of two OriginalDefinition lookups and a symbol comparison).
    public static bool IsToken(ITypeSymbol? type, KnownTypes types)
        => type is not null && types.CancellationToken is { } token &&
           (ReferenceEquals(type, token) || (type.Name == "CancellationToken" && type.Is(token)));

    public static bool IsTokenSource(ITypeSymbol? type, KnownTypes types)
        => type is { TypeKind: TypeKind.Class, SpecialType: SpecialType.None } && type.InheritsFromOrEquals(types.CancellationTokenSource);

    /// <summary>
    /// The innermost token reachable at <paramref name="at"/>; <paramref name="owningSymbol"/> is the declared symbol
    /// owning the operation block (<c>OperationAnalysisContext.ContainingSymbol</c>), whose parameters come last.
    /// </summary>
    public static TokenInScope? FindInnermostToken(IOperation at, ISymbol? owningSymbol, KnownTypes types)
    {
        foreach (var token in FindTokens(at, owningSymbol, types))
        {
            return token;
        }

        return null;
    }

    /// <summary>Every token reachable at <paramref name="at"/>, innermost first.</summary>
    public static IEnumerable<TokenInScope> FindTokens(IOperation at, ISymbol? owningSymbol, KnownTypes types)
    {
        if (!MayHaveTokenInScope(at, owningSymbol, types))
        {
            yield break;
        }

        var position = at.Syntax.SpanStart;
        IOperation? previous = null;
        for (var current = at; current is not null; previous = current, current = current.Parent)
        {
            switch (current)
            {
                case IBlockOperation block:
                    foreach (var token in LocalsBefore(block.Locals, block, position, types))
                    {
                        yield return token;
                    }

                    break;
                case IUsingOperation usingOperation when previous is not null && ReferenceEquals(previous, usingOperation.Body):
                    foreach (var token in LocalsBefore(usingOperation.Locals, usingOperation, position, types))
                    {
                        yield return token;
                    }

                    break;
                case IForEachLoopOperation forEach when previous is not null && ReferenceEquals(previous, forEach.Body):
                    foreach (var token in LocalsBefore(forEach.Locals, forEach, position, types))
                    {
                        yield return token;
                    }

                    break;
                case IAnonymousFunctionOperation lambda:
                    foreach (var token in Parameters(lambda.Symbol, types))
                    {
                        yield return token;
                    }

                    if (lambda.Symbol.IsStatic || IsStaticLambda(lambda.Syntax))
                    {
                        yield break;
                    }

                    break;
                case ILocalFunctionOperation localFunction:
                    foreach (var token in Parameters(localFunction.Symbol, types))
                    {
                        yield return token;
                    }

                    if (localFunction.Symbol.IsStatic)
                    {
                        yield break;
                    }

                    break;
            }
        }

        if (owningSymbol is IMethodSymbol method)
        {
            foreach (var token in Parameters(method, types))
            {
                yield return token;
            }
        }
    }

    /// <summary>
    /// False when no token can be found anywhere in the body that holds <paramref name="at"/>: the owning method has
    /// no token (or context) parameter, and the body declares no token or token-source local and no lambda or local
    /// function with such a parameter. Asked before <see cref="FindTokens"/>' walk up the tree; the body's part is
    /// worked out once per body.
    /// </summary>
    public static bool MayHaveTokenInScope(IOperation at, ISymbol? owningSymbol, KnownTypes types)
    {
        if (types.CancellationToken is null)
        {
            return false;
        }

        // The owner's parameters, answered once per method (its parameters cost an array and a type object each to read).
        if (owningSymbol is IMethodSymbol method && CancellationOverloads.OffersToken(method, types))
        {
            return true;
        }

        return BodiesWithTokens.GetOrCompute(at.GetRoot(), types, static (r, t) => new StrongBox<bool>(DeclaresToken(r, t))).Value;
    }

    private static readonly OperationMemo<StrongBox<bool>> BodiesWithTokens = new();

    /// <summary>A local (in a block, <c>using</c> or <c>foreach</c>) or lambda/local function parameter that could be a token in scope.</summary>
    private static bool DeclaresToken(IOperation root, KnownTypes types)
    {
        foreach (var operation in root.EnumerateDescendantsAndSelf())
        {
            var locals = operation switch
            {
                IBlockOperation block => block.Locals,
                IUsingOperation usingOperation => usingOperation.Locals,
                IForEachLoopOperation forEach => forEach.Locals,
                _ => default,
            };
            if (!locals.IsDefault)
            {
                foreach (var local in locals)
                {
                    if (IsToken(local.Type, types) || IsTokenSource(local.Type, types))
                    {
                        return true;
                    }
                }

                continue;
            }

            var function = operation switch
            {
                IAnonymousFunctionOperation lambda => lambda.Symbol,
                ILocalFunctionOperation localFunction => localFunction.Symbol,
                _ => null,
            };
            if (function is not null)
            {
                foreach (var _ in Parameters(function, types))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// True when <paramref name="body"/> reads a token or a token source anywhere: <c>IsCancellationRequested</c>,
    /// <c>ThrowIfCancellationRequested</c>, a token passed to a call, <c>cts.Token</c>, <c>WaitHandle</c>. Reading
    /// <c>CancellationToken.None</c> or <c>default</c> is not observing.
    /// </summary>
    public static bool ObservesToken(IOperation body, KnownTypes types)
    {
        foreach (var operation in body.EnumerateDescendantsAndSelf())
        {
            if (IsTokenRead(operation, types))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when <paramref name="body"/> reads this token (or the source/object it comes from).</summary>
    public static bool ObservesToken(IOperation body, TokenInScope token)
    {
        foreach (var operation in body.EnumerateDescendantsAndSelf())
        {
            if (ReferencedSymbol(operation) is { } symbol && SymbolEqualityComparer.Default.Equals(symbol, token.Symbol))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The operation runs only where the token in scope is known to be <c>None</c>: inside the true branch of
    /// <c>if (ct == CancellationToken.None)</c> (also <c>== default</c>, <c>!ct.CanBeCanceled</c>, as one operand of
    /// <c>&amp;&amp;</c>) or the false branch of <c>if (ct != CancellationToken.None)</c> / <c>ct.CanBeCanceled</c>.
    /// Passing <c>None</c> there passes the token (CONC401), and a loop there has nothing to observe (CONC402).
    /// </summary>
    public static bool IsKnownNoneAt(IOperation operation, TokenInScope token)
    {
        var child = operation;
        for (var current = operation.Parent; current is not null; child = current, current = current.Parent)
        {
            switch (current)
            {
                case IAnonymousFunctionOperation or ILocalFunctionOperation:
                    return false;
                case IConditionalOperation conditional when ReferenceEquals(child, conditional.WhenTrue) || ReferenceEquals(child, conditional.WhenFalse):
                    if (ImpliesNone(conditional.Condition, ReferenceEquals(child, conditional.WhenTrue), token))
                    {
                        return true;
                    }

                    break;
            }
        }

        return false;
    }

    /// <summary>The condition having the value <paramref name="holds"/> means the token is <c>None</c> (cannot be cancelled).</summary>
    private static bool ImpliesNone(IOperation condition, bool holds, TokenInScope token)
    {
        condition = condition.WalkDownConversions();
        switch (condition)
        {
            case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not:
                return ImpliesNone(not.Operand, !holds, token);
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd } both when holds:
                return ImpliesNone(both.LeftOperand, true, token) || ImpliesNone(both.RightOperand, true, token);
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalOr } either when !holds:
                return ImpliesNone(either.LeftOperand, false, token) || ImpliesNone(either.RightOperand, false, token);
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } comparison:
                var equalMeansNone = comparison.OperatorKind == BinaryOperatorKind.Equals;
                return holds == equalMeansNone &&
                       ((IsReadOf(comparison.LeftOperand, token) && IsNoneLiteral(comparison.RightOperand)) ||
                        (IsReadOf(comparison.RightOperand, token) && IsNoneLiteral(comparison.LeftOperand)));
            case IPropertyReferenceOperation { Property.Name: "CanBeCanceled", Instance: { } instance } when !holds:
                return IsReadOf(instance, token);
            default:
                return false;
        }
    }

    private static bool IsNoneLiteral(IOperation value)
        => value.WalkDownConversions() switch
        {
            IPropertyReferenceOperation { Property: { IsStatic: true, Name: "None", ContainingType.Name: "CancellationToken" } } => true,
            IDefaultValueOperation => true,
            _ => false,
        };

    /// <summary>A read of the token in scope: <c>ct</c>, or <c>cts.Token</c> when that is how the token is found.</summary>
    private static bool IsReadOf(IOperation value, TokenInScope token)
    {
        value = value.WalkDownConversions();
        if (token.Property is { } property)
        {
            if (value is not IPropertyReferenceOperation read || !SymbolEqualityComparer.Default.Equals(read.Property, property))
            {
                return false;
            }

            value = read.Instance?.WalkDownConversions() ?? value;
        }

        var symbol = value.ReferencedVariable() ?? (value as IPropertyReferenceOperation)?.Property;
        return symbol is not null && SymbolEqualityComparer.Default.Equals(symbol, token.Symbol);
    }

    /// <summary>A read of a token-typed or source-typed value other than <c>CancellationToken.None</c>.</summary>
    public static bool IsTokenRead(IOperation operation, KnownTypes types)
    {
        // By kind: one call, where a type pattern walks the node's interfaces (and most operations are neither).
        switch (operation.Kind)
        {
            case OperationKind.ParameterReference or OperationKind.LocalReference or OperationKind.FieldReference:
                return IsToken(operation.Type, types) || IsNullableToken(operation.Type, types) || IsTokenSource(operation.Type, types);
            case OperationKind.PropertyReference:
                var property = (IPropertyReferenceOperation)operation;
                if (property.Property.IsStatic && property.Property.ContainingType.Is(types.CancellationToken))
                {
                    return false; // CancellationToken.None
                }

                return IsToken(property.Type, types) || IsTokenSource(property.Type, types) ||
                       (property.Property.Name == "IsCancellationRequested" && property.Instance is not null);
            default:
                return false;
        }
    }

    /// <summary><c>CancellationToken.None</c> or <c>default</c> / <c>default(CancellationToken)</c> / <c>new CancellationToken()</c>.</summary>
    public static bool IsNoneOrDefault(IOperation value, KnownTypes types)
    {
        value = value.WalkDownConversions();
        return value switch
        {
            IPropertyReferenceOperation { Property: { IsStatic: true, Name: "None" } property } => property.ContainingType.Is(types.CancellationToken),
            IDefaultValueOperation => IsToken(value.Type, types),
            IObjectCreationOperation { Arguments.Length: 0 } creation => IsToken(creation.Type, types),
            _ => false,
        };
    }

    public static bool IsNullableToken(ITypeSymbol? type, KnownTypes types)
        => type is INamedTypeSymbol { Name: "Nullable", OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable &&
           IsToken(nullable.TypeArguments[0], types);

    private static ISymbol? ReferencedSymbol(IOperation operation) => operation switch
    {
        IParameterReferenceOperation p => p.Parameter,
        ILocalReferenceOperation l => l.Local,
        IFieldReferenceOperation f => f.Field,
        _ => null,
    };

    /// <summary>
    /// True when <see cref="Parameters"/> offers a token for <paramref name="method"/>: a token parameter code can
    /// name, or a context parameter with a token property. The same tests, without making the TokenInScope objects.
    /// </summary>
    internal static bool OffersToken(IMethodSymbol method, KnownTypes types)
    {
        foreach (var parameter in method.Parameters)
        {
            if (IsTokenParameter(parameter, types))
            {
                return true;
            }
        }

        foreach (var parameter in method.Parameters)
        {
            if (IsContextWithToken(parameter, types, out _))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A context parameter (<c>HttpContext</c>, <c>ServerCallContext</c>...) whose type has one token property.</summary>
    private static bool IsContextWithToken(IParameterSymbol parameter, KnownTypes types, out IPropertySymbol? property)
    {
        property = null;
        if (!IsUsableName(parameter) || parameter.Type.IsValueType || parameter.RefKind == RefKind.Out ||
            parameter.Type.SpecialType != SpecialType.None || parameter.Type.TypeKind is TypeKind.Delegate or TypeKind.Error or TypeKind.TypeParameter)
        {
            return false;
        }

        // Only context objects (HttpContext, ServerCallContext, IJobExecutionContext, ...): their token is the
        // lifetime of the work being handled. Any other object's token is that object's own business.
        return parameter.Type.Name.EndsWith("Context", System.StringComparison.Ordinal) &&
               (property = TokenProperty(parameter.Type, types)) is not null;
    }

    /// <summary>A parameter of token type that code can name (what <see cref="Parameters"/> offers first).</summary>
    private static bool IsTokenParameter(IParameterSymbol parameter, KnownTypes types)
        => IsToken(parameter.Type, types) && IsUsableName(parameter);

    private static IEnumerable<TokenInScope> Parameters(IMethodSymbol method, KnownTypes types)
    {
        // Token parameters first (the last one wins when there are several: it is the convention's slot).
        for (var i = method.Parameters.Length - 1; i >= 0; i--)
        {
            var parameter = method.Parameters[i];
            if (IsTokenParameter(parameter, types))
            {
                yield return new TokenInScope(parameter, null, TokenSourceKind.Parameter, Escape(parameter.Name));
            }
        }

        // Then a token property of a context parameter (HttpContext.RequestAborted, ServerCallContext.CancellationToken).
        foreach (var parameter in method.Parameters)
        {
            if (IsContextWithToken(parameter, types, out var property) && property is not null)
            {
                yield return new TokenInScope(parameter, property, TokenSourceKind.ParameterProperty, Escape(parameter.Name) + "." + property.Name);
            }
        }
    }

    /// <summary>The one public instance <c>CancellationToken</c> property of a context-like type, or null (none or several).</summary>
    private static IPropertySymbol? TokenProperty(ITypeSymbol type, KnownTypes types)
    {
        if (IsTokenSource(type, types))
        {
            return null;
        }

        IPropertySymbol? found = null;
        for (var current = type; current is not null; current = current.BaseType)
        {
            foreach (var member in current.GetMembers())
            {
                if (member is IPropertySymbol { IsStatic: false, IsIndexer: false, DeclaredAccessibility: Accessibility.Public, GetMethod: not null } property &&
                    IsToken(property.Type, types))
                {
                    if (found is not null && !SymbolEqualityComparer.Default.Equals(found, property.OverriddenProperty))
                    {
                        return null;
                    }

                    found ??= property;
                }
            }
        }

        if (found is null && type.TypeKind == TypeKind.Interface)
        {
            foreach (var @interface in type.AllInterfaces)
            {
                foreach (var member in @interface.GetMembers())
                {
                    if (member is IPropertySymbol { IsStatic: false, IsIndexer: false, GetMethod: not null } property && IsToken(property.Type, types))
                    {
                        if (found is not null)
                        {
                            return null;
                        }

                        found = property;
                    }
                }
            }
        }

        return found;
    }

    private static IEnumerable<TokenInScope> LocalsBefore(
        System.Collections.Immutable.ImmutableArray<ILocalSymbol> locals, IOperation scope, int position, KnownTypes types)
    {
        // Latest declared first: the innermost lifetime is usually the newest.
        for (var i = locals.Length - 1; i >= 0; i--)
        {
            var local = locals[i];
            if (!IsDeclaredBefore(local, position))
            {
                continue;
            }

            if (IsToken(local.Type, types))
            {
                yield return new TokenInScope(local, null, TokenSourceKind.Local, Escape(local.Name));
            }
            else if (IsTokenSource(local.Type, types) && IsScopedSource(local, scope, types) &&
                     local.Type.GetMembers("Token").Length > 0 && types.CancellationTokenSource?.GetMembers("Token") is { Length: > 0 } tokenMembers &&
                     tokenMembers[0] is IPropertySymbol tokenProperty)
            {
                yield return new TokenInScope(local, tokenProperty, TokenSourceKind.SourceLocal, Escape(local.Name) + ".Token");
            }
        }
    }

    private static bool IsDeclaredBefore(ILocalSymbol local, int position)
    {
        if (local.DeclaringSyntaxReferences.Length == 0)
        {
            return false;
        }

        var reference = local.DeclaringSyntaxReferences[0];
        if (reference.Span.End <= position)
        {
            return true;
        }

        // A typed foreach variable (`foreach (CancellationToken ct in tokens)`) is declared by the whole statement,
        // which spans its body: it is declared once its identifier is.
        return reference.Span.Start < position && reference.GetSyntax() is ForEachStatementSyntax forEach && forEach.Identifier.Span.End <= position;
    }

    /// <summary>
    /// A source local counts as "the operation's token" when it is linked to another token or carries a timeout
    /// (<c>CreateLinkedTokenSource</c>, <c>new CancellationTokenSource(delay)</c>, <c>CancelAfter</c>). A plain
    /// <c>new CancellationTokenSource()</c> usually controls some other piece of work, so it does not count, unless a
    /// handler of the program's stop events cancels it (<c>Console.CancelKeyPress</c>, <c>ProcessExit</c>).
    /// </summary>
    private static bool IsScopedSource(ILocalSymbol local, IOperation scope, KnownTypes types)
    {
        foreach (var operation in scope.EnumerateDescendants())
        {
            switch (operation)
            {
                case IVariableDeclaratorOperation declarator when SymbolEqualityComparer.Default.Equals(declarator.Symbol, local):
                    var initializer = declarator.Initializer?.Value ?? (declarator.Parent as IVariableDeclarationOperation)?.Initializer?.Value;
                    if (initializer is not null && IsLinkedOrTimedCreation(initializer.WalkDownConversions(), types))
                    {
                        return true;
                    }

                    break;
                case IInvocationOperation { TargetMethod.Name: "CancelAfter", Instance: ILocalReferenceOperation reference }
                    when SymbolEqualityComparer.Default.Equals(reference.Local, local):
                    return true;
                case IInvocationOperation { TargetMethod.Name: "Cancel" or "CancelAsync", Instance: ILocalReferenceOperation reference } cancel
                    when SymbolEqualityComparer.Default.Equals(reference.Local, local) && IsInEventHandlerLambda(cancel):
                    return true;
            }
        }

        return false;
    }

    /// <summary>
    /// <c>Console.CancelKeyPress += (_, e) =&gt; { e.Cancel = true; cts.Cancel(); };</c>: the source is the program's
    /// stop signal (Ctrl+C, <c>ProcessExit</c>, <c>AssemblyLoadContext.Unloading</c>), so its token is the one every
    /// call of the method should get. A source a UI event cancels (a Cancel button's <c>Click</c>) stops one operation.
    /// </summary>
    private static bool IsInEventHandlerLambda(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation lambda)
            {
                return lambda.WalkUpConversions() is IDelegateCreationOperation creation &&
                       creation.WalkUpConversions() is IEventAssignmentOperation { Adds: true, EventReference: IEventReferenceOperation { Event.Name: "CancelKeyPress" or "ProcessExit" or "Unloading" } };
            }
        }

        return false;
    }

    public static bool IsLinkedOrTimedCreation(IOperation value, KnownTypes types) => value switch
    {
        IInvocationOperation { TargetMethod.Name: "CreateLinkedTokenSource" } invocation => IsTokenSource(invocation.TargetMethod.ContainingType, types),
        IObjectCreationOperation { Arguments.Length: > 0 } creation => IsTokenSource(creation.Type, types),
        _ => false,
    };

    private static bool IsUsableName(IParameterSymbol parameter)
        => parameter.Name.Length > 0 && parameter.Name != "_" && !parameter.IsDiscard;

    private static bool IsStaticLambda(SyntaxNode syntax)
        => syntax is AnonymousFunctionExpressionSyntax anonymous && anonymous.Modifiers.Any(SyntaxKind.StaticKeyword);

    private static string Escape(string name)
        => SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

    /// <summary>
    /// The token of a hosted service's <c>StartAsync</c> (or <c>IHostedLifecycleService</c>'s <c>StartingAsync</c>/
    /// <c>StartedAsync</c>): it says "abandon the start", and the host cancels it when start-up takes too long. Work the
    /// start fires and forgets runs for the service's lifetime, so this token is no token for it.
    /// </summary>
    internal static bool IsHostedServiceStartToken(ISymbol symbol)
    {
        if (symbol is not IParameterSymbol
            {
                ContainingSymbol: IMethodSymbol { Name: "StartAsync" or "StartingAsync" or "StartedAsync", Parameters.Length: 1 } method,
            })
        {
            return false;
        }

        foreach (var implemented in method.ContainingType.AllInterfaces)
        {
            if (implemented.Name is "IHostedService" or "IHostedLifecycleService")
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The <c>stoppingToken</c> of a <c>BackgroundService.ExecuteAsync</c> override: it is the service's own lifetime
    /// token, cancelled when the service stops, so keeping it in a member of the service (CONC407) or leaving a
    /// registration on it (CONC403) outlives nothing. <c>StartAsync</c>'s token only covers start-up.
    /// </summary>
    internal static bool IsServiceLifetimeToken(IParameterSymbol parameter, KnownTypes types)
    {
        if (parameter.ContainingSymbol is not IMethodSymbol { Name: "ExecuteAsync", IsOverride: true } method ||
            types.Get("Microsoft.Extensions.Hosting.BackgroundService") is not { } backgroundService)
        {
            return false;
        }

        for (var current = method.OverriddenMethod; current is not null; current = current.OverriddenMethod)
        {
            if (current.ContainingType.Is(backgroundService))
            {
                return true;
            }
        }

        return false;
    }
}
