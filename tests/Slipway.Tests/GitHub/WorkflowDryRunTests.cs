using System.Diagnostics;
using Slipway.Build;
using Slipway.Processes;
using Slipway.Testing;
using Slipway.Tests.Support;

namespace Slipway.Tests.GitHub;

/// <summary>
/// Every <c>./build.sh</c> line of the committed workflows (matrix and inputs substituted), run with <c>--dry-run</c> on a
/// clean workspace without release.json, as a reviewer would: each exits 0 and prints its whole plan, and none starts a
/// process that changes or queries a target host. The recording runner sees every process a dry run starts (a dry run
/// prints the others without starting them), so purity is the list it recorded.
/// </summary>
public sealed class WorkflowDryRunTests
{
    private static readonly Lazy<string> Workspace = new(CleanWorkspace);

    public static TheoryData<string, string> WorkflowCommands()
    {
        var data = new TheoryData<string, string>();
        foreach (var (gitHubRef, command) in WorkflowCommandLineTests.CommandsOfWorkflowsWithRef().Distinct())
        {
            data.Add(command, gitHubRef);
        }

        return data;
    }

    /// <summary>Run as its workflow runs it: in GitHub Actions, for the ref the workflow is triggered by (a release tag for Release).</summary>
    [Theory]
    [MemberData(nameof(WorkflowCommands))]
    public async Task A_workflow_command_dry_runs_to_exit_0_with_its_whole_plan_and_touches_no_target_host(string commandLine, string gitHubRef)
    {
        var runner = LocalToolsOnly();
        var gitHubActions = new Dictionary<string, string>(StringComparer.Ordinal) { ["GITHUB_ACTIONS"] = "true", ["GITHUB_REF"] = gitHubRef };

        var run = await InProcessHost.RunAsync(new SlipwayPipeline(), [.. WorkflowCommandLineTests.Split(commandLine), "--dry-run"], runner, gitHubActions, workingDirectory: Workspace.Value);

        var output = run.Out + run.Error;
        Assert.True(run.ExitCode == 0, $"{commandLine} --dry-run exited {run.ExitCode}:\n{output}");
        Assert.Contains("Dry run of ", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("not run:", run.Out, StringComparison.Ordinal);
        var touching = runner.CommandLines.Where(c => !IsLocalQuery(c)).ToList();
        Assert.True(touching.Count == 0, $"{commandLine} --dry-run started processes that reach beyond this machine:\n{string.Join("\n", touching)}");
        Assert.False(File.Exists(Path.Combine(Workspace.Value, "artifacts", "release.json")), "a dry run writes no release.json");
        Assert.False(Directory.Exists(Path.Combine(Workspace.Value, ".slipway", "state")), "a dry run writes no state");
    }

    [Fact]
    public async Task DeployStagings_dry_run_shows_verify_and_the_rollout_commands_with_named_placeholders()
    {
        var runner = LocalToolsOnly();

        var run = await InProcessHost.RunAsync(new SlipwayPipeline(), ["--target", "DeployStaging", "--env", "staging", "--dry-run"], runner, workingDirectory: Workspace.Value);

        Assert.True(run.ExitCode == 0, run.Out + run.Error);
        var lines = run.Out.Split('\n');
        string Line(string fragment) => lines.FirstOrDefault(l => l.Contains(fragment, StringComparison.Ordinal))
            ?? throw new Xunit.Sdk.XunitException($"no line with '{fragment}' in:\n{run.Out}");

        Assert.Contains("/slipway/api@<digest of api from Publish>", Line("cosign verify "), StringComparison.Ordinal);
        Assert.Contains("/slipway/api@<digest of api from Publish>", Line("cosign verify-attestation "), StringComparison.Ordinal);
        Assert.Contains("[worker] $ cosign verify-attestation ", run.Out, StringComparison.Ordinal);
        Assert.Contains("would take the lock", run.Out, StringComparison.Ordinal);
        var scaleUp = Line("api=<count of the api containers running then + ");
        Assert.Contains("--no-recreate", scaleUp, StringComparison.Ordinal);
        Assert.Contains("worker=<count of the worker containers running then + ", run.Out, StringComparison.Ordinal);
        Assert.Matches(@"set server \S+/<slot> state maint.*those of <the api containers running then> state drain", Line("kept running, drained"));
        Assert.Contains("<ids of the api containers running then from docker container ls>", Line("container stop"), StringComparison.Ordinal);
        Assert.Contains("container rm", run.Out, StringComparison.Ordinal);
        Assert.True(Array.FindIndex(lines, l => l.Contains("cosign verify ", StringComparison.Ordinal)) < Array.FindIndex(lines, l => l.Contains("api=<count", StringComparison.Ordinal)),
            "Verify comes before the rollout");
        Assert.DoesNotContain(runner.CommandLines, c => c.Contains(" ps", StringComparison.Ordinal) || c.Contains("inspect", StringComparison.Ordinal));
    }

    /// <summary>
    /// What a dry run may start: questions to this machine's own tools that change nothing and reach no host — git about
    /// the checkout, a tool about its own version. Anything else (docker ps or inspect, kubectl, helm status, cosign
    /// verify) reaches a target host or a registry.
    /// </summary>
    private static bool IsLocalQuery(string commandLine)
    {
        var words = commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => !w.Contains('=', StringComparison.Ordinal) || w.StartsWith('-')).ToArray();
        var tool = Path.GetFileName(words[0]);
        var rest = string.Join(' ', words.Skip(1).Where(w => !w.StartsWith("--host", StringComparison.Ordinal)));
        return tool switch
        {
            "git" => !rest.StartsWith("push", StringComparison.Ordinal) && !rest.StartsWith("fetch", StringComparison.Ordinal),
            "cosign" => rest is "version" or "sign --help",
            "docker" => rest.EndsWith("compose version --short", StringComparison.Ordinal) || rest == "--version",
            "docker-compose" => rest == "version --short",
            "helm" or "kubectl" => rest.StartsWith("version", StringComparison.Ordinal),
            _ => rest is "--version" or "version",
        };
    }

