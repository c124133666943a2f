using System.Globalization;
using Slipway.Processes;
using Slipway.Tools.Docker;
using Slipway.Tools.Haproxy;

namespace Slipway.Delivery.Compose;

/// <summary>
/// Watches the new containers' answers while the previous release is kept warm, from inside the proxy's container: it
/// reads HAProxy's per-server response counters through the runtime API every 20 ms and, the moment the new servers'
/// 5xx exceed the error budget, sends the switch back (previous servers ready, new ones in maintenance) itself.
/// </summary>
/// <remarks>
/// <para>
/// With a <see cref="FirstStep"/>, traffic moves in two steps: the deployer gives the new servers a small share first, and
/// the guard itself sends the rest of the move (<see cref="FirstStep.Rest"/>) once the new servers answered enough
/// requests within the budget, or the step's time ran out. Only the guard moves traffic while it runs, so a switch back
/// can never be undone by a late second step; it writes when it moved the rest to <see cref="RestMovedFileOf"/>, with its
/// id, for the deployer to wait on. A release that fails every request then costs the few requests its small share took
/// before the guard saw them, not every request until the guard's next poll.
/// </para>
/// <para>
/// Inside the container because a round trip from the deploying machine (<c>docker exec</c> per poll and per switch)
/// costs 0.1–1 s on a busy host, i.e. up to 25 failed user requests at 25/s; from inside it costs milliseconds. The
/// script is a constant; every value reaches it as a positional argument, never spliced into its text. It stops when its
/// marker file no longer holds its id (the deploy removes it, or a later deploy's guard overwrites it), or after its
/// time limit, so a guard whose deploy was killed cannot act on a later one.
/// </para>
/// </remarks>
internal sealed record ProxyTrafficGuard(string Backend, string Socket, double MaxErrorRate, IReadOnlyList<string> NewServers, string SwitchBack, TimeSpan Limit, FirstStep? Step = null)
{
    /// <summary>The file the guard of <paramref name="backend"/> writes when it moved the rest of the traffic: its id and the time.</summary>
    public static string RestMovedFileOf(string backend) => MarkerOf(backend) + ".rest";

    /// <summary>The marker file the guard of <paramref name="backend"/> watches, inside the proxy's container.</summary>
    public static string MarkerOf(string backend) => $"/tmp/slipway-guard-{backend}";

    /// <summary>What the guard exits with when it switched traffic back.</summary>
    public const int TrippedExitCode = 3;

    private const string Script = """
        backend=$1 socket=$2 rate=$3 e0=$4 t0=$5 marker=$6 id=$7 seconds=$8 servers=$9 back=${10}
        step_ms=${11} step_answers=${12} rest=${13}
        rm -f "$marker.rest"
        printf '%s\n' "$id" > "$marker"
        deadline=$((SECONDS + seconds))
        start=${EPOCHREALTIME/./}
        verdict="ok 0 0"
        while :; do
          current=
          read -r current 2>/dev/null < "$marker"
          if [ "$current" != "$id" ]; then echo "stopped $verdict"; exit 0; fi
          verdict=$(printf 'show stat %s 4 -1\n' "$backend" | socat -t 2 stdio "unix-connect:$socket" | awk -F, -v b="$backend" -v s=",$servers," -v e0="$e0" -v t0="$t0" -v r="$rate" '
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
          if [ -n "$rest" ]; then
            now=${EPOCHREALTIME/./}
            if [ "$3" -ge "$step_answers" ] || [ $(( (now - start) / 1000 )) -ge "$step_ms" ]; then
              answer=$(printf '%s\n' "$rest" | socat -t 2 stdio "unix-connect:$socket" | tr -s '\n' ' ')
              printf '%s %s %s %s\n' "$id" "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "$3" "$answer" > "$marker.rest"
              rest=
            fi
          fi
          if [ "$SECONDS" -ge "$deadline" ]; then echo "expired $verdict"; exit 0; fi
          sleep 0.02
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
            ((int)(Step?.Limit.TotalMilliseconds ?? 0)).ToString(CultureInfo.InvariantCulture),
            (Step?.Answers ?? 0).ToString(CultureInfo.InvariantCulture),
            Step?.Rest.TrimEnd('\n') ?? string.Empty,
        ], endpoint).AcceptingAnyExitCode();

    private const string WaitScript = """
        file=$1 id=$2 polls=$3
        while :; do
          first=
          read -r first _ 2>/dev/null < "$file"
          if [ "$first" = "$id" ]; then cat "$file"; exit 0; fi
          if [ "$polls" -le 0 ]; then exit 1; fi
          polls=$((polls - 1))
          sleep 0.02
        done
        """;

    /// <summary>
    /// The <c>docker exec</c> that waits in <paramref name="proxy"/> until the guard <paramref name="id"/> of
    /// <paramref name="backend"/> wrote that it moved the rest (<see cref="RestMovedFileOf"/>, printed, exit 0) or about
    /// <paramref name="within"/> passed (exit 1): it polls the file every 20 ms where it lies, so the deployer learns of
    /// the move within a poll, not an exec's round trip later.
    /// </summary>
    public static ToolInvocation WaitForTheRest(string proxy, DockerEndpoint endpoint, string backend, string id, TimeSpan within) =>
        DockerCli.Exec(proxy, [
            "bash", "-c", WaitScript, "slipway-wait-rest",
            RestMovedFileOf(backend), id, ((int)Math.Ceiling(within.TotalMilliseconds / 20)).ToString(CultureInfo.InvariantCulture),
        ], endpoint).AcceptingAnyExitCode();

    /// <summary>
    /// Whether <paramref name="restMovedFile"/> (the content of <see cref="RestMovedFileOf"/>) says this guard, by its
    /// <paramref name="id"/>, moved the rest of the traffic: a file a guard of an earlier deploy left says nothing.
    /// </summary>
    public static bool MovedTheRest(string restMovedFile, string id)
    {
        ArgumentNullException.ThrowIfNull(restMovedFile);
        return restMovedFile.Split(' ', 2)[0].Trim() == id;
    }

    /// <summary>When the guard says it moved the rest (the second word of <see cref="RestMovedFileOf"/>), or null when it is not a time.</summary>
    public static DateTimeOffset? RestMovedAt(string restMovedFile)
    {
        ArgumentNullException.ThrowIfNull(restMovedFile);
        return restMovedFile.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, var at, ..] ? Time(at) : null;
    }

    /// <summary>
    /// The new servers' 5xx and all their responses so far, from <c>show stat</c>: the baseline the guard counts from
    /// (a slot's counters carry the answers of every container that held it before).
    /// </summary>
    public (long Errors, long Responses) Count(string showStat)
    {
        ArgumentNullException.ThrowIfNull(showStat);
        var lines = showStat.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var header = lines.FirstOrDefault(l => l.StartsWith(HaproxyRuntimeApi.StatHeader, StringComparison.Ordinal))
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

/// <summary>
/// The first of two traffic steps: the new servers take <paramref name="Percent"/> % until they answered
/// <paramref name="Answers"/> requests within the error budget or <paramref name="Limit"/> passed; then the guard sends
/// <paramref name="Rest"/> (all traffic to them, the previous servers drained).
/// </summary>
internal sealed record FirstStep(int Percent, int Answers, TimeSpan Limit, string Rest);
