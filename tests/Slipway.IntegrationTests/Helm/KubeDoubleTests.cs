using System.Text;
using System.Text.Json.Nodes;
using Slipway.Processes;
using Slipway.Tests.Support;
using Slipway.Tools.Helm;
using Slipway.Tools.Kubectl;

namespace Slipway.IntegrationTests.Helm;

/// <summary>
/// The helm/kubectl test double's contract, driven through Slipway's real wrappers and process runner: release
/// revisions as Helm records them, Helm 3 vs 4 flags, readiness from unready digests, kubectl's messages and exit codes,
/// and its refusal of any context that does not name a double. Renders a small fixture chart with the real Helm.
/// </summary>
[Collection(SerialKubeDoubleTests.Name)]
public sealed class KubeDoubleTests : IDisposable
{
    private const string Good = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    private const string Bad = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
    private static readonly HelmReleaseName Release = new("rel", "ns", KubeDouble.Context);
    private static readonly KubeScope Scope = new("ns", KubeDouble.Context);
    private readonly string _directory = TestPaths.NewTempDirectory();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string State => Path.Combine(_directory, "state");

    private static string Chart => Path.Combine(TestPaths.RepositoryRoot, "tests", "Slipway.IntegrationTests", "Helm", "Data", "kube-double-chart");

    private string Values(string name, string digest)
    {
        var path = Path.Combine(_directory, name + ".yaml");
        File.WriteAllText(path, $"services:\n  api:\n    image: \"r/api@{digest}\"\n    replicas: 2\n");
        return path;
    }

    private HelmUpgrade Upgrade(string values) => new() { Release = Release, Chart = Chart, ValuesFiles = [values], CreateNamespace = true, Timeout = TimeSpan.FromSeconds(30) };

    private async Task<ToolResult> RunAsync(ToolInvocation invocation, string helmMajor = "4")
    {
        var resolver = new ToolResolver(name => name switch
        {
            "SLIPWAY_HELM" => KubeDouble.Helm,
            "SLIPWAY_KUBECTL" => KubeDouble.Kubectl,
            _ => Environment.GetEnvironmentVariable(name),
        });
        var runner = new EnvironmentAddingRunner(new ProcessRunner(resolver), KubeDouble.Variables(State, helmMajor));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return await runner.RunAsync(invocation.AcceptingAnyExitCode(), NullToolOutput.Instance, timeout.Token);
    }

    private async Task<HelmReleaseHistory> HistoryAsync() => HelmReleaseHistory.Parse((await RunAsync(HelmCli.History(Release))).StandardOutput);

    [Theory]
    [InlineData("3", "v3.15.4")]
    [InlineData("4", "v4.1.4")]
    public async Task It_reports_the_Helm_it_plays_as_a_double(string major, string expected)
    {
        var result = await RunAsync(HelmCli.Version(), major);

        Assert.Equal(expected + "+gdouble", result.StandardOutput.Trim());
        Assert.Equal(expected, HelmVersion.Parse(result.StandardOutput).ToString());
    }

