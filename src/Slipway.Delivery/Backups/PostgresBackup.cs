using Slipway.Environments;
using Slipway.Processes;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Backups;

/// <summary>
/// The invocations of a pre-deploy Postgres backup of a database running in a container. Pure: nothing here runs.
/// </summary>
/// <remarks>
/// <para>
/// A backup is, in order: <see cref="DumpInvocation"/> (pg_dump writes a custom-format archive to a temporary file in the
/// container, with the container's own pg_dump, which matches the server's version); <see cref="CopyOutInvocation"/> to
/// <see cref="PartialPath"/> on this machine, then a rename to the final name, so an interrupted copy never looks like
/// a backup (pruning keeps the newest backup, and it must be a whole one); <see cref="RemoveTemporaryInvocation"/>, also
/// when a step before it failed; and <see cref="BackupRetention.Prune"/>.
/// </para>
/// <para>
/// The archive travels through <c>docker cp</c>, i.e. the engine's API, never through a process's standard output
/// (the runner reads that as text) and never through a bind mount (the engine may be on another machine).
/// </para>
/// </remarks>
public static class PostgresBackup
{
    /// <summary>The directory in the container that holds the archive between the dump and the copy.</summary>
    public const string ContainerTemporaryDirectory = "/tmp";

    /// <summary>The suffix of a backup file while it is being copied; no backup name ends with it.</summary>
    public const string PartialSuffix = ".partial";

    /// <summary>The variable libpq reads the password from; passed to the container by name only.</summary>
    public const string PasswordVariable = "PGPASSWORD";

    /// <summary>zlib level for the archive's table data: pg_dump's own default for the custom format, written out so it is visible.</summary>
    public const int CompressionLevel = 6;

    /// <summary>Where <paramref name="backup"/> is written inside the container: <c>/tmp/slipway-NAME</c>.</summary>
    /// <param name="backup">The backup's name.</param>
    public static string ContainerTemporaryPath(BackupFileName backup)
    {
        ArgumentNullException.ThrowIfNull(backup);
        return $"{ContainerTemporaryDirectory}/slipway-{backup.FileName}";
    }

    /// <summary>Where the copy is written before it is renamed to <paramref name="hostPath"/>: <c>HOST_PATH.partial</c>.</summary>
    /// <param name="hostPath">The backup's final path on this machine.</param>
    public static string PartialPath(string hostPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(hostPath);
        return hostPath + PartialSuffix;
    }

    /// <summary>
    /// <c>docker exec [--env PGPASSWORD] CONTAINER pg_dump --format=custom --compress=6 --file=TMP --username=U --no-password DATABASE</c>.
    /// </summary>
    /// <remarks>
    /// <c>--no-owner</c> is not here because pg_dump ignores it for archive formats; <see cref="RestoreInvocations"/>
    /// passes it to pg_restore, where it applies. <c>--no-password</c> makes a missing password fail at once instead of
    /// waiting for a prompt nobody answers. The official image trusts connections over the container's unix socket, so
    /// <paramref name="password"/> is usually not needed; when given it reaches the container by name only.
    /// </remarks>
    /// <param name="container">The database container's name or id.</param>
    /// <param name="database">The database to dump (<c>POSTGRES_DB</c>).</param>
    /// <param name="user">The role to connect as (<c>POSTGRES_USER</c>).</param>
    /// <param name="containerTemporaryPath">The archive's path in the container (<see cref="ContainerTemporaryPath"/>).</param>
    /// <param name="endpoint">The engine; the CLI's default when null.</param>
    /// <param name="password">The role's password, when the container asks for one.</param>
    public static ToolInvocation DumpInvocation(
        string container,
        string database,
        string user,
        string containerTemporaryPath,
        DockerEndpoint? endpoint = null,
        Secret? password = null)
    {
        RequireName(database, nameof(database));
        RequireName(user, nameof(user));
        ArgumentException.ThrowIfNullOrWhiteSpace(containerTemporaryPath);
        return DockerCli.Exec(
            container,
            [
                "pg_dump", "--format=custom", $"--compress={CompressionLevel}", $"--file={containerTemporaryPath}",
                $"--username={user}", "--no-password", database,
            ],
            endpoint,
            PasswordEnvironment(password));
    }

