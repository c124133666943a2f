using System.Globalization;
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

    /// <summary>
    /// The revision of the release deployed (its images, the environment's values for it alone, its secrets' value
    /// hashes), recorded in the ledger; null when not known (a rollback, or a caller from before revisions).
    /// </summary>
    public ReleaseRevision? Revision { get; init; }

    /// <summary>
    /// Writes the chart values for an active track, the release of each track and the fresh track (the one that gets the
    /// environment's current variables; every other keeps the variables it runs with, null for none); returns the values
    /// files for helm.
    /// </summary>
    public required Func<string, IReadOnlyDictionary<string, DeliveryRelease>, string?, Task<IReadOnlyList<string>>> WriteValuesAsync { get; init; }
}

/// <summary>Blue/green on Kubernetes (<c>rollout.strategy: blue_green</c>).</summary>
public sealed partial class HelmDeployer
{
    private const string TrackLabel = "slipway.dev/track";

    /// <summary>On the routed Service while a keep window runs: the track kept warm (as Argo Rollouts marks a ReplicaSet's scale-down deadline).</summary>
    private const string WarmTrackAnnotation = "slipway.dev/warm-track";

    /// <summary>On the routed Service while a keep window runs: when it ends (UTC, ISO 8601).</summary>
    private const string WarmUntilAnnotation = "slipway.dev/warm-until";

