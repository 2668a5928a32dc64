using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ConcurrencyAnalyzers.CodeFixes.Editing;
using ConcurrencyAnalyzers.Locking;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace ConcurrencyAnalyzers.CodeFixes.Locking;

/// <summary>
/// CONC201: converts a private <c>object</c> gate used only by <c>lock</c> statements and
/// <c>Monitor.Enter(g); try { … } finally { Monitor.Exit(g); }</c> pairs into a <c>SemaphoreSlim(1, 1)</c>, at every
/// site of its type at once (all or nothing): async sites await <c>WaitAsync</c>, sync sites call <c>Wait()</c>, and
/// every release becomes <c>Release()</c>. No fix when any use of the gate has another shape, or when a site could
/// re-enter the gate (SemaphoreSlim is not reentrant).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(LockHeldAcrossAwaitCodeFix))]
[Shared]
public sealed class LockHeldAcrossAwaitCodeFix : CodeFixProvider
{
    private const string Title = "Convert the gate to SemaphoreSlim(1, 1)";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.LockHeldAcrossAwait);

    public override FixAllProvider GetFixAllProvider() => DocumentBatchFix.Create(FixAsync);

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var diagnostic = context.Diagnostics[0];
        if (!diagnostic.Properties.ContainsKey(LockHeldAcrossAwaitAnalyzer.GateProperty))
        {
            return;
        }

        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null || FindGate(root, model, diagnostic, context.CancellationToken) is not { } field ||
            Plan(root, model, field, context.CancellationToken) is null)
        {
            return;
        }

        context.RegisterCodeFix(
            CodeAction.Create(Title, ct => FixAsync(context.Document, ImmutableArray.Create(diagnostic), ct), RuleIds.LockHeldAcrossAwait),
            diagnostic);
    }

    private static async Task<Document> FixAsync(Document document, ImmutableArray<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        // Resolve every diagnosed gate on the original document first, then convert each once (a conversion moves code).
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return document;
        }

        var gates = new List<(string Type, string Field)>();
        foreach (var diagnostic in diagnostics)
        {
            if (FindGate(root, model, diagnostic, cancellationToken) is { } field)
            {
                var key = (field.ContainingType.ToDisplayString(), field.Name);
                if (!gates.Contains(key))
                {
                    gates.Add(key);
                }
            }
        }

        foreach (var (typeName, fieldName) in gates)
        {
            root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            if (root is null || model is null)
            {
                break;
            }

            var field = root.DescendantNodes().OfType<TypeDeclarationSyntax>()
                .Select(t => model.GetDeclaredSymbol(t, cancellationToken))
                .FirstOrDefault(t => t?.ToDisplayString() == typeName)?
                .GetMembers(fieldName).OfType<IFieldSymbol>().FirstOrDefault();
            if (field is not null && Plan(root, model, field, cancellationToken) is { } plan)
            {
                document = document.WithSyntaxRoot(Apply(root, model, plan, cancellationToken));
            }
        }

        return document;
    }

    /// <summary>The private gate field the diagnostic names (a member of the reporting code's type or an enclosing type).</summary>
    private static IFieldSymbol? FindGate(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (!diagnostic.Properties.TryGetValue(LockHeldAcrossAwaitAnalyzer.GateProperty, out var name) || name is null ||
            root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not { } node)
        {
            return null;
        }

        for (var type = model.GetEnclosingSymbol(node.SpanStart, cancellationToken)?.ContainingType; type is not null; type = type.ContainingType)
        {
            foreach (var member in type.GetMembers(name))
            {
                if (member is IFieldSymbol field)
                {
                    return field;
                }
            }
        }

        return null;
    }

    private sealed class ConversionPlan
    {
        public ConversionPlan(VariableDeclarationSyntax declaration, List<LockStatementSyntax> locks, List<(ExpressionStatementSyntax Enter, ExpressionStatementSyntax Exit)> pairs)
        {
            Declaration = declaration;
            Locks = locks;
            Pairs = pairs;
        }

        public VariableDeclarationSyntax Declaration { get; }

        public List<LockStatementSyntax> Locks { get; }

        public List<(ExpressionStatementSyntax Enter, ExpressionStatementSyntax Exit)> Pairs { get; }
    }

    /// <summary>Every use of the gate, when each is a rewritable shape and no site can re-enter it; otherwise null.</summary>
    private static ConversionPlan? Plan(SyntaxNode root, SemanticModel model, IFieldSymbol field, CancellationToken cancellationToken)
    {
        if (field.DeclaredAccessibility != Accessibility.Private || field.Type.SpecialType != SpecialType.System_Object ||
            field.DeclaringSyntaxReferences.Length != 1 || field.ContainingType.DeclaringSyntaxReferences.Length != 1 ||
            field.DeclaringSyntaxReferences[0].SyntaxTree != root.SyntaxTree ||
            field.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Variables.Count: 1 } declaration } declarator ||
            declaration.Parent is not FieldDeclarationSyntax ||
            !IsNewObject(declarator.Initializer?.Value) ||
            field.ContainingType.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not TypeDeclarationSyntax typeDeclaration)
        {
            return null;
        }

        var locks = new List<LockStatementSyntax>();
        var pairs = new List<(ExpressionStatementSyntax Enter, ExpressionStatementSyntax Exit)>();
        var pairedExits = new HashSet<SyntaxNode>();
        var uses = new List<ExpressionSyntax>();
        foreach (var identifier in typeDeclaration.DescendantNodes().OfType<IdentifierNameSyntax>())
        {
            if (identifier.Identifier.ValueText != field.Name ||
                !SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(identifier, cancellationToken).Symbol?.OriginalDefinition, field.OriginalDefinition))
            {
                continue;
            }

            uses.Add(identifier.Parent is MemberAccessExpressionSyntax access && access.Name == identifier ? access : identifier);
        }

        foreach (var use in uses)
        {
            if (use.Parent is LockStatementSyntax lockStatement && lockStatement.Expression == use)
            {
                locks.Add(lockStatement);
            }
            else if (MonitorCall(use, "Enter") is { } enter && PairedExit(enter, model, field, cancellationToken) is { } exit)
            {
                pairs.Add((enter, exit));
                pairedExits.Add(exit);
            }
            else if (MonitorCall(use, "Exit") is { } exitCall && pairedExits.Contains(exitCall))
            {
                continue;
            }
            else
            {
                return null;
            }
        }

        // Exits seen before their Enter: check them again now that every pair is known.
        foreach (var use in uses)
        {
            if (MonitorCall(use, "Exit") is { } exitCall && !pairedExits.Contains(exitCall))
            {
                return null;
            }
        }

        if (locks.Count + pairs.Count == 0 || CanReenter(typeDeclaration, model, uses, locks, pairs, cancellationToken))
        {
            return null;
        }

        return new ConversionPlan(declaration, locks, pairs);
    }

    private static bool IsNewObject(ExpressionSyntax? value)
        => value switch
        {
            ObjectCreationExpressionSyntax { Type: PredefinedTypeSyntax { Keyword.RawKind: (int)SyntaxKind.ObjectKeyword }, ArgumentList.Arguments.Count: 0, Initializer: null } => true,
            ObjectCreationExpressionSyntax { Type: PredefinedTypeSyntax { Keyword.RawKind: (int)SyntaxKind.ObjectKeyword }, ArgumentList: null, Initializer: null } => true,
            ImplicitObjectCreationExpressionSyntax { ArgumentList.Arguments.Count: 0, Initializer: null } => true,
            _ => false,
        };

    /// <summary>The statement <c>Monitor.&lt;name&gt;(gate);</c> whose only argument is <paramref name="use"/>.</summary>
    private static ExpressionStatementSyntax? MonitorCall(ExpressionSyntax use, string name)
    {
        if (use.Parent is ArgumentSyntax { RefKindKeyword.RawKind: 0, NameColon: null } argument &&
            argument.Parent is ArgumentListSyntax { Arguments.Count: 1 } list &&
            list.Parent is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax access } invocation &&
            access.Name.Identifier.ValueText == name &&
            access.Expression.ToString() is "Monitor" or "System.Threading.Monitor" or "global::System.Threading.Monitor" &&
            invocation.Parent is ExpressionStatementSyntax statement)
        {
            return statement;
        }

        return null;
    }

    /// <summary>
    /// For <c>Monitor.Enter(gate);</c> directly followed by a <c>try</c> whose <c>finally</c> has the statement
    /// <c>Monitor.Exit(gate);</c>: that exit statement.
    /// </summary>
    private static ExpressionStatementSyntax? PairedExit(ExpressionStatementSyntax enter, SemanticModel model, IFieldSymbol field, CancellationToken cancellationToken)
    {
        if (enter.Parent is not BlockSyntax block)
        {
            return null;
        }

        var index = block.Statements.IndexOf(enter);
        if (index + 1 >= block.Statements.Count || block.Statements[index + 1] is not TryStatementSyntax { Finally: { } finallyClause })
        {
            return null;
        }

        ExpressionStatementSyntax? exit = null;
        foreach (var statement in finallyClause.Block.Statements)
        {
            if (statement is ExpressionStatementSyntax { Expression: InvocationExpressionSyntax { ArgumentList.Arguments.Count: 1 } exitInvocation } candidate &&
                exitInvocation.ArgumentList.Arguments[0].Expression is var argument &&
                MonitorCall(argument, "Exit") == candidate &&
                SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(argument, cancellationToken).Symbol?.OriginalDefinition, field.OriginalDefinition))
            {
                if (exit is not null)
                {
                    return null;
                }

                exit = candidate;
            }
        }

        return exit;
    }

    /// <summary>
    /// True when a held region contains another use of the gate or calls a member of the type that (directly or through
    /// other members of the type) uses it: Monitor allows that re-entry, SemaphoreSlim(1, 1) would deadlock.
    /// </summary>
    private static bool CanReenter(
        TypeDeclarationSyntax typeDeclaration,
        SemanticModel model,
        List<ExpressionSyntax> uses,
        List<LockStatementSyntax> locks,
        List<(ExpressionStatementSyntax Enter, ExpressionStatementSyntax Exit)> pairs,
        CancellationToken cancellationToken)
    {
        var regions = new List<SyntaxNode>();
        regions.AddRange(locks.Select(l => (SyntaxNode)l.Statement));
        regions.AddRange(pairs.Select(p => (SyntaxNode)((TryStatementSyntax)((BlockSyntax)p.Enter.Parent!).Statements[((BlockSyntax)p.Enter.Parent!).Statements.IndexOf(p.Enter) + 1]).Block));

        foreach (var region in regions)
        {
            if (uses.Any(u => region.Span.Contains(u.Span)))
            {
                return true;
            }
        }

        // Members of the type that use the gate, closed over calls between members of the type.
        var members = typeDeclaration.DescendantNodes().OfType<MemberDeclarationSyntax>().Where(m => m is not BaseTypeDeclarationSyntax).ToList();
        var tainted = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        var calls = new Dictionary<ISymbol, List<ISymbol>>(SymbolEqualityComparer.Default);
        foreach (var member in members)
        {
            foreach (var symbol in DeclaredSymbols(member, model, cancellationToken))
            {
                var callees = Callees(member, model, typeDeclaration, cancellationToken);
                calls[symbol] = callees;
                if (uses.Any(u => member.Span.Contains(u.Span)))
                {
                    tainted.Add(symbol);
                }
            }
        }

        for (var changed = true; changed;)
        {
            changed = false;
            foreach (var entry in calls)
            {
                if (!tainted.Contains(entry.Key) && entry.Value.Any(tainted.Contains))
                {
                    tainted.Add(entry.Key);
                    changed = true;
                }
            }
        }

        foreach (var region in regions)
        {
            if (Callees(region, model, typeDeclaration, cancellationToken).Any(tainted.Contains))
            {
                return true;
            }
        }

        return false;
    }

    private static IEnumerable<ISymbol> DeclaredSymbols(MemberDeclarationSyntax member, SemanticModel model, CancellationToken cancellationToken)
    {
        if (member is BasePropertyDeclarationSyntax property)
        {
            if (model.GetDeclaredSymbol(property, cancellationToken) is { } propertySymbol)
            {
                yield return propertySymbol.OriginalDefinition;
            }

            yield break;
        }

        if (member is BaseFieldDeclarationSyntax)
        {
            yield break;
        }

        if (model.GetDeclaredSymbol(member, cancellationToken) is { } symbol)
        {
            yield return symbol.OriginalDefinition;
        }
    }

    /// <summary>Methods, properties and events of the type (or its nested types) referenced inside <paramref name="node"/>.</summary>
    private static List<ISymbol> Callees(SyntaxNode node, SemanticModel model, TypeDeclarationSyntax typeDeclaration, CancellationToken cancellationToken)
    {
        var result = new List<ISymbol>();
        foreach (var name in node.DescendantNodes().OfType<SimpleNameSyntax>())
        {
            var symbol = model.GetSymbolInfo(name, cancellationToken).Symbol;
            if (symbol is IMethodSymbol { MethodKind: MethodKind.LocalFunction } or null or IFieldSymbol or ILocalSymbol or IParameterSymbol or INamespaceOrTypeSymbol)
            {
                continue;
            }

            if (symbol is IMethodSymbol { ReducedFrom: { } reduced })
            {
                symbol = reduced;
            }

            if (symbol.DeclaringSyntaxReferences.Any(r => r.SyntaxTree == typeDeclaration.SyntaxTree && typeDeclaration.Span.Contains(r.Span)))
            {
                result.Add(symbol.OriginalDefinition);
            }
            else if (symbol is IMethodSymbol { MethodKind: MethodKind.PropertyGet or MethodKind.PropertySet } accessor && accessor.AssociatedSymbol is { } associated &&
                     associated.DeclaringSyntaxReferences.Any(r => r.SyntaxTree == typeDeclaration.SyntaxTree && typeDeclaration.Span.Contains(r.Span)))
            {
                result.Add(associated.OriginalDefinition);
            }
        }

        return result;
    }

    private static SyntaxNode Apply(SyntaxNode root, SemanticModel model, ConversionPlan plan, CancellationToken cancellationToken)
    {
        var (semaphoreType, import) = TypeNames.At(model, plan.Declaration.SpanStart, "System.Threading", "SemaphoreSlim");
        var replacements = new Dictionary<SyntaxNode, SyntaxNode[]>();

        var declarator = plan.Declaration.Variables[0];
        var creation = SyntaxFactory.ObjectCreationExpression(
            SyntaxFactory.Token(SyntaxKind.NewKeyword).WithTrailingTrivia(SyntaxFactory.Space),
            semaphoreType.WithoutTrivia(),
            SyntaxFactory.ArgumentList(SyntaxFactory.SeparatedList(new[]
            {
                SyntaxFactory.Argument(SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(1))),
                SyntaxFactory.Argument(SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(1))),
            })),
            initializer: null);
        var newDeclaration = plan.Declaration
            .WithType(semaphoreType.WithTriviaFrom(plan.Declaration.Type))
            .WithVariables(SyntaxFactory.SingletonSeparatedList(
                declarator.WithInitializer(declarator.Initializer!.WithValue(creation.WithTriviaFrom(declarator.Initializer.Value)))));
        replacements[plan.Declaration] = new SyntaxNode[] { newDeclaration };

        foreach (var lockStatement in plan.Locks)
        {
            var gate = lockStatement.Expression.WithoutTrivia();
            var body = lockStatement.Statement as BlockSyntax ?? SyntaxFactory.Block(lockStatement.Statement.WithoutLeadingTrivia());
            var acquire = Acquire(lockStatement, gate, model, cancellationToken).WithLeadingTrivia(lockStatement.GetLeadingTrivia());
            var tryStatement = SyntaxFactory.TryStatement(
                    body.WithoutTrailingTrivia(),
                    default,
                    SyntaxFactory.FinallyClause(SyntaxFactory.Block(ReleaseStatement(gate))))
                .WithTrailingTrivia(lockStatement.GetTrailingTrivia())
                .WithAdditionalAnnotations(Formatter.Annotation);
            replacements[lockStatement] = lockStatement.Parent is BlockSyntax or SwitchSectionSyntax
                ? new SyntaxNode[] { acquire, tryStatement }
                : new SyntaxNode[] { SyntaxFactory.Block(acquire, tryStatement).WithAdditionalAnnotations(Formatter.Annotation) };
        }

        foreach (var (enter, exit) in plan.Pairs)
        {
            var gate = ((InvocationExpressionSyntax)enter.Expression).ArgumentList.Arguments[0].Expression.WithoutTrivia();
            replacements[enter] = new SyntaxNode[] { Acquire(enter, gate, model, cancellationToken).WithTriviaFrom(enter) };
            replacements[exit] = new SyntaxNode[] { ReleaseStatement(gate).WithTriviaFrom(exit) };
        }

        // Lock statements become two statements: replace each tracked node on its own.
        var newRoot = root.TrackNodes(replacements.Keys);
        foreach (var original in replacements.Keys)
        {
            var current = newRoot.GetCurrentNode(original);
            if (current is null)
            {
                continue;
            }

            var replacement = replacements[original];
            newRoot = replacement.Length == 1
                ? newRoot.ReplaceNode(current, replacement[0])
                : newRoot.ReplaceNode(current, replacement);
        }

        return UsingDirectives.AddIfMissing(newRoot, import);
    }

    /// <summary><c>await gate.WaitAsync(token)</c> where the site can await, else <c>gate.Wait();</c>.</summary>
    private static StatementSyntax Acquire(StatementSyntax site, ExpressionSyntax gate, SemanticModel model, CancellationToken cancellationToken)
    {
        if (!AsyncContexts.CanAwaitAt(site))
        {
            return SyntaxFactory.ExpressionStatement(Call(gate, "Wait", null)).WithAdditionalAnnotations(Formatter.Annotation);
        }

        var function = site.Ancestors().FirstOrDefault(a => a is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or BaseMethodDeclarationSyntax);
        var token = function is null ? null : SingleToken(function, model, cancellationToken);
        ExpressionSyntax wait = Call(gate, "WaitAsync", token);
        if (function is not null && UsesConfigureAwaitFalse(function))
        {
            wait = SyntaxFactory.InvocationExpression(
                SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, wait, SyntaxFactory.IdentifierName("ConfigureAwait")),
                SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(SyntaxFactory.LiteralExpression(SyntaxKind.FalseLiteralExpression)))));
        }

        return SyntaxFactory.ExpressionStatement(SyntaxFactory.AwaitExpression(wait)).WithAdditionalAnnotations(Formatter.Annotation);
    }

    private static StatementSyntax ReleaseStatement(ExpressionSyntax gate)
        => SyntaxFactory.ExpressionStatement(Call(gate, "Release", null)).WithAdditionalAnnotations(Formatter.Annotation);

    private static InvocationExpressionSyntax Call(ExpressionSyntax gate, string name, string? argument)
        => SyntaxFactory.InvocationExpression(
            SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, gate, SyntaxFactory.IdentifierName(name)),
            argument is null
                ? SyntaxFactory.ArgumentList()
                : SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(SyntaxFactory.IdentifierName(argument)))));

    /// <summary>The name of the function's only CancellationToken parameter, if it has exactly one.</summary>
    private static string? SingleToken(SyntaxNode function, SemanticModel model, CancellationToken cancellationToken)
    {
        var symbol = function is AnonymousFunctionExpressionSyntax lambda
            ? model.GetSymbolInfo(lambda, cancellationToken).Symbol as IMethodSymbol
            : model.GetDeclaredSymbol(function, cancellationToken) as IMethodSymbol;
        var tokens = symbol?.Parameters.Where(p => p.Type is INamedTypeSymbol { Name: "CancellationToken", ContainingNamespace: { Name: "Threading", ContainingNamespace.Name: "System" } }).ToList();
        return tokens is { Count: 1 } ? tokens[0].Name : null;
    }

    private static bool UsesConfigureAwaitFalse(SyntaxNode function)
        => function.DescendantNodes().OfType<InvocationExpressionSyntax>().Any(i =>
            i.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ConfigureAwait" } &&
            i.ArgumentList.Arguments.Count == 1 && i.ArgumentList.Arguments[0].Expression.IsKind(SyntaxKind.FalseLiteralExpression));
}
