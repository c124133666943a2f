using System.Globalization;
using Slipway.Environments;
using Slipway.Processes;
using Slipway.Tools.Compose;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Compose;

/// <summary>
/// Checks before traffic: the SLO probes (<c>direct</c>, the default) sent straight to each new container of the routed
/// service once it is healthy and before the proxy may route to it, so a release whose health is green but whose
/// endpoints fail never answers a user.
/// </summary>
public sealed partial class ComposeDeployer
{
    /// <summary>Requests per probe and container: enough to see a release that fails, few enough to stay quick on a busy host.</summary>
    private const int DirectSamples = 3;

    /// <summary>
    /// Sends each probe to each container in <paramref name="fresh"/> from inside the running proxy container (socat, which
    /// the runtime API already needs), past the proxy's backend. Judged on status and error rate; latency is left to
    /// the probes through the proxy, since a <c>docker exec</c> per request says more about the host than the release.
    /// </summary>
    private async Task CheckBeforeTrafficAsync(ComposeProject project, ComposeAppService service, IReadOnlyList<DockerContainer> fresh, DockerContainer? runningProxy)
    {
        if (_session.IsDryRun || _deployment.ChecksBeforeTraffic.Count == 0 || _deployment.RoutedPort is not { } port)
        {
            return;
        }

        var proxy = runningProxy ?? (await ContainersAsync(project, _deployment.ProxyService)).FirstOrDefault(c => c.Status == "running");
        if (proxy is null)
        {
            _session.Info($"{service.Name}: no proxy runs yet (first deploy), so no user request can reach the new containers: the probes through the proxy decide.");
            return;
        }

        var started = _time.GetTimestamp();
        var requests = _deployment.ChecksBeforeTraffic.SelectMany(probe => Enumerable.Repeat(probe, Math.Min(DirectSamples, probe.Samples))).ToList();
        // One `docker exec` per container sends all its requests (an exec's start costs more than the answers), and the
        // containers are checked at once.
        var sent = await Task.WhenAll(fresh.Select(async container =>
        {
            var address = container.Addresses.Values.FirstOrDefault()
                ?? throw new DeployStepException($"{service.Name}: container {container.Name} has no network address to check before traffic");
            return (container, answers: await DirectGetAllAsync(proxy, address, port, [.. requests.Select(p => p.Path)]));
        }));
        var problems = new List<string>();
        foreach (var (container, all) in sent)
        {
            foreach (var probe in _deployment.ChecksBeforeTraffic)
            {
                var answers = all.Where((_, i) => ReferenceEquals(requests[i], probe)).ToList();
                var expected = probe.ExpectedStatus.ToString(CultureInfo.InvariantCulture);
                var failed = answers.Count(a => a != expected);
                if (failed > probe.MaxErrorRate * answers.Count)
                {
                    problems.Add($"{probe.Name}: {container.Name} answered GET {probe.Path} with {string.Join(", ", answers)} (expected {expected}; {failed} of {answers.Count} failed)");
                }
            }
        }

        if (problems.Count > 0)
        {
            throw new DeployStepException($"checks before traffic (straight to each new container, no user request reached it): {string.Join("; ", problems)}");
        }

        _session.Info($"{service.Name}: checks before traffic passed: {_deployment.ChecksBeforeTraffic.Count} probe(s) on each of {fresh.Count} new container(s) ({_time.GetElapsedTime(started).TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s)");
    }

    /// <summary>
    /// Waits until each new container answers the proxy's check path 200 twice in a row, straight from the proxy's
    /// container: its slot is held in maintenance, where HAProxy's own checks pause, and a server leaving maintenance is
    /// up at once; so this is the proxy's <c>rise 2</c>, done before traffic moves. Docker's "healthy" is not enough: on
    /// a busy host the readiness of a container that just started may still flap. Nor is it awaited here: Docker runs a
    /// healthcheck first one interval after the start (3 s in the sample stack), while these checks poll every
    /// <see cref="ReadinessPollInterval"/> (inspecting the container meanwhile) from the moment the container runs. A
    /// container that stops or that Docker finds unhealthy meanwhile fails the wait at once; Docker's own verdict is
    /// awaited after the probes (<see cref="WaitUntilDockerCallsHealthyAsync"/>). Returns the containers as last
    /// inspected, with their addresses.
    /// </summary>
    private async Task<IReadOnlyList<DockerContainer>> WaitUntilAnswersReadyAsync(DockerContainer proxy, ComposeAppService service, IReadOnlyList<DockerContainer> fresh)
    {
        var path = _deployment.ReadinessPath!;
        var port = _deployment.RoutedPort!.Value;
        var started = _time.GetTimestamp();
        var ready = new List<DockerContainer>();
        foreach (var container in fresh)
        {
            var (inRow, last, current) = (0, string.Empty, container);
            while (inRow < 2)
            {
                // Not running yet, or no address yet: no request; the inspect after the pause below looks again.
                var address = current.Addresses.Values.FirstOrDefault();
                last = current.Status != "running" ? current.Status : address is null ? "no network address yet" : await DirectGetAsync(proxy, address, port, path);
                inRow = last == "200" ? inRow + 1 : 0;
                if (inRow < 2 && _time.GetElapsedTime(started) > _deployment.Rollout.HealthTimeout.Value)
                {
                    throw new DeployStepException($"{service.Name}: {current.Name} did not answer GET {path} with 200 twice in a row within {_deployment.Rollout.HealthTimeout} (rollout.health_timeout); last answer: {last}");
                }

                if (inRow == 0)
                {
                    // The inspect runs during the pause, not after it: a poll costs the pause and the request.
                    var inspected = InspectOneAsync(current, service.Name);
                    await Task.WhenAll(Task.Delay(ReadinessPollInterval, _time, _session.CancellationToken), inspected);
                    current = await inspected;
                }
            }

            ready.Add(current);
        }

        return ready;
    }

