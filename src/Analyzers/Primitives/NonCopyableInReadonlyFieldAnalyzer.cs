using System.Collections.Immutable;
using ConcurrencyAnalyzers.Analysis;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ConcurrencyAnalyzers.Primitives;

/// <summary>
/// CONC501: a <c>readonly</c> field (also in a <c>readonly struct</c>) or an auto-property of a non-copyable type
/// (<c>SpinLock</c>, <c>SpinWait</c>, a <c>[NonCopyable]</c> struct, or a struct holding one): every call through it
/// runs on a defensive copy, so nothing is ever locked.
/// </summary>
public sealed class NonCopyableInReadonlyFieldAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property: present (value <c>true</c>) when dropping <c>readonly</c> is a safe fix.</summary>
    public const string FixableProperty = "RemoveReadonly";

    private const string Title = "SpinLock or non-copyable struct in a readonly field";
    private const string Description =
        "A readonly field of a mutable struct can only be read, so every method called on it runs on a defensive copy: " +
        "SpinLock.Enter locks a temporary, Exit releases another temporary, and no two threads are ever excluded. " +
        "An auto-property returns a copy on every read. Store the value in a non-readonly field and never copy it.";

    internal static readonly DiagnosticDescriptor FieldRule = RuleDescriptors.Create(
        RuleIds.NonCopyableInReadonlyField,
        Title,
        "'{0}' is a readonly field of '{1}', a struct holding synchronization state: every call on it runs on a defensive copy, so it synchronizes nothing; remove readonly",
        DiagnosticSeverity.Warning,
        Description);

    internal static readonly DiagnosticDescriptor PropertyRule = RuleDescriptors.Create(
        RuleIds.NonCopyableInReadonlyField,
        Title,
        "'{0}' is an auto-property of '{1}', a struct holding synchronization state: every read returns a copy, so it synchronizes nothing; use a non-readonly field",
        DiagnosticSeverity.Warning,
        Description);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(FieldRule, PropertyRule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var types = KnownTypes.For(start.Compilation);
            var nonCopyable = NonCopyableTypes.For(types, start.Options);
            start.RegisterSymbolAction(c => AnalyzeField(c, nonCopyable), SymbolKind.Field);
            start.RegisterSymbolAction(c => AnalyzeProperty(c, nonCopyable), SymbolKind.Property);
        });
    }

    private static void AnalyzeField(SymbolAnalysisContext context, NonCopyableTypes nonCopyable)
    {
        var field = (IFieldSymbol)context.Symbol;
        if (field.IsImplicitlyDeclared || !field.IsReadOnly || field.IsConst || field.RefKind != RefKind.None ||
            !IsMutableNonCopyable(field.Type, nonCopyable))
        {
            return;
        }

        foreach (var reference in field.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(context.CancellationToken) is not VariableDeclaratorSyntax declarator)
            {
                continue;
            }

            var fixable = field.ContainingType is { IsReadOnly: false } &&
                          declarator.Parent?.Parent is FieldDeclarationSyntax declaration &&
                          declaration.Modifiers.Any(SyntaxKind.ReadOnlyKeyword);
            var properties = fixable
                ? ImmutableDictionary<string, string?>.Empty.Add(FixableProperty, "true")
                : ImmutableDictionary<string, string?>.Empty;
            context.ReportDiagnostic(Diagnostic.Create(
                FieldRule, declarator.Identifier.GetLocation(), properties, field.Name, TypeName(field.Type)));
        }
    }

    private static void AnalyzeProperty(SymbolAnalysisContext context, NonCopyableTypes nonCopyable)
    {
        var property = (IPropertySymbol)context.Symbol;
        if (property.IsImplicitlyDeclared || property.IsAbstract || property.IsExtern || property.IsIndexer ||
            property.ReturnsByRef || property.ReturnsByRefReadonly ||
            property.ContainingType?.TypeKind == TypeKind.Interface ||
            !IsMutableNonCopyable(property.Type, nonCopyable))
        {
            return;
        }

        foreach (var reference in property.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(context.CancellationToken) is PropertyDeclarationSyntax declaration && IsAutoProperty(declaration))
            {
                context.ReportDiagnostic(Diagnostic.Create(
                    PropertyRule, declaration.Identifier.GetLocation(), property.Name, TypeName(property.Type)));
            }
        }
    }

    /// <summary>
    /// Non-copyable (or a struct updating its own fields atomically / under a lock) and not a <c>readonly struct</c>
    /// (whose members cannot mutate, so there are no defensive copies).
    /// </summary>
    private static bool IsMutableNonCopyable(ITypeSymbol type, NonCopyableTypes nonCopyable)
        => type is INamedTypeSymbol { IsReadOnly: false } &&
           (nonCopyable.IsNonCopyable(type) || nonCopyable.HoldsSynchronizationState(type));

    private static bool IsAutoProperty(PropertyDeclarationSyntax declaration)
    {
        if (declaration.AccessorList is not { } accessors || declaration.ExpressionBody is not null)
        {
            return false;
        }

        foreach (var accessor in accessors.Accessors)
        {
            if (accessor.Body is not null || accessor.ExpressionBody is not null)
            {
                return false;
            }
        }

        return accessors.Accessors.Count > 0;
    }

    private static string TypeName(ITypeSymbol type) => type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);
}
