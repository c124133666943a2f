using System.Collections.Concurrent;
using System.Diagnostics;
using Slipway.Cli;
using Slipway.Processes;
using Slipway.Targets;
using Slipway.Tests.Support;

namespace Slipway.Tests.Targets;

public sealed class SchedulerTests
{
    /// <summary>A pipeline whose targets record what happened to them.</summary>
    private sealed class RecordingPipeline : Pipeline
    {
        public ConcurrentQueue<string> Events { get; } = new();

        public TaskCompletionSource SlowStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool DeployWanted { get; init; }

        public Target Fail => _ => _.Executes(_ => throw new InvalidOperationException("Fail broke on purpose"));

        public Target AfterFail => _ => _.DependsOn(Fail).Executes(_ => Events.Enqueue("AfterFail ran"));

        public Target Independent => _ => _.Executes(_ => Events.Enqueue("Independent ran"));

        public Target Slow => _ => _
            .Finally(Cleanup)
            .Executes(async ctx =>
            {
                Events.Enqueue("Slow started");
                SlowStarted.TrySetResult();
                await Task.Delay(TimeSpan.FromSeconds(30), ctx.CancellationToken);
                Events.Enqueue("Slow finished");
            });

        public Target Cleanup => _ => _.Executes(_ => Events.Enqueue("Cleanup ran"));

        public Target Services => _ => _
            .ForEach(["api", "worker", "proxy"], async (service, ctx) =>
            {
                Events.Enqueue($"start {service}");
                await Task.Delay(300, ctx.CancellationToken);
                Events.Enqueue($"end {service}");
            });

        public Target BrokenItem => _ => _
            .ForEach(["good", "bad"], (service, _) => service == "bad" ? throw new InvalidOperationException("bad item") : Task.CompletedTask);

        public Target Deploy => _ => _
            .OnlyWhen(() => DeployWanted, "no deploy was asked for")
            .Executes(_ => Events.Enqueue("Deploy ran"));

        public Target AfterDeploy => _ => _.DependsOn(Deploy).Executes(_ => Events.Enqueue("AfterDeploy ran"));

        public Target Consumer => _ => _.Consumes("artifacts/release.json").Executes(_ => Events.Enqueue("Consumer ran"));

        public Target Producer => _ => _.Produces("artifacts/release.json").Executes(_ => { });

        public Target FailFast => _ => _.Executes(async ctx =>
        {
            await SlowStarted.Task.WaitAsync(ctx.CancellationToken);
            throw new InvalidOperationException("FailFast broke while Slow ran");
        });
    }

    private static async Task<(HostRun Run, RecordingPipeline Pipeline)> Run(string[] args, RecordingPipeline? pipeline = null, CancellationToken cancellation = default)
    {
        pipeline ??= new RecordingPipeline();
        var run = await InProcessHost.RunAsync(pipeline, args, cancellation: cancellation);
        return (run, pipeline);
    }

    [Fact]
    public async Task A_failed_dependency_stops_its_dependents_and_the_run_exits_1_with_a_summary()
    {
        var (run, pipeline) = await Run(["--target", "AfterFail"]);

        Assert.Equal(ExitCodes.TargetFailed, run.ExitCode);
        Assert.DoesNotContain("AfterFail ran", pipeline.Events);
        Assert.Contains("Fail broke on purpose", run.Out, StringComparison.Ordinal);
        Assert.Matches(@"│ Fail\s+│ Failed\s+│", run.Out);
        Assert.Matches(@"│ AfterFail\s+│ Not run\s+│\s+│ Fail failed", run.Out);
    }

    [Fact]
    public async Task With_continue_independent_targets_still_run_after_a_failure()
    {
        var (run, pipeline) = await Run(["--target", "AfterFail", "--target", "Independent", "--continue", "--parallel", "1"]);

        Assert.Equal(ExitCodes.TargetFailed, run.ExitCode);
        Assert.Contains("Independent ran", pipeline.Events);
        Assert.DoesNotContain("AfterFail ran", pipeline.Events);
    }

    [Fact]
    public async Task The_first_failure_cancels_running_targets_and_Finally_still_runs()
    {
        var (run, pipeline) = await Run(["--target", "Slow", "--target", "FailFast"]);

        Assert.Equal(ExitCodes.TargetFailed, run.ExitCode);
        Assert.Equal(["Slow started", "Cleanup ran"], pipeline.Events);
        Assert.Matches(@"│ Slow\s+│ Cancelled\s+│", run.Out);
        Assert.Matches(@"│ Cleanup\s+│ Succeeded\s+│", run.Out);
    }

    [Fact]
    public async Task Cancellation_stops_running_targets_runs_Finally_and_exits_130()
    {
        using var cancellation = new CancellationTokenSource();
        var pipeline = new RecordingPipeline();
        var running = Run(["--target", "Slow"], pipeline, cancellation.Token);
        await pipeline.SlowStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await cancellation.CancelAsync();
        var (run, _) = await running;

        Assert.Equal(ExitCodes.Cancelled, run.ExitCode);
        Assert.Equal(["Slow started", "Cleanup ran"], pipeline.Events);
        Assert.Matches(@"│ Slow\s+│ Cancelled\s+│", run.Out);
        Assert.Contains("Cancelled: running tools were stopped and cleanup targets ran.", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ForEach_items_run_in_parallel_and_each_appears_in_the_summary()
    {
        var stopwatch = Stopwatch.StartNew();
        var (run, pipeline) = await Run(["--target", "Services", "--parallel", "3"]);

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5));
        var events = pipeline.Events.ToList();
        Assert.True(events.IndexOf("start proxy") < events.IndexOf("end api"), "all three items should start before the first ends: " + string.Join(", ", events));
        Assert.Matches(@"│   › api\s+│ Succeeded", run.Out);
        Assert.Matches(@"│   › worker\s+│ Succeeded", run.Out);
        Assert.Matches(@"│   › proxy\s+│ Succeeded", run.Out);
    }

