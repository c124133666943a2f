using Slipway.Build;
using Slipway.GitHub.Workflows;
using Slipway.Tests.Support;

namespace Slipway.Tests.GitHub;

public sealed class WorkflowDriftTests
{
    [Fact]
    public void The_committed_workflows_are_what_the_pipeline_generates()
    {
        var root = TestPaths.RepositoryRoot;
        var files = ((Slipway.Delivery.Components.IGitHubWorkflows)new SlipwayPipeline { RootDirectory = root }).GeneratedWorkflows();
        if (Environment.GetEnvironmentVariable("SLIPWAY_UPDATE_SNAPSHOTS") == "1")
        {
            WorkflowFiles.Write(root, files);
        }

        var drift = WorkflowFiles.Drift(root, files);
        Assert.True(drift.Count == 0,
            "The committed .github/workflows differ from what the pipeline generates:\n" + string.Join("\n", drift) +
            $"\nRegenerate them with {WorkflowYaml.RegenerateCommand} and commit the result.");
    }

    [Fact]
    public void Drift_names_a_changed_file_with_its_first_differing_line_a_missing_file_and_a_stale_generated_file()
    {
        var root = TestPaths.NewTempDirectory();
        var generated = WorkflowFiles.Render(WorkflowGenerator.Generate(new ReleaseGraphPipeline().DescribeTargets(), WorkflowGeneratorTests.Blueprint, RealEnvironments()));
        WorkflowFiles.Write(root, generated);
        Assert.Empty(WorkflowFiles.Drift(root, generated));

        var ci = Path.Combine(root, ".github/workflows/ci.yml");
        var lines = File.ReadAllLines(ci);
        var index = Array.FindIndex(lines, l => l.Contains("fail-fast", StringComparison.Ordinal));
        lines[index] = lines[index].Replace("false", "true", StringComparison.Ordinal);
        File.WriteAllLines(ci, lines);
        File.Delete(Path.Combine(root, ".github/workflows/rollback.yml"));
        File.WriteAllText(Path.Combine(root, ".github/workflows/old.yml"), generated[0].Content);
        File.WriteAllText(Path.Combine(root, ".github/workflows/hand-written.yml"), "name: mine\n");

        var drift = WorkflowFiles.Drift(root, generated);

        Assert.Equal(3, drift.Count);
        Assert.StartsWith($".github/workflows/ci.yml differs from the generated file at line {index + 1}:", drift[0], StringComparison.Ordinal);
        Assert.Contains("-      fail-fast: true", drift[0], StringComparison.Ordinal);
        Assert.Contains("+      fail-fast: false", drift[0], StringComparison.Ordinal);
        Assert.Equal(".github/workflows/rollback.yml is missing.", drift[1]);
        Assert.Equal(".github/workflows/old.yml was generated but the pipeline no longer generates it.", drift[2]);

        // Writing restores the files and removes only generated ones.
        WorkflowFiles.Write(root, generated);
        Assert.Empty(WorkflowFiles.Drift(root, generated));
        Assert.True(File.Exists(Path.Combine(root, ".github/workflows/hand-written.yml")));
        Assert.False(File.Exists(Path.Combine(root, ".github/workflows/old.yml")));
    }

    [Fact]
    public async Task CheckWorkflows_fails_with_exit_1_naming_the_file_the_line_and_the_command_after_a_hand_edit()
    {
        var root = CopyOfEnvironments();
        Assert.Equal(0, (await InProcessHost.RunAsync(new SlipwayPipeline(), ["--target", "GenerateWorkflows"], workingDirectory: root)).ExitCode);
        var clean = await InProcessHost.RunAsync(new SlipwayPipeline(), ["--target", "CheckWorkflows"], workingDirectory: root);
        Assert.Equal(0, clean.ExitCode);
        Assert.Contains("workflow(s) match the pipeline", clean.Out, StringComparison.Ordinal);

        var ci = Path.Combine(root, ".github/workflows/ci.yml");
        File.WriteAllText(ci, File.ReadAllText(ci).Replace("timeout-minutes: 60", "timeout-minutes: 5", StringComparison.Ordinal));
        var drifted = await InProcessHost.RunAsync(new SlipwayPipeline(), ["--target", "CheckWorkflows"], workingDirectory: root);

        Assert.Equal(1, drifted.ExitCode);
        var output = drifted.Out + drifted.Error;
        Assert.Matches(@"\.github/workflows/ci\.yml differs from the generated file at line \d+", output);
        Assert.Contains("-    timeout-minutes: 5", output, StringComparison.Ordinal);
        Assert.Contains("Regenerate them with ./build.sh --target GenerateWorkflows", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Service_narrows_build_sbom_and_scan_only_and_must_name_a_service()
    {
        var root = CopyOfEnvironments();
        var unknown = await InProcessHost.RunAsync(new SlipwayPipeline(), ["--target", "Build", "--service", "apu", "--dry-run"], workingDirectory: root);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("--service apu: environments/dev.yml has no such service. Did you mean 'api'? Services: api, worker.", unknown.Out + unknown.Error, StringComparison.Ordinal);

        var whole = await InProcessHost.RunAsync(new SlipwayPipeline(), ["--target", "Publish", "--service", "api", "--dry-run"], workingDirectory: root);
        Assert.Equal(2, whole.ExitCode);
        Assert.Contains("but Publish work on every service of a release", whole.Out + whole.Error, StringComparison.Ordinal);
    }

    private static string CopyOfEnvironments()
    {
        var root = TestPaths.NewTempDirectory();
        Directory.CreateDirectory(Path.Combine(root, "environments"));
        foreach (var file in Directory.GetFiles(Path.Combine(TestPaths.RepositoryRoot, "environments")))
        {
            File.Copy(file, Path.Combine(root, "environments", Path.GetFileName(file)));
        }

        return root;
    }

    private static Dictionary<string, WorkflowEnvironment> RealEnvironments()
    {
        var selection = new Slipway.Environments.EnvironmentSelection(TestPaths.RepositoryRoot, "environments", new Dictionary<string, string>());
        var result = new Dictionary<string, WorkflowEnvironment>(StringComparer.Ordinal);
        foreach (var name in new[] { "dev", "staging", "prod" })
        {
            Assert.Empty(selection.Load(name));
            result[name] = WorkflowEnvironment.From(selection.Current, TestPaths.RepositoryRoot);
        }

        return result;
    }
}
