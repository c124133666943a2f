using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Slipway.Delivery.Probes;
using Slipway.Environments;
using Slipway.Tests.Support;
using Slipway.Tests.Tools;

namespace Slipway.Tests.Delivery;

/// <summary>SLO probes against a real loopback HTTP server: verdicts, reasons, early stop, cancellation, the table.</summary>
public sealed class SloProbeRunnerTests : IDisposable
{
    private static readonly CannedResponse Ok = new(200, "ready");
    private static readonly CannedResponse Broken = new(500, "boom");

    private readonly HttpClient _http = new();
    private readonly InstantDelays _time = new();

    public void Dispose() => _http.Dispose();

    // A p95 threshold of 5 s by default: a loaded CI machine must not turn a status test into a latency failure.
    private static SloProbe Probe(string name = "api-ready", int samples = 5, string p95 = "5s", double maxErrorRate = 0, string interval = "1s", int minLatencySamples = 20) => new()
    {
        Name = name,
        Path = "/" + name,
        Samples = samples,
        P95Latency = Duration.Parse(p95),
        MaxErrorRate = maxErrorRate,
        Interval = Duration.Parse(interval),
        MinLatencySamples = minLatencySamples,
    };

    private static Uri BaseOf(LocalHttpServer server) => new($"http://{server.Host}");

    private SloProbeRunner Runner(bool stopWhenFailed = false, TimeSpan? requestTimeout = null) =>
        new(_http, _time) { StopWhenFailed = stopWhenFailed, RequestTimeout = requestTimeout };

    [Fact]
    public async Task A_probe_answered_with_the_expected_status_in_time_passes()
    {
        await using var server = new LocalHttpServer(_ => Ok);

        var report = await Runner().RunAsync(BaseOf(server), [Probe(samples: 5)]);

        var result = Assert.Single(report.Results);
        Assert.True(report.Passed);
        Assert.True(result.Passed);
        Assert.Null(result.Reason);
        Assert.Equal(new Uri($"http://{server.Host}/api-ready"), result.Url);
        Assert.Equal(5, result.Samples.Count);
        Assert.Equal(0, result.Errors);
        Assert.Equal(new Dictionary<string, int> { ["200"] = 5 }, result.Outcomes);
        Assert.All(server.Requests, r => Assert.Equal(("GET", "/api-ready"), (r.Method, r.PathAndQuery)));
        Assert.Equal(5, server.Requests.Count);

        // The interval separates samples; it does not follow the last one.
        Assert.Equal(Enumerable.Repeat(TimeSpan.FromSeconds(1), 4), _time.Delays);
    }

    [Fact]
    public async Task Warm_up_requests_go_first_and_their_answers_are_not_judged()
    {
        // A release that has just taken traffic: its first answer is an error here (slow, in practice).
        var answered = 0;
        await using var server = new LocalHttpServer(_ => Interlocked.Increment(ref answered) == 1 ? Broken : Ok);
        var warmed = Probe(samples: 5) with { Warmup = 1 };

        var report = await Runner(stopWhenFailed: true).RunAsync(BaseOf(server), [warmed]);

        var result = Assert.Single(report.Results);
        Assert.True(result.Passed, result.Reason);
        Assert.Equal((6, 5, 0, 1), (server.Requests.Count, result.Samples.Count, result.Errors, result.WarmedUp));
        Assert.Contains("5 +1 warm-up", report.RenderTable(), StringComparison.Ordinal);
        // No pause between the warm-up and the first sample: only between samples.
        Assert.Equal(Enumerable.Repeat(TimeSpan.FromSeconds(1), 4), _time.Delays);

        // The same first answer, without a warm-up, is judged.
        answered = 0;
        var judged = Assert.Single((await Runner(stopWhenFailed: true).RunAsync(BaseOf(server), [warmed with { Warmup = 0 }])).Results);
        Assert.False(judged.Passed);
        Assert.Equal(0, judged.WarmedUp);
    }

    [Fact]
    public async Task A_probe_answered_with_500_fails_with_its_error_rate_and_status_counts()
    {
        await using var server = new LocalHttpServer(_ => Broken);

        var report = await Runner().RunAsync(BaseOf(server), [Probe("api-orders", samples: 20, maxErrorRate: 0.01)]);

        var result = Assert.Single(report.Results);
        Assert.False(report.Passed);
        Assert.Equal(20, result.Errors);
        Assert.Equal(1.0, result.ErrorRate);
        Assert.False(result.StoppedEarly);
        Assert.Equal("api-orders: error rate 100.0 % (20 of 20: 500 ×20) exceeds 1.0 %", result.Reason);
        Assert.Equal(["api-orders: error rate 100.0 % (20 of 20: 500 ×20) exceeds 1.0 %"], report.FailureReasons);
    }