    /// <summary>A recording runner that answers this machine's own tools as a checkout on a hosted runner would.</summary>
    private static RecordingToolRunner LocalToolsOnly() => new RecordingToolRunner()
        .Script("git", invocation => string.Join(' ', invocation.Arguments.Select(a => a.Reveal())) switch
        {
            var a when a.EndsWith("rev-parse HEAD", StringComparison.Ordinal) => Answer("0123456789abcdef0123456789abcdef01234567"),
            var a when a.Contains("--abbrev-ref", StringComparison.Ordinal) => Answer("main"),
            var a when a.Contains("rev-list --count", StringComparison.Ordinal) => Answer("42"),
            var a when a.Contains("describe", StringComparison.Ordinal) => new ToolResult(128, string.Empty, "fatal: no tag exactly matches", TimeSpan.Zero),
            var a when a.Contains("--format=%cI", StringComparison.Ordinal) => Answer("2026-12-01T10:00:00+00:00"),
            var a when a.Contains("get-url", StringComparison.Ordinal) => Answer("https://github.com/example/slipway.git"),
            _ => Answer(string.Empty),
        })
        .Script("cosign", _ => Answer("GitVersion:    v2.5.0"))
        .Script("docker", _ => Answer("2.26.1"))
        .Script("helm", _ => Answer("v4.0.0+g1234567"));

    private static ToolResult Answer(string output) => new(0, output + "\n", string.Empty, TimeSpan.Zero);

    /// <summary>The repository's tracked files outside the library's own sources, as a fresh checkout has them: no artifacts, no state.</summary>
    private static string CleanWorkspace()
    {
        var root = TestPaths.NewTempDirectory();
        var listing = Process.Start(new ProcessStartInfo("git", ["-C", TestPaths.RepositoryRoot, "ls-files", "-z"]) { RedirectStandardOutput = true })!;
        var files = listing.StandardOutput.ReadToEnd().Split('\0', StringSplitOptions.RemoveEmptyEntries);
        listing.WaitForExit();
        foreach (var file in files.Where(f => !f.StartsWith("src/", StringComparison.Ordinal) && !f.StartsWith("tests/", StringComparison.Ordinal) && !f.StartsWith("bench/", StringComparison.Ordinal)))
        {
            var source = Path.Combine(TestPaths.RepositoryRoot, file);
            if (File.Exists(source))
            {
                var target = Path.Combine(root, file);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(source, target);
            }
        }

        return root;
    }
}