    [Fact]
    public async Task It_refuses_a_context_that_does_not_name_a_double_and_one_that_is_missing()
    {
        var prod = await RunAsync(HelmCli.History(Release with { KubeContext = "prod" }));
        var none = await RunAsync(KubectlCli.Get(new KubeScope("ns", null), "deployments"));

        Assert.Equal(1, prod.ExitCode);
        Assert.Contains("refusing context \"prod\"", prod.StandardError, StringComparison.Ordinal);
        Assert.Equal(1, none.ExitCode);
        Assert.Contains("no --context given", none.StandardError, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(State, "releases")));
    }

    [Fact]
    public async Task Install_upgrade_and_rollback_keep_revisions_as_Helm_does()
    {
        var first = await RunAsync(HelmCli.UpgradeInstall(Upgrade(Values("v1", Good)), new HelmVersion(4, 1, 4)));
        var second = await RunAsync(HelmCli.UpgradeInstall(Upgrade(Values("v2", Good.Replace('1', '3'))), new HelmVersion(4, 1, 4)));
        var rolledBack = await RunAsync(HelmCli.Rollback(Release, 1, TimeSpan.FromSeconds(30), 10, new HelmVersion(4, 1, 4)));

        Assert.Equal((0, 0, 0), (first.ExitCode, second.ExitCode, rolledBack.ExitCode));
        Assert.Contains("Installing it now", first.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("has been upgraded", second.StandardOutput, StringComparison.Ordinal);
        var history = await HistoryAsync();
        Assert.Equal(
            [(1, HelmReleaseStatus.Superseded, "Install complete"), (2, HelmReleaseStatus.Superseded, "Upgrade complete"), (3, HelmReleaseStatus.Deployed, "Rollback to 1")],
            history.Revisions.Select(r => (r.Revision, r.Status, r.Description)));
        Assert.Equal("double-fixture-0.1.0", history.Current!.Chart);
        var deployment = JsonNode.Parse((await RunAsync(KubectlCli.Get(Scope, "deployment", "rel-api"))).StandardOutput)!;
        Assert.Equal("r/api@" + Good, (string?)deployment["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]);
        Assert.Equal(2, (int?)deployment["status"]!["readyReplicas"]);
    }

    [Theory]
    [InlineData("3")]
    [InlineData("4")]
    public async Task A_failed_upgrade_that_rolls_back_on_failure_leaves_a_failed_revision_and_a_rollback_to_the_previous(string major)
    {
        var helm = HelmVersion.Parse($"v{major}.0.0");
        await RunAsync(HelmCli.UpgradeInstall(Upgrade(Values("v1", Good)), helm), major);
        await File.WriteAllTextAsync(Path.Combine(State, "unready-digests"), Bad + "\n");

        var failed = await RunAsync(HelmCli.UpgradeInstall(Upgrade(Values("v2", Bad)), helm), major);

        Assert.Equal(1, failed.ExitCode);
        Assert.Contains($"has been rolled back due to {(major == "3" ? "atomic" : "rollback-on-failure")} being set: context deadline exceeded", failed.StandardError, StringComparison.Ordinal);
        Assert.Equal(
            [(1, HelmReleaseStatus.Superseded), (2, HelmReleaseStatus.Failed), (3, HelmReleaseStatus.Deployed)],
            (await HistoryAsync()).Revisions.Select(r => (r.Revision, r.Status)));
        Assert.Equal("Rollback to 1", (await HistoryAsync()).Current!.Description);
        var rollout = await RunAsync(KubectlCli.RolloutStatus(Scope, "rel-api", TimeSpan.FromSeconds(5)), major);
        Assert.Equal(0, rollout.ExitCode);
        Assert.Contains("successfully rolled out", rollout.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_waiting_an_unready_release_is_deployed_and_rollout_status_times_out_as_kubectl_does()
    {
        await File.WriteAllTextAsync(Path.Combine(Directory.CreateDirectory(State).FullName, "unready-digests"), "# faulty build\n" + Bad + "\n");
        var upgrade = await RunAsync(HelmCli.UpgradeInstall(Upgrade(Values("v1", Bad)) with { RollbackOnFailure = false }, new HelmVersion(3, 15, 4)).WithArguments("--wait=false"), "3");

        var rollout = await RunAsync(KubectlCli.RolloutStatus(Scope, "rel-api", TimeSpan.FromSeconds(5)));
        var missing = await RunAsync(KubectlCli.RolloutStatus(Scope, "rel-nothing", TimeSpan.FromSeconds(5)));

        Assert.Equal(0, upgrade.ExitCode);
        Assert.Equal(HelmReleaseStatus.Deployed, (await HistoryAsync()).Current!.Status);
        Assert.Equal(1, rollout.ExitCode);
        Assert.Equal("Waiting for deployment \"rel-api\" rollout to finish: 0 of 2 updated replicas are available...", rollout.StandardOutput.Trim());
        Assert.Equal("error: timed out waiting for the condition", rollout.StandardError.Trim());
        Assert.Contains("Error from server (NotFound): deployments.apps \"rel-nothing\" not found", missing.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Helm_3_rejects_Helm_4_flags_and_Helm_4_warns_about_atomic()
    {
        var helm4FlagsOn3 = await RunAsync(HelmCli.UpgradeInstall(Upgrade(Values("v1", Good)), new HelmVersion(4, 1, 4)), "3");
        var helm3FlagsOn4 = await RunAsync(HelmCli.UpgradeInstall(Upgrade(Values("v1", Good)), new HelmVersion(3, 15, 4)), "4");

        Assert.Equal(1, helm4FlagsOn3.ExitCode);
        Assert.Equal("Error: unknown flag: --rollback-on-failure", helm4FlagsOn3.StandardError.Trim());
        Assert.Equal(0, helm3FlagsOn4.ExitCode);
        Assert.Contains("Flag --atomic has been deprecated, use --rollback-on-failure instead", helm3FlagsOn4.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_secret_applied_on_stdin_is_stored_as_base64_data_and_a_missing_namespace_is_refused()
    {
        var manifest = KubernetesSecretManifest.Render("app-secrets", "ns", new Dictionary<string, Secret> { ["PASSWORD"] = new("double-secret-value", "test") });

        var refused = await RunAsync(KubectlCli.ApplyFromStandardInput(Scope, manifest));
        await RunAsync(KubectlCli.ApplyFromStandardInput(Scope, """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"ns"}}"""));
        var created = await RunAsync(KubectlCli.ApplyFromStandardInput(Scope, manifest));
        var again = await RunAsync(KubectlCli.ApplyFromStandardInput(Scope, manifest));

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("namespaces \"ns\" not found", refused.StandardError, StringComparison.Ordinal);
        Assert.Equal(("secret/app-secrets created", "secret/app-secrets unchanged"), (created.StandardOutput.Trim(), again.StandardOutput.Trim()));
        var stored = JsonNode.Parse((await RunAsync(KubectlCli.Get(Scope, "secret", "app-secrets"))).StandardOutput)!;
        Assert.Equal("double-secret-value", Encoding.UTF8.GetString(Convert.FromBase64String((string)stored["data"]!["PASSWORD"]!)));
        Assert.DoesNotContain("double-secret-value", await File.ReadAllTextAsync(Path.Combine(State, "calls.log")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_httproute_the_chart_rendered_can_be_patched_with_a_json_patch()
    {
        await RunAsync(HelmCli.UpgradeInstall(Upgrade(Values("v1", Good)), new HelmVersion(4, 1, 4)));

        var patched = await RunAsync(KubectlCli.PatchJson(Scope, "httproute", "rel", """[{"op":"replace","path":"/spec/rules/0/backendRefs/0/weight","value":90},{"op":"add","path":"/spec/rules/0/backendRefs/1","value":{"name":"rel-canary-api","port":8080,"weight":10}}]"""));
        var wrong = await RunAsync(KubectlCli.PatchJson(Scope, "httproute", "rel", """[{"op":"replace","path":"/spec/rules/0/backendRefs/5/weight","value":1}]"""));

        Assert.Equal(0, patched.ExitCode);
        Assert.Equal(1, wrong.ExitCode);
        var route = JsonNode.Parse((await RunAsync(KubectlCli.Get(Scope, "httproutes", "rel"))).StandardOutput)!;
        Assert.Equal([90, 10], route["spec"]!["rules"]![0]!["backendRefs"]!.AsArray().Select(b => (int)b!["weight"]!));
    }

    private static InvocationValue Lease(string holder, string? resourceVersion = null) => InvocationValue.FromString(new JsonObject
    {
        ["apiVersion"] = "coordination.k8s.io/v1",
        ["kind"] = "Lease",
        ["metadata"] = new JsonObject { ["name"] = "lock", ["resourceVersion"] = resourceVersion },
        ["spec"] = new JsonObject { ["holderIdentity"] = holder, ["leaseDurationSeconds"] = 30, ["acquireTime"] = "2026-01-02T03:04:05.000000Z", ["renewTime"] = "2026-01-02T03:04:05.000000Z", ["leaseTransitions"] = 0 },
    }.ToJsonString());

    [Fact]
    public async Task Create_of_a_taken_name_is_AlreadyExists_and_replace_at_a_stale_resourceVersion_is_a_Conflict_as_the_API_server_answers()
    {
        await RunAsync(KubectlCli.ApplyFromStandardInput(Scope, """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"ns"}}"""));

        var created = await RunAsync(KubectlCli.CreateFromStandardInput(Scope, Lease("runner-a")));
        var again = await RunAsync(KubectlCli.CreateFromStandardInput(Scope, Lease("runner-b")));
        var read = JsonNode.Parse((await RunAsync(KubectlCli.Get(Scope, "lease", "lock"))).StandardOutput)!;
        var version = (string)read["metadata"]!["resourceVersion"]!;
        var first = await RunAsync(KubectlCli.ReplaceFromStandardInput(Scope, Lease("runner-b", version)));
        var stale = await RunAsync(KubectlCli.ReplaceFromStandardInput(Scope, Lease("runner-c", version)));
        var missing = await RunAsync(KubectlCli.ReplaceFromStandardInput(new KubeScope("ns", KubeDouble.Context), InvocationValue.FromString("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"none"},"data":{}}""")));

        Assert.Equal(0, created.ExitCode);
        Assert.Equal("lease", (string?)JsonNode.Parse(created.StandardOutput)!["kind"]!.GetValue<string>().ToLowerInvariant());
        Assert.Equal(1, again.ExitCode);
        Assert.Equal("Error from server (AlreadyExists): error when creating \"STDIN\": leases.coordination.k8s.io \"lock\" already exists", again.StandardError.Trim());
        Assert.Equal(0, first.ExitCode);
        Assert.NotEqual(version, (string?)JsonNode.Parse(first.StandardOutput)!["metadata"]!["resourceVersion"]);
        Assert.Equal(1, stale.ExitCode);
        Assert.Equal(
            "Error from server (Conflict): error when replacing \"STDIN\": Operation cannot be fulfilled on leases.coordination.k8s.io \"lock\": the object has been modified; please apply your changes to the latest version and try again",
            stale.StandardError.Trim());
        Assert.Contains("Error from server (NotFound): error when replacing \"STDIN\": configmaps \"none\" not found", missing.StandardError, StringComparison.Ordinal);
        var lease = JsonNode.Parse((await RunAsync(KubectlCli.Get(Scope, "leases.coordination.k8s.io", "lock"))).StandardOutput)!;
        Assert.Equal("runner-b", (string?)lease["spec"]!["holderIdentity"]);
        Assert.Equal(30, (int)lease["spec"]!["leaseDurationSeconds"]!);
        Assert.Equal((string?)read["metadata"]!["uid"], (string?)lease["metadata"]!["uid"]);
    }

    [Fact]
    public async Task A_ConfigMap_over_1_MiB_is_refused_as_invalid_and_delete_ignore_not_found_is_silent()
    {
        await RunAsync(KubectlCli.ApplyFromStandardInput(Scope, """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"ns"}}"""));
        var big = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = new JsonObject { ["name"] = "big" }, ["data"] = new JsonObject { ["k"] = new string('x', 1024 * 1024) } };

        var refused = await RunAsync(KubectlCli.CreateFromStandardInput(Scope, InvocationValue.FromString(big.ToJsonString())));
        var gone = await RunAsync(KubectlCli.Delete(Scope, "configmap", "big"));

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("Error from server (Invalid): error when creating \"STDIN\": ConfigMap \"big\" is invalid: []: Too long: must have at most 1048576 bytes", refused.StandardError, StringComparison.Ordinal);
        Assert.Equal((0, string.Empty), (gone.ExitCode, gone.StandardOutput.Trim()));
    }
}
