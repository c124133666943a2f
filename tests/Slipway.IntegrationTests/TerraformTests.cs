using System.Text.Json;
using Slipway.IntegrationTests.Support;
using Slipway.Tests.Support;

namespace Slipway.IntegrationTests;

/// <summary>
/// InfraPlan and InfraApply with the real terraform on an offline fixture stack (terraform_data, local backend), in a
/// throwaway git repository: the saved-plan workflow, the destroy refusal, stale and foreign plans, and a missing
/// infra section. No Docker: these run wherever terraform does.
/// </summary>
public sealed class TerraformTests : IDisposable
{
    private readonly TerraformWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Plan_then_apply_then_a_second_plan_shows_no_changes()
    {
        var plan = await PlanAsync();
        Assert.True(plan.ExitCode == 0, Text(plan));
        Assert.Matches(@"create\s+terraform_data\.config", plan.Out);
        Assert.Matches(@"create\s+terraform_data\.server", plan.Out);
        Assert.Contains("Plan: 2 to create, 0 to update, 0 to replace, 0 to delete; 0 unchanged.", plan.Out, StringComparison.Ordinal);

        using (var record = JsonDocument.Parse(File.ReadAllText(_workspace.PlanRecord())))
        {
            Assert.Equal(_workspace.Head(), record.RootElement.GetProperty("commit").GetString());
            Assert.Equal("infra/fixture", record.RootElement.GetProperty("stack").GetString());
            Assert.Equal(Delivery.SavedInfraPlan.HashOf(_workspace.PlanFile()), record.RootElement.GetProperty("planSha256").GetString());
        }

        var apply = await ApplyAsync();
        Assert.True(apply.ExitCode == 0, Text(apply));
        Assert.Equal("1.0.0", _workspace.Output("release"));
        Assert.Equal("server-1", _workspace.Output("server"));
        Assert.False(File.Exists(_workspace.PlanFile()), "an applied plan is removed: it cannot be applied twice");

        var second = await PlanAsync();
        Assert.True(second.ExitCode == 0, Text(second));
        Assert.Contains("No changes: 2 resource(s) already match the configuration.", second.Out, StringComparison.Ordinal);
        var again = await ApplyAsync();
        Assert.True(again.ExitCode == 0, Text(again));
    }

    [Fact]
    public async Task An_update_in_place_is_planned_and_applied()
    {
        await PlanAndApplyAsync();
        _workspace.ChangeVariables("release = \"1.1.0\"\n");

        var plan = await PlanAsync();
        Assert.True(plan.ExitCode == 0, Text(plan));
        Assert.Matches(@"update\s+terraform_data\.config", plan.Out);
        Assert.Contains("0 to create, 1 to update, 0 to replace, 0 to delete; 1 unchanged.", plan.Out, StringComparison.Ordinal);
        Assert.Equal(0, (await ApplyAsync()).ExitCode);
        Assert.Equal("1.1.0", _workspace.Output("release"));
    }

    [Fact]
    public async Task A_plan_that_replaces_is_refused_without_allow_destroy_and_cannot_be_applied()
    {
        await PlanAndApplyAsync();
        _workspace.ChangeVariables("release = \"1.0.0\"\nserver_generation = 2\n");

        var plan = await PlanAsync();
        Assert.True(plan.ExitCode == 1, Text(plan));
        Assert.Contains("would destroy 1 resource(s), and environments/itest.yml does not set infra.allow_destroy", Text(plan), StringComparison.Ordinal);
        Assert.Contains("replace terraform_data.server", Text(plan), StringComparison.Ordinal);
        Assert.False(File.Exists(_workspace.PlanFile()), "a refused plan is not kept");

        var apply = await ApplyAsync();
        Assert.True(apply.ExitCode == 1, Text(apply));
        Assert.Contains($"The last plan for itest (commit {_workspace.Head()[..12]}) was refused because it deletes or replaces terraform_data.server", Text(apply), StringComparison.Ordinal);
        Assert.Equal("server-1", _workspace.Output("server"));

        // The same change where the environment allows it (same state, allow_destroy: true).
        var allowed = await _workspace.RunAsync("--target", "InfraPlan", "--target", "InfraApply", "--env", "destroyable");
        Assert.True(allowed.ExitCode == 0, Text(allowed));
        Assert.Matches(@"replace\s+terraform_data\.server", allowed.Out);
        Assert.Equal("server-2", _workspace.Output("server"));
    }

