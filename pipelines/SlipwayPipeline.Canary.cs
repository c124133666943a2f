using Slipway.Delivery;
using Slipway.Delivery.Canary;
using Slipway.Delivery.Compose;
using Slipway.Environments;
using Slipway.Targets;

namespace Slipway.Build;

/// <summary>
/// Canary, Promote, Abort and DeployProd: the new release beside the stable one, traffic shifted step by step by the
/// proxy's weights, every analysis interval judged by the SLO probes and by what the proxy saw of the canary.
/// </summary>
public sealed partial class SlipwayPipeline
{
    public Target Canary => _ => _
        .Describe($"Run {ReleaseFile} as a canary beside the stable release of --env: walk canary.steps (weight, duration), analyse every interval (SLO probes, the canary's error rate and p95 at the proxy), then promote, or abort (weight 0, canary removed) and exit 1. Resumes a killed run")
        .DependsOn(Verify)
        .After(Publish, Sign)
        .Consumes(ReleaseFile)
        .Executes(TrackedOnGitHub(CanaryAsync));

    public Target Promote => _ => _
        .Describe("Promote the canary in progress in --env now, skipping its remaining steps (handed to the running Canary, or done here if none runs)")
        .Executes(ctx => DecideAsync(ctx, CanaryDecision.Promote));

    public Target Abort => _ => _
        .Describe("Abort the canary in progress in --env now: weight 0, canary removed, the stable release untouched")
        .Executes(ctx => DecideAsync(ctx, CanaryDecision.Abort));

    public Target DeployProd => _ => _
        .Describe($"Deploy {ReleaseFile} (published and signed) to prod (implies --env prod): through Canary when the matrix has canary.steps, else as DeployStaging does")
        .DependsOn(Verify)
        .After(Publish, Sign)
        .Consumes(ReleaseFile)
        .Executes(TrackedOnGitHub(DeployProdAsync));

    /// <summary>The targets that need the environment's canary section.</summary>
    private static string[] CanaryTargets => [nameof(Canary), nameof(Promote), nameof(Abort)];

    /// <summary>The environment's canary plan; Validate has made sure it exists when a canary target is planned.</summary>
    private CanaryPlan CanaryPlan => Environments.Current.Canary is { Steps.Count: > 0 } plan
        ? plan
        : throw new InvalidOperationException(NoCanaryPlan);

    private string NoCanaryPlan =>
        $"{EnvironmentsDirectory}/{EnvironmentName}.yml has no canary.steps: add a canary section (e.g. canary: {{ steps: [{{ weight: 10, duration: 5m }}], analysis_interval: 1m }}) or deploy without one (DeployStaging).";

    private async Task DeployProdAsync(TargetContext ctx)
    {
        if (Environments.Current.Canary is not { Steps.Count: > 0 })
        {
            await DeployAsync(ctx);
            return;
        }

        // The very first release has nothing to be compared with: it is deployed (and probed) directly.
        if (ReleaseLedger.Open(LedgerPath).LastGood() is null && CanaryState.Read(EnvironmentStateDirectory) is null)
        {
            ctx.Info($"{EnvironmentName} has no stable release yet: the first deploy goes without a canary (there is nothing to compare it with).");
            await DeployAsync(ctx);
            return;
        }

        await CanaryAsync(ctx);
    }

