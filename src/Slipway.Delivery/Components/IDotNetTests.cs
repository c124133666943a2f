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
        .ForEach(() => UnitTestProjects, (project, ctx) => ctx.RunAsync(
            DotNetCli.Test(project, Configuration.ToString(), TestResultsDirectory, TrxName(project))),
            name: project => Path.GetFileNameWithoutExtension(project));

    /// <summary>Runs the integration tests against the real engine and tools.</summary>
    Target IntegrationTest => _ => _
        .Describe("Run the integration tests on the real Docker engine and registry (in CI a missing engine fails them)")
        .DependsOn(Compile)
        .After<IMachine>(x => x.Provision)
        .After(UnitTest)
        .OnlyWhen(() => Ci || (this as IDockerEngine)?.Engine.Host is not null, "no Docker engine configured: run with --provision, or set DOCKER_HOST")
        .ForEach(() => IntegrationTestProjects, (project, ctx) => ctx.RunAsync(
            DotNetCli.Test(project, Configuration.ToString(), TestResultsDirectory, TrxName(project))
                .WithEnvironment("DOCKER_HOST", (this as IDockerEngine)?.Engine.Host ?? string.Empty)),
            name: project => Path.GetFileNameWithoutExtension(project));

    /// <summary>Every test, then the summary line CI systems read.</summary>
    Target Test => _ => _
        .Describe("Every test: unit tests, then integration tests; prints 'Tests: N passed, N failed, N skipped' and names failures")
        .DependsOn(UnitTest, IntegrationTest)
        .Produces(TestResultsDirectory)
        .Executes(ctx => ctx.DoAsync("summarise test results", () => SummariseTests(ctx, [.. UnitTestProjects, .. IntegrationTestProjects])));

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
