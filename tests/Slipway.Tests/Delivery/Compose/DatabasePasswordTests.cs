using Slipway.Delivery;
using Slipway.Delivery.Compose;
using Slipway.Environments;
using Slipway.Testing;
using Slipway.Tests.Environments;

namespace Slipway.Tests.Delivery.Compose;

/// <summary>
/// The database password Slipway generates for an environment that names none (<c>data.postgres.password</c>): kept in the
/// state directory, and with the environment when its ledger is there, so a fresh runner opens the database the first
/// one created; where it cannot be known, the deploy stops before anything with what to do.
/// </summary>
public sealed class DatabasePasswordTests
{
    private const string Matrix = """
        trigger:
          on: pull_request
        delivery:
          driver: compose
          STATE
          compose:
            project: shop-dev
            files: [deploy/compose.yml]
        registry:
          address: 127.0.0.1:5000
        services:
          web:
            image: shop-web
            dockerfile: src/Web/Dockerfile
            ports: [{ name: http, port: 8081 }]
        ingress:
          host: localhost
          http_port: 8280
          backend: web
        data:
          postgres:
            database: shop
        state_directory: .slipway/state/dev
        """;

    private const string PostgresListed = "0123abc\tshop-dev-postgres-1\tpostgres\trunning\tUp 2 hours (healthy)\n";

    private static (ScratchEnvironments Scratch, ComposeDeployDriver Driver, string PasswordFile) Driver(ScriptedToolSession session, bool withEnvironment)
    {
        var scratch = new ScratchEnvironments(("dev", Matrix.Replace("STATE", withEnvironment ? "state: environment" : "state: local", StringComparison.Ordinal)));
        var environment = scratch.Delivery("dev") with { StateSession = session };
        return (scratch, new ComposeDeployDriver(environment, session, session, TimeProvider.System), Path.Combine(scratch.Root, ".slipway", "state", "dev", "postgres-password"));
    }

    private static string PasswordOf(ComposeDeployment deployment) => deployment.Project.Variables["POSTGRES_PASSWORD"].Reveal();

    [Fact]
    public async Task A_database_that_runs_without_its_password_here_stops_the_deploy_before_anything_and_says_how_to_go_on()
    {
        var session = new ScriptedToolSession().On("container ls", 0, PostgresListed);
        var (scratch, driver, file) = Driver(session, withEnvironment: false);
        using (scratch)
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(driver.DeploymentAsync);

            Assert.Contains("dev's database already runs on unix:///var/run/docker.sock (shop-dev-postgres-1 of the Compose project shop-dev)", error.Message, StringComparison.Ordinal);
            Assert.Contains("data.postgres.password in environments/dev.yml", error.Message, StringComparison.Ordinal);
            Assert.Contains("docker compose -p shop-dev down --volumes", error.Message, StringComparison.Ordinal);
            Assert.False(File.Exists(file), "a password that cannot open the database was written");
            Assert.Empty(session.Runs);
        }
    }

    [Fact]
    public async Task The_first_deploy_generates_a_password_readable_by_its_owner_only_and_the_next_reads_it()
    {
        var session = new ScriptedToolSession().On("container ls", 0, string.Empty);
        var (scratch, driver, file) = Driver(session, withEnvironment: false);
        using (scratch)
        {
            var password = PasswordOf(await driver.DeploymentAsync());

            Assert.Matches("^[0-9a-f]{48}$", password);
            Assert.Equal(password, await File.ReadAllTextAsync(file));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            }
        }
    }

    [Fact]
    public async Task A_fresh_runner_takes_the_password_kept_with_the_environment()
    {
        var session = new ScriptedToolSession()
            .On("volume inspect", 0, "{}")
            .On("--entrypoint cat .* /state/secrets/postgres-password", 0, "kept-by-the-first-runner\n")
            .On("container ls", 0, PostgresListed);
        var (scratch, driver, file) = Driver(session, withEnvironment: true);
        using (scratch)
        {
            Assert.Equal("kept-by-the-first-runner", PasswordOf(await driver.DeploymentAsync()));
            Assert.Equal("kept-by-the-first-runner", await File.ReadAllTextAsync(file));
            Assert.DoesNotContain(session.Invocations, i => i.ToDisplayString().Contains("--entrypoint tee", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_generated_password_is_kept_with_the_environment_in_an_owner_only_directory_and_never_shown()
    {
        var session = new ScriptedToolSession()
            .On("volume inspect", 0, "{}")
            .On("--entrypoint cat", 1, stderr: "cat: can't open '/state/secrets/postgres-password': No such file or directory")
            .On("container ls", 0, string.Empty);
        var (scratch, driver, _) = Driver(session, withEnvironment: true);
        using (scratch)
        {
            var password = PasswordOf(await driver.DeploymentAsync());

            var commands = session.Runs.Select(r => r.ToDisplayString()).ToList();
            Assert.Contains(commands, c => c.Contains("--entrypoint mkdir", StringComparison.Ordinal) && c.EndsWith("-p -m 700 /state/secrets", StringComparison.Ordinal));
            var tee = Assert.Single(commands, c => c.Contains("--entrypoint tee", StringComparison.Ordinal) && c.Contains(" /state/secrets/postgres-password <<< ", StringComparison.Ordinal));
            Assert.DoesNotContain(password, tee, StringComparison.Ordinal);
            Assert.EndsWith("<<< ***", tee, StringComparison.Ordinal);
            Assert.Equal(password, session.Runs.Single(r => r.ToDisplayString().Contains("--entrypoint tee", StringComparison.Ordinal)).StandardInput!.Reveal());
        }
    }
}
