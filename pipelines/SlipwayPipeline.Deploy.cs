using System.Security.Cryptography;
using Slipway.Delivery;
using Slipway.Delivery.Backups;
using Slipway.Delivery.Compose;
using Slipway.Delivery.Probes;
using Slipway.Environments;
using Slipway.Processes;
using Slipway.Targets;
using Slipway.Tools.Compose;
using Slipway.Tools.Docker;

namespace Slipway.Build;

/// <summary>
/// DeployDev, DeployStaging and Rollback on Docker Compose: lock, verify, back up, migrate, roll out without downtime,
/// probe, record, and roll back automatically when the probes fail.
/// </summary>
public sealed partial class SlipwayPipeline
{
    private const string DatabaseUser = "slipway";

    private Secret? _databasePassword;

    [Parameter("How long a deploy waits for another deploy's lock on the environment, e.g. 30s or 5m; 0s fails at once")]
    public TimeSpan LockWait { get; init; }

    [Parameter("Remove the environment's lock first: for a lock left by a killed run (a deploy reports it as stale)")]
    public bool BreakLock { get; init; }

    [Parameter("Rollback: the version to return to; default the good release before the one running (from the ledger)")]
    public string? To { get; init; }

    public Target DeployDev => _ => _
        .Describe("Build, publish and deploy the stack to dev on the local Docker engine (implies --env dev), then print its URL")
        .DependsOn(Publish, Verify)
        .Consumes(ReleaseFile)
        .Executes(TrackedOnGitHub(DeployAsync));

    public Target DeployStaging => _ => _
        .Describe($"Deploy {ReleaseFile} (published and signed) to staging (implies --env staging): lock, verify, backup, migrate, zero-downtime rollout, SLO probes, automatic rollback")
        .DependsOn(Verify)
        .After(Publish, Sign)
        .Consumes(ReleaseFile)
        .Executes(TrackedOnGitHub(DeployAsync));

    public Target Rollback => _ => _
        .Describe("Redeploy the previous good release of --env (or --to VERSION) by digest from the ledger, through the same zero-downtime path and probes; no rebuild")
        .Executes(TrackedOnGitHub(RollbackAsync, rollback: true));

    private string EnvironmentStateDirectory => Path.GetFullPath(Path.Combine(RootDirectory, Environments.Current.StateDirectory));

    private ComposeTarget ComposeTarget => Environments.Current.Delivery is { Driver: DeliveryDriver.Compose, Compose: { } compose }
        ? compose
        : throw new InvalidOperationException($"{EnvironmentsDirectory}/{EnvironmentName}.yml deploys with {Environments.Current.Delivery.Driver.ToString().ToLowerInvariant()}, not compose: its deploy target comes with the Helm driver.");

    /// <summary>The probes' way in: the proxy, published on 127.0.0.1 at the ingress port.</summary>
    private Uri StackUrl => new($"http://127.0.0.1:{(Environments.Current.Ingress ?? throw new InvalidOperationException($"{EnvironmentsDirectory}/{EnvironmentName}.yml has no ingress: add ingress.http_port, the port the proxy is published on.")).HttpPort}");

    private DockerEndpoint DeployEndpoint => ComposeTarget switch
    {
        { DockerContext: { Length: > 0 } context } => DockerEndpoint.ForContext(context),
        { DockerHost: { Length: > 0 } host } => DockerEndpoint.ForHost(host),
        _ => Engine,
    };

    private async Task DeployAsync(TargetContext ctx)
    {
        if (DeploysWithHelm)
        {
            await DeployWithHelmAsync(ctx);
            return;
        }

        var release = ctx.IsDryRun && !File.Exists(ctx.PathOf(ReleaseFile)) ? null : ReleaseManifest.Read(ctx.PathOf(ReleaseFile));
        var composeRelease = release is null
            ? new ComposeRelease("<version from Publish>", "<commit>", Services.ToDictionary(s => s.Name, s => ImageReference(s, ctx), StringComparer.Ordinal))
            : new ComposeRelease(release.Version, release.Commit, release.Images.ToDictionary(i => i.Service, i => i.Reference, StringComparer.Ordinal));

        await WithLockAsync(ctx, composeRelease.Version, async () =>
        {
            var deployment = await ComposeDeploymentAsync(ctx);
            var rendered = ComposeOverride.Render(Environments.Current, composeRelease.Version, Environments.Secrets);
            var overrideFile = deployment.OverrideFileOf(composeRelease.Version);
            await ctx.DoAsync($"write {Path.GetRelativePath(RootDirectory, overrideFile)}", () =>
            {
                Directory.CreateDirectory(Path.GetDirectoryName(overrideFile)!);
                File.WriteAllText(overrideFile, rendered.Yaml);
            });

            var deployer = Deployer(ctx, deployment with { Project = WithSecrets(deployment.Project, rendered) });
            Report(ctx, await deployer.DeployAsync(composeRelease, LedgerEntry.CurrentUser), LedgerAction.Deployed);
        });
    }

