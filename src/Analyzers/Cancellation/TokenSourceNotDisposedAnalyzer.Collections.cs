using System.Threading;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Cancellation;

/// <summary>
/// CONC403 on a dictionary of sources: a private <c>Dictionary</c>/<c>ConcurrentDictionary</c> field that a method
/// fills with new linked sources, one per operation (<c>_running[id] = CancellationTokenSource.CreateLinkedTokenSource(token)</c>,
/// <c>TryAdd</c>, <c>Add</c>), where no code of the type disposes any source (no <c>Dispose()</c>, no <c>using</c>, no
/// source handed to a method) and the dictionary itself never leaves the type. Each source taken out (or left in)
/// keeps its registration on the parent token. Plain sources are left out: they hold nothing that needs disposing.
/// </summary>
public sealed partial class TokenSourceNotDisposedAnalyzer
{
    internal static readonly DiagnosticDescriptor CollectionRule = RuleDescriptors.Create(
        RuleIds.TokenSourceNotDisposed,
        Title,
        "'{0}' keeps a new {1} CancellationTokenSource here, but no code of the type ever disposes the sources it holds: each one's {2} leaks; dispose a source when taking it out",
        DiagnosticSeverity.Warning,
        Description);

    /// <summary>A <c>Dictionary&lt;K, CancellationTokenSource&gt;</c> or <c>ConcurrentDictionary&lt;K, CancellationTokenSource&gt;</c>.</summary>
    private static bool IsSourceDictionary(ITypeSymbol? type, KnownTypes types)
        // The name first: a generic type's TypeArguments are made (with their nullable annotations) when first read.
        => type is INamedTypeSymbol { Name: "Dictionary" or "ConcurrentDictionary", IsGenericType: true, TypeArguments.Length: 2 } dictionary &&
           dictionary.ContainingNamespace is { Name: "Generic" or "Concurrent", ContainingNamespace: { Name: "Collections", ContainingNamespace.Name: "System" } } &&
           CancellationTokens.IsTokenSource(dictionary.TypeArguments[1], types);

    /// <summary>True when a member of the type hands a source out (returns one, or has a source-typed out parameter or property).</summary>
    private static bool HandsSourcesOut(INamedTypeSymbol type, KnownTypes types)
    {
        foreach (var member in type.GetMembers())
        {
            switch (member)
            {
                case IPropertySymbol property when CancellationTokens.IsTokenSource(property.Type, types):
                    return true;
                case IMethodSymbol method when CancellationTokens.IsTokenSource(method.ReturnType, types):
                    return true;
                case IMethodSymbol method:
                    foreach (var parameter in method.Parameters)
                    {
                        if (parameter.RefKind != RefKind.None && CancellationTokens.IsTokenSource(parameter.Type, types))
                        {
                            return true;
                        }
                    }

                    break;
            }
        }

        return false;
    }

    private static void AnalyzeSourceCollections(SymbolStartAnalysisContext context, INamedTypeSymbol type, KnownTypes types)
    {
        if (HandsSourcesOut(type, types))
        {
            return;
        }

        var stores = new LockedBag<(IFieldSymbol Field, Location Location)>();
        var escaped = new LockedMap<IFieldSymbol, bool>(SymbolEqualityComparer.Default);
        var disposesSources = new int[1];
        context.RegisterOperationAction(
            c =>
            {
                var reference = (IFieldReferenceOperation)c.Operation;
                var field = reference.Field.OriginalDefinition;
                if (field.DeclaredAccessibility != Accessibility.Private || !IsSourceDictionary(field.Type, types))
                {
                    return;
                }

                switch (ClassifyCollectionUse(reference, types, out var store))
                {
                    case CollectionUse.Stored:
                        stores.Add((field, store!.Syntax.GetLocation()));
                        break;
                    case CollectionUse.Escaped:
                        escaped.TryAdd(field, true);
                        break;
                }
            },
            OperationKind.FieldReference);
        context.RegisterOperationAction(
            c =>
            {
                if (Volatile.Read(ref disposesSources[0]) == 0 && MayDisposeASource(c.Operation, types))
                {
                    Volatile.Write(ref disposesSources[0], 1);
                }
            },
            OperationKind.Invocation,
            OperationKind.Using,
            OperationKind.UsingDeclaration);
        context.RegisterSymbolEndAction(c =>
        {
            if (Volatile.Read(ref disposesSources[0]) != 0)
            {
                return;
            }

            foreach (var (field, location) in stores)
            {
                if (!escaped.ContainsKey(field))
                {
                    c.ReportDiagnostic(Diagnostic.Create(CollectionRule, location, field.Name, "linked", "registration on the parent token"));
                }
            }
        });
    }

