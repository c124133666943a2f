using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Slipway.Delivery.Compose;
using Slipway.IntegrationTests.Support;
using Slipway.Tests.Support;
using Xunit.Abstractions;

namespace Slipway.IntegrationTests;

/// <summary>
/// <c>security</c> applied at the real HAProxy of a real Compose stack: DeployStaging with <c>tls_mode: self_signed</c>,
/// the security headers and a small rate limit. A client that trusts only the authority Slipway generated is served over
/// HTTPS (curl with <c>--cacert</c> too; the system's trust store is not enough); plain HTTP is redirected; HSTS and the
/// standard headers are there; a burst from one client gets 429s while a client at another address is still served; the
/// services see the CORS origins and the limit as configuration. The deploy's SLO probes include a transaction (POST an
/// order, then poll it until the worker has processed it), which passes through the proxy over HTTPS on the real stack.
/// The stack and its state are removed whatever happens.
/// </summary>
[Collection(SharedDockerWorkspace.Name)]
public sealed class ComposeSecurityTests(DockerWorkspace workspace, ITestOutputHelper output) : IAsyncLifetime
{
    private const int RequestsPerSecond = 10;
    private const int Burst = 10;
    private const string CorsOrigins = "https://shop.itest.example,https://admin.itest.example";
    private readonly (int Http, int Https) _ports = StackProbe.TwoFreePorts();
    private string _originalStaging = string.Empty;

    private string Project => $"{workspace.Prefix}-secure";

    private string StagingFile => Path.Combine(workspace.Root, "environments", "staging.yml");

    private string State => Path.Combine(workspace.Root, ".slipway", "state", "staging");

    private string CaPath => ProxyCertificate.CaPathIn(State);

    private Uri HttpsUrl => new($"https://127.0.0.1:{_ports.Https.ToString(CultureInfo.InvariantCulture)}");

    public async Task InitializeAsync()
    {
        _originalStaging = await File.ReadAllTextAsync(StagingFile);
        await File.WriteAllTextAsync(StagingFile, StackEnvironment.Render(
            "staging served over HTTPS with a certificate Slipway generates, security headers and a small rate limit.",
            """
            trigger:
              on: branch
              pattern: main
            """,
            Project, workspace.Prefix, _ports.Http, faultMode: null, [("api-ready", "/health/ready")],
            ingressExtra: $"\n  host: localhost\n  https_port: {_ports.Https.ToString(CultureInfo.InvariantCulture)}",
            extraProbes: StackEnvironment.OrderProcessedProbe("60s"),
            extra: $"""
            security:
              tls_mode: self_signed
              headers: true
              cors_origins:
            {string.Concat(CorsOrigins.Split(',').Select(o => $"    - {o}\n"))}  rate_limit:
                requests_per_second: {RequestsPerSecond}
                burst: {Burst}

            """));
    }

    public async Task DisposeAsync()
    {
        try
        {
            HostProcess.Run("docker", ["compose", "--project-name", Project, "--file", Path.Combine(workspace.Root, "compose", "stack.yml"), "--profile", "migrate", "down", "--volumes", "--remove-orphans", "--timeout", "5"], null,
                ("DOCKER_HOST", workspace.DockerHost), ("API_IMAGE", "unused"), ("WORKER_IMAGE", "unused"), ("POSTGRES_PASSWORD", "unused"), ("PROXY_CONFIG", "/dev/null"));
        }
        catch (InvalidOperationException e)
        {
            output.WriteLine("teardown: " + e.Message);
        }

        // The other staging stories start from no state: leave none of this one (ledger, certificates, backups).
        await File.WriteAllTextAsync(StagingFile, _originalStaging);
        StackTeardown.RemoveState(workspace, "staging");
    }

