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

    /// <summary>
    /// The fewest samples a latency failure may rest on. Below 20 samples the nearest-rank p95 is the slowest sample, so
    /// one slow request on a busy host would fail the deploy: a run planned with fewer samples that finds its p95 over
    /// <see cref="P95Latency"/> takes more, up to this many, and is judged over all of them. A pass needs none (under 20
    /// samples it means every sample met the threshold). Default 20, the fewest at which one slow sample is tolerated;
    /// 1 judges the planned samples alone.
    /// </summary>
    [Range(1, 10_000)]
    public int MinLatencySamples { get; init; } = 20;

    /// <summary>
    /// Requests sent just before the samples whose answers are not judged: a release that has just taken traffic
    /// answers its first requests through the proxy several times slower than the rest (new connections, empty pools,
    /// code not yet compiled), which measures its start rather than its service level. Default 0; only for a probe
    /// that changes nothing (no other method than GET or HEAD, no <see cref="FollowUp"/>).
    /// </summary>
    [Range(0, 100)]
    public int Warmup { get; init; }

    /// <summary>The largest tolerated fraction of failed samples, from 0 to 1.</summary>
    [Range(0.0, 1.0)]
    public double MaxErrorRate { get; init; }

    /// <summary>
    /// Whether the probe is also sent straight to each new container (bypassing the proxy) before the container takes
    /// any user request; false for a probe that must only go through the proxy. Unset: true for a plain GET, false for
    /// a probe that changes something (a <see cref="Request"/> with another method, or a <see cref="FollowUp"/>), which
    /// then runs through the proxy only (see <see cref="SendsDirect"/>).
    /// </summary>
    public bool? Direct { get; init; }

    /// <summary>The request, when the probe is not a plain GET of <see cref="Path"/>: method, headers, body.</summary>
    public ProbeRequest? Request { get; init; }

    /// <summary>A transaction's second half: poll a URL made from the first response until a JSON field has a value.</summary>
    public ProbeFollowUp? FollowUp { get; init; }

    /// <summary>Whether the checks before traffic send this probe straight to new containers (<see cref="Direct"/>, else its default).</summary>
    public bool SendsDirect => Direct ?? ((Request?.IsSafe ?? true) && FollowUp is null);
}
