using Slipway.Environments;

namespace Slipway.Delivery.Probes;

/// <summary>
/// The sampling rules of one probe run, fed one sample at a time: how many samples the run plans, and whether its
/// verdict is already certain. <see cref="SloProbeRunner"/> uses it to decide when to stop, and
/// <see cref="ProbeResult"/> replays the same samples through it to judge them, so both always agree.
/// </summary>
/// <remarks>
/// <para>
/// Latency: the nearest-rank p95 of <c>n</c> samples is the <c>ceil(0.95 n)</c>-th fastest, so it stays under the
/// threshold exactly while at most <c>n - ceil(0.95 n)</c> samples are slower than it (<see cref="ToleratedSlow"/>).
/// Below 20 samples that is none: the p95 is the slowest sample, and one slow request on a busy host fails the probe.
/// A latency failure therefore counts only on at least <see cref="SloProbe.MinLatencySamples"/> samples: a run
/// planned with fewer that sees more slow samples than it tolerates plans that many instead and goes on, and is
/// judged over them (errors included: the error budget is <see cref="SloProbe.MaxErrorRate"/> of the planned samples).
/// It does not extend once its errors alone have failed it, so a slow sample never buys a broken release a larger
/// error budget. A pass needs no extension: under 20 samples it means every sample met the threshold.
/// </para>
/// <para>
/// Certainty: with <c>r</c> planned samples still to take, the worst they can do is fail and be slow, every one.
/// The run has passed for certain when even that keeps it within both limits: errors + r ≤ allowed errors and slow
/// + r ≤ tolerated slow samples. It has failed for certain when either count already exceeds its limit (counts only
/// grow). Either way the remaining samples cannot change the verdict. The saving on success is therefore bounded by
/// the slack: at most <c>floor(0.05 n)</c> samples, fewer when the error budget is smaller (none with a budget of
/// zero errors); a failure can stop at its first sample.
/// </para>
/// </remarks>
internal sealed class ProbeSampling
{
    private readonly SloProbe _probe;

    /// <summary>A run of <paramref name="probe"/> before its first sample.</summary>
    public ProbeSampling(SloProbe probe)
    {
        ArgumentNullException.ThrowIfNull(probe);
        _probe = probe;
        Planned = probe.Samples;
    }

    /// <summary>The samples the run plans: <see cref="SloProbe.Samples"/>, or <see cref="SloProbe.MinLatencySamples"/> once extended.</summary>
    public int Planned { get; private set; }

    /// <summary>True when the run plans more than <see cref="SloProbe.Samples"/> to judge its latency.</summary>
    public bool Extended => Planned > _probe.Samples;

    /// <summary>Samples taken so far.</summary>
    public int Taken { get; private set; }

    /// <summary>Samples not answered with the expected status.</summary>
    public int Errors { get; private set; }

    /// <summary>Samples slower than the probe's p95 threshold, errors included.</summary>
    public int Slow { get; private set; }

    /// <summary>The most errors the planned samples may have.</summary>
    public int AllowedErrors => ProbeResult.AllowedErrorsOf(_probe.MaxErrorRate, Planned);

    /// <summary>The most slow samples the planned samples may have with their p95 still under the threshold.</summary>
    public int ToleratedSlow => Planned - ProbeResult.Rank(95, Planned);

    /// <summary>True when the errors exceed what the planned samples may have.</summary>
    public bool ErrorsFailed => Errors > AllowedErrors;

    /// <summary>True when too many samples were slow, over enough planned samples for the latency to count.</summary>
    public bool LatencyFailed => Slow > ToleratedSlow && Planned >= _probe.MinLatencySamples;

    /// <summary>True when the probe has failed, whatever the remaining samples do.</summary>
    public bool FailureCertain => ErrorsFailed || LatencyFailed;

    /// <summary>True when the probe passes even if every remaining planned sample fails and is slow.</summary>
    public bool PassCertain
    {
        get
        {
            var remaining = Planned - Taken;
            return Errors + remaining <= AllowedErrors && Slow + remaining <= ToleratedSlow;
        }
    }

    /// <summary>True when the run has its planned samples.</summary>
    public bool Complete => Taken >= Planned;

    /// <summary>Judges every sample in order.</summary>
    public static ProbeSampling Of(SloProbe probe, IEnumerable<ProbeSample> samples)
    {
        var sampling = new ProbeSampling(probe);
        foreach (var sample in samples)
        {
            sampling.Add(sample);
        }

        return sampling;
    }

    /// <summary>Counts one more sample, and plans more samples when a latency failure would otherwise rest on too few.</summary>
    public void Add(ProbeSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        Taken++;
        if (sample.Status != _probe.ExpectedStatus)
        {
            Errors++;
        }

        if (sample.Latency > _probe.P95Latency.Value)
        {
            Slow++;
        }

        if (Slow > ToleratedSlow && Planned < _probe.MinLatencySamples && !ErrorsFailed)
        {
            Planned = _probe.MinLatencySamples;
        }
    }
}
