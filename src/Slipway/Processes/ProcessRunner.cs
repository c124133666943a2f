using System.Diagnostics;
using System.Text;
using CliWrap;
using Polly;
using Polly.Retry;

namespace Slipway.Processes;

/// <summary>
/// The one place that starts processes. Resolves the tool, passes argument tokens unquoted (CliWrap
/// escapes them once), streams both output streams line by line — scrubbed of every known secret — to
/// the caller, and on cancellation kills the whole process tree.
/// </summary>
public sealed class ProcessRunner : IToolRunner
{
    private readonly ToolResolver _resolver;

    /// <summary>Creates a runner that resolves tools with <paramref name="resolver"/>.</summary>
    public ProcessRunner(ToolResolver resolver)
    {
        _resolver = resolver;
    }

    /// <inheritdoc />
    public string? Locate(string tool) => _resolver.TryResolve(tool);

    /// <inheritdoc />
    public async Task<ToolResult> RunAsync(ToolInvocation invocation, IToolOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        ArgumentNullException.ThrowIfNull(output);
        if (invocation.Retry is not { } retry)
        {
            return await RunOnceAsync(invocation, output, cancellationToken);
        }

        var pipeline = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = Math.Max(0, retry.MaxAttempts - 1),
                Delay = retry.BaseDelay,
                BackoffType = DelayBackoffType.Exponential,
                ShouldHandle = new PredicateBuilder().Handle<ToolFailedException>(ex => retry.IsTransient(ex.Result)),
                OnRetry = arguments =>
                {
                    output.StandardError($"{invocation.Tool} failed transiently; retrying in {arguments.RetryDelay.TotalSeconds:0.#}s (attempt {arguments.AttemptNumber + 2} of {retry.MaxAttempts}).");
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
        return await pipeline.ExecuteAsync(async token => await RunOnceAsync(invocation, output, token), cancellationToken);
    }

    private async Task<ToolResult> RunOnceAsync(ToolInvocation invocation, IToolOutput output, CancellationToken cancellationToken)
    {
        // Register every secret the invocation carries, even one built without the Secret type's help.
        foreach (var secret in invocation.Secrets)
        {
            Redaction.Register(secret.Reveal());
        }

        var executable = _resolver.Resolve(invocation.Tool);
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var gate = new object();

        var command = CliWrap.Cli.Wrap(executable)
            .WithArguments(invocation.Arguments.Select(a => a.Reveal()))
            .WithEnvironmentVariables(invocation.Environment.ToDictionary(e => e.Key, e => (string?)e.Value.Reveal(), StringComparer.Ordinal))
            .WithWorkingDirectory(invocation.WorkingDirectory ?? Directory.GetCurrentDirectory())
            .WithValidation(CommandResultValidation.None)
            .WithStandardInputPipe(invocation.StandardInput is null ? PipeSource.Null : PipeSource.FromString(invocation.StandardInput.Reveal()))
            .WithStandardOutputPipe(PipeTarget.ToDelegate(line =>
            {
                var safe = Redaction.Scrub(line);
                lock (gate)
                {
                    stdout.AppendLine(safe);
                }

                output.StandardOutput(safe);
            }))
            .WithStandardErrorPipe(PipeTarget.ToDelegate(line =>
            {
                var safe = Redaction.Scrub(line);
                lock (gate)
                {
                    stderr.AppendLine(safe);
                }

                output.StandardError(safe);
            }));

        var stopwatch = Stopwatch.StartNew();
        CommandResult result;
        try
        {
            // Forceful cancellation: CliWrap kills the process with its entire tree.
            result = await command.ExecuteAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new InvalidOperationException(Redaction.Scrub($"Could not start {invocation.Tool} ({executable}): {ex.Message}"), ex);
        }

        var toolResult = new ToolResult(result.ExitCode, stdout.ToString(), stderr.ToString(), stopwatch.Elapsed);
        if (!invocation.SuccessExitCodes.Contains(result.ExitCode))
        {
            throw new ToolFailedException(invocation, toolResult);
        }

        return toolResult;
    }
}
