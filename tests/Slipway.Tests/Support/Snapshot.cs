using System.Runtime.CompilerServices;

namespace Slipway.Tests.Support;

/// <summary>
/// Snapshot assertions for human-facing output: the expected text lives in Snapshots/NAME.txt beside
/// the tests. SLIPWAY_UPDATE_SNAPSHOTS=1 rewrites them; in CI a missing snapshot fails.
/// </summary>
public static class Snapshot
{
    public static void Match(string actual, string name, [CallerFilePath] string callerFile = "")
    {
        ArgumentNullException.ThrowIfNull(actual);
        var directory = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(callerFile))!, "Snapshots");
        var path = Path.Combine(directory, name + ".txt");
        var normalized = actual.Replace("\r\n", "\n", StringComparison.Ordinal);
        var update = Environment.GetEnvironmentVariable("SLIPWAY_UPDATE_SNAPSHOTS") == "1";
        if (!File.Exists(path) || update)
        {
            if (!update && Environment.GetEnvironmentVariable("CI") == "true")
            {
                Assert.Fail($"Snapshot {path} is missing. Run the tests locally with SLIPWAY_UPDATE_SNAPSHOTS=1 and commit it.");
            }

            Directory.CreateDirectory(directory);
            File.WriteAllText(path, normalized);
            return;
        }

        var expected = File.ReadAllText(path).Replace("\r\n", "\n", StringComparison.Ordinal);
        if (expected != normalized)
        {
            var received = Path.ChangeExtension(path, ".received.txt");
            File.WriteAllText(received, normalized);
            Assert.Fail($"Output differs from snapshot {path} (received output written to {received}; SLIPWAY_UPDATE_SNAPSHOTS=1 accepts it).\n--- expected\n{expected}\n--- actual\n{normalized}");
        }
    }
}
