using Slipway.Samples.Api.Migrations;

namespace Slipway.Samples.Api.Tests;

public class MigrationRunnerTests
{
    private static readonly Migration CreateOrders = new(1, "create_orders", "CREATE TABLE orders ();");
    private static readonly Migration AddNote = new(2, "add_note", "ALTER TABLE orders ADD COLUMN note text NULL;");
    private static readonly Migration AddIndex = new(3, "add_index", "CREATE INDEX ...;");

    [Fact]
    public async Task Pending_migrations_are_applied_in_version_order_whatever_the_input_order()
    {
        var store = new InMemoryMigrationStore();
        var report = await Run(store, AddIndex, CreateOrders, AddNote);

        Assert.Equal([1, 2, 3], store.ApplyOrder);
        Assert.Equal([1, 2, 3], report.Applied.Select(m => m.Version));
        Assert.Equal(["lock", "ensure-table", "read", "apply 1", "apply 2", "apply 3", "unlock"], store.Calls);
    }

    [Fact]
    public async Task A_second_run_applies_nothing()
    {
        var store = new InMemoryMigrationStore();
        await Run(store, CreateOrders, AddNote);
        store.ApplyOrder.Clear();

        var report = await Run(store, CreateOrders, AddNote);

        Assert.Empty(store.ApplyOrder);
        Assert.Empty(report.Applied);
        Assert.Equal(2, report.AlreadyApplied);
    }

    [Fact]
    public async Task Only_the_new_migration_is_applied_on_an_existing_database()
    {
        var store = new InMemoryMigrationStore();
        await Run(store, CreateOrders);
        store.ApplyOrder.Clear();

        await Run(store, CreateOrders, AddNote);

        Assert.Equal([2], store.ApplyOrder);
    }

    [Fact]
    public async Task An_applied_migration_that_was_edited_is_refused_before_anything_runs()
    {
        var store = new InMemoryMigrationStore();
        await Run(store, CreateOrders);
        store.ApplyOrder.Clear();

        var edited = CreateOrders with { Sql = "CREATE TABLE orders (id int);" };
        var ex = await Assert.ThrowsAsync<MigrationException>(() => Run(store, edited, AddNote));

        Assert.Contains("0001_create_orders was changed after it was applied", ex.Message, StringComparison.Ordinal);
        Assert.Empty(store.ApplyOrder);
        Assert.Equal("unlock", store.Calls[^1]);
    }

    [Fact]
    public async Task Duplicate_versions_are_refused_without_touching_the_database()
    {
        var store = new InMemoryMigrationStore();
        var ex = await Assert.ThrowsAsync<MigrationException>(() => Run(store, CreateOrders, new Migration(1, "other", "SELECT 1;")));
        Assert.Contains("0001_create_orders, 0001_other", ex.Message, StringComparison.Ordinal);
        Assert.Empty(store.Calls);
    }

    [Fact]
    public async Task A_failing_migration_stops_the_run_and_names_the_migration()
    {
        var store = new InMemoryMigrationStore { FailOn = 2 };
        var ex = await Assert.ThrowsAsync<MigrationException>(() => Run(store, CreateOrders, AddNote, AddIndex));

        Assert.StartsWith("Migration 0002_add_note failed and was rolled back: syntax error", ex.Message, StringComparison.Ordinal);
        Assert.Equal([1], store.ApplyOrder);
        Assert.Equal([1], store.Applied.Select(a => a.Version));
    }

    [Fact]
    public async Task A_database_ahead_of_this_build_is_reported_not_fatal()
    {
        var store = new InMemoryMigrationStore();
        await Run(store, CreateOrders, AddNote);
        var log = new StringWriter();

        var report = await new MigrationRunner(store, log).RunAsync([CreateOrders], CancellationToken.None);

        Assert.Equal([2], report.UnknownToThisBuild.Select(a => a.Version));
        Assert.Contains("0002_add_note is applied but not part of this build", log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_embedded_migrations_are_well_formed_and_numbered_without_gaps()
    {
        var migrations = EmbeddedMigrations.Load().OrderBy(m => m.Version).ToList();
        Assert.NotEmpty(migrations);
        Assert.Equal(Enumerable.Range(1, migrations.Count), migrations.Select(m => m.Version));
        Assert.Equal("0001_create_orders", migrations[0].Id);
        Assert.All(migrations, m => Assert.False(string.IsNullOrWhiteSpace(m.Sql)));
    }

    [Theory]
    [InlineData("1_create.sql")]
    [InlineData("0001-create.sql")]
    [InlineData("0001_Create.sql")]
    [InlineData("0001_create.txt")]
    public void Badly_named_files_are_refused(string fileName)
    {
        var ex = Assert.Throws<MigrationException>(() => Migration.FromFile(fileName, "SELECT 1;"));
        Assert.Contains("NNNN_description.sql", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Line_endings_do_not_change_the_checksum()
    {
        Assert.Equal(new Migration(1, "a", "SELECT 1;\nSELECT 2;").Checksum, new Migration(1, "a", "SELECT 1;\r\nSELECT 2;").Checksum);
    }

    [Fact]
    public void Declaring_an_applied_migration_expand_or_contract_does_not_change_its_checksum_but_editing_its_sql_does()
    {
        var applied = new Migration(2, "a", "-- a comment\nALTER TABLE t ADD COLUMN c text NULL;\n");
        Assert.Equal(applied.Checksum, (applied with { Sql = "-- slipway: expand\n" + applied.Sql }).Checksum);
        Assert.Equal(applied.Checksum, (applied with { Sql = "  --Slipway: contract (drops nothing yet)\r\n" + applied.Sql }).Checksum);
        Assert.NotEqual(applied.Checksum, (applied with { Sql = "-- another comment\n" + applied.Sql }).Checksum);
    }

    private static Task<MigrationReport> Run(InMemoryMigrationStore store, params Migration[] migrations) =>
        new MigrationRunner(store, TextWriter.Null).RunAsync(migrations, CancellationToken.None);

    /// <summary>Behaves like the Postgres store, transactions included: a failing migration
    /// leaves no record.</summary>
    private sealed class InMemoryMigrationStore : IMigrationStore
    {
        public List<AppliedMigration> Applied { get; } = [];

        public List<int> ApplyOrder { get; } = [];

        public List<string> Calls { get; } = [];

        public int? FailOn { get; init; }

        public Task<IAsyncDisposable> LockAsync(CancellationToken cancellationToken)
        {
            Calls.Add("lock");
            return Task.FromResult<IAsyncDisposable>(new Unlock(Calls));
        }

        public Task EnsureHistoryTableAsync(CancellationToken cancellationToken)
        {
            Calls.Add("ensure-table");
            return Task.CompletedTask;
        }

        public Task<IReadOnlyList<AppliedMigration>> GetAppliedAsync(CancellationToken cancellationToken)
        {
            Calls.Add("read");
            return Task.FromResult<IReadOnlyList<AppliedMigration>>([.. Applied]);
        }

        public Task ApplyAsync(Migration migration, CancellationToken cancellationToken)
        {
            Calls.Add($"apply {migration.Version}");
            if (migration.Version == FailOn)
            {
                throw new InvalidOperationException("syntax error at or near \"ALTER\"");
            }

            ApplyOrder.Add(migration.Version);
            Applied.Add(new AppliedMigration(migration.Version, migration.Name, migration.Checksum));
            return Task.CompletedTask;
        }

        private sealed class Unlock(List<string> calls) : IAsyncDisposable
        {
            public ValueTask DisposeAsync()
            {
                calls.Add("unlock");
                return ValueTask.CompletedTask;
            }
        }
    }
}
