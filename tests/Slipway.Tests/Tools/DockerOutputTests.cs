using Slipway.Processes;
using Slipway.Tools.Docker;

namespace Slipway.Tests.Tools;

/// <summary>Parsing docker's output, from captured samples.</summary>
public sealed class DockerOutputTests
{
    // Captured from `docker image inspect --format '{{json .}}'` (Docker 28), trimmed to the fields read plus a few neighbours.
    private const string InspectLine =
        """{"Id":"sha256:4f1c9d3e7a2b8c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d","RepoTags":["127.0.0.1:5000/slipway/api:1.0.0","api:dev"],"RepoDigests":["127.0.0.1:5000/slipway/api@sha256:9b2a8c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"],"Parent":"","Comment":"","Created":"2025-05-30T12:07:14.123456789Z","DockerVersion":"28.2.2","Config":{"Hostname":"","Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Labels":{"org.opencontainers.image.version":"1.0.0","org.opencontainers.image.revision":"abc1234"}},"Architecture":"amd64","Os":"linux","Size":91234567}""";

    [Fact]
    public void Image_inspect_json_is_parsed()
    {
        var image = DockerImage.Parse(InspectLine + "\n");

        Assert.Equal("sha256:4f1c9d3e7a2b8c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d", image.Id);
        Assert.Equal(["127.0.0.1:5000/slipway/api:1.0.0", "api:dev"], image.RepoTags.ToArray());
        Assert.Equal(["127.0.0.1:5000/slipway/api@sha256:9b2a8c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"], image.RepoDigests.ToArray());
        Assert.Equal(["org.opencontainers.image.revision", "org.opencontainers.image.version"], image.Labels.Keys);
        Assert.Equal("abc1234", image.Labels["org.opencontainers.image.revision"]);
        Assert.Equal(new DateTimeOffset(2025, 5, 30, 12, 7, 14, TimeSpan.Zero).AddTicks(1234567), image.Created);
    }

    [Fact]
    public void An_unpushed_image_with_null_labels_has_empty_collections()
    {
        var image = DockerImage.Parse("""{"Id":"sha256:aa","RepoTags":[],"RepoDigests":[],"Created":"2025-01-02T03:04:05Z","Config":{"Labels":null}}""");

        Assert.Empty(image.RepoDigests);
        Assert.Empty(image.Labels);
        Assert.Equal(new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero), image.Created);
    }

    [Fact]
    public void Plain_inspect_output_as_a_pretty_printed_array_is_accepted()
    {
        var image = DockerImage.Parse("[\n    {\n        \"Id\": \"sha256:bb\",\n        \"Created\": \"2025-01-02T03:04:05.5+02:00\"\n    }\n]\n");

        Assert.Equal("sha256:bb", image.Id);
        Assert.Equal(new DateTimeOffset(2025, 1, 2, 3, 4, 5, 500, TimeSpan.FromHours(2)), image.Created);
    }

    [Fact]
    public void Output_that_is_not_an_image_is_a_format_error()
    {
        Assert.Throws<FormatException>(() => DockerImage.Parse(""));
        Assert.Throws<FormatException>(() => DockerImage.Parse("{\"RepoTags\":[]}"));
        Assert.Throws<FormatException>(() => DockerImage.Parse("{not json"));
    }

    [Fact]
    public void Inspect_result_of_a_present_image_is_parsed() =>
        Assert.Equal("api:dev", DockerImage.TryParseInspect(new ToolResult(0, InspectLine, "", TimeSpan.Zero))!.RepoTags[1]);

    [Theory]
    [InlineData("Error: No such image: api:nope")]
    [InlineData("Error response from daemon: No such image: api:nope")]
    public void A_missing_image_is_null(string stderr) =>
        Assert.Null(DockerImage.TryParseInspect(new ToolResult(1, "\n", stderr + "\n", TimeSpan.Zero)));

    [Fact]
    public void An_unreachable_daemon_is_an_error_not_a_missing_image()
    {
        var result = new ToolResult(1, "", "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n", TimeSpan.Zero);

        var error = Assert.Throws<InvalidOperationException>(() => DockerImage.TryParseInspect(result));

        Assert.Contains("Cannot connect to the Docker daemon", error.Message, StringComparison.Ordinal);
        Assert.Contains("exit code 1", error.Message, StringComparison.Ordinal);
    }

    // Captured from `docker push` to a local registry:2 (Docker 28).
    private const string PushOutput = """
        The push refers to repository [127.0.0.1:5000/slipway/api]
        5f70bf18a086: Pushed
        a2c4e1b0d9f3: Pushed
        1.0.0: digest: sha256:9b2a8c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9 size: 1786
        """;

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("127.0.0.1:5000/slipway/api:1.0.0")]
    public void Push_digest_is_read_for_a_tag_or_a_whole_reference(string tag) =>
        Assert.Equal("sha256:9b2a8c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9", DockerPushOutput.ParseDigest(PushOutput.Replace("\n", "\r\n", StringComparison.Ordinal), tag));

    [Fact]
    public void Push_output_without_a_digest_for_the_tag_says_what_was_expected()
    {
        var error = Assert.Throws<FormatException>(() => DockerPushOutput.ParseDigest(PushOutput, "latest"));

        Assert.Contains("no digest for tag 'latest'", error.Message, StringComparison.Ordinal);
        Assert.Contains("latest: digest: sha256:", error.Message, StringComparison.Ordinal);
    }
}
