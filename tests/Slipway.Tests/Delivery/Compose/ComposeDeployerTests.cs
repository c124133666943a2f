using System.Text.RegularExpressions;
using Slipway.Delivery;
using Slipway.Delivery.Compose;
using Slipway.Environments;
using Slipway.Processes;
using Slipway.Tests.Support;
using Slipway.Tools.Compose;

namespace Slipway.Tests.Delivery.Compose;

/// <summary>
/// The Compose deploy, step by step, against a fake stack: the order and content of every invocation, what is removed
/// when, and what the ledger says afterwards. No Docker; delays end at once.
/// </summary>
public sealed partial class ComposeDeployerTests : IDisposable
{
    public const string ProjectName = "slipway-test";

    private static readonly ComposeRelease V100 = new("1.0.0", "1a2b3c4", new Dictionary<string, string>
    {
        ["api"] = "127.0.0.1:5000/slipway/api@sha256:1000000000000000000000000000000000000000000000000000000000000000",
        ["worker"] = "127.0.0.1:5000/slipway/worker@sha256:1000000000000000000000000000000000000000000000000000000000000001",
    });

    private static readonly ComposeRelease V110 = new("1.1.0", "5d6e7f8", new Dictionary<string, string>
    {
        ["api"] = "127.0.0.1:5000/slipway/api@sha256:1100000000000000000000000000000000000000000000000000000000000000",
        ["worker"] = "127.0.0.1:5000/slipway/worker@sha256:1100000000000000000000000000000000000000000000000000000000000001",
    });

    private readonly string _directory = TestPaths.NewTempDirectory();
    private readonly FakeComposeStack _stack = new();
    private readonly InstantDelays _time = new(frozen: true);
    private readonly Queue<ProbeVerdict> _verdicts = new();
    private ScriptedToolSession _session = new();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private ReleaseLedger Ledger => ReleaseLedger.Open(Path.Combine(_directory, "state", "ledger.jsonl"));

    private IReadOnlyList<LedgerEntry> Entries => Ledger.ReadAll().Entries;

    private string BackupOf(string version) => Path.Combine(_directory, "backups", $"test-20260308T090000Z-{version}.dump");

    private ComposeDeployment Deployment => new()
    {
        Environment = "test",
        Project = new ComposeProject(ProjectName, [Path.Combine(_directory, "compose", "stack.yml")])
            .WithVariable("POSTGRES_PASSWORD", new Secret("pg-password-for-tests", "postgres-password")),
        Services = [new ComposeAppService("api", 2, "API_IMAGE", Routed: true), new ComposeAppService("worker", 1, "WORKER_IMAGE", Routed: false) { Worker = true }],
        Rollout = new RolloutSettings(),
        Migrations = new MigrationPolicy(),
        StateDirectory = Path.Combine(_directory, "state"),
    };

    private ComposeDeployer Deployer(bool dryRun = false, ComposeDeployment? deployment = null, Func<IToolSession, IToolSession>? around = null)
    {
        _session = new ScriptedToolSession { IsDryRun = dryRun };
        _stack.Attach(_session);
        var session = _session;
        var checks = new DeployChecks(
            (database, _) =>
            {
                session.Mark($"backup {database.Id}");
                return Task.FromResult(BackupOf(V110.Version));
            },
            _ =>
            {
                session.Mark("probes");
                return Task.FromResult(_verdicts.TryDequeue(out var verdict) ? verdict : new ProbeVerdict(true, "api-ready  10/10  p95 12 ms  ok\n", []));
            })
        {
            LiveProbeAsync = _ =>
            {
                session.Mark("probes back to back");
                return Task.FromResult(_verdicts.TryDequeue(out var verdict) ? verdict : new ProbeVerdict(true, "api-ready  10/10  p95 3 ms  ok\n", []));
            },
        };
        return new ComposeDeployer(deployment ?? Deployment, around?.Invoke(session) ?? session, Ledger, checks, _time);
    }

    /// <summary>The stack as release <paramref name="release"/> left it, and the ledger saying so.</summary>
    private void Running(ComposeRelease release, int apiReplicas = 2, bool inLedger = true)
    {
        _stack.Start("postgres", "postgres:15");
        _stack.Start("redis", "redis:7");
        for (var i = 0; i < apiReplicas; i++)
        {
            _stack.Start("api", release.Images["api"]);
        }

        _stack.Start("worker", release.Images["worker"], health: null);
        _stack.Start("proxy", "haproxy:2.6");
        if (!inLedger)
        {
            return;
        }

        Ledger.Append(new LedgerEntry("test", release.Version, release.Commit, release.Images, "ci@runner", DateTimeOffset.UnixEpoch, LedgerAction.Deployed, "probes passed", TimeSpan.FromMinutes(1)));
    }

    /// <summary>A display string with the project name and files left out: <c>compose up --detach api</c>.</summary>
    private static string Short(ToolInvocation invocation) =>
        ComposePrefix().Replace(invocation.ToDisplayString(includeEnvironment: false), "compose ");

    /// <summary>Runs and marks, in order: the effects of a deploy.</summary>
    private List<string> Effects() =>
        [.. _session.Events.Where(e => e.Kind is SessionEventKind.Run or SessionEventKind.Mark).Select(e => e.Invocation is null ? e.Text : Short(e.Invocation))];

    private List<string> Timeline() =>
        [.. _session.Events.Where(e => e.Kind is SessionEventKind.Run or SessionEventKind.Mark or SessionEventKind.Query).Select(e => e.Invocation is null ? e.Text : Short(e.Invocation))];

    private string OverrideOf(string version) => Path.Combine(_directory, "state", "releases", version + ".compose.yml");

    private static List<string> FilesOf(ToolInvocation compose)
    {
        var tokens = compose.Arguments.Select(a => a.Reveal()).ToList();
        return [.. tokens.Where((_, i) => i > 0 && tokens[i - 1] == "--file")];
    }

    /// <summary>A Compose call in the default (plugin) form: <c>docker compose …</c>.</summary>
    private static bool IsCompose(ToolInvocation invocation) =>
        invocation.Tool == ComposeDriver.DockerExecutable && invocation.Arguments.FirstOrDefault()?.Reveal() == "compose";

    private static string Socat(string container, string command) =>
        $"docker exec --interactive {container} socat stdio unix-connect:/var/run/haproxy/admin.sock <<< '{command}'";

    [GeneratedRegex(@"^docker compose --project-name \S+( --file \S+)+ ")]
    private static partial Regex ComposePrefix();

