using Slipway.Build;
using Slipway.Cli;
using Slipway.Processes;
using Slipway.Tests.Support;

namespace Slipway.Tests.HostileInput;

public static partial class HostileCorpus
{
    public static IReadOnlyDictionary<string, HostileCase> All { get; } =
        EnvironmentCases().Concat(CliCases()).Concat(RecordCases()).ToDictionary(c => c.Name, StringComparer.Ordinal);
}

/// <summary>
/// Every input is hostile until checked: each case of <see cref="HostileCorpus"/> runs through the whole CLI of this
/// repository's pipeline (with a recording runner, so no tool runs) in a fresh workspace, and must end with its exit
/// code and its message (with the file and position), print no stack trace, no raw control character and no line a
/// GitHub runner would take for a workflow command, and leave the working tree, <c>.slipway/</c>, <c>artifacts/</c>
/// and everything beside the repository exactly as they were.
/// </summary>
public sealed class HostileInputTests
{
    public static TheoryData<string> Cases() => [.. HostileCorpus.All.Keys];

    [Fact]
    public void The_corpus_covers_every_class_with_at_least_sixty_new_cases()
    {
        Assert.True(HostileCorpus.All.Count >= 60, $"{HostileCorpus.All.Count} cases");
        Assert.Contains(HostileCorpus.All.Values, c => c.Exit == 0);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_hostile_input_is_refused_with_its_location_and_changes_nothing(string name)
    {
        var hostile = HostileCorpus.All[name];
        using var workspace = new HostileWorkspace();
        hostile.Arrange(workspace);
        var runner = new RecordingToolRunner();
        hostile.Script(runner);
        var before = workspace.Listing();

        var run = await InProcessHost.RunAsync(new SlipwayPipeline(), hostile.Args, runner, hostile.Environment, workspace.Root);

        var output = run.Out + run.Error;
        Assert.True(hostile.Exit == run.ExitCode, $"exit {run.ExitCode}, expected {hostile.Exit}:\n{output}");
        foreach (var expected in hostile.Expected(workspace))
        {
            Assert.True(output.Contains(expected, StringComparison.Ordinal), $"not found: {expected}\nin:\n{output}");
        }

        foreach (var absent in hostile.Absent)
        {
            Assert.DoesNotContain(absent, output, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception:", output, StringComparison.Ordinal);
        Assert.All(output.Split('\n'), line =>
        {
            Assert.False(line.TrimStart().StartsWith("::", StringComparison.Ordinal), $"a line reads as a workflow command: {line}");
            Assert.DoesNotContain(line.TrimEnd('\r'), c => char.IsControl(c) && c != '\t');
        });
        Assert.Equal(before, workspace.Listing());
        Assert.DoesNotContain(runner.Invocations, i => i.Tool is not ("git" or "cosign"));
    }

    [Fact]
    public async Task A_service_named_to_climb_out_never_deletes_outside_artifacts()
    {
        // Build empties artifacts/publish/<service> before publishing into it: ../../x would be a folder beside the
        // repository, which holds a file that must survive.
        using var workspace = new HostileWorkspace();
        workspace.Edit("environments/dev.yml", "  worker:\n    replicas: 1\n", "  worker:\n    replicas: 1\n  ../../x:\n    image: x\n    project: x/x.csproj\n    dockerfile: x/Dockerfile\n");
        var runner = new RecordingToolRunner();
        var before = workspace.Listing();

        var run = await InProcessHost.RunAsync(new SlipwayPipeline(), ["--target", "Build", "--env", "dev"], runner, workingDirectory: workspace.Root);

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Contains("services.../../x: \"../../x\" is not a valid service name", run.Error, StringComparison.Ordinal);
        Assert.Empty(runner.Invocations);
        Assert.True(File.Exists(Path.Combine(workspace.Top, "x", "keep.txt")));
        Assert.Equal(before, workspace.Listing());
    }

    [Theory]
    [InlineData("History")]
    [InlineData("Rollback")]
    [InlineData("ShowEnvironment")]
    public async Task A_state_directory_outside_the_repository_is_never_created(string target)
    {
        using var workspace = new HostileWorkspace();
        workspace.Append("environments/staging.yml", "state_directory: ../elsewhere/state\n");
        var before = workspace.Listing();

        var run = await InProcessHost.RunAsync(new SlipwayPipeline(), ["--target", target, "--env", "staging"], new RecordingToolRunner(), workingDirectory: workspace.Root);

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Contains("state_directory: \"../elsewhere/state\" is a path that climbs out with '..'", run.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(workspace.Top, "elsewhere")));
        Assert.Equal(before, workspace.Listing());
    }

    [Theory]
    [InlineData("--dry-run", "DeployDev")]
    [InlineData("--dry-run", "DeployStaging")]
    [InlineData("--dry-run", "Rollback")]
    [InlineData("--tree", "DeployStaging")]
    [InlineData("--help", "")]
    [InlineData("", "History")]
    [InlineData("", "ShowEnvironment")]
    [InlineData("", "ValidateEnvironments")]
    public async Task Read_only_commands_create_change_and_delete_nothing(string flag, string target)
    {
        using var workspace = new HostileWorkspace();
        Directory.Delete(workspace.PathOf(".slipway"), recursive: true);
        Directory.Delete(workspace.PathOf("artifacts"));
        var before = workspace.Listing();
        string[] args = [.. target.Length > 0 ? new[] { "--target", target } : [], .. flag.Length > 0 ? new[] { flag } : [], "--env", target == "DeployDev" ? "dev" : "staging"];

        var runner = new RecordingToolRunner();
        HostileCorpus.GitAtHead(runner);
        HostileCorpus.CosignV2(runner);

        var run = await InProcessHost.RunAsync(new SlipwayPipeline(), args, runner, workingDirectory: workspace.Root);

        Assert.True(run.ExitCode is ExitCodes.Success or ExitCodes.TargetFailed, run.Out + run.Error);
        Assert.Equal(before, workspace.Listing());
        Assert.False(Directory.Exists(workspace.PathOf(".slipway")), ".slipway/ was created");
    }
}
