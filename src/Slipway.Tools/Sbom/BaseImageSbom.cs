using System.Collections.Frozen;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Slipway.Processes;
using Slipway.Tools.Docker;

namespace Slipway.Tools.Sbom;

/// <summary>
/// An image's SBOM made from the SBOM of the image it was built FROM. cdxgen inventories an image by unpacking all of it:
/// for an application on a 270 MB runtime image that is half a minute, spent again on every build for the same base
/// packages. When everything the Dockerfile did above its base only copied its build context in or set metadata (COPY,
/// ENV, LABEL, USER, …), the base's SBOM, made once per base image ID, describes the operating system and runtime
/// exactly, and the files copied in are the published application that the project SBOM describes
/// (<see cref="ImageSbomEnrichment.Enrich"/> adds it). An instruction that runs a command (RUN) can install anything, so
/// an image with one above its base is inventoried whole; so is one whose layers or history do not continue its base's,
/// and one whose Dockerfile has an ADD or a COPY --from (<see cref="WhyNotOnlyFromContext"/>: its history cannot tell
/// them from a plain COPY, yet they bring in files of a URL, an archive or another image).
/// </summary>
public static class BaseImageSbom
{
    private static readonly FrozenSet<string> FileAndMetadataInstructions = new[]
    {
        "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "HEALTHCHECK", "LABEL", "MAINTAINER", "ONBUILD", "SHELL",
        "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>
    /// Why the SBOM of <paramref name="baseImage"/> cannot stand for <paramref name="image"/>'s operating system, or null
    /// when it can: the image's layers start with all of the base's, its history (newest first, from
    /// <see cref="DockerImageHistory.Parse"/>) ends with the base's, and every step above the base copies files or sets
    /// metadata.
    /// </summary>
    public static string? WhyNotReusable(DockerImage image, IReadOnlyList<string> imageHistory, DockerImage baseImage, IReadOnlyList<string> baseHistory)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(imageHistory);
        ArgumentNullException.ThrowIfNull(baseImage);
        ArgumentNullException.ThrowIfNull(baseHistory);
        if (baseImage.Layers.IsEmpty || image.Layers.Length < baseImage.Layers.Length || !image.Layers.Take(baseImage.Layers.Length).SequenceEqual(baseImage.Layers, StringComparer.Ordinal))
        {
            return $"its layers do not start with those of its base image {Short(baseImage.Id)}";
        }

        var above = imageHistory.Count - baseHistory.Count;
        if (above < 0 || !imageHistory.Skip(above).SequenceEqual(baseHistory, StringComparer.Ordinal))
        {
            return $"its history does not continue that of its base image {Short(baseImage.Id)}";
        }

        if (above == 0 && image.Layers.Length > baseImage.Layers.Length)
        {
            return $"its history records no step above its base image {Short(baseImage.Id)}, although it has layers of its own";
        }

        return imageHistory.Take(above).FirstOrDefault(step => !CopiesFilesOrSetsMetadata(step)) is { } command
            ? $"its Dockerfile runs a command above the base image: {PrintableText.Quote(Instruction(command))}"
            : null;
    }

    /// <summary>
    /// Why the files a Dockerfile puts into its image may be more than its build context (the <c>dotnet publish</c> output the
    /// project SBOM describes), or null when they cannot: an <c>ADD</c> (it fetches URLs and unpacks archives) or a
    /// <c>COPY --from</c> (files of another image or stage) anywhere in it. Image history cannot tell these apart from a
    /// plain COPY, so <see cref="WhyNotReusable"/> alone is not enough; read the Dockerfile the image was built from.
    /// </summary>
    public static string? WhyNotOnlyFromContext(string dockerfile)
    {
        ArgumentNullException.ThrowIfNull(dockerfile);
        var lines = dockerfile.ReplaceLineEndings("\n").Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var number = i + 1;
            var instruction = lines[i].Trim();
            if (instruction.Length == 0 || instruction[0] == '#')
            {
                continue;
            }

            // A continued instruction: its flags are on its first line, but a later line may hold one as well.
            while (instruction.EndsWith('\\') && i + 1 < lines.Length)
            {
                instruction = instruction[..^1] + " " + lines[++i].Trim();
            }

            var words = instruction.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            var keyword = words[0].ToUpperInvariant();
            if (keyword == "ADD")
            {
                return $"its Dockerfile's ADD (line {number.ToString(CultureInfo.InvariantCulture)}) can fetch URLs and unpack archives";
            }

            if (keyword == "COPY" && words.Skip(1).TakeWhile(w => w.StartsWith("--", StringComparison.Ordinal)).FirstOrDefault(w => w.StartsWith("--from", StringComparison.OrdinalIgnoreCase)) is { } from)
            {
                return $"its Dockerfile's COPY {PrintableText.Quote(from)} (line {number.ToString(CultureInfo.InvariantCulture)}) copies files of another image or stage";
            }
        }

