using Slipway.Cli;
using Slipway.Processes;
using Slipway.Targets;

namespace Slipway.Tests.Support;

/// <summary>Runs the whole CLI in-process and captures what it printed.</summary>
public sealed record HostRun(int ExitCode, string Out, string Error);

public static class InProcessHost
{
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
            WorkingDirectory = workingDirectory ?? TestPaths.NewTempDirectory(),
            IsTerminal = false,
            Runner = runner ?? new RecordingToolRunner(),
            Cancellation = cancellation,
        };
        var exitCode = await SlipwayHost.RunAsync(pipeline, args, context);
        return new HostRun(exitCode, output.ToString(), error.ToString());
    }
}
