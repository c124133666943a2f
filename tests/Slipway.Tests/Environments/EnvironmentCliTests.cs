using Slipway.Cli;
using Slipway.Environments;
using Slipway.Targets;
using Slipway.Tests.Support;

namespace Slipway.Tests.Environments;

/// <summary>The environment matrix through the whole CLI: --env selects, Validate(plan) loads, errors exit 2.</summary>
public sealed class EnvironmentCliTests
{
    private sealed class EnvironmentPipeline : Pipeline
    {
        private EnvironmentSelection? _environments;

        [Parameter("Environment")]
        public string Env { get; init; } = "dev";

        [Parameter("Environment files")]
        public string EnvironmentsDirectory { get; init; } = "environments";

        public bool Ran { get; private set; }

        public Target Deploy => _ => _.Executes(ctx =>
        {
            Ran = true;
            ctx.Info(EnvironmentPrinter.Render(Environments.Current, withOrigins: ctx.IsVerbose));
        });

        public Target Unrelated => _ => _.Executes(_ => Ran = true);

        private EnvironmentSelection Environments => _environments ??= new EnvironmentSelection(RootDirectory, EnvironmentsDirectory, Variables);

        public override IReadOnlyList<string> Validate(Plan plan) =>
            plan.Targets.Any(t => t.Name == nameof(Deploy)) ? Environments.Load(Env) : [];
    }

    public static TheoryData<string> Cases() => [.. MalformedEnvironmentTests.CaseNames()];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_malformed_environment_exits_2_with_its_position_and_no_target_runs(string name)
    {
        var expected = File.ReadLines(RepositoryRoot.Combine("tests/Slipway.Tests/Environments/Malformed", name + ".yml")).First()["# expect: ".Length..];
        var pipeline = new EnvironmentPipeline();

        var run = await InProcessHost.RunAsync(
            pipeline,
            ["--target", "Deploy", "--env", name, "--environments-directory", "tests/Slipway.Tests/Environments/Malformed"],
            workingDirectory: RepositoryRoot.Path);

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.False(pipeline.Ran);
        Assert.Empty(run.Out);
        Assert.Equal($"error: {expected}\nNothing was run. See --help for usage.\n", run.Error.Replace("\r\n", "\n", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_broken_environment_does_not_stop_targets_that_do_not_use_one()
    {
        var pipeline = new EnvironmentPipeline();

        var run = await InProcessHost.RunAsync(
            pipeline,
            ["--target", "Unrelated", "--env", "canary-weight-over-100", "--environments-directory", "tests/Slipway.Tests/Environments/Malformed"],
            workingDirectory: RepositoryRoot.Path);

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.True(pipeline.Ran);
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("staging")]
    [InlineData("prod")]
    public async Task Showing_an_environment_never_prints_a_resolved_secret(string environment)
    {
        var secrets = new Dictionary<string, string>
        {
            ["REGISTRY_USERNAME"] = "registry-user-Qm41",
            ["REGISTRY_PASSWORD"] = "registry-password-Xk92",
            ["DOCKER_HOST"] = "unix:///tmp/docker.sock",
        };

        var run = await InProcessHost.RunAsync(new EnvironmentPipeline(), ["--target", "Deploy", "--env", environment, "--verbosity", "verbose"], environment: secrets, workingDirectory: RepositoryRoot.Path);

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Contains($"# environment: {environment}", run.Out, StringComparison.Ordinal);
        Assert.Contains($"# environments/{environment}.yml:", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("registry-password-Xk92", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("registry-user-Qm41", run.Out, StringComparison.Ordinal);
    }
}