        return null;
    }

    /// <summary>
    /// The instruction of a history step without the classic builder's <c>/bin/sh -c #(nop)</c> prefix and BuildKit's
    /// <c># buildkit</c> suffix: <c>COPY dir:… in /app/</c>, <c>RUN /bin/sh -c make</c>, <c>/bin/sh -c make</c> (a classic RUN).
    /// </summary>
    public static string Instruction(string createdBy)
    {
        ArgumentNullException.ThrowIfNull(createdBy);
        var text = createdBy.Trim();
        const string Nop = "/bin/sh -c #(nop)";
        text = text.StartsWith(Nop, StringComparison.Ordinal) ? text[Nop.Length..].TrimStart() : text;
        const string BuildKit = "# buildkit";
        return text.EndsWith(BuildKit, StringComparison.Ordinal) ? text[..^BuildKit.Length].TrimEnd() : text;
    }

    /// <summary>
    /// <paramref name="baseSbomJson"/> (cdxgen's SBOM of <paramref name="baseImage"/>) as the SBOM of
    /// <paramref name="image"/>: a new serial number and timestamp, the image's <c>oci:image:*</c> properties in place of
    /// the base's, and <c>slipway:base-image:*</c> properties saying which base SBOM it was made from. Its components
    /// are the base's; add the application's with <see cref="ImageSbomEnrichment.Enrich"/>.
    /// </summary>
    /// <exception cref="FormatException">The base SBOM is not a JSON object.</exception>
    public static string Rebase(string baseSbomJson, DockerImage image, string imageReference, DockerImage baseImage, string baseReference, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(baseSbomJson);
        ArgumentNullException.ThrowIfNull(image);
        ArgumentException.ThrowIfNullOrWhiteSpace(imageReference);
        ArgumentNullException.ThrowIfNull(baseImage);
        ArgumentException.ThrowIfNullOrWhiteSpace(baseReference);
        JsonObject document;
        try
        {
            document = JsonNode.Parse(baseSbomJson) as JsonObject ?? throw new FormatException("The base image SBOM is not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new FormatException($"The base image SBOM is not JSON: {e.Message}", e);
        }

        document["serialNumber"] = $"urn:uuid:{Guid.NewGuid()}";
        if (document["metadata"] is not JsonObject metadata)
        {
            metadata = new JsonObject();
            document["metadata"] = metadata;
        }

        metadata["timestamp"] = now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var properties = new JsonArray();
        foreach (var kept in (metadata["properties"] as JsonArray ?? []).OfType<JsonObject>().Where(p => !(p["name"] is JsonValue name && name.TryGetValue<string>(out var text) && text.StartsWith("oci:image:", StringComparison.Ordinal))))
        {
            properties.Add(kept.DeepClone());
        }

        foreach (var (name, value) in new[]
        {
            ("oci:image:Id", image.Id),
            ("oci:image:RepoTag", imageReference),
            ("oci:image:Created", image.Created.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)),
            ("slipway:base-image:reference", baseReference),
            ("slipway:base-image:id", baseImage.Id),
            ("slipway:base-image:sbom", "cdxgen's SBOM of the base image; above it the Dockerfile only copied files and set metadata"),
        })
        {
            properties.Add(new JsonObject { ["name"] = name, ["value"] = value });
        }

        metadata["properties"] = properties;
        return document.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static bool CopiesFilesOrSetsMetadata(string createdBy)
    {
        var instruction = Instruction(createdBy);
        var space = instruction.IndexOfAny([' ', '\t']);
        return FileAndMetadataInstructions.Contains(space < 0 ? instruction : instruction[..space]);
    }

    private static string Short(string id) => id.Length > 19 ? id[..19] : id;
}
