using Slipway.Build;
using Slipway.Processes;
using Slipway.Tests.HostileInput;
using Slipway.Tests.Tools;

namespace Slipway.Tests.Delivery.Incremental;

/// <summary>
/// The main job's steps skip on their real inputs and say why, through the whole CLI with a recording runner: Restore
/// (project files, lock files, SDK), Sbom (image ID, project, cdxgen version: an SBOM made for an image is reused) and
/// Scan (images, projects, policy, scanner versions). A changed input runs the step again; a corrupt record warns and runs it.
/// </summary>
public sealed class IncrementalStepsTests : IDisposable
{
    private const string ImageId = "sha256:4f1c9d3e7a2b8c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d";
    private const string OtherImageId = "sha256:5f1c9d3e7a2b8c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d";

    private const string CleanDotNetReport = """{ "version": 1, "parameters": "--vulnerable --include-transitive", "projects": [ { "path": "samples/Api/Api.csproj" } ] }""";

    private const string CleanGrypeReport = """{ "matches": [], "source": { "type": "sbom", "target": "x" }, "descriptor": { "name": "grype", "version": "0.87.0" } }""";

    private const string Sbom = """{ "bomFormat": "CycloneDX", "specVersion": "1.6", "components": [ { "type": "library", "name": "zlib1g", "version": "1.2.13" } ] }""";

    private readonly HostileWorkspace _workspace = new();

    public IncrementalStepsTests()
    {
        foreach (var service in new[] { "Api", "Worker" })
        {
            _workspace.Write($"samples/{service}/{service}.csproj", "<Project Sdk=\"Microsoft.NET.Sdk\" />\n")
                .Write($"samples/{service}/packages.lock.json", "{ \"version\": 1 }\n")
                .Write($"samples/{service}/obj/project.assets.json", "{}\n")
                .Write($"samples/{service}/Program.cs", "return 0;\n");
        }

        _workspace.Write("Slipway.slnx", "<Solution>\n  <Project Path=\"samples/Api/Api.csproj\" />\n  <Project Path=\"samples/Worker/Worker.csproj\" />\n</Solution>\n");
    }

    public void Dispose() => _workspace.Dispose();

    private string Sdk { get; set; } = "10.0.100";

    private string Cdxgen { get; set; } = "12.8.4";

    private string Grype { get; set; } = "Application: grype\nVersion: 0.87.0";

    private string Image { get; set; } = ImageId;

    /// <summary>What <c>git status --porcelain -z</c> lists: nothing for a clean tree.</summary>
    private string Changes { get; set; } = string.Empty;

    private RecordingToolRunner Runner() => new RecordingToolRunner()
        .Script("git", invocation => string.Join(' ', invocation.Arguments.Select(a => a.Reveal())) switch
        {
            "rev-parse HEAD" => Ok(new string('a', 40) + "\n"),
            "describe --tags --exact-match HEAD" => new ToolResult(128, string.Empty, "fatal: no tag exactly matches", TimeSpan.Zero),
            "rev-parse --abbrev-ref HEAD" => Ok("main\n"),
            "log -1 --format=%cI" => Ok("2026-03-08T09:00:00+00:00\n"),
            "rev-list --count HEAD" => Ok("42\n"),
            "status --porcelain -z --untracked-files=all" => Ok(Changes),
            _ => Ok(string.Empty),
        })
        .Script("dotnet", invocation => Args(invocation) switch
        {
            "--version" => Ok(Sdk + "\n"),
            var args when args.StartsWith("restore ", StringComparison.Ordinal) => Restored(),
            var args when args.StartsWith("list ", StringComparison.Ordinal) => Ok(CleanDotNetReport),
            _ => Ok(string.Empty),
        })
        .Script("docker", invocation => Args(invocation) switch
        {
            var args when args.StartsWith("push ", StringComparison.Ordinal) => Pushed(invocation),
            var args when args.Contains("history", StringComparison.Ordinal) =>
                Ok(string.Concat((args.EndsWith(BaseId, StringComparison.Ordinal) ? BaseSteps : [.. StepsAboveBase, .. BaseSteps]).Select(step => $"{{\"CreatedBy\":{System.Text.Json.JsonSerializer.Serialize(step)}}}\n"))),
            var args when args.Contains("inspect", StringComparison.Ordinal) && (args.EndsWith(BaseImage, StringComparison.Ordinal) || args.EndsWith(BaseId, StringComparison.Ordinal)) =>
                Ok(Inspect(BaseId, BaseLayers)),
            var args when args.Contains("inspect", StringComparison.Ordinal) => Ok(Inspect(Image, [.. BaseLayers, "sha256:app"])),
            _ => Ok(string.Empty),
        })
        .Script("cdxgen", invocation =>
        {
            var tokens = invocation.Arguments.Select(a => a.Reveal()).ToList();
            if (tokens.SequenceEqual(["--version"]))
            {
                return Ok(Cdxgen + "\n");
            }

            if (invocation.Environment.TryGetValue("CDXGEN_TEMP_DIR", out var scratch))
            {
                // Like cdxgen 12: the image's layers are exported into a docker-images-* directory that is never removed.
                CdxgenScratchDirectories.Add(scratch.Reveal());
                Directory.CreateDirectory(Path.Combine(scratch.Reveal(), "docker-images-x1Yz9Q", "all-layers"));
                File.WriteAllText(Path.Combine(scratch.Reveal(), "docker-images-x1Yz9Q", "manifest.json"), "[]");
            }

            _workspace.Write(tokens[tokens.IndexOf("-o") + 1], Sbom);
            return Ok(string.Empty);
        })
        .Script("grype", invocation => Args(invocation) == "version" ? Ok(Grype + "\n") : Ok(CleanGrypeReport));

