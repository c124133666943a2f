using Slipway.Delivery;
using Slipway.Delivery.Canary;
using Slipway.Delivery.Compose;
using Slipway.Delivery.Migrations;
using Slipway.Environments;
using Slipway.Processes;
using Slipway.Tests.Environments;

namespace Slipway.Tests.Delivery;

/// <summary>
/// The one delivery run every driver goes through: the lock around the driver, the report (what happened, where the
/// environment answers, or a failure pointing at the ledger), and the rollback's choice and verification.
/// </summary>
public sealed class DeliveryRunTests : IDisposable
{
    private readonly ScratchEnvironments _scratch = new(("dev", ScratchEnvironments.MinimalBase));
    private readonly ScriptedToolSession _session = new();
    private readonly FakeDriver _driver = new();
    private readonly List<string> _verified = [];
    private readonly Dictionary<string, string> _outputs = [];

    private DeliveryEnvironment Environment => new()
    {
        Environment = _scratch.LoadValid("dev"),
        Secrets = SecretResolver.Create(new Dictionary<string, string>(), _scratch.Root),
        RootDirectory = _scratch.Root,
        EnvironmentFile = "environments/dev.yml",
    };

    private DeliveryRun Run(TimeSpan lockWait = default, IToolSession? session = null) => new(Environment, _driver, session ?? _session, new DeliveryOptions
    {
        LockWait = lockWait,
        VerifyAsync = images =>
        {
            _verified.AddRange(images.Values);
            return Task.CompletedTask;
        },
        SetOutput = (name, value) => _outputs[name] = value,
        Who = "tester",
    }, TimeProvider.System);

    [Fact]
    public async Task A_deploy_holds_the_lock_while_the_driver_works_then_says_where_the_environment_answers()
    {
        var lockFile = Path.Combine(Environment.StateDirectory, "deploy.lock");
        _driver.OnDeploy = () => Assert.True(File.Exists(lockFile), "the driver ran without the environment's lock");

        await Run().DeployAsync(Release("1.0.0"));

        Assert.False(File.Exists(lockFile));
        Assert.Contains("1.0.0 deployed", _session.Messages);
        Assert.Contains("dev is up: http://dev.test/", _session.Messages);
        Assert.Equal("http://dev.test/", _outputs["url"]);
    }

    [Fact]
    public async Task A_deliberate_override_of_protection_is_in_the_ledger_before_the_driver_deploys()
    {
        var run = new DeliveryRun(Environment, _driver, _session, new DeliveryOptions
        {
            Who = "tester",
            GatesAsync = () => Task.FromResult<string?>("protection overridden (incident 42): dirty tree"),
        }, TimeProvider.System);
        _driver.OnDeploy = () =>
        {
            var entry = Assert.Single(Environment.Ledger().ReadAll().Entries);
            Assert.Equal((LedgerAction.Overridden, "1.0.0", "protection overridden (incident 42): dirty tree"), (entry.Action, entry.Version, entry.Details));
        };

        await run.DeployAsync(Release("1.0.0"));

        Assert.Contains("1.0.0 deployed", _session.Messages);
    }

    [Fact]
    public async Task A_refusing_gate_stops_the_deploy_before_the_lock()
    {
        var lockFile = Path.Combine(Environment.StateDirectory, "deploy.lock");
        var run = new DeliveryRun(Environment, _driver, _session, new DeliveryOptions
        {
            GatesAsync = () => File.Exists(lockFile) ? Task.FromResult<string?>(null) : throw new InvalidOperationException("dirty tree"),
        }, TimeProvider.System);
        _driver.OnDeploy = () => Assert.Fail("the driver ran although the gate refused");

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => run.DeployAsync(Release("1.0.0")));

