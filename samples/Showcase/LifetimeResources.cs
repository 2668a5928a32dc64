// Lifetime family (CONC106-CONC109): fan-out, request scope, timers and completion sources each have an owner
// and an end.

namespace Showcase.Lifetime;

public sealed class ConfigLoader
{
    private readonly string _path = "appsettings.json";

    // CONC109 (Info, twice): the source is created without RunContinuationsAsynchronously, and the catch path returns
    // its task without completing it, so every caller awaiting LoadAsync hangs when the file is unreadable.
    public Task<string> LoadAsync()
    {
        var tcs = new TaskCompletionSource<string>();
        try
        {
            tcs.SetResult(File.ReadAllText(_path));
        }
        catch (IOException ex)
        {
            Console.Error.WriteLine(ex.Message);
        }

        return tcs.Task;
    }
}
