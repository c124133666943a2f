using System.Text.RegularExpressions;
using Slipway.Processes;

namespace Slipway.Tools.Cosign;

/// <summary>Why cosign failed, as far as its exit code and stderr tell.</summary>
public enum CosignFailureReason
{
    /// <summary>Nothing more specific is known; the message quotes cosign's last line.</summary>
    Unknown,

    /// <summary>
    /// Exit 10, "no signatures found": the digest has no signature in its repository. cosign 2.5 looks only for the
    /// signatures of a digest, not for its manifest, so a digest the repository does not hold at all ends here too.
    /// </summary>
    NoSignature,

    /// <summary>Exit 11, "image tag not found": a tag that does not exist (a digest that does not exist gives 10).</summary>
    ImageNotFound,

    /// <summary>Exit 12: signatures exist, but none matches the key or identity of the policy.</summary>
    NoMatchingSignature,

    /// <summary>Exit 13: a keyless policy met a signature made with a key, which carries no certificate.</summary>
    NoCertificate,

    /// <summary>
    /// Exit 1 (cosign 2.5 gives attestations no exit code of their own): "no matching attestations: " when there are
    /// none, "no matching attestations: accepted signatures do not match threshold, Found: 0, Expected 1" when none
    /// is signed by the policy's key, "none of the attestations matched the predicate type: T, found: U" for another type.
    /// </summary>
    NoMatchingAttestation,

    /// <summary>The private key could not be decrypted: <c>COSIGN_PASSWORD</c> is wrong.</summary>
    WrongPassword,

    /// <summary>cosign v3 refused <c>--tlog-upload=false</c> because its signing config was on.</summary>
    SigningConfigConflict,
}

/// <summary>
/// Turns a failed cosign run into one sentence a person can act on: the image, the digest, the reason, what to
/// do, and cosign's own words. cosign's exit codes (cmd/cosign/errors: 10, 11, 12, 13) come first; for attestations
/// and keys, which share exit code 1 with every other error, its stderr wording decides. Checked against the real
/// cosign 2.5.0 in the integration tests (SigningGateTests, CosignContractTests).
/// </summary>
public static partial class CosignFailure
{
    /// <summary>The exit code cosign uses for an image without any signature.</summary>
    public const int ImageWithoutSignatureExitCode = 10;

    /// <summary>The exit code cosign uses for a tag that does not exist.</summary>
    public const int NonExistentTagExitCode = 11;

    /// <summary>The exit code cosign uses when signatures exist but none matches.</summary>
    public const int NoMatchingSignatureExitCode = 12;

    /// <summary>The exit code cosign uses when a signature has no certificate to check an identity against.</summary>
    public const int NoCertificateFoundOnSignatureExitCode = 13;

    /// <summary>Classifies a failure by exit code, then by cosign's stderr wording.</summary>
    public static CosignFailureReason Classify(int exitCode, string stderr)
    {
        ArgumentNullException.ThrowIfNull(stderr);
        return exitCode switch
        {
            ImageWithoutSignatureExitCode => CosignFailureReason.NoSignature,
            NonExistentTagExitCode => CosignFailureReason.ImageNotFound,
            NoMatchingSignatureExitCode => CosignFailureReason.NoMatchingSignature,
            NoCertificateFoundOnSignatureExitCode => CosignFailureReason.NoCertificate,
            _ => ClassifyByMessage(stderr),
        };
    }

