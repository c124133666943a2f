using System.Text.RegularExpressions;
using Slipway.Delivery;
using Slipway.IntegrationTests.Support;
using Slipway.Tests.Support;
using Xunit.Abstractions;

namespace Slipway.IntegrationTests;

/// <summary>
/// The ledger and the lock kept with the environment (<c>delivery.state: environment</c>) on the real engine: two runners
/// (each with a state directory of its own, as two CI machines have) deploy one environment through the same Docker host.
/// The second sees the first's History; a lock held by one blocks the other, naming the holder; a SIGKILLed deploy leaves
/// a lease that the other takes over once it runs out, naming the killed owner; both deploys are recorded; a ledger one
/// runner kept locally before is moved to the host on its first contact; a third runner rolls back to the first one's
/// revision with the configuration kept on the host.
/// </summary>
[Collection(SharedDockerWorkspace.Name)]
public sealed class EnvironmentStateTests(DockerWorkspace workspace, ITestOutputHelper output) : IAsyncLifetime
{
    private const string Head = "0123456789abcdef0123456789abcdef01234567";
    private readonly int _port = StackProbe.FreePort();

    private string Project => $"{workspace.Prefix}-shared";

    private static Dictionary<string, string> Runner(string name) => new(StringComparer.Ordinal) { ["ITEST_RUNNER"] = name };

    private string StateOf(string runner) => Path.Combine(workspace.Root, ".slipway", "state", runner);

    public Task InitializeAsync()
    {
        // One database password for every runner: on a shared host it must not be generated per machine.
        Directory.CreateDirectory(Path.Combine(workspace.Root, "secrets"));
        File.WriteAllText(Path.Combine(workspace.Root, "secrets", "itest-shared-postgres"), "itest-shared-" + Guid.NewGuid().ToString("N"));
        var environment = StackEnvironment.Render(
                "the ledger and lock kept on the Docker host, shared by two runners (ITEST_RUNNER picks each one's state directory)",
                """
                trigger:
                  on: branch
                  pattern: main
                """,
                Project, workspace.Prefix, _port, faultMode: null, [("api-ready", "/health/ready")],

                // What this story checks is the shared ledger and lock, not a first answer: the first deploy's first
                // request through the proxy it has just started once took over 4 s on a loaded 2-core CI machine.
                warmup: 1)
            .Replace("  driver: compose\n", $"  driver: compose\n  state: environment\n", StringComparison.Ordinal)
            .Replace($"    project: {Project}\n", $"    project: {Project}\n    docker_host: {workspace.DockerHost}\n", StringComparison.Ordinal)
            .Replace("  postgres:\n", "  postgres:\n    password: file:secrets/itest-shared-postgres\n", StringComparison.Ordinal)

            // Each runner's deploy is a revision of its own (the configuration differs), so a rollback has one to return to.
            .Replace("      FAULT_MODE:", "      ITEST_RUNNER: ${ITEST_RUNNER}\n      FAULT_MODE:", StringComparison.Ordinal)
            + "state_directory: .slipway/state/${ITEST_RUNNER}\n";
        foreach (var added in new[] { "state: environment", "docker_host: ", "password: file:", "ITEST_RUNNER: ${ITEST_RUNNER}" })
        {
            Assert.Contains(added, environment, StringComparison.Ordinal);
        }

        File.WriteAllText(Path.Combine(workspace.Root, "environments", "staging.yml"), environment);
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        var compose = Path.Combine(workspace.Root, "compose", "stack.yml");
        foreach (var step in new[]
        {
            (Tool: "docker", Args: new[] { "compose", "--project-name", Project, "--file", compose, "--profile", "migrate", "down", "--volumes", "--remove-orphans", "--timeout", "5" }),
            ("docker", ["container", "rm", "--force", $"{Project}-slipway-lock"]),
            ("docker", ["volume", "rm", "--force", $"{Project}-slipway-state"]),
        })
        {
            try
            {
                HostProcess.Run(step.Tool, step.Args, null, ("DOCKER_HOST", workspace.DockerHost), ("API_IMAGE", "unused"), ("WORKER_IMAGE", "unused"), ("POSTGRES_PASSWORD", "unused"), ("PROXY_CONFIG", "/dev/null"));
            }
            catch (InvalidOperationException e)
            {
                output.WriteLine("teardown: " + e.Message);
            }
        }

        return Task.CompletedTask;
    }

    [Fact]
    public async Task Two_runners_share_the_ledger_and_the_lock_through_the_docker_host()
    {
        var release = workspace.Release();

        // Runner one kept a ledger locally before (one failed deploy of an old version): it moves to the host on first contact.
        Directory.CreateDirectory(StateOf("one"));
        await File.WriteAllTextAsync(Path.Combine(StateOf("one"), "ledger.jsonl"),
            $$"""{"environment":"staging","version":"0.0.1-local","commit":"{{Head}}","images":{},"who":"old@laptop","when":"2026-01-01T00:00:00+00:00","action":"Failed","details":"kept locally before","duration":"00:00:01"}""" + "\n");

        // A dry run asks the host nothing: no volume, no lock container appear.
        var dry = await Deploy("one", "--dry-run");
        Assert.True(dry.ExitCode == 0, dry.Out + dry.Error);
        Assert.Contains($"would take the lock the container {Project}-slipway-lock on {workspace.DockerHost}", dry.Out, StringComparison.Ordinal);
        Assert.Empty(workspace.Docker("volume", "ls", "--quiet", "--filter", $"name={Project}-slipway-state"));
        Assert.True(File.Exists(Path.Combine(StateOf("one"), "ledger.jsonl")), "a dry run moved the local ledger");

        // 1. Runner one deploys: its local ledger moved to the host, then its deploy recorded there.
        var first = await Deploy("one");
        Assert.True(first.ExitCode == 0, first.Out + first.Error);
        Assert.Contains($"Moved the 1 entries of the local ledger {Path.Combine(StateOf("one"), "ledger.jsonl")} to /state/ledger.jsonl in the volume {Project}-slipway-state on {workspace.DockerHost}", first.Out, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(StateOf("one"), "ledger.jsonl")));
        Assert.True(File.Exists(Path.Combine(StateOf("one"), "ledger.jsonl.migrated")));
        Assert.Equal(release.Version, await StackProbe.ServedVersionAsync(new Uri($"http://127.0.0.1:{_port}")));

