using Slipway.Processes;
using Slipway.Targets;
using Slipway.Tools.DotNet;

namespace Slipway.Build;

public sealed partial class SlipwayPipeline
{
    private const string Solution = "Slipway.slnx";
    private const string TestResultsDirectory = "artifacts/test-results";

    /// <summary>Fast test projects: unit and contract tests, no external tool.</summary>
    private static readonly string[] UnitTestProjects =
    [
        "tests/Slipway.Tests/Slipway.Tests.csproj",
        "samples/Api.Tests/Api.Tests.csproj",
        "samples/Worker.Tests/Worker.Tests.csproj",
    ];

    public Target Restore => _ => _
        .Describe("Restore NuGet packages (locked mode in CI)")
        .Executes(ctx => ctx.RunAsync(DotNetCli.Restore(Solution, lockedMode: Ci)));

    public Target Compile => _ => _
        .Describe("Compile the solution with warnings as errors")
        .DependsOn(Restore)
        .Executes(ctx => ctx.RunAsync(DotNetCli.Build(Solution, Configuration.ToString())));

    /// <summary>Tests on the real Docker engine and registry.</summary>
    private static readonly string[] IntegrationTestProjects = ["tests/Slipway.IntegrationTests/Slipway.IntegrationTests.csproj"];

    public Target UnitTest => _ => _
        .Describe("Run Slipway's and the sample stack's unit tests in parallel; TRX results under artifacts/test-results")
        .DependsOn(Compile, ValidateEnvironments)
        .Executes(ctx => ctx.DoAsync($"clear {TestResultsDirectory}", () =>
        {
            var directory = ctx.PathOf(TestResultsDirectory);
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }

            Directory.CreateDirectory(directory);
        }))
        .ForEach(UnitTestProjects, (project, ctx) => ctx.RunAsync(
            DotNetCli.Test(project, Configuration.ToString(), TestResultsDirectory, TrxName(project))),
            name: project => Path.GetFileNameWithoutExtension(project));

    public Target IntegrationTest => _ => _
        .Describe("Run the integration tests on the real Docker engine and registry (in CI a missing engine fails them)")
        .DependsOn(Compile)
        .After(Provision, UnitTest)
        .OnlyWhen(() => Ci || Engine.Host is not null, "no Docker engine configured: run with --provision, or set DOCKER_HOST")
        .ForEach(IntegrationTestProjects, (project, ctx) => ctx.RunAsync(
            DotNetCli.Test(project, Configuration.ToString(), TestResultsDirectory, TrxName(project))
                .WithEnvironment("DOCKER_HOST", Engine.Host ?? string.Empty)),
            name: project => Path.GetFileNameWithoutExtension(project));

    public Target Test => _ => _
        .Describe("Every test: unit tests, then integration tests; prints 'Tests: N passed, N failed, N skipped' and names failures")
        .DependsOn(UnitTest, IntegrationTest)
        .Produces(TestResultsDirectory)
        .Executes(ctx => ctx.DoAsync("summarise test results", () => SummariseTests(ctx, [.. UnitTestProjects, .. IntegrationTestProjects])));

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
            throw new InvalidOperationException($"{total.Failed} test(s) failed:{Environment.NewLine}{string.Join(Environment.NewLine, total.FailedTests.Select(t => "  " + t))}");
        }

        if (total.Passed == 0)
        {
            throw new InvalidOperationException("No test ran: check the test projects and any --filter.");
        }
    }
}
