using System.Globalization;
using System.Text.Json.Nodes;
using Slipway.Delivery;
using Slipway.Delivery.Compose;
using Slipway.Delivery.Helm;
using Slipway.Environments;
using Slipway.Processes;
using Slipway.Tests.Support;
using Slipway.Tools.Helm;

namespace Slipway.Tests.Delivery.Helm;

/// <summary>
/// The Helm deploy, step by step, on a scripted session whose helm keeps a revision list as Helm does: the order and
/// content of every invocation, which revision a rollback returns to and why, and what the ledger says afterwards.
/// </summary>
public sealed class HelmDeployerTests : IDisposable
{
    private static readonly HelmRelease V100 = Release("1.0.0", '1');
    private static readonly HelmRelease V110 = Release("1.1.0", '2');
    private static readonly HelmRelease V120 = Release("1.2.0", '3');

    private readonly string _directory = TestPaths.NewTempDirectory();
    private readonly InstantDelays _time = new(frozen: true);
    private readonly Queue<ProbeVerdict> _verdicts = new();
    private readonly List<(int Revision, string Status, string Description)> _revisions = [];
    private readonly HashSet<string> _unready = new(StringComparer.Ordinal);
    private int _upgradeExitCode;
    private ScriptedToolSession _session = new();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private ReleaseLedger Ledger => ReleaseLedger.Open(Path.Combine(_directory, "ledger.jsonl"));

    private IReadOnlyList<LedgerEntry> Entries => Ledger.ReadAll().Entries;

    private static HelmDeployment Deployment => new()
    {
        Environment = "prod",
        Release = new HelmReleaseName("slipway", "slipway-prod", "kube-double"),
        Chart = "charts/app",
        Deployments = ["slipway-api", "slipway-worker"],
        Secrets = [new HelmSecret("slipway-api-env", new Dictionary<string, Secret> { ["ConnectionStrings__Postgres"] = new("Host=db;Password=deployer-test-pw", "env:PROD_POSTGRES_CONNECTION") })],
        Rollout = new RolloutSettings { Timeout = Duration.Parse("20m"), HealthTimeout = Duration.Parse("5m") },
        HistoryMax = 10,
    };

    private static HelmRelease Release(string version, char digit) => new(
        version,
        "c" + digit,
        new Dictionary<string, string>
        {
            ["api"] = $"ghcr.io/slipway/api@sha256:{new string(digit, 64)}",
            ["worker"] = $"ghcr.io/slipway/worker@sha256:{new string(digit, 63)}0",
        },
        ["charts/app/values-prod.yaml", $"artifacts/helm/prod/{version}.yaml"]);

    private HelmDeployer Deployer(HelmVersion? helm = null, bool dryRun = false, HelmDeployment? deployment = null)
    {
        _session = new ScriptedToolSession { IsDryRun = dryRun };
        var session = _session;
        session.On(@"^kubectl rollout status deployment/(\S+)", (_, match) => _unready.Contains(match.Groups[1].Value)
            ? ScriptedToolSession.Result(1, $"Waiting for deployment \"{match.Groups[1].Value}\" rollout to finish: 0 of 1 updated replicas are available...\n", "error: timed out waiting for the condition\n")
            : ScriptedToolSession.Result(0, $"deployment \"{match.Groups[1].Value}\" successfully rolled out\n"));
        session.On(@"^helm upgrade --install", (_, _) =>
        {
            if (_upgradeExitCode != 0)
            {
                Add("failed", "Upgrade \"slipway\" failed: context deadline exceeded");
                return ScriptedToolSession.Result(_upgradeExitCode, stderr: "Error: UPGRADE FAILED: release slipway failed, and has been rolled back due to rollback-on-failure being set: context deadline exceeded\n");
            }

            Add("deployed", _revisions.Count == 0 ? "Install complete" : "Upgrade complete");
            return ScriptedToolSession.Result();
        });
        session.On(@"^helm rollback slipway (\d+)", (_, match) =>
        {
            Add("deployed", $"Rollback to {match.Groups[1].Value}");
            return ScriptedToolSession.Result(0, "Rollback was a success! Happy Helming!\n");
        });
        session.On(@"^helm history slipway", (_, _) => _revisions.Count == 0
            ? ScriptedToolSession.Result(1, stderr: "Error: release: not found\n")
            : ScriptedToolSession.Result(0, new JsonArray([.. _revisions.Select(r => new JsonObject
            {
                ["revision"] = r.Revision,
                ["updated"] = "2026-03-08T09:00:00Z",
                ["status"] = r.Status,
                ["chart"] = "app-0.1.0",
                ["app_version"] = "",
                ["description"] = r.Description,
            })]).ToJsonString()));
        return new HelmDeployer(deployment ?? Deployment, session, Ledger, helm ?? new HelmVersion(4, 1, 4), _ =>
        {
            session.Mark("probes");
            return Task.FromResult(_verdicts.TryDequeue(out var verdict) ? verdict : new ProbeVerdict(true, "api-ready  10/10  ok\n", []));
        }, _time);
    }

