using Slipway.Delivery;
using Slipway.Delivery.Compose;
using Slipway.Delivery.Migrations;

namespace Slipway.Tests.Delivery.Compose;

/// <summary>RestoreBackup on the fake stack: the order of its steps, what the ledger says, and a restore that fails.</summary>
public sealed partial class ComposeDeployerTests
{
    private const string RestoredName = "test-20260308T090000Z-rev-aaaaaaaaaaaa.dump";

    [Fact]
    public async Task RestoreBackup_backs_up_stops_the_application_restores_then_deploys_the_backups_revision_and_records_it()
    {
        Running(V100);
        Assert.True((await Deployer().DeployAsync(V110 with { Migrations = [CreateOrders, DropStatus] }, "ci@runner")).Succeeded);
        var (target, current) = (Entries[0], Ledger.LastGood());
        var database = _stack.Running("postgres")[0];
        var (oldApi, oldWorker) = (_stack.Running("api"), _stack.Running("worker"));
        var deployer = Deployer();

        var outcome = await deployer.RestoreAsync(ComposeRelease.From(target), current, RestoredName, [CreateOrders], container =>
        {
            _session.Mark($"restore into {container}");
            return Task.CompletedTask;
        }, "ops@laptop");

        Assert.Equal(LedgerAction.RolledBack, outcome.Action);
        Assert.StartsWith($"test runs 1.0.0 on the data of backup {RestoredName}", outcome.Summary, StringComparison.Ordinal);
        var effects = Effects();
        var steps = new[]
        {
            effects.IndexOf($"backup {database.Id}"),
            effects.IndexOf($"docker container stop --time 30 {oldApi[0].Id} {oldApi[1].Id}"),
            effects.IndexOf($"docker container stop --time 30 {oldWorker[0].Id}"),
            effects.IndexOf($"restore into {database.Id}"),
            effects.IndexOf("compose up --detach --no-deps --scale api=2 api"),
            effects.IndexOf("probes"),
        };
        Assert.DoesNotContain(-1, steps);
        Assert.Equal(steps.Order(), steps);
        Assert.DoesNotContain(_session.Runs, r => r.Arguments.Any(a => a.Reveal() == "run"));

        // The stack file interpolates every image variable, also to list containers: the listings before the rollout set them.
        Assert.All(_session.Events.Where(e => e.Invocation is { } i && IsCompose(i)), e => Assert.True(e.Invocation!.Environment.ContainsKey("API_IMAGE"), Short(e.Invocation)));
        Assert.Equal([V100.Images["api"], V100.Images["api"]], _stack.Running("api").Select(c => c.Image));

        var entry = Entries[^1];
        Assert.Equal((LedgerAction.RolledBack, "1.1.0", "1.0.0", RestoredName, "ops@laptop"), (entry.Action, entry.Version, entry.RolledBackTo, entry.RestoredBackup, entry.Who));
        Assert.Equal([CreateOrders], entry.Migrations);
        Assert.Equal("1.0.0", Ledger.LastGood()!.Version);

        // From here the database holds what the backup held: going back to 1.0.0 crosses nothing.
        Assert.Empty(ContractMigrations.Crossed(Entries, target));
    }

    [Fact]
    public async Task A_restore_that_fails_leaves_the_database_and_starts_the_current_revision_again()
    {
        Running(V100);
        Assert.True((await Deployer().DeployAsync(V110, "ci@runner")).Succeeded);
        var (target, current) = (Entries[0], Ledger.LastGood());
        var deployer = Deployer();

        var outcome = await deployer.RestoreAsync(ComposeRelease.From(target), current, RestoredName, null,
            _ => throw new DeployStepException("pg_restore: error: could not read input file: end of file"), "ops@laptop");

        Assert.Equal(LedgerAction.Failed, outcome.Action);
        Assert.Contains($"restoring backup {RestoredName} failed: pg_restore: error: could not read input file: end of file. The live database was not changed; 1.1.0 serves again", outcome.Summary, StringComparison.Ordinal);
        Assert.Equal([V110.Images["api"], V110.Images["api"]], _stack.Running("api").Select(c => c.Image));
        Assert.Equal((LedgerAction.Aborted, "1.0.0"), (Entries[^1].Action, Entries[^1].Version));
        Assert.Equal("1.1.0", Ledger.LastGood()!.Version);
    }
}
