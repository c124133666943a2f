using System.Text.RegularExpressions;
using Slipway.Tests.Support;

namespace Slipway.IntegrationTests;

/// <summary>
/// E2ESmoke on the real engine: the workspace's freshly built images as a seeded Compose stack, checked end to end,
/// and nothing of the project left afterwards, whether the checks passed or failed.
/// </summary>
[Collection(SharedDockerWorkspace.Name)]
public sealed partial class E2ESmokeTests(DockerWorkspace workspace)
{
    [Fact]
    public async Task E2ESmoke_passes_every_check_and_leaves_nothing_behind()
    {
        var run = await workspace.RunAsync("--target", "E2ESmoke");
        var output = run.Out + run.Error;
        var project = ProjectName(output);

        Assert.True(run.ExitCode == 0, output);
        foreach (var check in new[] { "stack ready", "fresh build", "seeded order", "new order processed", "listing" })
        {
            Assert.Matches($@"(?m)^{Regex.Escape(check)}: .*\s+ok\s+", output);
        }

        Assert.Contains($"Removed {project}: no container of it is left.", output, StringComparison.Ordinal);
        AssertNothingLeft(project);
    }

    [Fact]
    public async Task A_failing_stack_prints_the_log_tail_and_is_still_torn_down()
    {
        // Slow mode delays every non-health request past the checks' 10 s bound; health stays green,
        // so the stack comes up and the first real request fails: a cheap, realistic bad release.
        var run = await workspace.RunWithVariablesAsync(
            new Dictionary<string, string> { ["FAULT_MODE"] = "slow", ["FAULT_DELAY_MS"] = "15000" },
            "--target", "E2ESmoke");
        var output = run.Out + run.Error;
        var project = ProjectName(output);

        Assert.True(run.ExitCode == 1, output);
        Assert.Contains("FAULT_MODE=slow is set", output, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^fresh build: GET /version\s+FAILED\s+.*GET /version: no answer within 10 s", output);
        Assert.Contains("Last 40 log lines of api, worker", output, StringComparison.Ordinal);
        // Compose v2 prefixes log lines with the v2 container name's tail: api-1, not v1's api_1.
        Assert.Matches(@"(?m)^api-1\s+\| ", output);
        Assert.DoesNotContain("\u001b[2K", output, StringComparison.Ordinal);
        Assert.Contains($"Removed {project}: no container of it is left.", output, StringComparison.Ordinal);
        AssertNothingLeft(project);
    }

    [Fact]
    public async Task Missing_images_fail_before_anything_is_created_and_teardown_says_there_is_nothing_to_remove()
    {
        var run = await workspace.RunAsync("--target", "E2ESmoke", "--exclusive", "--version", "9.9.9-not-built");
        var output = run.Out + run.Error;

        Assert.True(run.ExitCode == 1, output);
        Assert.Contains("9.9.9-not-built is not on the Docker engine", output, StringComparison.Ordinal);
        Assert.Contains("E2ESmoke created no Compose project in this run: nothing to remove", output, StringComparison.Ordinal);
        AssertNothingLeft(ProjectName(output));
    }

    [Fact]
    public async Task A_dry_run_prints_the_compose_commands_in_order_with_the_password_masked_and_creates_nothing()
    {
        var run = await workspace.RunAsync("--target", "E2ESmoke", "--dry-run");
        var output = run.Out + run.Error;
        var project = ProjectName(output);

        Assert.True(run.ExitCode == 0, output);
        var steps = new[] { "config --quiet", "run --rm migrate", "run --rm seed", "up --detach", "port proxy 8080", "check: stack ready", "check: new order processed", "down --volumes --remove-orphans" };
        var positions = steps.Select(s => output.IndexOf(s, StringComparison.Ordinal)).ToList();
        Assert.All(positions, p => Assert.True(p >= 0, output));
        Assert.Equal(positions.Order(), positions);
        Assert.Contains("POSTGRES_PASSWORD=*** ", output, StringComparison.Ordinal);
        Assert.Contains($"--project-name {project} --file compose/stack.yml --file compose/compose.test.yml", output, StringComparison.Ordinal);
        AssertNothingLeft(project);
    }

    private void AssertNothingLeft(string project)
    {
        var label = "label=com.docker.compose.project=" + project;
        Assert.Equal(string.Empty, workspace.Docker("container", "ls", "--all", "--quiet", "--filter", label));
        Assert.Equal(string.Empty, workspace.Docker("volume", "ls", "--quiet", "--filter", label));
        Assert.Equal(string.Empty, workspace.Docker("network", "ls", "--quiet", "--filter", label));
    }

    private static string ProjectName(string output)
    {
        var match = ProjectLine().Match(output);
        Assert.True(match.Success, "no 'Compose project slipway-e2e-…' line in:\n" + output);
        return match.Groups[1].Value;
    }

    [GeneratedRegex(@"Compose project (slipway-e2e-[0-9a-f]{8})")]
    private static partial Regex ProjectLine();
}
