using Slipway.Delivery.Gates;
using Slipway.Delivery.SupplyChain;
using Slipway.Targets;

namespace Slipway.Delivery.Components;

/// <summary>
/// Deploys release.json to an environment with the driver its <c>delivery.driver</c> names (Compose on a Docker host, Helm
/// on Kubernetes): DeployDev, DeployStaging, DeployProd (through a canary when the matrix has <c>canary.steps</c>),
/// Rollback and History. Each deploy is one <see cref="DeliveryRun"/>: lock, verify, deploy, report, roll back.
/// </summary>
public interface IDelivery : IBuildImages
{
    /// <summary>--lock-wait.</summary>
    [Parameter("How long a deploy waits for another deploy's lock on the environment, e.g. 30s or 5m; 0s fails at once")]
    TimeSpan LockWait => TryGetValue(() => LockWait);

    /// <summary>--lock-lease.</summary>
    [Parameter("How long the environment lock's lease runs; the deploy holding it renews it every quarter of that, and a lock whose lease ran out (its run killed or cancelled) is taken over by the next deploy; default 2m")]
    TimeSpan LockLease => TryGetValue(() => LockLease);

    /// <summary>--break-lock.</summary>
    [Parameter("Remove the environment's lock first: for a lock left by a killed run (a deploy reports it as stale)")]
    bool BreakLock => TryGetValue(() => BreakLock);

    /// <summary>--to: the version or revision Rollback returns to.</summary>
    [Parameter("Rollback: the version or revision (History's REVISION column) to return to; default the good revision before the one running (from the ledger)", Name = "to")]
    string? RollbackTo => TryGetValue(() => RollbackTo);

    /// <summary>--override-protection: deploy past the environment's protection, where its matrix allows it; the reason goes to the ledger.</summary>
    [Parameter("Deploy although the environment's protection refuses (dirty tree, ref not in allowed_refs), giving the reason, which the ledger records; only where protection.allow_override allows it (not prod by default)", Name = "override-protection")]
    string? OverrideProtection => TryGetValue(() => OverrideProtection);

    /// <summary>--wait-for-window.</summary>
    [Parameter("Outside the environment's data.maintenance_window, wait for it to open instead of refusing a release with migrations pending")]
    bool WaitForWindow => TryGetValue(() => WaitForWindow);

    /// <summary>The environment's gates, before any other target of the run: clean tree and allowed ref (protection).</summary>
    Target Preflight => _ => _
        .Describe("Refuse a deploy the environment does not allow, before anything else runs: uncommitted changes (protection.require_clean_tree), a ref not in protection.allowed_refs (GITHUB_REF in Actions, else git), weak prod secrets, a Docker host short of delivery.compose.host (free disk, engine version)")
        .UsesEnvironment(this)
        .RunsFirst()
        .Executes(PreflightAsync);

    /// <summary>Builds, publishes and deploys to dev.</summary>
    Target DeployDev => _ => _
        .Describe("Build, publish and deploy the stack to dev on the local Docker engine (implies --env dev), then print its URL")
        .DependsOn(Publish, Preflight)
        .TryDependsOn<ISupplyChain>(x => x.Verify)
        .ImpliesEnvironment(this, "dev")
        .UsesEnvironment(this, whenLoaded: () => Delivery.DeclaredMigrations().Errors)
        .Consumes(ReleaseFile)
        .Executes(Tracked(ctx => DeliveryRunOf(ctx).DeployAsync(Delivery.ReleaseToDeploy(ctx.IsDryRun))));

    /// <summary>Deploys the published (and signed) release to staging.</summary>
    Target DeployStaging => _ => DeploysPublishedRelease(_)
        .Describe($"Deploy {ReleaseFile} (published and signed) to staging (implies --env staging): lock, verify, backup, migrate, zero-downtime rollout, SLO probes, automatic rollback")
        .ImpliesEnvironment(this, "staging")
        .Executes(Tracked(ctx => DeliveryRunOf(ctx).DeployAsync(Delivery.ReleaseToDeploy(ctx.IsDryRun))));

