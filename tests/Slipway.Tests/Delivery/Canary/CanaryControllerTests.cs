using Slipway.Delivery;
using Slipway.Delivery.Canary;
using Slipway.Delivery.Compose;
using Slipway.Delivery.Probes;
using Slipway.Environments;
using Slipway.Tests.Support;
using Slipway.Tests.Tools;

namespace Slipway.Tests.Delivery.Canary;

/// <summary>
/// The canary's state machine on a fake router: steps and weights, analyses and the failure limit, promotion, abort,
/// a resumed run, a manual decision and Ctrl+C. Time is virtual (InstantDelays), so real durations cost nothing.
/// </summary>
public sealed class CanaryControllerTests
{
    private static readonly CanaryRelease Next = new("2.0.0", "c0ffee", new Dictionary<string, string> { ["api"] = "reg/api@sha256:" + new string('b', 64) });
    private static readonly TrafficSample Healthy = new(40, 0, TimeSpan.FromMilliseconds(20));

    private readonly string _state = TestPaths.NewTempDirectory();
    private readonly ReleaseLedger _ledger;
    private readonly InstantDelays _time = new(frozen: true);
    private readonly FakeCanaryTraffic _traffic = new();
    private readonly ScriptedToolSession _session = new();

    public CanaryControllerTests() => _ledger = ReleaseLedger.Open(Path.Combine(_state, "ledger.jsonl"));

    private static CanaryPlan Plan(int failureLimit = 1) => new()
    {
        // Production's real durations: virtual time makes them free.
        Steps = [new CanaryStep { Weight = 10, Duration = Duration.Parse("30m") }, new CanaryStep { Weight = 50, Duration = Duration.Parse("30m") }],
        AnalysisInterval = Duration.Parse("10m"),
        FailureLimit = failureLimit,
        P95Latency = Duration.Parse("300ms"),
        MaxErrorRate = 0.01,
        MinRequests = 10,
    };

    private CanaryController Controller(CanaryPlan plan, Func<int, ProbeVerdict>? probes = null, ScriptedToolSession? session = null)
    {
        var calls = 0;
        var setup = new CanarySetup("prod", plan, _state, _ => Task.FromResult((probes ?? (_ => Passed))(++calls)));
        return new CanaryController(setup, _traffic, session ?? _session, _ledger, _time);
    }

    private static ProbeVerdict Passed => new(true, "probes table", []);

    private IReadOnlyList<LedgerEntry> Entries => _ledger.ReadAll().Entries;

    [Fact]
    public async Task A_good_canary_walks_every_step_at_its_weight_and_is_promoted()
    {
        _traffic.Windows = _ => new CanaryWindow(Healthy, Healthy);

        var outcome = await Controller(Plan()).RunAsync(Next, "1.0.0", "ci@runner");

        Assert.True(outcome.Promoted, outcome.Summary);
        Assert.Equal(["start 2.0.0", "weight 10", "weight 50", "promote 2.0.0", "remove"], _traffic.Calls);
        Assert.Equal(6, Entries.Count(e => e.Action == LedgerAction.CanaryAnalysis));
        Assert.Equal(3, Entries.Count(e => e.Action == LedgerAction.CanaryStep));
        Assert.All(Entries, e => Assert.Equal("2.0.0", e.Version));
        Assert.Contains("canary 40 requests, 0 failed (0.0 %), p95 20 ms", Entries.First(e => e.Action == LedgerAction.CanaryAnalysis).Details, StringComparison.Ordinal);
        Assert.Null(CanaryState.Read(_state));

        // Three 10-minute analyses per 30-minute step, the waits on the virtual clock.
        Assert.Equal(TimeSpan.FromMinutes(60), _time.Skipped);
    }

