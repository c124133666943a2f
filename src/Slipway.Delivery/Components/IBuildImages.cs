using System.Globalization;
using System.Text.Json;
using Slipway.Environments;
using Slipway.Processes;
using Slipway.Targets;
using Slipway.Tools.Docker;
using Slipway.Tools.DotNet;
using Slipway.Tools.Git;
using Slipway.Tools.Registry;
using Slipway.Tools.Sbom;

namespace Slipway.Delivery.Components;

/// <summary>
/// The services' images: Build (per service, in parallel: <c>dotnet publish</c> and an image tagged with the version and
/// the commit, OCI labels; unchanged services skipped) and Publish (pushed by digest into release.json, which every later
/// target works from).
/// </summary>
public interface IBuildImages : IVersioning, IEnvironmentMatrix, IDotNet, IDockerEngine
{
    /// <summary>What Publish writes and every later target reads.</summary>
    const string ReleaseFile = ReleaseManifest.DefaultPath;

    /// <summary>--force: publish over an existing version with other content.</summary>
    [Parameter("Publish even when the registry already holds this version with different content; Rollback: go back across a contract migration (the ledger records it)")]
    bool Force => TryGetValue(() => Force);

    /// <summary>Builds an image per service.</summary>
    Target Build => _ => _
        .Describe("Per service, in parallel: dotnet publish and an image build tagged <version> and <git sha> with OCI labels; unchanged services are skipped")
        .DependsOn(Restore)
        .After<IMachine>(x => x.Provision)
        .UsesEnvironment(this, EnvironmentUse.PerService)
        .Executes(ResolveVersionAsync)
        .ForEach(() => SelectedServices, BuildServiceAsync, service => service.Name);

    /// <summary>Pushes each image (one <c>docker push</c>; the commit tag is added in the registry) and records its digest in release.json.</summary>
    Target Publish => _ => _
        .Describe($"Push each image to the environment's registry (retrying transient errors) and record its digest in {ReleaseFile}; an existing version with other content is refused unless --force")
        .DependsOn(Build)
        .TryDependsOn<ISupplyChain>(x => x.Sbom)
        .TryDependsOn<ISupplyChain>(x => x.Scan)
        .After<IMachine>(x => x.Provision)
        .UsesEnvironment(this)
        .Produces(ReleaseFile)
        .Executes(ResolveVersionAsync)
        .Executes(LoginAsync)
        .ForEach(() => Services, PublishServiceAsync, service => service.Name)
        .Executes(WriteReleaseAsync);

    /// <summary>The delivery's view of the environment of this run: the matrix, its secrets, the root, the local engine, release.json.</summary>
    DeliveryEnvironment Delivery => new()
    {
        Environment = CurrentEnvironment,
        Secrets = Environments.Secrets,
        RootDirectory = RootDirectory,
        EnvironmentFile = EnvironmentFile,
        LocalEngine = Engine,
        ComposeAsync = ComposeDriverAsync,
        ReleaseFile = ReleaseFile,
    };

    /// <summary>The image tags of <paramref name="service"/> for this release: <c>repo:&lt;version&gt;</c> and <c>repo:&lt;sha12&gt;</c> (<see cref="ReleaseIdentity.CommitTag"/>).</summary>
    IReadOnlyList<string> ImageTags(Service service)
    {
        ArgumentNullException.ThrowIfNull(service);
        var repository = ImageNames.Repository(CurrentEnvironment, service.Name);
        return [$"{repository}:{VersionTag}", $"{repository}:{ReleaseIdentity.CommitTag}"];
    }

