namespace Slipway.CosignDouble;

/// <summary>
/// A failure the double reports the way cosign does: <c>Error: MESSAGE</c> on stderr, then the line cobra's
/// main adds, and an exit code from cosign's table (1 unless cmd/cosign/errors maps the error).
/// </summary>
internal sealed class DoubleFailure(string message, int exitCode = 1) : Exception(message)
{
    public const int ImageWithoutSignature = 10;
    public const int NonExistentTag = 11;
    public const int NoMatchingSignature = 12;

    public int ExitCode { get; } = exitCode;
}
