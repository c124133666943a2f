using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Slipway.Delivery.Compose;
using Slipway.Environments;
using Slipway.Processes;
using Slipway.Targets;
using Slipway.Tools.Compose;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Components;

/// <summary>What a smoke check can reach: the stack through its proxy, the release that was built, and the environment.</summary>
/// <param name="Http">A client whose base address is the proxy; in a dry run it has none, and checks are only named.</param>
/// <param name="Release">The release Build made.</param>
/// <param name="Environment">The environment whose images run.</param>
public sealed record SmokeCheckContext(HttpClient Http, ReleaseIdentity Release, DeployEnvironment Environment)
{
    /// <summary>
    /// Per service, the version its image carries (labels, APP_VERSION): <see cref="ReleaseIdentity.Version"/>, or, for an
    /// image Build reused because its content had not changed (uncommitted work in another service), the version it was
    /// built as. A check that the stack runs the fresh images compares against this.
    /// </summary>
    public IReadOnlyDictionary<string, string> ImageVersions { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);
}

/// <summary>
/// E2ESmoke: the freshly built images as a throwaway Compose project under a unique name (the environment's stack plus
/// an overlay: seeded, nothing persistent), checked end to end through the proxy, and always removed by E2ETeardown.
/// The checks are a hook: the default waits until the stack is ready; a pipeline adds its application's own.
/// </summary>
public interface IE2ESmoke : IBuildImages
{
    /// <summary>How many log lines of each unwell container a failure prints.</summary>
    const int LogTailLines = 40;

    /// <summary>How long one request of a check may take.</summary>
    static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Hook: the Compose files of the throwaway stack; by default the environment's, then <c>compose/compose.test.yml</c> when it exists.</summary>
    IEnumerable<string> E2EComposeFiles =>
        [.. CurrentEnvironment.Delivery.Compose?.Files ?? ["compose/stack.yml"], .. File.Exists(Path.Combine(RootDirectory, "compose", "compose.test.yml")) ? ["compose/compose.test.yml"] : Array.Empty<string>()];

    /// <summary>Hook: the one-off services run before the stack starts, in order, each in a profile of its name; by default the migrations.</summary>
    IEnumerable<string> E2EOneOffs => CurrentEnvironment.Data.Migrations.Enabled ? [CurrentEnvironment.Data.Migrations.Service] : [];

    /// <summary>Hook: variables passed through to the stack when set (with a warning), e.g. the application's fault injection.</summary>
    IEnumerable<string> E2EPassThroughVariables => [];

    /// <summary>Hook: the checks, in order; each builds on the one before. By default <see cref="ReadyCheck"/>.</summary>
    IEnumerable<SmokeCheck> SmokeChecks(SmokeCheckContext stack) => [ReadyCheck(stack)];

    /// <summary>Waits (up to 60 s) until the routed service's readiness path answers 200 through the proxy.</summary>
    SmokeCheck ReadyCheck(SmokeCheckContext stack)
    {
        ArgumentNullException.ThrowIfNull(stack);
        var routed = stack.Environment.Ingress?.Backend;
        var path = (routed is null ? null : stack.Environment.Services[routed].Health?.Readiness) ?? "/";
        return SmokeCheck.Polling($"stack ready: GET {path} via the proxy", TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(250), async cancellationToken =>
        {
            var (status, body) = await SmokeHttp.TryGetAsync(stack.Http, path, cancellationToken);
            return (status == HttpStatusCode.OK, $"{SmokeHttp.Describe(status)} {SmokeHttp.Shorten(body)}");
        });
    }

    /// <summary>Runs the fresh images as a throwaway stack and checks it end to end.</summary>
    Target E2ESmoke => _ => _
        .Describe("Run the freshly built images as a seeded, throwaway Compose stack under a unique project name and check it end to end through the proxy; on failure print the tail of the failing containers' logs")
        .DependsOn(Build)
        .After<IMachine>(x => x.Provision)
        .UsesEnvironment(this)
        .Finally(E2ETeardown)
        .Executes(RunE2ESmokeAsync);

    /// <summary>Removes E2ESmoke's project, after success, failure or cancellation.</summary>
    Target E2ETeardown => _ => _
        .Describe("Remove E2ESmoke's Compose project (containers, networks, volumes); runs after E2ESmoke even when it failed or was cancelled")
        .Executes(TearDownE2EAsync);

    private E2EState E2E => RunState(() => new E2EState());

    private ProxySettings Proxy => CurrentEnvironment.Delivery.Compose?.Proxy ?? new ProxySettings();

