using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Slipway.Environments;
using YamlDotNet.Serialization;

namespace Slipway.Delivery.Helm;

/// <summary>Which half of a canary a Helm release of <c>charts/app</c> is.</summary>
public enum HelmTrack
{
    /// <summary>The whole stack: every service, autoscalers, disruption budgets, the migration hook and the route.</summary>
    Stable,

    /// <summary>Only the routed service's Deployment, Service and ConfigMap, installed as its own release (<c>&lt;release&gt;-canary</c>).</summary>
    Canary,
}

/// <summary>
/// The values of <c>charts/app</c> for one environment and one release: derived from the environment matrix
/// (<see cref="DeployEnvironment"/>) and <c>artifacts/release.json</c> (<see cref="ReleaseManifest"/>), so a deploy
/// never depends on hand-kept values for what the matrix already says. Images are by digest only; secrets appear
/// as a Secret name and keys, never as values (<see cref="SecretKeys"/> says which reference fills which key).
/// </summary>
/// <remarks>
/// Canary contract: the stable release is <see cref="HelmTarget.Release"/>; the canary is a second release named
/// <see cref="CanaryReleaseName"/> rendered from <see cref="AsCanary"/>. Resource names are
/// <c>&lt;release&gt;-&lt;service&gt;</c>, so the canary's Service is <see cref="CanaryServiceName"/>. The stable
/// release sends <see cref="CanaryWeight"/> percent to it (<see cref="WithCanaryRoute"/>).
/// </remarks>
public sealed partial record HelmValues
{
    /// <summary>Feature flags become <c>FeatureFlags__NAME</c> variables, as on Compose.</summary>
    public const string FeatureFlagPrefix = Compose.ComposeOverride.FeatureFlagPrefix;

    /// <summary>The CPU utilisation the autoscalers aim for, in percent of the request, when the matrix says nothing.</summary>
    public const int DefaultTargetCpuUtilization = 70;


    private HelmValues()
    {
    }

    /// <summary>The environment, e.g. <c>prod</c>.</summary>
    public required string Environment { get; init; }

    /// <summary>The stable Helm release name: <c>delivery.helm.release</c>, else <c>slipway-&lt;environment&gt;</c>.</summary>
    public required string ReleaseName { get; init; }

    /// <summary>The released version (SemVer).</summary>
    public required string Version { get; init; }

    /// <summary>The commit the release was built from.</summary>
    public required string Commit { get; init; }

    /// <summary>Which half of a canary these values render.</summary>
    public HelmTrack Track { get; init; } = HelmTrack.Stable;

    /// <summary>The Kubernetes Secret (created by the deploy driver, never by the chart) the services' secret variables read from.</summary>
    public required string SecretName { get; init; }

    /// <summary>
    /// What fills each key of <see cref="SecretName"/>: the key (derived from the reference, e.g.
    /// <c>PROD_POSTGRES_CONNECTION</c>) and the reference to resolve at deploy time. References only, never values.
    /// </summary>
    public required IReadOnlyDictionary<string, SecretReference> SecretKeys { get; init; }

    /// <summary>The services, by name order.</summary>
    public required IReadOnlyList<HelmServiceValues> Services { get; init; }

    /// <summary>How traffic reaches the routed service.</summary>
    public required HelmRouteValues Route { get; init; }

    /// <summary>The migration hook Job.</summary>
    public required HelmMigrationValues Migrations { get; init; }

    /// <summary>The migration command the hook Job runs in the routed service's image (<c>data.migrations.command</c>), as Compose's one-off does.</summary>
    public IReadOnlyList<string> MigrationCommand { get; init; } = ["migrate"];

    /// <summary>The percentage of traffic the stable release's route sends to the canary Service (0–100).</summary>
    public int CanaryWeight { get; init; }

    /// <summary>The canary release's Service the route sends <see cref="CanaryWeight"/> percent to; null without a canary.</summary>
    public string? CanaryService { get; init; }