    /// <summary>
    /// Deploys <paramref name="release"/> as the idle track beside the serving one (<c>helm upgrade</c> with both tracks,
    /// the Services still on the old), checks it before traffic (<c>kubectl rollout status</c> of every Deployment of the
    /// new track: their readiness probes, before any user request), then switches every Service's selector and the
    /// HTTPRoute's backend to it at once (<c>kubectl patch</c>), runs the SLO probes with the old track still running,
    /// and only then removes the old track (<c>helm upgrade</c> with the new one alone; with <c>rollout.keep_previous</c>,
    /// with both, the new one active, and the old one marked warm on the routed Service until the window ends). A failure
    /// before traffic removes the new track (the old never stopped serving); a failure after the switch switches back
    /// first, then removes it.
    /// </summary>
    public async Task<DeployOutcome> DeployBlueGreenAsync(DeliveryRelease release, HelmBlueGreenSetup setup, string who)
    {
        ArgumentNullException.ThrowIfNull(release);
        ArgumentNullException.ThrowIfNull(setup);
        var started = _time.GetTimestamp();
        var routed = _session.IsDryRun ? null : await RoutedStateAsync(setup.RoutedService);
        var serving = routed?.Track;
        var previous = serving is null ? null : _ledger.LastGood();
        if (serving is null || previous is null)
        {
            // The first blue/green deploy (or one after a rolling release, or with no good release in the ledger to keep warm):
            // nothing to switch from, so the serving track (blue on a first install) is updated in place, rolling.
            var track = serving ?? HelmBlueGreenValues.Blue;
            _session.Info($"Blue/green: {release.Version} goes to the {track} track of {Where}; no earlier track to keep warm, so it takes the traffic as it rolls out.");
            var first = await DeployTracksAsync(track, new Dictionary<string, DeliveryRelease>(StringComparer.Ordinal) { [track] = release }, setup, track, probe: true);
            return await OutcomeAsync(release, setup.Revision, first, started, who, $"blue/green: {track} track");
        }

        var next = HelmBlueGreenValues.Other(serving);

        var old = serving;
        var oldRelease = DeliveryRelease.From(previous);
        if (routed!.WarmTrack is { } warm)
        {
            // The track kept warm by the last deploy is the idle one this deploy replaces: its window ends now.
            _session.Info($"The {warm} track kept warm by the last deploy (rollout.keep_previous, until {routed.WarmUntilText}) is replaced by {release.Version}.");
            await ForgetWarmAsync(setup.RoutedService, routed);
        }

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
            return await OutcomeAsync(release, setup.Revision, beside, started, who,
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
            Record(release.Version, release.Commit, release.Images, LedgerAction.Failed, $"blue/green: {failure}", started, who, revision: await LatestRevisionAsync(), identity: setup.Revision);
            var removed = await RemoveTrackAsync(old, only, setup);
            Record(release.Version, release.Commit, release.Images, LedgerAction.RolledBack,
                $"automatic: switched back to the warm {old} track ({previous.Version}) {back.TotalSeconds:0.0} s after the switch{removed}", started, who, rolledBackTo: previous, revision: await CurrentRevisionAsync(), identity: setup.Revision);
            return new DeployOutcome(LedgerAction.RolledBack,
                $"Deploy of {release.Version} failed ({failure}). Switched back: {previous.Version} serves again from the warm {old} track{removed}.", null);
        }

        // The probes passed. Without rollout.keep_previous the old track goes now; with it, it stays, without traffic, for
        // that long. Either way Helm renders the tracks as they now serve (next active), so its revision is what runs.
        var keep = _deployment.Rollout.KeepPrevious?.Value;
        var until = keep is { } window ? _time.GetUtcNow() + window : (DateTimeOffset?)null;
        var rendered = new Dictionary<string, DeliveryRelease>(StringComparer.Ordinal) { [next] = release };
        if (until is not null)
        {
            rendered[old] = oldRelease;
        }

        string? cleanupFailure = null;
        try
        {
            await UpgradeAsync(await setup.WriteValuesAsync(next, rendered, next));
        }
        catch (DeployStepException e)
        {
            _session.Warning($"{release.Version} serves from the {next} track and passed its probes, but the helm upgrade that {(until is null ? $"removes the {old} track" : $"renders {next} as the serving track")} failed: {e.Message}. The next deploy renders the tracks again.");
            cleanupFailure = e.Message;
        }

        var kept = string.Empty;
        if (until is { } end && cleanupFailure is null)
        {
            await MarkWarmAsync(setup.RoutedService, old, end);
            kept = $", {old} ({previous.Version}) kept warm until {Stamp(end)} (rollout.keep_previous)";
            _session.Info($"The {old} track ({previous.Version}) stays running, without traffic, until {Stamp(end)} (rollout.keep_previous): Rollback to it before then switches the Services back; the next deploy replaces it.");
        }

        var revision = await CurrentRevisionAsync();
        var oldTrack = cleanupFailure is not null ? $", {old} not removed" : until is null ? $", {old} removed" : kept;
        Record(release.Version, release.Commit, release.Images, LedgerAction.Deployed,
            $"blue/green: {next} track checked before traffic, switched from {old} ({previous.Version}), probes passed; revision {Text(revision)}{oldTrack}", started, who, revision: revision, identity: setup.Revision);
        return new DeployOutcome(LedgerAction.Deployed, $"{release.Version} is live on {Where} from the {next} track (revision {Text(revision)}): checked before traffic, switched at once, probes passed{kept}.", null);
    }

    /// <summary>
    /// A rollback on a blue/green environment: to the release kept warm, inside its window (<c>rollout.keep_previous</c>),
    /// it is a switch of the Services and the HTTPRoute back to the warm track, then the other track goes (a helm upgrade
    /// that renders the warm one alone) and the probes run; otherwise <see cref="RollbackAsync(LedgerEntry, string?, string)"/> (helm rollback).
    /// </summary>
    public async Task<DeployOutcome> RollbackBlueGreenAsync(LedgerEntry target, LedgerEntry? current, HelmBlueGreenSetup setup, string who)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(setup);
        var started = _time.GetTimestamp();
        var warm = _session.IsDryRun ? null : await WarmTrackOfAsync(target, setup);
        if (warm is null)
        {
            return await HelmRollbackAsync(target, current, setup, who);
        }

        var (track, state) = warm.Value;
        var from = state.Track!;
        var targetRelease = DeliveryRelease.From(target);

