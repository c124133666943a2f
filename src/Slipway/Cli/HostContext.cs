using System.Collections;
using Slipway.Processes;

namespace Slipway.Cli;

/// <summary>
/// Everything the host takes from the outside world, so tests run the whole CLI in-process: the
/// console streams, the environment, the working directory, the tool runner and cancellation.
/// </summary>
public sealed record HostContext
{
    /// <summary>Where normal output goes.</summary>
    public required TextWriter Out { get; init; }

    /// <summary>Where usage and configuration errors go.</summary>
    public required TextWriter Error { get; init; }

    /// <summary>The environment variables.</summary>
    public required IReadOnlyDictionary<string, string> Environment { get; init; }

    /// <summary>The repository root.</summary>
    public required string WorkingDirectory { get; init; }

    /// <summary>True on an interactive terminal (live progress, colour).</summary>
    public bool IsTerminal { get; init; }

    /// <summary>Runs tools; the real <see cref="ProcessRunner"/> when null.</summary>
    public IToolRunner? Runner { get; init; }

    /// <summary>Cancels the run (first Ctrl-C or SIGTERM).</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>Cancels cleanup targets too (second signal).</summary>
    public CancellationToken CleanupCancellation { get; init; }

    /// <summary>The context of this process: its console, environment and current directory.</summary>
    public static HostContext FromProcess(CancellationToken cancellation, CancellationToken cleanupCancellation)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in System.Environment.GetEnvironmentVariables())
        {
            environment[(string)entry.Key] = (string?)entry.Value ?? string.Empty;
        }

        // Buffered: ConsoleOutput flushes every few tens of milliseconds and at the end, instead of a
        // system call per line (a 2,000-target dry run prints 4,000 lines).
        var output = new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false), 1 << 16) { AutoFlush = false };
        return new HostContext
        {
            Out = output,
            Error = Console.Error,
            Environment = environment,
            WorkingDirectory = Directory.GetCurrentDirectory(),
            IsTerminal = !Console.IsOutputRedirected && !environment.ContainsKey("CI"),
            Cancellation = cancellation,
            CleanupCancellation = cleanupCancellation,
        };
    }
}
