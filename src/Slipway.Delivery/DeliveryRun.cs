using Slipway.Delivery.Canary;
using Slipway.Delivery.Compose;
using Slipway.Delivery.Gates;
using Slipway.Delivery.Migrations;
using Slipway.Environments;
using Slipway.Processes;

namespace Slipway.Delivery;

/// <summary>What a delivery run may do besides deploying: wait for or break the lock, verify images, publish outputs.</summary>
public sealed record DeliveryOptions
{
    /// <summary>How long to wait for another deploy's lock on the environment; zero fails at once.</summary>
    public TimeSpan LockWait { get; init; }

    /// <summary>How long the lock's lease runs without renewal; the run renews it every quarter of that while it holds the lock.</summary>
    public TimeSpan LockLease { get; init; } = LockHolder.DefaultLease;

    /// <summary>Remove the environment's lock first (a lock left by a killed run).</summary>
    public bool BreakLock { get; init; }

    /// <summary>
    /// Refuses images that the environment's policy would not let in (signature, SBOM attestation): a rollback or a manual
    /// promotion verifies the release it puts back. Null when the pipeline verifies nothing.
    /// </summary>
    public Func<IReadOnlyDictionary<string, string>, Task>? VerifyAsync { get; init; }

    /// <summary>Publishes an output of the run (the environment's URL), e.g. a GitHub Actions step output.</summary>
    public Action<string, string>? SetOutput { get; init; }

    /// <summary>Who deploys, for the ledger.</summary>
    public string Who { get; init; } = LedgerEntry.CurrentUser;

    /// <summary>
    /// The environment's gates (protection), run before the lock unless they already ran in this run; they throw to refuse,
    /// and return what they let through on purpose (<c>--override-protection</c>), which the ledger records, else null.
    /// </summary>
    public Func<Task<string?>>? GatesAsync { get; init; }

    /// <summary>Outside the maintenance window, wait for it to open instead of refusing a release with migrations pending.</summary>
    public bool WaitForWindow { get; init; }

    /// <summary>Roll back although the rollback crosses a contract migration; the ledger records it.</summary>
    public bool Force { get; init; }
}

/// <summary>
/// One delivery to one environment, the same for every driver: lock the environment, verify, let the driver deploy,
/// report what happened (and what runs now), and choose what a rollback returns to. Canaries and the manual
/// promote and abort go through here too.
/// </summary>
/// <remarks>
/// Reads like a deploy's steps: <see cref="DeployAsync"/> is lock → driver → report; <see cref="RollbackAsync"/> is
/// choose → lock → verify → driver → report; <see cref="CanaryAsync"/> is lock → stable from the ledger → controller → report.
/// </remarks>
public sealed class DeliveryRun
{
    private readonly DeliveryEnvironment _environment;
    private readonly IDeployDriver _driver;
    private readonly IToolSession _session;
    private readonly DeliveryOptions _options;
    private readonly TimeProvider _time;

    /// <summary>A run that deploys to <paramref name="environment"/> with <paramref name="driver"/>, every effect through <paramref name="session"/>.</summary>
    public DeliveryRun(DeliveryEnvironment environment, IDeployDriver driver, IToolSession session, DeliveryOptions options, TimeProvider time)
    {
        _environment = environment ?? throw new ArgumentNullException(nameof(environment));
        _driver = driver ?? throw new ArgumentNullException(nameof(driver));
        _session = session ?? throw new ArgumentNullException(nameof(session));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _time = time ?? throw new ArgumentNullException(nameof(time));
    }

    private string Name => _environment.Name;


