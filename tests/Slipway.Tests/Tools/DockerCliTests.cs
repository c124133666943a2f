using Slipway.Processes;
using Slipway.Tools.Docker;

namespace Slipway.Tests.Tools;

/// <summary>Golden argument tokens for the docker wrapper.</summary>
public sealed class DockerCliTests
{
    private static string[] Tokens(ToolInvocation invocation) => [.. invocation.Arguments.Select(a => a.Reveal())];

    [Fact]
    public void Build_renders_tags_in_order_and_labels_and_build_args_sorted_by_key()
    {
        var settings = new DockerBuildSettings("samples/api", "samples/api/Dockerfile")
            .WithTag("127.0.0.1:5000/slipway/api:1.0.0")
            .WithTag("127.0.0.1:5000/slipway/api:latest")
            .WithLabel("org.opencontainers.image.version", "1.0.0")
            .WithLabel("org.opencontainers.image.revision", "abc1234")
            .WithBuildArgument("NUGET_SOURCE", "http://127.0.0.1:5555/v3/index.json")
            .WithBuildArgument("CONFIGURATION", "Release")
            with
        { Network = "host", Pull = false };

        var invocation = DockerCli.Build(settings);

        Assert.Equal(
            [
                "build", "--file", "samples/api/Dockerfile",
                "--tag", "127.0.0.1:5000/slipway/api:1.0.0", "--tag", "127.0.0.1:5000/slipway/api:latest",
                "--label", "org.opencontainers.image.revision=abc1234", "--label", "org.opencontainers.image.version=1.0.0",
                "--build-arg", "CONFIGURATION=Release", "--build-arg", "NUGET_SOURCE=http://127.0.0.1:5555/v3/index.json",
                "--network", "host", "--pull=false", "samples/api",
            ],
            Tokens(invocation));
        Assert.Equal("0", invocation.Environment["DOCKER_BUILDKIT"].Reveal());
    }

    [Fact]
    public void Minimal_build_adds_no_optional_flags()
    {
        var invocation = DockerCli.Build(new DockerBuildSettings(".", "Dockerfile"));

        Assert.Equal(["build", "--file", "Dockerfile", "."], Tokens(invocation));
    }

    [Fact]
    public void Build_can_force_pulling_base_images() =>
        Assert.Equal(["build", "--file", "Dockerfile", "--pull", "."], Tokens(DockerCli.Build(new DockerBuildSettings(".", "Dockerfile") { Pull = true })));

    [Fact]
    public void A_host_goes_before_the_subcommand() =>
        Assert.Equal(
            ["--host", "ssh://deploy@build-1", "push", "r/api:1"],
            Tokens(DockerCli.Push("r/api:1", DockerEndpoint.ForHost("ssh://deploy@build-1"))));

    [Fact]
    public void A_context_goes_before_the_subcommand() =>
        Assert.Equal(
            ["--context", "rootless", "build", "--file", "Dockerfile", "."],
            Tokens(DockerCli.Build(new DockerBuildSettings(".", "Dockerfile"), DockerEndpoint.ForContext("rootless"))));

    [Fact]
    public void The_default_endpoint_adds_nothing() =>
        Assert.Equal(["pull", "postgres:17"], Tokens(DockerCli.Pull("postgres:17", DockerEndpoint.Default)));

