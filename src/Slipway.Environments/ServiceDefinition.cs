using System.Collections.Immutable;
using System.ComponentModel.DataAnnotations;

namespace Slipway.Environments;

/// <summary>One service of the stack (e.g. <c>api</c>, <c>worker</c>) as this environment runs it.</summary>
public sealed record ServiceDefinition
{
    /// <summary>The image name under the registry prefix, e.g. <c>api</c>.</summary>
    [RegularExpression("^[a-z0-9]+([._/-][a-z0-9]+)*$", ErrorMessage = "an image name (lower case letters, digits, '.', '_', '-', '/')")]
    public required string Image { get; init; }

    /// <summary>The Dockerfile, relative to the repository root.</summary>
    [RepositoryPath("a Dockerfile")]
    public required string Dockerfile { get; init; }

    /// <summary>The build context, relative to the repository root (used when there is no <see cref="Project"/>).</summary>
    [RepositoryPath("a build context")]
    public string Context { get; init; } = ".";

    /// <summary>
    /// The .NET project to publish before the image build, relative to the repository root. Its publish
    /// output becomes the build context, so the Dockerfile only copies published files.
    /// </summary>
    [RepositoryPath("a project")]
    public string? Project { get; init; }

    /// <summary>How many instances run.</summary>
    [Range(1, int.MaxValue)]
    public int Replicas { get; init; } = 1;

    /// <summary>CPU and memory requests and limits.</summary>
    public ResourceRequirements Resources { get; init; } = new();

    /// <summary>Ports the container listens on.</summary>
    public IReadOnlyList<ServicePort> Ports { get; init; } = [];

    /// <summary>Plain environment variables; use <see cref="Secrets"/> for anything sensitive.</summary>
    public IReadOnlyDictionary<string, string> Env { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>Environment variables whose values are secrets, as references resolved at deploy time.</summary>
    public IReadOnlyDictionary<string, SecretReference> Secrets { get; init; } = ImmutableDictionary<string, SecretReference>.Empty;

    /// <summary>Feature flags, passed to the service as <c>FEATURES__&lt;name&gt;</c>.</summary>
    public IReadOnlyDictionary<string, bool> FeatureFlags { get; init; } = ImmutableDictionary<string, bool>.Empty;

    /// <summary>Health endpoints used by the drivers and the SLO probes.</summary>
    public HealthEndpoints? Health { get; init; }

    /// <summary>
    /// <c>service</c> (default): it answers requests, from the proxy or from other services by name. <c>worker</c>: it takes its
    /// work from a queue and nothing calls it, so during a Compose deploy its previous containers are paused while the probes
    /// judge the new ones (running, they would do the queue's work and hide a new worker that does none) and resumed on a
    /// switch back. A service others call must stay <c>service</c>: a paused container still answers to its name.
    /// </summary>
    public ServiceRole Role { get; init; } = ServiceRole.Service;
}

/// <summary>What a service does with its time; see <see cref="ServiceDefinition.Role"/>.</summary>
public enum ServiceRole
{
    /// <summary>Answers requests, from the proxy or from other services by name.</summary>
    Service,

    /// <summary>Takes its work from a queue; nothing calls it.</summary>
    Worker,
}

/// <summary>Requests (what the scheduler reserves) and limits (what the container may use).</summary>
public sealed record ResourceRequirements
{
    /// <summary>Reserved resources.</summary>
    public ResourceQuantities? Requests { get; init; }

    /// <summary>Hard limits; must not be below the requests.</summary>
    public ResourceQuantities? Limits { get; init; }
}

/// <summary>A CPU and memory pair.</summary>
public sealed record ResourceQuantities
{
    /// <summary>CPU, e.g. <c>250m</c> or <c>0.5</c>.</summary>
    public CpuQuantity? Cpu { get; init; }

    /// <summary>Memory, e.g. <c>512Mi</c>.</summary>
    public ByteSize? Memory { get; init; }
}

/// <summary>A port a service listens on.</summary>
public sealed record ServicePort
{
    /// <summary>A name for the port, e.g. <c>http</c>.</summary>
    [RegularExpression("^[a-z][a-z0-9-]*$", ErrorMessage = "a port name (lower case letters, digits and '-')")]
    public required string Name { get; init; }

    /// <summary>The container port.</summary>
    [Range(1, 65535)]
    public required int Port { get; init; }
}

/// <summary>HTTP health endpoints of a service.</summary>
public sealed record HealthEndpoints
{
    /// <summary>Answers 200 while the process is alive.</summary>
    [RegularExpression("^/.*$", ErrorMessage = "an HTTP path starting with /")]
    public string? Liveness { get; init; }

    /// <summary>Answers 200 when the service can take traffic.</summary>
    [RegularExpression("^/.*$", ErrorMessage = "an HTTP path starting with /")]
    public string? Readiness { get; init; }
}
