using Slipway.Cli;
using Slipway.Processes;
using Slipway.Targets;

namespace Slipway.Testing;

/// <summary>What a pipeline run in-process printed, and how it ended.</summary>
/// <param name="ExitCode">The host's exit code: 0, 1 (a target failed), 2 (usage or configuration) or 130 (cancelled).</param>
/// <param name="Out">Standard output.</param>
/// <param name="Error">Standard error (usage and configuration errors).</param>
public sealed record HostRun(int ExitCode, string Out, string Error);

/// <summary>
/// Runs a pipeline's whole command line in-process, as <c>./build.sh</c> would, and captures what it printed: for tests
/// of a pipeline, with a <see cref="RecordingToolRunner"/> in place of the tools unless another runner is given.
/// </summary>
public static class InProcessHost
{
    /// <summary>Runs <paramref name="pipeline"/> with <paramref name="args"/>.</summary>
    /// <param name="pipeline">A fresh pipeline instance.</param>
    /// <param name="args">The command line, e.g. <c>--target DeployDev --dry-run</c>.</param>
    /// <param name="runner">Runs the tools; a new <see cref="RecordingToolRunner"/> when null.</param>
    /// <param name="environment">Environment variables on top of PATH and HOME.</param>
    /// <param name="workingDirectory">The repository root; a new temporary directory when null.</param>
    /// <param name="cancellation">Cancels the run, as Ctrl-C would.</param>
    public static async Task<HostRun> RunAsync(
        Pipeline pipeline,
        string[] args,
        IToolRunner? runner = null,
        IReadOnlyDictionary<string, string>? environment = null,
        string? workingDirectory = null,
        CancellationToken cancellation = default)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? string.Empty,
            ["HOME"] = Environment.GetEnvironmentVariable("HOME") ?? "/root",
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            env[key] = value;
        }

        var context = new HostContext
        {
            Out = TextWriter.Synchronized(output),
            Error = TextWriter.Synchronized(error),
            Environment = env,
            WorkingDirectory = workingDirectory ?? NewTemporaryDirectory(),
            IsTerminal = false,
            Runner = runner ?? new RecordingToolRunner(),
            Cancellation = cancellation,
        };
        var exitCode = await SlipwayHost.RunAsync(pipeline, args, context);
        return new HostRun(exitCode, output.ToString(), error.ToString());
    }

    private static string NewTemporaryDirectory()
    {
        var path = Path.Combine(Path.GetTempPath(), "slipway-tests", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(path);
        return path;
    }
}
