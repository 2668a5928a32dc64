using ConcurrencyAnalyzers.Coordination;
using ConcurrencyAnalyzers.Tests.Verifiers;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpCodeFixVerifier<
    ConcurrencyAnalyzers.Coordination.PooledBufferReturnedUnsafelyAnalyzer,
    ConcurrencyAnalyzers.CodeFixes.Coordination.PooledBufferReturnedUnsafelyCodeFix>;

namespace ConcurrencyAnalyzers.Tests.Coordination;

public sealed class PooledBufferReturnedUnsafelyTests
{
    private const string Usings = """
        using System;
        using System.Buffers;
        using System.IO;
        using System.Threading;
        using System.Threading.Tasks;

        """;

    [Fact]
    public Task Return_outside_finally_after_an_await_is_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Reader
            {
                async Task<int> ReadAsync(Stream stream, int size, CancellationToken ct)
                {
                    var buffer = ArrayPool<byte>.Shared.Rent(size);
                    var n = await stream.ReadAsync(buffer.AsMemory(0, size), ct);
                    var sum = 0;
                    for (var i = 0; i < n; i++) sum += buffer[i];
                    {|#0:ArrayPool<byte>.Shared.Return(buffer)|};
                    return sum;
                }
            }
            """,
            Verify.Diagnostic(PooledBufferReturnedUnsafelyAnalyzer.NotInFinallyRule).WithLocation(0).WithArguments("buffer"));

    [Fact]
    public Task Use_after_return_is_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Parser
            {
                int Parse(Stream stream, int size)
                {
                    byte[] buffer = ArrayPool<byte>.Shared.Rent(size);
                    int n;
                    try
                    {
                        n = stream.Read(buffer, 0, size);
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                    }

                    return Sum({|#0:buffer|}, n);
                }

                static int Sum(byte[] data, int n) => n;
            }
            """,
            Verify.Diagnostic(PooledBufferReturnedUnsafelyAnalyzer.UseAfterReturnRule).WithLocation(0).WithArguments("buffer"));

    [Fact]
    public Task Use_after_return_in_straight_line_code_is_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Parser
            {
                int Parse(int size)
                {
                    var pool = ArrayPool<char>.Shared;
                    var chars = pool.Rent(size);
                    chars[0] = 'a';
                    pool.Return(chars);
                    return {|#0:chars|}[0];
                }
            }
            """,
            Verify.Diagnostic(PooledBufferReturnedUnsafelyAnalyzer.UseAfterReturnRule).WithLocation(0).WithArguments("chars"));

    [Fact]
    public Task Returned_twice_is_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Encoder
            {
                void Encode(Stream output, int size)
                {
                    var buffer = ArrayPool<byte>.Shared.Rent(size);
                    try
                    {
                        output.Write(buffer, 0, size);
                        ArrayPool<byte>.Shared.Return(buffer);
                    }
                    finally
                    {
                        {|#0:ArrayPool<byte>.Shared.Return(buffer)|};
                    }
                }
            }
            """,
            Verify.Diagnostic(PooledBufferReturnedUnsafelyAnalyzer.ReturnedTwiceRule).WithLocation(0).WithArguments("buffer"));

    [Fact]
    public Task Two_returns_in_sequence_are_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Encoder
            {
                void Encode(int size)
                {
                    var buffer = ArrayPool<byte>.Shared.Rent(size);
                    ArrayPool<byte>.Shared.Return(buffer);
                    {|#0:ArrayPool<byte>.Shared.Return(buffer)|};
                }
            }
            """,
            Verify.Diagnostic(PooledBufferReturnedUnsafelyAnalyzer.ReturnedTwiceRule).WithLocation(0).WithArguments("buffer"));

    [Fact]
    public Task Return_in_finally_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Reader
            {
                async Task<int> ReadAsync(Stream stream, int size, CancellationToken ct)
                {
                    var buffer = ArrayPool<byte>.Shared.Rent(size);
                    try
                    {
                        var n = await stream.ReadAsync(new Memory<byte>(buffer, 0, size), ct);
                        return new Span<byte>(buffer, 0, n).IndexOf((byte)0);
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
                    }
                }
            }
            """);

    [Fact]
    public Task Buffer_that_leaves_the_method_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            sealed class Lease : IDisposable
            {
                private byte[] _buffer;
                public Lease(byte[] buffer) { _buffer = buffer; }
                public void Dispose() => ArrayPool<byte>.Shared.Return(_buffer);
            }

            class Owner
            {
                private byte[] _scratch = Array.Empty<byte>();

