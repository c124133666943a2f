namespace Slipway.Delivery.Migrations;

/// <summary>A contract migration the database holds and a rollback target was not released with.</summary>
/// <param name="Migration">The migration.</param>
/// <param name="AppliedBy">The first ledger entry that recorded it, described (<c>2.0.0 (rev 3f9a1b2c4d5e)</c>).</param>
public sealed record CrossedMigration(DeclaredMigration Migration, string AppliedBy);

/// <summary>
/// Which contract migrations a rollback would cross, from the ledger alone. Pure: decides from the entries it is given.
/// </summary>
/// <remarks>
/// <para>
/// The database holds every migration recorded by an entry since the last restore (an entry with
/// <see cref="LedgerEntry.RestoredBackup"/>, whose own <see cref="LedgerEntry.Migrations"/> are what the restored
/// backup held), because a deploy's migrate step applies all of its release's migrations and a rollback never undoes one.
/// A rollback target was released with its own recorded migrations; whatever contract migration the database holds
/// beyond those breaks it. A target from before migrations were recorded is judged by position: a contract migration
/// first recorded after the target's last good deploy was not there when it ran.
/// </para>
/// </remarks>
public static class ContractMigrations
{
    /// <summary>The contract migrations the database holds that <paramref name="target"/> was not released with, in the order they were first recorded.</summary>
    /// <param name="entries">The environment's ledger, oldest first.</param>
    /// <param name="target">The entry of the revision a rollback returns to.</param>
    public static IReadOnlyList<CrossedMigration> Crossed(IReadOnlyList<LedgerEntry> entries, LedgerEntry target)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(target);
        var start = entries.Count - 1;
        while (start > 0 && entries[start].RestoredBackup is null)
        {
            start--;
        }

        var applied = new Dictionary<string, (DeclaredMigration Migration, int Index)>(StringComparer.Ordinal);
        for (var i = Math.Max(start, 0); i < entries.Count; i++)
        {
            foreach (var migration in entries[i].Migrations ?? [])
            {
                applied.TryAdd(migration.Id, (migration, i));
            }
        }

        bool Had(string id, int index)
        {
            if (target.Migrations is { } known)
            {
                return known.Any(m => string.Equals(m.Id, id, StringComparison.Ordinal));
            }

            var targetIndex = LastIndex(entries, e => e.RevisionKey == target.RevisionKey && e.Action is LedgerAction.Deployed or LedgerAction.Promoted);
            return targetIndex < 0 || index <= targetIndex;
        }

        return
        [
            .. applied.Values
                .Where(a => a.Migration.Kind == MigrationKind.Contract && !Had(a.Migration.Id, a.Index))
                .OrderBy(a => a.Index)
                .ThenBy(a => a.Migration.Id, StringComparer.Ordinal)
                .Select(a => new CrossedMigration(a.Migration, entries[a.Index].Describe())),
        ];
    }

    /// <summary>
    /// Why a rollback to <paramref name="target"/> in <paramref name="environment"/> is refused, naming the migrations
    /// and the three ways forward.
    /// </summary>
    /// <param name="environment">The environment's name.</param>
    /// <param name="target">Where the rollback would return.</param>
    /// <param name="crossed">What it would cross (not empty).</param>
    /// <param name="automatic">True for the rollback a failed deploy would have done itself.</param>
    public static string Refusal(string environment, LedgerEntry target, IReadOnlyList<CrossedMigration> crossed, bool automatic)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(crossed);
        var names = string.Join(", ", crossed.Select(c => $"{c.Migration.Id} (applied by {c.AppliedBy})"));
        var what = crossed.Count == 1 ? "the contract migration" : "the contract migrations";
        return $"{(automatic ? "Not rolled back automatically" : "Rollback refused")}: returning to {target.Describe()} would cross {what} {names}, "
            + $"after which {target.Version} no longer works (the migration says so: -- slipway: contract). Options: "
            + $"restore the data from before it with ./build.sh --target RestoreBackup --env {environment} [--backup NAME] (writes since that backup are lost); "
            + $"roll forward with a fixed release; or ./build.sh --target Rollback --env {environment}{(automatic ? $" --to {target.RevisionId ?? target.Version}" : string.Empty)} --force to go back anyway (the ledger records it).";
    }

    private static int LastIndex(IReadOnlyList<LedgerEntry> entries, Func<LedgerEntry, bool> match)
    {
        for (var i = entries.Count - 1; i >= 0; i--)
        {
            if (match(entries[i]))
            {
                return i;
            }
        }

        return -1;
    }
}
