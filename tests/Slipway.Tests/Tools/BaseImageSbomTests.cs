using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Slipway.Tools.Docker;
using Slipway.Tests.Support;
using Slipway.Tools.Sbom;

namespace Slipway.Tests.Tools;

/// <summary>
/// When an image's SBOM may be made from its base image's: the layers and history must continue the base's, and every
/// step above the base must only copy files or set metadata — histories as the classic builder and BuildKit write them.
/// </summary>
public sealed class BaseImageSbomTests
{
    private const string BaseId = "sha256:c32966e60fbf0a131adeaad51d70a6a289023a83d48268de7b9cd87da0dc4516";
    private const string ImageId = "sha256:2c4d2612ae27fb672fe6366920aff22c20add8842dd5867fd5d8cf094892a66a";

    // The aspnet substitute's history, newest first, as `docker image history --no-trunc` printed it here.
    private static readonly string[] BaseHistory =
    [
        "/bin/sh -c #(nop)  LABEL slipway.provision.hash=baee99d974a5ac26-c3bd34f1a7fd",
        "/bin/sh -c ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet  && dotnet --list-runtimes",
        "/bin/sh -c #(nop) COPY dir:96087622bad027574267b0e15c2b30152d3f58e0ae9497472ff84494eadad653 in /usr/share/dotnet/ ",
        "/bin/sh -c #(nop)  ENV DOTNET_VERSION=10.0.12 ASPNET_VERSION=10.0.12",
        "/bin/sh -c apt-get update  && apt-get install -y --no-install-recommends ca-certificates libicu72 libssl3",
        string.Empty,
    ];

    // What the sample api's Dockerfile adds above it (classic builder).
    private static readonly string[] ApiSteps =
    [
        "/bin/sh -c #(nop)  ENTRYPOINT [\"dotnet\" \"/app/Api.dll\"]",
        "/bin/sh -c #(nop)  HEALTHCHECK &{[\"CMD\" \"dotnet\" \"/app/Api.dll\" \"healthcheck\"] \"10s\" \"5s\" \"15s\" '\\x03'}",
        "/bin/sh -c #(nop)  EXPOSE 8080",
        "/bin/sh -c #(nop)  USER 64198",
        "/bin/sh -c #(nop) COPY dir:afa2d0049b2b84bd3e43811f51f2db15dadca01f73e900729ce84e87e8531dc2 in /app/ ",
        "/bin/sh -c #(nop) WORKDIR /app",
        "/bin/sh -c #(nop)  ENV APP_VERSION=1.0.0 ASPNETCORE_HTTP_PORTS=8080",
        "/bin/sh -c #(nop)  LABEL org.opencontainers.image.title=slipway-sample-api",
        "/bin/sh -c #(nop)  ARG VERSION=",
    ];

    private static DockerImage Image(string id, params string[] layers) =>
        new(id, [], [], ImmutableSortedDictionary<string, string>.Empty, DateTimeOffset.Parse("2026-12-04T02:51:12Z", System.Globalization.CultureInfo.InvariantCulture)) { Layers = [.. layers] };

    private static readonly DockerImage Base = Image(BaseId, "sha256:l1", "sha256:l2", "sha256:l3");

    private static readonly DockerImage Api = Image(ImageId, "sha256:l1", "sha256:l2", "sha256:l3", "sha256:app");

    [Fact]
    public void An_image_whose_dockerfile_only_copies_files_and_sets_metadata_above_its_base_may_use_the_base_sbom()
    {
        Assert.Null(BaseImageSbom.WhyNotReusable(Api, [.. ApiSteps, .. BaseHistory], Base, BaseHistory));
    }

