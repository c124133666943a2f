using System.Globalization;
using System.Security.Cryptography;
using Slipway.Delivery.Backups;
using Slipway.Delivery.Canary;
using Slipway.Delivery.Gates;
using Slipway.Delivery.Probes;
using Slipway.Environments;
using Slipway.Processes;
using Slipway.Tools.Compose;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Compose;

/// <summary>
/// The Compose driver: the environment's stack (its files, the generated proxy configuration, the variables the stack
/// reads) on its Docker host, a generated override per release, the <see cref="ComposeDeployer"/>'s zero-downtime
/// rollout, the pre-deploy backup and the SLO probes through the proxy. Everything the stack is told comes from the matrix.
/// </summary>
public sealed partial class ComposeDeployDriver : IDeployDriver
{
    private readonly DeliveryEnvironment _environment;
    private readonly IToolSession _session;
    private readonly IToolSession _uncancelled;
    private readonly TimeProvider _time;
    private Secret? _databasePassword;

    /// <summary>
    /// A driver for <paramref name="environment"/>. <paramref name="uncancelled"/> runs the commands that take a canary's
    /// traffic away, which must finish after Ctrl+C or SIGTERM.
    /// </summary>
    public ComposeDeployDriver(DeliveryEnvironment environment, IToolSession session, IToolSession uncancelled, TimeProvider time)
    {
        _environment = environment ?? throw new ArgumentNullException(nameof(environment));
        _session = session ?? throw new ArgumentNullException(nameof(session));
        _uncancelled = uncancelled ?? throw new ArgumentNullException(nameof(uncancelled));
        _time = time ?? throw new ArgumentNullException(nameof(time));
    }

    private DeployEnvironment Environment => _environment.Environment;

    /// <summary>The generated database password's file name: in the state directory, and with the environment when its ledger is.</summary>
    private const string PasswordFile = "postgres-password";

    private ComposeTarget Target => Environment.Delivery is { Driver: DeliveryDriver.Compose, Compose: { } compose }
        ? compose
        : throw new InvalidOperationException($"{_environment.EnvironmentFile} deploys with {Environment.Delivery.Driver.ToString().ToLowerInvariant()}, not compose: add a delivery.compose section, or deploy it with its own driver.");

    /// <summary>The proxy, published on 127.0.0.1 at <c>ingress.http_port</c> (<c>ingress.https_port</c> with TLS): the probes' way in.</summary>
    public Uri Url => UrlOf(_environment);

    /// <summary>
    /// Where a Compose environment answers: its proxy on 127.0.0.1 at <c>ingress.http_port</c>, or at
    /// <c>ingress.https_port</c> over HTTPS when <c>security.tls_mode</c> is not off (plain HTTP is redirected there).
    /// </summary>
    public static Uri UrlOf(DeliveryEnvironment environment)
    {
        var ingress = environment?.Environment.Ingress ?? throw new InvalidOperationException($"{environment?.EnvironmentFile} has no ingress: add ingress.http_port, the port the proxy is published on.");
        return environment.Environment.Security.TlsMode == TlsMode.Off
            ? new($"http://127.0.0.1:{ingress.HttpPort.ToString(CultureInfo.InvariantCulture)}")
            : new($"https://127.0.0.1:{ingress.HttpsPort.ToString(CultureInfo.InvariantCulture)}");
    }

    /// <inheritdoc />
    public Func<CancellationToken, Task<ProbeVerdict>> Probes => SloGate.Against(Url, Environment.Slo, ProbeClient, reference => _environment.Resolve(reference, dryRun: false));

    /// <summary>
    /// The probes' client: over HTTPS it asks for <c>ingress.host</c> (so the certificate is checked against the name it is
    /// for), and a <c>self_signed</c> environment's certificate is trusted through its generated authority only.
    /// </summary>
    private HttpClient ProbeClient()
    {
        if (Environment.Security.TlsMode == TlsMode.Off)
        {
            return new HttpClient();
        }

        var handler = new SocketsHttpHandler();
        if (Environment.Security.TlsMode == TlsMode.SelfSigned)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = ProxyCertificate.TrustOnly(ProxyCertificate.CaPathIn(_environment.StateDirectory));
        }

