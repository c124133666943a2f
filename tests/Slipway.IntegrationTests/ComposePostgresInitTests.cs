using Slipway.IntegrationTests.Support;
using Slipway.Tests.Support;

namespace Slipway.IntegrationTests;

/// <summary>
/// The sample stack's Postgres survives an orphan dying of a signal in its container. Without an init, such an orphan (a
/// health check Docker killed on its timeout leaves its child behind; a <c>docker exec</c> whose client went away) is
/// reparented to the postmaster, which takes it for a crashed backend: "server process (PID n) was terminated by signal
/// 13: Broken pipe", every connection reset, crash recovery. Under CPU load that broke the delivery stories mid-rollout
/// (bench/RESULTS.md, h17l). On the real engine with the stack's own postgres service; about 15 s.
/// </summary>
public sealed class ComposePostgresInitTests
{
    private static readonly string Stack = Path.Combine(TestPaths.RepositoryRoot, "compose", "stack.yml");
    private readonly string _project = "itest-" + Guid.NewGuid().ToString("N")[..8] + "-pginit";

    [Fact]
    public async Task An_orphan_that_dies_of_SIGPIPE_in_the_postgres_container_does_not_reset_the_database()
    {
        RealTools.RequireComposeV2Plugin();
        try
        {
            Compose("up", "--detach", "--wait", "--wait-timeout", "120", "postgres");

            // A child that outlives its docker exec (the exec's bash returns at once) and then dies of SIGPIPE.
            Compose("exec", "-T", "postgres", "bash", "-c", "bash -c 'sleep 1; kill -s PIPE $$' >/dev/null 2>&1 & exit 0");
            await Task.Delay(TimeSpan.FromSeconds(4));

            var log = Compose("logs", "postgres");
            Assert.DoesNotContain("terminated by signal", log, StringComparison.Ordinal);
            Assert.DoesNotContain("reinitializing", log, StringComparison.Ordinal);
            Assert.NotEqual("postgres", Compose("exec", "-T", "postgres", "cat", "/proc/1/comm"));
            Assert.Equal("1", Compose("exec", "-T", "postgres", "psql", "--username=slipway", "--dbname=orders", "--tuples-only", "--no-align", "--command=SELECT 1"));
        }
        finally
        {
            HostProcess.Capture("docker", ["compose", "--project-name", _project, "--file", Stack, "down", "--volumes", "--timeout", "5"], environment: Environment());
        }
    }

    private string Compose(params string[] args) =>
        HostProcess.Run("docker", ["compose", "--project-name", _project, "--file", Stack, .. args], null, Environment());

    private static (string Name, string Value)[] Environment() =>
        [("DOCKER_HOST", DockerWorkspace.DefaultDockerHost), ("API_IMAGE", "unused"), ("WORKER_IMAGE", "unused"), ("POSTGRES_PASSWORD", "itest-pginit"), ("PROXY_CONFIG", "/dev/null")];
}