    [Fact]
    public async Task A_first_deploy_starts_data_services_migrates_then_each_service_behind_the_proxy_and_records_it()
    {
        var outcome = await Deployer().DeployAsync(V110, "ci@runner");

        Assert.Equal(LedgerAction.Deployed, outcome.Action);
        Assert.True(outcome.Succeeded);
        Assert.Null(outcome.Backup);
        var api = _stack.Running("api");
        Assert.Equal(2, api.Count);
        Assert.Equal(
            [
                "compose --profile migrate config --format json",
                "compose up --detach --no-deps postgres redis",
                "compose --profile migrate run --rm migrate",
                "compose up --detach --no-deps --scale api=2 api",
                "compose up --detach --no-deps --scale worker=1 worker",
                "compose up --detach --no-deps proxy",
                "probes",
            ],
            Effects());
        Assert.Contains(_session.Messages, m => m.StartsWith("Backup: postgres was not running before this deploy (first deploy)", StringComparison.Ordinal));

        // api and worker wait only for the data services, so both start at once; the new api replicas are waited for
        // before the proxy starts, and the proxy routes to both before the probes.
        var timeline = Timeline();
        // By the revealed arguments: the display string is scrubbed of every secret other tests registered, and a
        // random container ID can contain one.
        var waited = _session.Events.Where(e => e.Kind is SessionEventKind.Run or SessionEventKind.Mark or SessionEventKind.Query).ToList().FindIndex(e =>
            e.Invocation?.Arguments.Select(a => a.Reveal()).ToList() is { } args && args.Contains("inspect") && args.Contains(api[0].Id) && args.Contains(api[1].Id));
        var proxyUp = timeline.IndexOf("compose up --detach --no-deps proxy");
        Assert.InRange(waited, timeline.IndexOf("compose up --detach --no-deps --scale api=2 api") + 1, proxyUp - 1);
        Assert.InRange(timeline.LastIndexOf(Socat(_stack.Running("proxy")[0].Id, "show servers state app")), proxyUp + 1, timeline.IndexOf("probes") - 1);
        Assert.Contains(_session.Messages, m => m.StartsWith("rolling out api, worker together; traffic moves once every new container is ready and checked", StringComparison.Ordinal));

        // Every compose call sees the release's images and its override, and no call needs a drain on a first deploy.
        Assert.All(_session.Runs.Where(IsCompose), r =>
        {
            Assert.Equal(V110.Images["api"], r.Environment["API_IMAGE"].Reveal());
            Assert.Equal(V110.Images["worker"], r.Environment["WORKER_IMAGE"].Reveal());
            Assert.Equal([Path.Combine(_directory, "compose", "stack.yml"), OverrideOf("1.1.0")], FilesOf(r));
        });
        Assert.DoesNotContain(_session.Runs, r => r.Tool == "docker" && !IsCompose(r));

        var entry = Assert.Single(Entries);
        Assert.Equal(("1.1.0", "5d6e7f8", LedgerAction.Deployed, "probes passed", "ci@runner", (string?)null), (entry.Version, entry.Commit, entry.Action, entry.Details, entry.Who, entry.RolledBackTo));
        Assert.Equal(V110.Images, entry.Images);
    }

    [Fact]
    public async Task A_deploy_says_where_its_time_went_phase_by_phase()
    {
        Running(V100);

        // The first new api answers its readiness checks 503 three times (three polls in the rollout), and the previous
        // api holds two sessions (two drain polls in the retirement).
        var refused = 0;
        _stack.DirectStatus = (container, _) => container.Image == V110.Images["api"] && Interlocked.Increment(ref refused) <= 3 ? 503 : 200;
        _stack.HoldSessions(_stack.SlotOf(_stack.Running("api")[0]), 2);
        var deployment = Deployment with { ReadinessPath = "/health/ready", RoutedPort = 8080 };

        var outcome = await Deployer(deployment: deployment).DeployAsync(V110, "ci@runner");

        Assert.Equal(LedgerAction.Deployed, outcome.Action);
        var line = Assert.Single(_session.Messages, m => m.StartsWith("test: deployed in ", StringComparison.Ordinal));
        var match = Regex.Match(line, @"^test: deployed in (?<total>\d+\.\d) s: preparation \(backup, migrations\) (?<p>\d+\.\d) s, rollout of api, worker (?<r>\d+\.\d) s, SLO probes (?<s>\d+\.\d) s, retirement (?<t>\d+\.\d) s$");
        Assert.True(match.Success, line);
        double Of(string group) => double.Parse(match.Groups[group].Value, System.Globalization.CultureInfo.InvariantCulture);

        // The clock is frozen: only the deployer's own waits move it, and most of them are the rollout's polls. The
        // phases follow each other, so they add up to the whole (each rounded to a tenth).
        Assert.True(Of("r") >= 0.7, line);
        Assert.True(Of("t") >= 0.4, line);
        Assert.InRange(Of("p") + Of("r") + Of("s") + Of("t"), Of("total") - 0.25, Of("total") + 0.25);
        Assert.Equal(Math.Round(_time.Skipped.TotalSeconds, 1), Of("total"));
    }

