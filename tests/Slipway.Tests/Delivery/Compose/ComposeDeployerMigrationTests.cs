using Slipway.Delivery;
using Slipway.Delivery.Compose;
using Slipway.Delivery.Migrations;

namespace Slipway.Tests.Delivery.Compose;

/// <summary>The ledger records the migrations a deploy applied; a failed deploy does not roll back across a contract one.</summary>
public sealed partial class ComposeDeployerTests
{
    private static readonly DeclaredMigration CreateOrders = new("0001_create_orders", MigrationKind.Expand);
    private static readonly DeclaredMigration DropStatus = new("0002_drop_status", MigrationKind.Contract);

    [Fact]
    public async Task A_deploy_records_the_migrations_its_migrate_step_applied_and_a_failed_migration_records_none()
    {
        Assert.True((await Deployer().DeployAsync(V100 with { Migrations = [CreateOrders] }, "ci@runner")).Succeeded);
        Assert.Equal([CreateOrders], Entries[^1].Migrations);

        _stack.MigrationExitCode = 1;
        var aborted = await Deployer().DeployAsync(V110 with { Migrations = [CreateOrders, DropStatus] }, "ci@runner");

        Assert.Equal(LedgerAction.Aborted, aborted.Action);
        Assert.Null(Entries[^1].Migrations);
        Assert.Empty(ContractMigrations.Crossed(Entries, Ledger.LastGood()!));
    }

    [Fact]
    public async Task A_failed_deploy_whose_contract_migration_ran_is_not_rolled_back_automatically_and_says_what_to_do()
    {
        Assert.True((await Deployer().DeployAsync(V100 with { Migrations = [CreateOrders] }, "ci@runner")).Succeeded);
        _verdicts.Enqueue(new ProbeVerdict(false, "api-orders  0/10  FAILED\n", ["api-orders: 10 of 10 requests failed"]));

        var outcome = await Deployer().DeployAsync(V110 with { Migrations = [CreateOrders, DropStatus] }, "ci@runner");

        Assert.Equal(LedgerAction.Failed, outcome.Action);
        Assert.Contains("Not rolled back automatically: returning to 1.0.0 would cross the contract migration 0002_drop_status (applied by 1.1.0)", outcome.Summary, StringComparison.Ordinal);
        Assert.Contains("RestoreBackup --env test", outcome.Summary, StringComparison.Ordinal);
        Assert.Contains("Rollback --env test --to 1.0.0 --force", outcome.Summary, StringComparison.Ordinal);
        Assert.EndsWith("test runs 1.1.0 as it is.", outcome.Summary, StringComparison.Ordinal);

        // Nothing was redeployed: 1.1.0's containers serve, and the ledger's last word is its failure, with what it applied.
        Assert.Equal([V110.Images["api"], V110.Images["api"]], _stack.Running("api").Select(c => c.Image));
        Assert.Equal((LedgerAction.Failed, "1.1.0"), (Entries[^1].Action, Entries[^1].Version));
        Assert.Equal([CreateOrders, DropStatus], Entries[^1].Migrations);
    }

    [Fact]
    public async Task A_failed_deploy_with_only_expand_migrations_rolls_back_as_before()
    {
        Assert.True((await Deployer().DeployAsync(V100 with { Migrations = [CreateOrders] }, "ci@runner")).Succeeded);
        _verdicts.Enqueue(new ProbeVerdict(false, "api-orders  0/10  FAILED\n", ["api-orders: 10 of 10 requests failed"]));

        var outcome = await Deployer().DeployAsync(V110 with { Migrations = [CreateOrders, DropStatus with { Kind = MigrationKind.Expand }] }, "ci@runner");

        Assert.Equal(LedgerAction.RolledBack, outcome.Action);
        Assert.Equal([V100.Images["api"], V100.Images["api"]], _stack.Running("api").Select(c => c.Image));
    }

    [Fact]
    public async Task A_deploy_whose_migrations_all_ran_before_skips_the_migrate_one_off_while_the_database_runs_and_still_records_them()
    {
        Assert.True((await Deployer().DeployAsync(V100 with { Migrations = [CreateOrders] }, "ci@runner")).Succeeded);
        var ran = Deployment with { MigrationsRanBecause = "each of the 1 its images carry ran with 1.0.0" };

        var outcome = await Deployer(deployment: ran).DeployAsync(V110 with { Migrations = [CreateOrders] }, "ci@runner");

        Assert.Equal(LedgerAction.Deployed, outcome.Action);
        Assert.DoesNotContain("compose --profile migrate run --rm migrate", Effects());
        Assert.Contains("Migrations: not run, the database holds them (each of the 1 its images carry ran with 1.0.0; postgres was running before this deploy).", _session.Messages);
        Assert.Equal([V110.Images["api"], V110.Images["api"]], _stack.Running("api").Select(c => c.Image));

        // What the database holds is still what the ledger says, for the next deploy's decisions and a rollback's.
        Assert.Equal([CreateOrders], Entries[^1].Migrations);
    }

    [Fact]
    public async Task A_database_that_this_deploy_starts_is_migrated_whatever_the_ledger_says()
    {
        // Its volume may be new (a `compose down -v`): only a database that ran before the deploy holds what the ledger says.
        var ran = Deployment with { MigrationsRanBecause = "each of the 1 its images carry ran with 0.9.0" };

        var outcome = await Deployer(deployment: ran).DeployAsync(V100 with { Migrations = [CreateOrders] }, "ci@runner");

        Assert.Equal(LedgerAction.Deployed, outcome.Action);
        Assert.Equal(1, Effects().Count(e => e == "compose --profile migrate run --rm migrate"));
        Assert.DoesNotContain(_session.Messages, m => m.StartsWith("Migrations: not run", StringComparison.Ordinal));
    }
}
