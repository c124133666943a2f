using System.Text.Json;
using Slipway.Build;
using Slipway.Cli;
using Slipway.Processes;
using Slipway.IntegrationTests.Support;
using Slipway.Tests.Support;

namespace Slipway.IntegrationTests;

/// <summary>
/// A throwaway copy of the repository's sample stack (samples, environments, compose files, build props) committed
/// to a fresh git repository, with an environment 'itest' that publishes under a unique registry
/// prefix, on the real Docker engine and registry, signing with the real cosign (key mode, offline) and deploying
/// with the real Compose v2 plugin (<c>docker compose</c>). The cold Publish runs once for the collection.
/// </summary>
public sealed class DockerWorkspace : IAsyncLifetime
{
    /// <summary>The password of the workspace's cosign key pair (made by the real cosign).</summary>
    public const string CosignPassword = "itest-cosign-password-8d1f";

    /// <summary>
    /// The real cosign: SLIPWAY_COSIGN, PATH, or .slipway/tools/bin as --provision installs it (Debian 13's 2.5.0). Missing
    /// fails the tests, in CI and locally alike, with what to do.
    /// </summary>
    public static string Cosign => RealTools.Cosign;

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "slipway-itest", Guid.NewGuid().ToString("N")[..10]);

    public string Prefix { get; } = "itest-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>DOCKER_HOST for every docker command: the given one, else the provisioned socket.</summary>
    public static string DefaultDockerHost { get; } = Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host
        ? host
        : "unix://" + Path.Combine(TestPaths.RepositoryRoot, ".slipway", "docker.sock");

    /// <summary>DOCKER_HOST for every docker command of this workspace (<see cref="DefaultDockerHost"/>).</summary>
    public string DockerHost { get; } = DefaultDockerHost;

    public const string Registry = "127.0.0.1:5000";

    public HostRun ColdPublish { get; private set; } = new(-1, string.Empty, string.Empty);

    /// <summary>Image IDs right after the cold build, by service.</summary>
    public Dictionary<string, string> BuiltImageIds { get; } = new(StringComparer.Ordinal);

    public async Task InitializeAsync()
    {
        await RequireEngineAndRegistryAsync();
        RealTools.RequireComposeV2Plugin();
        CopyRepository();
        HostProcess.Run(Cosign, ["generate-key-pair"], Root, ("COSIGN_PASSWORD", CosignPassword));
        Git("init", "-q", "-b", "main");
        Git("add", "-A");
        Git("-c", "user.name=Slipway Tests", "-c", "user.email=tests@slipway.invalid", "commit", "-q", "-m", "integration test workspace");

        ColdPublish = await RunAsync("--target", "Publish");
        Assert.True(ColdPublish.ExitCode == 0, "cold Publish failed:\n" + ColdPublish.Out + ColdPublish.Error);
        foreach (var image in Release().Images)
        {
            BuiltImageIds[image.Service] = ImageId($"{image.Repository}:{image.Tag}");
        }
    }

    public Task DisposeAsync()
    {
        foreach (var image in Docker("image", "ls", "--format", "{{.ID}} {{.Repository}}").Split('\n').Where(i => i.Contains(Prefix, StringComparison.Ordinal)).Select(i => i.Split(' ')[0]).Distinct())
        {
            Docker("image", "rm", "--force", image);
        }

        Directory.Delete(Root, recursive: true);
        return Task.CompletedTask;
    }

    /// <summary>Runs the repository's pipeline in the workspace for another environment, with a recording runner.</summary>
    public Task<HostRun> RunRecordedAsync(RecordingToolRunner runner, string environment, params string[] args) =>
        InProcessHost.RunAsync(new SlipwayPipeline(), [.. args, "--env", environment, "--skip", "Restore"], runner: runner, workingDirectory: Root);

    /// <summary>Runs the repository's pipeline in the workspace, with the real tools.</summary>
    public Task<HostRun> RunAsync(params string[] args) => RunWithVariablesAsync(new Dictionary<string, string>(), args);

    /// <summary>As <see cref="RunAsync"/>, with more environment variables for the host (e.g. FAULT_MODE for E2ESmoke).</summary>
    public Task<HostRun> RunWithVariablesAsync(IReadOnlyDictionary<string, string> extra, params string[] args) =>
        RunHostAsync(extra, [.. args, "--env", "itest"]);

    /// <summary>Runs the pipeline with exactly <paramref name="args"/> (no --env: for targets that imply theirs).</summary>
    public Task<HostRun> RunHostAsync(params string[] args) => RunHostAsync(new Dictionary<string, string>(), args);

    /// <summary>As <see cref="RunHostAsync(string[])"/>, with more environment variables for the host.</summary>
    public Task<HostRun> RunHostAsync(IReadOnlyDictionary<string, string> extra, string[] args)
    {
        var variables = new Dictionary<string, string>(extra) { ["SLIPWAY_COSIGN"] = Cosign, ["COSIGN_PASSWORD"] = CosignPassword };

        // The host and its runner see the same variables; provisioned tools (cdxgen, helm) live in the
        // repository's .slipway, not the workspace's.
        var resolver = new ToolResolver(
            name => variables.TryGetValue(name, out var value) ? value : Environment.GetEnvironmentVariable(name),
            [Path.Combine(TestPaths.RepositoryRoot, ".slipway", "tools", "bin")]);
        return InProcessHost.RunAsync(
            new SlipwayPipeline(),
            [.. args, "--skip", "Restore", "--docker-host", DockerHost, "--signing-offline"],
            runner: new ProcessRunner(resolver),
            environment: variables,
            workingDirectory: Root);
    }

    /// <summary>
    /// Removes every signature and attestation of the release's images from the registry (<c>cosign clean</c>), so a
    /// test starts with nothing signed.
    /// </summary>
    public void RemoveSignatures()
    {
        foreach (var image in Release().Images)
        {
            HostProcess.Run(Cosign, ["clean", "--type", "all", "--force", image.Reference], Root);
        }
    }

    /// <summary>Runs the real cosign directly, as another signer would.</summary>
    public string RunCosign(string directory, params string[] args) => HostProcess.Run(Cosign, args, directory, ("COSIGN_PASSWORD", CosignPassword));

    public Delivery.ReleaseManifest Release() => Delivery.ReleaseManifest.Read(Path.Combine(Root, "artifacts", "release.json"));

    public string ImageId(string reference) =>
        JsonDocument.Parse(Docker("image", "inspect", "--format", "{{json .Id}}", reference)).RootElement.GetString()!;

    public string Docker(params string[] args) => HostProcess.Run("docker", ["--host", DockerHost, .. args], TestPaths.RepositoryRoot);

    public string Git(params string[] args) => HostProcess.Run("git", args, Root);

    private async Task RequireEngineAndRegistryAsync()
    {
        // In CI these tests must fail, not skip, when a prerequisite is missing: say what to do.
        try
        {
            Docker("version", "--format", "{{.Server.Version}}");
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            throw new InvalidOperationException($"No Docker engine answers at {DockerHost}: run ./build.sh --target Provision (Debian/Ubuntu, root) or set DOCKER_HOST. ({ex.Message})", ex);
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            using var response = await http.GetAsync(new Uri($"http://{Registry}/v2/"));
            response.EnsureSuccessStatusCode();
        }
        catch (HttpRequestException ex)
        {
            throw new InvalidOperationException($"No registry answers at {Registry}: run ./build.sh --target Provision. ({ex.Message})", ex);
        }
    }

    private void CopyRepository()
    {
        var source = TestPaths.RepositoryRoot;
        foreach (var file in new[] { "Directory.Build.props", "Directory.Packages.props", "global.json", ".editorconfig" })
        {
            Directory.CreateDirectory(Root);
            File.Copy(Path.Combine(source, file), Path.Combine(Root, file));
        }

        foreach (var directory in new[] { "samples", "environments", "compose" })
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(source, directory), "*", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(source, file);
                if (relative.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
                {
                    continue;
                }

                Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(Root, relative))!);
                File.Copy(file, Path.Combine(Root, relative));
            }
        }

        File.WriteAllText(Path.Combine(Root, "environments", "itest.yml"), $"""
            # yaml-language-server: $schema=./environment.schema.json
            # Integration tests: dev, publishing under a prefix of this run's own, signing with a key
            # pair made by the real cosign, and requiring signature and SBOM attestation like prod.
            extends: dev
            registry:
              repository_prefix: {Prefix}
            supply_chain:
              require_sbom: true
              require_signature: true
              signing:
                mode: key
                key: file:cosign.key
                public_key: cosign.pub

            """);
    }
}

/// <summary>Every class that uses the workspace shares one cold Publish and runs one after another.</summary>
[CollectionDefinition(Name)]
public sealed class SharedDockerWorkspace : ICollectionFixture<DockerWorkspace>
{
    public const string Name = "docker workspace";
}
