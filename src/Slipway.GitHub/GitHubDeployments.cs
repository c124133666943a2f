using Octokit;
using Slipway.Processes;

namespace Slipway.GitHub;

/// <summary>What one deploy tells GitHub: which commit and release goes to which environment, and where it will be.</summary>
/// <param name="Commit">The commit SHA deployed: the deployment's <c>ref</c>.</param>
/// <param name="Environment">The Slipway environment, e.g. <c>staging</c>: the deployment's environment on GitHub.</param>
/// <param name="Version">The release version, sent in the payload.</param>
/// <param name="Images">Image reference (<c>repository@sha256:…</c>) by service, sent in the payload.</param>
public sealed record DeploymentRequest(string Commit, string Environment, string Version, IReadOnlyDictionary<string, string> Images)
{
    /// <summary>The deployment's task: <c>deploy</c>, or <c>deploy:rollback</c> for a rollback.</summary>
    public string Task { get; init; } = "deploy";

    /// <summary>An environment that will not exist for long (dev): GitHub marks it transient.</summary>
    public bool Transient { get; init; }

    /// <summary>An environment end users use (prod).</summary>
    public bool Production { get; init; }

    /// <summary>Where the stack answers once deployed: the success status's <c>environment_url</c>.</summary>
    public Uri? EnvironmentUrl { get; init; }

    /// <summary>The deployment's description.</summary>
    public string Description => $"Slipway {Task} {Version} to {Environment}";
}

/// <summary>
/// Records a deploy as a GitHub Deployment: creates it (ref = commit, environment, payload with the version and digests,
/// <c>auto_merge</c> off, no required status contexts — the pipeline's own gates have run), then posts
/// <c>in_progress</c>, and <c>success</c> with the environment's URL or <c>failure</c> with why. GitHub is a
/// bystander: an API failure is a warning, and never changes or hides the deploy's own result.
/// </summary>
public sealed class GitHubDeployments
{
    /// <summary>GitHub refuses longer status descriptions.</summary>
    internal const int MaxDescriptionLength = 140;

    private readonly GitHubConnection _connection;
    private readonly IGitHubClient _client;
    private readonly IToolSession _session;

    /// <summary>Creates the reporter for <paramref name="connection"/>, logging through <paramref name="session"/>.</summary>
    public GitHubDeployments(GitHubConnection connection, IToolSession session)
    {
        _connection = connection ?? throw new ArgumentNullException(nameof(connection));
        _session = session ?? throw new ArgumentNullException(nameof(session));
        _client = connection.CreateClient();
    }

    /// <summary>
    /// Runs <paramref name="deploy"/> and records it on GitHub when <paramref name="github"/> is active; otherwise just runs
    /// it (and says why GitHub was skipped: a warning if misconfigured, a note when <paramref name="verbose"/>). In a dry
    /// run nothing is sent: the deployment is printed as an effect. The deploy's exception, if any, is rethrown as is.
    /// </summary>
    public static async Task TrackAsync(GitHubDetection github, IToolSession session, bool verbose, DeploymentRequest request, Func<Task> deploy)
    {
        ArgumentNullException.ThrowIfNull(github);
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(deploy);
        if (github.Connection is not { } connection)
        {
            github.ReportInactive(session, verbose, $"the deployment to {request.Environment}");
            await deploy();
            return;
        }

        if (session.IsDryRun)
        {
            await session.DoAsync($"GitHub deployment of {request.Version} to {request.Environment} in {connection.Owner}/{connection.Name} (ref {request.Commit}): in_progress, then success or failure", _ => Task.CompletedTask);
            await deploy();
            return;
        }

        var deployments = new GitHubDeployments(connection, session);
        var id = await deployments.CreateAsync(request);
        if (id is { } started)
        {
            await deployments.SetStatusAsync(started, request, DeploymentState.InProgress, $"Deploying {request.Version}");
        }

        try
        {
            await deploy();
        }
        catch (Exception e) when (id is not null)
        {
            await deployments.SetStatusAsync(id.Value, request, DeploymentState.Failure, FailureDescription(e));
            throw;
        }

        if (id is { } succeeded)
        {
            await deployments.SetStatusAsync(succeeded, request, DeploymentState.Success, $"{request.Version} is up", request.EnvironmentUrl);
        }
    }

    /// <summary>Creates the deployment; returns its id, or null (after a warning) when GitHub refused or did not answer.</summary>
    public async Task<long?> CreateAsync(DeploymentRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var payload = new Dictionary<string, string>(StringComparer.Ordinal) { ["version"] = request.Version };
        foreach (var (service, image) in request.Images.OrderBy(i => i.Key, StringComparer.Ordinal))
        {
            payload["image:" + service] = image;
        }

        var deployment = new NewDeployment(request.Commit)
        {
            Task = request.Task,
            Environment = request.Environment,
            Description = request.Description,
            Payload = payload,
            AutoMerge = false,
            RequiredContexts = [],
            TransientEnvironment = request.Transient,
            ProductionEnvironment = request.Production,
        };

        try
        {
            var created = await _client.Repository.Deployment.Create(_connection.Owner, _connection.Name, deployment);
            _session.Info($"GitHub: deployment {created.Id} of {request.Version} to {request.Environment} created");
            return created.Id;
        }
        catch (Exception e) when (GitHubApiFailure.Is(e))
        {
            _session.Warning($"GitHub: could not create the deployment of {request.Version} to {request.Environment} ({GitHubApiFailure.Explain(e)}); the deploy goes on without it.");
            return null;
        }
    }

    /// <summary>Posts a status on deployment <paramref name="id"/>; a refusal or no answer is a warning.</summary>
    public async Task SetStatusAsync(long id, DeploymentRequest request, DeploymentState state, string description, Uri? environmentUrl = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        var status = new NewDeploymentStatus(state)
        {
            Environment = request.Environment,
            Description = Truncate(Redaction.Scrub(description)),
            EnvironmentUrl = environmentUrl?.ToString(),
        };

        try
        {
            await _client.Repository.Deployment.Status.Create(_connection.Owner, _connection.Name, id, status);
            _session.Info($"GitHub: deployment {id} is {StateName(state)}");
        }
        catch (Exception e) when (GitHubApiFailure.Is(e))
        {
            _session.Warning($"GitHub: could not mark deployment {id} {StateName(state)} ({GitHubApiFailure.Explain(e)}).");
        }
    }

    /// <summary>The first line of the deploy's error, scrubbed and cut to what GitHub accepts.</summary>
    internal static string FailureDescription(Exception e) => e switch
    {
        OperationCanceledException => "Cancelled",
        _ => e.Message.Split('\n', 2)[0].Trim() is { Length: > 0 } line ? line : e.GetType().Name,
    };

    private static string Truncate(string text) => text.Length <= MaxDescriptionLength ? text : text[..(MaxDescriptionLength - 1)] + "…";

    private static string StateName(DeploymentState state) => state switch
    {
        DeploymentState.InProgress => "in_progress",
        _ => state.ToString().ToLowerInvariant(),
    };
}