    private async Task CanaryAsync(TargetContext ctx)
    {
        var plan = CanaryPlan;
        var release = ctx.IsDryRun && !File.Exists(ctx.PathOf(ReleaseFile)) ? null : ReleaseManifest.Read(ctx.PathOf(ReleaseFile));
        var canary = release is null
            ? new ComposeRelease("<version from Publish>", "<commit>", Services.ToDictionary(s => s.Name, s => ImageReference(s, ctx), StringComparer.Ordinal))
            : new ComposeRelease(release.Version, release.Commit, release.Images.ToDictionary(i => i.Service, i => i.Reference, StringComparer.Ordinal));

        await WithLockAsync(ctx, canary.Version, async () =>
        {
            var ledger = ReleaseLedger.Open(LedgerPath);
            var stable = ledger.LastGoodExcept(canary.Version);
            if (stable is null)
            {
                throw new InvalidOperationException(
                    $"A canary needs a stable release to run beside, and the ledger of {EnvironmentName} has none: deploy one first (./build.sh --target DeployStaging --env {EnvironmentName}), then run Canary.");
            }

            if (ledger.LastGood()?.Version == canary.Version && CanaryState.Read(EnvironmentStateDirectory) is null)
            {
                ctx.Info($"{canary.Version} is already the stable release of {EnvironmentName}: no canary to run.");
                return;
            }

            var controller = DeploysWithHelm
                ? await HelmCanaryControllerAsync(ctx, canary.Version)
                : await CanaryControllerAsync(ctx, ComposeRelease.From(stable), canary);
            var outcome = await controller.RunAsync(new CanaryRelease(canary.Version, canary.Commit, canary.Images), stable.Version, LedgerEntry.CurrentUser);
            ReportCanary(ctx, outcome);
        });
    }

    private async Task DecideAsync(TargetContext ctx, CanaryDecision decision)
    {
        var verb = decision.ToString().ToLowerInvariant();
        var state = CanaryState.Read(EnvironmentStateDirectory);
        if (state is null)
        {
            throw new InvalidOperationException($"No canary is in progress in {EnvironmentName}: nothing to {verb}. See: ./build.sh --target History --env {EnvironmentName}");
        }

        var path = Path.Combine(EnvironmentStateDirectory, "deploy.lock");
        if (ctx.IsDryRun)
        {
            ctx.Info($"would {verb} the canary of {state.Release.Version} ({state.Phase.ToString().ToLowerInvariant()}, {state.Weight} %): handed to the running Canary if it holds {Path.GetRelativePath(RootDirectory, path)}, else done here");
            return;
        }

        if (BreakLock)
        {
            await WithLockAsync(ctx, state.Release.Version, () => DecideHereAsync(ctx, decision, state));
            return;
        }

        var held = EnvironmentLock.TryAcquire(path, LockHolder.Current(state.Release.Version, TimeProvider.System), out var holder);
        if (held is not null)
        {
            await using (held)
            {
                await DecideHereAsync(ctx, decision, state);
            }

            return;
        }

        if (EnvironmentLock.IsStale(holder!))
        {
            throw new EnvironmentLockedException(Path.GetFullPath(path), holder!, isStale: true, DateTimeOffset.UtcNow);
        }

        // A live Canary holds the lock: it takes the decision within a second and ends the canary itself.
        CanaryRequest.Leave(EnvironmentStateDirectory, decision, LedgerEntry.CurrentUser);
        ctx.Info($"Asked the running Canary (pid {holder!.Pid} on {holder.Host}) to {verb} {state.Release.Version}; waiting for it to finish (up to {Environments.Current.Rollout.Timeout}).");
        var started = TimeProvider.System.GetTimestamp();
        while (CanaryState.Read(EnvironmentStateDirectory) is not null)
        {
            if (TimeProvider.System.GetElapsedTime(started) > Environments.Current.Rollout.Timeout.Value)
            {
                throw new InvalidOperationException($"The running Canary did not finish the {verb} within {Environments.Current.Rollout.Timeout} (rollout.timeout). Its log and History say what it is doing.");
            }

            await Task.Delay(TimeSpan.FromSeconds(1), ctx.CancellationToken);
        }

        var entries = ReleaseLedger.Open(LedgerPath).Find(state.Release.Version);
        var last = entries.Count == 0 ? null : entries[^1];
        var expected = decision == CanaryDecision.Promote ? LedgerAction.Promoted : LedgerAction.Aborted;
        if (last?.Action != expected)
        {
            throw new InvalidOperationException($"The canary of {state.Release.Version} ended as {last?.Action.ToString() ?? "nothing recorded"}, not {expected}: {last?.Details}");
        }

        ctx.Info($"{state.Release.Version}: {last.Details}");
    }