        // The values that render the warm track alone are written before anything moves: a release that cannot be rendered
        // (a service the environment has gained since) is found before the switch, not after it.
        IReadOnlyList<string> values;
        try
        {
            values = await setup.WriteValuesAsync(track, new Dictionary<string, DeliveryRelease>(StringComparer.Ordinal) { [track] = targetRelease }, null);
        }
        catch (InvalidOperationException e)
        {
            _session.Info($"The {track} track runs {target.Version}, but its values cannot be rendered ({e.Message}): helm rollback instead.");
            return await HelmRollbackAsync(target, current, setup, who);
        }

        _session.Info($"Rolling {Where} back to {target.Version} inside its keep window (until {state.WarmUntilText}): switching the Services back to the warm {track} track");
        var decided = _time.GetUtcNow();
        await SwitchAsync(setup, track);
        var switched = _time.GetUtcNow();
        var within = (switched - decided).TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture);
        _session.Info($"Traffic switched from {from} back to {track} ({target.Version}): decided at {Stamp(decided)}, every Service and route patched at {Stamp(switched)} ({within} ms).");

        // Traffic first; then the window's marks and the track rolled back from go.
        await ForgetWarmAsync(setup.RoutedService, state);
        var attempt = new Attempt { Stage = HelmStage.Upgrade, UpgradeStarted = true };
        try
        {
            await UpgradeAsync(values);
            await WaitAndProbeAsync(attempt, setup.Services.Select(service => $"{HelmValues.ResourceName(_deployment.Release.Name, service)}-{track}"), probe: true);
        }
        catch (DeployStepException e)
        {
            attempt.Failure = e.Message;
        }

        var revision = await CurrentRevisionAsync();
        var taken = current ?? target;
        if (attempt.Failure is not null)
        {
            Record(taken.Version, taken.Commit, taken.Images, LedgerAction.Failed,
                $"manual rollback to {target.Version} inside the keep window: traffic switched back to the warm {track} track in {within} ms, but {attempt.Stage.Describe()} failed: {attempt.Failure}", started, who, revision: revision, identity: IdentityOf(taken));
            return new DeployOutcome(LedgerAction.Failed, $"Traffic is on {target.Version} again (the warm {track} track, switched in {within} ms), but {attempt.Stage.Describe()} failed: {attempt.Failure}.", null);
        }

        Record(taken.Version, taken.Commit, taken.Images, LedgerAction.RolledBack,
            $"manual rollback to {target.Version} inside the keep window (rollout.keep_previous, until {state.WarmUntilText}): every Service and the route switched back to the warm {track} track, {within} ms after the decision; the {from} track removed (revision {Text(revision)}); probes passed",
            started, who, rolledBackTo: target, revision: revision, identity: IdentityOf(taken));
        return new DeployOutcome(LedgerAction.RolledBack, $"{_deployment.Environment} runs {target.Version} again: traffic switched back to its warm {track} track ({within} ms), the {from} track removed (revision {Text(revision)}), probes passed.", null);
    }

    /// <summary><c>helm rollback</c> to the target's revision, then the rollout of the track that revision serves.</summary>
    private Task<DeployOutcome> HelmRollbackAsync(LedgerEntry target, LedgerEntry? current, HelmBlueGreenSetup setup, string who) =>
        RollbackAsync(target, current?.Version, current, who, async () => (await RoutedStateAsync(setup.RoutedService))?.Track is { } track
            ? setup.Services.Select(service => $"{HelmValues.ResourceName(_deployment.Release.Name, service)}-{track}")
            : _deployment.Deployments);

    /// <summary>
    /// The warm track that runs <paramref name="target"/> inside its keep window, with the routed Service's state; null
    /// (saying why, when there was a window) when the rollback cannot be a switch.
    /// </summary>
    private async Task<(string Track, RoutedServiceState State)?> WarmTrackOfAsync(LedgerEntry target, HelmBlueGreenSetup setup)
    {
        var state = await RoutedStateAsync(setup.RoutedService);
        if (state?.WarmTrack is not { } track || state.Track is null)
        {
            return null;
        }

        if (state.WarmUntil is not { } until)
        {
            _session.Warning($"The Service {setup.RoutedService} says the {track} track is kept warm until \"{state.WarmUntilText}\", which is not a time: helm rollback instead.");
            return null;
        }

        if (until <= _time.GetUtcNow())
        {
            _session.Info($"The keep window of the {track} track ended at {Stamp(until)} (rollout.keep_previous): helm rollback instead.");
            return null;
        }

        foreach (var service in setup.Services)
        {
            var name = $"{HelmValues.ResourceName(_deployment.Release.Name, service)}-{track}";
            var got = await _session.QueryAsync(KubectlCli.Get(_deployment.Scope, "deployment", name).WithArguments("--ignore-not-found").AcceptingAnyExitCode());
            var image = got.ExitCode == 0 && !string.IsNullOrWhiteSpace(got.StandardOutput)
                ? JsonNode.Parse(got.StandardOutput)?["spec"]?["template"]?["spec"]?["containers"]?[0]?["image"]?.GetValue<string>()
                : null;
            if (image is null || !target.Images.TryGetValue(service, out var wanted) || !SameImage(image, wanted))
            {
                _session.Info($"The warm {track} track does not run {target.Version}'s {service} ({(image is null ? $"no Deployment {name}" : image)}): helm rollback instead.");
                return null;
            }

            var ready = await _session.QueryAsync(KubectlCli.RolloutStatus(_deployment.Scope, name, WarmReadyTimeout).AcceptingAnyExitCode());
            if (ready.ExitCode != 0)
            {
                _session.Info($"The warm Deployment {name} is not ready ({ready.Reason}): helm rollback instead.");
                return null;
            }
        }

        return (track, state);
    }

    /// <summary>How long a rollback waits for a warm Deployment to say it is rolled out; one that was kept ready answers at once.</summary>
    private static readonly TimeSpan WarmReadyTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Images are compared by digest when the ledger has one (the chart may name another registry's repository).</summary>
    private static bool SameImage(string running, string recorded)
    {
        var at = recorded.LastIndexOf('@');
        return at > 0 ? running.EndsWith(recorded[at..], StringComparison.Ordinal) : string.Equals(running, recorded, StringComparison.Ordinal);
    }

    /// <summary>
    /// The routed Service as it is now: the track it selects (null when there is none: no release, or a rolling one) and
    /// the keep window's marks; null when the Service does not exist.
    /// </summary>
    private async Task<RoutedServiceState?> RoutedStateAsync(string service)
    {
        var got = await _session.QueryAsync(KubectlCli.Get(_deployment.Scope, "service", service).WithArguments("--ignore-not-found").AcceptingAnyExitCode());
        if (got.ExitCode != 0 || string.IsNullOrWhiteSpace(got.StandardOutput))
        {
            return got.ExitCode == 0 ? null : throw new InvalidOperationException($"Could not read the Service {service} of {Where}: {got.Reason}");
        }

        var node = JsonNode.Parse(got.StandardOutput);
        static string? Track(string? text) => text is HelmBlueGreenValues.Blue or HelmBlueGreenValues.Green ? text : null;
        var annotations = node?["metadata"]?["annotations"] as JsonObject;
        var track = Track(node?["spec"]?["selector"]?[TrackLabel]?.GetValue<string>());
        var warm = Track(annotations?[WarmTrackAnnotation]?.GetValue<string>());
        var untilText = annotations?[WarmUntilAnnotation]?.GetValue<string>();
        return new RoutedServiceState(
            track,
            warm == track ? null : warm,
            untilText,
            DateTimeOffset.TryParse(untilText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var until) ? until : null,
            annotations is not null,
            annotations?.ContainsKey(WarmTrackAnnotation) == true,
            annotations?.ContainsKey(WarmUntilAnnotation) == true);
    }

    /// <summary>Marks the routed Service with the keep window: which track is warm, and until when.</summary>
    private async Task MarkWarmAsync(string service, string track, DateTimeOffset until)
    {
        // A JSON patch adds to an existing annotations map key by key (the chart's own annotations stay), or adds the map.
        var marks = new JsonObject { [WarmTrackAnnotation] = track, [WarmUntilAnnotation] = Stamp(until) };
        var operations = (await RoutedStateAsync(service))?.HasAnnotations == true
            ? new JsonArray([.. marks.Select(m => (JsonNode)new JsonObject { ["op"] = "add", ["path"] = $"/metadata/annotations/{Pointer(m.Key)}", ["value"] = m.Value!.DeepClone() })])
            : new JsonArray(new JsonObject { ["op"] = "add", ["path"] = "/metadata/annotations", ["value"] = marks });
        await _session.RunCheckedAsync(KubectlCli.PatchJson(_deployment.Scope, "service", service, operations.ToJsonString()));
    }

    /// <summary>Removes the keep window's marks from the routed Service (the warm track is replaced or taken back).</summary>
    private async Task ForgetWarmAsync(string service, RoutedServiceState state)
    {
        var operations = new JsonArray();
        foreach (var (key, present) in new[] { (WarmTrackAnnotation, state.HasWarmTrack), (WarmUntilAnnotation, state.HasWarmUntil) })
        {
            if (present)
            {
                operations.Add(new JsonObject { ["op"] = "remove", ["path"] = $"/metadata/annotations/{Pointer(key)}" });
            }
        }

        if (operations.Count > 0)
        {
            await _session.RunCheckedAsync(KubectlCli.PatchJson(_deployment.Scope, "service", service, operations.ToJsonString()));
        }
    }

    private static string Pointer(string key) => key.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    private static string Stamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// Secrets, <c>helm upgrade</c> with <paramref name="tracks"/> (<paramref name="active"/> serving, <paramref name="checkedTrack"/>
    /// with the environment's variables, the other with its own), rollout status of <paramref name="checkedTrack"/>, and the probes when asked.
    /// </summary>
    private Task<Attempt> DeployTracksAsync(string active, Dictionary<string, DeliveryRelease> tracks, HelmBlueGreenSetup setup, string checkedTrack, bool probe) =>
        InstallAsync(() => setup.WriteValuesAsync(active, tracks, checkedTrack),
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
            await UpgradeAsync(await setup.WriteValuesAsync(active, tracks, null));
            return "; the new track was removed";
        }
        catch (DeployStepException e)
        {
            _session.Warning($"Removing the failed track from {Where} failed: {e.Message}. It takes no traffic; the next deploy renders the tracks again.");
            return $"; removing the new track failed ({e.Message})";
        }
    }

    private async Task<DeployOutcome> OutcomeAsync(DeliveryRelease release, ReleaseRevision? identity, Attempt attempt, long started, string who, string details)
    {
        if (_session.IsDryRun)
        {
            return new DeployOutcome(LedgerAction.Deployed, "dry run: nothing deployed", null);
        }

        if (attempt.Failure is null)
        {
            var revision = await CurrentRevisionAsync();
            Record(release.Version, release.Commit, release.Images, LedgerAction.Deployed, $"{details}; revision {Text(revision)}; rollout complete, probes passed", started, who, revision: revision, identity: identity);
            return new DeployOutcome(LedgerAction.Deployed, $"{release.Version} is live on {Where} as revision {Text(revision)}: every Deployment rolled out, probes passed.", null);
        }

        var failed = $"{attempt.Stage.Describe()} failed: {attempt.Failure}";
        Record(release.Version, release.Commit, release.Images, LedgerAction.Failed, $"{failed}; {details}", started, who, revision: await LatestRevisionAsync(), identity: identity);
        return new DeployOutcome(LedgerAction.Failed, $"Deploy of {release.Version} failed ({failed}): {details}.", null);
    }

    private static string Patch(string path, string value) =>
        new JsonArray(new JsonObject { ["op"] = "replace", ["path"] = path, ["value"] = value }).ToJsonString();
}

/// <summary>The routed Service of a blue/green release: the track it selects and the keep window's marks.</summary>
internal sealed record RoutedServiceState(string? Track, string? WarmTrack, string? WarmUntilText, DateTimeOffset? WarmUntil, bool HasAnnotations, bool HasWarmTrack, bool HasWarmUntil);