    private const string BaseImage = "mcr.microsoft.com/dotnet/aspnet:10.0";

    private const string BaseId = "sha256:c32966e60fbf0a131adeaad51d70a6a289023a83d48268de7b9cd87da0dc4516";

    private static readonly string[] BaseLayers = ["sha256:debian", "sha256:dotnet"];

    private static readonly string[] BaseSteps = ["/bin/sh -c #(nop) COPY dir:96087622 in /usr/share/dotnet/ ", "/bin/sh -c apt-get install -y libicu72", string.Empty];

    /// <summary>What the services' Dockerfile did above its base, newest first, as the classic builder records it.</summary>
    private string[] StepsAboveBase { get; set; } = ["/bin/sh -c #(nop)  USER 64198", "/bin/sh -c #(nop) COPY dir:afa2d004 in /app/ ", "/bin/sh -c #(nop)  ARG VERSION="];

    private static string Inspect(string id, string[] layers) =>
        "[{\"Id\":\"" + id + "\",\"RepoTags\":[],\"RepoDigests\":[],\"Created\":\"2026-03-08T09:00:00Z\",\"Config\":{\"Env\":[\"DOTNET_VERSION=10.0.0\"],\"Labels\":{}},\"RootFS\":{\"Type\":\"layers\",\"Layers\":"
        + System.Text.Json.JsonSerializer.Serialize(layers) + "}}]";

    /// <summary>The <c>CDXGEN_TEMP_DIR</c> of every image SBOM made.</summary>
    private List<string> CdxgenScratchDirectories { get; } = [];

    /// <summary>The tags the fake registry holds, with the image ID (config digest) each names.</summary>
    private Dictionary<string, string> Registry { get; } = new(StringComparer.Ordinal);

    private ToolResult Pushed(ToolInvocation push)
    {
        var reference = push.Arguments.Last().Reveal();
        lock (Registry)
        {
            Registry[reference[(reference.IndexOf('/', StringComparison.Ordinal) + 1)..].Replace(":", "/manifests/", StringComparison.Ordinal)] = Image;
        }

        return Ok(string.Empty);
    }

    /// <summary>A fake registry's manifest API: GET by tag or digest, and PUT of a tag (Publish tags the commit in the registry).</summary>
    private CannedResponse Manifest(ReceivedRequest request)
    {
        var path = request.PathAndQuery["/v2/".Length..];
        string? config;
        lock (Registry)
        {
            if (request.Method == "PUT")
            {
                var digest = System.Text.Json.JsonDocument.Parse(request.Body).RootElement.GetProperty("config").GetProperty("digest").GetString()!;
                Registry[path] = digest;
                return new CannedResponse(201, string.Empty, null, new Dictionary<string, string> { ["Docker-Content-Digest"] = ManifestDigest(digest) });
            }

            var manifests = path[..(path.IndexOf("/manifests/", StringComparison.Ordinal) + "/manifests/".Length)];
            config = Registry.GetValueOrDefault(path)
                ?? Registry.Where(r => r.Key.StartsWith(manifests, StringComparison.Ordinal) && ManifestDigest(r.Value) == path[manifests.Length..]).Select(r => r.Value).FirstOrDefault();
        }

        return config is null
            ? new CannedResponse(404, """{"errors":[{"code":"MANIFEST_UNKNOWN"}]}""", "application/json")
            : new CannedResponse(200, $$$"""{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":1,"digest":"{{{config}}}"},"layers":[]}""",
                "application/vnd.docker.distribution.manifest.v2+json", new Dictionary<string, string> { ["Docker-Content-Digest"] = ManifestDigest(config) });
    }

    private static string ManifestDigest(string config) => "sha256:" + config[^64..].Replace('4', '9');

    private static string Args(ToolInvocation invocation) => string.Join(' ', invocation.Arguments.Select(a => a.Reveal()));

    private static ToolResult Ok(string stdout) => new(0, stdout, string.Empty, TimeSpan.Zero);

    /// <summary>Where the runner says each tool's executable is (by default it knows none, like a runner that starts nothing).</summary>
    private Dictionary<string, string> Installed { get; } = new(StringComparer.Ordinal);

