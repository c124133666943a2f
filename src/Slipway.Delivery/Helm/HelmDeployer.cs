using System.Globalization;
using Slipway.Delivery.Compose;
using Slipway.Processes;
using Slipway.Tools.Helm;
using Slipway.Tools.Kubectl;

namespace Slipway.Delivery.Helm;

/// <summary>
/// Deploys a release to Kubernetes as a Helm release, and rolls back to the ledger's last good release when it fails:
/// Secrets (<c>kubectl apply -f -</c>, values on stdin) → <c>helm upgrade --install</c> (waiting, rolling itself back on
/// failure) → <c>kubectl rollout status</c> per Deployment → SLO probes → ledger, with the Helm revision. On a failure
/// after the upgrade started: <c>helm rollback</c> to the revision the ledger recorded for its last good release (checked
/// against <c>helm history</c>: it must have run successfully), rollout status and probes again, ledger Failed then RolledBack.
/// </summary>
/// <remarks>
/// The environment lock and signature verification come before this (the pipeline's job). Every tool runs through the
/// <see cref="IToolSession"/>, so a dry run prints the commands; it reads no history then, as there may be no cluster.
/// </remarks>
public sealed partial class HelmDeployer
{
    private readonly HelmDeployment _deployment;
    private readonly IToolSession _session;
    private readonly ReleaseLedger _ledger;
    private readonly HelmVersion _helm;
    private readonly Func<CancellationToken, Task<ProbeVerdict>> _probe;
    private readonly TimeProvider _time;

    /// <summary>Creates a deployer for <paramref name="deployment"/> with the installed Helm's <paramref name="helm"/> version.</summary>
    /// <param name="deployment">Where and how.</param>
    /// <param name="session">Runs the tools.</param>
    /// <param name="ledger">The environment's ledger: read for the last good release, appended with every outcome.</param>
    /// <param name="helm">The installed Helm's version (flags differ between 3 and 4).</param>
    /// <param name="probe">The SLO probes against the environment's URL.</param>
    /// <param name="time">The clock for durations and ledger times.</param>
    public HelmDeployer(HelmDeployment deployment, IToolSession session, ReleaseLedger ledger, HelmVersion helm, Func<CancellationToken, Task<ProbeVerdict>> probe, TimeProvider time)
    {
        _deployment = deployment ?? throw new ArgumentNullException(nameof(deployment));
        _session = session ?? throw new ArgumentNullException(nameof(session));
        _ledger = ledger ?? throw new ArgumentNullException(nameof(ledger));
        _helm = helm ?? throw new ArgumentNullException(nameof(helm));
        _probe = probe ?? throw new ArgumentNullException(nameof(probe));
        _time = time ?? throw new ArgumentNullException(nameof(time));
    }

    private string Where => $"{_deployment.Environment} (Helm release {_deployment.Release.Name} in namespace {_deployment.Release.Namespace}{(_deployment.Release.KubeContext is { } context ? $", context {context}" : string.Empty)})";

