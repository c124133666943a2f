using System.Globalization;
using Slipway.Processes;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Backups;

/// <summary>
/// The invocations that put a backup back and check a restored copy, around <see cref="PostgresBackup.RestoreInvocations"/>
/// (which restores into a new scratch database). Pure: nothing here runs.
/// </summary>
/// <remarks>
/// A restore never writes into the live database: the backup goes into a scratch database first, and only a complete
/// restore is swapped in, by renaming both in one transaction (<see cref="SwapInvocation"/>). A failed restore leaves
/// the live database as it was.
/// </remarks>
public static class PostgresRestore
{
    /// <summary>The longest Postgres identifier.</summary>
    public const int MaxIdentifierLength = 63;

    /// <summary>The database the swap connects to: the live one cannot be renamed from inside itself.</summary>
    public const string MaintenanceDatabase = "postgres";

    /// <summary>
    /// Lists the tables of the public schema with their exact row counts, one <c>name|count</c> line each. One query,
    /// with every identifier quoted by Postgres itself (<c>format('%I')</c>), so no table name is ever spliced into SQL here.
    /// </summary>
    public const string TableCountsQuery =
        "SELECT table_name || '|' || (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', table_schema, table_name), false, true, '')))[1]::text "
        + "FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name";

    /// <summary>
    /// A database name for a restore's scratch copy: <c>DATABASE_PURPOSE_yyyyMMddHHmmss</c>, the database part cut so the
    /// whole fits in 63 characters.
    /// </summary>
    /// <param name="database">The live database (a checked name: letters, digits and '_').</param>
    /// <param name="purpose">restore, replaced or drill.</param>
    /// <param name="now">The time.</param>
    public static string ScratchName(string database, string purpose, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(database);
        var suffix = $"_{purpose}_{now.UtcDateTime.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture)}";
        return database[..Math.Min(database.Length, MaxIdentifierLength - suffix.Length)] + suffix;
    }

    /// <summary>
    /// <c>psql --dbname=postgres -v ON_ERROR_STOP=1 --command=…</c>: ends the live database's sessions (waiting up to
    /// 10 s for each), renames it to <paramref name="replaced"/> and <paramref name="restored"/> to its name, in one
    /// transaction: either both renames happen or neither.
    /// </summary>
    /// <param name="container">The database container.</param>
    /// <param name="user">The role (it owns the databases, or is a superuser).</param>
    /// <param name="live">The live database.</param>
    /// <param name="restored">The complete restored copy.</param>
    /// <param name="replaced">What the live database is renamed to.</param>
    /// <param name="endpoint">The engine.</param>
    /// <param name="password">The role's password, when the container asks for one.</param>
    public static ToolInvocation SwapInvocation(string container, string user, string live, string restored, string replaced, DockerEndpoint? endpoint = null, Secret? password = null)
    {
        var sql = $"SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE datname = '{Name(live)}' AND pid <> pg_backend_pid(); "
            + $"ALTER DATABASE \"{Name(live)}\" RENAME TO \"{Name(replaced)}\"; "
            + $"ALTER DATABASE \"{Name(restored)}\" RENAME TO \"{Name(live)}\";";
        return Psql(container, user, MaintenanceDatabase, sql, endpoint, password);
    }

    /// <summary><c>dropdb --if-exists</c> <paramref name="database"/>: a scratch or replaced copy; succeeds when it is gone already.</summary>
    /// <param name="container">The database container.</param>
    /// <param name="user">The role.</param>
    /// <param name="database">The database to drop.</param>
    /// <param name="endpoint">The engine.</param>
    /// <param name="password">The role's password, when the container asks for one.</param>
    public static ToolInvocation DropInvocation(string container, string user, string database, DockerEndpoint? endpoint = null, Secret? password = null) =>
        DockerCli.Exec(container, ["dropdb", "--if-exists", $"--username={Name(user)}", "--no-password", Name(database)], endpoint, PasswordEnvironment(password, readOnly: false));

    /// <summary>
    /// <c>psql --tuples-only --no-align --command=SQL</c> on <paramref name="database"/>, with every transaction read-only
    /// (<c>PGOPTIONS=-c default_transaction_read_only=on</c>): a drill's checks and the matrix's query cannot change the copy.
    /// </summary>
    /// <param name="container">The database container.</param>
    /// <param name="user">The role.</param>
    /// <param name="database">The database to query.</param>
    /// <param name="sql">The query.</param>
    /// <param name="endpoint">The engine.</param>
    /// <param name="password">The role's password, when the container asks for one.</param>
    public static ToolInvocation QueryInvocation(string container, string user, string database, string sql, DockerEndpoint? endpoint = null, Secret? password = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sql);
        return Psql(container, user, database, sql, endpoint, password, readOnly: true);
    }

    /// <summary>Reads <see cref="TableCountsQuery"/>'s output: table name and row count, in order.</summary>
    /// <param name="output">psql's output.</param>
    public static IReadOnlyList<(string Table, long Rows)> ParseTableCounts(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var tables = new List<(string, long)>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var bar = line.LastIndexOf('|');
            if (bar > 0 && long.TryParse(line[(bar + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var rows))
            {
                tables.Add((line[..bar], rows));
            }
        }

        return tables;
    }

    private static ToolInvocation Psql(string container, string user, string database, string sql, DockerEndpoint? endpoint, Secret? password, bool readOnly = false) =>
        DockerCli.Exec(
            container,
            ["psql", $"--username={Name(user)}", "--no-password", $"--dbname={Name(database)}", "--set=ON_ERROR_STOP=1", "--tuples-only", "--no-align", $"--command={sql}"],
            endpoint,
            PasswordEnvironment(password, readOnly));

    private static Dictionary<string, InvocationValue>? PasswordEnvironment(Secret? password, bool readOnly)
    {
        var environment = new Dictionary<string, InvocationValue>(StringComparer.Ordinal);
        if (password is not null)
        {
            environment[PostgresBackup.PasswordVariable] = password;
        }

        if (readOnly)
        {
            environment["PGOPTIONS"] = InvocationValue.FromString("-c default_transaction_read_only=on");
        }

        return environment.Count == 0 ? null : environment;
    }

    /// <summary>Names go between quotes in SQL and after '=' in options: only the characters the matrix allows for them.</summary>
    private static string Name(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return name.Length <= MaxIdentifierLength && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') && !char.IsAsciiDigit(name[0])
            ? name
            : throw new ArgumentException($"'{name}' is not a database or role name Slipway uses in SQL (letters, digits and '_', at most {MaxIdentifierLength}).", nameof(name));
    }
}
