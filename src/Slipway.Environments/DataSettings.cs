using System.ComponentModel.DataAnnotations;

namespace Slipway.Environments;

/// <summary>What data an environment runs on.</summary>
public enum DataMode
{
    /// <summary>Fresh databases seeded with fixtures on every deploy; nothing survives.</summary>
    EphemeralSeeded,

    /// <summary>A copy of production with personal data masked.</summary>
    Masked,

    /// <summary>Real production data: backed up, never reseeded.</summary>
    Production,
}

/// <summary>Databases and how deploys treat them.</summary>
public sealed record DataSettings
{
    /// <summary>What data the environment runs on.</summary>
    public DataMode Mode { get; init; } = DataMode.EphemeralSeeded;

    /// <summary>The Postgres database; absent when the stack runs without one.</summary>
    public PostgresSettings? Postgres { get; init; }

    /// <summary>The Redis cache.</summary>
    public RedisSettings? Redis { get; init; }

    /// <summary>Whether schema migrations run during deploys, and for how long.</summary>
    public MigrationPolicy Migrations { get; init; } = new();

    /// <summary>When disruptive operations are allowed; absent means any time.</summary>
    public MaintenanceWindow? MaintenanceWindow { get; init; }
}

/// <summary>The Postgres database of the stack.</summary>
public sealed record PostgresSettings
{
    /// <summary>The database name (the stack receives it as <c>POSTGRES_DB</c>).</summary>
    [RegularExpression("^[A-Za-z_][A-Za-z0-9_]*$", ErrorMessage = "a database name (letters, digits and '_', not starting with a digit)")]
    public required string Database { get; init; }

    /// <summary>The database user the services connect as (the stack receives it as <c>POSTGRES_USER</c>).</summary>
    [RegularExpression("^[A-Za-z_][A-Za-z0-9_]*$", ErrorMessage = "a database user name (letters, digits and '_', not starting with a digit)")]
    public string User { get; init; } = "app";

    /// <summary>The Compose service that runs the database: started before a rollout, never replaced by one, backed up.</summary>
    [RegularExpression("^[a-z0-9][a-z0-9_-]*$", ErrorMessage = "a Compose service name (lower case letters, digits, '-' and '_')")]
    public string Service { get; init; } = "postgres";

    /// <summary>Its image (the stack receives it as <c>POSTGRES_IMAGE</c>).</summary>
    public string Image { get; init; } = "postgres:15";

    /// <summary>The connection string, as a secret reference, for drivers that do not run the database themselves (Helm).</summary>
    public SecretReference? Connection { get; init; }

    /// <summary>
    /// The password of the database the Compose stack runs (the stack builds the services' connection strings from
    /// it). Absent: generated on the first deploy and kept in the environment's state directory (mode 600).
    /// </summary>
    public SecretReference? Password { get; init; }

    /// <summary>Backups taken by the deploy.</summary>
    public BackupPolicy Backup { get; init; } = new();
}

/// <summary>The Redis instance of the stack.</summary>
public sealed record RedisSettings
{
    /// <summary>The Compose service that runs Redis: started before a rollout, never replaced by one.</summary>
    [RegularExpression("^[a-z0-9][a-z0-9_-]*$", ErrorMessage = "a Compose service name (lower case letters, digits, '-' and '_')")]
    public string Service { get; init; } = "redis";

    /// <summary>Its image (the stack receives it as <c>REDIS_IMAGE</c>).</summary>
    public string Image { get; init; } = "redis:7";

    /// <summary>The connection string, as a secret reference, for drivers that do not run Redis themselves (Helm).</summary>
    public SecretReference? Connection { get; init; }
}

/// <summary>Pre-deploy backups.</summary>
public sealed record BackupPolicy
{
    /// <summary>
    /// Take a <c>pg_dump</c> before a deploy that may run migrations (its migrating image is new, or it is the first
    /// release) and refuse to deploy if it fails; with <see cref="EveryDeploy"/>, before every deploy.
    /// </summary>
    public bool BeforeDeploy { get; init; }

    /// <summary>
    /// With <see cref="BeforeDeploy"/>: back up before every deploy, also one without migrations pending (an unchanged
    /// migrating image). Off by default: a deploy that cannot change the schema does not wait for a dump.
    /// </summary>
    public bool EveryDeploy { get; init; }

