using Slipway.Tools.Docker;

namespace Slipway.Tests.Tools;

public sealed class DockerfileBaseImageTests
{
    private static readonly Dictionary<string, string> NoArguments = [];

    [Fact]
    public void The_ARG_default_is_substituted() =>
        Assert.Equal("mcr.microsoft.com/dotnet/aspnet:10.0", DockerfileBaseImage.Resolve("ARG BASE_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0\nFROM ${BASE_IMAGE}\nCOPY . /app", NoArguments));

    [Fact]
    public void A_given_build_argument_wins_over_the_default() =>
        Assert.Equal("local/aspnet:dev", DockerfileBaseImage.Resolve("ARG BASE_IMAGE=x\nFROM $BASE_IMAGE", new Dictionary<string, string> { ["BASE_IMAGE"] = "local/aspnet:dev" }));

    [Fact]
    public void A_multi_stage_build_resolves_the_final_stage_through_earlier_ones() =>
        Assert.Equal("debian:12", DockerfileBaseImage.Resolve("FROM sdk:10 AS build\nRUN make\nFROM debian:12 AS base\nFROM base\nCOPY --from=build /out /app", NoArguments));

    [Fact]
    public void Scratch_has_no_base() => Assert.Null(DockerfileBaseImage.Resolve("FROM scratch\nCOPY app /", NoArguments));

    [Fact]
    public void The_sample_Dockerfiles_build_on_the_aspnet_runtime()
    {
        foreach (var service in new[] { "Api", "Worker" })
        {
            var text = File.ReadAllText(Path.Combine(Support.TestPaths.RepositoryRoot, "samples", service, "Dockerfile"));
            Assert.Equal("mcr.microsoft.com/dotnet/aspnet:10.0", DockerfileBaseImage.Resolve(text, NoArguments));
        }
    }
}
