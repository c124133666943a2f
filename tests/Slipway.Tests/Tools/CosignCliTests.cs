using Slipway.Processes;
using Slipway.Tools.Cosign;

namespace Slipway.Tests.Tools;

/// <summary>Golden argument tokens for the cosign wrapper, for v2 and v3, key and keyless, online and offline.</summary>
public sealed class CosignCliTests
{
    private const string Digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private const string Image = "127.0.0.1:5000/slipway/api@" + Digest;
    private static readonly CosignVersion V2 = new(2, 4, 1);
    private static readonly CosignVersion V3 = new(3, 0, 2);

    private static string[] Tokens(ToolInvocation invocation) => [.. invocation.Arguments.Select(a => a.Reveal())];

    [Fact]
    public void Version_parses_the_GitVersion_line_under_the_banner()
    {
        const string output = """
              ______   ______        _______. __    _______ .__   __.
            cosign: A tool for Container Signing, Verification and Storage in an OCI registry.

            GitVersion:    v2.6.0
            GitCommit:     unknown
            GoVersion:     go1.25.1
            """;

        Assert.Equal(new CosignVersion(2, 6, 0), CosignVersion.Parse(output));
        Assert.Equal(new CosignVersion(3, 0, 2), CosignVersion.Parse("GitVersion:    v3.0.2-double\n"));
        Assert.Equal("v3.0.2", CosignVersion.Parse("GitVersion: v3.0.2").ToString());
        Assert.Equal(["version"], Tokens(CosignCli.Version()));
    }

    [Fact]
    public void An_unstamped_build_such_as_Debians_is_recognised_and_its_major_read_from_the_sign_flags()
    {
        // What Debian 13's cosign 2.5.0 prints: built without the release's version stamp.
        const string debian = "  ______   ______ \ncosign: A tool for Container Signing, Verification and Storage in an OCI registry.\n\nGitVersion:    devel\nGitCommit:     unknown\nGoVersion:     go1.24.4\n";
        // cosign's help template prints flags as --name=DEFAULT: (from cosign 2.5's and, for v3, with the signing config on).
        const string v2SignHelp = "    --tlog-upload=true:\n        whether or not to upload to the tlog\n";
        const string v3SignHelp = "    --tlog-upload=true:\n        whether or not to upload to the tlog\n    --use-signing-config=true:\n        whether to use a TUF-provided signing config\n";

        Assert.True(CosignVersion.IsUnstamped(debian));
        Assert.False(CosignVersion.IsUnstamped("GitVersion:    v2.5.0\n"));
        Assert.Throws<FormatException>(() => CosignVersion.Parse(debian));
        var v2 = CosignVersion.FromSignHelp(v2SignHelp);
        var v3 = CosignVersion.FromSignHelp(v3SignHelp);
        Assert.Equal((2, true, false), (v2.Major, v2.Unstamped, v2.UsesSigningConfigByDefault));
        Assert.Equal((3, true, true), (v3.Major, v3.Unstamped, v3.UsesSigningConfigByDefault));
        Assert.Equal(3, CosignVersion.FromSignHelp("      --use-signing-config   whether to use a signing config (default true)\n").Major);
        Assert.Equal(2, CosignVersion.FromSignHelp("      --use-signing-config   whether to use a signing config\n").Major);
        Assert.StartsWith("v2 (an unstamped build", v2.ToString(), StringComparison.Ordinal);
        Assert.Equal(["cosign", "sign", "--help"], [CosignCli.SignHelp().Tool, .. CosignCli.SignHelp().Arguments.Select(a => a.Reveal())]);

        // Doctor: not the Go version, which is the only number an unstamped build prints.
        Assert.StartsWith("devel (an unstamped build", CosignVersion.Describe(debian), StringComparison.Ordinal);
        Assert.Equal("v2.4.1", CosignVersion.Describe("GitVersion:    v2.4.1\nGoVersion:     go1.22.1\n"));
    }