    /// <summary>Deploys <paramref name="release"/>: lock, the driver's deploy (which rolls back by itself when the release fails after traffic moved), report.</summary>
    public async Task DeployAsync(DeliveryRelease release)
    {
        ArgumentNullException.ThrowIfNull(release);
        var overridden = await GatesAsync();
        await new MaintenanceWindowGate(_environment, _session, _time).PassAsync(release, _options.WaitForWindow);
        await HostCheckGate.CheckRoomForImagesAsync(_environment, _session, release.Images);
        await WithLockAsync(release.Version, async () =>
        {
            RecordOverride(release, overridden);
            Report(await _driver.DeployAsync(release, _options.Who), LedgerAction.Deployed);
        });
    }

    /// <summary>
    /// Returns to <paramref name="to"/> (a version, or a revision from History), else the good revision before the running
    /// one: chosen from the ledger, verified again, deployed the same way.
    /// </summary>
    public async Task RollbackAsync(string? to)
    {
        var (target, current) = ChooseRollback(to);
        await WithLockAsync(target.Version, async () =>
        {
            RefuseContractCrossing(target);
            await VerifyAsync(target.Images);
            Report(await _driver.RollbackAsync(target, current, _options.Who), LedgerAction.RolledBack);
        });
    }

    /// <summary>
    /// The emergency path: restores <paramref name="backupName"/> (default the newest backup of the environment) and
    /// deploys the revision it was taken of, under the lock, after a fresh backup of the current state (Compose only).
    /// </summary>
    public async Task RestoreBackupAsync(string? backupName)
    {
        var driver = RestoringDriver("RestoreBackup");
        var backup = ChooseBackup(driver, backupName);

        var ledger = _environment.Ledger();
        var target = RevisionOf(ledger, backup);
        await WithLockAsync(target.Version, async () =>
        {
            await VerifyAsync(target.Images);
            Report(await driver.RestoreBackupAsync(backup, target, ledger.LastGood(), _options.Who), LedgerAction.RolledBack);
        });
    }

    /// <summary>
    /// Restores the newest backup into a scratch database beside the live one, checks it and reports its age (RPO) and
    /// the restore's duration (RTO) against the matrix; fails when an objective is missed. The scratch database is
    /// removed whatever happens.
    /// </summary>
    public async Task RestoreDrillAsync()
    {
        var driver = RestoringDriver("RestoreDrill");
        var backup = ChooseBackup(driver, null);

        var report = await driver.RestoreDrillAsync(backup);
        _session.Info(report.Describe());
        if (report.Failures.Count > 0)
        {
            throw new InvalidOperationException($"Restore drill of {Name} failed: {string.Join("; ", report.Failures)}.");
        }
    }

    private ComposeDeployDriver RestoringDriver(string target) => _driver as ComposeDeployDriver ?? throw new InvalidOperationException(
        $"{target} restores the Postgres a Compose stack runs, and {_environment.EnvironmentFile} deploys with {_environment.Environment.Delivery.Driver.ToString().ToLowerInvariant()}: restore a managed database with its provider's tools.");

    /// <summary>The named backup, else the newest; in a dry run that finds none, a placeholder (said).</summary>
    private Backups.BackupFileName ChooseBackup(ComposeDeployDriver driver, string? name)
    {
        var directory = _environment.Relative(driver.BackupDirectory);
        var backups = Backups.BackupCatalog.Of(driver.BackupDirectory, Name);
        if (name is not null)
        {
            return Backups.BackupCatalog.NameError(name, Name, directory) is { } error
                ? throw new InvalidOperationException(error)
                : backups.SingleOrDefault(b => b.FileName == name) ?? throw new InvalidOperationException(
                    $"There is no backup {name} in {directory}{(backups.Count == 0 ? string.Empty : $"; the newest are {string.Join(", ", backups.TakeLast(3).Select(b => b.FileName))}")}.");
        }

        if (backups.Count > 0)
        {
            return backups[^1];
        }

        var none = $"There is no backup of {Name} in {directory}: deploys take one before migrations (data.postgres.backup.before_deploy).";
        if (_session.IsDryRun)
        {
            // The backups are where the environment is: the plan still prints, with a name that says what it stands for.
            var shown = Backups.BackupFileName.Create(Name, _time.GetUtcNow(), "newest-backup-then");
            _session.Info($"dry run: {none} The plan shows {shown.FileName} in its place.");
            return shown;
        }

        throw new InvalidOperationException(none);
    }

