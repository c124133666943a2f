namespace Slipway.Environments;

/// <summary>How a release replaces the running one.</summary>
public enum RolloutStrategy
{
    /// <summary>Instance by instance: a new one ready before an old one goes.</summary>
    Rolling,

    /// <summary>The full new set beside the old, checked before traffic, then all traffic at once; the old set kept warm until the new one passed its probes.</summary>
    BlueGreen,
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

    /// <summary><c>rolling</c> (default) or <c>blue_green</c>: on Helm, the chart's second track and a Service/HTTPRoute switch.</summary>
    public RolloutStrategy Strategy { get; init; } = RolloutStrategy.Rolling;
}
