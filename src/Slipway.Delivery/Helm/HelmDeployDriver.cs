using Slipway.Delivery.Canary;
using Slipway.Delivery.Compose;
using Slipway.Delivery.Probes;
using Slipway.Environments;
using Slipway.Processes;
using Slipway.Tools.Helm;
using ChartValues = Slipway.Delivery.Helm.HelmValues;

namespace Slipway.Delivery.Helm;

/// <summary>
/// The Helm driver: the environment's Secrets, <c>helm upgrade --install</c> of its chart with values generated from the
/// matrix and release.json, <c>kubectl rollout status</c>, the SLO probes against <c>delivery.helm.probe_url</c>, and
/// <c>helm rollback</c> to the ledger's revision; a canary is a second Helm release and a weighted route.
/// </summary>
public sealed class HelmDeployDriver : IDeployDriver
{
    /// <summary>How many revisions Helm keeps per release; older ledger releases cannot be rolled back to.</summary>
    public const int HistoryMax = 10;

    private readonly DeliveryEnvironment _environment;
    private readonly IToolSession _session;
    private readonly IToolSession _uncancelled;
    private readonly TimeProvider _time;

    /// <summary>A driver for <paramref name="environment"/>; <paramref name="uncancelled"/> runs what must finish after Ctrl+C (a canary's abort).</summary>
    public HelmDeployDriver(DeliveryEnvironment environment, IToolSession session, IToolSession uncancelled, TimeProvider time)
    {
        _environment = environment ?? throw new ArgumentNullException(nameof(environment));
        _session = session ?? throw new ArgumentNullException(nameof(session));
        _uncancelled = uncancelled ?? throw new ArgumentNullException(nameof(uncancelled));
        _time = time ?? throw new ArgumentNullException(nameof(time));
    }

    private DeployEnvironment Environment => _environment.Environment;

    private HelmTarget Settings => Environment.Delivery.Helm
        ?? throw new InvalidOperationException($"{_environment.EnvironmentFile} deploys with helm but has no delivery.helm section: add namespace and release.");

    private string ReleaseName => ReleaseNameOf(Environment);

    private string Namespace => Settings.Namespace ?? throw new InvalidOperationException($"{_environment.EnvironmentFile}: delivery.helm.namespace is required.");

    /// <summary><c>delivery.helm.probe_url</c>, else <c>https://&lt;ingress.host&gt;</c>.</summary>
    public Uri Url => UrlOf(_environment);

    /// <summary>Where a Helm environment answers: <c>delivery.helm.probe_url</c>, else <c>https://&lt;ingress.host&gt;</c>.</summary>
    public static Uri UrlOf(DeliveryEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return environment.Environment.Delivery.Helm?.ProbeUrl is { } url
            ? new Uri(url)
            : new Uri($"https://{(environment.Environment.Ingress ?? throw new InvalidOperationException($"{environment.EnvironmentFile} has neither delivery.helm.probe_url nor ingress.host: the SLO probes need one.")).Host}");
    }

    /// <inheritdoc />
    public Func<CancellationToken, Task<ProbeVerdict>> Probes => SloGate.Against(Url, Environment.Slo, () => new HttpClient(), reference => _environment.Resolve(reference, dryRun: false));

    /// <summary>The Helm release of <paramref name="environment"/>: <c>delivery.helm.release</c>, else <c>slipway-&lt;env&gt;</c>.</summary>
    public static string ReleaseNameOf(DeployEnvironment environment) =>
        environment?.Delivery.Helm?.Release ?? $"slipway-{environment?.Name}";

    /// <summary>Where the chart values of an environment are written, relative to the root.</summary>
    public static string ValuesPath(string environment) => $"artifacts/helm/{environment}/values.yaml";

    /// <summary>
    /// Writes the chart values of <paramref name="environment"/> for the release in release.json (stable track, no canary
    /// traffic) and returns their path, relative to the root.
    /// </summary>
    public static async Task<string> WriteValuesAsync(IToolSession session, DeliveryEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(environment);
        var path = ValuesPath(environment.Name);
        await session.DoAsync($"write {path}", async cancellationToken =>
        {
            var values = ChartValues.Create(environment.Environment, ReleaseManifest.Read(environment.PathOf(environment.ReleaseFile)));
            var file = environment.PathOf(path);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            await File.WriteAllTextAsync(file, values.ToYaml(), cancellationToken);
        });
        return path;
    }

