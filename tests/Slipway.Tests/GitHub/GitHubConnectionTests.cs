using Slipway.GitHub;
using Slipway.Tests.Support;

namespace Slipway.Tests.GitHub;

public sealed class GitHubConnectionTests
{
    [Fact]
    public void No_token_means_no_connection_and_says_which_variables_to_set()
    {
        var detection = GitHubConnection.Detect(new Dictionary<string, string> { ["GITHUB_REPOSITORY"] = "octo-org/slipway" });

        Assert.False(detection.IsActive);
        Assert.False(detection.IsMisconfigured);
        Assert.Contains("GITHUB_TOKEN", detection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_token_with_a_repository_connects_to_api_github_com_by_default()
    {
        var connection = GitHubConnection.Detect(new Dictionary<string, string>
        {
            ["GITHUB_TOKEN"] = "ghs_abc",
            ["GITHUB_REPOSITORY"] = "octo-org/slipway",
        }).Connection!;

        Assert.Equal(new Uri("https://api.github.com/"), connection.ApiUrl);
        Assert.Equal(("octo-org", "slipway"), (connection.Owner, connection.Name));
        Assert.Equal("env:GITHUB_TOKEN", connection.TokenSource);
        Assert.DoesNotContain("ghs_abc", connection.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Slipways_own_token_wins_over_the_workflow_token_and_an_enterprise_api_url_keeps_its_path()
    {
        var connection = GitHubConnection.Detect(new Dictionary<string, string>
        {
            ["GITHUB_TOKEN"] = "ghs_workflow",
            ["SLIPWAY_GITHUB_TOKEN"] = "ghp_personal",
            ["GITHUB_REPOSITORY"] = "octo-org/slipway",
            ["GITHUB_API_URL"] = "https://ghe.example.com/api/v3",
        }).Connection!;

        Assert.Equal("env:SLIPWAY_GITHUB_TOKEN", connection.TokenSource);
        Assert.Equal(new Uri("https://ghe.example.com/api/v3/"), connection.ApiUrl);
    }

    [Theory]
    [InlineData(null, null, "GITHUB_REPOSITORY is not")]
    [InlineData("slipway", null, "is not owner/name")]
    [InlineData("a/b/c", null, "is not owner/name")]
    [InlineData("octo-org/slipway", "ftp://example.com", "is not an http(s) URL")]
    public void A_token_with_an_unusable_repository_or_url_is_misconfigured(string? repository, string? apiUrl, string expected)
    {
        var variables = new Dictionary<string, string> { ["GITHUB_TOKEN"] = "ghs_abc" };
        if (repository is not null)
        {
            variables["GITHUB_REPOSITORY"] = repository;
        }

        if (apiUrl is not null)
        {
            variables["GITHUB_API_URL"] = apiUrl;
        }

        var detection = GitHubConnection.Detect(variables);

        Assert.False(detection.IsActive);
        Assert.True(detection.IsMisconfigured);
        Assert.Contains(expected, detection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_token_the_note_appears_in_verbose_output_only_and_a_misconfiguration_warns()
    {
        var none = GitHubConnection.Detect(new Dictionary<string, string>());
        var quiet = new ScriptedToolSession();
        var verbose = new ScriptedToolSession();
        none.ReportInactive(quiet, verbose: false, "the deployment");
        none.ReportInactive(verbose, verbose: true, "the deployment");

        Assert.Empty(quiet.Events);
        Assert.Equal(SessionEventKind.Info, Assert.Single(verbose.Events).Kind);
        Assert.Contains("not reporting the deployment: no GitHub token", verbose.Messages[0], StringComparison.Ordinal);

        var broken = new ScriptedToolSession();
        GitHubConnection.Detect(new Dictionary<string, string> { ["GITHUB_TOKEN"] = "ghs_abc" }).ReportInactive(broken, verbose: false, "the deployment");
        Assert.Equal(SessionEventKind.Warning, Assert.Single(broken.Events).Kind);
    }
}
