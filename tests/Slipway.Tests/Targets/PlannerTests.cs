using Slipway.Processes;
using Slipway.Targets;

namespace Slipway.Tests.Targets;

public sealed class PlannerTests
{
    private sealed class ReleasePipeline : Pipeline
    {
        [Secret("Registry password")]
        public Secret? RegistryPassword { get; init; }

        public Target Clean => _ => _.Before(Restore);

        public Target Restore => _ => _;

        public Target Build => _ => _.DependsOn(Restore).Describe("Build images");

        public Target Test => _ => _.DependsOn(Build);

        public Target Sbom => _ => _.DependsOn(Build);

        public Target Publish => _ => _.DependsOn(Test, Sbom).Requires(() => RegistryPassword).Triggers(Announce);

        public Target Announce => _ => _;

        public Target Smoke => _ => _.DependsOn(Build).Finally(Teardown);

        public Target Teardown => _ => _;

        protected override Target DefaultTarget => Test;
    }

    /// <summary>A deploy behind a gate that is declared last and itself needs Configure, as a component's gate would be.</summary>
    private sealed class GatedPipeline : Pipeline
    {
        public Target Configure => _ => _;

        public Target Restore => _ => _;

        public Target Build => _ => _.DependsOn(Restore);

        public Target Deploy => _ => _.DependsOn(Build, Gate);

        public Target Gate => _ => _.DependsOn(Configure).RunsFirst();
    }

    private sealed class CyclicPipeline : Pipeline
    {
        public Target Build => _ => _.DependsOn(Publish);

        public Target Publish => _ => _.DependsOn(Build);

        public Target Deploy => _ => _.DependsOn(Publish);
    }

    private sealed class GeneratedPipeline(string[] names, Func<string, string[]> dependencies) : Pipeline
    {
        protected override void DefineTargets(TargetRegistry targets)
        {
            foreach (var name in names)
            {
                targets.Add(name, _ => _.DependsOn(dependencies(name)));
            }
        }
    }

    private static PlanResult Plan(Pipeline pipeline, PlanRequest request, bool passwordGiven = true)
    {
        var parameters = Pipeline.DiscoverParameters(pipeline.GetType());
        return Planner.Plan(pipeline.BuildGraph(), request, parameters, _ => passwordGiven);
    }

    private static string[] Order(PlanResult result) => [.. result.Plan!.Targets.Select(t => t.Name)];

    [Fact]
    public void Dependencies_come_first_and_ties_follow_declaration_order()
    {
        var result = Plan(new ReleasePipeline(), PlanRequest.For("Publish"));

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        Assert.Equal(["Restore", "Build", "Test", "Sbom", "Publish", "Announce"], Order(result));
        Assert.Equal("dependency of Publish", result.Plan!.Targets.Single(t => t.Name == "Test").Reason);
        Assert.Equal("triggered by Publish", result.Plan!.Targets.Single(t => t.Name == "Announce").Reason);
    }

    [Fact]
    public void The_default_target_is_planned_when_none_is_requested() =>
        Assert.Equal(["Restore", "Build", "Test"], Order(Plan(new ReleasePipeline(), new PlanRequest([], [], false))));

    [Fact]
    public void Before_and_After_order_planned_targets_without_pulling_them_in()
    {
        Assert.DoesNotContain("Clean", Order(Plan(new ReleasePipeline(), PlanRequest.For("Build"))));
        Assert.Equal(["Clean", "Restore", "Build"], Order(Plan(new ReleasePipeline(), PlanRequest.For("Build", "Clean"))));
    }

    [Fact]
    public void A_gate_runs_before_every_planned_target_it_does_not_need_itself()
    {
        var result = Plan(new GatedPipeline(), PlanRequest.For("Deploy"));

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        Assert.Equal(["Configure", "Gate", "Restore", "Build", "Deploy"], Order(result));
        Assert.Contains("Gate", result.Plan!.Targets.Single(t => t.Name == "Restore").WaitFor);
        Assert.DoesNotContain("Gate", result.Plan!.Targets.Single(t => t.Name == "Configure").WaitFor);
    }

