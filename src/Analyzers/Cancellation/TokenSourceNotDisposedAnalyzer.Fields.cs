using System.Collections.Immutable;
using ConcurrencyAnalyzers.Analysis;
using ConcurrencyAnalyzers.Internals;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConcurrencyAnalyzers.Cancellation;

/// <summary>
/// CONC403 on fields: a private field that a method (not a constructor) fills with a new linked source on
/// every call (<c>_cts?.Cancel(); _cts = CancellationTokenSource.CreateLinkedTokenSource(token);</c>, the debounce
/// shape), where the same method cancels the field's previous source but no code of the type disposes the field or
/// hands its value on. Each call leaks the previous source's registration on the parent token. A field filled once per start
/// (<c>StartAsync</c> stores it, <c>StopAsync</c> cancels it) or never cancelled is not this shape.
/// </summary>
public sealed partial class TokenSourceNotDisposedAnalyzer
{
    internal static readonly DiagnosticDescriptor FieldRule = RuleDescriptors.Create(
        RuleIds.TokenSourceNotDisposed,
        Title,
        "'{0}' gets a new {1} CancellationTokenSource here, but no code of the type ever disposes it: each replaced source's {2} leaks; dispose the previous source when replacing it",
        DiagnosticSeverity.Warning,
        Description);

    private static void AnalyzeFields(SymbolStartAnalysisContext context, KnownTypes types)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        if (!type.GetTypeMembers().IsEmpty)
        {
            return;
        }

        var hasSourceField = HasPrivateSourceField(type, types, out var hasSourceDictionary);
        if (hasSourceDictionary)
        {
            AnalyzeSourceCollections(context, type, types);
        }

        // Every diagnostic is at an assignment of a new linked source (NewSourceKind), a call named in the type's text:
        // a type with a source field that never names CreateLinkedTokenSource (most) has its field references not watched.
        if (!hasSourceField || !SourceMentions.Any(type, LinkedSourceFactory))
        {
            return;
        }