    /// <summary><c>docker cp CONTAINER:TMP HOST_PATH</c>; pass <see cref="PartialPath"/> and rename after success.</summary>
    /// <param name="container">The database container's name or id.</param>
    /// <param name="containerTemporaryPath">The archive's path in the container.</param>
    /// <param name="hostPath">Where to write it on this machine; the directory must exist.</param>
    /// <param name="endpoint">The engine; the CLI's default when null.</param>
    public static ToolInvocation CopyOutInvocation(string container, string containerTemporaryPath, string hostPath, DockerEndpoint? endpoint = null) =>
        DockerCli.CopyFromContainer(container, containerTemporaryPath, hostPath, endpoint);

    /// <summary>
    /// <c>docker exec CONTAINER rm -f -- TMP</c>: removes the archive from the container, so dumps do not pile up in its
    /// writable layer. Succeeds when the file is already gone, so it can run after any failure.
    /// </summary>
    /// <param name="container">The database container's name or id.</param>
    /// <param name="containerTemporaryPath">The archive's path in the container.</param>
    /// <param name="endpoint">The engine; the CLI's default when null.</param>
    public static ToolInvocation RemoveTemporaryInvocation(string container, string containerTemporaryPath, DockerEndpoint? endpoint = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(containerTemporaryPath);
        return DockerCli.Exec(container, ["rm", "-f", "--", containerTemporaryPath], endpoint);
    }

    /// <summary>
    /// Restores a backup into a new, empty scratch database, to check it or to recover data by hand. Run in order,
    /// stopping at the first failure:
    /// <c>docker cp HOST_PATH CONTAINER:TMP</c>;
    /// <c>docker exec CONTAINER createdb --username=U --no-password SCRATCH</c>;
    /// <c>docker exec CONTAINER pg_restore --exit-on-error --no-owner --username=U --no-password --dbname=SCRATCH TMP</c>;
    /// <c>docker exec CONTAINER rm -f -- TMP</c>.
    /// </summary>
    /// <remarks>
    /// <para>
    /// createdb fails if the database exists, so these invocations can never restore over a live database.
    /// <c>--exit-on-error</c> makes pg_restore stop at the first failed statement with a non-zero exit code; without it,
    /// it carries on and exits 0 after printing a count of errors, which would pass a broken backup as good.
    /// <c>--no-owner</c> makes the restoring role own every object, so a backup restores even where the original owners
    /// do not exist.
    /// </para>
    /// <para>
    /// An operator can run the same steps by hand, e.g. for the Compose stack:
    /// <c>docker cp .slipway/backups/prod-20260301T090000Z-1.4.0.dump CONTAINER:/tmp/r.dump</c>, then
    /// <c>docker exec CONTAINER createdb --username=slipway orders_restore</c> and
    /// <c>docker exec CONTAINER pg_restore --exit-on-error --no-owner --username=slipway --dbname=orders_restore /tmp/r.dump</c>.
    /// </para>
    /// </remarks>
    /// <param name="hostPath">The backup file on this machine.</param>
    /// <param name="container">The database container's name or id.</param>
    /// <param name="scratchDatabase">The database to create and restore into; must not exist.</param>
    /// <param name="user">The role to connect as; it needs the right to create databases.</param>
    /// <param name="containerTemporaryPath">Where the archive is copied in the container.</param>
    /// <param name="endpoint">The engine; the CLI's default when null.</param>
    /// <param name="password">The role's password, when the container asks for one.</param>
    public static IReadOnlyList<ToolInvocation> RestoreInvocations(
        string hostPath,
        string container,
        string scratchDatabase,
        string user,
        string containerTemporaryPath,
        DockerEndpoint? endpoint = null,
        Secret? password = null)
    {
        RequireName(scratchDatabase, nameof(scratchDatabase));
        RequireName(user, nameof(user));
        ArgumentException.ThrowIfNullOrWhiteSpace(containerTemporaryPath);
        var environment = PasswordEnvironment(password);
        return
        [
            DockerCli.CopyToContainer(hostPath, container, containerTemporaryPath, endpoint),
            DockerCli.Exec(container, ["createdb", $"--username={user}", "--no-password", scratchDatabase], endpoint, environment),
            DockerCli.Exec(
                container,
                [
                    "pg_restore", "--exit-on-error", "--no-owner", $"--username={user}", "--no-password",
                    $"--dbname={scratchDatabase}", containerTemporaryPath,
                ],
                endpoint,
                environment),
            RemoveTemporaryInvocation(container, containerTemporaryPath, endpoint),
        ];
    }

