using Slipway.Build;
using Slipway.Processes;
using Slipway.Tests.HostileInput;
using Slipway.Tests.Tools;

namespace Slipway.Tests.Delivery;

/// <summary>
/// The pre-deploy host check once the release is known, through the whole CLI with a recording runner and a registry
/// played by a local HTTP server: the images the Docker host does not hold yet (<c>docker image inspect</c> answers 1) are
/// sized from their registry manifests, unpacked, and added to <c>free_disk</c>; more than the data root has free is
/// refused before the lock and before any Compose command. Images the host holds count for nothing.
/// </summary>
public sealed class ImageRoomTests : IDisposable
{
    private static readonly string Digest = "sha256:" + new string('b', 64);
    private readonly HostileWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    /// <summary>One layer of <paramref name="layerBytes"/> and a 1 KiB config, as a schema-2 manifest.</summary>
    private static string Manifest(long layerBytes) => $$"""
        {"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
         "config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":1024,"digest":"sha256:{{new string('c', 64)}}"},
         "layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":{{layerBytes}},"digest":"sha256:{{new string('d', 64)}}"}]}
        """;

    private async Task<(HostRun Run, RecordingToolRunner Runner, string DataRoot)> DeployStagingAsync(long apiLayerBytes, bool apiPresent)
    {
        await using var registry = new LocalHttpServer(r => r.PathAndQuery.StartsWith("/v2/slipway/", StringComparison.Ordinal) && r.PathAndQuery.EndsWith("/manifests/" + Digest, StringComparison.Ordinal)
            ? new CannedResponse(200, Manifest(r.PathAndQuery.Contains("/api/", StringComparison.Ordinal) ? apiLayerBytes : 50L << 20), "application/vnd.docker.distribution.manifest.v2+json")
            : new CannedResponse(404));
        _workspace.Write("artifacts/release.json", $$"""
            {
              "version": "1.4.0",
              "commit": "{{new string('a', 40)}}",
              "created": "2026-11-22T10:00:00+00:00",
              "registry": "{{registry.Host}}",
              "images": [
                { "service": "api", "repository": "{{registry.Host}}/slipway/api", "tag": "1.4.0", "digest": "{{Digest}}", "sbom": null },
                { "service": "worker", "repository": "{{registry.Host}}/slipway/worker", "tag": "1.4.0", "digest": "{{Digest}}", "sbom": null }
              ]
            }
            """);
        var dataRoot = Directory.CreateDirectory(Path.Combine(_workspace.Top, "docker-root")).FullName;
        var runner = new RecordingToolRunner().Script("docker", invocation => string.Join(' ', invocation.Arguments.Select(a => a.Reveal())) switch
        {
            var info when info.EndsWith("info --format {{json .}}", StringComparison.Ordinal) =>
                new ToolResult(0, $$"""{"DockerRootDir":"{{dataRoot}}","ServerVersion":"20.10.24+dfsg1"}""", string.Empty, TimeSpan.Zero),
            var inspect when inspect.Contains("image inspect", StringComparison.Ordinal) => apiPresent && inspect.Contains("/api@", StringComparison.Ordinal)
                ? new ToolResult(0, "[{}]", string.Empty, TimeSpan.Zero)
                : new ToolResult(1, "[]", "Error: No such image", TimeSpan.Zero),
            _ => new ToolResult(0, string.Empty, string.Empty, TimeSpan.Zero),
        }).Script("git", invocation => string.Join(' ', invocation.Arguments.Select(a => a.Reveal())) switch
        {
            "describe --tags --exact-match HEAD" => new ToolResult(128, string.Empty, "fatal: no tag exactly matches", TimeSpan.Zero),
            "rev-parse --abbrev-ref HEAD" => new ToolResult(0, "main\n", string.Empty, TimeSpan.Zero),
            _ => new ToolResult(0, string.Empty, string.Empty, TimeSpan.Zero),
        });
        var variables = new Dictionary<string, string> { ["STAGING_DOCKER_HOST"] = "unix:///run/slipway-test/docker.sock", ["STAGING_POSTGRES_PASSWORD"] = "k3Jd9sLq0PzX7wVn" };

        var run = await InProcessHost.RunAsync(new SlipwayPipeline(), ["--target", "DeployStaging", "--exclusive"], runner, variables, _workspace.Root);
        return (run, runner, dataRoot);
    }

    [Fact]
    public async Task Images_the_host_does_not_hold_that_do_not_fit_beside_free_disk_are_refused_before_anything_runs()
    {
        var (run, runner, dataRoot) = await DeployStagingAsync(apiLayerBytes: 4L << 40, apiPresent: false);

        Assert.True(run.ExitCode == 1, run.Out + run.Error);
        Assert.Contains($"The Docker host of staging is not ready: its data root {dataRoot} has ", run.Out, StringComparison.Ordinal);

        // 4 TiB compressed, unpacked × 2.5; the worker's 50 MiB likewise; then the matrix's free_disk.
        Assert.Contains("(api 10240.0 GiB + worker 0.1 GiB + free_disk 1Gi; images the host does not hold yet, unpacked)", run.Out, StringComparison.Ordinal);
        Assert.Contains("Nothing was deployed.", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(runner.CommandLines, c => c.Contains("compose", StringComparison.Ordinal) || c.Contains("pull", StringComparison.Ordinal));
        Assert.Equal(2, runner.CommandLines.Count(c => c.Contains("image inspect", StringComparison.Ordinal)));
        Assert.False(File.Exists(_workspace.PathOf(".slipway/state/staging/deploy.lock")));
        Assert.False(File.Exists(_workspace.PathOf(".slipway/state/staging/ledger.jsonl")));
    }

    [Fact]
    public async Task An_image_the_host_already_holds_is_not_counted()
    {
        var (run, _, _) = await DeployStagingAsync(apiLayerBytes: 4L << 40, apiPresent: true);

        Assert.DoesNotContain("is not ready", run.Out, StringComparison.Ordinal);
        Assert.Contains("the release needs 1.1 GiB (worker 0.1 GiB + free_disk 1Gi)", run.Out, StringComparison.Ordinal);
    }
}