    /// <summary>Deploys <paramref name="release"/>; on a failure after the upgrade started, rolls back when the matrix says so. Every outcome is appended to the ledger.</summary>
    /// <remarks>A <paramref name="promotion"/> ends a canary: success is recorded as <see cref="LedgerAction.Promoted"/>.</remarks>
    public async Task<DeployOutcome> DeployAsync(HelmRelease release, string who, bool promotion = false)
    {
        ArgumentNullException.ThrowIfNull(release);
        var started = _time.GetTimestamp();
        var success = promotion ? LedgerAction.Promoted : LedgerAction.Deployed;
        _session.Info($"{(promotion ? "Promoting" : "Deploying")} {release.Version} to {Where} with Helm {_helm}");
        var attempt = await InstallAsync(() => Task.FromResult(release.ValuesFiles), _deployment.Deployments, probe: true);
        if (_session.IsDryRun)
        {
            return new DeployOutcome(success, "dry run: nothing deployed", null);
        }

        var revision = await CurrentRevisionAsync();
        if (attempt.Failure is null)
        {
            Record(release.Version, release.Commit, release.Images, success, $"{(promotion ? "canary promoted; " : string.Empty)}revision {Text(revision)}; rollout complete, probes passed", started, who, revision: revision, identity: release.Revision);
            return new DeployOutcome(success, $"{release.Version} is live on {Where} as revision {Text(revision)}: every Deployment rolled out, probes passed.", null);
        }

        var failed = $"{attempt.Stage.Describe()} failed: {attempt.Failure}";
        var latest = await LatestRevisionAsync();
        Record(release.Version, release.Commit, release.Images, LedgerAction.Failed, failed, started, who, revision: latest, identity: release.Revision);
        if (!attempt.UpgradeStarted)
        {
            return new DeployOutcome(LedgerAction.Failed, $"Deploy of {release.Version} failed ({attempt.Stage.Describe()}): {attempt.Failure}. Helm was not run: the previous release keeps serving.", null);
        }

        // The previous good revision: of another version, or of this one with its previous configuration or secrets.
        var lastGood = release.Revision is { } identity ? _ledger.LastGoodOtherThan(release.Version, identity.Id) : _ledger.LastGoodExcept(release.Version);
        if (!_deployment.Rollout.RollbackOnFailure || lastGood is null)
        {
            var why = lastGood is null ? "there is no earlier good release in the ledger to return to" : "rollout.rollback_on_failure is off";
            return new DeployOutcome(LedgerAction.Failed,
                $"Deploy of {release.Version} failed ({attempt.Stage.Describe()}): {attempt.Failure}. Not rolled back by Slipway: {why}. See: helm history {_deployment.Release.Name} -n {_deployment.Release.Namespace}", null);
        }

        var sameVersion = lastGood.Version == release.Version ? $" (rev {lastGood.RevisionId}: the same version with its previous configuration)" : string.Empty;
        _session.Warning($"{failed}. Rolling back to {lastGood.Version}{sameVersion}, the last good release.");
        var rollbackStarted = _time.GetTimestamp();
        var rollback = await RollBackToAsync(lastGood);
        if (rollback.Failure is null)
        {
            Record(release.Version, release.Commit, release.Images, LedgerAction.RolledBack,
                $"automatic: {failed}; helm rollback to revision {lastGood.Revision} ({lastGood.Version}) made revision {Text(rollback.Revision)}, its probes passed",
                rollbackStarted, who, rolledBackTo: lastGood, revision: rollback.Revision, identity: release.Revision);
            return new DeployOutcome(LedgerAction.RolledBack,
                $"Deploy of {release.Version} failed ({attempt.Stage.Describe()}): {attempt.Failure}. Rolled back automatically: {lastGood.Version} (revision {lastGood.Revision}){sameVersion} serves again as revision {Text(rollback.Revision)} and passed its probes.", null);
        }

        Record(lastGood.Version, lastGood.Commit, lastGood.Images, LedgerAction.Failed, $"automatic rollback from {release.Version} failed: {rollback.Stage.Describe()}: {rollback.Failure}", rollbackStarted, who, revision: await LatestRevisionAsync(), identity: IdentityOf(lastGood));
        return new DeployOutcome(LedgerAction.Failed,
            $"Deploy of {release.Version} failed ({attempt.Stage.Describe()}): {attempt.Failure}. The automatic rollback to {lastGood.Version} failed too ({rollback.Stage.Describe()}): {rollback.Failure}. "
            + $"Inspect the release (helm history {_deployment.Release.Name} -n {_deployment.Release.Namespace}) and run Rollback --to VERSION.", null);
    }

    /// <summary>
    /// Returns the environment to <paramref name="target"/> (a Deployed or Promoted ledger entry with its Helm revision)
    /// with <c>helm rollback</c>, then rollout status and probes; <paramref name="current"/> is the version taken away.
    /// </summary>
    public Task<DeployOutcome> RollbackAsync(LedgerEntry target, string? current, string who) =>
        RollbackAsync(target, current, current is not null && _ledger.Find(current) is { Count: > 0 } entries ? entries[^1] : null, who, servedDeployments: null);

    /// <summary>
    /// <see cref="RollbackAsync(LedgerEntry, string?, string)"/> from the release <paramref name="current"/> recorded (its
    /// revision, not only its version, goes into the ledger's RolledBack entry).
    /// </summary>
    internal Task<DeployOutcome> RollbackFromAsync(LedgerEntry target, LedgerEntry? current, string who) =>
        RollbackAsync(target, current?.Version, current, who, servedDeployments: null);

    /// <summary>
    /// The rollback, waiting after <c>helm rollback</c> for the Deployments <paramref name="servedDeployments"/> names
    /// (read after the rollback: a blue/green revision serves from one track's), by default the rolling release's.
    /// </summary>
    private async Task<DeployOutcome> RollbackAsync(LedgerEntry target, string? current, LedgerEntry? currentEntry, string who, Func<Task<IEnumerable<string>>>? servedDeployments)
    {
        ArgumentNullException.ThrowIfNull(target);
        var started = _time.GetTimestamp();
        _session.Info($"Rolling {Where} back to {target.Version} (revision {Text(target.Revision)}){(current is null ? string.Empty : $" from {current}")}");
        var attempt = await RollBackToAsync(target, servedDeployments);
        if (_session.IsDryRun)
        {
            return new DeployOutcome(LedgerAction.RolledBack, "dry run: nothing rolled back", null);
        }

        if (attempt.Failure is null)
        {
            var taken = currentEntry ?? target;
            Record(current ?? target.Version, taken.Commit, taken.Images, LedgerAction.RolledBack,
                $"manual: helm rollback to revision {target.Revision} made revision {Text(attempt.Revision)}; probes passed", started, who, rolledBackTo: target, revision: attempt.Revision, identity: IdentityOf(taken));
            return new DeployOutcome(LedgerAction.RolledBack, $"{_deployment.Environment} runs {target.Version} again (revision {Text(attempt.Revision)}): every Deployment rolled out, probes passed.", null);
        }

        Record(target.Version, target.Commit, target.Images, LedgerAction.Failed, $"rollback to {target.Version} failed: {attempt.Stage.Describe()}: {attempt.Failure}", started, who, revision: await LatestRevisionAsync(), identity: IdentityOf(target));
        return new DeployOutcome(LedgerAction.Failed, $"Rollback to {target.Version} failed ({attempt.Stage.Describe()}): {attempt.Failure}.", null);
    }

