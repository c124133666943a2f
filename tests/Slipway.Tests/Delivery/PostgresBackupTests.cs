using Slipway.Delivery.Backups;
using Slipway.Environments;
using Slipway.Processes;
using Slipway.Tests.Support;
using Slipway.Tools.Docker;

namespace Slipway.Tests.Delivery;

/// <summary>Pre-deploy Postgres backups: file names, retention, and the golden tokens of dump, copy and restore.</summary>
public sealed class PostgresBackupTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 8, 9, 0, 0, TimeSpan.Zero);
    private static readonly Duration Week = Duration.Parse("7d");

    private static string[] Tokens(ToolInvocation invocation) => [.. invocation.Arguments.Select(a => a.Reveal())];

    private static string Name(string environment, DateTimeOffset takenAt, string version = "1.0.0") =>
        BackupFileName.Create(environment, takenAt, version).FileName;

    [Theory]
    [InlineData("1.2.3", "1.2.3")]
    [InlineData("1.2.3+build.5", "1.2.3_build.5")]
    [InlineData("0.0.0-dev.abc", "0.0.0-dev.abc")]
    [InlineData("0.0.0-feature-x.12+abc1234", "0.0.0-feature-x.12_abc1234")]
    [InlineData("v2/../../etc:passwd", "v2_.._.._etc_passwd")]
    [InlineData(" 1.0 beta ", "1.0_beta")]
    public void A_name_reads_back_as_its_environment_timestamp_and_safe_version(string version, string expectedVersion)
    {
        var takenAt = new DateTimeOffset(2026, 3, 1, 10, 30, 15, 999, TimeSpan.FromHours(1));

        var name = BackupFileName.Create("prod-eu", takenAt, version);

        Assert.Equal($"prod-eu-20260301T093015Z-{expectedVersion}.dump", name.FileName);
        Assert.True(BackupFileName.TryParse(name.FileName, out var parsed));
        Assert.Equal(name, parsed);
        Assert.Equal("prod-eu", parsed.Environment);
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 9, 30, 15, TimeSpan.Zero), parsed.Timestamp);
        Assert.Equal(TimeSpan.Zero, parsed.Timestamp.Offset);
        Assert.Equal(expectedVersion, parsed.Version);
    }

    [Fact]
    public void A_build_version_and_a_prerelease_with_the_same_text_get_different_names() =>
        Assert.NotEqual(Name("prod", Now, "1.2.3+build.5"), Name("prod", Now, "1.2.3-build.5"));

    [Fact]
    public void An_overlong_version_is_cut_to_keep_the_name_valid()
    {
        var name = BackupFileName.Create("prod", Now, new string('9', 400));

        Assert.Equal(BackupFileName.MaxVersionLength, name.Version.Length);
        Assert.True(name.FileName.Length <= 255);
    }

    [Theory]
    [InlineData("notes.txt")]
    [InlineData("prod-20260301T093015Z-1.0.0.dump.partial")]
    [InlineData("prod-2026-03-01T09:30:15Z-1.0.0.dump")]
    [InlineData("prod-20261301T093015Z-1.0.0.dump")]
    [InlineData("prod-20260301T093015Z-.dump")]
    [InlineData("-20260301T093015Z-1.0.0.dump")]
    [InlineData("prod-20260301T093015Z-1.0.0+x.dump")]
    [InlineData("prod-20260301T093015Z-1.0.0.DUMP")]
    [InlineData("prod-20260301T093015Z-1.0.0.dump\n")]
    [InlineData("")]
    public void Other_names_are_not_backups(string fileName) =>
        Assert.False(BackupFileName.TryParse(fileName, out _));

    [Theory]
    [InlineData("prod eu")]
    [InlineData("prod/eu")]
    [InlineData("préprod")]
    [InlineData("x-20260301T093015Z-y")]
    public void An_environment_name_that_would_not_read_back_is_refused(string environment) =>
        Assert.Throws<ArgumentException>(() => BackupFileName.Create(environment, Now, "1.0.0"));

    [Fact]
    public void A_blank_version_is_refused() =>
        Assert.Throws<ArgumentException>(() => BackupFileName.Create("prod", Now, " "));

    [Fact]
    public void Backups_older_than_the_retention_are_selected_oldest_first()
    {
        string[] names =
        [
            Name("prod", Now.AddDays(-1)),
            Name("prod", Now.AddDays(-30), "0.9.0"),
            Name("prod", Now.AddDays(-8), "0.9.1"),
            Name("prod", Now.AddDays(-6)),
        ];

        var expired = BackupRetention.SelectExpired(names, "prod", Week, Now);

        Assert.Equal([names[1], names[2]], expired.Select(b => b.FileName));
    }

    [Fact]
    public void The_newest_backup_is_kept_however_old()
    {
        string[] names = [Name("prod", Now.AddDays(-90), "0.8.0"), Name("prod", Now.AddDays(-60), "0.9.0")];

        var expired = BackupRetention.SelectExpired(names, "prod", Week, Now);

        Assert.Equal([names[0]], expired.Select(b => b.FileName));
    }

    [Fact]
    public void Every_backup_sharing_the_newest_timestamp_is_kept()
    {
        string[] names = [Name("prod", Now.AddDays(-60), "1.0.0"), Name("prod", Now.AddDays(-60), "1.0.1")];

        Assert.Empty(BackupRetention.SelectExpired(names, "prod", Week, Now));
    }

    [Fact]
    public void A_backup_exactly_at_the_retention_limit_is_kept_and_one_second_older_is_not()
    {
        string[] names =
        [
            Name("prod", Now - Week.Value, "at-limit"),
            Name("prod", Now - Week.Value - TimeSpan.FromSeconds(1), "past-limit"),
            Name("prod", Now, "newest"),
        ];

        var expired = BackupRetention.SelectExpired(names, "prod", Week, Now);

        Assert.Equal([names[1]], expired.Select(b => b.FileName));
    }

    [Fact]
    public void Other_environments_and_foreign_files_are_never_selected()
    {
        string[] names =
        [
            Name("prod-eu", Now.AddDays(-90)),
            Name("staging", Now.AddDays(-90)),
            Name("prod", Now.AddDays(-90)) + ".partial",
            "prod-old.dump",
            "README.md",
            Name("prod", Now.AddDays(-90), "0.1.0"),
            Name("prod", Now),
        ];

        var expired = BackupRetention.SelectExpired(names, "prod", Week, Now);

        Assert.Equal([names[5]], expired.Select(b => b.FileName));
    }

    [Fact]
    public void No_backups_selects_nothing() =>
        Assert.Empty(BackupRetention.SelectExpired(["notes.txt"], "prod", Week, Now));

    [Fact]
    public void Prune_deletes_only_what_the_rules_select_and_returns_the_names()
    {
        var directory = TestPaths.NewTempDirectory();
        string[] kept =
        [
            Name("prod", Now.AddDays(-2)),
            Name("prod", Now.AddDays(-7)),
            Name("staging", Now.AddDays(-90)),
            "operator-notes.txt",
            Name("prod", Now.AddDays(-50)) + ".partial",
        ];
        string[] expired = [Name("prod", Now.AddDays(-40), "0.8.0"), Name("prod", Now.AddDays(-9), "0.9.0")];
        foreach (var name in kept.Concat(expired))
        {
            File.WriteAllText(Path.Combine(directory, name), "x");
        }

        Directory.CreateDirectory(Path.Combine(directory, Name("prod", Now.AddDays(-90), "a-directory")));

        var deleted = BackupRetention.Prune(directory, "prod", Week, new FixedTime(Now));

        Assert.Equal(expired, deleted);
        Assert.All(expired, name => Assert.False(File.Exists(Path.Combine(directory, name))));
        Assert.All(kept, name => Assert.True(File.Exists(Path.Combine(directory, name))));
        Assert.True(Directory.Exists(Path.Combine(directory, Name("prod", Now.AddDays(-90), "a-directory"))));
    }

    [Fact]
    public void Prune_of_a_missing_directory_deletes_nothing() =>
        Assert.Empty(BackupRetention.Prune(Path.Combine(TestPaths.NewTempDirectory(), "absent"), "prod", Week, new FixedTime(Now)));

    [Fact]
    public void The_dump_writes_a_compressed_custom_archive_to_a_file_in_the_container()
    {
        var backup = BackupFileName.Create("prod", Now, "1.4.0+build.7");
        var temporary = PostgresBackup.ContainerTemporaryPath(backup);

        var invocation = PostgresBackup.DumpInvocation("cmpx-1-postgres-1", "orders", "slipway", temporary);

        Assert.Equal("/tmp/slipway-prod-20260308T090000Z-1.4.0_build.7.dump", temporary);
        Assert.Equal(
            [
                "exec", "cmpx-1-postgres-1", "pg_dump", "--format=custom", "--compress=6",
                "--file=/tmp/slipway-prod-20260308T090000Z-1.4.0_build.7.dump", "--username=slipway", "--no-password", "orders",
            ],
            Tokens(invocation));
        Assert.Empty(invocation.Environment);
    }

    [Fact]
    public void The_dump_password_reaches_the_container_by_name_and_never_prints()
    {
        var password = new Secret("pg-dump-password-5150", "env:POSTGRES_PASSWORD");

        var invocation = PostgresBackup.DumpInvocation("db", "orders", "slipway", "/tmp/a.dump", DockerEndpoint.ForHost("ssh://deploy@db-1"), password);

        Assert.Equal(
            [
                "--host", "ssh://deploy@db-1", "exec", "--env", "PGPASSWORD", "db", "pg_dump", "--format=custom", "--compress=6",
                "--file=/tmp/a.dump", "--username=slipway", "--no-password", "orders",
            ],
            Tokens(invocation));
        Assert.Equal("pg-dump-password-5150", invocation.Environment[PostgresBackup.PasswordVariable].Reveal());
        Assert.DoesNotContain("pg-dump-password-5150", string.Concat(Tokens(invocation)), StringComparison.Ordinal);
        Assert.DoesNotContain("pg-dump-password-5150", invocation.ToDisplayString(), StringComparison.Ordinal);
        Assert.StartsWith("PGPASSWORD=*** docker --host", invocation.ToDisplayString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_copy_out_goes_to_a_partial_file_and_the_temporary_file_is_removed_even_if_missing()
    {
        var hostPath = ".slipway/backups/prod-20260308T090000Z-1.4.0.dump";

        Assert.Equal(
            ["cp", "db:/tmp/a.dump", ".slipway/backups/prod-20260308T090000Z-1.4.0.dump.partial"],
            Tokens(PostgresBackup.CopyOutInvocation("db", "/tmp/a.dump", PostgresBackup.PartialPath(hostPath))));
        Assert.False(BackupFileName.TryParse(Path.GetFileName(PostgresBackup.PartialPath(hostPath)), out _));
        Assert.Equal(["exec", "db", "rm", "-f", "--", "/tmp/a.dump"], Tokens(PostgresBackup.RemoveTemporaryInvocation("db", "/tmp/a.dump")));
    }

    [Fact]
    public void Restore_copies_in_creates_a_scratch_database_restores_stopping_at_the_first_error_and_cleans_up()
    {
        var password = new Secret("pg-restore-password-8086", "test");

        var invocations = PostgresBackup.RestoreInvocations(
            "/srv/backups/prod-20260308T090000Z-1.4.0.dump", "db", "orders_restore", "slipway", "/tmp/r.dump", DockerEndpoint.ForContext("prod"), password);

        Assert.Equal(
            [
                ["--context", "prod", "cp", "/srv/backups/prod-20260308T090000Z-1.4.0.dump", "db:/tmp/r.dump"],
                ["--context", "prod", "exec", "--env", "PGPASSWORD", "db", "createdb", "--username=slipway", "--no-password", "orders_restore"],
                [
                    "--context", "prod", "exec", "--env", "PGPASSWORD", "db", "pg_restore", "--exit-on-error", "--no-owner",
                    "--username=slipway", "--no-password", "--dbname=orders_restore", "/tmp/r.dump",
                ],
                ["--context", "prod", "exec", "db", "rm", "-f", "--", "/tmp/r.dump"],
            ],
            invocations.Select(Tokens));
        Assert.All(invocations, i => Assert.DoesNotContain("pg-restore-password-8086", i.ToDisplayString(), StringComparison.Ordinal));
        Assert.Equal([password, password], invocations.SelectMany(i => i.Secrets));
    }

    [Theory]
    [InlineData("-orders")]
    [InlineData("host=evil dbname=orders")]
    [InlineData(" ")]
    public void A_database_name_that_would_read_as_an_option_or_a_connection_string_is_refused(string database)
    {
        Assert.ThrowsAny<ArgumentException>(() => PostgresBackup.DumpInvocation("db", database, "slipway", "/tmp/a.dump"));
        Assert.ThrowsAny<ArgumentException>(() => PostgresBackup.RestoreInvocations("a.dump", "db", database, "slipway", "/tmp/a.dump"));
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
