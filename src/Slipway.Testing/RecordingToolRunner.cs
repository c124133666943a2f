using System.Collections.Concurrent;

using Slipway.Processes;

namespace Slipway.Testing;

/// <summary>
/// A test double for <see cref="IToolRunner"/>: records every invocation in order and answers from a
/// script of results per tool (exit code, stdout, stderr). Unscripted tools succeed with no output.
/// </summary>
public sealed class RecordingToolRunner : IToolRunner
{
    private readonly ConcurrentQueue<ToolInvocation> _invocations = new();
    private readonly ConcurrentDictionary<string, Func<ToolInvocation, ToolResult>> _scripts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _locations = new(StringComparer.Ordinal);

    /// <summary>Every invocation run so far, in the order they started.</summary>
    public IReadOnlyList<ToolInvocation> Invocations => [.. _invocations];

    /// <summary>The display strings of every invocation, in order.</summary>
    public IReadOnlyList<string> CommandLines => [.. _invocations.Select(i => i.ToDisplayString())];

    /// <summary>Answers invocations of <paramref name="tool"/> with <paramref name="respond"/>.</summary>
    public RecordingToolRunner Script(string tool, Func<ToolInvocation, ToolResult> respond)
    {
        _scripts[tool] = respond;
        return this;
    }

    /// <summary>Answers invocations of <paramref name="tool"/> with a fixed exit code and output.</summary>
    public RecordingToolRunner Script(string tool, int exitCode, string stdout = "", string stderr = "") =>
        Script(tool, _ => new ToolResult(exitCode, stdout, stderr, TimeSpan.Zero));

    /// <summary>Makes <see cref="Locate"/> answer <paramref name="path"/> for <paramref name="tool"/> (by default it knows no tool).</summary>
    public RecordingToolRunner Installed(string tool, string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tool);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        _locations[tool] = path;
        return this;
    }

    /// <inheritdoc />
    public string? Locate(string tool) => _locations.GetValueOrDefault(tool);

    /// <inheritdoc />
    public Task<ToolResult> RunAsync(ToolInvocation invocation, IToolOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        ArgumentNullException.ThrowIfNull(output);
        cancellationToken.ThrowIfCancellationRequested();
        _invocations.Enqueue(invocation);
        var result = _scripts.TryGetValue(invocation.Tool, out var respond)
            ? respond(invocation)
            : new ToolResult(0, string.Empty, string.Empty, TimeSpan.Zero);
        result = result with { StandardOutput = Redaction.Scrub(result.StandardOutput), StandardError = Redaction.Scrub(result.StandardError) };
        foreach (var line in ToolFailedException.Tail(result.StandardOutput, int.MaxValue))
        {
            output.StandardOutput(line);
        }

        foreach (var line in ToolFailedException.Tail(result.StandardError, int.MaxValue))
        {
            output.StandardError(line);
        }

        if (!invocation.SuccessExitCodes.Contains(result.ExitCode))
        {
            throw new ToolFailedException(invocation, result);
        }

        return Task.FromResult(result);
    }
}