    /// <summary>Deploys the published (and signed) release to prod, through a canary when the matrix has one.</summary>
    Target DeployProd => _ => DeploysPublishedRelease(_)
        .Describe($"Deploy {ReleaseFile} (published and signed) to prod (implies --env prod): through Canary when the matrix has canary.steps, else as DeployStaging does")
        .ImpliesEnvironment(this, "prod")
        .Executes(Tracked(ctx => DeliveryRunOf(ctx).DeployProdAsync(Delivery.ReleaseToDeploy(ctx.IsDryRun))));

    /// <summary>Returns the environment to its previous good release (or <c>--to</c>), from the ledger.</summary>
    Target Rollback => _ => _
        .Describe("Redeploy the previous good release of --env (or --to VERSION) by digest from the ledger, through the same zero-downtime path and probes; no rebuild. Refused across a contract migration unless --force")
        .UsesEnvironment(this, whenLoaded: () => Delivery.DeclaredMigrations().Errors)
        .Executes(Tracked(ctx => DeliveryRunOf(ctx).RollbackAsync(RollbackTo), rollback: true));

    /// <summary>Prints the environment's release ledger.</summary>
    Target History => _ => _
        .Describe("Print the release ledger of --env (every deploy, promotion and rollback), newest first")
        .UsesEnvironment(this)
        .Executes(ctx =>
        {
            var environment = Delivery with { StateSession = ctx };
            var store = environment.Ledger();
            if (ctx.IsDryRun && environment.KeepsStateWithEnvironment)
            {
                ctx.Info($"would read the ledger of {EnvironmentName} from {store.Path} and print it");
                return;
            }

            var ledger = store.ReadAll();
            foreach (var warning in ledger.Warnings)
            {
                ctx.Warning(warning);
            }

            ctx.Info(ledger.Entries.Count == 0
                ? $"No deploys recorded for {EnvironmentName} yet ({(environment.KeepsStateWithEnvironment ? store.Path : environment.Relative(environment.LedgerPath))})."
                : LedgerTable.Render(ledger.Entries).TrimEnd('\n'));
        });

    /// <summary>
    /// A target that deploys release.json as Publish left it: verified first (when the pipeline has a supply chain), after
    /// Publish and Sign when they run too (<c>--target Publish Sign DeployStaging</c>).
    /// </summary>
    protected TargetDefinition DeploysPublishedRelease(TargetDefinition target) => (target ?? throw new ArgumentNullException(nameof(target)))
        .DependsOn(Preflight)
        .TryDependsOn<ISupplyChain>(x => x.Verify)
        .After(Publish)
        .After<ISupplyChain>(x => x.Sign)
        .UsesEnvironment(this, whenLoaded: () => Delivery.DeclaredMigrations().Errors)
        .Consumes(ReleaseFile);

    /// <summary>
    /// The delivery run of a target: the environment's driver, the lock options, and the verification a rollback repeats
    /// (the supply chain's cosign policy).
    /// </summary>
    DeliveryRun DeliveryRunOf(TargetContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        // The ledger and lock on the environment's host are reached uncancelled, so a cancelled run still releases its lock.
        var environment = Delivery with { StateSession = ctx.WithCancellation(CancellationToken.None) };
        var preflight = RunState(() => new PreflightState());

        // Ctrl+C must not stop the commands that take a canary's traffic away: the driver gets an uncancelled session for them.
        var driver = DeployDrivers.For(environment, ctx, ctx.WithCancellation(CancellationToken.None), TimeProvider.System);
        var cosign = (this as ISupplyChain)?.Cosign ?? new CosignGate(environment, offline: false);
        var options = new DeliveryOptions
        {
            LockWait = LockWait,
            LockLease = LockLease > TimeSpan.Zero ? LockLease : LockHolder.DefaultLease,
            BreakLock = BreakLock,
            VerifyAsync = images => cosign.VerifyReleaseAsync(ctx, images),
            SetOutput = ctx.SetOutput,
            WaitForWindow = WaitForWindow,
            Force = Force,
            GatesAsync = async () =>
            {
                await PreflightAsync(ctx);
                return preflight.Override;
            },
        };
        return new DeliveryRun(environment, driver, ctx, options, TimeProvider.System);
    }

