using System.Globalization;
using System.Text.Json;
using Slipway.Delivery;
using Slipway.Environments;
using Slipway.Processes;
using Slipway.Targets;
using Slipway.Tools.Docker;
using Slipway.Tools.DotNet;
using Slipway.Tools.Git;
using Slipway.Tools.Registry;

namespace Slipway.Build;

/// <summary>Build and Publish: images per service from the --env environment, pushed by digest into release.json.</summary>
public sealed partial class SlipwayPipeline
{
    private const string PublishDirectory = "artifacts/publish";
    private const string ReleaseFile = ReleaseManifest.DefaultPath;
    private const string BuildStateDirectory = ".slipway/build-state";

    private readonly Dictionary<string, Deferred> _digests = new(StringComparer.Ordinal);
    private ReleaseIdentity? _identity;

    [Parameter("Release version (SemVer); default: the tag on HEAD, else 0.0.0-<branch>.<height>+<sha>")]
    public string? Version { get; init; }

    [Parameter("Publish even when the registry already holds this version with different content")]
    public bool Force { get; init; }

    /// <summary>The services of the --env environment, in name order.</summary>
    private IEnumerable<Service> Services =>
        Environments.Current.Services.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => new Service(s.Key, s.Value));

    private ReleaseIdentity Identity => _identity ?? throw new InvalidOperationException("The release version is not resolved yet: Build resolves it first.");

    public Target Build => _ => _
        .Describe("Per service, in parallel: dotnet publish and an image build tagged <version> and <git sha> with OCI labels; unchanged services are skipped")
        .DependsOn(Restore)
        .After(Provision)
        .Executes(EnsureIdentityAsync)
        .ForEach(() => SelectedServices, BuildServiceAsync, service => service.Name);

    public Target Publish => _ => _
        .Describe($"Push each image to the environment's registry (retrying transient errors) and record its digest in {ReleaseFile}; an existing version with other content is refused unless --force")
        .DependsOn(Build, Sbom, Scan)
        .After(Provision)
        .Produces(ReleaseFile)
        .Executes(EnsureIdentityAsync)
        .Executes(LoginAsync)
        .ForEach(() => Services, PublishServiceAsync, service => service.Name)
        .Executes(WriteReleaseAsync);

    private async Task EnsureIdentityAsync(TargetContext ctx)
    {
        if (_identity is not null)
        {
            return;
        }

        // Read-only git queries run in a dry run too, so the printed tags are the real ones.
        var sha = GitOutput.FirstLine(await ctx.QueryAsync(GitCli.HeadCommit(RootDirectory)));
        var tag = GitOutput.ExactTagOrNull(await ctx.QueryAsync(GitCli.ExactTag(RootDirectory)));
        var branch = GitOutput.FirstLine(await ctx.QueryAsync(GitCli.CurrentBranch(RootDirectory)));
        var height = GitOutput.CommitCount(await ctx.QueryAsync(GitCli.CommitCount(RootDirectory)));
        var committed = GitOutput.FirstLine(await ctx.QueryAsync(ToolInvocation.Of("git").WithArguments("log", "-1", "--format=%cI").WithWorkingDirectory(RootDirectory)));
        var origin = GitOutput.OriginUrlOrNull(await ctx.QueryAsync(GitCli.OriginUrl(RootDirectory)));
        var version = ReleaseVersion.Compute(Version, tag, branch, height, sha);

        // The commit time, not the build time, is the image's creation date: rebuilding the same
        // commit then yields the same labels, so Publish can tell "same content" from "different".
        _identity = new ReleaseIdentity(version, sha, DateTimeOffset.Parse(committed, CultureInfo.InvariantCulture), origin ?? string.Empty);
        ctx.Info($"Release {version} from commit {sha[..12]}{(tag is null ? string.Empty : $" (tag {tag})")}");
    }

    private async Task BuildServiceAsync(Service service, TargetContext ctx)
    {
        var identity = Identity;
        var definition = service.Definition;
        var project = definition.Project ?? throw new InvalidOperationException($"Service '{service.Name}' has no 'project' to publish in {EnvironmentsDirectory}/{EnvironmentName}.yml.");
        var output = $"{PublishDirectory}/{service.Name}";
        var arguments = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["CREATED"] = identity.Created.ToString("O", CultureInfo.InvariantCulture),
            ["REVISION"] = identity.Commit,
            ["SOURCE"] = identity.Source,
            ["VERSION"] = identity.Version,
        };

        // The skip decision needs the engine (the base image's ID); a dry run shows the full build instead.
        var tags = TagsOf(service);
        var inputs = string.Empty;
        if (!ctx.IsDryRun)
        {
            var dockerfile = await File.ReadAllTextAsync(ctx.PathOf(definition.Dockerfile), ctx.CancellationToken);
            var baseImage = DockerfileBaseImage.Resolve(dockerfile, arguments);
            var baseId = baseImage is null ? "scratch" : DockerImage.TryParseInspect(await ctx.QueryAsync(DockerCli.ImageInspect(baseImage, Engine)))?.Id
                ?? throw new InvalidOperationException($"The base image {baseImage} of {definition.Dockerfile} is not on the Docker engine ({Engine.Host ?? "default"}): run with --provision, or docker pull {baseImage}.");
            inputs = ProjectInputs.Hash(RootDirectory, project, [definition.Dockerfile, dockerfile, baseId, .. arguments.Select(a => $"{a.Key}={a.Value}")]);

            var previous = BuildState.Read(ctx.PathOf(BuildStatePath(service)));
            var existing = previous?.Inputs == inputs ? DockerImage.TryParseInspect(await ctx.QueryAsync(DockerCli.ImageInspect(tags[0], Engine))) : null;
            if (existing is not null && existing.Id == previous!.ImageId)
            {
                ctx.Skip($"unchanged since the last build ({previous.ImageId[..19]})");
            }
        }

        await ctx.DoAsync($"empty {output}", () =>
        {
            if (Directory.Exists(ctx.PathOf(output)))
            {
                Directory.Delete(ctx.PathOf(output), recursive: true);
            }
        });
        await ctx.RunAsync(DotNetCli.Publish(project, "Release", output));

        var settings = new DockerBuildSettings(output, definition.Dockerfile) { Tags = [.. tags] };
        // An unknown value (no origin remote, say) is left out rather than labelled as empty.
        foreach (var (key, value) in arguments.Where(a => a.Value.Length > 0))
        {
            settings = settings.WithBuildArgument(key, value).WithLabel($"org.opencontainers.image.{key.ToLowerInvariant()}", value);
        }

        await ctx.RunAsync(DockerCli.Build(settings, Engine).WithWorkingDirectory(RootDirectory));
        if (!ctx.IsDryRun)
        {
            var image = DockerImage.TryParseInspect(await ctx.QueryAsync(DockerCli.ImageInspect(tags[0], Engine)))
                ?? throw new InvalidOperationException($"docker build succeeded but {tags[0]} is not on the engine.");
            await ctx.DoAsync($"record the build of {service.Name} ({image.Id[..19]})", () =>
                new BuildState(inputs, image.Id).Write(ctx.PathOf(BuildStatePath(service))));
        }
    }

    private async Task LoginAsync(TargetContext ctx)
    {
        var registry = Environments.Current.Registry;
        if (registry.Username is { } username && registry.Password is { } password)
        {
            var user = Environments.Secrets.Resolve(username);
            await ctx.RunAsync(DockerCli.Login(registry.Address, user.Reveal(), Environments.Secrets.Resolve(password), Engine).WithRetry(RetryPolicy.TransientNetworkErrors));
        }
    }

    private async Task PublishServiceAsync(Service service, TargetContext ctx)
    {
        var registry = Environments.Current.Registry;
        var tags = TagsOf(service);
        var repository = RepositoryPath(service);
        var digest = _digests[service.Name] = Produced.By(nameof(Publish), $"digest of {service.Name}");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var client = new RegistryClient(http, registry.Address, Credentials(registry));

        if (!ctx.IsDryRun)
        {
            var local = DockerImage.TryParseInspect(await ctx.QueryAsync(DockerCli.ImageInspect(tags[0], Engine)))
                ?? throw new InvalidOperationException($"{tags[0]} is not on the Docker engine: run Build first.");
            var published = await client.GetManifestAsync(repository, VersionTag, ctx.CancellationToken);
            if (published?.ConfigDigest is { } config && config != local.Id)
            {
                if (!Force)
                {
                    throw new InvalidOperationException(
                        $"{registry.Address}/{repository}:{VersionTag} already exists with different content (registry {config[..19]}, built {local.Id[..19]}). " +
                        "Publish a new version, or pass --force to overwrite it.");
                }

                ctx.Warning($"--force: overwriting {registry.Address}/{repository}:{VersionTag} ({config[..19]} → {local.Id[..19]}).");
            }
        }

        foreach (var tag in tags)
        {
            await ctx.RunAsync(DockerCli.Push(tag, Engine).WithRetry(RetryPolicy.TransientNetworkErrors));
        }

        if (!ctx.IsDryRun)
        {
            // The registry's own answer is the digest of record: what a pull by digest will verify.
            var manifest = await client.GetManifestAsync(repository, VersionTag, ctx.CancellationToken)
                ?? throw new InvalidOperationException($"{registry.Address}/{repository}:{VersionTag} is missing right after the push.");
            digest.Set(manifest.Digest);
            ctx.Info($"{registry.Address}/{repository}@{manifest.Digest}");
        }
    }

    private Task WriteReleaseAsync(TargetContext ctx) =>
        ctx.DoAsync($"write {ReleaseFile}", () =>
        {
            var registry = Environments.Current.Registry.Address;
            var images = Services.Select(s => new ReleasedImage(
                s.Name,
                $"{registry}/{RepositoryPath(s)}",
                VersionTag,
                _digests[s.Name].Value,
                File.Exists(ctx.PathOf(ImageSbomPath(s))) ? ImageSbomPath(s) : null)).ToList();
            var release = new ReleaseManifest(Identity.Version, Identity.Commit, Identity.Created, registry, images);
            Directory.CreateDirectory(ctx.PathOf("artifacts"));
            release.Write(ctx.PathOf(ReleaseFile));
            ctx.SetOutput("version", release.Version);
        });

    private string VersionTag => ReleaseVersion.DockerTag(Identity.Version);

    private string RepositoryPath(Service service) =>
        Environments.Current.Registry.RepositoryPrefix is { Length: > 0 } prefix ? $"{prefix}/{service.Definition.Image}" : service.Definition.Image;

    private List<string> TagsOf(Service service)
    {
        var repository = $"{Environments.Current.Registry.Address}/{RepositoryPath(service)}";
        return [$"{repository}:{VersionTag}", $"{repository}:{Identity.Commit[..12]}"];
    }

    private RegistryCredentials? Credentials(RegistrySettings registry) =>
        registry.Username is { } username && registry.Password is { } password
            ? new RegistryCredentials(Environments.Secrets.Resolve(username).Reveal(), Environments.Secrets.Resolve(password))
            : null;

    private static string BuildStatePath(Service service) => $"{BuildStateDirectory}/{service.Name}.json";

    /// <summary>A service of the environment, with its name.</summary>
    private sealed record Service(string Name, ServiceDefinition Definition);

    /// <summary>What identifies this release: its version, commit, commit time and source URL.</summary>
    private sealed record ReleaseIdentity(string Version, string Commit, DateTimeOffset Created, string Source);

    /// <summary>What the last successful build of a service read and produced.</summary>
    private sealed record BuildState(string Inputs, string ImageId)
    {
        public static BuildState? Read(string path)
        {
            // A record that is not one Slipway wrote (not JSON, not a regular file) just means "build again".
            try
            {
                return File.Exists(path) ? JsonSerializer.Deserialize<BuildState>(InputFile.ReadText(path, path, 64 << 10)) : null;
            }
            catch (Exception ex) when (ex is JsonException or InputFileException)
            {
                return null;
            }
        }

        public void Write(string path)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, JsonSerializer.Serialize(this));
        }
    }
}
