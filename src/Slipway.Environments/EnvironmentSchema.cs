using System.Text.Json;
using System.Text.Json.Nodes;

namespace Slipway.Environments;

/// <summary>
/// The JSON schema (draft-07) of one environment file, generated from the model types so editors
/// (yaml-language-server) check the same keys, types and ranges as the loader. The committed copy is
/// <c>environments/environment.schema.json</c>; a test fails when it drifts from this output.
/// </summary>
public static class EnvironmentSchema
{
    /// <summary>Where the committed schema lives, relative to the repository root.</summary>
    public const string RelativePath = "environments/environment.schema.json";

    // Relaxed escaping keeps regex patterns readable ("+" rather than "\u002B"); the file is never embedded in HTML.
    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        IndentSize = 2,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Generates the schema text (LF line endings, trailing newline).</summary>
    public static string Generate()
    {
        var definitions = new SchemaDefinitions();
        var root = RecordShape.For(typeof(DeployEnvironment)).ToDefinition(definitions);
        var properties = (JsonObject)root["properties"]!;
        properties["extends"] = new JsonObject
        {
            ["type"] = "string",
            ["description"] = "The environment file this one layers over, by name (e.g. base). Mappings merge, lists replace, null removes a key.",
        };

        var schema = new JsonObject
        {
            ["$schema"] = "http://json-schema.org/draft-07/schema#",
            ["title"] = "Slipway environment",
            ["description"] = "One layer of a Slipway environment (environments/*.yml). Required keys are checked by the loader "
                + "after layering, so a layer may leave out anything its parent sets. Generated from the model in "
                + "src/Slipway/Environments; regenerate with ./build.sh --target GenerateSchema.",
            ["type"] = "object",
            ["additionalProperties"] = false,
            ["properties"] = properties.DeepClone(),
            ["definitions"] = definitions.ToJson(),
        };
        return schema.ToJsonString(Indented).ReplaceLineEndings("\n") + "\n";
    }
}
