using Slipway.Delivery;
using Slipway.Delivery.Canary;
using Slipway.Delivery.Compose;
using Slipway.Environments;
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

    private DeliveryRun Run() => new(Environment, _driver, _session, new DeliveryOptions
    {
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

    public void Dispose() => _scratch.Dispose();

    private static DeliveryRelease Release(string version) =>
        new(version, new string('c', 40), new Dictionary<string, string> { ["api"] = $"registry/api@sha256:{version}" });

    private static LedgerEntry Entry(string version, LedgerAction action) =>
        new("dev", version, new string('c', 40), new Dictionary<string, string> { ["api"] = $"registry/api@sha256:{version}" }, "tester", DateTimeOffset.UtcNow, action, "test", TimeSpan.FromSeconds(1));

    private sealed class FakeDriver : IDeployDriver
    {
        public DeployOutcome Outcome { get; set; } = new(LedgerAction.Deployed, "1.0.0 deployed", null);

        public Action? OnDeploy { get; set; }

        public string? RolledBackTo { get; private set; }

        public string? RolledBackFrom { get; private set; }

        public Uri Url => new("http://dev.test/");

        public Func<CancellationToken, Task<ProbeVerdict>> Probes => _ => Task.FromResult(new ProbeVerdict(true, string.Empty, []));

        public Task<DeployOutcome> DeployAsync(DeliveryRelease release, string who)
        {
            OnDeploy?.Invoke();
            return Task.FromResult(Outcome);
        }

        public Task<DeployOutcome> RollbackAsync(LedgerEntry target, LedgerEntry? current, string who)
        {
            (RolledBackTo, RolledBackFrom) = (target.Version, current?.Version);
            return Task.FromResult(new DeployOutcome(LedgerAction.RolledBack, $"dev runs {target.Version} again", null));
        }

        public Task<ICanaryTraffic> CanaryTrafficAsync(DeliveryRelease canary, LedgerEntry stable, CanaryPlan plan, bool rendersRelease) =>
            throw new NotSupportedException("no canary in these tests");
    }
}
