using System.Threading.Tasks;
using ConcurrencyAnalyzers.SharedState;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = ConcurrencyAnalyzers.Tests.Verifiers.CSharpAnalyzerVerifier<ConcurrencyAnalyzers.SharedState.RacyLazyInitializationAnalyzer>;

namespace ConcurrencyAnalyzers.Tests.SharedState;

public sealed class RacyLazyInitializationTests
{
    private const string DoubleChecked =
        "is published by double-checked locking but is not volatile; the unlocked check can see the reference before the object's fields are written (mark it volatile, or use Lazy<T> or LazyInitializer.EnsureInitialized)";

    private const string FaultedTaskCached =
        "caches the task its factory returns; if that asynchronous work fails or is cancelled once, every later caller gets the same faulted task, and the readonly Lazy can never be replaced (start the work again after a failure, e.g. a SemaphoreSlim-guarded field that is reset when the task faults)";

    private const string CapturedToken =
        "is the calling method's token but is captured by a shared lazy factory; when the first caller cancels, the cached result fails for every later caller (start the shared work with the owner's token, and let each caller wait with its own)";

    // ---- reported ----

    [Fact]
    public Task Double_checked_locking_on_a_non_volatile_field_is_reported()
        => Verify.VerifyAnalyzerAsync("""
            class Config
            {
                private static readonly object Gate = new object();
                private static Config _instance;

                public static Config Instance
                {
                    get
                    {
                        if (_instance == null)
                        {
                            lock (Gate)
                            {
                                if (_instance is null)
                                {
                                    {|#0:_instance = new Config()|};
                                }
                            }
                        }

                        return _instance;
                    }
                }
            }
            """,
            Verify.Diagnostic(RacyLazyInitializationAnalyzer.Rule).WithLocation(0).WithArguments("_instance", DoubleChecked));

    [Fact]
    public Task Double_checked_locking_in_top_level_statements_is_reported()
    {
        // The double-checked test runs from the per-type scan's callback: top-level statements' type has one too.
        var test = new Verify.Test
        {
            TestCode = """
                var gate = new object();
                if (Holder.Instance == null)
                {
                    lock (gate)
                    {
                        if (Holder.Instance == null)
                        {
                            {|#0:Holder.Instance = new object()|};
                        }
                    }
                }

                static class Holder
                {
                    public static object Instance;
                }
                """,
            ExpectedDiagnostics = { Verify.Diagnostic(RacyLazyInitializationAnalyzer.Rule).WithLocation(0).WithArguments("Instance", DoubleChecked) },
        };
        test.TestState.OutputKind = Microsoft.CodeAnalysis.OutputKind.ConsoleApplication;
        return test.RunAsync();
    }

    [Fact]
    public Task Null_check_and_assignment_inside_Parallel_ForEach_is_reported()
        => Verify.VerifyAnalyzerAsync("""
            using System.Text;
            using System.Threading.Tasks;

            class Renderer
            {
                private StringBuilder _buffer;

                public void RenderAll(int[] pages)
                {
                    Parallel.ForEach(pages, p =>
                    {
                        if (_buffer == null)
                            {|#0:_buffer = new StringBuilder()|};
                    });
                }
            }
            """,
            Verify.Diagnostic(RacyLazyInitializationAnalyzer.Rule).WithLocation(0).WithArguments("_buffer",
                "is initialized on first use in code that runs concurrently (Parallel.ForEach); two threads can both see null and create two instances (use Lazy<T> or LazyInitializer.EnsureInitialized)"));

    [Fact]
    public Task Null_check_and_assignment_in_a_local_function_called_only_from_a_Parallel_ForEach_lambda_is_reported()
        => Verify.VerifyAnalyzerAsync("""
            using System.Text;
            using System.Threading.Tasks;

            class Renderer
            {
                private StringBuilder _buffer;

                public void RenderAll(int[] pages)
                {
                    Parallel.ForEach(pages, p =>
                    {
                        if (p > 0)
                        {
                            Ensure();
                        }
                    });

                    void Ensure()
                    {
                        if (_buffer == null)
                            {|#0:_buffer = new StringBuilder()|};
                    }
                }
            }
            """,
            Verify.Diagnostic(RacyLazyInitializationAnalyzer.Rule).WithLocation(0).WithArguments("_buffer",
                "is initialized on first use in code that runs concurrently (Parallel.ForEach); two threads can both see null and create two instances (use Lazy<T> or LazyInitializer.EnsureInitialized)"));

