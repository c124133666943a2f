using System.Globalization;
using Slipway.Processes;

namespace Slipway.Tools.Git;

/// <summary>Reads the results of <see cref="GitCli"/> invocations. Pure.</summary>
public static class GitOutput
{
    /// <summary>The first line of stdout, trimmed; what every single-value git query prints.</summary>
    public static string FirstLine(ToolResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.StandardOutput.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? string.Empty;
    }

    /// <summary>The tag from <see cref="GitCli.ExactTag"/>, or null when HEAD has none (exit code 128).</summary>
    public static string? ExactTagOrNull(ToolResult result) => FirstLineOnSuccess(result);

    /// <summary>The origin URL from <see cref="GitCli.OriginUrl"/>, or null when there is no origin (exit code 2 or 128).</summary>
    public static string? OriginUrlOrNull(ToolResult result) => FirstLineOnSuccess(result);

    /// <summary>The commit count from <see cref="GitCli.CommitCount"/>.</summary>
    /// <exception cref="FormatException">The output is not a count, e.g. in a shallow clone that printed nothing.</exception>
    public static int CommitCount(ToolResult result)
    {
        var text = FirstLine(result);
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            ? count
            : throw new FormatException($"git rev-list --count HEAD printed '{text}', not a commit count.");
    }

    /// <summary>True when <see cref="GitCli.Status"/> printed no changed file.</summary>
    public static bool IsClean(ToolResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return string.IsNullOrWhiteSpace(result.StandardOutput);
    }

    private static string? FirstLineOnSuccess(ToolResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var line = result.ExitCode == 0 ? FirstLine(result) : string.Empty;
        return line.Length == 0 ? null : line;
    }
}
