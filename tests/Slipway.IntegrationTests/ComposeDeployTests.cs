using System.Diagnostics;
using System.Text.RegularExpressions;
using Slipway.Delivery;
using Slipway.Delivery.Backups;
using Slipway.IntegrationTests.Support;
using Slipway.Tests.Support;
using Xunit.Abstractions;

namespace Slipway.IntegrationTests;

/// <summary>
/// DeployStaging on the real engine, registry, docker-compose and HAProxy, as one story because each step starts from
/// the state the previous one left (as an environment does): first deploy; ten deploys alternating two versions under
/// load; a lock held by another deploy; a deploy killed with SIGKILL midway; a release that fails its probes and is
/// rolled back; a failing migration; Rollback; History. The stack is torn down whatever happens.
/// </summary>
[Collection(SharedDockerWorkspace.Name)]
public sealed class ComposeDeployTests(DockerWorkspace workspace, ITestOutputHelper output) : IAsyncLifetime
{
    private const double LoadRate = 25;
    private readonly int _port = StackProbe.FreePort();
    private string Project => $"{workspace.Prefix}-staging";
    private Uri StackUrl => new($"http://127.0.0.1:{_port}");
    private string State => Path.Combine(workspace.Root, ".slipway", "state", "staging");
    private string ReleaseFile => Path.Combine(workspace.Root, "artifacts", "release.json");

    public Task InitializeAsync()
    {
        WriteStaging(faultMode: null);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        TearDownStack();

        // Leave the shared workspace as the other tests expect it: the cold release in release.json, and its images and
        // build state (this test published other versions; the rebuild of the cold one comes from the layer cache).
        var cold = Path.Combine(workspace.Root, "artifacts", "release-a.json");
        if (File.Exists(cold))
        {
            File.Copy(cold, ReleaseFile, overwrite: true);
            var rebuild = await workspace.RunAsync("--target", "Build");
            output.WriteLine($"workspace restored: Build exit {rebuild.ExitCode}");
        }
    }

    private void TearDownStack() => StackTeardown.Down(workspace, Project, output);

