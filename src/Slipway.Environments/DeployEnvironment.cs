using System.ComponentModel.DataAnnotations;

namespace Slipway.Environments;

/// <summary>
/// One deployable environment (dev, staging, prod), resolved from <c>environments/&lt;name&gt;.yml</c>
/// and the files it extends. Every key in the files maps to a property here, in snake_case
/// (<c>SupplyChain</c> is <c>supply_chain</c>); the loader, the printer and the JSON schema are all
/// derived from these types, so they cannot disagree.
/// </summary>
public sealed record DeployEnvironment
{
    /// <summary>The environment name: the file name without <c>.yml</c>.</summary>
    [LoaderProvided]
    public required string Name { get; init; }

    /// <summary>The files that were layered, most general first (e.g. base, prod).</summary>
    [LoaderProvided]
    public IReadOnlyList<string> Layers { get; init; } = [];

    /// <summary>Where every value came from (file and line), by key path.</summary>
    [LoaderProvided]
    public EnvironmentOrigins Origins { get; init; } = EnvironmentOrigins.Empty;

    /// <summary>What this environment is for, shown by <c>--list</c> and in the printed configuration.</summary>
    public string? Description { get; init; }

    /// <summary>Which builds deploy here.</summary>
    public required EnvironmentTrigger Trigger { get; init; }

    /// <summary>What must be true of the working tree and ref before deploying.</summary>
    public RefProtection Protection { get; init; } = new();

    /// <summary>How releases reach the environment: Compose or Helm, and where.</summary>
    public required DeliverySettings Delivery { get; init; }

    /// <summary>Where images are pushed and pulled.</summary>
    public required RegistrySettings Registry { get; init; }

    /// <summary>The services to build and deploy, by name (see <see cref="ResourceName"/>), in file order.</summary>
    [NameRule("service")]
    public required IReadOnlyDictionary<string, ServiceDefinition> Services { get; init; }

    /// <summary>The reverse proxy in front of the services.</summary>
    public IngressSettings? Ingress { get; init; }

    /// <summary>TLS, CORS and rate limiting at the edge.</summary>
    public SecuritySettings Security { get; init; } = new();

    /// <summary>Databases: data mode, backups, migrations, maintenance window.</summary>
    public DataSettings Data { get; init; } = new();

    /// <summary>SBOM, scan and signature requirements checked before every deploy.</summary>
    public SupplyChainPolicy SupplyChain { get; init; } = new();

    /// <summary>The probes that gate a deploy and judge a canary.</summary>
    public SloSettings? Slo { get; init; }

    /// <summary>The canary plan; absent means deploy all at once.</summary>
    public CanaryPlan? Canary { get; init; }

    /// <summary>The Terraform stack behind the environment.</summary>
    public InfraSettings? Infra { get; init; }

    /// <summary>Rollout timeouts and rollback behaviour.</summary>
    public RolloutSettings Rollout { get; init; } = new();

    /// <summary>Where the release ledger and locks live, relative to the repository root.</summary>
    [RegularExpression(@"^[^\s]+$", ErrorMessage = "a directory path without spaces")]
    [RepositoryPath("the state directory", Written = true)]
    public required string StateDirectory { get; init; }

    /// <summary>True when this is a production environment: named <c>prod</c> or deployed from tags.</summary>
    public bool IsProduction =>
        string.Equals(Name, "prod", StringComparison.Ordinal) || Trigger.On == TriggerEvent.Tag;
}

/// <summary>Marks a property the loader fills in itself rather than reading from a file.</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class LoaderProvidedAttribute : Attribute;
