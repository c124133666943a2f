using Slipway.Delivery.Migrations;
using Slipway.Processes;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Compose;

/// <summary>RestoreBackup's steps on the stack, and the database container RestoreDrill works in.</summary>
public sealed partial class ComposeDeployer
{
    /// <summary>What a dry run names the database container it does not ask the host for.</summary>
    internal const string DatabasePlaceholder = "<id of the running postgres container>";

    /// <summary>
    /// The emergency path: a fresh backup of the current state, the application services stopped and removed, the
    /// database restored (by <paramref name="restoreDatabase"/>, given the database container), then
    /// <paramref name="target"/> (the revision the backup was taken of) deployed without migrations and probed. The
    /// ledger records it as a rollback from <paramref name="current"/> to <paramref name="target"/> naming the backup.
    /// </summary>
    /// <remarks>
    /// A restore that fails leaves the live database as it was (the restore goes into a scratch database and is swapped in
    /// only when complete), and <paramref name="current"/> is started again.
    /// </remarks>
    public async Task<DeployOutcome> RestoreAsync(
        ComposeRelease target,
        LedgerEntry? current,
        string backup,
        IReadOnlyList<DeclaredMigration>? targetMigrations,
        Func<string, Task> restoreDatabase,
        string who)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(restoreDatabase);
        var started = _time.GetTimestamp();
        _session.Info($"Restoring {_deployment.Environment} from backup {backup}, then deploying {target.Describe()}, the revision it was taken of{(current is null ? string.Empty : $" (in place of {current.Describe()})")}.");
        var database = await RunningDatabaseAsync();

        // 1. The state being replaced is kept: a restore is a decision someone may want to undo.
        string? fresh = null;
        if (_session.IsDryRun)
        {
            _session.Info($"Backup: the current state of {_deployment.DatabaseService} first (data.postgres.backup.directory)");
        }
        else
        {
            fresh = await _checks.BackupAsync(database, _session.CancellationToken);
            _session.Info($"Backup of the state before the restore: {fresh}");
        }

        // 2. Nothing writes to the database while it is replaced.
        foreach (var service in _deployment.Services)
        {
            var running = await ContainersAsync(ListingProject, service.Name);
            if (_session.IsDryRun)
            {
                _session.Info($"{service.Name}: stopping and removing <the {service.Name} containers running then>");
            }

            await RemoveAsync(running, $"{service.Name}: stopping {running.Count} container(s) for the restore");
        }

        // 3. The data, swapped in only once complete.
        try
        {
            await restoreDatabase(database.Id);
        }
        catch (Exception e) when (e is ToolFailedException or DeployStepException)
        {
            return await RestartAfterFailedRestoreAsync(target, current, backup, fresh, e.Message, started, who);
        }

        // 4. The revision the data belongs to, through the usual rollout and probes; its schema is the backup's.
        var attempt = await ApplyAsync(target, migrate: false, backup: false);
        if (_session.IsDryRun)
        {
            return new DeployOutcome(LedgerAction.RolledBack, "dry run: nothing restored", null);
        }

        var freshNote = $"the state before it is backup {Path.GetFileName(fresh)}";
        if (attempt.Failure is null)
        {
            Record(current is null ? target : ComposeRelease.From(current), LedgerAction.RolledBack,
                $"RestoreBackup: backup {backup} restored ({freshNote}); {target.Describe()} redeployed and its probes passed", started, who,
                rolledBackTo: target, migrations: targetMigrations, restoredBackup: backup);
            RememberLive(target);
            return new DeployOutcome(LedgerAction.RolledBack,
                $"{_deployment.Environment} runs {target.Describe()} on the data of backup {backup}: every service healthy, probes passed ({freshNote}).", fresh);
        }

        Record(target, LedgerAction.Failed, $"RestoreBackup: backup {backup} restored ({freshNote}), but {attempt.Stage.Describe()} of {target.Describe()} failed: {attempt.Failure}", started, who);
        return new DeployOutcome(LedgerAction.Failed,
            $"Backup {backup} was restored, but {target.Describe()} did not come up on it ({attempt.Stage.Describe()}): {attempt.Failure}. {freshNote}. "
            + $"Inspect the stack (docker compose -p {_deployment.Project.Name} ps --all) and the ledger.", fresh);
    }

    /// <summary>The running database container of the stack (a dry run names it); an error when none runs.</summary>
    internal async Task<DockerContainer> RunningDatabaseAsync()
    {
        if (_session.IsDryRun)
        {
            return new DockerContainer(DatabasePlaceholder, _deployment.DatabaseService, string.Empty, "running", null, 0, new Dictionary<string, string>(), new Dictionary<string, string>());
        }

        return (await ContainersAsync(ListingProject, _deployment.DatabaseService)).FirstOrDefault(c => c.Status == "running")
            ?? throw new DeployStepException($"{_deployment.DatabaseService} is not running in the Compose project {_deployment.Project.Name}: there is no database to restore into or beside. Deploy the stack first.");
    }

    /// <summary>
    /// The restore failed before the swap: the live database is as it was, so the revision that ran on it starts again.
    /// The ledger records the restore as aborted (the running revision stays good) and, if the restart fails too, that.
    /// </summary>
    /// <summary>
    /// The stack as far as listing its containers goes: the stack file requires every image variable to interpolate, and
    /// which images run does not change which containers are listed.
    /// </summary>
    private Tools.Compose.ComposeProject ListingProject =>
        _deployment.Services.Aggregate(_deployment.Project, (project, service) => project.WithVariable(service.ImageVariable, "unused-for-listing"));

    private async Task<DeployOutcome> RestartAfterFailedRestoreAsync(ComposeRelease target, LedgerEntry? current, string backup, string? fresh, string failure, long started, string who)
    {
        var untouched = $"restoring backup {backup} failed: {failure}. The live database was not changed";
        if (current is null)
        {
            Record(target, LedgerAction.Aborted, $"RestoreBackup: {untouched}; there was no good revision to start again", started, who);
            return new DeployOutcome(LedgerAction.Failed, $"RestoreBackup: {untouched}; there is no good revision in the ledger to start again: deploy one.", fresh);
        }

        _session.Warning($"{untouched}: starting {current.Describe()} again.");
        var restart = await ApplyAsync(ComposeRelease.From(current), migrate: false, backup: false);
        var state = restart.Failure is null
            ? $"{current.Describe()} serves again"
            : $"starting {current.Describe()} again failed too ({restart.Stage.Describe()}: {restart.Failure}): run Rollback --to {current.RevisionId ?? current.Version}";
        Record(target, LedgerAction.Aborted, $"RestoreBackup: {untouched}; {state}", started, who);
        if (restart.Failure is not null)
        {
            Record(ComposeRelease.From(current), LedgerAction.Failed, $"restart after a failed RestoreBackup: {restart.Stage.Describe()} failed: {restart.Failure}", started, who);
        }

        return new DeployOutcome(LedgerAction.Failed, $"RestoreBackup: {untouched}; {state}.", fresh);
    }
}
