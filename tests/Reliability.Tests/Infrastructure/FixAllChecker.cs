using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace ConcurrencyAnalyzers.Reliability.Infrastructure;

/// <summary>
/// Fix All (solution scope) for every code fix of ours, every fixable ID and every equivalence key its actions
/// use, on one project: the result must have no new compiler error, keep every comment, and a second Fix All must
/// change nothing.
/// </summary>
public sealed class FixAllChecker
{
    private readonly ImmutableArray<DiagnosticAnalyzer> _analyzers = OurComponents.CreateAnalyzers();
    private readonly ImmutableArray<CodeFixProvider> _fixers = OurComponents.CreateCodeFixes();

    /// <summary>(fixer, ID, equivalence key) triples that had something to fix, for the report.</summary>
    public List<string> Exercised { get; } = new();

    public static Solution CreateSolution(IEnumerable<(string Name, string Text)> documents, OutputKind outputKind, bool implicitUsings)
    {
        var workspace = new AdhocWorkspace();
        var projectId = ProjectId.CreateNewId();
        var parseOptions = AnalysisRunner.ParseOptions(LanguageVersion.Latest);
        var solution = workspace.CurrentSolution.AddProject(ProjectInfo.Create(
            projectId,
            VersionStamp.Create(),
            "Input",
            "Input",
            LanguageNames.CSharp,
            compilationOptions: AnalysisRunner.CompilationOptions.WithOutputKind(outputKind),
            parseOptions: parseOptions,
            metadataReferences: References.Framework));
        if (implicitUsings)
        {
            solution = solution.AddDocument(DocumentId.CreateNewId(projectId), "GlobalUsings.g.cs", AnalysisRunner.ImplicitUsings, filePath: "/src/GlobalUsings.g.cs");
        }

        foreach (var (name, text) in documents)
        {
            solution = solution.AddDocument(DocumentId.CreateNewId(projectId), name, SourceText.From(text), filePath: "/src/" + name);
        }

        return solution;
    }

    public async Task<List<string>> CheckAsync(Solution solution, string label, CancellationToken cancellationToken = default)
    {
        var problems = new List<string>();
        var project = solution.Projects.Single();
        var before = await DiagnoseAsync(project, cancellationToken);
        foreach (var fixer in _fixers)
        {
            foreach (var id in fixer.FixableDiagnosticIds)
            {
                var targets = before.Diagnostics.Where(d => d.Id == id && !d.IsSuppressed && d.Location.IsInSource).ToList();
                if (targets.Count == 0)
                {
                    continue;
                }

                var keys = await EquivalenceKeysAsync(project, fixer, targets, cancellationToken);
                var fixAll = fixer.GetFixAllProvider();
                foreach (var key in keys)
                {
                    var what = $"{label}: {fixer.GetType().Name} {id} '{key}'";
                    if (fixAll is null)
                    {
                        problems.Add($"{what}: the fixer has no Fix All provider");
                        continue;
                    }

                    try
                    {
                        Exercised.Add(what);
                        var fixedSolution = await FixAllAsync(project, fixer, fixAll, id, key, before.Diagnostics, cancellationToken);
                        if (fixedSolution is null)
                        {
                            continue;
                        }

                        var fixedProject = fixedSolution.GetProject(project.Id)!;
                        var after = await DiagnoseAsync(fixedProject, cancellationToken);
                        problems.AddRange(NewErrors(before.Errors, after.Errors).Select(e => $"{what}: Fix All introduced the error {e}"));
                        problems.AddRange((await LostCommentsAsync(project, fixedProject, cancellationToken)).Select(c => $"{what}: Fix All lost the comment {c}"));

                        var again = await FixAllAsync(fixedProject, fixer, fixAll, id, key, after.Diagnostics, cancellationToken);
                        if (again is not null)
                        {
                            foreach (var document in fixedProject.Documents)
                            {
                                var first = (await document.GetTextAsync(cancellationToken)).ToString();
                                var second = (await again.GetDocument(document.Id)!.GetTextAsync(cancellationToken)).ToString();
                                if (first != second)
                                {
                                    problems.Add($"{what}: a second Fix All changed {document.Name}:\n--- after the first Fix All:\n{first}\n--- after the second:\n{second}");
                                }
                            }
                        }
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        problems.Add($"{what}: Fix All threw {e}");
                    }
                }
            }
        }

        return problems;
    }

