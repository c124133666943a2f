using Slipway.Delivery.Probes;
using Slipway.Environments;
using Slipway.Processes;
using Slipway.Tests.Support;
using Slipway.Tests.Tools;

namespace Slipway.Tests.Delivery;

/// <summary>
/// Transaction probes against a recording loopback server: the request's method, headers (a secret one masked in every
/// report) and body; the follow-up polled with a value from the first answer until a JSON field has its value, within
/// the deadline on an injected clock; which probes the checks before traffic send straight to new containers.
/// </summary>
public sealed class ProbeTransactionTests : IDisposable
{
    private const string Token = "Bearer s3cr3t-probe-token-value";
    private readonly HttpClient _http = new();

    public void Dispose() => _http.Dispose();

    private static SloProbe OrderProbe(string within = "60s", int samples = 1) => new()
    {
        Name = "order-processed",
        Path = "/orders",
        ExpectedStatus = 201,
        Samples = samples,
        P95Latency = Duration.Parse("60s"),
        Request = new ProbeRequest
        {
            Method = "POST",
            Headers = new Dictionary<string, string> { ["Accept"] = "application/json" },
            SecretHeaders = new Dictionary<string, SecretReference> { ["Authorization"] = new SecretReference("env", "PROBE_TOKEN", "staging") },
            Body = """{"item":"slo-probe","quantity":1}""",
        },
        FollowUp = new ProbeFollowUp
        {
            Path = "/orders/{id}",
            Field = "status",
            Value = "processed",
            Within = Duration.Parse(within),
            Interval = Duration.Parse("500ms"),
        },
    };

    private static Secret Resolve(SecretReference reference) =>
        reference.Path == "PROBE_TOKEN" ? new Secret(Token, "PROBE_TOKEN") : throw new InvalidOperationException(reference.ToString());

    /// <summary>An order API: POST creates order 42 (pending); GET /orders/42 says processed from the <paramref name="processedAfter"/>th poll on.</summary>
    private static Func<ReceivedRequest, CannedResponse> Orders(int processedAfter)
    {
        var polls = 0;
        return request => (request.Method, request.PathAndQuery) switch
        {
            ("POST", "/orders") => new CannedResponse(201, """{"id":"42","status":"pending"}""", "application/json"),
            ("GET", "/orders/42") => new CannedResponse(200, Interlocked.Increment(ref polls) >= processedAfter ? """{"id":"42","status":"processed"}""" : """{"id":"42","status":"pending"}""", "application/json"),
            _ => new CannedResponse(404),
        };
    }

    [Fact]
    public async Task A_transaction_posts_with_its_headers_and_body_then_polls_until_the_order_is_processed()
    {
        await using var server = new LocalHttpServer(Orders(processedAfter: 3));
        var time = new InstantDelays(frozen: true);

        var report = await new SloProbeRunner(_http, time) { Secrets = Resolve }.RunAsync(new Uri($"http://{server.Host}"), [OrderProbe()]);

        Assert.True(report.Passed, report.RenderTable());
        var post = server.Requests[0];
        Assert.Equal(("POST", "/orders", Token, "application/json"), (post.Method, post.PathAndQuery, post.Authorization, post.Accept));
        Assert.Equal("""{"item":"slo-probe","quantity":1}""", post.Body);
        Assert.Equal(["GET /orders/42", "GET /orders/42", "GET /orders/42"], server.Requests.Skip(1).Select(r => $"{r.Method} {r.PathAndQuery}"));
        // Two pauses of the follow-up's interval between three polls, on the injected clock.
        Assert.Equal([TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(500)], time.Delays);
        Assert.Equal(new Dictionary<string, int> { ["201"] = 1 }, Assert.Single(report.Results).Outcomes);
        Assert.DoesNotContain("s3cr3t", report.RenderTable(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_order_that_is_never_processed_fails_at_the_deadline_with_the_last_value_and_no_secret()
    {
        await using var server = new LocalHttpServer(Orders(processedAfter: int.MaxValue));
        var time = new InstantDelays(frozen: true);

        var report = await new SloProbeRunner(_http, time) { Secrets = Resolve }.RunAsync(new Uri($"http://{server.Host}"), [OrderProbe(within: "5s")]);

        Assert.False(report.Passed);
        var reason = Assert.Single(report.FailureReasons);
        Assert.Contains("GET /orders/42: status did not become 'processed' within 5s (last status: 'pending')", reason, StringComparison.Ordinal);
        // Polled every 500 ms until 5 s had passed on the clock: ten pauses, bounded, not a hang.
        Assert.Equal(10, time.Delays.Count);
        Assert.InRange(server.Requests.Count(r => r.Method == "GET"), 10, 11);
        Assert.DoesNotContain("s3cr3t", reason + report.RenderTable(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_first_answer_with_the_wrong_status_is_an_error_and_nothing_is_polled()
    {
        await using var server = new LocalHttpServer(_ => new CannedResponse(503, "down"));

        var report = await new SloProbeRunner(_http, new InstantDelays()) { Secrets = Resolve }.RunAsync(new Uri($"http://{server.Host}"), [OrderProbe()]);

        Assert.False(report.Passed);
        Assert.Equal(new Dictionary<string, int> { ["503"] = 1 }, Assert.Single(report.Results).Outcomes);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task A_first_answer_without_the_placeholders_field_says_which_field_is_missing()
    {
        await using var server = new LocalHttpServer(_ => new CannedResponse(201, """{"orderId":"42"}""", "application/json"));

        var report = await new SloProbeRunner(_http, new InstantDelays()) { Secrets = Resolve }.RunAsync(new Uri($"http://{server.Host}"), [OrderProbe()]);

        Assert.Contains("the first answer has no JSON field id for the follow-up /orders/{id}", Assert.Single(report.FailureReasons), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"status":"processed"}""", "status", "processed")]
    [InlineData("""{"Status":"processed"}""", "status", "processed")]
    [InlineData("""{"job":{"progress":100}}""", "job.progress", "100")]
    [InlineData("""{"done":true}""", "done", "true")]
    [InlineData("""{"status":"pending"}""", "missing", null)]
    [InlineData("not json", "status", null)]
    public void Fields_are_read_as_text_dotted_for_nested_ones(string json, string field, string? expected) =>
        Assert.Equal(expected, ProbeTransaction.FieldOf(json, field));

    [Fact]
    public void Placeholders_are_filled_url_escaped_from_the_first_answer() =>
        Assert.Equal(("/jobs/a%2Fb/progress", null), ProbeTransaction.FollowUpPath("/jobs/{job.id}/progress", """{"job":{"id":"a/b"}}"""));

    [Fact]
    public void Probes_that_change_something_stay_out_of_the_direct_checks_unless_asked()
    {
        var get = OrderProbe() with { Request = null, FollowUp = null };
        var post = OrderProbe();

        Assert.True(get.SendsDirect);
        Assert.False(post.SendsDirect);
        Assert.False((get with { Request = new ProbeRequest { Method = "DELETE" } }).SendsDirect);
        Assert.True((get with { Request = new ProbeRequest { Headers = new Dictionary<string, string> { ["Accept"] = "text/plain" } } }).SendsDirect);
        Assert.False((get with { Direct = false }).SendsDirect);
    }
}
