using System.Collections.Immutable;
using ConcurrencyAnalyzers.Analysis;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpAnalyzerVerifier<
    ConcurrencyAnalyzers.Tests.Analysis.TaskObservationTests.Probe>;

namespace ConcurrencyAnalyzers.Tests.Analysis;

/// <summary>The task-observation check, probed: every call to <c>Make()</c> reports how its task is used.</summary>
public sealed class TaskObservationTests
{
    [Fact]
    public Task Each_use_is_classified()
        => Verify.VerifyAnalyzerAsync("""
            using System.Collections.Generic;
            using System.Threading.Tasks;

            class C
            {
                private Task? _pending;
                static Task Make() => Task.CompletedTask;
                static void Forget(Task t) { }

                async Task<Task> M(List<Task> tasks, bool flag)
                {
                    {|#0:Make()|};
                    _ = {|#1:Make()|};
                    await {|#2:Make()|};
                    await {|#3:Make()|}.ConfigureAwait(false);
                    _pending = {|#4:Make()|};
                    tasks.Add({|#5:Make()|});
                    await Task.WhenAll({|#6:Make()|}, {|#7:Make()|});
                    {|#8:Make()|}.ContinueWith(t => t.Exception);
                    {|#9:Make()|}.Wait();
                    Forget({|#10:Make()|});
                    var later = {|#11:Make()|};
                    await later;
                    var unread = {|#12:Make()|};
                    var flagged = flag ? {|#13:Make()|} : null;
                    if (flagged != null) await flagged;
                    return {|#14:Make()|};
                }
            }
            """,
            Expect(0, TaskUse.Dropped),
            Expect(1, TaskUse.Discarded),
            Expect(2, TaskUse.Awaited),
            Expect(3, TaskUse.Awaited),
            Expect(4, TaskUse.Stored),
            Expect(5, TaskUse.Passed),
            Expect(6, TaskUse.Passed),
            Expect(7, TaskUse.Passed),
            Expect(8, TaskUse.Continued),
            Expect(9, TaskUse.Blocked),
            Expect(10, TaskUse.Passed),
            Expect(11, TaskUse.Awaited),
            Expect(12, TaskUse.StoredInUnreadLocal),
            Expect(13, TaskUse.Other),
            Expect(14, TaskUse.Returned));

    private static Microsoft.CodeAnalysis.Testing.DiagnosticResult Expect(int location, TaskUse use)
        => Verify.Diagnostic(Probe.Rule).WithLocation(location).WithArguments(use.ToString());

    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class Probe : InvocationProbe
    {
        public static readonly DiagnosticDescriptor Rule = new("PROBETASK", "Probe", "{0}", "Test", DiagnosticSeverity.Warning, true);

        protected override DiagnosticDescriptor Descriptor => Rule;

        private protected override string? Describe(IInvocationOperation invocation, ISymbol containingSymbol, KnownTypes types)
            => invocation.TargetMethod.Name == "Make" ? TaskObservation.Classify(invocation).ToString() : null;
    }
}
