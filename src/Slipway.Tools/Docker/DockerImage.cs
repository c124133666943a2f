using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Slipway.Processes;

namespace Slipway.Tools.Docker;

/// <summary>The parts of <c>docker image inspect</c> a pipeline needs. Property names are Docker's JSON names.</summary>
/// <param name="Id">The image id, <c>sha256:…</c> (the config digest, not a registry digest).</param>
/// <param name="RepoTags">Local tags, e.g. <c>127.0.0.1:5000/slipway/api:1.0.0</c>.</param>
/// <param name="RepoDigests">Registry digests, e.g. <c>127.0.0.1:5000/slipway/api@sha256:…</c>; empty until pushed or pulled.</param>
/// <param name="Labels">The image's labels (<c>Config.Labels</c>), sorted by key.</param>
/// <param name="Created">When the image was built.</param>
public sealed record DockerImage(
    string Id,
    ImmutableArray<string> RepoTags,
    ImmutableArray<string> RepoDigests,
    ImmutableSortedDictionary<string, string> Labels,
    DateTimeOffset Created)
{
    /// <summary>The image's environment (<c>Config.Env</c>), e.g. <c>DOTNET_VERSION</c> of .NET base images.</summary>
    public ImmutableSortedDictionary<string, string> Environment { get; init; } = ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// The image's layers, lowest first (<c>RootFS.Layers</c>: the diff IDs, content digests of each uncompressed layer).
    /// An image built FROM another starts with all of that image's layers.
    /// </summary>
    public ImmutableArray<string> Layers { get; init; } = [];

    /// <summary>
    /// Parses the output of <c>docker image inspect --format {{json .}}</c> (one object per line; the first is
    /// read) or of plain <c>docker image inspect</c> (an array; the first element is read).
    /// </summary>
    /// <exception cref="FormatException">The text is not an image inspection.</exception>
    public static DockerImage Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var first = json.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0)
            ?? throw new FormatException("docker image inspect printed nothing; expected a JSON object.");
        if (first.StartsWith('['))
        {
            // Plain `docker image inspect` pretty-prints an array over many lines: parse the whole text.
            first = json;
        }

        try
        {
            using var document = JsonDocument.Parse(first);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Array)
            {
                root = root.EnumerateArray().FirstOrDefault();
            }

            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException($"docker image inspect printed {root.ValueKind}, expected an object.");
            }

            var id = root.TryGetProperty(nameof(Id), out var idElement) && idElement.ValueKind == JsonValueKind.String
                ? idElement.GetString()!
                : throw new FormatException("docker image inspect output has no \"Id\".");
            var labels = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
            if (root.TryGetProperty("Config", out var config) && config.ValueKind == JsonValueKind.Object
                && config.TryGetProperty(nameof(Labels), out var labelElement) && labelElement.ValueKind == JsonValueKind.Object)
            {
                foreach (var label in labelElement.EnumerateObject())
                {
                    labels[label.Name] = label.Value.GetString() ?? string.Empty;
                }
            }

            var environment = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
            if (config.ValueKind == JsonValueKind.Object && config.TryGetProperty("Env", out var envElement) && envElement.ValueKind == JsonValueKind.Array)
            {
                foreach (var entry in envElement.EnumerateArray().Select(e => e.GetString() ?? string.Empty))
                {
                    var equals = entry.IndexOf('=', StringComparison.Ordinal);
                    if (equals > 0)
                    {
                        environment[entry[..equals]] = entry[(equals + 1)..];
                    }
                }
            }

            return new DockerImage(
                id,
                Strings(root, nameof(RepoTags)),
                Strings(root, nameof(RepoDigests)),
                labels.ToImmutable(),
                root.TryGetProperty(nameof(Created), out var created) && created.ValueKind == JsonValueKind.String
                    ? ParseTimestamp(created.GetString()!)
                    : default)
            {
                Environment = environment.ToImmutable(),
                Layers = root.TryGetProperty("RootFS", out var rootFs) && rootFs.ValueKind == JsonValueKind.Object ? Strings(rootFs, nameof(Layers)) : [],
            };
        }
        catch (JsonException e)
        {
            throw new FormatException($"docker image inspect printed invalid JSON: {e.Message}", e);
        }
    }

    /// <summary>
    /// Reads the result of <see cref="DockerCli.ImageInspect"/>: the image, or null when the engine says there
    /// is no such image.
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// Exit code 1 for another reason (the daemon is unreachable, say): that must not read as "image missing".
    /// </exception>
    public static DockerImage? TryParseInspect(ToolResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.ExitCode == 0)
        {
            return Parse(result.StandardOutput);
        }

        // Older engines say "Error response from daemon: No such image: x", newer ones "Error: No such image: x".
        if (result.StandardError.Contains("No such image", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var tail = string.Join(System.Environment.NewLine, ToolFailedException.Tail(result.StandardError, ToolFailedException.StderrTailLines));
        throw new InvalidOperationException(
            $"docker image inspect failed with exit code {result.ExitCode}, and not because the image is missing:{System.Environment.NewLine}{tail}");
    }

    private static ImmutableArray<string> Strings(JsonElement root, string property) =>
        root.TryGetProperty(property, out var element) && element.ValueKind == JsonValueKind.Array
            ? [.. element.EnumerateArray().Select(e => e.GetString()).OfType<string>()]
            : [];

    /// <summary>
    /// Docker prints RFC 3339 with nanoseconds (<c>2025-05-30T12:07:14.123456789Z</c>); .NET reads at most
    /// seven fractional digits, so the rest (below 100 ns) is dropped first.
    /// </summary>
    private static DateTimeOffset ParseTimestamp(string text)
    {
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        if (dot >= 0)
        {
            var end = dot + 1;
            while (end < text.Length && char.IsAsciiDigit(text[end]))
            {
                end++;
            }

            if (end - dot - 1 > 7)
            {
                text = string.Concat(text.AsSpan(0, dot + 8), text.AsSpan(end));
            }
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value)
            ? value
            : throw new FormatException($"docker image inspect printed a Created time '{text}' that is not RFC 3339.");
    }
}
