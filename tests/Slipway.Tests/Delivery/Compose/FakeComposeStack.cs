using System.Globalization;
using System.Text;
using System.Text.Json;
using Slipway.Processes;
using Slipway.Tests.Support;
using Slipway.Tools.Haproxy;

namespace Slipway.Tests.Delivery.Compose;

/// <summary>
/// A fake Compose project on a fake Docker engine, with HAProxy in front, that answers a <see cref="ScriptedToolSession"/>
/// the way the real tools would: <c>ps --quiet</c>, <c>container inspect</c> JSON, <c>up --scale</c> adding containers,
/// <c>container stop</c>/<c>rm</c>, the migration one-off, and the proxy's runtime API with <c>server-template api 1-8</c>
/// slots that follow the running api containers by address (as DNS does), drains and current sessions.
/// </summary>
internal sealed class FakeComposeStack
{
    public const string Backend = "app";
    public const string RoutedService = "api";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private readonly List<FakeContainer> _containers = [];
    private readonly string?[] _slots = new string?[8];
    private readonly HashSet<string> _drained = new(StringComparer.Ordinal);
    private readonly HashSet<string> _maint = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _sessions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Func<bool>> _heldUntil = new(StringComparer.Ordinal);
    private int _created;
    private string? _pendingSwitchBack;

    // A first traffic step's rest, which the guard sends once the step is over (after the step's own command), and the
    // file it writes then.
    private string? _pendingRest;
    private string? _restMovedFile;

    /// <summary>The health new containers of a service report; "healthy" when not set, null for no healthcheck.</summary>
    public Dictionary<string, string?> HealthOfNew { get; } = new(StringComparer.Ordinal);

    /// <summary>What <c>run --rm migrate</c> exits with.</summary>
    public int MigrationExitCode { get; set; }

    /// <summary>When true, the guard the rollout starts in the proxy switches traffic back as soon as it starts (the new answers fail).</summary>
    public bool GuardTrips { get; set; }

    /// <summary>When true, a guard with a first traffic step ends without moving the rest (as at its time limit).</summary>
    public bool GuardLeavesTheRest { get; set; }

    /// <summary>The weights the runtime API set, by server (<c>1</c>, or <c>100%</c> for the configured one).</summary>
    public Dictionary<string, string> Weights { get; } = new(StringComparer.Ordinal);

    /// <summary>The guards started in the proxy, as their arguments after the script (backend, socket, budget, …).</summary>
    public List<string[]> Guards { get; } = [];

    /// <summary>The runtime API commands sent, one entry per command (a batch is split at ';'), in order.</summary>
    public List<string> Commands { get; } = [];

    /// <summary>The slots in forced maintenance.</summary>
    public IReadOnlySet<string> Maintenance => _maint;

    /// <summary>Whether socat can no longer reach the runtime API socket, asked at each command (the proxy can go away mid-deploy).</summary>
    public Func<bool> RuntimeApiDownWhen { get; set; } = () => false;

    /// <summary>While true, the proxy answers a drain as HAProxy does a server it does not have: "No such server.".</summary>
    public Func<bool> DrainRefusedWhen { get; set; } = () => false;

    public IReadOnlyList<FakeContainer> Containers => _containers;

    /// <summary>The containers of <paramref name="service"/> that exist (running or stopped), oldest first.</summary>
    public IReadOnlyList<FakeContainer> Of(string service) => [.. _containers.Where(c => c.Service == service && !c.Removed)];

    public IReadOnlyList<FakeContainer> Running(string service) => [.. Of(service).Where(c => c.Status == "running")];

    /// <summary>Starts a container of <paramref name="service"/> from <paramref name="image"/>.</summary>
    public FakeContainer Start(string service, string image, string? health = "healthy")
    {
        _created++;
        var container = new FakeContainer($"{service}-{_created}", $"{ComposeDeployerTests.ProjectName}_{service}_{_created}", service, image, $"172.21.0.{10 + _created}")
        {
            Health = health,
        };
        _containers.Add(container);
        return container;
    }

    /// <summary>Marks the proxy slot <paramref name="server"/> drained, as a run killed between drain and ready leaves it.</summary>
    public void Drain(string server) => _drained.Add(server);

    /// <summary>Gives a slot established sessions that end one per <c>show stat</c>.</summary>
    public void HoldSessions(string server, int sessions) => _sessions[server] = sessions;

    /// <summary>The proxy reports a session on <paramref name="server"/> until <paramref name="ended"/> says it ended.</summary>
    public void HoldSessionsUntil(string server, Func<bool> ended) => _heldUntil[server] = ended;

