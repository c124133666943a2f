using Slipway.Delivery.Compose;
using Slipway.Delivery.Migrations;
using Slipway.Delivery.State;
using Slipway.Environments;
using Slipway.Processes;
using Slipway.Tools.Compose;
using Slipway.Tools.Docker;

namespace Slipway.Delivery;

/// <summary>
/// The environment a delivery works on, resolved: its matrix, how its secrets resolve, and where its files are (the
/// repository root, the state directory with the ledger and the lock, release.json).
/// </summary>
public sealed record DeliveryEnvironment
{
    /// <summary>The loaded environment.</summary>
    public required DeployEnvironment Environment { get; init; }

    /// <summary>Resolves its secret references.</summary>
    public required SecretResolver Secrets { get; init; }

    /// <summary>The repository root.</summary>
    public required string RootDirectory { get; init; }

    /// <summary>The environment's file relative to the root, for messages: <c>environments/dev.yml</c>.</summary>
    public required string EnvironmentFile { get; init; }

    /// <summary>The engine Slipway builds on: a Compose environment without <c>docker_host</c> deploys there.</summary>
    public DockerEndpoint LocalEngine { get; init; } = DockerEndpoint.Default;

    /// <summary>Finds the Compose that runs the environment's stack (plugin or standalone, once per run); default: the plugin.</summary>
    public Func<IToolSession, Task<ComposeDriver>> ComposeAsync { get; init; } = _ => Task.FromResult(ComposeDriver.Plugin);

    /// <summary>release.json, relative to the root.</summary>
    public string ReleaseFile { get; init; } = ReleaseManifest.DefaultPath;

    /// <summary>The environment's name.</summary>
    public string Name => Environment.Name;

    /// <summary>The environment's state directory (absolute): the ledger, the lock, the canary's state, per-release files.</summary>
    public string StateDirectory => PathOf(Environment.StateDirectory);

    /// <summary>The release ledger's path.</summary>
    public string LedgerPath => Path.Combine(StateDirectory, "ledger.jsonl");

    /// <summary>The command that shows the ledger, for messages.</summary>
    public string HistoryCommand => $"./build.sh --target History --env {Name}";

    /// <summary>
    /// Runs the commands that reach the ledger and the lock where the environment keeps them (its Docker host); an
    /// uncancelled one for a deploy, so a cancelled run still releases its lock. Null: only the state directory is reached.
    /// </summary>
    public IToolSession? StateSession { get; init; }

    /// <summary>
    /// True when the ledger and the lock live with the environment (<c>delivery.state</c>): <c>environment</c>, or <c>auto</c>
    /// for a Helm environment (its cluster) and a Compose environment that names its own engine (<c>docker_host</c>,
    /// <c>docker_context</c>). A Compose environment on the local engine, which is the deploying machine itself, keeps them
    /// in <see cref="StateDirectory"/>.
    /// </summary>
    public bool KeepsStateWithEnvironment => Environment.Delivery switch
    {
        { State: StateLocation.Local } => false,
        { Driver: DeliveryDriver.Helm } => true,
        { Driver: not DeliveryDriver.Compose } => false,
        { State: StateLocation.Environment } => true,
        { Compose: { } compose } => !string.IsNullOrWhiteSpace(compose.DockerHost) || !string.IsNullOrWhiteSpace(compose.DockerContext),
        _ => false,
    };

    /// <summary>The release ledger, where the environment keeps it (<see cref="KeepsStateWithEnvironment"/>); read nowhere in a dry run that would have to ask the host.</summary>
    public ReleaseLedger Ledger() => ReleaseLedger.On(LedgerStore());

    /// <summary>Where the ledger is kept; see <see cref="Ledger"/>. A local ledger left from before is moved there on first contact.</summary>
    public ILedgerStore LedgerStore()
    {
        if (!KeepsStateWithEnvironment)
        {
            return new FileLedgerStore(LedgerPath);
        }

        var session = Session();
        ILedgerStore remote = Environment.Delivery.Driver == DeliveryDriver.Helm ? new ConfigMapLedgerStore(ClusterState()) : new DockerHostLedgerStore(HostState());
        return session.IsDryRun ? new NotReadInDryRun(remote.Location) : new MovingLocalLedger(remote, LedgerPath, session);
    }

