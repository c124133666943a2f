using System.Text;
using Slipway.Processes;
using Slipway.Tests.Support;
using Slipway.Tools.Helm;
using Slipway.Tools.Kubectl;

namespace Slipway.Tests.Tools;

/// <summary>Golden invocations of the Helm and kubectl wrappers for Helm 3 and Helm 4, and the parsers of their output.</summary>
public sealed class HelmCliTests
{
    private static readonly HelmVersion Helm3 = new(3, 15, 4);
    private static readonly HelmVersion Helm4 = new(4, 1, 4);
    private static readonly HelmReleaseName Release = new("slipway", "slipway-prod", "prod-cluster");

    private static string[] Tokens(ToolInvocation invocation) => [.. invocation.Arguments.Select(a => a.Reveal())];

    private static HelmUpgrade Upgrade => new()
    {
        Release = Release,
        Chart = "charts/app",
        ValuesFiles = ["charts/app/values-prod.yaml", "artifacts/helm/prod/values.yaml"],
        CreateNamespace = true,
        Timeout = TimeSpan.FromMinutes(20),
        HistoryMax = 20,
    };

    [Theory]
    [InlineData("v3.15.4+gc309b6f", 3, 15, 4)]
    [InlineData("v4.1.4+g05fa379\n", 4, 1, 4)]
    [InlineData("v4.0.0-rc.1", 4, 0, 0)]
    public void Version_reads_the_short_version(string output, int major, int minor, int patch)
    {
        Assert.Equal(new HelmVersion(major, minor, patch), HelmVersion.Parse(output));
        Assert.Equal(["version", "--short"], Tokens(HelmCli.Version()));
    }