        var client = new HttpClient(handler);
        client.DefaultRequestHeaders.Host = Environment.Ingress?.Host;
        return client;
    }

    private DockerEndpoint Endpoint => EndpointOf(_environment);

    /// <summary>The engine a Compose environment deploys to: its context, else its host, else the local engine.</summary>
    internal static DockerEndpoint EndpointOf(DeliveryEnvironment environment) => environment.Environment.Delivery.Compose switch
    {
        { DockerContext: { Length: > 0 } context } => DockerEndpoint.ForContext(context),
        { DockerHost: { Length: > 0 } host } => DockerEndpoint.ForHost(host),
        _ => environment.LocalEngine,
    };

    /// <inheritdoc />
    public async Task<DeployOutcome> DeployAsync(DeliveryRelease release, string who)
    {
        ArgumentNullException.ThrowIfNull(release);
        var deployment = await DeploymentAsync();
        if (Environment.Data.Postgres?.Backup is { BeforeDeploy: true, EveryDeploy: false } && MaintenanceWindowGate.PendingMigrations(_environment, release) is (null, var none))
        {
            // The schema cannot change: the release brings no migration the running one did not run.
            deployment = deployment with { BackupBeforeDeploy = false };
            _session.Info($"Backup: not needed, {release.Version} brings no migrations ({none}); data.postgres.backup.every_deploy: true backs up every deploy.");
        }

        if (Environment.Data.Migrations.Enabled && MaintenanceWindowGate.MigrationsRanWith(_environment, release) is { } ran)
        {
            deployment = deployment with { MigrationsRanBecause = ran.Because };
        }

        var rendered = ComposeOverride.Render(Environment, release.Version, _environment.Secrets);
        var revision = ReleaseRevision.Of(release.Images, rendered.Yaml, rendered.SecretVariables);
        await KeptOverride.WriteAsync(_session, deployment.OverrideFileOf(release.Version, revision.Id), rendered.Yaml, _environment.Relative);
        await KeepWithEnvironmentAsync(deployment.OverrideFileOf(release.Version, revision.Id), rendered.Yaml);
        if (_environment.Ledger().LastGood() is { } running)
        {
            // What a failed deploy returns to may have been deployed from another machine.
            await FetchKeptAsync(deployment.OverrideFileOf(running.Version, running.RevisionId));
        }

        return await Deployer(_session, deployment, rendered).DeployAsync(Compose(release) with { Revision = revision }, who);
    }

    /// <inheritdoc />
    public async Task<DeployOutcome> RollbackAsync(LedgerEntry target, LedgerEntry? current, string who)
    {
        ArgumentNullException.ThrowIfNull(target);
        var deployment = await DeploymentAsync();
        var overrideFile = deployment.OverrideFileOf(target.Version, target.RevisionId);
        await FetchKeptAsync(overrideFile);
        if (!File.Exists(overrideFile) && !_session.IsDryRun)
        {
            throw new InvalidOperationException($"The configuration {target.Describe()} was deployed with ({overrideFile}) is gone from the state directory: Rollback cannot redeploy it as it was. Deploy it again with Publish --version {target.Version}.");
        }

        // Secret values are never written down: a revision returns with the values the secrets have today.
        var rendered = ComposeOverride.Render(Environment, target.Version, _environment.Secrets);
        if (target.RevisionId is { } id && !_session.IsDryRun &&
            ReleaseRevision.Of(target.Images, await File.ReadAllTextAsync(overrideFile), rendered.SecretVariables).Id != id)
        {
            _session.Warning($"A secret of {target.Describe()} has a different value now than when it ran: it returns with today's values (secret values are never stored).");
        }

        return await Deployer(_session, deployment, rendered).RollbackAsync(ComposeRelease.From(target), current, who);
    }

    /// <inheritdoc />
    public async Task<ICanaryTraffic> CanaryTrafficAsync(DeliveryRelease canary, LedgerEntry stable, CanaryPlan plan, bool rendersRelease)
    {
        ArgumentNullException.ThrowIfNull(canary);
        ArgumentNullException.ThrowIfNull(stable);
        ArgumentNullException.ThrowIfNull(plan);
        var deployment = await DeploymentAsync();
        var stableOverride = deployment.OverrideFileOf(stable.Version, stable.RevisionId);
        await FetchKeptAsync(stableOverride);
        if (!File.Exists(stableOverride) && !_session.IsDryRun)
        {
            throw new InvalidOperationException($"The configuration the stable release {stable.Version} runs with ({stableOverride}) is gone from the state directory: redeploy it (Rollback --to {stable.Version}) before a canary.");
        }

        // The canary's override over the stable one now; the release's own override when it is promoted.
        var rendered = ComposeOverride.Render(Environment, canary.Version, _environment.Secrets);
        var routed = deployment.Services.Where(s => s.Routed).ToDictionary(s => s.Name, s => canary.Images[s.Name], StringComparer.Ordinal);
        await WriteAsync(deployment.CanaryOverrideFileOf(canary.Version), ComposeOverride.RenderCanary(Environment, canary.Version, _environment.Secrets, routed).Yaml);

        // Ctrl+C must not stop the commands that take the canary's traffic away: the deployer runs uncancelled, the
        // controller's waits and probes stop, and it aborts.
        return Deployer(_uncancelled, deployment, rendered).Canary(ComposeRelease.From(stable), plan.Replicas, rendered);
    }

    /// <summary>
    /// The stack as this environment runs it: its files and project, the proxy's configuration (written here), the data
    /// services, and what the stack reads from its environment (database name, user and password, images, ports).
    /// </summary>
    public async Task<ComposeDeployment> DeploymentAsync()
    {
        var compose = Target;
        var proxy = compose.Proxy;
        var ingress = Environment.Ingress?.Backend;
        var proxyConfig = HaproxyConfiguration.PathIn(_environment.StateDirectory);
        var configuration = HaproxyConfiguration.Render(Environment);
        await WriteAsync(proxyConfig, configuration);
        var certificate = await ProxyCertificateAsync();
        var overlay = ProxyOverlay.PathIn(_environment.StateDirectory);
        await WriteAsync(overlay, ProxyOverlay.Render(
            Environment, configuration, certificate is null ? null : ProxyCertificate.ProxyPemPathIn(_environment.StateDirectory), certificate, ProxyOverlay.CurrentGroup()));
        var project = StackVariables(
            new ComposeProject(compose.Project, [.. compose.Files.Select(_environment.PathOf), overlay], Endpoint).WithDriver(await _environment.ComposeAsync(_session)),
            Environment,
            proxyConfig,
            Environment.Data.Postgres is null ? null : await DatabasePasswordAsync(),

            // The plain-HTTP port, whatever Url says: with TLS, Url is the HTTPS port, which the proxy's overlay publishes.
            Environment.Ingress!.HttpPort,
            compose.StatsPort);
        return new ComposeDeployment
        {
            Environment = _environment.Name,
            Project = project,

            // The routed service first: the proxy starts once it is healthy, and the others follow.
            Services = [.. Environment.Services
                .OrderBy(s => s.Key == ingress ? 0 : 1)
                .ThenBy(s => s.Key, StringComparer.Ordinal)
                .Select(s => new ComposeAppService(s.Key, s.Value.Replicas, compose.ImageVariableOf(s.Key), s.Key == ingress) { Worker = s.Value.Role == ServiceRole.Worker })],
            DataServices = [.. new[] { Environment.Data.Postgres?.Service, Environment.Data.Redis?.Service }.OfType<string>()],
            DatabaseService = Environment.Data.Postgres?.Service ?? string.Empty,
            BackupBeforeDeploy = Environment.Data.Postgres?.Backup.BeforeDeploy ?? false,
            ProxyService = proxy.Service,
            ProxyBackend = proxy.Backend,
            CanaryServerPrefix = proxy.CanaryServers,
            MigrationService = Environment.Data.Migrations.Service,
            Rollout = Environment.Rollout,
            Migrations = Environment.Data.Migrations,
            StateDirectory = _environment.StateDirectory,
            ConfigurationFiles = [proxyConfig],
            ChecksBeforeTraffic = Environment.Slo is { GateDeploy: true } slo ? [.. slo.Probes.Where(p => p.SendsDirect)] : [],
            MaxErrorRateAfterTraffic = Environment.Slo is { GateDeploy: true, Probes.Count: > 0 } gate ? gate.Probes.Min(p => p.MaxErrorRate) : null,
            RoutedPort = ingress is not null && Environment.Services.TryGetValue(ingress, out var routed) && routed.Ports.Count > 0 ? routed.Ports[0].Port : null,
            ReadinessPath = ingress is not null && Environment.Services.TryGetValue(ingress, out var checkedService) ? checkedService.Health?.Readiness ?? checkedService.Health?.Liveness : null,
        };
    }

    /// <summary>
    /// What a stack is told through its environment, from the matrix: the proxy's configuration file, image and host ports,
    /// the database's name, user, password and image, Redis's image. The images of the application services come per release.
    /// </summary>
    public static ComposeProject StackVariables(ComposeProject project, DeployEnvironment environment, string proxyConfig, Secret? databasePassword, int proxyPort, int statsPort)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(environment);
        var proxy = environment.Delivery.Compose?.Proxy ?? new ProxySettings();
        project = project
            .WithVariable("PROXY_CONFIG", proxyConfig)
            .WithVariable("PROXY_IMAGE", proxy.Image)
            .WithVariable("PROXY_PORT", proxyPort.ToString(CultureInfo.InvariantCulture))
            .WithVariable("PROXY_STATS_PORT", statsPort.ToString(CultureInfo.InvariantCulture));
        if (environment.Data.Postgres is { } postgres)
        {
            project = project
                .WithVariable("POSTGRES_PASSWORD", databasePassword ?? throw new ArgumentNullException(nameof(databasePassword), "the stack runs Postgres: it needs the database password"))
                .WithVariable("POSTGRES_USER", postgres.User)
                .WithVariable("POSTGRES_DB", postgres.Database)
                .WithVariable("POSTGRES_IMAGE", postgres.Image);
        }

        return environment.Data.Redis is { } redis ? project.WithVariable("REDIS_IMAGE", redis.Image) : project;
    }

    /// <summary>
    /// The proxy's certificate per <c>security.tls_mode</c>, written into the state directory (generated and issued again
    /// before expiry for <c>self_signed</c>, from the secrets for <c>provided</c>); what the proxy reads, hashed into the
    /// overlay's label only. Null when TLS is off.
    /// </summary>
    private async Task<string?> ProxyCertificateAsync()
    {
        var security = Environment.Security;
        if (security.TlsMode == TlsMode.Off)
        {
            return null;
        }

        var state = _environment.StateDirectory;
        await _session.DoAsync($"check the proxy's certificate of {_environment.Name} in {_environment.Relative(ProxyCertificate.ProxyPemPathIn(state))} ({EnumName(security.TlsMode)})", _ =>
        {
            var done = security.TlsMode == TlsMode.SelfSigned
                ? ProxyCertificate.EnsureSelfSigned(state, _environment.Name, ProxyCertificate.NamesOf(Environment), _time.GetUtcNow())
                : ProxyCertificate.WriteProvided(state, _environment.EnvironmentFile, _environment.Resolve(security.TlsCertificate!, dryRun: false), _environment.Resolve(security.TlsKey!, dryRun: false));
            _session.Info(done);
            return Task.CompletedTask;
        });
        var pem = ProxyCertificate.ProxyPemPathIn(state);
        return File.Exists(pem) ? await File.ReadAllTextAsync(pem) : string.Empty;
    }

    private static string EnumName(TlsMode mode) => mode == TlsMode.SelfSigned ? "self_signed" : "provided";

    private ComposeDeployer Deployer(IToolSession session, ComposeDeployment deployment, ComposeOverride rendered)
    {
        // Secret values travel in docker-compose's environment, never in the override file.
        var withSecrets = deployment with { Project = rendered.SecretVariables.Aggregate(deployment.Project, (p, s) => p.WithVariable(s.Key, s.Value)) };
        var checks = new DeployChecks(
            async (database, _) => await PostgresBackup.TakeAsync(
                _session, database.Id, Environment.Data.Postgres!.Database, Environment.Data.Postgres.User, _environment.Name, withSecrets.Project.Endpoint,
                BackupDirectory, Environment.Data.Postgres.Backup.Retention, _time, await DatabasePasswordAsync(), BackupCatalog.LabelFor(_environment.Ledger().LastGood())),
            Probes)
        {
            LiveProbeAsync = SloGate.AgainstLive(Url, Environment.Slo, ProbeClient, reference => _environment.Resolve(reference, dryRun: false)),
        };
        return new ComposeDeployer(withSecrets, session, _environment.Ledger(), checks, _time);
    }

    /// <summary>Keeps a revision's configuration on the environment's host too, when the ledger is there (delivery.state).</summary>
    private async Task KeepWithEnvironmentAsync(string overrideFile, string content)
    {
        if (_environment.KeptFilesWithEnvironment() is { } kept)
        {
            await _session.DoAsync($"keep {Path.GetFileName(overrideFile)} with the environment ({kept.LocationOf(Path.GetFileName(overrideFile))})", _ =>
            {
                kept.Write(Path.GetFileName(overrideFile), content);
                return Task.CompletedTask;
            });
        }
    }

    /// <summary>
    /// Brings a revision's configuration from the environment's host when this machine has none (it never deployed that
    /// revision: a fresh CI runner), so a rollback redeploys it as it ran.
    /// </summary>
    private async Task FetchKeptAsync(string overrideFile)
    {
        if (File.Exists(overrideFile) || _environment.KeptFilesWithEnvironment() is not { } kept || kept.Read(Path.GetFileName(overrideFile)) is not { } content)
        {
            return;
        }

        await KeptOverride.WriteAsync(_session, overrideFile, content, _environment.Relative);
        _session.Info($"{_environment.Relative(overrideFile)}: fetched from {kept.LocationOf(Path.GetFileName(overrideFile))}, where the deploy that ran it kept it.");
    }

    private static ComposeRelease Compose(DeliveryRelease release) => new(release.Version, release.Commit, release.Images) { Migrations = release.Migrations };

    /// <summary><c>data.postgres.password</c>, else the one generated for this environment on its first deploy; read once per run.</summary>
    private async Task<Secret> DatabasePasswordAsync() => _databasePassword ??= await ReadDatabasePasswordAsync();

    private async Task<Secret> ReadDatabasePasswordAsync()
    {
        if (Environment.Data.Postgres?.Password is { } reference)
        {
            // A dry run shows the commands even where the secret is not set here (it prints as ***).
            return _environment.Resolve(reference, _session.IsDryRun);
        }

        var file = Path.Combine(_environment.StateDirectory, PasswordFile);
        if (File.Exists(file))
        {
            return new Secret(InputFile.ReadText(file, _environment.Relative(file), 4 << 10).Trim(), PasswordFile);
        }

        // Where the ledger lives with the environment, so does the password it generated: a fresh runner deploys to the
        // database the first runner created.
        var kept = _environment.KeptFilesWithEnvironment();
        if (kept?.ReadSecret(PasswordFile) is { Length: > 0 } fromHost)
        {
            var known = new Secret(fromHost.Trim(), PasswordFile);
            await WritePasswordFileAsync(file, known, $"keep the database password of {_environment.Name}, from {kept.SecretLocationOf(PasswordFile)}, in {_environment.Relative(file)} (mode 600)");
            return known;
        }

        if (!_session.IsDryRun && await ExistingDatabaseAsync() is { } existing)
        {
            throw new InvalidOperationException(
                $"{_environment.Name}'s database already runs on {HostText} ({existing} of the Compose project {Target.Project}), but its password is not in "
                + $"{_environment.Relative(file)}: the deploy that created it ran from another checkout or machine, and a new password would not open it. "
                + $"Copy {_environment.Relative(file)} from that checkout, or set data.postgres.password in {_environment.EnvironmentFile} to a secret every "
                + $"deployer has, or, if its data may go, remove it (docker compose -p {Target.Project} down --volumes) and deploy again.");
        }

        var generated = new Secret(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)), PasswordFile);
        await WritePasswordFileAsync(file, generated, $"generate the database password of {_environment.Name} into {_environment.Relative(file)} (mode 600)");
        if (kept is not null)
        {
            await _session.DoAsync($"keep the database password of {_environment.Name} with the environment ({kept.SecretLocationOf(PasswordFile)})", _ =>
            {
                kept.WriteSecret(PasswordFile, generated);
                return Task.CompletedTask;
            });
        }

        return generated;
    }

    private Task WritePasswordFileAsync(string file, Secret password, string description) =>
        _session.DoAsync(description, _ =>
        {
            Directory.CreateDirectory(_environment.StateDirectory);
            File.WriteAllText(file, password.Reveal(), new System.Text.UTF8Encoding(false));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            return Task.CompletedTask;
        });

    /// <summary>The database service's container of this environment's project on its engine (running or not), or null: one listing.</summary>
    private async Task<string?> ExistingDatabaseAsync()
    {
        var service = Environment.Data.Postgres!.Service;
        var listed = await _session.QueryAsync(DockerCli.ListContainers($"com.docker.compose.project={Target.Project}", Endpoint));
        return listed.ExitCode == 0 ? ContainerStatus.ParseList(listed.StandardOutput).FirstOrDefault(c => c.Service == service)?.Name : null;
    }

    private string HostText => Endpoint.Host ?? (Endpoint.Context is { } context ? $"docker context {context}" : "the local engine");

    /// <summary>Writes a generated file (an effect a dry run only names); unchanged content leaves the file as it is.</summary>
    private Task WriteAsync(string path, string content) =>
        _session.DoAsync($"write {_environment.Relative(path)}", async cancellationToken =>
        {
            if (File.Exists(path) && await File.ReadAllTextAsync(path, cancellationToken) == content)
            {
                return;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, content, cancellationToken);
        });
}
