using System.Text.Json;
using System.Text.Json.Nodes;

namespace Slipway.Tools.Sbom;

/// <summary>
/// Completes an image SBOM with what cdxgen's image analysis does not see in a .NET image: the .NET
/// runtime (versions from the variables .NET base images declare) and the application's NuGet
/// components (from the project's SBOM — the image holds exactly that published application).
/// Each added component says where it came from in a <c>slipway:source</c> property.
/// </summary>
public static class ImageSbomEnrichment
{
    /// <summary>The .NET runtime components an image declares through its environment.</summary>
    public static IReadOnlyList<JsonObject> RuntimeComponents(IReadOnlyDictionary<string, string> imageEnvironment)
    {
        ArgumentNullException.ThrowIfNull(imageEnvironment);
        var components = new List<JsonObject>();
        foreach (var (variable, runtime) in new[] { ("DOTNET_VERSION", "Microsoft.NETCore.App"), ("ASPNET_VERSION", "Microsoft.AspNetCore.App") })
        {
            if (imageEnvironment.TryGetValue(variable, out var version) && version.Length > 0)
            {
                components.Add(new JsonObject
                {
                    ["type"] = "framework",
                    ["bom-ref"] = $"pkg:nuget/{runtime}.Runtime.linux-x64@{version}",
                    ["name"] = runtime,
                    ["version"] = version,
                    ["purl"] = $"pkg:nuget/{runtime}.Runtime.linux-x64@{version}",
                    ["properties"] = new JsonArray(new JsonObject { ["name"] = "slipway:source", ["value"] = $"image environment {variable}" }),
                });
            }
        }

        return components;
    }

    /// <summary>
    /// Adds <paramref name="extra"/> and the components of <paramref name="projectSbomJson"/> to the image
    /// SBOM <paramref name="imageSbomJson"/> (skipping purls it already lists); returns the new JSON.
    /// </summary>
    public static string Enrich(string imageSbomJson, string projectSbomJson, IEnumerable<JsonObject> extra)
    {
        ArgumentNullException.ThrowIfNull(extra);
        var image = JsonNode.Parse(imageSbomJson)?.AsObject() ?? throw new FormatException("The image SBOM is not a JSON object.");
        var components = image["components"] as JsonArray ?? [];
        image["components"] = components;
        var known = components.Select(c => (string?)c?["purl"]).Where(p => p is not null).ToHashSet(StringComparer.Ordinal);

        var project = JsonNode.Parse(projectSbomJson)?["components"] as JsonArray ?? [];
        var fromProject = project.Where(c => c is JsonObject).Select(c =>
        {
            var copy = c!.DeepClone().AsObject();
            var properties = copy["properties"] as JsonArray ?? [];
            properties.Add(new JsonObject { ["name"] = "slipway:source", ["value"] = "project SBOM (the published application)" });
            copy["properties"] = properties;
            return copy;
        });

        foreach (var component in extra.Concat(fromProject))
        {
            var purl = (string?)component["purl"];
            if (purl is null || known.Add(purl))
            {
                components.Add(component);
            }
        }

        return image.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}
