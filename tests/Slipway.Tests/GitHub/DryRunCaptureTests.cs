using Slipway.Cli;
using Slipway.Tests.Cli;
using Slipway.Tests.Support;

namespace Slipway.Tests.GitHub;

public sealed class DryRunCaptureTests
{
    [Fact]
    public async Task The_captured_plan_is_what_the_dry_run_prints_with_secrets_masked_and_no_actions_commands()
    {
        var root = TestPaths.NewTempDirectory();
        var summary = Path.Combine(root, "summary.md");
        var environment = new Dictionary<string, string>
        {
            ["GITHUB_ACTIONS"] = "true",
            ["GITHUB_STEP_SUMMARY"] = summary,
        };

        var captured = await DryRunCapture.CaptureAsync(new DemoReleasePipeline(), ["--target", "DeployStaging", "--registry-password", "capture-secret-77bb"], environment, root, CancellationToken.None);

        Assert.True(captured.Succeeded, captured.Text);
        Snapshot.Match(captured.Text + "\n", "dry-run");
        Assert.DoesNotContain("capture-secret-77bb", captured.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("::", captured.Text, StringComparison.Ordinal);
        Assert.False(File.Exists(summary), "the nested run must not write the step summary");
        Assert.False(Directory.Exists(Path.Combine(root, "artifacts")), "a dry run writes nothing");
    }

    [Fact]
    public async Task A_refused_plan_is_captured_with_its_exit_code_and_message()
    {
        var captured = await DryRunCapture.CaptureAsync(new DemoReleasePipeline(), ["--target", "Deploy"], new Dictionary<string, string>(), TestPaths.NewTempDirectory(), CancellationToken.None);

        Assert.Equal(ExitCodes.UsageError, captured.ExitCode);
        Assert.Contains("Unknown target 'Deploy'", captured.Text, StringComparison.Ordinal);
    }
}
