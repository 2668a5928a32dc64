using ConcurrencyAnalyzers.Internals;
using ConcurrencyAnalyzers.Locking;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.SharedState;

/// <summary>
/// CONC301 on EF Core's <c>DbContext</c>: one context, declared outside the lambda, used by an async EF call in each
/// task of <c>Task.WhenAll(items.Select(x => db.Users.FindAsync(x)))</c> (directly, through <c>ToList/ToArray</c>,
/// or through one local). The calls start their operations one after another on the caller's thread, but each
/// returns before its operation ends, so the operations overlap: a DbContext allows one at a time and throws on the
/// second. The shared-state scan sees a projection's part before its first await as sequential, so it misses this.
/// </summary>
public sealed partial class CollectionMutatedConcurrentlyAnalyzer
{
    private const string DbContextMetadataName = "Microsoft.EntityFrameworkCore.DbContext";

    internal static readonly DiagnosticDescriptor SharedDbContextRule = RuleDescriptors.Create(
        RuleIds.CollectionMutatedConcurrently,
        "Non-thread-safe collection mutated from concurrent code",
        "'{0}' ({1}) runs '{2}' in every task started together for Task.WhenAll; a DbContext allows one operation at a time, so the overlapping ones throw",
        DiagnosticSeverity.Warning,
        "A DbContext is not thread-safe and supports a single operation at a time: starting a second query or save " +
        "before the first has completed throws InvalidOperationException (or corrupts its change tracker). Run the " +
        "operations one after another, or give each task its own context from IDbContextFactory.");

    private static void AnalyzeProjection(OperationAnalysisContext context, INamedTypeSymbol dbContext, KnownTypes types)
    {
        var select = (IInvocationOperation)context.Operation;
        if (select.TargetMethod is not { Name: "Select", ContainingType: { Name: "Enumerable", ContainingNamespace.Name: "Linq" } } ||
            select.Arguments.Length != 2 ||
            select.Arguments[1].Value.WalkDownConversions() is not IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda })
        {
            return;
        }

        // Where the projected tasks go: straight into Task.WhenAll, or into a local that is passed to it.
        var joinedHere = false;
        ILocalSymbol? local = null;
        IOperation current = select;
        while (current.Parent is { } parent)
        {
            if (parent is IConversionOperation or IArgumentOperation { Parent: IInvocationOperation { TargetMethod.Name: "ToList" or "ToArray" } })
            {
                current = parent;
                continue;
            }

            if (parent is IInvocationOperation { TargetMethod.Name: "ToList" or "ToArray" })
            {
                current = parent;
                continue;
            }

            if (parent is IArgumentOperation { Parent: IInvocationOperation join } && IsWhenAll(join, types))
            {
                joinedHere = true;
            }
            else if (parent is IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator })
            {
                local = declarator.Symbol;
            }

            break;
        }

        if (!joinedHere && local is null)
        {
            return;
        }

        if (SharedContextCall(lambda, dbContext, types) is not { } found ||
            (!joinedHere && !IsJoinedLater(select, local!, types)))
        {
            return;
        }

        var (call, name, type) = found;
        context.ReportDiagnostic(Diagnostic.Create(SharedDbContextRule, TaskBlocking.ReportLocation(call), name, type, call.TargetMethod.Name));
    }

    private static bool IsWhenAll(IInvocationOperation invocation, KnownTypes types)
        => invocation.TargetMethod is { Name: "WhenAll", IsStatic: true } method && method.ContainingType.Is(types.Task);

    /// <summary>A <c>Task.WhenAll(local)</c> (or <c>WhenAll(local.ToArray())</c>) in the function that declares the local.</summary>
    private static bool IsJoinedLater(IOperation select, ILocalSymbol local, KnownTypes types)
    {
        var function = select.GetEnclosingFunction() ?? select.GetRoot();
        foreach (var operation in function.EnumerateDescendants())
        {
            if (operation is IInvocationOperation { Arguments.Length: 1 } join && IsWhenAll(join, types))
            {
                var value = join.Arguments[0].Value.WalkDownConversions();
                while (value is IInvocationOperation { TargetMethod.Name: "ToList" or "ToArray", Arguments.Length: 1 } copy)
                {
                    value = copy.Arguments[0].Value.WalkDownConversions();
                }

                if (value is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, local))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// The first async EF call in the lambda (a task-returning method of an EF Core type or of a DbContext type) on a
    /// context the lambda did not make: a field or property of the type, or a local or parameter from outside. None
    /// when the lambda takes a lock or waits on a semaphore (it may serialize the calls).
    /// </summary>
    private static (IInvocationOperation Call, string Name, string Type)? SharedContextCall(IAnonymousFunctionOperation lambda, INamedTypeSymbol dbContext, KnownTypes types)
    {
        (IInvocationOperation Call, string Name, string Type)? found = null;
        foreach (var operation in lambda.Body.EnumerateDescendants())
        {
            // Tasks that take a lock or a semaphore slot first may be serializing their use of the context.
            if (operation is ILockOperation or IInvocationOperation { TargetMethod.Name: "WaitAsync" or "LockAsync" or "AcquireAsync" or "EnterAsync" or "Wait" or "Enter" })
            {
                return null;
            }

            if (found is not null ||
                operation is not IInvocationOperation { TargetMethod: { } method } call || !call.Type.IsTaskLike(types) ||
                !(IsEfNamespace(method.ContainingType.ContainingNamespace) || method.ContainingType.InheritsFromOrEquals(dbContext)))
            {
                continue;
            }

            var root = ContextRoot(call, dbContext);
            var name = root switch
            {
                IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field => field.Field.Name,
                IPropertyReferenceOperation { Instance: null or IInstanceReferenceOperation } property => property.Property.Name,
                ILocalReferenceOperation reference when !IsInside(reference.Local, lambda) => reference.Local.Name,
                IParameterReferenceOperation reference when !IsInside(reference.Parameter, lambda) => reference.Parameter.Name,
                _ => null,
            };
            if (name is not null)
            {
                found = (call, name, root!.Type!.Name);
            }
        }

        return found;
    }

    private static bool IsEfNamespace(INamespaceSymbol? ns)
        => ns is { Name: "EntityFrameworkCore", ContainingNamespace: { Name: "Microsoft", ContainingNamespace.IsGlobalNamespace: true } };

    /// <summary>The DbContext-typed expression a call chain starts from (<c>db</c> in <c>db.Users.Where(...).ToListAsync()</c>), or null.</summary>
    private static IOperation? ContextRoot(IInvocationOperation call, INamedTypeSymbol dbContext)
    {
        IOperation? current = call;
        for (var depth = 0; current is not null && depth < 16; depth++)
        {
            current = current.WalkDownConversions();
            if (depth > 0 && current.Type.InheritsFromOrEquals(dbContext))
            {
                return current;
            }

            current = current switch
            {
                IInvocationOperation { Instance: { } instance } => instance,
                IInvocationOperation { TargetMethod.IsExtensionMethod: true, Arguments.Length: > 0 } extension => extension.Arguments[0].Value,
                IPropertyReferenceOperation { Instance: { } instance } => instance,
                _ => null,
            };
        }

        return null;
    }

    /// <summary>True when the local or parameter is declared in the lambda (its own parameters, or a nested lambda's).</summary>
    private static bool IsInside(ISymbol variable, IAnonymousFunctionOperation lambda)
    {
        foreach (var reference in variable.DeclaringSyntaxReferences)
        {
            if (lambda.Syntax.Span.Contains(reference.Span) && reference.SyntaxTree == lambda.Syntax.SyntaxTree)
            {
                return true;
            }
        }

        return false;
    }
}
