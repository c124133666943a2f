using System.Text.Json.Nodes;
using Slipway.Delivery.Compose;
using Slipway.Processes;
using Slipway.Tools.Kubectl;

namespace Slipway.Delivery.Helm;

/// <summary>
/// What a blue/green deploy needs beyond the <see cref="HelmDeployment"/>: the services (each runs as a track), the
/// Services whose selector switches (the routed one last), the HTTPRoute when Gateway API routes, and how to write the
/// chart's values for a set of tracks.
/// </summary>
public sealed record HelmBlueGreenSetup
{
    /// <summary>The environment's services; each runs as <c>&lt;release&gt;-&lt;service&gt;-&lt;track&gt;</c>.</summary>
    public required IReadOnlyList<string> Services { get; init; }

    /// <summary>The Services (<c>&lt;release&gt;-&lt;service&gt;</c>) whose selector moves to the new track, the routed one last.</summary>
    public required IReadOnlyList<string> SwitchedServices { get; init; }

    /// <summary>The HTTPRoute whose first backend moves to the new track's Service; null without Gateway API.</summary>
    public string? Route { get; init; }

    /// <summary>The routed Service, <c>&lt;release&gt;-&lt;service&gt;</c>: its selector says which track serves now.</summary>
    public required string RoutedService { get; init; }

    /// <summary>Writes the chart values for an active track and the release of each track; returns the values files for helm.</summary>
    public required Func<string, IReadOnlyDictionary<string, DeliveryRelease>, Task<IReadOnlyList<string>>> WriteValuesAsync { get; init; }
}

/// <summary>Blue/green on Kubernetes (<c>rollout.strategy: blue_green</c>).</summary>
public sealed partial class HelmDeployer
{
    private const string TrackLabel = "slipway.dev/track";

    /// <summary>
    /// Deploys <paramref name="release"/> as the idle track beside the serving one (<c>helm upgrade</c> with both tracks,
    /// the Services still on the old), checks it before traffic (<c>kubectl rollout status</c> of every Deployment of the
    /// new track: their readiness probes, before any user request), then switches every Service's selector and the
    /// HTTPRoute's backend to it at once (<c>kubectl patch</c>), runs the SLO probes with the old track still running,
    /// and only then removes the old track (<c>helm upgrade</c> with the new one alone). A failure before traffic removes
    /// the new track (the old never stopped serving); a failure after the switch switches back first, then removes it.
    /// </summary>
    public async Task<DeployOutcome> DeployBlueGreenAsync(DeliveryRelease release, HelmBlueGreenSetup setup, string who)
    {
        ArgumentNullException.ThrowIfNull(release);
        ArgumentNullException.ThrowIfNull(setup);
        var started = _time.GetTimestamp();
        var serving = _session.IsDryRun ? null : await ServingTrackAsync(setup.RoutedService);
        var previous = serving is null ? null : _ledger.LastGood();
        if (serving is null || previous is null)
        {
            // The first blue/green deploy (or one after a rolling release, or with no good release in the ledger to keep warm):
            // nothing to switch from, so the serving track (blue on a first install) is updated in place, rolling.
            var track = serving ?? HelmBlueGreenValues.Blue;
            _session.Info($"Blue/green: {release.Version} goes to the {track} track of {Where}; no earlier track to keep warm, so it takes the traffic as it rolls out.");
            var first = await DeployTracksAsync(track, new Dictionary<string, DeliveryRelease>(StringComparer.Ordinal) { [track] = release }, setup, track, probe: true);
            return await OutcomeAsync(release, first, started, who, $"blue/green: {track} track");
        }

        var next = HelmBlueGreenValues.Other(serving);

        var old = serving;
        var oldRelease = DeliveryRelease.From(previous);
        _session.Info($"Blue/green: {release.Version} goes to the {next} track beside {old} ({previous.Version}), which keeps serving until {next} passed its checks before traffic.");
        var beside = await DeployTracksAsync(old, new Dictionary<string, DeliveryRelease>(StringComparer.Ordinal) { [old] = oldRelease, [next] = release }, setup, next, probe: false);
        if (_session.IsDryRun)
        {
            await SwitchAsync(setup, next);
            _session.Info($"would run the SLO probes, then remove the {old} track: helm upgrade with {next} alone");
            return new DeployOutcome(LedgerAction.Deployed, "dry run: nothing deployed", null);
        }

        var only = new Dictionary<string, DeliveryRelease>(StringComparer.Ordinal) { [old] = oldRelease };
        if (beside.Failure is not null)
        {
            var removed = await RemoveTrackAsync(old, only, setup);
            return await OutcomeAsync(release, beside, started, who,
                $"failed before traffic: the {next} track never took a request; {old} ({previous.Version}) kept serving{removed}");
        }

        var switched = _time.GetTimestamp();
        await SwitchAsync(setup, next);
        _session.Info($"Switched all traffic from {old} ({previous.Version}) to {next} ({release.Version}); {old} stays running until the probes pass.");
        var verdict = await _probe(_session.CancellationToken);
        _session.Info(verdict.Report.TrimEnd('\n'));
        if (!verdict.Passed)
        {
            // Traffic first: the old track is warm, so the switch back is one patch per Service; the clean-up comes after.
            await SwitchAsync(setup, old);
            var back = _time.GetElapsedTime(switched);
            var failure = $"the SLO probes failed after the switch: {string.Join("; ", verdict.Failures)}";
            Record(release.Version, release.Commit, release.Images, LedgerAction.Failed, $"blue/green: {failure}", started, who, revision: await LatestRevisionAsync());
            var removed = await RemoveTrackAsync(old, only, setup);
            Record(release.Version, release.Commit, release.Images, LedgerAction.RolledBack,
                $"automatic: switched back to the warm {old} track ({previous.Version}) {back.TotalSeconds:0.0} s after the switch{removed}", started, who, rolledBackTo: previous.Version, revision: await CurrentRevisionAsync());
            return new DeployOutcome(LedgerAction.RolledBack,
                $"Deploy of {release.Version} failed ({failure}). Switched back: {previous.Version} serves again from the warm {old} track{removed}.", null);
        }

        // The keep window ends with the probes passed: the old track goes.
        var cleanup = new Attempt { Stage = HelmStage.Upgrade, UpgradeStarted = true };
        try
        {
            await UpgradeAsync(await setup.WriteValuesAsync(next, new Dictionary<string, DeliveryRelease>(StringComparer.Ordinal) { [next] = release }));
        }
        catch (DeployStepException e)
        {
            _session.Warning($"{release.Version} serves from the {next} track and passed its probes, but removing the {old} track failed: {e.Message}. The next deploy renders the tracks again.");
            cleanup.Failure = e.Message;
        }

        var revision = await CurrentRevisionAsync();
        Record(release.Version, release.Commit, release.Images, LedgerAction.Deployed,
            $"blue/green: {next} track checked before traffic, switched from {old} ({previous.Version}), probes passed; revision {Text(revision)}{(cleanup.Failure is null ? $", {old} removed" : $", {old} not removed")}", started, who, revision: revision);
        return new DeployOutcome(LedgerAction.Deployed, $"{release.Version} is live on {Where} from the {next} track (revision {Text(revision)}): checked before traffic, switched at once, probes passed.", null);
    }