        Assert.Equal("dirty tree", failure.Message);
        Assert.Empty(Environment.Ledger().ReadAll().Entries);
    }

    [Fact]
    public async Task A_deploy_the_driver_rolled_back_fails_the_target_and_points_at_the_ledger()
    {
        _driver.Outcome = new DeployOutcome(LedgerAction.RolledBack, "Deploy of 1.0.0 failed (probes): p95 too high. Rolled back automatically.", null);

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => Run().DeployAsync(Release("1.0.0")));

        Assert.Equal("Deploy of 1.0.0 failed (probes): p95 too high. Rolled back automatically. The ledger has the details: ./build.sh --target History --env dev", failure.Message);
        Assert.Empty(_outputs);
    }

    [Fact]
    public async Task A_rollback_returns_to_the_good_release_before_the_running_one_and_verifies_it_again()
    {
        var ledger = Environment.Ledger();
        ledger.Append(Entry("1.0.0", LedgerAction.Deployed));
        ledger.Append(Entry("1.1.0", LedgerAction.Deployed));

        await Run().RollbackAsync(to: null);

        Assert.Equal(("1.0.0", "1.1.0"), (_driver.RolledBackTo, _driver.RolledBackFrom));
        Assert.Equal(["registry/api@sha256:1.0.0"], _verified);
    }

    [Fact]
    public async Task A_rollback_across_a_contract_migration_is_refused_naming_it_and_with_force_goes_ahead_recorded_first()
    {
        var ledger = Environment.Ledger();
        ledger.Append(Entry("1.0.0", LedgerAction.Deployed) with { Migrations = [new("0001_create", MigrationKind.Expand)] });
        ledger.Append(Entry("2.0.0", LedgerAction.Deployed) with { Migrations = [new("0001_create", MigrationKind.Expand), new("0002_drop_status", MigrationKind.Contract)] });

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => Run().RollbackAsync(to: null));

        Assert.StartsWith("Rollback refused: returning to 1.0.0 would cross the contract migration 0002_drop_status (applied by 2.0.0)", refused.Message, StringComparison.Ordinal);
        Assert.Contains("--force", refused.Message, StringComparison.Ordinal);
        Assert.Null(_driver.RolledBackTo);
        Assert.Empty(_verified);
        Assert.Equal(2, ledger.ReadAll().Entries.Count);

        _driver.OnRollback = () =>
        {
            var forced = ledger.ReadAll().Entries[^1];
            Assert.Equal((LedgerAction.Overridden, "1.0.0"), (forced.Action, forced.Version));
            Assert.StartsWith("Rollback --force to 1.0.0 across the contract migration(s) 0002_drop_status", forced.Details, StringComparison.Ordinal);
        };
        var force = new DeliveryRun(Environment, _driver, _session, new DeliveryOptions { Who = "tester", Force = true }, TimeProvider.System);
        await force.RollbackAsync(to: null);

        Assert.Equal(("1.0.0", "2.0.0"), (_driver.RolledBackTo, _driver.RolledBackFrom));
        Assert.Contains(_session.Events, e => e.Kind == SessionEventKind.Warning && e.Text.StartsWith("Rollback --force to 1.0.0", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_rollback_with_nothing_to_return_to_says_so_before_taking_the_lock()
    {
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => Run().RollbackAsync(to: "0.9.0"));

        Assert.Equal("0.9.0 (a version or a revision) was never deployed to dev successfully, so there is nothing to return to. See: ./build.sh --target History --env dev", failure.Message);
        Assert.Null(_driver.RolledBackTo);
    }

    [Fact]
    public async Task A_second_deploy_meets_the_lock_of_the_first_and_names_its_holder()
    {
        _driver.OnDeploy = () => Assert.ThrowsAsync<EnvironmentLockedException>(() => Run().DeployAsync(Release("2.0.0"))).GetAwaiter().GetResult();

        await Run().DeployAsync(Release("1.0.0"));

        Assert.Contains("1.0.0 deployed", _session.Messages);
    }

    [Fact]
    public async Task Two_deploys_at_once_serialise_the_second_waits_for_the_lock_then_deploys()
    {
        Task? second = null;
        _driver.OnDeploy = () =>
        {
            if (second is not null)
            {
                return;
            }

            second = Task.Run(() => Run(TimeSpan.FromSeconds(60)).DeployAsync(Release("2.0.0")));
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!_session.Messages.Any(m => m.StartsWith("dev is locked by another deploy: waiting up to 1m", StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(20);
            }

            Assert.Equal(["1.0.0"], _driver.Deployed);
        };

        await Run().DeployAsync(Release("1.0.0"));
        await second!;

        Assert.Equal(["1.0.0", "2.0.0"], _driver.Deployed);
        Assert.False(File.Exists(Path.Combine(Environment.StateDirectory, "deploy.lock")));
    }

    [Fact]
    public async Task A_dry_run_rollback_that_the_ledger_here_cannot_answer_shows_the_release_the_ledger_will_name()
    {
        var dryRun = new ScriptedToolSession { IsDryRun = true };

        await Run(session: dryRun).RollbackAsync(to: null);

        Assert.Equal(("<version to return to from the ledger>", null), (_driver.RolledBackTo, _driver.RolledBackFrom));
        Assert.Equal(["api@<digest of api from the ledger>"], _verified.Select(v => v[(v.LastIndexOf('/') + 1)..]));
    }

    public void Dispose() => _scratch.Dispose();

    private static DeliveryRelease Release(string version) =>
        new(version, new string('c', 40), new Dictionary<string, string> { ["api"] = $"registry/api@sha256:{version}" });

    private static LedgerEntry Entry(string version, LedgerAction action) =>
        new("dev", version, new string('c', 40), new Dictionary<string, string> { ["api"] = $"registry/api@sha256:{version}" }, "tester", DateTimeOffset.UtcNow, action, "test", TimeSpan.FromSeconds(1));

    private sealed class FakeDriver : IDeployDriver
    {
        public DeployOutcome Outcome { get; set; } = new(LedgerAction.Deployed, "1.0.0 deployed", null);

        public Action? OnDeploy { get; set; }

        public Action? OnRollback { get; set; }

        public string? RolledBackTo { get; private set; }

        public string? RolledBackFrom { get; private set; }

        public Uri Url => new("http://dev.test/");

        public Func<CancellationToken, Task<ProbeVerdict>> Probes => _ => Task.FromResult(new ProbeVerdict(true, string.Empty, []));

        public List<string> Deployed { get; } = [];

        public Task<DeployOutcome> DeployAsync(DeliveryRelease release, string who)
        {
            lock (Deployed)
            {
                Deployed.Add(release.Version);
            }

            OnDeploy?.Invoke();
            return Task.FromResult(Outcome);
        }

        public Task<DeployOutcome> RollbackAsync(LedgerEntry target, LedgerEntry? current, string who)
        {
            OnRollback?.Invoke();
            (RolledBackTo, RolledBackFrom) = (target.Version, current?.Version);
            return Task.FromResult(new DeployOutcome(LedgerAction.RolledBack, $"dev runs {target.Version} again", null));
        }

        public Task<ICanaryTraffic> CanaryTrafficAsync(DeliveryRelease canary, LedgerEntry stable, CanaryPlan plan, bool rendersRelease) =>
            throw new NotSupportedException("no canary in these tests");
    }
}
