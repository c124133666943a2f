using Slipway.Delivery;
using Slipway.Delivery.Migrations;

namespace Slipway.Tests.Delivery.Migrations;

/// <summary>What a rollback would cross, judged from the ledger's recorded migrations alone.</summary>
public sealed class ContractMigrationsTests
{
    private static readonly DeclaredMigration Create = new("0001_create", MigrationKind.Expand);
    private static readonly DeclaredMigration AddColumn = new("0002_add_column", MigrationKind.Expand);
    private static readonly DeclaredMigration DropColumn = new("0003_drop_column", MigrationKind.Contract);

    private static LedgerEntry Entry(string version, LedgerAction action = LedgerAction.Deployed, IReadOnlyList<DeclaredMigration>? migrations = null, string? restored = null, string? rolledBackTo = null) =>
        new("prod", version, "c0ffee", new Dictionary<string, string> { ["api"] = "api@sha256:" + version }, "ops", DateTimeOffset.UnixEpoch, action, "test", TimeSpan.Zero,
            RolledBackTo: rolledBackTo, Migrations: migrations, RestoredBackup: restored);

    [Fact]
    public void Rolling_back_across_an_expand_migration_crosses_nothing()
    {
        var v1 = Entry("1.0.0", migrations: [Create]);
        var entries = new[] { v1, Entry("1.1.0", migrations: [Create, AddColumn]) };

        Assert.Empty(ContractMigrations.Crossed(entries, v1));
    }

    [Fact]
    public void Rolling_back_across_a_contract_migration_names_it_and_the_release_that_applied_it()
    {
        var v1 = Entry("1.0.0", migrations: [Create]);
        var entries = new[] { v1, Entry("1.1.0", migrations: [Create, AddColumn]), Entry("2.0.0", migrations: [Create, AddColumn, DropColumn]) };

        var crossed = Assert.Single(ContractMigrations.Crossed(entries, v1));

        Assert.Equal((DropColumn, "2.0.0"), (crossed.Migration, crossed.AppliedBy));
        var refusal = ContractMigrations.Refusal("prod", v1, [crossed], automatic: false);
        Assert.StartsWith("Rollback refused: returning to 1.0.0 would cross the contract migration 0003_drop_column (applied by 2.0.0)", refusal, StringComparison.Ordinal);
        Assert.Contains("./build.sh --target RestoreBackup --env prod", refusal, StringComparison.Ordinal);
        Assert.Contains("roll forward", refusal, StringComparison.Ordinal);
        Assert.Contains("./build.sh --target Rollback --env prod --force", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void A_release_that_was_rolled_back_still_left_its_contract_migration_in_the_database()
    {
        // 2.0.0 failed after its migrations ran and a forced rollback returned to 1.1.0: the column is still gone.
        var v1 = Entry("1.0.0", migrations: [Create]);
        var v11 = Entry("1.1.0", migrations: [Create, AddColumn]);
        var entries = new[] { v1, v11, Entry("2.0.0", LedgerAction.Failed, [Create, AddColumn, DropColumn]), Entry("2.0.0", LedgerAction.RolledBack, rolledBackTo: "1.1.0") };

        Assert.Equal([DropColumn], ContractMigrations.Crossed(entries, v1).Select(c => c.Migration));
        Assert.Equal([DropColumn], ContractMigrations.Crossed(entries, v11).Select(c => c.Migration));
    }

    [Fact]
    public void A_target_released_with_the_contract_migration_crosses_nothing()
    {
        var v2 = Entry("2.0.0", migrations: [Create, AddColumn, DropColumn]);
        var entries = new[] { Entry("1.0.0", migrations: [Create]), v2, Entry("2.1.0", migrations: [Create, AddColumn, DropColumn]) };

        Assert.Empty(ContractMigrations.Crossed(entries, v2));
    }

    [Fact]
    public void A_restore_resets_what_the_database_holds_to_what_the_backup_held()
    {
        var v1 = Entry("1.0.0", migrations: [Create]);
        var entries = new[]
        {
            v1,
            Entry("2.0.0", migrations: [Create, DropColumn]),
            Entry("2.0.0", LedgerAction.RolledBack, [Create], restored: "prod-20260301T090000Z-rev-aaaaaaaaaaaa.dump", rolledBackTo: "1.0.0"),
        };

        Assert.Empty(ContractMigrations.Crossed(entries, v1));
    }

    [Fact]
    public void A_target_recorded_before_migrations_were_recorded_is_judged_by_when_the_contract_migration_first_appeared()
    {
        var old = Entry("0.9.0");
        var entries = new[] { old, Entry("1.0.0", migrations: [Create, DropColumn]) };
        var before = new[] { Entry("1.0.0", migrations: [Create, DropColumn]), old with { Version = "0.9.1", Images = new Dictionary<string, string> { ["api"] = "x" } } };

        Assert.Equal([DropColumn], ContractMigrations.Crossed(entries, old).Select(c => c.Migration));
        Assert.Empty(ContractMigrations.Crossed(before, before[1]));
    }
}