    private async Task RollbackAsync(TargetContext ctx)
    {
        if (DeploysWithHelm)
        {
            await RollbackWithHelmAsync(ctx);
            return;
        }

        var (target, current) = RollbackTarget("digest");
        await WithLockAsync(ctx, target.Version, async () =>
        {
            var deployment = await ComposeDeploymentAsync(ctx);
            var overrideFile = deployment.OverrideFileOf(target.Version);
            if (!File.Exists(overrideFile) && !ctx.IsDryRun)
            {
                throw new InvalidOperationException($"The configuration {target.Version} was deployed with ({overrideFile}) is gone from the state directory: Rollback cannot redeploy it as it was. Deploy it again with Publish --version {target.Version}.");
            }

            await VerifyAgainAsync(ctx, target);
            var rendered = ComposeOverride.Render(Environments.Current, target.Version, Environments.Secrets);
            var deployer = Deployer(ctx, deployment with { Project = WithSecrets(deployment.Project, rendered) });
            Report(ctx, await deployer.RollbackAsync(ComposeRelease.From(target), current?.Version, LedgerEntry.CurrentUser), LedgerAction.RolledBack);
        });
    }

    /// <summary>
    /// The release Rollback returns to (<c>--to</c>, else the good release before the running one) and the one running
    /// now, from the ledger; <paramref name="whatIsNeeded"/> names what a release never deployed lacks (a digest, a revision).
    /// </summary>
    private (LedgerEntry Target, LedgerEntry? Current) RollbackTarget(string whatIsNeeded)
    {
        var ledger = ReleaseLedger.Open(LedgerPath);
        var current = ledger.LastGood();
        var target = To is null ? ledger.LastGoodExcept(current?.Version) : ledger.Find(To).LastOrDefault(e => e.Action is LedgerAction.Deployed or LedgerAction.Promoted);
        return target is not null
            ? (target, current)
            : throw new InvalidOperationException(To is null
                ? $"Nothing to roll back to: the ledger of {EnvironmentName} ({Path.GetRelativePath(RootDirectory, LedgerPath)}) has no good release before {current?.Version ?? "the current one"}. See: ./build.sh --target History --env {EnvironmentName}"
                : $"{To} was never deployed to {EnvironmentName} successfully, so there is no {whatIsNeeded} to return to. See: ./build.sh --target History --env {EnvironmentName}");
    }

    /// <summary>A rollback is a deploy: the target's signatures are verified again when the policy asks for them.</summary>
    private async Task VerifyAgainAsync(TargetContext ctx, LedgerEntry target)
    {
        if (Environments.Current.SupplyChain.RequireSignature)
        {
            await DetectCosignAsync(ctx);
            foreach (var reference in target.Images.OrderBy(i => i.Key, StringComparer.Ordinal).Select(i => i.Value))
            {
                await VerifyReferenceAsync(reference, ctx);
            }
        }
    }

    private ComposeDeployer Deployer(TargetContext ctx, ComposeDeployment deployment) =>
        new(deployment, ctx, ReleaseLedger.Open(LedgerPath), DeployChecksOf(ctx, deployment), TimeProvider.System);

    /// <summary>The pre-deploy backup and the SLO probes through the proxy.</summary>
    private DeployChecks DeployChecksOf(TargetContext ctx, ComposeDeployment deployment)
    {
        var environment = Environments.Current;
        var postgres = environment.Data.Postgres;
        return new DeployChecks(
            async (database, _) => await PostgresBackup.TakeAsync(
                ctx, database.Id, postgres?.Database ?? "orders", DatabaseUser, EnvironmentName, deployment.Project.Endpoint,
                BackupDirectory, postgres?.Backup.Retention ?? Duration.Parse("7d"), TimeProvider.System, await DatabasePasswordAsync(ctx)),
            async cancellationToken =>
            {
                using var http = new HttpClient();
                var report = await new SloProbeRunner(http) { StopWhenFailed = true }.RunAsync(StackUrl, environment.Slo?.Probes ?? [], cancellationToken);
                return new ProbeVerdict(report.Passed || environment.Slo?.GateDeploy == false, report.RenderTable(), report.FailureReasons);
            });
    }

    private string BackupDirectory => Path.GetFullPath(Path.Combine(RootDirectory, Environments.Current.Data.Postgres?.Backup.Directory ?? ".slipway/backups", EnvironmentName));

