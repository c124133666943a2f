using System.Text.Json;

namespace Slipway.Tools.Registry;

/// <summary>What a manifest body says about the bytes a pull downloads: a size, the platform manifest to ask next, or nothing.</summary>
internal abstract record ManifestSizes
{
    /// <summary>A single-platform manifest: its config and layers, compressed.</summary>
    public sealed record Size(long Bytes) : ManifestSizes;

    /// <summary>An index: the manifest of <c>linux/amd64</c> (else the first) holds the sizes.</summary>
    public sealed record Platform(string Digest) : ManifestSizes;

    /// <summary>Neither: not JSON, or without the sizes a manifest must state.</summary>
    public sealed record Unreadable : ManifestSizes;

    public static ManifestSizes Read(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return new Unreadable();
            }

            if (root.TryGetProperty("manifests", out var manifests) && manifests.ValueKind == JsonValueKind.Array)
            {
                var entries = manifests.EnumerateArray().Where(m => m.ValueKind == JsonValueKind.Object).ToList();
                var chosen = entries.FirstOrDefault(IsLinuxAmd64);
                chosen = chosen.ValueKind == JsonValueKind.Object ? chosen : entries.FirstOrDefault();
                return chosen.ValueKind == JsonValueKind.Object && chosen.TryGetProperty("digest", out var digest) && digest.GetString() is { Length: > 0 } d
                    ? new Platform(d)
                    : new Unreadable();
            }

            if (!root.TryGetProperty("layers", out var layers) || layers.ValueKind != JsonValueKind.Array
                || !root.TryGetProperty("config", out var config) || SizeOf(config) is not { } total)
            {
                return new Unreadable();
            }

            foreach (var layer in layers.EnumerateArray())
            {
                if (SizeOf(layer) is not { } size)
                {
                    return new Unreadable();
                }

                total += size;
            }

            return new Size(total);
        }
        catch (JsonException)
        {
            return new Unreadable();
        }
    }

    private static long? SizeOf(JsonElement descriptor) =>
        descriptor.ValueKind == JsonValueKind.Object && descriptor.TryGetProperty("size", out var size) && size.TryGetInt64(out var bytes) && bytes >= 0 ? bytes : null;

    private static bool IsLinuxAmd64(JsonElement manifest) =>
        manifest.TryGetProperty("platform", out var platform) && platform.ValueKind == JsonValueKind.Object
        && platform.TryGetProperty("os", out var os) && os.ValueEquals("linux")
        && platform.TryGetProperty("architecture", out var architecture) && architecture.ValueEquals("amd64");
}
