using System.Globalization;

namespace Slipway.IntegrationTests.Support;

/// <summary>
/// A tagged load's failures as the proxy saw them. On a busy machine the load generator shares the cores with the stack:
/// a request it gives up on (its timeout, a reset) may have been answered by the system in time, the answer waiting for
/// a thread of the test process. Such a request counts as the client's own starvation only when the proxy's log shows
/// it, by its tag, answered below 500 within the client's timeout (HAProxy's Ta, first byte in to last byte out).
/// Everything else stays a failure of the system: every 5xx the client saw, a refused connection, an answer the proxy
/// itself took longer than the timeout to give or never gave, a request the proxy never logged.
/// </summary>
/// <param name="Failed">The failures the proxy does not clear.</param>
/// <param name="Failures">Those by cause.</param>
/// <param name="ClientStarved">The client's failures the proxy logged as answered in time.</param>
public sealed record ProxyVerdict(int Failed, IReadOnlyDictionary<string, int> Failures, int ClientStarved)
{
    /// <summary>Judges <paramref name="load"/> (from a <see cref="LoadGenerator"/> made with <c>tagged: true</c>) against the proxy's <paramref name="log"/>.</summary>
    public static ProxyVerdict Of(LoadSummary load, IEnumerable<ProxyExposure.LoggedRequest> log)
    {
        ArgumentNullException.ThrowIfNull(load);
        ArgumentNullException.ThrowIfNull(log);
        var answeredInTime = log
            .Where(r => r.Tag is not null && r.Status is >= 100 and < 500 && r.Active >= TimeSpan.Zero && r.Active < load.RequestTimeout)
            .Select(r => r.Tag!.Value)
            .ToHashSet();
        var failed = load.FailedRequests.Where(f => f.Cause.StartsWith("HTTP ", StringComparison.Ordinal) || !answeredInTime.Contains(f.Tag)).ToList();
        return new ProxyVerdict(
            failed.Count,
            failed.GroupBy(f => f.Cause, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
            load.FailedRequests.Count - failed.Count);
    }

    /// <summary>
    /// Asserts that <paramref name="load"/> ran thick enough to judge <paramref name="what"/> (<see cref="LoadGenerator.BusyMachineFloor"/>)
    /// and that no request failed by the proxy's <paramref name="proxyLog"/>; <paramref name="detail"/> adds to the message.
    /// </summary>
    public static ProxyVerdict AssertNoFailure(LoadSummary load, string proxyLog, string what, Func<string>? detail = null)
    {
        ArgumentNullException.ThrowIfNull(load);
        Assert.True(load.AchievedRate >= LoadGenerator.BusyMachineFloor, $"the load ran at {load.AchievedRate:0.0}/s during {what}, below {LoadGenerator.BusyMachineFloor}/s: too thin to judge it");
        var verdict = Of(load, ProxyExposure.Parse(proxyLog));
        Assert.True(verdict.Failed == 0, $"{verdict.Failed} of {load.Sent} requests failed during {what}: {verdict}{(detail is null ? string.Empty : "; " + detail())}");
        return verdict;
    }

    /// <summary>One line for output and assertion messages.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Failed} failed")
        + (Failures.Count == 0 ? string.Empty : $" ({string.Join(", ", Failures.Select(f => $"{f.Key} x{f.Value}"))})")
        + string.Create(CultureInfo.InvariantCulture, $"; {ClientStarved} more the client gave up on although the proxy logged them answered within its timeout (the test process starved)");
}