    [Fact]
    public async Task A_canary_that_fails_is_aborted_within_two_intervals_of_its_first_failure_and_the_stable_keeps_everything()
    {
        // Healthy for the first analysis, failing from the second on.
        _traffic.Windows = n => new CanaryWindow(n >= 2 ? new TrafficSample(40, 20, TimeSpan.FromMilliseconds(15)) : Healthy, Healthy);

        var outcome = await Controller(Plan(failureLimit: 1)).RunAsync(Next, "1.0.0", "ci@runner");

        Assert.False(outcome.Promoted);
        Assert.Equal(["start 2.0.0", "weight 10", "remove"], _traffic.Calls);
        var analyses = Entries.Where(e => e.Action == LedgerAction.CanaryAnalysis).ToList();
        Assert.Equal(3, analyses.Count);
        Assert.Contains("canary error rate 50.0 % (20 of 40) > 1.0 % (canary.max_error_rate)", analyses[1].Details, StringComparison.Ordinal);
        var aborted = Assert.Single(Entries, e => e.Action == LedgerAction.Aborted);
        Assert.Contains("step 1/2 (10 %)", aborted.Details, StringComparison.Ordinal);
        Assert.Contains("1.0.0 serves all traffic", aborted.Details, StringComparison.Ordinal);
        Assert.Null(CanaryState.Read(_state));
    }

    [Fact]
    public async Task A_slow_canary_fails_on_the_latency_criterion()
    {
        _traffic.Windows = _ => new CanaryWindow(new TrafficSample(40, 0, TimeSpan.FromMilliseconds(1_600)), Healthy);

        var outcome = await Controller(Plan(failureLimit: 0)).RunAsync(Next, "1.0.0", "ci@runner");

        Assert.False(outcome.Promoted);
        Assert.Contains("canary p95 1600 ms > 300ms (canary.p95_latency)", outcome.Summary, StringComparison.Ordinal);
        Assert.Single(Entries, e => e.Action == LedgerAction.CanaryAnalysis);
    }