    /// <summary>
    /// One sentence naming <paramref name="image"/>, <paramref name="digest"/> and the reason, e.g.
    /// "Image registry/api at sha256:… is signed, but no signature matches the policy's key (cosign exit code 12): …".
    /// Each quotes cosign's own message (its <c>Error:</c> line); unknown failures quote that line whole, or the last
    /// line of stderr, scrubbed of secrets.
    /// </summary>
    /// <param name="exitCode">cosign's exit code.</param>
    /// <param name="stderr">cosign's standard error.</param>
    /// <param name="image">The image, without the digest: <c>127.0.0.1:5000/slipway/api</c>.</param>
    /// <param name="digest">The digest verified or signed: <c>sha256:…</c>.</param>
    /// <param name="predicateType">For attestations, the type asked for; read from stderr when null.</param>
    public static string Explain(int exitCode, string stderr, string image, string digest, string? predicateType = null)
    {
        ArgumentNullException.ThrowIfNull(stderr);
        ArgumentException.ThrowIfNullOrWhiteSpace(image);
        ArgumentException.ThrowIfNullOrWhiteSpace(digest);
        var subject = $"Image {image} at {digest}";
        var code = $"(cosign exit code {exitCode})";
        var said = $" cosign said: \"{Said(stderr)}\"";
        return Classify(exitCode, stderr) switch
        {
            CosignFailureReason.NoSignature =>
                $"{subject} cannot be trusted: the image has no signature {code}. Sign it (the Sign target) before deploying, and check that this digest was pushed to the repository the policy reads.{said}",
            CosignFailureReason.ImageNotFound =>
                $"{subject} does not exist in the registry {code}. Check the digest in release.json against the registry, and that the image was pushed there.{said}",
            CosignFailureReason.NoMatchingSignature =>
                $"{subject} is signed, but no signature matches the policy's key or identity {code}. Check that the verifying public key pairs with the signing key, or that the identity and issuer are the signer's.{said}",
            CosignFailureReason.NoCertificate =>
                $"{subject} is signed with a key, but the policy expects a keyless signature {code}: the signature has no certificate to check the identity against. Verify with the public key, or sign keyless.{said}",
            CosignFailureReason.NoMatchingAttestation =>
                $"{subject} has no attestation of type {predicateType ?? AttestationTypeIn(stderr) ?? "the requested type"} that matches the policy {code}. Attest it (e.g. the SBOM with --type {CosignCli.CycloneDx}) with the policy's key or identity before deploying.{said}",
            CosignFailureReason.WrongPassword =>
                $"Signing {image} at {digest} failed: the private key could not be decrypted {code}. {CosignCli.PasswordVariable} does not match the password the key was generated with.",
            CosignFailureReason.SigningConfigConflict =>
                $"Signing {image} at {digest} failed: cosign v3 refuses --tlog-upload=false while its signing config is on {code}. Pass the version 'cosign version' reports, so Slipway adds --use-signing-config=false for v3.",
            _ => $"cosign failed for {subject} {code}: {ErrorLine(stderr) ?? LastLine(stderr)}",
        };
    }

    private static CosignFailureReason ClassifyByMessage(string stderr) => stderr switch
    {
        _ when Has(stderr, "no matching attestations") || Has(stderr, "none of the attestations matched") => CosignFailureReason.NoMatchingAttestation,
        _ when Has(stderr, "--tlog-upload=false is not supported with") => CosignFailureReason.SigningConfigConflict,
        _ when Has(stderr, "decryption failed") || Has(stderr, "incorrect password") => CosignFailureReason.WrongPassword,
        // Older cosign (before 2.0.1) exited 1 for everything; its messages still say which case it was.
        _ when Has(stderr, "no signatures found") => CosignFailureReason.NoSignature,
        _ when Has(stderr, "no matching signatures") => CosignFailureReason.NoMatchingSignature,
        _ when Has(stderr, "MANIFEST_UNKNOWN") => CosignFailureReason.ImageNotFound,
        _ => CosignFailureReason.Unknown,
    };

    private static bool Has(string text, string marker) => text.Contains(marker, StringComparison.OrdinalIgnoreCase);

    private static string? AttestationTypeIn(string stderr)
    {
        var match = PredicateTypeInMessage().Match(stderr);
        return match.Success ? match.Groups["type"].Value : null;
    }

    /// <summary>cosign's message: the last <c>Error: …</c> line without its prefix, else the last line.</summary>
    private static string Said(string stderr) => ErrorLine(stderr)?["Error: ".Length..] ?? LastLine(stderr);

    private static string? ErrorLine(string stderr)
    {
        var line = stderr.Split('\n').Select(l => l.TrimEnd('\r')).LastOrDefault(l => l.StartsWith("Error: ", StringComparison.Ordinal));
        return line is null ? null : Redaction.Scrub(line);
    }

    private static string LastLine(string stderr)
    {
        var last = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        return last is null ? "it printed nothing on stderr." : Redaction.Scrub(last);
    }

    [GeneratedRegex(@"matched the predicate type: (?<type>[^\s,]+)", RegexOptions.CultureInvariant)]
    private static partial Regex PredicateTypeInMessage();
}
