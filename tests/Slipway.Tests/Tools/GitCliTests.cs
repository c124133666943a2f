using Slipway.Processes;
using Slipway.Tools.Git;

namespace Slipway.Tests.Tools;

/// <summary>Golden argument tokens for the git wrapper, and reading its output.</summary>
public sealed class GitCliTests
{
    private static string[] Tokens(ToolInvocation invocation) => [.. invocation.Arguments.Select(a => a.Reveal())];

    private static ToolResult Result(int exitCode, string stdout, string stderr = "") => new(exitCode, stdout, stderr, TimeSpan.Zero);

    [Fact]
    public void Queries_render_the_exact_tokens_and_accept_the_documented_exit_codes()
    {
        Assert.Equal(["rev-parse", "HEAD"], Tokens(GitCli.HeadCommit()));
        Assert.Equal(["rev-parse", "--abbrev-ref", "HEAD"], Tokens(GitCli.CurrentBranch()));
        Assert.Equal(["describe", "--tags", "--exact-match", "HEAD"], Tokens(GitCli.ExactTag()));
        Assert.Equal([0, 128], GitCli.ExactTag().SuccessExitCodes.ToArray());
        Assert.Equal(["rev-list", "--count", "HEAD"], Tokens(GitCli.CommitCount()));
        Assert.Equal(["status", "--porcelain"], Tokens(GitCli.Status()));
        Assert.Equal(["remote", "get-url", "origin"], Tokens(GitCli.OriginUrl()));
        Assert.Equal([0, 2, 128], GitCli.OriginUrl().SuccessExitCodes.ToArray());
        Assert.Equal([0], GitCli.HeadCommit().SuccessExitCodes.ToArray());
    }

    [Fact]
    public void The_repository_is_the_working_directory()
    {
        Assert.Equal("/src/app", GitCli.Status("/src/app").WorkingDirectory);
        Assert.Null(GitCli.Status().WorkingDirectory);
        Assert.Equal("git", GitCli.Status().Tool);
    }

    [Fact]
    public void Output_is_read()
    {
        Assert.Equal("v1.2.3", GitOutput.ExactTagOrNull(Result(0, "v1.2.3\n")));
        Assert.Null(GitOutput.ExactTagOrNull(Result(128, "", "fatal: no tag exactly matches 'abc'\n")));
        Assert.Null(GitOutput.OriginUrlOrNull(Result(2, "", "error: No such remote 'origin'\n")));
        Assert.Equal("https://example.test/slipway.git", GitOutput.OriginUrlOrNull(Result(0, "https://example.test/slipway.git\r\n")));
        Assert.Equal(412, GitOutput.CommitCount(Result(0, "412\n")));
        Assert.Throws<FormatException>(() => GitOutput.CommitCount(Result(0, "")));
        Assert.True(GitOutput.IsClean(Result(0, "")));
        Assert.False(GitOutput.IsClean(Result(0, " M src/Slipway/Slipway.csproj\n?? notes.txt\n")));
    }
}
