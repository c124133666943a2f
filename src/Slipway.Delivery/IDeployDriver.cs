using Slipway.Delivery.Canary;
using Slipway.Delivery.Compose;
using Slipway.Environments;
using Slipway.Processes;

namespace Slipway.Delivery;

/// <summary>
/// How releases reach an environment: Compose on one Docker host, or Helm on Kubernetes. A driver does the deploy's own
/// steps and reports how they ended; the <see cref="DeliveryRun"/> around it owns the lock, the verification, the
/// rollback choice and the report, the same for every driver.
/// </summary>
public interface IDeployDriver
{
    /// <summary>Where the environment answers once deployed (the SLO probes' way in), for "dev is up: URL".</summary>
    Uri Url { get; }

    /// <summary>Deploys <paramref name="release"/>; on a failure after traffic moved, rolls back to the ledger's last good release itself.</summary>
    Task<DeployOutcome> DeployAsync(DeliveryRelease release, string who);

    /// <summary>Returns the environment to the revision <paramref name="target"/> (from the ledger) in place of <paramref name="current"/>.</summary>
    Task<DeployOutcome> RollbackAsync(LedgerEntry target, LedgerEntry? current, string who);

    /// <summary>
    /// The router of a canary of <paramref name="canary"/> beside <paramref name="stable"/>. <paramref name="rendersRelease"/>
    /// is false for an abort, which only takes traffic away and needs no release.json.
    /// </summary>
    Task<ICanaryTraffic> CanaryTrafficAsync(DeliveryRelease canary, LedgerEntry stable, CanaryPlan plan, bool rendersRelease);

    /// <summary>The SLO probes against <see cref="Url"/>, as a deploy's gate.</summary>
    Func<CancellationToken, Task<ProbeVerdict>> Probes { get; }
}

/// <summary>The driver an environment's <c>delivery.driver</c> names.</summary>
public static class DeployDrivers
{
    /// <summary>Where <paramref name="environment"/> answers once deployed, as its driver's <see cref="IDeployDriver.Url"/>.</summary>
    public static Uri UrlOf(DeliveryEnvironment environment) =>
        environment?.Environment.Delivery.Driver == DeliveryDriver.Helm ? Helm.HelmDeployDriver.UrlOf(environment) : Compose.ComposeDeployDriver.UrlOf(environment!);

    /// <summary>
    /// The driver of <paramref name="environment"/>, every effect through <paramref name="session"/>; <paramref name="uncancelled"/>
    /// runs what must finish after Ctrl+C or SIGTERM (taking a canary's traffic away).
    /// </summary>
    public static IDeployDriver For(DeliveryEnvironment environment, IToolSession session, IToolSession uncancelled, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return environment.Environment.Delivery.Driver switch
        {
            DeliveryDriver.Helm => new Helm.HelmDeployDriver(environment, session, uncancelled, time),
            _ => new Compose.ComposeDeployDriver(environment, session, uncancelled, time),
        };
    }
}