    private void Add(string status, string description)
    {
        if (status == "deployed")
        {
            for (var i = 0; i < _revisions.Count; i++)
            {
                if (_revisions[i].Status == "deployed")
                {
                    _revisions[i] = _revisions[i] with { Status = "superseded" };
                }
            }
        }

        _revisions.Add((_revisions.Count + 1, status, description));
    }

    private static ProbeVerdict Failing => new(false, "api-orders  3/10  500\n", ["api-orders: 7 of 10 requests failed (HTTP 500)"]);

    private async Task<DeployOutcome> Deployed(HelmRelease release) => await Deployer().DeployAsync(release, "ci@test");

    [Fact]
    public async Task A_deploy_applies_the_secret_upgrades_waits_for_each_deployment_probes_and_records_the_revision()
    {
        var outcome = await Deployer().DeployAsync(V100, "ci@test");

        Assert.True(outcome.Succeeded, outcome.Summary);
        Assert.Equal(
            [
                "run: kubectl apply -n slipway-prod --context kube-double -f - <<< '{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"slipway-prod\"}}'",
                "run: kubectl apply -n slipway-prod --context kube-double -f - <<< '{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"type\":\"Opaque\",\"metadata\":{\"name\":\"slipway-api-env\",\"namespace\":\"slipway-prod\",\"labels\":{\"app.kubernetes.io/managed-by\":\"slipway\"}},\"stringData\":{\"ConnectionStrings__Postgres\":\"***\"}}'",
                "run: helm upgrade --install slipway charts/app --namespace slipway-prod --kube-context kube-double --create-namespace -f charts/app/values-prod.yaml -f artifacts/helm/prod/1.0.0.yaml --timeout 1200s --history-max 10 --rollback-on-failure --wait=watcher",
                "run: kubectl rollout status deployment/slipway-api -n slipway-prod --context kube-double --timeout 300s",
                "run: kubectl rollout status deployment/slipway-worker -n slipway-prod --context kube-double --timeout 300s",
                "mark: probes",
                "query: helm history slipway --namespace slipway-prod --kube-context kube-double -o json",
            ],
            _session.Events.Where(e => e.Kind is not (SessionEventKind.Info or SessionEventKind.Warning)).Select(e => e.ToString()));
        var entry = Assert.Single(Entries);
        Assert.Equal((LedgerAction.Deployed, "1.0.0", (int?)1), (entry.Action, entry.Version, entry.Revision));
        Assert.DoesNotContain("deployer-test-pw", string.Join('\n', _session.Messages), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Helm_3_gets_atomic_and_wait()
    {
        await Deployer(new HelmVersion(3, 15, 4)).DeployAsync(V100, "ci@test");

        Assert.EndsWith("--atomic --wait", _session.Runs.Single(r => r.ToDisplayString().StartsWith("helm upgrade", StringComparison.Ordinal)).ToDisplayString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failing_probes_roll_back_with_helm_rollback_to_the_ledgers_last_good_revision()
    {
        await Deployed(V100);
        await Deployed(V110);
        _verdicts.Enqueue(Failing);

        var outcome = await Deployer().DeployAsync(V120, "ci@test");

        Assert.Equal(LedgerAction.RolledBack, outcome.Action);
        Assert.Contains("1.1.0 (revision 2) serves again as revision 4", outcome.Summary, StringComparison.Ordinal);
        var runs = _session.Runs.Select(r => r.ToDisplayString(includeEnvironment: false)).ToList();
        Assert.Contains("helm rollback slipway 2 --namespace slipway-prod --kube-context kube-double --timeout 1200s --history-max 10 --wait=watcher", runs);
        Assert.Equal(2, runs.Count(r => r.StartsWith("kubectl rollout status deployment/slipway-api", StringComparison.Ordinal)));
        Assert.Equal(2, _session.Events.Count(e => e.Kind == SessionEventKind.Mark));
        Assert.Equal(
            [(LedgerAction.Deployed, "1.0.0", (int?)1, (string?)null), (LedgerAction.Deployed, "1.1.0", 2, null), (LedgerAction.Failed, "1.2.0", 3, null), (LedgerAction.RolledBack, "1.2.0", 4, "1.1.0")],
            Entries.Select(e => (e.Action, e.Version, e.Revision, e.RolledBackTo)));
        Assert.Equal("1.1.0", Ledger.LastGood()!.Version);
        Assert.Equal(("deployed", "Rollback to 2"), (_revisions[^1].Status, _revisions[^1].Description));
    }

    [Fact]
    public async Task A_failed_upgrade_that_Helm_rolled_back_itself_is_still_returned_to_the_ledgers_revision_explicitly()
    {
        await Deployed(V100);
        _upgradeExitCode = 1;

        var outcome = await Deployer().DeployAsync(V110, "ci@test");

        Assert.Equal(LedgerAction.RolledBack, outcome.Action);
        Assert.Contains("failed (helm upgrade)", outcome.Summary, StringComparison.Ordinal);
        Assert.Contains("context deadline exceeded", outcome.Summary, StringComparison.Ordinal);
        Assert.Contains(_session.Runs, r => r.ToDisplayString().StartsWith("helm rollback slipway 1 ", StringComparison.Ordinal));
        Assert.Equal([LedgerAction.Deployed, LedgerAction.Failed, LedgerAction.RolledBack], Entries.Select(e => e.Action));
    }

    [Fact]
    public async Task An_unready_deployment_fails_the_rollout_and_is_rolled_back()
    {
        await Deployed(V100);
        _unready.Add("slipway-worker");
        var deployer = Deployer();

        // The rollback's own rollout must succeed: the worker is ready again once 1.0.0's revision is back.
        _session.On(@"^helm rollback", (_, _) =>
        {
            _unready.Clear();
            Add("deployed", "Rollback to 1");
            return ScriptedToolSession.Result();
        });
        var outcome = await deployer.DeployAsync(V110, "ci@test");

        Assert.Equal(LedgerAction.RolledBack, outcome.Action);
        Assert.Contains("slipway-worker", _session.Messages.First(m => m.Contains("Rolling back", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Contains("timed out waiting for the condition", outcome.Summary, StringComparison.Ordinal);
        Assert.Equal("1.0.0", Entries[^1].RolledBackTo);
    }

    [Fact]
    public async Task A_last_good_revision_that_helm_history_shows_as_failed_is_not_rolled_back_to()
    {
        await Deployed(V100);
        _revisions[0] = _revisions[0] with { Status = "failed" };
        _verdicts.Enqueue(Failing);
        _verdicts.Enqueue(Failing);

        var outcome = await Deployer().DeployAsync(V110, "ci@test");

        Assert.Equal(LedgerAction.Failed, outcome.Action);
        Assert.Contains("revision 1 (1.0.0) is failed in helm history, not deployed or superseded", outcome.Summary, StringComparison.Ordinal);
        Assert.DoesNotContain(_session.Runs, r => r.ToDisplayString().StartsWith("helm rollback", StringComparison.Ordinal));
        Assert.Equal([LedgerAction.Deployed, LedgerAction.Failed, LedgerAction.Failed], Entries.Select(e => e.Action));
        Assert.Contains("automatic rollback from 1.1.0 failed", Entries[^1].Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_revision_helm_no_longer_keeps_is_named()
    {
        await Deployed(V100);
        _revisions.RemoveAt(0);
        _revisions.Add((2, "deployed", "Upgrade complete"));
        _verdicts.Enqueue(Failing);

        var outcome = await Deployer().DeployAsync(V110, "ci@test");

        Assert.Contains("Helm no longer keeps revision 1 (1.0.0)", outcome.Summary, StringComparison.Ordinal);
        Assert.Contains("history_max", outcome.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_ledger_entry_from_before_revisions_existed_cannot_be_rolled_back_to_and_says_so()
    {
        Ledger.Append(new LedgerEntry("prod", "0.9.0", "c0", V100.Images, "old@host", DateTimeOffset.UnixEpoch, LedgerAction.Deployed, "compose era", TimeSpan.Zero));
        _verdicts.Enqueue(Failing);

        var outcome = await Deployer().DeployAsync(V100, "ci@test");

        Assert.Equal(LedgerAction.Failed, outcome.Action);
        Assert.Contains("no Helm revision for 0.9.0", outcome.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_first_deploy_failing_has_nothing_to_roll_back_to()
    {
        _verdicts.Enqueue(Failing);

        var outcome = await Deployer().DeployAsync(V100, "ci@test");

        Assert.Equal(LedgerAction.Failed, outcome.Action);
        Assert.Contains("no earlier good release", outcome.Summary, StringComparison.Ordinal);
        Assert.DoesNotContain(_session.Runs, r => r.ToDisplayString().StartsWith("helm rollback", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_secret_that_cannot_be_applied_stops_before_helm_and_rolls_nothing_back()
    {
        await Deployed(V100);
        var deployer = Deployer();
        _session.On("^kubectl apply", 1, stderr: "Error from server (Forbidden): secrets is forbidden\n");

        var outcome = await deployer.DeployAsync(V110, "ci@test");

        Assert.Equal(LedgerAction.Failed, outcome.Action);
        Assert.Contains("Helm was not run", outcome.Summary, StringComparison.Ordinal);
        Assert.Contains("Forbidden", outcome.Summary, StringComparison.Ordinal);
        Assert.DoesNotContain(_session.Runs, r => r.Tool == "helm");
    }

    [Fact]
    public async Task Rollback_goes_through_helm_rollback_to_the_targets_revision_and_records_the_new_one()
    {
        await Deployed(V100);
        await Deployed(V110);

        var outcome = await Deployer().RollbackAsync(Ledger.LastGoodExcept("1.1.0")!, "1.1.0", "me@laptop");

        Assert.Equal(LedgerAction.RolledBack, outcome.Action);
        Assert.Contains(_session.Runs, r => r.ToDisplayString().StartsWith("helm rollback slipway 1 ", StringComparison.Ordinal));
        var last = Entries[^1];
        Assert.Equal((LedgerAction.RolledBack, "1.1.0", "1.0.0", (int?)3), (last.Action, last.Version, last.RolledBackTo, last.Revision));
        Assert.Equal("1.0.0", Ledger.LastGood()!.Version);
        Assert.Equal(1, Ledger.LastGood()!.Revision);
    }

    [Fact]
    public async Task A_dry_run_prints_the_commands_reads_no_history_and_records_nothing()
    {
        var outcome = await Deployer(dryRun: true).DeployAsync(V100, "ci@test");

        Assert.Equal("dry run: nothing deployed", outcome.Summary);
        Assert.Empty(Entries);
        Assert.Equal(["kubectl", "kubectl", "helm", "kubectl", "kubectl"], _session.Runs.Select(r => r.Tool));
        Assert.DoesNotContain(_session.Events, e => e.Kind == SessionEventKind.Query);
    }

    [Fact]
    public async Task Rollback_on_failure_off_leaves_the_failed_release_and_says_why()
    {
        await Deployed(V100);
        _verdicts.Enqueue(Failing);
        var deployment = Deployment with { Rollout = Deployment.Rollout with { RollbackOnFailure = false } };

        var outcome = await Deployer(deployment: deployment).DeployAsync(V110, "ci@test");

        Assert.Contains("rollout.rollback_on_failure is off", outcome.Summary, StringComparison.Ordinal);
        Assert.EndsWith(" --wait=watcher", _session.Runs.Single(r => r.Tool == "helm").ToDisplayString(), StringComparison.Ordinal);
        Assert.DoesNotContain("--rollback-on-failure", _session.Runs.Single(r => r.Tool == "helm").ToDisplayString(), StringComparison.Ordinal);
        Assert.Equal(2.ToString(CultureInfo.InvariantCulture), Entries[^1].Revision?.ToString(CultureInfo.InvariantCulture));
    }
}
