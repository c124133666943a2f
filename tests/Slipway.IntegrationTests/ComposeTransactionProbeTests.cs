using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Slipway.Delivery;
using Slipway.IntegrationTests.Support;
using Xunit.Abstractions;

namespace Slipway.IntegrationTests;

/// <summary>
/// The order transaction probe on the real stack (engine, registry, Compose v2, HAProxy, Postgres, Redis): a staging-like
/// environment whose SLO probes include "create an order, then wait until it is processed" with a 20 s deadline. A good
/// release passes it; the same release with the worker in <c>FAULT_MODE=stall</c> (healthy, takes no job) fails it and is
/// rolled back automatically: the previous revision's worker takes the work again, the ledger says so and names the probe.
/// Then the pre-deploy host check on the same engine: a <c>free_disk</c> larger than the disk is refused before anything
/// runs (no container, ledger entry or lock changes). The stack and its state are removed whatever happens.
/// </summary>
[Collection(SharedDockerWorkspace.Name)]
public sealed class ComposeTransactionProbeTests(DockerWorkspace workspace, ITestOutputHelper output) : IAsyncLifetime
{
    private const string Deadline = "20s";
    private readonly int _port = StackProbe.FreePort();
    private string _originalStaging = string.Empty;

    private string Project => $"{workspace.Prefix}-orders";

    private string StagingFile => Path.Combine(workspace.Root, "environments", "staging.yml");

    private string State => Path.Combine(workspace.Root, ".slipway", "state", "staging");

    private Uri StackUrl => new($"http://127.0.0.1:{_port.ToString(CultureInfo.InvariantCulture)}");

    public async Task InitializeAsync() => _originalStaging = await File.ReadAllTextAsync(StagingFile);

    public async Task DisposeAsync()
    {
        StackTeardown.Down(workspace, Project, output);

        // The other staging stories start from no state: leave none of this one (ledger, backups).
        await File.WriteAllTextAsync(StagingFile, _originalStaging);
        StackTeardown.RemoveState(workspace, "staging");
    }

