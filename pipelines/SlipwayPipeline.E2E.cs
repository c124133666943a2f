using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Slipway.Delivery;
using Slipway.Processes;
using Slipway.Targets;
using Slipway.Tools.Compose;
using Slipway.Tools.Docker;

namespace Slipway.Build;

/// <summary>
/// E2ESmoke: the freshly built images in a throwaway Compose project (compose/stack.yml + compose/compose.test.yml,
/// seeded, nothing persistent), checked end to end through the proxy, and always removed by E2ETeardown.
/// </summary>
public sealed partial class SlipwayPipeline
{
    private const string ProxyService = "proxy";
    private const int ProxyPort = 8080;
    private const int LogTailLines = 40;

    /// <summary>The seeded order the checks read back (compose/seed/01-seed.sql).</summary>
    private const string SeededOrderId = "00000000-0000-7000-8000-000000000003";

    private static readonly string[] E2EFiles = ["compose/stack.yml", "compose/compose.test.yml"];

    /// <summary>The one-off services' profiles: `down` removes their containers only when it names them.</summary>
    private static readonly string[] E2EProfiles = ["migrate", "seed"];

    /// <summary>The request path the checks exercise; their logs explain a failure when every container looks fine.</summary>
    private static readonly string[] RequestPathServices = ["api", "worker"];

    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    /// <summary>A one-request check's bound: longer than the request's own, so a slow answer is reported as such.</summary>
    private static readonly TimeSpan SingleRequestCheckTimeout = RequestTimeout + TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ProcessedTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>Set just before E2ESmoke creates anything on the engine; E2ETeardown removes exactly this project.</summary>
    private ComposeProject? _e2eProject;

    public Target E2ESmoke => _ => _
        .Describe("Run the freshly built images as a seeded, throwaway Compose stack under a unique project name and check it end to end through the proxy (API → Redis → Worker → Postgres → API); on failure print the tail of the failing containers' logs")
        .DependsOn(Build)
        .After(Provision)
        .Finally(E2ETeardown)
        .Executes(RunE2ESmokeAsync);

    public Target E2ETeardown => _ => _
        .Describe("Remove E2ESmoke's Compose project (containers, networks, volumes); runs after E2ESmoke even when it failed or was cancelled")
        .Executes(TearDownE2EAsync);

