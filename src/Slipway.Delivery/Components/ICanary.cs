using Slipway.Delivery.Canary;
using Slipway.Targets;

namespace Slipway.Delivery.Components;

/// <summary>
/// Canaries by hand: Canary runs release.json beside the stable release and lets the analysis promote or abort it;
/// Promote and Abort decide now (handed to the running Canary, or done here). DeployProd uses the same canary.
/// </summary>
public interface ICanary : IDelivery
{
    /// <summary>Runs release.json as a canary and walks its steps.</summary>
    Target Canary => _ => DeploysPublishedRelease(_)
        .Describe($"Run {ReleaseFile} as a canary beside the stable release of --env: walk canary.steps (weight, duration), analyse every interval (SLO probes, the canary's error rate and p95 at the proxy), then promote, or abort (weight 0, canary removed) and exit 1. Resumes a killed run")
        .UsesEnvironment(this, whenLoaded: CanaryPlanErrors)
        .Executes(Tracked(ctx => DeliveryRunOf(ctx).CanaryAsync(Delivery.ReleaseToDeploy(ctx.IsDryRun))));

    /// <summary>Promotes the canary in progress now.</summary>
    Target Promote => _ => _
        .Describe("Promote the canary in progress in --env now, skipping its remaining steps (handed to the running Canary, or done here if none runs)")
        .UsesEnvironment(this, whenLoaded: CanaryPlanErrors)
        .Executes(ctx => DeliveryRunOf(ctx).DecideAsync(CanaryDecision.Promote));

    /// <summary>Aborts the canary in progress now.</summary>
    Target Abort => _ => _
        .Describe("Abort the canary in progress in --env now: weight 0, canary removed, the stable release untouched")
        .UsesEnvironment(this, whenLoaded: CanaryPlanErrors)
        .Executes(ctx => DeliveryRunOf(ctx).DecideAsync(CanaryDecision.Abort));

    private IEnumerable<string> CanaryPlanErrors() =>
        CurrentEnvironment.Canary is { Steps.Count: > 0 } ? [] : [DeliveryRun.NoCanaryPlan(EnvironmentFile)];
}
