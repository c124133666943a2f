using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Slipway.Delivery.Compose;
using Slipway.Environments;
using Slipway.Processes;
using Slipway.Tests.Support;

namespace Slipway.Tests.Delivery.Compose;

/// <summary>
/// <c>security</c> applied on Compose: TLS, the redirect, the headers and the rate limit in the generated HAProxy
/// configuration; the generated certificate authority and server certificate (kept, issued again before expiry, trusted
/// alone); the proxy's overlay; the variables the services are handed.
/// </summary>
public sealed class ProxySecurityTests : IDisposable
{
    // Today: the chain check of the trust callback uses the real clock.
    private static readonly DateTimeOffset Now = new(DateTime.UtcNow.Date, TimeSpan.Zero);
    private readonly string _state = Path.Combine(Path.GetTempPath(), "slipway-tls-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(_state))
        {
            Directory.Delete(_state, recursive: true);
        }
    }

    [Fact]
    public void Staging_serves_https_redirects_http_adds_the_headers_and_limits_each_client()
    {
        var config = HaproxyConfiguration.Render(Sample("staging"));

        Assert.Contains("    bind *:8443 ssl crt /usr/local/etc/haproxy/tls/proxy.pem alpn http/1.1\n", config, StringComparison.Ordinal);
        Assert.Contains("    http-request redirect location https://%[req.hdr(host),field(1,:)]:8543%[capture.req.uri] code 301 unless { ssl_fc }\n", config, StringComparison.Ordinal);
        Assert.Contains("    http-response set-header Strict-Transport-Security \"max-age=31536000\" if { ssl_fc }\n", config, StringComparison.Ordinal);
        Assert.Contains("    http-response set-header X-Content-Type-Options nosniff\n", config, StringComparison.Ordinal);
        Assert.Contains("    http-response set-header X-Frame-Options DENY\n", config, StringComparison.Ordinal);
        Assert.Contains("    http-response set-header Referrer-Policy strict-origin-when-cross-origin\n", config, StringComparison.Ordinal);

        // 100/s with a burst of 200: 300 in any second, 1,200 in any ten.
        Assert.Contains("    http-request deny deny_status 429 if { sc_http_req_rate(0) gt 300 } || { sc_http_req_rate(1) gt 1200 }\n", config, StringComparison.Ordinal);
        Assert.Contains("backend rate_limit_second\n    stick-table type ipv6 size 100k expire 10s store http_req_rate(1s)\n", config, StringComparison.Ordinal);
        Assert.Contains("backend rate_limit_window\n    stick-table type ipv6 size 100k expire 30s store http_req_rate(10s)\n", config, StringComparison.Ordinal);

        // The redirect comes before the counting: a redirected request is not counted against the client.
        Assert.True(config.IndexOf("redirect location", StringComparison.Ordinal) < config.IndexOf("track-sc0", StringComparison.Ordinal));
    }

