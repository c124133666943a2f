using Slipway.Delivery;
using Slipway.Delivery.Backups;
using Slipway.IntegrationTests.Support;
using Slipway.Tests.Support;
using Xunit.Abstractions;

namespace Slipway.IntegrationTests;

/// <summary>
/// Migration-aware rollback and the database's way back, through the CLI on the real engine, registry, Compose, HAProxy
/// and the postgres:15 stand-in: a release whose contract migration deletes every order; Rollback refused, naming it;
/// RestoreBackup brings the rows and the earlier revision back; RestoreDrill reports RPO and RTO and leaves no scratch
/// database. The stack and the environment's state are removed whatever happens.
/// </summary>
[Collection(SharedDockerWorkspace.Name)]
public sealed class ComposeRestoreTests(DockerWorkspace workspace, ITestOutputHelper output) : IAsyncLifetime
{
    private const string Destructive = "0003_delete_every_order";
    private readonly int _port = StackProbe.FreePort();
    private string Project => $"{workspace.Prefix}-restore";
    private Uri StackUrl => new($"http://127.0.0.1:{_port}");
    private string State => Path.Combine(workspace.Root, ".slipway", "state", "staging");
    private string Backups => Path.Combine(workspace.Root, ".slipway", "backups", "staging");
    private string ReleaseFile => Path.Combine(workspace.Root, "artifacts", "release.json");
    private string Migration => Path.Combine(workspace.Root, "samples", "Api", "Migrations", Destructive + ".sql");

    public Task InitializeAsync()
    {
        // staging's state is shared with the other deploy stories of the workspace: each starts from none.
        RemoveState();
        File.WriteAllText(Path.Combine(workspace.Root, "environments", "staging.yml"), StackEnvironment.Render(
            "staging on the local engine for the restore story.",
            """
            trigger:
              on: branch
              pattern: main
            """,
            Project, workspace.Prefix, _port, faultMode: null, [("api-ready", "/health/ready"), ("api-orders", "/orders?limit=1")]));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        File.Delete(Migration);
        StackTeardown.Down(workspace, Project, output);

        RemoveState();
        var cold = Path.Combine(workspace.Root, "artifacts", "release-restore-a.json");
        if (File.Exists(cold))
        {
            File.Copy(cold, ReleaseFile, overwrite: true);
            var rebuild = await workspace.RunAsync("--target", "Build");
            output.WriteLine($"workspace restored: Build exit {rebuild.ExitCode}");
        }
    }

