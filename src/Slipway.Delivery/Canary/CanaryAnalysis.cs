using Slipway.Delivery.Compose;
using Slipway.Delivery.Probes;
using Slipway.Environments;

namespace Slipway.Delivery.Canary;

/// <summary>The verdict on one analysis interval of a canary: the SLO probes, and the canary's own traffic as the router saw it.</summary>
/// <param name="Passed">True when nothing failed.</param>
/// <param name="Summary">One line: the canary's requests, failures and p95, the stable side's for comparison, the probes.</param>
/// <param name="Failures">One line per failed criterion.</param>
public sealed record CanaryAnalysis(bool Passed, string Summary, IReadOnlyList<string> Failures)
{
    /// <summary>
    /// Judges an interval. The canary's error rate and p95 count when it answered at least <see cref="CanaryPlan.MinRequests"/>
    /// requests; with fewer, the interval is judged by the probes alone and the summary says so.
    /// </summary>
    public static CanaryAnalysis Judge(CanaryPlan plan, ProbeVerdict probes, CanaryWindow? window)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(probes);
        var failures = new List<string>();
        string traffic;
        if (window is null)
        {
            traffic = "the router's view of the canary is not available (probes only)";
        }
        else
        {
            var canary = window.Canary;
            traffic = $"canary {Describe(canary)}; stable {Describe(window.Stable)}";
            if (canary.Requests < plan.MinRequests)
            {
                traffic += $" (fewer than {plan.MinRequests} canary requests: inconclusive, probes only)";
            }
            else
            {
                if (canary.ErrorRate > plan.MaxErrorRate)
                {
                    failures.Add($"canary error rate {ProbeResult.Percent(canary.ErrorRate)} ({canary.Failed} of {canary.Requests}) > {ProbeResult.Percent(plan.MaxErrorRate)} (canary.max_error_rate)");
                }

                if (canary.P95 is { } p95 && p95 > plan.P95Latency.Value)
                {
                    failures.Add($"canary p95 {ProbeResult.Milliseconds(p95)} > {plan.P95Latency} (canary.p95_latency)");
                }
            }
        }

        if (!probes.Passed)
        {
            failures.AddRange(probes.Failures.Select(f => "probe " + f));
        }

        var probeText = probes.Passed ? "probes passed" : $"probes failed ({probes.Failures.Count})";
        var verdict = failures.Count == 0 ? "pass" : "FAIL: " + string.Join("; ", failures);
        return new CanaryAnalysis(failures.Count == 0, $"{traffic}; {probeText} → {verdict}", failures);
    }

    private static string Describe(TrafficSample sample) =>
        sample.Requests == 0
            ? "0 requests"
            : $"{sample.Requests} requests, {sample.Failed} failed ({ProbeResult.Percent(sample.ErrorRate)}), p95 {(sample.P95 is { } p95 ? ProbeResult.Milliseconds(p95) : "n/a")}";
}