    /// <summary>The slot that routes to <paramref name="container"/>, once the proxy has resolved it.</summary>
    public string SlotOf(FakeContainer container)
    {
        Resolve();
        return $"{RoutedService}{Array.IndexOf(_slots, container.Address) + 1}";
    }

    public void Attach(ScriptedToolSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        session
            .On(@"^docker[ -]compose .* ps (--all )?--quiet (?<service>\S+)$", (_, m) => Ok(string.Concat(Of(m.Groups["service"].Value).Select(c => c.Id + "\n"))))
            .On(@"^docker[ -]compose .* ps (--all )?--quiet$", (_, _) => Ok(string.Concat(_containers.Where(c => !c.Removed).Select(c => c.Id + "\n"))))
            .On(@"^docker compose .* config --format json$", (_, _) => Ok(ResolvedModel()))
            // As the engine lists a Compose project's containers by their labels: newest first.
            .On(@"^docker container ls --all --quiet --no-trunc --filter label=com\.docker\.compose\.project=(?<project>\S+)( --filter label=com\.docker\.compose\.service=(?<service>\S+))? --filter label=com\.docker\.compose\.oneoff=False$",
                (_, m) => Ok(string.Concat(_containers.Where(c => !c.Removed && m.Groups["project"].Value == ComposeDeployerTests.ProjectName && (!m.Groups["service"].Success || c.Service == m.Groups["service"].Value)).Reverse().Select(c => c.Id + "\n"))))
            .On(@"^docker container inspect ", (i, _) => Inspect(Tokens(i).Skip(2)))
            .On(@"^docker[ -]compose .* up ", (i, _) => Up(i))
            .On(@"^docker[ -]compose .* run --rm migrate$", (_, _) => MigrationExitCode == 0
                ? Ok("Applying migration 20260301_orders_status... done\n")
                : ScriptedToolSession.Result(MigrationExitCode, "Applying migration 20260308_orders_index...\n", "Npgsql.PostgresException (0x80004005): 42P07: relation \"ix_orders_status\" already exists\n"))
            .On(@"^docker container stop --time \d+ ", (i, _) => Stop(Tokens(i).Skip(4)))
            .On(@"^docker container rm --force (?<id>\S+)$", (_, m) => Remove(m.Groups["id"].Value))
            .On(@"^docker container pause ", (i, _) => SetStatus(Tokens(i).Skip(2), from: "running", to: "paused"))
            .On(@"^docker container unpause ", (i, _) => SetStatus(Tokens(i).Skip(2), from: "paused", to: "running"))
            .On(@"^docker exec --interactive (?<id>\S+) socat stdio unix-connect:", (i, _) => RuntimeApi(i.StandardInput?.Reveal() ?? string.Empty))
            .On(@"^docker exec (?<id>\S+) bash -c ", (i, _) => Guard(Tokens(i)))
            .On(@"^docker exec (?<id>\S+) rm -f /tmp/slipway-guard-", (_, _) => Ok())
            // The wait for the guard's rest file: the file, once this guard wrote it; else, once its polls ran out, exit 1.
            .On(@"^docker exec (?<id>\S+) bash -c (?s:.*) slipway-wait-rest /tmp/slipway-guard-\S+\.rest (?<guard>\S+) \d+$",
                (_, m) => _restMovedFile is { } moved && moved.Split(' ')[0] == m.Groups["guard"].Value ? Ok(moved) : ScriptedToolSession.Result(1))
            // The checks before traffic: one exec per container runs a script that sends each path and prints "INDEX STATUS-LINE".
            .On(@"^docker exec (?<id>\S+) sh -c ", (i, _) => DirectAll(Tokens(i)))
            .On(@"^docker exec --interactive (?<id>\S+) socat -t 10 -T 10 stdio tcp:(?<address>[^:]+):(?<port>\d+),shut-none", (i, m) => Direct(m.Groups["address"].Value, i.StandardInput?.Reveal() ?? string.Empty));
    }

    /// <summary>
    /// Each service's <c>depends_on</c>, as <c>config --format json</c> prints it (the long form): the sample stack's by
    /// default, where api and worker wait only for the data services, and the proxy for the api.
    /// </summary>
    public Dictionary<string, string[]> DependsOn { get; } = new(StringComparer.Ordinal)
    {
        ["postgres"] = [],
        ["redis"] = [],
        ["migrate"] = ["postgres"],
        ["api"] = ["postgres", "redis"],
        ["worker"] = ["postgres", "redis"],
        ["proxy"] = ["api"],
    };

