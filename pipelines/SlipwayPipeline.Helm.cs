using Slipway.Delivery;
using Slipway.Delivery.Compose;
using Slipway.Delivery.Helm;
using Slipway.Delivery.Probes;
using Slipway.Environments;
using Slipway.Processes;
using Slipway.Targets;
using Slipway.Tools.Helm;
using ChartValues = Slipway.Delivery.Helm.HelmValues;

namespace Slipway.Build;

/// <summary>
/// The deploy targets on Kubernetes (an environment whose delivery.driver is helm): lock, verify, the environment's
/// Secrets, helm upgrade --install of charts/app, kubectl rollout status, SLO probes, ledger with the Helm revision,
/// and helm rollback to the last good revision when something fails. DeployDev/DeployStaging/Rollback dispatch here.
/// </summary>
public sealed partial class SlipwayPipeline
{
    /// <summary>How many revisions Helm keeps per release; older ledger releases cannot be rolled back to.</summary>
    private const int HelmHistoryMax = 10;

    private bool DeploysWithHelm => Environments.Current.Delivery.Driver == DeliveryDriver.Helm;

    private HelmTarget HelmSettings => Environments.Current.Delivery.Helm
        ?? throw new InvalidOperationException($"{EnvironmentsDirectory}/{EnvironmentName}.yml deploys with helm but has no delivery.helm section: add namespace and release.");

    private string HelmReleaseNameOf => HelmSettings.Release ?? $"slipway-{EnvironmentName}";

    /// <summary>delivery.helm.probe_url, else https://&lt;ingress.host&gt;.</summary>
    private Uri HelmProbeUrl => HelmSettings.ProbeUrl is { } url
        ? new Uri(url)
        : new Uri($"https://{(Environments.Current.Ingress ?? throw new InvalidOperationException($"{EnvironmentsDirectory}/{EnvironmentName}.yml has neither delivery.helm.probe_url nor ingress.host: the SLO probes need one.")).Host}");

    private async Task DeployWithHelmAsync(TargetContext ctx)
    {
        var manifest = ctx.IsDryRun && !File.Exists(ctx.PathOf(ReleaseFile)) ? null : ReleaseManifest.Read(ctx.PathOf(ReleaseFile));
        var version = manifest?.Version ?? "<version from Publish>";
        await WithLockAsync(ctx, version, async () =>
        {
            var values = await WriteHelmValuesAsync(ctx);
            var release = new HelmRelease(
                version,
                manifest?.Commit ?? "<commit>",
                manifest?.Images.ToDictionary(i => i.Service, i => i.Reference, StringComparer.Ordinal) ?? Services.ToDictionary(s => s.Name, s => ImageReference(s, ctx), StringComparer.Ordinal),
                [.. HelmSettings.ValuesFiles.Select(ctx.PathOf), ctx.PathOf(values)]);
            var deployer = await HelmDeployerAsync(ctx);
            ReportHelm(ctx, await deployer.DeployAsync(release, LedgerEntry.CurrentUser), LedgerAction.Deployed);
        });
    }

    private async Task RollbackWithHelmAsync(TargetContext ctx)
    {
        var (target, current) = RollbackTarget("Helm revision");
        await WithLockAsync(ctx, target.Version, async () =>
        {
            await VerifyAgainAsync(ctx, target);
            var deployer = await HelmDeployerAsync(ctx);
            ReportHelm(ctx, await deployer.RollbackAsync(target, current?.Version, LedgerEntry.CurrentUser), LedgerAction.RolledBack);
        });
    }

