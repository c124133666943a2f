using System.Globalization;
using System.Text.Json;
using Slipway.Delivery.Canary;
using Slipway.Delivery.Compose;
using Slipway.Environments;
using Slipway.Processes;
using Slipway.Tools.Helm;
using Slipway.Tools.Kubectl;

namespace Slipway.Delivery.Helm;

/// <summary>
/// A canary on Kubernetes: the new release as its own Helm release (<c>&lt;release&gt;-canary</c>, chart track
/// <c>canary</c>: the routed service's Deployment and Service, and the migrations hook), and the traffic split by the
/// stable release's Gateway API HTTPRoute (two weighted <c>backendRefs</c>) or, with ingress-nginx, by the canary
/// Ingress's <c>canary-weight</c> annotation. Promotion is a <c>helm upgrade</c> of the stable release to the new digests
/// (through <see cref="HelmDeployer"/>, with its rollback), then the canary release is uninstalled.
/// </summary>
/// <remarks>
/// There is no proxy log to read here: <see cref="MeasureAsync"/> reports nothing and the analysis rests on the SLO
/// probes against <c>delivery.helm.probe_url</c>.
/// </remarks>
public sealed class HelmCanaryTraffic : ICanaryTraffic
{
    private readonly HelmCanarySetup _setup;
    private readonly HelmDeployer _stable;
    private readonly IToolSession _session;
    private readonly HelmVersion _helm;

    /// <summary>Creates the canary traffic of <paramref name="setup"/>; <paramref name="stable"/> deploys the promotion.</summary>
    public HelmCanaryTraffic(HelmCanarySetup setup, HelmDeployer stable, IToolSession session, HelmVersion helm)
    {
        _setup = setup ?? throw new ArgumentNullException(nameof(setup));
        _stable = stable ?? throw new ArgumentNullException(nameof(stable));
        _session = session ?? throw new ArgumentNullException(nameof(session));
        _helm = helm ?? throw new ArgumentNullException(nameof(helm));
    }

    /// <inheritdoc/>
    public string Router => _setup.Router == IngressRouter.IngressNginx
        ? $"ingress-nginx canary Ingress {_setup.CanaryService}"
        : $"HTTPRoute {_setup.Route}";

    private KubeScope Scope => new(_setup.Canary.Namespace, _setup.Canary.KubeContext);

    /// <inheritdoc/>
    public async Task StartAsync(CanaryRelease release, CancellationToken cancellationToken)
    {
        _session.Info($"{_setup.Canary.Name}: installing the canary of {release.Version} (track canary) with no traffic yet");
        await _session.RunCheckedAsync(HelmCli.UpgradeInstall(new HelmUpgrade
        {
            Release = _setup.Canary,
            Chart = _setup.Chart,
            ValuesFiles = _setup.CanaryValuesFiles,
            CreateNamespace = false,
            Timeout = _setup.Timeout,
            HistoryMax = 3,
            RollbackOnFailure = true,
        }, _helm));
        await _session.RunCheckedAsync(KubectlCli.RolloutStatus(Scope, _setup.CanaryService, _setup.Timeout));
    }

    /// <inheritdoc/>
    public async Task<bool> IsRunningAsync(CanaryRelease release, CancellationToken cancellationToken)
    {
        // A dry run asks the cluster nothing: it shows the canary as running, so the rest of the plan prints.
        return _session.IsDryRun
            || (await _session.QueryAsync(KubectlCli.RolloutStatus(Scope, _setup.CanaryService, TimeSpan.FromSeconds(10)).AcceptingAnyExitCode())).ExitCode == 0;
    }

    /// <inheritdoc/>
    public async Task SetWeightAsync(int percent, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(percent);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(percent, 100);
        await _session.RunCheckedAsync(_setup.Router == IngressRouter.IngressNginx
            ? KubectlCli.PatchJson(Scope, "ingress", _setup.CanaryService, CanaryWeightPatch(percent))
            : KubectlCli.PatchJson(Scope, "httproute", _setup.Route, BackendRefsPatch(percent)));
        _session.Info($"weights: {100 - percent} % to {_setup.StableService}, {percent} % to {_setup.CanaryService} ({Router})");
    }