    [Fact]
    public Task Coalesce_assignment_of_a_static_field_in_Task_Run_started_in_a_loop_is_reported()
        => Verify.VerifyAnalyzerAsync("""
            using System.Collections.Generic;
            using System.Threading.Tasks;

            class Workers
            {
                private static Dictionary<int, string> _names;

                public static void Start(int n)
                {
                    for (int i = 0; i < n; i++)
                    {
                        Task.Run(() => { {|#0:_names ??= new Dictionary<int, string>()|}; });
                    }
                }
            }
            """,
            Verify.Diagnostic(RacyLazyInitializationAnalyzer.Rule).WithLocation(0).WithArguments("_names",
                "is initialized on first use in code that runs concurrently (Task.Run); two threads can both see null and create two instances (use Lazy<T> or LazyInitializer.EnsureInitialized)"));

    [Fact]
    public Task Coalesce_on_a_field_created_in_its_declaration_and_only_replaced_by_new_objects_is_not_reported_one_set_to_null_is()
        => Verify.VerifyAnalyzerAsync("""
            using System.Threading;
            using System.Threading.Tasks;

            class ReplicaSync
            {
                private CancellationTokenSource _reset = new();
                private CancellationTokenSource _abort = new CancellationTokenSource();

                public void Start(int n)
                {
                    for (int i = 0; i < n; i++)
                    {
                        Task.Run(() =>
                        {
                            _reset ??= new CancellationTokenSource();
                            if (!_reset.TryReset())
                            {
                                _reset.Dispose();
                                _reset = new CancellationTokenSource();
                            }

                            {|#0:_abort ??= new CancellationTokenSource()|};
                        });
                    }
                }

                public void Stop()
                {
                    _abort.Cancel();
                    _abort = null;
                }
            }
            """,
            Verify.Diagnostic(RacyLazyInitializationAnalyzer.Rule).WithLocation(0).WithArguments("_abort",
                "is initialized on first use in code that runs concurrently (Task.Run); two threads can both see null and create two instances (use Lazy<T> or LazyInitializer.EnsureInitialized)"));

    [Fact]
    public Task Lazy_in_a_field_capturing_the_callers_token_is_reported()
        => Verify.VerifyAnalyzerAsync("""
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class Catalog
            {
                private Lazy<Task<string[]>> _items;

                static Task<string[]> LoadAsync(CancellationToken ct) => Task.FromResult(new string[0]);

                public Task<string[]> GetAsync(CancellationToken cancellationToken)
                {
                    if (_items == null)
                    {
                        Interlocked.CompareExchange(ref _items, new Lazy<Task<string[]>>(() => LoadAsync({|#0:cancellationToken|})), null);
                    }

                    return _items.Value;
                }
            }
            """,
            Verify.Diagnostic(RacyLazyInitializationAnalyzer.Rule).WithLocation(0).WithArguments("cancellationToken", CapturedToken));

    [Fact]
    public Task GetOrAdd_factory_making_a_Lazy_that_captures_the_callers_token_is_reported()
        => Verify.VerifyAnalyzerAsync("""
            using System;
            using System.Collections.Concurrent;
            using System.Threading;
            using System.Threading.Tasks;

            class Profiles
            {
                private readonly ConcurrentDictionary<string, Lazy<Task<object>>> _cache = new ConcurrentDictionary<string, Lazy<Task<object>>>();

                static Task<object> FetchAsync(string id, CancellationToken ct) => Task.FromResult(new object());

                public Task<object> GetAsync(string id, CancellationToken ct)
                    => _cache.GetOrAdd(id, k => new Lazy<Task<object>>(() => FetchAsync(k, {|#0:ct|}))).Value;
            }
            """,
            Verify.Diagnostic(RacyLazyInitializationAnalyzer.Rule).WithLocation(0).WithArguments("ct", CapturedToken));

    [Fact]
    public Task AsyncLazy_factory_capturing_the_callers_token_is_reported()
        => Verify.VerifyAnalyzerAsync("""
            using System;
            using System.Collections.Concurrent;
            using System.Threading;
            using System.Threading.Tasks;

            class AsyncLazy<T>
            {
                private readonly Func<Task<T>> _factory;

                public AsyncLazy(Func<Task<T>> factory) => _factory = factory;

                public Task<T> Value => _factory();
            }

            class Profiles
            {
                private readonly ConcurrentDictionary<string, AsyncLazy<object>> _cache = new ConcurrentDictionary<string, AsyncLazy<object>>();

                static Task<object> FetchAsync(string id, CancellationToken ct) => Task.FromResult(new object());

                public Task<object> GetAsync(string id, CancellationToken ct)
                    => _cache.GetOrAdd(id, k => new AsyncLazy<object>(() => FetchAsync(k, {|#0:ct|}))).Value;
            }
            """,
            Verify.Diagnostic(RacyLazyInitializationAnalyzer.Rule).WithLocation(0).WithArguments("ct", CapturedToken));

