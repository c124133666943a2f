using Octokit;
using Slipway.Cli;
using Slipway.GitHub;
using Slipway.Targets;
using Slipway.Tools.Git;

namespace Slipway.Delivery.Components;

/// <summary>
/// GitHub, through its REST API: a Release per tag (GitHubRelease), the deploy plan as a pull-request comment
/// (CommentPlan), and a Deployment with statuses for every deploy of <see cref="IDelivery"/>. Active only with a token
/// and a repository; without them nothing is sent and the targets say why.
/// </summary>
public interface IGitHubReleases : IBuildImages
{
    /// <summary>Why the GitHub targets are skipped without a connection.</summary>
    const string NoGitHubReason = "no usable GitHub token and repository (GITHUB_TOKEN or SLIPWAY_GITHUB_TOKEN, and GITHUB_REPOSITORY owner/name)";

    /// <summary>--tag.</summary>
    [Parameter("GitHubRelease: the tag to release, e.g. v1.2.3; default the tag the GitHub Actions run is for (GITHUB_REF refs/tags/v*)")]
    string? Tag => TryGetValue(() => Tag);

    /// <summary>Hook: the target whose dry run CommentPlan posts.</summary>
    string PlannedTarget => "DeployDev";

    /// <summary>Creates or updates the tag's GitHub Release.</summary>
    Target GitHubRelease => _ => _
        .Describe($"On a tag (GITHUB_REF refs/tags/v*, or --tag): create or update its GitHub Release, with every image digest of {ReleaseFile}, the SBOMs and the signature and attestation references")
        .After(Publish)
        .After<ISupplyChain>(x => x.Sign)
        .OnlyWhen(() => CurrentReleaseTag is not null, "not on a release tag: GITHUB_REF is not refs/tags/v*, and no --tag")
        .OnlyWhen(() => GitHub.IsActive, NoGitHubReason)
        .Consumes(ReleaseFile)
        .Executes(GitHubReleaseAsync);

    /// <summary>Posts the deploy plan on the pull request.</summary>
    Target CommentPlan => _ => _
        .Describe("On a pull request: post the DeployDev --dry-run plan as a comment, or update Slipway's earlier one (found by a hidden marker)")
        .OnlyWhen(() => GitHub.IsActive, NoGitHubReason)
        .Executes(CommentPlanAsync);

    /// <summary>
    /// Runs <paramref name="deploy"/> as a GitHub Deployment of the release (or, for a rollback, of the release returned to):
    /// in_progress, then success or failure. The deploy's own result is untouched: a GitHub failure only warns.
    /// </summary>
    async Task TrackDeploymentAsync(TargetContext ctx, bool rollback, Func<Task> deploy)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(deploy);
        var request = rollback ? RollbackDeploymentRequest(ctx) : DeployDeploymentRequest(ctx);
        if (request is null)
        {
            // Nothing to describe (no release to roll back to, say): the deploy reports that itself.
            await deploy();
            return;
        }

