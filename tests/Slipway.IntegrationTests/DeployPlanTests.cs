using Slipway.Build;
using Slipway.Processes;
using Slipway.Tests.Support;

namespace Slipway.IntegrationTests;

/// <summary>
/// The deploy targets' plans and dry runs over this repository's real environment files, with a recording runner in
/// place of every tool: which environment they imply, what they depend on, and the commands a dry run prints.
/// </summary>
public sealed class DeployPlanTests
{
    private static readonly string[] ChainToStaging = ["Publish", "Sign", "Verify", "DeployStaging"];

    private static Task<HostRun> RunAsync(RecordingToolRunner runner, params string[] args) =>
        InProcessHost.RunAsync(new SlipwayPipeline(), args, runner: runner, workingDirectory: TestPaths.RepositoryRoot);

    [Fact]
    public async Task DeployDev_implies_dev_and_a_dry_run_prints_the_whole_deploy_in_order()
    {
        var runner = new RecordingToolRunner();

        var run = await RunAsync(runner, "--target", "DeployDev", "--exclusive", "--dry-run");

        Assert.True(run.ExitCode == 0, run.Out + run.Error);
        var steps = new[]
        {
            "would take the lock",
            "config --format json",
            "up --detach --no-deps postgres redis",
            "run --rm migrate",
            "api, worker: a deploy starts their new containers together where their depends_on allows",
            "up --detach --no-deps --no-recreate --scale 'api=<count of the api containers running then + 1 from docker container ls>' api",
            "up --detach --no-deps proxy",
            "container stop --time 30 '<ids of the api containers running then from docker container ls>'",
            "up --detach --no-deps --no-recreate --scale 'worker=<count of the worker containers running then + 1 from docker container ls>' worker",
        };
        var at = -1;
        foreach (var step in steps)
        {
            var next = run.Out.IndexOf(step, at + 1, StringComparison.Ordinal);
            Assert.True(next > at, $"'{step}' is missing or out of order in:\n{run.Out}");
            at = next;
        }

        Assert.Contains("--project-name slipway-dev", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(runner.Invocations, i => i.Arguments.Any(a => a.Reveal() is "up" or "run" or "ps" or "ls" or "inspect"));
    }

    [Fact]
    public async Task DeployStaging_depends_on_Verify_and_runs_after_Publish_and_Sign_when_they_are_planned()
    {
        var run = await RunAsync(new RecordingToolRunner(), "--target", "DeployStaging", "--target", "Publish", "--target", "Sign", "--tree");

        Assert.True(run.ExitCode == 0, run.Out + run.Error);
        var order = ChainToStaging.Select(t => run.Out.IndexOf(t, StringComparison.Ordinal)).ToList();
        Assert.All(order, i => Assert.True(i >= 0, run.Out));
    }

    [Theory]
    [InlineData("DeployStaging", "--env", "dev", "DeployStaging deploys to staging, but --env says dev")]
    [InlineData("DeployDev", "--lock-wait", "soon", "--lock-wait")]
    public async Task A_contradicting_or_malformed_option_is_a_usage_error_before_anything_runs(string target, string option, string value, string expected)
    {
        var runner = new RecordingToolRunner();

        var run = await RunAsync(runner, "--target", target, "--exclusive", option, value);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(expected, run.Out + run.Error, StringComparison.Ordinal);
        Assert.Empty(runner.Invocations);
    }
}
