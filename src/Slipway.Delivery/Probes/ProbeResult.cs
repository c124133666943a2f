using System.Globalization;
using Slipway.Environments;

namespace Slipway.Delivery.Probes;

/// <summary>
/// What one <see cref="SloProbe"/> measured and whether it met its objective. Every figure is computed from the
/// samples, so a result can be built from recorded samples as well as by <see cref="SloProbeRunner"/>.
/// </summary>
public sealed class ProbeResult
{
    /// <summary>Computes the figures and the verdict of <paramref name="probe"/> from its samples.</summary>
    /// <param name="probe">The probe, with its thresholds.</param>
    /// <param name="url">The URL the samples requested.</param>
    /// <param name="samples">The samples in the order they were taken; fewer than <see cref="SloProbe.Samples"/> when the run stopped early.</param>
    public ProbeResult(SloProbe probe, Uri url, IReadOnlyList<ProbeSample> samples)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(samples);
        Probe = probe;
        Url = url;
        Samples = [.. samples];
        Errors = Samples.Count(IsError);
        ErrorRate = Samples.Count == 0 ? 0 : (double)Errors / Samples.Count;
        var latencies = Samples.Select(s => s.Latency).Order().ToList();
        P50 = NearestRank(latencies, 50);
        P95 = NearestRank(latencies, 95);
        Max = latencies.Count == 0 ? TimeSpan.Zero : latencies[^1];
        var outcomes = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var sample in Samples)
        {
            outcomes[sample.Outcome] = outcomes.GetValueOrDefault(sample.Outcome) + 1;
        }

        Outcomes = outcomes;
        Reason = Explain();
    }

    /// <summary>The probe, with its thresholds.</summary>
    public SloProbe Probe { get; }

    /// <summary>The probe's name.</summary>
    public string Name => Probe.Name;

    /// <summary>The URL the samples requested.</summary>
    public Uri Url { get; }

    /// <summary>The samples in the order they were taken.</summary>
    public IReadOnlyList<ProbeSample> Samples { get; }

    /// <summary>True when the run stopped before taking <see cref="SloProbe.Samples"/> samples, because it could no longer pass.</summary>
    public bool StoppedEarly => Samples.Count < Probe.Samples;

    /// <summary>Samples not answered with <see cref="SloProbe.ExpectedStatus"/>, unanswered ones included.</summary>
    public int Errors { get; }

    /// <summary><see cref="Errors"/> over the samples taken, from 0 to 1.</summary>
    public double ErrorRate { get; }

    /// <summary>The median latency (nearest rank) over every sample, errors included.</summary>
    public TimeSpan P50 { get; }

    /// <summary>The 95th-percentile latency (nearest rank) over every sample, errors included.</summary>
    public TimeSpan P95 { get; }

    /// <summary>The slowest sample.</summary>
    public TimeSpan Max { get; }

    /// <summary>How many samples had each outcome (<see cref="ProbeSample.Outcome"/>), in ordinal order of the outcome.</summary>
    public IReadOnlyDictionary<string, int> Outcomes { get; }

    /// <summary>
    /// True when every planned sample was taken, at most <see cref="AllowedErrors"/> of them failed, and
    /// <see cref="P95"/> is at most <see cref="SloProbe.P95Latency"/>.
    /// </summary>
    public bool Passed => Reason is null;

    /// <summary>Why the probe failed, one line starting with its name, e.g. <c>api-ready: p95 412 ms exceeds 300 ms</c>; null when it passed.</summary>
    public string? Reason { get; }

    /// <summary>
    /// The most errors a full run of <paramref name="probe"/> may have and still pass: the largest <c>k</c> with
    /// <c>k / Samples &lt;= MaxErrorRate</c>, computed so that it agrees exactly with that division.
    /// </summary>
    /// <param name="probe">The probe.</param>
    public static int AllowedErrors(SloProbe probe)
    {
        ArgumentNullException.ThrowIfNull(probe);
        var allowed = Math.Clamp((int)Math.Floor(probe.MaxErrorRate * probe.Samples), 0, probe.Samples);
        while (allowed < probe.Samples && (double)(allowed + 1) / probe.Samples <= probe.MaxErrorRate)
        {
            allowed++;
        }

        while (allowed > 0 && (double)allowed / probe.Samples > probe.MaxErrorRate)
        {
            allowed--;
        }

        return allowed;
    }

    /// <summary>Whole milliseconds, rounded up so that a latency over a whole-millisecond threshold never prints equal to it.</summary>
    internal static string Milliseconds(TimeSpan latency) =>
        string.Create(CultureInfo.InvariantCulture, $"{(long)Math.Ceiling(latency.TotalMilliseconds)} ms");

    /// <summary>A fraction as a percentage with one to three decimals: <c>100.0 %</c>, <c>0.15 %</c>.</summary>
    internal static string Percent(double fraction) =>
        (fraction * 100).ToString("0.0##", CultureInfo.InvariantCulture) + " %";

    /// <summary>Outcomes as <c>500 ×18, 200 ×2</c>, most frequent first.</summary>
    internal static string Histogram(IEnumerable<KeyValuePair<string, int>> outcomes) =>
        string.Join(", ", outcomes.OrderByDescending(o => o.Value).ThenBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key} ×{o.Value.ToString(CultureInfo.InvariantCulture)}"));

    /// <summary>The nearest-rank percentile: the smallest sample with at least <paramref name="percentile"/> % of the samples at or below it.</summary>
    internal static TimeSpan NearestRank(IReadOnlyList<TimeSpan> ascending, int percentile)
    {
        if (ascending.Count == 0)
        {
            return TimeSpan.Zero;
        }

        // Integer arithmetic: 0.95 * 20 in doubles is 19.000000000000004, which would round up to rank 20.
        var rank = Math.Max(1, ((percentile * ascending.Count) + 99) / 100);
        return ascending[rank - 1];
    }

    private bool IsError(ProbeSample sample) => sample.Status != Probe.ExpectedStatus;

    private string? Explain()
    {
        var allowed = AllowedErrors(Probe);
        var parts = new List<string>();
        if (Errors > allowed)
        {
            var failures = Outcomes.Where(o => o.Key != Probe.ExpectedStatus.ToString(CultureInfo.InvariantCulture));
            parts.Add(string.Create(
                CultureInfo.InvariantCulture,
                $"error rate {Percent(ErrorRate)} ({Errors} of {Samples.Count}: {Histogram(failures)}) exceeds {Percent(Probe.MaxErrorRate)}"));
        }

        if (P95 > Probe.P95Latency.Value)
        {
            parts.Add($"p95 {Milliseconds(P95)} exceeds {Milliseconds(Probe.P95Latency.Value)}");
        }

        if (StoppedEarly)
        {
            parts.Add(Errors > allowed
                ? string.Create(CultureInfo.InvariantCulture, $"stopped after {Samples.Count} of {Probe.Samples} samples: more than {allowed} errors can no longer pass")
                : string.Create(CultureInfo.InvariantCulture, $"only {Samples.Count} of {Probe.Samples} samples were taken"));
        }

        return parts.Count == 0 ? null : $"{Name}: {string.Join("; ", parts)}";
    }
}
