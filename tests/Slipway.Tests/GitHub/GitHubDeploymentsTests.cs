using System.Text.Json;
using Slipway.GitHub;
using Slipway.Processes;
using Slipway.Tests.Support;

namespace Slipway.Tests.GitHub;

public sealed class GitHubDeploymentsTests
{
    private const string Commit = "40746c1cd1f9a3e5b7c9d0e1f2a3b4c5d6e7f809";
    private const string ApiDigest = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    private const string WorkerDigest = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

    private static DeploymentRequest Request(string environment = "dev") => new(
        Commit,
        environment,
        "1.4.0",
        new Dictionary<string, string>
        {
            ["worker"] = "127.0.0.1:5000/slipway/worker@" + WorkerDigest,
            ["api"] = "127.0.0.1:5000/slipway/api@" + ApiDigest,
        })
    {
        Transient = environment == "dev",
        Production = environment == "prod",
        EnvironmentUrl = new Uri("http://127.0.0.1:8080"),
    };

    private static FakeGitHubApi AcceptingDeployments() => new FakeGitHubApi()
        .On("POST", "^/repos/octo-org/slipway/deployments$", 201, new { id = 42, sha = Commit, environment = "dev" })
        .On("POST", "^/repos/octo-org/slipway/deployments/42/statuses$", request => FakeGitHubApi.Json(201, new { id = 7, state = FakeGitHubApi.BodyOf(request).GetProperty("state").GetString() }));