    /// <summary>The track the routed Service selects now; null when there is none (no release, or a rolling one).</summary>
    private async Task<string?> ServingTrackAsync(string service)
    {
        var got = await _session.QueryAsync(KubectlCli.Get(_deployment.Scope, "service", service).WithArguments("--ignore-not-found").AcceptingAnyExitCode());
        if (got.ExitCode != 0 || string.IsNullOrWhiteSpace(got.StandardOutput))
        {
            return got.ExitCode == 0 ? null : throw new InvalidOperationException($"Could not read the Service {service} of {Where}: {got.Reason}");
        }

        var track = JsonNode.Parse(got.StandardOutput)?["spec"]?["selector"]?[TrackLabel]?.GetValue<string>();
        return track is HelmBlueGreenValues.Blue or HelmBlueGreenValues.Green ? track : null;
    }

    /// <summary>Secrets, <c>helm upgrade</c> with <paramref name="tracks"/> (<paramref name="active"/> serving), rollout status of <paramref name="checkedTrack"/>, and the probes when asked.</summary>
    private Task<Attempt> DeployTracksAsync(string active, Dictionary<string, DeliveryRelease> tracks, HelmBlueGreenSetup setup, string checkedTrack, bool probe) =>
        InstallAsync(() => setup.WriteValuesAsync(active, tracks),
            setup.Services.Select(service => $"{HelmValues.ResourceName(_deployment.Release.Name, service)}-{checkedTrack}"), probe);

    /// <summary>Every switched Service's selector, then the HTTPRoute's backend, to <paramref name="track"/>: one patch each.</summary>
    private async Task SwitchAsync(HelmBlueGreenSetup setup, string track)
    {
        foreach (var service in setup.SwitchedServices)
        {
            await _session.RunCheckedAsync(KubectlCli.PatchJson(_deployment.Scope, "service", service, Patch("/spec/selector/slipway.dev~1track", track)));
        }

        if (setup.Route is { } route)
        {
            await _session.RunCheckedAsync(KubectlCli.PatchJson(_deployment.Scope, "httproute", route, Patch("/spec/rules/0/backendRefs/0/name", $"{setup.RoutedService}-{track}")));
        }
    }

    /// <summary>Removes the track not in <paramref name="tracks"/> with a <c>helm upgrade</c>; says how it went, for the outcome.</summary>
    private async Task<string> RemoveTrackAsync(string active, Dictionary<string, DeliveryRelease> tracks, HelmBlueGreenSetup setup)
    {
        try
        {
            await UpgradeAsync(await setup.WriteValuesAsync(active, tracks));
            return "; the new track was removed";
        }
        catch (DeployStepException e)
        {
            _session.Warning($"Removing the failed track from {Where} failed: {e.Message}. It takes no traffic; the next deploy renders the tracks again.");
            return $"; removing the new track failed ({e.Message})";
        }
    }

    private async Task<DeployOutcome> OutcomeAsync(DeliveryRelease release, Attempt attempt, long started, string who, string details)
    {
        if (_session.IsDryRun)
        {
            return new DeployOutcome(LedgerAction.Deployed, "dry run: nothing deployed", null);
        }

        if (attempt.Failure is null)
        {
            var revision = await CurrentRevisionAsync();
            Record(release.Version, release.Commit, release.Images, LedgerAction.Deployed, $"{details}; revision {Text(revision)}; rollout complete, probes passed", started, who, revision: revision);
            return new DeployOutcome(LedgerAction.Deployed, $"{release.Version} is live on {Where} as revision {Text(revision)}: every Deployment rolled out, probes passed.", null);
        }

        var failed = $"{attempt.Stage.Describe()} failed: {attempt.Failure}";
        Record(release.Version, release.Commit, release.Images, LedgerAction.Failed, $"{failed}; {details}", started, who, revision: await LatestRevisionAsync());
        return new DeployOutcome(LedgerAction.Failed, $"Deploy of {release.Version} failed ({failed}): {details}.", null);
    }

    private static string Patch(string path, string value) =>
        new JsonArray(new JsonObject { ["op"] = "replace", ["path"] = path, ["value"] = value }).ToJsonString();
}