    private async Task DecideHereAsync(TargetContext ctx, CanaryDecision decision, CanaryState state)
    {
        var stable = ReleaseLedger.Open(LedgerPath).Find(state.Stable).LastOrDefault(e => e.Action is LedgerAction.Deployed or LedgerAction.Promoted)
            ?? throw new InvalidOperationException($"The canary's stable release {state.Stable} is not in the ledger of {EnvironmentName}: look at the stack, then run Rollback --to VERSION.");
        var canary = new ComposeRelease(state.Release.Version, state.Release.Commit, state.Release.Images);
        var controller = DeploysWithHelm
            ? await HelmCanaryControllerAsync(ctx, canary.Version, rendersRelease: decision == CanaryDecision.Promote)
            : await CanaryControllerAsync(ctx, ComposeRelease.From(stable), canary);
        var outcome = decision == CanaryDecision.Promote
            ? await controller.PromoteNowAsync(LedgerEntry.CurrentUser)
            : await controller.AbortNowAsync(LedgerEntry.CurrentUser);
        if (decision == CanaryDecision.Abort)
        {
            // An abort asked for and done is this target's success; the canary's own run reports it as a failure.
            ctx.Info(outcome.Summary);
            return;
        }

        ReportCanary(ctx, outcome);
    }

    /// <summary>The controller of this environment's canary on Compose, with the canary's override written.</summary>
    private async Task<CanaryController> CanaryControllerAsync(TargetContext ctx, ComposeRelease stable, ComposeRelease canary)
    {
        var deployment = await ComposeDeploymentAsync(ctx);
        var stableOverride = deployment.OverrideFileOf(stable.Version);
        if (!File.Exists(stableOverride) && !ctx.IsDryRun)
        {
            throw new InvalidOperationException($"The configuration the stable release {stable.Version} runs with ({stableOverride}) is gone from the state directory: redeploy it (Rollback --to {stable.Version}) before a canary.");
        }

        // The canary's override over the stable one now; the release's own override when it is promoted.
        var rendered = ComposeOverride.Render(Environments.Current, canary.Version, Environments.Secrets);
        var routed = deployment.Services.Where(s => s.Routed).ToDictionary(s => s.Name, s => canary.Images[s.Name], StringComparer.Ordinal);
        var canaryOverride = ComposeOverride.RenderCanary(Environments.Current, canary.Version, Environments.Secrets, routed);
        var canaryFile = deployment.CanaryOverrideFileOf(canary.Version);
        await ctx.DoAsync($"write {Path.GetRelativePath(RootDirectory, canaryFile)}", () =>
        {
            Directory.CreateDirectory(Path.GetDirectoryName(canaryFile)!);
            File.WriteAllText(canaryFile, canaryOverride.Yaml);
        });

        // Ctrl+C must not stop the commands that take the canary's traffic away: the deployer runs uncancelled, the
        // controller's waits and probes stop, and it aborts.
        var withSecrets = deployment with { Project = WithSecrets(deployment.Project, rendered) };
        var deployer = Deployer(ctx.WithCancellation(CancellationToken.None), withSecrets);
        var setup = new CanarySetup(EnvironmentName, CanaryPlan, EnvironmentStateDirectory, DeployChecksOf(ctx, withSecrets).ProbeAsync);
        return new CanaryController(setup, deployer.Canary(stable, CanaryPlan.Replicas, rendered.Yaml), ctx, ReleaseLedger.Open(LedgerPath), TimeProvider.System);
    }

    private void ReportCanary(TargetContext ctx, CanaryOutcome outcome)
    {
        if (!outcome.Promoted)
        {
            throw new InvalidOperationException(outcome.Summary + $" The ledger has every step and analysis: ./build.sh --target History --env {EnvironmentName}");
        }

        ctx.Info(outcome.Summary);
        if (!ctx.IsDryRun)
        {
            ctx.Info($"{EnvironmentName} is up: {StackUrl}");
            ctx.SetOutput("url", StackUrl.ToString());
        }
    }
}
