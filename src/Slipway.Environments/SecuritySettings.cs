using System.ComponentModel.DataAnnotations;

namespace Slipway.Environments;

/// <summary>How the proxy terminates TLS.</summary>
public enum TlsMode
{
    /// <summary>Plain HTTP; for local development only.</summary>
    Off,

    /// <summary>A certificate generated at deploy time; for throwaway environments.</summary>
    SelfSigned,

    /// <summary>The certificate and key named by <see cref="SecuritySettings.TlsCertificate"/> and <see cref="SecuritySettings.TlsKey"/>.</summary>
    Provided,
}

/// <summary>Edge security applied by the reverse proxy and the API.</summary>
public sealed record SecuritySettings
{
    /// <summary>How TLS is terminated.</summary>
    public TlsMode TlsMode { get; init; } = TlsMode.Off;

    /// <summary>The certificate chain (PEM), when <see cref="TlsMode"/> is <c>provided</c>.</summary>
    public SecretReference? TlsCertificate { get; init; }

    /// <summary>The private key (PEM), when <see cref="TlsMode"/> is <c>provided</c>.</summary>
    public SecretReference? TlsKey { get; init; }

    /// <summary>Origins allowed by CORS, e.g. <c>https://app.example.com</c>.</summary>
    public IReadOnlyList<string> CorsOrigins { get; init; } = [];

    /// <summary>Per-client rate limit at the proxy; absent means none.</summary>
    public RateLimit? RateLimit { get; init; }

    /// <summary>
    /// Whether the proxy adds the standard security headers to every response (X-Content-Type-Options, X-Frame-Options,
    /// Referrer-Policy, a frame-ancestors policy when the service sets none, and HSTS over HTTPS); on by default, off for
    /// local development.
    /// </summary>
    public bool Headers { get; init; } = true;

    /// <summary>
    /// The shortest secret a production deploy accepts (checked before anything deploys, with empty values and
    /// well-known defaults such as <c>changeme</c>).
    /// </summary>
    [Range(1, 4096)]
    public int MinSecretLength { get; init; } = 16;
}

/// <summary>
/// A rate limit per client address, enforced by the Compose proxy with two sliding windows: at most
/// <see cref="RequestsPerSecond"/> + <see cref="Burst"/> requests in any second, and at most ten times
/// <see cref="RequestsPerSecond"/> + <see cref="Burst"/> in any ten seconds; beyond either, 429.
/// </summary>
public sealed record RateLimit
{
    /// <summary>Sustained requests per second.</summary>
    [Range(1, 1_000_000)]
    public required int RequestsPerSecond { get; init; }

    /// <summary>Extra requests allowed in a burst.</summary>
    [Range(0, 1_000_000)]
    public int Burst { get; init; }
}

/// <summary>The reverse proxy (HAProxy) in front of the services.</summary>
public sealed record IngressSettings
{
    /// <summary>The public host name, e.g. <c>staging.slipway.example</c>.</summary>
    public required string Host { get; init; }

    /// <summary>The port the proxy publishes for HTTP.</summary>
    [Range(1, 65535)]
    public int HttpPort { get; init; } = 80;

    /// <summary>The port the proxy publishes for HTTPS, when TLS is on.</summary>
    [Range(1, 65535)]
    public int HttpsPort { get; init; } = 443;

    /// <summary>The service that receives traffic.</summary>
    public required string Backend { get; init; }

    /// <summary>
    /// On Kubernetes, what routes traffic to <see cref="Backend"/> and splits it during a canary: a Gateway API
    /// HTTPRoute (the default) or ingress-nginx's canary Ingress. Compose environments ignore it.
    /// </summary>
    public IngressRouter Router { get; init; } = IngressRouter.Gateway;

    /// <summary>The Gateway the HTTPRoute attaches to; needed when a Helm environment routes with <c>gateway</c>.</summary>
    public GatewayReference? Gateway { get; init; }
}

/// <summary>What routes traffic on Kubernetes.</summary>
public enum IngressRouter
{
    /// <summary>A Gateway API HTTPRoute (gateway.networking.k8s.io/v1) with weighted backends.</summary>
    Gateway,

    /// <summary>A networking.k8s.io/v1 Ingress for ingress-nginx; a canary gets a second Ingress with its canary-weight annotation.</summary>
    IngressNginx,
}

/// <summary>A Gateway API Gateway, by name and namespace.</summary>
public sealed record GatewayReference
{
    /// <summary>The Gateway's name.</summary>
    [RegularExpression("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", ErrorMessage = "a Kubernetes object name")]
    public required string Name { get; init; }

    /// <summary>The Gateway's namespace; absent means the release's namespace.</summary>
    [RegularExpression("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", ErrorMessage = "a Kubernetes namespace (a DNS label)")]
    public string? Namespace { get; init; }
}
