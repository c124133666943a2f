using Slipway.Delivery.Components;
using Slipway.Processes;
using Slipway.Targets;
using Slipway.Testing;
using Slipway.Tests.HostileInput;

namespace Slipway.Tests.Delivery;

/// <summary>
/// The test targets through the whole CLI with a recording runner: every <c>dotnet test</c> carries a hang timeout, a
/// failing test is left for the summary to name, and an exit code 1 whose TRX names no failed test (a crashed or hung
/// test host) fails the target instead of passing as "N passed, 0 failed".
/// </summary>
public sealed class DotNetTestsComponentTests : IDisposable
{
    private static string Trx(string results) => $"""
        <TestRun xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010">
          <Results>
            {results}
          </Results>
        </TestRun>
        """;

    private readonly HostileWorkspace _workspace = new();

    public DotNetTestsComponentTests() =>
        _workspace.Write("tests/Shop.Tests/Shop.Tests.csproj", "<Project Sdk=\"Microsoft.NET.Sdk\" />\n");

    public void Dispose() => _workspace.Dispose();

    private sealed class TestsPipeline : Pipeline, IDotNetTests
    {
    }

    private sealed class PatientPipeline : Pipeline, IDotNetTests
    {
        TimeSpan IDotNetTests.UnitTestHangTimeout => TimeSpan.FromMinutes(3);
    }

    /// <summary>A <c>dotnet test</c> that writes <paramref name="results"/> as its TRX and exits <paramref name="exitCode"/>.</summary>
    private RecordingToolRunner Runner(int exitCode, string results) => new RecordingToolRunner()
        .Script("dotnet", invocation =>
        {
            var tokens = invocation.Arguments.Select(a => a.Reveal()).ToList();
            if (tokens[0] == "test")
            {
                var trx = tokens[tokens.IndexOf("--logger") + 1]["trx;LogFileName=".Length..];
                _workspace.Write(Path.Combine(tokens[tokens.IndexOf("--results-directory") + 1], trx), Trx(results));
                return new ToolResult(exitCode, string.Empty, string.Empty, TimeSpan.Zero);
            }

            return new ToolResult(0, "10.0.100\n", string.Empty, TimeSpan.Zero);
        });

    private async Task<(HostRun Run, RecordingToolRunner Runner)> RunAsync(Pipeline pipeline, string target, RecordingToolRunner runner)
    {
        var run = await InProcessHost.RunAsync(pipeline, ["--target", target], runner, workingDirectory: _workspace.Root);
        return (run, runner);
    }

    private static List<string> TestArguments(RecordingToolRunner runner) =>
        runner.Invocations.Where(i => i.Tool == "dotnet" && i.Arguments[0].Reveal() == "test").Select(i => i.Arguments.Select(a => a.Reveal()).ToList()).Single();

    [Fact]
    public async Task Every_dotnet_test_carries_the_hang_timeout_and_an_adopter_can_change_it()
    {
        var (run, runner) = await RunAsync(new TestsPipeline(), "UnitTest", Runner(0, """<UnitTestResult testName="A.Passes" outcome="Passed" />"""));
        Assert.True(run.ExitCode == 0, run.Out + run.Error);
        var arguments = TestArguments(runner);
        Assert.Equal("600s", arguments[arguments.IndexOf("--blame-hang-timeout") + 1]);
        Assert.Equal("full", arguments[arguments.IndexOf("--blame-hang-dump-type") + 1]);

        var (patient, patientRunner) = await RunAsync(new PatientPipeline(), "UnitTest", Runner(0, """<UnitTestResult testName="A.Passes" outcome="Passed" />"""));
        Assert.True(patient.ExitCode == 0, patient.Out + patient.Error);
        var patientArguments = TestArguments(patientRunner);
        Assert.Equal("180s", patientArguments[patientArguments.IndexOf("--blame-hang-timeout") + 1]);
    }

    [Fact]
    public async Task A_failed_test_is_named_by_the_summary()
    {
        var (run, _) = await RunAsync(new TestsPipeline(), "Test", Runner(1, """
            <UnitTestResult testName="A.Passes" outcome="Passed" />
            <UnitTestResult testName="A.Fails" outcome="Failed" />
            """));

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("Tests: 1 passed, 1 failed, 0 skipped", run.Out + run.Error, StringComparison.Ordinal);
        Assert.Contains("A.Fails", run.Out + run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("aborted", run.Out + run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_aborted_run_whose_trx_shows_only_passes_fails_and_says_where_the_blame_files_are()
    {
        var (run, _) = await RunAsync(new TestsPipeline(), "Test", Runner(1, """<UnitTestResult testName="A.Passes" outcome="Passed" />"""));

        var output = run.Out + run.Error;
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("Shop.Tests: dotnet test exited 1", output, StringComparison.Ordinal);
        Assert.Contains("the test run was aborted", output, StringComparison.Ordinal);
        Assert.Contains("Sequence_*.xml", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Tests: 1 passed", output, StringComparison.Ordinal);
    }
}
