using Slipway.Build;
using Slipway.Delivery;
using Slipway.Delivery.Helm;
using Slipway.Environments;
using Slipway.IntegrationTests.Support;
using Slipway.Processes;
using Slipway.Tests.Support;
using Slipway.Tools.Helm;
using YamlDotNet.RepresentationModel;

namespace Slipway.IntegrationTests;

/// <summary>
/// charts/app with both real Helm majors, each test once with Helm 4 (<c>helm</c>) and once with Helm 3 (<c>helm3</c>),
/// found in PATH or .slipway/tools/bin as --provision installs them: lint and template for every committed environment,
/// the canary track and both routers, checked on the parsed manifests. No Docker and no cluster: helm template renders
/// offline. A missing binary, or one of the wrong major, fails (never skips).
/// </summary>
public sealed class HelmChartTests : IDisposable
{
    private const string Chart = "charts/app";

    private readonly string _scratch = TestPaths.NewTempDirectory();

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    /// <summary>The Helm binaries the tests run, by the name --provision gives them.</summary>
    public static TheoryData<string> HelmBinaries() => [.. RealHelm.Majors.Keys];

    public static TheoryData<string, string> EnvironmentsAndHelmBinaries()
    {
        var data = new TheoryData<string, string>();
        foreach (var environment in CommittedEnvironments())
        {
            foreach (var helm in RealHelm.Majors.Keys)
            {
                data.Add(environment, helm);
            }
        }

        return data;
    }

    [Fact]
    public void The_committed_environments_are_dev_staging_and_prod() =>
        Assert.Equal(["dev", "prod", "staging"], CommittedEnvironments());

