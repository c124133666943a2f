using System.ComponentModel.DataAnnotations;

namespace Slipway.Environments;

/// <summary>The deploy driver.</summary>
public enum DeliveryDriver
{
    /// <summary>Docker Compose on one Docker host.</summary>
    Compose,

    /// <summary>A Helm release on Kubernetes.</summary>
    Helm,
}

/// <summary>Where an environment's release ledger and deploy lock are kept.</summary>
public enum StateLocation
{
    /// <summary>With the environment when it has an endpoint of its own (a Helm release's cluster, a Compose <c>docker_host</c> or <c>docker_context</c>), else <see cref="Local"/>.</summary>
    Auto,

    /// <summary>With the environment: on its Docker host (a volume and a container of the project), or in its cluster (a ConfigMap and a Lease beside the release), reached like the deploy.</summary>
    Environment,

    /// <summary>In the <c>state_directory</c> of the machine that deploys: for an environment only that machine deploys to.</summary>
    Local,
}

/// <summary>How releases reach the environment. Only the section for the chosen driver is used.</summary>
public sealed record DeliverySettings
{
    /// <summary>Which driver deploys.</summary>
    public required DeliveryDriver Driver { get; init; }

    /// <summary>The Compose target; needed when the driver is <c>compose</c>.</summary>
    public ComposeTarget? Compose { get; init; }

    /// <summary>The Helm target; needed when the driver is <c>helm</c>.</summary>
    public HelmTarget? Helm { get; init; }

    /// <summary>
    /// Where the release ledger and the deploy lock live: <c>auto</c> (default) keeps them with the environment when it has
    /// its own endpoint, so every machine that deploys it (each CI runner, a laptop) shares them; <c>environment</c> always;
    /// <c>local</c> in <c>state_directory</c>.
    /// </summary>
    public StateLocation State { get; init; } = StateLocation.Auto;
}

/// <summary>A Compose project on a Docker host.</summary>
public sealed record ComposeTarget
{
    /// <summary>
    /// The Docker host, e.g. <c>ssh://deploy@host</c> for a remote VM. Empty or absent: the local engine Slipway builds
    /// on (<c>--docker-host</c>, else <c>DOCKER_HOST</c>, else the one <c>--provision</c> starts).
    /// </summary>
    public string? DockerHost { get; init; }

    /// <summary>A Docker context (<c>docker context ls</c>) to deploy through, instead of a host.</summary>
    public string? DockerContext { get; init; }

    /// <summary>The host port (on 127.0.0.1) of the proxy's read-only stats page; 0 lets Docker pick one.</summary>
    [Range(0, 65535)]
    public int StatsPort { get; init; }

    /// <summary>The Compose project name; keeps environments on one host apart.</summary>
    [RegularExpression("^[a-z0-9][a-z0-9_-]*$", ErrorMessage = "a Compose project name (lower case letters, digits, '-' and '_')")]
    public required string Project { get; init; }

    /// <summary>The Compose files, relative to the repository root.</summary>
    [RepositoryPath("a Compose file")]
    public IReadOnlyList<string> Files { get; init; } = ["compose/stack.yml"];

    /// <summary>
    /// The variable the stack reads a service's image from; <c>{SERVICE}</c> stands for the service's name in upper case with
    /// <c>-</c> as <c>_</c>: <c>api</c> reads <c>API_IMAGE</c>.
    /// </summary>
    [RegularExpression("^[A-Za-z_]*\\{SERVICE\\}[A-Za-z0-9_]*$", ErrorMessage = "a variable name containing {SERVICE}, e.g. {SERVICE}_IMAGE")]
    public string ImageVariable { get; init; } = "{SERVICE}_IMAGE";

    /// <summary>The HAProxy in front of the routed service: its Compose service, backend, server slots and the ports it listens on.</summary>
    public ProxySettings Proxy { get; init; } = new();

    /// <summary>What the Docker host must have before a deploy starts: free disk on its data root, the engine's version.</summary>
    public HostRequirements Host { get; init; } = new();

    /// <summary>The variable of the stack that names <paramref name="service"/>'s image, from <see cref="ImageVariable"/>.</summary>
    public string ImageVariableOf(string service)
    {
        ArgumentNullException.ThrowIfNull(service);
        return ImageVariable.Replace("{SERVICE}", service.ToUpperInvariant().Replace('-', '_'), StringComparison.Ordinal);
    }
}

/// <summary>
/// The HAProxy in front of a Compose stack. Slipway generates its configuration from these keys and the routed service's
/// port and readiness path (<c>services.&lt;ingress.backend&gt;</c>), and drives it through its runtime API.
/// </summary>
public sealed record ProxySettings
{
    /// <summary>The proxy's Compose service.</summary>
    [RegularExpression("^[a-z0-9][a-z0-9_-]*$", ErrorMessage = "a Compose service name (lower case letters, digits, '-' and '_')")]
    public string Service { get; init; } = "proxy";

    /// <summary>Its image (the stack receives it as <c>PROXY_IMAGE</c>); an HAProxy 2.4 or newer with <c>socat</c>.</summary>
    public string Image { get; init; } = "haproxy:2.6";

