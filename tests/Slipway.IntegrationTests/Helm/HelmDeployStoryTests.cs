using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Slipway.Build;
using Slipway.Delivery;
using Slipway.Processes;
using Slipway.Tests.Support;
using Slipway.Tests.Tools;
using Slipway.Tools.Helm;
using Slipway.Tools.Kubectl;

namespace Slipway.IntegrationTests.Helm;

/// <summary>
/// The Helm driver at the command level, without Docker: <c>DeployStaging</c> and <c>Rollback</c> of the real pipeline on
/// a workspace whose staging environment deploys charts/app with Helm, through the helm/kubectl double, with the SLO
/// probes against a loopback server of the test's own that answers 500 while a "faulty" digest is in the double's cluster.
/// A deploy, a second one, one whose probes fail (rolled back automatically), one whose Deployment never gets ready
/// (Helm rolls back, then Slipway returns to the ledger's revision), a manual Rollback, and the ledger agreeing with
/// helm history throughout; for Helm 3 and Helm 4. Blue/green: the switch, the switch back, and with
/// <c>rollout.keep_previous</c> a Rollback inside the window that is the switch back, outside it helm rollback.
/// </summary>
[Collection(SerialKubeDoubleTests.Name)]
#pragma warning disable CA1001 // xunit disposes the probe server through IAsyncLifetime.DisposeAsync, which CA1001 does not see.
public sealed class HelmDeployStoryTests : IAsyncLifetime
#pragma warning restore CA1001
{
    private const string Namespace = "slipway-itest";
    private const string ConnectionString = "Host=db;Password=helm-story-s3cret";
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);
    private readonly string _root = TestPaths.NewTempDirectory();
    private LocalHttpServer _probes = null!;

    private string State => Path.Combine(_root, ".kube-double");

    private string FaultyFile => Path.Combine(_root, "faulty-digests");

    public Task InitializeAsync()
    {
        _probes = new LocalHttpServer(_ => new CannedResponse(ServesFaultyRelease() ? 500 : 200, "ok"));
        Checkout(_root);
        return Task.CompletedTask;
    }

    /// <summary>A checkout of the workspace at <paramref name="root"/>: another runner's, sharing only the double's cluster.</summary>
    private void Checkout(string root)
    {
        foreach (var directory in new[] { "environments", "charts" })
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(TestPaths.RepositoryRoot, directory), "*", SearchOption.AllDirectories))
            {
                var target = Path.Combine(root, Path.GetRelativePath(TestPaths.RepositoryRoot, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }
        }

        File.WriteAllText(Path.Combine(root, "environments", "staging.yml"), $"""
            # yaml-language-server: $schema=./environment.schema.json
            # Helm driver tests: staging on the kube double, probed on a loopback server of the test's own.
            extends: base
            trigger:
              on: branch
              pattern: main
            protection:
              require_clean_tree: false
            delivery:
              driver: helm
              compose: null
              helm:
                kube_context: {KubeDouble.Context}
                namespace: {Namespace}
                release: slipway
                chart: charts/app
                probe_url: http://{_probes.Host}
            services:
              api:
                secrets:
                  ConnectionStrings__Postgres: env:ITEST_POSTGRES_CONNECTION
            ingress:
              host: staging.slipway.test
              router: gateway
              gateway:
                name: public
                namespace: gateway-system
            slo:
              probes:
                - name: api-ready
                  path: /health/ready
                  samples: 3
                  interval: 10ms
                  p95_latency: 2s
                  max_error_rate: 0
            canary:
              steps:
                - weight: 10
                  duration: 1s
                - weight: 50
                  duration: 1s
              analysis_interval: 1s
              failure_limit: 0
            rollout:
              timeout: 2m
              health_timeout: 30s

            """);
    }

    public async Task DisposeAsync()
    {
        await _probes.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    /// <summary>
    /// True while the double's cluster serves an api image whose digest the test calls faulty: the stable Deployment's,
    /// or the canary's while the HTTPRoute sends it traffic (the worst case of the weighted split: every probe meets it).
    /// </summary>
    private bool ServesFaultyRelease()
    {
        // A configuration-only fault: the ConfigMap of the api pods that serve (the rolling release's, or the track's the
        // Service selects) tells them FAULT_MODE=errors.
        var served = (string?)ClusterObject("service", "slipway-api")?["spec"]?["selector"]?["slipway.dev/track"];
        if ((string?)ClusterObject("configmap", served is "blue" or "green" ? $"slipway-api-{served}" : "slipway-api")?["data"]?["FAULT_MODE"] == "errors")
        {
            return true;
        }

        if (!File.Exists(FaultyFile))
        {
            return false;
        }

        var faulty = File.ReadAllLines(FaultyFile);
        bool Runs(string deployment) =>
            ClusterObject("deployment", deployment) is { } node &&
            faulty.Any(d => ((string?)node["spec"]!["template"]!["spec"]!["containers"]![0]!["image"])?.EndsWith("@" + d, StringComparison.Ordinal) == true);

        // Blue/green: the Deployment of the track the Service selects.
        var track = (string?)ClusterObject("service", "slipway-api")?["spec"]?["selector"]?["slipway.dev/track"];
        return Runs(track is "blue" or "green" ? $"slipway-api-{track}" : "slipway-api") || (Runs("slipway-canary-api") && RouteBackends().Any(b => b.Service == "slipway-canary-api" && b.Weight > 0));
    }

    private JsonNode? ClusterObject(string kind, string name)
    {
        var path = Path.Combine(State, "cluster", Namespace, kind, name + ".json");
        return File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path)) : null;
    }

    /// <summary>The stable HTTPRoute's backends as the double's cluster holds them now.</summary>
    private List<(string Service, int Weight)> RouteBackends() =>
        ClusterObject("httproute", "slipway-api") is { } route
            ? [.. route["spec"]!["rules"]![0]!["backendRefs"]!.AsArray().Select(b => ((string)b!["name"]!, (int?)b["weight"] ?? 1))]
            : [];

    private static string Digest(char c) => "sha256:" + new string(c, 64);

    private void Publish(string version, char digit, string? root = null) =>
        new ReleaseManifest(version, "c0ffee" + digit, DateTimeOffset.UtcNow, "127.0.0.1:5000",
            [
                new ReleasedImage("api", "127.0.0.1:5000/slipway/api", version, Digest(digit)),
                new ReleasedImage("worker", "127.0.0.1:5000/slipway/worker", version, Digest((char)(digit + 1))),
            ]).Write(Path.Combine(root ?? _root, "artifacts", "release.json"));

    private Task<HostRun> RunAsync(string helmMajor, params string[] args) => RunInAsync(_root, helmMajor, args);

    /// <summary>Runs the pipeline in the checkout at <paramref name="root"/> (a runner), against the one double cluster.</summary>
    private async Task<HostRun> RunInAsync(string root, string helmMajor, params string[] args)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["SLIPWAY_HELM"] = KubeDouble.Helm,
            ["SLIPWAY_KUBECTL"] = KubeDouble.Kubectl,
            ["ITEST_POSTGRES_CONNECTION"] = ConnectionString,
        };
        var resolver = new ToolResolver(name => variables.TryGetValue(name, out var value) ? value : Environment.GetEnvironmentVariable(name));
        return await InProcessHost.RunAsync(
            new SlipwayPipeline(),
            [.. args, "--skip", "Restore"],
            runner: new EnvironmentAddingRunner(new ProcessRunner(resolver), KubeDouble.Variables(State, helmMajor)),
            environment: variables,
            workingDirectory: root);
    }

    private HelmReleaseHistory History()
    {
        var record = JsonNode.Parse(File.ReadAllText(Path.Combine(State, "releases", Namespace, "slipway.json")))!;
        var rows = new JsonArray([.. record["Revisions"]!.AsArray().Select(r => new JsonObject
        {
            ["revision"] = (int)r!["Revision"]!,
            ["status"] = (string?)r["Status"],
            ["description"] = (string?)r["Description"],
        })]);
        return HelmReleaseHistory.Parse(rows.ToJsonString());
    }

    /// <summary>The ledger as the double's cluster holds it: the ConfigMap beside the release (no runner's state directory).</summary>
    private IReadOnlyList<LedgerEntry> Ledger()
    {
        var text = (string?)ClusterObject("configmap", "slipway-slipway-ledger")?["data"]?["ledger.jsonl"] ?? string.Empty;
        var file = Path.Combine(_root, "ledger-from-cluster.jsonl");
        File.WriteAllText(file, text);
        return ReleaseLedger.Open(file).ReadAll().Entries;
    }

    /// <summary>Every revision the ledger recorded as good is one Helm ran successfully, and the running one is the ledger's latest.</summary>
    private void AssertLedgerAgreesWithHelm()
    {
        var history = History();
        foreach (var entry in Ledger().Where(e => e.Action is LedgerAction.Deployed or LedgerAction.RolledBack))
        {
            Assert.True(history.Find(entry.Revision!.Value)?.RanSuccessfully, $"ledger {entry.Action} {entry.Version} names revision {entry.Revision}, which helm history does not show as deployed/superseded");
        }

        Assert.Equal(Ledger().Last(e => e.Action is LedgerAction.Deployed or LedgerAction.RolledBack).Revision, history.Current!.Revision);
    }

    [Theory]
    [InlineData("4")]
    [InlineData("3")]
    public async Task Deploy_an_automatic_rollback_for_failing_probes_and_for_an_unready_deployment_then_a_manual_Rollback(string helmMajor)
    {
        Publish("1.0.0", '1');
        var first = await RunAsync(helmMajor, "--target", "DeployStaging");
        Assert.True(first.ExitCode == 0, first.Out + first.Error);
        Assert.Contains($"staging is up: http://{_probes.Host}/", first.Out, StringComparison.Ordinal);
        Assert.Contains(helmMajor == "4" ? "--rollback-on-failure --wait=watcher" : "--atomic --wait", await File.ReadAllTextAsync(Path.Combine(State, "calls.log")), StringComparison.Ordinal);
        Assert.DoesNotContain(ConnectionString, first.Out + first.Error, StringComparison.Ordinal);
        var secret = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(State, "cluster", Namespace, "secret", "slipway-secrets.json")))!;
        Assert.Equal(ConnectionString, System.Text.Encoding.UTF8.GetString(Convert.FromBase64String((string)secret["data"]!["ITEST_POSTGRES_CONNECTION"]!)));

        Publish("1.1.0", '3');
        Assert.Equal(0, (await RunAsync(helmMajor, "--target", "DeployStaging")).ExitCode);

        // Probes fail while 1.2.0 serves: Slipway rolls back to 1.1.0's revision (2).
        Publish("1.2.0", '5');
        await File.WriteAllTextAsync(FaultyFile, Digest('5') + "\n");
        var faulty = await RunAsync(helmMajor, "--target", "DeployStaging");
        Assert.Equal(1, faulty.ExitCode);
        Assert.Contains("Rolled back automatically: 1.1.0 (revision 2) serves again as revision 4", faulty.Out + faulty.Error, StringComparison.Ordinal);
        Assert.Equal((HelmReleaseStatus.Deployed, "Rollback to 2"), (History().Current!.Status, History().Current!.Description));
        AssertLedgerAgreesWithHelm();

        // 1.3.0's worker never gets ready: helm's own rollback (5 failed, 6 = "Rollback to 4"), then Slipway's to revision 2.
        Publish("1.3.0", '7');
        await File.WriteAllTextAsync(Path.Combine(State, "unready-digests"), Digest('8') + "\n");
        var unready = await RunAsync(helmMajor, "--target", "DeployStaging");
        Assert.Equal(1, unready.ExitCode);
        Assert.Contains("context deadline exceeded", unready.Out + unready.Error, StringComparison.Ordinal);
        Assert.Equal(
            [(5, HelmReleaseStatus.Failed, "Upgrade \"slipway\" failed: context deadline exceeded"), (6, HelmReleaseStatus.Superseded, "Rollback to 4"), (7, HelmReleaseStatus.Deployed, "Rollback to 2")],
            History().Revisions.Where(r => r.Revision >= 5).Select(r => (r.Revision, r.Status, r.Description)));
        AssertLedgerAgreesWithHelm();

        // Rollback without --to: from 1.1.0 to the good release before it, 1.0.0, revision 1.
        var rollback = await RunAsync(helmMajor, "--target", "Rollback", "--env", "staging");
        Assert.True(rollback.ExitCode == 0, rollback.Out + rollback.Error);
        Assert.Equal((8, "Rollback to 1"), (History().Current!.Revision, History().Current!.Description));
        AssertLedgerAgreesWithHelm();
        Assert.Equal(
            [
                (LedgerAction.Deployed, "1.0.0", (string?)null), (LedgerAction.Deployed, "1.1.0", null),
                (LedgerAction.Failed, "1.2.0", null), (LedgerAction.RolledBack, "1.2.0", "1.1.0"),
                (LedgerAction.Failed, "1.3.0", null), (LedgerAction.RolledBack, "1.3.0", "1.1.0"),
                (LedgerAction.RolledBack, "1.1.0", "1.0.0"),
            ],
            Ledger().Select(e => (e.Action, e.Version, e.RolledBackTo)));

        var never = await RunAsync(helmMajor, "--target", "Rollback", "--env", "staging", "--to", "1.2.0");
        Assert.Equal(1, never.ExitCode);
        Assert.Contains("1.2.0 (a version or a revision) was never deployed to staging successfully", never.Out + never.Error, StringComparison.Ordinal);

        var history = await RunAsync(helmMajor, "--target", "History", "--env", "staging");
        Assert.Equal(0, history.ExitCode);
        Assert.Contains("1.3.0", history.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_canary_on_Kubernetes_is_its_own_release_split_on_the_HTTPRoute_promoted_when_healthy_and_aborted_when_not()
    {
        Publish("1.0.0", '1');
        Assert.Equal(0, (await RunAsync("4", "--target", "DeployStaging")).ExitCode);

        // A healthy canary: its own release, 10 % then 50 % on the stable HTTPRoute, then the stable release upgraded.
        Publish("1.1.0", '3');
        var good = await RunAsync("4", "--target", "Canary", "--env", "staging");
        Assert.True(good.ExitCode == 0, good.Out + good.Error);
        Assert.Contains("helm upgrade --install slipway-canary", good.Out, StringComparison.Ordinal);
        Assert.Contains("weights: 90 % to slipway-api, 10 % to slipway-canary-api (HTTPRoute slipway-api)", good.Out, StringComparison.Ordinal);
        Assert.Contains("weights: 50 % to slipway-api, 50 % to slipway-canary-api", good.Out, StringComparison.Ordinal);
        Assert.Contains("the router's view of the canary is not available (probes only)", good.Out, StringComparison.Ordinal);
        Assert.Equal([("slipway-api", 100)], RouteBackends());
        Assert.Null(ClusterObject("deployment", "slipway-canary-api"));
        Assert.EndsWith("@" + Digest('3'), (string)ClusterObject("deployment", "slipway-api")!["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!, StringComparison.Ordinal);
        var promoted = Ledger()[^1];
        Assert.Equal((LedgerAction.Promoted, "1.1.0"), (promoted.Action, promoted.Version));
        Assert.Equal(History().Current!.Revision, promoted.Revision);

        // A canary whose probes fail once the route sends it traffic: aborted at its first analysis, route back on stable.
        Publish("1.2.0", '5');
        await File.WriteAllTextAsync(FaultyFile, Digest('5') + "\n");
        var faulty = await RunAsync("4", "--target", "Canary", "--env", "staging");
        Assert.Equal(1, faulty.ExitCode);
        Assert.Contains("Canary of 1.2.0 canary aborted at step 1/2 (10 %)", faulty.Out + faulty.Error, StringComparison.Ordinal);
        Assert.Equal([("slipway-api", 100)], RouteBackends());
        Assert.Null(ClusterObject("deployment", "slipway-canary-api"));
        Assert.EndsWith("@" + Digest('3'), (string)ClusterObject("deployment", "slipway-api")!["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!, StringComparison.Ordinal);
        Assert.Equal((LedgerAction.Aborted, "1.2.0"), (Ledger()[^1].Action, Ledger()[^1].Version));
        Assert.Single(Ledger(), e => e.Action == LedgerAction.CanaryAnalysis && e.Version == "1.2.0");
    }

    /// <summary>kubectl (the double) as another runner would run it, for a Lease that runner left.</summary>
    private async Task<ToolResult> KubectlAsync(ToolInvocation invocation)
    {
        var resolver = new ToolResolver(name => name == "SLIPWAY_KUBECTL" ? KubeDouble.Kubectl : Environment.GetEnvironmentVariable(name));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return await new EnvironmentAddingRunner(new ProcessRunner(resolver), KubeDouble.Variables(State, "4"))
            .RunAsync(invocation.AcceptingAnyExitCode(), NullToolOutput.Instance, timeout.Token);
    }

    /// <summary>Leaves the lock as a runner on <c>runner-c</c> holds it (renewed at <paramref name="renewed"/>), or as it leaves it when killed: never renewed again.</summary>
    private async Task HoldLockAsRunnerC(DateTimeOffset renewed)
    {
        var holder = new LockHolder("ci@runner-c", 4242, "9.9.9", renewed.AddMinutes(-1), "runner-c") { RunUrl = "https://github.com/acme/shop/actions/runs/77" };
        var lease = new JsonObject
        {
            ["apiVersion"] = "coordination.k8s.io/v1",
            ["kind"] = "Lease",
            ["metadata"] = new JsonObject
            {
                ["name"] = "slipway-slipway-lock",
                ["annotations"] = new JsonObject { ["slipway.dev/holder"] = JsonSerializer.Serialize(holder, Web) },
            },
            ["spec"] = new JsonObject
            {
                ["holderIdentity"] = "ci@runner-c pid 4242 on runner-c",
                ["leaseDurationSeconds"] = 120,
                ["acquireTime"] = holder.Acquired.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
                ["renewTime"] = renewed.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
                ["leaseTransitions"] = 3,
            },
        };
        var scope = new KubeScope(Namespace, KubeDouble.Context);
        Assert.Equal(0, (await KubectlAsync(KubectlCli.Delete(scope, "lease", "slipway-slipway-lock"))).ExitCode);
        var created = await KubectlAsync(KubectlCli.CreateFromStandardInput(scope, InvocationValue.FromString(lease.ToJsonString())));
        Assert.True(created.ExitCode == 0, created.StandardError);
    }

    [Fact]
    public async Task Two_runners_share_the_ledger_ConfigMap_and_the_Lease_beside_the_release_a_held_lease_blocks_and_an_expired_one_is_taken_over()
    {
        // Runner A deploys: the ledger goes to the ConfigMap beside the release, not to A's state directory; the Lease is released.
        Publish("1.0.0", '1');
        var first = await RunAsync("4", "--target", "DeployStaging");
        Assert.True(first.ExitCode == 0, first.Out + first.Error);
        Assert.False(File.Exists(Path.Combine(_root, ".slipway", "state", "staging", "ledger.jsonl")));
        Assert.Equal([(LedgerAction.Deployed, "1.0.0")], Ledger().Select(e => (e.Action, e.Version)));
        var released = ClusterObject("lease", "slipway-slipway-lock")!;
        Assert.Null((string?)released["spec"]!["holderIdentity"]);

        // Runner B, a fresh checkout whose state directory kept a ledger from before: moved to the cluster on first contact, and
        // B's History shows A's deploy.
        var runnerB = TestPaths.NewTempDirectory();
        try
        {
            Checkout(runnerB);
            var local = Path.Combine(runnerB, ".slipway", "state", "staging", "ledger.jsonl");
            ReleaseLedger.Open(local).Append(new LedgerEntry("staging", "0.9.0", "c0ffee0", new Dictionary<string, string> { ["api"] = "r/api@" + Digest('0') }, "laptop", DateTimeOffset.UtcNow.AddDays(-1), LedgerAction.Deployed, "before the cluster kept the ledger", TimeSpan.FromSeconds(3)));
            var history = await RunInAsync(runnerB, "4", "--target", "History", "--env", "staging");
            Assert.True(history.ExitCode == 0, history.Out + history.Error);
            Assert.Contains("1.0.0", history.Out, StringComparison.Ordinal);
            Assert.Contains("0.9.0", history.Out, StringComparison.Ordinal);
            Assert.Contains("Moved the 1 entries of the local ledger", history.Out, StringComparison.Ordinal);
            Assert.True(File.Exists(local + ".migrated") && !File.Exists(local));
            Assert.Equal(["1.0.0", "0.9.0"], Ledger().Select(e => e.Version));

            // A live holder's Lease (renewed just now) blocks B, which names it and deploys nothing.
            await HoldLockAsRunnerC(DateTimeOffset.UtcNow);
            Publish("1.1.0", '3', runnerB);
            var blocked = await RunInAsync(runnerB, "4", "--target", "DeployStaging");
            Assert.NotEqual(0, blocked.ExitCode);
            Assert.Contains("locked by ci@runner-c (pid 4242 on runner-c, https://github.com/acme/shop/actions/runs/77)", blocked.Out + blocked.Error, StringComparison.Ordinal);
            Assert.Contains("the Lease slipway-slipway-lock in namespace slipway-itest", blocked.Out + blocked.Error, StringComparison.Ordinal);
            Assert.DoesNotContain(Ledger(), e => e.Version == "1.1.0");

            // The same holder killed 10 minutes ago: its lease ran out unrenewed, B takes it over naming it, without --break-lock.
            await HoldLockAsRunnerC(DateTimeOffset.UtcNow.AddMinutes(-10));
            var takeover = await RunInAsync(runnerB, "4", "--target", "DeployStaging");
            Assert.True(takeover.ExitCode == 0, takeover.Out + takeover.Error);
            Assert.Contains("Took over the lock of staging from ci@runner-c (pid 4242 on runner-c, https://github.com/acme/shop/actions/runs/77), deploying 9.9.9", takeover.Out + takeover.Error, StringComparison.Ordinal);
            Assert.Equal((LedgerAction.Deployed, "1.1.0"), (Ledger()[^1].Action, Ledger()[^1].Version));
            var lease = ClusterObject("lease", "slipway-slipway-lock")!;
            Assert.Null((string?)lease["spec"]!["holderIdentity"]);
            Assert.Equal(4, (int)lease["spec"]!["leaseTransitions"]!);
        }
        finally
        {
            Directory.Delete(runnerB, recursive: true);
        }
    }

    private string ServedTrack() => (string)ClusterObject("service", "slipway-api")!["spec"]!["selector"]!["slipway.dev/track"]!;

    private string ApiImage(string deployment) => (string)ClusterObject("deployment", deployment)!["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!;

    private List<string> CallsSince(int line) => [.. File.ReadAllLines(Path.Combine(State, "calls.log")).Skip(line)];

    private int CallCount() => File.Exists(Path.Combine(State, "calls.log")) ? File.ReadAllLines(Path.Combine(State, "calls.log")).Length : 0;

    [Fact]
    public async Task Blue_green_deploys_the_idle_track_beside_checks_it_before_traffic_switches_Service_and_HTTPRoute_at_once_and_switches_back_on_failure()
    {
        var environment = Path.Combine(_root, "environments", "staging.yml");
        await File.WriteAllTextAsync(environment, (await File.ReadAllTextAsync(environment)).Replace("rollout:\n", "rollout:\n  strategy: blue_green\n", StringComparison.Ordinal));

        // The first release: the blue track serves.
        Publish("1.0.0", '1');
        var first = await RunAsync("4", "--target", "DeployStaging");
        Assert.True(first.ExitCode == 0, first.Out + first.Error);
        Assert.Equal("blue", ServedTrack());
        Assert.EndsWith("@" + Digest('1'), ApiImage("slipway-api-blue"), StringComparison.Ordinal);
        Assert.Equal([("slipway-api-blue", 100)], RouteBackends());

        // 1.1.0 goes to green beside blue, is checked, then Service and HTTPRoute switch; blue goes after the probes.
        Publish("1.1.0", '3');
        var before = CallCount();
        var second = await RunAsync("4", "--target", "DeployStaging");
        Assert.True(second.ExitCode == 0, second.Out + second.Error);
        var calls = CallsSince(before);
        int Index(string text) => calls.FindIndex(c => c.Contains(text, StringComparison.Ordinal));
        var beside = Index("helm upgrade --install slipway ");
        var checkedBefore = Index("rollout status deployment/slipway-api-green");
        var switchService = Index("patch service slipway-api ");
        var switchRoute = Index("patch httproute slipway-api ");
        var removeOld = calls.FindLastIndex(c => c.Contains("helm upgrade --install slipway ", StringComparison.Ordinal));
        Assert.True(beside >= 0 && beside < checkedBefore && checkedBefore < switchService && switchService < switchRoute && switchRoute < removeOld, string.Join("\n", calls));
        Assert.Equal("green", ServedTrack());
        Assert.Equal([("slipway-api-green", 100)], RouteBackends());
        Assert.EndsWith("@" + Digest('3'), ApiImage("slipway-api-green"), StringComparison.Ordinal);
        Assert.Null(ClusterObject("deployment", "slipway-api-blue"));
        Assert.Contains("Switched all traffic from blue (1.0.0) to green (1.1.0)", second.Out, StringComparison.Ordinal);
        Assert.Equal((LedgerAction.Deployed, "1.1.0"), (Ledger()[^1].Action, Ledger()[^1].Version));
        Assert.Contains("switched from blue (1.0.0)", Ledger()[^1].Details, StringComparison.Ordinal);

        // 1.2.0 passes its rollout but fails the probes once it has the traffic: switched back to the warm green track.
        Publish("1.2.0", '5');
        await File.WriteAllTextAsync(FaultyFile, Digest('5') + "\n");
        var faulty = await RunAsync("4", "--target", "DeployStaging");
        Assert.Equal(1, faulty.ExitCode);
        Assert.Contains("Switched back: 1.1.0 serves again from the warm green track", faulty.Out + faulty.Error, StringComparison.Ordinal);
        Assert.Equal("green", ServedTrack());
        Assert.Equal([("slipway-api-green", 100)], RouteBackends());
        Assert.EndsWith("@" + Digest('3'), ApiImage("slipway-api-green"), StringComparison.Ordinal);
        Assert.Null(ClusterObject("deployment", "slipway-api-blue"));
        Assert.Equal([(LedgerAction.Failed, "1.2.0", (string?)null), (LedgerAction.RolledBack, "1.2.0", "1.1.0")], Ledger().TakeLast(2).Select(e => (e.Action, e.Version, e.RolledBackTo)));

        // 1.3.0's worker never gets ready: caught before traffic, the Services are never patched, green keeps serving.
        Publish("1.3.0", '7');
        await File.WriteAllTextAsync(Path.Combine(State, "unready-digests"), Digest('8') + "\n");
        before = CallCount();
        var unready = await RunAsync("4", "--target", "DeployStaging");
        Assert.Equal(1, unready.ExitCode);
        Assert.Contains("failed before traffic: the blue track never took a request; green (1.1.0) kept serving", unready.Out + unready.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(CallsSince(before), c => c.Contains("patch", StringComparison.Ordinal));
        Assert.Equal("green", ServedTrack());
        Assert.Null(ClusterObject("deployment", "slipway-api-blue"));
        Assert.Equal((LedgerAction.Failed, "1.3.0"), (Ledger()[^1].Action, Ledger()[^1].Version));
    }

    [Fact]
    public async Task Blue_green_with_keep_previous_keeps_the_old_track_warm_and_a_Rollback_inside_the_window_is_a_switch_back()
    {
        var environment = Path.Combine(_root, "environments", "staging.yml");
        await File.WriteAllTextAsync(environment, (await File.ReadAllTextAsync(environment)).Replace("rollout:\n", "rollout:\n  strategy: blue_green\n  keep_previous: 10m\n", StringComparison.Ordinal));
        Publish("1.0.0", '1');
        Assert.Equal(0, (await RunAsync("4", "--target", "DeployStaging")).ExitCode);

        // 1.1.0 takes the traffic; blue (1.0.0) keeps running without it, and the routed Service says until when.
        Publish("1.1.0", '3');
        var deployed = DateTimeOffset.UtcNow;
        var second = await RunAsync("4", "--target", "DeployStaging");
        Assert.True(second.ExitCode == 0, second.Out + second.Error);
        Assert.Equal("green", ServedTrack());
        Assert.Equal([("slipway-api-green", 100)], RouteBackends());
        Assert.EndsWith("@" + Digest('1'), ApiImage("slipway-api-blue"), StringComparison.Ordinal);
        var (warmTrack, warmUntil) = WarmMarks();
        Assert.Equal("blue", warmTrack);
        Assert.InRange(warmUntil!.Value, deployed.AddMinutes(10), DateTimeOffset.UtcNow.AddMinutes(10));
        Assert.Contains("blue (1.0.0) kept warm until", Ledger()[^1].Details, StringComparison.Ordinal);
        AssertLedgerAgreesWithHelm();

        // Rollback inside the window: the Services and the route switch back first, the green track goes after.
        var before = CallCount();
        var rollback = await RunAsync("4", "--target", "Rollback", "--env", "staging");
        Assert.True(rollback.ExitCode == 0, rollback.Out + rollback.Error);
        var calls = CallsSince(before);
        var switchService = calls.FindIndex(c => c.Contains("patch service slipway-api ", StringComparison.Ordinal) && c.Contains("slipway.dev~1track", StringComparison.Ordinal));
        var switchRoute = calls.FindIndex(c => c.Contains("patch httproute slipway-api ", StringComparison.Ordinal));
        var removeGreen = calls.FindIndex(c => c.Contains("helm upgrade --install slipway ", StringComparison.Ordinal));

        // The switch is the patches alone, one after the other (the time they take is the cluster's: the ledger says it).
        Assert.True(switchService >= 0 && switchRoute == switchService + 1 && switchRoute < removeGreen, string.Join("\n", calls));
        Assert.DoesNotContain(calls, c => c.Contains("helm rollback", StringComparison.Ordinal));
        Assert.Equal("blue", ServedTrack());
        Assert.Equal([("slipway-api-blue", 100)], RouteBackends());
        Assert.Null(ClusterObject("deployment", "slipway-api-green"));
        Assert.Equal((null, null), WarmMarks());
        var rolledBack = Ledger()[^1];
        Assert.Equal((LedgerAction.RolledBack, "1.1.0", "1.0.0"), (rolledBack.Action, rolledBack.Version, rolledBack.RolledBackTo));
        Assert.Contains("inside the keep window", rolledBack.Details, StringComparison.Ordinal);
        Assert.Matches(@"switched back to the warm blue track, \d+ ms after the decision; the green track removed", rolledBack.Details);
        AssertLedgerAgreesWithHelm();

        // 1.2.0 goes to green beside blue and keeps blue warm again; its window then ends (the mark is moved into the past,
        // as time would): Rollback is helm rollback to 1.0.0's revision, not a switch.
        Publish("1.2.0", '5');
        Assert.Equal(0, (await RunAsync("4", "--target", "DeployStaging")).ExitCode);
        Assert.Equal(("green", "blue"), (ServedTrack(), WarmMarks().Track));
        var service = Path.Combine(State, "cluster", Namespace, "service", "slipway-api.json");
        var node = JsonNode.Parse(await File.ReadAllTextAsync(service))!;
        node["metadata"]!["annotations"]!["slipway.dev/warm-until"] = DateTimeOffset.UtcNow.AddMinutes(-1).ToString("O", CultureInfo.InvariantCulture);
        await File.WriteAllTextAsync(service, node.ToJsonString());
        var late = await RunAsync("4", "--target", "Rollback", "--env", "staging");
        Assert.True(late.ExitCode == 0, late.Out + late.Error);
        Assert.Contains("The keep window of the blue track ended at", late.Out, StringComparison.Ordinal);
        Assert.Equal("Rollback to " + Ledger().Last(e => e.Version == "1.0.0" && e.Action == LedgerAction.Deployed).Revision, History().Current!.Description);
        Assert.DoesNotContain("inside the keep window", Ledger()[^1].Details, StringComparison.Ordinal);
        AssertLedgerAgreesWithHelm();
    }

    [Fact]
    public async Task Blue_green_a_configuration_only_change_that_fails_switches_back_to_a_track_still_on_the_previous_configuration()
    {
        var environment = Path.Combine(_root, "environments", "staging.yml");
        var text = (await File.ReadAllTextAsync(environment)).Replace("rollout:\n", "rollout:\n  strategy: blue_green\n", StringComparison.Ordinal);
        await File.WriteAllTextAsync(environment, text);
        Publish("1.0.0", '1');
        Assert.Equal(0, (await RunAsync("4", "--target", "DeployStaging")).ExitCode);
        Publish("1.1.0", '3');
        Assert.Equal(0, (await RunAsync("4", "--target", "DeployStaging")).ExitCode);
        Assert.Equal("green", ServedTrack());
        var greenPods = (string?)ClusterObject("deployment", "slipway-api-green")!["spec"]!["template"]!["metadata"]!["annotations"]!["checksum/config"];

        // The same 1.1.0 with one variable that breaks the api: it goes to blue, fails after the switch, and green, which
        // kept its own variables (and pods) through the deploy, serves again.
        await File.WriteAllTextAsync(environment, text.Replace("  api:\n    secrets:", "  api:\n    env:\n      FAULT_MODE: errors\n    secrets:", StringComparison.Ordinal));
        var faulty = await RunAsync("4", "--target", "DeployStaging");
        Assert.Equal(1, faulty.ExitCode);
        Assert.Contains("Switched back: 1.1.0 serves again from the warm green track", faulty.Out + faulty.Error, StringComparison.Ordinal);
        Assert.Equal("green", ServedTrack());
        Assert.Null(ClusterObject("configmap", "slipway-api-green")!["data"]?["FAULT_MODE"]);
        Assert.Equal(greenPods, (string?)ClusterObject("deployment", "slipway-api-green")!["spec"]!["template"]!["metadata"]!["annotations"]!["checksum/config"]);
        Assert.False(ServesFaultyRelease());
        var (failed, rolledBack) = (Ledger()[^2], Ledger()[^1]);
        Assert.Equal((LedgerAction.Failed, LedgerAction.RolledBack), (failed.Action, rolledBack.Action));
        Assert.Equal(Ledger()[^3].RevisionId, rolledBack.RolledBackToRevision);
        Assert.NotEqual(failed.RevisionId, rolledBack.RolledBackToRevision);
        AssertLedgerAgreesWithHelm();
    }

    /// <summary>The keep window's marks on the routed Service: the warm track and until when (nulls when none).</summary>
    private (string? Track, DateTimeOffset? Until) WarmMarks()
    {
        var annotations = ClusterObject("service", "slipway-api")?["metadata"]?["annotations"];
        var until = (string?)annotations?["slipway.dev/warm-until"];
        return ((string?)annotations?["slipway.dev/warm-track"], until is null ? null : DateTimeOffset.Parse(until, CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_configuration_only_change_that_fails_its_probes_returns_to_the_same_versions_previous_revision()
    {
        Publish("1.0.0", '1');
        var first = await RunAsync("4", "--target", "DeployStaging");
        Assert.True(first.ExitCode == 0, first.Out + first.Error);
        var good = Ledger()[^1];
        Assert.True(ReleaseRevision.IsId(good.RevisionId), good.RevisionId);

        // The same version and images, one variable more, which makes the api fail: a revision of its own.
        var environment = Path.Combine(_root, "environments", "staging.yml");
        var text = await File.ReadAllTextAsync(environment);
        await File.WriteAllTextAsync(environment, text.Replace("  api:\n    secrets:", "  api:\n    env:\n      FAULT_MODE: errors\n    secrets:", StringComparison.Ordinal));
        var faulty = await RunAsync("4", "--target", "DeployStaging");
        Assert.Equal(1, faulty.ExitCode);
        Assert.Contains($"Rolled back automatically: 1.0.0 (revision {good.Revision}) (rev {good.RevisionId}: the same version with its previous configuration) serves again", faulty.Out + faulty.Error, StringComparison.Ordinal);
        Assert.Null(ClusterObject("configmap", "slipway-api")?["data"]?["FAULT_MODE"]);
        var (failed, rolledBack) = (Ledger()[^2], Ledger()[^1]);
        Assert.Equal((LedgerAction.Failed, "1.0.0"), (failed.Action, failed.Version));
        Assert.NotEqual(good.RevisionId, failed.RevisionId);
        Assert.NotEqual(good.ConfigurationHash, failed.ConfigurationHash);
        Assert.Equal((LedgerAction.RolledBack, "1.0.0", good.RevisionId, failed.RevisionId), (rolledBack.Action, rolledBack.RolledBackTo, rolledBack.RolledBackToRevision, rolledBack.RevisionId));
        AssertLedgerAgreesWithHelm();

        // The good configuration again: the same revision as the first deploy.
        await File.WriteAllTextAsync(environment, text);
        Assert.Equal(0, (await RunAsync("4", "--target", "DeployStaging")).ExitCode);
        Assert.Equal(good.RevisionId, Ledger()[^1].RevisionId);
    }

    [Fact]
    public async Task A_dry_run_prints_the_helm_and_kubectl_commands_with_the_secret_masked_and_changes_nothing()
    {
        Publish("1.0.0", '1');

        var run = await RunAsync("4", "--target", "DeployStaging", "--dry-run");

        Assert.True(run.ExitCode == 0, run.Out + run.Error);
        Assert.Contains("helm upgrade --install slipway", run.Out, StringComparison.Ordinal);
        Assert.Contains("kubectl rollout status deployment/slipway-api -n slipway-itest --context kube-double", run.Out, StringComparison.Ordinal);
        Assert.Contains("\"ITEST_POSTGRES_CONNECTION\":\"***\"", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(ConnectionString, run.Out + run.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(State, "releases")));
        Assert.False(Directory.Exists(Path.Combine(State, "cluster")), "a dry run reads and writes neither the ledger ConfigMap nor the Lease");
        Assert.DoesNotContain("slipway-slipway-l", File.Exists(Path.Combine(State, "calls.log")) ? await File.ReadAllTextAsync(Path.Combine(State, "calls.log")) : string.Empty, StringComparison.Ordinal);
    }
}
