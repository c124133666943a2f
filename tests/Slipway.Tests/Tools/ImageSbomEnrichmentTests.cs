using Slipway.Tools.Sbom;

namespace Slipway.Tests.Tools;

public sealed class ImageSbomEnrichmentTests
{
    [Fact]
    public void The_runtime_declared_by_the_image_and_the_applications_packages_are_added_once()
    {
        const string image = """{"bomFormat":"CycloneDX","specVersion":"1.7","components":[{"type":"library","name":"libc6","version":"2.36","purl":"pkg:deb/debian/libc6@2.36"}]}""";
        const string project = """{"bomFormat":"CycloneDX","specVersion":"1.7","components":[{"type":"library","name":"Npgsql","version":"10.0.3","purl":"pkg:nuget/Npgsql@10.0.3"},{"type":"library","name":"libc6","purl":"pkg:deb/debian/libc6@2.36"}]}""";
        var runtime = ImageSbomEnrichment.RuntimeComponents(new Dictionary<string, string> { ["DOTNET_VERSION"] = "10.0.12", ["ASPNET_VERSION"] = "10.0.12", ["PATH"] = "/usr/bin" });

        var enriched = CycloneDxDocument.Validate(ImageSbomEnrichment.Enrich(image, project, runtime), "api.image.cdx.json");

        Assert.Equal(4, enriched.ComponentCount);
        Assert.True(enriched.HasComponent(n => n == "Microsoft.NETCore.App"));
        Assert.True(enriched.HasComponent(n => n == "Microsoft.AspNetCore.App"));
        Assert.True(enriched.HasComponent(n => n == "Npgsql"));
        Assert.True(enriched.HasPurlType("deb"));
    }

    [Fact]
    public void An_image_that_declares_no_runtime_gets_no_runtime_component() =>
        Assert.Empty(ImageSbomEnrichment.RuntimeComponents(new Dictionary<string, string> { ["PATH"] = "/usr/bin" }));
}
