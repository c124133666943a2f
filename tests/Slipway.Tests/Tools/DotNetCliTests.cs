using Slipway.Tools.DotNet;

namespace Slipway.Tests.Tools;

/// <summary>Golden argument tokens for the dotnet wrapper.</summary>
public sealed class DotNetCliTests
{
    [Fact]
    public void Restore_in_locked_mode() =>
        Assert.Equal(["restore", "Slipway.slnx", "--locked-mode", "--nologo"], DotNetCli.Restore("Slipway.slnx", lockedMode: true).Arguments.Select(a => a.Reveal()));

    [Fact]
    public void Build_without_restore() =>
        Assert.Equal(["build", "Slipway.slnx", "--configuration", "Release", "--no-restore", "--nologo"], DotNetCli.Build("Slipway.slnx", "Release").Arguments.Select(a => a.Reveal()));

    [Fact]
    public void Test_writes_trx_and_accepts_exit_code_1_so_failures_can_be_named()
    {
        var invocation = DotNetCli.Test("t.csproj", "Release", "artifacts/test-results", "t.trx", filter: "Category!=Slow");

        Assert.Equal(
            ["test", "t.csproj", "--configuration", "Release", "--no-build", "--results-directory", "artifacts/test-results", "--logger", "trx;LogFileName=t.trx", "--filter", "Category!=Slow", "--nologo"],
            invocation.Arguments.Select(a => a.Reveal()));
        Assert.Equal([0, 1], invocation.SuccessExitCodes.ToArray());
    }

    [Fact]
    public void A_hang_timeout_asks_the_blame_collector_for_a_full_dump_and_a_stop()
    {
        var invocation = DotNetCli.Test("t.csproj", "Release", "artifacts/test-results", "t.trx", hangTimeout: TimeSpan.FromMinutes(10));

        Assert.Equal(
            ["test", "t.csproj", "--configuration", "Release", "--no-build", "--results-directory", "artifacts/test-results", "--logger", "trx;LogFileName=t.trx", "--blame-hang-timeout", "600s", "--blame-hang-dump-type", "full", "--nologo"],
            invocation.Arguments.Select(a => a.Reveal()));
        Assert.Throws<ArgumentOutOfRangeException>(() => DotNetCli.Test("t.csproj", "Release", "r", "t.trx", hangTimeout: TimeSpan.FromMilliseconds(500)));
    }

    [Fact]
    public void Trx_results_are_counted_and_failing_tests_named()
    {
        const string trx = """
            <TestRun xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010">
              <Results>
                <UnitTestResult testName="A.Passes" outcome="Passed" />
                <UnitTestResult testName="A.Fails" outcome="Failed" />
                <UnitTestResult testName="A.Skipped" outcome="NotExecuted" />
              </Results>
            </TestRun>
            """;

        var results = TestResults.FromTrx(trx);

        Assert.Equal("1 passed, 1 failed, 1 skipped", results.ToString());
        Assert.Equal(["A.Fails"], results.FailedTests);
    }
}
