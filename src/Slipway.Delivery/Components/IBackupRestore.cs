using Slipway.Delivery.Backups;
using Slipway.Targets;

namespace Slipway.Delivery.Components;

/// <summary>
/// The database's way back, on Compose: RestoreBackup (the emergency path: the data of a backup and the revision it
/// was taken of) and RestoreDrill (proves the newest backup restores, within the matrix's RPO and RTO).
/// </summary>
public interface IBackupRestore : IDelivery
{
    /// <summary>--backup: the backup RestoreBackup restores.</summary>
    [Parameter("RestoreBackup: the backup file to restore (a name from data.postgres.backup.directory/ENV, e.g. prod-20260301T090000Z-rev-3f9a1b2c4d5e.dump); default the newest", Name = "backup")]
    string? BackupName => TryGetValue(() => BackupName);

    /// <summary>Restores a backup and deploys the revision it was taken of.</summary>
    Target RestoreBackup => _ => _
        .Describe("The emergency path on Compose: lock, back up the current state, stop the application, restore --backup (default the newest) into the database, deploy the revision it was taken of, probe, record")
        .UsesEnvironment(this, whenLoaded: () => BackupName is { } name && BackupCatalog.NameError(name, EnvironmentName, "the backup directory") is { } error ? [error] : [])
        .Executes(Tracked(ctx => DeliveryRunOf(ctx).RestoreBackupAsync(BackupName), rollback: true));

    /// <summary>Restores the newest backup into a scratch database and reports RPO and RTO.</summary>
    Target RestoreDrill => _ => _
        .Describe("Restore the newest backup into a scratch database beside the live one, check tables, row counts and data.postgres.backup.drill_query, report its age (RPO) and the restore's duration (RTO) against the matrix, drop the scratch database")
        .UsesEnvironment(this, EnvironmentUse.Reads)
        .Executes(ctx => DeliveryRunOf(ctx).RestoreDrillAsync());
}
