using Slipway.Delivery.Migrations;
using Slipway.Tests.Support;

namespace Slipway.Tests.Delivery.Migrations;

/// <summary>Each migration script says what it is; anything else in the folder is refused with its file and line.</summary>
public sealed class MigrationDeclarationsTests : IDisposable
{
    private readonly string _directory = TestPaths.NewTempDirectory();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private (IReadOnlyList<DeclaredMigration> Migrations, IReadOnlyList<string> Errors) Read() =>
        MigrationDeclarations.Read(_directory, p => Path.GetRelativePath(_directory, p));

    private void Write(string name, string text) => File.WriteAllText(Path.Combine(_directory, name), text);

    [Fact]
    public void Scripts_declare_expand_or_contract_in_their_leading_comments_and_are_read_in_name_order()
    {
        Write("0002_drop_status.sql", "-- Drops the old column.\n--   SLIPWAY: Contract  \nALTER TABLE orders DROP COLUMN status;\n");
        Write("0001_create.sql", "\n-- slipway: expand (a new table)\nCREATE TABLE orders (id int);\n");
        Write("notes.txt", "not a migration");

        var (migrations, errors) = Read();

        Assert.Empty(errors);
        Assert.Equal([new DeclaredMigration("0001_create", MigrationKind.Expand), new DeclaredMigration("0002_drop_status", MigrationKind.Contract)], migrations);
    }

    [Theory]
    [InlineData("CREATE TABLE t (id int);\n", "0001_x.sql:1:1: declares neither expand nor contract")]
    [InlineData("CREATE TABLE t (id int);\n-- slipway: expand\n", "0001_x.sql:1:1: declares neither expand nor contract")]
    [InlineData("-- slipway: expand\n  -- slipway: contract\nSELECT 1;\n", "0001_x.sql:2:3: a second declaration")]
    [InlineData("-- a comment\n-- slipway: shrink\nSELECT 1;\n", "0001_x.sql:2:1: 'shrink' is not a migration kind")]
    [InlineData("-- slipway:\nSELECT 1;\n", "0001_x.sql:1:1: '' is not a migration kind")]
    public void A_missing_duplicate_or_unknown_declaration_is_an_error_at_its_line(string script, string expected)
    {
        Write("0001_x.sql", script);

        var error = Assert.Single(Read().Errors);

        Assert.StartsWith(expected, error, StringComparison.Ordinal);
        Assert.Contains("-- slipway: expand", error, StringComparison.Ordinal);
        Assert.Contains("-- slipway: contract", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Hostile_names_and_files_are_refused_each_with_its_own_error_and_the_good_scripts_still_read()
    {
        Write("0001_good.sql", "-- slipway: expand\nSELECT 1;\n");
        Write("0002 bad name.sql", "-- slipway: expand\n");
        Write("0003_binary.sql", "-- slipway: expand\n\0\0\0");
        Write("0004_control.sql", "-- slipway: \u001b[31mexpand\n");

        var (migrations, errors) = Read();

        Assert.Equal([new DeclaredMigration("0001_good", MigrationKind.Expand)], migrations);
        Assert.Equal(3, errors.Count);
        Assert.StartsWith("0002 bad name.sql: '0002 bad name.sql' is not a migration name", errors[0], StringComparison.Ordinal);
        Assert.StartsWith("0003_binary.sql", errors[1], StringComparison.Ordinal);
        Assert.StartsWith("0004_control.sql", errors[2], StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', string.Concat(errors));
    }

    [Fact]
    public void A_missing_directory_is_one_error_naming_the_key()
    {
        var error = Assert.Single(MigrationDeclarations.Read(Path.Combine(_directory, "nope"), p => "db/nope").Errors);

        Assert.Equal("db/nope: the migrations directory (data.migrations.directory) does not exist: create it or correct the key", error);
    }

    [Fact]
    public void The_sample_stacks_migrations_each_say_what_they_are()
    {
        var root = TestPaths.RepositoryRoot;
        var (migrations, errors) = MigrationDeclarations.Read(Path.Combine(root, "samples", "Api", "Migrations"), p => Path.GetRelativePath(root, p));

        Assert.Empty(errors);
        Assert.Equal(["0001_create_orders (expand)", "0002_add_orders_processed_by (expand)"], migrations.Select(m => m.ToString()));
    }
}