    private string ResolvedModel() => JsonSerializer.Serialize(new
    {
        name = ComposeDeployerTests.ProjectName,
        services = DependsOn.ToDictionary(
            s => s.Key,
            s => new { image = $"{s.Key}:stock", depends_on = s.Value.ToDictionary(d => d, _ => new { condition = "service_healthy", required = true }) }),
    });

    /// <summary>What a container answers to a request sent straight to it (a check before traffic): its HTTP status, 0 for no answer.</summary>
    public Func<FakeContainer, string, int> DirectStatus { get; set; } = (_, _) => 200;

    /// <summary>The requests sent straight to containers, as (container name, request line).</summary>
    public List<(string Container, string Request)> DirectRequests { get; } = [];

    private ToolResult Direct(string address, string request)
    {
        var container = _containers.Single(c => c.Address == address && !c.Removed);
        var line = request.Split("\r\n")[0];
        DirectRequests.Add((container.Name, line));
        var status = DirectStatus(container, line.Split(' ')[1]);
        return Ok($"HTTP/1.1 {status} Whatever\r\nContent-Length: 0\r\n\r\n");
    }

    private ToolResult DirectAll(string[] tokens)
    {
        // exec ID sh -c SCRIPT slipway-check-before-traffic ADDRESS PORT PATH…
        var at = Array.IndexOf(tokens, "slipway-check-before-traffic");
        Assert.True(at > 0, $"a script run in the proxy container that is not the checks before traffic: {string.Join(' ', tokens)}");
        var address = tokens[at + 1];
        var container = _containers.Single(c => c.Address == address && !c.Removed);
        var lines = tokens.Skip(at + 3).Select((path, n) =>
        {
            DirectRequests.Add((container.Name, $"GET {path} HTTP/1.0"));
            // A status of 0: nothing listens, and socat's complaint is the line the script prints.
            return DirectStatus(container, path) is 0 and var _
                ? $"{n} 2026/12/05 10:00:00 socat[42] E connect(5, AF=2 {address}:{tokens[at + 2]}, 16): Connection refused\n"
                : $"{n} HTTP/1.1 {DirectStatus(container, path)} Whatever\n";
        });
        return Ok(string.Concat(lines) + DirectAllTrailer);
    }

    /// <summary>Printed after the checks' answers, as a proxy image whose shell or socat says more than asked might.</summary>
    public string DirectAllTrailer { get; set; } = string.Empty;

    private static string[] Tokens(ToolInvocation invocation) => [.. invocation.Arguments.Select(a => a.Reveal())];

    private static ToolResult Ok(string stdout = "") => ScriptedToolSession.Result(0, stdout);

    private ToolResult Up(ToolInvocation invocation)
    {
        var tokens = Tokens(invocation);
        var scale = new Dictionary<string, int>(StringComparer.Ordinal);
        var services = new List<string>();
        for (var i = Array.IndexOf(tokens, "up") + 1; i < tokens.Length; i++)
        {
            if (tokens[i] == "--scale")
            {
                var (service, count) = (tokens[i + 1].Split('=')[0], int.Parse(tokens[i + 1].Split('=')[1], CultureInfo.InvariantCulture));
                scale[service] = count;
                i++;
            }
            else if (!tokens[i].StartsWith("--", StringComparison.Ordinal))
            {
                services.Add(tokens[i]);
            }
        }

        foreach (var service in services)
        {
            var existing = Of(service).Count;
            var target = scale.TryGetValue(service, out var wanted) ? wanted : Math.Max(existing, 1);
            var image = invocation.Environment.TryGetValue(service.ToUpperInvariant() + "_IMAGE", out var variable) ? variable.Reveal() : $"{service}:stock";
            for (var n = existing; n < target; n++)
            {
                Start(service, image, HealthOfNew.TryGetValue(service, out var health) ? health : "healthy");
            }
        }

        return Ok();
    }

    private ToolResult Inspect(IEnumerable<string> ids)
    {
        var found = new List<object>();
        var missing = new List<string>();
        foreach (var id in ids)
        {
            if (_containers.FirstOrDefault(c => c.Id == id && !c.Removed) is { } container)
            {
                found.Add(container.ToInspectJson());
            }
            else
            {
                missing.Add(id);
            }
        }

        var json = JsonSerializer.Serialize(found, Indented);
        return missing.Count == 0 ? Ok(json + "\n") : ScriptedToolSession.Result(1, json + "\n", string.Concat(missing.Select(m => $"Error: No such container: {m}\n")));
    }

    private ToolResult Stop(IEnumerable<string> ids)
    {
        foreach (var container in ids.Select(id => _containers.Single(c => c.Id == id)))
        {
            container.Status = "exited";
            container.ExitCode = 143;
        }

        return Ok(string.Concat(ids.Select(id => id + "\n")));
    }

