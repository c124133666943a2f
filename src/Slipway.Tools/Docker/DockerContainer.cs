using System.Text.Json;

namespace Slipway.Tools.Docker;

/// <summary>
/// What a deploy needs to know of one container, read from <c>docker container inspect</c>: identity, the Compose
/// service and number it belongs to, its image, its state and health, and its addresses on its networks.
/// </summary>
/// <param name="Id">The full container ID.</param>
/// <param name="Name">The name without Docker's leading slash (<c>slipway-dev-api-3</c> from Compose v2, <c>slipway-dev_api_3</c> from v1); only shown, never parsed.</param>
/// <param name="Image">The image reference the container was created from (<c>Config.Image</c>).</param>
/// <param name="Status">created, running, restarting, exited, …</param>
/// <param name="Health">starting, healthy or unhealthy; null when the image has no healthcheck.</param>
/// <param name="ExitCode">The exit code of the last run.</param>
/// <param name="Labels">The container's labels.</param>
/// <param name="Addresses">IPv4 address per network name.</param>
/// <param name="LastHealthOutput">The output of the last health probe, for error messages.</param>
public sealed record DockerContainer(
    string Id,
    string Name,
    string Image,
    string Status,
    string? Health,
    int ExitCode,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyDictionary<string, string> Addresses,
    string? LastHealthOutput = null)
{
    /// <summary>The Compose service label.</summary>
    public const string ComposeServiceLabel = "com.docker.compose.service";

    /// <summary>The Compose project label.</summary>
    public const string ComposeProjectLabel = "com.docker.compose.project";

    /// <summary>The 12-character short ID people see in <c>docker ps</c>.</summary>
    public string ShortId => Id.Length > 12 ? Id[..12] : Id;

    /// <summary>True when running and, if the image has a healthcheck, healthy.</summary>
    public bool IsReady => Status == "running" && Health is null or "healthy";

    /// <summary>True when it can no longer become ready: stopped, dead, or reported unhealthy.</summary>
    public bool HasFailed => Status is "exited" or "dead" || Health == "unhealthy";

    /// <summary>Its Compose service, if any.</summary>
    public string? ComposeService => Labels.GetValueOrDefault(ComposeServiceLabel);

    /// <summary>Parses the JSON array <c>docker container inspect ID…</c> prints (without <c>--format</c>).</summary>
    /// <exception cref="FormatException">The text is not such an array.</exception>
    public static IReadOnlyList<DockerContainer> ParseInspectArray(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw new FormatException("docker container inspect printed something other than a JSON array.");
            }

            return [.. document.RootElement.EnumerateArray().Select(Parse)];
        }
        catch (JsonException e)
        {
            throw new FormatException($"docker container inspect printed invalid JSON: {e.Message}", e);
        }
    }

#pragma warning disable CA1507 // These are Docker's JSON field names; that some equal our property names is a coincidence.
    private static DockerContainer Parse(JsonElement element)
    {
        var state = element.GetProperty("State");
        string? health = null;
        string? lastOutput = null;
        if (state.TryGetProperty("Health", out var healthElement) && healthElement.ValueKind == JsonValueKind.Object)
        {
            health = healthElement.GetProperty("Status").GetString();
            if (healthElement.TryGetProperty("Log", out var log) && log.ValueKind == JsonValueKind.Array && log.GetArrayLength() > 0)
            {
                lastOutput = log[log.GetArrayLength() - 1].TryGetProperty("Output", out var output) ? output.GetString()?.Trim() : null;
            }
        }

        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (element.GetProperty("Config").TryGetProperty("Labels", out var labelElement) && labelElement.ValueKind == JsonValueKind.Object)
        {
            foreach (var label in labelElement.EnumerateObject())
            {
                labels[label.Name] = label.Value.GetString() ?? string.Empty;
            }
        }

        var addresses = new Dictionary<string, string>(StringComparer.Ordinal);
        if (element.GetProperty("NetworkSettings").TryGetProperty("Networks", out var networks) && networks.ValueKind == JsonValueKind.Object)
        {
            foreach (var network in networks.EnumerateObject())
            {
                if (network.Value.TryGetProperty("IPAddress", out var ip) && ip.GetString() is { Length: > 0 } address)
                {
                    addresses[network.Name] = address;
                }
            }
        }

        return new DockerContainer(
            element.GetProperty("Id").GetString()!,
            element.GetProperty("Name").GetString()!.TrimStart('/'),
            element.GetProperty("Config").GetProperty("Image").GetString() ?? string.Empty,
            state.GetProperty("Status").GetString() ?? "unknown",
            health,
            state.TryGetProperty("ExitCode", out var exit) ? exit.GetInt32() : 0,
            labels,
            addresses,
            lastOutput);
    }
#pragma warning restore CA1507
}
