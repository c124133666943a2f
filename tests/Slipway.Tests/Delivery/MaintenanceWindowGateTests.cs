using Slipway.Delivery;
using Slipway.Delivery.Canary;
using Slipway.Delivery.Compose;
using Slipway.Delivery.Migrations;
using Slipway.Environments;
using Slipway.Tests.Environments;
using Slipway.Tests.Support;

namespace Slipway.Tests.Delivery;

/// <summary>
/// A deploy with migrations pending, on a virtual clock, in an environment whose window is Sunday 02:00–04:00
/// Europe/Berlin: refused outside it with the next opening, run inside it, waited for with --wait-for-window; a release
/// that brings no migrations (same api image as the one running) is not gated.
/// </summary>
public sealed class MaintenanceWindowGateTests : IDisposable
{
    private const string Windowed = ScratchEnvironments.MinimalBase + """

        ingress:
          host: dev.test
          backend: api
        data:
          maintenance_window:
            days: [sunday]
            start: "02:00"
            time_zone: Europe/Berlin
            length: 2h
        """;

    // Thursday 2026-12-03 03:00 UTC; the window opens on Sunday 2026-12-06 at 02:00 CET = 01:00 UTC.
    private static readonly DateTimeOffset Thursday = new(2026, 12, 3, 3, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Opening = new(2026, 12, 6, 1, 0, 0, TimeSpan.Zero);

    private readonly ScratchEnvironments _scratch = new(("dev", Windowed));
    private readonly ScriptedToolSession _session = new();
    private readonly CountingDriver _driver = new();

    private DeliveryEnvironment Environment => new()
    {
        Environment = _scratch.LoadValid("dev"),
        Secrets = SecretResolver.Create(new Dictionary<string, string>(), _scratch.Root),
        RootDirectory = _scratch.Root,
        EnvironmentFile = "environments/dev.yml",
    };

    private DeliveryRun Run(TimeProvider clock, bool wait = false, ScriptedToolSession? session = null) =>
        new(Environment, _driver, session ?? _session, new DeliveryOptions { Who = "tester", WaitForWindow = wait }, clock);

    public void Dispose() => _scratch.Dispose();

    private static DeliveryRelease Release(string version, string apiDigest) =>
        new(version, new string('c', 40), new Dictionary<string, string> { ["api"] = $"registry/api@sha256:{apiDigest}", ["worker"] = $"registry/worker@sha256:{version}" });

    [Fact]
    public async Task A_release_with_migrations_outside_the_window_is_refused_with_the_next_opening()
    {
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => Run(new InstantDelays(frozen: true, at: Thursday)).DeployAsync(Release("1.0.0", "a1")));

        Assert.Contains("dev's maintenance window (environments/dev.yml data.maintenance_window: Sunday 02:00 Europe/Berlin for 2h) is closed", failure.Message, StringComparison.Ordinal);
        Assert.Contains("It opens next at 2026-12-06 02:00 Europe/Berlin (2026-12-06 01:00 UTC): deploy then, or give --wait-for-window", failure.Message, StringComparison.Ordinal);
        Assert.Equal(0, _driver.Deploys);
        Assert.False(File.Exists(Path.Combine(Environment.StateDirectory, "deploy.lock")));
    }

