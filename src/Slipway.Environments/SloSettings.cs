using System.ComponentModel.DataAnnotations;

namespace Slipway.Environments;

/// <summary>Service-level objective probes run after a rollout and during canary analysis.</summary>
public sealed record SloSettings
{
    /// <summary>When true, a failed probe fails the deploy and rolls it back.</summary>
    public bool GateDeploy { get; init; } = true;

    /// <summary>The probes.</summary>
    public IReadOnlyList<SloProbe> Probes { get; init; } = [];
}

/// <summary>One HTTP probe through the proxy.</summary>
public sealed record SloProbe
{
    /// <summary>A short name shown in reports (see <see cref="ResourceName"/>).</summary>
    [NameRule("probe")]
    public required string Name { get; init; }

    /// <summary>The HTTP path, e.g. <c>/health/ready</c>.</summary>
    [RegularExpression("^/.*$", ErrorMessage = "an HTTP path starting with /")]
    public required string Path { get; init; }

    /// <summary>The status every sample must answer with.</summary>
    [Range(100, 599)]
    public int ExpectedStatus { get; init; } = 200;

    /// <summary>How many requests one probe run sends.</summary>
    [Range(1, 10_000)]
    public int Samples { get; init; } = 20;

    /// <summary>The pause between samples.</summary>
    public Duration Interval { get; init; } = Duration.Parse("1s");

    /// <summary>The 95th-percentile latency the samples must stay under.</summary>
    public required Duration P95Latency { get; init; }

    /// <summary>The largest tolerated fraction of failed samples, from 0 to 1.</summary>
    [Range(0.0, 1.0)]
    public double MaxErrorRate { get; init; }

    /// <summary>
    /// Whether the probe is also sent straight to each new container (a GET, bypassing the proxy) before the container
    /// takes any user request; false for a probe that must only go through the proxy. Default true.
    /// </summary>
    public bool Direct { get; init; } = true;
}
