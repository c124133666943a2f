using Slipway.Targets;
using Slipway.Tools.DotNet;

namespace Slipway.Delivery.Components;

/// <summary>
/// Pack: the solution's packable projects as NuGet packages at the release version (<c>--version</c>, else the tag on
/// HEAD, else <c>0.0.0-&lt;branch&gt;.&lt;height&gt;+&lt;sha&gt;</c>) into a local folder feed, <c>artifacts/packages</c>.
/// </summary>
public interface IPack : IDotNet, IVersioning
{
    /// <summary>Hook: what is packed; by default the solution (its projects with <c>IsPackable</c> true).</summary>
    IEnumerable<string> PackProjects => [Solution];

    /// <summary>Packs the packages into the local feed.</summary>
    Target Pack => _ => _
        .Describe($"Pack the packable projects at the release version into the local folder feed {ReleaseArtifacts.PackagesDirectory}")
        .DependsOn(Restore)
        .Produces(ReleaseArtifacts.PackagesDirectory)
        .Executes(ResolveVersionAsync)
        .ForEach(() => PackProjects, (project, ctx) => ctx.RunAsync(
            DotNetCli.Pack(project, Configuration.ToString(), ReleaseArtifacts.PackagesDirectory, ReleaseIdentity.Version)),
            name: project => Path.GetFileNameWithoutExtension(project))
        .Executes(ctx =>
        {
            var feed = ctx.PathOf(ReleaseArtifacts.PackagesDirectory);
            var packages = Directory.Exists(feed)
                ? Directory.EnumerateFiles(feed, $"*.{ReleaseIdentity.Version.Split('+')[0]}.nupkg").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList()
                : [];
            if (!ctx.IsDryRun)
            {
                ctx.Info(packages.Count == 0
                    ? $"No package of {ReleaseIdentity.Version} in {ReleaseArtifacts.PackagesDirectory}: are the projects packable (IsPackable)?"
                    : $"{packages.Count} package(s) of {ReleaseIdentity.Version} in {ReleaseArtifacts.PackagesDirectory}: {string.Join(", ", packages)}");
                ctx.SetOutput("packages", ReleaseArtifacts.PackagesDirectory);
            }
        });
}
