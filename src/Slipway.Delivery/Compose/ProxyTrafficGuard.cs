using System.Globalization;
using Slipway.Processes;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Compose;

/// <summary>
/// Watches the new containers' answers while the previous release is kept warm, from inside the proxy's container: it
/// reads HAProxy's per-server response counters through the runtime API every 50 ms and, the moment the new servers'
/// 5xx exceed the error budget, sends the switch back (previous servers ready, new ones in maintenance) itself.
/// </summary>
/// <remarks>
/// Inside the container because a round trip from the deploying machine (<c>docker exec</c> per poll and per switch)
/// costs 0.1–1 s on a busy host, i.e. up to 25 failed user requests at 25/s; from inside it costs milliseconds. The
/// script is a constant; every value reaches it as a positional argument, never spliced into its text. It stops when its
/// marker file no longer holds its id (the deploy removes it, or a later deploy's guard overwrites it), or after its
/// time limit, so a guard whose deploy was killed cannot act on a later one.
/// </remarks>
internal sealed record ProxyTrafficGuard(string Backend, string Socket, double MaxErrorRate, IReadOnlyList<string> NewServers, string SwitchBack, TimeSpan Limit)
{
    /// <summary>The marker file the guard of <paramref name="backend"/> watches, inside the proxy's container.</summary>
    public static string MarkerOf(string backend) => $"/tmp/slipway-guard-{backend}";

    /// <summary>What the guard exits with when it switched traffic back.</summary>
    public const int TrippedExitCode = 3;

    private const string Script = """
        backend=$1 socket=$2 rate=$3 e0=$4 t0=$5 marker=$6 id=$7 seconds=$8 servers=$9 back=${10}
        printf '%s\n' "$id" > "$marker"
        deadline=$((SECONDS + seconds))
        verdict="ok 0 0"
        while :; do
          current=
          read -r current < "$marker" 2>/dev/null
          if [ "$current" != "$id" ]; then echo "stopped $verdict"; exit 0; fi
          verdict=$(printf 'show stat\n' | socat -t 2 stdio "unix-connect:$socket" | awk -F, -v b="$backend" -v s=",$servers," -v e0="$e0" -v t0="$t0" -v r="$rate" '
            NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "hrsp_1xx") f = i; if ($i == "hrsp_5xx") x = i; if ($i == "hrsp_other") o = i }; next }
            $1 == b && index(s, "," $2 ",") { e += $x; for (i = f; i <= o; i++) t += $i }
            END { e -= e0; t -= t0; printf "%s %d %d\n", (e > 0 && e > r * t) ? "trip" : "ok", e, t }')
          set -- $verdict
          if [ "$1" = trip ]; then
            decided=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
            answer=$(printf '%s\n' "$back" | socat -t 2 stdio "unix-connect:$socket" | tr -s '\n' ' ')
            echo "tripped $2 $3 $decided $(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) $answer"
            exit 3
          fi
          if [ "$SECONDS" -ge "$deadline" ]; then echo "expired $verdict"; exit 0; fi
          sleep 0.05
        done
        """;

    /// <summary>The <c>docker exec</c> that runs the guard in <paramref name="proxy"/>, counting from the given baseline.</summary>
    public ToolInvocation Invocation(string proxy, DockerEndpoint endpoint, string id, (long Errors, long Responses) baseline) =>
        DockerCli.Exec(proxy, [
            "bash", "-c", Script, "slipway-guard",
            Backend, Socket, MaxErrorRate.ToString("0.######", CultureInfo.InvariantCulture),
            baseline.Errors.ToString(CultureInfo.InvariantCulture), baseline.Responses.ToString(CultureInfo.InvariantCulture),
            MarkerOf(Backend), id, ((int)Math.Ceiling(Limit.TotalSeconds)).ToString(CultureInfo.InvariantCulture),
            string.Join(',', NewServers), SwitchBack.TrimEnd('\n'),
        ], endpoint).AcceptingAnyExitCode();

    /// <summary>
    /// The new servers' 5xx and all their responses so far, from <c>show stat</c>: the baseline the guard counts from
    /// (a slot's counters carry the answers of every container that held it before).
    /// </summary>
    public (long Errors, long Responses) Count(string showStat)
    {
        ArgumentNullException.ThrowIfNull(showStat);
        var lines = showStat.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var header = lines.FirstOrDefault(l => l.StartsWith("# pxname", StringComparison.Ordinal))
            ?? throw new FormatException($"'show stat' printed no header: {lines.FirstOrDefault()}");
        var columns = header[2..].Split(',');
        int first = Array.IndexOf(columns, "hrsp_1xx"), errors = Array.IndexOf(columns, "hrsp_5xx"), last = Array.IndexOf(columns, "hrsp_other");
        if (first < 0 || errors < 0 || last < first)
        {
            throw new FormatException("'show stat' has no hrsp_1xx … hrsp_other columns.");
        }

        var names = NewServers.ToHashSet(StringComparer.Ordinal);
        long failed = 0, total = 0;
        foreach (var fields in lines.Where(l => !l.StartsWith('#')).Select(l => l.Split(',')))
        {
            if (fields.Length > last && fields[0] == Backend && names.Contains(fields[1]))
            {
                failed += Number(fields[errors]);
                total += Enumerable.Range(first, last - first + 1).Sum(i => Number(fields[i]));
            }
        }

        return (failed, total);
    }

    /// <summary>Reads what the guard printed last: whether it switched back, with its counts and times.</summary>
    public static GuardReport Parse(ToolResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var line = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? string.Empty;
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return words switch
        {
            ["tripped", var e, var t, var decided, var switched, ..] when result.ExitCode == TrippedExitCode =>
                new GuardReport(true, Number(e), Number(t), Time(decided), Time(switched), string.Join(' ', words.Skip(5))),
            [_, _, var e, var t] => new GuardReport(false, Number(e), Number(t), null, null, string.Empty),
            _ => new GuardReport(false, 0, 0, null, null, $"the guard ended without a verdict (exit {result.ExitCode}): {line}{result.StandardError.Trim()}"),
        };
    }

    private static long Number(string text) => long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;

    private static DateTimeOffset? Time(string text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;
}

/// <summary>What a <see cref="ProxyTrafficGuard"/> saw.</summary>
/// <param name="Tripped">True when it switched traffic back.</param>
/// <param name="Errors">5xx answers of the new servers.</param>
/// <param name="Responses">All answers of the new servers.</param>
/// <param name="Decided">When it decided (the proxy container's clock, UTC).</param>
/// <param name="Switched">When HAProxy had taken the switch back.</param>
/// <param name="Note">Anything else it printed (HAProxy's refusal of a command, an early end).</param>
internal sealed record GuardReport(bool Tripped, long Errors, long Responses, DateTimeOffset? Decided, DateTimeOffset? Switched, string Note);
