using Slipway.Delivery;
using Slipway.Processes;
using Slipway.Testing;
using Slipway.Tools.Compose;

namespace Slipway.Tests.Delivery.Compose;

/// <summary>
/// A rolling deploy of several changed services starts the new containers of those that do not wait for each other
/// (Compose's <c>depends_on</c>) at the same time; one that waits for another starts once the other's new containers
/// are ready; traffic moves only once all are.
/// </summary>
public sealed partial class ComposeDeployerTests
{
    [Fact]
    public async Task Services_that_do_not_wait_for_each_other_start_their_new_containers_at_the_same_time()
    {
        Running(V100);
        HoldsApiUp? held = null;

        var outcome = await Deployer(around: s => held = new HoldsApiUp(s)).DeployAsync(V110, "ci@runner");

        Assert.True(outcome.Succeeded, outcome.Summary);
        // The api's `up` was still running when the worker's began: a rollout one service after another would have
        // waited for it.
        Assert.True(held!.OtherBeganWhileHeld, "the worker's new container did not start while the api's were starting");
        var effects = Effects();
        Assert.InRange(effects.FindIndex(e => e.Contains("state ready", StringComparison.Ordinal)), effects.IndexOf(WorkerRollout) + 1, effects.IndexOf("probes") - 1);
    }

    [Fact]
    public async Task A_service_that_depends_on_another_changed_service_starts_once_the_new_containers_of_that_one_are_checked()
    {
        Running(V100);
        _stack.DependsOn["worker"] = ["postgres", "api"];
        HoldsApiUp? held = null;

        var outcome = await Deployer(around: s => held = new HoldsApiUp(s)).DeployAsync(V110, "ci@runner");

        Assert.True(outcome.Succeeded, outcome.Summary);
        Assert.False(held!.OtherBeganWhileHeld, "the worker started while the api it depends on was starting");
        // The worker's `up` came after the inspect that found the api's new containers healthy.
        var freshApi = _stack.Running("api").Select(c => c.Id).ToList();
        var events = _session.Events.Where(e => e.Kind is SessionEventKind.Run or SessionEventKind.Mark or SessionEventKind.Query).ToList();
        var apiReady = events.FindIndex(e => e.Invocation?.Arguments.Select(a => a.Reveal()).ToList() is { } args && args.Contains("inspect") && freshApi.All(args.Contains));
        var workerUp = events.FindIndex(e => e.Invocation is { } i && Short(i) == WorkerRollout);
        Assert.InRange(apiReady, events.FindIndex(e => e.Invocation is { } i && Short(i) == "compose up --detach --no-deps --no-recreate --scale api=4 api") + 1, workerUp - 1);
        Assert.Contains(_session.Messages, m => m.Contains("worker starts once the new api are ready (depends_on)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_service_that_fails_before_traffic_leaves_every_service_as_it_was()
    {
        Running(V100);
        var oldApi = _stack.Running("api");
        var oldWorker = _stack.Running("worker");
        _stack.HealthOfNew["worker"] = "unhealthy";

        var outcome = await Deployer().DeployAsync(V110, "ci@runner");

        Assert.Equal(LedgerAction.Failed, outcome.Action);
        Assert.Contains("No traffic moved", outcome.Summary, StringComparison.Ordinal);
        Assert.Contains("worker: container", outcome.Summary, StringComparison.Ordinal);
        // The api's new containers were ready, but took no request: no slot was made ready, none drained.
        Assert.DoesNotContain(_stack.Commands, c => c.Contains("state ready", StringComparison.Ordinal) || c.Contains("state drain", StringComparison.Ordinal));
        Assert.All(_stack.Containers.Where(c => c.Image == V110.Images["api"] || c.Image == V110.Images["worker"]), c => Assert.True(c.Removed));
        Assert.Equal(oldApi, _stack.Running("api"));
        Assert.Equal(oldWorker, _stack.Running("worker"));
        Assert.DoesNotContain(_session.Runs, r => r.Arguments.Any(a => a.Reveal() == "pause"));
    }

    [Fact]
    public async Task Compose_v1_which_prints_no_resolved_model_rolls_out_one_service_after_another_and_lists_with_compose_ps()
    {
        Running(V100);
        var v1 = Deployment with { Project = Deployment.Project.WithDriver(ComposeDriver.Standalone(version: "1.29.2")) };

        var outcome = await Deployer(deployment: v1).DeployAsync(V110, "ci@runner");

        Assert.True(outcome.Succeeded, outcome.Summary);
        var runs = _session.Runs.Select(r => r.ToDisplayString(includeEnvironment: false)).ToList();
        Assert.Contains(runs, r => r.StartsWith("docker-compose ", StringComparison.Ordinal) && r.EndsWith(" --profile migrate config --quiet", StringComparison.Ordinal));
        // The api's traffic moved before the worker's new container started.
        var effects = Effects();
        Assert.InRange(effects.FindIndex(e => e.Contains("state ready", StringComparison.Ordinal)), 0, effects.FindIndex(e => e.Contains("--scale worker=2 worker", StringComparison.Ordinal)) - 1);
        Assert.DoesNotContain(_session.Messages, m => m.StartsWith("rolling out", StringComparison.Ordinal));
        Assert.Contains(_session.Invocations, i => i.ToDisplayString(includeEnvironment: false).Contains(" ps --quiet api", StringComparison.Ordinal));
        Assert.DoesNotContain(_session.Invocations, i => i.Arguments.Any(a => a.Reveal() == "ls"));
    }

    /// <summary>
    /// Holds the api's <c>up</c> until another service's <c>up</c> begins, or for at most two seconds, and says which it was.
    /// The fake stack answers one call at a time, as it is not made for threads.
    /// </summary>
    private sealed class HoldsApiUp(IToolSession inner) : IToolSession
    {
        private readonly TaskCompletionSource _otherBegan = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Lock _oneAtATime = new();

        public bool OtherBeganWhileHeld { get; private set; }

        public bool IsDryRun => inner.IsDryRun;

        public CancellationToken CancellationToken => inner.CancellationToken;

        public async Task<ToolResult> RunAsync(ToolInvocation invocation, bool echoOutput = true)
        {
            var tokens = invocation.Arguments.Select(a => a.Reveal()).ToList();
            if (tokens.Contains("up") && tokens.Contains("--no-recreate"))
            {
                if (tokens[^1] == "api")
                {
                    OtherBeganWhileHeld = await Task.WhenAny(_otherBegan.Task, Task.Delay(TimeSpan.FromSeconds(2))) == _otherBegan.Task;
                }
                else
                {
                    _otherBegan.TrySetResult();
                }
            }

            return await OneAtATime(() => inner.RunAsync(invocation, echoOutput));
        }

        public Task<ToolResult> QueryAsync(ToolInvocation invocation) => OneAtATime(() => inner.QueryAsync(invocation));

        // The scripted session answers before its task is returned, so the lock covers the answer.
        private Task<ToolResult> OneAtATime(Func<Task<ToolResult>> call)
        {
            lock (_oneAtATime)
            {
                return call();
            }
        }

        public Task DoAsync(string description, Func<CancellationToken, Task> effect) => inner.DoAsync(description, effect);

        public void Info(string message) => inner.Info(message);

        public void Warning(string message) => inner.Warning(message);
    }
}