    /// <summary>The canary release's name for a stable release: <c>&lt;release&gt;-canary</c>.</summary>
    public static string CanaryReleaseName(string release)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(release);
        return release + "-canary";
    }

    /// <summary>The name the chart gives a service's objects in <paramref name="release"/>: <c>&lt;release&gt;-&lt;service&gt;</c>.</summary>
    public static string ResourceName(string release, string service)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(release);
        ArgumentException.ThrowIfNullOrWhiteSpace(service);
        return $"{release}-{service}";
    }

    /// <summary>
    /// The environment's <c>security</c>: the chart's router adds <see cref="SecurityHeaders"/>, and with ingress-nginx
    /// also redirects to HTTPS, limits each client and answers CORS (see <c>charts/app/values.yaml</c>, <c>security</c>).
    /// </summary>
    public SecuritySettings Security { get; init; } = new();

    /// <summary>The canary release's Service for the routed service, e.g. <c>slipway-canary-api</c>.</summary>
    public string CanaryServiceName => ResourceName(CanaryReleaseName(ReleaseName), Route.Service);

    /// <summary>
    /// Values for <paramref name="environment"/> running <paramref name="release"/>, on the stable track with no
    /// canary traffic.
    /// </summary>
    /// <exception cref="InvalidOperationException">The release has no image for one of the environment's services, or the environment has no ingress.</exception>
    public static HelmValues Create(DeployEnvironment environment, ReleaseManifest release)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(release);

        var ingress = environment.Ingress
            ?? throw new InvalidOperationException($"environments/{environment.Name}.yml has no ingress section: the chart routes to ingress.backend at ingress.host. Add them.");
        var releaseName = environment.Delivery.Helm?.Release ?? $"slipway-{environment.Name}";
        var secretKeys = new SortedDictionary<string, SecretReference>(StringComparer.Ordinal);
        var services = new List<HelmServiceValues>();
        foreach (var (name, service) in environment.Services.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            var image = release.Images.SingleOrDefault(i => i.Service == name)
                ?? throw new InvalidOperationException($"{ReleaseManifest.DefaultPath} (release {release.Version}) has no image for service {name} of {environment.Name}: run Publish for this environment.");
            var secretEnv = new List<HelmSecretVariable>();
            foreach (var (variable, reference) in service.Secrets.OrderBy(s => s.Key, StringComparer.Ordinal))
            {
                var key = SecretKeyOf(reference);
                if (secretKeys.TryGetValue(key, out var existing) && existing.ToString() != reference.ToString())
                {
                    throw new InvalidOperationException($"environments/{environment.Name}.yml: the secret references {existing} and {reference} both become the Secret key {key}; rename one.");
                }

                secretKeys[key] = reference;
                secretEnv.Add(new HelmSecretVariable(variable, key));
            }

            services.Add(new HelmServiceValues
            {
                Name = name,
                Repository = image.Repository,
                Digest = image.Digest,
                Replicas = service.Replicas,
                Resources = service.Resources,
                Ports = service.Ports,
                // As on Compose: the services are told security's CORS origins and rate limit; a service's own env wins.
                Env = new SortedDictionary<string, string>(
                    Compose.ComposeOverride.SecurityVariables(environment.Security).Where(v => !service.Env.ContainsKey(v.Key)).Concat(service.Env).ToDictionary(),
                    StringComparer.Ordinal),
                FeatureFlags = new SortedDictionary<string, bool>(service.FeatureFlags.ToDictionary(), StringComparer.Ordinal),
                SecretEnv = secretEnv,
                Health = service.Health,
                MinReplicas = service.Replicas,

                // Room to double under load; the request, not the limit, is what utilisation is measured against.
                MaxReplicas = service.Replicas * 2,
                TargetCpuUtilization = DefaultTargetCpuUtilization,
            });
        }

        return new HelmValues
        {
            Environment = environment.Name,
            ReleaseName = releaseName,
            Version = release.Version,
            Commit = release.Commit,
            SecretName = $"{releaseName}-secrets",
            SecretKeys = secretKeys,
            Services = services,
            Route = new HelmRouteValues
            {
                Router = ingress.Router,
                Service = ingress.Backend,
                Host = ingress.Host,
                GatewayName = ingress.Gateway?.Name,
                GatewayNamespace = ingress.Gateway?.Namespace,
                TlsSecretName = environment.Security.TlsMode == TlsMode.Off ? null : $"{releaseName}-tls",
            },
            Migrations = new HelmMigrationValues(
                environment.Data.Migrations.Enabled,
                environment.Data.Migrations.ImageOf ?? ingress.Backend,
                (int)Math.Ceiling(environment.Data.Migrations.Timeout.Value.TotalSeconds)),
            MigrationCommand = environment.Data.Migrations.Command,
            Security = environment.Security,
        };
    }

    /// <summary>Blue/green: the active track and the release each track runs (one or two of <c>blue</c>, <c>green</c>); null for a rolling release.</summary>
    public HelmBlueGreenValues? BlueGreen { get; init; }

    /// <summary>The same values with the services run as blue/green tracks: <paramref name="tracks"/> (track → release), <paramref name="active"/> taking the traffic.</summary>
    public HelmValues WithBlueGreen(string active, IReadOnlyDictionary<string, DeliveryRelease> tracks)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(active);
        ArgumentNullException.ThrowIfNull(tracks);
        return tracks.ContainsKey(active) && tracks.Keys.All(t => t is HelmBlueGreenValues.Blue or HelmBlueGreenValues.Green)
            ? this with { BlueGreen = new HelmBlueGreenValues(active, tracks) }
            : throw new ArgumentException($"The tracks are blue and green, and the active one ({active}) must be among them ({string.Join(", ", tracks.Keys)}).", nameof(tracks));
    }

    /// <summary>
    /// The same blue/green values with <paramref name="track"/> keeping the variables it runs with (service → its
    /// ConfigMap's data), not the environment's current ones: deploying the other track then never changes its pods, so
    /// a configuration change that fails is switched back to a track that still runs the previous configuration.
    /// </summary>
    /// <exception cref="InvalidOperationException">The values are not blue/green, or <paramref name="track"/> is not one of their tracks.</exception>
    public HelmValues WithKeptConfig(string track, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> variables)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(track);
        ArgumentNullException.ThrowIfNull(variables);
        var blueGreen = BlueGreen is { } values && values.Tracks.ContainsKey(track)
            ? values
            : throw new InvalidOperationException($"The {track} track is not among the blue/green tracks of these values: call WithBlueGreen with it first.");
        var kept = new Dictionary<string, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>>(blueGreen.KeptConfig, StringComparer.Ordinal) { [track] = variables };
        return this with { BlueGreen = blueGreen with { KeptConfig = kept } };
    }

    /// <summary>The same values for the canary release: only the routed service, no autoscaler, budget, hook or route.</summary>
    public HelmValues AsCanary() => this with { Track = HelmTrack.Canary };

    /// <summary>The stable release's values sending <paramref name="weight"/> percent of the routed traffic to the canary Service.</summary>
    /// <param name="weight">0 (no canary traffic) to 100.</param>
    public HelmValues WithCanaryRoute(int weight)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(weight);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(weight, 100);
        return this with { CanaryWeight = weight, CanaryService = CanaryServiceName };
    }

    /// <summary>The values file's text: YAML for <c>helm template/upgrade -f</c>, with a header saying where it came from.</summary>
    public string ToYaml()
    {
        var values = new Dictionary<string, object?>
        {
            ["environment"] = Environment,
            ["track"] = Track == HelmTrack.Stable ? "stable" : "canary",
            ["release"] = new Dictionary<string, object?> { ["version"] = Version, ["commit"] = Commit },
            ["secretName"] = SecretName,
            ["services"] = Services.ToDictionary(s => s.Name, s => (object?)s.ToValues(), StringComparer.Ordinal),
            ["route"] = Route.ToValues(CanaryWeight, CanaryService),
            ["ingress"] = new Dictionary<string, object?>
            {
                ["enabled"] = Route.Router == IngressRouter.IngressNginx,
                ["className"] = Route.Router == IngressRouter.IngressNginx ? "nginx" : string.Empty,
                ["tlsSecretName"] = Route.TlsSecretName ?? string.Empty,
            },
            ["security"] = SecurityValues(),
            ["blueGreen"] = BlueGreen?.ToValues() ?? new Dictionary<string, object?> { ["enabled"] = false },
            ["migrations"] = new Dictionary<string, object?>
            {
                ["enabled"] = Migrations.Enabled,
                ["service"] = Migrations.Service,
                ["args"] = MigrationCommand,
                ["activeDeadlineSeconds"] = Migrations.TimeoutSeconds,
            },
        };

        // Strings that YAML would read as something else (a "0" variable, a "1" CPU, a "true" flag text) get quotes.
        var serializer = new SerializerBuilder().WithQuotingNecessaryStrings().Build();
        return new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"# Generated by Slipway from environments/{Environment}.yml and {ReleaseManifest.DefaultPath} ({Version}, {Commit}).")
            .AppendLine("# Do not edit: regenerate with ./build.sh --target HelmValues --env " + Environment + ". Secrets are names and keys only.")
            .Append(serializer.Serialize(values))
            .ToString();
    }

    private Dictionary<string, object?> SecurityValues() => new()
    {
        ["forceSslRedirect"] = Security.TlsMode != TlsMode.Off,
        ["headers"] = SecurityHeaders.For(Security).ToDictionary(h => h.Key, h => (object?)h.Value),
        ["corsOrigins"] = Security.CorsOrigins.ToList(),
        ["rateLimit"] = new Dictionary<string, object?>
        {
            ["requestsPerSecond"] = Security.RateLimit?.RequestsPerSecond ?? 0,
            ["burst"] = Security.RateLimit?.Burst ?? 0,
        },
    };

    /// <summary>
    /// The Secret key for a reference: its path (<c>env:PROD_POSTGRES_CONNECTION</c> gives
    /// <c>PROD_POSTGRES_CONNECTION</c>), with characters a Secret key may not hold replaced by <c>_</c>.
    /// </summary>
    public static string SecretKeyOf(SecretReference reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return InvalidSecretKeyCharacters().Replace(reference.Path, "_");
    }

    [GeneratedRegex("[^-._a-zA-Z0-9]", RegexOptions.CultureInvariant)]
    private static partial Regex InvalidSecretKeyCharacters();
}

