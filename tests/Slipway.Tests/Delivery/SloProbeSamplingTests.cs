using System.Net;
using Slipway.Delivery.Probes;
using Slipway.Environments;
using Slipway.Tests.Support;

namespace Slipway.Tests.Delivery;

/// <summary>
/// How many samples a probe takes before its verdict counts: a latency failure needs <c>min_latency_samples</c>, and a
/// probe stops as soon as its verdict is certain, on success as on failure. Deterministic: scripted answers with
/// scripted latencies on a frozen clock that only the answers and the intervals move.
/// </summary>
public sealed class SloProbeSamplingTests
{
    private static readonly Uri Base = new("http://probe.test");
    private static readonly TimeSpan Fast = TimeSpan.FromMilliseconds(40);
    private static readonly double[] ErrorRates = [0, 0.05, 0.1, 0.3];
    private static readonly int[] MinimumSamples = [1, 5, 20, 30];

    private static SloProbe Probe(int samples, string p95 = "1s", double maxErrorRate = 0, int minLatencySamples = 20) => new()
    {
        Name = "api-ready",
        Path = "/health/ready",
        Samples = samples,
        Interval = Duration.Parse("200ms"),
        P95Latency = Duration.Parse(p95),
        MaxErrorRate = maxErrorRate,
        MinLatencySamples = minLatencySamples,
    };

    private static async Task<(ProbeResult Result, int Requests)> RunAsync(SloProbe probe, Func<int, (int Status, TimeSpan Latency)> answer, bool stopWhenFailed = false, bool stopWhenPassed = false) =>
        await RunAsync(probe, answer, new InstantDelays(frozen: true), stopWhenFailed, stopWhenPassed);

    private static async Task<(ProbeResult Result, int Requests)> RunAsync(SloProbe probe, Func<int, (int Status, TimeSpan Latency)> answer, InstantDelays time, bool stopWhenFailed = false, bool stopWhenPassed = false, bool backToBack = false)
    {
        using var handler = new ScriptedAnswers(answer, time);
        using var http = new HttpClient(handler);
        var runner = new SloProbeRunner(http, time) { StopWhenFailed = stopWhenFailed, StopWhenPassed = stopWhenPassed, BackToBack = backToBack };
        var result = await runner.RunProbeAsync(Base, probe);
        return (result, handler.Requests);
    }

    private static (int, TimeSpan) Ok(int _) => (200, Fast);

