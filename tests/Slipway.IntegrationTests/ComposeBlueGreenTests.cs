using System.Text.RegularExpressions;
using Slipway.Delivery;
using Slipway.IntegrationTests.Support;
using Slipway.Tests.Support;
using Xunit.Abstractions;

namespace Slipway.IntegrationTests;

/// <summary>
/// <c>rollout.strategy: blue_green</c> and <c>rollout.keep_previous</c> on the real engine, registry, Compose and HAProxy,
/// under load at 25 requests/s: the new set starts and is checked beside the old, takes all traffic at once (no request
/// reaches it before), the old set stays warm; Rollback inside the window is a switch at the proxy (0 failed, the proxy's
/// log shows no request on the new set later than 2 s after the decision); after the window, Rollback redeploys and the
/// warm containers are removed first. The stack and staging's state are removed whatever happens.
/// </summary>
[Collection(SharedDockerWorkspace.Name)]
public sealed class ComposeBlueGreenTests(DockerWorkspace workspace, ITestOutputHelper output) : IAsyncLifetime
{
    private const double LoadRate = 25;
    private readonly int _port = StackProbe.FreePort();
    private string Project => $"{workspace.Prefix}-bluegreen";
    private Uri StackUrl => new($"http://127.0.0.1:{_port}");
    private string State => Path.Combine(workspace.Root, ".slipway", "state", "staging");
    private string Backups => Path.Combine(workspace.Root, ".slipway", "backups", "staging");
    private string ReleaseFile => Path.Combine(workspace.Root, "artifacts", "release.json");

    public Task InitializeAsync()
    {
        // staging's state is shared with the other deploy stories of the workspace: each starts from none.
        RemoveState();
        WriteStaging(keepPrevious: "10m");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        StackTeardown.Down(workspace, Project, output);
        RemoveState();
        var cold = Path.Combine(workspace.Root, "artifacts", "release-bluegreen-a.json");
        if (File.Exists(cold))
        {
            File.Copy(cold, ReleaseFile, overwrite: true);
            var rebuild = await workspace.RunAsync("--target", "Build");
            output.WriteLine($"workspace restored: Build exit {rebuild.ExitCode}");
        }
    }

    [Fact]
    public async Task Blue_green_takes_all_traffic_at_once_and_Rollback_inside_the_keep_window_is_a_switch_at_the_proxy()
    {
        var releaseA = SaveRelease("a");
        var versionA = ReleaseManifest.Read(releaseA).Version;
        var publishB = await workspace.RunAsync("--target", "Publish", "--version", "5.0.0-bluegreen", "--skip", "Sbom", "--skip", "Scan");
        Assert.True(publishB.ExitCode == 0, publishB.Out + publishB.Error);
        var releaseB = SaveRelease("b");
        var versionB = ReleaseManifest.Read(releaseB).Version;

        var first = await DeployAsync(releaseA);
        Assert.True(first.ExitCode == 0, first.Out + first.Error);
        var containersA = ApiContainers();
        Assert.Equal(2, containersA.Count);

        // 1. Blue/green under load: B's full set starts beside A's, is checked, then takes all traffic in one command;
        //    not one request fails, none reaches B's containers before that command, and A's stay running, drained.
        var (deployB, loadB) = await UnderLoadAsync(() => DeployAsync(releaseB), "blue/green deploy of B");
        Assert.True(deployB.ExitCode == 0, deployB.Out + deployB.Error);
        Assert.Contains("blue/green (rollout.strategy): starting the full new set of api", deployB.Out, StringComparison.Ordinal);
        Assert.Contains($"stay running, drained, until", deployB.Out, StringComparison.Ordinal);
        Assert.Equal(versionB, await StackProbe.ServedVersionAsync(StackUrl));
        AssertLoad(loadB, "the blue/green deploy");
        var moved = Regex.Match(deployB.Out, @"api: traffic moved at (?<at>\S+) to (?<slots>[^(]+) \(new\)");
        Assert.True(moved.Success, deployB.Out);
        var newSlots = moved.Groups["slots"].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var movedAt = ProxyExposure.Stamp(moved.Groups["at"].Value);
        var early = ProxyExposure.Parse(ProxyLog()).Where(r => newSlots.Contains(r.Server) && r.Dispatched < movedAt.AddMilliseconds(-1)).ToList();
        Assert.True(early.Count == 0, $"{early.Count} request(s) reached B's containers before traffic moved at {movedAt:O}, first dispatched at {early.FirstOrDefault()?.Dispatched:O}");
        var warm = ApiContainers();
        Assert.Equal(4, warm.Count);
        Assert.Subset(warm.ToHashSet(), containersA.ToHashSet());

        // 2. Rollback inside the window: the switch through the runtime API, 0 failed, the new set gone, the ledger says so.
        var (rollback, loadRollback) = await UnderLoadAsync(() => workspace.RunHostAsync("--target", "Rollback", "--env", "staging"), "rollback inside the keep window");
        Assert.True(rollback.ExitCode == 0, rollback.Out + rollback.Error);
        Assert.Contains("inside its keep window", rollback.Out, StringComparison.Ordinal);
        Assert.Equal(versionA, await StackProbe.ServedVersionAsync(StackUrl));
        AssertLoad(loadRollback, "the rollback inside the keep window");
        var decided = Regex.Match(rollback.Out, @"traffic switched back to .*: decided at (?<at>\S+), taken by the proxy at");
        Assert.True(decided.Success, rollback.Out);
        var (exposure, after, _) = ProxyExposure.After(ProxyExposure.Parse(ProxyLog()), newSlots, movedAt, ProxyExposure.Stamp(decided.Groups["at"].Value));
        output.WriteLine($"rollback inside the keep window: decision to last request routed to B {exposure.TotalMilliseconds:0} ms ({after} accepted after the decision); {loadRollback.Failed} of {loadRollback.Sent} failed");
        Assert.True(exposure <= TimeSpan.FromSeconds(2), $"the proxy routed to B {exposure.TotalMilliseconds:0} ms after the decision to switch back");
        Assert.Equal(containersA.Order(StringComparer.Ordinal), ApiContainers().Order(StringComparer.Ordinal));
        var switched = Ledger()[^1];
        Assert.Equal((LedgerAction.RolledBack, versionB, versionA), (switched.Action, switched.Version, switched.RolledBackTo));
        Assert.Contains("inside the keep window", switched.Details, StringComparison.Ordinal);

        // 3. After the window: B again with a 3 s window, then Rollback once it ended: a redeploy of A, which removes the
        //    warm containers first, and keeps none warm itself (a rollback's previous release is the one it leaves).
        WriteStaging(keepPrevious: "3s");
        var again = await DeployAsync(releaseB);
        Assert.True(again.ExitCode == 0, again.Out + again.Error);
        var warmAgain = ApiContainers();
        Assert.Equal(4, warmAgain.Count);
        await Task.Delay(TimeSpan.FromSeconds(4));
        var late = await workspace.RunHostAsync("--target", "Rollback", "--env", "staging");
        Assert.True(late.ExitCode == 0, late.Out + late.Error);
        Assert.Contains("ended at", late.Out, StringComparison.Ordinal);
        Assert.Matches(@"removing the previous container\(s\) of \S+.* kept warm \(rollout\.keep_previous; its window ended", late.Out);
        Assert.Equal(versionA, await StackProbe.ServedVersionAsync(StackUrl));
        var final = ApiContainers();
        Assert.Equal(2, final.Count);
        Assert.Empty(final.Intersect(warmAgain));
        Assert.False(File.Exists(Path.Combine(State, "warm-previous.json")));
    }