    [Fact]
    public void Dev_stays_plain_http_without_headers_but_keeps_the_base_rate_limit()
    {
        var config = HaproxyConfiguration.Render(Sample("dev"));

        Assert.DoesNotContain(" ssl ", config, StringComparison.Ordinal);
        Assert.DoesNotContain("redirect", config, StringComparison.Ordinal);
        Assert.DoesNotContain("set-header", config, StringComparison.Ordinal);
        Assert.Contains("if { sc_http_req_rate(0) gt 150 } || { sc_http_req_rate(1) gt 600 }", config, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_rate_limit_there_are_no_counters()
    {
        var staging = Sample("staging");

        var config = HaproxyConfiguration.Render(staging with { Security = staging.Security with { RateLimit = null } });

        Assert.DoesNotContain("track-sc", config, StringComparison.Ordinal);
        Assert.DoesNotContain("stick-table", config, StringComparison.Ordinal);
        Assert.DoesNotContain("429", config, StringComparison.Ordinal);
    }

    [Fact]
    public void The_generated_authority_and_certificate_are_kept_private_trusted_alone_and_issued_again_before_expiry()
    {
        string[] names = ["staging.slipway.example", "localhost", "127.0.0.1", "::1"];

        var first = ProxyCertificate.EnsureSelfSigned(_state, "staging", names, Now);

        Assert.Contains("generated a certificate authority", first, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", first, StringComparison.Ordinal);
        var pem = ProxyCertificate.ProxyPemPathIn(_state);
        var caKey = Path.Combine(Path.GetDirectoryName(pem)!, "ca.key");
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(caKey));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(pem));
        }

        Assert.Contains("PRIVATE KEY", File.ReadAllText(pem), StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", File.ReadAllText(ProxyCertificate.CaPathIn(_state)), StringComparison.Ordinal);
        Assert.Equal(Now.Add(ProxyCertificate.ServerValidity).UtcDateTime, ProxyCertificate.ExpiryIn(_state)!.Value.UtcDateTime, TimeSpan.FromSeconds(1));

        // Trusted through the generated authority only, for its names; another authority's certificate is refused.
        var trust = ProxyCertificate.TrustOnly(ProxyCertificate.CaPathIn(_state));
        using var served = X509Certificate2.CreateFromPem(File.ReadAllText(pem));
        Assert.True(trust(this, served, null, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.False(trust(this, served, null, SslPolicyErrors.RemoteCertificateNameMismatch));
        using var stranger = StrangerCertificate();
        Assert.False(trust(this, stranger, null, SslPolicyErrors.RemoteCertificateChainErrors));

        // The next deploy keeps both; 61 days later (29 left, under the 30-day margin) the server certificate is issued
        // again by the same authority.
        var kept = File.ReadAllText(pem);
        Assert.Contains("valid until", ProxyCertificate.EnsureSelfSigned(_state, "staging", names, Now.AddDays(1)), StringComparison.Ordinal);
        Assert.Equal(kept, File.ReadAllText(pem));
        var authority = File.ReadAllText(ProxyCertificate.CaPathIn(_state));
        var renewed = ProxyCertificate.EnsureSelfSigned(_state, "staging", names, Now.AddDays(61));
        Assert.StartsWith("issued the proxy's certificate", renewed, StringComparison.Ordinal);
        Assert.NotEqual(kept, File.ReadAllText(pem));
        Assert.Equal(authority, File.ReadAllText(ProxyCertificate.CaPathIn(_state)));
        Assert.Equal(Now.AddDays(61).Add(ProxyCertificate.ServerValidity).UtcDateTime, ProxyCertificate.ExpiryIn(_state)!.Value.UtcDateTime, TimeSpan.FromSeconds(1));

        // A new host name is a new certificate at once.
        ProxyCertificate.EnsureSelfSigned(_state, "staging", ["other.example", "127.0.0.1"], Now.AddDays(62));
        using var other = X509Certificate2.CreateFromPem(File.ReadAllText(pem));
        Assert.Equal("other.example", other.GetNameInfo(X509NameType.DnsName, false));

        // An authority near its end is replaced, and the server certificate with it.
        var late = Now.Add(ProxyCertificate.AuthorityValidity) - TimeSpan.FromDays(10);
        Assert.StartsWith("generated a certificate authority", ProxyCertificate.EnsureSelfSigned(_state, "staging", names, late), StringComparison.Ordinal);
        Assert.NotEqual(authority, File.ReadAllText(ProxyCertificate.CaPathIn(_state)));
    }

    [Fact]
    public void A_provided_certificate_that_is_not_pem_is_refused_without_showing_it()
    {
        var error = Assert.Throws<InvalidOperationException>(() => ProxyCertificate.WriteProvided(
            _state, "environments/prod.yml", new Secret("not-a-certificate-s3cr3t", "cert"), new Secret("not-a-key-s3cr3t", "key")));

        Assert.Contains("environments/prod.yml: security.tls_certificate and security.tls_key", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(ProxyCertificate.ProxyPemPathIn(_state)));
    }

    [Fact]
    public void A_provided_certificate_and_key_become_the_proxys_pem()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = new CertificateRequest("CN=slipway.example", key, HashAlgorithmName.SHA256).CreateSelfSigned(Now, Now.AddDays(365));

        var done = ProxyCertificate.WriteProvided(_state, "environments/prod.yml", new Secret(certificate.ExportCertificatePem(), "cert"), new Secret(key.ExportPkcs8PrivateKeyPem(), "key"));

        Assert.Contains($"valid until {Now.AddDays(365):yyyy-MM-dd}", done, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(ProxyCertificate.ProxyPemPathIn(_state)));
        }

        Assert.Equal(Now.AddDays(365).UtcDateTime, ProxyCertificate.ExpiryIn(_state)!.Value.UtcDateTime, TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void The_overlay_publishes_https_mounts_the_pem_for_the_proxys_group_and_hashes_the_configuration()
    {
        var staging = Sample("staging");
        var config = HaproxyConfiguration.Render(staging);

        var overlay = ProxyOverlay.Render(staging, config, "/state/proxy/tls/proxy.pem", "pem-1", readerGroup: 1234);

        Assert.Contains("  proxy:\n", overlay, StringComparison.Ordinal);
        Assert.Contains("      - \"127.0.0.1:8543:8443\"\n", overlay, StringComparison.Ordinal);
        Assert.Contains("      - \"/state/proxy/tls/proxy.pem:/usr/local/etc/haproxy/tls/proxy.pem:ro\"\n", overlay, StringComparison.Ordinal);
        Assert.Contains("    group_add:\n      - \"1234\"\n", overlay, StringComparison.Ordinal);
        Assert.NotEqual(overlay, ProxyOverlay.Render(staging, config, "/state/proxy/tls/proxy.pem", "pem-2", readerGroup: 1234));
        Assert.NotEqual(overlay, ProxyOverlay.Render(staging, config + "#", "/state/proxy/tls/proxy.pem", "pem-1", readerGroup: 1234));

        var dev = ProxyOverlay.Render(Sample("dev"), config, null, null, readerGroup: 1234);
        Assert.Contains(ProxyOverlay.ConfigurationLabel, dev, StringComparison.Ordinal);
        Assert.DoesNotContain("ports", dev, StringComparison.Ordinal);
        Assert.DoesNotContain("group_add", dev, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_service_is_told_the_cors_origins_and_the_rate_limit_unless_it_sets_them_itself()
    {
        var staging = Sample("staging");
        var secrets = SecretResolver.Create(new Dictionary<string, string>(), TestPaths.RepositoryRoot);

        var yaml = ComposeOverride.Render(staging, "1.0.0", secrets).Yaml;

        Assert.Contains("\"SLIPWAY_CORS_ORIGINS\": \"https://staging.slipway.example\"", yaml, StringComparison.Ordinal);
        Assert.Contains("\"SLIPWAY_RATE_LIMIT_REQUESTS_PER_SECOND\": \"100\"", yaml, StringComparison.Ordinal);
        Assert.Contains("\"SLIPWAY_RATE_LIMIT_BURST\": \"200\"", yaml, StringComparison.Ordinal);
        Assert.Equal(2, yaml.Split("SLIPWAY_CORS_ORIGINS").Length - 1);

        var own = staging with { Services = staging.Services.ToDictionary(s => s.Key, s => s.Value with { Env = new Dictionary<string, string>(s.Value.Env) { ["SLIPWAY_RATE_LIMIT_BURST"] = "7" } }) };
        Assert.Contains("\"SLIPWAY_RATE_LIMIT_BURST\": \"7\"", ComposeOverride.Render(own, "1.0.0", secrets).Yaml, StringComparison.Ordinal);
    }

    [Fact]
    public void Doctor_says_when_the_generated_certificate_expires_and_that_a_deploy_issues_it_again_when_due()
    {
        Assert.Equal("TLS of staging (self_signed): no certificate yet; DeployStaging generates one.",
            ProxyCertificate.Describe("staging", TlsMode.SelfSigned, _state, "DeployStaging", Now));

        ProxyCertificate.EnsureSelfSigned(_state, "staging", ["localhost"], Now);
        var expiry = Now.Add(ProxyCertificate.ServerValidity);
        var until = $"{expiry.UtcDateTime:yyyy-MM-dd HH:mm}Z";

        // The clock is injected: the same certificate, read at three moments.
        Assert.Equal($"TLS of staging (self_signed): the proxy's certificate is valid until {until} (89 days left); a deploy issues it again from {expiry.AddDays(-30).UtcDateTime:yyyy-MM-dd}.",
            ProxyCertificate.Describe("staging", TlsMode.SelfSigned, _state, "DeployStaging", Now.AddHours(12)));
        Assert.Equal($"TLS of staging (self_signed): the proxy's certificate expires at {until} (19 days left): the next DeployStaging issues it again.",
            ProxyCertificate.Describe("staging", TlsMode.SelfSigned, _state, "DeployStaging", Now.AddDays(70).AddHours(1)));
        Assert.Equal($"TLS of staging (self_signed): the proxy's certificate EXPIRED at {until}: run DeployStaging, which issues it again.",
            ProxyCertificate.Describe("staging", TlsMode.SelfSigned, _state, "DeployStaging", expiry));

        // A provided certificate is the owner's to renew.
        Assert.Equal($"TLS of edge (provided): the proxy's certificate expires at {until} (9 days left): renew the certificate behind security.tls_certificate and security.tls_key, then run a deploy of edge.",
            ProxyCertificate.Describe("edge", TlsMode.Provided, _state, "a deploy of edge", Now.AddDays(80).AddHours(1)));
    }

    [Fact]
    public void The_certificate_is_issued_again_by_the_deploy_that_comes_within_thirty_days_of_its_expiry_and_not_before()
    {
        string[] names = ["localhost", "127.0.0.1"];
        ProxyCertificate.EnsureSelfSigned(_state, "staging", names, Now);
        var first = ProxyCertificate.ExpiryIn(_state)!.Value;

        // One day before the renewal point: kept. At it: issued again, for another full validity from that day.
        ProxyCertificate.EnsureSelfSigned(_state, "staging", names, first - ProxyCertificate.RenewBefore - TimeSpan.FromDays(1));
        Assert.Equal(first, ProxyCertificate.ExpiryIn(_state));
        var due = first - ProxyCertificate.RenewBefore;
        Assert.StartsWith("issued the proxy's certificate", ProxyCertificate.EnsureSelfSigned(_state, "staging", names, due), StringComparison.Ordinal);
        Assert.Equal(due.Add(ProxyCertificate.ServerValidity).UtcDateTime, ProxyCertificate.ExpiryIn(_state)!.Value.UtcDateTime, TimeSpan.FromSeconds(1));
    }

    private static X509Certificate2 StrangerCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        return request.CreateSelfSigned(Now, Now.AddDays(30));
    }

    private static DeployEnvironment Sample(string name)
    {
        var result = new EnvironmentLoader(TestPaths.RepositoryRoot).Load("environments", name, new Dictionary<string, string>());
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        return result.Environment!;
    }
}
