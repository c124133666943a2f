using System.Globalization;
using Slipway.Processes;
using Slipway.Targets;
using Slipway.Tools.Git;

namespace Slipway.Delivery.Components;

/// <summary>
/// The release version, resolved once per run: <c>--version</c>, else the tag on HEAD, else
/// <c>0.0.0-&lt;branch&gt;.&lt;height&gt;+&lt;sha&gt;</c> (SemVer 2, so images and packages share it); uncommitted changes
/// add <c>dirty-&lt;fingerprint of their content&gt;</c> to the pre-release (<see cref="ReleaseVersion.MarkUncommitted"/>).
/// </summary>
public interface IVersioning : IPipeline
{
    /// <summary>--version.</summary>
    [Parameter("Release version (SemVer); default: the tag on HEAD, else 0.0.0-<branch>.<height>+<sha>; uncommitted changes add dirty-<fingerprint>")]
    string? Version => TryGetValue(() => Version);

    /// <summary>The release being built; a target resolves it first with <see cref="ResolveVersionAsync"/>.</summary>
    ReleaseIdentity ReleaseIdentity => RunState(() => new VersionState()).Identity
        ?? throw new InvalidOperationException("The release version is not resolved yet: a target resolves it first (.Executes(ResolveVersionAsync)).");

    /// <summary>Resolves the release version and commit (once per run); read-only git queries run in a dry run too, so printed tags are real.</summary>
    async Task ResolveVersionAsync(TargetContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var state = RunState(() => new VersionState());
        if (state.Identity is not null)
        {
            return;
        }

        var sha = GitOutput.FirstLine(await ctx.QueryAsync(GitCli.HeadCommit(RootDirectory)));
        var tag = GitOutput.ExactTagOrNull(await ctx.QueryAsync(GitCli.ExactTag(RootDirectory)));
        var branch = GitOutput.FirstLine(await ctx.QueryAsync(GitCli.CurrentBranch(RootDirectory)));
        if (Variables.GetValueOrDefault("GITHUB_ACTIONS") == "true" && ReleaseVersion.CiBranch(branch, Variables.GetValueOrDefault("GITHUB_REF")) is { } ciBranch)
        {
            branch = ciBranch;
        }

        var height = GitOutput.CommitCount(await ctx.QueryAsync(GitCli.CommitCount(RootDirectory)));
        var committed = GitOutput.FirstLine(await ctx.QueryAsync(ToolInvocation.Of("git").WithArguments("log", "-1", "--format=%cI").WithWorkingDirectory(RootDirectory)));
        var origin = GitOutput.OriginUrlOrNull(await ctx.QueryAsync(GitCli.OriginUrl(RootDirectory)));
        var version = ReleaseVersion.Compute(Version, tag, branch, height, sha);

        // Uncommitted work gets its own version, named by its content, so a one-line edit can be built, published and
        // deployed without overwriting the commit's release; an explicit --version is the caller's to choose.
        var changes = UncommittedChanges.Fingerprint(RootDirectory, (await ctx.QueryAsync(GitCli.ChangedFiles(RootDirectory))).StandardOutput);
        if (changes is not null && string.IsNullOrWhiteSpace(Version))
        {
            version = ReleaseVersion.MarkUncommitted(version, changes);
        }

        // The commit time, not the build time, is the image's creation date: rebuilding the same commit then yields
        // the same labels, so Publish can tell "same content" from "different".
        state.Identity = new ReleaseIdentity(version, sha, DateTimeOffset.Parse(committed, CultureInfo.InvariantCulture), origin ?? string.Empty)
        {
            Uncommitted = changes,
        };
        ctx.Info($"Release {version} from commit {sha[..12]}{(tag is null ? string.Empty : $" (tag {tag})")}{(changes is null ? string.Empty : $" with uncommitted changes ({changes})")}");
    }
}

/// <summary>The release identity of one run.</summary>
internal sealed class VersionState
{
    public ReleaseIdentity? Identity { get; set; }
}