    [Fact]
    public void Version_refuses_output_without_a_version_and_cosign_1()
    {
        Assert.Contains("GitVersion", Assert.Throws<FormatException>(() => CosignVersion.Parse("command not found")).Message, StringComparison.Ordinal);
        Assert.Contains("too old", Assert.Throws<FormatException>(() => CosignVersion.Parse("GitVersion:    1.3.0")).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1:5000/slipway/api:1.0.0")]
    [InlineData("127.0.0.1:5000/slipway/api")]
    [InlineData("127.0.0.1:5000/slipway/api@sha256:abc")]
    [InlineData("api@SHA256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("api@<digest of api>")]
    [InlineData("api@<digest of api from Publish")]
    public void Every_command_refuses_a_reference_that_is_not_by_digest_and_names_it(string reference)
    {
        var signing = CosignSigning.WithKey("cosign.key");
        var verification = CosignVerification.WithPublicKey("cosign.pub");
        Action[] calls =
        [
            () => CosignCli.Sign(reference, signing, V2),
            () => CosignCli.Attest(reference, "sbom.json", "cyclonedx", signing, V2),
            () => CosignCli.Verify(reference, verification, V2),
            () => CosignCli.VerifyAttestation(reference, "cyclonedx", verification, V2),
        ];
        foreach (var call in calls)
        {
            var error = Assert.Throws<ArgumentException>(call);
            Assert.Contains($"'{reference}'", error.Message, StringComparison.Ordinal);
            Assert.Contains("not by digest", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_dry_runs_named_placeholder_for_the_digest_is_printed_as_it_is()
    {
        const string reference = "127.0.0.1:5000/slipway/api@<digest of api from Publish>";

        Assert.Equal(reference, Tokens(CosignCli.Verify(reference, CosignVerification.WithPublicKey("k.pub"), V2))[^1]);
        Assert.Equal(reference, Tokens(CosignCli.Sign(reference, CosignSigning.WithKey("cosign.key"), V2))[^1]);
    }

    [Fact]
    public void A_tag_before_the_digest_is_kept() =>
        Assert.Equal("r/api:1.0.0@" + Digest, Tokens(CosignCli.Verify("r/api:1.0.0@" + Digest, CosignVerification.WithPublicKey("k.pub"), V2))[^1]);

    [Fact]
    public void Sign_with_a_key_online_is_the_same_on_v2_and_v3_and_passes_the_password_as_a_secret()
    {
        var signing = CosignSigning.WithKey("cosign.key", new Secret("key-password-s3cr3t", "test"));

        foreach (var version in new[] { V2, V3 })
        {
            var invocation = CosignCli.Sign(Image, signing, version);
            Assert.Equal(["sign", "--key", "cosign.key", "--yes", Image], Tokens(invocation));
            Assert.Equal("key-password-s3cr3t", invocation.Environment["COSIGN_PASSWORD"].Reveal());
            Assert.DoesNotContain("key-password-s3cr3t", invocation.ToDisplayString(), StringComparison.Ordinal);
            Assert.Contains("COSIGN_PASSWORD=***", invocation.ToDisplayString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Sign_offline_on_v2_skips_the_tlog_upload() =>
        Assert.Equal(
            ["sign", "--key", "env://COSIGN_PRIVATE_KEY", "--tlog-upload=false", "--yes", Image],
            Tokens(CosignCli.Sign(Image, CosignSigning.WithKey("env://COSIGN_PRIVATE_KEY", offline: true), V2)));

    [Fact]
    public void Sign_offline_on_v3_also_turns_the_signing_config_off_because_v3_refuses_tlog_upload_false_beside_it() =>
        Assert.Equal(
            ["sign", "--key", "cosign.key", "--use-signing-config=false", "--tlog-upload=false", "--yes", Image],
            Tokens(CosignCli.Sign(Image, CosignSigning.WithKey("cosign.key", offline: true), V3)));

    [Fact]
    public void A_key_without_a_password_gets_an_empty_one_so_cosign_never_prompts() =>
        Assert.Equal(string.Empty, CosignCli.Sign(Image, CosignSigning.WithKey("cosign.key"), V2).Environment["COSIGN_PASSWORD"].Reveal());

    [Theory]
    [InlineData("awskms:///alias/slipway")]
    [InlineData("gcpkms://projects/p/locations/global/keyRings/r/cryptoKeys/k/versions/1")]
    [InlineData("azurekms://vault.vault.azure.net/slipway")]
    [InlineData("hashivault://slipway")]
    public void A_kms_key_is_passed_as_is_and_needs_no_password(string kms)
    {
        var invocation = CosignCli.Sign(Image, CosignSigning.WithKey(kms), V3);

        Assert.Equal(["sign", "--key", kms, "--yes", Image], Tokens(invocation));
        Assert.Empty(invocation.Environment);
        Assert.Throws<ArgumentException>(() => CosignSigning.WithKey(kms, new Secret("kms-needs-no-password-4d1e", "test")));
    }

    [Fact]
    public void A_key_with_an_unknown_scheme_is_refused() =>
        Assert.Contains("scheme", Assert.Throws<ArgumentException>(() => CosignSigning.WithKey("vault://k")).Message, StringComparison.Ordinal);

    [Fact]
    public void Sign_keyless_says_yes_and_uses_the_ambient_identity_on_v2_and_v3()
    {
        foreach (var version in new[] { V2, V3 })
        {
            var invocation = CosignCli.Sign(Image, CosignSigning.Keyless(), version);
            Assert.Equal(["sign", "--yes", Image], Tokens(invocation));
            Assert.Empty(invocation.Environment);
        }
    }

    [Fact]
    public void Sign_keyless_with_an_explicit_token_passes_it_in_the_environment_not_on_the_command_line()
    {
        var invocation = CosignCli.Sign(Image, CosignSigning.Keyless(new Secret("eyJhbGciOi-oidc-token", "test")), V3);

        Assert.Equal(["sign", "--yes", Image], Tokens(invocation));
        Assert.Equal("eyJhbGciOi-oidc-token", invocation.Environment["SIGSTORE_ID_TOKEN"].Reveal());
        Assert.DoesNotContain("eyJhbGciOi-oidc-token", invocation.ToDisplayString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Keyless_is_never_offline() => Assert.False(CosignSigning.Keyless().Offline);

    [Fact]
    public void Attest_a_cyclonedx_sbom_with_a_key_online_v2_and_v3()
    {
        foreach (var version in new[] { V2, V3 })
        {
            Assert.Equal(
                ["attest", "--key", "cosign.key", "--type", "cyclonedx", "--predicate", "artifacts/api.cdx.json", "--yes", Image],
                Tokens(CosignCli.Attest(Image, "artifacts/api.cdx.json", CosignCli.CycloneDx, CosignSigning.WithKey("cosign.key"), version)));
        }
    }

    [Fact]
    public void Attest_offline_v2_and_v3()
    {
        var offline = CosignSigning.WithKey("cosign.key", offline: true);

        Assert.Equal(
            ["attest", "--key", "cosign.key", "--type", "cyclonedx", "--predicate", "sbom.json", "--tlog-upload=false", "--yes", Image],
            Tokens(CosignCli.Attest(Image, "sbom.json", "cyclonedx", offline, V2)));
        Assert.Equal(
            ["attest", "--key", "cosign.key", "--type", "cyclonedx", "--predicate", "sbom.json", "--use-signing-config=false", "--tlog-upload=false", "--yes", Image],
            Tokens(CosignCli.Attest(Image, "sbom.json", "cyclonedx", offline, V3)));
    }

    [Fact]
    public void Attest_keyless() =>
        Assert.Equal(
            ["attest", "--type", "cyclonedx", "--predicate", "sbom.json", "--yes", Image],
            Tokens(CosignCli.Attest(Image, "sbom.json", "cyclonedx", CosignSigning.Keyless(), V3)));

    [Fact]
    public void Attest_accepts_a_predicate_type_uri_and_refuses_an_unknown_short_type()
    {
        Assert.Contains("https://example.com/predicate/v1", Tokens(CosignCli.Attest(Image, "p.json", "https://example.com/predicate/v1", CosignSigning.Keyless(), V2)));
        Assert.Contains("cyclonedx", Assert.Throws<ArgumentException>(() => CosignCli.Attest(Image, "p.json", "sbom", CosignSigning.Keyless(), V2)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_with_a_key_online_and_offline_v2_and_v3()
    {
        foreach (var version in new[] { V2, V3 })
        {
            Assert.Equal(["verify", "--key", "cosign.pub", Image], Tokens(CosignCli.Verify(Image, CosignVerification.WithPublicKey("cosign.pub"), version)));
            Assert.Equal(
                ["verify", "--key", "cosign.pub", "--insecure-ignore-tlog=true", Image],
                Tokens(CosignCli.Verify(Image, CosignVerification.WithPublicKey("cosign.pub", offline: true), version)));
        }
    }

    [Fact]
    public void Verify_keyless_by_identity_and_issuer_v2_and_v3()
    {
        var policy = CosignVerification.WithIdentity(
            "https://github.com/acme/shop/.github/workflows/release.yml@refs/heads/main",
            "https://token.actions.githubusercontent.com");

        foreach (var version in new[] { V2, V3 })
        {
            Assert.Equal(
                [
                    "verify",
                    "--certificate-identity", "https://github.com/acme/shop/.github/workflows/release.yml@refs/heads/main",
                    "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com",
                    Image,
                ],
                Tokens(CosignCli.Verify(Image, policy, version)));
        }
    }

    [Fact]
    public void A_glob_identity_is_verified_as_an_anchored_regexp_with_every_other_character_literal()
    {
        var policy = CosignVerification.WithIdentity(
            "https://github.com/acme/shop-2/.github/workflows/release.yml@refs/tags/v*",
            "https://token.actions.githubusercontent.com");

        Assert.Equal(
            [
                "verify",
                "--certificate-identity-regexp", @"^https://github\.com/acme/shop-2/\.github/workflows/release\.yml@refs/tags/v[^/]*$",
                "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com",
                Image,
            ],
            Tokens(CosignCli.Verify(Image, policy, V3)));
        Assert.Contains(
            @"^https://github\.com/acme/.*/release\.yml@refs/tags/v[^/]*$",
            Tokens(CosignCli.VerifyAttestation(Image, "cyclonedx", CosignVerification.WithIdentity("https://github.com/acme/**/release.yml@refs/tags/v*", "https://issuer.example"), V2)));
    }

    [Fact]
    public void Verify_takes_a_kms_public_key() =>
        Assert.Equal(["verify", "--key", "awskms:///alias/slipway", Image], Tokens(CosignCli.Verify(Image, CosignVerification.WithPublicKey("awskms:///alias/slipway"), V3)));

    [Fact]
    public void An_identity_policy_needs_an_issuer_url() =>
        Assert.Throws<ArgumentException>(() => CosignVerification.WithIdentity("me@example.com", "github"));

    [Fact]
    public void Verify_attestation_key_offline_and_keyless_v2_and_v3()
    {
        foreach (var version in new[] { V2, V3 })
        {
            Assert.Equal(
                ["verify-attestation", "--type", "cyclonedx", "--key", "cosign.pub", "--insecure-ignore-tlog=true", Image],
                Tokens(CosignCli.VerifyAttestation(Image, "cyclonedx", CosignVerification.WithPublicKey("cosign.pub", offline: true), version)));
            Assert.Equal(
                ["verify-attestation", "--type", "cyclonedx", "--certificate-identity", "ci@acme.example", "--certificate-oidc-issuer", "https://issuer.example", Image],
                Tokens(CosignCli.VerifyAttestation(Image, "cyclonedx", CosignVerification.WithIdentity("ci@acme.example", "https://issuer.example"), version)));
        }
    }

    [Fact]
    public void Verification_passes_no_password() =>
        Assert.Empty(CosignCli.Verify(Image, CosignVerification.WithPublicKey("cosign.pub"), V2).Environment);

    [Fact]
    public void Generate_key_pair_runs_in_the_directory_with_the_password()
    {
        var invocation = CosignCli.GenerateKeyPair(new Secret("generate-pass-123", "test"), "/tmp/keys");

        Assert.Equal(["generate-key-pair"], Tokens(invocation));
        Assert.Equal("/tmp/keys", invocation.WorkingDirectory);
        Assert.Equal("generate-pass-123", invocation.Environment["COSIGN_PASSWORD"].Reveal());
    }
}
