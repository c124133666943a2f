using Slipway.Delivery.Migrations;
using Slipway.Environments;
using Slipway.Tools.Compose;

namespace Slipway.Delivery.Compose;

/// <summary>Where and how a release is deployed with Compose: the project, its services, and the matrix's policies.</summary>
public sealed record ComposeDeployment
{
    /// <summary>The environment's name, for messages and the ledger.</summary>
    public required string Environment { get; init; }

    /// <summary>The stack's files and shared variables (database password, ports), without a release's override.</summary>
    public required ComposeProject Project { get; init; }

    /// <summary>The application services, rolled out in this order.</summary>
    public required IReadOnlyList<ComposeAppService> Services { get; init; }

    /// <summary>Stateful services started (never replaced) before a rollout: the data lives in their volumes.</summary>
    public IReadOnlyList<string> DataServices { get; init; } = ["postgres", "redis"];

    /// <summary>The data service backed up before migrations, when it is already running.</summary>
    public string DatabaseService { get; init; } = "postgres";

    /// <summary>Whether a database backup is taken before migrations.</summary>
    public bool BackupBeforeDeploy { get; init; } = true;

    /// <summary>The reverse proxy's Compose service.</summary>
    public string ProxyService { get; init; } = "proxy";

    /// <summary>The proxy's backend that routed services join.</summary>
    public string ProxyBackend { get; init; } = "app";

    /// <summary>The proxy's runtime API socket, inside its container.</summary>
    public string ProxySocket { get; init; } = "/var/run/haproxy/admin.sock";

    /// <summary>The one-off migration service and the profile it is in.</summary>
    public string MigrationService { get; init; } = "migrate";

    /// <summary>
    /// Why the database already holds every migration the release carries (each ran with an earlier deploy, as the ledger
    /// says); null when it may not. The migrate one-off is then skipped, unless the database service was not running
    /// before the deploy: one this deploy starts may be new, and empty.
    /// </summary>
    internal string? MigrationsRanBecause { get; init; }

    /// <summary>Rollout timeouts and whether a failure rolls back.</summary>
    public required RolloutSettings Rollout { get; init; }

    /// <summary>Whether migrations run.</summary>
    public required MigrationPolicy Migrations { get; init; }

    /// <summary>How long a replaced container gets to finish its work after SIGTERM.</summary>
    public TimeSpan StopGracePeriod { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a drained server may keep connections before it is stopped anyway.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The environment's state directory (absolute): per-release overrides live under <c>releases/</c>.</summary>
    public required string StateDirectory { get; init; }

    /// <summary>
    /// The SLO probes sent straight to each new container of the routed service before it takes traffic (from inside the
    /// proxy's container, past its backend); empty for none.
    /// </summary>
    public IReadOnlyList<SloProbe> ChecksBeforeTraffic { get; init; } = [];

    /// <summary>
    /// The error budget the new containers' live answers are held to while the previous release is kept warm (the
    /// strictest <c>max_error_rate</c> of the SLO probes): beyond it, the proxy switches back at once. Null for no watch.
    /// </summary>
    public double? MaxErrorRateAfterTraffic { get; init; }

    /// <summary>
    /// The path the proxy checks the routed service's containers on (its readiness, else its liveness): a new container
    /// must answer it 200 twice in a row before traffic moves to it, as HAProxy's own checks (rise 2) would require.
    /// </summary>
    public string? ReadinessPath { get; init; }

    /// <summary>The port the routed service listens on inside its containers (what the proxy's slots point at).</summary>
    public int? RoutedPort { get; init; }

    /// <summary>
    /// Files the stack reads besides its Compose files (the proxy's generated configuration): with the Compose files and
    /// the stack's variables they tell whether a revision that was deployed last still runs as the stack now says.
    /// </summary>
    public IReadOnlyList<string> ConfigurationFiles { get; init; } = [];

    /// <summary>The prefix of the proxy's canary server slots (<c>server-template canary 1-4 api-canary:8080</c>).</summary>
    public string CanaryServerPrefix { get; init; } = "canary";

    /// <summary>
    /// The override file kept for the revision <paramref name="revision"/> of <paramref name="version"/>, which a rollback
    /// to it reuses; written once and never changed (<c>releases/VERSION@REVISION.compose.yml</c>). Without a revision
    /// (a ledger entry from before revisions), the file every deploy of the version used to overwrite.
    /// </summary>
    public string OverrideFileOf(string version, string? revision = null)
    {
        if (revision is not null && !ReleaseRevision.IsId(revision))
        {
            throw new ArgumentException($"'{revision}' is not a revision ({ReleaseRevision.IdRule}).", nameof(revision));
        }

        return ReleaseFile(revision is null ? version : $"{version}@{revision}", ".compose.yml");
    }

    /// <summary>The override that runs <paramref name="version"/> as a canary, over the stable release's override.</summary>
    public string CanaryOverrideFileOf(string version) => ReleaseFile(version, ".canary.compose.yml");

    private string ReleaseFile(string version, string suffix)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(version);
        var safe = new string([.. version.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '@' ? c : '_')]);
        return Path.Combine(StateDirectory, "releases", safe + suffix);
    }
}

