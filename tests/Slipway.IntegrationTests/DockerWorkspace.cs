using System.Diagnostics;
using System.Text.Json;
using Slipway.Build;
using Slipway.Cli;
using Slipway.Processes;
using Slipway.Tests.Support;

namespace Slipway.IntegrationTests;

/// <summary>
/// A throwaway copy of the repository's sample stack (samples, environments, build props) committed
/// to a fresh git repository, with an environment 'itest' that publishes under a unique registry
/// prefix, on the real Docker engine and registry. The cold Publish runs once for the whole class.
/// </summary>
public sealed class DockerWorkspace : IAsyncLifetime
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "slipway-itest", Guid.NewGuid().ToString("N")[..10]);

    public string Prefix { get; } = "itest-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>DOCKER_HOST for every docker command: the given one, else the provisioned socket.</summary>
    public string DockerHost { get; } = Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host
        ? host
        : "unix://" + Path.Combine(TestPaths.RepositoryRoot, ".slipway", "docker.sock");

    public const string Registry = "127.0.0.1:5000";

    public HostRun ColdPublish { get; private set; } = new(-1, string.Empty, string.Empty);

    /// <summary>Image IDs right after the cold build, by service.</summary>
    public Dictionary<string, string> BuiltImageIds { get; } = new(StringComparer.Ordinal);

    public async Task InitializeAsync()
    {
        await RequireEngineAndRegistryAsync();
        CopyRepository();
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

    /// <summary>Runs the repository's pipeline in the workspace, with the real tools.</summary>
    public Task<HostRun> RunAsync(params string[] args) =>
        InProcessHost.RunAsync(
            new SlipwayPipeline(),
            [.. args, "--env", "itest", "--skip", "Restore", "--docker-host", DockerHost],
            runner: new ProcessRunner(new ToolResolver(Environment.GetEnvironmentVariable)),
            workingDirectory: Root);

    public Delivery.ReleaseManifest Release() => Delivery.ReleaseManifest.Read(Path.Combine(Root, "artifacts", "release.json"));

    public string ImageId(string reference) =>
        JsonDocument.Parse(Docker("image", "inspect", "--format", "{{json .Id}}", reference)).RootElement.GetString()!;

    public string Docker(params string[] args) => Run("docker", ["--host", DockerHost, .. args], TestPaths.RepositoryRoot);

    public string Git(params string[] args) => Run("git", args, Root);

    private static string Run(string tool, IEnumerable<string> args, string directory)
    {
        var start = new ProcessStartInfo(tool) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? stdout.Result.Trim() : throw new InvalidOperationException($"{tool} {string.Join(' ', start.ArgumentList)} exited {process.ExitCode}: {stderr}");
    }

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

        foreach (var directory in new[] { "samples", "environments" })
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
            # Integration tests: dev, publishing under a prefix of this run's own.
            extends: dev
            registry:
              repository_prefix: {Prefix}

            """);
    }
}
