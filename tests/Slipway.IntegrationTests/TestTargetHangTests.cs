using System.Xml.Linq;
using Slipway.Delivery.Components;
using Slipway.Processes;
using Slipway.IntegrationTests.Support;
using Slipway.Targets;
using Slipway.Tests.Support;

namespace Slipway.IntegrationTests;

/// <summary>
/// The Test target against the real <c>dotnet test</c>: a test that never completes is stopped by the blame collector
/// after the pipeline's hang timeout, and the run fails and names it, although the TRX of that aborted run counts only
/// the test that passed (what the unit tests' recording runner assumes).
/// </summary>
public sealed class TestTargetHangTests : IDisposable
{
    private static readonly string[] TestPackages = ["Microsoft.NET.Test.Sdk", "xunit", "xunit.runner.visualstudio"];

    private readonly string _root = TestPaths.NewTempDirectory();

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private sealed class HangingTestsPipeline : Pipeline, IDotNetTests
    {
        TimeSpan IDotNetTests.UnitTestHangTimeout => TimeSpan.FromSeconds(20);
    }

    /// <summary>A repository of one test project: one test passes, one returns a task that never completes.</summary>
    private void WriteRepository()
    {
        // The versions this repository pins, so the fixture restores what the machine already has.
        var pinned = XDocument.Load(Path.Combine(TestPaths.RepositoryRoot, "Directory.Packages.props"))
            .Descendants("PackageVersion")
            .ToDictionary(p => (string)p.Attribute("Include")!, p => (string)p.Attribute("Version")!, StringComparer.Ordinal);
        var references = string.Concat(TestPackages.Select(p => $"    <PackageReference Include=\"{p}\" Version=\"{pinned[p]}\" />\n"));
        var project = Directory.CreateDirectory(Path.Combine(_root, "tests", "Hang.Tests")).FullName;
        File.WriteAllText(Path.Combine(_root, "Hang.slnx"), "<Solution>\n  <Project Path=\"tests/Hang.Tests/Hang.Tests.csproj\" />\n</Solution>\n");
        File.WriteAllText(Path.Combine(project, "Hang.Tests.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <IsTestProject>true</IsTestProject>
              </PropertyGroup>
              <ItemGroup>
            {references}  </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(project, "HangingTests.cs"), """
            public class HangingTests
            {
                [Xunit.Fact]
                public void Passes() { }

                [Xunit.Fact]
                public System.Threading.Tasks.Task Never_completes() => new System.Threading.Tasks.TaskCompletionSource().Task;
            }
            """);
    }

    [Fact]
    public async Task A_hung_test_host_is_stopped_after_the_hang_timeout_and_fails_the_run_naming_the_test()
    {
        WriteRepository();

        var run = await InProcessHost.RunAsync(new HangingTestsPipeline(), ["--target", "Test"], runner: new ProcessRunner(RealTools.Resolver), workingDirectory: _root);

        var output = run.Out + run.Error;
        Assert.True(run.ExitCode != 0, output);
        Assert.Contains("Hang.Tests: dotnet test exited 1", output, StringComparison.Ordinal);
        Assert.Contains("the test run was aborted", output, StringComparison.Ordinal);
        Assert.Contains("HangingTests.Never_completes", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Tests: 1 passed, 0 failed", output, StringComparison.Ordinal);

        // What the blame collector leaves for whoever investigates: the tests that were running, beside the dump.
        var results = Path.Combine(_root, "artifacts", "test-results");
        var sequence = Assert.Single(Directory.GetFiles(results, "Sequence_*.xml", SearchOption.AllDirectories).Take(1));
        Assert.Contains("Never_completes", File.ReadAllText(sequence), StringComparison.Ordinal);
        Assert.NotEmpty(Directory.GetFiles(results, "*hangdump*.dmp", SearchOption.AllDirectories));
    }
}
