using System.Text.Json;

namespace Slipway.IntegrationTests;

/// <summary>Build and Publish of the sample stack on the real engine and registry.</summary>
[Collection(SharedDockerWorkspace.Name)]
public sealed class BuildAndPublishTests(DockerWorkspace workspace)
{
    [Fact]
    public async Task Publish_records_for_every_image_the_digest_the_registry_serves_for_its_tag()
    {
        var release = workspace.Release();
        using var http = new HttpClient();

        Assert.Equal(["api", "worker"], release.Images.Select(i => i.Service));
        foreach (var image in release.Images)
        {
            using var request = new HttpRequestMessage(HttpMethod.Head, new Uri($"http://{DockerWorkspace.Registry}/v2/{workspace.Prefix}/{image.Service}/manifests/{image.Tag}"));
            request.Headers.Accept.ParseAdd("application/vnd.docker.distribution.manifest.v2+json");
            using var response = await http.SendAsync(request);

            Assert.True(response.IsSuccessStatusCode, $"{image.Service}: {response.StatusCode}");
            Assert.Equal(image.Digest, response.Headers.GetValues("Docker-Content-Digest").Single());
        }
    }

    [Fact]
    public void An_image_pulled_by_digest_is_the_image_that_was_built()
    {
        foreach (var image in workspace.Release().Images)
        {
            workspace.Docker("pull", image.Reference);

            Assert.Equal(workspace.BuiltImageIds[image.Service], workspace.ImageId(image.Reference));
        }
    }

    [Fact]
    public void Images_carry_the_OCI_labels_of_the_release()
    {
        var release = workspace.Release();
        var api = release.Images.Single(i => i.Service == "api");
        var labels = JsonDocument.Parse(workspace.Docker("image", "inspect", "--format", "{{json .Config.Labels}}", api.Reference)).RootElement;

        Assert.Equal(release.Version, labels.GetProperty("org.opencontainers.image.version").GetString());
        Assert.Equal(release.Commit, labels.GetProperty("org.opencontainers.image.revision").GetString());
        Assert.Equal(release.Created, DateTimeOffset.Parse(labels.GetProperty("org.opencontainers.image.created").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task The_api_image_runs_and_becomes_healthy()
    {
        var api = workspace.Release().Images.Single(i => i.Service == "api");
        var network = workspace.Prefix + "-net";
        var container = workspace.Prefix + "-api";
        workspace.Docker("network", "create", network);
        try
        {
            // The api refuses to start without its connection strings; liveness does not connect to them.
            workspace.Docker(
                "run", "--detach", "--name", container, "--network", network,
                "--env", "ConnectionStrings__Postgres=Host=db;Database=orders;Username=app;Password=unused",
                "--env", "ConnectionStrings__Redis=cache:6379",
                api.Reference);
            var status = string.Empty;
            for (var attempt = 0; attempt < 90 && status != "healthy"; attempt++)
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
                status = JsonDocument.Parse(workspace.Docker("inspect", "--format", "{{json .State.Health.Status}}", container)).RootElement.GetString()!;
                Assert.NotEqual("unhealthy", status);
            }

            Assert.Equal("healthy", status);
        }
        finally
        {
            workspace.Docker("rm", "--force", container);
            workspace.Docker("network", "rm", network);
        }
    }

    [Fact]
    public async Task Builds_are_incremental_and_an_existing_version_is_not_overwritten_with_other_content()
    {
        // Nothing changed since the last build: every service is skipped. (The first Build catches up with whatever the
        // tests before this one left in the shared workspace: its files count towards the version.)
        Assert.Equal(0, (await workspace.RunAsync("--target", "Build")).ExitCode);
        var noChange = await workspace.RunAsync("--target", "Build");
        Assert.Equal(0, noChange.ExitCode);
        Assert.Matches(@"│   › api\s+│ Skipped\s+│[^│]*│ unchanged since the last build", noChange.Out);
        Assert.Matches(@"│   › worker\s+│ Skipped\s+│[^│]*│ unchanged since the last build", noChange.Out);

        // One service's source changes, not committed: the work gets a version of its own (…dirty-<fingerprint>) and the
        // changed service is rebuilt.
        var published = workspace.Release().Version;
        var program = Path.Combine(workspace.Root, "samples", "Worker", "Program.cs");
        await File.AppendAllTextAsync(program, "\n// changed by the integration test\n");
        var oneChange = await workspace.RunAsync("--target", "Build");
        Assert.Equal(0, oneChange.ExitCode);
        Assert.Matches(@"dirty-[0-9a-f]{10}", oneChange.Out);
        Assert.Matches(@"│   › worker\s+│ Succeeded", oneChange.Out);

        // The published version asked for again with different content is refused (the changed image is not pushed);
        // --force overwrites it.
        var refused = await workspace.RunAsync("--target", "Publish", "--version", published);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("already exists with different content", refused.Out, StringComparison.Ordinal);
        Assert.Contains("pass --force to overwrite it", refused.Out, StringComparison.Ordinal);

        var forced = await workspace.RunAsync("--target", "Publish", "--version", published, "--force");
        Assert.Equal(0, forced.ExitCode);
        var worker = workspace.Release().Images.Single(i => i.Service == "worker");
        Assert.NotEqual(workspace.BuiltImageIds["worker"], workspace.ImageId($"{worker.Repository}:{worker.Tag}"));
    }
}

/// <summary>The SBOMs Sbom made for the real images of the workspace's cold Publish.</summary>
[Collection(SharedDockerWorkspace.Name)]
public sealed class SbomTests(DockerWorkspace workspace)
{
    [Theory]
    [InlineData("api")]
    [InlineData("worker")]
    public void Each_image_SBOM_lists_the_dotnet_runtime_the_base_images_Debian_packages_and_the_apps_packages(string service)
    {
        var image = workspace.Release().Images.Single(i => i.Service == service);
        Assert.Equal($"artifacts/sbom/{service}.image.cdx.json", image.Sbom);

        var sbom = Tools.Sbom.CycloneDxDocument.Load(Path.Combine(workspace.Root, image.Sbom!));

        Assert.True(sbom.HasComponent(name => name == "Microsoft.NETCore.App"), "the .NET runtime");
        Assert.True(sbom.HasComponent(name => name == "Microsoft.AspNetCore.App"), "the ASP.NET Core runtime");
        Assert.Contains(sbom.WithPurlPrefix("pkg:deb/debian/"), c => c.Name == "libc6");
        Assert.Contains(sbom.WithPurlPrefix("pkg:deb/debian/"), c => c.Name == "base-files");
        Assert.True(sbom.HasComponent(name => name == "Npgsql"), "the application's NuGet packages");

        // Made from the SBOM of the base image, inventoried once for both services: above its base, the sample's
        // Dockerfile only copies the published application and sets metadata.
        var properties = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(workspace.Root, image.Sbom!)))!["metadata"]!["properties"]!.AsArray()
            .Select(p => ((string)p!["name"]!, (string)p["value"]!)).Where(p => p.Item1.StartsWith("slipway:", StringComparison.Ordinal) || p.Item1 == "oci:image:Id")
            .ToDictionary(p => p.Item1, p => p.Item2);
        Assert.Equal("mcr.microsoft.com/dotnet/aspnet:10.0", properties["slipway:base-image:reference"]);
        Assert.Equal(workspace.ImageId("mcr.microsoft.com/dotnet/aspnet:10.0"), properties["slipway:base-image:id"]);
        Assert.Equal(workspace.ImageId($"{image.Repository}:{image.Tag}"), properties["oci:image:Id"]);
    }
}
