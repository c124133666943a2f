using Slipway.Processes;
using Slipway.Tests.Support;
using Slipway.Tools.Terraform;

namespace Slipway.Tests.Tools;

/// <summary>Golden tokens for the Terraform wrapper, and reading <c>terraform show -json</c> of a saved plan.</summary>
public sealed class TerraformCliTests
{
    private static string[] Tokens(ToolInvocation invocation) => [.. invocation.Arguments.Select(a => a.Reveal())];

    private static string RecordedPlan() => File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "tests", "Slipway.Tests", "Tools", "Data", "terraform-1.11-show-plan.json"));

    [Fact]
    public void Init_passes_each_backend_setting_sorted_and_reconfigures_only_when_asked()
    {
        var backend = new Dictionary<string, string> { ["region"] = "eu-west-1", ["bucket"] = "slipway-tfstate", ["key"] = "production/terraform.tfstate" };

        Assert.Equal(
            ["init", "-input=false", "-no-color", "-backend-config=bucket=slipway-tfstate", "-backend-config=key=production/terraform.tfstate", "-backend-config=region=eu-west-1"],
            Tokens(TerraformCli.Init("infra/production", backend)));
        Assert.Equal(["init", "-input=false", "-no-color", "-backend-config=path=../../state/x.tfstate", "-reconfigure"], Tokens(TerraformCli.Init("s", new Dictionary<string, string> { ["path"] = "../../state/x.tfstate" }, reconfigure: true)));
        Assert.Equal(["init", "-input=false", "-no-color"], Tokens(TerraformCli.Init("s", new Dictionary<string, string>())));
    }

    [Fact]
    public void Plan_show_and_apply_render_the_exact_tokens()
    {
        Assert.Equal(
            ["plan", "-input=false", "-no-color", "-out=/repo/artifacts/infra/prod/plan.tfplan", "-var-file=production.tfvars", "-var-file=overrides.tfvars"],
            Tokens(TerraformCli.Plan("/repo/infra/production", "/repo/artifacts/infra/prod/plan.tfplan", ["production.tfvars", "overrides.tfvars"])));
        Assert.Equal(["plan", "-input=false", "-no-color", "-out=p.tfplan"], Tokens(TerraformCli.Plan("s", "p.tfplan", [])));
        Assert.Equal(["show", "-json", "/repo/p.tfplan"], Tokens(TerraformCli.ShowJson("s", "/repo/p.tfplan")));
        Assert.Equal(["apply", "-input=false", "-no-color", "/repo/p.tfplan"], Tokens(TerraformCli.Apply("s", "/repo/p.tfplan")));
        Assert.Equal(["version"], Tokens(TerraformCli.Version()));
    }

    [Fact]
    public void Every_stack_invocation_runs_in_the_stack_in_automation_mode()
    {
        ToolInvocation[] invocations =
        [
            TerraformCli.Init("/repo/infra/fleet", new Dictionary<string, string>()),
            TerraformCli.Plan("/repo/infra/fleet", "p", []),
            TerraformCli.ShowJson("/repo/infra/fleet", "p"),
            TerraformCli.Apply("/repo/infra/fleet", "p"),
        ];

        foreach (var invocation in invocations)
        {
            Assert.Equal("terraform", invocation.Tool);
            Assert.Equal("/repo/infra/fleet", invocation.WorkingDirectory);
            Assert.Equal("1", invocation.Environment[TerraformCli.AutomationVariable].Reveal());
            Assert.Equal([0], invocation.SuccessExitCodes.ToArray());
        }

        Assert.Equal("TF_IN_AUTOMATION=1 terraform apply -input=false -no-color /repo/p", TerraformCli.Apply("/repo/infra/fleet", "/repo/p").ToDisplayString());
    }

    [Fact]
    public void A_recorded_plan_reads_every_action_in_Terraform_order()
    {
        var summary = PlanSummary.Parse(RecordedPlan());

        Assert.Equal("1.2", summary.FormatVersion);
        Assert.Equal("1.11.4", summary.TerraformVersion);
        Assert.Equal(
            [
                new("data.terraform_remote_state.peer", PlannedAction.Read),
                new("terraform_data.config", PlannedAction.Update),
                new("terraform_data.lb", PlannedAction.Replace),
                new("terraform_data.new[0]", PlannedAction.Create),
                new("terraform_data.old[0]", PlannedAction.Delete),
                new("terraform_data.server", PlannedAction.Replace),
                new PlannedResourceChange("terraform_data.unchanged", PlannedAction.NoOp),
            ],
            summary.Changes);
        Assert.Equal(["terraform_data.lb", "terraform_data.old[0]", "terraform_data.server"], summary.Destructive.Select(c => c.Address));
        Assert.False(summary.HasNoChanges);
        Assert.Equal(2, summary.Count(PlannedAction.Replace));
    }

    [Fact]
    public void The_table_lists_the_effective_changes_and_counts_them()
    {
        Snapshot.Match(PlanSummary.Parse(RecordedPlan()).RenderTable(), "terraform-plan-table");
    }

    [Fact]
    public void A_plan_without_changes_says_so()
    {
        const string json = """{"format_version":"1.2","terraform_version":"1.11.4","resource_changes":[{"address":"terraform_data.a","change":{"actions":["no-op"]}}]}""";
        var summary = PlanSummary.Parse(json);

        Assert.True(summary.HasNoChanges);
        Assert.Empty(summary.Destructive);
        Assert.Equal("No changes: 1 resource(s) already match the configuration.\n", summary.RenderTable());
        Assert.Empty(PlanSummary.Parse("""{"format_version":"1.2"}""").Changes);
    }

    [Theory]
    [InlineData("not json", "not JSON")]
    [InlineData("""{"terraform_version":"1.11.4"}""", "no format_version")]
    [InlineData("""{"format_version":"2.0"}""", "format_version 2.0; Slipway reads major version 1")]
    [InlineData("""{"format_version":"1.2","resource_changes":[{"change":{"actions":["create"]}}]}""", "has no address")]
    [InlineData("""{"format_version":"1.2","resource_changes":[{"address":"a.b","change":{}}]}""", "a.b: terraform show -json gives no change.actions")]
    [InlineData("""{"format_version":"1.2","resource_changes":[{"address":"a.b","change":{"actions":["create","forget"]}}]}""", "a.b: unknown change.actions [\"create\", \"forget\"]")]
    public void Output_it_cannot_read_safely_is_refused(string json, string expected)
    {
        var error = Assert.Throws<FormatException>(() => PlanSummary.Parse(json));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_stale_saved_plan_is_recognised_from_terraform_apply_output()
    {
        const string stale = "\nError: Saved plan is stale\n\nThe given plan file can no longer be applied because the state was changed\nby another operation after the plan was created.\n";

        Assert.True(TerraformOutput.IsStalePlan(new ToolResult(1, string.Empty, stale, TimeSpan.Zero)));
        Assert.False(TerraformOutput.IsStalePlan(new ToolResult(1, string.Empty, "Error: Failed to load plugin schemas\n", TimeSpan.Zero)));
        Assert.False(TerraformOutput.IsStalePlan(new ToolResult(0, string.Empty, string.Empty, TimeSpan.Zero)));
    }
}