    [Fact]
    public async Task A_successful_deploy_creates_the_deployment_then_in_progress_then_success_with_the_stack_url()
    {
        await using var api = AcceptingDeployments();
        var session = new ScriptedToolSession();

        await GitHubDeployments.TrackAsync(GitHubConnection.Detect(api.Variables()), session, verbose: false, Request(), () =>
        {
            session.Mark("deploying");
            return Task.CompletedTask;
        });

        Assert.Equal(
            ["POST /repos/octo-org/slipway/deployments", "POST /repos/octo-org/slipway/deployments/42/statuses", "POST /repos/octo-org/slipway/deployments/42/statuses"],
            api.Requests.Select(r => $"{r.Method} {r.PathAndQuery}"));
        Assert.All(api.Requests, r =>
        {
            Assert.Equal("Token " + FakeGitHubApi.Token, r.Authorization);
            Assert.Contains("application/vnd.github", r.Accept, StringComparison.Ordinal);
        });

        var deployment = FakeGitHubApi.BodyOf(api.Requests[0]);
        Assert.Equal(Commit, deployment.GetProperty("ref").GetString());
        Assert.Equal("dev", deployment.GetProperty("environment").GetString());
        Assert.Equal("deploy", deployment.GetProperty("task").GetString());
        Assert.False(deployment.GetProperty("auto_merge").GetBoolean());
        Assert.Equal(0, deployment.GetProperty("required_contexts").GetArrayLength());
        Assert.True(deployment.GetProperty("transient_environment").GetBoolean());
        Assert.False(deployment.GetProperty("production_environment").GetBoolean());
        var payload = deployment.GetProperty("payload");
        Assert.Equal("1.4.0", payload.GetProperty("version").GetString());
        Assert.Equal("127.0.0.1:5000/slipway/api@" + ApiDigest, payload.GetProperty("image:api").GetString());
        Assert.Equal("127.0.0.1:5000/slipway/worker@" + WorkerDigest, payload.GetProperty("image:worker").GetString());

        var inProgress = FakeGitHubApi.BodyOf(api.Requests[1]);
        Assert.Equal("in_progress", inProgress.GetProperty("state").GetString());
        Assert.Equal("dev", inProgress.GetProperty("environment").GetString());
        var success = FakeGitHubApi.BodyOf(api.Requests[2]);
        Assert.Equal("success", success.GetProperty("state").GetString());
        Assert.Equal("http://127.0.0.1:8080/", success.GetProperty("environment_url").GetString());

        // The deploy ran between in_progress and success.
        Assert.Equal(
            ["info: GitHub: deployment 42 of 1.4.0 to dev created", "info: GitHub: deployment 42 is in_progress", "mark: deploying", "info: GitHub: deployment 42 is success"],
            session.Events.Select(e => e.ToString()));
        Assert.DoesNotContain(session.Messages, m => m.Contains(FakeGitHubApi.Token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_failed_deploy_posts_failure_with_why_and_its_own_exception_still_reaches_the_caller()
    {
        await using var api = AcceptingDeployments();
        var password = new Secret("s3cret-db-password-for-github-test", "env:TEST_PASSWORD");
        var failure = new InvalidOperationException($"api unhealthy after 60s (password {password.Reveal()})\nThe ledger has the details.");

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            GitHubDeployments.TrackAsync(GitHubConnection.Detect(api.Variables()), new ScriptedToolSession(), verbose: false, Request("prod"), () => throw failure));

        Assert.Same(failure, thrown);
        Assert.Equal(3, api.Requests.Count);
        var deployment = FakeGitHubApi.BodyOf(api.Requests[0]);
        Assert.False(deployment.GetProperty("transient_environment").GetBoolean());
        Assert.True(deployment.GetProperty("production_environment").GetBoolean());
        var status = FakeGitHubApi.BodyOf(api.Requests[2]);
        Assert.Equal("failure", status.GetProperty("state").GetString());
        Assert.Equal("api unhealthy after 60s (password ***)", status.GetProperty("description").GetString());
        Assert.False(status.TryGetProperty("environment_url", out var url) && url.ValueKind != JsonValueKind.Null);
    }

    [Fact]
    public async Task A_long_failure_is_cut_to_what_github_accepts()
    {
        await using var api = AcceptingDeployments();

        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            GitHubDeployments.TrackAsync(GitHubConnection.Detect(api.Variables()), new ScriptedToolSession(), verbose: false, Request(), () => throw new InvalidOperationException(new string('x', 400))));

        Assert.Equal(GitHubDeployments.MaxDescriptionLength, FakeGitHubApi.BodyOf(api.Requests[2]).GetProperty("description").GetString()!.Length);
    }

    [Fact]
    public async Task When_github_refuses_the_deployment_the_deploy_runs_anyway_with_a_warning()
    {
        await using var api = new FakeGitHubApi().On("POST", "/deployments$", 403, new { message = "Resource not accessible by integration" });
        var session = new ScriptedToolSession();
        var deployed = false;

        await GitHubDeployments.TrackAsync(GitHubConnection.Detect(api.Variables()), session, verbose: false, Request(), () =>
        {
            deployed = true;
            return Task.CompletedTask;
        });

        Assert.True(deployed);
        Assert.Single(api.Requests);
        var warning = Assert.Single(session.Events, e => e.Kind == SessionEventKind.Warning).Text;
        Assert.Contains("could not create the deployment of 1.4.0 to dev (HTTP 403: Resource not accessible by integration)", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task When_a_status_fails_the_deploy_failure_is_still_the_one_reported()
    {
        await using var api = new FakeGitHubApi()
            .On("POST", "/deployments$", 201, new { id = 42 })
            .On("POST", "/statuses$", 500, new { message = "Server Error" });
        var session = new ScriptedToolSession();

        var thrown = await Assert.ThrowsAsync<TimeoutException>(() =>
            GitHubDeployments.TrackAsync(GitHubConnection.Detect(api.Variables()), session, verbose: false, Request(), () => throw new TimeoutException("api never became healthy")));

        Assert.Equal("api never became healthy", thrown.Message);
        Assert.Equal(2, session.Events.Count(e => e.Kind == SessionEventKind.Warning));
    }

    [Fact]
    public async Task Without_a_token_nothing_is_sent_and_verbose_output_says_why()
    {
        await using var api = AcceptingDeployments();
        var variables = api.Variables();
        variables.Remove("GITHUB_TOKEN");
        var session = new ScriptedToolSession();
        var deployed = false;

        await GitHubDeployments.TrackAsync(GitHubConnection.Detect(variables), session, verbose: true, Request(), () =>
        {
            deployed = true;
            return Task.CompletedTask;
        });

        Assert.True(deployed);
        Assert.Empty(api.Requests);
        Assert.Contains("GitHub: not reporting the deployment to dev: no GitHub token", Assert.Single(session.Messages), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dry_run_prints_the_deployment_and_sends_nothing()
    {
        await using var api = AcceptingDeployments();
        var session = new ScriptedToolSession { IsDryRun = true };

        await GitHubDeployments.TrackAsync(GitHubConnection.Detect(api.Variables()), session, verbose: false, Request(), () => Task.CompletedTask);

        Assert.Empty(api.Requests);
        Assert.Equal($"effect: GitHub deployment of 1.4.0 to dev in octo-org/slipway (ref {Commit}): in_progress, then success or failure", Assert.Single(session.Events).ToString());
    }

    [Fact]
    public async Task An_enterprise_api_url_is_used_as_given()
    {
        await using var api = new FakeGitHubApi("/api/v3")
            .On("POST", "^/api/v3/repos/octo-org/slipway/deployments$", 201, new { id = 5 })
            .On("POST", "^/api/v3/repos/octo-org/slipway/deployments/5/statuses$", 201, new { id = 1 });

        await GitHubDeployments.TrackAsync(GitHubConnection.Detect(api.Variables()), new ScriptedToolSession(), verbose: false, Request(), () => Task.CompletedTask);

        Assert.Equal(3, api.Requests.Count);
        Assert.All(api.Requests, r => Assert.StartsWith("/api/v3/repos/", r.PathAndQuery, StringComparison.Ordinal));
    }
}
