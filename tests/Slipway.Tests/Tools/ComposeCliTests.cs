using Slipway.Processes;
using Slipway.Tools.Compose;
using Slipway.Tools.Docker;

namespace Slipway.Tests.Tools;

/// <summary>Golden argument tokens for the docker-compose wrapper.</summary>
public sealed class ComposeCliTests
{
    private static readonly ComposeProject Project = new ComposeProject("slipway-dev", ["compose/stack.yml"])
        .WithFile(".slipway/state/dev/compose.override.yml");

    private static string[] Tokens(ToolInvocation invocation) => [.. invocation.Arguments.Select(a => a.Reveal())];

    [Fact]
    public void Global_options_come_before_the_subcommand_files_in_layering_order()
    {
        Assert.Equal(
            ["--project-name", "slipway-dev", "--file", "compose/stack.yml", "--file", ".slipway/state/dev/compose.override.yml", "config", "--quiet"],
            Tokens(ComposeCli.Config(Project)));
    }

    [Fact]
    public void Up_for_a_side_by_side_replacement_keeps_existing_containers_and_scales()
    {
        var up = ComposeCli.Up(Project, ["api"], noDeps: true, noRecreate: true, scale: new Dictionary<string, int> { ["api"] = 4 });

        Assert.Equal(
            ["--project-name", "slipway-dev", "--file", "compose/stack.yml", "--file", ".slipway/state/dev/compose.override.yml",
             "up", "--detach", "--no-deps", "--no-recreate", "--scale", "api=4", "api"],
            Tokens(up));
    }

    [Fact]
    public void Run_puts_profiles_before_the_subcommand_and_removes_the_one_off_container()
    {
        Assert.Equal(
            ["--project-name", "slipway-dev", "--file", "compose/stack.yml", "--file", ".slipway/state/dev/compose.override.yml",
             "--profile", "migrate", "run", "--rm", "migrate"],
            Tokens(ComposeCli.Run(Project, "migrate", profiles: ["migrate"])));
    }

    [Fact]
    public void Down_removes_orphans_and_optionally_volumes_with_a_bounded_stop_timeout()
    {
        Assert.Equal(
            ["--project-name", "slipway-dev", "--file", "compose/stack.yml", "--file", ".slipway/state/dev/compose.override.yml",
             "--profile", "migrate", "--profile", "seed", "down", "--volumes", "--remove-orphans", "--timeout", "5"],
            Tokens(ComposeCli.Down(Project, volumes: true, profiles: ["migrate", "seed"], timeoutSeconds: 5)));
    }

    [Fact]
    public void Variables_and_the_host_travel_in_the_environment_and_secrets_stay_masked()
    {
        var project = new ComposeProject("p", ["stack.yml"], DockerEndpoint.ForHost("ssh://deploy@vm"))
            .WithVariable("API_IMAGE", "127.0.0.1:5000/slipway/api@sha256:00")
            .WithVariable("POSTGRES_PASSWORD", new Secret("pg-password-123"));

        var ps = ComposeCli.ContainerIds(project, "api");

        Assert.Equal(["--project-name", "p", "--file", "stack.yml", "ps", "--quiet", "api"], Tokens(ps));
        Assert.Equal("ssh://deploy@vm", ps.Environment["DOCKER_HOST"].Reveal());
        Assert.Equal("pg-password-123", ps.Environment["POSTGRES_PASSWORD"].Reveal());
        Assert.DoesNotContain("pg-password-123", ps.ToDisplayString(), StringComparison.Ordinal);
        Assert.DoesNotContain("pg-password-123", string.Join(' ', Tokens(ps)), StringComparison.Ordinal);
    }

    [Fact]
    public void A_context_is_a_global_option()
    {
        var project = new ComposeProject("p", ["stack.yml"], DockerEndpoint.ForContext("staging"));

        Assert.Equal(["--project-name", "p", "--file", "stack.yml", "--context", "staging", "logs", "--no-color", "--tail", "50", "api", "worker"],
            Tokens(ComposeCli.Logs(project, 50, "api", "worker")));
        Assert.False(ComposeCli.Logs(project, 50).Environment.ContainsKey("DOCKER_HOST"));
    }

    [Fact]
    public void The_project_label_uses_the_name_as_Compose_normalises_it()
    {
        Assert.Equal("com.docker.compose.project=slipway-e2e-1a2b3c4d", new ComposeProject("slipway-e2e-1a2b3c4d", ["stack.yml"]).Label);
        Assert.Equal("com.docker.compose.project=myapp_e2e", new ComposeProject("My.App_E2E", ["stack.yml"]).Label);
    }

    [Fact]
    public void Run_and_config_of_the_e2e_overlay_name_the_one_off_profiles()
    {
        var e2e = new ComposeProject("slipway-e2e-1a2b3c4d", ["compose/stack.yml", "compose/compose.test.yml"]);

        Assert.Equal(
            ["--project-name", "slipway-e2e-1a2b3c4d", "--file", "compose/stack.yml", "--file", "compose/compose.test.yml",
             "--profile", "migrate", "--profile", "seed", "config", "--quiet"],
            Tokens(ComposeCli.Config(e2e, "migrate", "seed")));
        Assert.Equal(
            ["--project-name", "slipway-e2e-1a2b3c4d", "--file", "compose/stack.yml", "--file", "compose/compose.test.yml",
             "--profile", "seed", "run", "--rm", "seed"],
            Tokens(ComposeCli.Run(e2e, "seed", profiles: ["seed"])));
        Assert.Equal(
            ["--project-name", "slipway-e2e-1a2b3c4d", "--file", "compose/stack.yml", "--file", "compose/compose.test.yml", "port", "proxy", "8080"],
            Tokens(ComposeCli.Port(e2e, "proxy", 8080)));
    }

    [Fact]
    public void A_project_needs_a_file()
    {
        Assert.Throws<ArgumentException>(() => new ComposeProject("p", []));
    }
}
