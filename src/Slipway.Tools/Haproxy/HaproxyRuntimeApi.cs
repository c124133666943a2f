using System.Globalization;

namespace Slipway.Tools.Haproxy;

/// <summary>
/// HAProxy's runtime API (the <c>stats socket … level admin</c> of the config): the commands a deploy sends and
/// parsers for what they print. Pure: how the text reaches the socket is the caller's business.
/// </summary>
public static class HaproxyRuntimeApi
{
    /// <summary><c>show servers state BACKEND</c>: one line per server slot with its address and states.</summary>
    public static string ShowServersState(string backend) => $"show servers state {Checked(backend)}\n";

    /// <summary><c>show stat</c>: the statistics CSV (current sessions per server among them).</summary>
    public static string ShowStat() => "show stat\n";

    /// <summary>How the answer to <see cref="ShowStat"/> begins: the header line of its CSV.</summary>
    public const string StatHeader = "# pxname";

    /// <summary>
    /// <c>set server BACKEND/SERVER state drain</c>: no new connections, established ones finish; the server's
    /// health checks keep running.
    /// </summary>
    public static string Drain(string backend, string server) => $"set server {Checked(backend)}/{Checked(server)} state drain\n";

    /// <summary>
    /// <c>set server BACKEND/SERVER weight W</c>: the server's share of new requests, 0 (none) to 256. HAProxy accepts it
    /// at once for the dynamic algorithms (roundrobin), without a reload.
    /// </summary>
    public static string SetWeight(string backend, string server, int weight)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(weight);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(weight, MaxWeight);
        return $"set server {Checked(backend)}/{Checked(server)} weight {weight.ToString(CultureInfo.InvariantCulture)}\n";
    }

    /// <summary><c>set server BACKEND/SERVER weight 100%</c>: back to the weight the configuration gave it.</summary>
    public static string ResetWeight(string backend, string server) => $"set server {Checked(backend)}/{Checked(server)} weight 100%\n";

    /// <summary>The largest weight HAProxy accepts.</summary>
    public const int MaxWeight = 256;

    /// <summary>
    /// <c>set server BACKEND/SERVER state ready</c>: clears a drain. A rollout sends it once the drained container is
    /// gone: Docker hands its address to the next container, and the slot that address maps to must not stay drained.
    /// </summary>
    public static string Ready(string backend, string server) => $"set server {Checked(backend)}/{Checked(server)} state ready\n";

    /// <summary>
    /// <c>set server BACKEND/SERVER state maint</c>: no traffic and no health checks until <see cref="Ready"/>, which
    /// puts it up at once (HAProxy counts a server leaving maintenance as passed its checks, and checks it immediately).
    /// A rollout holds the free slots in it, so a new container takes traffic when the rollout says, not when DNS finds it.
    /// </summary>
    public static string Maint(string backend, string server) => $"set server {Checked(backend)}/{Checked(server)} state maint\n";

    /// <summary>
    /// Several commands as one line, separated by <c>;</c>: HAProxy runs them one after the other within the same
    /// request, so a traffic switch (some servers ready, others drained) takes effect as one step.
    /// </summary>
    public static string Batch(IEnumerable<string> commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        var lines = commands.Select(c => c.TrimEnd('\n')).ToList();
        if (lines.Count == 0 || lines.Any(l => l.Length == 0 || l.Contains('\n', StringComparison.Ordinal) || l.Contains(';', StringComparison.Ordinal)))
        {
            throw new ArgumentException("A batch needs one or more single-line commands without ';'.", nameof(commands));
        }

        return string.Join("; ", lines) + "\n";
    }

    /// <summary>Parses <c>show servers state</c>: the header names the columns, so their order may change between versions.</summary>
    /// <exception cref="FormatException">There is no header line.</exception>
    public static IReadOnlyList<HaproxyServer> ParseServersState(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var header = lines.FirstOrDefault(l => l.StartsWith("# be_id", StringComparison.Ordinal))
            ?? throw new FormatException($"'show servers state' printed no header: {First(text)}");
        var columns = header[1..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        int Column(string name) => Array.IndexOf(columns, name) is var i and >= 0 ? i : throw new FormatException($"'show servers state' has no column {name}.");
        int backend = Column("be_name"), name = Column("srv_name"), address = Column("srv_addr"), op = Column("srv_op_state"), admin = Column("srv_admin_state");
        var weight = Array.IndexOf(columns, "srv_uweight");

        var servers = new List<HaproxyServer>();
        foreach (var line in lines.Where(l => !l.StartsWith('#') && l.Contains(' ', StringComparison.Ordinal)))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length <= Math.Max(admin, Math.Max(op, address)))
            {
                continue;
            }

            servers.Add(new HaproxyServer(
                fields[backend],
                fields[name],
                fields[address] == "-" ? null : fields[address],
                (HaproxyOperationalState)int.Parse(fields[op], CultureInfo.InvariantCulture),
                (HaproxyAdminState)int.Parse(fields[admin], CultureInfo.InvariantCulture),
                weight >= 0 && weight < fields.Length && int.TryParse(fields[weight], NumberStyles.None, CultureInfo.InvariantCulture, out var w) ? w : null));
        }

        return servers;
    }

    /// <summary>Parses <c>show stat</c>: current sessions (<c>scur</c>) per server of <paramref name="backend"/>.</summary>
    public static IReadOnlyDictionary<string, int> ParseCurrentSessions(string csv, string backend)
    {
        ArgumentNullException.ThrowIfNull(csv);
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var header = lines.FirstOrDefault(l => l.StartsWith(StatHeader, StringComparison.Ordinal))
            ?? throw new FormatException($"'show stat' printed no header: {First(csv)}");
        var columns = header[2..].Split(',');
        var scur = Array.IndexOf(columns, "scur") is var i and >= 0 ? i : throw new FormatException($"'show stat' has no column scur: {First(csv)}");
        var sessions = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var fields in lines.Where(l => !l.StartsWith('#')).Select(l => l.Split(',')))
        {
            if (fields.Length > scur && fields[0] == backend && fields[1] is not ("BACKEND" or "FRONTEND") &&
                int.TryParse(fields[scur], NumberStyles.None, CultureInfo.InvariantCulture, out var current))
            {
                sessions[fields[1]] = current;
            }
        }

        return sessions;
    }

    private static string Checked(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);

        // One command per line: a name with a space or a newline would smuggle in another command.
        if (name.Any(c => char.IsWhiteSpace(c) || c == ';' || c == '/'))
        {
            throw new ArgumentException($"'{name}' is not a HAProxy backend or server name.", nameof(name));
        }

        return name;
    }

    private static string First(string text) => text.Split('\n').FirstOrDefault()?.Trim() ?? string.Empty;
}

