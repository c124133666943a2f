using Slipway.Targets;

namespace Slipway.Tests.Targets;

/// <summary>
/// Components: interfaces with default targets that a pipeline opts into, as NUKE's build components are. Their
/// targets, parameters, typed cross-component dependencies, shared run state, checks and overrides, through the CLI.
/// </summary>
public sealed class ComponentTests
{
    /// <summary>What the components' targets did, in order (shared by the whole run).</summary>
    public sealed class Journal
    {
        public List<string> Lines { get; } = [];
    }

    public interface IPackaging : IPipeline
    {
        [Parameter("Where packages go")]
        string PackageDirectory => TryGetValue(() => PackageDirectory) ?? "artifacts/packages";

        [Parameter("Pack even when nothing changed")]
        bool Repack => TryGetValue(() => Repack);

        Journal Log => RunState(() => new Journal());

        Target Compile => _ => _.Executes(_ => Log.Lines.Add("compile"));

        Target Pack => _ => _
            .DependsOn(Compile)
            .Executes(_ => Log.Lines.Add($"pack into {PackageDirectory}{(Repack ? " (repack)" : string.Empty)}"));
    }

    public interface IPublishing : IPipeline
    {
        Target Publish => _ => _
            .DependsOn<IPackaging>(x => x.Pack)
            .Executes(_ => RunState(() => new Journal()).Lines.Add("publish"));
    }

    public interface IAnnouncing : IPipeline
    {
        Target Announce => _ => _
            .TryDependsOn<IPublishing>(x => x.Publish)
            .After<IPackaging>(x => x.Pack)
            .Executes(_ => RunState(() => new Journal()).Lines.Add("announce"));
    }

    public interface ISecondCompile : IPipeline
    {
        Target Compile => _ => _.Executes(_ => { });
    }

    private sealed class PackagingPipeline : Pipeline, IPackaging, IPublishing
    {
        public Journal Log => ((IPipeline)this).RunState(() => new Journal());
    }

    private sealed class OverridingPipeline : Pipeline, IPackaging, IPublishing
    {
        [Parameter("Where packages go (the class decides the default)")]
        public string PackageDirectory { get; init; } = "out";

        public Journal Log => ((IPipeline)this).RunState(() => new Journal());

        // The class's member of the same name is the target: Pack's DependsOn(Compile) reaches this one.
        public Target Compile => _ => _.Executes(_ => Log.Lines.Add("compile, the pipeline's way"));
    }

    private sealed class ConflictingPipeline : Pipeline, IPackaging, ISecondCompile;

    private sealed class DecidingPipeline : Pipeline, IPackaging, ISecondCompile
    {
        // IPackaging's Compile is ISecondCompile's: one target, the second component's.
        Target IPackaging.Compile => ((ISecondCompile)this).Compile;
    }

    private sealed class PublishingOnlyPipeline : Pipeline, IPublishing;

    private sealed class AnnouncingPipeline : Pipeline, IPackaging, IAnnouncing
    {
        public Journal Log => ((IPipeline)this).RunState(() => new Journal());
    }

    private sealed class CheckedPipeline : Pipeline
    {
        public int Checked { get; private set; }

        public bool ProvisionFirst { get; init; }

        public Target Provision => _ => _.AddedToEveryPlanWhen(() => ProvisionFirst).Executes(_ => { });

        public Target Deploy => _ => _.Validates(Check).WithTrait("deploys", "dev").Executes(_ => { });

        public Target Smoke => _ => _.Validates(Check).Executes(_ => { });

        private IEnumerable<string> Check(Plan plan)
        {
            Checked++;
            return [$"environments/dev.yml: ingress: missing (planned: {string.Join(", ", plan.Targets.Where(t => t.Spec.Has("deploys")).Select(t => t.Name))})"];
        }
    }

    [Fact]
    public async Task A_components_targets_are_the_pipelines_listed_by_help_and_run_in_dependency_order()
    {
        var pipeline = new PackagingPipeline();

        var help = await InProcessHost.RunAsync(new PackagingPipeline(), ["--help"]);
        var run = await InProcessHost.RunAsync(pipeline, ["--target", "Publish"]);

        Assert.Contains("Compile", help.Out, StringComparison.Ordinal);
        Assert.Contains("Pack", help.Out, StringComparison.Ordinal);
        Assert.Contains("depends on Pack", help.Out, StringComparison.Ordinal);
        Assert.Contains("--package-directory <text>", help.Out, StringComparison.Ordinal);
        Assert.True(run.ExitCode == 0, run.Out + run.Error);
        Assert.Equal(["compile", "pack into artifacts/packages", "publish"], pipeline.Log.Lines);
    }

