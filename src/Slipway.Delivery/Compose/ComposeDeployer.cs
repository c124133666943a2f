using System.Globalization;
using System.Runtime.ExceptionServices;
using Slipway.Delivery.Migrations;
using Slipway.Environments;
using Slipway.Processes;
using Slipway.Tools.Compose;
using Slipway.Tools.Docker;
using Slipway.Tools.Haproxy;

namespace Slipway.Delivery.Compose;

/// <summary>
/// Deploys a release to a Compose project without downtime, and rolls back to the ledger's last good release when it
/// fails: data services up → backup → migrations (one-off, before traffic moves) → per service: start the new
/// containers beside the old, wait until healthy, wait until the proxy routes to them, drain and stop the old →
/// SLO probes → ledger.
/// </summary>
/// <remarks>
/// The environment lock and signature verification come before this (the pipeline's job); every tool runs through
/// the <see cref="IToolSession"/>, so a dry run prints the commands, and waits are skipped.
/// </remarks>
public sealed partial class ComposeDeployer
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>The pause between a new container's readiness requests: short, as each poll is a request and an inspect.</summary>
    private static readonly TimeSpan ReadinessPollInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// <c>docker pause</c> fails now and then with runc's "unable to freeze" when a process of the container is between
    /// states the cgroup freezer can stop (a fork, an uninterruptible wait); the next try succeeds. Seen in CI on deploy 5 of
    /// the staging story, where it failed the rollout. Any other answer (not running, already paused) is final.
    /// </summary>
    internal static readonly RetryPolicy FreezeRace = new(4, TimeSpan.FromMilliseconds(500), result => result.StandardError.Contains("unable to freeze", StringComparison.Ordinal));
    private readonly ComposeDeployment _deployment;
    private readonly IToolSession _session;
    private readonly ReleaseLedger _ledger;
    private readonly DeployChecks _checks;
    private readonly TimeProvider _time;

    /// <summary>Creates a deployer for <paramref name="deployment"/> that records into <paramref name="ledger"/>.</summary>
    public ComposeDeployer(ComposeDeployment deployment, IToolSession session, ReleaseLedger ledger, DeployChecks checks, TimeProvider time)
    {
        _deployment = deployment ?? throw new ArgumentNullException(nameof(deployment));
        _session = session ?? throw new ArgumentNullException(nameof(session));
        _ledger = ledger ?? throw new ArgumentNullException(nameof(ledger));
        _checks = checks ?? throw new ArgumentNullException(nameof(checks));
        _time = time ?? throw new ArgumentNullException(nameof(time));
    }

    private DockerEndpoint Endpoint => _deployment.Project.Endpoint;

    /// <summary>
    /// Deploys <paramref name="release"/> (its override must already be written, see
    /// <see cref="ComposeDeployment.OverrideFileOf"/>). On a failure after traffic moved, rolls back to the ledger's
    /// last good release when the matrix says so. Every outcome is appended to the ledger.
    /// </summary>
    /// <remarks>
    /// A <paramref name="promotion"/> is the end of a canary: the release's backup and migrations ran when its canary
    /// started, so they are skipped, and success is recorded as <see cref="LedgerAction.Promoted"/>.
    /// </remarks>
    public async Task<DeployOutcome> DeployAsync(ComposeRelease release, string who, bool promotion = false)
    {
        ArgumentNullException.ThrowIfNull(release);
        var started = _time.GetTimestamp();
        var success = promotion ? LedgerAction.Promoted : LedgerAction.Deployed;
        if (!promotion && await AlreadyLiveAsync(release, who, started) is { } live)
        {
            return live;
        }

        _session.Info($"{(promotion ? "Promoting" : "Deploying")} {release.Describe()} to {_deployment.Environment} (Compose project {_deployment.Project.Name})");
        // Switching back to the warm previous containers is a rollback too: not across a contract migration this release
        // brings (the previous release would run on a schema it cannot use); the failure then takes the refusal below.
        var switchBack = _deployment.Rollout.RollbackOnFailure && !BringsContractMigration(release);
        var attempt = await ApplyAsync(release, migrate: !promotion && _deployment.Migrations.Enabled, backup: !promotion && _deployment.BackupBeforeDeploy, switchBack: switchBack, keepWarm: _ledger.LastGood());
        if (_session.IsDryRun)
        {
            return new DeployOutcome(success, attempt.Failure is null ? "dry run: nothing deployed" : $"dry run: nothing deployed; the commands stop at {attempt.Stage.Describe()}: {attempt.Failure}", null);
        }

        // What the database holds now: every migration the release carries, once its migrate step ran (a promotion's ran
        // when its canary started).
        var migrations = attempt.Migrated || promotion ? release.Migrations : null;
        if (attempt.Failure is null)
        {
            Record(release, success, $"{(promotion ? "canary promoted; " : string.Empty)}probes passed{BackupNote(attempt.Backup)}", started, who, migrations: migrations);
            RememberLive(release);
            _session.Info($"{_deployment.Environment}: deployed in {_time.GetElapsedTime(started).TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s: {string.Join(", ", attempt.Took)}");
            return new DeployOutcome(success, $"{release.Describe()} is live on {_deployment.Environment}: every service healthy, probes passed.{UnchangedNote}", attempt.Backup);
        }

        if (attempt.Stage == Stage.Migrations)
        {
            var aborted = $"migration failed before traffic moved: {attempt.Failure}. The previous release keeps serving; nothing was changed{BackupNote(attempt.Backup)}.";
            Record(release, LedgerAction.Aborted, aborted, started, who);
            return new DeployOutcome(LedgerAction.Aborted, $"Deploy of {release.Describe()} aborted: {aborted}", attempt.Backup);
        }

        Record(release, LedgerAction.Failed, $"{(attempt.TrafficMoved ? string.Empty : "before traffic: ")}{attempt.Stage.Describe()} failed: {attempt.Failure}", started, who, migrations: migrations);
        if (attempt.Stage < Stage.Rollout || !attempt.TrafficMoved)
        {
            return new DeployOutcome(LedgerAction.Failed,
                $"Deploy of {release.Describe()} failed ({attempt.Stage.Describe()}): {attempt.Failure}. No traffic moved: the previous release keeps serving.", attempt.Backup);
        }

        // The previous good revision, which may be the same version with its previous configuration.
        var lastGood = _ledger.LastGoodOtherThan(release.Version, release.Revision?.Id);
        if (attempt.SwitchedBack)
        {
            var within = attempt.SwitchTime is { } t ? $" {t.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture)} s after the decision" : string.Empty;
            // The containers switched back to run the last good revision, which may be this very one (a redeploy of the
            // revision that serves), or none the ledger knows (a stack Slipway did not deploy): then there is nothing to
            // name as rolled back to, and the deploy is recorded as failed.
            var returnedTo = lastGood ?? _ledger.LastGood();
            var previous = returnedTo is null ? "the containers that ran before (no good release in the ledger)" : returnedTo.Describe();
            var action = returnedTo is null ? LedgerAction.Failed : LedgerAction.RolledBack;
            Record(release, action, $"automatic: {attempt.Stage.Describe()} failed ({attempt.Failure}); traffic switched back to {previous}, kept running and drained,{within}; the new containers removed", started, who, rolledBackTo: returnedTo);
            return new DeployOutcome(action,
                $"Deploy of {release.Describe()} failed ({attempt.Stage.Describe()}): {attempt.Failure}. Rolled back automatically: traffic switched back to {previous} (kept running, drained, since traffic moved){within}; the new containers are removed.", attempt.Backup);
        }

        if (!_deployment.Rollout.RollbackOnFailure || lastGood is null)
        {
            var why = lastGood is null ? "there is no earlier good revision in the ledger to return to" : "rollout.rollback_on_failure is off";
            return new DeployOutcome(LedgerAction.Failed,
                $"Deploy of {release.Describe()} failed ({attempt.Stage.Describe()}): {attempt.Failure}. Not rolled back: {why}; {_deployment.Environment} runs {release.Describe()} as it is.", attempt.Backup);
        }

        // The release's own migrations have run: a contract one among them leaves a schema the last good revision cannot use.
        var crossed = ContractMigrations.Crossed(_ledger.ReadAll().Entries, lastGood);
        if (crossed.Count > 0)
        {
            return new DeployOutcome(LedgerAction.Failed,
                $"Deploy of {release.Describe()} failed ({attempt.Stage.Describe()}): {attempt.Failure}. {ContractMigrations.Refusal(_deployment.Environment, lastGood, crossed, automatic: true)} "
                + $"{_deployment.Environment} runs {release.Describe()} as it is.", attempt.Backup);
        }

        _session.Warning($"{attempt.Stage.Describe()} failed: {attempt.Failure}. Rolling back to {lastGood.Describe()}, the last good revision.");
        var rollbackStarted = _time.GetTimestamp();
        var rollback = await ApplyAsync(ComposeRelease.From(lastGood), migrate: false, backup: false);
        if (rollback.Failure is null)
        {
            Record(release, LedgerAction.RolledBack, $"automatic: {attempt.Stage.Describe()} failed ({attempt.Failure}); {lastGood.Describe()} redeployed and its probes passed", rollbackStarted, who, rolledBackTo: lastGood);
            return new DeployOutcome(LedgerAction.RolledBack,
                $"Deploy of {release.Describe()} failed ({attempt.Stage.Describe()}): {attempt.Failure}. Rolled back automatically: {lastGood.Describe()} serves again and passed its probes.", attempt.Backup);
        }

        Record(ComposeRelease.From(lastGood), LedgerAction.Failed, $"automatic rollback from {release.Describe()} failed: {rollback.Stage.Describe()}: {rollback.Failure}", rollbackStarted, who);
        return new DeployOutcome(LedgerAction.Failed,
            $"Deploy of {release.Describe()} failed ({attempt.Stage.Describe()}): {attempt.Failure}. The automatic rollback to {lastGood.Describe()} failed too ({rollback.Stage.Describe()}): {rollback.Failure}. "
            + $"Inspect the stack (docker compose -p {_deployment.Project.Name} ps --all) and run Rollback --to VERSION.", attempt.Backup);
    }

    /// <summary>
    /// True when <paramref name="release"/> carries a contract migration that the last good revision was not released with
    /// (or that revision recorded no migrations): after it runs, that revision cannot serve.
    /// </summary>
    private bool BringsContractMigration(ComposeRelease release) =>
        release.Migrations?.Any(m => m.Kind == MigrationKind.Contract) == true
        && _ledger.LastGoodOtherThan(release.Version, release.Revision?.Id) is { } lastGood
        && release.Migrations.Any(m => m.Kind == MigrationKind.Contract && lastGood.Migrations?.Any(k => string.Equals(k.Id, m.Id, StringComparison.Ordinal)) != true);

    /// <summary>
    /// Redeploys <paramref name="target"/> in place of <paramref name="current"/> through the same zero-downtime path and
    /// probes, without migrations (the schema stays expanded: see the expand → migrate → contract rule).
    /// </summary>
    public async Task<DeployOutcome> RollbackAsync(ComposeRelease target, LedgerEntry? current, string who)
    {
        ArgumentNullException.ThrowIfNull(target);
        var started = _time.GetTimestamp();
        _session.Info($"Rolling {_deployment.Environment} back to {target.Describe()}{(current is null ? string.Empty : $" (from {current.Describe()})")}");
        if (await SwitchToWarmAsync(target, current, who, started) is { } switched)
        {
            return switched;
        }

        var attempt = await ApplyAsync(target, migrate: false, backup: _deployment.BackupBeforeDeploy);
        if (_session.IsDryRun)
        {
            return new DeployOutcome(LedgerAction.RolledBack, "dry run: nothing rolled back", null);
        }

        if (attempt.Failure is null)
        {
            Record(current is null ? target : ComposeRelease.From(current), LedgerAction.RolledBack, $"manual rollback to {target.Describe()}; probes passed{BackupNote(attempt.Backup)}", started, who, rolledBackTo: target);
            RememberLive(target);
            return new DeployOutcome(LedgerAction.RolledBack, $"{_deployment.Environment} runs {target.Describe()} again: every service healthy, probes passed.", attempt.Backup);
        }

        Record(target, LedgerAction.Failed, $"rollback to {target.Describe()} failed: {attempt.Stage.Describe()}: {attempt.Failure}", started, who);
        return new DeployOutcome(LedgerAction.Failed, $"Rollback to {target.Describe()} failed ({attempt.Stage.Describe()}): {attempt.Failure}.", attempt.Backup);
    }

    private void Record(ComposeRelease release, LedgerAction action, string details, long started, string who, LedgerEntry? rolledBackTo = null, IReadOnlyList<DeclaredMigration>? migrations = null, string? restoredBackup = null) =>
        Record(release, action, details, started, who, rolledBackTo is null ? null : ComposeRelease.From(rolledBackTo), migrations, restoredBackup);

    private void Record(ComposeRelease release, LedgerAction action, string details, long started, string who, ComposeRelease? rolledBackTo, IReadOnlyList<DeclaredMigration>? migrations = null, string? restoredBackup = null) =>
        _ledger.Append(new LedgerEntry(
            _deployment.Environment, release.Version, release.Commit, release.Images, who, _time.GetUtcNow(), action, details,
            _time.GetElapsedTime(started), rolledBackTo?.Version,
            RevisionId: release.Revision?.Id, ConfigurationHash: release.Revision?.ConfigurationHash, RolledBackToRevision: rolledBackTo?.Revision?.Id,
            Migrations: migrations, RestoredBackup: restoredBackup));

    private static string BackupNote(string? backup) => backup is null ? string.Empty : $"; backup {Path.GetFileName(backup)}";

    /// <summary>
    /// Applies <paramref name="release"/>; on success with <c>rollout.keep_previous</c> set, the previous containers
    /// (of <paramref name="keepWarm"/>, what ran before) stay warm instead of stopping.
    /// </summary>
    private async Task<Attempt> ApplyAsync(ComposeRelease release, bool migrate, bool backup, bool switchBack = true, LedgerEntry? keepWarm = null)
    {
        var attempt = new Attempt { SwitchBackAllowed = switchBack };
        var phaseStarted = _time.GetTimestamp();
        void Took(string phase)
        {
            attempt.Took.Add($"{phase} {_time.GetElapsedTime(phaseStarted).TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s");
            phaseStarted = _time.GetTimestamp();
        }

        try
        {
            var project = ProjectFor(release);
            BeginServing(release);
            await PrepareAsync(project, attempt, migrate, backup);
            Took((attempt.Backup is not null, attempt.Stage == Stage.Migrations) switch
            {
                (true, true) => "preparation (backup, migrations)",
                (true, false) => "preparation (backup)",
                (false, true) => "preparation (migrations)",
                _ => "preparation",
            });

            attempt.Stage = Stage.Rollout;
            var changed = new List<ComposeAppService>();
            foreach (var service in _deployment.Services)
            {
                if (!await UnchangedAsync(project, service))
                {
                    changed.Add(service);
                }
            }

            if (_deployment.Rollout.Strategy == RolloutStrategy.BlueGreen && !_session.IsDryRun)
            {
                await RollOutBlueGreenAsync(project, changed, release.Version, attempt);
            }
            else if (changed.Count > 1 && attempt.Dependencies is { } dependencies && !_session.IsDryRun)
            {
                await RollOutTogetherAsync(project, changed, dependencies, release.Version, attempt);
            }
            else
            {
                if (_session.IsDryRun && changed.Count > 1 && !project.Driver.IsV1)
                {
                    _session.Info($"{string.Join(", ", changed.Select(s => s.Name))}: a deploy starts their new containers together where their depends_on allows (from the model docker compose config prints then); the commands below show them one service after another");
                }

                foreach (var service in changed)
                {
                    await RollOutAsync(project, service, release.Version, attempt);
                }
            }

            Took(changed.Count == 0 ? "rollout (nothing changed)" : $"rollout of {string.Join(", ", changed.Select(s => s.Name))}");
            attempt.Stage = Stage.Probes;
            if (!_session.IsDryRun)
            {
                await ProbeWhileWarmAsync(attempt);
                Took("SLO probes");
            }

            if (keepWarm is not null && _deployment.Rollout.KeepPrevious is { } keep && !_session.IsDryRun && attempt.Steps.Any(s => s.Old.Count > 0))
            {
                await KeepPreviousWarmAsync(attempt, keepWarm, keep.Value);
                Took("previous kept warm");
            }
            else
            {
                await RetirePreviousAsync(project, attempt);
                Took("retirement");
            }

            attempt.Stage = Stage.Done;
        }
        catch (Exception e) when (IsStepFailure(e))
        {
            attempt.Failure = FailureText(e);
        }

        if (attempt.Failure is not null)
        {
            try
            {
                await UndoAsync(attempt);
            }
            catch (Exception e) when (IsStepFailure(e))
            {
                attempt.Failure += $"; and cleaning up after it failed too: {FailureText(e)}";
            }
        }

        return attempt;
    }

    // Unexpected tool output, a full disk during the backup: still a failed step, recorded and rolled back from, never an
    // exception that leaves the ledger without an entry.
    private static bool IsStepFailure(Exception e) =>
        e is DeployStepException or ToolFailedException or FormatException or IOException or UnauthorizedAccessException or InvalidOperationException;

    private static string FailureText(Exception e) => e is DeployStepException or ToolFailedException ? e.Message : $"{e.GetType().Name}: {e.Message}";

    /// <summary>Compose config check, data services up, then the backup and the migrations when asked: all before traffic moves.</summary>
    private async Task PrepareAsync(ComposeProject project, Attempt attempt, bool migrate, bool backup)
    {
        attempt.Stage = Stage.Preparation;
        ForgetLive();
        await RetireWarmAsync();
        // The resolved model holds the interpolated secrets: never echoed. It is only read (the rollout's order), so the
        // database's containers are looked up and the data services started meanwhile; a model Compose cannot resolve is
        // still the error reported, as the data services' up fails on the same files.
        var configured = _session.RunAsync(ComposeCli.ResolvedConfig(project, _deployment.MigrationService), echoOutput: false);
        var database = (await ContainersAsync(project, _deployment.DatabaseService)).FirstOrDefault(c => c.Status == "running");
        var dataServices = StartDataServicesAsync(project);
        await Task.WhenAll(configured, dataServices);
        attempt.Dependencies = !_session.IsDryRun && (await configured).StandardOutput is { Length: > 0 } model ? ComposeDependencies.Parse(model) : null;

        if (backup)
        {
            attempt.Stage = Stage.Backup;
            if (_session.IsDryRun)
            {
                _session.Info($"Backup: {_deployment.DatabaseService} is backed up first when it runs on the host then (data.postgres.backup.before_deploy)");
            }
            else if (database is null)
            {
                _session.Info($"Backup: {_deployment.DatabaseService} was not running before this deploy (first deploy): nothing to back up.");
            }
            else
            {
                attempt.Backup = await _checks.BackupAsync(database, _session.CancellationToken);
                _session.Info($"Backup: {attempt.Backup}");
            }
        }

        if (migrate && _deployment.MigrationsRanBecause is { } planned && _session.IsDryRun)
        {
            _session.Info($"Migrations: the database holds them ({planned}): the {_deployment.MigrationService} one-off below runs only if {_deployment.DatabaseService} is not running then.");
        }

        if (migrate && _deployment.MigrationsRanBecause is { } ran && database is not null)
        {
            // What the ledger says the database holds, and the same database (it ran before this deploy): the one-off
            // would find nothing to do, and costs a container start.
            _session.Info($"Migrations: not run, the database holds them ({ran}; {_deployment.DatabaseService} was running before this deploy).");
            attempt.Migrated = true;
        }
        else if (migrate)
        {
            attempt.Stage = Stage.Migrations;
            var result = await _session.RunAsync(ComposeCli.Run(project, _deployment.MigrationService, [_deployment.MigrationService]).AcceptingAnyExitCode());
            if (result.ExitCode != 0)
            {
                throw new DeployStepException($"the {_deployment.MigrationService} one-off exited with {result.ExitCode}: {result.Reason}");
            }

            attempt.Migrated = true;
        }
    }

    /// <summary>The stack with <paramref name="release"/>'s images and, unless told otherwise, its override.</summary>
    private ComposeProject ProjectFor(ComposeRelease release, bool withOverride = true)
    {
        var project = withOverride ? _deployment.Project.WithFile(_deployment.OverrideFileOf(release.Version, release.Revision?.Id)) : _deployment.Project;
        foreach (var service in _deployment.Services)
        {
            var image = release.Images.GetValueOrDefault(service.Name)
                ?? throw new DeployStepException($"release {release.Version} has no image for {service.Name}");
            project = project.WithVariable(service.ImageVariable, image);
        }

        return project;
    }

    private async Task StartDataServicesAsync(ComposeProject project)
    {
        // Plain up: a data service is only recreated when its own configuration changed, never by a release.
        await RunAsync(ComposeCli.Up(project, _deployment.DataServices, noDeps: true));
        await ListUntilReadyAsync(project, _deployment.DataServices, "data services");
    }

    /// <summary>
    /// Start N new beside the old, wait healthy, check them before traffic, move the traffic; the old keep running
    /// (drained) until the probes pass (<see cref="RetirePreviousAsync"/>) or a failure switches back to them.
    /// </summary>
    private async Task RollOutAsync(ComposeProject project, ComposeAppService service, string version, Attempt attempt)
    {
        if (_session.IsDryRun)
        {
            await ShowRolloutAsync(project, service, version);
            return;
        }

        await TakeTrafficAsync(project, [await StartBesideAsync(project, service, version, attempt)], attempt);
    }

    /// <summary>
    /// Rolling, several changed services: each starts its new containers beside the old as soon as the new containers of
    /// the changed services it waits for (Compose's <c>depends_on</c>, directly or through others) are ready and checked,
    /// so independent services start at once. Traffic moves only once every one of them is ready: a service that fails
    /// before that leaves every service as it was. The proxy routes one backend, so at most one of them moves proxy traffic.
    /// </summary>
    private async Task RollOutTogetherAsync(ComposeProject project, IReadOnlyList<ComposeAppService> changed, ComposeDependencies dependencies, string version, Attempt attempt)
    {
        var byName = changed.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var order = dependencies.Order([.. changed.Select(s => s.Name)]);
        var starts = new Dictionary<string, Task<RolloutStep>>(StringComparer.Ordinal);
        _session.Info($"rolling out {string.Join(", ", order.Select(s => s.Service))} together"
            + string.Concat(order.Where(s => s.After.Count > 0).Select(s => $"; {s.Service} starts once the new {string.Join(", ", s.After)} are ready (depends_on)"))
            + "; traffic moves once every new container is ready and checked");
        foreach (var (name, after) in order)
        {
            starts[name] = StartAfterAsync(project, byName[name], [.. after.Select(d => starts[d])], version, attempt);
        }

        try
        {
            await Task.WhenAll(starts.Values);
        }
        catch (Exception) when (starts.Values.Any(t => t.IsFaulted))
        {
            // The first in start order is the cause; those that waited for it failed with the same exception.
            ExceptionDispatchInfo.Throw(order.Select(s => starts[s.Service]).First(t => t.IsFaulted).Exception!.InnerException!);
        }

        await TakeTrafficAsync(project, [.. order.Select(s => starts[s.Service].Result)], attempt);
    }

    private async Task<RolloutStep> StartAfterAsync(ComposeProject project, ComposeAppService service, IReadOnlyList<Task<RolloutStep>> after, string version, Attempt attempt)
    {
        await Task.WhenAll(after);
        return await StartBesideAsync(project, service, version, attempt);
    }

    /// <summary>
    /// Blue/green: the new set of every changed routed service starts beside the old and is checked before traffic; then
    /// it takes all their traffic in one runtime API command. Services the proxy does not route roll out after.
    /// </summary>
    private async Task RollOutBlueGreenAsync(ComposeProject project, IReadOnlyList<ComposeAppService> changed, string version, Attempt attempt)
    {
        var routed = changed.Where(s => s.Routed).ToList();
        if (routed.Count > 0)
        {
            _session.Info($"blue/green (rollout.strategy): starting the full new set of {string.Join(", ", routed.Select(s => s.Name))} beside the old; once every new container passed its checks before traffic, they take all traffic at once");
            var steps = new List<RolloutStep>();
            foreach (var service in routed)
            {
                steps.Add(await StartBesideAsync(project, service, version, attempt));
            }

            await TakeTrafficAsync(project, steps, attempt);
        }

        foreach (var service in changed.Where(s => !s.Routed))
        {
            await RollOutAsync(project, service, version, attempt);
        }
    }

    /// <summary>Starts <paramref name="service"/>'s new containers beside the old, waits until healthy, checks them before traffic.</summary>
    private async Task<RolloutStep> StartBesideAsync(ComposeProject project, ComposeAppService service, string version, Attempt attempt)
    {
        var started = _time.GetTimestamp();
        var old = await ContainersAsync(project, service.Name);
        var oldIds = old.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        _session.Info($"{service.Name}: starting {service.Replicas} container(s) of {version} beside {old.Count} running");
        var proxy = service.Routed && old.Count > 0 ? await HoldFreeSlotsAsync(project, old) : null;

        // --no-recreate keeps the old containers as they are although the configuration changed; the scale adds the
        // new ones, created from the new configuration.
        await RunAsync(ComposeCli.Up(project, [service.Name], noDeps: true, noRecreate: old.Count > 0,
            scale: new Dictionary<string, int>(StringComparer.Ordinal) { [service.Name] = old.Count + service.Replicas }));
        var step = new RolloutStep(service, old) { Fresh = [.. (await ContainersAsync(project, service.Name)).Where(c => !oldIds.Contains(c.Id))], Proxy = proxy, Started = started, Version = version };
        attempt.Add(step);
        if (step.Fresh.Count < service.Replicas)
        {
            throw new DeployStepException($"{service.Name}: Compose started {step.Fresh.Count} new container(s), expected {service.Replicas}");
        }

        if (service.Routed && proxy is not null && _deployment is { ReadinessPath: not null, RoutedPort: not null })
        {
            // The proxy's own check, polled from the start; Docker's healthcheck verdict is awaited after the probes.
            step.Fresh = [.. await WaitUntilAnswersReadyAsync(proxy, service, step.Fresh)];
        }
        else
        {
            step.Fresh = [.. await WaitUntilReadyAsync(step.Fresh, service.Name)];
        }

        if (service.Routed)
        {
            await CheckBeforeTrafficAsync(project, service, step.Fresh, proxy);
        }

        return step;
    }

    /// <summary>The checked new containers of <paramref name="steps"/> take their services' traffic, the routed ones in one command.</summary>
    private async Task TakeTrafficAsync(ComposeProject project, IReadOnlyList<RolloutStep> steps, Attempt attempt)
    {
        var switched = steps.Where(s => s.Service.Routed && s.Proxy is not null).ToList();
        if (switched.Count > 0)
        {
            await MoveTrafficAsync(switched, attempt.SwitchBackAllowed);
        }

        foreach (var step in steps)
        {
            if (step.Service.Routed && step.Proxy is null)
            {
                await StartProxyAsync(project, step.Service, step.Fresh);
            }

            if (step.Service.Worker && step.Old.Where(c => c.Status is "running" or "paused").ToList() is { Count: > 0 } working)
            {
                // A worker's traffic is its queue: the previous containers would keep taking the jobs, and the probes would
                // judge them instead of the new release. Paused, they keep their memory and resume in a moment on a switch
                // back. One a killed run left paused is already so; it is resumed with the others.
                // One container per command: a retry after a freezer race must not meet a container the first try paused.
                foreach (var id in working.Where(c => c.Status == "running").Select(c => c.Id))
                {
                    await _session.RunAsync(DockerCli.Pause([id], Endpoint).WithRetry(FreezeRace), echoOutput: false);
                }

                step.PausedOld = [.. working.Select(c => c.Id)];
            }

            Served(step.Service, step.Fresh);
            step.Moved = true;
            attempt.TrafficMoved = true;
            var kept = _deployment.Rollout.KeepPrevious is { } keep ? $"until the probes pass and for {keep} after (rollout.keep_previous)" : "until the probes pass";
            _session.Info($"{step.Service.Name}: {step.Fresh.Count} container(s) of {step.Version} serving ({_time.GetElapsedTime(step.Started).TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s)"
                + (step.Old.Count > 0 ? $"; the {step.Old.Count} previous one(s) {(step.PausedOld.Count > 0 ? "paused (they take no work)" : "keep running")}{(step.Service.Routed ? ", drained," : string.Empty)} {kept}" : string.Empty));
        }
    }

    /// <summary>
    /// A dry run's rollout of <paramref name="service"/>: the commands a deploy runs, with what only the target host knows
    /// then (which containers run, the proxy's slots) as named placeholders, since a dry run asks the host nothing.
    /// </summary>
    private async Task ShowRolloutAsync(ComposeProject project, ComposeAppService service, string version)
    {
        var old = $"the {service.Name} containers running then";
        _session.Info($"{service.Name}: starting {service.Replicas} container(s) of {version} beside <{old}>, then waiting until they are healthy (rollout.health_timeout {_deployment.Rollout.HealthTimeout})");
        await RunAsync(ComposeCli.UpBeside(project, service.Name, new Deferred($"count of {old} + {service.Replicas}", ListedBy)));
        var oldIds = new Deferred($"ids of {old}", ListedBy).Placeholder;
        if (service.Routed)
        {
            await RunAsync(ComposeCli.Up(project, [_deployment.ProxyService], noDeps: true));
            _session.Info($"{_deployment.ProxyService}: the free slots held in maintenance before the new {service.Name} containers start (set server {_deployment.ProxyBackend}/<slot> state maint); "
                + $"once each answers {_deployment.ReadinessPath ?? "its check path"} 200 twice and passes the checks before traffic, traffic moves in one runtime API command "
                + $"(new slots state ready, those of <{old}> state drain), <{old}> kept running, drained, while a guard in the proxy watches the new answers");
        }

        if (service.Worker)
        {
            _session.Info($"{service.Name}: <{old}> paused while the probes run, so only the new containers take work (role: worker)");
            await _session.RunAsync(DockerCli.Pause([oldIds], Endpoint), echoOutput: false);
        }

        _session.Info($"{service.Name}: stopping <{old}> once the probes pass (drained up to {_deployment.DrainTimeout.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s); if they fail, traffic switches back to <{old}> and the new containers are removed instead");
        if (service.Worker)
        {
            await _session.RunAsync(DockerCli.Unpause([oldIds], Endpoint).AcceptingAnyExitCode(), echoOutput: false);
        }

        await _session.RunAsync(DockerCli.Stop([oldIds], (int)_deployment.StopGracePeriod.TotalSeconds, Endpoint).AcceptingAnyExitCode(), echoOutput: false);
        await _session.RunAsync(DockerCli.Remove(oldIds, force: true, Endpoint).AcceptingAnyExitCode(), echoOutput: false);
    }

    /// <summary>Starts the proxy if it is not running, then waits until it routes to every container in <paramref name="fresh"/>.</summary>
    private async Task StartProxyAsync(ComposeProject project, ComposeAppService service, IReadOnlyList<DockerContainer> fresh)
    {
        await RunAsync(ComposeCli.Up(project, [_deployment.ProxyService], noDeps: true));
        if (_session.IsDryRun)
        {
            return;
        }

        var proxy = (await ListUntilReadyAsync(project, [_deployment.ProxyService], _deployment.ProxyService)).Single();
        var addresses = Addresses(fresh);
        var deadline = _time.GetTimestamp();
        IReadOnlyList<HaproxyServer> servers = [];
        while (true)
        {
            servers = await ServersAsync(proxy);

            // A slot left drained or held in maintenance by an earlier rollout (Docker reuses a removed container's
            // address) or by a killed run would never take the new container.
            foreach (var stale in servers.Where(s => s.Address is not null && addresses.Contains(s.Address) && (s.Admin & (HaproxyAdminState.ForcedDrain | HaproxyAdminState.ForcedMaintenance)) != 0))
            {
                await RuntimeApiAsync(proxy, HaproxyRuntimeApi.Ready(_deployment.ProxyBackend, stale.Name), readOnly: false);
            }

            var routed = servers.Where(s => s.Address is not null && addresses.Contains(s.Address) && s.TakesTraffic).Select(s => s.Address!).ToHashSet(StringComparer.Ordinal);
            if (routed.SetEquals(addresses))
            {
                return;
            }

            if (_time.GetElapsedTime(deadline) > _deployment.Rollout.HealthTimeout.Value)
            {
                var states = string.Join(", ", servers.Where(s => s.Address is not null).Select(s => $"{s.Name} {s.Address} {s.Operational}/{s.Admin}"));
                throw new DeployStepException(
                    $"{service.Name}: the proxy did not route to the new container(s) within {_deployment.Rollout.HealthTimeout} (rollout.health_timeout): its checks of the backend '{_deployment.ProxyBackend}' say {states}");
            }

            await Task.Delay(PollInterval, _time, _session.CancellationToken);
        }
    }

    /// <summary>
    /// Drains the proxy's slots of <paramref name="old"/> and waits (bounded) until their sessions end. With
    /// <paramref name="known"/> (the proxy and the slots of <paramref name="old"/>, as the rollout that moved their traffic
    /// found them), neither is looked up again.
    /// </summary>
    private async Task DrainAsync(ComposeProject project, IReadOnlyList<DockerContainer> old, (DockerContainer Proxy, IReadOnlyList<string> Slots)? known = null)
    {
        var proxy = known?.Proxy ?? (await ContainersAsync(project, _deployment.ProxyService)).FirstOrDefault(c => c.Status == "running");
        if (proxy is null)
        {
            return;
        }

        List<string> draining;
        if (known is { } given)
        {
            draining = [.. given.Slots];
        }
        else
        {
            var addresses = Addresses(old);
            draining = [.. (await ServersAsync(proxy)).Where(s => s.Address is not null && addresses.Contains(s.Address)).Select(s => s.Name)];
        }
        var started = _time.GetTimestamp();
        if (draining.Count > 0)
        {
            // The drains and the first look at the slots' sessions in one exec: HAProxy answers a drain it took with
            // nothing, so whatever comes before the statistics is its refusal.
            var stat = await RuntimeApiAsync(proxy, HaproxyRuntimeApi.Batch([.. draining.Select(s => HaproxyRuntimeApi.Drain(_deployment.ProxyBackend, s)), HaproxyRuntimeApi.ShowStat()]), readOnly: false, answer: HaproxyRuntimeApi.StatHeader);
            bool Drained(string showStat)
            {
                var sessions = HaproxyRuntimeApi.ParseCurrentSessions(showStat, _deployment.ProxyBackend);
                return draining.All(s => sessions.GetValueOrDefault(s) == 0);
            }

            while (!Drained(stat) && _time.GetElapsedTime(started) < _deployment.DrainTimeout)
            {
                await Task.Delay(PollInterval, _time, _session.CancellationToken);
                stat = await RuntimeApiAsync(proxy, HaproxyRuntimeApi.ShowStat(), readOnly: true);
            }
        }

        _session.Info($"drained {string.Join(", ", draining)} in {_time.GetElapsedTime(started).TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s");
    }

    private async Task<IReadOnlyList<HaproxyServer>> ServersAsync(DockerContainer proxy) => (await ServersAndStatAsync(proxy, withStat: false)).Servers;

    /// <summary>
    /// The backend's slots (<c>show servers state</c>) and, with <paramref name="withStat"/>, the statistics (<c>show
    /// stat</c>) in the same exec: HAProxy answers a batch command by command, so the statistics begin at their header.
    /// </summary>
    private async Task<(IReadOnlyList<HaproxyServer> Servers, string Stat)> ServersAndStatAsync(DockerContainer proxy, bool withStat)
    {
        var state = HaproxyRuntimeApi.ShowServersState(_deployment.ProxyBackend);
        if (!withStat)
        {
            return (Servers(await RuntimeApiAsync(proxy, state, readOnly: true)), string.Empty);
        }

        var answer = await RuntimeApiAsync(proxy, HaproxyRuntimeApi.Batch([state, HaproxyRuntimeApi.ShowStat()]), readOnly: true);
        var stat = answer.IndexOf(HaproxyRuntimeApi.StatHeader, StringComparison.Ordinal);
        return stat >= 0
            ? (Servers(answer[..stat]), answer[stat..])
            : throw new DeployStepException($"the proxy's runtime API printed no statistics for 'show stat': {answer.Trim()}");

        List<HaproxyServer> Servers(string text) => [.. HaproxyRuntimeApi.ParseServersState(text).Where(s => s.Backend == _deployment.ProxyBackend)];
    }

    /// <summary>
    /// Sends <paramref name="command"/> (one, or a <see cref="HaproxyRuntimeApi.Batch"/>) to the proxy's runtime API. A
    /// change answers nothing when HAProxy took it; one whose batch ends with a question (<c>show stat</c>) answers with
    /// <paramref name="answer"/> first, and anything before it is a refusal.
    /// </summary>
    private async Task<string> RuntimeApiAsync(DockerContainer proxy, string command, bool readOnly, string? answer = null)
    {
        // Any exit code: a socat failure is reported below with its reason, as a step failure the rollout cleans up after.
        var invocation = DockerCli.Exec(proxy.Id, ["socat", "stdio", $"unix-connect:{_deployment.ProxySocket}"], Endpoint, interactive: true)
            .WithStandardInput(command)
            .AcceptingAnyExitCode();
        var result = readOnly ? await _session.QueryAsync(invocation) : await _session.RunAsync(invocation, echoOutput: false);
        if (result.ExitCode != 0)
        {
            throw new DeployStepException($"the proxy's runtime API did not answer '{command.Trim()}': {result.Reason}");
        }

        // A command HAProxy refuses ("No such server.") still exits 0: a `set` answers nothing when it worked.
        var output = result.StandardOutput;
        var answered = answer is null ? -1 : output.IndexOf(answer, StringComparison.Ordinal);
        if (!readOnly && (answered < 0 ? output : output[..answered]).Trim() is { Length: > 0 } refusal)
        {
            throw new DeployStepException($"the proxy refused '{command.Trim()}': {refusal}");
        }

        return result.StandardOutput;
    }

    /// <summary>Polls until every container is running and healthy; fails at the first that cannot get there, or at the timeout.</summary>
    private Task<IReadOnlyList<DockerContainer>> WaitUntilReadyAsync(IReadOnlyList<DockerContainer> containers, string what) =>
        PollUntilReadyAsync(containers, what, inspectFirst: true);

    /// <summary>
    /// Lists the containers of <paramref name="services"/> and polls until every one is running and healthy, like
    /// <see cref="WaitUntilReadyAsync"/>; the listing's own inspect is judged first, so containers already ready need no
    /// second look.
    /// </summary>
    private async Task<IReadOnlyList<DockerContainer>> ListUntilReadyAsync(ComposeProject project, IReadOnlyList<string> services, string what)
    {
        var listed = await Task.WhenAll(services.Select(service => ContainersAsync(project, service)));
        return await PollUntilReadyAsync([.. listed.SelectMany(c => c)], what, inspectFirst: false);
    }

    private async Task<IReadOnlyList<DockerContainer>> PollUntilReadyAsync(IReadOnlyList<DockerContainer> containers, string what, bool inspectFirst)
    {
        if (_session.IsDryRun || containers.Count == 0)
        {
            return containers;
        }

        var started = _time.GetTimestamp();
        var inspect = inspectFirst;
        while (true)
        {
            var current = inspect ? await InspectAsync(containers.Select(c => c.Id)) : containers;
            inspect = true;
            if (current.FirstOrDefault(c => c.HasFailed) is { } failed)
            {
                throw new DeployStepException(FailedText(failed, what));
            }

            if (current.Count == containers.Count && current.All(c => c.IsReady))
            {
                return current;
            }

            if (_time.GetElapsedTime(started) > _deployment.Rollout.HealthTimeout.Value)
            {
                var waiting = string.Join(", ", current.Where(c => !c.IsReady).Select(c => $"{c.Name} ({c.Health ?? c.Status})"));
                throw new DeployStepException($"{what}: not healthy within {_deployment.Rollout.HealthTimeout} (rollout.health_timeout): {waiting}");
            }

            await Task.Delay(PollInterval, _time, _session.CancellationToken);
        }
    }

    private static string FailedText(DockerContainer failed, string what) =>
        $"{what}: container {failed.Name} is {failed.Health ?? failed.Status}{(failed.Status == "exited" ? $" (exit code {failed.ExitCode})" : string.Empty)}"
        + (failed.LastHealthOutput is { Length: > 0 } output ? $"; last health check: {output}" : string.Empty)
        + $". See: docker logs {failed.Name}";

    private Task RemoveAsync(IReadOnlyList<DockerContainer> containers, string why) => RemoveByIdAsync([.. containers.Select(c => c.Id)], why);

    private async Task<IReadOnlyList<DockerContainer>> ContainersAsync(ComposeProject project, string service)
    {
        if (_session.IsDryRun)
        {
            // A dry run asks the target host nothing: what runs there is named where it matters (ShowRolloutAsync).
            return [];
        }

        var ids = await ContainerIdsAsync(project, service);
        return ids.Count == 0 ? [] : await InspectAsync(ids);
    }

    /// <summary>
    /// The ids of the project's containers (of one service), oldest first: by their Compose labels (a <c>docker</c>
    /// start, where <c>compose ps</c> first reads the project's files), or with <c>compose ps</c> on Compose v1, whose
    /// labels carry a project name it normalised.
    /// </summary>
    private async Task<IReadOnlyList<string>> ContainerIdsAsync(ComposeProject project, string? service = null)
    {
        if (project.Driver.IsV1)
        {
            return DockerContainerIds.Parse((await _session.QueryAsync(ComposeCli.ContainerIds(project, service))).StandardOutput);
        }

        // docker container ls prints the newest first.
        return [.. DockerContainerIds.Parse((await _session.QueryAsync(DockerCli.ComposeContainerIds(project.Name, service, Endpoint))).StandardOutput).Reverse()];
    }

    /// <summary>Where a dry run's placeholders of what runs then come from.</summary>
    private string ListedBy => _deployment.Project.Driver.IsV1 ? "compose ps" : "docker container ls";

    private async Task<IReadOnlyList<DockerContainer>> InspectAsync(IEnumerable<string> ids)
    {
        var output = (await _session.QueryAsync(DockerCli.InspectContainers(ids, Endpoint))).StandardOutput;
        return string.IsNullOrWhiteSpace(output) ? [] : DockerContainer.ParseInspectArray(output);
    }

    private async Task RunAsync(ToolInvocation invocation) => await _session.RunAsync(invocation);


    private sealed class Attempt
    {
        public Stage Stage { get; set; }

        public string? Failure { get; set; }

        public string? Backup { get; set; }

        public bool TrafficMoved { get; set; }

        /// <summary>
        /// The database holds the release's migrations: its migrate step ran and succeeded, or each had run before
        /// (<see cref="ComposeDeployment.MigrationsRanBecause"/>).
        /// </summary>
        public bool Migrated { get; set; }

        /// <summary>False when a failure after traffic moved must leave the new release serving (rollout.rollback_on_failure off).</summary>
        public bool SwitchBackAllowed { get; init; } = true;

        /// <summary>True when traffic went back to the warm previous containers and the new ones were removed.</summary>
        public bool SwitchedBack { get; set; }

        /// <summary>From the decision to switch back until HAProxy had taken it, for the record.</summary>
        public TimeSpan? SwitchTime { get; set; }

        public List<RolloutStep> Steps { get; } = [];

        /// <summary>Each phase that ended and how long it took ("rollout of api 5.8 s"), in order: where a deploy's time went.</summary>
        public List<string> Took { get; } = [];

        /// <summary>The services' <c>depends_on</c>, when Compose printed its resolved model (v2; not in a dry run).</summary>
        public ComposeDependencies? Dependencies { get; set; }

        /// <summary>Adds a started step; services that start together add theirs at the same time.</summary>
        public void Add(RolloutStep step)
        {
            lock (Steps)
            {
                Steps.Add(step);
            }
        }

        /// <summary>Probes still sending their bounded requests after a guard decided.</summary>
        public Task<ProbeVerdict>? PendingProbes { get; set; }
    }
}

/// <summary>The steps of a Compose deploy, in order.</summary>
internal enum Stage
{
    Preparation,
    Backup,
    Migrations,
    Rollout,
    Probes,
    Done,
}

internal static class StageText
{
    public static string Describe(this Stage stage) => stage switch
    {
        Stage.Preparation => "preparation (compose config, data services)",
        Stage.Backup => "the pre-deploy backup",
        Stage.Migrations => "migrations",
        Stage.Rollout => "the rollout",
        Stage.Probes => "the SLO probes",
        _ => "the deploy",
    };
}

/// <summary>A deploy step failed; the message says which and why.</summary>
public sealed class DeployStepException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DeployStepException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public DeployStepException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public DeployStepException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