    /// <summary>The good revision <paramref name="backup"/> was taken of: named in it, else the last good one when it was taken.</summary>
    private LedgerEntry RevisionOf(ReleaseLedger ledger, Backups.BackupFileName backup)
    {
        var entry = Backups.BackupCatalog.RevisionOf(backup) is { } revision
            ? ledger.FindRevision(revision)
            : ledger.ReadAll().Entries.LastOrDefault(e => e.When <= backup.Timestamp.AddSeconds(1) && e.Action is LedgerAction.Deployed or LedgerAction.Promoted);
        return entry ?? (_session.IsDryRun ? ShownRollbackTarget(null) : throw new InvalidOperationException(
            $"The ledger of {Name} has no good revision that backup {backup.FileName} was taken of, so RestoreBackup cannot tell what to deploy with its data. "
            + $"Restore it by hand (README, Restore) or choose another backup. See: {_environment.HistoryCommand}"));
    }

    /// <summary>
    /// Deploys to production: through a canary when the matrix has <c>canary.steps</c>, except the very first release, which
    /// has nothing to be compared with and is deployed (and probed) directly.
    /// </summary>
    public async Task DeployProdAsync(DeliveryRelease release)
    {
        ArgumentNullException.ThrowIfNull(release);
        if (_environment.Environment.Canary is not { Steps.Count: > 0 })
        {
            await DeployAsync(release);
            return;
        }

        if (_environment.Ledger().LastGood() is null && CanaryState.Read(_environment.StateDirectory) is null)
        {
            _session.Info($"{Name} has no stable release yet: the first deploy goes without a canary (there is nothing to compare it with).");
            await DeployAsync(release);
            return;
        }

        await CanaryAsync(release);
    }

    /// <summary>Runs <paramref name="release"/> as a canary beside the stable release, walks the steps, then promotes or aborts; resumes a killed run.</summary>
    public async Task CanaryAsync(DeliveryRelease release)
    {
        ArgumentNullException.ThrowIfNull(release);
        var plan = CanaryPlan;
        var overridden = await GatesAsync();
        await new MaintenanceWindowGate(_environment, _session, _time).PassAsync(release, _options.WaitForWindow);
        await HostCheckGate.CheckRoomForImagesAsync(_environment, _session, release.Images);
        await WithLockAsync(release.Version, async () =>
        {
            RecordOverride(release, overridden);
            var ledger = _environment.Ledger();
            var stable = ledger.LastGoodExcept(release.Version) ?? throw new InvalidOperationException(
                $"A canary needs a stable release to run beside, and the ledger of {Name} has none: deploy one first (./build.sh --target DeployStaging --env {Name}), then run Canary.");
            if (ledger.LastGood()?.Version == release.Version && CanaryState.Read(_environment.StateDirectory) is null)
            {
                _session.Info($"{release.Version} is already the stable release of {Name}: no canary to run.");
                return;
            }

            var controller = await ControllerAsync(release, stable, rendersRelease: true);
            ReportCanary(await controller.RunAsync(new CanaryRelease(release.Version, release.Commit, release.Images), stable.Version, _options.Who));
        });
    }