    [Fact]
    public Task LazyInitializer_factory_capturing_the_callers_token_is_reported()
        => Verify.VerifyAnalyzerAsync("""
            using System.Threading;

            class Schema
            {
                private object _schema;

                static object Load(CancellationToken ct) => new object();

                public object Get(CancellationToken token) => LazyInitializer.EnsureInitialized(ref _schema, () => Load({|#0:token|}));
            }
            """,
            Verify.Diagnostic(RacyLazyInitializationAnalyzer.Rule).WithLocation(0).WithArguments("token", CapturedToken));

    // ---- not reported ----

    [Fact]
    public Task Plain_lazy_initialization_in_single_threaded_instance_code_is_not_reported()
        => Verify.VerifyAnalyzerAsync("""
            using System.Collections.Generic;

            class Form
            {
                private List<string> _errors;
                private static Dictionary<string, int> _lookup;

                public void AddError(string e)
                {
                    if (_errors == null) _errors = new List<string>();
                    _errors.Add(e);
                }

                public static int Find(string key)
                {
                    _lookup ??= new Dictionary<string, int>();
                    return _lookup.TryGetValue(key, out var v) ? v : -1;
                }
            }
            """);

    [Fact]
    public Task Double_checked_locking_on_a_volatile_field_and_Lazy_are_not_reported()
        => Verify.VerifyAnalyzerAsync("""
            using System;

            class Registry
            {
                private readonly object _gate = new object();
                private volatile object _instance;
                private readonly Lazy<object> _lazy = new Lazy<object>(() => new object());

                public object Instance
                {
                    get
                    {
                        if (_instance == null)
                        {
                            lock (_gate)
                            {
                                if (_instance == null)
                                {
                                    _instance = new object();
                                }
                            }
                        }

                        return _instance;
                    }
                }

                public object Other => _lazy.Value;
            }
            """);

    [Fact]
    public Task Initialization_fully_under_a_lock_and_in_a_concurrent_lambda_with_a_lock_is_not_reported()
        => Verify.VerifyAnalyzerAsync("""
            using System.Text;
            using System.Threading.Tasks;

            class Renderer
            {
                private readonly object _gate = new object();
                private StringBuilder _buffer;

                public StringBuilder Buffer
                {
                    get
                    {
                        lock (_gate)
                        {
                            if (_buffer == null) _buffer = new StringBuilder();
                            return _buffer;
                        }
                    }
                }

                public void RenderAll(int[] pages)
                {
                    Parallel.ForEach(pages, p =>
                    {
                        lock (_gate)
                        {
                            if (_buffer == null) _buffer = new StringBuilder();
                        }
                    });
                }
            }
            """);

    [Fact]
    public Task Local_initialized_inside_the_concurrent_lambda_and_a_joined_Task_Run_are_not_reported()
        => Verify.VerifyAnalyzerAsync("""
            using System.Text;
            using System.Threading.Tasks;

            class Renderer
            {
                private StringBuilder _buffer;

                public async Task RenderAsync(int[] pages)
                {
                    Parallel.ForEach(pages, p =>
                    {
                        StringBuilder local = null;
                        if (local == null) local = new StringBuilder();
                    });

                    await Task.Run(() =>
                    {
                        if (_buffer == null) _buffer = new StringBuilder();
                    });
                }
            }
            """);

    [Fact]
    public Task Lazy_with_the_owners_token_a_local_Lazy_and_a_constructor_token_are_not_reported()
        => Verify.VerifyAnalyzerAsync("""
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            class Catalog
            {
                private readonly CancellationTokenSource _shutdown = new CancellationTokenSource();
                private readonly Lazy<Task<int>> _count;
                private Lazy<Task<int>> _other;

                static Task<int> LoadAsync(CancellationToken ct) => Task.FromResult(1);

                public Catalog(CancellationToken stopping)
                {
                    // The constructor's token is fine; the readonly Lazy caching a failed load is the other shape.
                    _count = {|CONC307:new Lazy<Task<int>>(() => LoadAsync(stopping))|};
                }

                public async Task<int> GetAsync(CancellationToken ct)
                {
                    _other = new Lazy<Task<int>>(() => LoadAsync(_shutdown.Token));
                    var once = new Lazy<Task<int>>(() => LoadAsync(ct));
                    return await once.Value + await _count.Value;
                }
            }
            """);