    [Fact]
    public async Task Errors_within_the_tolerated_rate_pass_and_do_not_stop_the_probe_early()
    {
        var count = 0;
        await using var server = new LocalHttpServer(_ => Interlocked.Increment(ref count) == 1 ? Broken : Ok);

        var result = await Runner(stopWhenFailed: true).RunProbeAsync(BaseOf(server), Probe(samples: 10, maxErrorRate: 0.1));

        Assert.True(result.Passed, result.Reason ?? string.Empty);
        Assert.Equal(10, result.Samples.Count);
        Assert.Equal(1, result.Errors);
        Assert.Equal(new Dictionary<string, int> { ["200"] = 9, ["500"] = 1 }, result.Outcomes);
    }

    [Fact]
    public async Task A_probe_slower_than_its_p95_threshold_fails_with_the_measured_p95()
    {
        await using var server = new LocalHttpServer(_ => Ok with { Delay = TimeSpan.FromMilliseconds(150) });

        // Two samples may fail on latency here: min_latency_samples 2 (SloProbeSamplingTests pins the default of 20).
        var result = await Runner().RunProbeAsync(BaseOf(server), Probe("api-slow", samples: 2, p95: "50ms", minLatencySamples: 2));

        Assert.Equal(0, result.Errors);
        Assert.True(result.P95 >= TimeSpan.FromMilliseconds(150), result.P95.ToString());
        var match = Regex.Match(result.Reason ?? string.Empty, "^api-slow: p95 ([0-9]+) ms exceeds 50 ms$");
        Assert.True(match.Success, result.Reason ?? string.Empty);
        Assert.True(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 150, result.Reason ?? string.Empty);
    }