    [Fact]
    public void Version_refuses_Helm_2_and_output_without_a_version()
    {
        Assert.Contains("too old", Assert.Throws<FormatException>(() => HelmVersion.Parse("v2.17.0+ga690bad")).Message, StringComparison.Ordinal);
        Assert.Contains("SLIPWAY_HELM", Assert.Throws<FormatException>(() => HelmVersion.Parse("bash: helm: command not found")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_invocation_for_Helm_3_and_Helm_4_matches_the_golden_file()
    {
        var text = new StringBuilder();
        foreach (var version in new[] { Helm3, Helm4 })
        {
            text.AppendLine($"# Helm {version}");
            text.AppendLine(HelmCli.Version().ToDisplayString());
            text.AppendLine(HelmCli.UpgradeInstall(Upgrade, version).ToDisplayString());
            text.AppendLine(HelmCli.UpgradeInstall(Upgrade with { RollbackOnFailure = false, CreateNamespace = false, Release = Release with { KubeContext = null } }, version).ToDisplayString());
            text.AppendLine(HelmCli.History(Release).ToDisplayString());
            text.AppendLine(HelmCli.Rollback(Release, 3, TimeSpan.FromSeconds(90.5), 20, version).ToDisplayString());
            text.AppendLine(HelmCli.Status(Release).ToDisplayString());
            text.AppendLine(HelmCli.Uninstall(Release, wait: true).ToDisplayString());
        }

        var scope = new KubeScope("slipway-prod", "prod-cluster");
        text.AppendLine("# kubectl");
        text.AppendLine(KubectlCli.RolloutStatus(scope, "slipway-api", TimeSpan.FromMinutes(5)).ToDisplayString());
        text.AppendLine(KubectlCli.Get(scope, "deployments", selector: "app.kubernetes.io/instance=slipway").ToDisplayString());
        text.AppendLine(KubectlCli.Get(new KubeScope("slipway-prod", null), "httproute", "slipway").ToDisplayString());
        text.AppendLine(KubectlCli.PatchJson(scope, "httproute", "slipway", """[{"op":"replace","path":"/spec/rules/0/backendRefs/0/weight","value":90}]""").ToDisplayString());
        var secret = KubernetesSecretManifest.Render("slipway-api-env", "slipway-prod", new Dictionary<string, Secret> { ["ConnectionStrings__Postgres"] = new("Host=db;Password=golden-s3cret", "env:PROD_POSTGRES_CONNECTION") });
        text.AppendLine(KubectlCli.ApplyFromStandardInput(scope, secret).ToDisplayString());
        Snapshot.Match(text.ToString(), "helm-kubectl-invocations");
    }

    [Fact]
    public void Helm_3_rolls_back_on_failure_with_atomic_and_Helm_4_with_rollback_on_failure_and_the_watcher()
    {
        var helm3 = Tokens(HelmCli.UpgradeInstall(Upgrade, Helm3));
        var helm4 = Tokens(HelmCli.UpgradeInstall(Upgrade, Helm4));

        Assert.Equal(["--atomic", "--wait"], helm3[^2..]);
        Assert.Equal(["--rollback-on-failure", "--wait=watcher"], helm4[^2..]);
        Assert.DoesNotContain("--atomic", helm4);
        Assert.DoesNotContain("--rollback-on-failure", helm3);

        // Values files keep their order: later ones override earlier ones.
        Assert.True(Array.IndexOf(helm4, "charts/app/values-prod.yaml") < Array.IndexOf(helm4, "artifacts/helm/prod/values.yaml"));
        Assert.Equal(["upgrade", "--install", "slipway", "charts/app", "--namespace", "slipway-prod", "--kube-context", "prod-cluster", "--create-namespace"], helm3[..9]);
    }

    [Fact]
    public void A_secret_manifest_reaches_kubectl_on_stdin_only_and_prints_masked()
    {
        var value = new Secret("p\"ss\\word-with-quote", "env:X");
        var invocation = KubectlCli.ApplyFromStandardInput(new KubeScope("ns", "ctx"), KubernetesSecretManifest.Render("app-env", "ns", new Dictionary<string, Secret> { ["B"] = value, ["A"] = new Secret("plain-a-value", "env:A") }));

        Assert.Equal(["apply", "-n", "ns", "--context", "ctx", "-f", "-"], Tokens(invocation));
        Assert.DoesNotContain("word-with-quote", invocation.ToDisplayString(), StringComparison.Ordinal);
        Assert.DoesNotContain("plain-a-value", invocation.ToDisplayString(), StringComparison.Ordinal);
        var sent = System.Text.Json.Nodes.JsonNode.Parse(invocation.StandardInput!.Reveal())!;
        Assert.Equal("Secret", (string?)sent["kind"]);
        Assert.Equal("p\"ss\\word-with-quote", (string?)sent["stringData"]!["B"]);
        Assert.Equal("plain-a-value", (string?)sent["stringData"]!["A"]);
        Assert.Equal("ns", (string?)sent["metadata"]!["namespace"]);
    }

    [Fact]
    public void History_json_is_parsed_sorted_with_every_status()
    {
        const string json = """
            [{"revision":2,"updated":"2026-03-01T10:15:13.123456789+01:00","status":"superseded","chart":"app-0.1.0","app_version":"1.1.0","description":"Upgrade complete"},
             {"revision":1,"updated":"2026-03-01T09:00:00Z","status":"superseded","chart":"app-0.1.0","app_version":"1.0.0","description":"Install complete"},
             {"revision":3,"updated":"2026-03-01T11:00:00Z","status":"failed","chart":"app-0.1.0","app_version":"1.2.0","description":"Upgrade \"slipway\" failed: context deadline exceeded"},
             {"revision":4,"updated":"2026-03-01T11:01:00Z","status":"deployed","chart":"app-0.1.0","app_version":"1.1.0","description":"Rollback to 2"},
             {"revision":5,"updated":"2026-03-01T12:00:00Z","status":"pending-upgrade","chart":"app-0.1.0","app_version":"1.3.0","description":"Preparing upgrade"},
             {"revision":6,"updated":"2026-03-01T12:00:00Z","status":"pending-rollback","chart":"app-0.1.0","app_version":"","description":""},
             {"revision":7,"updated":"2026-03-01T12:00:00Z","status":"uninstalled","chart":"app-0.1.0","app_version":"","description":"Uninstallation complete"},
             {"revision":8,"updated":"","status":"something-new","chart":"app-0.1.0"}]
            """;

        var history = HelmReleaseHistory.Parse(json);

        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], history.Revisions.Select(r => r.Revision));
        Assert.Equal(
            [HelmReleaseStatus.Superseded, HelmReleaseStatus.Superseded, HelmReleaseStatus.Failed, HelmReleaseStatus.Deployed, HelmReleaseStatus.PendingUpgrade, HelmReleaseStatus.PendingRollback, HelmReleaseStatus.Uninstalled, HelmReleaseStatus.Unknown],
            history.Revisions.Select(r => r.Status));
        Assert.Equal(4, history.Current!.Revision);
        Assert.Equal(8, history.Latest!.Revision);
        Assert.Equal("Rollback to 2", history.Find(4)!.Description);
        Assert.Equal("1.1.0", history.Find(2)!.AppVersion);
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 9, 15, 13, TimeSpan.Zero), history.Find(2)!.Updated.ToUniversalTime().AddTicks(-(history.Find(2)!.Updated.Ticks % TimeSpan.TicksPerSecond)));
        Assert.Equal([true, true, false, true, false, false, false, false], history.Revisions.Select(r => r.RanSuccessfully));
        Assert.Null(history.Find(9));
        Assert.Equal("pending-upgrade", HelmRevision.Spell(HelmReleaseStatus.PendingUpgrade));
    }

    [Fact]
    public void History_of_nothing_is_empty_and_garbage_is_a_format_error()
    {
        Assert.Empty(HelmReleaseHistory.Parse("[]").Revisions);
        Assert.Empty(HelmReleaseHistory.Parse("  \n").Revisions);
        Assert.Null(HelmReleaseHistory.Parse("[]").Current);
        Assert.Contains("REVISION", Assert.Throws<FormatException>(() => HelmReleaseHistory.Parse("REVISION\tUPDATED\tSTATUS")).Message, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => HelmReleaseHistory.Parse("""[{"status":"deployed"}]"""));
    }

    [Fact]
    public void Lint_is_strict_by_default_and_applies_values_files_in_order()
    {
        var lint = HelmCli.Lint("charts/app", ["charts/app/values-prod.yaml", "artifacts/helm/prod/values.yaml"]);

        Assert.Equal("helm", lint.Tool);
        Assert.Equal(
            ["lint", "--strict", "charts/app", "--values", "charts/app/values-prod.yaml", "--values", "artifacts/helm/prod/values.yaml"],
            Tokens(lint));
        Assert.Equal(["lint", "charts/app"], Tokens(HelmCli.Lint("charts/app", strict: false)));
    }

    [Fact]
    public void Template_names_the_release_the_chart_the_namespace_and_the_values_files()
    {
        Assert.Equal(
            ["template", "slipway-canary", "charts/app", "--namespace", "slipway", "--values", "artifacts/helm/prod/values.yaml"],
            Tokens(HelmCli.Template("slipway-canary", "charts/app", "slipway", ["artifacts/helm/prod/values.yaml"])));
        Assert.Equal(["template", "slipway-dev", "charts/app"], Tokens(HelmCli.Template("slipway-dev", "charts/app")));
    }
}