/// <summary>One service as the chart deploys it.</summary>
public sealed record HelmServiceValues
{
    /// <summary>The service name, e.g. <c>api</c>.</summary>
    public required string Name { get; init; }

    /// <summary>The image repository, e.g. <c>ghcr.io/slipway-dev/slipway/api</c>.</summary>
    public required string Repository { get; init; }

    /// <summary>The image digest, <c>sha256:…</c>; the chart pulls <c>Repository@Digest</c> and nothing else.</summary>
    public required string Digest { get; init; }

    /// <summary>Replicas of the Deployment.</summary>
    public required int Replicas { get; init; }

    /// <summary>Requests and limits.</summary>
    public required ResourceRequirements Resources { get; init; }

    /// <summary>Container ports.</summary>
    public required IReadOnlyList<ServicePort> Ports { get; init; }

    /// <summary>Plain environment variables, into the ConfigMap.</summary>
    public required IReadOnlyDictionary<string, string> Env { get; init; }

    /// <summary>Feature flags, into the ConfigMap as <c>FeatureFlags__NAME</c>.</summary>
    public required IReadOnlyDictionary<string, bool> FeatureFlags { get; init; }

    /// <summary>Variables read from the Secret, by key.</summary>
    public required IReadOnlyList<HelmSecretVariable> SecretEnv { get; init; }