        await GitHubDeployments.TrackAsync(GitHub, ctx, ctx.IsVerbose, request, deploy);
    }

    private GitHubDetection GitHub => RunState(() => GitHubConnection.Detect(Variables));

    /// <summary>--tag, else the v* tag of GITHUB_REF, else null (not a release run).</summary>
    private string? CurrentReleaseTag => ReleaseTag.Find(Tag, Variables);

    private DeploymentRequest? DeployDeploymentRequest(TargetContext ctx)
    {
        if (!File.Exists(ctx.PathOf(ReleaseFile)))
        {
            return ctx.IsDryRun ? DeploymentRequestOf("<commit from Publish>", "<version from Publish>", new Dictionary<string, string>()) : null;
        }

        var release = DeliveryRelease.From(ReleaseManifest.Read(ctx.PathOf(ReleaseFile)));
        return DeploymentRequestOf(release.Commit, release.Version, release.Images);
    }

    private DeploymentRequest? RollbackDeploymentRequest(TargetContext ctx) =>
        // The same choice the rollback makes: --to, else the good release before the current one.
        DeliveryRun.RollbackChoice((Delivery with { StateSession = ctx }).Ledger(), (this as IDelivery)?.RollbackTo) is { Target: var target }
            ? DeploymentRequestOf(target.Commit, target.Version, target.Images) with { Task = "deploy:rollback" }
            : null;

    private DeploymentRequest DeploymentRequestOf(string commit, string version, IReadOnlyDictionary<string, string> images)
    {
        return new(commit, EnvironmentName, version, images)
        {
            Transient = EnvironmentName == "dev",
            Production = CurrentEnvironment.IsProduction,
            EnvironmentUrl = CurrentEnvironment.Ingress is null ? null : DeployDrivers.UrlOf(Delivery),
        };
    }

    private async Task GitHubReleaseAsync(TargetContext ctx)
    {
        var tag = CurrentReleaseTag!;
        var connection = GitHub.Connection!;
        var release = ReleaseManifest.Read(ctx.PathOf(ReleaseFile));
        if (!ReleaseTag.Names(tag, release.Version))
        {
            throw new InvalidOperationException($"{ReleaseFile} holds version {release.Version}, but the tag is {tag}: its notes would describe another build. Run Publish on the tag (./build.sh --target Publish Sign GitHubRelease), or pass --tag v{release.Version}.");
        }

        var sbomDirectory = ctx.PathOf(ReleaseArtifacts.SbomDirectory);
        var sboms = Directory.Exists(sbomDirectory)
            ? Directory.EnumerateFiles(sbomDirectory, "*.cdx.json").Select(f => Path.GetRelativePath(RootDirectory, f).Replace('\\', '/'))
            : [];
        var notes = ReleaseNotes.Render(release, sboms);
        if (ctx.IsVerbose)
        {
            ctx.Info(notes.TrimEnd('\n'));
        }

        await ctx.DoAsync($"create or update the GitHub Release {tag} of {connection.Owner}/{connection.Name} ({release.Images.Count} images)", async _ =>
        {
            try
            {
                var published = await new GitHubReleases(connection).PublishAsync(tag, release.Commit, $"{release.Version}", notes, prerelease: release.Version.Contains('-', StringComparison.Ordinal));
                ctx.Info($"GitHub Release {tag} {(published.Created ? "created" : "updated")}: {published.Url}");
            }
            catch (ApiException e)
            {
                throw new InvalidOperationException($"GitHub refused the release {tag} ({GitHubApiFailure.Explain(e)}). The token needs contents: write on {connection.Owner}/{connection.Name}.", e);
            }
        });
    }

    private async Task CommentPlanAsync(TargetContext ctx)
    {
        var planned = PlannedTarget;
        var connection = GitHub.Connection!;
        if (PullRequestNumber.Find(Variables) is not { } number)
        {
            ctx.Skip("not a pull request: GITHUB_REF is not refs/pull/N/merge and GITHUB_EVENT_PATH has no pull request");
            return;
        }

        var commit = Variables.GetValueOrDefault("GITHUB_SHA") is { Length: > 0 } sha ? sha : GitOutput.FirstLine(await ctx.QueryAsync(GitCli.HeadCommit(RootDirectory)));
        string[] args = ["--target", planned, "--environments-directory", EnvironmentsDirectory, .. Version is null ? Array.Empty<string>() : ["--version", Version]];

        // A fresh instance of this pipeline, so the nested dry run shares no state with this run.
        var dryRun = await DryRunCapture.CaptureAsync((Pipeline)Activator.CreateInstance(GetType())!, args, Variables, RootDirectory, ctx.CancellationToken);
        if (ctx.IsVerbose)
        {
            ctx.Info(dryRun.Text);
        }

        var body = PlanComment.Render(planned, commit, dryRun.Text, dryRun.Succeeded);
        await ctx.DoAsync($"post (or update) the {planned} plan comment on pull request #{number} of {connection.Owner}/{connection.Name}", async _ =>
        {
            try
            {
                var comment = await new PullRequestComments(connection).UpsertAsync(number, PullRequestComments.Marker(PlanComment.MarkerKey(planned)), body);
                ctx.Info($"Plan comment {(comment.Created ? "posted" : "updated")}: {comment.Url}");
            }
            catch (ApiException e)
            {
                throw new InvalidOperationException($"GitHub refused the plan comment on pull request #{number} ({GitHubApiFailure.Explain(e)}). The token needs pull-requests: write on {connection.Owner}/{connection.Name}.", e);
            }
        });

        if (!dryRun.Succeeded)
        {
            throw new InvalidOperationException($"The {planned} dry run failed (exit code {dryRun.ExitCode}); the comment shows its output:{System.Environment.NewLine}{dryRun.Text}");
        }
    }
}
