using Slipway.Processes;

namespace Slipway.Delivery;

/// <summary>
/// A record an earlier run left (the canary in progress, a saved infra plan) that cannot be acted on: a refused input,
/// so the run exits 2; the message names the file and what to do.
/// </summary>
internal sealed class RefusedStateException(string input, string message, Exception innerException)
    : InvalidOperationException(message, innerException), IRefusedInput
{
    /// <inheritdoc />
    public string Input { get; } = input;
}