    [Fact]
    public async Task DeployStaging_rolls_out_without_downtime_locks_backs_up_rolls_back_and_records_everything()
    {
        // Two releases of the same stack: the workspace's cold Publish (A) and a second version (B).
        var releaseA = SaveRelease("a");
        var publishB = await workspace.RunAsync("--target", "Publish", "--version", "2.0.0-itest", "--skip", "Sbom", "--skip", "Scan");
        Assert.True(publishB.ExitCode == 0, publishB.Out + publishB.Error);
        var releaseB = SaveRelease("b");
        var versionA = ReleaseManifest.Read(releaseA).Version;
        var versionB = ReleaseManifest.Read(releaseB).Version;

        // Other stories of the shared workspace deploy to an environment named staging too, and may have left backups
        // there (EnvironmentStateTests does when it runs first): only this story's own count.
        var backups = Path.Combine(workspace.Root, ".slipway", "backups", "staging");
        string[] BackupFiles() => Directory.Exists(backups) ? Directory.GetFiles(backups, "*" + BackupFileName.Extension) : [];
        var backupsBefore = BackupFiles();

        // 1. First deploy: the whole stack from nothing, then the URL.
        var first = await DeployAsync(releaseA);
        Assert.True(first.ExitCode == 0, first.Out + first.Error);
        Assert.Contains($"staging is up: {StackUrl}", first.Out, StringComparison.Ordinal);
        Assert.Equal(versionA, await StackProbe.ServedVersionAsync(StackUrl));
        Assert.Contains("(first deploy): nothing to back up", first.Out, StringComparison.Ordinal);

        // 2. Ten deploys alternating B and A under continuous load through the proxy: not one failed request.
        var durations = new List<TimeSpan>();
        await using (var load = new LoadGenerator(new Uri(StackUrl, "/orders?limit=1"), LoadRate, maxRequests: 40_000, maxDuration: TimeSpan.FromMinutes(20), tagged: true))
        {
            load.Start();
            for (var i = 0; i < 10; i++)
            {
                var watch = Stopwatch.StartNew();
                var run = await DeployAsync(i % 2 == 0 ? releaseB : releaseA);
                durations.Add(watch.Elapsed);
                Assert.True(run.ExitCode == 0, $"deploy {i + 1}: {run.Out}{run.Error}");
                Assert.Equal(i % 2 == 0 ? versionB : versionA, await StackProbe.ServedVersionAsync(StackUrl));

                // A and B carry the same two migrations (release.json says so), which ran with the first deploy: a new
                // api image alone is no reason to back up.
                Assert.True(run.Out.Contains("brings no migrations (each of the 2 its images carry ran with ", StringComparison.Ordinal), $"deploy {i + 1} did not skip its backup:\n{run.Out}");
            }

            var summary = await load.StopAsync();
            output.WriteLine($"zero-downtime: {summary.Sent} requests at {summary.AchievedRate:0.0}/s, {summary.Failed} failed at the client; deploys {string.Join(", ", durations.Select(d => d.TotalSeconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)))} s");
            output.WriteLine($"zero-downtime, by the proxy's log: {ProxyVerdict.AssertNoFailure(summary, ProxyLog(), "the deploys", () => ProxyFailures(summary))}");
        }

        Assert.Equal(2, ApiContainers().Count);
        var ledger = ReleaseLedger.Open(Path.Combine(State, "ledger.jsonl")).ReadAll();
        Assert.Empty(ledger.Warnings);
        Assert.Equal(11, ledger.Entries.Count(e => e.Action == LedgerAction.Deployed));
        Assert.All(ledger.Entries, e => Assert.Equal(workspace.Prefix + "/api", RepositoryPath(e.Images["api"])));

        // 3. Another deploy holds the lock: the second fails at once and names the holder.
        int killedPid;
        using (var holder = StartDeployProcess(releaseB, "--lock-lease", "10s"))
        {
            killedPid = holder.Id;
            await StackProbe.WaitForAsync(() => File.Exists(Path.Combine(State, "deploy.lock")), TimeSpan.FromSeconds(60), "the first deploy to take the lock");
            var second = await DeployAsync(releaseB);
            Assert.Equal(1, second.ExitCode);
            Assert.Contains("locked", second.Out + second.Error, StringComparison.OrdinalIgnoreCase);
            Assert.Contains($"pid {holder.Id}", second.Out + second.Error, StringComparison.Ordinal);
            Assert.Contains(versionB, second.Out + second.Error, StringComparison.Ordinal);

            // 4. ... and is killed midway, after its migrate step and while new containers start.
            await StackProbe.WaitForAsync(() => holder.Output.Contains("api: starting", StringComparison.Ordinal), TimeSpan.FromSeconds(120), "the killed deploy to reach the rollout");
            holder.Kill();
        }

        // The SIGKILLed run left its lock, with a lease nobody renews: the next deploy waits for the lease to run out,
        // takes the lock over naming the killed owner (no --break-lock), and converges.
        Assert.True(File.Exists(Path.Combine(State, "deploy.lock")), "the killed deploy's lock is gone");
        var converged = await DeployAsync(releaseA, "--lock-wait", "2m");
        Assert.True(converged.ExitCode == 0, converged.Out + converged.Error);
        Assert.Contains("staging is locked by another deploy: waiting up to", converged.Out, StringComparison.Ordinal);
        Assert.Matches($@"Took over the lock of staging from \S+ \(pid {killedPid} on [^)]+\), deploying {Regex.Escape(versionB)} since [^:]+:\d\d:\d\dZ: its lease ran out at ", converged.Out + converged.Error);
        Assert.Equal(versionA, await StackProbe.ServedVersionAsync(StackUrl));
        Assert.Equal(2, ApiContainers().Count);
        Assert.Empty(ReleaseLedger.Open(Path.Combine(State, "ledger.jsonl")).ReadAll().Warnings);
        Assert.False(BackupFiles().Except(backupsBefore).Any(), "a deploy without migrations pending backed up: " + string.Join(", ", BackupFiles().Except(backupsBefore)));

        // 5. Rollback without arguments: back to B, the good release before A; then --to A.
        var rollback = await workspace.RunHostAsync("--target", "Rollback", "--env", "staging");
        Assert.True(rollback.ExitCode == 0, rollback.Out + rollback.Error);
        Assert.Equal(versionB, await StackProbe.ServedVersionAsync(StackUrl));
        var rollbackTo = await workspace.RunHostAsync("--target", "Rollback", "--env", "staging", "--to", versionA);
        Assert.True(rollbackTo.ExitCode == 0, rollbackTo.Out + rollbackTo.Error);
        Assert.Equal(versionA, await StackProbe.ServedVersionAsync(StackUrl));

        // 6. A release that is healthy but serves errors: caught by the checks before traffic, straight to its new
        // containers; not one user request fails, A keeps serving, the ledger says Failed before traffic.
        var (faulty, episode) = await DeployFaultyUnderLoadAsync(releaseB, "faulty release, checks before traffic");
        Assert.True(faulty.ExitCode == 1, faulty.Out + faulty.Error);
        Assert.Contains("checks before traffic", faulty.Out + faulty.Error, StringComparison.Ordinal);
        Assert.Contains("No traffic moved", faulty.Out + faulty.Error, StringComparison.Ordinal);
        output.WriteLine($"faulty release, by the proxy's log: {ProxyVerdict.AssertNoFailure(episode, ProxyLog(), "a release caught before traffic", () => "the proxy logged, by server: " + ProxyFailures(episode))}");
        Assert.Equal(versionA, await StackProbe.ServedVersionAsync(StackUrl));
        var afterFault = ReleaseLedger.Open(Path.Combine(State, "ledger.jsonl")).ReadAll().Entries;
        Assert.Equal((LedgerAction.Failed, versionB), (afterFault[^1].Action, afterFault[^1].Version));
        Assert.StartsWith("before traffic: ", afterFault[^1].Details, StringComparison.Ordinal);
        Assert.Equal(2, ApiContainers().Count);

        // 6b. The same version with one variable that breaks /orders (a configuration-only change), with /orders probed
        // through the proxy only, so it fails after traffic moved: a revision of its own, rolled back to the previous
        // revision of that same version.
        var runningA = ReleaseLedger.Open(Path.Combine(State, "ledger.jsonl")).LastGood()!;
        var (configOnly, afterTraffic) = await DeployFaultyUnderLoadAsync(releaseA, "configuration-only failure after traffic", proxyOnly: ["api-orders"]);
        Assert.True(configOnly.ExitCode == 1, configOnly.Out + configOnly.Error);
        Assert.Contains("Rolled back automatically: traffic switched back to", configOnly.Out + configOnly.Error, StringComparison.Ordinal);

        // The previous containers were kept warm: the switch back is one runtime API command. The bounds are on what the
        // proxy's log says the system did, which holds on a busy machine: from the first 5xx of the new containers to the
        // decision (the guard in the proxy polls every 20 ms), and from the decision to the last request the proxy routed
        // to them, each ≤ 2 s; and the issue's "≤ 5 failed" as the 5xx answers of the new containers to the load's (tagged) requests that the proxy logged.
        // The new containers took 20 % of the traffic first, so a release failing every request loses the few that
        // share sent before the guard saw them (before warm previous releases: 289-306 of ~670, a full redeploy; with
        // all traffic moved at once, 4-10 of ~1,000 under two CPU burners; with the first step, 1 of 1,185).
        var exposure = MeasureExposure(configOnly.Out);
        output.WriteLine($"configuration-only failure after traffic: first 5xx to decision {exposure.Detection.TotalMilliseconds:0} ms; decision to last request routed to the bad release {exposure.Exposure.TotalMilliseconds:0} ms ({exposure.RequestsAfter} accepted after the decision); the proxy logged {exposure.Failed} 5xx of the new containers to user requests; {afterTraffic.Failed} of {afterTraffic.Sent} user requests failed");
        Assert.True(exposure.Detection <= TimeSpan.FromSeconds(2), $"the switch back was decided {exposure.Detection.TotalMilliseconds:0} ms after the bad release's first 5xx");
        Assert.True(exposure.Exposure <= TimeSpan.FromSeconds(2), $"the proxy routed to the bad release {exposure.Exposure.TotalMilliseconds:0} ms after the decision");
        Assert.True(exposure.Failed <= 5, $"the proxy logged {exposure.Failed} 5xx answers of the configuration-only release before it was switched back (issue 17: ≤ 5)");
        Assert.True(afterTraffic.Failed < afterTraffic.Sent, $"every one of {afterTraffic.Sent} requests failed: the previous release did not serve again");
        Assert.Equal(versionA, await StackProbe.ServedVersionAsync(StackUrl));
        using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) })
        {
            using var orders = await http.GetAsync(new Uri(StackUrl, "/orders?limit=1"));
            Assert.True(orders.IsSuccessStatusCode, $"/orders answers {(int)orders.StatusCode} after the rollback of the configuration-only change");
        }

        var afterConfig = ReleaseLedger.Open(Path.Combine(State, "ledger.jsonl")).ReadAll().Entries;
        var (failedRevision, rolledBack) = (afterConfig[^2], afterConfig[^1]);
        Assert.Equal([LedgerAction.Failed, LedgerAction.RolledBack], new[] { failedRevision.Action, rolledBack.Action });
        Assert.Equal((versionA, versionA), (rolledBack.Version, rolledBack.RolledBackTo));
        Assert.NotNull(runningA.RevisionId);
        Assert.Equal(failedRevision.RevisionId, rolledBack.RevisionId);
        Assert.Equal(runningA.RevisionId, rolledBack.RolledBackToRevision);
        Assert.NotEqual(rolledBack.RevisionId, rolledBack.RolledBackToRevision);
        // The kept override is named by version and revision; a version's build metadata '+' is '_' in file names.
        var keptOverride = Path.Combine(State, "releases", $"{versionA.Replace('+', '_')}@{rolledBack.RevisionId}.compose.yml");
        Assert.True(File.Exists(keptOverride), $"{keptOverride} is missing; releases/ holds: {string.Join(", ", Directory.EnumerateFiles(Path.Combine(State, "releases")).Select(Path.GetFileName))}");

        // 7. A migration that fails: aborted before traffic moves, A still serves, and the backup restores.
        var releaseBroken = await PublishWithBrokenMigrationAsync();
        var broken = await DeployAsync(releaseBroken);
        Assert.Equal(1, broken.ExitCode);
        Assert.Contains("migration failed before traffic moved", broken.Out + broken.Error, StringComparison.Ordinal);
        Assert.Equal(versionA, await StackProbe.ServedVersionAsync(StackUrl));
        var aborted = ReleaseLedger.Open(Path.Combine(State, "ledger.jsonl")).ReadAll().Entries[^1];
        Assert.Equal(LedgerAction.Aborted, aborted.Action);
        var backup = BackupFiles().Except(backupsBefore).Max()!;
        Assert.Contains(Path.GetFileName(backup), aborted.Details, StringComparison.Ordinal);
        await AssertRestoresIntoScratchDatabaseAsync(backup);

        // 8. History prints it all as a table.
        var history = await workspace.RunHostAsync("--target", "History", "--env", "staging");
        Assert.Equal(0, history.ExitCode);
        foreach (var action in new[] { "Deployed", "Failed", "RolledBack", "Aborted", "REVISION", $"{rolledBack.RevisionId} -> {rolledBack.RolledBackToRevision}" })
        {
            Assert.Contains(action, history.Out, StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>Deploys <paramref name="release"/> with <c>FAULT_MODE=errors</c> under load at 25/s, then restores the matrix.</summary>
    private async Task<(HostRun Run, LoadSummary Load)> DeployFaultyUnderLoadAsync(string release, string episode, IReadOnlyCollection<string>? proxyOnly = null)
    {
        WriteStaging(faultMode: "errors", proxyOnly);
        HostRun run;
        LoadSummary summary;
        await using (var load = new LoadGenerator(new Uri(StackUrl, "/orders?limit=1"), LoadRate, maxRequests: 10_000, maxDuration: TimeSpan.FromMinutes(5), tagged: true))
        {
            load.Start();
            run = await DeployAsync(release);
            summary = await load.StopAsync();
        }

        WriteStaging(faultMode: null);
        output.WriteLine($"{episode}: {summary.Sent} requests, {summary.Failed} failed ({string.Join(", ", summary.Failures.Select(f => $"{f.Key} x{f.Value}"))})");
        return (run, summary);
    }

    /// <summary>
    /// From the deploy's output (when traffic moved to which slots, when the switch back was decided) and the proxy's
    /// request log: how long the new containers' first 5xx came before the decision, how long after the decision the
    /// proxy still routed requests to them, and how many 5xx they answered in all.
    /// </summary>
    private (TimeSpan Detection, TimeSpan Exposure, int RequestsAfter, int Failed) MeasureExposure(string deployOutput)
    {
        var moved = Regex.Match(deployOutput, @"api: traffic moved at (?<at>\S+) to (?<slots>[^(]+) \(new\)");
        var decided = Regex.Match(deployOutput, @"(?:api: traffic switched back to .*: decided at |the proxy switched back at )(?<at>\d{4}-\d\d-\d\dT[\d:.]+Z)");
        Assert.True(moved.Success && decided.Success, "the deploy did not say when traffic moved and when it was switched back: " + deployOutput);
        var slots = moved.Groups["slots"].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var (requests, from, at) = (ProxyExposure.Parse(ProxyLog()), ProxyExposure.Stamp(moved.Groups["at"].Value), ProxyExposure.Stamp(decided.Groups["at"].Value));
        var (exposure, after, _) = ProxyExposure.After(requests, slots, from, at);
        var firstFailure = ProxyExposure.FirstFailure(requests, slots.Contains, from);
        Assert.True(firstFailure is not null, "the proxy logged no 5xx of the new containers: what decided the switch back? " + deployOutput);
        var failed = requests.Count(r => r.Tag is not null && slots.Contains(r.Server) && r.Status >= 500 && r.Accepted >= from);
        return (at > firstFailure ? at - firstFailure.Value : TimeSpan.Zero, exposure, after, failed);
    }

    /// <summary>The 5xx answers the proxy logged while <paramref name="load"/> ran, by server: which release failed them.</summary>
    private string ProxyFailures(LoadSummary load)
    {
        var since = DateTimeOffset.UtcNow - load.SendingTime - TimeSpan.FromMinutes(2);
        return string.Join(", ", ProxyExposure.Parse(ProxyLog()).Where(r => r.Status >= 500 && r.Accepted >= since)
            .GroupBy(r => $"{r.Server} {r.Status}").Select(g => $"{g.Key} x{g.Count()} (first {g.Min(r => r.Accepted):HH:mm:ss.fff})"));
    }

    private string ProxyLog() => ProxyExposure.Log(workspace, Project);

    private Task<HostRun> DeployAsync(string release, params string[] extra)
    {
        File.Copy(release, ReleaseFile, overwrite: true);
        return workspace.RunHostAsync(["--target", "DeployStaging", "--exclusive", .. extra]);
    }

    private string SaveRelease(string name)
    {
        var path = Path.Combine(workspace.Root, "artifacts", $"release-{name}.json");
        File.Copy(ReleaseFile, path, overwrite: true);
        return path;
    }

    private async Task<string> PublishWithBrokenMigrationAsync()
    {
        var migration = Path.Combine(workspace.Root, "samples", "Api", "Migrations", "0099_broken.sql");
        await File.WriteAllTextAsync(migration, "ALTER TABLE orders ADD COLUMN broken integer NOT NULL DEFAULT 'not a number';\n");
        try
        {
            var publish = await workspace.RunAsync("--target", "Publish", "--version", "3.0.0-broken-migration", "--skip", "Sbom", "--skip", "Scan");
            Assert.True(publish.ExitCode == 0, publish.Out + publish.Error);
            return SaveRelease("broken");
        }
        finally
        {
            File.Delete(migration);
        }
    }

    private async Task AssertRestoresIntoScratchDatabaseAsync(string backup)
    {
        var postgres = workspace.Docker("ps", "--quiet", "--filter", $"label=com.docker.compose.project={Project}", "--filter", "label=com.docker.compose.service=postgres");
        var password = new Slipway.Processes.Secret((await File.ReadAllTextAsync(Path.Combine(State, "postgres-password"))).Trim(), "postgres-password");
        var scratch = "restore_check_" + Guid.NewGuid().ToString("N")[..6];
        var runner = new Slipway.Processes.ProcessRunner(new Slipway.Processes.ToolResolver(Environment.GetEnvironmentVariable, []));
        foreach (var step in PostgresBackup.RestoreInvocations(backup, postgres, scratch, "slipway", "/tmp/restore-check.dump", password: password))
        {
            await runner.RunAsync(step.WithEnvironment("DOCKER_HOST", workspace.DockerHost), Slipway.Processes.NullToolOutput.Instance, CancellationToken.None);
        }

        var applied = workspace.Docker("exec", "--env", "PGPASSWORD=" + password.Reveal(), postgres, "psql", "--username=slipway", "--dbname=" + scratch,
            "--tuples-only", "--no-align", "--command=SELECT count(*) FROM schema_migrations");
        Assert.Equal("2", applied.Trim());
        workspace.Docker("exec", "--env", "PGPASSWORD=" + password.Reveal(), postgres, "dropdb", "--username=slipway", scratch);
    }

    private List<string> ApiContainers() =>
        [.. workspace.Docker("ps", "--quiet", "--filter", $"label=com.docker.compose.project={Project}", "--filter", "label=com.docker.compose.service=api")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)];

    private HostProcess StartDeployProcess(string release, params string[] extra)
    {
        File.Copy(release, ReleaseFile, overwrite: true);
        return HostProcess.StartPipeline(workspace.Root, ["--target", "DeployStaging", "--exclusive", "--skip", "Restore", "--docker-host", workspace.DockerHost, .. extra]);
    }

    private static string RepositoryPath(string reference) => reference[(reference.IndexOf('/', StringComparison.Ordinal) + 1)..reference.IndexOf('@', StringComparison.Ordinal)];

    private void WriteStaging(string? faultMode, IReadOnlyCollection<string>? proxyOnly = null) =>
        File.WriteAllText(Path.Combine(workspace.Root, "environments", "staging.yml"), StackEnvironment.Render(
            "staging on the local engine, two api replicas, fast probes. Signatures are tested by SigningGateTests.",
            """
            trigger:
              on: branch
              pattern: main
            """,
            Project, workspace.Prefix, _port, faultMode, [("api-ready", "/health/ready"), ("api-orders", "/orders?limit=1")], proxyOnly: proxyOnly));
}
