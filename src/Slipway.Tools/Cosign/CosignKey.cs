namespace Slipway.Tools.Cosign;

/// <summary>
/// A value for cosign's <c>--key</c>: a file path, <c>env://VAR</c>, or a KMS URI. Only the distinction matters here:
/// a KMS key has no password and no local file.
/// </summary>
internal sealed record CosignKey(string Reference, bool IsKms)
{
    // The schemes cosign's --key resolves through a key management service rather than a PEM.
    private static readonly string[] KmsSchemes = ["awskms://", "gcpkms://", "azurekms://", "hashivault://", "k8s://", "gitlab://"];

    public static CosignKey Parse(string reference)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reference);
        if (KmsSchemes.Any(s => reference.StartsWith(s, StringComparison.Ordinal)))
        {
            return new CosignKey(reference, IsKms: true);
        }

        if (reference.StartsWith("env://", StringComparison.Ordinal))
        {
            return reference.Length > "env://".Length
                ? new CosignKey(reference, IsKms: false)
                : throw new ArgumentException("Key 'env://' names no variable: write env://COSIGN_PRIVATE_KEY.", nameof(reference));
        }

        if (reference.Contains("://", StringComparison.Ordinal))
        {
            throw new ArgumentException(
                $"Key '{reference}' has a scheme cosign does not know. Use a key file path, env://VAR, or one of {string.Join(", ", KmsSchemes)}.",
                nameof(reference));
        }

        return new CosignKey(reference, IsKms: false);
    }
}
