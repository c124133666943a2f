namespace Slipway.Processes;

/// <summary>Receives a running tool's output, one line at a time, already scrubbed of secrets.</summary>
public interface IToolOutput
{
    /// <summary>A line the tool wrote to stdout.</summary>
    void StandardOutput(string line);

    /// <summary>A line the tool wrote to stderr.</summary>
    void StandardError(string line);
}

/// <summary>Executes <see cref="ToolInvocation"/>s. <see cref="ProcessRunner"/> is the real one.</summary>
public interface IToolRunner
{
    /// <summary>
    /// Runs the invocation, streaming its output to <paramref name="output"/>. Throws
    /// <see cref="ToolFailedException"/> when the exit code is not accepted, and
    /// <see cref="OperationCanceledException"/> after killing the process tree on cancellation.
    /// </summary>
    Task<ToolResult> RunAsync(ToolInvocation invocation, IToolOutput output, CancellationToken cancellationToken);

    /// <summary>
    /// The executable <see cref="RunAsync"/> would start for <paramref name="tool"/>, or null when it is not installed or
    /// this runner starts no process (the default). Lets a step key what it keeps on the tool's file, such as its version.
    /// </summary>
    string? Locate(string tool) => null;
}

/// <summary>Discards output.</summary>
public sealed class NullToolOutput : IToolOutput
{
    /// <summary>The shared instance.</summary>
    public static NullToolOutput Instance { get; } = new();

    /// <inheritdoc />
    public void StandardOutput(string line)
    {
    }

    /// <inheritdoc />
    public void StandardError(string line)
    {
    }
}