    /// <summary>Pause and unpause: as Docker, an error for a container not in the state they need.</summary>
    private ToolResult SetStatus(IEnumerable<string> ids, string from, string to)
    {
        foreach (var container in ids.Select(id => _containers.Single(c => c.Id == id)))
        {
            if (container.Status != from)
            {
                return ScriptedToolSession.Result(1, string.Empty, $"Error response from daemon: container {container.Id} is {container.Status}, not {from}\n");
            }

            container.Status = to;
        }

        return Ok(string.Concat(ids.Select(id => id + "\n")));
    }

    private ToolResult Remove(string id)
    {
        _containers.Single(c => c.Id == id).Removed = true;
        return Ok(id + "\n");
    }

    /// <summary>HAProxy's DNS resolution: a slot keeps its running container's address, a gone one frees its slot, new ones take free slots.</summary>
    private void Resolve()
    {
        var running = Running(RoutedService);
        for (var i = 0; i < _slots.Length; i++)
        {
            if (_slots[i] is { } address && !running.Any(c => c.Address == address))
            {
                _slots[i] = null;
            }
        }

        foreach (var container in running.Where(c => !_slots.Contains(c.Address)))
        {
            _slots[Array.IndexOf(_slots, null)] = container.Address;
        }
    }

    /// <summary>
    /// The guard: stopped at once (no failed answer seen), or, with <see cref="GuardTrips"/>, sends its switch back (its
    /// last argument) and reports it as the script does.
    /// </summary>
    private ToolResult Guard(string[] tokens)
    {
        var arguments = tokens[(Array.IndexOf(tokens, "slipway-guard") + 1)..];
        Guards.Add(arguments);
        var (switchBack, rest) = (arguments[9], arguments.Length > 12 ? arguments[12] : string.Empty);
        _restMovedFile = null;
        if (!GuardTrips)
        {
            if (rest.Length > 0 && !GuardLeavesTheRest)
            {
                // The new answers are good: the rest of the traffic moves after the first step.
                _pendingRest = rest;
                _restMovedFile = $"{arguments[6]} 2026-03-08T09:00:10.050Z 5 \n";
            }

            return Ok("stopped ok 0 0\n");
        }

        // The real guard trips on answers that come after traffic moved (in a first step, if there is one): its switch
        // back lands after the next command.
        _pendingSwitchBack = switchBack;
        return ScriptedToolSession.Result(3, "tripped 3 4 2026-03-08T09:00:10.100Z 2026-03-08T09:00:10.120Z\n");
    }

    private ToolResult RuntimeApi(string command)
    {
        var answer = RuntimeApiCommands(command);
        if (_pendingSwitchBack is { } switchBack && command.Contains("state ready", StringComparison.Ordinal))
        {
            _pendingSwitchBack = null;
            RuntimeApiCommands(switchBack);
        }

        if (_pendingRest is { } rest && command.Contains("state ready", StringComparison.Ordinal))
        {
            _pendingRest = null;
            RuntimeApiCommands(rest);
        }

        return answer;
    }

    private ToolResult RuntimeApiCommands(string command)
    {
        if (command.Contains(';', StringComparison.Ordinal))
        {
            // As HAProxy answers a batch: each command's answer, then an empty line ("No such server.\n\n# pxname,…").
            var answers = command.Split(';').Select(c => RuntimeApiCommands(c.Trim())).ToList();
            return answers.FirstOrDefault(a => a.ExitCode != 0) ?? Ok(string.Concat(answers.Select(a => a.StandardOutput.TrimEnd('\n') + "\n\n")));
        }


        if (RuntimeApiDownWhen())
        {
            return ScriptedToolSession.Result(1, stderr: "2026/03/08 09:00:00 socat[17] E connect(5, AF=1 \"/var/run/haproxy/admin.sock\", 29): Connection refused\n");
        }

        Resolve();
        Commands.Add(command.Trim());
        var words = command.Trim().Split(' ');
        switch (words)
        {
            case ["show", "servers", "state", Backend]:
                return Ok(ServersState());
            case ["show", "stat"]:
                return Ok(Stat());
            case ["set", "server", var target, "weight", var weight] when target.StartsWith(Backend + "/", StringComparison.Ordinal):
                Weights[target[(Backend.Length + 1)..]] = weight;
                return Ok();
            case ["set", "server", var target, "state", var state] when target.StartsWith(Backend + "/", StringComparison.Ordinal):
                var server = target[(Backend.Length + 1)..];
                switch (state)
                {
                    case "drain" when DrainRefusedWhen():
                        return Ok("No such server.\n");
                    case "drain":
                        _drained.Add(server);
                        break;
                    case "maint":
                        _maint.Add(server);
                        break;
                    default:
                        _drained.Remove(server);
                        _maint.Remove(server);
                        break;
                }

                return Ok();
            default:
                return Ok($"Unknown command: '{command.Trim()}'\n");
        }
    }