    private async Task<HelmDeployer> HelmDeployerAsync(TargetContext ctx)
    {
        var environment = Environments.Current;
        var helm = HelmSettings;
        var release = HelmReleaseNameOf;
        var deployment = new HelmDeployment
        {
            Environment = EnvironmentName,
            Release = new HelmReleaseName(release, helm.Namespace ?? throw new InvalidOperationException($"{EnvironmentsDirectory}/{EnvironmentName}.yml: delivery.helm.namespace is required."), helm.KubeContext),
            Chart = ctx.PathOf(helm.Chart),
            Deployments = [.. Services.Select(s => ChartValues.ResourceName(release, s.Name))],
            Secrets = HelmSecrets(ctx, release),
            Rollout = environment.Rollout,
            HistoryMax = HelmHistoryMax,
        };
        return new HelmDeployer(deployment, ctx, ReleaseLedger.Open(LedgerPath), await DetectHelmAsync(ctx), HelmProbes(), TimeProvider.System);
    }

    /// <summary>The SLO probes against delivery.helm.probe_url.</summary>
    private Func<CancellationToken, Task<ProbeVerdict>> HelmProbes()
    {
        var environment = Environments.Current;
        var url = HelmProbeUrl;
        return async cancellationToken =>
        {
            using var http = new HttpClient();
            var report = await new SloProbeRunner(http) { StopWhenFailed = true }.RunAsync(url, environment.Slo?.Probes ?? [], cancellationToken);
            return new ProbeVerdict(report.Passed || environment.Slo?.GateDeploy == false, report.RenderTable(), report.FailureReasons);
        };
    }

    /// <summary>
    /// The canary controller on Kubernetes: values for the new release on both tracks, the canary as its own Helm
    /// release, the split on the stable release's HTTPRoute (or the canary Ingress), the promotion by the Helm deployer.
    /// </summary>
    /// <param name="ctx">The target's context.</param>
    /// <param name="version">The canary's version.</param>
    /// <param name="rendersRelease">
    /// True when the run may install or promote the canary, which renders the chart values from release.json (it must
    /// hold <paramref name="version"/>); an abort only takes traffic away and uninstalls.
    /// </param>
    private async Task<Delivery.Canary.CanaryController> HelmCanaryControllerAsync(TargetContext ctx, string version, bool rendersRelease = true)
    {
        var environment = Environments.Current;
        var helm = HelmSettings;
        var release = HelmReleaseNameOf;
        var stableValues = HelmValuesPath;
        var canaryValues = $"artifacts/helm/{EnvironmentName}/canary-values.yaml";
        if (rendersRelease)
        {
            if (File.Exists(ctx.PathOf(ReleaseFile)) && ReleaseManifest.Read(ctx.PathOf(ReleaseFile)).Version is var held && held != version)
            {
                throw new InvalidOperationException($"{ReleaseFile} holds {held}, but the canary runs {version}: put the release.json of {version} back (e.g. from the workflow's artifact) and run again.");
            }

            stableValues = await WriteHelmValuesAsync(ctx);
            await ctx.DoAsync($"write {canaryValues} (the canary track)", () =>
            {
                var file = ctx.PathOf(canaryValues);
                Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                File.WriteAllText(file, ChartValues.Create(environment, ReleaseManifest.Read(ctx.PathOf(ReleaseFile))).AsCanary().ToYaml());
            });
        }

        var routed = environment.Ingress?.Backend ?? throw new InvalidOperationException($"{EnvironmentsDirectory}/{EnvironmentName}.yml has no ingress.backend: a canary needs the routed service.");
        var port = environment.Services.TryGetValue(routed, out var service) && service.Ports.Count > 0 ? service.Ports[0].Port : 8080;
        var scope = new HelmReleaseName(ChartValues.CanaryReleaseName(release), helm.Namespace ?? throw new InvalidOperationException($"{EnvironmentsDirectory}/{EnvironmentName}.yml: delivery.helm.namespace is required."), helm.KubeContext);

        // Ctrl+C must not stop the commands that take the canary's traffic away (see the Compose canary).
        var uncancelled = ctx.WithCancellation(CancellationToken.None);
        var setup = new HelmCanarySetup
        {
            Canary = scope,
            Chart = ctx.PathOf(helm.Chart),
            CanaryValuesFiles = [.. helm.ValuesFiles.Select(ctx.PathOf), ctx.PathOf(canaryValues)],
            StableValuesFiles = [.. helm.ValuesFiles.Select(ctx.PathOf), ctx.PathOf(stableValues)],
            Router = environment.Ingress.Router,
            Route = ChartValues.ResourceName(release, routed),
            StableService = ChartValues.ResourceName(release, routed),
            CanaryService = ChartValues.ResourceName(scope.Name, routed),
            Port = port,
            Timeout = environment.Rollout.HealthTimeout.Value,
        };
        var traffic = new HelmCanaryTraffic(setup, await HelmDeployerAsync(uncancelled), uncancelled, await DetectHelmAsync(ctx));
        return new Delivery.Canary.CanaryController(
            new Delivery.Canary.CanarySetup(EnvironmentName, CanaryPlan, EnvironmentStateDirectory, HelmProbes()), traffic, ctx, ReleaseLedger.Open(LedgerPath), TimeProvider.System);
    }

