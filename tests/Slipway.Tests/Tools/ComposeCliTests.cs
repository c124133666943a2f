using Slipway.Processes;
using Slipway.Tools.Compose;
using Slipway.Tools.Docker;

namespace Slipway.Tests.Tools;

/// <summary>
/// Golden argument tokens for the Compose wrapper, in each form it supports: the docker compose plugin (the default,
/// Compose v2), the v2 standalone binary, and Compose v1 (end of life); and how the Compose in use is found.
/// </summary>
public sealed class ComposeCliTests
{
    private static readonly ComposeProject Project = new ComposeProject("slipway-dev", ["compose/stack.yml"])
        .WithFile(".slipway/state/dev/compose.override.yml");

    private static string[] Tokens(ToolInvocation invocation) => [.. invocation.Arguments.Select(a => a.Reveal())];

    [Fact]
    public void Global_options_come_before_the_subcommand_files_in_layering_order()
    {
        Assert.Equal(
            ["compose", "--project-name", "slipway-dev", "--file", "compose/stack.yml", "--file", ".slipway/state/dev/compose.override.yml", "config", "--quiet"],
            Tokens(ComposeCli.Config(Project)));
    }

    [Fact]
    public void The_resolved_configuration_is_printed_as_json_by_v2_and_only_validated_by_v1_which_cannot_print_it()
    {
        Assert.Equal(
            ["compose", "--project-name", "slipway-dev", "--file", "compose/stack.yml", "--file", ".slipway/state/dev/compose.override.yml", "--profile", "migrate", "config", "--format", "json"],
            Tokens(ComposeCli.ResolvedConfig(Project, "migrate")));
        var v1 = new ComposeProject("p", ["stack.yml"]).WithDriver(ComposeDriver.Standalone(version: "1.29.2"));
        Assert.Equal(["--project-name", "p", "--file", "stack.yml", "config", "--quiet"], Tokens(ComposeCli.ResolvedConfig(v1)));
    }

    [Fact]
    public void Up_for_a_side_by_side_replacement_keeps_existing_containers_and_scales()
    {
        var up = ComposeCli.Up(Project, ["api"], noDeps: true, noRecreate: true, scale: new Dictionary<string, int> { ["api"] = 4 });

        Assert.Equal(
            ["compose", "--project-name", "slipway-dev", "--file", "compose/stack.yml", "--file", ".slipway/state/dev/compose.override.yml",
             "up", "--detach", "--no-deps", "--no-recreate", "--scale", "api=4", "api"],
            Tokens(up));
    }

    [Fact]
    public void Run_puts_profiles_before_the_subcommand_and_removes_the_one_off_container()
    {
        Assert.Equal(
            ["compose", "--project-name", "slipway-dev", "--file", "compose/stack.yml", "--file", ".slipway/state/dev/compose.override.yml",
             "--profile", "migrate", "run", "--rm", "migrate"],
            Tokens(ComposeCli.Run(Project, "migrate", profiles: ["migrate"])));
    }

