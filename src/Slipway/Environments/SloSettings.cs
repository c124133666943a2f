using System.Collections.Immutable;
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
    /// <summary>A short name shown in reports.</summary>
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
}

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

/// <summary>The Terraform stack behind an environment.</summary>
public sealed record InfraSettings
{
    /// <summary>The stack directory, e.g. <c>infra/production</c>.</summary>
    public required string Stack { get; init; }

    /// <summary><c>-var-file</c> arguments, relative to the stack.</summary>
    public IReadOnlyList<string> VarFiles { get; init; } = [];

    /// <summary><c>-backend-config</c> key/value pairs.</summary>
    public IReadOnlyDictionary<string, string> Backend { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>When false, a plan that destroys anything is refused.</summary>
    public bool AllowDestroy { get; init; }
}

/// <summary>Rollout timeouts and rollback behaviour.</summary>
public sealed record RolloutSettings
{
    /// <summary>How long the whole rollout may take.</summary>
    public Duration Timeout { get; init; } = Duration.Parse("10m");

    /// <summary>How long a new instance has to become healthy.</summary>
    public Duration HealthTimeout { get; init; } = Duration.Parse("2m");

    /// <summary>Roll back to the last good release when the rollout fails.</summary>
    public bool RollbackOnFailure { get; init; } = true;
}