    [Fact]
    public async Task Too_few_canary_requests_leave_the_verdict_to_the_probes_and_say_so()
    {
        _traffic.Windows = _ => new CanaryWindow(new TrafficSample(3, 3, null), Healthy);
        var failing = new ProbeVerdict(false, "probes table", ["api-orders: error rate 100.0 % > 1.0 %"]);

        var inconclusive = await Controller(Plan(failureLimit: 0)).RunAsync(Next, "1.0.0", "ci@runner");
        Assert.True(inconclusive.Promoted, inconclusive.Summary);
        Assert.Contains("fewer than 10 canary requests: inconclusive, probes only", Entries.First(e => e.Action == LedgerAction.CanaryAnalysis).Details, StringComparison.Ordinal);

        var probed = await Controller(Plan(failureLimit: 0), _ => failing).RunAsync(Next with { Version = "2.0.1" }, "1.0.0", "ci@runner");
        Assert.False(probed.Promoted);
        Assert.Contains("probe api-orders: error rate 100.0 % > 1.0 %", probed.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_killed_run_is_resumed_at_its_step_without_starting_the_canary_again()
    {
        new CanaryState(Next, "1.0.0", CanaryPhase.Analysing, 1, TimeSpan.FromMinutes(20), 5, 0, 50, "ci@runner pid 1", _time.GetUtcNow()).Write(_state);
        _traffic.Windows = _ => new CanaryWindow(Healthy, Healthy);

        var outcome = await Controller(Plan()).RunAsync(Next, "1.0.0", "ci@runner");

        Assert.True(outcome.Promoted, outcome.Summary);
        Assert.Equal(["running?", "weight 50", "promote 2.0.0", "remove"], _traffic.Calls);
        Assert.Contains(_session.Messages, m => m.StartsWith("Resuming the canary of 2.0.0 left by ci@runner pid 1: analysing, step 2/2, 20m", StringComparison.Ordinal));

        // The 10 minutes left of the step: one analysis.
        Assert.Single(Entries, e => e.Action == LedgerAction.CanaryAnalysis);
    }

    [Fact]
    public async Task A_resumed_run_whose_canary_is_gone_aborts_cleanly()
    {
        new CanaryState(Next, "1.0.0", CanaryPhase.Analysing, 0, TimeSpan.Zero, 1, 0, 10, "ci@runner pid 1", _time.GetUtcNow()).Write(_state);
        _traffic.Running = false;

        var outcome = await Controller(Plan()).RunAsync(Next, "1.0.0", "ci@runner");

        Assert.False(outcome.Promoted);
        Assert.Equal(["running?", "remove"], _traffic.Calls);
        Assert.Contains("containers are gone", Assert.Single(Entries, e => e.Action == LedgerAction.Aborted).Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_canary_of_another_release_left_behind_is_aborted_before_the_new_one_starts()
    {
        new CanaryState(Next with { Version = "1.9.0" }, "1.0.0", CanaryPhase.Analysing, 0, TimeSpan.Zero, 1, 0, 10, "ci@runner pid 1", _time.GetUtcNow()).Write(_state);
        _traffic.Windows = _ => new CanaryWindow(Healthy, Healthy);

        var outcome = await Controller(Plan()).RunAsync(Next, "1.0.0", "ci@runner");

        Assert.True(outcome.Promoted);
        Assert.Equal(["remove", "start 2.0.0"], _traffic.Calls.Take(2));
        Assert.Contains("superseded by the canary of 2.0.0", Assert.Single(Entries, e => e.Action == LedgerAction.Aborted && e.Version == "1.9.0").Details, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(CanaryDecision.Promote, true)]
    [InlineData(CanaryDecision.Abort, false)]
    public async Task A_decision_left_by_Promote_or_Abort_is_taken_at_the_next_analysis(CanaryDecision decision, bool promoted)
    {
        _traffic.Windows = _ => new CanaryWindow(Healthy, Healthy);
        CanaryRequest.Leave(_state, decision, "oncall@laptop");

        var outcome = await Controller(Plan()).RunAsync(Next, "1.0.0", "ci@runner");

        Assert.Equal(promoted, outcome.Promoted);
        Assert.Single(Entries, e => e.Action == LedgerAction.CanaryAnalysis);
        Assert.Contains(Entries, e => e.Details.Contains("by hand by oncall@laptop", StringComparison.Ordinal) && e.Action != LedgerAction.CanaryAnalysis);
        Assert.Null(CanaryRequest.Take(_state));
    }

    [Fact]
    public async Task Ctrl_C_during_a_step_aborts_and_takes_the_traffic_away()
    {
        using var interrupt = new CancellationTokenSource();
        var session = new ScriptedToolSession { CancellationToken = interrupt.Token };
        _traffic.Windows = _ => new CanaryWindow(Healthy, Healthy);

        var outcome = await Controller(Plan(), n =>
        {
            if (n == 2)
            {
                interrupt.Cancel();
            }

            return Passed;
        }, session).RunAsync(Next, "1.0.0", "ci@runner");

        Assert.False(outcome.Promoted);
        Assert.Equal("remove", _traffic.Calls[^1]);
        Assert.Contains("interrupted (Ctrl+C or SIGTERM)", Assert.Single(Entries, e => e.Action == LedgerAction.Aborted).Details, StringComparison.Ordinal);
        Assert.Null(CanaryState.Read(_state));
    }

    [Fact]
    public async Task A_canary_that_does_not_start_is_removed_and_recorded_as_aborted()
    {
        _traffic.StartFailure = "api-canary: not healthy within 2m";

        var outcome = await Controller(Plan()).RunAsync(Next, "1.0.0", "ci@runner");

        Assert.False(outcome.Promoted);
        Assert.Equal(["start 2.0.0", "remove"], _traffic.Calls);
        Assert.Contains("the canary did not start: api-canary: not healthy within 2m", outcome.Summary, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("processed", "60s", true)]
    [InlineData("pending", "1s", false)]
    public async Task Canary_analysis_runs_the_transaction_probes_and_an_order_never_processed_aborts_the_canary(string status, string within, bool promoted)
    {
        // The deadline is real time (SloGate's clock): generous where the order is processed at the first poll, so a busy
        // machine cannot fail it; short where it never is, since the probe waits all of it.
        // The environment's SLO probes as the Compose driver hands them to the canary (SloGate), against an order API that
        // creates order 7 and then reports it as `status` for ever: a stalled worker behind the canary leaves it pending.
        await using var api = new LocalHttpServer(request => (request.Method, request.PathAndQuery) switch
        {
            ("POST", "/orders") => new CannedResponse(201, """{"id":"7","status":"pending"}""", "application/json"),
            ("GET", "/orders/7") => new CannedResponse(200, $$"""{"id":"7","status":"{{status}}"}""", "application/json"),
            _ => new CannedResponse(404),
        });
        var slo = new SloSettings
        {
            Probes =
            [
                new SloProbe
                {
                    Name = "order-processed",
                    Path = "/orders",
                    ExpectedStatus = 201,
                    Samples = 1,
                    P95Latency = Duration.Parse("60s"),
                    Request = new ProbeRequest { Method = "POST", Body = """{"item":"canary-probe","quantity":1}""" },
                    FollowUp = new ProbeFollowUp { Path = "/orders/{id}", Field = "status", Value = "processed", Within = Duration.Parse(within), Interval = Duration.Parse("100ms") },
                },
            ],
        };
        _traffic.Windows = _ => new CanaryWindow(Healthy, Healthy);
        var setup = new CanarySetup("prod", Plan(failureLimit: 0), _state, SloGate.Against(new Uri($"http://{api.Host}"), slo));

        var outcome = await new CanaryController(setup, _traffic, _session, _ledger, _time).RunAsync(Next, "1.0.0", "ci@runner");

        Assert.Equal(promoted, outcome.Promoted);
        Assert.Contains(api.Requests, r => r is { Method: "POST", PathAndQuery: "/orders" });
        Assert.Contains(api.Requests, r => r is { Method: "GET", PathAndQuery: "/orders/7" });
        if (!promoted)
        {
            Assert.Contains("probe order-processed: ", outcome.Summary, StringComparison.Ordinal);
            Assert.Contains("status did not become 'processed' within 1s", outcome.Summary, StringComparison.Ordinal);
            Assert.Equal(["start 2.0.0", "weight 10", "remove"], _traffic.Calls);
            Assert.Contains("order-processed", Assert.Single(Entries, e => e.Action == LedgerAction.CanaryAnalysis).Details, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Promote_and_Abort_without_a_canary_say_how_to_start_one()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Controller(Plan()).PromoteNowAsync("oncall@laptop"));
        Assert.Contains("./build.sh --target Canary --env prod", error.Message, StringComparison.Ordinal);
    }

    private sealed class FakeCanaryTraffic : ICanaryTraffic
    {
        private int _measurements;

        public List<string> Calls { get; } = [];

        public Func<int, CanaryWindow?> Windows { get; set; } = _ => null;

        public bool Running { get; set; } = true;

        public string? StartFailure { get; set; }

        public string Router => "fake router";

        public Task StartAsync(CanaryRelease release, CancellationToken cancellationToken)
        {
            Calls.Add($"start {release.Version}");
            return StartFailure is null ? Task.CompletedTask : throw new DeployStepException(StartFailure);
        }

        public Task<bool> IsRunningAsync(CanaryRelease release, CancellationToken cancellationToken)
        {
            Calls.Add("running?");
            return Task.FromResult(Running);
        }

        public Task SetWeightAsync(int percent, CancellationToken cancellationToken)
        {
            Calls.Add($"weight {percent}");
            return Task.CompletedTask;
        }

        public Task<CanaryWindow?> MeasureAsync(DateTimeOffset since, DateTimeOffset until, CancellationToken cancellationToken)
        {
            Assert.True(until >= since);
            return Task.FromResult(Windows(++_measurements));
        }

        public Task<DeployOutcome> PromoteAsync(CanaryRelease release, string who, CancellationToken cancellationToken)
        {
            Calls.Add($"promote {release.Version}");
            Calls.Add("remove");
            return Task.FromResult(new DeployOutcome(LedgerAction.Promoted, $"{release.Version} is live", null));
        }

        public Task RemoveAsync(CancellationToken cancellationToken)
        {
            Assert.False(cancellationToken.IsCancellationRequested);
            Calls.Add("remove");
            return Task.CompletedTask;
        }
    }
}
