using System.Globalization;
using System.Text.Json;
using Slipway.Delivery.Compose;
using Slipway.Environments;
using Slipway.Processes;
using Slipway.Tools.Cosign;
using Slipway.Tools.Docker;
using Slipway.Tools.Registry;

namespace Slipway.Delivery.Gates;

/// <summary>
/// The Docker host of a Compose environment, before anything deploys: the engine answers, is at least
/// <c>delivery.compose.host.min_engine_version</c>, its data root has <c>delivery.compose.host.free_disk</c> free, and
/// (a local engine) the machine has the memory the release's new containers reserve plus <c>memory_margin</c> available.
/// </summary>
internal static class HostCheckGate
{
    private static readonly ByteSize DefaultFreeDisk = ByteSize.Parse("1Gi");
    private static readonly ByteSize DefaultMemoryMargin = ByteSize.Parse("256Mi");

    public static async Task CheckAsync(DeliveryEnvironment environment, IToolSession session)
    {
        if (environment.Environment.Delivery is not { Driver: DeliveryDriver.Compose, Compose: { } compose })
        {
            return;
        }

        var endpoint = ComposeDeployDriver.EndpointOf(environment);
        var required = compose.Host.FreeDisk ?? DefaultFreeDisk;
        if (session.IsDryRun)
        {
            // A dry run contacts no engine (a remote one could be slow or unreachable from here): it says what the real run checks.
            session.Info($"would check the Docker host: {DockerCli.Info(endpoint).ToDisplayString()} answers, engine ≥ {compose.Host.MinEngineVersion}, {required} free on its data root, memory for the release ({MemoryNeeded(environment.Environment, compose.Host.MemoryMargin ?? DefaultMemoryMargin).Parts})");
            return;
        }

        var info = await session.QueryAsync(DockerCli.Info(endpoint).AcceptingAnyExitCode());
        if (info.ExitCode != 0 || Parse(info.StandardOutput) is not { } engine)
        {
            throw new InvalidOperationException($"The Docker engine of {environment.Name} does not answer docker info ({info.Reason}): start it, or point delivery.compose.docker_host at it. Nothing was deployed.");
        }

        var file = environment.EnvironmentFile;
        var problems = new List<string>();
        var minimum = Version.Parse(compose.Host.MinEngineVersion);
        if (LeadingVersion(engine.Version) is { } version && version < minimum)
        {
            problems.Add($"the engine is {engine.Version}, older than {compose.Host.MinEngineVersion} ({file} delivery.compose.host.min_engine_version): upgrade Docker on the host");
        }

        if (IsLocal(endpoint) && Directory.Exists(engine.Root))
        {
            var free = new DriveInfo(engine.Root).AvailableFreeSpace;
            if (free < required.Bytes)
            {
                problems.Add($"the engine's data root {engine.Root} has {Gibibytes(free)} free, and {file} delivery.compose.host.free_disk asks for {Gibibytes(required.Bytes)} ({required}): free space on the host (docker system prune, a larger disk) or lower the requirement");
            }
            else
            {
                session.Info($"{environment.Name}: Docker {engine.Version}, {Gibibytes(free)} free on {engine.Root} (free_disk {required}).");
            }
        }
        else
        {
            session.Warning($"{environment.Name}: the engine's data root {engine.Root} is on another machine, so its free disk ({required} asked) is not measured here.");
        }

        if (IsLocal(endpoint) && AvailableMemory() is { } available)
        {
            var (needed, parts) = MemoryNeeded(environment.Environment, compose.Host.MemoryMargin ?? DefaultMemoryMargin);
            if (available < needed)
            {
                problems.Add($"the host has {Gibibytes(available)} of memory available, and the release needs {Gibibytes(needed)} ({parts}): free memory on the host (stop other stacks), or lower services.*.resources.requests.memory or {file} delivery.compose.host.memory_margin");
            }
            else
            {
                session.Info($"{environment.Name}: {Gibibytes(available)} of memory available, the release needs {Gibibytes(needed)} ({parts}).");
            }
        }
        else
        {
            session.Warning($"{environment.Name}: the engine is on another machine, so its free memory is not measured here.");
        }

        if (problems.Count > 0)
        {
            throw new InvalidOperationException($"The Docker host of {environment.Name} is not ready: {string.Join("; ", problems)}. Nothing was deployed.");
        }
    }

    /// <summary>
    /// How much larger an image is on the host's disk than its compressed layers in the registry: unpacked layers take about
    /// 2.3 times their compressed size on the sample's images (api: 278.6 MB inspected against 120.1 MB in the registry).
    /// </summary>
    internal const double UnpackFactor = 2.5;