    /// <summary>The image of <paramref name="service"/> in release.json, by digest; in a dry run without one, a placeholder.</summary>
    string ImageReference(Service service, TargetContext ctx)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(ctx);
        return Delivery.ReleaseOrNull(ctx.IsDryRun) is { } release ? ReleasedImageOf(release, service).Reference : ImageNames.Placeholder(CurrentEnvironment, service.Name);
    }

    /// <summary>The entry of <paramref name="service"/> in <paramref name="release"/>.</summary>
    static ReleasedImage ReleasedImageOf(ReleaseManifest release, Service service) =>
        release?.Images.SingleOrDefault(i => i.Service == service?.Name)
            ?? throw new InvalidOperationException($"{ReleaseFile} has no image for {service?.Name}: run Publish for this environment.");

    private string VersionTag => ReleaseVersion.DockerTag(ReleaseIdentity.Version);

    private Dictionary<string, Deferred> Digests => RunState(() => new Dictionary<string, Deferred>(StringComparer.Ordinal));

    private async Task BuildServiceAsync(Service service, TargetContext ctx)
    {
        var identity = ReleaseIdentity;
        var definition = service.Definition;
        var project = definition.Project ?? throw new InvalidOperationException($"Service '{service.Name}' has no 'project' to publish in {EnvironmentFile}.");
        var output = $"{ReleaseArtifacts.PublishDirectory}/{service.Name}";
        var arguments = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["CREATED"] = identity.Created.ToString("O", CultureInfo.InvariantCulture),
            ["REVISION"] = identity.Commit,
            ["SOURCE"] = identity.Source,
            ["VERSION"] = identity.Version,
        };

        // The skip decision needs the engine (the base image's ID); a dry run shows the full build instead.
        var tags = ImageTags(service);
        var inputs = string.Empty;
        var contentHash = string.Empty;
        string? baseImage = null, baseId = null, notOnlyFromContext = null;
        if (!ctx.IsDryRun)
        {
            var dockerfile = await File.ReadAllTextAsync(ctx.PathOf(definition.Dockerfile), ctx.CancellationToken);
            baseImage = DockerfileBaseImage.Resolve(dockerfile, arguments);
            baseId = baseImage is null ? "scratch" : DockerImage.TryParseInspect(await ctx.QueryAsync(DockerCli.ImageInspect(baseImage, Engine)))?.Id
                ?? throw new InvalidOperationException($"The base image {baseImage} of {definition.Dockerfile} is not on the Docker engine ({Engine.Host ?? "default"}): run with --provision, or docker pull {baseImage}.");
            notOnlyFromContext = BaseImageSbom.WhyNotOnlyFromContext(dockerfile);
            contentHash = ProjectInputs.Hash(RootDirectory, project, [definition.Dockerfile, dockerfile, baseId]);
            // The content hash read every input file once; the build arguments (the version among them) extend it.
            inputs = ContentHash.Prefixed(string.Join('\n', [contentHash, .. arguments.Select(a => $"{a.Key}={a.Value}")]));

            var previous = StepRecord.Read<BuildState>(ctx.PathOf(BuildStatePath(service)), BuildStatePath(service), ctx.Warning);
            var existing = previous?.Inputs == inputs ? DockerImage.TryParseInspect(await ctx.QueryAsync(DockerCli.ImageInspect(tags[0], Engine))) : null;
            if (existing is not null && existing.Id == previous!.ImageId)
            {
                ctx.Skip($"unchanged since the last build ({previous.ImageId[..19]})");
            }

            await ReuseUnchangedImageAsync(service, ctx, previous, contentHash, inputs);
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
                StepRecord.Write(ctx.PathOf(BuildStatePath(service)), BuildStatePath(service), new BuildState(inputs, image.Id, contentHash, identity.Version, baseImage, baseId, notOnlyFromContext), ctx.Warning));
        }
    }

    /// <summary>
    /// Uncommitted work (a version of its own, <c>…dirty-&lt;fingerprint&gt;</c>) where a service's content (project,
    /// Dockerfile, base image) is what its last build read: another service changed. Its image is tagged with the new
    /// version instead of rebuilt, so its digest, SBOM and scan stay those already made and the deploy leaves its
    /// containers alone; its labels and APP_VERSION keep the version it was built as, which the skip reason names. A
    /// version someone names (--version, a tag) or a commit's own is always built, so its images say that version.
    /// Returns only when the image must be built.
    /// </summary>
    private async Task ReuseUnchangedImageAsync(Service service, TargetContext ctx, BuildState? previous, string content, string inputs)
    {
        if (!string.IsNullOrWhiteSpace(Version) || ReleaseIdentity.Uncommitted is null
            || previous is not { Content: { } built, BuiltAs: { } builtAs } || built != content
            || DockerImage.TryParseInspect(await ctx.QueryAsync(DockerCli.ImageInspect(previous.ImageId, Engine))) is not { } image || image.Id != previous.ImageId)
        {
            return;
        }

        foreach (var tag in ImageTags(service))
        {
            await ctx.RunAsync(DockerCli.Tag(image.Id, tag, Engine));
        }

        await ctx.DoAsync($"record the build of {service.Name} ({image.Id[..19]})", () =>
            StepRecord.Write(ctx.PathOf(BuildStatePath(service)), BuildStatePath(service), previous with { Inputs = inputs }, ctx.Warning));
        ctx.Skip($"content unchanged since its build as {builtAs} ({image.Id[..19]}): tagged {VersionTag}, not rebuilt");
    }

    private async Task LoginAsync(TargetContext ctx)
    {
        var registry = CurrentEnvironment.Registry;
        if (registry.Username is { } username && registry.Password is { } password)
        {
            // A dry run shows the login where the credentials are not set here (a reviewer's checkout, a pull request).
            var user = Delivery.Resolve(username, ctx.IsDryRun).Reveal() is { Length: > 0 } known ? known : $"<{username}>";
            await ctx.RunAsync(DockerCli.Login(registry.Address, user, Delivery.Resolve(password, ctx.IsDryRun), Engine).WithRetry(RetryPolicy.TransientNetworkErrors));
        }
    }

    private async Task PublishServiceAsync(Service service, TargetContext ctx)
    {
        var registry = CurrentEnvironment.Registry;
        var tags = ImageTags(service);
        var repository = ImageNames.RepositoryPath(CurrentEnvironment, service.Name);
        var digest = Digests[service.Name] = Produced.By(nameof(Publish), $"digest of {service.Name}");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var client = new RegistryClient(http, registry.Address, RegistryCredentials(ctx.IsDryRun));

        if (!ctx.IsDryRun)
        {
            var local = DockerImage.TryParseInspect(await ctx.QueryAsync(DockerCli.ImageInspect(tags[0], Engine)))
                ?? throw new InvalidOperationException($"{tags[0]} is not on the Docker engine: run Build first.");
            var published = await client.GetManifestAsync(repository, VersionTag, ctx.CancellationToken);
            if (published?.ConfigDigest == local.Id && await client.GetManifestAsync(repository, tags[1][(tags[1].LastIndexOf(':') + 1)..], ctx.CancellationToken) is { } byCommit
                && byCommit.ConfigDigest == local.Id)
            {
                // Both tags already name this very image: a push would upload nothing and change nothing.
                digest.Set(published.Digest);
                ctx.Info($"{registry.Address}/{repository}@{published.Digest}");
                ctx.Skip($"the registry already has this image ({published.Digest[..19]}) as {VersionTag} and {ReleaseIdentity.CommitTag}");
            }

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

        // One docker push uploads the layers (the engine sends them concurrently and skips those the registry has); the
        // commit tag is then put on the same manifest inside the registry, not pushed a second time.
        await ctx.RunAsync(DockerCli.Push(tags[0], Engine).WithRetry(RetryPolicy.TransientNetworkErrors));
        var pushed = "<digest>";
        if (!ctx.IsDryRun)
        {
            // The registry's own answer is the digest of record: what a pull by digest will verify.
            var manifest = await client.GetManifestAsync(repository, VersionTag, ctx.CancellationToken)
                ?? throw new InvalidOperationException($"{registry.Address}/{repository}:{VersionTag} is missing right after the push.");
            pushed = manifest.Digest;
            digest.Set(manifest.Digest);
            ctx.Info($"{registry.Address}/{repository}@{manifest.Digest}");
        }

        await ctx.DoAsync(
            $"tag {registry.Address}/{repository}@{pushed} as {ReleaseIdentity.CommitTag} in the registry",
            token => client.TagAsync(repository, pushed, ReleaseIdentity.CommitTag, token));
    }

    private Task WriteReleaseAsync(TargetContext ctx) =>
        ctx.DoAsync($"write {ReleaseFile}", () =>
        {
            var registry = CurrentEnvironment.Registry.Address;
            var images = Services.Select(s => new ReleasedImage(
                s.Name,
                ImageNames.Repository(CurrentEnvironment, s.Name),
                VersionTag,
                Digests[s.Name].Value,
                File.Exists(ctx.PathOf(ReleaseArtifacts.ImageSbom(s.Name))) ? ReleaseArtifacts.ImageSbom(s.Name) : null)).ToList();
            var release = new ReleaseManifest(ReleaseIdentity.Version, ReleaseIdentity.Commit, ReleaseIdentity.Created, registry, images)
            {
                // The scripts the images were just built with; with a declaration problem, none are recorded and the
                // deploy reads (and refuses) the checkout's.
                Migrations = Delivery.DeclaredMigrations() is ({ } declared, []) ? [.. declared.Select(ReleasedMigration.From)] : null,
            };
            Directory.CreateDirectory(ctx.PathOf("artifacts"));
            release.Write(ctx.PathOf(ReleaseFile));
            ctx.SetOutput("version", release.Version);
        });

    private RegistryCredentials? RegistryCredentials(bool dryRun) =>
        CurrentEnvironment.Registry is { Username: { } username, Password: { } password }
            ? new RegistryCredentials(Delivery.Resolve(username, dryRun).Reveal(), Delivery.Resolve(password, dryRun))
            : null;

    /// <summary>Where the last successful build of <paramref name="service"/> is recorded (<see cref="BuildState"/>).</summary>
    internal static string BuildStatePath(Service service) => $"{ReleaseArtifacts.BuildStateDirectory}/{service.Name}.json";

    /// <summary>
    /// The version each selected service's image carries in its labels and APP_VERSION: the release's, or, for an image
    /// Build reused because its content had not changed, the version it was built as.
    /// </summary>
    internal IReadOnlyDictionary<string, string> BuiltVersions(TargetContext ctx) =>
        SelectedServices.ToDictionary(service => service.Name, service =>
            StepRecord.Read<BuildState>(ctx.PathOf(BuildStatePath(service)), BuildStatePath(service), ctx.Warning)?.BuiltAs ?? ReleaseIdentity.Version,
            StringComparer.Ordinal);
}

/// <summary>What the last successful build of a service read and produced.</summary>
/// <param name="Inputs">Everything the build read, the version stamped into the image included.</param>
/// <param name="ImageId">The image it made.</param>
/// <param name="Content">What the build read besides the version (project, Dockerfile, base image); null in records of older Slipways.</param>
/// <param name="BuiltAs">The version the image was built as (its labels); null in records of older Slipways.</param>
/// <param name="BaseImage">The image the Dockerfile's final stage is built FROM, as written there; null FROM scratch and in records of older Slipways.</param>
/// <param name="BaseImageId">The ID <paramref name="BaseImage"/> had when the image was built (Sbom reuses the base's SBOM by it).</param>
/// <param name="NotOnlyFromContext">Why the Dockerfile may put more than its build context into the image (an ADD, a COPY --from), or null (<see cref="BaseImageSbom.WhyNotOnlyFromContext"/>).</param>
internal sealed record BuildState(string Inputs, string ImageId, string? Content = null, string? BuiltAs = null, string? BaseImage = null, string? BaseImageId = null, string? NotOnlyFromContext = null);
