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
