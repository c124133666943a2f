using Slipway.Cli;
using Slipway.Processes;
using Slipway.Targets;
using Slipway.Tests.Support;

namespace Slipway.Tests.Cli;

public sealed class GitHubActionsTests
{
    private sealed class ActionsPipeline : Pipeline
    {
        [Secret("Deploy token")]
        public Secret? Token { get; init; }

        public Target Build => _ => _.Executes(ctx =>
        {
            ctx.Info("building");
            ctx.SetOutput("image", "registry/api@sha256:1234");
            ctx.SetOutput("notes", "line one\nline two");
        });

        public Target Resolve => _ => _.Executes(ctx =>
        {
            // A secret first known during the run, as an env: reference resolved by a target is.
            var late = new Secret("late-secret-value-5c2e", "env:LATE");
            ctx.Info($"using {late.Reveal()}");
        });

        public Target Deploy => _ => _.DependsOn(Build).Requires(() => Token).Executes(_ => throw new InvalidOperationException("rollout failed: 50% errors, see https://x/y"));
    }

    [Fact]
    public async Task On_Actions_masks_come_first_each_target_is_a_group_failures_are_annotated_and_files_are_written()
    {
        var directory = TestPaths.NewTempDirectory();
        var summary = Path.Combine(directory, "summary.md");
        var outputs = Path.Combine(directory, "outputs.txt");
        var run = await InProcessHost.RunAsync(new ActionsPipeline(), ["--target", "Deploy", "--token", "gh-token-8e8e8e"], environment: new Dictionary<string, string>
        {
            ["GITHUB_ACTIONS"] = "true",
            ["GITHUB_STEP_SUMMARY"] = summary,
            ["GITHUB_OUTPUT"] = outputs,
        });
        var lines = run.Out.Split('\n').Select(l => l.TrimEnd('\r')).ToList();

        Assert.Equal(ExitCodes.TargetFailed, run.ExitCode);
        Assert.StartsWith("::add-mask::", lines[0], StringComparison.Ordinal);
        Assert.Contains("::add-mask::gh-token-8e8e8e", lines.TakeWhile(l => l.StartsWith("::add-mask::", StringComparison.Ordinal)));
        Assert.Equal(["::group::Build", "::group::Deploy"], lines.Where(l => l.StartsWith("::group::", StringComparison.Ordinal)));
        Assert.Equal(2, lines.Count(l => l == "::endgroup::"));
        Assert.True(lines.IndexOf("::group::Build") < lines.IndexOf("building") && lines.IndexOf("building") < lines.IndexOf("::endgroup::"));
        Assert.Contains("::error title=Deploy failed::rollout failed: 50% errors, see https://x/y".Replace("50%", "50%25", StringComparison.Ordinal), lines);

        var markdown = await File.ReadAllTextAsync(summary);
        Assert.Contains("| Target | Status | Duration | Details |", markdown, StringComparison.Ordinal);
        Assert.Matches(@"\| Build \| ✅ Succeeded \| \S+ \|\s+\|", markdown);
        Assert.Contains("| Deploy | ❌ Failed |", markdown, StringComparison.Ordinal);

        var written = await File.ReadAllTextAsync(outputs);
        Assert.Matches(@"^image<<(slipway_\w+)\nregistry/api@sha256:1234\n\1\nnotes<<(slipway_\w+)\nline one\nline two\n\2\n$", written);
    }

    [Fact]
    public async Task A_secret_first_resolved_during_the_run_is_masked_before_any_line_that_could_carry_it()
    {
        var run = await InProcessHost.RunAsync(new ActionsPipeline(), ["--target", "Resolve"], environment: new Dictionary<string, string> { ["GITHUB_ACTIONS"] = "true" });
        var lines = run.Out.Split('\n').Select(l => l.TrimEnd('\r')).ToList();

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        var mask = lines.IndexOf("::add-mask::late-secret-value-5c2e");
        Assert.True(mask >= 0, run.Out);
        Assert.True(mask < lines.IndexOf("using ***"), run.Out);
    }

    [Theory]
    [InlineData("a%b\r\nc", "a%25b%0D%0Ac")]
    [InlineData("plain", "plain")]
    public void Messages_are_escaped_as_the_runner_expects(string value, string expected) =>
        Assert.Equal(expected, GitHubActions.EscapeData(value));

    [Fact]
    public void Property_values_also_escape_colons_and_commas() =>
        Assert.Equal("Deploy%3A staging%2C prod", GitHubActions.EscapeProperty("Deploy: staging, prod"));

    [Fact]
    public async Task Off_Actions_no_workflow_commands_are_printed()
    {
        var run = await InProcessHost.RunAsync(new ActionsPipeline(), ["--target", "Build"]);

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.DoesNotContain("::", run.Out, StringComparison.Ordinal);
    }
}
