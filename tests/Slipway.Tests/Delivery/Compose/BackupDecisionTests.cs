using Slipway.Delivery;
using Slipway.Delivery.Compose;
using Slipway.Delivery.Migrations;
using Slipway.Environments;
using Slipway.Processes;
using Slipway.Tests.Environments;

namespace Slipway.Tests.Delivery.Compose;

/// <summary>
/// <c>data.postgres.backup.before_deploy</c> backs up before a deploy that may migrate (the image that runs the
/// migrations is new, or the release is the first); <c>every_deploy: true</c> before every deploy.
/// </summary>
public sealed class BackupDecisionTests
{
    private const string Matrix = """
        trigger:
          on: pull_request
        delivery:
          driver: compose
          compose:
            project: shop-dev
            files: [deploy/compose.yml]
        registry:
          address: 127.0.0.1:5000
        services:
          web:
            image: shop-web
            dockerfile: src/Web/Dockerfile
            ports: [{ name: http, port: 8081 }]
          billing:
            image: shop-billing
            dockerfile: src/Billing/Dockerfile
        ingress:
          host: localhost
          http_port: 8280
          backend: web
        data:
          postgres:
            database: shop
            backup:
              before_deploy: true
              every_deploy: EVERY
          migrations:
            image_of: CARRIER
        state_directory: .slipway/state/dev
        """;

    private static readonly Dictionary<string, string> Running = new()
    {
        ["web"] = "127.0.0.1:5000/shop/web@sha256:" + new string('1', 64),
        ["billing"] = "127.0.0.1:5000/shop/billing@sha256:" + new string('2', 64),
    };

    private static readonly DeclaredMigration[] Applied = [new("0001_create_invoices", MigrationKind.Expand), new("0002_add_invoice_due", MigrationKind.Expand)];

    private static readonly Dictionary<string, string> NewWeb = new(Running) { ["web"] = "127.0.0.1:5000/shop/web@sha256:" + new string('4', 64) };

    private static async Task<IReadOnlyList<string>> DeployMessagesAsync(
        bool everyDeploy, IReadOnlyDictionary<string, string>? running, IReadOnlyDictionary<string, string> images,
        IReadOnlyList<DeclaredMigration>? ranWithRunning = null, IReadOnlyList<DeclaredMigration>? carried = null, bool fromManifest = true, bool alreadyLiveSince = false,
        string carrier = "web")
    {
        using var scratch = new ScratchEnvironments(("dev", Matrix.Replace("EVERY", everyDeploy ? "true" : "false", StringComparison.Ordinal).Replace("CARRIER", carrier, StringComparison.Ordinal)));
        var session = new ScriptedToolSession { IsDryRun = true };
        var environment = scratch.Delivery("dev");
        if (running is not null)
        {
            environment.Ledger().Append(new LedgerEntry("dev", "1.0.0", "abc1234", running, "ci@runner", DateTimeOffset.UnixEpoch, LedgerAction.Deployed, "probes passed", TimeSpan.FromMinutes(1), Migrations: ranWithRunning));
            if (alreadyLiveSince)
            {
                // The same release deployed again with nothing changed: no migrate step ran, so none are recorded.
                environment.Ledger().Append(new LedgerEntry("dev", "1.0.0", "abc1234", running, "ci@runner", DateTimeOffset.UnixEpoch.AddMinutes(5), LedgerAction.Deployed, "already live: nothing redeployed; probes passed", TimeSpan.FromSeconds(5)));
            }
        }

        await new ComposeDeployDriver(environment, session, session, TimeProvider.System).DeployAsync(new DeliveryRelease("1.1.0", "def5678", images) { Migrations = carried, MigrationsFromManifest = fromManifest && carried is not null }, "ci@runner");
        return session.Messages;
    }

    private static bool BacksUp(IReadOnlyList<string> messages) =>
        messages.Any(m => m.StartsWith("Backup: postgres is backed up first", StringComparison.Ordinal));

