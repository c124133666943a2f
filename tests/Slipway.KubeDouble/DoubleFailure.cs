namespace Slipway.KubeDouble;

/// <summary>A failure the double reports as the real tool does: its message on stderr and an exit code (1 unless said).</summary>
internal sealed class DoubleFailure(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
