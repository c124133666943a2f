using Slipway.Environments;

namespace Slipway.Tests.Environments;

public class LayeringTests
{
    [Fact]
    public void Mappings_merge_deeply_so_a_child_changes_only_what_it_names()
    {
        using var scratch = new ScratchEnvironments(
            ("base", ScratchEnvironments.MinimalBase.Replace(
                "    dockerfile: samples/Api/Dockerfile\n",
                "    dockerfile: samples/Api/Dockerfile\n    env: { A: one, B: two }\n", StringComparison.Ordinal)),
            ("dev", """
                extends: base
                services:
                  api:
                    env: { B: changed, C: added }
                """));
        var dev = scratch.LoadValid("dev");

        var api = dev.Services["api"];
        Assert.Equal("api", api.Image);
        Assert.Equal(new Dictionary<string, string> { ["A"] = "one", ["B"] = "changed", ["C"] = "added" }, api.Env);
    }

    [Fact]
    public void Lists_replace_the_parents_list_whole()
    {
        using var scratch = new ScratchEnvironments(
            ("base", ScratchEnvironments.MinimalBase + "\nsecurity:\n  cors_origins: [https://a.example, https://b.example]\n"),
            ("dev", "extends: base\nsecurity:\n  cors_origins: [http://localhost:3000]\n"));

        Assert.Equal(["http://localhost:3000"], scratch.LoadValid("dev").Security.CorsOrigins);
        Assert.Equal(["https://a.example", "https://b.example"], scratch.LoadValid("base").Security.CorsOrigins);
    }

    [Fact]
    public void Null_removes_an_inherited_key_and_restores_the_default()
    {
        using var scratch = new ScratchEnvironments(
            ("base", ScratchEnvironments.MinimalBase + "\nrollout:\n  timeout: 30m\ncanary:\n  steps: [{ weight: 10, duration: 5m }]\nslo:\n  probes: [{ name: ready, path: /ready, p95_latency: 200ms }]\n"),
            ("dev", "extends: base\nrollout:\n  timeout: ~\ncanary: null\n"));
        var dev = scratch.LoadValid("dev");

        Assert.Null(dev.Canary);
        Assert.Equal(new RolloutSettings().Timeout, dev.Rollout.Timeout);
    }

    [Fact]
    public void Grandchildren_layer_in_order_and_origins_name_the_file_that_set_each_value()
    {
        using var scratch = new ScratchEnvironments(
            ("base", ScratchEnvironments.MinimalBase),
            ("shared", "extends: base\nrollout:\n  timeout: 20m\n  health_timeout: 3m\n"),
            ("qa", "extends: shared\nrollout:\n  timeout: 15m\n"));
        var qa = scratch.LoadValid("qa");

        Assert.Equal(["environments/base.yml", "environments/shared.yml", "environments/qa.yml"], qa.Layers);
        Assert.Equal(Duration.Parse("15m"), qa.Rollout.Timeout);
        Assert.Equal(Duration.Parse("3m"), qa.Rollout.HealthTimeout);
        Assert.True(qa.Origins.TryGet("rollout.timeout", out var timeout));
        Assert.Equal(new SourceLocation("environments/qa.yml", 3, 12), timeout);
        Assert.True(qa.Origins.TryGet("rollout.health_timeout", out var health));
        Assert.Equal("environments/shared.yml:4", health.ToString());
    }

    [Fact]
    public void Rollout_strategy_and_keep_previous_are_read_and_default_to_rolling_without_a_window()
    {
        using var scratch = new ScratchEnvironments(
            ("base", ScratchEnvironments.MinimalBase),
            ("plain", "extends: base\n"),
            ("qa", "extends: base\nrollout:\n  strategy: blue_green\n  keep_previous: 15m\n"));

        var qa = scratch.LoadValid("qa");
        var defaults = scratch.LoadValid("plain");

        Assert.Equal((RolloutStrategy.BlueGreen, Duration.Parse("15m")), (qa.Rollout.Strategy, qa.Rollout.KeepPrevious));
        Assert.Equal((RolloutStrategy.Rolling, (Duration?)null), (defaults.Rollout.Strategy, defaults.Rollout.KeepPrevious));
    }

    [Fact]
    public void Every_error_of_a_run_is_reported_not_just_the_first()
    {
        using var scratch = new ScratchEnvironments(
            ("base", ScratchEnvironments.MinimalBase),
            ("dev", """
                extends: base
                services:
                  api:
                    replicas: three
                    imagee: api
                rollout:
                  timeout: soon
                """));
        var result = scratch.Load("dev");

        Assert.False(result.Succeeded);
        Assert.Equal(
            [
                "environments/dev.yml:4:15: services.api.replicas: expected an integer ≥ 1, got \"three\"",
                "environments/dev.yml:5:5: services.api.imagee: unknown key \"imagee\"; did you mean \"image\"?",
                "environments/dev.yml:7:12: rollout.timeout: expected a duration like 30s, 5m or 1h30m, got \"soon\"",
            ],
            result.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void A_missing_environment_lists_the_ones_that_exist()
    {
        using var scratch = new ScratchEnvironments(("base", ScratchEnvironments.MinimalBase), ("dev", "extends: base\n"));

        var error = Assert.Single(scratch.Load("dve").Errors);

        Assert.Equal("environments/dve.yml: environment 'dve' does not exist; did you mean \"dev\"? (available: dev)", error.ToString());
    }
}

public class YamlFeatureTests
{
    [Fact]
    public void Anchors_and_aliases_reuse_a_value()
    {
        using var scratch = new ScratchEnvironments(
            ("base", ScratchEnvironments.MinimalBase),
            ("dev", "extends: base\nsecurity:\n  cors_origins: &origins [http://localhost:3000]\ningress:\n  host: localhost\n  backend: api\ndescription: *origins\n"));

        var error = Assert.Single(scratch.Load("dev").Errors);

        // The alias is the same list, so it is a list where text is expected, reported at the alias' anchor.
        Assert.Equal("environments/dev.yml:3:17: description: expected text, got a list", error.ToString());
    }

    [Fact]
    public void Merge_keys_are_refused_with_a_pointer_to_extends()
    {
        using var scratch = new ScratchEnvironments(
            ("base", ScratchEnvironments.MinimalBase),
            ("dev", "extends: base\nrollout:\n  <<: { timeout: 5m }\n"));

        var error = Assert.Single(scratch.Load("dev").Errors);

        Assert.Equal("environments/dev.yml:3:3: rollout.<<: YAML merge keys (<<) are not supported; share settings through extends instead", error.ToString());
    }
}
