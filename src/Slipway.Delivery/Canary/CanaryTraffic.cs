namespace Slipway.Delivery.Canary;

/// <summary>
/// What a canary needs from a platform: run the new release beside the stable one, split traffic by weight, report
/// what the router saw of the canary, and finish by promoting or removing it. Compose implements it with HAProxy
/// weights; Kubernetes with a weighted HTTPRoute.
/// </summary>
public interface ICanaryTraffic
{
    /// <summary>Where the weights are set, for messages: <c>HAProxy backend app</c>.</summary>
    string Router { get; }

    /// <summary>
    /// Prepares the release (backup and migrations, as a deploy does) and starts its canary beside the stable release
    /// with no traffic; returns once the canary is healthy and the router could route to it.
    /// </summary>
    Task StartAsync(CanaryRelease release, CancellationToken cancellationToken);

    /// <summary>True when the canary of <paramref name="release"/> still runs and is healthy (a resumed run asks).</summary>
    Task<bool> IsRunningAsync(CanaryRelease release, CancellationToken cancellationToken);

    /// <summary>Sends <paramref name="percent"/> % of new requests to the canary, the rest to the stable release.</summary>
    Task SetWeightAsync(int percent, CancellationToken cancellationToken);

    /// <summary>What the router saw between <paramref name="since"/> and <paramref name="until"/>; null when it cannot tell.</summary>
    Task<CanaryWindow?> MeasureAsync(DateTimeOffset since, DateTimeOffset until, CancellationToken cancellationToken);

    /// <summary>Makes the canary's release the stable one (the old drains), then removes the canary.</summary>
    Task<Compose.DeployOutcome> PromoteAsync(CanaryRelease release, string who, CancellationToken cancellationToken);

    /// <summary>Weight 0, then drains and removes the canary; the stable release is not touched.</summary>
    Task RemoveAsync(CancellationToken cancellationToken);
}

/// <summary>The release a canary runs.</summary>
/// <param name="Version">Its version.</param>
/// <param name="Commit">Its commit.</param>
/// <param name="Images">Image reference by digest per service.</param>
public sealed record CanaryRelease(string Version, string Commit, IReadOnlyDictionary<string, string> Images);

/// <summary>What the router saw of each side in one analysis interval.</summary>
/// <param name="Canary">Requests the canary answered.</param>
/// <param name="Stable">Requests the stable release answered, for comparison.</param>
public sealed record CanaryWindow(TrafficSample Canary, TrafficSample Stable);

/// <summary>Requests one side answered in an interval.</summary>
/// <param name="Requests">How many.</param>
/// <param name="Failed">How many failed: a 5xx, or no answer.</param>
/// <param name="P95">The 95th-percentile response time (nearest rank); null without answers.</param>
public sealed record TrafficSample(int Requests, int Failed, TimeSpan? P95)
{
    /// <summary>No requests.</summary>
    public static TrafficSample None { get; } = new(0, 0, null);

    /// <summary>Failed ÷ requests; 0 without requests.</summary>
    public double ErrorRate => Requests == 0 ? 0 : (double)Failed / Requests;

    /// <summary>Summarises response times (null = no answer) and failures into a sample.</summary>
    public static TrafficSample Of(IReadOnlyCollection<(bool Failed, TimeSpan? ResponseTime)> requests)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var times = requests.Select(r => r.ResponseTime).OfType<TimeSpan>().Order().ToList();
        return new TrafficSample(requests.Count, requests.Count(r => r.Failed), times.Count == 0 ? null : Probes.ProbeResult.NearestRank(times, 95));
    }
}