    private static Dictionary<string, InvocationValue>? PasswordEnvironment(Secret? password) =>
        password is null ? null : new() { [PasswordVariable] = password };

    /// <summary>
    /// Database and role names go where the tools also accept options and connection strings: a leading '-' would be
    /// read as an option, and an '=' would make libpq read a connection string.
    /// </summary>
    private static void RequireName(string name, string parameter)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name, parameter);
        if (name.StartsWith('-') || name.Contains('=', StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{name}' is not usable as a Postgres name here: it must not start with '-' or contain '='.", parameter);
        }
    }

    /// <summary>
    /// Takes a backup of <paramref name="database"/> running in <paramref name="container"/> into
    /// <paramref name="directory"/>, then prunes that environment's backups older than <paramref name="retention"/>
    /// (the newest always stays). Returns the backup's path. <paramref name="label"/> ends its name: the revision it
    /// was taken of (<see cref="BackupCatalog.LabelFor"/>), so a restore knows what to deploy with it.
    /// </summary>
    /// <exception cref="ToolFailedException">A step failed; the temporary file in the container is removed all the same.</exception>
    public static async Task<string> TakeAsync(
        IToolSession session,
        string container,
        string database,
        string user,
        string environment,
        DockerEndpoint? endpoint,
        string directory,
        Duration retention,
        TimeProvider time,
        Secret? password = null,
        string label = "predeploy")
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(time);
        var name = BackupFileName.Create(environment, time.GetUtcNow(), version: label);
        var hostPath = Path.Combine(Path.GetFullPath(directory), name.FileName);
        if (File.Exists(hostPath))
        {
            // Two backups in the same second: keep the first rather than overwrite it.
            name = BackupFileName.Create(environment, time.GetUtcNow().AddSeconds(1), version: label);
            hostPath = Path.Combine(Path.GetFullPath(directory), name.FileName);
        }

        var temporary = ContainerTemporaryPath(name);
        await session.DoAsync($"create {directory}", _ =>
        {
            Directory.CreateDirectory(directory);
            return Task.CompletedTask;
        });
        try
        {
            await session.RunAsync(DumpInvocation(container, database, user, temporary, endpoint, password));
            await session.RunAsync(CopyOutInvocation(container, temporary, PartialPath(hostPath), endpoint), echoOutput: false);
            await session.DoAsync($"rename {Path.GetFileName(PartialPath(hostPath))} to {name.FileName}", _ =>
            {
                File.Move(PartialPath(hostPath), hostPath);
                return Task.CompletedTask;
            });
        }
        finally
        {
            await session.RunAsync(RemoveTemporaryInvocation(container, temporary, endpoint).AcceptingAnyExitCode(), echoOutput: false);
        }

        await session.DoAsync($"prune {environment} backups older than {retention} (the newest stays)", _ =>
        {
            foreach (var pruned in BackupRetention.Prune(directory, environment, retention, time))
            {
                session.Info($"pruned backup {pruned} (older than {retention})");
            }

            return Task.CompletedTask;
        });
        return hostPath;
    }
}