    [Fact]
    public async Task A_release_whose_migrating_image_runs_already_is_not_backed_up_and_says_why()
    {
        var messages = await DeployMessagesAsync(everyDeploy: false, Running, new Dictionary<string, string>(Running) { ["billing"] = "127.0.0.1:5000/shop/billing@sha256:" + new string('3', 64) });

        Assert.False(BacksUp(messages), string.Join('\n', messages));
        Assert.Contains(messages, m => m.StartsWith("Backup: not needed, 1.1.0 brings no migrations", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_image_that_runs_the_migrations_is_the_one_data_migrations_image_of_names()
    {
        var newBilling = new Dictionary<string, string>(Running) { ["billing"] = "127.0.0.1:5000/shop/billing@sha256:" + new string('3', 64) };

        Assert.True(BacksUp(await DeployMessagesAsync(everyDeploy: false, Running, newBilling, carrier: "billing")));
        Assert.False(BacksUp(await DeployMessagesAsync(everyDeploy: false, Running, NewWeb, carrier: "billing")));
    }

    [Fact]
    public async Task A_new_migrating_image_or_a_first_release_is_backed_up()
    {
        var changed = new Dictionary<string, string>(Running) { ["web"] = "127.0.0.1:5000/shop/web@sha256:" + new string('4', 64) };

        Assert.True(BacksUp(await DeployMessagesAsync(everyDeploy: false, Running, changed)));
        Assert.True(BacksUp(await DeployMessagesAsync(everyDeploy: false, running: null, Running)));
    }

    [Fact]
    public async Task A_new_migrating_image_whose_recorded_migrations_all_ran_with_the_running_release_is_not_backed_up()
    {
        var messages = await DeployMessagesAsync(everyDeploy: false, Running, NewWeb, ranWithRunning: Applied, carried: Applied);

        Assert.False(BacksUp(messages), string.Join('\n', messages));
        Assert.Contains("Backup: not needed, 1.1.0 brings no migrations (each of the 2 its images carry ran with 1.0.0); data.postgres.backup.every_deploy: true backs up every deploy.", messages);

        // Nor is the migrate one-off needed, as long as the database that ran them still runs.
        Assert.Contains("Migrations: the database holds them (each of the 2 its images carry ran with 1.0.0): the migrate one-off below runs only if postgres is not running then.", messages);
    }

    [Fact]
    public async Task An_already_live_deploy_since_the_one_that_ran_them_does_not_hide_the_migrations_the_database_holds()
    {
        var messages = await DeployMessagesAsync(everyDeploy: false, Running, NewWeb, ranWithRunning: Applied, carried: Applied, alreadyLiveSince: true);

        Assert.False(BacksUp(messages), string.Join('\n', messages));
        Assert.Contains(messages, m => m.StartsWith("Backup: not needed, 1.1.0 brings no migrations (each of the 2 its images carry ran with 1.0.0)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_new_migration_a_running_release_that_recorded_none_or_migrations_read_from_the_checkout_are_backed_up()
    {
        DeclaredMigration[] carried = [.. Applied, new("0003_drop_invoice_legacy", MigrationKind.Contract)];

        Assert.True(BacksUp(await DeployMessagesAsync(everyDeploy: false, Running, NewWeb, ranWithRunning: Applied, carried: carried)));
        Assert.True(BacksUp(await DeployMessagesAsync(everyDeploy: false, Running, NewWeb, ranWithRunning: null, carried: Applied)));
        Assert.True(BacksUp(await DeployMessagesAsync(everyDeploy: false, Running, NewWeb, ranWithRunning: Applied, carried: null)));

        // The checkout that deploys is not proof of what the images were built with.
        var fromCheckout = await DeployMessagesAsync(everyDeploy: false, Running, NewWeb, ranWithRunning: Applied, carried: Applied, fromManifest: false);
        Assert.True(BacksUp(fromCheckout));
        Assert.DoesNotContain(fromCheckout, m => m.StartsWith("Migrations: the database holds them", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Every_deploy_backs_up_also_without_migrations_pending()
    {
        Assert.True(BacksUp(await DeployMessagesAsync(everyDeploy: true, Running, Running)));
    }
}
