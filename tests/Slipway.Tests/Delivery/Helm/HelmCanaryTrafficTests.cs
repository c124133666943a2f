using Slipway.Delivery;
using Slipway.Delivery.Compose;
using Slipway.Delivery.Helm;
using Slipway.Environments;
using Slipway.Tests.Support;
using Slipway.Tools.Helm;

namespace Slipway.Tests.Delivery.Helm;

/// <summary>The Kubernetes canary's commands: its own Helm release, the weighted HTTPRoute or canary Ingress, and its removal.</summary>
public sealed class HelmCanaryTrafficTests : IDisposable
{
    private readonly string _directory = TestPaths.NewTempDirectory();
    private readonly ScriptedToolSession _session = new();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static HelmCanarySetup Setup(IngressRouter router = IngressRouter.Gateway) => new()
    {
        Canary = new HelmReleaseName("slipway-canary", "slipway-prod", "kube-double"),
        Chart = "charts/app",
        CanaryValuesFiles = ["charts/app/values-prod.yaml", "artifacts/helm/prod/canary-values.yaml"],
        StableValuesFiles = ["charts/app/values-prod.yaml", "artifacts/helm/prod/values.yaml"],
        Router = router,
        Route = "slipway-api",
        StableService = "slipway-api",
        CanaryService = "slipway-canary-api",
        Port = 8080,
        Timeout = TimeSpan.FromMinutes(5),
    };

    private HelmCanaryTraffic Traffic(IngressRouter router = IngressRouter.Gateway)
    {
        var deployment = new HelmDeployment
        {
            Environment = "prod",
            Release = new HelmReleaseName("slipway", "slipway-prod", "kube-double"),
            Chart = "charts/app",
            Deployments = ["slipway-api"],
            Rollout = new RolloutSettings { Timeout = Duration.Parse("20m"), HealthTimeout = Duration.Parse("5m") },
        };
        var stable = new HelmDeployer(deployment, _session, ReleaseLedger.Open(Path.Combine(_directory, "ledger.jsonl")), new HelmVersion(4, 1, 4),
            _ => Task.FromResult(new ProbeVerdict(true, string.Empty, [])), new InstantDelays(frozen: true));
        return new HelmCanaryTraffic(Setup(router), stable, _session, new HelmVersion(4, 1, 4));
    }

    [Fact]
    public void The_route_is_patched_to_two_weighted_backends_and_back_to_the_stable_one_alone()
    {
        var traffic = Traffic();

        Assert.Equal(
            """[{"op":"replace","path":"/spec/rules/0/backendRefs","value":[{"name":"slipway-api","port":8080,"weight":90},{"name":"slipway-canary-api","port":8080,"weight":10}]}]""",
            traffic.BackendRefsPatch(10));
        Assert.Equal(
            """[{"op":"replace","path":"/spec/rules/0/backendRefs","value":[{"name":"slipway-api","port":8080,"weight":100}]}]""",
            traffic.BackendRefsPatch(0));
        Assert.Equal(
            """[{"op":"replace","path":"/metadata/annotations/nginx.ingress.kubernetes.io~1canary-weight","value":"50"}]""",
            HelmCanaryTraffic.CanaryWeightPatch(50));
    }

    [Fact]
    public async Task Start_installs_the_canary_release_and_waits_for_it_then_remove_takes_its_traffic_away_and_uninstalls_it()
    {
        _session.On("^helm upgrade --install", 0).On("^kubectl rollout status", 0).On("^kubectl get httproute", 0, "{}").On("^kubectl patch", 0)
            .On("^helm status", 0, "{}").On("^helm uninstall", 0);
        var traffic = Traffic();

        await traffic.StartAsync(new("2.0.0", "c0ffee", new Dictionary<string, string>()), CancellationToken.None);
        await traffic.SetWeightAsync(10, CancellationToken.None);
        await traffic.RemoveAsync(CancellationToken.None);

        var commands = _session.Runs.Select(r => string.Join(' ', r.Arguments.Take(3).Select(a => a.Reveal()))).ToList();
        Assert.Equal(
            ["upgrade --install slipway-canary", "rollout status deployment/slipway-canary-api", "patch httproute slipway-api", "patch httproute slipway-api", "uninstall slipway-canary --namespace"],
            commands);
        var install = _session.Runs[0].Arguments.Select(a => a.Reveal()).ToList();
        Assert.Equal("artifacts/helm/prod/canary-values.yaml", install[install.LastIndexOf("-f") + 1]);
        Assert.Contains("--rollback-on-failure", install);
        Assert.Null(await traffic.MeasureAsync(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddMinutes(1), CancellationToken.None));
    }

    [Fact]
    public async Task With_ingress_nginx_the_canary_Ingress_annotation_carries_the_weight()
    {
        _session.On("^kubectl patch", 0);

        await Traffic(IngressRouter.IngressNginx).SetWeightAsync(25, CancellationToken.None);

        var patch = Assert.Single(_session.Runs).Arguments.Select(a => a.Reveal()).ToList();
        Assert.Equal(["patch", "ingress", "slipway-canary-api"], patch.Take(3));
        Assert.Contains("""[{"op":"replace","path":"/metadata/annotations/nginx.ingress.kubernetes.io~1canary-weight","value":"25"}]""", patch);
    }

    [Fact]
    public async Task A_failing_command_is_a_step_failure_naming_the_tool_and_its_reason()
    {
        _session.On("^helm upgrade --install", 1, stderr: "Error: INSTALLATION FAILED: context deadline exceeded\n");

        var error = await Assert.ThrowsAsync<DeployStepException>(() => Traffic().StartAsync(new("2.0.0", "c0ffee", new Dictionary<string, string>()), CancellationToken.None));

        Assert.Contains("context deadline exceeded", error.Message, StringComparison.Ordinal);
    }
}