    /// <summary>Where the deploy lock is kept: <c>deploy.lock</c> in the state directory, the lock container on the environment's host, or a Lease in its cluster.</summary>
    public ILockStore LockStore() => !KeepsStateWithEnvironment ? new FileLockStore(Path.Combine(StateDirectory, "deploy.lock"))
        : Environment.Delivery.Driver == DeliveryDriver.Helm ? new LeaseLockStore(ClusterState())
        : new DockerHostLockStore(HostState());

    /// <summary>The revisions' configurations kept on the environment's Docker host; null when the state is local (or in a dry run), and for Helm (its chart values are rendered from the ledger's release).</summary>
    internal DockerHostKeptFiles? KeptFilesWithEnvironment() =>
        KeepsStateWithEnvironment && Environment.Delivery.Driver == DeliveryDriver.Compose && StateSession is { IsDryRun: false } ? new DockerHostKeptFiles(HostState()) : null;

    /// <summary>Where the lock is, for messages: relative to the root for the lock file.</summary>
    public string LockLocation => LockStore() is FileLockStore file ? Relative(file.Path) : LockStore().Location;

    private IToolSession Session() => StateSession ?? throw new InvalidOperationException(
        $"{EnvironmentFile} keeps its ledger and lock {(Environment.Delivery.Driver == DeliveryDriver.Helm ? "in its cluster" : "on its Docker host")} (delivery.state), and this code path has no session to reach it: give the DeliveryEnvironment a StateSession.");

    private DockerHostState HostState()
    {
        var compose = Environment.Delivery.Compose ?? throw new InvalidOperationException($"{EnvironmentFile}: delivery.state: environment needs delivery.compose (its Docker host).");
        return new DockerHostState(compose.Project, ComposeDeployDriver.EndpointOf(this), compose.Proxy.Image, Session());
    }

    private KubernetesState ClusterState()
    {
        var helm = Environment.Delivery.Helm ?? throw new InvalidOperationException($"{EnvironmentFile} deploys with helm but has no delivery.helm section: add namespace and release.");
        var scope = new Tools.Kubectl.KubeScope(helm.Namespace ?? throw new InvalidOperationException($"{EnvironmentFile}: delivery.helm.namespace is required."), helm.KubeContext);
        return new KubernetesState(Helm.HelmDeployDriver.ReleaseNameOf(Environment), scope, Session());
    }

    /// <summary><paramref name="path"/> against the root, absolute.</summary>
    public string PathOf(string path) => Path.GetFullPath(Path.Combine(RootDirectory, path));

    /// <summary><paramref name="path"/> relative to the root, for messages.</summary>
    public string Relative(string path) => Path.GetRelativePath(RootDirectory, path);

    /// <summary>release.json as Publish wrote it; in a dry run without one, null (the commands show placeholders).</summary>
    public ReleaseManifest? ReleaseOrNull(bool dryRun) =>
        dryRun && !File.Exists(PathOf(ReleaseFile)) ? null : ReleaseManifest.Read(PathOf(ReleaseFile));

    /// <summary>
    /// The release to deploy: release.json, or in a dry run without one, placeholders naming where each value comes from;
    /// with the migrations it carries: as release.json records them (Publish read them when it built the images), else
    /// as <c>data.migrations.directory</c> declares them in this checkout.
    /// </summary>
    /// <exception cref="InvalidOperationException">A migration script declares itself wrongly (the targets check this before anything runs).</exception>
    public DeliveryRelease ReleaseToDeploy(bool dryRun)
    {
        var release = ReleaseOrNull(dryRun) is { } manifest
            ? DeliveryRelease.From(manifest)
            : new DeliveryRelease("<version from Publish>", "<commit>", Environment.Services.Keys.ToDictionary(s => s, s => ImageNames.Placeholder(Environment, s), StringComparer.Ordinal));
        if (Environment.Data.Migrations is not { Enabled: true, Directory: not null })
        {
            // This environment runs none, whatever the images carry.
            return release with { Migrations = null, MigrationsFromManifest = false };
        }

        if (release.MigrationsFromManifest)
        {
            // What Publish read when it built the images: this checkout may have moved on since.
            return release;
        }

        var (migrations, errors) = DeclaredMigrations();
        return errors.Count == 0 ? release with { Migrations = migrations } : throw new InvalidOperationException(string.Join(System.Environment.NewLine, errors));
    }

