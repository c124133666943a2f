namespace Slipway.IntegrationTests;

/// <summary>
/// The deploy gate (Verify) on the real registry with the cosign double: it refuses an unsigned
/// digest, a digest signed with another key and one without an SBOM attestation — exit 1, nothing
/// further runs — and accepts a digest that Sign signed and attested. Each test starts from an empty
/// signature store.
/// </summary>
[Collection(SharedDockerWorkspace.Name)]
public sealed class SigningGateTests(DockerWorkspace workspace)
{
    [Fact]
    public async Task The_gate_refuses_an_unsigned_digest()
    {
        DockerWorkspace.UseFreshSignatureStore();
        var api = workspace.Release().Images.Single(i => i.Service == "api");

        var run = await workspace.RunAsync("--target", "Verify");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Refused:", run.Out, StringComparison.Ordinal);
        Assert.Contains(api.Digest, run.Out, StringComparison.Ordinal);
        Assert.Contains(api.Repository, run.Out, StringComparison.Ordinal);
        Assert.Contains("the image has no signature", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_gate_refuses_a_digest_signed_with_another_key()
    {
        DockerWorkspace.UseFreshSignatureStore();
        var other = Path.Combine(workspace.Root, "other-key");
        Directory.CreateDirectory(other);
        workspace.Cosign(other, "generate-key-pair");
        foreach (var image in workspace.Release().Images)
        {
            workspace.Cosign(other, "sign", "--key", Path.Combine(other, "cosign.key"), "--tlog-upload=false", "--yes", image.Reference);
        }

        var run = await workspace.RunAsync("--target", "Verify");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Refused:", run.Out, StringComparison.Ordinal);
        Assert.Contains(workspace.Release().Images[0].Digest, run.Out, StringComparison.Ordinal);
        Assert.Contains("no signature matches the policy's key", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_gate_refuses_a_signed_digest_without_an_SBOM_attestation()
    {
        DockerWorkspace.UseFreshSignatureStore();
        foreach (var image in workspace.Release().Images)
        {
            workspace.Cosign(workspace.Root, "sign", "--key", Path.Combine(workspace.Root, "cosign.key"), "--tlog-upload=false", "--yes", image.Reference);
        }

        var run = await workspace.RunAsync("--target", "Verify");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Refused:", run.Out, StringComparison.Ordinal);
        Assert.Contains("no attestation of type cyclonedx", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_gate_accepts_what_Sign_signed_and_attested_and_signing_again_is_a_no_op()
    {
        DockerWorkspace.UseFreshSignatureStore();

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
