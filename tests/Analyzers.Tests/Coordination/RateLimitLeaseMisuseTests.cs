using ConcurrencyAnalyzers.Coordination;
using ConcurrencyAnalyzers.Tests.Verifiers;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<
    ConcurrencyAnalyzers.Coordination.RateLimitLeaseMisuseAnalyzer,
    ConcurrencyAnalyzers.CodeFixes.Coordination.RateLimitLeaseMisuseCodeFix>;

namespace ConcurrencyAnalyzers.Tests.Coordination;

public sealed class RateLimitLeaseMisuseTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.RateLimiting;
        using System.Threading.Tasks;

        """;

    // System.Threading.RateLimiting is not in Microsoft.NETCore.App: the tests declare the shapes they need.
    private const string RateLimiting = """

        namespace System.Threading.RateLimiting
        {
            public abstract class RateLimitLease : IDisposable
            {
                public abstract bool IsAcquired { get; }
                public abstract IEnumerable<string> MetadataNames { get; }
                public abstract bool TryGetMetadata(string metadataName, out object metadata);
                public bool TryGetMetadata<T>(MetadataName<T> metadataName, out T metadata) => throw null;
                public void Dispose() { }
            }

            public sealed class MetadataName<T>
            {
            }

            public static class MetadataName
            {
                public static MetadataName<TimeSpan> RetryAfter => throw null;
            }

            public abstract class RateLimiter : IDisposable
            {
                public RateLimitLease AttemptAcquire(int permitCount = 1) => throw null;
                public ValueTask<RateLimitLease> AcquireAsync(int permitCount = 1, CancellationToken cancellationToken = default) => throw null;
                public void Dispose() { }
            }

            public sealed class ConcurrencyLimiter : RateLimiter
            {
            }

            public abstract class PartitionedRateLimiter<TResource> : IDisposable
            {
                public RateLimitLease AttemptAcquire(TResource resource, int permitCount = 1) => throw null;
                public ValueTask<RateLimitLease> AcquireAsync(TResource resource, int permitCount = 1, CancellationToken cancellationToken = default) => throw null;
                public void Dispose() { }
            }
        }
        """;

    private static string Code(string body) => Usings + body + RateLimiting;

    [Fact]
    public Task Lease_neither_disposed_nor_checked_gets_using()
        => new Verify.Test
        {
            TestCode = Code("""
                class Gateway
                {
                    private readonly RateLimiter _limiter = new ConcurrencyLimiter();

                    async Task ForwardAsync(CancellationToken ct)
                    {
                        // one permit per forwarded call
                        var lease = await {|#0:_limiter.AcquireAsync(1, ct)|};
                        await Task.Delay(10, ct);
                    }
                }
                """),
            FixedCode = Code("""
                class Gateway
                {
                    private readonly RateLimiter _limiter = new ConcurrencyLimiter();

                    async Task ForwardAsync(CancellationToken ct)
                    {
                        // one permit per forwarded call
                        using var lease = await {|#1:_limiter.AcquireAsync(1, ct)|};
                        await Task.Delay(10, ct);
                    }
                }
                """),
            ExpectedDiagnostics = { Verify.Diagnostic(RateLimitLeaseMisuseAnalyzer.NeitherRule).WithLocation(0).WithArguments("'lease'") },
            FixedState = { ExpectedDiagnostics = { Verify.Diagnostic(RateLimitLeaseMisuseAnalyzer.NotCheckedRule).WithLocation(1).WithArguments("'lease'") } },
            CodeActionEquivalenceKey = "CONC604.using",
        }.RunAsync();

    [Fact]
    public Task Lease_neither_disposed_nor_checked_gets_guard()
        => new Verify.Test
        {
            TestCode = Code("""
                class Gateway
                {
                    private readonly RateLimiter _limiter = new ConcurrencyLimiter();

                    void Forward()
                    {
                        var lease = {|#0:_limiter.AttemptAcquire()|}; // try once
                        Console.WriteLine("forwarded");
                    }
                }
                """),
            FixedCode = Code("""
                class Gateway
                {
                    private readonly RateLimiter _limiter = new ConcurrencyLimiter();

                    void Forward()
                    {
                        var lease = {|#1:_limiter.AttemptAcquire()|}; // try once
                        if (!lease.IsAcquired)
                        {
                            return;
                        }

                        Console.WriteLine("forwarded");
                    }
                }
                """),
            ExpectedDiagnostics = { Verify.Diagnostic(RateLimitLeaseMisuseAnalyzer.NeitherRule).WithLocation(0).WithArguments("'lease'") },
            FixedState = { ExpectedDiagnostics = { Verify.Diagnostic(RateLimitLeaseMisuseAnalyzer.NotDisposedRule).WithLocation(1).WithArguments("'lease'") } },
            CodeActionEquivalenceKey = "CONC604.guard",
        }.RunAsync();

    [Fact]
    public Task Unchecked_lease_in_using_gets_guard_in_async_task_method()
        => Verify.VerifyCodeFixAsync(Code("""
            class Gateway
            {
                private readonly RateLimiter _limiter = new ConcurrencyLimiter();

                async Task ForwardAsync(CancellationToken ct)
                {
                    using var lease = await {|#0:_limiter.AcquireAsync(1, ct)|}.ConfigureAwait(false);
                    await Task.Delay(10, ct);
                }
            }
            """),
            new[] { Verify.Diagnostic(RateLimitLeaseMisuseAnalyzer.NotCheckedRule).WithLocation(0).WithArguments("'lease'") },
            Code("""
            class Gateway
            {
                private readonly RateLimiter _limiter = new ConcurrencyLimiter();

                async Task ForwardAsync(CancellationToken ct)
                {
                    using var lease = await _limiter.AcquireAsync(1, ct).ConfigureAwait(false);
                    if (!lease.IsAcquired)
                    {
                        return;
                    }

                    await Task.Delay(10, ct);
                }
            }
            """));

    [Fact]
    public Task Undisposed_checked_leases_get_using_in_every_method()
        => Verify.VerifyCodeFixAsync(Code("""
            class Worker
            {
                private readonly RateLimiter _limiter = new ConcurrencyLimiter();
                private readonly PartitionedRateLimiter<string> _perUser = null!;

                bool TryWork()
                {
                    RateLimitLease lease = {|#0:_limiter.AttemptAcquire(2)|};
                    if (!lease.IsAcquired)
                    {
                        return false;
                    }

                    Console.WriteLine("work");
                    return true;
                }

                async Task<int> CountAsync(string user, CancellationToken ct)
                {
                    var lease = await {|#1:_perUser.AcquireAsync(user, 1, ct)|};
                    if (!lease.IsAcquired) throw new InvalidOperationException("busy");
                    await Task.Delay(1, ct);
                    return 1;
                }
            }
            """),
            new[]
            {
                Verify.Diagnostic(RateLimitLeaseMisuseAnalyzer.NotDisposedRule).WithLocation(0).WithArguments("'lease'"),
                Verify.Diagnostic(RateLimitLeaseMisuseAnalyzer.NotDisposedRule).WithLocation(1).WithArguments("'lease'"),
            },
            Code("""
            class Worker
            {
                private readonly RateLimiter _limiter = new ConcurrencyLimiter();
                private readonly PartitionedRateLimiter<string> _perUser = null!;

                bool TryWork()
                {
                    using RateLimitLease lease = _limiter.AttemptAcquire(2);
                    if (!lease.IsAcquired)
                    {
                        return false;
                    }

                    Console.WriteLine("work");
                    return true;
                }

                async Task<int> CountAsync(string user, CancellationToken ct)
                {
                    using var lease = await _perUser.AcquireAsync(user, 1, ct);
                    if (!lease.IsAcquired) throw new InvalidOperationException("busy");
                    await Task.Delay(1, ct);
                    return 1;
                }
            }
            """));

    [Fact]
    public Task CSharp7_3_gets_a_using_block()
        => new Verify.Test
        {
            LanguageVersion = LanguageVersion.CSharp7_3,
            TestCode = Code("""
                class Worker
                {
                    private readonly RateLimiter _limiter = new ConcurrencyLimiter();

                    bool TryWork()
                    {
                        Console.WriteLine("start");
                        var lease = {|#0:_limiter.AttemptAcquire()|};
                        if (!lease.IsAcquired)
                        {
                            return false;
                        }

                        Console.WriteLine("work"); // the protected work
                        return true;
                    }
                }
                """),
            FixedCode = Code("""
                class Worker
                {
                    private readonly RateLimiter _limiter = new ConcurrencyLimiter();

                    bool TryWork()
                    {
                        Console.WriteLine("start");
                        using (var lease = _limiter.AttemptAcquire())
                        {
                            if (!lease.IsAcquired)
                            {
                                return false;
                            }

                            Console.WriteLine("work"); // the protected work
                            return true;
                        }
                    }
                }
                """),
            ExpectedDiagnostics = { Verify.Diagnostic(RateLimitLeaseMisuseAnalyzer.NotDisposedRule).WithLocation(0).WithArguments("'lease'") },
        }.RunAsync();

    [Fact]
    public Task Unchecked_lease_in_a_value_returning_method_has_no_fix()
        => VerifyNoFixAsync(Code("""
            class Worker
            {
                private readonly PartitionedRateLimiter<string> _perUser = null!;

                async Task<int> CountAsync(string user, CancellationToken ct)
                {
                    using var lease = await {|#0:_perUser.AcquireAsync(user, 1, ct)|};
                    await Task.Delay(1, ct);
                    return 1;
                }
            }
            """),
            new[] { Verify.Diagnostic(RateLimitLeaseMisuseAnalyzer.NotCheckedRule).WithLocation(0).WithArguments("'lease'") });

    [Fact]
    public Task Dropped_or_inline_leases_are_reported_without_a_fix()
        => VerifyNoFixAsync(Code("""
            class Worker
            {
                private readonly RateLimiter _limiter = new ConcurrencyLimiter();

                async Task RunAsync(CancellationToken ct)
                {
                    await {|#0:_limiter.AcquireAsync(1, ct)|};
                    _ = {|#1:_limiter.AttemptAcquire()|};
                    if ({|#2:_limiter.AttemptAcquire()|}.IsAcquired)
                    {
                        Console.WriteLine("work");
                    }

                    using ({|#3:_limiter.AttemptAcquire()|})
                    {
                        Console.WriteLine("work");
                    }
                }
            }
            """),
            new[]
            {
                Verify.Diagnostic(RateLimitLeaseMisuseAnalyzer.NeitherRule).WithLocation(0).WithArguments("returned by AcquireAsync"),
                Verify.Diagnostic(RateLimitLeaseMisuseAnalyzer.NeitherRule).WithLocation(1).WithArguments("returned by AttemptAcquire"),
                Verify.Diagnostic(RateLimitLeaseMisuseAnalyzer.NotDisposedRule).WithLocation(2).WithArguments("returned by AttemptAcquire"),
                Verify.Diagnostic(RateLimitLeaseMisuseAnalyzer.NotCheckedRule).WithLocation(3).WithArguments("returned by AttemptAcquire"),
            });

    [Fact]
    public Task Return_that_skips_Dispose_is_reported()
        => VerifyNoFixAsync(Code("""
            class Worker
            {
                private readonly RateLimiter _limiter = new ConcurrencyLimiter();

                int Work(bool cached)
                {
                    var lease = {|#0:_limiter.AttemptAcquire()|};
                    if (!lease.IsAcquired)
                    {
                        return -1;
                    }

                    if (cached)
                    {
                        return 0;
                    }

                    Console.WriteLine("work");
                    lease.Dispose();
                    return 1;
                }
            }
            """),
            new[] { Verify.Diagnostic(RateLimitLeaseMisuseAnalyzer.NotDisposedOnEveryPathRule).WithLocation(0).WithArguments("'lease'", "return") });

    [Fact]
    public Task Lease_in_a_spawned_lambda_gets_the_guard()
        => new Verify.Test
        {
            TestCode = Code("""
                class Worker
                {
                    private readonly RateLimiter _limiter = new ConcurrencyLimiter();

                    Task Start(CancellationToken ct) => Task.Run(async () =>
                    {
                        using var lease = await {|#0:_limiter.AcquireAsync(1, ct)|};
                        await Task.Delay(10, ct);
                    });
                }
                """),
            FixedCode = Code("""
                class Worker
                {
                    private readonly RateLimiter _limiter = new ConcurrencyLimiter();

                    Task Start(CancellationToken ct) => Task.Run(async () =>
                    {
                        using var lease = await _limiter.AcquireAsync(1, ct);
                        if (!lease.IsAcquired)
                        {
                            return;
                        }

                        await Task.Delay(10, ct);
                    });
                }
                """),
            ExpectedDiagnostics = { Verify.Diagnostic(RateLimitLeaseMisuseAnalyzer.NotCheckedRule).WithLocation(0).WithArguments("'lease'") },
        }.RunAsync();

    [Fact]
    public Task Disposed_and_checked_leases_are_not_reported()
        => Verify.VerifyAnalyzerAsync(Code("""
            class Worker
            {
                private readonly RateLimiter _limiter = new ConcurrencyLimiter();

                async Task<bool> UsingVarAsync(CancellationToken ct)
                {
                    using var lease = await _limiter.AcquireAsync(1, ct);
                    if (!lease.IsAcquired)
                    {
                        return false;
                    }

                    await Task.Delay(1, ct);
                    return true;
                }

                void UsingBlock()
                {
                    using (var lease = _limiter.AttemptAcquire())
                    {
                        if (!lease.IsAcquired) throw new InvalidOperationException("rate limited");
                        Console.WriteLine("work");
                    }
                }

                void DisposedInFinally()
                {
                    var lease = _limiter.AttemptAcquire();
                    try
                    {
                        if (lease.IsAcquired)
                        {
                            Console.WriteLine("work");
                        }
                    }
                    finally
                    {
                        lease.Dispose();
                    }
                }

                bool ReturnsTheCheck()
                {
                    using var lease = _limiter.AttemptAcquire();
                    return lease.IsAcquired;
                }

                async Task<TimeSpan?> MetadataAfterCheckAsync(CancellationToken ct)
                {
                    using RateLimitLease lease = await _limiter.AcquireAsync(1, ct);
                    if (!lease.IsAcquired && lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
                    {
                        return retryAfter;
                    }

                    return null;
                }

                void PatternCheck()
                {
                    using var lease = _limiter.AttemptAcquire();
                    if (lease is { IsAcquired: false }) return;
                    Console.WriteLine("work");
                }
            }
            """));

    [Fact]
    public Task Dispose_after_a_refusal_return_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Code("""
            class Worker
            {
                private readonly RateLimiter _limiter = new ConcurrencyLimiter();

                bool Work(int[] items)
                {
                    var lease = _limiter.AttemptAcquire();
                    if (!lease.IsAcquired)
                    {
                        return false;
                    }

                    foreach (var item in items)
                    {
                        if (item < 0) break;
                        Console.WriteLine(item);
                    }

                    if (items.Length == 0)
                    {
                        lease.Dispose();
                        return true;
                    }

                    lease.Dispose();
                    return true;
                }
            }
            """));

    [Fact]
    public Task Leases_handed_to_another_owner_are_not_reported()
        => Verify.VerifyAnalyzerAsync(Code("""
            sealed class LeaseScope : IAsyncDisposable
            {
                private readonly RateLimitLease _lease;
                public LeaseScope(RateLimitLease lease) { _lease = lease; }
                public bool Granted => _lease.IsAcquired;
                public ValueTask DisposeAsync() { _lease.Dispose(); return default; }
            }

            class Throttle
            {
                private readonly RateLimiter _limiter = new ConcurrencyLimiter();
                private RateLimitLease _held = null!;
                private readonly List<RateLimitLease> _all = new();

                public async ValueTask<RateLimitLease> AcquireAsync(CancellationToken ct)
                {
                    var lease = await _limiter.AcquireAsync(1, ct);
                    return lease;
                }

                public RateLimitLease TryAcquire() => _limiter.AttemptAcquire();

                public void Hold()
                {
                    var lease = _limiter.AttemptAcquire();
                    _held = lease;
                }

                public void Release() => _held.Dispose();

                public void Track()
                {
                    var lease = _limiter.AttemptAcquire();
                    _all.Add(lease);
                }

                public async Task ScopedAsync(CancellationToken ct)
                {
                    await using var scope = new LeaseScope(await _limiter.AcquireAsync(1, ct));
                    if (!scope.Granted) return;
                    await Task.Delay(1, ct);
                }

                public void Captured()
                {
                    var lease = _limiter.AttemptAcquire();
                    Action release = () => lease.Dispose();
                    Console.WriteLine(lease.IsAcquired);
                    release();
                }
            }
            """));

    [Fact]
    public Task Retry_loop_that_reassigns_the_lease_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Code("""
            class Worker
            {
                private readonly RateLimiter _limiter = new ConcurrencyLimiter();

                async Task RunAsync(CancellationToken ct)
                {
                    var lease = _limiter.AttemptAcquire();
                    while (!lease.IsAcquired)
                    {
                        lease.Dispose();
                        await Task.Delay(100, ct);
                        lease = _limiter.AttemptAcquire();
                    }

                    using (lease)
                    {
                        await Task.Delay(1, ct);
                    }
                }
            }
            """));

    [Fact]
    public Task Other_AcquireAsync_methods_are_not_reported()
        => Verify.VerifyAnalyzerAsync(Code("""
            sealed class Connection : IDisposable
            {
                public void Dispose() { }
            }

            sealed class ConnectionPool
            {
                public ValueTask<Connection> AcquireAsync(CancellationToken ct) => default;
                public Connection AttemptAcquire() => new Connection();
            }

            class Worker
            {
                private readonly ConnectionPool _pool = new();

                async Task RunAsync(CancellationToken ct)
                {
                    var connection = await _pool.AcquireAsync(ct);
                    var other = _pool.AttemptAcquire();
                    await Task.Delay(1, ct);
                }
            }
            """));

    [Fact]
    public Task Missing_rate_limiting_types_are_ignored()
        => new Verify.Test
        {
            ReferenceAssemblies = TestReferences.NetStandard20,
            LanguageVersion = LanguageVersion.CSharp7_3,
            TestCode = """
                namespace Throttling
                {
                    public abstract class RateLimitLease : System.IDisposable
                    {
                        public abstract bool IsAcquired { get; }
                        public void Dispose() { }
                    }

                    public abstract class RateLimiter
                    {
                        public abstract RateLimitLease AttemptAcquire(int permitCount = 1);
                    }

                    class Worker
                    {
                        void Run(RateLimiter limiter)
                        {
                            var lease = limiter.AttemptAcquire();
                            limiter.AttemptAcquire();
                        }
                    }
                }
                """,
        }.RunAsync();

    private static Task VerifyNoFixAsync(string source, params DiagnosticResult[] expected)
    {
        var test = new Verify.Test { TestCode = source, FixedCode = source };
        test.ExpectedDiagnostics.AddRange(expected);
        test.FixedState.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    [Fact]
    public Task Half_typed_code_does_not_throw()
        => new Verify.Test
        {
            CompilerDiagnostics = CompilerDiagnostics.None,
            TestCode = Code("""
                class Broken
                {
                    async Task Run(RateLimiter limiter)
                    {
                        var lease = await limiter.AcquireAsync(;
                        if (!lease.IsAcquired
                    }
                }
                """),
        }.RunAsync();
}
