using System.Text;
using System.Text.Json.Nodes;
using Slipway.Processes;
using Slipway.Tests.Support;
using Slipway.Tools.Cosign;

namespace Slipway.Tests.Tools;

/// <summary>
/// The cosign test double's contract, driven through the real wrapper and the real process runner, against a
/// loopback HTTP server standing in for the registry's manifest HEAD. What these pin is what the double promises
/// to share with cosign: exit codes, the stdout/stderr split, and v3's flag rules.
/// </summary>
#pragma warning disable CA1001 // xunit disposes the registry through IAsyncLifetime.DisposeAsync, which CA1001 does not see.
public sealed class CosignDoubleTests : IAsyncLifetime
#pragma warning restore CA1001
{
    private const string Pushed = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    private const string NeverPushed = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
    private static readonly CosignVersion V2 = new(2, 4, 1);
    private static readonly CosignVersion V3 = new(3, 0, 2);

    private readonly string _directory = TestPaths.NewTempDirectory();
    private readonly Secret _password = new("double-key-password-7f3a", "test");
    private LocalHttpServer _registry = null!;

    private string Image => $"{_registry.Host}/slipway/api@{Pushed}";

    private string KeyDirectory => Path.Combine(_directory, "keys");

    private string PrivateKey => Path.Combine(KeyDirectory, "cosign.key");

    private string PublicKey => Path.Combine(KeyDirectory, "cosign.pub");

    public async Task InitializeAsync()
    {
        _registry = new LocalHttpServer(request => request.PathAndQuery switch
        {
            "/v2/slipway/api/manifests/" + Pushed => new CannedResponse(200, Headers: new Dictionary<string, string> { ["Docker-Content-Digest"] = Pushed }),
            "/v2/slipway/api/manifests/1.0.0" => new CannedResponse(200, Headers: new Dictionary<string, string> { ["Docker-Content-Digest"] = Pushed }),
            _ => new CannedResponse(404, """{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}""", "application/json"),
        });
        Directory.CreateDirectory(KeyDirectory);
        var generated = await RunAsync(CosignCli.GenerateKeyPair(_password, KeyDirectory));
        Assert.Equal(0, generated.ExitCode);
    }

    public async Task DisposeAsync()
    {
        await _registry.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task The_double_says_it_is_a_double_and_reports_the_version_it_plays()
    {
        var v2 = await RunAsync(CosignCli.Version());
        var v3 = await RunAsync(CosignCli.Version(), "v3.0.2");

        Assert.Contains("TEST DOUBLE", v2.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("GitVersion:    v2.4.1-double", v2.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(V2, CosignVersion.Parse(v2.StandardOutput));
        Assert.Equal(V3, CosignVersion.Parse(v3.StandardOutput));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Sign_then_verify_with_the_same_key(bool offline)
    {
        var signed = await RunAsync(CosignCli.Sign(Image, CosignSigning.WithKey(PrivateKey, _password, offline), V2));
        var verified = await RunAsync(CosignCli.Verify(Image, CosignVerification.WithPublicKey(PublicKey, offline), V2));

        Assert.Equal(0, signed.ExitCode);
        Assert.Equal(0, verified.ExitCode);
        var payload = JsonNode.Parse(verified.StandardOutput)!.AsArray().Single()!;
        Assert.Equal(Pushed, (string?)payload["critical"]!["image"]!["docker-manifest-digest"]);
        Assert.Contains($"Verification for {Image} --", verified.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("Verification for", verified.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(offline, verified.StandardError.Contains("Skipping tlog verification", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Verify_with_another_key_exits_12_no_matching_signature()
    {
        var otherKeys = Path.Combine(_directory, "other");
        Directory.CreateDirectory(otherKeys);
        await RunAsync(CosignCli.GenerateKeyPair(_password, otherKeys));
        await RunAsync(CosignCli.Sign(Image, CosignSigning.WithKey(PrivateKey, _password, offline: true), V2));

        var result = await RunAsync(CosignCli.Verify(Image, CosignVerification.WithPublicKey(Path.Combine(otherKeys, "cosign.pub"), offline: true), V2));

        Assert.Equal(CosignFailure.NoMatchingSignatureExitCode, result.ExitCode);
        Assert.Empty(result.StandardOutput.Trim());
        Assert.Contains("Error: no matching signatures", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("no signature matches the policy's key", CosignFailure.Explain(result.ExitCode, result.StandardError, $"{_registry.Host}/slipway/api", Pushed), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_of_an_unsigned_image_exits_10()
    {
        var result = await RunAsync(CosignCli.Verify(Image, CosignVerification.WithPublicKey(PublicKey, offline: true), V2));

        Assert.Equal(CosignFailure.ImageWithoutSignatureExitCode, result.ExitCode);
        Assert.Contains("Error: no signatures found", result.StandardError, StringComparison.Ordinal);
        Assert.Equal(CosignFailureReason.NoSignature, CosignFailure.Classify(result.ExitCode, result.StandardError));
    }

    [Fact]
    public async Task Verify_of_a_digest_the_registry_does_not_have_exits_10_without_asking_for_its_manifest()
    {
        // As cosign 2.5: only the digest's signatures are looked for, so a digest never pushed has none.
        var result = await RunAsync(CosignCli.Verify($"{_registry.Host}/slipway/api@{NeverPushed}", CosignVerification.WithPublicKey(PublicKey), V2));

        Assert.Equal(CosignFailure.ImageWithoutSignatureExitCode, result.ExitCode);
        Assert.Contains("Error: no signatures found", result.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain(_registry.Requests, r => r.PathAndQuery.Contains(NeverPushed, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Verify_of_a_tag_the_registry_does_not_have_exits_11()
    {
        var result = await RunAsync(ToolInvocation.Of("cosign").WithArguments("verify", "--key", PublicKey, "--insecure-ignore-tlog=true", $"{_registry.Host}/slipway/api:9.9.9"));

        Assert.Equal(CosignFailure.NonExistentTagExitCode, result.ExitCode);
        Assert.Contains(
            $"Error: image tag not found: GET http://{_registry.Host}/v2/slipway/api/manifests/9.9.9: MANIFEST_UNKNOWN: manifest unknown; map[Tag:9.9.9]",
            result.StandardError,
            StringComparison.Ordinal);
        Assert.Contains(_registry.Requests, r => r.Method == "HEAD" && r.PathAndQuery == "/v2/slipway/api/manifests/9.9.9");
    }

    [Fact]
    public async Task An_offline_signature_does_not_verify_unless_the_log_is_ignored()
    {
        await RunAsync(CosignCli.Sign(Image, CosignSigning.WithKey(PrivateKey, _password, offline: true), V2));

        var result = await RunAsync(CosignCli.Verify(Image, CosignVerification.WithPublicKey(PublicKey), V2));

        Assert.Equal(CosignFailure.NoMatchingSignatureExitCode, result.ExitCode);
        Assert.Contains("signature not found in transparency log", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Attest_then_verify_attestation_of_a_cyclonedx_sbom()
    {
        var sbom = WriteFile("api.cdx.json", """{"bomFormat":"CycloneDX","specVersion":"1.6","components":[]}""");

        var attested = await RunAsync(CosignCli.Attest(Image, sbom, CosignCli.CycloneDx, CosignSigning.WithKey(PrivateKey, _password, offline: true), V2));
        var verified = await RunAsync(CosignCli.VerifyAttestation(Image, CosignCli.CycloneDx, CosignVerification.WithPublicKey(PublicKey, offline: true), V2));

        Assert.Equal(0, attested.ExitCode);
        Assert.Equal(0, verified.ExitCode);
        var envelope = JsonNode.Parse(verified.StandardOutput.Trim())!;
        var statement = JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String((string)envelope["payload"]!)))!;
        Assert.Equal("https://cyclonedx.org/bom", (string?)statement["predicateType"]);
        Assert.Equal(Pushed["sha256:".Length..], (string?)statement["subject"]![0]!["digest"]!["sha256"]);
        Assert.Equal("CycloneDX", (string?)statement["predicate"]!["bomFormat"]);
    }

    [Fact]
    public async Task Verify_attestation_without_one_exits_1_and_is_explained()
    {
        await RunAsync(CosignCli.Sign(Image, CosignSigning.WithKey(PrivateKey, _password, offline: true), V2));

        var result = await RunAsync(CosignCli.VerifyAttestation(Image, CosignCli.CycloneDx, CosignVerification.WithPublicKey(PublicKey, offline: true), V2));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("no matching attestations", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("no attestation of type cyclonedx", CosignFailure.Explain(result.ExitCode, result.StandardError, "api", Pushed, CosignCli.CycloneDx), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_attestation_of_another_type_names_what_it_found()
    {
        var provenance = WriteFile("provenance.json", """{"buildType":"test"}""");
        await RunAsync(CosignCli.Attest(Image, provenance, "slsaprovenance1", CosignSigning.WithKey(PrivateKey, _password, offline: true), V2));

        var result = await RunAsync(CosignCli.VerifyAttestation(Image, CosignCli.CycloneDx, CosignVerification.WithPublicKey(PublicKey, offline: true), V2));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("none of the attestations matched the predicate type: cyclonedx, found: https://slsa.dev/provenance/v1", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Attest_refuses_a_cyclonedx_predicate_that_is_not_a_cyclonedx_bom()
    {
        var notABom = WriteFile("spdx.json", """{"spdxVersion":"SPDX-2.3"}""");

        var result = await RunAsync(CosignCli.Attest(Image, notABom, CosignCli.CycloneDx, CosignSigning.WithKey(PrivateKey, _password, offline: true), V2));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("bomFormat", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task V3_refuses_tlog_upload_false_unless_the_signing_config_is_turned_off()
    {
        var naive = ToolInvocation.Of("cosign")
            .WithArguments("sign", "--key", PrivateKey, "--tlog-upload=false", "--yes", Image)
            .WithEnvironment("COSIGN_PASSWORD", _password);

        var refused = await RunAsync(naive, "v3.0.2");
        var rendered = await RunAsync(CosignCli.Sign(Image, CosignSigning.WithKey(PrivateKey, _password, offline: true), V3), "v3.0.2");

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("--tlog-upload=false is not supported with --signing-config or --use-signing-config", refused.StandardError, StringComparison.Ordinal);
        Assert.Equal(CosignFailureReason.SigningConfigConflict, CosignFailure.Classify(refused.ExitCode, refused.StandardError));
        Assert.Equal(0, rendered.ExitCode);
    }

    [Fact]
    public async Task V2_does_not_know_v3s_flag_which_is_why_the_wrapper_needs_the_version()
    {
        var result = await RunAsync(CosignCli.Sign(Image, CosignSigning.WithKey(PrivateKey, _password, offline: true), V3));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("unknown flag: --use-signing-config", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_password_fails_as_cosign_s_decryption_does()
    {
        var result = await RunAsync(CosignCli.Sign(Image, CosignSigning.WithKey(PrivateKey, new Secret("not-the-password-91c", "test"), offline: true), V2));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(CosignFailureReason.WrongPassword, CosignFailure.Classify(result.ExitCode, result.StandardError));
    }

    [Fact]
    public async Task Keyless_sign_records_the_ci_identity_and_verify_checks_identity_and_issuer()
    {
        var sign = CosignCli.Sign(Image, CosignSigning.Keyless(), V2)
            .WithEnvironment("SLIPWAY_COSIGN_DOUBLE_IDENTITY", "https://github.com/acme/shop/.github/workflows/release.yml@refs/heads/main")
            .WithEnvironment("SLIPWAY_COSIGN_DOUBLE_ISSUER", "https://token.actions.githubusercontent.com");
        Assert.Equal(0, (await RunAsync(sign)).ExitCode);

        var same = await RunAsync(CosignCli.Verify(Image, CosignVerification.WithIdentity("https://github.com/acme/shop/.github/workflows/release.yml@refs/heads/main", "https://token.actions.githubusercontent.com"), V2));
        var other = await RunAsync(CosignCli.Verify(Image, CosignVerification.WithIdentity("https://github.com/acme/shop/.github/workflows/release.yml@refs/heads/dev", "https://token.actions.githubusercontent.com"), V2));
        var byKey = await RunAsync(CosignCli.Verify(Image, CosignVerification.WithPublicKey(PublicKey), V2));

        Assert.Equal(0, same.ExitCode);
        Assert.Contains("certificate was verified", same.StandardError, StringComparison.Ordinal);
        Assert.Equal(CosignFailure.NoMatchingSignatureExitCode, other.ExitCode);
        Assert.Contains("none of the expected identities matched", other.StandardError, StringComparison.Ordinal);
        Assert.Equal(CosignFailure.NoMatchingSignatureExitCode, byKey.ExitCode);
    }

    [Fact]
    public async Task A_release_tag_glob_verifies_the_signature_of_any_tag_of_that_workflow_and_nothing_else()
    {
        var sign = CosignCli.Sign(Image, CosignSigning.Keyless(), V2)
            .WithEnvironment("SLIPWAY_COSIGN_DOUBLE_IDENTITY", "https://github.com/acme/shop/.github/workflows/release.yml@refs/tags/v1.4.2")
            .WithEnvironment("SLIPWAY_COSIGN_DOUBLE_ISSUER", "https://token.actions.githubusercontent.com");
        Assert.Equal(0, (await RunAsync(sign)).ExitCode);

        async Task<int> VerifyAsync(string identity) =>
            (await RunAsync(CosignCli.Verify(Image, CosignVerification.WithIdentity(identity, "https://token.actions.githubusercontent.com"), V2))).ExitCode;

        // prod's policy (environments/prod.yml): any v* tag of release.yml. The exact glob text is no identity of its own.
        Assert.Equal(0, await VerifyAsync("https://github.com/acme/shop/.github/workflows/release.yml@refs/tags/v*"));
        Assert.Equal(CosignFailure.NoMatchingSignatureExitCode, await VerifyAsync("https://github.com/acme/shop/.github/workflows/ci.yml@refs/tags/v*"));
        Assert.Equal(CosignFailure.NoMatchingSignatureExitCode, await VerifyAsync("https://github.com/acme/shop/.github/workflows/release.yml@refs/tags/v2*"));
        // '.' is literal, and the pattern is anchored: another host or a longer SAN does not slip through.
        Assert.Equal(CosignFailure.NoMatchingSignatureExitCode, await VerifyAsync("https://github.com/acme/shop/.github/workflows/release*yml@refs/heads/*"));
        Assert.Equal(CosignFailure.NoMatchingSignatureExitCode, await VerifyAsync("https://github.com/acme/*/.github/workflows/release.yml@refs/tags/v1"));
        Assert.Equal(0, await VerifyAsync("https://github.com/acme/*/.github/workflows/release.yml@refs/tags/v1.4.2"));
    }

    [Fact]
    public async Task A_tag_is_accepted_with_cosign_s_warning_and_resolved_to_its_digest()
    {
        var tagged = ToolInvocation.Of("cosign")
            .WithArguments("sign", "--key", PrivateKey, "--tlog-upload=false", $"{_registry.Host}/slipway/api:1.0.0")
            .WithEnvironment("COSIGN_PASSWORD", _password);

        var signed = await RunAsync(tagged);
        var verified = await RunAsync(CosignCli.Verify(Image, CosignVerification.WithPublicKey(PublicKey, offline: true), V2));

        Assert.Equal(0, signed.ExitCode);
        Assert.Contains("uses a tag, not a digest", signed.StandardError, StringComparison.Ordinal);
        Assert.Equal(0, verified.ExitCode);
    }

    [Fact]
    public async Task Online_signing_needs_yes_because_cosign_asks_before_writing_to_the_log()
    {
        var withoutYes = ToolInvocation.Of("cosign").WithArguments("sign", "--key", PrivateKey, Image).WithEnvironment("COSIGN_PASSWORD", _password);

        var result = await RunAsync(withoutYes);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--yes", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_double_only_talks_to_local_registries()
    {
        var result = await RunAsync(CosignCli.Verify($"registry.example.com/slipway/api@{Pushed}", CosignVerification.WithPublicKey(PublicKey), V2));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("double only talks to local registries", result.StandardError, StringComparison.Ordinal);
    }

    /// <summary>The double's shell wrapper, built beside the tests (same configuration).</summary>
    private static string DoubleExecutable()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        var path = Path.Combine(TestPaths.RepositoryRoot, "tests", "Slipway.CosignDouble", "bin", configuration, "net10.0", "cosign");
        return File.Exists(path) ? path : throw new FileNotFoundException($"The cosign double is not built: {path}. Build the solution first.");
    }

    private string WriteFile(string name, string content)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, content);
        return path;
    }

    private async Task<ToolResult> RunAsync(ToolInvocation invocation, string doubleVersion = "v2.4.1")
    {
        var executable = DoubleExecutable();
        var resolver = new ToolResolver(name => name == "SLIPWAY_COSIGN" ? executable : Environment.GetEnvironmentVariable(name));
        // Every exit code is accepted: the exit codes are what these tests are about.
        var run = invocation
            .WithEnvironment("COSIGN_DOUBLE_STATE", Path.Combine(_directory, "state"))
            .WithEnvironment("COSIGN_DOUBLE_VERSION", doubleVersion)
            .AcceptingAnyExitCode();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return await new ProcessRunner(resolver).RunAsync(run, NullToolOutput.Instance, timeout.Token);
    }
}