    [Fact]
    public async Task A_worker_that_processes_no_order_fails_the_transaction_probe_and_is_rolled_back_and_a_disk_too_small_is_refused_first()
    {
        // 1. A good release: the transaction probe creates an order through the proxy and sees the worker process it.
        WriteStaging(workerFaultMode: string.Empty);
        var good = await DeployAsync();
        Assert.True(good.ExitCode == 0, good.Out + good.Error);
        Assert.Matches(@"(?m)^order-processed\s+http://127\.0\.0\.1:\d+/orders\s+1\s+0\s.*\bpass\b", good.Out);
        var goodEntry = Ledger().Last(e => e.Action == LedgerAction.Deployed);
        var goodWorker = Worker();
        Assert.Equal(string.Empty, FaultModeOf(goodWorker));

        // 2. The same images with the worker stalled: healthy, so the rollout passes its health checks; the previous worker
        // is paused while the probes run, so only the transaction probe can tell, and it does, within its deadline.
        WriteStaging(workerFaultMode: "stall");
        var stalled = await DeployAsync();
        output.WriteLine(stalled.Out);
        Assert.Equal(1, stalled.ExitCode);
        Assert.Contains("worker: the 1 previous container(s) resumed and take the work again", stalled.Out, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^order-processed\s.*\bFAIL", stalled.Out);
        var failure = $"status did not become 'processed' within {Deadline}";
        Assert.Contains("order-processed", stalled.Out + stalled.Error, StringComparison.Ordinal);
        Assert.Contains(failure, stalled.Out + stalled.Error, StringComparison.Ordinal);

        // The ledger: the stalled revision failed on the probe it names and was rolled back to the good revision.
        var entries = Ledger();
        var (failed, rolledBack) = (entries[^2], entries[^1]);
        Assert.Equal(LedgerAction.Failed, failed.Action);
        Assert.Contains("order-processed", failed.Details, StringComparison.Ordinal);
        Assert.Contains(failure, failed.Details, StringComparison.Ordinal);
        Assert.NotEqual(goodEntry.RevisionId, failed.RevisionId);
        Assert.Equal(LedgerAction.RolledBack, rolledBack.Action);
        Assert.Equal(goodEntry.RevisionId, rolledBack.RolledBackToRevision);
        Assert.Contains("order-processed", rolledBack.Details, StringComparison.Ordinal);
        Assert.Equal(goodEntry.RevisionId, ReleaseLedger.Open(Path.Combine(State, "ledger.jsonl")).LastGood()!.RevisionId);

        // The previous revision serves: its very worker container runs again (not paused, no fault), the stalled one is
        // gone, and a new order is processed (including the probe's order, left pending by the stalled worker).
        Assert.Equal(goodWorker, Worker());
        Assert.Equal("running", workspace.Docker("inspect", "--format", "{{.State.Status}}", goodWorker).Trim());
        Assert.Equal(string.Empty, FaultModeOf(goodWorker));
        await AssertAnOrderIsProcessedAsync();

        // 3. A host whose disk is smaller than the matrix asks for: refused before anything runs, the stack untouched.
        var containersBefore = ProjectContainers();
        var ledgerBefore = await File.ReadAllTextAsync(Path.Combine(State, "ledger.jsonl"));
        WriteStaging(workerFaultMode: string.Empty, freeDisk: "100Ti");
        var refused = await DeployAsync();
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("delivery.compose.host.free_disk asks for 102400.0 GiB (100Ti)", refused.Out + refused.Error, StringComparison.Ordinal);
        Assert.Contains("Nothing was deployed.", refused.Out + refused.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("docker compose", refused.Out, StringComparison.Ordinal);
        Assert.Equal(containersBefore, ProjectContainers());
        Assert.Equal(ledgerBefore, await File.ReadAllTextAsync(Path.Combine(State, "ledger.jsonl")));
        Assert.False(File.Exists(Path.Combine(State, "deploy.lock")), "the refused deploy took the lock");
    }

    /// <summary>POSTs an order through the proxy and waits (bounded, 30 s) until the worker has processed it.</summary>
    private async Task AssertAnOrderIsProcessedAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var created = await http.PostAsJsonAsync(new Uri(StackUrl, "/orders"), new { item = "after-rollback", quantity = 1 });
        Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();
        string? status = null;
        await StackProbe.WaitForAsync(
            () =>
            {
                status = JsonDocument.Parse(http.GetStringAsync(new Uri(StackUrl, $"/orders/{id}")).GetAwaiter().GetResult()).RootElement.GetProperty("status").GetString();
                return status == "processed";
            },
            TimeSpan.FromSeconds(30),
            "the previous worker to process an order after the rollback");
    }

    private Task<Slipway.Testing.HostRun> DeployAsync() => workspace.RunHostAsync("--target", "DeployStaging", "--exclusive");

    private IReadOnlyList<LedgerEntry> Ledger() => ReleaseLedger.Open(Path.Combine(State, "ledger.jsonl")).ReadAll().Entries;

    private string Worker() => Assert.Single(Containers("worker"));

    private List<string> Containers(string service) =>
        [.. workspace.Docker("ps", "--all", "--quiet", "--no-trunc", "--filter", $"label=com.docker.compose.project={Project}", "--filter", $"label=com.docker.compose.service={service}")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)];

    private string ProjectContainers() =>
        workspace.Docker("ps", "--all", "--no-trunc", "--format", "{{.ID}} {{.State}}", "--filter", $"label=com.docker.compose.project={Project}");

    private string FaultModeOf(string container) =>
        workspace.Docker("inspect", "--format", "{{range .Config.Env}}{{println .}}{{end}}", container)
            .Split('\n').Single(v => v.StartsWith("FAULT_MODE=", StringComparison.Ordinal))["FAULT_MODE=".Length..];

    private void WriteStaging(string workerFaultMode, string? freeDisk = null)
    {
        var yaml = StackEnvironment.Render(
            "staging with the order transaction probe (deadline " + Deadline + "); the worker's FAULT_MODE varies.",
            """
            trigger:
              on: branch
              pattern: main
            """,
            Project, workspace.Prefix, _port, faultMode: null, [("api-ready", "/health/ready")],
            extraProbes: StackEnvironment.OrderProcessedProbe(Deadline),
            workerFaultMode: workerFaultMode);
        if (freeDisk is not null)
        {
            yaml = yaml.Replace($"    project: {Project}\n", $"    project: {Project}\n    host:\n      free_disk: {freeDisk}\n", StringComparison.Ordinal);
            Assert.Contains("free_disk", yaml, StringComparison.Ordinal);
        }

        File.WriteAllText(StagingFile, yaml);
    }
}
