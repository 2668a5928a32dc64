// The ConcurrencyAnalyzers showcase: every file in this project holds, for one family of rules, a realistic
// snippet with the bug each rule reports (marked `// CONCxxx:`), usually next to the correct version.
// Build it to see the warnings:  dotnet build samples/Showcase

namespace Showcase;

public static class Program
{
    public static void Main()
    {
        System.Console.WriteLine("Build this project to see ConcurrencyAnalyzers' warnings; running it does nothing.");
    }
}
