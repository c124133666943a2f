namespace Slipway.Tools.Docker;

/// <summary>Reads a list of container IDs, one per line, as <c>docker ps -q</c> and <c>docker-compose ps -q</c> print it.</summary>
public static class DockerContainerIds
{
    /// <summary>The container ids, one per non-blank line, in the order docker printed them (newest first).</summary>
    /// <param name="standardOutput">The stdout of <c>docker ps --quiet</c>.</param>
    public static IReadOnlyList<string> Parse(string standardOutput)
    {
        ArgumentNullException.ThrowIfNull(standardOutput);
        return [.. standardOutput.Split('\n').Select(line => line.Trim()).Where(line => line.Length > 0)];
    }
}