    /// <summary>How long backups are kept before the deploy prunes them.</summary>
    [MaximumDuration("3650d")]
    public Duration Retention { get; init; } = Duration.Parse("7d");

    /// <summary>Where backups are written, relative to the repository root.</summary>
    [RepositoryPath("the backup directory", Written = true)]
    public string Directory { get; init; } = ".slipway/backups";

    /// <summary>
    /// Recovery point objective: how old the newest backup may be. <c>RestoreDrill</c> reports the newest backup's age
    /// against it and fails when it is older.
    /// </summary>
    [MaximumDuration("3650d")]
    public Duration Rpo { get; init; } = Duration.Parse("1d");

    /// <summary>
    /// Recovery time objective: how long restoring the newest backup may take. <c>RestoreDrill</c> times its restore
    /// into a scratch database and fails when it took longer.
    /// </summary>
    [MaximumDuration("7d")]
    public Duration Rto { get; init; } = Duration.Parse("30m");

    /// <summary>
    /// A read-only query <c>RestoreDrill</c> runs against the restored copy (e.g. <c>SELECT count(*) FROM orders</c>):
    /// it must succeed, and its answer is printed. Absent: only the tables and their row counts are checked.
    /// </summary>
    [RegularExpression(@"^[^\r\n\x00]{1,1000}$", ErrorMessage = "one line of SQL, at most 1000 characters")]
    public string? DrillQuery { get; init; }
}

/// <summary>Schema migrations during deploys.</summary>
public sealed record MigrationPolicy
{
    /// <summary>Run migrations before the new version takes traffic.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>How long migrations may take before the deploy aborts.</summary>
    public Duration Timeout { get; init; } = Duration.Parse("5m");

    /// <summary>
    /// The migration command, run once per deploy in the image of <see cref="ImageOf"/> (by default the routed service,
    /// <c>ingress.backend</c>): as the Compose one-off <see cref="Service"/>'s command, and as the arguments of Helm's
    /// pre-upgrade Job.
    /// </summary>
    public IReadOnlyList<string> Command { get; init; } = ["migrate"];

    /// <summary>The Compose one-off service that runs the migrations, in a profile of the same name so <c>up</c> leaves it out.</summary>
    [RegularExpression("^[a-z0-9][a-z0-9_-]*$", ErrorMessage = "a Compose service name (lower case letters, digits, '-' and '_')")]
    public string Service { get; init; } = "migrate";

    /// <summary>
    /// The service whose image holds the migrations (the one that owns the database, e.g. an API behind a routed
    /// frontend); absent: the routed service, <c>ingress.backend</c>. Helm's Job runs that image; on Compose the stack's
    /// <see cref="Service"/> names the same image (<c>${BILLING_IMAGE}</c>).
    /// </summary>
    [NameRule("service")]
    public string? ImageOf { get; init; }

    /// <summary>
    /// The folder of the migration scripts (<c>*.sql</c>), relative to the repository root. Each declares in its leading
    /// comment lines whether the previous release keeps working after it (<c>-- slipway: expand</c>) or not
    /// (<c>-- slipway: contract</c>); the ledger records the migrations each deploy applied, and a rollback across a
    /// contract migration is refused unless forced. Absent: migrations are not declared and rollbacks are not checked.
    /// </summary>
    [RepositoryPath("the migrations directory")]
    public string? Directory { get; init; }
}

/// <summary>
/// A weekly window in which deploys that touch data may run: a release with migrations pending is refused outside it
/// (or waits for it with <c>--wait-for-window</c>); a release without is not gated.
/// </summary>
public sealed record MaintenanceWindow
{
    /// <summary>The days the window opens, in <see cref="TimeZone"/>.</summary>
    public required IReadOnlyList<DayOfWeek> Days { get; init; }

    /// <summary>The local start time in <see cref="TimeZone"/>, e.g. <c>02:00</c>.</summary>
    public required TimeOnly Start { get; init; }

    /// <summary>
    /// The IANA time zone the days and start are in, e.g. <c>Europe/Berlin</c> or <c>UTC</c>: explicit, so a window does
    /// not move with the machine that deploys. Daylight saving time is followed (a start in the spring gap opens when
    /// the clocks have jumped; in the autumn overlap, at the first of the two).
    /// </summary>
    public required string TimeZone { get; init; }

    /// <summary>How long the window stays open.</summary>
    public required Duration Length { get; init; }
}