    /// <summary>
    /// The gates of <see cref="Preflight"/>, once per run: a deploy planned without it (<c>--exclusive</c>, <c>--skip</c>)
    /// runs them itself before it takes the lock, so no deploy gets past them by leaving the target out.
    /// </summary>
    private async Task PreflightAsync(TargetContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var state = RunState(() => new PreflightState());
        if (state.Passed)
        {
            return;
        }

        var environment = CurrentEnvironment;
        var copy = await WorkingCopy.ReadAsync(ctx, RootDirectory, Variables, environment.Protection);
        var refusals = RefProtectionGate.Refusals(environment.Protection, copy, EnvironmentFile);
        if (refusals.Count > 0)
        {
            var refused = string.Join(" ", refusals);
            var mayOverride = RefProtectionGate.MayOverride(environment);
            if (string.IsNullOrWhiteSpace(OverrideProtection))
            {
                throw new InvalidOperationException(refused + (mayOverride
                    ? " To deploy anyway, give --override-protection \"REASON\" (the ledger records it)."
                    : string.Empty));
            }

            if (!mayOverride)
            {
                throw new InvalidOperationException($"{refused} --override-protection is not allowed for {environment.Name}: {EnvironmentFile} does not set protection.allow_override: true.");
            }

            state.Override = $"protection overridden ({OverrideProtection.Trim()}): {refused}";
            ctx.Warning($"--override-protection: deploying to {environment.Name} although: {refused} Reason given: {OverrideProtection.Trim()}. The ledger records it.");
        }
        else
        {
            ctx.Info($"{environment.Name}: protection passed ({Passed(environment.Protection, copy)}).");
        }

        if (environment.IsProduction)
        {
            CheckSecretStrength(ctx.IsDryRun);
        }

        await HostCheckGate.CheckAsync(Delivery, ctx);

        state.Passed = true;
    }

    /// <summary>Production's secrets are not empty, not defaults, not short: refused before anything deploys, naming keys, never values.</summary>
    private void CheckSecretStrength(bool dryRun)
    {
        var environment = Delivery;
        var minimum = environment.Environment.Security.MinSecretLength;
        var weak = SecretStrengthGate.References(environment.Environment)
            .Select(r => (r.Key, r.Reference, Value: environment.Resolve(r.Reference, dryRun)))

            // A dry run on a machine without production's secrets cannot judge them: the real run does.
            .Where(r => !(dryRun && r.Value.Reveal().Length == 0))
            .Select(r => SecretStrengthGate.Weakness(r.Value.Reveal(), minimum) is { } why ? $"{r.Key} ({r.Reference}): {why}" : null)
            .OfType<string>()
            .ToList();
        if (weak.Count > 0)
        {
            throw new InvalidOperationException(
                $"{environment.Name} refuses weak secrets, and {EnvironmentFile} resolves {string.Join("; ", weak)}. Set strong values (at least {minimum} random characters) where the references point, then deploy again. Nothing was deployed.");
        }
    }

    private static string Passed(Environments.RefProtection protection, WorkingCopy copy)
    {
        var checks = new List<string>();
        if (protection.RequireCleanTree)
        {
            checks.Add("clean tree");
        }

        if (protection.AllowedRefs.Count > 0)
        {
            checks.Add($"{string.Join(" and ", copy.Refs)} in allowed_refs");
        }

        return checks.Count == 0 ? "nothing required" : string.Join(", ", checks);
    }

    /// <summary>
    /// A deploy's work wrapped so GitHub gets a Deployment with its statuses when the pipeline tracks deployments
    /// (<see cref="IGitHubReleases"/>); the deploy's own result is untouched.
    /// </summary>
    Func<TargetContext, Task> Tracked(Func<TargetContext, Task> deploy, bool rollback = false) => ctx =>
        this is IGitHubReleases github ? github.TrackDeploymentAsync(ctx, rollback, () => deploy(ctx)) : deploy(ctx);
}

/// <summary>What the gates of one run decided: passed, and the override the ledger records.</summary>
internal sealed class PreflightState
{
    public bool Passed { get; set; }

    public string? Override { get; set; }
}