    [Fact]
    public void Down_removes_orphans_and_optionally_volumes_with_a_bounded_stop_timeout()
    {
        Assert.Equal(
            ["compose", "--project-name", "slipway-dev", "--file", "compose/stack.yml", "--file", ".slipway/state/dev/compose.override.yml",
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

        Assert.Equal(["compose", "--project-name", "p", "--file", "stack.yml", "ps", "--all", "--quiet", "api"], Tokens(ps));
        Assert.Equal("ssh://deploy@vm", ps.Environment["DOCKER_HOST"].Reveal());
        Assert.Equal("pg-password-123", ps.Environment["POSTGRES_PASSWORD"].Reveal());
        Assert.DoesNotContain("pg-password-123", ps.ToDisplayString(), StringComparison.Ordinal);
        Assert.DoesNotContain("pg-password-123", string.Join(' ', Tokens(ps)), StringComparison.Ordinal);
    }

    [Fact]
    public void A_context_is_the_Docker_CLIs_option_before_compose_for_the_plugin()
    {
        var project = new ComposeProject("p", ["stack.yml"], DockerEndpoint.ForContext("staging"));

        Assert.Equal(["--context", "staging", "compose", "--project-name", "p", "--file", "stack.yml", "logs", "--no-color", "--tail", "50", "api", "worker"],
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
            ["compose", "--project-name", "slipway-e2e-1a2b3c4d", "--file", "compose/stack.yml", "--file", "compose/compose.test.yml",
             "--profile", "migrate", "--profile", "seed", "config", "--quiet"],
            Tokens(ComposeCli.Config(e2e, "migrate", "seed")));
        Assert.Equal(
            ["compose", "--project-name", "slipway-e2e-1a2b3c4d", "--file", "compose/stack.yml", "--file", "compose/compose.test.yml",
             "--profile", "seed", "run", "--rm", "seed"],
            Tokens(ComposeCli.Run(e2e, "seed", profiles: ["seed"])));
        Assert.Equal(
            ["compose", "--project-name", "slipway-e2e-1a2b3c4d", "--file", "compose/stack.yml", "--file", "compose/compose.test.yml", "port", "proxy", "8080"],
            Tokens(ComposeCli.Port(e2e, "proxy", 8080)));
    }

    [Fact]
    public void The_plugin_is_the_default_form_and_runs_through_the_Docker_CLI()
    {
        var up = ComposeCli.Up(Project);

        Assert.Equal(ComposeForm.Plugin, Project.Driver.Form);
        Assert.Equal("docker", up.Tool);
        Assert.StartsWith("docker compose --project-name slipway-dev --file compose/stack.yml", up.ToDisplayString(includeEnvironment: false), StringComparison.Ordinal);
    }

    [Fact]
    public void The_v2_standalone_binary_takes_the_same_tokens_without_compose_and_its_own_context_option()
    {
        var project = new ComposeProject("p", ["stack.yml"], DockerEndpoint.ForContext("staging"))
            .WithDriver(ComposeDriver.Standalone("/opt/compose/docker-compose", "2.26.1-4"));

        var ps = ComposeCli.ContainerIds(project, "api");
        var up = ComposeCli.Up(project, ["api"], noDeps: true, noRecreate: true, scale: new Dictionary<string, int> { ["api"] = 2 });

        Assert.Equal("/opt/compose/docker-compose", ps.Tool);
        Assert.Equal(["--project-name", "p", "--file", "stack.yml", "--context", "staging", "ps", "--all", "--quiet", "api"], Tokens(ps));
        Assert.Equal(["--project-name", "p", "--file", "stack.yml", "--context", "staging", "up", "--detach", "--no-deps", "--no-recreate", "--scale", "api=2", "api"], Tokens(up));
    }

    [Fact]
    public void Compose_v1_lists_stopped_containers_without_all_which_would_add_one_off_run_containers()
    {
        var v1 = new ComposeProject("p", ["stack.yml"]).WithDriver(ComposeDriver.Standalone(version: "1.29.2"));

        Assert.Equal("docker-compose", ComposeCli.ContainerIds(v1, "api").Tool);
        Assert.Equal(["--project-name", "p", "--file", "stack.yml", "ps", "--quiet", "api"], Tokens(ComposeCli.ContainerIds(v1, "api")));
        Assert.True(v1.Driver.IsV1);
        Assert.Contains("v1 is end of life", v1.Driver.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Detection_prefers_the_plugin_and_records_its_version()
    {
        var asked = new List<string>();

        var driver = await ComposeDriver.DetectAsync(null, Answering(asked, ("docker compose version --short", 0, "2.26.1-4\n")));

        Assert.Equal(ComposeForm.Plugin, driver.Form);
        Assert.Equal("2.26.1-4", driver.Version);
        Assert.Equal("docker compose (Compose 2.26.1-4, Docker CLI plugin)", driver.ToString());
        Assert.Equal(["docker compose version --short"], asked);
    }

    [Fact]
    public async Task Without_the_plugin_detection_takes_docker_compose_from_PATH_v2_or_v1()
    {
        var v2 = await ComposeDriver.DetectAsync(null, Answering([], ("docker compose version --short", 1, "docker: 'compose' is not a docker command."), ("docker-compose version --short", 0, "v2.27.0\n")));
        var v1 = await ComposeDriver.DetectAsync(null, Answering([], ("docker-compose version --short", 0, "1.29.2\n")));

        Assert.Equal((ComposeForm.Standalone, "2.27.0", 2), (v2.Form, v2.Version, v2.Major));
        Assert.Equal((ComposeForm.Standalone, "1.29.2", true), (v1.Form, v1.Version, v1.IsV1));
    }

    [Fact]
    public async Task An_explicit_choice_is_used_or_refused_and_no_Compose_at_all_says_what_to_install()
    {
        var standalone = await ComposeDriver.DetectAsync("/opt/docker-compose", Answering([], ("/opt/docker-compose version --short", 0, "2.26.1-4")));
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => ComposeDriver.DetectAsync("plugin", Answering([], ("docker-compose version --short", 0, "1.29.2"))));
        var none = await Assert.ThrowsAsync<InvalidOperationException>(() => ComposeDriver.DetectAsync(null, Answering([])));

        Assert.Equal(("/opt/docker-compose", ComposeForm.Standalone), (standalone.Executable, standalone.Form));
        Assert.Contains("SLIPWAY_COMPOSE=plugin but 'docker compose version --short' does not answer", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Compose not found", none.Message, StringComparison.Ordinal);
        Assert.Contains("docker compose plugin", none.Message, StringComparison.Ordinal);
    }

    /// <summary>A query that answers the given command lines and finds no other tool.</summary>
    private static Func<ToolInvocation, Task<ToolResult>> Answering(List<string> asked, params (string Line, int ExitCode, string Stdout)[] answers) => invocation =>
    {
        var line = invocation.ToDisplayString(includeEnvironment: false);
        asked.Add(line);
        var answer = answers.FirstOrDefault(a => a.Line == line);
        return answer.Line is null
            ? throw new ToolNotFoundException(invocation.Tool, ToolResolver.OverrideVariable(invocation.Tool))
            : Task.FromResult(new ToolResult(answer.ExitCode, answer.Stdout, string.Empty, TimeSpan.Zero));
    };

    [Fact]
    public void Logs_are_read_without_the_erase_line_sequence_Compose_v2_puts_before_every_line()
    {
        // What docker compose 2.26.1 logs --no-color printed here, byte for byte (ESC [2K before each line).
        const string v2 = "\u001b[2Kapi-1  | info: Microsoft.Hosting.Lifetime[14]\n\u001b[2Kworker-1  | started\n";

        Assert.Equal("api-1  | info: Microsoft.Hosting.Lifetime[14]\nworker-1  | started\n", ComposeCli.PlainLogs(v2));
        Assert.Equal("p_api_1  | plain v1 line\n", ComposeCli.PlainLogs("p_api_1  | plain v1 line\n"));
    }

    [Fact]
    public void A_project_needs_a_file()
    {
        Assert.Throws<ArgumentException>(() => new ComposeProject("p", []));
    }
}
