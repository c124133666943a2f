namespace Slipway.Tests.Support;

/// <summary>Where the repository and the dummy executable are, found from the test's output folder.</summary>
public static class TestPaths
{
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>The dummy program's assembly, built beside the tests (same configuration).</summary>
    public static string DummyAssembly
    {
        get
        {
            var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
            var path = Path.Combine(RepositoryRoot, "tests", "Slipway.Tests.Dummy", "bin", configuration, "net10.0", "Slipway.Tests.Dummy.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException($"The dummy program is not built: {path}. Build the solution first.");
        }
    }

    public static string NewTempDirectory()
    {
        var path = Path.Combine(Path.GetTempPath(), "slipway-tests", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(path);
        return path;
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Slipway.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Cannot find the repository root (Slipway.slnx) above " + AppContext.BaseDirectory);
    }
}
