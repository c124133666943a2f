using Slipway.Delivery.Migrations;

namespace Slipway.Delivery;

/// <summary>What happened to a release in an environment; one <see cref="LedgerEntry"/> records one of these.</summary>
public enum LedgerAction
{
    /// <summary>The release was deployed and passed its checks.</summary>
    Deployed,

    /// <summary>The release was deployed (or being deployed) and did not come up healthy.</summary>
    Failed,

    /// <summary>The release was taken away again; <see cref="LedgerEntry.RolledBackTo"/> names what replaced it.</summary>
    RolledBack,

    /// <summary>The release was promoted: its canary passed (or was promoted by hand) and it became the stable release.</summary>
    Promoted,

    /// <summary>
    /// The run stopped before the release took over: refused by a gate, a migration failed before traffic moved, or its
    /// canary was aborted (weight 0, canary removed, the stable release untouched).
    /// </summary>
    Aborted,

    /// <summary>A canary started, or moved to its next step (the details give the weight and duration).</summary>
    CanaryStep,

    /// <summary>One analysis of a canary: what the router saw of it, the probes, and the verdict.</summary>
    CanaryAnalysis,

    /// <summary>
    /// The environment's protection refused the deploy and it went ahead on purpose (<c>--override-protection</c>, where
    /// the matrix allows it): the details say what was refused and why.
    /// </summary>
    Overridden,
}

/// <summary>One line of a <see cref="ReleaseLedger"/>: one thing that happened to one release in one environment.</summary>
/// <param name="Environment">The environment, e.g. <c>staging</c>.</param>
/// <param name="Version">The release this entry is about. For <see cref="LedgerAction.RolledBack"/>, the version that was taken away.</param>
/// <param name="Commit">The commit the release was built from.</param>
/// <param name="Images">Image digest (<c>sha256:...</c>) by service name.</param>
/// <param name="Who">Who ran it, as <c>user@host</c>.</param>
/// <param name="When">When the action finished.</param>
/// <param name="Action">What happened.</param>
/// <param name="Details">A short reason or result, e.g. <c>api unhealthy after 60s</c>; one line.</param>
/// <param name="Duration">How long the action took.</param>
/// <param name="RolledBackTo">For <see cref="LedgerAction.RolledBack"/>, the version now running instead; otherwise null.</param>
/// <param name="Revision">
/// The Helm revision this entry made (Helm driver only; null for Compose and for ledgers written before it existed):
/// what <c>helm rollback</c> returns to when this release is the rollback target.
/// </param>
/// <param name="RevisionId">
/// The <see cref="ReleaseRevision"/> this entry is about (images plus rendered configuration); null in entries written
/// before revisions existed, which are then told apart by version alone.
/// </param>
/// <param name="ConfigurationHash">The <see cref="ReleaseRevision.ConfigurationHash"/> of <paramref name="RevisionId"/>; null with it.</param>
/// <param name="RolledBackToRevision">For <see cref="LedgerAction.RolledBack"/>, the revision now running instead, when known.</param>
/// <param name="Migrations">
/// The migrations the database holds once this entry's deploy ran its migrate step (every migration its release
/// carries, as each declares itself), or, with <paramref name="RestoredBackup"/>, those of the revision restored; null
/// when no migrate step ran. A rollback across a contract migration is refused from these (<see cref="ContractMigrations"/>).
/// </param>
/// <param name="RestoredBackup">
/// For the <see cref="LedgerAction.RolledBack"/> of <c>RestoreBackup</c>: the backup file restored. The database holds
/// what that backup held from then on.
/// </param>
public sealed record LedgerEntry(
    string Environment,
    string Version,
    string Commit,
    IReadOnlyDictionary<string, string> Images,
    string Who,
    DateTimeOffset When,
    LedgerAction Action,
    string Details,
    TimeSpan Duration,
    string? RolledBackTo = null,
    int? Revision = null,
    string? RevisionId = null,
    string? ConfigurationHash = null,
    string? RolledBackToRevision = null,
    IReadOnlyList<DeclaredMigration>? Migrations = null,
    string? RestoredBackup = null)
{
    /// <summary>
    /// What tells this entry's release apart from others in the ledger: its <see cref="RevisionId"/>, else (an entry from
    /// before revisions) its version.
    /// </summary>
    internal string RevisionKey => KeyOf(Version, RevisionId);

    /// <summary>The key of <see cref="RolledBackTo"/>, as <see cref="RevisionKey"/> spells it; null when this is not a rollback.</summary>
    internal string? RolledBackToKey => RolledBackTo is null ? null : KeyOf(RolledBackTo, RolledBackToRevision);

    /// <summary>What identifies a release in the ledger: its revision, or (for an entry from before revisions) its version.</summary>
    internal static string KeyOf(string version, string? revisionId) => revisionId ?? "version " + version;

    /// <summary><c>1.2.0 (rev 3f9a1b2c4d5e)</c>, or the version alone for an entry from before revisions.</summary>
    public string Describe() => RevisionId is null ? Version : $"{Version} (rev {RevisionId})";

    /// <summary><c>user@host</c> for the current process, as <see cref="Who"/> expects it.</summary>
    public static string CurrentUser => $"{System.Environment.UserName}@{System.Environment.MachineName}";
}