    private async Task<(HostRun Run, LoadSummary Load)> UnderLoadAsync(Func<Task<HostRun>> action, string episode)
    {
        HostRun run;
        LoadSummary summary;
        await using (var load = new LoadGenerator(new Uri(StackUrl, "/orders?limit=1"), LoadRate, maxRequests: 10_000, maxDuration: TimeSpan.FromMinutes(5), tagged: true))
        {
            load.Start();
            run = await action();
            summary = await load.StopAsync();
        }

        output.WriteLine($"{episode}: {summary}");
        return (run, summary);
    }

    private void AssertLoad(LoadSummary load, string what) =>
        output.WriteLine($"{what}: by the proxy's log, {ProxyVerdict.AssertNoFailure(load, ProxyLog(), what)}");

    private string ProxyLog() => ProxyExposure.Log(workspace, Project);

    private List<string> ApiContainers() =>
        [.. workspace.Docker("ps", "--quiet", "--filter", $"label=com.docker.compose.project={Project}", "--filter", "label=com.docker.compose.service=api")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)];

    private IReadOnlyList<LedgerEntry> Ledger() => ReleaseLedger.Open(Path.Combine(State, "ledger.jsonl")).ReadAll().Entries;

    private Task<HostRun> DeployAsync(string release)
    {
        File.Copy(release, ReleaseFile, overwrite: true);
        return workspace.RunHostAsync("--target", "DeployStaging", "--exclusive");
    }

    private string SaveRelease(string name)
    {
        var path = Path.Combine(workspace.Root, "artifacts", $"release-bluegreen-{name}.json");
        File.Copy(ReleaseFile, path, overwrite: true);
        return path;
    }

    private void WriteStaging(string keepPrevious) =>
        File.WriteAllText(Path.Combine(workspace.Root, "environments", "staging.yml"), StackEnvironment.Render(
            "staging on the local engine for the blue/green and keep_previous story.",
            """
            trigger:
              on: branch
              pattern: main
            """,
            Project, workspace.Prefix, _port, faultMode: null, [("api-ready", "/health/ready"), ("api-orders", "/orders?limit=1")],
            rolloutExtra: $"\n  strategy: blue_green\n  keep_previous: {keepPrevious}"));

    private void RemoveState()
    {
        foreach (var directory in new[] { State, Backups })
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }
}
