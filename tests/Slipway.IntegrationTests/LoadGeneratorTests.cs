using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Slipway.IntegrationTests.Support;
using Slipway.Tests.Tools;

namespace Slipway.IntegrationTests;

/// <summary>
/// The load generator against a loopback server: fixed rate without waiting for answers, its caps, the in-flight
/// bound and the failure summary. These tests need no Docker engine.
/// </summary>
public sealed class LoadGeneratorTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(10);

    private static Uri TargetOf(LocalHttpServer server) => new($"http://{server.Host}/health/ready");

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < Generous, "timed out waiting for the load generator");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task It_sends_at_its_rate_without_waiting_for_answers_and_stops_at_its_request_cap()
    {
        await using var server = new LocalHttpServer(_ => new CannedResponse(200, Delay: TimeSpan.FromMilliseconds(1500)));
        await using var load = new LoadGenerator(TargetOf(server), requestsPerSecond: 50, maxRequests: 10, maxDuration: Generous);

        load.Start();

        // Waiting for each 1.5 s answer before sending the next request would take over 13 s.
        await WaitUntilAsync(() => server.Requests.Count == 10);
        var summary = await load.StopAsync();

        Assert.True((summary.Sent, summary.Succeeded, summary.Failed) == (10, 10, 0), summary.ToString());
        Assert.Equal(10, server.Requests.Count);
        Assert.All(server.Requests, r => Assert.Equal("/health/ready", r.PathAndQuery));
        Assert.InRange(summary.AchievedRate, 1, 60);
        Assert.Null(summary.FirstFailure);
    }

    [Fact]
    public async Task Nothing_is_sent_once_the_duration_cap_is_reached()
    {
        await using var server = new LocalHttpServer(_ => new CannedResponse(200));
        await using var load = new LoadGenerator(TargetOf(server), requestsPerSecond: 20, maxRequests: 1000, maxDuration: TimeSpan.FromMilliseconds(250));

        load.Start();
        await Task.Delay(700);
        var summary = await load.StopAsync();

        // Requests are due at 0, 50, ... 200 ms; the one at 250 ms is already past the cap. A busy machine may
        // send fewer (a tick found late past the cap is dropped), never more.
        Assert.True(summary.Sent + summary.Skipped <= 5, summary.ToString());
        Assert.Equal(summary.Sent, server.Requests.Count);
    }

    [Fact]
    public async Task Failures_are_counted_by_status_with_the_times_they_were_sent()
    {
        var count = 0;
        await using var server = new LocalHttpServer(_ => Interlocked.Increment(ref count) is >= 3 and <= 5 ? new CannedResponse(503) : new CannedResponse(200));
        await using var load = new LoadGenerator(TargetOf(server), requestsPerSecond: 20, maxRequests: 8, maxDuration: Generous);

        load.Start();
        await WaitUntilAsync(() => load.Sent == 8);
        var summary = await load.StopAsync();

        Assert.True((summary.Sent, summary.Succeeded, summary.Failed) == (8, 5, 3), summary.ToString());
        Assert.Equal(new Dictionary<string, int> { ["HTTP 503"] = 3 }, summary.Failures);
        Assert.NotNull(summary.FirstFailure);
        Assert.True(summary.FirstFailure < summary.LastFailure, summary.ToString());
        Assert.Same(await load.StopAsync(), summary);
    }

    [Fact]
    public async Task Requests_beyond_the_in_flight_bound_are_skipped_and_slow_ones_time_out()
    {
        await using var server = new LocalHttpServer(_ => new CannedResponse(200, Delay: TimeSpan.FromSeconds(10)));
        await using var load = new LoadGenerator(
            TargetOf(server), requestsPerSecond: 100, maxRequests: 50, maxDuration: Generous, requestTimeout: TimeSpan.FromSeconds(2), maxInFlight: 2);

        load.Start();
        await WaitUntilAsync(() => load.Skipped >= 3);
        var summary = await load.StopAsync();

        // Both slots stay taken until the 2 s timeouts, well after the third skipped tick.
        Assert.True((summary.Sent, summary.Failed) == (2, 2), summary.ToString());
        Assert.True(summary.Skipped >= 3, summary.ToString());
        Assert.Equal(new Dictionary<string, int> { ["timeout after 2000 ms"] = 2 }, summary.Failures);
    }

    [Fact]
    public async Task A_refused_connection_is_a_failure_with_its_message()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        await using var load = new LoadGenerator(new Uri($"http://127.0.0.1:{port}/"), requestsPerSecond: 50, maxRequests: 3, maxDuration: Generous);
        load.Start();
        await WaitUntilAsync(() => load.Sent == 3);
        var summary = await load.StopAsync();

        Assert.Equal(3, summary.Failed);
        var failure = Assert.Single(summary.Failures);
        Assert.StartsWith("HttpRequestException: ", failure.Key, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tagged_load_names_each_request_and_the_proxy_log_clears_only_timeouts_it_answered_in_time()
    {
        // Requests 0 and 1 time out at the client; 2 answers 503. The proxy's log (HAProxy's httplog lines, as the stack's
        // proxy writes them) says 0 was answered 200 in 120 ms, 1 took 2.5 s (Ta) and 2 was a 503.
        await using var server = new LocalHttpServer(r => r.PathAndQuery.EndsWith("lg=2", StringComparison.Ordinal)
            ? new CannedResponse(503)
            : new CannedResponse(200, Delay: TimeSpan.FromSeconds(10)));
        await using var load = new LoadGenerator(TargetOf(server), requestsPerSecond: 50, maxRequests: 3, maxDuration: Generous, requestTimeout: TimeSpan.FromSeconds(2), tagged: true);
        load.Start();
        await WaitUntilAsync(() => load.Sent == 3);
        var summary = await load.StopAsync();

        Assert.Equal(["/health/ready?lg=0", "/health/ready?lg=1", "/health/ready?lg=2"], server.Requests.Select(r => r.PathAndQuery).Order(StringComparer.Ordinal));
        Assert.Equal([(0L, "timeout after 2000 ms"), (1L, "timeout after 2000 ms"), (2L, "HTTP 503")], summary.FailedRequests.Select(f => (f.Tag, f.Cause)));
        var log = ProxyExposure.Parse("""
            172.18.0.1:40100 [03/Dec/2026:15:01:02.100] web api/api1 0/0/0/120/120 200 310 - - ---- 3/3/0/0/0 0/0 "GET /health/ready?lg=0 HTTP/1.1"
            172.18.0.1:40102 [03/Dec/2026:15:01:02.120] web api/api2 0/0/0/2500/2500 200 310 - - ---- 3/3/0/0/0 0/0 "GET /health/ready?lg=1 HTTP/1.1"
            172.18.0.1:40104 [03/Dec/2026:15:01:02.140] web api/api1 0/0/0/3/3 503 120 - - ---- 3/3/0/0/0 0/0 "GET /health/ready?lg=2 HTTP/1.1"
            """);
        Assert.Equal([0L, 1L, 2L], log.Select(r => r.Tag));
        Assert.Equal(TimeSpan.FromMilliseconds(2500), log[1].Active);

        var verdict = ProxyVerdict.Of(summary, log);
        Assert.Equal(2, verdict.Failed);
        Assert.Equal(new Dictionary<string, int> { ["HTTP 503"] = 1, ["timeout after 2000 ms"] = 1 }, verdict.Failures);
        Assert.Equal(1, verdict.ClientStarved);

        // Without the proxy's word every failure stays one.
        Assert.Equal(3, ProxyVerdict.Of(summary, []).Failed);
    }

    [Theory]
    [InlineData("http://example.com/")]
    [InlineData("http://10.0.0.5:8080/")]
    [InlineData("ftp://127.0.0.1/")]
    public void Only_loopback_http_targets_are_accepted(string target)
    {
        var error = Assert.Throws<ArgumentException>(() => new LoadGenerator(new Uri(target), 25, 10, TimeSpan.FromSeconds(1)));

        Assert.Contains("loopback", error.Message, StringComparison.Ordinal);
    }
}
