using Slipway.Environments;

namespace Slipway.Tests.Environments;

public class EnvironmentSchemaTests
{
    [Fact]
    public void The_committed_schema_matches_the_model()
    {
        var path = RepositoryRoot.Combine(EnvironmentSchema.RelativePath);
        var generated = EnvironmentSchema.Generate();

        // Until the GenerateSchema build target exists, SLIPWAY_UPDATE_SNAPSHOTS=1 dotnet test rewrites the file.
        if (Environment.GetEnvironmentVariable("SLIPWAY_UPDATE_SNAPSHOTS") == "1")
        {
            File.WriteAllText(path, generated);
        }

        var committed = File.Exists(path) ? File.ReadAllText(path).ReplaceLineEndings("\n") : "";
        Assert.True(committed == generated,
            $"{EnvironmentSchema.RelativePath} is out of date with the model in src/Slipway/Environments. "
            + "Regenerate it with ./build.sh --target GenerateSchema (or SLIPWAY_UPDATE_SNAPSHOTS=1 dotnet test "
            + "--filter FullyQualifiedName~EnvironmentSchemaTests) and commit it.");
    }

    [Fact]
    public void The_schema_knows_every_key_and_refuses_unknown_ones()
    {
        var schema = EnvironmentSchema.Generate();

        Assert.Contains("\"supply_chain\"", schema, StringComparison.Ordinal);
        Assert.Contains("\"p95_latency\"", schema, StringComparison.Ordinal);
        Assert.Contains("\"additionalProperties\": false", schema, StringComparison.Ordinal);
        Assert.Contains("\"pull_request\"", schema, StringComparison.Ordinal);
    }
}

public class EnvironmentSchemaEditorTests
{
    // What an editor with yaml-language-server does: read the YAML with YAML 1.2 typing and check
    // it against the schema. NJsonSchema is the independent validator, so the schema generator
    // cannot be "right" only by its own reading.
    public static TheoryData<string> CommittedFiles() => ["base", "dev", "staging", "prod"];

    [Theory]
    [MemberData(nameof(CommittedFiles))]
    public async Task The_schema_accepts_every_committed_environment_file(string name)
    {
        var schema = await NJsonSchema.JsonSchema.FromJsonAsync(EnvironmentSchema.Generate());

        var errors = schema.Validate(YamlAsJson(RepositoryRoot.Combine("environments", name + ".yml")));

        Assert.True(errors.Count == 0, string.Join("\n", errors.Select(e => $"{e.Path}: {e.Kind}")));
    }

    [Theory]
    [InlineData("misspelled-key", "NoAdditionalPropertiesAllowed")]
    [InlineData("unknown-driver", "NotInEnumeration")]
    [InlineData("canary-weight-over-100", "NumberTooBig")]
    [InlineData("size-wrong-suffix", "PatternMismatch")]
    public async Task The_schema_rejects_what_the_loader_rejects(string malformed, string kind)
    {
        var schema = await NJsonSchema.JsonSchema.FromJsonAsync(EnvironmentSchema.Generate());

        var errors = schema.Validate(YamlAsJson(RepositoryRoot.Combine("tests/Slipway.Tests/Environments/Malformed", malformed + ".yml")));

        Assert.Contains(kind, Flatten(errors).Select(e => e.Kind.ToString()));
    }

    private static IEnumerable<NJsonSchema.Validation.ValidationError> Flatten(IEnumerable<NJsonSchema.Validation.ValidationError> errors) =>
        errors.SelectMany(e => e switch
        {
            NJsonSchema.Validation.ChildSchemaValidationError child => Flatten(child.Errors.SelectMany(x => x.Value)).Prepend(e),
            NJsonSchema.Validation.MultiTypeValidationError multi => Flatten(multi.Errors.SelectMany(x => x.Value)).Prepend(e),
            _ => [e],
        });

    private static string YamlAsJson(string path)
    {
        var data = new YamlDotNet.Serialization.DeserializerBuilder()
            .WithAttemptingUnquotedStringTypeDeserialization()
            .Build()
            .Deserialize<object>(File.ReadAllText(path));
        return new YamlDotNet.Serialization.SerializerBuilder().JsonCompatible().Build().Serialize(data!);
    }
}
