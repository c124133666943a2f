using Slipway.Delivery.Compose;
using Slipway.Environments;

namespace Slipway.Delivery.Probes;

/// <summary>The SLO probes of an environment as a deploy's gate: one place, for every driver and the canary.</summary>
public static class SloGate
{
    /// <summary>
    /// Runs <paramref name="slo"/>'s probes against <paramref name="url"/>, each stopping as soon as its verdict is certain
    /// (failed, or passed whatever its remaining samples do); passes when every probe met its objective, or when
    /// <c>slo.gate_deploy</c> is off.
    /// </summary>
    public static Func<CancellationToken, Task<ProbeVerdict>> Against(Uri url, SloSettings? slo) => Against(url, slo, () => new HttpClient());

    /// <summary>As <see cref="Against(Uri, SloSettings?)"/>, with a client of <paramref name="client"/>'s making (e.g. one that trusts a generated authority).</summary>
    public static Func<CancellationToken, Task<ProbeVerdict>> Against(Uri url, SloSettings? slo, Func<HttpClient> client) => Against(url, slo, client, secrets: null);

    /// <summary>As <see cref="Against(Uri, SloSettings?, Func{HttpClient})"/>, resolving transaction probes' secret headers through <paramref name="secrets"/>.</summary>
    public static Func<CancellationToken, Task<ProbeVerdict>> Against(Uri url, SloSettings? slo, Func<HttpClient> client, Func<SecretReference, Processes.Secret>? secrets) =>
        Gate(url, slo, client, secrets, backToBack: false);

    /// <summary>
    /// The probes of a release that already runs as it was deployed (an unchanged redeploy): as
    /// <see cref="Against(Uri, SloSettings?, Func{HttpClient}, Func{SecretReference, Processes.Secret}?)"/>, with every
    /// probe's samples sent back to back (<see cref="SloProbeRunner.BackToBack"/>). The same samples and objectives decide;
    /// only the interval, which watches a change over time, is left out, since nothing changed.
    /// </summary>
    public static Func<CancellationToken, Task<ProbeVerdict>> AgainstLive(Uri url, SloSettings? slo, Func<HttpClient> client, Func<SecretReference, Processes.Secret>? secrets) =>
        Gate(url, slo, client, secrets, backToBack: true);

    private static Func<CancellationToken, Task<ProbeVerdict>> Gate(Uri url, SloSettings? slo, Func<HttpClient> client, Func<SecretReference, Processes.Secret>? secrets, bool backToBack) => async cancellationToken =>
    {
        ArgumentNullException.ThrowIfNull(client);
        using var http = client();
        var runner = new SloProbeRunner(http) { StopWhenFailed = true, StopWhenPassed = true, BackToBack = backToBack, Secrets = secrets };
        var report = await runner.RunAsync(url, slo?.Probes ?? [], cancellationToken);
        return new ProbeVerdict(report.Passed || slo?.GateDeploy == false, report.RenderTable(), report.FailureReasons);
    };
}
