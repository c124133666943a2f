using System.Globalization;
using Slipway.Delivery.Backups;
using Slipway.Environments;
using Slipway.Processes;

namespace Slipway.Delivery.Compose;

/// <summary>RestoreBackup and RestoreDrill on the stack's Postgres.</summary>
public sealed partial class ComposeDeployDriver
{
    /// <summary>The environment's backup directory (absolute): <c>data.postgres.backup.directory/ENVIRONMENT</c>.</summary>
    public string BackupDirectory => _environment.PathOf(Path.Combine(Environment.Data.Postgres?.Backup.Directory ?? ".slipway/backups", _environment.Name));

    private PostgresSettings Postgres => Environment.Data.Postgres
        ?? throw new InvalidOperationException($"{_environment.EnvironmentFile} has no data.postgres: there is no database to restore.");

    /// <summary>
    /// Restores <paramref name="backup"/> into the live database and deploys <paramref name="target"/>, the revision it
    /// was taken of (see <see cref="ComposeDeployer.RestoreAsync"/>).
    /// </summary>
    public async Task<DeployOutcome> RestoreBackupAsync(BackupFileName backup, LedgerEntry target, LedgerEntry? current, string who)
    {
        ArgumentNullException.ThrowIfNull(backup);
        ArgumentNullException.ThrowIfNull(target);
        var postgres = Postgres;
        var deployment = await DeploymentAsync();
        var overrideFile = deployment.OverrideFileOf(target.Version, target.RevisionId);
        if (!File.Exists(overrideFile) && !_session.IsDryRun)
        {
            throw new InvalidOperationException($"The configuration {target.Describe()} ran with ({_environment.Relative(overrideFile)}) is gone from the state directory: RestoreBackup cannot deploy it as it was. Restore by hand (README, Restore) or deploy {target.Version} again first.");
        }

        var rendered = ComposeOverride.Render(Environment, target.Version, _environment.Secrets);
        var password = await DatabasePasswordAsync();
        var hostPath = Path.Combine(BackupDirectory, backup.FileName);
        return await Deployer(_session, deployment, rendered).RestoreAsync(ComposeRelease.From(target), current, backup.FileName, target.Migrations, async container =>
        {
            var now = _time.GetUtcNow();
            var restored = PostgresRestore.ScratchName(postgres.Database, "restore", now);
            var replaced = PostgresRestore.ScratchName(postgres.Database, "replaced", now);
            var temporary = $"{PostgresBackup.ContainerTemporaryDirectory}/slipway-restore-{backup.FileName}";
            var steps = PostgresBackup.RestoreInvocations(hostPath, container, restored, postgres.User, temporary, Endpoint, password);
            try
            {
                foreach (var step in steps.Take(steps.Count - 1))
                {
                    await _session.RunAsync(step);
                }

                await _session.RunAsync(PostgresRestore.SwapInvocation(container, postgres.User, postgres.Database, restored, replaced, Endpoint, password));
            }
            catch (ToolFailedException)
            {
                await _session.RunAsync(PostgresRestore.DropInvocation(container, postgres.User, restored, Endpoint, password).AcceptingAnyExitCode(), echoOutput: false);
                throw;
            }
            finally
            {
                await _session.RunAsync(steps[^1].AcceptingAnyExitCode(), echoOutput: false);
            }

            // The replaced data is in the fresh backup taken first.
            await _session.RunAsync(PostgresRestore.DropInvocation(container, postgres.User, replaced, Endpoint, password));
        }, who);
    }

    /// <summary>
    /// Restores <paramref name="backup"/> into a scratch database beside the live one, checks it (tables present, their row
    /// counts, <c>data.postgres.backup.drill_query</c>), times the restore, and removes the scratch database whatever happens.
    /// </summary>
    public async Task<RestoreDrillReport> RestoreDrillAsync(BackupFileName backup)
    {
        ArgumentNullException.ThrowIfNull(backup);
        var postgres = Postgres;
        var deployment = await DeploymentAsync();
        var deployer = Deployer(_session, deployment, ComposeOverride.Render(Environment, "drill", _environment.Secrets));
        var container = (await deployer.RunningDatabaseAsync()).Id;
        var password = await DatabasePasswordAsync();
        var now = _time.GetUtcNow();
        var scratch = PostgresRestore.ScratchName(postgres.Database, "drill", now);
        var temporary = $"{PostgresBackup.ContainerTemporaryDirectory}/slipway-drill-{backup.FileName}";
        var steps = PostgresBackup.RestoreInvocations(Path.Combine(BackupDirectory, backup.FileName), container, scratch, postgres.User, temporary, Endpoint, password);
        var started = _time.GetTimestamp();
        try
        {
            foreach (var step in steps.Take(steps.Count - 1))
            {
                await _session.RunAsync(step);
            }

            var restoreTime = _time.GetElapsedTime(started);
            var tables = PostgresRestore.ParseTableCounts(await CheckAsync(PostgresRestore.QueryInvocation(container, postgres.User, scratch, PostgresRestore.TableCountsQuery, Endpoint, password)));
            var live = PostgresRestore.ParseTableCounts(await CheckAsync(PostgresRestore.QueryInvocation(container, postgres.User, postgres.Database, PostgresRestore.TableCountsQuery, Endpoint, password)));
            var answer = postgres.Backup.DrillQuery is { } query
                ? (await CheckAsync(PostgresRestore.QueryInvocation(container, postgres.User, scratch, query, Endpoint, password))).Trim()
                : null;
            return new RestoreDrillReport(backup.FileName, now - backup.Timestamp, restoreTime, postgres.Backup.Rpo, postgres.Backup.Rto, tables,
                [.. live.Select(t => t.Table).Except(tables.Select(t => t.Table), StringComparer.Ordinal)], postgres.Backup.DrillQuery, answer, _session.IsDryRun);
        }
        finally
        {
            await _session.RunAsync(steps[^1].AcceptingAnyExitCode(), echoOutput: false);
            await _session.RunAsync(PostgresRestore.DropInvocation(container, postgres.User, scratch, Endpoint, password));
        }
    }