    [Fact]
    public void An_endpoint_with_both_host_and_context_is_refused_up_front()
    {
        var error = Assert.Throws<ArgumentException>(() => new DockerEndpoint("unix:///var/run/docker.sock", "default"));

        Assert.Contains("not both", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tag_pull_and_push()
    {
        Assert.Equal(["tag", "api:dev", "127.0.0.1:5000/slipway/api:1.0.0"], Tokens(DockerCli.Tag("api:dev", "127.0.0.1:5000/slipway/api:1.0.0")));
        Assert.Equal(["pull", "redis:7"], Tokens(DockerCli.Pull("redis:7")));
        Assert.Equal(["push", "127.0.0.1:5000/slipway/api:1.0.0"], Tokens(DockerCli.Push("127.0.0.1:5000/slipway/api:1.0.0")));
    }

    [Fact]
    public void Image_inspect_prints_json_and_accepts_exit_code_1_so_a_missing_image_can_be_detected()
    {
        var invocation = DockerCli.ImageInspect("api:dev");

        Assert.Equal(["image", "inspect", "--format", "{{json .}}", "api:dev"], Tokens(invocation));
        Assert.Equal([0, 1], invocation.SuccessExitCodes.ToArray());
    }

    [Fact]
    public void Image_remove_with_and_without_force()
    {
        Assert.Equal(["image", "rm", "api:dev"], Tokens(DockerCli.ImageRemove("api:dev")));
        Assert.Equal(["image", "rm", "--force", "api:dev"], Tokens(DockerCli.ImageRemove("api:dev", force: true)));
    }

    [Fact]
    public void Pause_and_unpause_take_every_container_at_once()
    {
        Assert.Equal(["container", "pause", "a1", "b2"], Tokens(DockerCli.Pause(["a1", "b2"])));
        Assert.Equal(["container", "unpause", "a1"], Tokens(DockerCli.Unpause(["a1"])));
    }

    [Fact]
    public void Info_and_version_print_json()
    {
        Assert.Equal(["info", "--format", "{{json .}}"], Tokens(DockerCli.Info()));
        Assert.Equal(["--context", "ci", "version", "--format", "{{json .}}"], Tokens(DockerCli.Version(DockerEndpoint.ForContext("ci"))));
    }

    [Fact]
    public void Run_renders_every_setting_in_a_fixed_order_and_publishes_on_loopback_only()
    {
        var settings = new DockerRunSettings("registry:2")
        {
            Name = "slipway-registry",
            Network = "slipway",
            RemoveOnExit = true,
            Command = ["serve", "/etc/docker/registry/config.yml"],
        }
            .WithPort(5000, 5000)
            .WithEnvironment("REGISTRY_STORAGE_DELETE_ENABLED", "true")
            .WithEnvironment("REGISTRY_HTTP_SECRET", new Secret("s3cr3t-http-value", "test"))
            .WithLabel("slipway.run", "42");

        var invocation = DockerCli.Run(settings);

        Assert.Equal(
            [
                "run", "--detach", "--name", "slipway-registry", "--network", "slipway", "--publish", "127.0.0.1:5000:5000",
                "--env", "REGISTRY_HTTP_SECRET=s3cr3t-http-value", "--env", "REGISTRY_STORAGE_DELETE_ENABLED=true",
                "--label", "slipway.run=42", "--rm", "registry:2", "serve", "/etc/docker/registry/config.yml",
            ],
            Tokens(invocation));
        Assert.Contains("REGISTRY_HTTP_SECRET=***", invocation.ToDisplayString(), StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t-http-value", invocation.ToDisplayString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Run_in_the_foreground_with_nothing_else() =>
        Assert.Equal(["run", "alpine:3"], Tokens(DockerCli.Run(new DockerRunSettings("alpine:3") { Detached = false })));

    [Fact]
    public void Listing_containers_includes_stopped_ones_filters_by_label_and_prints_tab_separated_fields()
    {
        var invocation = DockerCli.ListContainers("com.docker.compose.project=slipway-e2e-1a2b3c4d", DockerEndpoint.ForHost("unix:///run/e2e.sock"));

        Assert.Equal(
            [
                "--host", "unix:///run/e2e.sock", "container", "ls", "--all", "--no-trunc",
                "--filter", "label=com.docker.compose.project=slipway-e2e-1a2b3c4d",
                "--format", "{{.ID}}\t{{.Names}}\t{{.Label \"com.docker.compose.service\"}}\t{{.State}}\t{{.Status}}",
            ],
            Tokens(invocation));
    }

    [Fact]
    public void A_compose_projects_containers_are_listed_by_their_labels_without_one_off_runs()
    {
        Assert.Equal(
            [
                "--host", "unix:///run/dev.sock", "container", "ls", "--all", "--quiet", "--no-trunc",
                "--filter", "label=com.docker.compose.project=slipway-dev",
                "--filter", "label=com.docker.compose.service=api",
                "--filter", "label=com.docker.compose.oneoff=False",
            ],
            Tokens(DockerCli.ComposeContainerIds("slipway-dev", "api", DockerEndpoint.ForHost("unix:///run/dev.sock"))));
        Assert.Equal(
            ["container", "ls", "--all", "--quiet", "--no-trunc", "--filter", "label=com.docker.compose.project=slipway-dev", "--filter", "label=com.docker.compose.oneoff=False"],
            Tokens(DockerCli.ComposeContainerIds("slipway-dev")));
    }

    [Fact]
    public void Container_listing_parses_and_flags_containers_that_are_not_running_or_not_healthy()
    {
        var containers = ContainerStatus.ParseList(
            "c1\tp-api-1\tapi\trunning\tUp 12 seconds (healthy)\n" +
            "c2\tp-worker-1\tworker\trestarting\tRestarting (1) 2 seconds ago\n" +
            "c3\tp-proxy-1\tproxy\trunning\tUp 3 seconds (health: starting)\n" +
            "c4\tp-postgres-1\tpostgres\trunning\tUp 1 minute (unhealthy)\n" +
            "c5\tp-redis-1\tredis\trunning\tUp 1 minute\n" +
            "c6\tp-migrate-run-1a2b3c4d5e6f\tmigrate\texited\tExited (1) 5 seconds ago\n\n");

        Assert.Equal(["api", "worker", "proxy", "postgres", "redis", "migrate"], containers.Select(c => c.Service));
        Assert.Equal(["worker", "proxy", "postgres", "migrate"], containers.Where(c => c.NeedsAttention).Select(c => c.Service));
        Assert.Equal(new ContainerStatus("c1", "p-api-1", "api", "running", "Up 12 seconds (healthy)"), containers[0]);
        Assert.Empty(ContainerStatus.ParseList(string.Empty));
        Assert.Throws<FormatException>(() => ContainerStatus.ParseList("c1 p-api-1 api running Up"));
    }

    [Fact]
    public void Container_remove_inspect_and_logs()
    {
        Assert.Equal(["container", "rm", "--force", "db"], Tokens(DockerCli.Remove("db", force: true)));
        Assert.Equal(["container", "inspect", "--format", "{{json .}}", "db"], Tokens(DockerCli.Inspect("db")));
        Assert.Equal([0, 1], DockerCli.Inspect("db").SuccessExitCodes.ToArray());
        Assert.Equal(["logs", "--tail", "50", "db"], Tokens(DockerCli.Logs("db", 50)));
        Assert.Equal(["logs", "db"], Tokens(DockerCli.Logs("db")));
        var since = new DateTimeOffset(2026, 11, 22, 18, 0, 0, 250, TimeSpan.Zero);
        Assert.Equal(["logs", "--since", "1795370400.250", "--until", "1795370410.000", "proxy"], Tokens(DockerCli.Logs("proxy", since: since, until: since.AddSeconds(9.75))));
    }

    [Fact]
    public void Login_passes_the_password_as_a_secret_that_prints_masked()
    {
        var password = new Secret("hunter2-registry-password", "--registry-password");

        var invocation = DockerCli.Login("127.0.0.1:5000", "ci", password);

        Assert.Equal(["login", "--username", "ci", "--password", "hunter2-registry-password", "127.0.0.1:5000"], Tokens(invocation));
        Assert.Equal("docker login --username ci --password *** 127.0.0.1:5000", invocation.ToDisplayString());
        Assert.Equal([password], invocation.Secrets);
    }

    [Fact]
    public void Exec_runs_the_command_tokens_after_the_container()
    {
        var invocation = DockerCli.Exec("cmpx-1-postgres-1", ["pg_isready", "--username=slipway"]);

        Assert.Equal(["exec", "cmpx-1-postgres-1", "pg_isready", "--username=slipway"], Tokens(invocation));
        Assert.Empty(invocation.Environment);
    }

    [Fact]
    public void Exec_passes_a_secret_by_name_and_its_value_through_the_client_environment_only()
    {
        var password = new Secret("pg-exec-password-0xdead", "env:POSTGRES_PASSWORD");
        var environment = new Dictionary<string, InvocationValue> { ["PGPASSWORD"] = password, ["PGCONNECT_TIMEOUT"] = "5" };

        var invocation = DockerCli.Exec("db", ["psql", "--no-password"], DockerEndpoint.ForHost("ssh://deploy@db-1"), environment, user: "postgres");

        Assert.Equal(
            ["--host", "ssh://deploy@db-1", "exec", "--env", "PGCONNECT_TIMEOUT=5", "--env", "PGPASSWORD", "--user", "postgres", "db", "psql", "--no-password"],
            Tokens(invocation));
        Assert.Equal("pg-exec-password-0xdead", invocation.Environment["PGPASSWORD"].Reveal());
        Assert.Equal(["PGPASSWORD"], invocation.Environment.Keys);
        Assert.Equal([password], invocation.Secrets);
        Assert.Equal(
            "PGPASSWORD=*** docker --host ssh://deploy@db-1 exec --env PGCONNECT_TIMEOUT=5 --env PGPASSWORD --user postgres db psql --no-password",
            invocation.ToDisplayString());
    }

    [Fact]
    public void Exec_treats_a_value_that_contains_a_secret_as_a_secret()
    {
        var url = new CompositeValue(["postgresql://slipway:", new Secret("pg-composite-secret-77", "test"), "@db/orders"]);

        var invocation = DockerCli.Exec("db", ["psql"], environment: new Dictionary<string, InvocationValue> { ["DATABASE_URL"] = url });

        Assert.Equal(["exec", "--env", "DATABASE_URL", "db", "psql"], Tokens(invocation));
        Assert.DoesNotContain("pg-composite-secret-77", invocation.ToDisplayString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("DOCKER_HOST")]
    [InlineData("docker_config")]
    [InlineData("PATH")]
    [InlineData("HTTPS_PROXY")]
    public void Exec_refuses_a_secret_under_a_name_the_docker_client_reads_itself(string name)
    {
        var environment = new Dictionary<string, InvocationValue> { [name] = new Secret("client-variable-secret", "test") };

        var error = Assert.Throws<ArgumentException>(() => DockerCli.Exec("db", ["true"], environment: environment));

        Assert.Contains("Give the secret another name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Exec_refuses_no_command_and_bad_variable_names()
    {
        Assert.Throws<ArgumentException>(() => DockerCli.Exec("db", []));
        Assert.Throws<ArgumentException>(() => DockerCli.Exec("db", ["env"], environment: new Dictionary<string, InvocationValue> { ["A=B"] = "c" }));
    }

    [Fact]
    public void Copy_names_the_container_side_as_container_colon_path()
    {
        Assert.Equal(
            ["cp", "db:/tmp/prod-20260301T090000Z-1.0.0.dump", "/srv/backups/prod-20260301T090000Z-1.0.0.dump"],
            Tokens(DockerCli.CopyFromContainer("db", "/tmp/prod-20260301T090000Z-1.0.0.dump", "/srv/backups/prod-20260301T090000Z-1.0.0.dump")));
        Assert.Equal(
            ["--context", "prod", "cp", ".slipway/backups/a.dump", "db:/tmp/a.dump"],
            Tokens(DockerCli.CopyToContainer(".slipway/backups/a.dump", "db", "/tmp/a.dump", DockerEndpoint.ForContext("prod"))));
    }

    [Fact]
    public void Copy_keeps_a_relative_host_path_with_a_colon_or_a_dash_from_reading_as_a_container_or_an_option()
    {
        Assert.Equal(["cp", "db:/tmp/a", "./backups:old/a"], Tokens(DockerCli.CopyFromContainer("db", "/tmp/a", "backups:old/a")));
        Assert.Equal(["cp", "./-a.dump", "db:/tmp/a"], Tokens(DockerCli.CopyToContainer("-a.dump", "db", "/tmp/a")));
        Assert.Throws<ArgumentException>(() => DockerCli.CopyFromContainer("db:x", "/tmp/a", "a"));
    }

    [Fact]
    public void Container_ids_are_the_non_blank_lines()
    {
        Assert.Equal(["4f1c", "9ab2"], DockerContainerIds.Parse("4f1c\n\n9ab2\r\n"));
        Assert.Empty(DockerContainerIds.Parse(""));
    }
}