    /// <summary>
    /// The Secrets the chart reads (see charts/app/README.md): <c>&lt;release&gt;-secrets</c> with one key per secret
    /// reference of the services, and <c>&lt;release&gt;-tls</c> when TLS is provided. Values are resolved here and
    /// travel only on kubectl's standard input.
    /// </summary>
    private List<HelmSecret> HelmSecrets(TargetContext ctx, string release)
    {
        var environment = Environments.Current;
        var keys = new SortedDictionary<string, Secret>(StringComparer.Ordinal);
        foreach (var reference in environment.Services.Values.SelectMany(s => s.Secrets.Values))
        {
            keys[ChartValues.SecretKeyOf(reference)] = ResolveForDeploy(ctx, reference);
        }

        var secrets = new List<HelmSecret>();
        if (keys.Count > 0)
        {
            secrets.Add(new HelmSecret($"{release}-secrets", keys));
        }

        if (environment.Security is { TlsMode: TlsMode.Provided, TlsCertificate: { } certificate, TlsKey: { } key })
        {
            secrets.Add(new HelmSecret($"{release}-tls", new Dictionary<string, Secret>
            {
                ["tls.crt"] = ResolveForDeploy(ctx, certificate),
                ["tls.key"] = ResolveForDeploy(ctx, key),
            }, "kubernetes.io/tls"));
        }

        return secrets;
    }

    /// <summary>Resolves a secret; a dry run prints the commands even where the secret is not set here.</summary>
    private Secret ResolveForDeploy(TargetContext ctx, SecretReference reference)
    {
        try
        {
            return reference.Resolve(Environments.Secrets);
        }
        catch (MissingSecretException) when (ctx.IsDryRun)
        {
            return new Secret(string.Empty, reference.ToString());
        }
    }

    private static async Task<HelmVersion> DetectHelmAsync(TargetContext ctx)
    {
        // Helm 3 and 4 spell "roll back on failure" and "wait" differently; ask the installed one which it is.
        try
        {
            var version = HelmVersion.Parse((await ctx.QueryAsync(HelmCli.Version())).StandardOutput);
            ctx.Info($"helm {version}");
            return version;
        }
        catch (ToolNotFoundException) when (ctx.IsDryRun)
        {
            ctx.Info("helm is not installed here: the dry run shows Helm 4's flags");
            return new HelmVersion(4, 0, 0);
        }
    }

    private void ReportHelm(TargetContext ctx, DeployOutcome outcome, LedgerAction expected)
    {
        if (outcome.Action != expected)
        {
            throw new InvalidOperationException(outcome.Summary + $" The ledger has the details: ./build.sh --target History --env {EnvironmentName}");
        }

        ctx.Info(outcome.Summary);
        if (!ctx.IsDryRun)
        {
            ctx.Info($"{EnvironmentName} is up: {HelmProbeUrl}");
            ctx.SetOutput("url", HelmProbeUrl.ToString());
        }
    }
}
