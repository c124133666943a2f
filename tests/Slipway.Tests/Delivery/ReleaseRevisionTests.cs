using Slipway.Delivery;
using Slipway.Delivery.Compose;
using Slipway.Environments;
using Slipway.Tests.Environments;

namespace Slipway.Tests.Delivery;

/// <summary>
/// The revision identity: images plus the rendered configuration plus each secret's value hash. Rendered through the
/// real Compose override, as a deploy renders it.
/// </summary>
public sealed class ReleaseRevisionTests : IDisposable
{
    private const string Qa = """
        extends: base
        services:
          api:
            env:
              ORDERS_PAGE_SIZE: "20"
            secrets:
              Stripe__ApiKey: env:STRIPE_KEY
        """;

    private static readonly Dictionary<string, string> Images = new(StringComparer.Ordinal)
    {
        ["api"] = "127.0.0.1:5000/slipway/api@sha256:1000000000000000000000000000000000000000000000000000000000000000",
    };

    private readonly ScratchEnvironments _scratch = new(("base", ScratchEnvironments.MinimalBase), ("qa", Qa));

    public void Dispose() => _scratch.Dispose();

    private ReleaseRevision RevisionOf(DeployEnvironment environment, string stripeKey = "sk_live_one", IReadOnlyDictionary<string, string>? images = null, string version = "1.2.0")
    {
        var rendered = ComposeOverride.Render(environment, version, SecretResolver.Create(new Dictionary<string, string> { ["STRIPE_KEY"] = stripeKey }, _scratch.Root));
        return ReleaseRevision.Of(images ?? Images, rendered.Yaml, rendered.SecretVariables);
    }

    private DeployEnvironment WithVariable(string key, string value)
    {
        var environment = _scratch.LoadValid("qa");
        var api = environment.Services["api"];
        var env = api.Env.ToDictionary(StringComparer.Ordinal);
        env[key] = value;
        var services = environment.Services.ToDictionary(StringComparer.Ordinal);
        services["api"] = api with { Env = env };
        return environment with { Services = services };
    }

    [Fact]
    public void The_same_images_configuration_and_secrets_are_the_same_revision()
    {
        var first = RevisionOf(_scratch.LoadValid("qa"));
        var again = RevisionOf(_scratch.LoadValid("qa"));

        Assert.Equal(first, again);
        Assert.True(ReleaseRevision.IsId(first.Id), first.Id);
        Assert.Equal(64, first.ConfigurationHash.Length);
    }

    [Fact]
    public void A_changed_variable_is_a_new_revision_of_the_same_version_and_images()
    {
        var before = RevisionOf(_scratch.LoadValid("qa"));
        var after = RevisionOf(WithVariable("ORDERS_PAGE_SIZE", "0"));

        Assert.NotEqual(before.Id, after.Id);
        Assert.NotEqual(before.ConfigurationHash, after.ConfigurationHash);
    }

    [Fact]
    public void A_rotated_secret_is_a_new_revision_although_the_rendered_file_is_the_same_and_its_value_is_nowhere_in_it()
    {
        var environment = _scratch.LoadValid("qa");
        var before = RevisionOf(environment, stripeKey: "sk_live_one");
        var after = RevisionOf(environment, stripeKey: "sk_live_two");

        Assert.NotEqual(before.Id, after.Id);
        Assert.NotEqual(before.ConfigurationHash, after.ConfigurationHash);
        Assert.DoesNotContain("sk_live", before.Id + before.ConfigurationHash + after.Id + after.ConfigurationHash, StringComparison.Ordinal);
    }

    [Fact]
    public void A_new_image_with_the_same_configuration_is_a_new_revision_with_the_same_configuration_hash()
    {
        var environment = _scratch.LoadValid("qa");
        var rebuilt = new Dictionary<string, string>(Images) { ["api"] = Images["api"].Replace("sha256:1", "sha256:2", StringComparison.Ordinal) };

        var before = RevisionOf(environment);
        var after = RevisionOf(environment, images: rebuilt);

        Assert.NotEqual(before.Id, after.Id);
        Assert.Equal(before.ConfigurationHash, after.ConfigurationHash);
    }

    [Fact]
    public void Fields_cannot_run_into_each_other()
    {
        var secret = new Dictionary<string, Slipway.Processes.Secret> { ["A"] = new("x", "a") };

        // The same characters split differently between a name and a value, or between the file and a secret.
        Assert.NotEqual(
            ReleaseRevision.Of(new Dictionary<string, string> { ["ab"] = "c" }, "f", []).Id,
            ReleaseRevision.Of(new Dictionary<string, string> { ["a"] = "bc" }, "f", []).Id);
        Assert.NotEqual(ReleaseRevision.Of(Images, "f", secret).Id, ReleaseRevision.Of(Images, "f\n", secret).Id);
    }

    [Theory]
    [InlineData("0123456789ab", true)]
    [InlineData("0123456789AB", false)]
    [InlineData("0123456789a", false)]
    [InlineData("../../etc/pw", false)]
    [InlineData(null, false)]
    public void A_revision_id_is_twelve_lowercase_hex_digits(string? value, bool valid) =>
        Assert.Equal(valid, ReleaseRevision.IsId(value));
}
