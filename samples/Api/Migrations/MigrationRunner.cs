using System.Diagnostics;
using System.Globalization;

namespace Slipway.Samples.Api.Migrations;

/// <summary>A row of <c>schema_migrations</c>.</summary>
public sealed record AppliedMigration(int Version, string Name, string Checksum);

/// <summary>Where migrations are recorded and applied. The Postgres implementation is the only
/// production one; the interface exists so the runner's decisions are tested without a database.</summary>
public interface IMigrationStore
{
    /// <summary>Serialises concurrent migrate steps (two deploys, two replicas' init containers):
    /// the second waits, then finds nothing left to do.</summary>
    Task<IAsyncDisposable> LockAsync(CancellationToken cancellationToken);

    Task EnsureHistoryTableAsync(CancellationToken cancellationToken);

    Task<IReadOnlyList<AppliedMigration>> GetAppliedAsync(CancellationToken cancellationToken);

    /// <summary>Runs the script and records it in one transaction: either both happen or neither.</summary>
    Task ApplyAsync(Migration migration, CancellationToken cancellationToken);
}

public sealed record MigrationReport(IReadOnlyList<Migration> Applied, int AlreadyApplied, IReadOnlyList<AppliedMigration> UnknownToThisBuild);

public sealed class MigrationRunner(IMigrationStore store, TextWriter log)
{
    public async Task<MigrationReport> RunAsync(IReadOnlyList<Migration> available, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(available);
        var ordered = Validate(available);

        await using var _ = await store.LockAsync(cancellationToken);
        await store.EnsureHistoryTableAsync(cancellationToken);
        var applied = (await store.GetAppliedAsync(cancellationToken)).ToDictionary(a => a.Version);

        foreach (var migration in ordered)
        {
            if (applied.TryGetValue(migration.Version, out var row) && row.Checksum != migration.Checksum)
            {
                throw new MigrationException(
                    $"Migration {migration.Id} was changed after it was applied (checksum {row.Checksum[..12]} in the database, {migration.Checksum[..12]} in this build). " +
                    "Applied migrations are immutable: revert the edit and add a new migration instead.");
            }
        }

        // A database ahead of this build is normal after a rollback: expand/contract keeps the
        // previous release compatible with the newer schema, so this is reported, not fatal.
        var known = ordered.Select(m => m.Version).ToHashSet();
        var unknown = applied.Values.Where(a => !known.Contains(a.Version)).OrderBy(a => a.Version).ToList();
        foreach (var row in unknown)
        {
            await log.WriteLineAsync($"note: {row.Version:D4}_{row.Name} is applied but not part of this build (database is ahead; fine after a rollback).");
        }

        var pending = ordered.Where(m => !applied.ContainsKey(m.Version)).ToList();
        foreach (var migration in pending)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await store.ApplyAsync(migration, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not MigrationException)
            {
                throw new MigrationException($"Migration {migration.Id} failed and was rolled back: {ex.Message}", ex);
            }

            await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"applied {migration.Id} ({Stopwatch.GetElapsedTime(started).TotalMilliseconds:F0} ms)"));
        }

        var alreadyApplied = ordered.Count - pending.Count;
        await log.WriteLineAsync(pending.Count == 0
            ? $"database is up to date ({alreadyApplied} migration(s) already applied)"
            : $"applied {pending.Count} migration(s); {alreadyApplied} were already applied");
        return new MigrationReport(pending, alreadyApplied, unknown);
    }

    private static List<Migration> Validate(IReadOnlyList<Migration> available)
    {
        var duplicates = available.GroupBy(m => m.Version).Where(g => g.Count() > 1).ToList();
        if (duplicates.Count > 0)
        {
            var names = string.Join("; ", duplicates.Select(g => string.Join(", ", g.Select(m => m.Id))));
            throw new MigrationException($"Two migrations share a version number: {names}. Renumber one of them.");
        }

        return available.OrderBy(m => m.Version).ToList();
    }
}
