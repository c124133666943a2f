namespace Slipway.Processes;

/// <summary>
/// Where code that composes tools (a deploy driver, say) runs them: every effect goes through here, so a dry run
/// prints instead of running, and every line is scrubbed of secrets. A running target's context is one.
/// </summary>
public interface IToolSession
{
    /// <summary>True in a dry run: <see cref="RunAsync"/> and <see cref="DoAsync"/> print, run nothing, and succeed.</summary>
    bool IsDryRun { get; }

    /// <summary>Cancelled when the run is cancelled.</summary>
    CancellationToken CancellationToken { get; }

    /// <summary>Runs a tool that may change something (in a dry run: prints it and returns an empty success).</summary>
    Task<ToolResult> RunAsync(ToolInvocation invocation, bool echoOutput = true);

    /// <summary>Runs a read-only query, even in a dry run; its output is returned, not logged.</summary>
    Task<ToolResult> QueryAsync(ToolInvocation invocation);

    /// <summary>Performs an in-process effect (in a dry run: prints <paramref name="description"/> only).</summary>
    Task DoAsync(string description, Func<CancellationToken, Task> effect);

    /// <summary>Writes an informational line.</summary>
    void Info(string message);

    /// <summary>Writes a warning.</summary>
    void Warning(string message);
}