    /// <summary>
    /// Fix All started the way <c>dotnet format analyzers</c> starts it: from one diagnostic of the rule, with the key
    /// of that diagnostic's first action, or no key when it has no fix. We start from a diagnostic without a fix
    /// whenever the rule has one (the case that used to switch a rule's bulk fix off). Whenever some diagnostic of the
    /// rule has a fix, the run must change the code.
    /// </summary>
    public async Task<List<string>> CheckFormatStyleAsync(Solution solution, string label, CancellationToken cancellationToken = default)
    {
        var problems = new List<string>();
        var project = solution.Projects.Single();
        var before = await DiagnoseAsync(project, cancellationToken);
        foreach (var fixer in _fixers)
        {
            var fixAll = fixer.GetFixAllProvider();
            foreach (var id in fixer.FixableDiagnosticIds)
            {
                var targets = before.Diagnostics.Where(d => d.Id == id && !d.IsSuppressed && d.Location.IsInSource).ToList();
                if (targets.Count == 0 || fixAll is null)
                {
                    continue;
                }

                Diagnostic? unfixable = null;
                var anyFix = false;
                foreach (var target in targets)
                {
                    if ((await EquivalenceKeysAsync(project, fixer, new List<Diagnostic> { target }, cancellationToken)).Count == 0)
                    {
                        unfixable ??= target;
                    }
                    else
                    {
                        anyFix = true;
                    }
                }

                if (!anyFix)
                {
                    continue;
                }

                var start = unfixable ?? targets[0];
                var key = unfixable is null ? (await EquivalenceKeysAsync(project, fixer, new List<Diagnostic> { start }, cancellationToken))[0] : null;
                var what = $"{label}: {fixer.GetType().Name} {id} started from {(unfixable is null ? "a fixable" : "an unfixable")} diagnostic";
                Exercised.Add(what);
                var ordered = before.Diagnostics.Where(d => d != start).Prepend(start).ToImmutableArray();
                var fixedSolution = await FixAllAsync(project, fixer, fixAll, id, key, ordered, cancellationToken);
                var changed = false;
                if (fixedSolution is not null)
                {
                    foreach (var document in project.Documents)
                    {
                        var original = (await document.GetTextAsync(cancellationToken)).ToString();
                        var after = (await fixedSolution.GetDocument(document.Id)!.GetTextAsync(cancellationToken)).ToString();
                        changed |= original != after;
                    }
                }

                if (!changed)
                {
                    problems.Add($"{what}: some diagnostics have a fix, but the run changed nothing");
                }
            }
        }

        return problems;
    }