    /// <summary>
    /// Once the release is known: the images it runs that the Docker host does not hold yet (<c>docker image inspect</c> on
    /// that engine) are pulled by the deploy, so their unpacked size (the registry manifest's layer sizes ×
    /// <see cref="UnpackFactor"/>) must fit on the data root beside <c>free_disk</c>. Refused before the lock, naming each
    /// image and its size; an image the registry cannot size is said, not guessed.
    /// </summary>
    public static async Task CheckRoomForImagesAsync(DeliveryEnvironment environment, IToolSession session, IReadOnlyDictionary<string, string> images)
    {
        if (environment.Environment.Delivery is not { Driver: DeliveryDriver.Compose, Compose: { } compose })
        {
            return;
        }

        var endpoint = ComposeDeployDriver.EndpointOf(environment);
        var required = compose.Host.FreeDisk ?? DefaultFreeDisk;
        if (session.IsDryRun)
        {
            session.Info($"would size the release's images the Docker host does not hold yet ({DockerCli.ImageInspect("<image>", endpoint).ToDisplayString()}, else the registry manifest's layer sizes × {UnpackFactor.ToString(CultureInfo.InvariantCulture)}) and check they fit beside free_disk {required}");
            return;
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var missing = new List<(string Service, long Bytes)>();
        var unsized = new List<string>();
        foreach (var (service, reference) in images.OrderBy(i => i.Key, StringComparer.Ordinal))
        {
            if ((await session.QueryAsync(DockerCli.ImageInspect(reference, endpoint))).ExitCode == 0)
            {
                continue;
            }

            var image = ImageDigestReference.Parse(reference);
            var slash = image.Image.IndexOf('/', StringComparison.Ordinal);
            var size = slash > 0 ? await RegistryOf(environment, image.Image[..slash], http).GetImageDownloadSizeAsync(image.Image[(slash + 1)..], image.Digest, session.CancellationToken) : null;
            if (size is { } compressed)
            {
                missing.Add((service, (long)(compressed * UnpackFactor)));
            }
            else
            {
                unsized.Add(service);
            }
        }

        if (unsized.Count > 0)
        {
            session.Warning($"{environment.Name}: the registry states no size for the image(s) of {string.Join(", ", unsized)}, which the Docker host does not hold yet: the disk check counts them as nothing.");
        }

        if (missing.Count == 0)
        {
            session.Info($"{environment.Name}: the Docker host holds every image of the release{(unsized.Count > 0 ? " it could size" : string.Empty)}: nothing to pull.");
            return;
        }

        var parts = string.Join(" + ", missing.Select(m => $"{m.Service} {Gibibytes(m.Bytes)}")) + $" + free_disk {required}";
        var needed = missing.Sum(m => m.Bytes) + required.Bytes;
        if (!IsLocal(endpoint) || EngineRoot(await session.QueryAsync(DockerCli.Info(endpoint).AcceptingAnyExitCode())) is not { } root || !Directory.Exists(root))
        {
            session.Warning($"{environment.Name}: the release pulls {parts[..parts.LastIndexOf(" + ", StringComparison.Ordinal)]} onto a Docker host on another machine, whose free disk is not measured here.");
            return;
        }

        var free = new DriveInfo(root).AvailableFreeSpace;
        if (free < needed)
        {
            throw new InvalidOperationException(
                $"The Docker host of {environment.Name} is not ready: its data root {root} has {Gibibytes(free)} free, and the release needs {Gibibytes(needed)} ({parts}; images the host does not hold yet, unpacked): "
                + $"free space on the host (docker system prune, a larger disk) or lower {environment.EnvironmentFile} delivery.compose.host.free_disk. Nothing was deployed.");
        }

        session.Info($"{environment.Name}: {Gibibytes(free)} free on {root}, the release needs {Gibibytes(needed)} ({parts}).");
    }

    /// <summary>
    /// What the release's new containers reserve (each service's memory request, else its limit, times its replicas: a
    /// rollout starts them beside the running ones) plus <paramref name="margin"/>, and how that adds up, for messages.
    /// </summary>
    internal static (long Bytes, string Parts) MemoryNeeded(DeployEnvironment environment, ByteSize margin)
    {
        var total = margin.Bytes;
        var parts = new List<string>();
        foreach (var (name, service) in environment.Services.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            if ((service.Resources.Requests?.Memory ?? service.Resources.Limits?.Memory) is { } memory)
            {
                total += memory.Bytes * service.Replicas;
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"{name} {service.Replicas} × {memory}"));
            }
        }

        parts.Add($"memory_margin {margin}");
        return (total, string.Join(" + ", parts));
    }

    /// <summary>MemAvailable of this machine (/proc/meminfo), or null where there is none.</summary>
    private static long? AvailableMemory()
    {
        const string MemInfo = "/proc/meminfo";
        if (!File.Exists(MemInfo))
        {
            return null;
        }

        var line = File.ReadLines(MemInfo).FirstOrDefault(l => l.StartsWith("MemAvailable:", StringComparison.Ordinal));
        var fields = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields is { Length: >= 2 } && long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var kibibytes) ? kibibytes * 1024 : null;
    }

    private static bool IsLocal(DockerEndpoint endpoint) =>
        endpoint.Context is null && (endpoint.Host is null || endpoint.Host.StartsWith("unix://", StringComparison.Ordinal));

    private static string Gibibytes(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024 * 1024):0.0} GiB");

    private static Version? LeadingVersion(string text)
    {
        var parts = text.Split('.', '-', '+');
        return parts.Length >= 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var major)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var minor)
            ? new Version(major, minor)
            : null;
    }

    /// <summary>The registry an image comes from, with the matrix's credentials when it is the environment's registry.</summary>
    private static RegistryClient RegistryOf(DeliveryEnvironment environment, string host, HttpClient http) =>
        environment.Environment.Registry is { Username: { } username, Password: { } password } registry && string.Equals(registry.Address, host, StringComparison.OrdinalIgnoreCase)
            ? new RegistryClient(http, host, new RegistryCredentials(environment.Resolve(username, dryRun: false).Reveal(), environment.Resolve(password, dryRun: false)))
            : new RegistryClient(http, host);

    private static string? EngineRoot(ToolResult info) => info.ExitCode == 0 ? Parse(info.StandardOutput)?.Root : null;

    private static (string Root, string Version)? Parse(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            return root.TryGetProperty("DockerRootDir", out var dir) && dir.GetString() is { Length: > 0 } path
                && root.TryGetProperty("ServerVersion", out var version) && version.GetString() is { Length: > 0 } server
                ? (path, server)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
