using System.Text;
using Slipway.Processes;

namespace Slipway.Cli;

/// <summary>
/// GitHub Actions workflow commands and files: masks, groups, errors, the step summary and step outputs.
/// Active when <c>GITHUB_ACTIONS=true</c>. Everything written is scrubbed of known secrets.
/// </summary>
internal sealed class GitHubActions
{
    private readonly string? _stepSummaryPath;
    private readonly string? _outputPath;
    private readonly object _gate = new();

    private GitHubActions(string? stepSummaryPath, string? outputPath)
    {
        _stepSummaryPath = stepSummaryPath;
        _outputPath = outputPath;
    }

    /// <summary>Returns the integration when the environment says we run on GitHub Actions, else null.</summary>
    public static GitHubActions? Detect(IReadOnlyDictionary<string, string> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return environment.TryGetValue("GITHUB_ACTIONS", out var value) && string.Equals(value, "true", StringComparison.OrdinalIgnoreCase)
            ? new GitHubActions(environment.GetValueOrDefault("GITHUB_STEP_SUMMARY"), environment.GetValueOrDefault("GITHUB_OUTPUT"))
            : null;
    }

    /// <summary><c>::add-mask::</c> lines for values; the runner consumes them, so they are never shown.</summary>
    public static IEnumerable<string> MaskCommands(IEnumerable<string> values) =>
        values.Select(v => "::add-mask::" + EscapeData(v));

    /// <summary>Opens a collapsible group.</summary>
    public static string Group(string title) => "::group::" + EscapeData(Redaction.Scrub(title));

    /// <summary>Closes the current group.</summary>
    public static string EndGroup => "::endgroup::";

    /// <summary>An error annotation.</summary>
    public static string Error(string title, string message) =>
        $"::error title={EscapeProperty(Redaction.Scrub(title))}::{EscapeData(Redaction.Scrub(message))}";

    /// <summary>A warning annotation.</summary>
    public static string Warning(string message) => "::warning::" + EscapeData(Redaction.Scrub(message));

    /// <summary>Escapes a workflow command's message, as the runner expects.</summary>
    public static string EscapeData(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.Replace("%", "%25", StringComparison.Ordinal).Replace("\r", "%0D", StringComparison.Ordinal).Replace("\n", "%0A", StringComparison.Ordinal);
    }

    /// <summary>Escapes a workflow command's property value (also <c>:</c> and <c>,</c>).</summary>
    public static string EscapeProperty(string value) =>
        EscapeData(value).Replace(":", "%3A", StringComparison.Ordinal).Replace(",", "%2C", StringComparison.Ordinal);

    /// <summary>Appends Markdown to <c>$GITHUB_STEP_SUMMARY</c>.</summary>
    public void AppendStepSummary(string markdown)
    {
        if (_stepSummaryPath is null)
        {
            return;
        }

        lock (_gate)
        {
            File.AppendAllText(_stepSummaryPath, Redaction.Scrub(markdown), Encoding.UTF8);
        }
    }

    /// <summary>Writes a step output to <c>$GITHUB_OUTPUT</c> (multi-line safe, with a random delimiter).</summary>
    public void SetOutput(string name, string value)
    {
        if (_outputPath is null)
        {
            return;
        }

        var delimiter = "slipway_" + Guid.NewGuid().ToString("N");
        lock (_gate)
        {
            File.AppendAllText(_outputPath, $"{name}<<{delimiter}\n{Redaction.Scrub(value)}\n{delimiter}\n", Encoding.UTF8);
        }
    }
}