    [Fact]
    public Task Readonly_Lazy_of_a_task_whose_factory_can_fail_is_reported()
        => Verify.VerifyAnalyzerAsync("""
            using System;
            using System.IO;
            using System.Threading;
            using System.Threading.Tasks;

            class Connection
            {
                private readonly Lazy<Task<Stream>> _conn = {|#0:new Lazy<Task<Stream>>(() => OpenAsync())|};
                private readonly Lazy<Task<string>> _schema;
                private static readonly Lazy<Task> Warmup = {|CONC307:new Lazy<Task>(async () => { await Task.Delay(10); await OpenAsync(); }, LazyThreadSafetyMode.ExecutionAndPublication)|};

                public Connection()
                {
                    _schema = {|CONC307:new Lazy<Task<string>>(LoadSchemaAsync)|};
                }

                public Lazy<Task<int>> Version { get; } = {|CONC307:new Lazy<Task<int>>(() => Task.Run(() => 1))|};

                static Task<Stream> OpenAsync() => Task.FromResult<Stream>(Stream.Null);
                static Task<string> LoadSchemaAsync() => Task.FromResult("");

                public Task<Stream> GetAsync() => _conn.Value;
            }
            """,
            Verify.Diagnostic(RacyLazyInitializationAnalyzer.Rule).WithLocation(0).WithArguments("_conn", FaultedTaskCached));

    [Fact]
    public Task Lazy_tasks_that_can_be_replaced_cannot_fail_or_handle_failures_are_not_reported()
        => Verify.VerifyAnalyzerAsync("""
            using System;
            using System.Collections.Concurrent;
            using System.Threading.Tasks;

            class Connection
            {
                private Lazy<Task<string>> _resettable = new Lazy<Task<string>>(() => LoadAsync());
                private readonly Lazy<Task<int>> _constant = new Lazy<Task<int>>(() => Task.FromResult(42));
                private readonly Lazy<Task<string>> _guarded = new Lazy<Task<string>>(async () =>
                {
                    try { return await LoadAsync(); }
                    catch (Exception) { return "fallback"; }
                });
                private readonly Lazy<string> _sync = new Lazy<string>(() => "x");
                private readonly ConcurrentDictionary<string, Lazy<Task<string>>> _byKey = new ConcurrentDictionary<string, Lazy<Task<string>>>();

                static Task<string> LoadAsync() => Task.FromResult("");

                public Task<string> GetAsync(string key)
                {
                    var local = new Lazy<Task<string>>(() => LoadAsync());
                    return _byKey.GetOrAdd(key, _ => new Lazy<Task<string>>(() => LoadAsync())).Value;
                }

                public void Reset() => _resettable = new Lazy<Task<string>>(() => LoadAsync());
            }
            """);

    [Fact]
    public Task Half_typed_code_does_not_throw()
        => new Verify.Test
        {
            ExpectedDiagnostics = { Verify.Diagnostic(RacyLazyInitializationAnalyzer.Rule).WithSpan(10, 52, 10, 61).WithArguments("_x", DoubleChecked) },
            TestCode = """
                using System;
                using System.Threading;

                class Broken
                {
                    private static object _x;

                    object Get(CancellationToken ct)
                    {
                        if (_x == null) { lock ( { if (_x == null) _x = new ; } }
                        var l = new Lazy<int>(() => Load(ct);
                        return _x
                    }
                }
                """,
            CompilerDiagnostics = CompilerDiagnostics.None,
        }.RunAsync();

    [Fact]
    public Task Without_Lazy_in_netstandard_and_without_concurrency_nothing_is_reported()
        => new Verify.Test
        {
            TestCode = """
                class Plain
                {
                    private object _x;
                    public object Get() { if (_x == null) _x = new object(); return _x; }
                }
                """,
            ReferenceAssemblies = ConcurrencyAnalyzers.Tests.Verifiers.TestReferences.NetStandard20,
        }.RunAsync();

    [Fact]
    public Task Static_field_initialized_on_first_use_in_a_controller_action_is_reported_and_an_instance_field_is_not()
        => Verify.VerifyAnalyzerAsync("""
            using System.Collections.Generic;

            class ReportsController : Microsoft.AspNetCore.Mvc.ControllerBase
            {
                private static Dictionary<string, string> _lookup;
                private Dictionary<string, string> _perRequest;

                public string Get(string key)
                {
                    if (_lookup == null)
                    {
                        {|#0:_lookup = new Dictionary<string, string>()|};
                    }

                    if (_perRequest == null)
                    {
                        _perRequest = new Dictionary<string, string>();
                    }

                    return _lookup.TryGetValue(key, out var value) ? value : _perRequest.Count.ToString();
                }
            }

            namespace Microsoft.AspNetCore.Mvc
            {
                public abstract class ControllerBase { }
            }
            """,
            Verify.Diagnostic(RacyLazyInitializationAnalyzer.Rule).WithLocation(0).WithArguments("_lookup",
                "is initialized on first use in code that runs concurrently (a method started concurrently with itself); two threads can both see null and create two instances (use Lazy<T> or LazyInitializer.EnsureInitialized)"));
}