    [Fact]
    public async Task Inside_the_window_the_release_runs()
    {
        await Run(new InstantDelays(frozen: true, at: Opening.AddMinutes(90))).DeployAsync(Release("1.0.0", "a1"));

        Assert.Equal(1, _driver.Deploys);
        Assert.Contains(_session.Messages, m => m.Contains("is open until 2026-12-06 04:00 Europe/Berlin", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_wait_for_window_the_deploy_waits_until_the_opening_then_runs()
    {
        var clock = new InstantDelays(frozen: true, at: Thursday);

        await Run(clock, wait: true).DeployAsync(Release("1.0.0", "a1"));

        Assert.Equal(1, _driver.Deploys);
        Assert.Equal(Opening - Thursday, clock.Delays[0]);
        Assert.Contains(_session.Messages, m => m.Contains("waiting until it opens at 2026-12-06 02:00 Europe/Berlin", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_dry_run_with_wait_for_window_says_it_would_wait_and_waits_for_nothing()
    {
        var clock = new InstantDelays(frozen: true, at: Thursday);
        var dryRun = new ScriptedToolSession { IsDryRun = true };

        await Run(clock, wait: true, dryRun).DeployAsync(Release("1.0.0", "a1"));

        Assert.DoesNotContain(clock.Delays, d => d > TimeSpan.FromMinutes(1));
        Assert.Contains(dryRun.Messages, m => m.StartsWith("would wait until 2026-12-06 02:00 Europe/Berlin", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_dry_run_outside_the_window_warns_that_a_deploy_now_would_be_refused_and_shows_the_rest_of_the_plan()
    {
        var clock = new InstantDelays(frozen: true, at: Thursday);
        var dryRun = new ScriptedToolSession { IsDryRun = true };

        await Run(clock, wait: false, dryRun).DeployAsync(Release("1.0.0", "a1"));

        Assert.DoesNotContain(clock.Delays, d => d > TimeSpan.FromMinutes(1));
        Assert.Contains(dryRun.Messages, m => m.Contains("A deploy now would be refused; it opens next at 2026-12-06 02:00 Europe/Berlin", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_release_whose_migrating_image_is_the_running_one_is_not_gated()
    {
        Environment.Ledger().Append(new LedgerEntry("dev", "1.0.0", new string('c', 40), Release("1.0.0", "a1").Images, "tester", Thursday, LedgerAction.Deployed, "ok", TimeSpan.Zero));

        // Only the worker changed: the api image, which carries the migrations, is the one running.
        await Run(new InstantDelays(frozen: true, at: Thursday)).DeployAsync(Release("1.0.1", "a1"));

        Assert.Equal(1, _driver.Deploys);
    }

    [Fact]
    public async Task A_release_with_a_new_migrating_image_is_gated_after_a_first_release()
    {
        Environment.Ledger().Append(new LedgerEntry("dev", "1.0.0", new string('c', 40), Release("1.0.0", "a1").Images, "tester", Thursday, LedgerAction.Deployed, "ok", TimeSpan.Zero));

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => Run(new InstantDelays(frozen: true, at: Thursday)).DeployAsync(Release("1.1.0", "b2")));

        Assert.Contains("1.1.0 may bring migrations (api, which runs them, is a new image since 1.0.0)", failure.Message, StringComparison.Ordinal);
        Assert.Equal(0, _driver.Deploys);
    }

    [Fact]
    public async Task A_new_migrating_image_is_gated_by_the_recorded_migrations_the_running_release_did_not_run()
    {
        DeclaredMigration[] ran = [new("0001_create_orders", MigrationKind.Expand)];
        Environment.Ledger().Append(new LedgerEntry("dev", "1.0.0", new string('c', 40), Release("1.0.0", "a1").Images, "tester", Thursday, LedgerAction.Deployed, "ok", TimeSpan.Zero, Migrations: ran));

        // The same migrations in a new api image: nothing to wait for. One more: refused, naming it.
        await Run(new InstantDelays(frozen: true, at: Thursday)).DeployAsync(Release("1.1.0", "b2") with { Migrations = ran, MigrationsFromManifest = true });
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => Run(new InstantDelays(frozen: true, at: Thursday))
            .DeployAsync(Release("1.2.0", "c3") with { Migrations = [.. ran, new("0002_add_orders_processed_by", MigrationKind.Expand)], MigrationsFromManifest = true }));

        Assert.Equal(1, _driver.Deploys);
        Assert.Contains("1.2.0 brings 1 migration(s) that 1.0.0 did not run: 0002_add_orders_processed_by", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_window_in_an_unknown_time_zone_is_a_configuration_error()
    {
        using var scratch = new ScratchEnvironments(("dev", Windowed.Replace("Europe/Berlin", "Mars/Olympus", StringComparison.Ordinal)));

        var result = scratch.Load("dev");

        Assert.Contains(result.Errors, e => e.ToString().Contains("data.maintenance_window.time_zone", StringComparison.Ordinal) && e.ToString().Contains("'Mars/Olympus' is not a time zone", StringComparison.Ordinal));
    }

    private sealed class CountingDriver : IDeployDriver
    {
        public int Deploys { get; private set; }

        public Uri Url => new("http://dev.test/");

        public Func<CancellationToken, Task<ProbeVerdict>> Probes => _ => Task.FromResult(new ProbeVerdict(true, string.Empty, []));

        public Task<DeployOutcome> DeployAsync(DeliveryRelease release, string who)
        {
            Deploys++;
            return Task.FromResult(new DeployOutcome(LedgerAction.Deployed, $"{release.Version} deployed", null));
        }

        public Task<DeployOutcome> RollbackAsync(LedgerEntry target, LedgerEntry? current, string who) => throw new NotSupportedException();

        public Task<ICanaryTraffic> CanaryTrafficAsync(DeliveryRelease canary, LedgerEntry stable, CanaryPlan plan, bool rendersRelease) => throw new NotSupportedException();
    }
}
