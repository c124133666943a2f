using System.Globalization;
using Slipway.Environments;

namespace Slipway.Delivery.Probes;

/// <summary>
/// What one <see cref="SloProbe"/> measured and whether it met its objective. Every figure is computed from the
/// samples, so a result can be built from recorded samples as well as by <see cref="SloProbeRunner"/>.
/// </summary>
public sealed class ProbeResult
{
    private readonly ProbeSampling _sampling;

    /// <summary>Computes the figures and the verdict of <paramref name="probe"/> from its samples.</summary>
    /// <param name="probe">The probe, with its thresholds.</param>
    /// <param name="url">The URL the samples requested.</param>
    /// <param name="samples">
    /// The samples in the order they were taken: fewer than planned when the run stopped early, more than
    /// <see cref="SloProbe.Samples"/> when it extended to judge its latency (see <see cref="Planned"/>).
    /// </param>
    public ProbeResult(SloProbe probe, Uri url, IReadOnlyList<ProbeSample> samples)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(samples);
        Probe = probe;
        Url = url;
        Samples = [.. samples];
        _sampling = ProbeSampling.Of(probe, Samples);
        Errors = _sampling.Errors;
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

    /// <summary>The warm-up requests sent before the samples, whose answers were not judged (<see cref="SloProbe.Warmup"/>).</summary>
    public int WarmedUp { get; init; }

    /// <summary>The samples in the order they were taken.</summary>
    public IReadOnlyList<ProbeSample> Samples { get; }

    /// <summary>
    /// The samples the run planned: <see cref="SloProbe.Samples"/>, or <see cref="SloProbe.MinLatencySamples"/> when more
    /// slow samples than the planned ones tolerate called for more before the latency may fail the probe. Computed from
    /// the samples in order, as the runner computed it.
    /// </summary>
    public int Planned => _sampling.Planned;

    /// <summary>
    /// True when the run stopped before taking <see cref="Planned"/> samples: because it could no longer pass, or could
    /// no longer fail (<see cref="Passed"/> says which).
    /// </summary>
    public bool StoppedEarly => Samples.Count < Planned;

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
    /// True when at most <see cref="SloProbe.MaxErrorRate"/> of the planned samples failed and their <see cref="P95"/> is
    /// at most <see cref="SloProbe.P95Latency"/>: every planned sample was taken, or the ones not taken could not have
    /// changed that even had they all failed slowly.
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
        return AllowedErrorsOf(probe.MaxErrorRate, probe.Samples);
    }

    /// <summary>The largest <c>k</c> with <c>k / samples &lt;= maxErrorRate</c>, in agreement with that division.</summary>
    internal static int AllowedErrorsOf(double maxErrorRate, int samples)
    {
        var allowed = Math.Clamp((int)Math.Floor(maxErrorRate * samples), 0, samples);
        while (allowed < samples && (double)(allowed + 1) / samples <= maxErrorRate)
        {
            allowed++;
        }

        while (allowed > 0 && (double)allowed / samples > maxErrorRate)
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

        return ascending[Rank(percentile, ascending.Count) - 1];
    }

    /// <summary>The 1-based nearest rank of <paramref name="percentile"/> among <paramref name="count"/> samples, at least 1.</summary>
    internal static int Rank(int percentile, int count) =>
        // Integer arithmetic: 0.95 * 20 in doubles is 19.000000000000004, which would round up to rank 20.
        Math.Max(1, ((percentile * count) + 99) / 100);

    private string? Explain()
    {
        var allowed = _sampling.AllowedErrors;
        var parts = new List<string>();
        if (_sampling.ErrorsFailed)
        {
            var failures = Outcomes.Where(o => o.Key != Probe.ExpectedStatus.ToString(CultureInfo.InvariantCulture));
            parts.Add(string.Create(
                CultureInfo.InvariantCulture,
                $"error rate {Percent(ErrorRate)} ({Errors} of {Samples.Count}: {Histogram(failures)}) exceeds {Percent(Probe.MaxErrorRate)}"));
        }

        if (_sampling.LatencyFailed)
        {
            parts.Add($"p95 {Milliseconds(P95)} exceeds {Milliseconds(Probe.P95Latency.Value)}" + (_sampling.Extended
                ? string.Create(CultureInfo.InvariantCulture, $" ({_sampling.Slow} of {Samples.Count} samples slower; {Probe.Samples} were planned, and min_latency_samples asks for {Planned} before latency fails a probe)")
                : string.Empty));
        }

        if (StoppedEarly && (_sampling.FailureCertain || !_sampling.PassCertain))
        {
            parts.Add(_sampling.FailureCertain
                ? string.Create(CultureInfo.InvariantCulture, $"stopped after {Samples.Count} of {Planned} samples: ")
                    + (_sampling.ErrorsFailed
                        ? string.Create(CultureInfo.InvariantCulture, $"more than {allowed} errors can no longer pass")
                        : string.Create(CultureInfo.InvariantCulture, $"more than {_sampling.ToleratedSlow} samples over {Milliseconds(Probe.P95Latency.Value)} can no longer pass"))
                : string.Create(CultureInfo.InvariantCulture, $"only {Samples.Count} of {Planned} samples were taken"));
        }

        return parts.Count == 0 ? null : $"{Name}: {string.Join("; ", parts)}";
    }
}