    private async Task<(HostRun Run, RecordingToolRunner Runner)> RunAsync(params string[] targets)
    {
        var runner = Runner();
        foreach (var (tool, path) in Installed)
        {
            runner.Installed(tool, path);
        }

        var run = await InProcessHost.RunAsync(new SlipwayPipeline(), ["--target", .. targets, "--exclusive"], runner, workingDirectory: _workspace.Root);
        Assert.True(run.ExitCode == 0, run.Out + run.Error);
        return (run, runner);
    }

    private static int Pushes(RecordingToolRunner runner, string tagSuffix) =>
        runner.CommandLines.Count(c => c.StartsWith("docker push ", StringComparison.Ordinal) && c.EndsWith(tagSuffix, StringComparison.Ordinal));

    private static int Count(RecordingToolRunner runner, string prefix) => runner.CommandLines.Count(c => c.Contains(prefix, StringComparison.Ordinal));

    [Fact]
    public async Task Restore_runs_once_then_skips_while_project_files_lock_files_and_the_SDK_are_unchanged()
    {
        var (_, first) = await RunAsync("Restore");
        Assert.Equal(1, Count(first, "dotnet restore"));

        var (second, again) = await RunAsync("Restore");
        Assert.Equal(0, Count(again, "dotnet restore"));
        Assert.Matches(@"│ Restore\s+│ Skipped\s+│[^│]*│ project files, lock files and SDK 10\.0\.100 unchanged since the last restore", second.Out);

        _workspace.Write("samples/Api/packages.lock.json", "{ \"version\": 2 }\n");
        Assert.Equal(1, Count((await RunAsync("Restore")).Runner, "dotnet restore"));

        Sdk = "10.0.200";
        Assert.Equal(1, Count((await RunAsync("Restore")).Runner, "dotnet restore"));
        Assert.Equal(0, Count((await RunAsync("Restore")).Runner, "dotnet restore"));

        File.Delete(_workspace.PathOf("samples/Worker/obj/project.assets.json"));
        var (missing, restored) = await RunAsync("Restore");
        Assert.Equal(1, Count(restored, "dotnet restore"));
        Assert.Contains("samples/Worker/Worker.csproj has no restore output", missing.Out, StringComparison.Ordinal);

        Assert.Equal(0, Count((await RunAsync("Restore")).Runner, "dotnet restore"));
    }

    [Fact]
    public async Task A_fresh_clone_restores_once_and_its_second_run_skips()
    {
        // A fresh clone: no restore output, no record. The restore that made the outputs records what it read.
        File.Delete(_workspace.PathOf("samples/Api/obj/project.assets.json"));
        File.Delete(_workspace.PathOf("samples/Worker/obj/project.assets.json"));
        var (first, restored) = await RunAsync("Restore");
        Assert.Equal(1, Count(restored, "dotnet restore"));
        Assert.Contains("has no restore output", first.Out, StringComparison.Ordinal);

        var (second, again) = await RunAsync("Restore");
        Assert.Equal(0, Count(again, "dotnet restore"));
        Assert.Contains("unchanged since the last restore", second.Out, StringComparison.Ordinal);
    }

    /// <summary>What <c>dotnet restore</c> leaves: every project's restore output.</summary>
    private ToolResult Restored()
    {
        foreach (var service in new[] { "Api", "Worker" })
        {
            _workspace.Write($"samples/{service}/obj/project.assets.json", "{}\n");
        }

        return Ok(string.Empty);
    }

    [Fact]
    public async Task Build_skips_a_service_whose_inputs_and_image_are_unchanged_and_rebuilds_the_one_whose_source_changed()
    {
        WriteDockerfiles();
        var (_, first) = await RunAsync("Build");
        Assert.Equal(2, Count(first, "docker build"));
        Assert.Equal(2, Count(first, "dotnet publish"));

        var (second, again) = await RunAsync("Build");
        Assert.Equal(0, Count(again, "docker build") + Count(again, "dotnet publish"));
        Assert.Matches(@"│   › api\s+│ Skipped\s+│[^│]*│ unchanged since the last build \(sha256:4f1c9d3e7a2b\)", second.Out);

        // A one-line edit of the api (committed: same version) rebuilds the api only.
        _workspace.Write("samples/Api/Program.cs", "return 1;\n");
        var (_, edited) = await RunAsync("Build");
        Assert.Equal(1, Count(edited, "docker build"));
        Assert.Single(edited.CommandLines, c => c.Contains("dotnet publish samples/Api/Api.csproj", StringComparison.Ordinal));
        Assert.Equal(1, Count(edited, "dotnet publish"));

        // The same edit uncommitted is a new version, but no service's content changed since its build: each image is
        // tagged with the new version (by its ID), not rebuilt, and the skip says which version its labels carry.
        Changes = " M samples/Api/Program.cs\0";
        var (retagged, retagging) = await RunAsync("Build");
        Assert.Equal(0, Count(retagging, "docker build") + Count(retagging, "dotnet publish"));
        Assert.Single(retagging.CommandLines, c => c.StartsWith($"docker tag {ImageId} 127.0.0.1:5000/slipway/worker:0.0.0-main.42.dirty-", StringComparison.Ordinal));
        Assert.Matches(@"\[worker\] skipped: content unchanged since its build as 0\.0\.0-main\.42\+aaaaaaa \(sha256:4f1c9d3e7a2b\): tagged 0\.0\.0-main\.42\.dirty-", retagged.Out);

        // A change of the api under that version rebuilds the api alone: the worker's image, digest and SBOM stay.
        _workspace.Write("samples/Api/Program.cs", "return 2;\n");
        Changes = " M samples/Api/Program.cs\0";
        var (_, oneService) = await RunAsync("Build");
        Assert.Single(oneService.CommandLines, c => c.Contains("docker build", StringComparison.Ordinal) && c.Contains("slipway/api:", StringComparison.Ordinal));
        Assert.Equal(1, Count(oneService, "docker build"));
        Assert.Equal(0, Count((await RunAsync("Build")).Runner, "docker build"));
    }