    /// <summary>The backend the routed service's servers are in.</summary>
    [RegularExpression("^[A-Za-z0-9_.:-]+$", ErrorMessage = "an HAProxy backend name (letters, digits, '_', '.', ':' and '-')")]
    public string Backend { get; init; } = "app";

    /// <summary>The name of the routed service's server slots (<c>api1</c>, <c>api2</c>, …); absent: the routed service's name.</summary>
    [RegularExpression("^[A-Za-z][A-Za-z0-9_-]*$", ErrorMessage = "an HAProxy server name prefix (letters, digits, '_' and '-')")]
    public string? Servers { get; init; }

    /// <summary>The name of the canary's server slots (<c>canary1</c>, …); must not start like <see cref="Servers"/>.</summary>
    [RegularExpression("^[A-Za-z][A-Za-z0-9_-]*$", ErrorMessage = "an HAProxy server name prefix (letters, digits, '_' and '-')")]
    public string CanaryServers { get; init; } = "canary";

    /// <summary>Server slots for the routed service: a rollout runs the new containers beside the old, so at least twice its replicas.</summary>
    [Range(2, 64)]
    public int Slots { get; init; } = 8;

    /// <summary>Server slots for the canary's containers (<c>canary.replicas</c> at most).</summary>
    [Range(1, 16)]
    public int CanarySlots { get; init; } = 4;

    /// <summary>The port the proxy listens on for HTTP inside its container; <c>ingress.http_port</c> is published to it.</summary>
    [Range(1, 65535)]
    public int ListenPort { get; init; } = 8080;

    /// <summary>The port the proxy listens on for HTTPS inside its container, when <c>security.tls_mode</c> is not off; <c>ingress.https_port</c> is published to it.</summary>
    [Range(1, 65535)]
    public int HttpsListenPort { get; init; } = 8443;

    /// <summary>The port of its read-only stats page inside its container (the stack's healthcheck may connect to it).</summary>
    [Range(1, 65535)]
    public int StatsListenPort { get; init; } = 8404;
}

/// <summary>A Helm release in a Kubernetes namespace.</summary>
public sealed record HelmTarget
{
    /// <summary>The kubeconfig context; absent means the current context.</summary>
    public string? KubeContext { get; init; }

    /// <summary>The namespace to install into.</summary>
    [RegularExpression("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", ErrorMessage = "a Kubernetes namespace (a DNS label)")]
    public string? Namespace { get; init; }

    /// <summary>The Helm release name.</summary>
    [RegularExpression("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", ErrorMessage = "a Helm release name (a DNS label)")]
    public string? Release { get; init; }

    /// <summary>The chart directory, relative to the repository root.</summary>
    [RepositoryPath("the chart")]
    public string Chart { get; init; } = "charts/app";

    /// <summary>Extra values files, applied in order.</summary>
    [RepositoryPath("a values file")]
    public IReadOnlyList<string> ValuesFiles { get; init; } = [];

    /// <summary>
    /// Where the SLO probes reach the release after a rollout, e.g. <c>https://slipway.example</c>; absent means
    /// <c>https://&lt;ingress.host&gt;</c>.
    /// </summary>
    [RegularExpression(@"^https?://[^\s/]+(/[^\s]*)?$", ErrorMessage = "an absolute http:// or https:// URL, e.g. https://slipway.example")]
    public string? ProbeUrl { get; init; }
}

/// <summary>The container registry for this environment.</summary>
public sealed record RegistrySettings
{
    /// <summary>Host and port, e.g. <c>127.0.0.1:5000</c> or <c>ghcr.io</c>.</summary>
    [RegularExpression(@"^[A-Za-z0-9.-]+(:[0-9]+)?$", ErrorMessage = "a registry host with an optional port, e.g. 127.0.0.1:5000")]
    public required string Address { get; init; }

    /// <summary>Prepended to every image name, e.g. <c>slipway</c> gives <c>127.0.0.1:5000/slipway/api</c>.</summary>
    public string? RepositoryPrefix { get; init; }

    /// <summary>The user name, as a secret reference; absent for an anonymous registry.</summary>
    public SecretReference? Username { get; init; }

    /// <summary>The password or token, as a secret reference.</summary>
    public SecretReference? Password { get; init; }
}

/// <summary>Checked by Preflight before anything deploys to a Compose environment; each failure says what to do.</summary>
public sealed record HostRequirements
{
    /// <summary>Free space the engine's data root (<c>docker info</c>'s DockerRootDir) must have, e.g. <c>2Gi</c>; absent means 1Gi.</summary>
    public ByteSize? FreeDisk { get; init; }

    /// <summary>
    /// Memory the host must have available beyond what the release's new containers reserve (the services' memory
    /// requests, else limits, times their replicas), e.g. <c>512Mi</c>; absent means 256Mi.
    /// </summary>
    public ByteSize? MemoryMargin { get; init; }

    /// <summary>The oldest engine version accepted, <c>MAJOR.MINOR</c>.</summary>
    [RegularExpression(@"^[0-9]+\.[0-9]+$", ErrorMessage = "a MAJOR.MINOR version, e.g. 20.10")]
    public string MinEngineVersion { get; init; } = "20.10";
}