    /// <summary>The Secrets the chart reads, applied with their values on stdin (and the namespace first, on a first install).</summary>
    private async Task ApplySecretsAsync()
    {
        if (_deployment.CreateNamespace && _deployment.Secrets.Count > 0)
        {
            // The Secrets go in before Helm's --create-namespace could make the namespace: on a first install, make it here.
            await _session.RunCheckedAsync(KubectlCli.ApplyFromStandardInput(_deployment.Scope, InvocationValue.FromString(
                $"{{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{{\"name\":{System.Text.Json.JsonSerializer.Serialize(_deployment.Release.Namespace)}}}}}\n")));
        }

        foreach (var secret in _deployment.Secrets)
        {
            await _session.RunCheckedAsync(KubectlCli.ApplyFromStandardInput(_deployment.Scope, KubernetesSecretManifest.Render(
                secret.Name, _deployment.Release.Namespace, secret.Values, new Dictionary<string, string> { ["app.kubernetes.io/managed-by"] = "slipway" }, secret.Type)), echo: false);
        }
    }

    /// <summary>
    /// The forward path of every deploy: the Secrets, <c>helm upgrade</c> with the values <paramref name="values"/> writes,
    /// rollout status of <paramref name="deployments"/>, and the SLO probes when <paramref name="probe"/>; a step's failure
    /// ends it, recorded in the attempt with the stage it failed in.
    /// </summary>
    private async Task<Attempt> InstallAsync(Func<Task<IReadOnlyList<string>>> values, IEnumerable<string> deployments, bool probe)
    {
        var attempt = new Attempt();
        try
        {
            attempt.Stage = HelmStage.Secrets;
            await ApplySecretsAsync();
            attempt.Stage = HelmStage.Upgrade;
            attempt.UpgradeStarted = true;
            await UpgradeAsync(await values());
            await WaitAndProbeAsync(attempt, deployments, probe);
        }
        catch (DeployStepException e)
        {
            attempt.Failure = e.Message;
        }

        return attempt;
    }

    /// <summary><c>helm upgrade --install</c> of the chart with <paramref name="valuesFiles"/>, waiting, rolling itself back on failure when the matrix says so.</summary>
    private Task UpgradeAsync(IReadOnlyList<string> valuesFiles) =>
        _session.RunCheckedAsync(HelmCli.UpgradeInstall(new HelmUpgrade
        {
            Release = _deployment.Release,
            Chart = _deployment.Chart,
            ValuesFiles = valuesFiles,
            CreateNamespace = _deployment.CreateNamespace,
            Timeout = _deployment.Rollout.Timeout.Value,
            HistoryMax = _deployment.HistoryMax,
            RollbackOnFailure = _deployment.Rollout.RollbackOnFailure,
        }, _helm));

    private async Task<Attempt> RollBackToAsync(LedgerEntry target, Func<Task<IEnumerable<string>>>? servedDeployments = null)
    {
        var attempt = new Attempt { Stage = HelmStage.Rollback, UpgradeStarted = true };
        try
        {
            if (target.Revision is not { } revision)
            {
                throw new DeployStepException($"the ledger has no Helm revision for {target.Version} (it was recorded by another driver or an older Slipway), so there is nothing to pass to helm rollback");
            }

            if (!_session.IsDryRun)
            {
                var history = await HistoryAsync();
                var known = history.Find(revision)
                    ?? throw new DeployStepException($"Helm no longer keeps revision {revision} ({target.Version}); it keeps the last {_deployment.HistoryMax} (history_max), the oldest now is {Text(history.Revisions.Count == 0 ? null : history.Revisions[0].Revision)}");
                if (!known.RanSuccessfully)
                {
                    throw new DeployStepException($"revision {revision} ({target.Version}) is {HelmRevision.Spell(known.Status)} in helm history, not deployed or superseded: it never ran successfully, so Slipway will not return to it");
                }
            }

            await _session.RunCheckedAsync(HelmCli.Rollback(_deployment.Release, revision, _deployment.Rollout.Timeout.Value, _deployment.HistoryMax, _helm));
            await WaitAndProbeAsync(attempt, servedDeployments is null || _session.IsDryRun ? _deployment.Deployments : await servedDeployments(), probe: true);
        }
        catch (DeployStepException e)
        {
            attempt.Failure = e.Message;
        }

        if (!_session.IsDryRun && attempt.Failure is null)
        {
            attempt.Revision = await CurrentRevisionAsync();
        }

        return attempt;
    }