/// <summary>One server slot of a backend, from <c>show servers state</c>.</summary>
/// <param name="Backend">The backend.</param>
/// <param name="Name">The slot name (<c>api3</c> for the third slot of <c>server-template api 1-8</c>).</param>
/// <param name="Address">Its IP address; null while DNS gives it none.</param>
/// <param name="Operational">Whether it is up, per health checks.</param>
/// <param name="Admin">Maintenance and drain flags.</param>
/// <param name="Weight">The weight it has now (<c>srv_uweight</c>: what <c>set server … weight</c> set); null when not shown.</param>
public sealed record HaproxyServer(string Backend, string Name, string? Address, HaproxyOperationalState Operational, HaproxyAdminState Admin, int? Weight = null)
{
    /// <summary>True when HAProxy sends it new requests: up per its checks, in no maintenance and not draining.</summary>
    public bool TakesTraffic => Operational == HaproxyOperationalState.Running &&
        (Admin & (HaproxyAdminState.AnyMaintenance | HaproxyAdminState.AnyDrain)) == 0;
}

/// <summary><c>srv_op_state</c>.</summary>
public enum HaproxyOperationalState
{
    /// <summary>Down.</summary>
    Stopped = 0,

    /// <summary>Coming up (slowstart).</summary>
    Starting = 1,

    /// <summary>Up.</summary>
    Running = 2,

    /// <summary>Going down.</summary>
    Stopping = 3,
}

/// <summary><c>srv_admin_state</c>, a bit field.</summary>
[Flags]
public enum HaproxyAdminState
{
    /// <summary>Ready.</summary>
    None = 0,

    /// <summary>Forced maintenance (<c>state maint</c>).</summary>
    ForcedMaintenance = 0x01,

    /// <summary>Inherited maintenance (tracked server).</summary>
    InheritedMaintenance = 0x02,

    /// <summary>Maintenance from the configuration.</summary>
    ConfigMaintenance = 0x04,

    /// <summary>Forced drain (<c>state drain</c>).</summary>
    ForcedDrain = 0x08,

    /// <summary>Inherited drain.</summary>
    InheritedDrain = 0x10,

    /// <summary>Maintenance because DNS resolution gave no address.</summary>
    ResolutionMaintenance = 0x20,

    /// <summary>Every maintenance bit.</summary>
    AnyMaintenance = ForcedMaintenance | InheritedMaintenance | ConfigMaintenance | ResolutionMaintenance,

    /// <summary>Every drain bit.</summary>
    AnyDrain = ForcedDrain | InheritedDrain,
}
