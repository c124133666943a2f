using Slipway.Processes;
using Slipway.Tests.Support;
using Slipway.Tools.Sbom;

namespace Slipway.Tests.Tools;

/// <summary>Golden cdxgen invocations, and the checks made on the SBOMs it writes.</summary>
public sealed class SbomTests
{
    // The shape of an image SBOM: Debian packages from dpkg's database, the .NET runtime found in the
    // image, and the application. Hand-written in the shape cdxgen 12 writes for `-t docker`.
    private const string ImageSbom = """
        {
          "bomFormat": "CycloneDX",
          "specVersion": "1.7",
          "version": 1,
          "metadata": { "component": { "type": "container", "name": "127.0.0.1:5000/slipway/api", "version": "1.0.0" } },
          "components": [
            { "type": "operating-system", "name": "debian", "version": "12.8" },
            { "type": "library", "name": "libssl3", "version": "3.0.15-1~deb12u1", "purl": "pkg:deb/debian/libssl3@3.0.15-1~deb12u1?arch=amd64&distro=debian-12" },
            { "type": "library", "name": "zlib1g", "version": "1:1.2.13.dfsg-1", "purl": "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12" },
            { "type": "framework", "name": "Microsoft.NETCore.App", "version": "10.0.0", "purl": "pkg:nuget/Microsoft.NETCore.App@10.0.0",
              "components": [ { "type": "library", "name": "System.Private.CoreLib", "version": "10.0.0" } ] },
            { "type": "application", "name": "Api", "version": "1.0.0", "purl": "pkg:nuget/Api@1.0.0" }
          ]
        }
        """;

    private static string[] Tokens(ToolInvocation invocation) => [.. invocation.Arguments.Select(a => a.Reveal())];

    [Fact]
    public void Image_sbom_renders_type_image_and_output_without_fetching_licences()
    {
        var invocation = CdxgenCli.ImageSbom("127.0.0.1:5000/slipway/api:1.0.0", "out/api.cdx.json");

        Assert.Equal("cdxgen", invocation.Tool);
        Assert.Equal(["-t", "docker", "127.0.0.1:5000/slipway/api:1.0.0", "-o", "out/api.cdx.json"], Tokens(invocation));
        Assert.Equal(["FETCH_LICENSE"], invocation.Environment.Keys);
        Assert.Equal("false", invocation.Environment["FETCH_LICENSE"].Reveal());
    }

    [Fact]
    public void Image_sbom_points_cdxgen_at_the_given_engine_through_DOCKER_HOST()
    {
        var invocation = CdxgenCli.ImageSbom("api:dev", "api.cdx.json", "unix:///run/slipway/docker.sock");

        Assert.Equal("unix:///run/slipway/docker.sock", invocation.Environment["DOCKER_HOST"].Reveal());
        Assert.Equal(
            "DOCKER_HOST=unix:///run/slipway/docker.sock FETCH_LICENSE=false cdxgen -t docker api:dev -o api.cdx.json",
            invocation.ToDisplayString());
    }

    [Fact]
    public void Image_sbom_unpacks_the_image_in_the_scratch_directory_it_is_given_not_the_system_temp()
    {
        var invocation = CdxgenCli.ImageSbom("api:dev", "api.cdx.json", scratchDirectory: "/repo/.slipway/tmp/sbom-api");

        Assert.Equal("/repo/.slipway/tmp/sbom-api", invocation.Environment["CDXGEN_TEMP_DIR"].Reveal());
        Assert.False(CdxgenCli.ImageSbom("api:dev", "api.cdx.json").Environment.ContainsKey("CDXGEN_TEMP_DIR"));
    }

    [Fact]
    public void Project_sbom_reads_the_lock_file_without_restoring_or_self_validating()
    {
        var invocation = CdxgenCli.ProjectSbom("samples/Api", "out/api-project.cdx.json");

        Assert.Equal(["-t", "dotnet", "--no-install-deps", "--no-validate", "-o", "out/api-project.cdx.json", "samples/Api"], Tokens(invocation));
        Assert.Equal("false", invocation.Environment["FETCH_LICENSE"].Reveal());
        Assert.False(invocation.Environment.ContainsKey("DOCKER_HOST"));
    }

    [Fact]
    public void Invocations_refuse_empty_arguments()
    {
        Assert.Throws<ArgumentException>(() => CdxgenCli.ImageSbom(" ", "out.json"));
        Assert.Throws<ArgumentException>(() => CdxgenCli.ProjectSbom("samples/Api", ""));
    }

    [Fact]
    public void A_real_cdxgen_project_sbom_validates_and_lists_the_locked_packages()
    {
        // Written by `cdxgen -t dotnet --no-install-deps --no-validate` (12.8.4) for samples/Api.
        var path = Path.Combine(TestPaths.RepositoryRoot, "tests", "Slipway.Tests", "Tools", "Data", "cdxgen-12.8.4-dotnet-api.cdx.json");

        var sbom = CycloneDxDocument.Load(path);

        Assert.Equal("1.7", sbom.SpecVersion);
        Assert.Equal(5, sbom.ComponentCount);
        Assert.Contains(new CycloneDxComponent("Npgsql", "10.0.3", "pkg:nuget/Npgsql@10.0.3", "library"), sbom.Components);
        Assert.True(sbom.HasPurlType("nuget"));
        Assert.False(sbom.HasPurlType("deb"));
    }