    /// <summary>
    /// Promotes or aborts the canary in progress: handed to the running Canary when one holds the lock (it acts within a
    /// second; this waits for it), else done here.
    /// </summary>
    public async Task DecideAsync(CanaryDecision decision)
    {
        var verb = decision.ToString().ToLowerInvariant();
        var state = CanaryState.Read(_environment.StateDirectory)
            ?? throw new InvalidOperationException($"No canary is in progress in {Name}: nothing to {verb}. See: {_environment.HistoryCommand}");
        if (_session.IsDryRun)
        {
            _session.Info($"would {verb} the canary of {state.Release.Version} ({state.Phase.ToString().ToLowerInvariant()}, {state.Weight} %): handed to the running Canary if it holds {_environment.LockLocation}, else done here");
            return;
        }

        if (_options.BreakLock)
        {
            await WithLockAsync(state.Release.Version, () => DecideHereAsync(decision, state));
            return;
        }

        var store = _environment.LockStore();
        var held = EnvironmentLock.TryAcquire(store, LockHolder.Current(state.Release.Version, _time), out var holder);
        if (held is not null)
        {
            await using (held)
            {
                await DecideHereAsync(decision, state);
            }

            return;
        }

        if (EnvironmentLock.IsStale(holder!))
        {
            throw new EnvironmentLockedException(store.Location, holder!, isStale: true, _time.GetUtcNow());
        }

        await HandOverAsync(decision, state, holder!);
    }