    [Fact]
    public async Task A_components_parameters_bind_from_the_command_line_and_the_environment()
    {
        var fromArgs = new PackagingPipeline();
        var fromEnvironment = new PackagingPipeline();

        await InProcessHost.RunAsync(fromArgs, ["--target", "Pack", "--package-directory", "dist", "--repack"]);
        await InProcessHost.RunAsync(fromEnvironment, ["--target", "Pack"], environment: new Dictionary<string, string> { ["SLIPWAY_PACKAGE_DIRECTORY"] = "env-dist" });

        Assert.Contains("pack into dist (repack)", fromArgs.Log.Lines);
        Assert.Contains("pack into env-dist", fromEnvironment.Log.Lines);
    }

    [Fact]
    public async Task A_member_of_the_class_overrides_the_components_target_and_parameter_of_that_name()
    {
        var pipeline = new OverridingPipeline();

        var run = await InProcessHost.RunAsync(pipeline, ["--target", "Publish"]);

        Assert.True(run.ExitCode == 0, run.Out + run.Error);
        Assert.Equal(["compile, the pipeline's way", "pack into out", "publish"], pipeline.Log.Lines);
    }

    [Fact]
    public async Task Two_components_defining_one_target_is_an_error_naming_both_until_the_class_decides()
    {
        var conflict = await InProcessHost.RunAsync(new ConflictingPipeline(), ["--target", "Pack"]);
        var decided = await InProcessHost.RunAsync(new DecidingPipeline(), ["--target", "Pack"]);

        Assert.Equal(2, conflict.ExitCode);
        Assert.Contains("Target 'Compile' is defined by both IPackaging and ISecondCompile: declare Compile in ConflictingPipeline to decide", conflict.Error, StringComparison.Ordinal);
        Assert.True(decided.ExitCode == 0, decided.Out + decided.Error);
    }

    [Fact]
    public async Task A_typed_dependency_on_a_component_the_pipeline_lacks_is_an_error_and_an_optional_one_is_dropped()
    {
        var missing = await InProcessHost.RunAsync(new PublishingOnlyPipeline(), ["--target", "Publish"]);
        var announcing = new AnnouncingPipeline();
        var optional = await InProcessHost.RunAsync(announcing, ["--target", "Announce", "--target", "Pack"]);

        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("Target 'Publish' depends on '<IPackaging.Pack: PublishingOnlyPipeline does not implement IPackaging>'", missing.Error, StringComparison.Ordinal);
        Assert.True(optional.ExitCode == 0, optional.Out + optional.Error);
        Assert.Equal(["compile", "pack into artifacts/packages", "announce"], announcing.Log.Lines);
    }

    [Fact]
    public async Task Checks_of_the_planned_targets_run_before_anything_each_message_once_and_not_for_help()
    {
        var pipeline = new CheckedPipeline();
        var help = new CheckedPipeline();

        var run = await InProcessHost.RunAsync(pipeline, ["--target", "Deploy", "--target", "Smoke"]);
        await InProcessHost.RunAsync(help, ["--help"]);

        Assert.Equal(2, run.ExitCode);
        Assert.Single(run.Error.Split('\n'), l => l.Contains("ingress: missing (planned: Deploy)", StringComparison.Ordinal));
        Assert.Equal(1, pipeline.Checked);
        Assert.Equal(0, help.Checked);
    }

    [Fact]
    public async Task A_target_added_to_every_plan_joins_it_only_while_its_condition_holds()
    {
        var without = await InProcessHost.RunAsync(new CheckedPipeline(), ["--target", "Smoke", "--skip", "Smoke", "--dry-run"]);
        var with = await InProcessHost.RunAsync(new CheckedPipeline { ProvisionFirst = true }, ["--target", "Smoke", "--skip", "Smoke", "--dry-run"]);

        Assert.DoesNotContain("Provision", without.Out, StringComparison.Ordinal);
        Assert.Contains("Provision", with.Out, StringComparison.Ordinal);
    }
}