    private async Task<(ImmutableArray<Diagnostic> Diagnostics, ImmutableArray<Diagnostic> Errors)> DiagnoseAsync(Project project, CancellationToken cancellationToken)
    {
        var compilation = (await project.GetCompilationAsync(cancellationToken))!;
        var diagnostics = await compilation
            .WithAnalyzers(_analyzers, new CompilationWithAnalyzersOptions(
                new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty, EmptyOptionsProvider.Instance),
                onAnalyzerException: null,
                concurrentAnalysis: true,
                logAnalyzerExecutionTime: false,
                reportSuppressedDiagnostics: true))
            .GetAllDiagnosticsAsync(cancellationToken);
        var errors = compilation.GetDiagnostics(cancellationToken).Where(d => d.Severity == DiagnosticSeverity.Error).ToImmutableArray();
        return (diagnostics, errors);
    }

    private static async Task<List<string>> EquivalenceKeysAsync(Project project, CodeFixProvider fixer, List<Diagnostic> targets, CancellationToken cancellationToken)
    {
        var keys = new List<string>();
        foreach (var diagnostic in targets)
        {
            var document = project.GetDocument(diagnostic.Location.SourceTree);
            if (document is null)
            {
                continue;
            }

            var actions = new List<CodeAction>();
            var context = new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), cancellationToken);
            await fixer.RegisterCodeFixesAsync(context);
            foreach (var action in actions)
            {
                if (action.EquivalenceKey is { } key && !keys.Contains(key))
                {
                    keys.Add(key);
                }
            }
        }

        return keys;
    }

    private static async Task<Solution?> FixAllAsync(
        Project project,
        CodeFixProvider fixer,
        FixAllProvider fixAll,
        string id,
        string? key,
        ImmutableArray<Diagnostic> diagnostics,
        CancellationToken cancellationToken)
    {
        var relevant = diagnostics.Where(d => d.Id == id && !d.IsSuppressed && d.Location.IsInSource).ToImmutableArray();
        if (relevant.IsEmpty)
        {
            return null;
        }

        var document = project.GetDocument(relevant[0].Location.SourceTree)!;
        var context = new FixAllContext(document, fixer, FixAllScope.Solution, key!, new[] { id }, new Provider(relevant), cancellationToken);
        var action = await fixAll.GetFixAsync(context);
        if (action is null)
        {
            return null;
        }

        var operations = await action.GetOperationsAsync(cancellationToken);
        return operations.OfType<ApplyChangesOperation>().SingleOrDefault()?.ChangedSolution;
    }

    private static IEnumerable<string> NewErrors(ImmutableArray<Diagnostic> before, ImmutableArray<Diagnostic> after)
    {
        var remaining = before.Select(Describe).GroupBy(s => s).ToDictionary(g => g.Key, g => g.Count());
        foreach (var error in after)
        {
            var text = Describe(error);
            if (remaining.TryGetValue(text, out var count) && count > 0)
            {
                remaining[text] = count - 1;
            }
            else
            {
                yield return error.ToString();
            }
        }

        static string Describe(Diagnostic d) => d.Id + ": " + d.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Comments of <paramref name="before"/> missing from <paramref name="after"/> (as a multiset, whitespace-insensitive).</summary>
    private static async Task<List<string>> LostCommentsAsync(Project before, Project after, CancellationToken cancellationToken)
    {
        var have = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var document in after.Documents)
        {
            foreach (var comment in Comments(await document.GetSyntaxRootAsync(cancellationToken)))
            {
                have[comment] = have.GetValueOrDefault(comment) + 1;
            }
        }

        var lost = new List<string>();
        foreach (var document in before.Documents)
        {
            foreach (var comment in Comments(await document.GetSyntaxRootAsync(cancellationToken)))
            {
                if (have.GetValueOrDefault(comment) > 0)
                {
                    have[comment]--;
                }
                else
                {
                    lost.Add($"'{comment}' ({document.Name})");
                }
            }
        }

        return lost;
    }

    public static IEnumerable<string> Comments(SyntaxNode? root)
        => root is null
            ? Enumerable.Empty<string>()
            : root.DescendantTrivia(descendIntoTrivia: true)
                .Where(t => t.IsKind(SyntaxKind.SingleLineCommentTrivia) || t.IsKind(SyntaxKind.MultiLineCommentTrivia) ||
                            t.IsKind(SyntaxKind.SingleLineDocumentationCommentTrivia) || t.IsKind(SyntaxKind.MultiLineDocumentationCommentTrivia))
                .Select(t => Regex.Replace(t.ToFullString(), @"\s+", " ").Trim());

    private sealed class Provider : FixAllContext.DiagnosticProvider
    {
        private readonly ImmutableArray<Diagnostic> _diagnostics;

        public Provider(ImmutableArray<Diagnostic> diagnostics) => _diagnostics = diagnostics;

        public override Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken)
            => Task.FromResult<IEnumerable<Diagnostic>>(_diagnostics);

        public override async Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken)
        {
            var tree = await document.GetSyntaxTreeAsync(cancellationToken);
            return _diagnostics.Where(d => d.Location.SourceTree == tree);
        }

        public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken)
            => Task.FromResult(_diagnostics.Where(d => !d.Location.IsInSource));
    }
}
