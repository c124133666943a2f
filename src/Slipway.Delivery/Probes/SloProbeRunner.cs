using System.Globalization;
using Slipway.Environments;

namespace Slipway.Delivery.Probes;

/// <summary>
/// Runs an environment's <see cref="SloProbe"/>s against a base URI, all probes at once: each sends its
/// <see cref="SloProbe.Warmup"/> requests, which are not judged, then takes <see cref="SloProbe.Samples"/> GET requests with <see cref="SloProbe.Interval"/> between them (more, up to
/// <see cref="SloProbe.MinLatencySamples"/>, when its latency would otherwise fail on too few), and is judged on its
/// error rate and its p95 latency (<see cref="ProbeResult"/>; the rules are those of <see cref="ProbeSampling"/>).
/// </summary>
/// <remarks>
/// The <see cref="HttpClient"/> is injected and not owned; its handler decides redirects and proxies. Whatever its
/// own <see cref="HttpClient.Timeout"/>, every request also gets <see cref="RequestTimeout"/>, and a request that
/// times out or fails to connect is a failed sample, not an exception. Only cancellation through the caller's
/// token ends a run with an exception.
/// </remarks>
public sealed class SloProbeRunner
{
    private static readonly TimeSpan MinimumRequestTimeout = TimeSpan.FromSeconds(2);

    private readonly HttpClient _http;
    private readonly TimeProvider _time;

