using Slipway.Environments;

namespace Slipway.Tests.Environments;

public class InterpolationTests
{
    private static ScratchEnvironments Scratch(string devYaml) =>
        new(("base", ScratchEnvironments.MinimalBase), ("dev", devYaml));

    [Fact]
    public void Variables_are_replaced_from_the_dictionary_passed_in()
    {
        using var scratch = Scratch("extends: base\nregistry:\n  address: ${REGISTRY_HOST}:${REGISTRY_PORT}\n");

        var dev = scratch.LoadValid("dev", new Dictionary<string, string> { ["REGISTRY_HOST"] = "registry.local", ["REGISTRY_PORT"] = "5001" });

        Assert.Equal("registry.local:5001", dev.Registry.Address);
    }

    [Fact]
    public void A_default_applies_when_the_variable_is_unset_or_empty()
    {
        using var scratch = Scratch("extends: base\nregistry:\n  address: ${REGISTRY_HOST:-127.0.0.1:5000}\n  repository_prefix: ${PREFIX:-team}\n");

        var dev = scratch.LoadValid("dev", new Dictionary<string, string> { ["PREFIX"] = "" });

        Assert.Equal("127.0.0.1:5000", dev.Registry.Address);
        Assert.Equal("team", dev.Registry.RepositoryPrefix);
    }

    [Fact]
    public void The_environment_name_is_always_available_and_double_dollar_escapes()
    {
        using var scratch = Scratch("extends: base\ndescription: deploys $${literal} to ${SLIPWAY_ENVIRONMENT}\n");

        Assert.Equal("deploys ${literal} to dev", scratch.LoadValid("dev").Description);
    }

    [Fact]
    public void A_missing_variable_is_an_error_at_its_own_position()
    {
        using var scratch = Scratch("extends: base\ndescription: \"deploy to ${TARGET_HOST} now\"\n");

        var error = Assert.Single(scratch.Load("dev").Errors);

        Assert.Equal(new ConfigurationError("environments/dev.yml", 2, 25, "description",
            "variable \"TARGET_HOST\" is not set; set it as a parameter or environment variable, or give a default with ${TARGET_HOST:-value}"), error);
    }

    [Fact]
    public void A_placeholder_that_a_child_overrides_needs_no_value()
    {
        using var scratch = new ScratchEnvironments(
            ("base", ScratchEnvironments.MinimalBase + "\ndescription: ${ONLY_IN_BASE}\n"),
            ("dev", "extends: base\ndescription: overridden\n"));

        Assert.Equal("overridden", scratch.LoadValid("dev").Description);
    }
}
