namespace Slipway.Tests.Environments;

/// <summary>Finds the repository root from the test output directory, so tests read the committed files.</summary>
internal static class RepositoryRoot
{
    public static string Path { get; } = Find();

    public static string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "Slipway.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Slipway.slnx above {AppContext.BaseDirectory}");
    }
}