    private string ServersState()
    {
        var text = new StringBuilder("1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n");
        for (var i = 0; i < _slots.Length; i++)
        {
            var name = $"{RoutedService}{i + 1}";
            var container = _slots[i] is { } address ? Running(RoutedService).Single(c => c.Address == address) : null;
            var up = container is { Health: null or "healthy" };
            var admin = (_drained.Contains(name) ? HaproxyAdminState.ForcedDrain : 0) | (_maint.Contains(name) ? HaproxyAdminState.ForcedMaintenance : 0)
                | (container is null ? HaproxyAdminState.ResolutionMaintenance : 0);
            text.Append(CultureInfo.InvariantCulture,
                $"3 {Backend} {i + 1} {name} {container?.Address ?? "-"} {(up ? 2 : 0)} {(int)admin} 1 1 10 {(up ? 6 : 1)} {(up ? 3 : 0)} {(up ? 4 : 0)} {(up ? 6 : 14)} 0 0 0 api 8080 - 0 0 - - 0\n");
        }

        return text.Append('\n').ToString();
    }

    private string Stat()
    {
        var text = new StringBuilder("# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other\n");
        text.Append("http-in,FRONTEND,,,1,9,262120,80,10000,200000,0,0,0,,,,,OPEN,\n");
        for (var i = 0; i < _slots.Length; i++)
        {
            var name = $"{RoutedService}{i + 1}";
            var sessions = _sessions.GetValueOrDefault(name);
            if (sessions > 0)
            {
                _sessions[name] = sessions - 1;
            }

            if (_heldUntil.TryGetValue(name, out var ended) && !ended())
            {
                sessions = Math.Max(sessions, 1);
            }

            var status = _slots[i] is null ? "MAINT (resolution)" : _maint.Contains(name) ? "MAINT" : _drained.Contains(name) ? "DRAIN" : "UP";
            text.Append(CultureInfo.InvariantCulture, $"{Backend},{name},0,0,{sessions},4,,40,5000,100000,,0,,0,0,0,0,{status},0,40,0,0,0,0\n");
        }

        return text.Append(CultureInfo.InvariantCulture, $"{Backend},BACKEND,0,0,1,9,26212,80,10000,200000,0,0,,0,0,0,0,UP,\n").ToString();
    }
}

/// <summary>One container of a <see cref="FakeComposeStack"/>.</summary>
internal sealed class FakeContainer(string id, string name, string service, string image, string address)
{
    public string Id { get; } = id;

    public string Name { get; } = name;

    public string Service { get; } = service;

    public string Image { get; } = image;

    public string Address { get; } = address;

    public string Status { get; set; } = "running";

    public string? Health { get; set; }

    public int ExitCode { get; set; }

    public bool Removed { get; set; }

    /// <summary>This container as <c>docker container inspect</c> prints it (Docker 28), trimmed to the fields read and a few more.</summary>
    public object ToInspectJson()
    {
        var state = new Dictionary<string, object>
        {
            ["Status"] = Status,
            ["Running"] = Status == "running",
            ["ExitCode"] = ExitCode,
            ["StartedAt"] = "2026-03-08T09:00:02Z",
        };
        if (Health is not null)
        {
            state["Health"] = new
            {
                Status = Health,
                FailingStreak = Health == "unhealthy" ? 3 : 0,
                Log = new[] { new { ExitCode = Health == "healthy" ? 0 : 1, Output = Health == "healthy" ? "Healthy\n" : "Unhealthy: postgres: connection refused\n" } },
            };
        }

        return new Dictionary<string, object>
        {
            ["Id"] = Id,
            ["Name"] = "/" + Name,
            ["State"] = state,
            ["Config"] = new
            {
                Image,
                Labels = new Dictionary<string, string>
                {
                    ["com.docker.compose.project"] = ComposeDeployerTests.ProjectName,
                    ["com.docker.compose.service"] = Service,
                },
            },
            ["NetworkSettings"] = new
            {
                Networks = new Dictionary<string, object>
                {
                    [$"{ComposeDeployerTests.ProjectName}_stack"] = new { Gateway = "172.21.0.1", IPAddress = Status == "running" ? Address : string.Empty, IPPrefixLen = 16 },
                },
            },
        };
    }
}