    private async Task RunE2ESmokeAsync(TargetContext ctx)
    {
        await ResolveVersionAsync(ctx);
        var project = await E2EProjectAsync(ctx);
        ctx.Info($"Compose project {project.Name} on {Engine.Host ?? "Docker's default endpoint"}");

        // Checked before anything exists on the engine, so these failures leave nothing to tear down.
        var oneOffs = E2EOneOffs.ToList();
        await ctx.RunAsync(ComposeCli.Config(project, oneOffs));
        if (!ctx.IsDryRun)
        {
            await RequireBuiltImagesAsync(ctx);
        }

        E2E.Project = project;
        E2E.Profiles = oneOffs;
        try
        {
            // The one-offs (schema, seed rows) first, then the long-running services.
            foreach (var oneOff in oneOffs)
            {
                await ctx.RunAsync(ComposeCli.Run(project, oneOff, profiles: [oneOff]));
            }

            await ctx.RunAsync(ComposeCli.Up(project));

            // PROXY_PORT=0: Docker picked a free port; ask which.
            var port = await ctx.RunAsync(ComposeCli.Port(project, Proxy.Service, Proxy.ListenPort), echoOutput: false);
            var address = ctx.IsDryRun ? $"127.0.0.1:<port of {Proxy.Service} {Proxy.ListenPort}>" : ParsePublishedAddress(port.StandardOutput);
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
        if (E2E.Project is not { } project)
        {
            ctx.Skip("E2ESmoke created no Compose project in this run: nothing to remove");
            return;
        }

        await ctx.RunAsync(ComposeCli.Down(project, volumes: true, profiles: E2E.Profiles));
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

            var generated = ctx.PathOf(Path.Combine(Pipeline.StateDirectoryName, "e2e", project.Name));
            if (Directory.Exists(generated))
            {
                Directory.Delete(generated, recursive: true);
            }

            ctx.Info($"Removed {project.Name}: no container of it is left.");
        }
    }

    /// <summary>A project of its own per run: parallel runs, and leftovers of killed ones, never share anything.</summary>
    private async Task<ComposeProject> E2EProjectAsync(TargetContext ctx)
    {
        var name = "slipway-e2e-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var proxyConfig = ctx.PathOf(Path.Combine(Pipeline.StateDirectoryName, "e2e", name, "haproxy.cfg"));
        await ctx.DoAsync($"write {Path.GetRelativePath(RootDirectory, proxyConfig)}", () =>
        {
            Directory.CreateDirectory(Path.GetDirectoryName(proxyConfig)!);
            // The smoke stack is throwaway and local: plain HTTP (its files mount no certificate), the rest as the environment says.
            File.WriteAllText(proxyConfig, HaproxyConfiguration.Render(CurrentEnvironment with { Security = CurrentEnvironment.Security with { TlsMode = TlsMode.Off } }));
        });
        var password = new Secret(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), "E2ESmoke's database password");
        var project = ComposeDeployDriver.StackVariables(new ComposeProject(name, E2EComposeFiles, Engine).WithDriver(await ComposeDriverAsync(ctx)), CurrentEnvironment, proxyConfig, password, proxyPort: 0, statsPort: 0);
        foreach (var service in Services)
        {
            // The images Build just made, by local tag: nothing is pulled or pushed.
            project = project.WithVariable(CurrentEnvironment.Delivery.Compose?.ImageVariableOf(service.Name) ?? service.Name.ToUpperInvariant() + "_IMAGE", ImageTags(service)[0]);
        }

        foreach (var variable in E2EPassThroughVariables)
        {
            if (Variables.TryGetValue(variable, out var value) && value.Length > 0)
            {
                ctx.Warning($"{variable}={value} is set: the stack runs with it, so checks may be expected to fail.");
                project = project.WithVariable(variable, value);
            }
        }

        return project;
    }

    private async Task RequireBuiltImagesAsync(TargetContext ctx)
    {
        foreach (var service in Services)
        {
            var tag = ImageTags(service)[0];
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

        var checks = SmokeChecks(new SmokeCheckContext(http, ReleaseIdentity, CurrentEnvironment) { ImageVersions = BuiltVersions(ctx) }).ToList();
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

    /// <summary>On failure: which containers are unwell, and the tail of their logs (or of the application's when all look fine).</summary>
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
                services = [.. containers.Select(c => c.Service).Intersect(Services.Select(s => s.Name))];
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
    private string ParsePublishedAddress(string output)
    {
        var line = output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0);
        return line is not null && line.LastIndexOf(':') is var colon and > 0 && int.TryParse(line[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port > 0
            ? line
            : throw new InvalidOperationException($"compose port {Proxy.Service} {Proxy.ListenPort} printed '{output.Trim()}', expected an address like 127.0.0.1:32769: is the proxy running?");
    }
}

/// <summary>E2ESmoke's project in this run: set just before it creates anything on the engine, removed by E2ETeardown.</summary>
internal sealed class E2EState
{
    public ComposeProject? Project { get; set; }

    public IReadOnlyList<string> Profiles { get; set; } = [];
}