    /// <inheritdoc />
    public async Task<DeployOutcome> DeployAsync(DeliveryRelease release, string who)
    {
        ArgumentNullException.ThrowIfNull(release);
        var secrets = Secrets();
        var revision = await RevisionOfAsync(release, secrets);
        if (Environment.Rollout.Strategy == RolloutStrategy.BlueGreen)
        {
            return await (await DeployerAsync(_session, secrets)).DeployBlueGreenAsync(release, BlueGreenSetup() with { Revision = revision }, who);
        }

        var values = await WriteValuesAsync(_session, _environment);
        var helmRelease = new HelmRelease(release.Version, release.Commit, release.Images, [.. Settings.ValuesFiles.Select(_environment.PathOf), _environment.PathOf(values)])
        {
            Revision = revision,
        };
        return await (await DeployerAsync(_session, secrets)).DeployAsync(helmRelease, who);
    }

    /// <summary>
    /// The revision a deploy of <paramref name="release"/> makes: its images, the environment's values files and the
    /// values Slipway generates for it (one release, whatever the strategy), and a hash of each Secret value. Null in a
    /// dry run, which resolves no secret.
    /// </summary>
    private async Task<ReleaseRevision?> RevisionOfAsync(DeliveryRelease release, IReadOnlyList<HelmSecret> secrets)
    {
        if (_session.IsDryRun)
        {
            return null;
        }

        var configuration = new System.Text.StringBuilder();
        foreach (var file in Settings.ValuesFiles)
        {
            // A values file that is not there is Helm's to report, naming it; the revision just says so.
            var path = _environment.PathOf(file);
            configuration.Append("# ").AppendLine(file).AppendLine(File.Exists(path) ? await File.ReadAllTextAsync(path) : "(missing)");
        }

        configuration.Append(ChartValues.Create(Environment, ReleaseManifest.Read(_environment.PathOf(_environment.ReleaseFile))).ToYaml());
        return ReleaseRevision.Of(release.Images, configuration.ToString(), secrets.SelectMany(s => s.Values.Select(v => KeyValuePair.Create($"{s.Name}/{v.Key}", v.Value))));
    }

    /// <inheritdoc />
    /// <remarks>
    /// On a blue/green environment, a rollback to the release kept warm inside its <c>rollout.keep_previous</c> window is
    /// a switch of the Services and route back to its track; any other is <c>helm rollback</c> to the ledger's revision.
    /// </remarks>
    public async Task<DeployOutcome> RollbackAsync(LedgerEntry target, LedgerEntry? current, string who)
    {
        ArgumentNullException.ThrowIfNull(target);
        var deployer = await DeployerAsync(_session);
        return Environment.Rollout.Strategy == RolloutStrategy.BlueGreen && Environment.Ingress?.Backend is not null
            ? await deployer.RollbackBlueGreenAsync(target, current, BlueGreenSetup(ManifestOf(target)), who)
            : await deployer.RollbackFromAsync(target, current, who);
    }

    /// <summary>
    /// The release a ledger entry recorded, as the chart's base values need it (a rollback renders the release it returns
    /// to, whatever release.json now holds).
    /// </summary>
    private static ReleaseManifest ManifestOf(LedgerEntry entry) =>
        new(entry.Version, entry.Commit, entry.When, string.Empty, [.. entry.Images.OrderBy(i => i.Key, StringComparer.Ordinal).Select(i =>
        {
            var at = i.Value.LastIndexOf('@');
            return at > 0
                ? new ReleasedImage(i.Key, i.Value[..at], entry.Version, i.Value[(at + 1)..])
                : new ReleasedImage(i.Key, i.Value, entry.Version, string.Empty);
        })]);