    /// <summary>The probe paths.</summary>
    public HealthEndpoints? Health { get; init; }

    /// <summary>The autoscaler's floor: the matrix's replicas.</summary>
    public required int MinReplicas { get; init; }

    /// <summary>The autoscaler's ceiling.</summary>
    public required int MaxReplicas { get; init; }

    /// <summary>The CPU utilisation the autoscaler aims for, in percent of the request.</summary>
    public required int TargetCpuUtilization { get; init; }

    internal Dictionary<string, object?> ToValues() => new()
    {
        ["image"] = new Dictionary<string, object?> { ["repository"] = Repository, ["digest"] = Digest },
        ["replicas"] = Replicas,
        ["resources"] = new Dictionary<string, object?>
        {
            ["requests"] = Quantities(Resources.Requests),
            ["limits"] = Quantities(Resources.Limits),
        },
        ["ports"] = Ports.Select(p => new Dictionary<string, object?> { ["name"] = p.Name, ["port"] = p.Port }).ToList(),
        ["env"] = Env,
        ["featureFlags"] = FeatureFlags,
        ["secretEnv"] = SecretEnv.Select(s => new Dictionary<string, object?> { ["name"] = s.Name, ["key"] = s.Key }).ToList(),
        ["health"] = new Dictionary<string, object?> { ["liveness"] = Health?.Liveness ?? string.Empty, ["readiness"] = Health?.Readiness ?? string.Empty },
        ["autoscaling"] = new Dictionary<string, object?>
        {
            ["enabled"] = true,
            ["minReplicas"] = MinReplicas,
            ["maxReplicas"] = MaxReplicas,
            ["targetCPUUtilizationPercentage"] = TargetCpuUtilization,
        },
    };

    private static Dictionary<string, object?> Quantities(ResourceQuantities? quantities)
    {
        var values = new Dictionary<string, object?>();
        if (quantities?.Cpu is { } cpu)
        {
            values["cpu"] = cpu.ToString();
        }

        if (quantities?.Memory is { } memory)
        {
            values["memory"] = memory.ToString();
        }

        return values;
    }
}

/// <summary>An environment variable read from the release's Secret.</summary>
/// <param name="Name">The variable, e.g. <c>ConnectionStrings__Postgres</c>.</param>
/// <param name="Key">The Secret key, e.g. <c>PROD_POSTGRES_CONNECTION</c>.</param>
public sealed record HelmSecretVariable(string Name, string Key);

/// <summary>How traffic reaches the routed service.</summary>
public sealed record HelmRouteValues
{
    /// <summary>Gateway API HTTPRoute or ingress-nginx Ingress.</summary>
    public required IngressRouter Router { get; init; }