    private async Task RunE2ESmokeAsync(TargetContext ctx)
    {
        await EnsureIdentityAsync(ctx);
        var project = E2EProject(ctx).WithDriver(await ComposeDriverAsync(ctx));
        ctx.Info($"Compose project {project.Name} on {Engine.Host ?? "Docker's default endpoint"}");

        // Checked before anything exists on the engine, so these failures leave nothing to tear down.
        await ctx.RunAsync(ComposeCli.Config(project, E2EProfiles));
        if (!ctx.IsDryRun)
        {
            await RequireBuiltImagesAsync(ctx);
        }

        _e2eProject = project;
        try
        {
            // The verified sequence of compose/README.md: schema, seed rows, then the long-running services.
            await ctx.RunAsync(ComposeCli.Run(project, "migrate", profiles: ["migrate"]));
            await ctx.RunAsync(ComposeCli.Run(project, "seed", profiles: ["seed"]));
            await ctx.RunAsync(ComposeCli.Up(project));

            // PROXY_PORT=0: Docker picked a free port; ask which.
            var port = await ctx.RunAsync(ComposeCli.Port(project, ProxyService, ProxyPort), echoOutput: false);
            var address = ctx.IsDryRun ? "127.0.0.1:<port of proxy 8080>" : ParsePublishedAddress(port.StandardOutput);
            ctx.Info($"Stack entry point: http://{address}");
            await RunChecksAsync(ctx, address);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && !ctx.IsDryRun)
        {
            await PrintDiagnosticsAsync(ctx, project);
            throw;
        }
    }

    private async Task TearDownE2EAsync(TargetContext ctx)
    {
        if (_e2eProject is not { } project)
        {
            ctx.Skip("E2ESmoke created no Compose project in this run: nothing to remove");
            return;
        }

        await ctx.RunAsync(ComposeCli.Down(project, volumes: true, profiles: E2EProfiles));
        if (!ctx.IsDryRun)
        {
            // `down` succeeding is not proof: a container of the project that is still there is a leak worth failing for.
            var left = ContainerStatus.ParseList((await ctx.QueryAsync(DockerCli.ListContainers(project.Label, Engine))).StandardOutput);
            if (left.Count > 0)
            {
                throw new InvalidOperationException(
                    $"Compose's down left {left.Count} container(s) of {project.Name}: {string.Join(", ", left.Select(c => $"{c.Name} ({c.Status})"))}. " +
                    $"Remove them with: docker rm --force {string.Join(' ', left.Select(c => c.Name))}");
            }

            ctx.Info($"Removed {project.Name}: no container of it is left.");
        }
    }

    /// <summary>A project of its own per run: parallel runs, and leftovers of killed ones, never share anything.</summary>
    private ComposeProject E2EProject(TargetContext ctx)
    {
        var project = new ComposeProject("slipway-e2e-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)), E2EFiles, Engine)
            .WithVariable("POSTGRES_PASSWORD", new Secret(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), "E2ESmoke's database password"))
            .WithVariable("PROXY_PORT", "0")
            .WithVariable("PROXY_STATS_PORT", "0");
        foreach (var service in Services)
        {
            // The images Build just made, by local tag: nothing is pulled or pushed.
            project = project.WithVariable(ImageVariableOf(service), TagsOf(service)[0]);
        }

        // The stack's fault injection, passed through when set, so a deliberately bad stack shows what a failure looks like.
        foreach (var name in new[] { "FAULT_MODE", "FAULT_DELAY_MS" })
        {
            if (Variables.TryGetValue(name, out var value) && value.Length > 0)
            {
                ctx.Warning($"{name}={value} is set: the stack runs with fault injection, so checks are expected to fail.");
                project = project.WithVariable(name, value);
            }
        }

        return project;
    }

    private async Task RequireBuiltImagesAsync(TargetContext ctx)
    {
        foreach (var service in Services)
        {
            var tag = TagsOf(service)[0];
            if (DockerImage.TryParseInspect(await ctx.QueryAsync(DockerCli.ImageInspect(tag, Engine))) is null)
            {
                // Compose would try to pull it and fail with a registry error instead.
                throw new InvalidOperationException($"{tag} is not on the Docker engine ({Engine.Host ?? "default"}): run E2ESmoke with its Build (no --exclusive or --skip Build).");
            }
        }
    }

    private async Task RunChecksAsync(TargetContext ctx, string address)
    {
        using var handler = new HttpClientHandler { UseProxy = false };
        using var http = new HttpClient(handler) { Timeout = RequestTimeout };
        if (!ctx.IsDryRun)
        {
            // A dry run only names the checks, against an address it cannot know.
            http.BaseAddress = new Uri($"http://{address}");
        }

        var checks = SmokeChecks(http);
        var results = new List<SmokeCheckResult>();
        foreach (var check in checks)
        {
            await ctx.DoAsync($"check: {check.Name}", async cancellationToken => results.Add(await check.RunAsync(cancellationToken)));
            if (results.Count > 0 && results[^1].Status == SmokeCheckStatus.Failed)
            {
                break;
            }
        }

        if (ctx.IsDryRun)
        {
            return;
        }

        results.AddRange(checks.Skip(results.Count).Select(c => new SmokeCheckResult(c.Name, SmokeCheckStatus.NotRun, TimeSpan.Zero, "an earlier check failed")));
        ctx.Info(SmokeCheckTable.Render(results).TrimEnd('\n'));
        if (results.FirstOrDefault(r => r.Status == SmokeCheckStatus.Failed) is { } failed)
        {
            throw new InvalidOperationException($"E2E check '{failed.Name}' failed: {failed.Detail}. The containers' states and log tails are above; E2ETeardown removes the project.");
        }
    }

    /// <summary>The checks, in order: each builds on the one before (ready, right build, reads, the full round trip).</summary>
    private List<SmokeCheck> SmokeChecks(HttpClient http)
    {
        var created = new Uri("/", UriKind.Relative);
        return
        [
            SmokeCheck.Polling("stack ready: GET /health/ready via the proxy", ReadyTimeout, PollInterval, async cancellationToken =>
            {
                var (status, body) = await TryGetAsync(http, Relative("/health/ready"), cancellationToken);
                return (status == HttpStatusCode.OK, $"{Describe(status)} {Shorten(body)}");
            }),
            new SmokeCheck("fresh build: GET /version", SingleRequestCheckTimeout, async (_, cancellationToken) =>
            {
                var version = await GetJsonAsync(http, Relative("/version"), HttpStatusCode.OK, cancellationToken);
                var reported = version.GetProperty("version").GetString();
                return reported == Identity.Version
                    ? $"version {reported}"
                    : throw new InvalidOperationException($"the api reports version {reported}, but Build made {Identity.Version}: the stack is not running the fresh images");
            }),
            new SmokeCheck("seeded order: GET /orders/{id}", SingleRequestCheckTimeout, async (_, cancellationToken) =>
            {
                var order = await GetJsonAsync(http, Relative($"/orders/{SeededOrderId}"), HttpStatusCode.OK, cancellationToken);
                var item = order.GetProperty("item").GetString();
                return item == "seed-gear" && order.GetProperty("status").GetString() == "processed"
                    ? $"{item}, processed"
                    : throw new InvalidOperationException($"the seeded order {SeededOrderId} reads back as {order}: expected item seed-gear, status processed");
            }),
            new SmokeCheck("new order processed: POST /orders, then GET until processed", ProcessedTimeout, async (progress, cancellationToken) =>
            {
                progress.Saw("POST /orders sent, no answer yet");
                using var response = await http.PostAsJsonAsync(Relative("/orders"), new { item = "e2e-smoke", quantity = 2 }, cancellationToken);
                if (response.StatusCode != HttpStatusCode.Created || response.Headers.Location is not { } location)
                {
                    throw new InvalidOperationException($"POST /orders answered {Describe(response.StatusCode)} {Shorten(await response.Content.ReadAsStringAsync(cancellationToken))}; expected 201 with a Location");
                }

                created = location;
                progress.Saw($"created {location}, status pending");
                while (true)
                {
                    // Processed means the job went API → Redis → Worker → Postgres, and the API reads it back.
                    var order = await GetJsonAsync(http, location, HttpStatusCode.OK, cancellationToken);
                    var status = order.GetProperty("status").GetString();
                    progress.Saw($"{location} status {status}");
                    if (status == "processed")
                    {
                        return $"{location} processed";
                    }

                    await Task.Delay(PollInterval, cancellationToken);
                }
            }),
            new SmokeCheck("listing: GET /orders?limit=5", SingleRequestCheckTimeout, async (_, cancellationToken) =>
            {
                var orders = await GetJsonAsync(http, Relative("/orders?limit=5"), HttpStatusCode.OK, cancellationToken);
                var ids = orders.EnumerateArray().Select(o => o.GetProperty("id").GetString()).ToList();
                return ids.Count > 0 && created.ToString().EndsWith(ids[0]!, StringComparison.Ordinal) && ids.Contains(SeededOrderId)
                    ? $"{ids.Count} orders, newest first"
                    : throw new InvalidOperationException($"GET /orders?limit=5 listed [{string.Join(", ", ids)}]: expected the new order first and the seeded ones after it");
            }),
        ];
    }

    /// <summary>On failure: which containers are unwell, and the tail of their logs (or of the request path's when all look fine).</summary>
    private async Task PrintDiagnosticsAsync(TargetContext ctx, ComposeProject project)
    {
        try
        {
            var containers = ContainerStatus.ParseList((await ctx.QueryAsync(DockerCli.ListContainers(project.Label, Engine))).StandardOutput);
            if (containers.Count == 0)
            {
                ctx.Warning($"No container of {project.Name} exists: it failed before any service started.");
                return;
            }

            ctx.Warning($"Containers of {project.Name}:");
            foreach (var container in containers.OrderBy(c => c.Name, StringComparer.Ordinal))
            {
                ctx.Info($"  {container.Name,-40} {container.State,-10} {container.Status}");
            }

            var services = containers.Where(c => c.NeedsAttention).Select(c => c.Service).ToList();
            if (services.Count == 0)
            {
                services = [.. containers.Select(c => c.Service).Intersect(RequestPathServices)];
            }

            if (services.Count == 0)
            {
                services = [.. containers.Select(c => c.Service)];
            }

            services = [.. services.Where(s => s.Length > 0).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
            ctx.Warning($"Last {LogTailLines} log lines of {string.Join(", ", services)}{(containers.Any(c => c.NeedsAttention) ? " (not running or not healthy)" : " (every container looks healthy)")}:");
            var logs = await ctx.RunAsync(ComposeCli.Logs(project, LogTailLines, services).AcceptingAnyExitCode(), echoOutput: false);
            foreach (var line in ComposeCli.PlainLogs(logs.StandardOutput + logs.StandardError).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                ctx.Info(line.TrimEnd('\r'));
            }
        }
        catch (Exception ex) when (ex is ToolFailedException or ToolNotFoundException or FormatException)
        {
            // Diagnostics must never hide the failure they are meant to explain.
            ctx.Warning($"Could not collect the containers' logs: {ex.Message}");
        }
    }

    /// <summary>Reads <c>127.0.0.1:32769</c> from Compose's <c>port</c>.</summary>
    private static string ParsePublishedAddress(string output)
    {
        var line = output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0);
        return line is not null && line.LastIndexOf(':') is var colon and > 0 && int.TryParse(line[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port > 0
            ? line
            : throw new InvalidOperationException($"compose port {ProxyService} {ProxyPort} printed '{output.Trim()}', expected an address like 127.0.0.1:32769: is the proxy running?");
    }

    /// <summary>One GET while waiting: a refused connection or a slow answer is something seen, not a failure.</summary>
    private static async Task<(HttpStatusCode? Status, string Body)> TryGetAsync(HttpClient http, Uri path, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync(path, cancellationToken);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
        }
        catch (HttpRequestException ex)
        {
            return (null, ex.Message);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, $"no answer within {RequestTimeout.TotalSeconds:0} s");
        }
    }

    private static async Task<JsonElement> GetJsonAsync(HttpClient http, Uri path, HttpStatusCode expected, CancellationToken cancellationToken)
    {
        string body;
        HttpStatusCode status;
        try
        {
            using var response = await http.GetAsync(path, cancellationToken);
            status = response.StatusCode;
            body = await response.Content.ReadAsStringAsync(cancellationToken);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"GET {path}: no answer within {RequestTimeout.TotalSeconds:0} s", ex);
        }

        if (status != expected)
        {
            throw new InvalidOperationException($"GET {path} answered {Describe(status)} {Shorten(body)}; expected {Describe(expected)}");
        }
        using var document = JsonDocument.Parse(body);
        return document.RootElement.Clone();
    }

    private static Uri Relative(string path) => new(path, UriKind.Relative);

    private static string Describe(HttpStatusCode? status) => status is { } code ? ((int)code).ToString(CultureInfo.InvariantCulture) : "no answer:";

    private static string Shorten(string text)
    {
        var line = text.ReplaceLineEndings(" ").Trim();
        return line.Length <= 160 ? line : line[..160] + "…";
    }
}