        var assignments = new LockedBag<(IFieldSymbol Field, ISymbol? Method, Location Location, string Kind)>();
        var released = new LockedMap<IFieldSymbol, bool>(SymbolEqualityComparer.Default);
        var cancelled = new LockedMap<(IFieldSymbol Field, ISymbol? Method), bool>(FieldInMethodComparer.Instance);
        context.RegisterOperationAction(
            c =>
            {
                var reference = (IFieldReferenceOperation)c.Operation;
                var field = reference.Field.OriginalDefinition;
                if (field.DeclaredAccessibility != Accessibility.Private || !CancellationTokens.IsTokenSource(field.Type, types))
                {
                    return;
                }

                switch (Classify(reference, c.ContainingSymbol, types, out var kind))
                {
                    case FieldUse.Replaced:
                        assignments.Add((field, c.ContainingSymbol, reference.Parent!.Syntax.GetLocation(), kind!));
                        break;
                    case FieldUse.Released:
                        released.TryAdd(field, true);
                        break;
                    case FieldUse.Cancelled:
                        cancelled.TryAdd((field, c.ContainingSymbol), true);
                        break;
                }
            },
            OperationKind.FieldReference);
        context.RegisterSymbolEndAction(c =>
        {
            foreach (var (field, method, location, kind) in assignments)
            {
                if (cancelled.ContainsKey((field, method)) && !released.ContainsKey(field))
                {
                    const string leaked = "registration on the parent token";
                    c.ReportDiagnostic(Diagnostic.Create(FieldRule, location, field.Name, kind, leaked));
                }
            }
        });
    }

    private static readonly NameSet LinkedSourceFactory = NameSet.Of("CreateLinkedTokenSource");

    private enum FieldUse
    {
        Harmless,
        Cancelled,
        Replaced,
        Released,
    }

    /// <summary>
    /// True when the type has a private source field; <paramref name="hasSourceDictionary"/> tells whether it has a
    /// private dictionary of sources (see <see cref="AnalyzeSourceCollections"/>).
    /// </summary>
    private static bool HasPrivateSourceField(INamedTypeSymbol type, KnownTypes types, out bool hasSourceDictionary)
    {
        var hasSourceField = false;
        hasSourceDictionary = false;
        foreach (var member in type.GetMembers())
        {
            if (member is IFieldSymbol { DeclaredAccessibility: Accessibility.Private, IsImplicitlyDeclared: false } field)
            {
                hasSourceField |= CancellationTokens.IsTokenSource(field.Type, types);
                hasSourceDictionary |= IsSourceDictionary(field.Type, types);
            }
        }

        return hasSourceField;
    }

    /// <summary>
    /// What one reference does with the field: gets a new linked source outside a constructor (replaced);
    /// is cancelled (cancelled); is read for its token or state, compared with null, or assigned anything else (harmless); anything
    /// else, <c>Dispose()</c> and every hand-off (a local, an argument, <c>Interlocked.Exchange</c>, a <c>using</c>)
    /// included, may dispose it (released).
    /// </summary>
    private static FieldUse Classify(IFieldReferenceOperation reference, ISymbol? owner, KnownTypes types, out string? kind)
    {
        kind = null;
        var parent = reference.Parent;
        switch (parent)
        {
            case ISimpleAssignmentOperation assignment when ReferenceEquals(assignment.Target, reference):
                kind = owner is IMethodSymbol { MethodKind: MethodKind.Ordinary or MethodKind.PropertySet or MethodKind.LambdaMethod or MethodKind.LocalFunction }
                    ? NewSourceKind(assignment.Value.WalkDownConversions(), types)
                    : null;
                return kind is null ? FieldUse.Harmless : FieldUse.Replaced;
            case IInvocationOperation { TargetMethod.Name: "Cancel" or "CancelAsync" } call when ReferenceEquals(call.Instance, reference):
                return FieldUse.Cancelled;
            case IInvocationOperation { TargetMethod.Name: "CancelAfter" or "TryReset" } call when ReferenceEquals(call.Instance, reference):
            case IPropertyReferenceOperation { Property.Name: "Token" or "IsCancellationRequested" } property when ReferenceEquals(property.Instance, reference):
            case IBinaryOperation or IIsPatternOperation:
                return FieldUse.Harmless;
            case IConditionalAccessOperation access when ReferenceEquals(access.Operation, reference):
                return access.WhenNotNull switch
                {
                    IInvocationOperation { TargetMethod.Name: "Cancel" or "CancelAsync" } => FieldUse.Cancelled,
                    IInvocationOperation { TargetMethod.Name: "CancelAfter" or "TryReset" } => FieldUse.Harmless,
                    IPropertyReferenceOperation { Property.Name: "Token" or "IsCancellationRequested" } => FieldUse.Harmless,
                    _ => FieldUse.Released,
                };
            default:
                return FieldUse.Released;
        }
    }

    /// <summary><c>"linked"</c> for a new linked source, directly or through a local initialized with one.</summary>
    private static string? NewSourceKind(IOperation value, KnownTypes types)
    {
        if (value is ILocalReferenceOperation local)
        {
            value = local.Local.InitializerOf(local.GetEnclosingFunction() ?? local.GetRoot()) ?? value;
        }

        // A timed source is left out: the method cancels the previous one, and cancelling a source stops its timer.
        // A linked source stays registered on its parent until it is disposed, cancelled or not.
        return value is IInvocationOperation { TargetMethod.Name: "CreateLinkedTokenSource" } invocation &&
               CancellationTokens.IsTokenSource(invocation.TargetMethod.ContainingType, types)
            ? "linked"
            : null;
    }

    /// <summary>Compares (field, method) pairs by symbol.</summary>
    private sealed class FieldInMethodComparer : System.Collections.Generic.IEqualityComparer<(IFieldSymbol Field, ISymbol? Method)>
    {
        public static readonly FieldInMethodComparer Instance = new();

        public bool Equals((IFieldSymbol Field, ISymbol? Method) x, (IFieldSymbol Field, ISymbol? Method) y)
            => SymbolEqualityComparer.Default.Equals(x.Field, y.Field) && SymbolEqualityComparer.Default.Equals(x.Method, y.Method);

        public int GetHashCode((IFieldSymbol Field, ISymbol? Method) obj)
            => SymbolEqualityComparer.Default.GetHashCode(obj.Field) ^ (obj.Method is null ? 0 : SymbolEqualityComparer.Default.GetHashCode(obj.Method));
    }
}
