namespace Slipway.Processes;

/// <summary>What a finished tool run returned. Output is already scrubbed of secrets.</summary>
/// <param name="ExitCode">The process exit code.</param>
/// <param name="StandardOutput">Everything the tool wrote to stdout.</param>
/// <param name="StandardError">Everything the tool wrote to stderr.</param>
/// <param name="Duration">How long it ran.</param>
public sealed record ToolResult(int ExitCode, string StandardOutput, string StandardError, TimeSpan Duration)
{
    /// <summary>The result a dry run reports for every invocation.</summary>
    public static ToolResult DryRun { get; } = new(0, string.Empty, string.Empty, TimeSpan.Zero);

    /// <summary>The reason a tool gives: the last line of stderr, else of stdout (its progress lines), else "no output".</summary>
    public string Reason =>
        new[] { StandardError, StandardOutput }.Select(t => t.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault())
            .FirstOrDefault(l => l is not null) ?? "no output";
}

/// <summary>
/// A tool exited with a code its invocation does not accept. The message names the tool, the redacted
/// command line, the exit code and the last lines of stderr.
/// </summary>
public sealed class ToolFailedException : Exception
{
    /// <summary>How many trailing stderr lines the message carries.</summary>
    public const int StderrTailLines = 20;

    /// <summary>Creates the exception from a finished run.</summary>
    public ToolFailedException(ToolInvocation invocation, ToolResult result)
        : base(Describe(invocation, result))
    {
        Invocation = invocation;
        Result = result;
    }

    /// <summary>The invocation that failed.</summary>
    public ToolInvocation Invocation { get; }

    /// <summary>What it returned.</summary>
    public ToolResult Result { get; }

    private static string Describe(ToolInvocation invocation, ToolResult result)
    {
        var tail = Tail(result.StandardError, StderrTailLines);
        var message = $"{invocation.Tool} exited with code {result.ExitCode}: {invocation.ToDisplayString()}";
        if (tail.Length > 0)
        {
            message += $"{Environment.NewLine}Last lines of stderr:{Environment.NewLine}{string.Join(Environment.NewLine, tail.Select(l => "  " + l))}";
        }

        return Redaction.Scrub(message);
    }

    /// <summary>The last <paramref name="lines"/> lines of a tool's output, without trailing empty lines or carriage returns.</summary>
    public static string[] Tail(string text, int lines)
    {
        var all = text.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        while (all.Count > 0 && all[^1].Length == 0)
        {
            all.RemoveAt(all.Count - 1);
        }

        return [.. all.Skip(Math.Max(0, all.Count - lines))];
    }
}
