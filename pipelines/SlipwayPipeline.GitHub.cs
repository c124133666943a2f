using Octokit;
using Slipway.Cli;
using Slipway.Delivery;
using Slipway.GitHub;
using Slipway.Targets;
using Slipway.Tools.Git;

namespace Slipway.Build;

/// <summary>
/// GitHub, through its REST API (Octokit): a Deployment with statuses for every deploy, a Release per tag, and the
/// deploy plan as a pull-request comment. Active only with a token and a repository (GitHubConnection.Detect).
/// </summary>
public sealed partial class SlipwayPipeline
{
    private const string NoGitHubReason = "no usable GitHub token and repository (GITHUB_TOKEN or SLIPWAY_GITHUB_TOKEN, and GITHUB_REPOSITORY owner/name)";

    private GitHubDetection? _github;

    [Parameter("GitHubRelease: the tag to release, e.g. v1.2.3; default the tag the GitHub Actions run is for (GITHUB_REF refs/tags/v*)")]
    public string? Tag { get; init; }

    private GitHubDetection GitHub => _github ??= GitHubConnection.Detect(Variables);

    /// <summary>--tag, else the v* tag of GITHUB_REF, else null (not a release run).</summary>
    private string? CurrentReleaseTag => ReleaseTag.Find(Tag, Variables);

    public Target GitHubRelease => _ => _
        .Describe($"On a tag (GITHUB_REF refs/tags/v*, or --tag): create or update its GitHub Release, with every image digest of {ReleaseFile}, the SBOMs and the signature and attestation references")
        .After(Publish, Sign)
        .OnlyWhen(() => CurrentReleaseTag is not null, "not on a release tag: GITHUB_REF is not refs/tags/v*, and no --tag")
        .OnlyWhen(() => GitHub.IsActive, NoGitHubReason)
        .Consumes(ReleaseFile)
        .Executes(GitHubReleaseAsync);

    public Target CommentPlan => _ => _
        .Describe("On a pull request: post the DeployDev --dry-run plan as a comment, or update Slipway's earlier one (found by a hidden marker)")
        .OnlyWhen(() => GitHub.IsActive, NoGitHubReason)
        .Executes(CommentPlanAsync);

    /// <summary>
    /// Wraps a deploy target's work so GitHub gets a Deployment with in_progress, then success or failure. The deploy's
    /// own result is untouched: a GitHub failure only warns.
    /// </summary>
    private Func<TargetContext, Task> TrackedOnGitHub(Func<TargetContext, Task> deploy, bool rollback = false) => async ctx =>
    {
        var request = rollback ? RollbackDeploymentRequest() : DeployDeploymentRequest(ctx);
        if (request is null)
        {
            // Nothing to describe (no release to roll back to, say): the deploy reports that itself.
            await deploy(ctx);
            return;
        }

        await GitHubDeployments.TrackAsync(GitHub, ctx, ctx.IsVerbose, request, () => deploy(ctx));
    };

    private DeploymentRequest? DeployDeploymentRequest(TargetContext ctx)
    {
        if (!File.Exists(ctx.PathOf(ReleaseFile)))
        {
            return ctx.IsDryRun ? DeploymentRequestOf("<commit from Publish>", "<version from Publish>", new Dictionary<string, string>()) : null;
        }

        var release = ReleaseManifest.Read(ctx.PathOf(ReleaseFile));
        return DeploymentRequestOf(release.Commit, release.Version, release.Images.ToDictionary(i => i.Service, i => i.Reference, StringComparer.Ordinal));
    }

    private DeploymentRequest? RollbackDeploymentRequest()
    {
        // The same choice RollbackAsync makes: --to, else the good release before the current one.
        var ledger = ReleaseLedger.Open(LedgerPath);
        var current = ledger.LastGood();
        var target = To is null ? ledger.LastGoodExcept(current?.Version) : ledger.Find(To).LastOrDefault(e => e.Action is LedgerAction.Deployed or LedgerAction.Promoted);
        return target is null
            ? null
            : DeploymentRequestOf(target.Commit, target.Version, target.Images.ToDictionary(i => i.Key, i => i.Value, StringComparer.Ordinal)) with { Task = "deploy:rollback" };
    }

    private DeploymentRequest DeploymentRequestOf(string commit, string version, IReadOnlyDictionary<string, string> images) =>
        new(commit, EnvironmentName, version, images)
        {
            Transient = EnvironmentName == "dev",
            Production = Environments.Current.IsProduction,
            EnvironmentUrl = Environments.Current.Ingress is null ? null : StackUrl,
        };

    private async Task GitHubReleaseAsync(TargetContext ctx)
    {
        var tag = CurrentReleaseTag!;
        var connection = GitHub.Connection!;
        var release = ReleaseManifest.Read(ctx.PathOf(ReleaseFile));
        if (!ReleaseTag.Names(tag, release.Version))
        {
            throw new InvalidOperationException($"{ReleaseFile} holds version {release.Version}, but the tag is {tag}: its notes would describe another build. Run Publish on the tag (./build.sh --target Publish Sign GitHubRelease), or pass --tag v{release.Version}.");
        }

        var sbomDirectory = ctx.PathOf(SbomDirectory);
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
        const string planned = nameof(DeployDev);
        var connection = GitHub.Connection!;
        if (PullRequestNumber.Find(Variables) is not { } number)
        {
            ctx.Skip("not a pull request: GITHUB_REF is not refs/pull/N/merge and GITHUB_EVENT_PATH has no pull request");
            return;
        }

        var commit = Variables.GetValueOrDefault("GITHUB_SHA") is { Length: > 0 } sha ? sha : GitOutput.FirstLine(await ctx.QueryAsync(GitCli.HeadCommit(RootDirectory)));
        string[] args = ["--target", planned, "--environments-directory", EnvironmentsDirectory, .. Version is null ? Array.Empty<string>() : ["--version", Version]];
        var dryRun = await DryRunCapture.CaptureAsync(new SlipwayPipeline(), args, Variables, RootDirectory, ctx.CancellationToken);
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
            throw new InvalidOperationException($"The {planned} dry run failed (exit code {dryRun.ExitCode}); the comment shows its output:{Environment.NewLine}{dryRun.Text}");
        }
    }
}