    /// <summary>A runner sending through <paramref name="http"/>.</summary>
    /// <param name="http">The client; not disposed by the runner.</param>
    /// <param name="time">The clock for the pause between samples and for latencies; <see cref="TimeProvider.System"/> by default.</param>
    public SloProbeRunner(HttpClient http, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        _http = http;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>
    /// When true, a probe stops as soon as its errors exceed what its planned samples may have, or more of its samples
    /// are slow than its p95 tolerates (over at least <see cref="SloProbe.MinLatencySamples"/> planned samples), since the
    /// remaining samples could no longer make it pass; the result then has <see cref="ProbeResult.StoppedEarly"/>
    /// set and says so in its reason. Saves up to <c>Samples × Interval</c> when deciding on a rollback. Off by
    /// default, so a report shows the full picture.
    /// </summary>
    public bool StopWhenFailed { get; init; }

    /// <summary>Resolves the secret headers of transaction probes (<see cref="ProbeRequest.SecretHeaders"/>); null when there are none.</summary>
    public Func<SecretReference, Processes.Secret>? Secrets { get; init; }

    /// <summary>
    /// When true, a probe also stops as soon as it passes whatever its remaining planned samples do, even if every one of
    /// them failed and was slow (<see cref="ProbeSampling"/> reasons it out). Saves at most the error budget's and the
    /// p95's slack: nothing for a probe that tolerates no error, 1 of 20 samples when it tolerates one. Off by default.
    /// </summary>
    public bool StopWhenPassed { get; init; }

    /// <summary>
    /// When true, each probe sends its samples one after another, without its <see cref="SloProbe.Interval"/> between
    /// them: the same samples, judged by the same rules, in a fraction of the time. For a release that has been live
    /// since its own deploy was judged, where there is no change to watch over time (an unchanged redeploy). Off by
    /// default: after a change, the interval spreads the samples over the seconds in which a new release fails.
    /// </summary>
    public bool BackToBack { get; init; }

    /// <summary>
    /// The timeout of one request; null (the default) for <see cref="DefaultRequestTimeout"/> of each probe.
    /// </summary>
    public TimeSpan? RequestTimeout { get; init; }

    /// <summary>
    /// Four times the probe's p95 threshold, and at least two seconds: long enough that a slow answer is measured
    /// as slow rather than cut off, short enough that a hung service cannot stall the run.
    /// </summary>
    /// <param name="probe">The probe.</param>
    public static TimeSpan DefaultRequestTimeout(SloProbe probe)
    {
        ArgumentNullException.ThrowIfNull(probe);
        var fourTimes = probe.P95Latency.Value * 4;
        return fourTimes > MinimumRequestTimeout ? fourTimes : MinimumRequestTimeout;
    }

    /// <summary>The URL a probe requests: its path (absolute, so any path of the base is replaced) on the base URI.</summary>
    /// <param name="baseUri">An absolute URI, e.g. <c>http://127.0.0.1:8080</c>.</param>
    /// <param name="probe">The probe.</param>
    public static Uri UrlOf(Uri baseUri, SloProbe probe)
    {
        ArgumentNullException.ThrowIfNull(baseUri);
        ArgumentNullException.ThrowIfNull(probe);
        if (!baseUri.IsAbsoluteUri)
        {
            throw new ArgumentException($"The base URI '{baseUri}' is not absolute; give scheme, host and port, e.g. http://127.0.0.1:8080.", nameof(baseUri));
        }

        return new Uri(baseUri, probe.Path);
    }

    /// <summary>
    /// Runs every probe concurrently (each keeps its own interval, so the run takes as long as the longest probe, not
    /// their sum) and reports on all of them in the order given.
    /// </summary>
    /// <param name="baseUri">An absolute URI, e.g. <c>http://127.0.0.1:8080</c>.</param>
    /// <param name="probes">The environment's probes (<see cref="SloSettings.Probes"/>).</param>
    /// <param name="cancellationToken">Stops the run with <see cref="OperationCanceledException"/>.</param>
    public async Task<ProbeReport> RunAsync(Uri baseUri, IEnumerable<SloProbe> probes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(probes);
        var runs = probes.Select(probe => RunProbeAsync(baseUri, probe, cancellationToken)).ToList();
        return new ProbeReport(await Task.WhenAll(runs));
    }

    /// <summary>Takes the samples of one probe and judges them.</summary>
    /// <param name="baseUri">An absolute URI, e.g. <c>http://127.0.0.1:8080</c>.</param>
    /// <param name="probe">The probe.</param>
    /// <param name="cancellationToken">Stops the run with <see cref="OperationCanceledException"/>.</param>
    public async Task<ProbeResult> RunProbeAsync(Uri baseUri, SloProbe probe, CancellationToken cancellationToken = default)
    {
        var url = UrlOf(baseUri, probe);
        var timeout = RequestTimeout ?? DefaultRequestTimeout(probe);
        var sampling = new ProbeSampling(probe);
        var samples = new List<ProbeSample>(probe.Samples);

        // Sent like samples, back to back, and not judged (SloProbe.Warmup): the first samples then measure the service,
        // not its start.
        for (var i = 0; i < probe.Warmup; i++)
        {
            await SampleOnceAsync(url, probe, timeout, cancellationToken);
        }

        while (!sampling.Complete)
        {
            if (samples.Count > 0 && !BackToBack)
            {
                await Task.Delay(probe.Interval.Value, _time, cancellationToken);
            }

            var sample = await SampleOnceAsync(url, probe, timeout, cancellationToken);
            samples.Add(sample);
            sampling.Add(sample);
            if ((StopWhenFailed && sampling.FailureCertain) || (StopWhenPassed && sampling.PassCertain))
            {
                break;
            }
        }

        return new ProbeResult(probe, url, samples) { WarmedUp = probe.Warmup };
    }

    private Task<ProbeSample> SampleOnceAsync(Uri url, SloProbe probe, TimeSpan timeout, CancellationToken cancellationToken) =>
        ProbeTransaction.Applies(probe)
            ? ProbeTransaction.SampleAsync(_http, url, probe, timeout, _time, Secrets, cancellationToken)
            : SampleAsync(url, timeout, cancellationToken);

    private async Task<ProbeSample> SampleAsync(Uri url, TimeSpan timeout, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var started = _time.GetTimestamp();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);

            // The whole body is read, so the latency is what a client waits for, not just the headers.
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, deadline.Token);
            return ProbeSample.Answered((int)response.StatusCode, _time.GetElapsedTime(started));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return ProbeSample.Failed(
                string.Create(CultureInfo.InvariantCulture, $"timeout after {(long)timeout.TotalMilliseconds} ms"),
                _time.GetElapsedTime(started));
        }
        catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
        {
            // OperationCanceledException here is the client's own HttpClient.Timeout.
            return ProbeSample.Failed($"{e.GetType().Name}: {e.Message}", _time.GetElapsedTime(started));
        }
    }
}
