using System.Diagnostics;
using Slipway.Cli;
using Slipway.Processes;
using Slipway.Targets;
using Slipway.Tests.Support;

namespace Slipway.Tests.Cli;

public sealed class HostTests
{
    [Fact]
    public async Task Help_lists_options_targets_with_dependencies_and_parameters()
    {
        var run = await InProcessHost.RunAsync(new DemoReleasePipeline(), ["--help"]);

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Snapshot.Match(run.Out, "help");
    }

    [Fact]
    public async Task Description_lists_targets_and_parameters_without_usage()
    {
        var run = await InProcessHost.RunAsync(new DemoReleasePipeline(), ["--description"]);

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.StartsWith("Targets:", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dry_run_prints_every_command_in_order_with_secrets_masked_and_placeholders_and_runs_nothing()
    {
        var runner = new RecordingToolRunner();
        var run = await InProcessHost.RunAsync(new DemoReleasePipeline(), ["--target", "DeployStaging", "--dry-run", "--registry-password", "dry-run-secret-55aa"], runner);

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Empty(runner.Invocations);
        Assert.DoesNotContain("dry-run-secret-55aa", run.Out, StringComparison.Ordinal);
        Snapshot.Match(run.Out, "dry-run");
    }

    [Fact]
    public async Task Dryrun_is_an_alias_of_dry_run()
    {
        var run = await InProcessHost.RunAsync(new DemoReleasePipeline(), ["-t", "Build", "--dryrun"]);

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Contains("Dry run complete", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tree_prints_the_dependency_tree()
    {
        var run = await InProcessHost.RunAsync(new DemoReleasePipeline(), ["--tree", "--target", "Sign"]);

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Snapshot.Match(run.Out, "tree");
    }

    [Fact]
    public async Task A_successful_run_exits_0_and_runs_commands_in_dependency_order()
    {
        var runner = new RecordingToolRunner();
        var run = await InProcessHost.RunAsync(new DemoReleasePipeline(), ["--target", "Sign", "--registry-password", "pw-0c0c0c", "--parallel", "1"], runner);

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Equal(
            [
                "docker build --tag 127.0.0.1:5000/api:1.2.3 --file samples/api/Dockerfile artifacts/publish/api",
                "docker build --tag 127.0.0.1:5000/worker:1.2.3 --file samples/worker/Dockerfile artifacts/publish/worker",
                "docker login --username ci --password *** 127.0.0.1:5000",
                "docker push 127.0.0.1:5000/api:1.2.3",
                "docker push 127.0.0.1:5000/worker:1.2.3",
                "COSIGN_PASSWORD=*** cosign sign --yes 127.0.0.1:5000/api@sha256:0000",
                "COSIGN_PASSWORD=*** cosign sign --yes 127.0.0.1:5000/worker@sha256:0000",
            ],
            runner.CommandLines);
    }

    [Fact]
    public async Task Usage_errors_exit_2_on_stderr_and_run_nothing()
    {
        var runner = new RecordingToolRunner();
        var run = await InProcessHost.RunAsync(new DemoReleasePipeline(), ["--target", "Pubish", "--registy", "x"], runner);

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Empty(runner.Invocations);
        Assert.Empty(run.Out);
        Assert.Contains("error: Unknown option '--registy'. Did you mean '--registry'?", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_target_exits_2_with_did_you_mean_and_the_list()
    {
        var run = await InProcessHost.RunAsync(new DemoReleasePipeline(), ["--target", "Pubish"]);

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Equal(
            "error: Unknown target 'Pubish'. Did you mean 'Publish'? Available targets are: Build, Publish, Sign, DeployStaging.\nNothing was run. See --help for usage.\n",
            run.Error.Replace("\r\n", "\n", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unmet_Requires_exits_2_before_any_target_runs()
    {
        var runner = new RecordingToolRunner();
        var run = await InProcessHost.RunAsync(new DemoReleasePipeline(), ["--target", "Publish"], runner);

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Empty(runner.Invocations);
        Assert.Contains("Target 'Publish' requires --registry-password", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failing_tool_exits_1_and_the_summary_shows_every_target()
    {
        var runner = new RecordingToolRunner().Script("cosign", 12, stderr: "error: no matching signatures");
        var run = await InProcessHost.RunAsync(new DemoReleasePipeline(), ["--target", "DeployStaging", "--deploy", "--registry-password", "pw-1d1d1d"], runner);

        Assert.Equal(ExitCodes.TargetFailed, run.ExitCode);
        Assert.Contains("cosign exited with code 12", run.Out, StringComparison.Ordinal);
        Assert.Contains("error: no matching signatures", run.Out, StringComparison.Ordinal);
        Assert.Matches(@"│ Build\s+│ Succeeded", run.Out);
        Assert.Matches(@"│ Sign\s+│ Failed", run.Out);
        Assert.Matches(@"│ DeployStaging\s+│ Not run\s+│\s+│ Sign failed", run.Out);
        Assert.DoesNotContain(runner.Invocations, i => i.Tool == "docker-compose");
    }

    [Fact]
    public async Task Version_prints_the_version()
    {
        var run = await InProcessHost.RunAsync(new ParallelPipeline(), ["--version"]);

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Matches(@"^ParallelPipeline \(Slipway \d+\.\d+\.\d+\)", run.Out);
    }

    [Fact]
    public async Task Version_with_a_value_binds_the_pipelines_Version_parameter()
    {
        var runner = new RecordingToolRunner();
        var run = await InProcessHost.RunAsync(new DemoReleasePipeline(), ["--target", "Build", "--version", "9.9.9"], runner);

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Contains(runner.CommandLines, c => c.Contains("api:9.9.9", StringComparison.Ordinal));
    }

    /// <summary>Two targets writing lines concurrently.</summary>
    private sealed class ParallelPipeline : Pipeline
    {
        public Target Left => _ => _.Executes(ctx => Chatter(ctx, "left"));

        public Target Right => _ => _.Executes(ctx => Chatter(ctx, "right"));

        private static async Task Chatter(TargetContext ctx, string name)
        {
            for (var i = 0; i < 40; i++)
            {
                ctx.Info($"{name} line {i}");
                await Task.Delay(2);
            }
        }
    }

    [Fact]
    public async Task Parallel_targets_output_never_interleaves()
    {
        var run = await InProcessHost.RunAsync(new ParallelPipeline(), ["--target", "Left", "--target", "Right", "--parallel", "2"]);

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        var lines = run.Out.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Contains(" line ", StringComparison.Ordinal)).ToList();
        Assert.Equal(80, lines.Count);
        var firstBlock = lines[0].Split(' ')[0];
        Assert.All(lines.Take(40), l => Assert.StartsWith(firstBlock, l, StringComparison.Ordinal));
        Assert.All(lines.Skip(40), l => Assert.DoesNotContain(firstBlock, l, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_SIGTERM_kills_the_running_tool_tree_runs_Finally_and_exits_130()
    {
        var directory = TestPaths.NewTempDirectory();
        var pidFile = Path.Combine(directory, "grandchild.pid");
        var marker = Path.Combine(directory, "cleanup.marker");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { TestPaths.DummyAssembly, "pipeline", "--target", "Sleep", "--pid-file", pidFile, "--marker", marker },
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var host = Process.Start(start)!;
        var stdout = host.StandardOutput.ReadToEndAsync();
        var grandchild = await ProcessTree.WaitForPidFileAsync(pidFile, TimeSpan.FromSeconds(60));

        using (var kill = Process.Start("kill", ["-TERM", host.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await host.WaitForExitAsync(timeout.Token);
        var output = await stdout;

        Assert.Equal(ExitCodes.Cancelled, host.ExitCode);
        Assert.True(await ProcessTree.WaitUntilGoneAsync(grandchild, TimeSpan.FromSeconds(10)), $"grandchild {grandchild} is still alive");
        Assert.True(File.Exists(marker), "the Finally target should have run:\n" + output);
        Assert.Contains("Cancelled", output, StringComparison.Ordinal);
    }
}
