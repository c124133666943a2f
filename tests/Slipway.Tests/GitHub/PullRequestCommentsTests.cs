using Slipway.GitHub;
using Slipway.Tests.Support;

namespace Slipway.Tests.GitHub;

public sealed class PullRequestCommentsTests
{
    private const string Marker = "<!-- slipway:plan:DeployDev -->";

    [Fact]
    public async Task Without_an_earlier_comment_a_new_one_is_posted_behind_the_marker()
    {
        await using var api = new FakeGitHubApi()
            .On("GET", "^/repos/octo-org/slipway/issues/12/comments", 200, new object[] { new { id = 1, body = "LGTM", html_url = "u1" } })
            .On("POST", "^/repos/octo-org/slipway/issues/12/comments$", 201, new { id = 501, html_url = "https://github.com/octo-org/slipway/pull/12#issuecomment-501" });

        var posted = await new PullRequestComments(api.Connection()).UpsertAsync(12, Marker, "### the plan");

        Assert.Equal(new PostedComment(501, "https://github.com/octo-org/slipway/pull/12#issuecomment-501", Created: true), posted);
        Assert.Equal(["GET", "POST"], api.Requests.Select(r => r.Method));
        Assert.StartsWith("/repos/octo-org/slipway/issues/12/comments", api.Requests[0].PathAndQuery, StringComparison.Ordinal);
        Assert.All(api.Requests, r =>
        {
            Assert.Equal("Token " + FakeGitHubApi.Token, r.Authorization);
            Assert.Contains("application/vnd.github", r.Accept, StringComparison.Ordinal);
        });
        Assert.Equal(Marker + "\n### the plan", FakeGitHubApi.BodyOf(api.Requests[1]).GetProperty("body").GetString());
    }

    [Fact]
    public async Task Slipways_earlier_comment_is_edited_instead_of_posting_another()
    {
        await using var api = new FakeGitHubApi()
            .On("GET", "^/repos/octo-org/slipway/issues/12/comments", 200, new object[]
            {
                new { id = 1, body = "LGTM", html_url = "u1" },
                new { id = 300, body = Marker + "\nold plan", html_url = "u300" },
                new { id = 301, body = "<!-- slipway:plan:DeployStaging -->\nanother target's plan", html_url = "u301" },
            })
            .On("PATCH", "^/repos/octo-org/slipway/issues/comments/300$", 200, new { id = 300, html_url = "https://github.com/octo-org/slipway/pull/12#issuecomment-300" });

        var posted = await new PullRequestComments(api.Connection()).UpsertAsync(12, Marker, "new plan");

        Assert.False(posted.Created);
        Assert.Equal(300, posted.Id);
        Assert.Equal(["GET", "PATCH"], api.Requests.Select(r => r.Method));
        Assert.Equal("/repos/octo-org/slipway/issues/comments/300", api.Requests[1].PathAndQuery);
        Assert.Equal(Marker + "\nnew plan", FakeGitHubApi.BodyOf(api.Requests[1]).GetProperty("body").GetString());
    }

    [Theory]
    [InlineData("refs/pull/57/merge", 57)]
    [InlineData("refs/pull/8/head", 8)]
    [InlineData("refs/heads/main", null)]
    [InlineData("refs/tags/v1.0.0", null)]
    public void The_pull_request_number_comes_from_github_ref(string gitRef, int? expected) =>
        Assert.Equal(expected, PullRequestNumber.Find(new Dictionary<string, string> { ["GITHUB_REF"] = gitRef }));

    [Theory]
    [InlineData("""{"action":"synchronize","number":91,"pull_request":{"number":91}}""", 91)]
    [InlineData("""{"action":"created","issue":{"number":33,"pull_request":{"url":"x"}},"comment":{"id":1}}""", 33)]
    [InlineData("""{"action":"created","issue":{"number":33},"comment":{"id":1}}""", null)]
    [InlineData("""{"ref":"refs/heads/main"}""", null)]
    public void Otherwise_from_the_event_payload(string payload, int? expected)
    {
        var path = Path.Combine(TestPaths.NewTempDirectory(), "event.json");
        File.WriteAllText(path, payload);

        Assert.Equal(expected, PullRequestNumber.Find(new Dictionary<string, string> { ["GITHUB_REF"] = "refs/heads/feature", ["GITHUB_EVENT_PATH"] = path }));
    }

    [Fact]
    public void An_unreadable_event_payload_is_an_error_naming_the_file()
    {
        var path = Path.Combine(TestPaths.NewTempDirectory(), "event.json");
        File.WriteAllText(path, "{ not json");

        var error = Assert.Throws<InvalidOperationException>(() => PullRequestNumber.Find(new Dictionary<string, string> { ["GITHUB_EVENT_PATH"] = path }));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_plan_comment_fences_the_dry_run_and_cuts_what_does_not_fit()
    {
        var comment = PlanComment.Render("DeployDev", "abc123", "Dry run of DeployDev: 7 targets\n$ docker push x\n```oops", succeeded: true);

        Assert.StartsWith("### Slipway plan: `DeployDev`\n", comment, StringComparison.Ordinal);
        Assert.Contains("commit `abc123`", comment, StringComparison.Ordinal);
        Assert.Contains("```text\nDry run of DeployDev: 7 targets\n$ docker push x\n` ` `oops\n```\n", comment, StringComparison.Ordinal);

        var huge = PlanComment.Render("DeployDev", "abc123", new string('x', 100_000), succeeded: false);
        Assert.True(huge.Length < PlanComment.MaxCommentLength - 100, $"{huge.Length} characters");
        Assert.Contains("The dry run of `DeployDev` failed", huge, StringComparison.Ordinal);
        Assert.Contains("the rest is in the job's log", huge, StringComparison.Ordinal);
    }
}
