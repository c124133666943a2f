using Slipway.Processes;
using Slipway.Delivery;
using Slipway.Delivery.Compose;

namespace Slipway.Tests.Delivery.Compose;

/// <summary>
/// A deploy of the revision that already runs as deployed does no work: probes only, recorded as already live. A changed
/// digest, a changed stack variable, a container that no longer runs, failing probes, a deploy in between or an
/// unreadable record make it deploy again.
/// </summary>
public sealed partial class ComposeDeployerTests
{
    private static ComposeRelease Live => V110 with { Revision = ReleaseRevision.Of(V110.Images, "services: {}\n", []) };

    private string LiveRecord => Path.Combine(_directory, "state", "live.json");

    private bool DeployedEverything => Effects().Contains("compose up --detach --no-deps --scale api=2 api") || Effects().Any(e => e.StartsWith("compose up --detach --no-deps --no-recreate --scale api=", StringComparison.Ordinal));

    [Fact]
    public async Task The_revision_already_running_as_deployed_is_probed_only_and_recorded_as_already_live()
    {
        Assert.True((await Deployer().DeployAsync(Live, "ci@runner")).Succeeded);
        var containers = _stack.Containers.Where(c => !c.Removed).Select(c => c.Id).ToList();

        var outcome = await Deployer().DeployAsync(Live, "dev@laptop");

        // The check is one listing of the project (by its labels, no Compose start) and one inspect, whatever the number
        // of services: each command is a CLI start.
        var asked = _session.Invocations.Select(i => i.ToString()).ToList();
        Assert.Single(asked, c => c.Contains("container ls", StringComparison.Ordinal) && c.Contains("label=com.docker.compose.project=slipway-test", StringComparison.Ordinal));
        Assert.Single(asked, c => c.Contains("container inspect", StringComparison.Ordinal));
        Assert.DoesNotContain(_session.Invocations, i => i.Arguments.FirstOrDefault()?.Reveal() == "compose");

        Assert.Equal(LedgerAction.Deployed, outcome.Action);
        Assert.Equal($"1.1.0 (rev {Live.Revision!.Id}) is already live on test: nothing to deploy; every service healthy, probes passed.", outcome.Summary);
        // The live probes (samples back to back: nothing changed to watch over time), not the gate of a rollout.
        Assert.Equal(["probes back to back"], Effects());
        Assert.Equal(containers, _stack.Containers.Where(c => !c.Removed).Select(c => c.Id));
        var entry = Entries[^1];
        Assert.Equal((LedgerAction.Deployed, ComposeDeployer.AlreadyLiveDetails, Live.Revision.Id, "dev@laptop"), (entry.Action, entry.Details, entry.RevisionId, entry.Who));
        Assert.Contains("already live", LedgerTable.Render(Entries), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_new_digest_is_deployed_in_full()
    {
        Assert.True((await Deployer().DeployAsync(Live, "ci@runner")).Succeeded);
        var images = new Dictionary<string, string>(V110.Images) { ["api"] = V100.Images["api"] };
        var changed = V110 with { Images = images, Revision = ReleaseRevision.Of(images, "services: {}\n", []) };

        await Deployer().DeployAsync(changed, "ci@runner");

        Assert.True(DeployedEverything, string.Join('\n', Effects()));
        Assert.StartsWith("probes passed", Entries[^1].Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_changed_stack_variable_deploys_the_same_revision_again()
    {
        Assert.True((await Deployer().DeployAsync(Live, "ci@runner")).Succeeded);

        await Deployer(deployment: Deployment with { Project = Deployment.Project.WithVariable("POSTGRES_DB", "orders") }).DeployAsync(Live, "ci@runner");

        Assert.True(DeployedEverything, string.Join('\n', Effects()));
        Assert.Contains(_session.Messages, m => m.Contains("the stack's Compose files, generated configuration or variables changed since", StringComparison.Ordinal));
        Assert.StartsWith("probes passed", Entries[^1].Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_changed_configuration_is_a_new_revision_and_deploys()
    {
        Assert.True((await Deployer().DeployAsync(Live, "ci@runner")).Succeeded);

        await Deployer().DeployAsync(V110 with { Revision = ReleaseRevision.Of(V110.Images, "services: { api: { environment: { FLAG: on } } }\n", []) }, "ci@runner");

        Assert.True(DeployedEverything, string.Join('\n', Effects()));
    }

    [Fact]
    public async Task A_container_that_no_longer_runs_makes_the_deploy_run_in_full()
    {
        Assert.True((await Deployer().DeployAsync(Live, "ci@runner")).Succeeded);
        _stack.Running("worker")[0].Status = "exited";

        await Deployer().DeployAsync(Live, "ci@runner");

        Assert.Contains(_session.Messages, m => m.Contains("but worker does not run as deployed", StringComparison.Ordinal));
        Assert.True(DeployedEverything, string.Join('\n', Effects()));
    }

    [Fact]
    public async Task Failing_probes_of_the_running_revision_make_the_deploy_run_in_full()
    {
        Assert.True((await Deployer().DeployAsync(Live, "ci@runner")).Succeeded);
        _verdicts.Enqueue(new ProbeVerdict(false, "api-orders  0/10  FAILED\n", ["api-orders: 10 of 10 requests failed"]));

        var outcome = await Deployer().DeployAsync(Live, "ci@runner");

        Assert.True(outcome.Succeeded);
        Assert.Contains(_session.Events, e => e.Kind == SessionEventKind.Warning && e.Text.Contains("runs as deployed but its probes fail", StringComparison.Ordinal));
        Assert.True(DeployedEverything, string.Join('\n', Effects()));

        // The full deploy that follows is judged by the rollout's probes, with their interval.
        Assert.Equal("probes back to back", Effects()[0]);
        Assert.Single(Effects(), e => e == "probes");
    }

    [Fact]
    public async Task A_deploy_in_between_forgets_what_ran_so_returning_to_a_revision_deploys_it()
    {
        Assert.True((await Deployer().DeployAsync(Live, "ci@runner")).Succeeded);
        var broken = V110 with { Revision = new ReleaseRevision("bbbbbbbbbbbb", "config-after") };
        _verdicts.Enqueue(new ProbeVerdict(false, "api-orders  0/10  FAILED\n", ["api-orders: 10 of 10 requests failed"]));
        Assert.Equal(LedgerAction.RolledBack, (await Deployer().DeployAsync(broken, "ci@runner")).Action);
        Assert.False(File.Exists(LiveRecord));

        await Deployer().DeployAsync(Live, "ci@runner");

        Assert.True(DeployedEverything, string.Join('\n', Effects()));
        Assert.True(File.Exists(LiveRecord));
    }

    [Theory]
    [InlineData("{ \"RevisionId\": 42 ")]
    [InlineData("{}")]
    public async Task An_unreadable_live_record_is_a_warning_and_the_deploy_runs_in_full(string record)
    {
        Assert.True((await Deployer().DeployAsync(Live, "ci@runner")).Succeeded);
        File.WriteAllText(LiveRecord, record);

        var outcome = await Deployer().DeployAsync(Live, "ci@runner");

        Assert.True(outcome.Succeeded);
        Assert.Contains(_session.Events, e => e.Kind == SessionEventKind.Warning && e.Text.Contains("live.json is not a record Slipway wrote", StringComparison.Ordinal));
        Assert.True(DeployedEverything, string.Join('\n', Effects()));
    }
}
