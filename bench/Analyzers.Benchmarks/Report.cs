using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ConcurrencyAnalyzers.Benchmarks;

/// <summary>Markdown tables (readable in a terminal, pasteable into docs/performance.md).</summary>
internal static class Report
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Table(Corpus corpus, RunResult result, BenchmarkSettings settings, int topPeerAnalyzers)
    {
        var text = new StringBuilder();
        var compilerMs = result.Compiler.Select(c => c.TotalMs).ToList();
        var first = result.Compiler[0];
        var ours = result.Packages.Keys.Single(p => p.IsOurs);
        var oursTotals = result.Packages[ours].Select(s => s.TotalMs).ToList();

        text.AppendLine(Inv, $"Compiler (median of {settings.Iterations}): {Stats.Median(compilerMs):N0} ms = parse {Stats.Median(result.Compiler.Select(c => c.ParseMs)):N0} ms + {(first.Emitted ? "bind and emit" : "bind with diagnostics (not emitted: the code has errors)")} {Stats.Median(result.Compiler.Select(c => c.BindEmitMs)):N0} ms; range {Stats.Min(compilerMs):N0}-{Stats.Max(compilerMs):N0} ms; {first.Errors} errors, {first.Warnings} warnings.");
        text.AppendLine(Inv, $"Analysis pass{(settings.Isolated ? "es" : string.Empty)} (driver, binding and all analyzers; median): {Stats.Median(result.AnalysisWallMs):N0} ms wall.");
        // Callback times are summed over the threads that ran them; the compiler's wall time is not, when it builds
        // concurrently. Its CPU time (all threads) is the like-for-like denominator; the table's shares keep the wall
        // time, as csc's ReportAnalyzer output does.
        var compilerCpu = result.Compiler.Select(c => c.CpuMs).ToList();
        text.AppendLine(Inv, $"Compiler CPU time (all threads; median): {Stats.Median(compilerCpu):N0} ms, {Stats.Median(compilerCpu.Select((c, i) => c / compilerMs[i])):N2}× its wall time. {ours.Display} against it: {Percent(Stats.Median(oursTotals.Select((t, i) => t / compilerCpu[i])))}.");
        if (settings.Isolated)
        {
            // Each package's own pass: binding for operations, the driver's work for the package and its callbacks.
            text.AppendLine("Each package's pass (median wall): " + string.Join(", ", Ordered(result).Select(
                p => string.Create(Inv, $"{p.Package.Display} {Stats.Median(p.Samples.Select(s => s.WallMs)):N0} ms"))) + ".");
        }
        text.AppendLine();
        text.AppendLine("| Package | Analyzers | Time (ms) | Share of compiler time | Diagnostics | Ours ÷ package |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|");
        foreach (var (package, samples) in Ordered(result))
        {
            var time = Stats.Median(samples.Select(s => s.TotalMs));
            var share = Stats.Median(samples.Select((s, i) => s.TotalMs / compilerMs[i]));
            var ratio = package.IsOurs ? "—" : Ratio(Stats.Median(samples.Select((s, i) => oursTotals[i] / s.TotalMs)));
            var diagnostics = samples[0].AnalyzerDiagnostics.Values.Sum();
            var active = samples[0].AnalyzerMs.Count(kv => kv.Value > 0);
            var name = package.IsOurs ? $"**{package.Display}**" : package.Display;
            text.AppendLine(Inv, $"| {name} | {active}/{package.Analyzers.Length} | {time:N1} | {Percent(share)} | {diagnostics} | {ratio} |");
        }

        text.AppendLine();
        text.AppendLine("Our analyzers:");
        text.AppendLine();
        AnalyzerTable(text, ours, result.Packages[ours], compilerMs, int.MaxValue);

        var found = result.Packages[ours][0].DiagnosticsById;
        text.AppendLine();
        text.AppendLine("Our diagnostics by rule: " + (found.Count == 0 ? "none" : string.Join(", ", found.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} ×{kv.Value}"))) + ".");
        if (corpus.Planted is { } planted)
        {
            text.AppendLine("Planted bugs by expected rule (each marked `// Planted bug (CONCxxx)` in the generated code): " +
                string.Join(", ", planted.Select(kv => $"{kv.Key} ×{kv.Value}")) + ". Rules not merged yet cannot find theirs.");
        }

        if (topPeerAnalyzers > 0)
        {
            foreach (var (package, samples) in Ordered(result).Where(p => !p.Package.IsOurs))
            {
                text.AppendLine();
                text.AppendLine(Inv, $"{package.Display}: the {topPeerAnalyzers} most expensive analyzers");
                text.AppendLine();
                AnalyzerTable(text, package, samples, compilerMs, topPeerAnalyzers);
            }
        }

        var problems = result.Packages.SelectMany(kv => kv.Value.SelectMany(s => s.Exceptions).Select(e => kv.Key.Name + ": " + e)).Distinct().ToList();
        problems.AddRange(result.Packages.Keys.SelectMany(p => p.LoadErrors.Select(e => p.Name + ": load: " + e)));
        if (problems.Count > 0)
        {
            text.AppendLine();
            text.AppendLine(Inv, $"Analyzer exceptions and load failures ({problems.Count}):");
            foreach (var problem in problems.Take(20))
            {
                text.AppendLine("- " + problem);
            }
        }

        return text.ToString();
    }

    private static void AnalyzerTable(StringBuilder text, AnalyzerPackage package, List<PackageSample> samples, List<double> compilerMs, int top)
    {
        text.AppendLine("| Analyzer | Rules | Time (ms) | Share of compiler time | Diagnostics |");
        text.AppendLine("|---|---|---:|---:|---:|");
        var rows = package.Analyzers
            .Select(a => (Analyzer: a, Ms: Stats.Median(samples.Select(s => s.AnalyzerMs[a])), Share: Stats.Median(samples.Select((s, i) => s.AnalyzerMs[a] / compilerMs[i]))))
            .OrderByDescending(r => r.Ms)
            .ThenBy(r => r.Analyzer.GetType().Name, StringComparer.Ordinal)
            .Take(top);
        foreach (var row in rows)
        {
            text.AppendLine(Inv, $"| {row.Analyzer.GetType().Name} | {Rules(row.Analyzer)} | {row.Ms:N2} | {Percent(row.Share)} | {samples[0].AnalyzerDiagnostics[row.Analyzer]} |");
        }
    }

    /// <summary>
    /// Time per 1,000 lines per size. Interference on a shared machine only ever adds time, so the least disturbed
    /// round (the minimum) is shown first, the median after it; growth is given for both.
    /// </summary>
    public static string Scaling(IReadOnlyList<(int Lines, RunResult Result, int Iterations)> runs, IReadOnlyList<AnalyzerPackage> packages)
    {
        var text = new StringBuilder();
        var ordered = packages.OrderByDescending(p => p.IsOurs).ToList();
        text.Append("| Lines in the file | Rounds | Compiler ms / 1k lines, min · median |");
        foreach (var package in ordered)
        {
            text.Append(' ').Append(package.IsOurs ? "**" + package.Name + "**" : package.Name).Append(" ms / 1k lines, min · median |");
        }

        text.AppendLine();
        text.Append("|---:|---:|---:|");
        text.Append(string.Concat(Enumerable.Repeat("---:|", ordered.Count)));
        text.AppendLine();

        var perK = new Dictionary<(int, AnalyzerPackage?), (double Min, double Median)>();
        foreach (var (lines, result, iterations) in runs)
        {
            var k = lines / 1000.0;
            var compilerTimes = result.Compiler.Select(c => c.TotalMs / k).ToList();
            perK[(lines, null)] = (Stats.Min(compilerTimes), Stats.Median(compilerTimes));
            text.Append(Inv, $"| {lines:N0} | {iterations} | {Stats.Min(compilerTimes):N1} · {Stats.Median(compilerTimes):N1} |");
            foreach (var package in ordered)
            {
                var times = result.Packages[package].Select(s => s.TotalMs / k).ToList();
                perK[(lines, package)] = (Stats.Min(times), Stats.Median(times));
                text.Append(Inv, $" {Stats.Min(times):N2} · {Stats.Median(times):N2} |");
            }

            text.AppendLine();
        }

        if (runs.Count > 1)
        {
            var smallest = runs[0].Lines;
            var largest = runs[^1].Lines;
            string Growth(AnalyzerPackage? package) =>
                $"{Ratio(perK[(largest, package)].Min / perK[(smallest, package)].Min)} · {Ratio(perK[(largest, package)].Median / perK[(smallest, package)].Median)}";
            text.Append(Inv, $"| growth {Math.Round(largest / 1000.0)}k ÷ {Math.Round(smallest / 1000.0)}k | | {Growth(null)} |");
            foreach (var package in ordered)
            {
                text.Append(' ').Append(Growth(package)).Append(" |");
            }

            text.AppendLine();
        }

        return text.ToString();
    }

    private static IEnumerable<(AnalyzerPackage Package, List<PackageSample> Samples)> Ordered(RunResult result) =>
        result.Packages.OrderByDescending(kv => kv.Key.IsOurs).ThenBy(kv => kv.Key.Name, StringComparer.Ordinal).Select(kv => (kv.Key, kv.Value));

    private static string Rules(DiagnosticAnalyzer analyzer)
    {
        var ids = analyzer.SupportedDiagnostics.Select(d => d.Id).Distinct(StringComparer.Ordinal).OrderBy(i => i, StringComparer.Ordinal).ToList();
        return ids.Count <= 3 ? string.Join(", ", ids) : $"{ids[0]}, {ids[1]}, … ({ids.Count})";
    }

    private static string Percent(double share) => double.IsNaN(share) ? "n/a" : (share * 100).ToString(share < 0.001 ? "N3" : "N2", Inv) + "%";

    private static string Ratio(double ratio) => double.IsNaN(ratio) || double.IsInfinity(ratio) ? "n/a" : ratio.ToString(ratio < 0.01 ? "N4" : "N2", Inv) + "×";
}
