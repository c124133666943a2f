using Slipway.Tools.Haproxy;

namespace Slipway.Tests.Tools;

/// <summary>HAProxy's default HTTP log lines (option httplog, log stdout format raw), as the canary analysis reads them.</summary>
public sealed class HaproxyLogTests
{
    /// <summary>What <c>docker logs</c> of the proxy prints: notices, request logs, a retried connection, a 503 without a server.</summary>
    private const string Logs = """
        [NOTICE]   (1) : New worker (8) forked
        [NOTICE]   (1) : Loading success.
        [WARNING]  (8) : Server app/canary1 is UP, reason: Layer7 check passed, code: 200, check duration: 3ms.
        172.21.0.1:51234 [22/Nov/2026:18:20:01.123] web app/api1 0/0/0/12/12 200 245 - - ---- 3/3/0/0/0 0/0 "GET /orders?limit=1 HTTP/1.1"
        172.21.0.1:51236 [22/Nov/2026:18:20:01.130] web app/canary1 0/0/1/1503/1504 200 245 - - ---- 3/3/1/1/0 0/0 "GET /orders?limit=1 HTTP/1.1"
        172.21.0.1:51238 [22/Nov/2026:18:20:01.140] web app/canary1 0/0/0/4/4 500 120 - - ---- 3/3/0/0/0 0/0 "GET /orders?limit=1 HTTP/1.1"
        172.21.0.1:51240 [22/Nov/2026:18:20:01.150] web app/api2 0/0/-1/-1/3002 503 217 - - SC-- 3/3/0/0/3 0/0 "GET /orders HTTP/1.1"
        172.21.0.1:51242 [22/Nov/2026:18:20:01.160] web app/<NOSRV> 0/-1/-1/-1/0 503 217 - - SC-- 3/3/0/0/0 0/0 "GET / HTTP/1.1"
        """;

    [Fact]
    public void Request_lines_give_backend_server_status_and_the_server_response_time_and_other_lines_are_skipped()
    {
        var requests = HaproxyLogRequest.ParseAll(Logs);

        Assert.Equal(
            [
                new HaproxyLogRequest("app", "api1", 200, TimeSpan.FromMilliseconds(12)),
                new HaproxyLogRequest("app", "canary1", 200, TimeSpan.FromMilliseconds(1503)),
                new HaproxyLogRequest("app", "canary1", 500, TimeSpan.FromMilliseconds(4)),
                new HaproxyLogRequest("app", "api2", 503, null),
                new HaproxyLogRequest("app", "<NOSRV>", 503, null),
            ],
            requests);
        Assert.Equal([false, false, true, true, true], requests.Select(r => r.Failed));
    }

    [Theory]
    [InlineData("")]
    [InlineData("[ALERT]    (1) : config : parsing [/usr/local/etc/haproxy/haproxy.cfg:70]")]
    [InlineData("172.21.0.1:51234 [22/Nov/2026:18:20:01.123] web app/api1 0/0/0/12/12")]
    public void Lines_that_are_not_request_logs_are_skipped(string line) => Assert.False(HaproxyLogRequest.TryParse(line, out _));

    [Fact]
    public void The_stats_page_is_logged_under_its_own_backend_so_the_analysis_leaves_it_out()
    {
        Assert.True(HaproxyLogRequest.TryParse("172.21.0.1:51234 [22/Nov/2026:18:20:01.123] stats stats/<STATS> 0/0/0/0/0 200 1200 - - LR-- 1/1/0/0/0 0/0 \"GET /stats HTTP/1.1\"", out var request));
        Assert.Equal("stats", request.Backend);
    }

    [Fact]
    public void Weights_are_set_per_server_and_reset_relative_to_the_configured_weight()
    {
        Assert.Equal("set server app/canary1 weight 57\n", HaproxyRuntimeApi.SetWeight("app", "canary1", 57));
        Assert.Equal("set server app/api1 weight 100%\n", HaproxyRuntimeApi.ResetWeight("app", "api1"));
        Assert.Throws<ArgumentOutOfRangeException>(() => HaproxyRuntimeApi.SetWeight("app", "api1", 257));
        Assert.Throws<ArgumentException>(() => HaproxyRuntimeApi.SetWeight("app", "api1; shutdown sessions", 1));
    }
}
