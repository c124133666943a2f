using System.Globalization;
using System.Text;

namespace Slipway.Delivery.Probes;

/// <summary>The results of every SLO probe of one run, and the overall verdict.</summary>
public sealed class ProbeReport
{
    private static readonly string[] Headers = ["PROBE", "URL", "SAMPLES", "ERRORS", "ERROR RATE (MAX)", "P50", "P95 (MAX)", "MAX", "VERDICT", "OUTCOMES"];

    /// <summary>A report over <paramref name="results"/>, in the order the probes ran.</summary>
    /// <param name="results">One result per probe.</param>
    public ProbeReport(IEnumerable<ProbeResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        Results = [.. results];
    }

    /// <summary>One result per probe, in the order the probes ran.</summary>
    public IReadOnlyList<ProbeResult> Results { get; }

    /// <summary>True when every probe passed; a report without probes passes.</summary>
    public bool Passed => Results.All(r => r.Passed);

    /// <summary>The <see cref="ProbeResult.Reason"/> of every failed probe, in order.</summary>
    public IReadOnlyList<string> FailureReasons => [.. Results.Select(r => r.Reason).OfType<string>()];

    /// <summary>
    /// A plain-text table for the console: one row per probe with its URL, samples taken (<c>3 of 20</c> when
    /// stopped early, <c>20 (5 + 15 for p95)</c> when extended to judge the latency, <c>10 +1 warm-up</c> after warm-up requests), errors, error rate and p95 each with their limit, p50, max, verdict and outcome counts;
    /// then, after a blank line, the reason of each failed probe. Columns are padded with spaces; every line
    /// ends with <c>\n</c> and has no trailing spaces.
    /// </summary>
    public string RenderTable()
    {
        if (Results.Count == 0)
        {
            return "No SLO probes configured for this environment.\n";
        }

        var text = new StringBuilder(TextTable.Render(Headers, [.. Results.Select(Cells)]));
        if (!Passed)
        {
            text.Append('\n');
            foreach (var reason in FailureReasons)
            {
                text.Append(reason).Append('\n');
            }
        }

        return text.ToString();
    }

    /// <summary><c>20</c>; <c>3 of 20</c> when stopped early; <c>20 (5 + 15 for p95)</c> when extended to judge the latency; <c>10 +1 warm-up</c> after warm-up requests.</summary>
    private static string SamplesCell(ProbeResult r)
    {
        var taken = r.StoppedEarly
            ? string.Create(CultureInfo.InvariantCulture, $"{r.Samples.Count} of {r.Planned}")
            : r.Samples.Count.ToString(CultureInfo.InvariantCulture);
        var extended = r.Planned > r.Probe.Samples
            ? string.Create(CultureInfo.InvariantCulture, $"{taken} ({r.Probe.Samples} + {r.Planned - r.Probe.Samples} for p95)")
            : taken;
        return r.WarmedUp > 0 ? string.Create(CultureInfo.InvariantCulture, $"{extended} +{r.WarmedUp} warm-up") : extended;
    }

    private static string[] Cells(ProbeResult r) =>
    [
        r.Name,
        r.Url.ToString(),
        SamplesCell(r),
        r.Errors.ToString(CultureInfo.InvariantCulture),
        $"{ProbeResult.Percent(r.ErrorRate)} ({ProbeResult.Percent(r.Probe.MaxErrorRate)})",
        ProbeResult.Milliseconds(r.P50),
        $"{ProbeResult.Milliseconds(r.P95)} ({ProbeResult.Milliseconds(r.Probe.P95Latency.Value)})",
        ProbeResult.Milliseconds(r.Max),
        r.Passed ? "pass" : "FAIL",
        ProbeResult.Histogram(r.Outcomes),
    ];
}