    /// <summary>
    /// Values for the new release on both tracks, the canary as its own Helm release, the split on the stable release's
    /// HTTPRoute (or the canary Ingress), the promotion by the Helm deployer.
    /// </summary>
    public async Task<ICanaryTraffic> CanaryTrafficAsync(DeliveryRelease canary, LedgerEntry stable, CanaryPlan plan, bool rendersRelease)
    {
        ArgumentNullException.ThrowIfNull(canary);
        var stableValues = ValuesPath(_environment.Name);
        var canaryValues = $"artifacts/helm/{_environment.Name}/canary-values.yaml";
        if (rendersRelease)
        {
            if (File.Exists(_environment.PathOf(_environment.ReleaseFile)) && ReleaseManifest.Read(_environment.PathOf(_environment.ReleaseFile)).Version is var held && held != canary.Version)
            {
                throw new InvalidOperationException($"{_environment.ReleaseFile} holds {held}, but the canary runs {canary.Version}: put the release.json of {canary.Version} back (e.g. from the workflow's artifact) and run again.");
            }

            stableValues = await WriteValuesAsync(_session, _environment);
            await _session.DoAsync($"write {canaryValues} (the canary track)", async cancellationToken =>
            {
                var file = _environment.PathOf(canaryValues);
                Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                await File.WriteAllTextAsync(file, ChartValues.Create(Environment, ReleaseManifest.Read(_environment.PathOf(_environment.ReleaseFile))).AsCanary().ToYaml(), cancellationToken);
            });
        }

        var routed = Environment.Ingress?.Backend ?? throw new InvalidOperationException($"{_environment.EnvironmentFile} has no ingress.backend: a canary needs the routed service.");
        var port = Environment.Services.TryGetValue(routed, out var service) && service.Ports.Count > 0 ? service.Ports[0].Port : 8080;
        var scope = new HelmReleaseName(ChartValues.CanaryReleaseName(ReleaseName), Namespace, Settings.KubeContext);
        var setup = new HelmCanarySetup
        {
            Canary = scope,
            Chart = _environment.PathOf(Settings.Chart),
            CanaryValuesFiles = [.. Settings.ValuesFiles.Select(_environment.PathOf), _environment.PathOf(canaryValues)],
            StableValuesFiles = [.. Settings.ValuesFiles.Select(_environment.PathOf), _environment.PathOf(stableValues)],
            Router = Environment.Ingress.Router,
            Route = ChartValues.ResourceName(ReleaseName, routed),
            StableService = ChartValues.ResourceName(ReleaseName, routed),
            CanaryService = ChartValues.ResourceName(scope.Name, routed),
            Port = port,
            Timeout = Environment.Rollout.HealthTimeout.Value,
        };

        // Ctrl+C must not stop the commands that take the canary's traffic away (see the Compose canary).
        return new HelmCanaryTraffic(setup, await DeployerAsync(_uncancelled), _uncancelled, await DetectHelmAsync(_session));
    }

    /// <summary>
    /// Blue/green on this environment: every service as a track, the Services with ports switched (the routed one last),
    /// the HTTPRoute when Gateway API routes, and the values written per set of tracks to <c>artifacts/helm/ENV/values.yaml</c>
    /// on the base of <paramref name="release"/> (default: release.json).
    /// </summary>
    private HelmBlueGreenSetup BlueGreenSetup(ReleaseManifest? release = null)
    {
        var routed = Environment.Ingress?.Backend ?? throw new InvalidOperationException($"{_environment.EnvironmentFile} has no ingress.backend: blue/green switches the routed service.");
        var withPorts = Environment.Services.Where(s => s.Value.Ports.Count > 0).Select(s => s.Key).OrderBy(s => s == routed ? 1 : 0).ThenBy(s => s, StringComparer.Ordinal);
        var manifest = release ?? (_session.IsDryRun && !File.Exists(_environment.PathOf(_environment.ReleaseFile)) ? null : ReleaseManifest.Read(_environment.PathOf(_environment.ReleaseFile)));
        return new HelmBlueGreenSetup
        {
            Services = [.. Environment.Services.Keys.Order(StringComparer.Ordinal)],
            SwitchedServices = [.. withPorts.Select(s => ChartValues.ResourceName(ReleaseName, s))],
            RoutedService = ChartValues.ResourceName(ReleaseName, routed),
            Route = Environment.Ingress.Router == IngressRouter.Gateway && Environment.Ingress.Gateway?.Name is not null ? ChartValues.ResourceName(ReleaseName, routed) : null,
            WriteValuesAsync = async (active, tracks, fresh) =>
            {
                var path = ValuesPath(_environment.Name);

                // Every track but the fresh one keeps the variables it runs with: read before the values are written.
                var kept = new Dictionary<string, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>>(StringComparer.Ordinal);
                foreach (var track in tracks.Keys.Where(t => t != fresh && !_session.IsDryRun))
                {
                    if (await RunningConfigAsync(track) is { } variables)
                    {
                        kept[track] = variables;
                    }
                }

                await _session.DoAsync($"write {path} (blue/green: {string.Join(" and ", tracks.Keys.Order(StringComparer.Ordinal))}, {active} serving)", async cancellationToken =>
                {
                    var values = ChartValues.Create(Environment, manifest ?? throw new InvalidOperationException($"{_environment.ReleaseFile} is missing: run Publish first.")).WithBlueGreen(active, tracks);
                    values = kept.Aggregate(values, (current, track) => current.WithKeptConfig(track.Key, track.Value));
                    var file = _environment.PathOf(path);
                    Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                    await File.WriteAllTextAsync(file, values.ToYaml(), cancellationToken);
                });
                return [.. Settings.ValuesFiles.Select(_environment.PathOf), _environment.PathOf(path)];
            },
        };
    }