    /// <summary>
    /// The revision a rollback returns to (<paramref name="to"/>: a revision, else the latest good revision of a version;
    /// without it, the good revision before the running one, which may be the same version with its previous
    /// configuration) and the one running now, from the ledger; null when there is none.
    /// </summary>
    public static (LedgerEntry Target, LedgerEntry? Current)? RollbackChoice(ReleaseLedger ledger, string? to)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        var current = ledger.LastGood();
        var target = to switch
        {
            null => ledger.LastGoodOtherThan(current),
            _ when ReleaseRevision.IsId(to) && ledger.FindRevision(to) is { } revision => revision,
            _ => ledger.Find(to).LastOrDefault(e => e.Action is LedgerAction.Deployed or LedgerAction.Promoted),
        };
        return target is null ? null : (target, current);
    }

    private (LedgerEntry Target, LedgerEntry? Current) ChooseRollback(string? to)
    {
        var ledger = _environment.Ledger();
        return RollbackChoice(ledger, to) ?? (_session.IsDryRun ? (ShownRollbackTarget(to), null) : throw new InvalidOperationException(to is null
            ? $"Nothing to roll back to: the ledger of {Name} ({LedgerLocation(ledger)}) has no good revision before {ledger.LastGood()?.Describe() ?? "the current one"}. See: {_environment.HistoryCommand}"
            : $"{to} (a version or a revision) was never deployed to {Name} successfully, so there is nothing to return to. See: {_environment.HistoryCommand}"));
    }

    /// <summary>
    /// What a dry run rolls back to when the ledger it can see has no answer (a fresh checkout; the ledger is where the
    /// environment is): the release the ledger will name at run time, as named placeholders, so the plan still prints.
    /// </summary>
    private LedgerEntry ShownRollbackTarget(string? to)
    {
        var version = to ?? "<version to return to from the ledger>";
        var images = _environment.Environment.Services.Keys.ToDictionary(
            s => s, s => $"{ImageNames.Repository(_environment.Environment, s)}@<digest of {s} from the ledger>", StringComparer.Ordinal);
        return new LedgerEntry(Name, version, "<commit from the ledger>", images, _options.Who, _time.GetUtcNow(), LedgerAction.Deployed, string.Empty, TimeSpan.Zero);
    }

    private string LedgerLocation(ReleaseLedger ledger) => _environment.KeepsStateWithEnvironment ? ledger.Path : _environment.Relative(ledger.Path);

    /// <summary>
    /// A rollback to <paramref name="target"/> across a contract migration is refused, naming it and the ways forward;
    /// with <see cref="DeliveryOptions.Force"/> it goes ahead, and the ledger says so first.
    /// </summary>
    private void RefuseContractCrossing(LedgerEntry target)
    {
        var crossed = ContractMigrations.Crossed(_environment.Ledger().ReadAll().Entries, target);
        if (crossed.Count == 0)
        {
            return;
        }

        var refusal = ContractMigrations.Refusal(Name, target, crossed, automatic: false);
        if (!_options.Force)
        {
            throw new InvalidOperationException(refusal);
        }

        var forced = $"Rollback --force to {target.Describe()} across the contract migration(s) {string.Join(", ", crossed.Select(c => c.Migration.Id))}: {target.Version} runs on a schema it was not built for.";
        _session.Warning(forced);
        if (!_session.IsDryRun)
        {
            _environment.Ledger().Append(new LedgerEntry(Name, target.Version, target.Commit, target.Images, _options.Who, _time.GetUtcNow(), LedgerAction.Overridden, forced, TimeSpan.Zero, RevisionId: target.RevisionId, ConfigurationHash: target.ConfigurationHash));
        }
    }

    private CanaryPlan CanaryPlan => _environment.Environment.Canary is { Steps.Count: > 0 } plan
        ? plan
        : throw new InvalidOperationException(NoCanaryPlan(_environment.EnvironmentFile));

    /// <summary>The error for a canary target on an environment without <c>canary.steps</c>.</summary>
    public static string NoCanaryPlan(string environmentFile) =>
        $"{environmentFile} has no canary.steps: add a canary section (e.g. canary: {{ steps: [{{ weight: 10, duration: 5m }}], analysis_interval: 1m }}) or deploy without one (DeployStaging).";

    private async Task<string?> GatesAsync() => _options.GatesAsync is { } gates ? await gates() : null;

    /// <summary>A deliberate override of the environment's protection is part of the audit trail, before the deploy it let through.</summary>
    private void RecordOverride(DeliveryRelease release, string? overridden)
    {
        if (overridden is not null && !_session.IsDryRun)
        {
            _environment.Ledger().Append(new LedgerEntry(Name, release.Version, release.Commit, release.Images, _options.Who, _time.GetUtcNow(), LedgerAction.Overridden, overridden.ReplaceLineEndings(" "), TimeSpan.Zero));
        }
    }

    private async Task VerifyAsync(IReadOnlyDictionary<string, string> images)
    {
        if (_options.VerifyAsync is { } verify)
        {
            await verify(images);
        }
    }

    private async Task<CanaryController> ControllerAsync(DeliveryRelease canary, LedgerEntry stable, bool rendersRelease)
    {
        var plan = CanaryPlan;
        var traffic = await _driver.CanaryTrafficAsync(canary, stable, plan, rendersRelease);
        var setup = new CanarySetup(Name, plan, _environment.StateDirectory, _driver.Probes);
        return new CanaryController(setup, traffic, _session, _environment.Ledger(), _time);
    }

    private async Task DecideHereAsync(CanaryDecision decision, CanaryState state)
    {
        var stable = _environment.Ledger().Find(state.Stable).LastOrDefault(e => e.Action is LedgerAction.Deployed or LedgerAction.Promoted)
            ?? throw new InvalidOperationException($"The canary's stable release {state.Stable} is not in the ledger of {Name}: look at the stack, then run Rollback --to VERSION.");
        var canary = new DeliveryRelease(state.Release.Version, state.Release.Commit, state.Release.Images);
        var controller = await ControllerAsync(canary, stable, rendersRelease: decision == CanaryDecision.Promote);
        var outcome = decision == CanaryDecision.Promote
            ? await controller.PromoteNowAsync(_options.Who)
            : await controller.AbortNowAsync(_options.Who);
        if (decision == CanaryDecision.Abort)
        {
            // An abort asked for and done is this target's success; the canary's own run reports it as a failure.
            _session.Info(outcome.Summary);
            return;
        }

        ReportCanary(outcome);
    }

    /// <summary>A live Canary holds the lock: it takes the decision within a second and ends the canary itself.</summary>
    private async Task HandOverAsync(CanaryDecision decision, CanaryState state, LockHolder holder)
    {
        var verb = decision.ToString().ToLowerInvariant();
        var timeout = _environment.Environment.Rollout.Timeout;
        CanaryRequest.Leave(_environment.StateDirectory, decision, _options.Who);
        _session.Info($"Asked the running Canary (pid {holder.Pid} on {holder.Host}) to {verb} {state.Release.Version}; waiting for it to finish (up to {timeout}).");
        var started = _time.GetTimestamp();
        while (CanaryState.Read(_environment.StateDirectory) is not null)
        {
            if (_time.GetElapsedTime(started) > timeout.Value)
            {
                throw new InvalidOperationException($"The running Canary did not finish the {verb} within {timeout} (rollout.timeout). Its log and History say what it is doing.");
            }

            await Task.Delay(TimeSpan.FromSeconds(1), _time, _session.CancellationToken);
        }

        var entries = _environment.Ledger().Find(state.Release.Version);
        var last = entries.Count == 0 ? null : entries[^1];
        var expected = decision == CanaryDecision.Promote ? LedgerAction.Promoted : LedgerAction.Aborted;
        if (last?.Action != expected)
        {
            throw new InvalidOperationException($"The canary of {state.Release.Version} ended as {last?.Action.ToString() ?? "nothing recorded"}, not {expected}: {last?.Details}");
        }

        _session.Info($"{state.Release.Version}: {last.Details}");
    }

    private async Task WithLockAsync(string version, Func<Task> deploy)
    {
        var wait = _options.LockWait;
        if (_options.BreakLock)
        {
            await _session.DoAsync($"break the lock {_environment.LockLocation}", _ =>
            {
                var broken = EnvironmentLock.Break(_environment.LockStore());
                _session.Warning(broken is null
                    ? "--break-lock: there was no lock to break."
                    : $"--break-lock: removed the lock of {broken.Holder} (pid {broken.Pid} on {broken.Host}, deploying {broken.Version} since {broken.Acquired:u}).");
                return Task.CompletedTask;
            });
        }

        if (_session.IsDryRun)
        {
            _session.Info($"would take the lock {_environment.LockLocation} (waiting up to {DurationText.Format(wait)})");
            await deploy();
            return;
        }

        var store = _environment.LockStore();
        if (wait > TimeSpan.Zero && store.Read() is { } holder)
        {
            _session.Info($"{Name} is locked by another deploy: waiting up to {DurationText.Format(wait)} (--lock-wait) for {holder.Describe()}");
        }

        await using var held = await EnvironmentLock.AcquireAsync(store, LockHolder.Current(version, _time, _options.LockLease), wait, _time, previous =>
            _session.Warning($"Took over the lock of {Name} from {previous.Describe()}, deploying {PrintableText.Escape(previous.Version)} since {previous.Acquired:u}: "
                + (previous.LeaseExpires is { } expired ? $"its lease ran out at {expired:u} without renewal" : "that process is no longer running")
                + $" (killed or cancelled). Check what it left with {_environment.HistoryCommand}."), _session.CancellationToken);
        await deploy();
    }

    /// <summary>One report for every driver: what happened, then where the environment answers; a release that is not live fails the target.</summary>
    private void Report(DeployOutcome outcome, LedgerAction expected)
    {
        if (outcome.Action != expected && !(expected == LedgerAction.Deployed && outcome.Action == LedgerAction.Promoted))
        {
            throw new InvalidOperationException(outcome.Summary + $" The ledger has the details: {_environment.HistoryCommand}");
        }

        _session.Info(outcome.Summary);
        ReportUrl();
    }

    private void ReportCanary(CanaryOutcome outcome)
    {
        if (!outcome.Promoted)
        {
            throw new InvalidOperationException(outcome.Summary + $" The ledger has every step and analysis: {_environment.HistoryCommand}");
        }

        _session.Info(outcome.Summary);
        ReportUrl();
    }

    private void ReportUrl()
    {
        if (!_session.IsDryRun)
        {
            _session.Info($"{Name} is up: {_driver.Url}");
            _options.SetOutput?.Invoke("url", _driver.Url.ToString());
        }
    }
}