    [Fact]
    public async Task A_stale_saved_plan_is_refused_with_what_to_do()
    {
        await PlanAndApplyAsync();
        _workspace.ChangeVariables("release = \"2.0.0\"\n");
        Assert.Equal(0, (await PlanAsync()).ExitCode);
        var aside = Path.Combine(_workspace.Root, "aside");
        Directory.CreateDirectory(aside);
        File.Copy(_workspace.PlanFile(), Path.Combine(aside, "plan.tfplan"));
        File.Copy(_workspace.PlanRecord(), Path.Combine(aside, "plan.json"));

        // Another plan of the same commit is applied first: the state moves on under the first plan.
        Assert.Equal(0, (await PlanAsync()).ExitCode);
        Assert.Equal(0, (await ApplyAsync()).ExitCode);
        File.Copy(Path.Combine(aside, "plan.tfplan"), _workspace.PlanFile());
        File.Copy(Path.Combine(aside, "plan.json"), _workspace.PlanRecord());

        var stale = await ApplyAsync();
        Assert.True(stale.ExitCode == 1, Text(stale));
        Assert.Contains("the state changed after InfraPlan made it (another apply ran in between), so the plan is stale", Text(stale), StringComparison.Ordinal);
        Assert.Contains("run ./build.sh --target InfraPlan --env itest again", Text(stale), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_the_plan_of_HEAD_and_unchanged_is_applied()
    {
        Assert.Equal(0, (await PlanAsync()).ExitCode);
        var planned = _workspace.Head();
        _workspace.Commit("an unrelated commit after the plan");

        var foreign = await ApplyAsync();
        Assert.True(foreign.ExitCode == 1, Text(foreign));
        Assert.Contains($"The saved plan for itest belongs to commit {planned[..12]}, but HEAD is {_workspace.Head()[..12]}: run ./build.sh --target InfraPlan --env itest again", Text(foreign), StringComparison.Ordinal);
        Assert.False(File.Exists(_workspace.StateFile), "nothing was applied");

        Assert.Equal(0, (await PlanAsync()).ExitCode);
        await File.AppendAllTextAsync(_workspace.PlanFile(), "tampered");
        var tampered = await ApplyAsync();
        Assert.True(tampered.ExitCode == 1, Text(tampered));
        Assert.Contains("is not the file InfraPlan saved (its hash differs)", Text(tampered), StringComparison.Ordinal);

        File.Delete(_workspace.PlanRecord());
        var none = await ApplyAsync();
        Assert.True(none.ExitCode == 1, Text(none));
        Assert.Contains("There is no saved plan for itest", Text(none), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_environment_without_an_infra_section_is_a_configuration_error()
    {
        var run = await _workspace.RunAsync("--target", "InfraPlan", "--env", "noinfra");

        Assert.True(run.ExitCode == 2, Text(run));
        Assert.Contains("environments/noinfra.yml: infra: the noinfra environment has no infra section", Text(run), StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_workspace.Root, "artifacts", "infra")), "nothing ran");
        Assert.False(Directory.Exists(Path.Combine(_workspace.StackDirectory, ".terraform")), "terraform did not run");
    }

    [Fact]
    public void The_repository_stacks_and_the_fixture_are_formatted()
    {
        // Throws with terraform's list of unformatted files when any is off.
        HostProcess.Run(_workspace.Terraform, ["fmt", "-check", "-recursive", "-diff", "infra"], TestPaths.RepositoryRoot);
        HostProcess.Run(_workspace.Terraform, ["fmt", "-check", "-recursive", "-diff", "tests/Slipway.IntegrationTests/Fixtures/terraform"], TestPaths.RepositoryRoot);
    }

    private Task<HostRun> PlanAsync() => _workspace.RunAsync("--target", "InfraPlan", "--env", "itest");

    private Task<HostRun> ApplyAsync() => _workspace.RunAsync("--target", "InfraApply", "--env", "itest");

    private async Task PlanAndApplyAsync()
    {
        var run = await _workspace.RunAsync("--target", "InfraPlan", "--target", "InfraApply", "--env", "itest");
        Assert.True(run.ExitCode == 0, Text(run));
    }

    private static string Text(HostRun run) => run.Out + run.Error;
}
