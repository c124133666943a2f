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

    /// <summary>--break-lock.</summary>
    [Parameter("Remove the environment's lock first: for a lock left by a killed run (a deploy reports it as stale)")]
    bool BreakLock => TryGetValue(() => BreakLock);

    /// <summary>--to: the version or revision Rollback returns to.</summary>
    [Parameter("Rollback: the version or revision (History's REVISION column) to return to; default the good revision before the one running (from the ledger)", Name = "to")]
    string? RollbackTo => TryGetValue(() => RollbackTo);

    /// <summary>Builds, publishes and deploys to dev.</summary>
    Target DeployDev => _ => _
        .Describe("Build, publish and deploy the stack to dev on the local Docker engine (implies --env dev), then print its URL")
        .DependsOn(Publish)
        .TryDependsOn<ISupplyChain>(x => x.Verify)
        .ImpliesEnvironment(this, "dev")
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
        .Describe("Redeploy the previous good release of --env (or --to VERSION) by digest from the ledger, through the same zero-downtime path and probes; no rebuild")
        .UsesEnvironment(this)
        .Executes(Tracked(ctx => DeliveryRunOf(ctx).RollbackAsync(RollbackTo), rollback: true));

    /// <summary>Prints the environment's release ledger.</summary>
    Target History => _ => _
        .Describe("Print the release ledger of --env (every deploy, promotion and rollback), newest first")
        .UsesEnvironment(this)
        .Executes(ctx =>
        {
            var environment = Delivery;
            var ledger = environment.Ledger().ReadAll();
            foreach (var warning in ledger.Warnings)
            {
                ctx.Warning(warning);
            }

            ctx.Info(ledger.Entries.Count == 0
                ? $"No deploys recorded for {EnvironmentName} yet ({environment.Relative(environment.LedgerPath)})."
                : LedgerTable.Render(ledger.Entries).TrimEnd('\n'));
        });

    /// <summary>
    /// A target that deploys release.json as Publish left it: verified first (when the pipeline has a supply chain), after
    /// Publish and Sign when they run too (<c>--target Publish Sign DeployStaging</c>).
    /// </summary>
    protected TargetDefinition DeploysPublishedRelease(TargetDefinition target) => (target ?? throw new ArgumentNullException(nameof(target)))
        .TryDependsOn<ISupplyChain>(x => x.Verify)
        .After(Publish)
        .After<ISupplyChain>(x => x.Sign)
        .Consumes(ReleaseFile);

    /// <summary>
    /// The delivery run of a target: the environment's driver, the lock options, and the verification a rollback repeats
    /// (the supply chain's cosign policy).
    /// </summary>
    DeliveryRun DeliveryRunOf(TargetContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var environment = Delivery;

        // Ctrl+C must not stop the commands that take a canary's traffic away: the driver gets an uncancelled session for them.
        var driver = DeployDrivers.For(environment, ctx, ctx.WithCancellation(CancellationToken.None), TimeProvider.System);
        var cosign = (this as ISupplyChain)?.Cosign ?? new CosignGate(environment, offline: false);
        var options = new DeliveryOptions
        {
            LockWait = LockWait,
            BreakLock = BreakLock,
            VerifyAsync = images => cosign.VerifyReleaseAsync(ctx, images),
            SetOutput = ctx.SetOutput,
        };
        return new DeliveryRun(environment, driver, ctx, options, TimeProvider.System);
    }

    /// <summary>
    /// A deploy's work wrapped so GitHub gets a Deployment with its statuses when the pipeline tracks deployments
    /// (<see cref="IGitHubReleases"/>); the deploy's own result is untouched.
    /// </summary>
    Func<TargetContext, Task> Tracked(Func<TargetContext, Task> deploy, bool rollback = false) => ctx =>
        this is IGitHubReleases github ? github.TrackDeploymentAsync(ctx, rollback, () => deploy(ctx)) : deploy(ctx);
}