    [Fact]
    public async Task Sbom_reuses_the_SBOMs_made_for_an_image_and_makes_new_ones_for_a_new_image_or_cdxgen()
    {
        var (_, first) = await RunAsync("Sbom");
        Assert.Equal(4, Count(first, "cdxgen -t"));

        var (second, again) = await RunAsync("Sbom");
        Assert.Equal(0, Count(again, "cdxgen -t"));
        Assert.Equal(1, Count(again, "cdxgen --version"));   // once per run, not per service: each costs a Node start
        Assert.Matches(@"│   › api\s+│ Skipped\s+│[^│]*│ the SBOMs made for image sha256:4f1c9d3e7a2b are reused: image, project and cdxgen \(12\.8\.4\) unchanged", second.Out);

        // A new image of the same packages: new image SBOMs, the project SBOMs stand.
        Image = OtherImageId;
        var (newImage, newImageRunner) = await RunAsync("Sbom");
        Assert.Equal(2, Count(newImageRunner, "cdxgen -t docker"));
        Assert.Equal(0, Count(newImageRunner, "cdxgen -t dotnet"));
        Assert.Contains("artifacts/sbom/api.project.cdx.json: reused, the project's packages (project, lock and assets files) and cdxgen unchanged since it was made", newImage.Out, StringComparison.Ordinal);

        Cdxgen = "12.9.0";
        Assert.Equal(4, Count((await RunAsync("Sbom")).Runner, "cdxgen -t"));

        // An SBOM changed behind Slipway's back is made again.
        _workspace.Write("artifacts/sbom/api.image.cdx.json", Sbom.Replace("zlib1g", "tampered", StringComparison.Ordinal));
        Assert.Equal(1, Count((await RunAsync("Sbom")).Runner, "cdxgen -t"));
        _workspace.Write("artifacts/sbom/api.project.cdx.json", Sbom.Replace("zlib1g", "tampered", StringComparison.Ordinal));
        Assert.Equal(2, Count((await RunAsync("Sbom")).Runner, "cdxgen -t"));
    }

    [Fact]
    public async Task Sbom_asks_cdxgen_its_version_again_only_when_the_cdxgen_or_node_file_changed()
    {
        Installed["cdxgen"] = _workspace.Write("tools/cdxgen.js", "// cdxgen 12.8.4\n").PathOf("tools/cdxgen.js");
        Installed["node"] = _workspace.Write("tools/node", "node 20\n").PathOf("tools/node");

        Assert.Equal(1, Count((await RunAsync("Sbom")).Runner, "cdxgen --version"));
        var (kept, keptRunner) = await RunAsync("Sbom");
        Assert.Equal(0, Count(keptRunner, "cdxgen --version"));
        Assert.Matches(@"│   › api\s+│ Skipped\s+│[^│]*│ the SBOMs made for image \S+ are reused: image, project and cdxgen \(12\.8\.4\) unchanged", kept.Out);

        // An upgrade writes the file anew: the version is asked, and the SBOMs are made again by the new cdxgen.
        Cdxgen = "12.9.0";
        _workspace.Write("tools/cdxgen.js", "// cdxgen 12.9.0, a longer file\n");
        var (upgraded, upgradedRunner) = await RunAsync("Sbom");
        Assert.Equal(1, Count(upgradedRunner, "cdxgen --version"));
        Assert.Equal(4, Count(upgradedRunner, "cdxgen -t"));
        Assert.Equal(0, Count((await RunAsync("Sbom")).Runner, "cdxgen --version"));

        // Node is part of the answer, so a new node asks again; so does a record edited to say something unprintable.
        File.SetLastWriteTimeUtc(Installed["node"], DateTime.UtcNow.AddMinutes(-5));
        Assert.Equal(1, Count((await RunAsync("Sbom")).Runner, "cdxgen --version"));
        var record = _workspace.PathOf(".slipway/build-state/cdxgen-version.json");
        File.WriteAllText(record, File.ReadAllText(record).Replace("12.9.0", "12.9.0\\u0000", StringComparison.Ordinal));
        Assert.Equal(1, Count((await RunAsync("Sbom")).Runner, "cdxgen --version"));
        Assert.Equal(0, Count((await RunAsync("Sbom")).Runner, "cdxgen --version"));
    }

