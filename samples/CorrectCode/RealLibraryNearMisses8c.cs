namespace Microsoft.Extensions.Hosting
{
    /// <summary>
    /// Stand-in for the hosting package's <c>BackgroundService</c> (this project references no hosting package): the
    /// host calls <c>ExecuteAsync</c> once, with a token cancelled when the service stops.
    /// </summary>
    public abstract class BackgroundService
    {
        public Task StartAsync(CancellationToken cancellationToken) => ExecuteAsync(cancellationToken);

        protected abstract Task ExecuteAsync(CancellationToken stoppingToken);
    }
}

namespace CorrectCode.RealLibraries8c
{
    using Microsoft.Extensions.Hosting;

    /// <summary>
    /// eShop's order grace-period worker: it logs once when its stopping token fires, then polls until stopped. The one
    /// registration lives exactly as long as the service's token it is made on.
    /// </summary>
    public sealed class GracePeriodManagerService : BackgroundService
    {
        private readonly TimeSpan _period;
        private readonly Func<CancellationToken, Task> _check;
        private readonly Action<string> _log;

        public GracePeriodManagerService(TimeSpan period, Func<CancellationToken, Task> check, Action<string> log)
        {
            _period = period;
            _check = check;
            _log = log;
        }

        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            stoppingToken.Register(() => _log("grace-period worker is stopping"));
            while (!stoppingToken.IsCancellationRequested)
            {
                await _check(stoppingToken);
                await Task.Delay(_period, stoppingToken);
            }
        }
    }
}

namespace CorrectCode.RealLibraries8c
{
    /// <summary>Stand-in for MediatR's continuation delegate: left without a token, it runs on with the pipeline's.</summary>
    public delegate Task<TResponse> NextStep<TResponse>(CancellationToken cancellationToken = default);

    /// <summary>eShop's ordering logging behavior: it wraps the rest of the pipeline and hands it nothing new.</summary>
    public sealed class LoggingBehavior<TRequest, TResponse>
        where TRequest : notnull
    {
        private readonly Action<string> _log;

        public LoggingBehavior(Action<string> log) => _log = log;

        public async Task<TResponse> Handle(TRequest request, NextStep<TResponse> next, CancellationToken cancellationToken)
        {
            _log($"Handling command {typeof(TRequest).Name} ({request})");
            var response = await next();
            _log($"Command {typeof(TRequest).Name} handled - response: {response}");
            return response;
        }
    }
}