    [Fact]
    public void An_image_sbom_shows_the_dotnet_runtime_and_debian_packages()
    {
        var sbom = CycloneDxDocument.Validate(ImageSbom, "out/api.cdx.json");

        Assert.True(sbom.HasComponent(name => name.StartsWith("Microsoft.NETCore.App", StringComparison.Ordinal)));
        Assert.True(sbom.HasPurlType("deb"));
        Assert.Equal(["libssl3", "zlib1g"], sbom.WithPurlPrefix("pkg:deb/debian/").Select(c => c.Name));
        Assert.False(sbom.HasComponent(name => name == "openjdk"));
    }

    [Fact]
    public void Nested_components_are_counted()
    {
        var sbom = CycloneDxDocument.Validate(ImageSbom, "out/api.cdx.json");

        Assert.Equal(6, sbom.ComponentCount);
        Assert.Equal("System.Private.CoreLib", sbom.Components[4].Name);
        Assert.Null(sbom.Components[4].PurlType);
    }

    [Theory]
    [InlineData("1.4")]
    [InlineData("1.5")]
    [InlineData("1.6")]
    [InlineData("1.7")]
    public void Spec_versions_from_1_4_to_1_7_are_accepted(string version) =>
        Assert.Equal(version, CycloneDxDocument.Validate(Bom("CycloneDX", version, OneComponent), "a.json").SpecVersion);

    [Fact]
    public void An_spdx_document_is_refused_naming_the_file()
    {
        const string spdx = """{ "spdxVersion": "SPDX-2.3", "bomFormat": "SPDX", "packages": [] }""";

        var error = Assert.Throws<SbomValidationException>(() => CycloneDxDocument.Validate(spdx, "out/api.spdx.json"));

        Assert.Equal("out/api.spdx.json", error.Path);
        Assert.StartsWith("SBOM out/api.spdx.json is not usable: it has bomFormat 'SPDX', expected 'CycloneDX'. It looks like SPDX;", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_document_without_bom_format_is_refused() =>
        Assert.Contains(
            "it has no bomFormat, expected 'CycloneDX'",
            Assert.Throws<SbomValidationException>(() => CycloneDxDocument.Validate("""{ "specVersion": "1.7" }""", "x.json")).Message,
            StringComparison.Ordinal);

    [Fact]
    public void An_old_spec_version_is_refused_with_the_supported_ones()
    {
        var error = Assert.Throws<SbomValidationException>(() => CycloneDxDocument.Validate(Bom("CycloneDX", "1.3", OneComponent), "old.json"));

        Assert.Equal(
            "SBOM old.json is not usable: its specVersion is '1.3'; supported are 1.4, 1.5, 1.6, 1.7. Regenerate it with a current cdxgen (--spec-version 1.7).",
            error.Message);
    }

    [Fact]
    public void A_missing_spec_version_is_refused() =>
        Assert.Contains(
            "it has no specVersion",
            Assert.Throws<SbomValidationException>(() => CycloneDxDocument.Validate("""{ "bomFormat": "CycloneDX", "components": [] }""", "x.json")).Message,
            StringComparison.Ordinal);

    [Theory]
    [InlineData("[]")]
    [InlineData("null")]
    public void An_sbom_without_components_is_refused(string components)
    {
        var error = Assert.Throws<SbomValidationException>(() => CycloneDxDocument.Validate(Bom("CycloneDX", "1.7", components), "out/empty.cdx.json"));

        Assert.StartsWith("SBOM out/empty.cdx.json is not usable: it lists no components.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_component_without_a_name_is_refused_with_its_json_path() =>
        Assert.Contains(
            "components[1] has no name",
            Assert.Throws<SbomValidationException>(() => CycloneDxDocument.Validate(Bom("CycloneDX", "1.7", """[{ "type": "library", "name": "a" }, { "type": "library" }]"""), "x.json")).Message,
            StringComparison.Ordinal);

    [Fact]
    public void Text_that_is_not_json_is_refused_naming_the_file() =>
        Assert.StartsWith(
            "SBOM build/sbom.json is not usable: it is not valid JSON",
            Assert.Throws<SbomValidationException>(() => CycloneDxDocument.Validate("Schema validation failed for Api", "build/sbom.json")).Message,
            StringComparison.Ordinal);

    [Fact]
    public void A_missing_file_is_refused_with_a_hint()
    {
        var path = Path.Combine(TestPaths.NewTempDirectory(), "missing.cdx.json");

        var error = Assert.Throws<SbomValidationException>(() => CycloneDxDocument.Load(path));

        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }

    private const string OneComponent = """[{ "type": "library", "name": "zlib1g", "version": "1.2.13", "purl": "pkg:deb/debian/zlib1g@1.2.13" }]""";

    private static string Bom(string format, string specVersion, string components) =>
        $$"""{ "bomFormat": "{{format}}", "specVersion": "{{specVersion}}", "version": 1, "components": {{components}} }""";
}