    [Fact]
    public async Task A_change_to_the_code_keeps_the_project_SBOM_and_a_change_to_its_packages_makes_it_again()
    {
        await RunAsync("Sbom");

        // The one-line change of the inner loop: new code, a new image, the same packages.
        _workspace.Write("samples/Api/Program.cs", "return 1;\n");
        Image = OtherImageId;
        var (_, code) = await RunAsync("Sbom");
        Assert.Equal(0, Count(code, "cdxgen -t dotnet"));
        Assert.Equal(2, Count(code, "cdxgen -t docker"));

        // Its lock file, its restore's package graph, its project file: the api's project SBOM is made again, the worker's stands.
        foreach (var (file, content, image) in new[] { ("samples/Api/packages.lock.json", "{ \"version\": 2 }\n", 'a'), ("samples/Api/obj/project.assets.json", "{ \"version\": 3 }\n", 'b'), ("samples/Api/Api.csproj", "<Project Sdk=\"Microsoft.NET.Sdk.Web\" />\n", 'c') })
        {
            // Each is a new build, so a new image.
            _workspace.Write(file, content);
            Image = "sha256:" + new string(image, 64);
            var (packagesRun, packages) = await RunAsync("Sbom");
            Assert.True(Count(packages, "cdxgen -t dotnet") == 1, packagesRun.Out + string.Join('\n', packages.CommandLines));
            Assert.Equal(["cdxgen -t dotnet --no-install-deps --no-validate -o artifacts/sbom/api.project.cdx.json samples/Api"], packages.CommandLines.Where(c => c.Contains("cdxgen -t dotnet", StringComparison.Ordinal)).Select(c => c[c.IndexOf("cdxgen", StringComparison.Ordinal)..]));
        }

        // A corrupt record makes it again, with a warning, never a crash.
        _workspace.Write(".slipway/build-state/api.project-sbom.json", "{ \"Inputs\": 7 }");
        _workspace.Write("samples/Api/Program.cs", "return 2;\n");
        var (corrupt, runner) = await RunAsync("Sbom");
        Assert.Equal(1, Count(runner, "cdxgen -t dotnet"));
        Assert.Contains(".slipway/build-state/api.project-sbom.json is not a record Slipway wrote", corrupt.Out + corrupt.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sbom_inventories_a_base_image_once_and_makes_the_sbom_of_each_image_that_only_copied_files_above_it_from_that()
    {
        WriteDockerfiles();
        await RunAsync("Build");
        var (first, made) = await RunAsync("Sbom");
        Assert.Single(made.CommandLines, c => c.Contains("cdxgen -t docker", StringComparison.Ordinal));
        Assert.Single(made.CommandLines, c => c.Contains($"cdxgen -t docker {BaseImage} -o .slipway/build-state/base-sbom/{BaseId[7..]}.cdx.json", StringComparison.Ordinal));
        Assert.Equal(2, Count(made, "cdxgen -t dotnet"));
        foreach (var service in new[] { "api", "worker" })
        {
            var sbom = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(_workspace.PathOf($"artifacts/sbom/{service}.image.cdx.json")))!;
            var properties = sbom["metadata"]!["properties"]!.AsArray().ToDictionary(p => (string)p!["name"]!, p => (string)p!["value"]!);
            Assert.Equal(BaseId, properties["slipway:base-image:id"]);
            Assert.Equal(ImageId, properties["oci:image:Id"]);
            Assert.Contains(sbom["components"]!.AsArray(), c => (string?)c!["name"] == "zlib1g");
        }

        Assert.Contains($"the SBOM of base image {BaseImage} (sha256:c32966e60fbf)", first.Out, StringComparison.Ordinal);

        // The api rebuilt on the same base: its SBOM is made from the base's, which is not inventoried again.
        Image = OtherImageId;
        await RunAsync("Build");
        var (second, again) = await RunAsync("Sbom");
        Assert.Equal(0, Count(again, "cdxgen -t docker"));
        Assert.Equal(0, Count(again, "cdxgen -t dotnet"));   // nor are the projects, whose packages did not change
        Assert.Contains($"Reusing the SBOM of base image {BaseImage} (sha256:c32966e60fbf) that cdxgen 12.8.4 made", second.Out, StringComparison.Ordinal);

        // A Dockerfile that runs a command above its base: each image is inventoried whole, and the output says why.
        StepsAboveBase = ["/bin/sh -c #(nop) COPY dir:afa2d004 in /app/ ", "/bin/sh -c apt-get install -y curl"];
        Image = ImageId;
        await RunAsync("Build");
        var (third, whole) = await RunAsync("Sbom");
        Assert.Equal(2, Count(whole, "cdxgen -t docker 127.0.0.1"));
        Assert.Equal(0, Count(whole, $"cdxgen -t docker {BaseImage}"));
        Assert.Contains("cdxgen inventories the whole image: its Dockerfile runs a command above the base image: \"/bin/sh -c apt-get install -y curl\"", third.Out, StringComparison.Ordinal);

        // A base SBOM changed behind Slipway's back is made again.
        StepsAboveBase = ["/bin/sh -c #(nop) COPY dir:afa2d004 in /app/ "];
        Image = OtherImageId;
        await RunAsync("Build");
        _workspace.Write($".slipway/build-state/base-sbom/{BaseId[7..]}.cdx.json", Sbom.Replace("zlib1g", "tampered", StringComparison.Ordinal));
        Assert.Equal(1, Count((await RunAsync("Sbom")).Runner, $"cdxgen -t docker {BaseImage}"));

        // A Dockerfile that copies files of another image: its history looks like a plain COPY, so Build reads the
        // Dockerfile and Sbom inventories the image whole.
        _workspace.Write("samples/Api/Dockerfile", $"ARG BASE_IMAGE={BaseImage}\nFROM ${{BASE_IMAGE}}\nARG VERSION=\"\"\nCOPY --from=busybox:1.36 /bin/busybox /bin/\nCOPY . /app/\n");
        Image = ImageId;
        await RunAsync("Build");
        var (copiesOtherImage, inventoried) = await RunAsync("Sbom");
        Assert.Contains("api.image.cdx.json: cdxgen inventories the whole image: its Dockerfile's COPY \"--from=busybox:1.36\" (line 4) copies files of another image or stage.", copiesOtherImage.Out, StringComparison.Ordinal);
        Assert.Equal(1, Count(inventoried, "cdxgen -t docker 127.0.0.1"));
        WriteDockerfiles();
        Image = OtherImageId;
        await RunAsync("Build");
        await RunAsync("Sbom");

        // A build record edited to name an option as its base image: never handed to docker or cdxgen.
        Image = ImageId;
        await RunAsync("Build");
        var record = _workspace.PathOf(".slipway/build-state/api.json");
        File.WriteAllText(record, File.ReadAllText(record).Replace($"\"{BaseImage}\"", "\"--output=/tmp/owned\"", StringComparison.Ordinal));
        var (hostile, refused) = await RunAsync("Sbom");
        Assert.DoesNotContain(refused.CommandLines, c => c.Contains("--output=/tmp/owned", StringComparison.Ordinal));
        Assert.Contains("names a base image that is not an image reference", hostile.Out, StringComparison.Ordinal);
        Assert.Equal(1, Count(refused, "cdxgen -t docker 127.0.0.1"));
    }

    private void WriteDockerfiles()
    {
        foreach (var service in new[] { "Api", "Worker" })
        {
            _workspace.Write($"samples/{service}/Dockerfile", $"ARG BASE_IMAGE={BaseImage}\nFROM ${{BASE_IMAGE}}\nARG VERSION=\"\"\nCOPY . /app/\n");
        }
    }

    [Fact]
    public async Task Sbom_gives_cdxgen_a_scratch_directory_inside_the_project_and_removes_what_cdxgen_leaves_there()
    {
        await RunAsync("Sbom");

        Assert.Equal(2, CdxgenScratchDirectories.Count);
        Assert.All(CdxgenScratchDirectories, scratch =>
        {
            Assert.StartsWith(_workspace.PathOf(".slipway"), scratch, StringComparison.Ordinal);
            Assert.False(Directory.Exists(scratch), $"{scratch} was left behind");
        });
    }

    [Fact]
    public async Task Scan_skips_an_unchanged_passed_scan_and_runs_again_when_the_policy_or_a_scanner_version_changes()
    {
        await RunAsync("Sbom");
        var (_, first) = await RunAsync("Scan");
        Assert.Equal(2, Count(first, "dotnet list"));
        Assert.Equal(2, Count(first, "grype sbom:"));

        var (second, again) = await RunAsync("Restore", "Scan");
        Assert.Equal(0, Count(again, "dotnet list") + Count(again, "grype sbom:"));
        // Restore and Scan both key their skips on the SDK's version; the run asks it once.
        Assert.Equal(1, Count(again, "dotnet --version"));
        Assert.Contains("skipped: passed today for the same images, projects, dev policy and scanners (.NET SDK 10.0.100, grype Application: grype Version: 0.87.0)", second.Out, StringComparison.Ordinal);

        _workspace.Edit("environments/dev.yml", "max_severity: critical", "max_severity: high");
        Assert.Equal(2, Count((await RunAsync("Scan")).Runner, "grype sbom:"));
        Assert.Equal(0, Count((await RunAsync("Scan")).Runner, "grype sbom:"));

        Grype = "Application: grype\nVersion: 0.88.0";
        Assert.Equal(2, Count((await RunAsync("Scan")).Runner, "grype sbom:"));

        Sdk = "10.0.200";
        Assert.Equal(2, Count((await RunAsync("Scan")).Runner, "dotnet list"));
    }

    [Fact]
    public async Task Scan_of_a_code_change_reuses_today_s_package_lists_of_projects_whose_resolved_packages_did_not_change()
    {
        await RunAsync("Sbom");
        Assert.Equal(2, Count((await RunAsync("Scan")).Runner, "dotnet list"));

        // A one-line code change: a new image, so the scan runs again, but no package changed.
        _workspace.Edit("samples/Api/Program.cs", "return 0;", "return 1;");
        Image = OtherImageId;
        await RunAsync("Sbom");
        var (changed, runner) = await RunAsync("Scan");
        Assert.Equal(0, Count(runner, "dotnet list"));
        Assert.Equal(2, Count(runner, "grype sbom:"));
        Assert.Contains("[api] .NET dependencies: today's list of samples/Api/Api.csproj's vulnerable packages is reused: its resolved packages (obj/project.assets.json) and SDK 10.0.100 are unchanged (.slipway/build-state/scan-packages/api.json).", changed.Out, StringComparison.Ordinal);

        // A package added to the api (and a code change, so the scan runs): its list runs again, the worker's is still reused.
        _workspace.Write("samples/Api/obj/project.assets.json", "{ \"libraries\": { \"Newtonsoft.Json/13.0.1\": {} } }\n");
        _workspace.Edit("samples/Api/Program.cs", "return 1;", "return 2;");
        var added = (await RunAsync("Scan")).Runner;
        Assert.Equal((1, 0), (Count(added, "dotnet list samples/Api/Api.csproj"), Count(added, "dotnet list samples/Worker/Worker.csproj")));

        // A kept list that is not a report is not trusted: a warning, and the list runs again.
        _workspace.Write(".slipway/build-state/scan-packages/worker.json", System.Text.Json.JsonSerializer.Serialize(new { Inputs = System.Text.Json.JsonDocument.Parse(_workspace.Read(".slipway/build-state/scan-packages/worker.json")).RootElement.GetProperty("Inputs").GetString(), Report = "{}" }));
        _workspace.Edit("samples/Api/Program.cs", "return 2;", "return 3;");
        var (tampered, rerun) = await RunAsync("Scan");
        Assert.Equal(1, Count(rerun, "dotnet list samples/Worker/Worker.csproj"));
        Assert.Contains(".slipway/build-state/scan-packages/worker.json does not hold a report Slipway kept", tampered.Out + tampered.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Publish_pushes_nothing_the_registry_already_has_under_both_tags_and_still_writes_release_json()
    {
        await using var registry = new LocalHttpServer(Manifest);
        _workspace.Edit("environments/dev.yml", "address: 127.0.0.1:5000", $"address: {registry.Host}");

        var (_, first) = await RunAsync("Publish");

        // One push per image; the commit tag is put on the pushed manifest inside the registry.
        Assert.Equal(2, Count(first, "docker push"));
        Assert.Equal(2, Pushes(first, ":0.0.0-main.42-aaaaaaa"));
        Assert.Equal(ImageId, Registry.Single(r => r.Key.EndsWith("worker/manifests/aaaaaaaaaaaa", StringComparison.Ordinal)).Value);
        Assert.Single(registry.Requests, r => r.Method == "PUT" && r.PathAndQuery.EndsWith("api/manifests/aaaaaaaaaaaa", StringComparison.Ordinal));

        var (second, again) = await RunAsync("Publish");
        Assert.Equal(0, Count(again, "docker push"));
        Assert.Matches(@"│   › api\s+│ Skipped\s+│[^│]*│ the registry already has this image \(sha256:9f1c9d3e7a2b\) as 0\.0\.0-main\.42-aaaaaaa and aaaaaaaaaaaa", second.Out);
        Assert.Contains("\"digest\": \"sha256:9f1c9d3e7a2b", _workspace.Read("artifacts/release.json"), StringComparison.Ordinal);

        // A new image (a new build of the same commit, with --force) is pushed again.
        Image = OtherImageId;
        var runner = Runner();
        var forced = await InProcessHost.RunAsync(new SlipwayPipeline(), ["--target", "Publish", "--exclusive", "--force"], runner, workingDirectory: _workspace.Root);
        Assert.True(forced.ExitCode == 0, forced.Out + forced.Error);
        Assert.Equal(2, Count(runner, "docker push"));
        Assert.Equal(OtherImageId, Registry.Single(r => r.Key.EndsWith("api/manifests/aaaaaaaaaaaa", StringComparison.Ordinal)).Value);
    }

    [Fact]
    public async Task A_one_line_uncommitted_change_gets_its_own_version_so_Publish_accepts_it_while_a_released_version_is_never_overwritten()
    {
        await using var registry = new LocalHttpServer(Manifest);
        _workspace.Edit("environments/dev.yml", "address: 127.0.0.1:5000", $"address: {registry.Host}");
        await RunAsync("Publish");

        // Other content under the commit's own version is a real collision: refused without --force, nothing pushed.
        Image = OtherImageId;
        var refusing = Runner();
        var refused = await InProcessHost.RunAsync(new SlipwayPipeline(), ["--target", "Publish", "--exclusive"], refusing, workingDirectory: _workspace.Root);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("0.0.0-main.42-aaaaaaa already exists with different content", refused.Out + refused.Error, StringComparison.Ordinal);
        Assert.Equal(0, Count(refusing, "docker push"));

        // The same content as uncommitted work of that commit: a version of its own, named by the change, pushed.
        Changes = " M samples/Api/Program.cs\0";
        _workspace.Write("samples/Api/Program.cs", "return 1;\n");
        var (edited, pushed) = await RunAsync("Publish");
        var version = Assert.Single(System.Text.RegularExpressions.Regex.Matches(edited.Out, @"Release (0\.0\.0-main\.42\.dirty-[0-9a-f]{10}\+aaaaaaa) from commit aaaaaaaaaaaa with uncommitted changes")).Groups[1].Value;
        var tag = version.Replace('+', '-');
        var fingerprint = version[(version.IndexOf("dirty-", StringComparison.Ordinal) + 6)..version.IndexOf('+', StringComparison.Ordinal)];
        Assert.Equal(2, Pushes(pushed, $":{tag}"));
        Assert.Equal(2, Count(pushed, "docker push"));
        Assert.Equal(OtherImageId, Registry.Single(r => r.Key.EndsWith($"api/manifests/aaaaaaaaaaaa-dirty-{fingerprint}", StringComparison.Ordinal)).Value);
        Assert.DoesNotContain(pushed.CommandLines, c => c.EndsWith(":aaaaaaaaaaaa", StringComparison.Ordinal));
        Assert.Contains($"\"version\": \"{version}\"", _workspace.Read("artifacts/release.json"), StringComparison.Ordinal);
        Assert.Equal(ImageId, Registry.Single(r => r.Key.EndsWith("api/manifests/0.0.0-main.42-aaaaaaa", StringComparison.Ordinal)).Value);
        Assert.Equal(ImageId, Registry.Single(r => r.Key.EndsWith("api/manifests/aaaaaaaaaaaa", StringComparison.Ordinal)).Value);

        // The same edit again is the same version (nothing to push); another edit of the same line is another version.
        Assert.Equal(0, Count((await RunAsync("Publish")).Runner, "docker push"));
        _workspace.Write("samples/Api/Program.cs", "return 2;\n");
        var (again, _) = await RunAsync("Publish");
        Assert.Matches(@"Release 0\.0\.0-main\.42\.dirty-[0-9a-f]{10}\+aaaaaaa", again.Out);
        Assert.DoesNotContain(version, again.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("{\"Inputs\": null}")]
    [InlineData("null")]
    public async Task A_corrupt_step_record_is_a_warning_and_the_step_runs_never_a_crash_or_a_skip(string record)
    {
        await RunAsync("Restore");
        _workspace.Write(".slipway/build-state/restore.json", record);

        var (run, runner) = await RunAsync("Restore");

        Assert.Equal(1, Count(runner, "dotnet restore"));
        Assert.Contains(".slipway/build-state/restore.json is not a record Slipway wrote", run.Out + run.Error, StringComparison.Ordinal);
        Assert.Equal(0, Count((await RunAsync("Restore")).Runner, "dotnet restore"));
    }

    [Fact]
    public async Task A_step_record_that_is_a_directory_is_a_warning_and_the_step_runs()
    {
        await RunAsync("Sbom");
        File.Delete(_workspace.PathOf(".slipway/build-state/api.sbom.json"));
        Directory.CreateDirectory(_workspace.PathOf(".slipway/build-state/api.sbom.json"));

        var runner = Runner();
        var run = await InProcessHost.RunAsync(new SlipwayPipeline(), ["--target", "Sbom", "--exclusive"], runner, workingDirectory: _workspace.Root);

        Assert.Contains(".slipway/build-state/api.sbom.json is not a record Slipway wrote", run.Out + run.Error, StringComparison.Ordinal);
        Assert.True(run.ExitCode == 0, run.Out + run.Error);
        Assert.Equal(1, Count(runner, "cdxgen -t docker"));
        Assert.Contains(".slipway/build-state/api.sbom.json could not be written", run.Out + run.Error, StringComparison.Ordinal);
    }
}
