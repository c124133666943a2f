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

    /// <summary>
    /// How long the previous release's containers stay running, drained, after the probes passed: a <c>Rollback</c> to it
    /// within that window is a switch of traffic at the proxy (on Helm: of the Services and the route), not a redeploy.
    /// Absent: they stop once the probes pass.
    /// </summary>
    public Duration? KeepPrevious { get; init; }

    /// <summary>
    /// How a new release takes traffic: service by service (<c>rolling</c>, default) or all at once (<c>blue_green</c>;
    /// on Compose in one runtime API command at the proxy, on Helm the chart's second track and a Service/HTTPRoute switch).
    /// </summary>
    public RolloutStrategy Strategy { get; init; } = RolloutStrategy.Rolling;
}
