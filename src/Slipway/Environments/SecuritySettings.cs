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
}

/// <summary>A token-bucket rate limit per client address.</summary>
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
}