    [Fact]
    public void Exclusive_runs_only_the_requested_targets() =>
        Assert.Equal(["Test"], Order(Plan(new ReleasePipeline(), new PlanRequest(["Test"], [], true))));

    [Fact]
    public void Finally_targets_are_planned_after_their_owner_even_when_exclusive()
    {
        var result = Plan(new ReleasePipeline(), new PlanRequest(["Smoke"], [], true));

        Assert.Equal(["Smoke", "Teardown"], Order(result));
        Assert.Equal(["Smoke"], result.Plan!.Targets[1].FinallyOf.ToArray());
    }

    [Fact]
    public void Skipped_targets_stay_in_the_plan_with_their_reason()
    {
        var result = Plan(new ReleasePipeline(), new PlanRequest(["Test"], ["build"], false));

        Assert.Equal("skipped by --skip", result.Plan!.Targets.Single(t => t.Name == "Build").SkipReason);
    }

    [Fact]
    public void A_dependency_cycle_is_reported_with_its_path()
    {
        var result = Plan(new CyclicPipeline(), PlanRequest.For("Deploy"));

        Assert.False(result.Succeeded);
        Assert.Equal(["Dependency cycle: Build -> Publish -> Build. Remove one of these dependencies."], result.Errors.ToArray());
    }

    [Fact]
    public void A_longer_cycle_is_reported_once_with_every_step()
    {
        var result = Plan(new GeneratedPipeline(["A", "B", "C", "D"], n => n switch { "A" => ["B"], "B" => ["C"], "C" => ["A"], _ => ["A"] }), PlanRequest.For("D"));

        Assert.Equal(["Dependency cycle: A -> B -> C -> A. Remove one of these dependencies."], result.Errors.ToArray());
    }

    [Fact]
    public void A_missing_dependency_is_reported_with_did_you_mean()
    {
        var result = Plan(new GeneratedPipeline(["Build", "Publish"], n => n == "Publish" ? ["Biuld"] : []), PlanRequest.For("Publish"));

        Assert.Equal(["Target 'Publish' depends on 'Biuld', which does not exist. Did you mean 'Build'?"], result.Errors.ToArray());
    }

    [Fact]
    public void An_unknown_target_gets_did_you_mean_and_the_list()
    {
        var result = Plan(new ReleasePipeline(), PlanRequest.For("Pubilsh"));

        Assert.Equal(["Unknown target 'Pubilsh'. Did you mean 'Publish'? Available targets are: Clean, Restore, Build, Test, Sbom, Publish, Announce, Smoke, Teardown, ."], [result.Errors[0].Replace("Teardown.", "Teardown, .", StringComparison.Ordinal)]);
    }

    [Fact]
    public void An_unmet_Requires_is_reported_before_anything_runs_naming_option_and_variables()
    {
        var result = Plan(new ReleasePipeline(), PlanRequest.For("Publish"), passwordGiven: false);

        Assert.False(result.Succeeded);
        Assert.Equal(
            ["Target 'Publish' requires --registry-password: pass --registry-password <secret> or set SLIPWAY_REGISTRY_PASSWORD or REGISTRY_PASSWORD (Registry password)."],
            result.Errors.ToArray());
    }

    [Fact]
    public void Requires_of_a_skipped_target_is_not_checked() =>
        Assert.True(Plan(new ReleasePipeline(), new PlanRequest(["Publish"], ["Publish"], false), passwordGiven: false).Succeeded);

    [Fact]
    public void Targets_are_matched_case_insensitively() =>
        Assert.Equal(["Restore", "Build"], Order(Plan(new ReleasePipeline(), PlanRequest.For("bUILD"))));

    [Fact]
    public void A_deep_generated_chain_plans_without_recursion_limits()
    {
        var names = Enumerable.Range(0, 5000).Select(i => $"T{i}").ToArray();
        var result = Plan(new GeneratedPipeline(names, n => n == "T0" ? [] : [$"T{int.Parse(n[1..], System.Globalization.CultureInfo.InvariantCulture) - 1}"]), PlanRequest.For("T4999"));

        Assert.True(result.Succeeded);
        Assert.Equal(5000, result.Plan!.Targets.Length);
        Assert.Equal("T0", result.Plan.Targets[0].Name);
    }
}