    [Fact]
    public async Task A_refused_connection_is_a_failed_sample_not_an_exception()
    {
        var closedPort = ClosedPort();

        var result = await Runner().RunProbeAsync(new Uri($"http://127.0.0.1:{closedPort}"), Probe("api-down", samples: 3));

        Assert.Equal(3, result.Errors);
        Assert.All(result.Samples, s =>
        {
            Assert.Null(s.Status);
            Assert.StartsWith("HttpRequestException: ", s.Error, StringComparison.Ordinal);
        });
        Assert.StartsWith("api-down: error rate 100.0 % (3 of 3: HttpRequestException: ", result.Reason, StringComparison.Ordinal);
        Assert.EndsWith(" ×3) exceeds 0.0 %", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_request_that_outlives_its_timeout_is_a_failed_sample()
    {
        await using var server = new LocalHttpServer(_ => Ok with { Delay = TimeSpan.FromSeconds(5) });

        var result = await Runner(requestTimeout: TimeSpan.FromMilliseconds(100)).RunProbeAsync(BaseOf(server), Probe(samples: 2));

        Assert.Equal(new Dictionary<string, int> { ["timeout after 100 ms"] = 2 }, result.Outcomes);
        Assert.Equal("api-ready: error rate 100.0 % (2 of 2: timeout after 100 ms ×2) exceeds 0.0 %", result.Reason);
    }

    [Fact]
    public async Task With_stop_when_failed_a_probe_stops_once_its_errors_exceed_what_it_may_have()
    {
        await using var server = new LocalHttpServer(_ => Broken);

        // 10 % of 20 samples allows 2 errors, so the third one decides.
        var result = await Runner(stopWhenFailed: true).RunProbeAsync(BaseOf(server), Probe("api-orders", samples: 20, maxErrorRate: 0.1));

        Assert.True(result.StoppedEarly);
        Assert.Equal(3, result.Samples.Count);
        Assert.Equal(3, server.Requests.Count);
        Assert.Equal(2, _time.Delays.Count);
        Assert.Equal(
            "api-orders: error rate 100.0 % (3 of 3: 500 ×3) exceeds 10.0 %; stopped after 3 of 20 samples: more than 2 errors can no longer pass",
            result.Reason);
    }

    [Fact]
    public async Task Cancelling_between_samples_ends_the_run_with_OperationCanceledException()
    {
        await using var server = new LocalHttpServer(_ => Ok);
        var runner = new SloProbeRunner(_http, TimeProvider.System);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => runner.RunAsync(BaseOf(server), [Probe(samples: 5, interval: "10s")], cancel.Token));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), clock.Elapsed.ToString());
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task Cancelling_during_a_request_ends_the_run_instead_of_counting_a_failed_sample()
    {
        await using var server = new LocalHttpServer(_ => Ok with { Delay = TimeSpan.FromSeconds(5) });
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => Runner().RunProbeAsync(BaseOf(server), Probe(samples: 3), cancel.Token));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), clock.Elapsed.ToString());
    }

    [Fact]
    public async Task The_report_fails_when_any_probe_fails_and_names_only_the_failures()
    {
        await using var server = new LocalHttpServer(r => r.PathAndQuery == "/api-orders" ? Broken : Ok);

        var report = await Runner().RunAsync(BaseOf(server), [Probe(samples: 2), Probe("api-orders", samples: 2)]);

        Assert.False(report.Passed);
        Assert.Equal([true, false], report.Results.Select(r => r.Passed));
        Assert.Equal(["api-orders: error rate 100.0 % (2 of 2: 500 ×2) exceeds 0.0 %"], report.FailureReasons);
    }

    [Fact]
    public void Percentiles_use_the_nearest_rank_over_every_sample_errors_included()
    {
        var samples = Enumerable.Range(1, 19).Select(ms => ProbeSample.Answered(200, TimeSpan.FromMilliseconds(ms)))
            .Append(ProbeSample.Failed("timeout after 2000 ms", TimeSpan.FromMilliseconds(2000)))
            .ToList();

        var result = new ProbeResult(Probe(samples: 20, p95: "19ms", maxErrorRate: 0.05), new Uri("http://127.0.0.1/api-ready"), samples);

        // Rank ceil(0.95 × 20) = 19: the 19 ms sample; the timeout is the 20th.
        Assert.Equal(TimeSpan.FromMilliseconds(19), result.P95);
        Assert.Equal(TimeSpan.FromMilliseconds(10), result.P50);
        Assert.Equal(TimeSpan.FromMilliseconds(2000), result.Max);
        Assert.True(result.Passed, result.Reason ?? string.Empty);
    }

    [Theory]
    [InlineData(0.0, 20, 0)]
    [InlineData(0.01, 20, 0)]
    [InlineData(0.05, 20, 1)]
    [InlineData(0.1, 20, 2)]
    [InlineData(0.1, 30, 3)]
    [InlineData(0.3, 10, 3)]
    [InlineData(1.0, 20, 20)]
    public void Allowed_errors_agree_with_the_error_rate_threshold(double maxErrorRate, int samples, int expected)
    {
        var probe = Probe(samples: samples, maxErrorRate: maxErrorRate);

        Assert.Equal(expected, ProbeResult.AllowedErrors(probe));
        Assert.True((double)expected / samples <= maxErrorRate);
    }

    [Theory]
    [InlineData("300ms", 2000)]
    [InlineData("500ms", 2000)]
    [InlineData("1s", 4000)]
    public void The_default_request_timeout_is_four_times_the_p95_threshold_and_at_least_two_seconds(string p95, int expectedMilliseconds)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMilliseconds), SloProbeRunner.DefaultRequestTimeout(Probe(p95: p95)));
    }

    [Fact]
    public void The_table_shows_each_probe_with_its_limits_and_then_the_reasons()
    {
        var baseUri = new Uri("http://127.0.0.1:8080");
        var ready = Probe(samples: 4, p95: "300ms", maxErrorRate: 0.01);
        var orders = Probe("api-orders", samples: 20, p95: "300ms", maxErrorRate: 0.1);
        var slow = Probe("api-search", samples: 3, p95: "300ms", minLatencySamples: 3);
        var extended = Probe("api-items", samples: 3, p95: "300ms");
        var report = new ProbeReport(
        [
            new ProbeResult(ready, SloProbeRunner.UrlOf(baseUri, ready), Answered(200, 3, 4, 5, 7)),
            new ProbeResult(orders, SloProbeRunner.UrlOf(baseUri, orders), [.. Answered(500, 2, 3), ProbeSample.Failed("timeout after 2000 ms", TimeSpan.FromSeconds(2))]),
            new ProbeResult(slow, SloProbeRunner.UrlOf(baseUri, slow), Answered(200, 280, 411.2, 350)),
            new ProbeResult(extended, SloProbeRunner.UrlOf(baseUri, extended), [.. Answered(200, 20, 480), .. Enumerable.Repeat(ProbeSample.Answered(200, TimeSpan.FromMilliseconds(30)), 18)]),
        ]);

        Snapshot.Match(report.RenderTable(), "slo-probe-table");
        Assert.Equal("No SLO probes configured for this environment.\n", new ProbeReport([]).RenderTable());
        Assert.DoesNotContain(" \n", report.RenderTable(), StringComparison.Ordinal);
    }

    private static List<ProbeSample> Answered(int status, params double[] milliseconds) =>
        [.. milliseconds.Select(ms => ProbeSample.Answered(status, TimeSpan.FromMilliseconds(ms)))];

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