    private static List<string> CommittedEnvironments() =>
        [.. Directory.EnumerateFiles(Path.Combine(TestPaths.RepositoryRoot, "environments"), "*.yml")
            .Select(f => Path.GetFileNameWithoutExtension(f))
            .Where(n => n != "base")
            .Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(EnvironmentsAndHelmBinaries))]
    public async Task Every_environment_lints_strictly_and_renders_hardened_digest_pinned_probed_workloads(string name, string helm)
    {
        var environment = Load(name);
        var values = HelmValues.Create(environment, Release());

        var manifests = await RenderAsync(helm, values, environment);

        var deployments = Kind(manifests, "Deployment");
        Assert.Equal(environment.Services.Keys.Order(StringComparer.Ordinal).Select(s => $"{values.ReleaseName}-{s}"), deployments.Select(NameOf));
        foreach (var (service, definition) in environment.Services)
        {
            var deployment = deployments.Single(d => NameOf(d) == $"{values.ReleaseName}-{service}");
            Assert.Equal(definition.Replicas.ToString(System.Globalization.CultureInfo.InvariantCulture), Scalar(deployment, "spec", "replicas"));
            var hpa = Kind(manifests, "HorizontalPodAutoscaler").Single(h => NameOf(h) == NameOf(deployment));
            Assert.Equal(definition.Replicas.ToString(System.Globalization.CultureInfo.InvariantCulture), Scalar(hpa, "spec", "minReplicas"));
            Assert.Single(Kind(manifests, "PodDisruptionBudget"), p => NameOf(p) == NameOf(deployment));
            Assert.Single(Kind(manifests, "Service"), s => NameOf(s) == NameOf(deployment));

            var container = Containers(deployment).Single();
            Assert.Equal(definition.Health!.Liveness, Scalar(container, "livenessProbe", "httpGet", "path"));
            Assert.Equal(definition.Health.Readiness, Scalar(container, "readinessProbe", "httpGet", "path"));
            Assert.Equal(definition.Resources.Limits!.Memory!.Value.ToString(), Scalar(container, "resources", "limits", "memory"));
            Assert.Equal(definition.Resources.Requests!.Cpu!.Value.ToString(), Scalar(container, "resources", "requests", "cpu"));
            Assert.Equal(definition.Secrets.Keys.Order(StringComparer.Ordinal), SecretVariables(container, values.SecretName));
            var config = Kind(manifests, "ConfigMap").Single(c => NameOf(c) == NameOf(deployment));
            foreach (var (flag, on) in definition.FeatureFlags)
            {
                Assert.Equal(on ? "true" : "false", Scalar(config, "data", "FeatureFlags__" + flag));
            }
        }

        foreach (var container in deployments.Concat(Kind(manifests, "Job")).SelectMany(Containers))
        {
            Assert.Matches("^[^@:]+(:[0-9]+)?[^@:]*@sha256:[a-f0-9]{64}$", Scalar(container, "image"));
            Assert.NotNull(Node(container, "resources", "requests"));
            Assert.NotNull(Node(container, "resources", "limits"));
            Assert.Equal("true", Scalar(container, "securityContext", "runAsNonRoot"));
            Assert.Equal("true", Scalar(container, "securityContext", "readOnlyRootFilesystem"));
            Assert.Equal("false", Scalar(container, "securityContext", "allowPrivilegeEscalation"));
            Assert.Equal(["ALL"], ((YamlSequenceNode)Node(container, "securityContext", "capabilities", "drop")!).Children.Select(c => ((YamlScalarNode)c).Value));
            Assert.Equal("RuntimeDefault", Scalar(container, "securityContext", "seccompProfile", "type"));
            Assert.Equal("/tmp", ((YamlSequenceNode)Node(container, "volumeMounts")!).Children.Cast<YamlMappingNode>().Single(m => Scalar(m, "name") == "tmp").Children[new YamlScalarNode("mountPath")].ToString());
        }

        foreach (var deployment in deployments)
        {
            Assert.Equal("RuntimeDefault", Scalar(deployment, "spec", "template", "spec", "securityContext", "seccompProfile", "type"));
            Assert.NotNull(Node(deployment, "spec", "template", "spec", "volumes"));
            Assert.Equal("stable", Scalar(deployment, "spec", "template", "metadata", "labels", "slipway.dev/track"));
            Assert.Equal("1.4.0_build.7", Scalar(deployment, "metadata", "labels", "app.kubernetes.io/version"));
        }

        var job = Assert.Single(Kind(manifests, "Job"));
        Assert.Equal("pre-install,pre-upgrade", Scalar(job, "metadata", "annotations", "helm.sh/hook"));
        Assert.Equal("before-hook-creation", Scalar(job, "metadata", "annotations", "helm.sh/hook-delete-policy"));
        Assert.Equal(((int)environment.Data.Migrations.Timeout.Value.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture), Scalar(job, "spec", "activeDeadlineSeconds"));
        Assert.Equal("migrate", ((YamlSequenceNode)Node(Containers(job).Single(), "args")!).Children.Single().ToString());

        // The chart names secrets, never holds them.
        Assert.Empty(Kind(manifests, "Secret"));
    }

    [Theory]
    [MemberData(nameof(HelmBinaries))]
    public async Task Prod_routes_through_its_gateway_with_all_traffic_on_stable_at_weight_0_and_90_10_at_weight_10(string helm)
    {
        var environment = Load("prod");
        var values = HelmValues.Create(environment, Release());

        var unweighted = Assert.Single(Kind(await RenderAsync(helm, values, environment), "HTTPRoute"));
        var weighted = Assert.Single(Kind(await RenderAsync(helm, values.WithCanaryRoute(10), environment), "HTTPRoute"));

        var parent = (YamlMappingNode)((YamlSequenceNode)Node(unweighted, "spec", "parentRefs")!).Children.Single();
        Assert.Equal(("public", "gateway-system"), (Scalar(parent, "name"), Scalar(parent, "namespace")));
        Assert.Equal("slipway.example", ((YamlSequenceNode)Node(unweighted, "spec", "hostnames")!).Children.Single().ToString());
        Assert.Equal([("slipway-api", "8080", "100")], Backends(unweighted));
        Assert.Equal([("slipway-api", "8080", "90"), ("slipway-canary-api", "8080", "10")], Backends(weighted));
    }

    [Theory]
    [MemberData(nameof(HelmBinaries))]
    public async Task Blue_green_renders_both_tracks_side_by_side_with_the_Services_route_autoscaler_and_budget_on_the_active_one(string helm)
    {
        var environment = Load("prod");
        var values = HelmValues.Create(environment, Release());
        var previous = new DeliveryRelease("1.3.0", "fedcba", new Dictionary<string, string>
        {
            ["api"] = "ghcr.io/slipway-dev/slipway/api@sha256:" + new string('3', 64),
            ["worker"] = "ghcr.io/slipway-dev/slipway/worker@sha256:" + new string('4', 64),
        });
        var next = DeliveryRelease.From(Release());
        var tracks = new Dictionary<string, DeliveryRelease> { ["blue"] = previous, ["green"] = next };

        var onBlue = await RenderAsync(helm, values.WithBlueGreen("blue", tracks), environment);
        var onGreen = await RenderAsync(helm, values.WithBlueGreen("green", tracks), environment);
        var greenOnly = await RenderAsync(helm, values.WithBlueGreen("green", new Dictionary<string, DeliveryRelease> { ["green"] = next }), environment);

        Assert.Equal(["slipway-api-blue", "slipway-api-green", "slipway-worker-blue", "slipway-worker-green"], Kind(onBlue, "Deployment").Select(NameOf).Order(StringComparer.Ordinal));
        var blueApi = Kind(onBlue, "Deployment").Single(d => NameOf(d) == "slipway-api-blue");
        Assert.Equal("ghcr.io/slipway-dev/slipway/api@sha256:" + new string('3', 64), Scalar(Containers(blueApi).Single(), "image"));
        Assert.Equal(("blue", "blue", "1.3.0"), (Scalar(blueApi, "spec", "selector", "matchLabels", "slipway.dev/track"), Scalar(blueApi, "spec", "template", "metadata", "labels", "slipway.dev/track"), Scalar(blueApi, "metadata", "annotations", "slipway.dev/version")));
        Assert.Equal("ghcr.io/slipway-dev/slipway/api@sha256:" + new string('1', 64), Scalar(Containers(Kind(onBlue, "Deployment").Single(d => NameOf(d) == "slipway-api-green")).Single(), "image"));
        foreach (var (manifests, active) in new[] { (onBlue, "blue"), (onGreen, "green") })
        {
            Assert.Equal(active, Scalar(Kind(manifests, "Service").Single(s => NameOf(s) == "slipway-api"), "spec", "selector", "slipway.dev/track"));
            Assert.Equal("blue", Scalar(Kind(manifests, "Service").Single(s => NameOf(s) == "slipway-api-blue"), "spec", "selector", "slipway.dev/track"));
            Assert.Equal("green", Scalar(Kind(manifests, "Service").Single(s => NameOf(s) == "slipway-api-green"), "spec", "selector", "slipway.dev/track"));
            Assert.Equal([($"slipway-api-{active}", "8080", "100")], Backends(Assert.Single(Kind(manifests, "HTTPRoute"))));
            Assert.Equal($"slipway-api-{active}", Scalar(Kind(manifests, "HorizontalPodAutoscaler").Single(h => NameOf(h) == "slipway-api"), "spec", "scaleTargetRef", "name"));
            Assert.Equal(active, Scalar(Kind(manifests, "PodDisruptionBudget").Single(p => NameOf(p) == "slipway-api"), "spec", "selector", "matchLabels", "slipway.dev/track"));
        }

        Assert.Equal(["slipway-api-green", "slipway-worker-green"], Kind(greenOnly, "Deployment").Select(NameOf).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(Kind(greenOnly, "Service"), s => NameOf(s)!.EndsWith("-blue", StringComparison.Ordinal));

        // Each track reads its own ConfigMap. Blue keeps the variables it runs with (read from its ConfigMap by the
        // deployer), so a configuration change deployed to green leaves blue's pods, and its checksum, as they were.
        var blueRuns = new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            ["api"] = new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Production", ["OLD_ONLY"] = "1" },
            ["worker"] = new Dictionary<string, string>(),
        };
        var kept = await RenderAsync(helm, values.WithBlueGreen("blue", tracks).WithKeptConfig("blue", blueRuns), environment);
        YamlMappingNode ConfigMap(List<YamlMappingNode> manifests, string name) => Kind(manifests, "ConfigMap").Single(c => NameOf(c) == name);
        string? Checksum(List<YamlMappingNode> manifests, string deployment) =>
            Scalar(Kind(manifests, "Deployment").Single(d => NameOf(d) == deployment), "spec", "template", "metadata", "annotations", "checksum/config");
        Assert.Equal("slipway-api-blue", Scalar(Node(Containers(Kind(kept, "Deployment").Single(d => NameOf(d) == "slipway-api-blue")).Single(), "envFrom")!.AllNodes.OfType<YamlMappingNode>().Last(), "name"));
        Assert.Equal(("1", null), (Scalar(ConfigMap(kept, "slipway-api-blue"), "data", "OLD_ONLY"), Scalar(ConfigMap(kept, "slipway-api-green"), "data", "OLD_ONLY")));
        Assert.Equal("Production", Scalar(ConfigMap(kept, "slipway-api-green"), "data", "ASPNETCORE_ENVIRONMENT"));
        Assert.NotEqual(Checksum(kept, "slipway-api-blue"), Checksum(onBlue, "slipway-api-blue"));
        Assert.Equal(Checksum(onBlue, "slipway-api-green"), Checksum(kept, "slipway-api-green"));

        // Keeping exactly what the environment renders changes nothing: the same text, the same checksum, no restart.
        var same = await RenderAsync(helm, values.WithBlueGreen("blue", tracks).WithKeptConfig("blue", new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            ["api"] = Data(ConfigMap(onBlue, "slipway-api-blue")),
            ["worker"] = Data(ConfigMap(onBlue, "slipway-worker-blue")),
        }), environment);
        Assert.Equal(Checksum(onBlue, "slipway-api-blue"), Checksum(same, "slipway-api-blue"));
        Assert.Throws<InvalidOperationException>(() => values.WithBlueGreen("green", new Dictionary<string, DeliveryRelease> { ["green"] = next }).WithKeptConfig("blue", blueRuns));
    }

    private static Dictionary<string, string> Data(YamlMappingNode configMap) =>
        Node(configMap, "data") is YamlMappingNode data
            ? data.Children.ToDictionary(c => ((YamlScalarNode)c.Key).Value!, c => ((YamlScalarNode)c.Value).Value ?? string.Empty, StringComparer.Ordinal)
            : new Dictionary<string, string>(StringComparer.Ordinal);

    [Theory]
    [MemberData(nameof(HelmBinaries))]
    public async Task Blue_green_values_that_would_send_traffic_nowhere_fail_the_render_naming_the_key(string helm)
    {
        var environment = Load("prod");
        var values = HelmValues.Create(environment, Release()).WithBlueGreen("green", new Dictionary<string, DeliveryRelease> { ["green"] = DeliveryRelease.From(Release()) });
        var file = Path.Combine(_scratch, "bad-active.yaml");
        await File.WriteAllTextAsync(file, values.ToYaml().Replace("active: green", "active: blue", StringComparison.Ordinal));

        var result = await HelmAsync(helm, HelmCli.Template("slipway", ChartPath, valuesFiles: [.. environment.Delivery.Helm!.ValuesFiles.Select(f => Path.Combine(TestPaths.RepositoryRoot, f)), file]).AcceptingAnyExitCode());

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("blueGreen.active is \"blue\", which is not one of blueGreen.tracks: traffic would reach no pod", result.StandardError, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => HelmValues.Create(environment, Release()).WithBlueGreen("red", new Dictionary<string, DeliveryRelease> { ["red"] = DeliveryRelease.From(Release()) }));
    }

    [Theory]
    [MemberData(nameof(HelmBinaries))]
    public async Task The_canary_release_renders_only_the_routed_service_and_the_migrations_under_its_own_names(string helm)
    {
        var environment = Load("prod");
        var values = HelmValues.Create(environment, Release()).AsCanary();

        var manifests = await RenderAsync(helm, values, environment, HelmValues.CanaryReleaseName("slipway"));

        Assert.Equal(
            ["ConfigMap slipway-canary-api", "Deployment slipway-canary-api", "Job slipway-canary-migrate", "Service slipway-canary-api"],
            manifests.Select(m => $"{Scalar(m, "kind")} {NameOf(m)}").Order(StringComparer.Ordinal));
        var deployment = Assert.Single(Kind(manifests, "Deployment"));
        Assert.Equal("canary", Scalar(deployment, "spec", "selector", "matchLabels", "slipway.dev/track"));
        Assert.Equal("canary", Scalar(Kind(manifests, "Service").Single(), "spec", "selector", "slipway.dev/track"));
        Assert.Equal("stable", Scalar(Kind(await RenderAsync(helm, values with { Track = HelmTrack.Stable }, environment), "Service").First(), "spec", "selector", "slipway.dev/track"));
    }

    [Theory]
    [MemberData(nameof(HelmBinaries))]
    public async Task With_ingress_nginx_the_stable_release_has_an_ingress_and_the_canary_one_a_weighted_canary_ingress(string helm)
    {
        var prod = Load("prod");
        var environment = prod with { Ingress = prod.Ingress! with { Router = IngressRouter.IngressNginx, Gateway = null } };
        var stable = HelmValues.Create(environment, Release());

        var stableManifests = await RenderAsync(helm, stable, environment);
        var canaryManifests = await RenderAsync(helm, stable.WithCanaryRoute(10).AsCanary(), environment, "slipway-canary");

        Assert.Empty(Kind(stableManifests, "HTTPRoute"));
        var ingress = Assert.Single(Kind(stableManifests, "Ingress"));
        Assert.Equal("nginx", Scalar(ingress, "spec", "ingressClassName"));
        Assert.Null(Node(ingress, "metadata", "annotations", "nginx.ingress.kubernetes.io/canary"));
        Assert.Equal("slipway-api", IngressBackend(ingress));
        var canary = Assert.Single(Kind(canaryManifests, "Ingress"));
        Assert.Equal("slipway-canary-api", NameOf(canary));
        Assert.Equal("true", Scalar(canary, "metadata", "annotations", "nginx.ingress.kubernetes.io/canary"));
        Assert.Equal("10", Scalar(canary, "metadata", "annotations", "nginx.ingress.kubernetes.io/canary-weight"));
        Assert.Equal("slipway-canary-api", IngressBackend(canary));
        Assert.Equal(Scalar(ingress, "spec", "rules", "host"), Scalar(canary, "spec", "rules", "host"));
    }

    [Theory]
    [MemberData(nameof(HelmBinaries))]
    public async Task Prods_security_reaches_the_router_and_the_services_with_either_router(string helm)
    {
        // prod: TLS provided, CORS for two origins, 200/s with a burst of 400, the standard headers.
        var prod = Load("prod");
        var nginx = prod with { Ingress = prod.Ingress! with { Router = IngressRouter.IngressNginx, Gateway = null } };

        var nginxManifests = await RenderAsync(helm, HelmValues.Create(nginx, Release()), nginx);
        var gatewayManifests = await RenderAsync(helm, HelmValues.Create(prod, Release()), prod);

        var ingress = Assert.Single(Kind(nginxManifests, "Ingress"));
        Assert.Equal("true", Scalar(ingress, "metadata", "annotations", "nginx.ingress.kubernetes.io/force-ssl-redirect"));
        Assert.Equal("200", Scalar(ingress, "metadata", "annotations", "nginx.ingress.kubernetes.io/limit-rps"));
        // 200/s + 400 is 600 in a second: three times the rate.
        Assert.Equal("3", Scalar(ingress, "metadata", "annotations", "nginx.ingress.kubernetes.io/limit-burst-multiplier"));
        Assert.Equal("true", Scalar(ingress, "metadata", "annotations", "nginx.ingress.kubernetes.io/enable-cors"));
        Assert.Equal("https://slipway.example, https://app.slipway.example", Scalar(ingress, "metadata", "annotations", "nginx.ingress.kubernetes.io/cors-allow-origin"));
        Assert.Equal("slipway/slipway-security-headers", Scalar(ingress, "metadata", "annotations", "nginx.ingress.kubernetes.io/custom-headers"));
        var headers = Kind(nginxManifests, "ConfigMap").Single(c => NameOf(c) == "slipway-security-headers");
        var expected = SecurityHeaders.For(prod.Security).OrderBy(h => h.Key, StringComparer.Ordinal).Select(h => (h.Key, h.Value)).ToList();
        Assert.Contains(("Strict-Transport-Security", "max-age=31536000"), expected);
        Assert.Equal(expected, ((YamlMappingNode)Node(headers, "data")!).Children.Select(c => (c.Key.ToString(), c.Value.ToString())).OrderBy(h => h.Item1, StringComparer.Ordinal));

        var route = Assert.Single(Kind(gatewayManifests, "HTTPRoute"));
        Assert.Equal("ResponseHeaderModifier", Scalar(route, "spec", "rules", "filters", "type"));
        var set = ((YamlSequenceNode)Node(route, "spec", "rules", "filters", "responseHeaderModifier", "set")!).Children.Cast<YamlMappingNode>();
        Assert.Equal(expected, set.Select(h => (Scalar(h, "name")!, Scalar(h, "value")!)).OrderBy(h => h.Item1, StringComparer.Ordinal));
        Assert.DoesNotContain(Kind(gatewayManifests, "ConfigMap"), c => NameOf(c) == "slipway-security-headers");

        // Either way, every service is told the origins and the limit, as on Compose.
        foreach (var manifests in new[] { nginxManifests, gatewayManifests })
        {
            foreach (var config in Kind(manifests, "ConfigMap").Where(c => NameOf(c) is "slipway-api" or "slipway-worker"))
            {
                Assert.Equal("https://slipway.example,https://app.slipway.example", Scalar(config, "data", "SLIPWAY_CORS_ORIGINS"));
                Assert.Equal(("200", "400"), (Scalar(config, "data", "SLIPWAY_RATE_LIMIT_REQUESTS_PER_SECOND"), Scalar(config, "data", "SLIPWAY_RATE_LIMIT_BURST")));
            }
        }
    }

    [Theory]
    [MemberData(nameof(HelmBinaries))]
    public async Task A_missing_digest_fails_the_render_with_what_to_do(string helm)
    {
        var environment = Load("prod");
        var valuesFile = Path.Combine(_scratch, "values.yaml");
        await File.WriteAllTextAsync(valuesFile, HelmValues.Create(environment, Release()).ToYaml().Replace(
            "digest: sha256:2222222222222222222222222222222222222222222222222222222222222222", "digest: \"\"", StringComparison.Ordinal));

        var result = await HelmAsync(helm, HelmCli.Template("slipway", ChartPath, "slipway", [valuesFile]).AcceptingAnyExitCode());

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("services.worker.image.digest is \"\": images are deployed by digest only", result.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(HelmBinaries))]
    public async Task The_HelmTemplate_target_writes_values_and_manifests_for_an_environment(string helm)
    {
        foreach (var directory in new[] { "environments", "charts" })
        {
            CopyDirectory(Path.Combine(TestPaths.RepositoryRoot, directory), Path.Combine(_scratch, directory));
        }

        Release().Write(Path.Combine(_scratch, ReleaseManifest.DefaultPath));

        var run = await InProcessHost.RunAsync(new SlipwayPipeline(), ["--target", "HelmTemplate", "--env", "prod"], RealHelm.Runner(helm), workingDirectory: _scratch);

        Assert.True(run.ExitCode == 0, run.Out + run.Error);
        Assert.Contains("helm lint --strict", run.Out, StringComparison.Ordinal);
        Assert.Contains("values-prod.yaml", run.Out, StringComparison.Ordinal);
        var manifests = Parse(await File.ReadAllTextAsync(Path.Combine(_scratch, "artifacts", "helm", "prod", "manifests.yaml")));
        Assert.Equal(["slipway-api", "slipway-worker"], Kind(manifests, "Deployment").Select(NameOf));
        Assert.Equal("topology.kubernetes.io/zone", Scalar(Kind(manifests, "Deployment").First(), "spec", "template", "spec", "topologySpreadConstraints", "topologyKey"));
        Assert.StartsWith("# Generated by Slipway", await File.ReadAllTextAsync(Path.Combine(_scratch, "artifacts", "helm", "prod", "values.yaml")), StringComparison.Ordinal);
    }

    private static string ChartPath => Path.Combine(TestPaths.RepositoryRoot, Chart);

    private static ReleaseManifest Release() => new(
        "1.4.0+build.7",
        "0123456789abcdef0123456789abcdef01234567",
        new DateTimeOffset(2026, 11, 22, 18, 0, 0, TimeSpan.Zero),
        "ghcr.io",
        [
            new ReleasedImage("api", "ghcr.io/slipway-dev/slipway/api", "1.4.0", "sha256:" + new string('1', 64)),
            new ReleasedImage("worker", "ghcr.io/slipway-dev/slipway/worker", "1.4.0", "sha256:" + new string('2', 64)),
        ]);

    private static DeployEnvironment Load(string name)
    {
        var result = new EnvironmentLoader(TestPaths.RepositoryRoot).Load("environments", name, new Dictionary<string, string>());
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        return result.Environment!;
    }

    /// <summary>helm lint --strict, then helm template, with the environment's values files and then the generated ones.</summary>
    private async Task<List<YamlMappingNode>> RenderAsync(string helm, HelmValues values, DeployEnvironment environment, string? release = null)
    {
        var valuesFile = Path.Combine(_scratch, $"values-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(valuesFile, values.ToYaml());
        string[] files = [.. (environment.Delivery.Helm?.ValuesFiles ?? []).Select(f => Path.Combine(TestPaths.RepositoryRoot, f)), valuesFile];

        var lint = await HelmAsync(helm, HelmCli.Lint(ChartPath, files).AcceptingAnyExitCode());
        Assert.True(lint.ExitCode == 0, $"{helm} lint --strict failed:\n{lint.StandardOutput}\n{lint.StandardError}");
        var rendered = await HelmAsync(helm, HelmCli.Template(release ?? values.ReleaseName, ChartPath, "slipway", files).AcceptingAnyExitCode());
        Assert.True(rendered.ExitCode == 0, $"{helm} template failed:\n{rendered.StandardError}");
        return Parse(rendered.StandardOutput);
    }

    private static async Task<ToolResult> HelmAsync(string helm, ToolInvocation invocation) =>
        await RealHelm.Runner(helm).RunAsync(invocation, NullToolOutput.Instance, CancellationToken.None);

    private static List<YamlMappingNode> Parse(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return [.. stream.Documents.Select(d => d.RootNode).OfType<YamlMappingNode>()];
    }

    private static List<YamlMappingNode> Kind(IEnumerable<YamlMappingNode> manifests, string kind) =>
        [.. manifests.Where(m => Scalar(m, "kind") == kind)];

    private static string? NameOf(YamlMappingNode manifest) => Scalar(manifest, "metadata", "name");

    private static IEnumerable<YamlMappingNode> Containers(YamlMappingNode workload) =>
        ((YamlSequenceNode)Node(workload, "spec", "template", "spec", "containers")!).Children.Cast<YamlMappingNode>();

    private static IEnumerable<string> SecretVariables(YamlMappingNode container, string secretName)
    {
        if (Node(container, "env") is not YamlSequenceNode env)
        {
            return [];
        }

        var variables = env.Children.Cast<YamlMappingNode>().Where(e => Node(e, "valueFrom", "secretKeyRef") is not null).ToList();
        Assert.All(variables, v => Assert.Equal(secretName, Scalar(v, "valueFrom", "secretKeyRef", "name")));
        Assert.All(variables, v => Assert.Null(Node(v, "value")));
        return variables.Select(v => Scalar(v, "name")!).Order(StringComparer.Ordinal);
    }

    private static List<(string?, string?, string?)> Backends(YamlMappingNode route) =>
        [.. ((YamlSequenceNode)Node(route, "spec", "rules", "backendRefs")!).Children.Cast<YamlMappingNode>()
            .Select(b => (Scalar(b, "name"), Scalar(b, "port"), Scalar(b, "weight")))];

    private static string? IngressBackend(YamlMappingNode ingress) =>
        Scalar((YamlMappingNode)((YamlSequenceNode)Node(ingress, "spec", "rules", "http", "paths")!).Children.Single(), "backend", "service", "name");

    /// <summary>Follows mapping keys; a sequence on the way is entered at its first item (rules, paths).</summary>
    private static YamlNode? Node(YamlNode node, params string[] path)
    {
        foreach (var key in path)
        {
            if (node is YamlSequenceNode { Children.Count: > 0 } sequence)
            {
                node = sequence.Children[0];
            }

            if (node is not YamlMappingNode mapping || !mapping.Children.TryGetValue(new YamlScalarNode(key), out var child))
            {
                return null;
            }

            node = child;
        }

        return node;
    }

    private static string? Scalar(YamlNode node, params string[] path) => (Node(node, path) as YamlScalarNode)?.Value;

    private static void CopyDirectory(string source, string destination)
    {
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(destination, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