    [Fact]
    public async Task A_contract_migration_blocks_Rollback_and_RestoreBackup_brings_the_data_and_the_earlier_revision_back()
    {
        var releaseA = SaveRelease("a");
        var versionA = ReleaseManifest.Read(releaseA).Version;

        // 1. A, then three orders.
        var first = await DeployAsync(releaseA);
        Assert.True(first.ExitCode == 0, first.Out + first.Error);
        Psql("INSERT INTO orders (id, item, quantity) SELECT gen_random_uuid(), 'restore-story', 1 FROM generate_series(1, 3)");
        Assert.Equal("3", Psql("SELECT count(*) FROM orders"));
        var revisionA = Ledger().LastGood()!.RevisionId!;

        // 2. B: a contract migration that deletes every order. Its deploy backs up A's data first, named after A's revision.
        await File.WriteAllTextAsync(Migration, "-- slipway: contract (deletes every order: the release before cannot read what is gone)\nDELETE FROM orders;\n");
        var publishB = await workspace.RunAsync("--target", "Publish", "--version", "4.0.0-destructive", "--skip", "Sbom", "--skip", "Scan");
        Assert.True(publishB.ExitCode == 0, publishB.Out + publishB.Error);
        var releaseB = SaveRelease("b");
        var versionB = ReleaseManifest.Read(releaseB).Version;
        var deployB = await DeployAsync(releaseB);
        Assert.True(deployB.ExitCode == 0, deployB.Out + deployB.Error);
        File.Delete(Migration);
        Assert.Equal("0", Psql("SELECT count(*) FROM orders"));
        Assert.Contains(Destructive, Ledger().LastGood()!.Migrations!.Select(m => m.Id));
        var backupOfA = Assert.Single(Directory.GetFiles(Backups, "*" + BackupFileName.Extension));
        Assert.EndsWith($"-rev-{revisionA}.dump", backupOfA, StringComparison.Ordinal);

        // 3. Rollback to A would cross it: refused, naming it and the ways forward; nothing changes.
        var rollback = await workspace.RunHostAsync("--target", "Rollback", "--env", "staging");
        Assert.True(rollback.ExitCode == 1, rollback.Out + rollback.Error);
        Assert.Contains($"would cross the contract migration {Destructive}", rollback.Out + rollback.Error, StringComparison.Ordinal);
        Assert.Contains("RestoreBackup", rollback.Out + rollback.Error, StringComparison.Ordinal);
        Assert.Contains("--force", rollback.Out + rollback.Error, StringComparison.Ordinal);
        Assert.Equal(versionB, await StackProbe.ServedVersionAsync(StackUrl));

        // 4. A backup name that climbs out of the backup folder is refused before anything runs.
        var hostile = await workspace.RunHostAsync("--target", "RestoreBackup", "--env", "staging", "--backup", "../staging-20260301T090000Z-x.dump");
        Assert.True(hostile.ExitCode == 2, hostile.Out + hostile.Error);
        Assert.Contains("is not a backup file name", hostile.Error, StringComparison.Ordinal);

        // 5. RestoreBackup: A's data and A's revision back, the state it replaced kept as a fresh backup, the ledger saying so.
        var restore = await workspace.RunHostAsync("--target", "RestoreBackup", "--env", "staging");
        Assert.True(restore.ExitCode == 0, restore.Out + restore.Error);
        Assert.Equal("3", Psql("SELECT count(*) FROM orders"));
        Assert.Equal(versionA, await StackProbe.ServedVersionAsync(StackUrl));
        var restored = Ledger().ReadAll().Entries[^1];
        Assert.Equal((LedgerAction.RolledBack, versionB, Path.GetFileName(backupOfA), revisionA),
            (restored.Action, restored.Version, restored.RestoredBackup, restored.RolledBackToRevision));
        Assert.Equal(revisionA, Ledger().LastGood()!.RevisionId);
        Assert.Equal(2, Directory.GetFiles(Backups, "*" + BackupFileName.Extension).Length);

        // 6. The drill restores the newest backup (the state before the restore: B's schema, no orders) beside the live one.
        var drill = await workspace.RunHostAsync("--target", "RestoreDrill", "--env", "staging");
        output.WriteLine(drill.Out);
        Assert.True(drill.ExitCode == 0, drill.Out + drill.Error);
        Assert.Matches(@"RPO: the backup is [0-9.]+ s old \(objective 1d\): met", drill.Out);
        Assert.Matches(@"RTO: the restore took [0-9.]+ s \(objective 30m\): met", drill.Out);
        Assert.Contains("orders 0 rows, schema_migrations 3 rows", drill.Out, StringComparison.Ordinal);
        Assert.Contains("SELECT count(*) FROM orders: 0", drill.Out, StringComparison.Ordinal);
        var databases = Psql("SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database WHERE NOT datistemplate", "postgres");
        Assert.Equal("orders,postgres", databases);
    }

    private ReleaseLedger Ledger() => ReleaseLedger.Open(Path.Combine(State, "ledger.jsonl"));

    private string Psql(string sql, string database = "orders")
    {
        var postgres = workspace.Docker("ps", "--quiet", "--filter", $"label=com.docker.compose.project={Project}", "--filter", "label=com.docker.compose.service=postgres").Trim();
        var password = File.ReadAllText(Path.Combine(State, "postgres-password")).Trim();
        return workspace.Docker("exec", "--env", "PGPASSWORD=" + password, postgres, "psql", "--username=slipway", "--dbname=" + database,
            "--tuples-only", "--no-align", "--set=ON_ERROR_STOP=1", "--command=" + sql).Trim();
    }

    private Task<HostRun> DeployAsync(string release)
    {
        File.Copy(release, ReleaseFile, overwrite: true);
        return workspace.RunHostAsync("--target", "DeployStaging", "--exclusive");
    }

    private string SaveRelease(string name)
    {
        var path = Path.Combine(workspace.Root, "artifacts", $"release-restore-{name}.json");
        File.Copy(ReleaseFile, path, overwrite: true);
        return path;
    }

    private void RemoveState()
    {
        foreach (var directory in new[] { State, Backups })
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }
}