    private async Task<ComposeDeployment> ComposeDeploymentAsync(TargetContext ctx)
    {
        var environment = Environments.Current;
        var compose = ComposeTarget;
        var ingress = environment.Ingress?.Backend;
        var password = await DatabasePasswordAsync(ctx);
        var project = new ComposeProject(compose.Project, compose.Files.Select(f => Path.GetFullPath(Path.Combine(RootDirectory, f))), DeployEndpoint)
            .WithVariable("POSTGRES_PASSWORD", password)
            .WithVariable("POSTGRES_USER", DatabaseUser)
            .WithVariable("POSTGRES_DB", environment.Data.Postgres?.Database ?? "orders")
            .WithVariable("PROXY_PORT", StackUrl.Port.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithVariable("PROXY_STATS_PORT", compose.StatsPort.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithDriver(await ComposeDriverAsync(ctx));
        return new ComposeDeployment
        {
            Environment = EnvironmentName,
            Project = project,

            // The routed service first: the proxy starts once it is healthy, and the worker follows.
            Services = [.. Services
                .OrderBy(s => s.Name == ingress ? 0 : 1)
                .ThenBy(s => s.Name, StringComparer.Ordinal)
                .Select(s => new ComposeAppService(s.Name, s.Definition.Replicas, ImageVariableOf(s), s.Name == ingress))],
            Rollout = environment.Rollout,
            Migrations = environment.Data.Migrations,
            BackupBeforeDeploy = environment.Data.Postgres?.Backup.BeforeDeploy ?? false,
            StateDirectory = EnvironmentStateDirectory,
        };
    }

    /// <summary>data.postgres.password, else the one generated for this environment on its first deploy; read once per run.</summary>
    private async Task<Secret> DatabasePasswordAsync(TargetContext ctx) => _databasePassword ??= await ReadDatabasePasswordAsync(ctx);

    private async Task<Secret> ReadDatabasePasswordAsync(TargetContext ctx)
    {
        if (Environments.Current.Data.Postgres?.Password is { } reference)
        {
            return reference.Resolve(Environments.Secrets);
        }

        var file = Path.Combine(EnvironmentStateDirectory, "postgres-password");
        if (File.Exists(file))
        {
            return new Secret(InputFile.ReadText(file, Path.GetRelativePath(RootDirectory, file), 4 << 10).Trim(), "postgres-password");
        }

        var generated = new Secret(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)), "postgres-password");
        await ctx.DoAsync($"generate the database password of {EnvironmentName} into {Path.GetRelativePath(RootDirectory, file)} (mode 600)", () =>
        {
            Directory.CreateDirectory(EnvironmentStateDirectory);
            File.WriteAllText(file, generated.Reveal(), new System.Text.UTF8Encoding(false));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        });
        return generated;
    }

    /// <summary>The variable compose/stack.yml reads <paramref name="service"/>'s image from: <c>API_IMAGE</c>, <c>WORKER_IMAGE</c>.</summary>
    private static string ImageVariableOf(Service service) => service.Name.ToUpperInvariant().Replace('-', '_') + "_IMAGE";

    private static ComposeProject WithSecrets(ComposeProject project, ComposeOverride rendered) =>
        rendered.SecretVariables.Aggregate(project, (p, s) => p.WithVariable(s.Key, s.Value));

    private async Task WithLockAsync(TargetContext ctx, string version, Func<Task> deploy)
    {
        var path = Path.Combine(EnvironmentStateDirectory, "deploy.lock");
        var wait = LockWait;

        if (BreakLock)
        {
            await ctx.DoAsync($"break the lock {Path.GetRelativePath(RootDirectory, path)}", () =>
            {
                var broken = EnvironmentLock.Break(path);
                ctx.Warning(broken is null
                    ? "--break-lock: there was no lock to break."
                    : $"--break-lock: removed the lock of {broken.Holder} (pid {broken.Pid} on {broken.Host}, deploying {broken.Version} since {broken.Acquired:u}).");
            });
        }

        if (ctx.IsDryRun)
        {
            ctx.Info($"would take the lock {Path.GetRelativePath(RootDirectory, path)} (waiting up to {DurationText.Format(wait)})");
            await deploy();
            return;
        }

        if (wait > TimeSpan.Zero && File.Exists(path))
        {
            ctx.Info($"{EnvironmentName} is locked by another deploy: waiting up to {DurationText.Format(wait)} (--lock-wait)");
        }

        await using var held = await EnvironmentLock.AcquireAsync(path, LockHolder.Current(version, TimeProvider.System), wait, TimeProvider.System, ctx.CancellationToken);
        await deploy();
    }

    private void Report(TargetContext ctx, DeployOutcome outcome, LedgerAction expected)
    {
        if (outcome.Action != expected && !(expected == LedgerAction.Deployed && outcome.Action == LedgerAction.Promoted))
        {
            throw new InvalidOperationException(outcome.Summary + $" The ledger has the details: ./build.sh --target History --env {EnvironmentName}");
        }

        ctx.Info(outcome.Summary);
        if (!ctx.IsDryRun)
        {
            ctx.Info($"{EnvironmentName} is up: {StackUrl}");
            ctx.SetOutput("url", StackUrl.ToString());
        }
    }
}