    /// <summary>The container inspected again; a step failure when it stopped or Docker found it unhealthy.</summary>
    private async Task<DockerContainer> InspectOneAsync(DockerContainer container, string what)
    {
        var current = (await InspectAsync([container.Id])).SingleOrDefault()
            ?? throw new DeployStepException($"{what}: container {container.Name} is gone. See: docker logs {container.Name}");
        return current.HasFailed ? throw new DeployStepException(FailedText(current, what)) : current;
    }

    /// <summary>
    /// After the probes: Docker's own healthcheck must call each new container of <paramref name="steps"/> healthy too
    /// (it has usually run by then), so "every service healthy" stays true; one it finds unhealthy fails the deploy,
    /// which switches the traffic back.
    /// </summary>
    private async Task WaitUntilDockerCallsHealthyAsync(IEnumerable<RolloutStep> steps)
    {
        foreach (var step in steps.Where(s => s.Fresh.Any(c => !c.IsReady)))
        {
            step.Fresh = [.. await WaitUntilReadyAsync(step.Fresh, step.Service.Name)];
        }
    }

    /// <summary>One GET straight to <paramref name="address"/>; the status code, or what came back instead.</summary>
    /// <summary>
    /// Sends GET <paramref name="paths"/> one after another to <paramref name="address"/> from inside the proxy container,
    /// in one <c>docker exec</c>; returns each answer's status, or why there was none, in the order sent.
    /// </summary>
    private async Task<IReadOnlyList<string>> DirectGetAllAsync(DockerContainer proxy, string address, int port, IReadOnlyList<string> paths)
    {
        // The paths are arguments, never script text, and escaped as URIs: a matrix value cannot add a header, a second
        // request or a command. Each answer's first line is printed after the request's index.
        const string Script = """
            address=$1 port=$2
            shift 2
            n=0
            for path in "$@"; do
              line=$(printf 'GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: slipway-check-before-traffic\r\nConnection: close\r\n\r\n' "$path" "$address" \
                | socat -t 10 -T 10 stdio "tcp:$address:$port,shut-none" 2>&1 | head -n 1 | tr -d '\r')
              printf '%s %s\n' "$n" "$line"
              n=$((n + 1))
            done
            """;
        string[] command = ["sh", "-c", Script, "slipway-check-before-traffic", address, port.ToString(CultureInfo.InvariantCulture), .. paths.Select(RequestTarget)];
        var result = await _session.QueryAsync(DockerCli.Exec(proxy.Id, command, Endpoint).AcceptingAnyExitCode());

        // Whatever else the output holds (a line without an index, an index printed twice), each request's answer is the
        // first line printed with its index: the parse never throws, and a stray line cannot overwrite an answer.
        var lines = new Dictionary<int, string>();
        foreach (var parts in result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split(' ', 2)))
        {
            if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            {
                lines.TryAdd(index, parts[1]);
            }
        }

        return [.. paths.Select((_, i) => lines.TryGetValue(i, out var line)
            ? StatusOf(line) ?? $"no HTTP answer ({(line.Length == 0 ? "nothing" : line)})"
            : $"no HTTP answer (exit {result.ExitCode}{(result.Reason is { Length: > 0 } reason ? ": " + reason : string.Empty)})")];
    }

    /// <summary>The three-digit status of an HTTP status line, or null.</summary>
    private static string? StatusOf(string statusLine)
    {
        var parts = statusLine.Trim().Split(' ', 3);
        return parts.Length >= 2 && parts[0].StartsWith("HTTP/", StringComparison.Ordinal) && parts[1].Length == 3 && parts[1].All(char.IsAsciiDigit) ? parts[1] : null;
    }

    /// <summary>The path as a URI escapes it, so it cannot add a header or a second request.</summary>
    private static string RequestTarget(string path) => new Uri(new Uri("http://container/"), path).PathAndQuery;

    private async Task<string> DirectGetAsync(DockerContainer proxy, string address, int port, string path)
    {
        var target = RequestTarget(path);
        // shut-none: at the end of the request socat must not half-close the connection, which Kestrel takes for the
        // client going away (it aborts the request and answers nothing); the server closes it after its answer instead.
        var invocation = DockerCli.Exec(proxy.Id, ["socat", "-t", "10", "-T", "10", "stdio", $"tcp:{address}:{port.ToString(CultureInfo.InvariantCulture)},shut-none"], Endpoint, interactive: true)
            .WithStandardInput($"GET {target} HTTP/1.0\r\nHost: {address}\r\nUser-Agent: slipway-check-before-traffic\r\nConnection: close\r\n\r\n")
            .AcceptingAnyExitCode();
        var result = await _session.QueryAsync(invocation);
        return StatusOf(result.StandardOutput.Split('\n', 2)[0])
            ?? $"no HTTP answer (exit {result.ExitCode}{(result.Reason is { Length: > 0 } reason ? ": " + reason : string.Empty)})";
    }
}