    /// <summary>A drill's read-only query: its output; in a dry run, printed only (the scratch database does not exist).</summary>
    private async Task<string> CheckAsync(ToolInvocation query)
    {
        if (_session.IsDryRun)
        {
            await _session.RunAsync(query);
            return string.Empty;
        }

        var result = await _session.QueryAsync(query.AcceptingAnyExitCode());
        return result.ExitCode == 0
            ? result.StandardOutput
            : throw new DeployStepException($"the drill's query on the restored copy failed ({result.ExitCode}): {result.Reason}");
    }
}

/// <summary>What a RestoreDrill found: the backup's age and the restore's duration against the objectives, and the checks.</summary>
/// <param name="Backup">The backup restored.</param>
/// <param name="Age">How old it was (RPO: the data a restore would lose).</param>
/// <param name="RestoreTime">How long the restore took (RTO).</param>
/// <param name="Rpo">data.postgres.backup.rpo.</param>
/// <param name="Rto">data.postgres.backup.rto.</param>
/// <param name="Tables">The restored tables with their row counts.</param>
/// <param name="MissingTables">Tables the live database has and the restored copy does not.</param>
/// <param name="Query">data.postgres.backup.drill_query, if any.</param>
/// <param name="Answer">Its answer on the restored copy.</param>
/// <param name="DryRun">True when nothing ran.</param>
public sealed record RestoreDrillReport(
    string Backup,
    TimeSpan Age,
    TimeSpan RestoreTime,
    Duration Rpo,
    Duration Rto,
    IReadOnlyList<(string Table, long Rows)> Tables,
    IReadOnlyList<string> MissingTables,
    string? Query,
    string? Answer,
    bool DryRun)
{
    /// <summary>Why the drill failed: an objective missed or a restored copy without tables; empty when it passed.</summary>
    public IReadOnlyList<string> Failures => DryRun ? [] :
    [
        .. Age > Rpo.Value ? [$"the newest backup is {Text(Age)} old, more than the RPO of {Rpo} (data.postgres.backup.rpo): back up more often (data.postgres.backup.every_deploy, or a scheduled backup)"] : Array.Empty<string>(),
        .. RestoreTime > Rto.Value ? [$"the restore took {Text(RestoreTime)}, more than the RTO of {Rto} (data.postgres.backup.rto)"] : Array.Empty<string>(),
        .. Tables.Count == 0 ? ["the restored copy has no tables in the public schema"] : Array.Empty<string>(),
    ];

    /// <summary>The report, for people.</summary>
    public string Describe() => DryRun
        ? $"dry run: would restore {Backup} into a scratch database, check its tables, row counts{(Query is null ? string.Empty : $" and '{Query}'")}, report RPO (objective {Rpo}) and RTO (objective {Rto}), then drop it"
        : string.Join(System.Environment.NewLine,
        [
            $"Restore drill of {Backup}:",
            $"  RPO: the backup is {Text(Age)} old (objective {Rpo}): {(Age > Rpo.Value ? "MISSED" : "met")}",
            $"  RTO: the restore took {Text(RestoreTime)} (objective {Rto}): {(RestoreTime > Rto.Value ? "MISSED" : "met")}",
            $"  tables: {(Tables.Count == 0 ? "none" : string.Join(", ", Tables.Select(t => $"{t.Table} {t.Rows.ToString(CultureInfo.InvariantCulture)} rows")))}",
            .. MissingTables.Count == 0 ? Array.Empty<string>() : [$"  not in the backup (created since it was taken): {string.Join(", ", MissingTables)}"],
            .. Query is null ? Array.Empty<string>() : [$"  {Query}: {Answer}"],
            "  the scratch database was dropped",
        ]);

    private static string Text(TimeSpan span) => span.TotalSeconds < 120
        ? span.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s"
        : DurationText.Format(span);
}