    [Fact]
    public async Task Staging_is_served_over_https_with_the_generated_authority_redirects_http_sends_the_headers_and_limits_one_client()
    {
        var deploy = await workspace.RunHostAsync("--target", "DeployStaging", "--exclusive");
        Assert.True(deploy.ExitCode == 0, deploy.Out + deploy.Error);
        Assert.Contains($"staging is up: {HttpsUrl}", deploy.Out, StringComparison.Ordinal);
        Assert.Contains("generated a certificate authority for staging", deploy.Out, StringComparison.Ordinal);
        Assert.True(File.Exists(CaPath), $"{CaPath} was not generated");

        // 0. The transaction probe passed through the proxy over HTTPS: it created an order and saw the worker process it.
        Assert.Matches(@"(?m)^order-processed\s+https://127\.0\.0\.1:\d+/orders\s+1\s+0\s.*\bpass\b", deploy.Out);

        // 1. A client trusting only the generated authority is served over HTTPS, with HSTS and the standard headers.
        using (var trusting = TrustingOnlyTheGeneratedAuthority())
        {
            using var response = await trusting.GetAsync(new Uri(HttpsUrl, "/version"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("max-age=31536000", Header(response, "Strict-Transport-Security"));
            Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
            Assert.Equal("DENY", Header(response, "X-Frame-Options"));
            Assert.Equal("strict-origin-when-cross-origin", Header(response, "Referrer-Policy"));
            Assert.Equal("frame-ancestors 'none'", Header(response, "Content-Security-Policy"));

            var orders = await trusting.GetStringAsync(new Uri(HttpsUrl, "/orders?limit=20"));
            Assert.Matches(@"""item"":""slo-transaction-probe"",""quantity"":1,""status"":""processed""", orders);
        }

        // ... the system's trust store alone does not trust it (it is Slipway's own authority), and curl agrees with both.
        using (var systemTrust = new HttpClient { Timeout = TimeSpan.FromSeconds(10) })
        {
            var refused = await Assert.ThrowsAsync<HttpRequestException>(() => systemTrust.GetAsync(new Uri(HttpsUrl, "/version")));
            Assert.IsType<AuthenticationException>(refused.InnerException);
        }

        var curl = HostProcess.Run("curl", ["--silent", "--show-error", "--fail", "--cacert", CaPath, "--output", "/dev/null", "--write-out", "%{http_code} %{ssl_verify_result}", new Uri(HttpsUrl, "/health/ready").ToString()], null);
        Assert.Equal("200 0", curl.Trim());

        // 2. Plain HTTP is redirected to the same path over HTTPS.
        using (var plain = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(10) })
        {
            using var redirect = await plain.GetAsync(new Uri($"http://127.0.0.1:{_ports.Http.ToString(CultureInfo.InvariantCulture)}/orders?limit=1"));
            Assert.Equal(HttpStatusCode.MovedPermanently, redirect.StatusCode);
            Assert.Equal(new Uri(HttpsUrl, "/orders?limit=1"), redirect.Headers.Location);
        }

        // 3. The services see the CORS origins and the limit as configuration.
        foreach (var service in new[] { "api", "worker" })
        {
            var container = Container(service);
            Assert.Equal(CorsOrigins, workspace.Docker("exec", container, "printenv", ComposeOverride.CorsOriginsVariable).Trim());
            Assert.Equal(RequestsPerSecond.ToString(CultureInfo.InvariantCulture), workspace.Docker("exec", container, "printenv", ComposeOverride.RateLimitVariable).Trim());
            Assert.Equal(Burst.ToString(CultureInfo.InvariantCulture), workspace.Docker("exec", container, "printenv", ComposeOverride.RateLimitBurstVariable).Trim());
        }

        // 4. A burst from this host beyond the limit: some 429s, and never more served than the per-second bound allows
        // in the time the burst took. Bounded: 240 requests, 60 s.
        var (served, limited, other, elapsed) = await BurstAsync(requests: 240, parallel: 12, bound: TimeSpan.FromSeconds(60));
        output.WriteLine($"burst: {served} served, {limited} x 429, {other} other in {elapsed.TotalSeconds:0.0} s");
        Assert.Equal(0, other);
        Assert.True(limited > 0, $"none of {served} requests in {elapsed.TotalSeconds:0.0} s was limited");
        var ceiling = (RequestsPerSecond + Burst) * ((int)Math.Ceiling(elapsed.TotalSeconds) + 1);
        Assert.True(served <= ceiling, $"{served} requests served in {elapsed.TotalSeconds:0.0} s, more than {ceiling} that {RequestsPerSecond}/s + {Burst} allows");

        // ... while this host is still limited, a client at another address (a container on the stack's network, talking
        // to the proxy directly) is served. Every client on this host shares one address through Docker's userland proxy.
        using var again = TrustingOnlyTheGeneratedAuthority();
        var limitedStill = await StatusAsync(again, new Uri(HttpsUrl, "/health/ready"), CancellationToken.None);
        var otherClient = SecondClientStatus();
        output.WriteLine($"after the burst: this host {limitedStill}, a container on the stack's network {otherClient}");
        Assert.Equal(429, limitedStill);
        Assert.Equal("200", otherClient);

        // 5. A connection that sends no request (a browser's pre-connect, a client's spare pooled connection) is closed
        // after timeout http-request (10 s) with no answer: a 408 there is what a client that reuses the connection just
        // then takes for the answer to its request. Bounded: 30 s.
        using var idle = new System.Net.Sockets.TcpClient();
        await idle.ConnectAsync(IPAddress.Loopback, _ports.Http);
        var opened = Stopwatch.GetTimestamp();
        var buffer = new byte[256];
        using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        int read;
        try
        {
            read = await idle.GetStream().ReadAsync(buffer, bounded.Token);
        }
        catch (IOException)
        {
            read = 0; // closed with a reset: no answer either
        }

        var closedAfter = Stopwatch.GetElapsedTime(opened);
        output.WriteLine($"a connection with no request: closed after {closedAfter.TotalSeconds:0.0} s, {read} byte(s) answered");
        Assert.True(read == 0, $"the proxy answered a connection that sent no request: {System.Text.Encoding.ASCII.GetString(buffer, 0, read)}");
        Assert.True(closedAfter >= TimeSpan.FromSeconds(9), $"the proxy closed a connection with no request after {closedAfter.TotalSeconds:0.0} s, before timeout http-request");
    }

    /// <summary>Sends <paramref name="requests"/> GETs over HTTPS, <paramref name="parallel"/> at a time, stopping at <paramref name="bound"/>.</summary>
    private async Task<(int Served, int Limited, int Other, TimeSpan Elapsed)> BurstAsync(int requests, int parallel, TimeSpan bound)
    {
        using var client = TrustingOnlyTheGeneratedAuthority();
        using var deadline = new CancellationTokenSource(bound);
        var statuses = new System.Collections.Concurrent.ConcurrentBag<int>();
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, requests), new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = deadline.Token }, async (_, token) =>
            statuses.Add(await StatusAsync(client, new Uri(HttpsUrl, "/health/ready"), token)));
        watch.Stop();
        return (statuses.Count(s => s == 200), statuses.Count(s => s == 429), statuses.Count(s => s is not 200 and not 429), watch.Elapsed);
    }

    /// <summary>The status of a GET, or -1 when no answer came.</summary>
    private static async Task<int> StatusAsync(HttpClient client, Uri url, CancellationToken token)
    {
        try
        {
            using var response = await client.GetAsync(url, token);
            return (int)response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return -1;
        }
    }

    /// <summary>
    /// The status a one-off container on the stack's network gets from the proxy's HTTPS listener (socat with TLS, in the
    /// proxy's own image): a client whose address is not this host's.
    /// </summary>
    private string SecondClientStatus()
    {
        var network = $"{Project}_stack";
        var reply = workspace.Docker("run", "--rm", "--network", network, "--entrypoint", "sh", "haproxy:2.6", "-c",
            "printf 'GET /health/ready HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' | socat -t 10 - OPENSSL:proxy:8443,verify=0 | head -n 1");
        var parts = reply.Trim().Split(' ');
        return parts.Length >= 2 ? parts[1] : reply.Trim();
    }

    /// <summary>An HTTP client that trusts exactly the chains ending in the generated authority, with the name checked as usual.</summary>
    private HttpClient TrustingOnlyTheGeneratedAuthority()
    {
        using var authority = X509Certificate2.CreateFromPem(File.ReadAllText(CaPath));
        var authorityBytes = authority.RawData;
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
        {
            if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
            {
                return false;
            }

            using var root = X509CertificateLoader.LoadCertificate(authorityBytes);
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(root);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            using var server = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            return chain.Build(server);
        };
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values) ? string.Join(",", values) : null;

    private string Container(string service) =>
        workspace.Docker("ps", "--quiet", "--filter", $"label=com.docker.compose.project={Project}", "--filter", $"label=com.docker.compose.service={service}")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)[0];
}
