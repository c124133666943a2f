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
