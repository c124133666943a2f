using Slipway.Cli;
using Slipway.Processes;
using Slipway.Targets;
using Slipway.Tests.Support;

namespace Slipway.Tests.Cli;

/// <summary>
/// One secret from the command line and one from the environment are echoed by a real process to
/// stdout and stderr, logged, set as an output and thrown in an exception. Neither value may appear in
/// stdout, stderr, the summary or the GitHub files — except in the ::add-mask:: commands that the
/// Actions runner consumes (they are how the runner learns what to hide).
/// </summary>
public sealed class SecretLeakTests
{
    private const string CommandLineSecret = "cli-secret-Zq81xv";
    private const string EnvironmentSecret = "env-secret-Pw77ty";

    private sealed class LeakyPipeline : Pipeline
    {
        [Secret("Given on the command line")]
        public Secret? Token { get; init; }

        [Secret("Given in the environment")]
        public Secret? ApiKey { get; init; }

        public Target Leak => _ => _
            .Requires(() => Token)
            .Requires(() => ApiKey)
            .Executes(async ctx =>
            {
                var dummy = ToolInvocation.Of("dotnet").WithArguments(TestPaths.DummyAssembly);
                await ctx.RunAsync(dummy.WithArguments("echo", Token!, $"plain {ApiKey!.Reveal()} text"));
                await ctx.RunAsync(dummy.WithArguments("stderr", Token!, ApiKey));
                ctx.Info($"revealed by mistake: {Token!.Reveal()} {ApiKey.Reveal()}");
                ctx.SetOutput("leak", $"{Token.Reveal()}/{ApiKey.Reveal()}");
                await ctx.RunAsync(dummy.WithArguments("exit", "4").WithEnvironment("API_KEY", ApiKey));
            })
            .Executes(_ => throw new InvalidOperationException($"failed with {CommandLineSecret} and {EnvironmentSecret}"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Neither_secret_appears_in_any_output(bool onGitHubActions)
    {
        var directory = TestPaths.NewTempDirectory();
        var summary = Path.Combine(directory, "summary.md");
        var outputs = Path.Combine(directory, "outputs.txt");
        var environment = new Dictionary<string, string> { ["SLIPWAY_API_KEY"] = EnvironmentSecret };
        if (onGitHubActions)
        {
            environment["GITHUB_ACTIONS"] = "true";
            environment["GITHUB_STEP_SUMMARY"] = summary;
            environment["GITHUB_OUTPUT"] = outputs;
        }

        var run = await InProcessHost.RunAsync(
            new LeakyPipeline(),
            ["--target", "Leak", "--token", CommandLineSecret, "--verbosity", "diagnostic"],
            runner: new ProcessRunner(new ToolResolver(Environment.GetEnvironmentVariable)),
            environment: environment);

        Assert.Equal(ExitCodes.TargetFailed, run.ExitCode);
        Assert.Contains("plain *** text", run.Out, StringComparison.Ordinal);
        Assert.Contains("revealed by mistake: *** ***", run.Out, StringComparison.Ordinal);
        var visible = string.Join('\n', run.Out.Split('\n').Where(l => !l.StartsWith("::add-mask::", StringComparison.Ordinal)));
        foreach (var secret in new[] { CommandLineSecret, EnvironmentSecret })
        {
            Assert.DoesNotContain(secret, visible, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, run.Error, StringComparison.Ordinal);
            if (onGitHubActions)
            {
                Assert.Contains($"::add-mask::{secret}", run.Out, StringComparison.Ordinal);
                Assert.DoesNotContain(secret, await File.ReadAllTextAsync(summary), StringComparison.Ordinal);
                Assert.DoesNotContain(secret, await File.ReadAllTextAsync(outputs), StringComparison.Ordinal);
            }
        }
    }
}