    [Fact]
    public async Task With_parallel_1_items_run_one_at_a_time()
    {
        var (_, pipeline) = await Run(["--target", "Services", "--parallel", "1"]);

        Assert.Equal(["start api", "end api", "start worker", "end worker", "start proxy", "end proxy"], pipeline.Events);
    }

    [Fact]
    public async Task A_failing_item_fails_its_target_and_is_named()
    {
        var (run, _) = await Run(["--target", "BrokenItem"]);

        Assert.Equal(ExitCodes.TargetFailed, run.ExitCode);
        Assert.Matches(@"│ BrokenItem\s+│ Failed\s+│\s+\S+\s+│ bad: bad item", run.Out);
        Assert.Matches(@"│   › bad\s+│ Failed", run.Out);
    }

    [Fact]
    public async Task An_OnlyWhen_that_does_not_hold_skips_with_its_reason_and_dependents_still_run()
    {
        var (run, pipeline) = await Run(["--target", "AfterDeploy"]);

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Equal(["AfterDeploy ran"], pipeline.Events);
        Assert.Matches(@"│ Deploy\s+│ Skipped\s+│\s+│ no deploy was asked for", run.Out);
    }

    [Fact]
    public async Task A_missing_consumed_artifact_fails_naming_its_producer()
    {
        var (run, pipeline) = await Run(["--target", "Consumer"]);

        Assert.Equal(ExitCodes.TargetFailed, run.ExitCode);
        Assert.Empty(pipeline.Events);
        Assert.Contains("Consumer needs artifacts/release.json, which does not exist: it is produced by Producer. Run Producer first", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_target_that_does_not_write_what_it_Produces_fails()
    {
        var (run, _) = await Run(["--target", "Producer"]);

        Assert.Equal(ExitCodes.TargetFailed, run.ExitCode);
        Assert.Contains("Producer declares Produces(artifacts/release.json) but did not write it.", run.Out, StringComparison.Ordinal);
    }
}

public sealed class SkipFromInsideTests
{
    private sealed class IncrementalPipeline : Pipeline
    {
        public List<string> Built { get; } = [];

        public Target Build => _ => _.ForEach(["api", "worker"], (service, ctx) =>
        {
            if (service == "worker")
            {
                ctx.Skip("unchanged since the last build");
            }

            lock (Built)
            {
                Built.Add(service);
            }
        });

        public Target Nothing => _ => _.ForEach(["api"], (_, ctx) => ctx.Skip("unchanged since the last build"));

        public Target Whole => _ => _.Executes(ctx => ctx.Skip("already provisioned"));
    }

    [Fact]
    public async Task An_item_can_skip_itself_and_the_summary_says_why()
    {
        var pipeline = new IncrementalPipeline();
        var run = await InProcessHost.RunAsync(pipeline, ["--target", "Build"]);

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Equal(["api"], pipeline.Built);
        Assert.Matches(@"│ Build\s+│ Succeeded", run.Out);
        Assert.Matches(@"│   › worker\s+│ Skipped\s+│[^│]*│ unchanged since the last build", run.Out);
        Assert.Contains("[worker] skipped: unchanged since the last build", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_target_whose_items_all_skip_is_skipped()
    {
        var run = await InProcessHost.RunAsync(new IncrementalPipeline(), ["--target", "Nothing"]);

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Matches(@"│ Nothing\s+│ Skipped\s+│[^│]*│ every item skipped: unchanged since the last build", run.Out);
    }

    [Fact]
    public async Task A_target_can_skip_itself()
    {
        var run = await InProcessHost.RunAsync(new IncrementalPipeline(), ["--target", "Whole"]);

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Matches(@"│ Whole\s+│ Skipped\s+│[^│]*│ already provisioned", run.Out);
    }
}

public sealed class WorkingDirectoryTests
{
    private sealed class ToolPipeline : Pipeline
    {
        public Target Run => _ => _.Executes(ctx => ctx.RunAsync(ToolInvocation.Of("pwd")));

        public Target Elsewhere => _ => _.Executes(ctx => ctx.RunAsync(ToolInvocation.Of("pwd").WithWorkingDirectory("/tmp")));
    }

    [Fact]
    public async Task Tools_run_in_the_pipeline_root_unless_the_invocation_names_a_directory()
    {
        var root = TestPaths.NewTempDirectory();
        var runner = new RecordingToolRunner();

        var run = await InProcessHost.RunAsync(new ToolPipeline(), ["--target", "Run", "--target", "Elsewhere"], runner, workingDirectory: root);

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Equal(root, runner.Invocations.Single(i => i.WorkingDirectory != "/tmp").WorkingDirectory);
        Assert.Single(runner.Invocations, i => i.WorkingDirectory == "/tmp");
    }
}