    [Fact]
    public async Task The_services_retire_their_previous_containers_at_once_so_the_worker_does_not_wait_for_the_apis_sessions()
    {
        Running(V100);
        var oldApi = _stack.Running("api");
        var oldWorker = _stack.Running("worker")[0];

        // One after the other, the api's drain would wait its whole drain timeout for a session that ends only once the
        // worker is gone, and the worker would go after it.
        _stack.HoldSessionsUntil(_stack.SlotOf(oldApi[0]), () => oldWorker.Removed);

        var outcome = await Deployer().DeployAsync(V110, "ci@runner");

        Assert.Equal(LedgerAction.Deployed, outcome.Action);
        var effects = Effects();
        Assert.InRange(effects.IndexOf($"docker container rm --force {oldWorker.Id}"), effects.IndexOf("probes") + 1, effects.IndexOf($"docker container stop --time 30 {oldApi[0].Id} {oldApi[1].Id}") - 1);
        Assert.Contains(_session.Messages, m => m.StartsWith("drained api1, api2 in ", StringComparison.Ordinal) && !m.Contains("in 15.0 s", StringComparison.Ordinal));


        // The drain knows the proxy and the old slots from the traffic move: it lists neither again.
        var afterProbes = Timeline().SkipWhile(e => e != "probes").ToList();
        Assert.DoesNotContain(afterProbes, e => e.Contains("show servers state", StringComparison.Ordinal) || e.Contains("com.docker.compose.service=proxy", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_failure_while_retiring_the_previous_containers_leaves_the_release_serving_and_names_what_is_left()
    {
        Running(V100);
        var oldApi = _stack.Running("api");
        var oldWorker = _stack.Running("worker")[0];

        // The probes passed; the worker's previous container is gone, and the proxy stops answering while the api drains.
        // The api's session ends only once a call found the runtime API down: one flag read twice (is the API down? is
        // the session over?) would let a removal between the two reads end the session with the API still up.
        // The drain's time limit is out of reach: the clock moves only by the drain's pauses, and a busy test run could
        // otherwise spin through them before the worker's retirement, on another thread, removed its container.
        var down = false;
        _stack.RuntimeApiDownWhen = () => down = down || oldWorker.Removed;
        _stack.HoldSessionsUntil(_stack.SlotOf(oldApi[0]), () => Volatile.Read(ref down));

        var outcome = await Deployer(deployment: Deployment with { DrainTimeout = TimeSpan.FromDays(1) }).DeployAsync(V110, "ci@runner");

        // Switching back would leave the worker with no container at all: the release stays, as its probes said.
        Assert.Equal(LedgerAction.Deployed, outcome.Action);
        Assert.Equal([V110.Images["worker"]], _stack.Running("worker").Select(c => c.Image));
        Assert.Equal(2, _stack.Running("api").Count(c => c.Image == V110.Images["api"]));
        Assert.All(oldApi, c => Assert.Equal("running", c.Status));
        var warning = Assert.Single(_session.Events, e => e.Kind == SessionEventKind.Warning && e.Text.StartsWith("api: ", StringComparison.Ordinal)).Text;
        Assert.Contains("serves and passed its probes, but retiring its 2 previous container(s) failed: the proxy's runtime API did not answer", warning, StringComparison.Ordinal);
        Assert.EndsWith($"container rm --force {oldApi[0].Id} {oldApi[1].Id}", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_drain_the_proxy_refuses_while_retiring_is_reported_with_its_answer_not_the_statistics_after_it()
    {
        Running(V100);
        var oldApi = _stack.Running("api");

        // Once the probes ran (their one verdict taken), HAProxy refuses the drains; the show stat in the same exec answers.
        _verdicts.Enqueue(new ProbeVerdict(true, "api-ready  10/10  p95 12 ms  ok\n", []));
        _stack.DrainRefusedWhen = () => _verdicts.Count == 0;

        var outcome = await Deployer().DeployAsync(V110, "ci@runner");

        Assert.Equal(LedgerAction.Deployed, outcome.Action);
        Assert.All(oldApi, c => Assert.Equal("running", c.Status));
        var warning = Assert.Single(_session.Events, e => e.Kind == SessionEventKind.Warning && e.Text.StartsWith("api: ", StringComparison.Ordinal)).Text;
        Assert.Contains("retiring its 2 previous container(s) failed: the proxy refused 'set server app/api1 state drain; set server app/api2 state drain; show stat': No such server.", warning, StringComparison.Ordinal);
        Assert.DoesNotContain("pxname", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_second_deploy_backs_up_starts_new_beside_old_drains_the_old_slots_and_stops_them()
    {
        Running(V100);
        var database = _stack.Running("postgres")[0];
        var proxy = _stack.Running("proxy")[0];
        var oldApi = _stack.Running("api");
        var oldSlots = oldApi.Select(_stack.SlotOf).ToList();
        var oldWorker = _stack.Running("worker")[0];
        _stack.HoldSessions(oldSlots[0], 1);

        var outcome = await Deployer().DeployAsync(V110, "ci@runner");

        Assert.Equal(LedgerAction.Deployed, outcome.Action);
        Assert.Equal(BackupOf("1.1.0"), outcome.Backup);
        var newApi = _stack.Running("api");
        Assert.Equal([V110.Images["api"], V110.Images["api"]], newApi.Select(c => c.Image));
        Assert.DoesNotContain(newApi, c => oldApi.Contains(c));
        Assert.Equal(["api1", "api2"], oldSlots);
        Assert.Equal(
            [
                "compose --profile migrate config --format json",
                "compose up --detach --no-deps postgres redis",
                $"backup {database.Id}",
                "compose --profile migrate run --rm migrate",
                // The free slots are held in maintenance before the new containers start: DNS gives them the new
                // addresses, but no request reaches them until traffic moves, in one command.
                "compose up --detach --no-deps proxy",
                Socat(proxy.Id, "set server app/api3 state maint; set server app/api4 state maint; set server app/api5 state maint; set server app/api6 state maint; set server app/api7 state maint; set server app/api8 state maint"),
                "compose up --detach --no-deps --no-recreate --scale api=4 api",

                // The worker does not wait for the api (depends_on): its new container starts at once, and traffic moves
                // once both are ready.
                "compose up --detach --no-deps --no-recreate --scale worker=2 worker",
                Socat(proxy.Id, "set server app/api3 weight 100%; set server app/api4 weight 100%; set server app/api3 state ready; set server app/api4 state ready; set server app/api1 state drain; set server app/api2 state drain"),

                // The worker's traffic is its queue: the previous worker is paused, so the probes judge the new one alone.
                $"docker container pause {oldWorker.Id}",

                // The previous containers ran (drained) until the probes passed: only then are they stopped.
                "probes",
            ],
            Effects().TakeWhile(e => e != "probes").Append("probes"));

        // Each service retires its previous containers, the services at once: the api's wait for its sessions to end does
        // not hold up the worker. Within a service, the order is fixed.
        var retired = Effects().SkipWhile(e => e != "probes").Skip(1).ToList();
        List<string> api =
        [
            // The drains and the first look at the sessions, in one exec.
            Socat(proxy.Id, "set server app/api1 state drain; set server app/api2 state drain; show stat"),
            $"docker container stop --time 30 {oldApi[0].Id} {oldApi[1].Id}",
            $"docker container rm --force {oldApi[0].Id}",
            $"docker container rm --force {oldApi[1].Id}",

            // No "state ready" here: HAProxy still holds the removed addresses for a few seconds. A drained slot
            // is readied when a new container takes its address (see the test of a slot left drained).
        ];
        List<string> worker =
        [
            // The paused worker is resumed first, so it takes SIGTERM and finishes its job.
            $"docker container unpause {oldWorker.Id}",
            $"docker container stop --time 30 {oldWorker.Id}",
            $"docker container rm --force {oldWorker.Id}",
        ];
        Assert.Equal(api, retired.Where(api.Contains));
        Assert.Equal(worker, retired.Where(worker.Contains));
        Assert.Equal(api.Count + worker.Count, retired.Count);

        // The old api1 still had sessions: the stop waited for show stat to report none (the drain's own look, then one
        // pause and one more poll).
        var timeline = Timeline();
        var drained = timeline.IndexOf(Socat(proxy.Id, "set server app/api1 state drain; set server app/api2 state drain; show stat"));
        var stop = timeline.IndexOf($"docker container stop --time 30 {oldApi[0].Id} {oldApi[1].Id}");
        Assert.Equal(1, timeline.Skip(drained).Take(stop - drained).Count(t => t == Socat(proxy.Id, "show stat")));
        Assert.Equal([TimeSpan.FromMilliseconds(500)], _time.Delays);

        var entry = Entries[^1];
        Assert.Equal(("1.1.0", LedgerAction.Deployed, "probes passed; backup test-20260308T090000Z-1.1.0.dump"), (entry.Version, entry.Action, entry.Details));
        Assert.Equal(2, Entries.Count);
    }

    [Fact]
    public async Task A_failed_migration_aborts_before_any_app_container_changes_and_the_ledger_names_the_backup()
    {
        Running(V100);
        _stack.MigrationExitCode = 1;
        var before = _stack.Containers.Where(c => !c.Removed).Select(c => (c.Id, c.Status)).ToList();

        var outcome = await Deployer().DeployAsync(V110, "ci@runner");

        Assert.Equal(LedgerAction.Aborted, outcome.Action);
        Assert.Contains("the migrate one-off exited with 1: Npgsql.PostgresException (0x80004005): 42P07: relation \"ix_orders_status\" already exists", outcome.Summary, StringComparison.Ordinal);
        Assert.Equal(BackupOf("1.1.0"), outcome.Backup);
        Assert.Equal(
            [
                "compose --profile migrate config --format json",
                "compose up --detach --no-deps postgres redis",
                $"backup {_stack.Running("postgres")[0].Id}",
                "compose --profile migrate run --rm migrate",
            ],
            Effects());
        Assert.DoesNotContain(_session.Runs, r => Short(r).StartsWith("compose up", StringComparison.Ordinal) && r.Arguments[^1].Reveal() is "api" or "worker" or "proxy");
        Assert.Equal(before, _stack.Containers.Where(c => !c.Removed).Select(c => (c.Id, c.Status)));

        var entry = Entries[^1];
        Assert.Equal(("1.1.0", LedgerAction.Aborted), (entry.Version, entry.Action));
        Assert.Contains("backup test-20260308T090000Z-1.1.0.dump", entry.Details, StringComparison.Ordinal);
        Assert.Equal(V100.Version, Ledger.LastGood()!.Version);
    }

    [Fact]
    public async Task Failed_probes_switch_traffic_back_to_the_warm_previous_containers_and_remove_the_new_ones()
    {
        Running(V100);
        var proxy = _stack.Running("proxy")[0];
        var oldApi = _stack.Running("api").Select(c => c.Id).ToList();
        var oldWorker = _stack.Running("worker").Select(c => c.Id).ToList();
        _verdicts.Enqueue(new ProbeVerdict(false, "api-orders  10/10  p95 1840 ms  FAILED\n", ["api-orders: p95 1840 ms is above 500 ms"]));

        var outcome = await Deployer().DeployAsync(V110, "ci@runner");

        Assert.Equal(LedgerAction.RolledBack, outcome.Action);
        Assert.False(outcome.Succeeded);
        Assert.Contains("Rolled back automatically: traffic switched back to 1.0.0 (kept running, drained, since traffic moved)", outcome.Summary, StringComparison.Ordinal);

        // No redeploy: the previous containers never stopped; one command gave them the traffic back, before the new
        // ones were removed. Nothing was started, backed up or migrated again.
        var effects = Effects();
        var switchBack = effects.IndexOf(Socat(proxy.Id, "set server app/api1 state ready; set server app/api2 state ready; set server app/api3 state maint; set server app/api4 state maint; set server app/api1 weight 100%; set server app/api2 weight 100%"));
        Assert.InRange(switchBack, effects.IndexOf("probes") + 1, effects.FindIndex(e => e.StartsWith("docker container stop", StringComparison.Ordinal)) - 1);
        Assert.Single(effects, e => e.StartsWith("compose up --detach --no-deps --no-recreate --scale api=", StringComparison.Ordinal));
        Assert.Single(effects, e => e == "probes");
        Assert.Equal(1, _session.Runs.Count(r => Short(r) == "compose --profile migrate run --rm migrate"));
        Assert.Contains(_session.Events, e => e.Kind == SessionEventKind.Info && e.Text.StartsWith("api: traffic switched back to api1, api2 (previous): decided at ", StringComparison.Ordinal));

        Assert.Equal(oldApi, _stack.Running("api").Select(c => c.Id));
        Assert.Equal(oldWorker, _stack.Running("worker").Select(c => c.Id));
        Assert.All(_stack.Containers.Where(c => c.Image == V110.Images["api"] || c.Image == V110.Images["worker"]), c => Assert.True(c.Removed));

        // The previous worker was paused while the probes ran (it took none of their work) and resumed before the new one went.
        var paused = effects.IndexOf($"docker container pause {oldWorker[0]}");
        var resumed = effects.IndexOf($"docker container unpause {oldWorker[0]}");
        Assert.InRange(paused, effects.IndexOf("compose up --detach --no-deps --no-recreate --scale worker=2 worker") + 1, effects.IndexOf("probes") - 1);
        Assert.InRange(resumed, effects.IndexOf("probes") + 1, effects.FindIndex(e => e.StartsWith("docker container stop", StringComparison.Ordinal)) - 1);
        Assert.Contains(_session.Messages, m => m == "worker: the 1 previous container(s) resumed and take the work again");
        // The pause is one command per container and retried when runc's freezer raced (seen in CI), not otherwise.
        var pause = _session.Runs.Single(r => Short(r) == $"docker container pause {oldWorker[0]}");
        Assert.Same(ComposeDeployer.FreezeRace, pause.Retry);

        Assert.Equal(
            [("1.0.0", LedgerAction.Deployed, (string?)null), ("1.1.0", LedgerAction.Failed, null), ("1.1.0", LedgerAction.RolledBack, "1.0.0")],
            Entries.Select(e => (e.Version, e.Action, e.RolledBackTo)));
        Assert.Equal("the SLO probes failed: api-orders: p95 1840 ms is above 500 ms", Entries[1].Details);
        Assert.Equal(V100.Version, Ledger.LastGood()!.Version);
    }

    [Fact]
    public async Task A_switch_back_to_containers_no_ledger_entry_describes_is_recorded_as_failed_not_as_a_rollback_to_nothing()
    {
        // A stack Slipway did not deploy (adopted, or its ledger lost): the containers that served still take the traffic
        // back, but there is no revision to name as the one rolled back to.
        Running(V100, inLedger: false);
        var oldApi = _stack.Running("api").Select(c => c.Id).ToList();
        _verdicts.Enqueue(new ProbeVerdict(false, "api-orders  10/10  p95 1840 ms  FAILED\n", ["api-orders: p95 1840 ms is above 500 ms"]));

        var outcome = await Deployer().DeployAsync(V110, "ci@runner");

        Assert.Equal(LedgerAction.Failed, outcome.Action);
        Assert.Contains("traffic switched back to the containers that ran before (no good release in the ledger)", outcome.Summary, StringComparison.Ordinal);
        Assert.Equal(oldApi, _stack.Running("api").Select(c => c.Id));
        Assert.All(Entries, e => Assert.Equal(("1.1.0", LedgerAction.Failed, (string?)null), (e.Version, e.Action, e.RolledBackTo)));
        Assert.Null(Ledger.LastGood());
    }

    [Fact]
    public async Task A_service_others_call_by_name_is_never_paused_only_a_declared_worker_is()
    {
        // Not routed by the proxy, but called by name (a backend behind a frontend): paused, it would still be in the
        // network's DNS and its callers would hang on it. Only role: worker pauses.
        Running(V100);
        var backend = Deployment with { Services = [Deployment.Services[0], Deployment.Services[1] with { Worker = false }] };

        var outcome = await Deployer(deployment: backend).DeployAsync(V110, "ci@runner");

        Assert.True(outcome.Succeeded, outcome.Summary);
        Assert.DoesNotContain(Effects(), e => e.StartsWith("docker container pause", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_worker_a_killed_run_left_paused_is_not_paused_again_and_is_resumed_before_its_graceful_stop()
    {
        Running(V100);
        var oldWorker = _stack.Running("worker")[0];
        oldWorker.Status = "paused";

        var outcome = await Deployer().DeployAsync(V110, "ci@runner");

        Assert.True(outcome.Succeeded, outcome.Summary);
        var effects = Effects();
        Assert.DoesNotContain(effects, e => e.StartsWith("docker container pause", StringComparison.Ordinal));
        Assert.InRange(effects.IndexOf($"docker container unpause {oldWorker.Id}"), effects.IndexOf("probes") + 1, effects.IndexOf($"docker container stop --time 30 {oldWorker.Id}") - 1);
    }

    [Fact]
    public async Task Unhealthy_new_containers_are_removed_and_the_old_ones_keep_serving_untouched()
    {
        Running(V100);
        var old = _stack.Running("api");
        _stack.HealthOfNew["api"] = "unhealthy";

        var outcome = await Deployer().DeployAsync(V110, "ci@runner");

        Assert.Equal(LedgerAction.Failed, outcome.Action);
        Assert.Contains("No traffic moved", outcome.Summary, StringComparison.Ordinal);
        var fresh = _stack.Containers.Where(c => c.Service == "api" && c.Image == V110.Images["api"]).ToList();
        Assert.Equal(2, fresh.Count);
        Assert.Contains($"container {fresh[0].Name} is unhealthy; last health check: Unhealthy: postgres: connection refused. See: docker logs {fresh[0].Name}", outcome.Summary, StringComparison.Ordinal);
        // The worker started its new container at the same time (it does not wait for the api), and it goes too: the
        // previous worker never stopped taking work.
        var oldWorker = Assert.Single(_stack.Running("worker"), c => c.Image == V100.Images["worker"]);
        var freshWorker = Assert.Single(_stack.Containers, c => c.Service == "worker" && c.Image == V110.Images["worker"]);
        Assert.Equal(
            [
                "compose up --detach --no-deps --no-recreate --scale api=4 api",
                "compose up --detach --no-deps --no-recreate --scale worker=2 worker",
                $"docker container stop --time 30 {freshWorker.Id}",
                $"docker container rm --force {freshWorker.Id}",
                $"docker container stop --time 30 {fresh[0].Id} {fresh[1].Id}",
                $"docker container rm --force {fresh[0].Id}",
                $"docker container rm --force {fresh[1].Id}",
            ],
            Effects().SkipWhile(e => !e.StartsWith("compose up --detach --no-deps --no-recreate", StringComparison.Ordinal)));
        Assert.All(fresh.Append(freshWorker), c => Assert.True(c.Removed));
        Assert.Equal(old, _stack.Running("api"));
        Assert.Equal([oldWorker], _stack.Running("worker"));
        Assert.DoesNotContain(_session.Runs, r => r.Arguments.Any(a => a.Reveal() == "pause"));
        Assert.DoesNotContain(_session.Invocations, i => i.Arguments.Any(a => a.Reveal() is var id && old.Any(c => c.Id == id)) && i.Arguments.Any(a => a.Reveal() is "stop" or "rm"));

        Assert.Equal([("1.0.0", LedgerAction.Deployed), ("1.1.0", LedgerAction.Failed)], Entries.Select(e => (e.Version, e.Action)));
    }

    [Fact]
    public async Task A_dry_run_prints_the_steps_once_asks_the_host_nothing_waits_for_nothing_and_records_nothing()
    {
        Running(V100);
        var ledgerBefore = File.ReadAllText(Ledger.Path);
        var before = _stack.Containers.Select(c => (c.Id, c.Status, c.Removed)).ToList();

        var outcome = await Deployer(dryRun: true).DeployAsync(V110, "ci@runner");

        Assert.Equal("dry run: nothing deployed", outcome.Summary);
        Assert.Equal(
            [
                "compose --profile migrate config --format json",
                "compose up --detach --no-deps postgres redis",
                "compose --profile migrate run --rm migrate",
                "compose up --detach --no-deps --no-recreate --scale 'api=<count of the api containers running then + 2 from docker container ls>' api",
                "compose up --detach --no-deps proxy",
                "docker container stop --time 30 '<ids of the api containers running then from docker container ls>'",
                "docker container rm --force '<ids of the api containers running then from docker container ls>'",
                "compose up --detach --no-deps --no-recreate --scale 'worker=<count of the worker containers running then + 1 from docker container ls>' worker",
                "docker container pause '<ids of the worker containers running then from docker container ls>'",
                "docker container unpause '<ids of the worker containers running then from docker container ls>'",
                "docker container stop --time 30 '<ids of the worker containers running then from docker container ls>'",
                "docker container rm --force '<ids of the worker containers running then from docker container ls>'",
            ],
            Effects());
        Assert.DoesNotContain(_session.Events, e => e.Kind == SessionEventKind.Query);
        Assert.Contains(_session.Messages, m => m.Contains("those of <the api containers running then> state drain), <the api containers running then> kept running, drained", StringComparison.Ordinal));
        Assert.Contains(_session.Messages, m => m.Contains("if they fail, traffic switches back to <the api containers running then>", StringComparison.Ordinal));
        Assert.Empty(_time.Delays);
        Assert.Equal(ledgerBefore, File.ReadAllText(Ledger.Path));
        Assert.Equal(before, _stack.Containers.Select(c => (c.Id, c.Status, c.Removed)));
    }

    [Fact]
    public async Task When_the_proxy_runtime_API_does_not_answer_the_new_containers_are_removed_and_the_reason_is_given()
    {
        Running(V100);
        var old = _stack.Running("api");
        _stack.RuntimeApiDownWhen = () => true;

        var outcome = await Deployer().DeployAsync(V110, "ci@runner");

        Assert.Equal(LedgerAction.Failed, outcome.Action);
        Assert.Contains("the proxy's runtime API did not answer 'show servers state app': 2026/03/08 09:00:00 socat[17] E connect", outcome.Summary, StringComparison.Ordinal);
        Assert.Contains("No traffic moved", outcome.Summary, StringComparison.Ordinal);
        Assert.All(_stack.Containers.Where(c => c.Image == V110.Images["api"]), c => Assert.True(c.Removed));
        Assert.Equal(old, _stack.Running("api"));
    }

    [Fact]
    public async Task When_the_proxy_cannot_start_on_a_first_deploy_the_new_containers_are_removed()
    {
        var deployer = Deployer();
        _session.On(@" up --detach --no-deps proxy$", 1, stderr: " Container slipway-test-proxy-1  Starting\nError response from daemon: driver failed programming external connectivity on endpoint slipway-test-proxy-1 (5c1e0f3a): Bind for 127.0.0.1:8080 failed: port is already allocated\n");

        var outcome = await deployer.DeployAsync(V110, "ci@runner");

        Assert.Equal(LedgerAction.Failed, outcome.Action);
        Assert.Contains("port is already allocated", outcome.Summary, StringComparison.Ordinal);
        var fresh = _stack.Containers.Where(c => c.Service == "api").ToList();
        Assert.Equal(2, fresh.Count);
        Assert.All(fresh, c => Assert.True(c.Removed));
        Assert.Contains($"docker container stop --time 30 {fresh[0].Id} {fresh[1].Id}", Effects());
    }

    [Fact]
    public async Task A_rollback_to_a_release_without_an_image_for_a_newer_service_fails_and_is_recorded_instead_of_throwing()
    {
        // 1.0.0 had no worker yet; 1.1.0 adds it.
        var api = new ComposeRelease("1.0.0", "1a2b3c4", new Dictionary<string, string> { ["api"] = V100.Images["api"] });
        _stack.Start("postgres", "postgres:15");
        _stack.Start("redis", "redis:7");
        _stack.Start("api", api.Images["api"]);
        _stack.Start("proxy", "haproxy:2.6");
        Ledger.Append(new LedgerEntry("test", api.Version, api.Commit, api.Images, "ci@runner", DateTimeOffset.UnixEpoch, LedgerAction.Deployed, "probes passed", TimeSpan.FromMinutes(1)));

        var outcome = await Deployer().RollbackAsync(api, Entries[^1], "ci@runner");

        Assert.Equal(LedgerAction.Failed, outcome.Action);
        Assert.Contains("Rollback to 1.0.0 failed (preparation (compose config, data services)): release 1.0.0 has no image for worker", outcome.Summary, StringComparison.Ordinal);
        Assert.Equal(
            [("1.0.0", LedgerAction.Deployed), ("1.0.0", LedgerAction.Failed)],
            Entries.Select(e => (e.Version, e.Action)));
    }

    [Fact]
    public async Task New_containers_that_stay_starting_time_out_after_the_health_timeout_on_the_clock_without_waiting()
    {
        Running(V100);
        _stack.HealthOfNew["api"] = "starting";
        var deployment = Deployment with { Rollout = new RolloutSettings { HealthTimeout = Duration.Parse("30s") } };

        var outcome = await Deployer(deployment: deployment).DeployAsync(V110, "ci@runner");

        Assert.Equal(LedgerAction.Failed, outcome.Action);
        var fresh = _stack.Containers.Where(c => c.Image == V110.Images["api"]).ToList();
        Assert.Contains($"api: not healthy within 30s (rollout.health_timeout): {fresh[0].Name} (starting), {fresh[1].Name} (starting)", outcome.Summary, StringComparison.Ordinal);
        Assert.All(fresh, c => Assert.True(c.Removed));

        // Polled every 500 ms until the clock passed 30 s: 61 pauses, none of them real.
        Assert.Equal(Enumerable.Repeat(TimeSpan.FromMilliseconds(500), 61), _time.Delays);
        Assert.Equal(62, _session.Invocations.Count(i => Short(i) == $"docker container inspect {fresh[0].Id} {fresh[1].Id}"));
    }

    [Fact]
    public async Task A_slot_left_drained_by_an_interrupted_run_is_made_ready_when_a_new_container_gets_its_address()
    {
        Running(V100);
        var proxy = _stack.Running("proxy")[0];
        _stack.Drain("api3");

        var outcome = await Deployer().DeployAsync(V110, "ci@runner");

        Assert.Equal(LedgerAction.Deployed, outcome.Action);
        Assert.Contains(Socat(proxy.Id, "set server app/api3 weight 100%; set server app/api4 weight 100%; set server app/api3 state ready; set server app/api4 state ready; set server app/api1 state drain; set server app/api2 state drain"), Effects());
        Assert.DoesNotContain("api3", _stack.Maintenance);
    }

    [Fact]
    public async Task A_manual_rollback_takes_the_zero_downtime_path_with_a_backup_but_no_migration_and_records_what_it_replaced()
    {
        Running(V100);
        Assert.True((await Deployer().DeployAsync(V110, "ci@runner")).Succeeded);
        var target = ComposeRelease.From(Ledger.LastGoodExcept("1.1.0")!);

        var outcome = await Deployer().RollbackAsync(target, Ledger.LastGood(), "ops@laptop");

        Assert.Equal(LedgerAction.RolledBack, outcome.Action);
        Assert.Equal("test runs 1.0.0 again: every service healthy, probes passed.", outcome.Summary);
        Assert.DoesNotContain(_session.Runs, r => r.Arguments.Any(a => a.Reveal() == "run"));
        Assert.Contains(Effects(), e => e.StartsWith("backup ", StringComparison.Ordinal));
        Assert.Equal([V100.Images["api"], V100.Images["api"]], _stack.Running("api").Select(c => c.Image));
        var entry = Entries[^1];
        Assert.Equal(("1.1.0", "5d6e7f8", LedgerAction.RolledBack, "1.0.0", "ops@laptop"), (entry.Version, entry.Commit, entry.Action, entry.RolledBackTo, entry.Who));
        Assert.Equal("1.0.0", Ledger.LastGood()!.Version);
    }

    [Fact]
    public async Task A_configuration_only_failure_rolls_back_to_the_previous_revision_of_the_same_version_with_its_kept_override()
    {
        Running(V100);
        var good = V110 with { Revision = new ReleaseRevision("aaaaaaaaaaaa", "config-before") };
        var broken = V110 with { Revision = new ReleaseRevision("bbbbbbbbbbbb", "config-after") };
        Assert.True((await Deployer().DeployAsync(good, "ci@runner")).Succeeded);
        _verdicts.Enqueue(new ProbeVerdict(false, "api-orders  0/10  FAILED\n", ["api-orders: 10 of 10 requests failed"]));

        var outcome = await Deployer().DeployAsync(broken, "ci@runner");

        Assert.Equal(LedgerAction.RolledBack, outcome.Action);
        Assert.Contains("Rolled back automatically: traffic switched back to 1.1.0 (rev aaaaaaaaaaaa) (kept running, drained, since traffic moved)", outcome.Summary, StringComparison.Ordinal);
        Assert.Equal(
            [("1.1.0", LedgerAction.Deployed, "aaaaaaaaaaaa", (string?)null), ("1.1.0", LedgerAction.Failed, "bbbbbbbbbbbb", null), ("1.1.0", LedgerAction.RolledBack, "bbbbbbbbbbbb", "aaaaaaaaaaaa")],
            Entries.Skip(1).Select(e => (e.Version, e.Action, e.RevisionId, e.RolledBackToRevision)));
        Assert.Equal("config-after", Entries[2].ConfigurationHash);
        Assert.Equal("aaaaaaaaaaaa", Ledger.LastGood()!.RevisionId);
    }

    [Fact]
    public async Task The_guard_in_the_proxy_switches_back_by_itself_when_the_new_answers_break_the_error_budget()
    {
        Running(V100);
        var oldApi = _stack.Running("api").Select(c => c.Id).ToList();
        _stack.GuardTrips = true;

        var outcome = await Deployer(deployment: Deployment with { MaxErrorRateAfterTraffic = 0 }).DeployAsync(V110, "ci@runner");

        Assert.Equal(LedgerAction.RolledBack, outcome.Action);
        Assert.Contains("api: the new container(s) answered 3 of 4 request(s) with 5xx after traffic moved, beyond the error budget; the proxy switched back at 2026-03-08T09:00:10.120Z", outcome.Summary, StringComparison.Ordinal);

        // Started before traffic moved, counting from the new slots' counters then (0 errors of 80 answers), with the
        // switch back it sends itself; the deployer sends it no second time.
        var guard = Assert.Single(_stack.Guards);
        Assert.Equal(["app", "/var/run/haproxy/admin.sock", "0", "0", "80", "/tmp/slipway-guard-app"], guard[..6]);

        // The slots it watches and the counters it counts from are one snapshot: one exec, the last before it starts.
        var timeline = Timeline();
        var started = timeline.FindIndex(e => e.StartsWith("docker exec ", StringComparison.Ordinal) && e.Contains(" bash -c ", StringComparison.Ordinal));
        Assert.True(started > 0, string.Join("\n", timeline));
        Assert.Equal(Socat(_stack.Running("proxy")[0].Id, "show servers state app; show stat"), timeline[started - 1]);
        Assert.Equal(
            [
                "600", "api3,api4",
                "set server app/api1 state ready; set server app/api2 state ready; set server app/api3 state maint; set server app/api4 state maint; set server app/api1 weight 100%; set server app/api2 weight 100%",
                "1000", "5",
                "set server app/api3 weight 100%; set server app/api4 weight 100%; set server app/api3 state ready; set server app/api4 state ready; set server app/api1 state drain; set server app/api2 state drain",
            ],
            guard[7..]);
        Assert.Equal(1, _stack.Commands.Count(c => c == "set server app/api1 state ready"));

        // It tripped in the first traffic step (20 %: two previous slots at weight 4, two new at 1): the rest never moved,
        // and the previous slots serve at their configured weight again.
        Assert.Equal(["set server app/api1 weight 4", "set server app/api2 weight 4", "set server app/api3 weight 1", "set server app/api4 weight 1", "set server app/api3 state ready"], _stack.Commands.SkipWhile(c => !c.EndsWith("weight 4", StringComparison.Ordinal)).Take(5));
        var moved = _stack.Commands.IndexOf("set server app/api3 state ready");
        Assert.True(moved > 0 && _stack.Commands.LastIndexOf("set server app/api3 state maint") > moved);
        Assert.DoesNotContain("set server app/api1 state drain", _stack.Commands);
        Assert.Equal("100%", _stack.Weights["api1"]);

        Assert.Equal(oldApi, _stack.Running("api").Select(c => c.Id));
        Assert.Contains("0.020 s after the decision", Entries[^1].Details, StringComparison.Ordinal);
        Assert.Equal((LedgerAction.RolledBack, "1.0.0"), (Entries[^1].Action, Entries[^1].RolledBackTo));
    }

    [Fact]
    public async Task A_guarded_rolling_deploy_moves_a_fifth_of_the_traffic_first_and_the_guard_moves_the_rest()
    {
        Running(V100);
        var proxy = _stack.Running("proxy")[0];

        var outcome = await Deployer(deployment: Deployment with { MaxErrorRateAfterTraffic = 0 }).DeployAsync(V110, "ci@runner");

        Assert.True(outcome.Action == LedgerAction.Deployed, outcome.Summary);

        // The deployer sends the first step; the guard, which alone could switch back meanwhile, sends the rest: the
        // probes after traffic start only once it did.
        Assert.Contains(Socat(proxy.Id, "set server app/api1 weight 4; set server app/api2 weight 4; set server app/api3 weight 1; set server app/api4 weight 1; set server app/api3 state ready; set server app/api4 state ready"), Effects());
        Assert.DoesNotContain(Effects().TakeWhile(e => e != "probes"), e => e.Contains(" socat stdio ", StringComparison.Ordinal) && e.Contains("state drain; ", StringComparison.Ordinal));
        var rest = _stack.Commands.IndexOf("set server app/api1 state drain");
        Assert.True(rest > _stack.Commands.IndexOf("set server app/api3 state ready"), string.Join("\n", _stack.Commands));
        Assert.Equal(("100%", "100%"), (_stack.Weights["api3"], _stack.Weights["api4"]));
        var said = _session.Messages.ToList();
        var first = said.FindIndex(m => m.StartsWith("api: traffic moved at ", StringComparison.Ordinal) && m.Contains("to api3, api4 (new), 20 % first: the proxy moves the rest once they answered 5 requests or after 1 s", StringComparison.Ordinal));
        var second = said.IndexOf("api: the proxy moved the rest of the traffic at 2026-03-08T09:00:10.050Z; api1, api2 (previous) drained, kept running");
        Assert.True(first >= 0 && second > first, string.Join("\n", said));
        var read = Timeline().FindIndex(e => e.Contains(" slipway-wait-rest /tmp/slipway-guard-app.rest ", StringComparison.Ordinal));
        Assert.True(read > 0 && Timeline().IndexOf("probes") > read, string.Join("\n", Timeline()));
    }

    [Fact]
    public async Task A_rest_file_left_by_an_earlier_guard_does_not_count_and_a_guard_that_ended_leaves_the_deployer_to_move_the_rest()
    {
        Assert.True(ProxyTrafficGuard.MovedTheRest("abc123 2026-03-08T09:00:10.050Z 5 \n", "abc123"));
        Assert.False(ProxyTrafficGuard.MovedTheRest("0ld0ld 2026-03-08T09:00:10.050Z 5 \n", "abc123"));
        Assert.False(ProxyTrafficGuard.MovedTheRest(string.Empty, "abc123"));

        Running(V100);
        _stack.GuardLeavesTheRest = true;

        var outcome = await Deployer(deployment: Deployment with { MaxErrorRateAfterTraffic = 0 }).DeployAsync(V110, "ci@runner");

        Assert.True(outcome.Action == LedgerAction.Deployed, outcome.Summary);
        Assert.Contains("api: the guard ended before it moved the rest of the traffic; moved now, api1, api2 (previous) drained, kept running", _session.Messages);
        Assert.Equal(("100%", "100%"), (_stack.Weights["api3"], _stack.Weights["api4"]));
        Assert.Contains("set server app/api1 state drain", _stack.Commands);
    }

    [Fact]
    public async Task A_guard_that_neither_moves_the_rest_nor_ends_is_stopped_and_the_traffic_switched_back_before_the_deploy_fails()
    {
        Running(V100);
        var oldApi = _stack.Running("api").Select(c => c.Id).ToList();
        _stack.GuardLeavesTheRest = true;
        var deployment = Deployment with { MaxErrorRateAfterTraffic = 0, Rollout = new RolloutSettings { HealthTimeout = Duration.Parse("5s") } };

        var outcome = await Deployer(deployment: deployment, around: session => new GuardThatKeepsRunning(session)).DeployAsync(V110, "ci@runner");

        Assert.NotEqual(LedgerAction.Deployed, outcome.Action);
        Assert.Contains("api: the proxy's guard did not move the rest of the traffic within 1 s + 5s (rollout.health_timeout)", outcome.Summary, StringComparison.Ordinal);

        // It waited 1 s + the health timeout, reading the rest file again 100 ms after each read that did not find it (a
        // read waits up to 0.5 s in the proxy's container; the frozen clock sees only the pauses); then stopped the guard
        // (it could still have moved the rest), and only then switched back: the previous slots ready at their configured
        // weight, the new ones in maintenance, before the new containers went.
        Assert.InRange(Timeline().Count(e => e.Contains(" slipway-wait-rest /tmp/slipway-guard-app.rest ", StringComparison.Ordinal)), 60, 62);
        var effects = Effects();
        var stopped = effects.FindIndex(e => e.Contains(" rm -f /tmp/slipway-guard-app", StringComparison.Ordinal));
        var switchedBack = effects.FindIndex(e => e.StartsWith("docker exec --interactive ", StringComparison.Ordinal) && e.Contains("set server app/api1 state ready; set server app/api2 state ready; set server app/api3 state maint; set server app/api4 state maint; set server app/api1 weight 100%; set server app/api2 weight 100%", StringComparison.Ordinal));
        var removed = effects.FindIndex(e => e.Contains("container rm", StringComparison.Ordinal));
        Assert.True(stopped >= 0 && switchedBack > stopped && removed > switchedBack, string.Join("\n", effects));
        Assert.DoesNotContain("set server app/api1 state drain", _stack.Commands);
        Assert.Equal(("100%", "100%"), (_stack.Weights["api1"], _stack.Weights["api2"]));
        Assert.Equal(oldApi, _stack.Running("api").Select(c => c.Id));
    }

    [Fact]
    public async Task Traffic_moves_only_once_each_new_container_answers_the_proxy_check_path_twice_in_a_row()
    {
        Running(V100);
        var proxy = _stack.Running("proxy")[0];
        var answered = new Dictionary<string, int>(StringComparer.Ordinal);
        _stack.DirectStatus = (container, path) =>
        {
            // Just started on a busy host: the first answer of each new container is 503, the later ones 200.
            answered[container.Name] = answered.GetValueOrDefault(container.Name) + 1;
            return answered[container.Name] == 1 ? 503 : 200;
        };

        var outcome = await Deployer(deployment: Deployment with { ReadinessPath = "/health/ready", RoutedPort = 8080 }).DeployAsync(V110, "ci@runner");

        Assert.True(outcome.Action == LedgerAction.Deployed, outcome.Summary);
        var fresh = _stack.Containers.Where(c => c.Image == V110.Images["api"]).Select(c => c.Name).ToList();
        Assert.Equal(fresh.SelectMany(c => Enumerable.Repeat((c, "GET /health/ready HTTP/1.0"), 3)), _stack.DirectRequests);
        // One pause of the readiness poll after each 503 (the container is inspected during it).
        Assert.Equal([TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(250)], _time.Delays.Take(2));
        Assert.Contains(Socat(proxy.Id, "set server app/api3 weight 100%; set server app/api4 weight 100%; set server app/api3 state ready; set server app/api4 state ready; set server app/api1 state drain; set server app/api2 state drain"), Effects());
    }

    [Fact]
    public async Task Traffic_moves_once_the_proxy_check_passes_without_waiting_for_Docker_whose_verdict_still_decides_after_the_probes()
    {
        Running(V100);
        var proxy = _stack.Running("proxy")[0];
        var oldApi = _stack.Running("api").Select(c => c.Id).ToList();

        // Docker's healthcheck has not run yet (its first run is one interval after the start), and here never does.
        _stack.HealthOfNew["api"] = "starting";
        var deployment = Deployment with { ReadinessPath = "/health/ready", RoutedPort = 8080, Rollout = new RolloutSettings { HealthTimeout = Duration.Parse("30s") } };

        var outcome = await Deployer(deployment: deployment).DeployAsync(V110, "ci@runner");

        var effects = Effects();
        var moved = effects.IndexOf(Socat(proxy.Id, "set server app/api3 weight 100%; set server app/api4 weight 100%; set server app/api3 state ready; set server app/api4 state ready; set server app/api1 state drain; set server app/api2 state drain"));
        Assert.InRange(moved, 0, effects.IndexOf("probes") - 1);
        var fresh = _stack.Containers.Where(c => c.Image == V110.Images["api"]).ToList();
        Assert.Equal(LedgerAction.RolledBack, outcome.Action);
        Assert.Contains($"api: not healthy within 30s (rollout.health_timeout): {fresh[0].Name} (starting)", outcome.Summary, StringComparison.Ordinal);
        Assert.Equal(oldApi, _stack.Running("api").Select(c => c.Id));
    }

    [Fact]
    public async Task A_new_container_Docker_finds_unhealthy_fails_the_proxy_check_wait_at_once()
    {
        Running(V100);
        _stack.HealthOfNew["api"] = "unhealthy";
        _stack.DirectStatus = (_, _) => 503;

        var outcome = await Deployer(deployment: Deployment with { ReadinessPath = "/health/ready", RoutedPort = 8080 }).DeployAsync(V110, "ci@runner");

        Assert.Equal(LedgerAction.Failed, outcome.Action);
        var fresh = _stack.Containers.Where(c => c.Image == V110.Images["api"]).ToList();
        Assert.Contains($"No traffic moved", outcome.Summary, StringComparison.Ordinal);
        Assert.Contains($"container {fresh[0].Name} is unhealthy", outcome.Summary, StringComparison.Ordinal);
        Assert.Equal([TimeSpan.FromMilliseconds(250)], _time.Delays);
        Assert.All(fresh, c => Assert.True(c.Removed));
    }

    [Fact]
    public async Task A_first_deploy_that_fails_its_probes_leaves_its_containers_running_since_nothing_came_before_it()
    {
        _verdicts.Enqueue(new ProbeVerdict(false, "api-orders FAILED\n", ["api-orders: p95 1125 ms exceeds 1000 ms"]));

        var outcome = await Deployer().DeployAsync(V100, "ci@runner");

        Assert.Equal(LedgerAction.Failed, outcome.Action);
        Assert.Contains("Not rolled back: there is no earlier good revision in the ledger to return to", outcome.Summary, StringComparison.Ordinal);
        Assert.Equal(2, _stack.Running("api").Count);
        Assert.Single(_stack.Running("worker"));
        Assert.DoesNotContain(Effects(), e => e.StartsWith("docker container stop", StringComparison.Ordinal));
    }

    private ComposeDeployment WithChecksBeforeTraffic => Deployment with
    {
        ChecksBeforeTraffic =
        [
            new SloProbe { Name = "api-ready", Path = "/health/ready", P95Latency = Duration.Parse("1s") },
            new SloProbe { Name = "api-orders", Path = "/orders?limit=1", P95Latency = Duration.Parse("1s") },
        ],
        RoutedPort = 8080,
    };

    [Fact]
    public async Task A_release_that_fails_its_checks_before_traffic_is_removed_unrouted_and_recorded_as_failed_before_traffic()
    {
        Running(V100);
        var old = _stack.Running("api").Select(c => c.Id).ToList();
        _stack.DirectStatus = (container, path) => container.Image == V110.Images["api"] && path.StartsWith("/orders", StringComparison.Ordinal) ? 500 : 200;

        var outcome = await Deployer(deployment: WithChecksBeforeTraffic).DeployAsync(V110, "ci@runner");

        Assert.Equal(LedgerAction.Failed, outcome.Action);
        Assert.Contains("No traffic moved: the previous release keeps serving.", outcome.Summary, StringComparison.Ordinal);
        Assert.Contains("api-orders: ", outcome.Summary, StringComparison.Ordinal);
        Assert.Contains("answered GET /orders?limit=1 with 500, 500, 500 (expected 200; 3 of 3 failed)", outcome.Summary, StringComparison.Ordinal);

        // Never routed: the free slots were held in maintenance before the new containers started, no slot was set
        // ready or drained; the new containers are gone.
        Assert.DoesNotContain(Effects(), e => e.Contains("state ready", StringComparison.Ordinal) || e.Contains("state drain", StringComparison.Ordinal));
        Assert.Superset(new HashSet<string> { "api3", "api4" }, new HashSet<string>(_stack.Maintenance));
        Assert.All(_stack.Containers.Where(c => c.Image == V110.Images["api"]), c => Assert.True(c.Removed));
        Assert.Equal(old, _stack.Running("api").Select(c => c.Id));
        Assert.DoesNotContain(_session.Events, e => e.Kind == SessionEventKind.Mark && e.Text == "probes");

        // Each new container got each probe three times, straight, before anything else happened to it.
        var fresh = _stack.Containers.Where(c => c.Image == V110.Images["api"]).Select(c => c.Name).ToList();
        Assert.Equal(2, fresh.Count);
        IEnumerable<string> perContainer = [.. Enumerable.Repeat("GET /health/ready HTTP/1.0", 3), .. Enumerable.Repeat("GET /orders?limit=1 HTTP/1.0", 3)];
        Assert.Equal(fresh.SelectMany(_ => perContainer), _stack.DirectRequests.Select(r => r.Request));
        Assert.Equal(fresh.SelectMany(c => Enumerable.Repeat(c, 6)), _stack.DirectRequests.Select(r => r.Container));

        var entry = Entries[^1];
        Assert.Equal((LedgerAction.Failed, "1.1.0"), (entry.Action, entry.Version));
        Assert.StartsWith("before traffic: the rollout failed: checks before traffic", entry.Details, StringComparison.Ordinal);
        Assert.Equal("1.0.0", Ledger.LastGood()!.Version);
    }

    [Fact]
    public async Task A_new_container_that_answers_nothing_fails_its_checks_before_traffic_with_what_the_connection_said()
    {
        Running(V100);
        _stack.DirectStatus = (container, _) => container.Image == V110.Images["api"] ? 0 : 200;

        var outcome = await Deployer(deployment: WithChecksBeforeTraffic).DeployAsync(V110, "ci@runner");

        Assert.Equal(LedgerAction.Failed, outcome.Action);
        Assert.Contains("No traffic moved: the previous release keeps serving.", outcome.Summary, StringComparison.Ordinal);
        Assert.Matches(@"answered GET /health/ready with no HTTP answer \(\S+ \S+ socat\[42\] E connect\(5, AF=2 [0-9.]+:8080, 16\): Connection refused\)", outcome.Summary);
    }

    [Fact]
    public async Task Output_of_the_checks_that_repeats_an_index_or_has_no_index_is_read_for_the_first_answer_of_each_request()
    {
        Running(V100);
        _stack.DirectAllTrailer = "0 HTTP/1.1 500 Later\nsh: warning: something else\n99999999999999999999 HTTP/1.1 200 OK\n\n";

        var outcome = await Deployer(deployment: WithChecksBeforeTraffic).DeployAsync(V110, "ci@runner");

        Assert.True(outcome.Action == LedgerAction.Deployed, outcome.Summary);
        Assert.Contains(_session.Events, e => e.Kind == SessionEventKind.Info && e.Text.StartsWith("api: checks before traffic passed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_release_that_passes_its_checks_before_traffic_rolls_out_as_usual()
    {
        Running(V100);

        var outcome = await Deployer(deployment: WithChecksBeforeTraffic).DeployAsync(V110, "ci@runner");

        Assert.True(outcome.Action == LedgerAction.Deployed, outcome.Summary);
        Assert.Equal(12, _stack.DirectRequests.Count);
        Assert.Contains(_session.Events, e => e.Kind == SessionEventKind.Info && e.Text.StartsWith("api: checks before traffic passed: 2 probe(s) on each of 2 new container(s)", StringComparison.Ordinal));
    }
}

/// <summary>
/// The guard as it runs when it hangs: started, it neither moves the rest of the traffic nor ends until its marker is
/// removed; every other command goes to the scripted session.
/// </summary>
internal sealed class GuardThatKeepsRunning(IToolSession inner) : IToolSession
{
    private readonly TaskCompletionSource<ToolResult> _guard = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsDryRun => inner.IsDryRun;

    public CancellationToken CancellationToken => inner.CancellationToken;

    public async Task<ToolResult> RunAsync(ToolInvocation invocation, bool echoOutput = true)
    {
        var result = await inner.RunAsync(invocation, echoOutput);
        var command = invocation.ToDisplayString(includeEnvironment: false);
        if (command.Contains("slipway-guard ", StringComparison.Ordinal) && !command.Contains(" rm -f ", StringComparison.Ordinal))
        {
            return await _guard.Task;
        }

        if (command.Contains(" rm -f /tmp/slipway-guard-", StringComparison.Ordinal))
        {
            _guard.TrySetResult(ScriptedToolSession.Result(0, "stopped ok 0 0\n"));
        }

        return result;
    }

    public Task<ToolResult> QueryAsync(ToolInvocation invocation) => inner.QueryAsync(invocation);

    public Task DoAsync(string description, Func<CancellationToken, Task> effect) => inner.DoAsync(description, effect);

    public void Info(string message) => inner.Info(message);

    public void Warning(string message) => inner.Warning(message);
}