    [Fact]
    public void BuildKit_histories_are_read_the_same_way()
    {
        string[] buildKit = ["ENTRYPOINT [\"dotnet\" \"/app/Api.dll\"]", "USER 64198", "COPY . /app/ # buildkit", "WORKDIR /app", "ENV APP_VERSION=1.0.0", "ADD https://example.test/a.tar.gz /opt/ # buildkit"];
        Assert.Null(BaseImageSbom.WhyNotReusable(Api, [.. buildKit, .. BaseHistory], Base, BaseHistory));

        var run = BaseImageSbom.WhyNotReusable(Api, ["COPY . /app/ # buildkit", "RUN /bin/sh -c apt-get install -y curl # buildkit", .. BaseHistory], Base, BaseHistory);
        Assert.Equal("its Dockerfile runs a command above the base image: \"RUN /bin/sh -c apt-get install -y curl\"", run);

        // The history is the engine's text: a control character in it is escaped, and a long step is cut.
        var hostile = BaseImageSbom.WhyNotReusable(Api, ["RUN /bin/sh -c echo \u001b[2J" + new string('x', 200) + " # buildkit", .. BaseHistory], Base, BaseHistory);
        Assert.StartsWith("its Dockerfile runs a command above the base image: \"RUN /bin/sh -c echo \\e[2Jxxx", hostile, StringComparison.Ordinal);
        Assert.EndsWith("x…\"", hostile, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/bin/sh -c apt-get update && apt-get install -y curl")]            // a classic RUN
    [InlineData("|4 CREATED=x REVISION=y SOURCE=z VERSION=1 /bin/sh -c make")]    // a classic RUN with build arguments
    [InlineData("RUN |1 VERSION=1 /bin/sh -c make # buildkit")]
    [InlineData("")]                                                              // an imported layer above the base
    public void A_step_that_runs_a_command_or_is_unknown_above_the_base_means_the_whole_image_is_inventoried(string step)
    {
        var why = BaseImageSbom.WhyNotReusable(Api, [ApiSteps[0], step, .. ApiSteps[1..], .. BaseHistory], Base, BaseHistory);
        Assert.StartsWith("its Dockerfile runs a command above the base image: \"", why, StringComparison.Ordinal);
    }

    [Fact]
    public void Layers_that_do_not_continue_the_base_refuse_naming_the_base()
    {
        var rebasedElsewhere = Image(ImageId, "sha256:l1", "sha256:other", "sha256:l3", "sha256:app");
        Assert.Equal("its layers do not start with those of its base image sha256:c32966e60fbf", BaseImageSbom.WhyNotReusable(rebasedElsewhere, [.. ApiSteps, .. BaseHistory], Base, BaseHistory));
        Assert.NotNull(BaseImageSbom.WhyNotReusable(Image(ImageId, "sha256:l1"), [.. ApiSteps, .. BaseHistory], Base, BaseHistory));
        Assert.NotNull(BaseImageSbom.WhyNotReusable(Api, [.. ApiSteps, .. BaseHistory], Image(BaseId), BaseHistory));   // no layers listed: nothing proven
    }

    [Fact]
    public void A_history_that_does_not_end_with_the_base_history_refuses()
    {
        Assert.Equal(
            "its history does not continue that of its base image sha256:c32966e60fbf",
            BaseImageSbom.WhyNotReusable(Api, [.. ApiSteps, .. BaseHistory[1..]], Base, BaseHistory));
        Assert.NotNull(BaseImageSbom.WhyNotReusable(Api, [.. BaseHistory[2..]], Base, BaseHistory));

        // An engine that records no history proves nothing about the layers above the base.
        Assert.Equal(
            "its history records no step above its base image sha256:c32966e60fbf, although it has layers of its own",
            BaseImageSbom.WhyNotReusable(Api, [], Base, []));
    }

    [Theory]
    [InlineData("/bin/sh -c #(nop)  ENV A=1", "ENV A=1")]
    [InlineData("/bin/sh -c #(nop) COPY dir:abc in /app/ ", "COPY dir:abc in /app/")]
    [InlineData("COPY . /app/ # buildkit", "COPY . /app/")]
    [InlineData("/bin/sh -c make", "/bin/sh -c make")]
    public void Instruction_strips_the_builders_decorations(string createdBy, string instruction) =>
        Assert.Equal(instruction, BaseImageSbom.Instruction(createdBy));

    [Fact]
    public void Rebase_keeps_the_base_components_and_replaces_the_image_properties_with_the_images_own()
    {
        const string baseSbom = """
            { "bomFormat": "CycloneDX", "specVersion": "1.6", "serialNumber": "urn:uuid:00000000-0000-0000-0000-000000000001",
              "metadata": { "timestamp": "2026-12-01T00:00:00Z", "properties": [
                { "name": "oci:image:Id", "value": "sha256:c32966e60fbf0a131adeaad51d70a6a289023a83d48268de7b9cd87da0dc4516" },
                { "name": "oci:image:RepoTag", "value": "mcr.microsoft.com/dotnet/aspnet:10.0" },
                { "name": "cdx:container:unpackagedExecutableCount", "value": "277" } ] },
              "components": [ { "type": "library", "name": "libssl3", "version": "3.0.15", "purl": "pkg:deb/debian/libssl3@3.0.15" } ] }
            """;

        var rebased = BaseImageSbom.Rebase(baseSbom, Api, "127.0.0.1:5000/slipway/api:1.0.0", Base, "mcr.microsoft.com/dotnet/aspnet:10.0", DateTimeOffset.Parse("2026-12-04T05:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

        var document = CycloneDxDocument.Validate(rebased, "api.image.cdx.json");
        Assert.Equal(["libssl3"], document.WithPurlPrefix("pkg:deb/").Select(c => c.Name));
        var json = JsonNode.Parse(rebased)!;
        Assert.NotEqual("urn:uuid:00000000-0000-0000-0000-000000000001", (string?)json["serialNumber"]);
        Assert.Equal("2026-12-04T05:00:00Z", (string?)json["metadata"]!["timestamp"]);
        var properties = json["metadata"]!["properties"]!.AsArray().ToDictionary(p => (string)p!["name"]!, p => (string)p!["value"]!);
        Assert.Equal(ImageId, properties["oci:image:Id"]);
        Assert.Equal("127.0.0.1:5000/slipway/api:1.0.0", properties["oci:image:RepoTag"]);
        Assert.Equal(BaseId, properties["slipway:base-image:id"]);
        Assert.Equal("mcr.microsoft.com/dotnet/aspnet:10.0", properties["slipway:base-image:reference"]);
        Assert.Equal("277", properties["cdx:container:unpackagedExecutableCount"]);
    }

    [Fact]
    public void Rebase_refuses_text_that_is_not_a_json_object()
    {
        Assert.Throws<FormatException>(() => BaseImageSbom.Rebase("[1]", Api, "api:1", Base, "base:1", DateTimeOffset.UnixEpoch));
        Assert.Throws<FormatException>(() => BaseImageSbom.Rebase("{ not json", Api, "api:1", Base, "base:1", DateTimeOffset.UnixEpoch));
    }

    [Fact]
    public void A_dockerfile_that_only_copies_its_build_context_passes_and_ADD_or_COPY_from_is_named_with_its_line()
    {
        Assert.Null(BaseImageSbom.WhyNotOnlyFromContext(File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "samples", "Api", "Dockerfile"))));
        Assert.Null(BaseImageSbom.WhyNotOnlyFromContext("FROM base\n# ADD is mentioned in a comment\nCOPY --chown=1000 . /app/\n"));

        Assert.Equal(
            "its Dockerfile's ADD (line 3) can fetch URLs and unpack archives",
            BaseImageSbom.WhyNotOnlyFromContext("FROM base\nENV A=1\nadd https://example.test/tool.tgz /opt/\n"));
        Assert.Equal(
            "its Dockerfile's COPY \"--from=busybox:1.36\" (line 2) copies files of another image or stage",
            BaseImageSbom.WhyNotOnlyFromContext("FROM base\r\nCOPY --chown=1000 --from=busybox:1.36 /bin/busybox /bin/\r\n"));
        // A flag on a continued line counts, and the line named is where the instruction starts.
        Assert.Equal(
            "its Dockerfile's COPY \"--from=build\" (line 2) copies files of another image or stage",
            BaseImageSbom.WhyNotOnlyFromContext("FROM base\nCOPY \\\n  --from=build /src/out /app/\nUSER 1000\n"));
    }

    [Fact]
    public void History_is_read_newest_first_and_a_line_without_created_by_is_refused()
    {
        var history = DockerImageHistory.Parse("""
            {"Comment":"","CreatedBy":"/bin/sh -c #(nop)  USER 64198","ID":"sha256:5794","Size":"0B"}
            {"Comment":"Imported from -","CreatedBy":"","ID":"sha256:8ac1","Size":"117MB"}

            """);
        Assert.Equal<string>(["/bin/sh -c #(nop)  USER 64198", string.Empty], history);
        Assert.Throws<FormatException>(() => DockerImageHistory.Parse("{\"ID\":\"sha256:1\"}"));
        Assert.Throws<FormatException>(() => DockerImageHistory.Parse("Error: no such image"));
    }

    [Fact]
    public void Image_inspect_reads_the_layers_lowest_first()
    {
        var image = DockerImage.Parse("""[{"Id":"sha256:1","RootFS":{"Type":"layers","Layers":["sha256:a","sha256:b"]}}]""");
        Assert.Equal<string>(["sha256:a", "sha256:b"], image.Layers);
        Assert.Empty(DockerImage.Parse("""{"Id":"sha256:1"}""").Layers);
    }

    [Fact]
    public void History_invocation_asks_for_untruncated_json()
    {
        var invocation = DockerCli.ImageHistory("api:1");
        Assert.Equal(["image", "history", "--no-trunc", "--format", "{{json .}}", "api:1"], invocation.Arguments.Select(a => a.Reveal()));
    }
}
