namespace Slipway.IntegrationTests;

/// <summary>
/// The deploy gate (Verify) on the real registry with the real cosign (2.5, key mode, offline): it refuses an
/// unsigned digest, a digest signed with another key and one without an SBOM attestation — exit 1, with
/// cosign's exit code and its own message, nothing further runs — and accepts a digest that Sign signed and
/// attested. Each test starts with the release's signatures removed from the registry.
/// </summary>
[Collection(SharedDockerWorkspace.Name)]
public sealed class SigningGateTests(DockerWorkspace workspace)
{
    [Fact]
    public async Task The_gate_refuses_an_unsigned_digest()
    {
        workspace.RemoveSignatures();
        var api = workspace.Release().Images.Single(i => i.Service == "api");

        var run = await workspace.RunAsync("--target", "Verify");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Refused:", run.Out, StringComparison.Ordinal);
        Assert.Contains(api.Digest, run.Out, StringComparison.Ordinal);
        Assert.Contains(api.Repository, run.Out, StringComparison.Ordinal);
        Assert.Contains("the image has no signature (cosign exit code 10)", run.Out, StringComparison.Ordinal);
        Assert.Contains("cosign said: \"no signatures found\"", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_gate_refuses_a_digest_signed_with_another_key()
    {
        workspace.RemoveSignatures();
        var other = Path.Combine(workspace.Root, "other-key");
        Directory.CreateDirectory(other);
        workspace.RunCosign(other, "generate-key-pair");
        foreach (var image in workspace.Release().Images)
        {
            workspace.RunCosign(other, "sign", "--key", Path.Combine(other, "cosign.key"), "--tlog-upload=false", "--yes", image.Reference);
        }

        var run = await workspace.RunAsync("--target", "Verify");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Refused:", run.Out, StringComparison.Ordinal);
        Assert.Contains(workspace.Release().Images[0].Digest, run.Out, StringComparison.Ordinal);
        Assert.Contains("no signature matches the policy's key or identity (cosign exit code 12)", run.Out, StringComparison.Ordinal);
        Assert.Contains("cosign said: \"no matching signatures: invalid signature when validating ASN.1 encoded signature\"", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_gate_refuses_a_signed_digest_without_an_SBOM_attestation()
    {
        workspace.RemoveSignatures();
        foreach (var image in workspace.Release().Images)
        {
            workspace.RunCosign(workspace.Root, "sign", "--key", Path.Combine(workspace.Root, "cosign.key"), "--tlog-upload=false", "--yes", image.Reference);
        }

        var run = await workspace.RunAsync("--target", "Verify");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Refused:", run.Out, StringComparison.Ordinal);
        Assert.Contains("no attestation of type cyclonedx that matches the policy (cosign exit code 1)", run.Out, StringComparison.Ordinal);
        Assert.Contains("cosign said: \"no matching attestations: \"", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_gate_accepts_what_Sign_signed_and_attested_and_signing_again_is_a_no_op()
    {
        workspace.RemoveSignatures();

        var sign = await workspace.RunAsync("--target", "Sign");
        var verify = await workspace.RunAsync("--target", "Verify");
        var again = await workspace.RunAsync("--target", "Sign");

        Assert.True(sign.ExitCode == 0, sign.Out);
        Assert.True(verify.ExitCode == 0, verify.Out);
        Assert.Contains("signature and SBOM attestation verified", verify.Out, StringComparison.Ordinal);
        Assert.Matches(@"│   › api\s+│ Skipped\s+│[^│]*│ already signed and attested", again.Out);
        Assert.Matches(@"│   › worker\s+│ Skipped\s+│[^│]*│ already signed and attested", again.Out);
    }
}