    /// <summary>
    /// The variables each service of <paramref name="track"/> runs with: its ConfigMap <c>&lt;release&gt;-&lt;service&gt;-&lt;track&gt;</c>,
    /// else the shared <c>&lt;release&gt;-&lt;service&gt;</c> a chart from before per-track ConfigMaps rendered; null when
    /// a service has neither (nothing runs there to keep).
    /// </summary>
    private async Task<IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>?> RunningConfigAsync(string track)
    {
        var scope = new Slipway.Tools.Kubectl.KubeScope(Namespace, Settings.KubeContext);
        var services = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        foreach (var service in Environment.Services.Keys)
        {
            Dictionary<string, string>? variables = null;
            foreach (var name in new[] { $"{ChartValues.ResourceName(ReleaseName, service)}-{track}", ChartValues.ResourceName(ReleaseName, service) })
            {
                var got = await _session.QueryAsync(Slipway.Tools.Kubectl.KubectlCli.Get(scope, "configmap", name).WithArguments("--ignore-not-found").AcceptingAnyExitCode());
                if (got.ExitCode == 0 && !string.IsNullOrWhiteSpace(got.StandardOutput))
                {
                    var data = System.Text.Json.Nodes.JsonNode.Parse(got.StandardOutput)?["data"] as System.Text.Json.Nodes.JsonObject;
                    variables = data?.ToDictionary(v => v.Key, v => v.Value?.GetValue<string>() ?? string.Empty, StringComparer.Ordinal) ?? new(StringComparer.Ordinal);
                    break;
                }
            }

            if (variables is null)
            {
                return null;
            }

            services[service] = variables;
        }

        return services;
    }

    private async Task<HelmDeployer> DeployerAsync(IToolSession session, IReadOnlyList<HelmSecret>? secrets = null)
    {
        var deployment = new HelmDeployment
        {
            Environment = _environment.Name,
            Release = new HelmReleaseName(ReleaseName, Namespace, Settings.KubeContext),
            Chart = _environment.PathOf(Settings.Chart),
            Deployments = [.. Environment.Services.Keys.Order(StringComparer.Ordinal).Select(s => ChartValues.ResourceName(ReleaseName, s))],
            Secrets = secrets ?? Secrets(),
            Rollout = Environment.Rollout,
            HistoryMax = HistoryMax,
        };
        return new HelmDeployer(deployment, session, _environment.Ledger(), await DetectHelmAsync(_session), Probes, _time);
    }

    /// <summary>
    /// The Secrets the chart reads (see charts/app/README.md): <c>&lt;release&gt;-secrets</c> with one key per secret
    /// reference of the services, and <c>&lt;release&gt;-tls</c> when TLS is provided. Values are resolved here and
    /// travel only on kubectl's standard input.
    /// </summary>
    private List<HelmSecret> Secrets()
    {
        var keys = new SortedDictionary<string, Secret>(StringComparer.Ordinal);
        foreach (var reference in Environment.Services.Values.SelectMany(s => s.Secrets.Values))
        {
            keys[ChartValues.SecretKeyOf(reference)] = _environment.Resolve(reference, _session.IsDryRun);
        }

        var secrets = new List<HelmSecret>();
        if (keys.Count > 0)
        {
            secrets.Add(new HelmSecret($"{ReleaseName}-secrets", keys));
        }

        if (Environment.Security is { TlsMode: TlsMode.Provided, TlsCertificate: { } certificate, TlsKey: { } key })
        {
            secrets.Add(new HelmSecret($"{ReleaseName}-tls", new Dictionary<string, Secret>
            {
                ["tls.crt"] = _environment.Resolve(certificate, _session.IsDryRun),
                ["tls.key"] = _environment.Resolve(key, _session.IsDryRun),
            }, "kubernetes.io/tls"));
        }

        return secrets;
    }

    private static async Task<HelmVersion> DetectHelmAsync(IToolSession session)
    {
        // Helm 3 and 4 spell "roll back on failure" and "wait" differently; ask the installed one which it is.
        try
        {
            var version = HelmVersion.Parse((await session.QueryAsync(HelmCli.Version())).StandardOutput);
            session.Info($"helm {version}");
            return version;
        }
        catch (ToolNotFoundException) when (session.IsDryRun)
        {
            session.Info("helm is not installed here: the dry run shows Helm 4's flags");
            return new HelmVersion(4, 0, 0);
        }
    }
}
