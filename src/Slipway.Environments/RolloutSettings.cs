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
}
