using System.ComponentModel.DataAnnotations;

namespace Slipway.Environments;

/// <summary>A progressive rollout: traffic shifts step by step while the SLO probes watch.</summary>
public sealed record CanaryPlan
{
    /// <summary>The steps, with strictly increasing weights; 100 % follows the last step.</summary>
    public required IReadOnlyList<CanaryStep> Steps { get; init; }

    /// <summary>How often the probes run during a step.</summary>
    public Duration AnalysisInterval { get; init; } = Duration.Parse("1m");

    /// <summary>Failed analyses tolerated before the canary aborts and rolls back.</summary>
    [Range(0, 100)]
    public int FailureLimit { get; init; } = 1;

    /// <summary>
    /// The highest share of the canary's own requests (as the proxy saw them in one analysis interval) that may fail:
    /// a 5xx status, or no answer at all.
    /// </summary>
    [Range(0.0, 1.0)]
    public double MaxErrorRate { get; init; } = 0.01;

    /// <summary>The highest 95th-percentile response time of the canary's own requests in one analysis interval.</summary>
    public Duration P95Latency { get; init; } = Duration.Parse("500ms");

    /// <summary>
    /// Fewer canary requests than this in an interval make its error rate and latency inconclusive: that interval is
    /// judged by the SLO probes alone, and says so.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MinRequests { get; init; } = 10;

    /// <summary>How many canary containers (or pods) run beside the stable ones.</summary>
    [Range(1, 4)]
    public int Replicas { get; init; } = 1;
}

/// <summary>One canary step.</summary>
public sealed record CanaryStep
{
    /// <summary>The percentage of traffic the new version receives.</summary>
    [Range(1, 100)]
    public required int Weight { get; init; }

    /// <summary>How long the step lasts before the next one.</summary>
    public required Duration Duration { get; init; }
}