    private enum CollectionUse
    {
        Harmless,
        Stored,
        Escaped,
    }

    /// <summary>
    /// A member use of the dictionary (indexer, <c>TryRemove</c>, <c>Values</c>, a <c>foreach</c>...) is harmless,
    /// or stores a new linked source (indexer assignment, <c>Add</c>/<c>TryAdd</c>); any other use lets the
    /// dictionary leave the type, where someone else may dispose its sources.
    /// </summary>
    private static CollectionUse ClassifyCollectionUse(IFieldReferenceOperation reference, KnownTypes types, out IOperation? store)
    {
        store = null;
        var parent = reference.Parent;
        switch (parent)
        {
            case IPropertyReferenceOperation property when ReferenceEquals(property.Instance, reference):
                if (property.Property.IsIndexer && property.Parent is ISimpleAssignmentOperation assignment && ReferenceEquals(assignment.Target, property) &&
                    IsNewLinkedSource(assignment.Value, types))
                {
                    store = assignment;
                    return CollectionUse.Stored;
                }

                // The values as a collection may go anywhere (DisposeAll(_running.Values)); only a foreach over them is followed.
                if (property.Property.Name == "Values" && property.WalkUpConversions() is not IForEachLoopOperation)
                {
                    return CollectionUse.Escaped;
                }

                return CollectionUse.Harmless;
            case IInvocationOperation call when ReferenceEquals(call.Instance, reference):
                if (call.TargetMethod.Name is "Add" or "TryAdd")
                {
                    foreach (var argument in call.Arguments)
                    {
                        if (argument.Parameter?.Ordinal == 1 && IsNewLinkedSource(argument.Value, types))
                        {
                            store = call;
                            return CollectionUse.Stored;
                        }
                    }
                }

                return CollectionUse.Harmless;
            case ISimpleAssignmentOperation replaced when ReferenceEquals(replaced.Target, reference):
            case IForEachLoopOperation:
            case IConversionOperation { Parent: IForEachLoopOperation }:
            case ILockOperation:
                return CollectionUse.Harmless;
            default:
                return CollectionUse.Escaped;
        }
    }

    private static bool IsNewLinkedSource(IOperation value, KnownTypes types)
        => NewSourceKind(value.WalkDownConversions(), types) is not null;

    /// <summary>
    /// An operation that may dispose a source: <c>Dispose()</c> on a source (also through <c>?.</c>), a <c>using</c>
    /// of one, or a source passed to a method (other than the dictionary's own <c>Add</c>/<c>TryRemove</c>...).
    /// </summary>
    private static bool MayDisposeASource(IOperation operation, KnownTypes types)
    {
        switch (operation)
        {
            case IInvocationOperation invocation:
                if (invocation.TargetMethod.Name == "Dispose" && CancellationTokens.IsTokenSource(invocation.Instance?.WalkDownConversions().Type, types))
                {
                    return true;
                }

                if (invocation.Instance?.WalkDownConversions() is IFieldReferenceOperation { Field: var field } && IsSourceDictionary(field.Type, types))
                {
                    return false;
                }

                foreach (var argument in invocation.Arguments)
                {
                    if (CancellationTokens.IsTokenSource(argument.Value.Type, types))
                    {
                        return true;
                    }
                }

                return false;
            case IUsingOperation @using:
                return UsesASource(@using.Resources, types);
            case IUsingDeclarationOperation declaration:
                return UsesASource(declaration.DeclarationGroup, types);
            default:
                return false;
        }
    }

    private static bool UsesASource(IOperation resources, KnownTypes types)
    {
        if (CancellationTokens.IsTokenSource(resources.Type, types))
        {
            return true;
        }

        foreach (var operation in resources.EnumerateDescendantsAndSelf())
        {
            if (operation is IVariableDeclaratorOperation declarator && CancellationTokens.IsTokenSource(declarator.Symbol.Type, types))
            {
                return true;
            }
        }

        return false;
    }
}
