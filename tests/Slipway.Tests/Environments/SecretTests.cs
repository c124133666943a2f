using Slipway.Environments;
using Slipway.Processes;

namespace Slipway.Tests.Environments;

public class SecretTests
{
    private static SecretReference Reference(string text, string environment = "staging")
    {
        Assert.True(SecretReference.TryParse(text, environment, out var reference));
        return reference!;
    }

    [Fact]
    public void An_env_reference_resolves_to_a_secret_that_prints_masked()
    {
        var resolver = SecretResolver.Create(new Dictionary<string, string> { ["REGISTRY_PASSWORD"] = "s3cr3t-registry" }, "/");

        var secret = Reference("env:REGISTRY_PASSWORD").Resolve(resolver);

        Assert.Equal("s3cr3t-registry", secret.Reveal());
        Assert.Equal(Secret.Mask, secret.ToString());
        Assert.Equal("env:REGISTRY_PASSWORD", secret.Name);
        Assert.Equal("env:REGISTRY_PASSWORD", Reference("env:REGISTRY_PASSWORD").ToString());
    }

    [Fact]
    public void A_file_reference_reads_the_file_relative_to_the_base_directory_without_the_trailing_newline()
    {
        var directory = Directory.CreateTempSubdirectory("slipway-secret-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(directory, "tls.key"), "-----KEY-----\n");
            var resolver = SecretResolver.Create(new Dictionary<string, string>(), directory);

            Assert.Equal("-----KEY-----", Reference("file:tls.key").Resolve(resolver).Reveal());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void A_missing_env_secret_names_the_reference_the_environment_and_the_fix()
    {
        var resolver = SecretResolver.Create(new Dictionary<string, string>(), "/");

        var exception = Assert.Throws<MissingSecretException>(() => Reference("env:REGISTRY_PASSWORD").Resolve(resolver));

        Assert.StartsWith("secret env:REGISTRY_PASSWORD for environment 'staging' is not set: export REGISTRY_PASSWORD", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_secret_says_which_file_to_create()
    {
        var resolver = SecretResolver.Create(new Dictionary<string, string>(), "/nonexistent-root");

        var exception = Assert.Throws<MissingSecretException>(() => Reference("file:keys/cosign.key", "prod").Resolve(resolver));

        Assert.Equal("secret file:keys/cosign.key for environment 'prod' is not set: create /nonexistent-root/keys/cosign.key (it does not exist)", exception.Message);
    }

    [Fact]
    public void A_custom_provider_handles_its_scheme_and_the_loader_accepts_it()
    {
        var vault = new InMemoryVault();
        var resolver = SecretResolver.Create(new Dictionary<string, string>(), "/").WithProvider(vault);
        using var scratch = new ScratchEnvironments(
            ("base", ScratchEnvironments.MinimalBase),
            ("qa", "extends: base\nregistry:\n  password: vault:ci/registry\n"));

        var rejected = scratch.Load("qa");
        var accepted = scratch.Load("qa", schemes: resolver.Schemes);

        Assert.Contains("unknown secret scheme \"vault\"", Assert.Single(rejected.Errors).Message, StringComparison.Ordinal);
        Assert.True(accepted.Succeeded, string.Join("\n", accepted.Errors));
        var password = accepted.Environment!.Registry.Password!;
        Assert.Equal("qa", password.Environment);
        Assert.Equal("from-vault", password.Resolve(resolver).Reveal());
        var missing = Assert.Throws<MissingSecretException>(() => Reference("vault:ci/other", "prod").Resolve(resolver));
        Assert.Equal("secret vault:ci/other for environment 'prod' is not set: vault kv put ci/other value=...", missing.Message);
    }

    [Fact]
    public void Loading_never_reads_a_secret()
    {
        // The loader has no resolver at all; references load even when nothing is set.
        var staging = RealEnvironmentTests.Load("staging");

        Assert.Equal("env:REGISTRY_PASSWORD", staging.Registry.Password!.ToString());
        Assert.Equal("staging", staging.Registry.Password.Environment);
    }

    private sealed class InMemoryVault : ISecretProvider
    {
        public string Scheme => "vault";

        public string? TryRead(string path) => path == "ci/registry" ? "from-vault" : null;

        public string HowToProvide(string path) => $"vault kv put {path} value=...";
    }
}