    /// <summary>
    /// The migrations of <c>data.migrations.directory</c> as each declares itself (expand or contract), and every
    /// problem with them (<c>FILE:LINE:COLUMN: reason</c>); null migrations when the environment runs none or declares none
    /// (no key, or no such folder in this checkout).
    /// </summary>
    public (IReadOnlyList<DeclaredMigration>? Migrations, IReadOnlyList<string> Errors) DeclaredMigrations()
    {
        // A checkout without the folder (a pipeline that deploys images built elsewhere) declares nothing: no migrations are
        // recorded and rollbacks are not checked, as without the key.
        if (Environment.Data.Migrations is not { Enabled: true, Directory: { } directory } || !System.IO.Directory.Exists(PathOf(directory)))
        {
            return (null, []);
        }

        var (migrations, errors) = MigrationDeclarations.Read(PathOf(directory), Relative);
        return (migrations, [.. errors.Select(e => $"{e} (a migration of {EnvironmentFile} data.migrations.directory)")]);
    }

    /// <summary>Resolves a secret; a dry run prints the commands even where the secret is not set here.</summary>
    public Secret Resolve(SecretReference reference, bool dryRun)
    {
        ArgumentNullException.ThrowIfNull(reference);
        try
        {
            return reference.Resolve(Secrets);
        }
        catch (MissingSecretException) when (dryRun)
        {
            return new Secret(string.Empty, reference.ToString());
        }
    }
}

/// <summary>A release as the drivers deploy it: its version, commit and image by digest per service.</summary>
/// <param name="Version">Its version.</param>
/// <param name="Commit">Its commit.</param>
/// <param name="Images">Image reference by digest (<c>repo@sha256:…</c>) per service.</param>
public sealed record DeliveryRelease(string Version, string Commit, IReadOnlyDictionary<string, string> Images)
{
    /// <summary>
    /// The migrations the release carries, as each declares itself (<c>data.migrations.directory</c>); null when the
    /// environment declares none. The ledger records them once the release's migrate step ran.
    /// </summary>
    public IReadOnlyList<DeclaredMigration>? Migrations { get; init; }

    /// <summary>
    /// True when <see cref="Migrations"/> are what release.json records of the images Publish built; false when they
    /// were read from the checkout that deploys (which may differ from the one that built), or there are none.
    /// </summary>
    public bool MigrationsFromManifest { get; init; }

    /// <summary>The release release.json describes, with the migrations it records.</summary>
    public static DeliveryRelease From(ReleaseManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return new(manifest.Version, manifest.Commit, manifest.Images.ToDictionary(i => i.Service, i => i.Reference, StringComparer.Ordinal))
        {
            Migrations = manifest.Migrations?.Select(m => m.ToDeclared()).ToList(),
            MigrationsFromManifest = manifest.Migrations is not null,
        };
    }

    /// <summary>The release a ledger entry recorded.</summary>
    public static DeliveryRelease From(LedgerEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return new(entry.Version, entry.Commit, entry.Images);
    }
}

/// <summary>Where a service's image lives in the environment's registry.</summary>
public static class ImageNames
{
    /// <summary>The repository of <paramref name="service"/> under the registry: <c>slipway/api</c> with the prefix <c>slipway</c>.</summary>
    public static string RepositoryPath(DeployEnvironment environment, string service)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var image = environment.Services[service].Image;
        return environment.Registry.RepositoryPrefix is { Length: > 0 } prefix ? $"{prefix}/{image}" : image;
    }

    /// <summary>The repository with the registry: <c>127.0.0.1:5000/slipway/api</c>.</summary>
    public static string Repository(DeployEnvironment environment, string service) =>
        $"{environment?.Registry.Address}/{RepositoryPath(environment!, service)}";

    /// <summary>What a dry run shows for an image Publish has not pushed yet.</summary>
    public static string Placeholder(DeployEnvironment environment, string service) =>
        $"{Repository(environment, service)}@<digest of {service} from Publish>";
}
