using Slipway.Targets;

namespace Slipway.Cli;

/// <summary>A dry run's text as the console would have shown it, and how it ended.</summary>
/// <param name="ExitCode">The host's exit code: 0, or 1/2 when the plan failed or was refused.</param>
/// <param name="Text">Everything printed, standard output then errors, without colour.</param>
public sealed record CapturedDryRun(int ExitCode, string Text)
{
    /// <summary>True when the dry run completed.</summary>
    public bool Succeeded => ExitCode == ExitCodes.Success;
}

/// <summary>
/// Runs a pipeline's dry run in-process and keeps what it prints, so a target can publish the plan of another (the
/// plan comment on a pull request, say). A dry run has no side effect; the only tools it starts are the read-only
/// queries that resolve the commands it prints.
/// </summary>
public static class DryRunCapture
{
    /// <summary>Variables that would make the nested run write GitHub Actions commands or files of its own.</summary>
    private static readonly string[] ActionsVariables = ["GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT"];

    /// <summary>Runs <paramref name="pipeline"/> (a fresh instance) with <paramref name="args"/> and <c>--dry-run</c>.</summary>
    public static async Task<CapturedDryRun> CaptureAsync(Pipeline pipeline, IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment, string rootDirectory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(environment);
        using var output = new StringWriter();
        using var errors = new StringWriter();
        var context = new HostContext
        {
            Out = output,
            Error = errors,
            Environment = environment.Where(v => !ActionsVariables.Contains(v.Key, StringComparer.Ordinal)).ToDictionary(StringComparer.Ordinal),
            WorkingDirectory = rootDirectory,
            IsTerminal = false,
            Cancellation = cancellationToken,
            CleanupCancellation = cancellationToken,
        };

        string[] dryRunArgs = args.Contains("--dry-run", StringComparer.Ordinal) ? [.. args] : [.. args, "--dry-run"];
        var exitCode = await SlipwayHost.RunAsync(pipeline, dryRunArgs, context);
        return new CapturedDryRun(exitCode, (output.ToString() + errors).TrimEnd('\n'));
    }
}