    private async Task WaitAndProbeAsync(Attempt attempt, IEnumerable<string> deployments, bool probe)
    {
        attempt.Stage = attempt.Stage == HelmStage.Rollback ? HelmStage.Rollback : HelmStage.Rollout;
        foreach (var deployment in deployments)
        {
            await _session.RunCheckedAsync(KubectlCli.RolloutStatus(_deployment.Scope, deployment, _deployment.Rollout.HealthTimeout.Value));
        }

        if (attempt.Stage != HelmStage.Rollback)
        {
            attempt.Stage = HelmStage.Probes;
        }

        if (_session.IsDryRun || !probe)
        {
            return;
        }

        var verdict = await _probe(_session.CancellationToken);
        _session.Info(verdict.Report.TrimEnd('\n'));
        if (!verdict.Passed)
        {
            throw new DeployStepException((attempt.Stage == HelmStage.Rollback ? "the SLO probes failed: " : string.Empty) + string.Join("; ", verdict.Failures));
        }
    }

    private async Task<HelmReleaseHistory> HistoryAsync()
    {
        var result = await _session.QueryAsync(HelmCli.History(_deployment.Release).AcceptingAnyExitCode());
        if (result.ExitCode == 0)
        {
            try
            {
                return HelmReleaseHistory.Parse(result.StandardOutput);
            }
            catch (FormatException e)
            {
                throw new DeployStepException(e.Message, e);
            }
        }

        return result.StandardError.Contains("not found", StringComparison.Ordinal)
            ? HelmReleaseHistory.Empty
            : throw new DeployStepException($"helm history exited with {result.ExitCode}: {result.Reason}");
    }

    private async Task<int?> CurrentRevisionAsync() => (await HistoryOrEmptyAsync()).Current?.Revision;

    private async Task<int?> LatestRevisionAsync() => (await HistoryOrEmptyAsync()).Latest?.Revision;

    /// <summary>For the ledger only: an unreadable history must not keep an outcome out of it.</summary>
    private async Task<HelmReleaseHistory> HistoryOrEmptyAsync()
    {
        try
        {
            return await HistoryAsync();
        }
        catch (DeployStepException e)
        {
            _session.Warning($"Could not read the Helm revision for the ledger: {e.Message}");
            return HelmReleaseHistory.Empty;
        }
    }

    /// <summary>Appends an entry; <paramref name="identity"/> is the release revision it is about, <paramref name="rolledBackTo"/> the entry of the release a rollback returned to.</summary>
    private void Record(string version, string commit, IReadOnlyDictionary<string, string> images, LedgerAction action, string details, long started, string who, LedgerEntry? rolledBackTo = null, int? revision = null, ReleaseRevision? identity = null) =>
        _ledger.Append(new LedgerEntry(_deployment.Environment, version, commit, images, who, _time.GetUtcNow(), action, details, _time.GetElapsedTime(started), rolledBackTo?.Version, revision,
            identity?.Id, identity?.ConfigurationHash, rolledBackTo?.RevisionId));

    /// <summary>The release revision a ledger entry recorded; null for an entry from before revisions.</summary>
    private static ReleaseRevision? IdentityOf(LedgerEntry entry) => entry.RevisionId is { } id ? new ReleaseRevision(id, entry.ConfigurationHash ?? string.Empty) : null;

    private static string Text(int? revision) => revision?.ToString(CultureInfo.InvariantCulture) ?? "?";


    private sealed class Attempt
    {
        public HelmStage Stage { get; set; }

        public string? Failure { get; set; }

        public bool UpgradeStarted { get; set; }

        public int? Revision { get; set; }
    }
}

/// <summary>The steps of a Helm deploy, in order.</summary>
internal enum HelmStage
{
    Secrets,
    Upgrade,
    Rollout,
    Probes,
    Rollback,
}

internal static class HelmStageText
{
    public static string Describe(this HelmStage stage) => stage switch
    {
        HelmStage.Secrets => "applying the Secrets",
        HelmStage.Upgrade => "helm upgrade",
        HelmStage.Rollout => "the rollout (kubectl rollout status)",
        HelmStage.Probes => "the SLO probes",
        _ => "helm rollback",
    };
}