    [Fact]
    public async Task One_slow_sample_of_five_does_not_fail_the_probe_it_takes_samples_up_to_the_minimum_and_judges_them_all()
    {
        // The CI failure: p95 of 5 samples is their maximum, and one answer of 1014 ms on a busy machine failed a deploy.
        var (result, requests) = await RunAsync(Probe(samples: 5), i => i == 2 ? (200, TimeSpan.FromMilliseconds(1014)) : (200, Fast));

        Assert.True(result.Passed, result.Reason);
        Assert.Equal(20, requests);
        Assert.Equal(20, result.Planned);
        Assert.False(result.StoppedEarly);
        Assert.Equal(Fast, result.P95);
        Assert.Equal(TimeSpan.FromMilliseconds(1014), result.Max);
        Assert.Contains("api-ready  http://probe.test/health/ready  20 (5 + 15 for p95)  0 ", new ProbeReport([result]).RenderTable(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Back_to_back_a_probe_takes_the_same_samples_without_its_interval_and_is_judged_by_the_same_rules()
    {
        var spaced = new InstantDelays(frozen: true);
        var (paced, pacedRequests) = await RunAsync(Probe(samples: 5), Ok, spaced);
        var unspaced = new InstantDelays(frozen: true);
        var (backToBack, requests) = await RunAsync(Probe(samples: 5), Ok, unspaced, backToBack: true);

        Assert.True(backToBack.Passed, backToBack.Reason);
        Assert.Equal((5, 5), (pacedRequests, requests));
        Assert.Equal(4, spaced.Delays.Count(d => d == TimeSpan.FromMilliseconds(200)));
        Assert.DoesNotContain(TimeSpan.FromMilliseconds(200), unspaced.Delays);

        // A slow answer still takes the run to min_latency_samples, and a failing one still fails it.
        var (slow, slowRequests) = await RunAsync(Probe(samples: 5), i => i == 2 ? (200, TimeSpan.FromMilliseconds(1014)) : (200, Fast), new InstantDelays(frozen: true), backToBack: true);
        Assert.True(slow.Passed, slow.Reason);
        Assert.Equal(20, slowRequests);
        var (broken, _) = await RunAsync(Probe(samples: 5), _ => (503, Fast), new InstantDelays(frozen: true), stopWhenFailed: true, backToBack: true);
        Assert.False(broken.Passed);
        Assert.Equal(paced.Planned, backToBack.Planned);
    }

    [Fact]
    public async Task A_probe_whose_samples_all_meet_the_threshold_is_judged_on_its_planned_samples_alone()
    {
        var (result, requests) = await RunAsync(Probe(samples: 5), Ok);

        Assert.True(result.Passed, result.Reason);
        Assert.Equal(5, requests);
        Assert.Equal(5, result.Planned);
    }

    [Fact]
    public async Task A_release_slow_for_real_still_fails_over_the_minimum_samples_with_the_reason()
    {
        var (result, requests) = await RunAsync(Probe(samples: 5), _ => (200, TimeSpan.FromMilliseconds(1200)));

        Assert.False(result.Passed);
        Assert.Equal(20, requests);
        Assert.Equal(
            "api-ready: p95 1200 ms exceeds 1000 ms (20 of 20 samples slower; 5 were planned, and min_latency_samples asks for 20 before latency fails a probe)",
            result.Reason);
    }

    [Fact]
    public async Task With_stop_when_failed_a_slow_release_stops_once_more_samples_are_slow_than_the_p95_tolerates()
    {
        // Over 20 planned samples the p95 (rank 19) tolerates one slow sample: the second decides.
        var (result, requests) = await RunAsync(Probe(samples: 5), _ => (200, TimeSpan.FromMilliseconds(1200)), stopWhenFailed: true, stopWhenPassed: true);

        Assert.False(result.Passed);
        Assert.Equal(2, requests);
        Assert.True(result.StoppedEarly);
        Assert.EndsWith("; stopped after 2 of 20 samples: more than 1 samples over 1000 ms can no longer pass", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Min_latency_samples_of_one_judges_the_planned_samples_alone()
    {
        var (result, requests) = await RunAsync(Probe(samples: 5, minLatencySamples: 1), i => i == 2 ? (200, TimeSpan.FromMilliseconds(1014)) : (200, Fast));

        Assert.Equal(5, requests);
        Assert.Equal("api-ready: p95 1014 ms exceeds 1000 ms", result.Reason);
    }

    [Fact]
    public async Task A_probe_that_failed_on_errors_is_not_extended_by_a_slow_sample_into_a_larger_error_budget()
    {
        // 10 % of 5 samples allows no error; 10 % of 20 would allow two.
        var (result, requests) = await RunAsync(Probe(samples: 5, maxErrorRate: 0.1), i => i == 0 ? (500, TimeSpan.FromMilliseconds(1500)) : (200, Fast));

        Assert.False(result.Passed);
        Assert.Equal(5, requests);
        Assert.Equal(5, result.Planned);
        Assert.Equal("api-ready: error rate 20.0 % (1 of 5: 500 ×1) exceeds 10.0 %", result.Reason);
    }

    [Theory]
    [InlineData(20, 0.1, 19)]   // 2 errors allowed, 1 slow sample tolerated: the last sample cannot flip the verdict
    [InlineData(100, 0.05, 95)] // 5 and 5
    [InlineData(100, 0.02, 98)] // the error budget is the smaller slack
    [InlineData(10, 0.01, 10)]  // no error allowed: every sample counts
    [InlineData(30, 0.005, 30)]
    public async Task With_stop_when_passed_a_probe_stops_once_its_remaining_samples_could_not_fail_it(int samples, double maxErrorRate, int expectedRequests)
    {
        var (result, requests) = await RunAsync(Probe(samples, maxErrorRate: maxErrorRate), Ok, stopWhenPassed: true);

        Assert.True(result.Passed, result.Reason);
        Assert.Null(result.Reason);
        Assert.Equal(expectedRequests, requests);
        Assert.Equal(expectedRequests < samples, result.StoppedEarly);
    }

    [Fact]
    public async Task With_stop_when_passed_a_probe_that_used_its_slack_takes_every_sample()
    {
        var (result, requests) = await RunAsync(Probe(samples: 20, maxErrorRate: 0.1), i => i == 0 ? (200, TimeSpan.FromMilliseconds(1500)) : (200, Fast), stopWhenPassed: true);

        Assert.True(result.Passed, result.Reason);
        Assert.Equal(20, requests);
    }

    [Fact]
    public async Task A_failing_release_still_fails_with_both_early_stops_as_the_deploy_gate_runs_them()
    {
        var (result, requests) = await RunAsync(Probe(samples: 20, maxErrorRate: 0.1), _ => (503, Fast), stopWhenFailed: true, stopWhenPassed: true);

        Assert.False(result.Passed);
        Assert.Equal(3, requests);
        Assert.Equal("api-ready: error rate 100.0 % (3 of 3: 503 ×3) exceeds 10.0 %; stopped after 3 of 20 samples: more than 2 errors can no longer pass", result.Reason);
    }

    [Fact]
    public void A_result_built_from_fewer_samples_than_planned_without_a_certain_verdict_fails()
    {
        var probe = Probe(samples: 20, maxErrorRate: 0.1);

        var result = new ProbeResult(probe, SloProbeRunner.UrlOf(Base, probe), [.. Enumerable.Repeat(ProbeSample.Answered(200, Fast), 18)]);

        Assert.Equal("api-ready: only 18 of 20 samples were taken", result.Reason);
    }

    [Fact]
    public async Task Stopping_early_never_changes_a_verdict_the_full_run_would_reach()
    {
        // Soundness of both early stops, over many scripted runs: the verdict with them equals the verdict without.
        var random = new Random(1914);
        for (var run = 0; run < 300; run++)
        {
            var probe = Probe(
                samples: random.Next(1, 41),
                maxErrorRate: ErrorRates[random.Next(ErrorRates.Length)],
                minLatencySamples: MinimumSamples[random.Next(MinimumSamples.Length)]);
            var errorChance = random.NextDouble() * 0.2;
            var slowChance = random.NextDouble() * 0.2;
            var script = Enumerable.Range(0, 40).Select(_ => (
                Status: random.NextDouble() < errorChance ? 500 : 200,
                Latency: random.NextDouble() < slowChance ? TimeSpan.FromMilliseconds(1500) : Fast)).ToList();

            var (full, fullRequests) = await RunAsync(probe, i => script[i]);
            var (early, earlyRequests) = await RunAsync(probe, i => script[i], stopWhenFailed: true, stopWhenPassed: true);

            var context = $"run {run}: samples {probe.Samples}, rate {probe.MaxErrorRate}, min {probe.MinLatencySamples}, full: {full.Reason}, early: {early.Reason}";
            Assert.True(full.Passed == early.Passed, context);
            Assert.True(earlyRequests <= fullRequests, context);
            Assert.Equal(fullRequests, full.Samples.Count);
        }
    }

    [Fact]
    public async Task The_minimum_never_fails_a_run_that_its_planned_samples_alone_would_pass()
    {
        // A run extends only after a slow sample, which alone fails it on its planned samples (below 20, p95 = maximum).
        var random = new Random(2026);
        for (var run = 0; run < 300; run++)
        {
            var samples = random.Next(1, 20);
            var maxErrorRate = ErrorRates[random.Next(ErrorRates.Length)];
            var slowChance = random.NextDouble() * 0.3;
            var script = Enumerable.Range(0, 20).Select(_ => (
                Status: random.NextDouble() < 0.05 ? 500 : 200,
                Latency: random.NextDouble() < slowChance ? TimeSpan.FromMilliseconds(1500) : Fast)).ToList();

            var (plannedOnly, _) = await RunAsync(Probe(samples, maxErrorRate: maxErrorRate, minLatencySamples: 1), i => script[i]);
            var (withMinimum, _) = await RunAsync(Probe(samples, maxErrorRate: maxErrorRate), i => script[i]);

            Assert.True(!plannedOnly.Passed || withMinimum.Passed, $"run {run}: samples {samples}, rate {maxErrorRate}: {withMinimum.Reason}");
        }
    }

    [Fact]
    public async Task The_probes_of_a_run_sample_at_the_same_time_and_report_in_their_order()
    {
        // The first answer of each probe waits for the other probe's first request: one after the other, this never ends.
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var second = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var handler = new BothAtOnce(first, second);
        using var http = new HttpClient(handler);
        var probes = new[] { Probe(samples: 2) with { Name = "one", Path = "/one" }, Probe(samples: 2) with { Name = "two", Path = "/two" } };

        var report = await new SloProbeRunner(http, new InstantDelays()).RunAsync(Base, probes).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(report.Passed);
        Assert.Equal(["one", "two"], report.Results.Select(r => r.Name));
    }

    private sealed class BothAtOnce(TaskCompletionSource one, TaskCompletionSource two) : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var (mine, theirs) = request.RequestUri!.AbsolutePath == "/one" ? (one, two) : (two, one);
            mine.TrySetResult();
            await theirs.Task.WaitAsync(cancellationToken);
            return new HttpResponseMessage(HttpStatusCode.OK) { RequestMessage = request };
        }
    }

    /// <summary>Answers request <c>i</c> (from 0) as scripted, after moving the frozen clock by its latency.</summary>
    private sealed class ScriptedAnswers(Func<int, (int Status, TimeSpan Latency)> answer, TimeProvider time) : HttpMessageHandler
    {
        private int _requests;

        public int Requests => _requests;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var (status, latency) = answer(Interlocked.Increment(ref _requests) - 1);
            await Task.Delay(latency, time, cancellationToken);
            return new HttpResponseMessage((HttpStatusCode)status) { RequestMessage = request, Content = new StringContent("ok") };
        }
    }
}
