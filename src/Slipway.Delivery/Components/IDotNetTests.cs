using Slipway.Targets;
using Slipway.Tools.DotNet;

namespace Slipway.Delivery.Components;

/// <summary>
/// The repository's .NET tests: UnitTest (in parallel, TRX under artifacts/test-results), IntegrationTest (the real tools;
/// skipped locally without a Docker engine, never in CI), and Test, which prints <c>Tests: N passed, N failed, N skipped</c>.
/// </summary>
public interface IDotNetTests : IDotNet
{
    /// <summary>Where the TRX results go, relative to the root.</summary>
    const string TestResultsDirectory = "artifacts/test-results";

    /// <summary>Hook: the fast test projects (no external tool); by convention every <c>*Tests.csproj</c> but the integration tests.</summary>
    IEnumerable<string> UnitTestProjects => TestProjects.Where(p => !IsIntegrationTestProject(p));

    /// <summary>Hook: the tests that need the real tools; by convention every <c>*IntegrationTests.csproj</c>.</summary>
    IEnumerable<string> IntegrationTestProjects => TestProjects.Where(IsIntegrationTestProject);

    /// <summary>
    /// Hook: how long a unit test project may go without a test starting or finishing before its test host is dumped and
    /// stopped, which fails the run and names the test that was running. A unit test that runs this long is hung.
    /// </summary>
    TimeSpan UnitTestHangTimeout => TimeSpan.FromMinutes(10);

    /// <summary>
    /// Hook: the same for the integration tests, whose longest single test (a delivery story under load) takes minutes on
    /// a busy two-core machine.
    /// </summary>
    TimeSpan IntegrationTestHangTimeout => TimeSpan.FromMinutes(30);

    /// <summary>Runs the unit tests.</summary>
    Target UnitTest => _ => _
        .Describe("Run the unit tests in parallel; TRX results under artifacts/test-results")
        .DependsOn(Compile)
        .TryDependsOn<IEnvironmentMatrix>(x => x.ValidateEnvironments)
        .Executes(ctx => ctx.DoAsync($"clear {TestResultsDirectory}", () =>
        {
            var directory = ctx.PathOf(TestResultsDirectory);
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }

            Directory.CreateDirectory(directory);
        }))
        .ForEach(() => UnitTestProjects, (project, ctx) => RunTestsAsync(ctx, project, UnitTestHangTimeout, dockerHost: null),
            name: project => Path.GetFileNameWithoutExtension(project));

    /// <summary>Runs the integration tests against the real engine and tools.</summary>
    Target IntegrationTest => _ => _
        .Describe("Run the integration tests on the real Docker engine and registry (in CI a missing engine fails them)")
        .DependsOn(Compile)
        .After<IMachine>(x => x.Provision)
        .After(UnitTest)
        .OnlyWhen(() => Ci || (this as IDockerEngine)?.Engine.Host is not null, "no Docker engine configured: run with --provision, or set DOCKER_HOST")
        .ForEach(() => IntegrationTestProjects, (project, ctx) => RunTestsAsync(ctx, project, IntegrationTestHangTimeout, dockerHost: (this as IDockerEngine)?.Engine.Host ?? string.Empty),
            name: project => Path.GetFileNameWithoutExtension(project));

    /// <summary>Every test, then the summary line CI systems read.</summary>
    Target Test => _ => _
        .Describe("Every test: unit tests, then integration tests; prints 'Tests: N passed, N failed, N skipped' and names failures")
        .DependsOn(UnitTest, IntegrationTest)
        .Produces(TestResultsDirectory)
        .Executes(ctx => ctx.DoAsync("summarise test results", () => SummariseTests(ctx, [.. UnitTestProjects, .. IntegrationTestProjects])));

    // dotnet test exits 1 both when tests failed (the TRX names them; the summary reports them) and when the run was
    // aborted: a test host that crashed, or that the blame collector stopped on a hang. The TRX of an aborted run can
    // count every test it saw as passed, so an exit code 1 without a failed test is a failure of its own.
    private async Task RunTestsAsync(TargetContext ctx, string project, TimeSpan hangTimeout, string? dockerHost)
    {
        var test = DotNetCli.Test(project, Configuration.ToString(), TestResultsDirectory, TrxName(project), hangTimeout: hangTimeout);
        var result = await ctx.RunAsync(dockerHost is null ? test : test.WithEnvironment("DOCKER_HOST", dockerHost));
        if (result.ExitCode != 1)
        {
            return;
        }

        var trx = ctx.PathOf(Path.Combine(TestResultsDirectory, TrxName(project)));
        if (File.Exists(trx) && TestResults.FromTrx(File.ReadAllText(trx)).Failed > 0)
        {
            return;
        }

        throw new InvalidOperationException(
            $"{Path.GetFileNameWithoutExtension(project)}: dotnet test exited 1 and {TestResultsDirectory}/{TrxName(project)} names no failed test, " +
            $"so the test run was aborted: the test host crashed, or no test started or finished for {hangTimeout.TotalMinutes:0.#} min and it was stopped. " +
            $"The blame files under {TestResultsDirectory} (Sequence_*.xml, and a dump after a hang) name the test that was running; dotnet test's output above says which.");
    }

    private IEnumerable<string> TestProjects => RepositoryFiles.Find(RootDirectory, "*Tests.csproj");

    private static bool IsIntegrationTestProject(string project) =>
        Path.GetFileNameWithoutExtension(project).EndsWith("IntegrationTests", StringComparison.Ordinal);

    private static string TrxName(string project) => Path.GetFileNameWithoutExtension(project) + ".trx";

    private static void SummariseTests(TargetContext ctx, IEnumerable<string> projects)
    {
        var total = TestResults.Empty;
        foreach (var project in projects)
        {
            // A project whose target was skipped (integration tests without an engine) has no results.
            var trx = ctx.PathOf(Path.Combine(TestResultsDirectory, TrxName(project)));
            if (File.Exists(trx))
            {
                total = total.Add(TestResults.FromTrx(File.ReadAllText(trx)));
            }
        }

        // The plain "N passed, N failed" line is what CI systems read to know tests ran.
        ctx.Info($"Tests: {total}");
        if (total.Failed > 0)
        {
            throw new InvalidOperationException($"{total.Failed} test(s) failed:{System.Environment.NewLine}{string.Join(System.Environment.NewLine, total.FailedTests.Select(t => "  " + t))}");
        }

        if (total.Passed == 0)
        {
            throw new InvalidOperationException("No test ran: check the test projects and any --filter.");
        }
    }
}