    /// <inheritdoc/>
    public Task<CanaryWindow?> MeasureAsync(DateTimeOffset since, DateTimeOffset until, CancellationToken cancellationToken) =>
        Task.FromResult<CanaryWindow?>(null);

    /// <inheritdoc/>
    public async Task<DeployOutcome> PromoteAsync(CanaryRelease release, string who, CancellationToken cancellationToken)
    {
        // The stable release's upgrade renders its route with the stable Service only; then the canary release goes.
        var outcome = await _stable.DeployAsync(new HelmRelease(release.Version, release.Commit, release.Images, _setup.StableValuesFiles), who, promotion: true);
        await UninstallAsync();
        return outcome;
    }

    /// <inheritdoc/>
    public async Task RemoveAsync(CancellationToken cancellationToken)
    {
        if (_session.IsDryRun || (await _session.QueryAsync(KubectlCli.Get(Scope, _setup.Router == IngressRouter.IngressNginx ? "ingress" : "httproute",
            _setup.Router == IngressRouter.IngressNginx ? _setup.CanaryService : _setup.Route).AcceptingAnyExitCode())).ExitCode == 0)
        {
            await SetWeightAsync(0, cancellationToken);
        }

        await UninstallAsync();
    }

    /// <summary>
    /// The HTTPRoute's backends as one replace (it has one backend at weight 0, two otherwise): stable at
    /// <c>100 - percent</c>, the canary at <paramref name="percent"/>.
    /// </summary>
    public string BackendRefsPatch(int percent)
    {
        var backends = new List<object> { Backend(_setup.StableService, 100 - percent) };
        if (percent > 0)
        {
            backends.Add(Backend(_setup.CanaryService, percent));
        }

        return JsonSerializer.Serialize(new object[] { new { op = "replace", path = "/spec/rules/0/backendRefs", value = backends } });
    }

    /// <summary>The canary Ingress's weight annotation (JSON pointer: '/' in the key is <c>~1</c>).</summary>
    public static string CanaryWeightPatch(int percent) =>
        JsonSerializer.Serialize(new object[]
        {
            new { op = "replace", path = "/metadata/annotations/nginx.ingress.kubernetes.io~1canary-weight", value = percent.ToString(CultureInfo.InvariantCulture) },
        });

    private Dictionary<string, object> Backend(string service, int weight) => new(StringComparer.Ordinal)
    {
        ["name"] = service,
        ["port"] = _setup.Port,
        ["weight"] = weight,
    };

    private async Task UninstallAsync()
    {
        if (_session.IsDryRun || (await _session.QueryAsync(HelmCli.Status(_setup.Canary).AcceptingAnyExitCode())).ExitCode == 0)
        {
            await _session.RunCheckedAsync(HelmCli.Uninstall(_setup.Canary, wait: true));
        }
    }
}

/// <summary>Where a Kubernetes canary lives and how its traffic is split.</summary>
public sealed record HelmCanarySetup
{
    /// <summary>The canary's Helm release: <c>&lt;release&gt;-canary</c> in the stable release's namespace and context.</summary>
    public required HelmReleaseName Canary { get; init; }

    /// <summary>The chart directory.</summary>
    public required string Chart { get; init; }

    /// <summary>The canary release's values files (the environment's, then the canary track's generated values).</summary>
    public required IReadOnlyList<string> CanaryValuesFiles { get; init; }

    /// <summary>The stable release's values files for the new release, used by the promotion.</summary>
    public required IReadOnlyList<string> StableValuesFiles { get; init; }

    /// <summary>How traffic is split.</summary>
    public required IngressRouter Router { get; init; }

    /// <summary>The stable release's HTTPRoute: <c>&lt;release&gt;-&lt;routed service&gt;</c>.</summary>
    public required string Route { get; init; }

    /// <summary>The stable Service, e.g. <c>slipway-api</c>.</summary>
    public required string StableService { get; init; }

    /// <summary>The canary's Service and Deployment (and Ingress with ingress-nginx), e.g. <c>slipway-canary-api</c>.</summary>
    public required string CanaryService { get; init; }

    /// <summary>The routed service's port.</summary>
    public required int Port { get; init; }

    /// <summary>How long installing the canary and its rollout may take.</summary>
    public required TimeSpan Timeout { get; init; }
}
