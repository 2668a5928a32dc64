// Stand-in for System.Threading.RateLimiting (it ships with ASP.NET Core or as a package, and the showcase references
// no packages); CONC604 keys on these metadata names. Only the members the showcase uses.

namespace System.Threading.RateLimiting
{
    public abstract class RateLimitLease : IDisposable
    {
        public abstract bool IsAcquired { get; }

        public void Dispose()
        {
        }
    }

    public abstract class RateLimiter : IDisposable
    {
        public ValueTask<RateLimitLease> AcquireAsync(int permitCount = 1, CancellationToken cancellationToken = default)
            => throw new NotSupportedException("stand-in");

        public void Dispose()
        {
        }
    }
}