                Lease Create(int size)
                {
                    var buffer = ArrayPool<byte>.Shared.Rent(size);
                    return new Lease(buffer);
                }

                void Grow(int size, Stream s)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent(size);
                    s.Flush();
                    ArrayPool<byte>.Shared.Return(_scratch);
                    _scratch = bigger;
                }

                byte[] Take(int size) => ArrayPool<byte>.Shared.Rent(size);
            }
            """);

    [Fact]
    public Task Return_with_nothing_that_can_throw_in_between_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Small
            {
                int Count(int size)
                {
                    var buffer = ArrayPool<int>.Shared.Rent(size);
                    var length = buffer.Length;
                    ArrayPool<int>.Shared.Return(buffer);
                    return length;
                }

                void Probe()
                {
                    var buffer = ArrayPool<byte>.Shared.Rent(64);
                    GC.KeepAlive(buffer);
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
            """);

    [Fact]
    public Task Returns_on_separate_branches_or_in_a_catch_are_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Branches
            {
                int Run(Stream s, int size, bool fast)
                {
                    var buffer = ArrayPool<byte>.Shared.Rent(size);
                    try
                    {
                        s.Read(buffer, 0, size);
                    }
                    catch
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        throw;
                    }

                    if (fast)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        return 0;
                    }

                    var first = buffer[0];
                    ArrayPool<byte>.Shared.Return(buffer);
                    return first;
                }
            }
            """);

    [Fact]
    public Task Buffer_captured_by_a_lambda_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Captured
            {
                async Task RunAsync(int size)
                {
                    var buffer = ArrayPool<byte>.Shared.Rent(size);
                    await Task.Run(() => buffer[0] = 1);
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
            """);

    [Fact]
    public Task Buffer_nulled_after_return_is_not_reported()
        => Verify.VerifyAnalyzerAsync(Usings + """
            class Nulled
            {
                void Run(Stream s, int size)
                {
                    byte[]? buffer = ArrayPool<byte>.Shared.Rent(size);
                    try { s.Write(buffer, 0, size); }
                    finally { ArrayPool<byte>.Shared.Return(buffer); buffer = null; }
                }
            }
            """);

    [Fact]
    public Task Fix_moves_the_uses_and_the_return_into_try_finally()
        => Verify.VerifyCodeFixAsync(Usings + """
            class Reader
            {
                async Task<int> ReadAsync(Stream stream, int size, CancellationToken ct)
                {
                    var buffer = ArrayPool<byte>.Shared.Rent(size); // rented per call
                    var n = await stream.ReadAsync(buffer.AsMemory(0, size), ct);
                    var sum = 0;
                    for (var i = 0; i < n; i++) sum += buffer[i];

                    // back to the pool
                    {|#0:ArrayPool<byte>.Shared.Return(buffer, clearArray: true)|}; // done
                    return sum;
                }
            }
            """,
            new[] { Verify.Diagnostic(PooledBufferReturnedUnsafelyAnalyzer.NotInFinallyRule).WithLocation(0).WithArguments("buffer") },
            Usings + """
            class Reader
            {
                async Task<int> ReadAsync(Stream stream, int size, CancellationToken ct)
                {
                    var buffer = ArrayPool<byte>.Shared.Rent(size); // rented per call
                    try
                    {
                        var n = await stream.ReadAsync(buffer.AsMemory(0, size), ct);
                        var sum = 0;
                        for (var i = 0; i < n; i++) sum += buffer[i];
                        return sum;
                    }
                    finally
                    {
                        // back to the pool
                        ArrayPool<byte>.Shared.Return(buffer, clearArray: true); // done
                    }
                }
            }
            """);

    [Fact]
    public Task Fix_keeps_statements_after_the_return_outside_when_they_do_not_need_the_uses()
        => Verify.VerifyCodeFixAsync(Usings + """
            class Writer
            {
                private int _writes;

                void Write(Stream output, int size)
                {
                    var pool = ArrayPool<byte>.Shared;
                    byte[] buffer = pool.Rent(size);
                    output.Write(buffer, 0, size);
                    {|#0:pool.Return(buffer)|};
                    _writes++;
                }
            }
            """,
            new[] { Verify.Diagnostic(PooledBufferReturnedUnsafelyAnalyzer.NotInFinallyRule).WithLocation(0).WithArguments("buffer") },
            Usings + """
            class Writer
            {
                private int _writes;

                void Write(Stream output, int size)
                {
                    var pool = ArrayPool<byte>.Shared;
                    byte[] buffer = pool.Rent(size);
                    try
                    {
                        output.Write(buffer, 0, size);
                    }
                    finally
                    {
                        pool.Return(buffer);
                    }

                    _writes++;
                }
            }
            """);

    [Fact]
    public Task Fix_all_handles_several_rentals_including_two_in_one_block()
        => Verify.VerifyCodeFixAsync(Usings + """
            class Copier
            {
                void Copy(Stream from, Stream to, int size)
                {
                    var input = ArrayPool<byte>.Shared.Rent(size);
                    var output = ArrayPool<byte>.Shared.Rent(size);
                    var n = from.Read(input, 0, size);
                    Array.Copy(input, output, n);
                    to.Write(output, 0, n);
                    {|#0:ArrayPool<byte>.Shared.Return(output)|};
                    {|#1:ArrayPool<byte>.Shared.Return(input)|};
                }

                void Fill(Stream to, int size)
                {
                    var chars = ArrayPool<char>.Shared.Rent(size);
                    to.Flush();
                    {|#2:ArrayPool<char>.Shared.Return(chars)|};
                }
            }
            """,
            new[]
            {
                Verify.Diagnostic(PooledBufferReturnedUnsafelyAnalyzer.NotInFinallyRule).WithLocation(0).WithArguments("output"),
                Verify.Diagnostic(PooledBufferReturnedUnsafelyAnalyzer.NotInFinallyRule).WithLocation(1).WithArguments("input"),
                Verify.Diagnostic(PooledBufferReturnedUnsafelyAnalyzer.NotInFinallyRule).WithLocation(2).WithArguments("chars"),
            },
            Usings + """
            class Copier
            {
                void Copy(Stream from, Stream to, int size)
                {
                    var input = ArrayPool<byte>.Shared.Rent(size);
                    try
                    {
                        var output = ArrayPool<byte>.Shared.Rent(size);
                        try
                        {
                            var n = from.Read(input, 0, size);
                            Array.Copy(input, output, n);
                            to.Write(output, 0, n);
                        }
                        finally
                        {
                            ArrayPool<byte>.Shared.Return(output);
                        }
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(input);
                    }
                }

                void Fill(Stream to, int size)
                {
                    var chars = ArrayPool<char>.Shared.Rent(size);
                    try
                    {
                        to.Flush();
                    }
                    finally
                    {
                        ArrayPool<char>.Shared.Return(chars);
                    }
                }
            }
            """);

    [Fact]
    public Task Return_in_a_nested_block_is_reported_without_a_fix()
    {
        var source = Usings + """
            class Locked
            {
                private readonly object _gate = new object();

                void Write(Stream output, int size)
                {
                    var buffer = ArrayPool<byte>.Shared.Rent(size);
                    lock (_gate)
                    {
                        output.Write(buffer, 0, size);
                        {|#0:ArrayPool<byte>.Shared.Return(buffer)|};
                    }
                }
            }
            """;
        var expected = Verify.Diagnostic(PooledBufferReturnedUnsafelyAnalyzer.NotInFinallyRule).WithLocation(0).WithArguments("buffer");
        var test = new Verify.Test { TestCode = source, FixedCode = source };
        test.ExpectedDiagnostics.Add(expected);
        test.FixedState.ExpectedDiagnostics.Add(expected);
        return test.RunAsync();
    }

    [Fact]
    public Task Half_typed_code_does_not_throw()
        => new Verify.Test
        {
            CompilerDiagnostics = CompilerDiagnostics.None,
            TestCode = Usings + """
                class Broken
                {
                    void Run()
                    {
                        var buffer = ArrayPool<byte>.Shared.Rent(;
                        ArrayPool<byte>.Shared.Return(buffer
                        buffer[0] =
                    }
                }
                """,
        }.RunAsync();

    [Fact]
    public Task Return_outside_finally_in_top_level_statements_is_reported()
    {
        // Top-level statements belong to a type the compiler declares: the per-type gate must not leave them.
        var test = new CSharpAnalyzerVerifier<PooledBufferReturnedUnsafelyAnalyzer>.Test
        {
            TestCode = Usings + """
                using var stream = new MemoryStream();
                var buffer = ArrayPool<byte>.Shared.Rent(16);
                var n = await stream.ReadAsync(buffer.AsMemory(0, 16));
                {|CONC605:ArrayPool<byte>.Shared.Return(buffer)|};
                Console.WriteLine(n);
                """,
        };
        test.TestState.OutputKind = Microsoft.CodeAnalysis.OutputKind.ConsoleApplication;
        return test.RunAsync();
    }
}
