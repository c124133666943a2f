using System.Text.RegularExpressions;

namespace Slipway.Tools.Cosign;

/// <summary>
/// An image reference pinned by digest, <c>registry/repo@sha256:…</c> (a tag before the digest is allowed and kept).
/// Signing a tag signs whatever the tag points at when cosign resolves it, which may not be what was built and
/// scanned; so every cosign wrapper refuses references that are not by digest. A dry run, which runs before the push
/// that makes the digest, passes a named placeholder in its place (<c>repo@&lt;digest of api from Publish&gt;</c>): it
/// names where the digest will come from, so it can be printed, and it can never reach a registry (nothing runs in a
/// dry run, and a real run takes its digests from release.json, whose reader refuses anything but <c>sha256:</c>).
/// </summary>
/// <param name="Image">Everything before <c>@</c>: <c>127.0.0.1:5000/slipway/api</c>.</param>
/// <param name="Digest"><c>sha256:</c> and 64 lowercase hex digits.</param>
public sealed partial record ImageDigestReference(string Image, string Digest)
{
    /// <summary>Parses <paramref name="reference"/>.</summary>
    /// <exception cref="ArgumentException">The reference is not <c>name@sha256:</c> followed by 64 lowercase hex digits.</exception>
    public static ImageDigestReference Parse(string reference, string parameterName = "imageReference")
    {
        ArgumentNullException.ThrowIfNull(reference, parameterName);
        var match = ByDigest().Match(reference);
        return match.Success
            ? new ImageDigestReference(match.Groups["image"].Value, match.Groups["digest"].Value)
            : throw new ArgumentException(
                $"Image reference '{reference}' is not by digest. cosign must be given 'repository@sha256:<64 hex digits>' so it signs and verifies exactly the image that was pushed; take the digest from the push (release.json) rather than a tag.",
                parameterName);
    }

    /// <summary><c>image@digest</c>.</summary>
    public override string ToString() => $"{Image}@{Digest}";

    [GeneratedRegex("^(?<image>[^@\\s]+)@(?<digest>sha256:[a-f0-9]{64}|<[^<>@]+ from [^<>@]+>)$", RegexOptions.CultureInvariant)]
    private static partial Regex ByDigest();
}
