namespace Slipway.Environments;

/// <summary>Rollout timeouts and rollback behaviour.</summary>
public sealed record RolloutSettings
{
    /// <summary>How long the whole rollout may take.</summary>
    public Duration Timeout { get; init; } = Duration.Parse("10m");

    /// <summary>How long a new instance has to become healthy.</summary>
    public Duration HealthTimeout { get; init; } = Duration.Parse("2m");

    /// <summary>Roll back to the last good release when the rollout fails.</summary>
    public bool RollbackOnFailure { get; init; } = true;

    /// <summary>
    /// How long the previous release's containers stay running, drained, after the probes passed: a <c>Rollback</c> to it
    /// within that window is a switch of traffic at the proxy, not a redeploy. Absent: they stop once the probes pass.
    /// </summary>
    public Duration? KeepPrevious { get; init; }

    /// <summary>How a new release takes traffic: service by service (<c>rolling</c>) or all at once (<c>blue_green</c>).</summary>
    public RolloutStrategy Strategy { get; init; } = RolloutStrategy.Rolling;
}

/// <summary>How a new release takes traffic.</summary>
public enum RolloutStrategy
{
    /// <summary>Service by service: each changed service's new containers start, are checked and take its traffic in turn.</summary>
    Rolling,

    /// <summary>The full new set of every changed routed service starts and is checked first, then takes all traffic at once.</summary>
    BlueGreen,
}
