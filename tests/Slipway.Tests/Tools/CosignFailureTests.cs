using Slipway.Tools.Cosign;

namespace Slipway.Tests.Tools;

/// <summary>cosign's exit codes and messages (as cosign 2.5.0 gives them), explained with the image and the digest.</summary>
public sealed class CosignFailureTests
{
    private const string Image = "127.0.0.1:5000/slipway/api";
    private const string Digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Theory]
    [InlineData(10, "Error: no signatures found\nerror during command execution: no signatures found", "the image has no signature", CosignFailureReason.NoSignature)]
    [InlineData(11, "Error: image tag not found", "does not exist in the registry", CosignFailureReason.ImageNotFound)]
    [InlineData(12, "Error: no matching signatures: invalid signature when validating ASN.1 encoded signature", "no signature matches the policy's key", CosignFailureReason.NoMatchingSignature)]
    [InlineData(13, "Error: no certificate found on signature", "expects a keyless signature", CosignFailureReason.NoCertificate)]
    public void Documented_exit_codes_name_image_digest_and_reason(int exitCode, string stderr, string reason, CosignFailureReason expected)
    {
        var message = CosignFailure.Explain(exitCode, stderr, Image, Digest);

        Assert.Equal(expected, CosignFailure.Classify(exitCode, stderr));
        Assert.Contains(Image, message, StringComparison.Ordinal);
        Assert.Contains(Digest, message, StringComparison.Ordinal);
        Assert.Contains(reason, message, StringComparison.Ordinal);
        Assert.Contains($"exit code {exitCode}", message, StringComparison.Ordinal);
    }

    [Theory]
    // What the real cosign 2.5.0 prints for each case the deploy gate meets (CosignContractTests runs them for real).
    [InlineData(10, "WARNING: Skipping tlog verification is an insecure practice that lacks transparency and auditability verification for the signature.\nError: no signatures found\nerror during command execution: no signatures found\n", "no signatures found")]
    [InlineData(12, "Error: no matching signatures: invalid signature when validating ASN.1 encoded signature\nerror during command execution: no matching signatures: invalid signature when validating ASN.1 encoded signature\n", "no matching signatures: invalid signature when validating ASN.1 encoded signature")]
    [InlineData(1, "Error: no matching attestations: \nerror during command execution: no matching attestations: \n", "no matching attestations: ")]
    [InlineData(1, "Error: no matching attestations: accepted signatures do not match threshold, Found: 0, Expected 1\nerror during command execution: no matching attestations: accepted signatures do not match threshold, Found: 0, Expected 1\n", "no matching attestations: accepted signatures do not match threshold, Found: 0, Expected 1")]
    [InlineData(11, "Error: image tag not found: GET http://127.0.0.1:5000/v2/slipway/api/manifests/nope: MANIFEST_UNKNOWN: manifest unknown; map[Tag:nope]\n", "image tag not found: GET http://127.0.0.1:5000/v2/slipway/api/manifests/nope: MANIFEST_UNKNOWN: manifest unknown; map[Tag:nope]")]
    public void The_explanation_quotes_cosigns_own_message(int exitCode, string stderr, string said)
    {
        Assert.EndsWith($"cosign said: \"{said}\"", CosignFailure.Explain(exitCode, stderr, Image, Digest, exitCode == 1 ? "cyclonedx" : null), StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_attestation_names_its_type_from_stderr()
    {
        var message = CosignFailure.Explain(
            1, "Error: none of the attestations matched the predicate type: cyclonedx, found: https://slsa.dev/provenance/v1", Image, Digest);

        Assert.Contains("no attestation of type cyclonedx", message, StringComparison.Ordinal);
        Assert.Contains(Digest, message, StringComparison.Ordinal);
    }

    [Fact]
    public void No_attestations_at_all_uses_the_type_given()
    {
        var message = CosignFailure.Explain(1, "Error: no matching attestations: \nerror during command execution: no matching attestations:", Image, Digest, "cyclonedx");

        Assert.Contains("no attestation of type cyclonedx", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Messages_of_cosign_before_the_exit_codes_are_still_understood()
    {
        Assert.Equal(CosignFailureReason.NoMatchingSignature, CosignFailure.Classify(1, "Error: no matching signatures:\n\nmain.go:48: error during command execution: no matching signatures:"));
        Assert.Equal(CosignFailureReason.NoSignature, CosignFailure.Classify(1, "Error: no signatures found"));
    }

    [Fact]
    public void The_v3_signing_config_conflict_and_a_wrong_password_say_what_to_do()
    {
        Assert.Contains(
            "--use-signing-config=false",
            CosignFailure.Explain(1, "Error: --tlog-upload=false is not supported with --signing-config or --use-signing-config. Provide a signing config", Image, Digest),
            StringComparison.Ordinal);
        Assert.Contains(
            "COSIGN_PASSWORD",
            CosignFailure.Explain(1, "Error: signing [x]: getting signer: reading key: decrypt: encrypted: decryption failed", Image, Digest),
            StringComparison.Ordinal);
    }

    [Fact]
    public void Anything_else_quotes_the_last_stderr_line()
    {
        var message = CosignFailure.Explain(1, "WARNING: something\nError: Get \"http://127.0.0.1:5000/v2/\": connection refused\n", Image, Digest);

        Assert.Equal(CosignFailureReason.Unknown, CosignFailure.Classify(1, "connection refused"));
        Assert.EndsWith("Error: Get \"http://127.0.0.1:5000/v2/\": connection refused", message, StringComparison.Ordinal);
        Assert.Contains($"{Image} at {Digest}", message, StringComparison.Ordinal);
        Assert.Contains("printed nothing", CosignFailure.Explain(2, "", Image, Digest), StringComparison.Ordinal);
    }
}