/// <summary>An application service of the stack.</summary>
/// <param name="Name">The Compose service.</param>
/// <param name="Replicas">How many containers serve it.</param>
/// <param name="ImageVariable">The variable of the stack file that names its image (<c>API_IMAGE</c>).</param>
/// <param name="Routed">True when the proxy routes to it: it joins the backend before old containers are drained.</param>
public sealed record ComposeAppService(string Name, int Replicas, string ImageVariable, bool Routed)
{
    /// <summary>
    /// The service takes its work from a queue and nothing calls it (<c>role: worker</c>): its previous containers are paused
    /// while the probes judge the new ones, and resumed on a switch back.
    /// </summary>
    public bool Worker { get; init; }
}

/// <summary>A release as Compose deploys it.</summary>
/// <param name="Version">Its version.</param>
/// <param name="Commit">Its commit.</param>
/// <param name="Images">Image reference by digest (<c>repo@sha256:…</c>) per service.</param>
/// <param name="Revision">
/// The images with the configuration they run with (its override is <see cref="ComposeDeployment.OverrideFileOf"/>);
/// null for a ledger entry from before revisions.
/// </param>
public sealed record ComposeRelease(string Version, string Commit, IReadOnlyDictionary<string, string> Images, ReleaseRevision? Revision = null)
{
    /// <summary>The migrations the release carries, as each declares itself; null when the environment declares none.</summary>
    public IReadOnlyList<DeclaredMigration>? Migrations { get; init; }

    /// <summary>The release a ledger entry recorded, with its revision when it has one.</summary>
    public static ComposeRelease From(LedgerEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return new(entry.Version, entry.Commit, entry.Images, entry.RevisionId is { } id ? new ReleaseRevision(id, entry.ConfigurationHash ?? string.Empty) : null);
    }

    /// <summary><c>1.2.0 (rev 3f9a1b2c4d5e)</c>, or the version alone without a revision.</summary>
    public string Describe() => Revision is null ? Version : $"{Version} (rev {Revision.Id})";
}

/// <summary>What a deploy or rollback ended as.</summary>
/// <param name="Action">The ledger action that sums it up: Deployed, RolledBack (automatically, after a failure), Failed or Aborted.</param>
/// <param name="Summary">What happened, for people: which step failed, what runs now, what to do.</param>
/// <param name="Backup">The backup taken before it, if any.</param>
public sealed record DeployOutcome(LedgerAction Action, string Summary, string? Backup)
{
    /// <summary>True when the release asked for is live and passed its probes.</summary>
    public bool Succeeded => Action is LedgerAction.Deployed or LedgerAction.Promoted;
}

/// <summary>The result of the SLO probes after a rollout.</summary>
/// <param name="Passed">True when every probe met its objective.</param>
/// <param name="Report">The table of probes, for the log.</param>
/// <param name="Failures">One line per failed objective.</param>
public sealed record ProbeVerdict(bool Passed, string Report, IReadOnlyList<string> Failures);

/// <summary>The steps of a deploy that are not Compose's: the pre-deploy backup and the SLO probes.</summary>
/// <param name="BackupAsync">Backs up the database running in the given container; returns the backup's path.</param>
/// <param name="ProbeAsync">Probes the environment through its proxy.</param>
public sealed record DeployChecks(
    Func<Tools.Docker.DockerContainer, CancellationToken, Task<string>> BackupAsync,
    Func<CancellationToken, Task<ProbeVerdict>> ProbeAsync)
{
    /// <summary>
    /// Probes a revision that already runs as it was deployed, when a deploy of it changes nothing (see
    /// <see cref="Probes.SloGate.AgainstLive"/>); null to use <see cref="ProbeAsync"/> there too.
    /// </summary>
    public Func<CancellationToken, Task<ProbeVerdict>>? LiveProbeAsync { get; init; }
}