        // 2. Runner two, a machine that never deployed: its History is the host's.
        var history = await workspace.RunHostAsync(Runner("two"), ["--target", "History", "--env", "staging"]);
        Assert.True(history.ExitCode == 0, history.Out + history.Error);
        Assert.Contains("0.0.1-local", history.Out, StringComparison.Ordinal);
        Assert.Contains(release.Version, history.Out, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(StateOf("two"), "ledger.jsonl")), "runner two read a ledger of its own");

        // 3. Runner one deploys again, in a process of its own with a short lease; runner two, at once, is refused naming it.
        int killedPid;
        using (var holder = HostProcess.StartPipeline(workspace.Root, Runner("one"),
            ["--target", "DeployStaging", "--exclusive", "--skip", "Restore", "--docker-host", workspace.DockerHost, "--lock-lease", "10s", "--signing-offline"]))
        {
            killedPid = holder.Id;
            await StackProbe.WaitForAsync(() => LockContainerExists(), TimeSpan.FromSeconds(90), "runner one's deploy to take the lock on the host");
            var refused = await Deploy("two");
            Assert.Equal(1, refused.ExitCode);
            Assert.Contains($"The environment is locked by {LedgerEntry.CurrentUser}", refused.Out + refused.Error, StringComparison.Ordinal);
            Assert.Contains($"pid {holder.Id} on {Environment.MachineName}", refused.Out + refused.Error, StringComparison.Ordinal);
            Assert.Contains($"the container {Project}-slipway-lock on {workspace.DockerHost}", refused.Out + refused.Error, StringComparison.Ordinal);

            // 4. ... and runner one is killed (a cancelled CI job's runner): nothing releases its lock.
            holder.Kill();
            output.WriteLine("killed runner one:\n" + holder.Output);
        }

        Assert.True(LockContainerExists(), "the killed deploy's lock is gone from the host");

        // 5. Runner two waits: the lease nobody renews runs out, it takes the lock over naming the killed owner, and deploys.
        var converged = await Deploy("two", "--lock-wait", "2m");
        Assert.True(converged.ExitCode == 0, converged.Out + converged.Error);
        Assert.Matches($@"Took over the lock of staging from \S+ \(pid {killedPid} on [^)]+\), deploying {Regex.Escape(release.Version)} since [^:]+:\d\d:\d\dZ: its lease ran out at ", converged.Out + converged.Error);
        Assert.False(LockContainerExists(), "runner two did not release the lock");

        // Both runners' deploys are in the one ledger, as either runner reads it.
        var fromOne = await workspace.RunHostAsync(Runner("one"), ["--target", "History", "--env", "staging"]);
        Assert.True(fromOne.ExitCode == 0, fromOne.Out + fromOne.Error);
        Assert.True(Regex.Count(fromOne.Out, @"\bDeployed +" + Regex.Escape(release.Version) + " ") == 2, fromOne.Out);
        Assert.False(File.Exists(Path.Combine(StateOf("two"), "ledger.jsonl")));

        // 6. Runner three, which never deployed, rolls back: to runner one's revision, from the host's ledger, with the
        //    configuration runner one kept there (its api says ITEST_RUNNER=one, not three).
        var rollback = await workspace.RunHostAsync(Runner("three"), ["--target", "Rollback", "--env", "staging"]);
        Assert.True(rollback.ExitCode == 0, rollback.Out + rollback.Error);
        Assert.Contains("fetched from /state/releases/", rollback.Out, StringComparison.Ordinal);
        var api = workspace.Docker("ps", "--quiet", "--filter", $"label=com.docker.compose.project={Project}", "--filter", "label=com.docker.compose.service=api")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, api.Length);
        Assert.All(api, id => Assert.Contains("ITEST_RUNNER=one", workspace.Docker("inspect", "--format", "{{json .Config.Env}}", id), StringComparison.Ordinal));
        var afterRollback = await workspace.RunHostAsync(Runner("two"), ["--target", "History", "--env", "staging"]);
        Assert.Contains("RolledBack", afterRollback.Out, StringComparison.Ordinal);
    }

    private Task<HostRun> Deploy(string runner, params string[] extra) =>
        workspace.RunHostAsync(Runner(runner), ["--target", "DeployStaging", "--exclusive", .. extra]);

    private bool LockContainerExists() =>
        workspace.Docker("container", "ls", "--all", "--quiet", "--filter", $"name=^{Project}-slipway-lock$").Length > 0;
}
