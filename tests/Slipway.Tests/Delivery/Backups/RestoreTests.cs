using Slipway.Delivery;
using Slipway.Delivery.Backups;
using Slipway.Processes;
using Slipway.Tests.Support;

namespace Slipway.Tests.Delivery.Backups;

/// <summary>What a backup is of, which names may reach the backup folder, and the exact commands of a restore and a drill.</summary>
public sealed class RestoreTests : IDisposable
{
    private readonly string _directory = TestPaths.NewTempDirectory();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static List<string> Tokens(ToolInvocation invocation) => [.. invocation.Arguments.Select(a => a.Reveal())];

    [Fact]
    public void A_backup_is_named_after_the_revision_that_ran_and_reads_it_back()
    {
        var running = new LedgerEntry("prod", "1.4.0", "c", new Dictionary<string, string>(), "ci", DateTimeOffset.UnixEpoch, LedgerAction.Deployed, "ok", TimeSpan.Zero, RevisionId: "3f9a1b2c4d5e");
        var name = BackupFileName.Create("prod", new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero), BackupCatalog.LabelFor(running));

        Assert.Equal("prod-20260301T090000Z-rev-3f9a1b2c4d5e.dump", name.FileName);
        Assert.Equal("3f9a1b2c4d5e", BackupCatalog.RevisionOf(name));
        Assert.Equal("predeploy", BackupCatalog.LabelFor(running with { RevisionId = null }));
        Assert.Equal("predeploy", BackupCatalog.LabelFor(null));
        Assert.True(BackupFileName.TryParse("prod-20260301T090000Z-predeploy.dump", out var old));
        Assert.Null(BackupCatalog.RevisionOf(old));
        Assert.True(BackupFileName.TryParse("prod-20260301T090000Z-rev-XYZ.dump", out var forged));
        Assert.Null(BackupCatalog.RevisionOf(forged));
    }

    [Theory]
    [InlineData("../prod-20260301T090000Z-rev-3f9a1b2c4d5e.dump")]
    [InlineData("/etc/passwd")]
    [InlineData("prod-20260301T090000Z-rev-3f9a1b2c4d5e.dump/..")]
    [InlineData("prod-20260301T090000Z-rev-3f9a1b2c4d5e")]
    [InlineData("prod 20260301T090000Z rev.dump")]
    [InlineData("")]
    [InlineData("prod-20260301T090000Z-\u001b[2J.dump")]
    public void A_backup_name_from_the_command_line_that_is_not_a_bare_backup_file_name_is_refused(string name)
    {
        var error = BackupCatalog.NameError(name, "prod", ".slipway/backups/prod");

        Assert.NotNull(error);
        Assert.Contains("is not a backup file name", error, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', error);
    }

    [Fact]
    public void Another_environments_backup_is_refused_and_a_good_name_passes()
    {
        Assert.Equal(
            "--backup staging-20260301T090000Z-predeploy.dump is a backup of staging, not of prod: give one of prod's, e.g. prod-20260301T090000Z-rev-3f9a1b2c4d5e.dump.",
            BackupCatalog.NameError("staging-20260301T090000Z-predeploy.dump", "prod", "dir"));
        Assert.Null(BackupCatalog.NameError("prod-20260301T090000Z-rev-3f9a1b2c4d5e.dump", "prod", "dir"));
    }

    [Fact]
    public void The_catalog_lists_one_environments_backups_oldest_first_and_ignores_everything_else()
    {
        foreach (var name in new[] { "prod-20260302T090000Z-rev-bbbbbbbbbbbb.dump", "prod-20260301T090000Z-predeploy.dump", "prod-eu-20260303T090000Z-x.dump", "notes.txt", "prod-20260304T090000Z-x.dump.partial" })
        {
            File.WriteAllText(Path.Combine(_directory, name), "x");
        }

        Assert.Equal(
            ["prod-20260301T090000Z-predeploy.dump", "prod-20260302T090000Z-rev-bbbbbbbbbbbb.dump"],
            BackupCatalog.Of(_directory, "prod").Select(b => b.FileName));
        Assert.Empty(BackupCatalog.Of(Path.Combine(_directory, "missing"), "prod"));
    }

    [Fact]
    public void The_swap_renames_both_databases_in_one_command_after_ending_the_live_ones_sessions()
    {
        var swap = PostgresRestore.SwapInvocation("db", "slipway", "orders", "orders_restore_1", "orders_replaced_1", password: new Secret("pw-swap-7731", "p"));

        Assert.Equal(
            [
                "exec", "--env", "PGPASSWORD", "db", "psql", "--username=slipway", "--no-password", "--dbname=postgres", "--set=ON_ERROR_STOP=1", "--tuples-only", "--no-align",
                "--command=SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE datname = 'orders' AND pid <> pg_backend_pid(); "
                + "ALTER DATABASE \"orders\" RENAME TO \"orders_replaced_1\"; ALTER DATABASE \"orders_restore_1\" RENAME TO \"orders\";",
            ],
            Tokens(swap));
        Assert.DoesNotContain("pw-swap-7731", swap.ToDisplayString(), StringComparison.Ordinal);
        Assert.Equal(["exec", "db", "dropdb", "--if-exists", "--username=slipway", "--no-password", "orders_drill_1"], Tokens(PostgresRestore.DropInvocation("db", "slipway", "orders_drill_1")));
    }

    [Fact]
    public void A_drills_queries_run_read_only_and_names_that_could_break_out_of_sql_are_refused()
    {
        var query = PostgresRestore.QueryInvocation("db", "slipway", "orders_drill_1", "SELECT count(*) FROM orders");

        Assert.Equal(["exec", "--env", "PGOPTIONS=-c default_transaction_read_only=on", "db", "psql"], Tokens(query).Take(5));
        Assert.Equal("--command=SELECT count(*) FROM orders", Tokens(query)[^1]);
        Assert.Throws<ArgumentException>(() => PostgresRestore.SwapInvocation("db", "slipway", "orders\"; DROP DATABASE x; --", "a", "b"));
        Assert.Throws<ArgumentException>(() => PostgresRestore.DropInvocation("db", "slipway", "--help"));
    }

    [Fact]
    public void Scratch_names_fit_postgres_and_table_counts_parse()
    {
        var now = new DateTimeOffset(2026, 12, 3, 9, 15, 0, TimeSpan.Zero);
        Assert.Equal("orders_drill_20261203091500", PostgresRestore.ScratchName("orders", "drill", now));
        var longName = PostgresRestore.ScratchName(new string('d', 63), "replaced", now);
        Assert.Equal(PostgresRestore.MaxIdentifierLength, longName.Length);
        Assert.EndsWith("_replaced_20261203091500", longName, StringComparison.Ordinal);

        Assert.Equal([("orders", 120L), ("schema|odd", 2L)], PostgresRestore.ParseTableCounts("orders|120\nschema|odd|2\n\ngarbage\nx|-1\n"));
    }
}
