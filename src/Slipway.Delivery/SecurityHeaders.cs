using Slipway.Environments;

namespace Slipway.Delivery;

/// <summary>
/// The standard response headers a router adds when <c>security.headers</c> is on, the same on Compose (HAProxy) and
/// Kubernetes (the chart's Ingress or HTTPRoute): no MIME sniffing, no framing, a strict referrer policy, a
/// frame-ancestors policy, and HSTS over HTTPS only.
/// </summary>
public static class SecurityHeaders
{
    /// <summary>The Content-Security-Policy header, which HAProxy adds only when the service sets none.</summary>
    public const string ContentSecurityPolicy = "Content-Security-Policy";

    /// <summary>The Strict-Transport-Security header, sent over HTTPS only.</summary>
    public const string StrictTransportSecurity = "Strict-Transport-Security";

    /// <summary>The Strict-Transport-Security max-age: one year.</summary>
    public const int HstsMaxAgeSeconds = 31_536_000;

    /// <summary>The headers for <paramref name="security"/>, in a fixed order; none when <c>security.headers</c> is off.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> For(SecuritySettings security)
    {
        ArgumentNullException.ThrowIfNull(security);
        if (!security.Headers)
        {
            return [];
        }

        List<KeyValuePair<string, string>> headers =
        [
            new("X-Content-Type-Options", "nosniff"),
            new("X-Frame-Options", "DENY"),
            new("Referrer-Policy", "strict-origin-when-cross-origin"),
            new(ContentSecurityPolicy, "frame-ancestors 'none'"),
        ];
        if (security.TlsMode != TlsMode.Off)
        {
            headers.Add(new(StrictTransportSecurity, $"max-age={HstsMaxAgeSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}"));
        }

        return headers;
    }
}