    /// <summary>The routed service (<c>ingress.backend</c>).</summary>
    public required string Service { get; init; }

    /// <summary>The public host name.</summary>
    public required string Host { get; init; }

    /// <summary>The Gateway the HTTPRoute attaches to.</summary>
    public string? GatewayName { get; init; }

    /// <summary>The Gateway's namespace; null for the release's.</summary>
    public string? GatewayNamespace { get; init; }

    /// <summary>The TLS Secret an Ingress terminates with (created by the deploy driver); null when TLS is off.</summary>
    public string? TlsSecretName { get; init; }

    /// <summary>The chart's spelling of <see cref="Router"/>.</summary>
    public string RouterValue => Router == IngressRouter.IngressNginx ? "ingress-nginx" : "gateway";

    internal Dictionary<string, object?> ToValues(int canaryWeight, string? canaryService) => new()
    {
        ["router"] = RouterValue,
        ["service"] = Service,
        ["host"] = Host,
        ["gateway"] = new Dictionary<string, object?> { ["name"] = GatewayName ?? string.Empty, ["namespace"] = GatewayNamespace ?? string.Empty },
        ["canary"] = new Dictionary<string, object?> { ["weight"] = canaryWeight, ["service"] = canaryService ?? string.Empty },
    };
}

/// <summary>The migration hook Job.</summary>
/// <param name="Enabled">Whether the hook runs (<c>data.migrations.enabled</c>).</param>
/// <param name="Service">The service whose image and configuration it runs with: the routed one, as on Compose.</param>
/// <param name="TimeoutSeconds">The Job's <c>activeDeadlineSeconds</c> (<c>data.migrations.timeout</c>).</param>
public sealed record HelmMigrationValues(bool Enabled, string Service, int TimeoutSeconds);

/// <summary>
/// The chart's blue/green values: which track (<c>blue</c>, <c>green</c>) the Services and the route select, and the
/// release each track runs, its images by digest.
/// </summary>
/// <param name="Active">The track that takes the traffic.</param>
/// <param name="Tracks">The release of each track rendered.</param>
public sealed record HelmBlueGreenValues(string Active, IReadOnlyDictionary<string, DeliveryRelease> Tracks)
{
    /// <summary>The first track.</summary>
    public const string Blue = "blue";

    /// <summary>The second track.</summary>
    public const string Green = "green";

    /// <summary>The other track of <paramref name="track"/>: green for blue, blue for anything else.</summary>
    public static string Other(string? track) => track == Blue ? Green : Blue;

    /// <summary>
    /// Tracks that keep the variables they run with (track → service → variables, <c>blueGreen.tracks.&lt;track&gt;.config</c>);
    /// a track not here gets the environment's current variables.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>> KeptConfig { get; init; } =
        new Dictionary<string, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>>(StringComparer.Ordinal);

    internal Dictionary<string, object?> ToValues() => new()
    {
        ["enabled"] = true,
        ["active"] = Active,
        ["tracks"] = Tracks.OrderBy(t => t.Key, StringComparer.Ordinal).ToDictionary(t => t.Key, t => (object?)TrackValues(t.Key, t.Value), StringComparer.Ordinal),
    };

    private Dictionary<string, object?> TrackValues(string track, DeliveryRelease release)
    {
        var values = new Dictionary<string, object?>
        {
            ["version"] = release.Version,
            ["commit"] = release.Commit,
            ["images"] = release.Images.OrderBy(i => i.Key, StringComparer.Ordinal).ToDictionary(i => i.Key, i => (object?)ImageValues(i.Value), StringComparer.Ordinal),
        };
        if (KeptConfig.TryGetValue(track, out var kept))
        {
            values["config"] = kept.OrderBy(s => s.Key, StringComparer.Ordinal).ToDictionary(
                s => s.Key,
                s => (object?)s.Value.OrderBy(v => v.Key, StringComparer.Ordinal).ToDictionary(v => v.Key, v => (object?)v.Value, StringComparer.Ordinal),
                StringComparer.Ordinal);
        }

        return values;
    }

    /// <summary><c>repo@sha256:…</c> as the chart's <c>{repository, digest}</c>.</summary>
    private static Dictionary<string, object?> ImageValues(string reference)
    {
        var at = reference.LastIndexOf('@');
        return at > 0
            ? new() { ["repository"] = reference[..at], ["digest"] = reference[(at + 1)..] }
            : throw new InvalidOperationException($"{reference} is not an image by digest (repository@sha256:…): blue/green tracks run images by digest only.");
    }
}
