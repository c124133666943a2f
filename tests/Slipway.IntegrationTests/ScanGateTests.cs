using Slipway.Processes;

namespace Slipway.IntegrationTests;

/// <summary>
/// The Scan target's gate over the sample stack, fed with scanner reports of the documented shapes
/// (a recording runner stands in for dotnet list package and grype, whose findings depend on the
/// day's advisory data): a finding above the policy's threshold and an expired allowance each fail
/// Scan with a table.
/// </summary>
[Collection(SharedDockerWorkspace.Name)]
public sealed class ScanGateTests(DockerWorkspace workspace)
{
    private const string VulnerableDotNet = """
        { "version": 1, "parameters": "--vulnerable --include-transitive", "projects": [ { "path": "samples/Api/Api.csproj", "frameworks": [ { "framework": "net10.0",
          "topLevelPackages": [ { "id": "Npgsql", "requestedVersion": "8.0.2", "resolvedVersion": "8.0.2",
            "vulnerabilities": [ { "severity": "High", "advisoryurl": "https://github.com/advisories/GHSA-x9vc-6hfv-hg8c" } ] } ] } ] } ] }
        """;

    private const string CleanDotNet = """{ "version": 1, "parameters": "--vulnerable --include-transitive", "projects": [ { "path": "p.csproj", "frameworks": [] } ] }""";

    private const string CriticalImage = """
        { "matches": [ { "vulnerability": { "id": "CVE-2024-5535", "severity": "Critical", "fix": { "versions": [ "3.0.14-1~deb12u1" ], "state": "fixed" } },
                         "artifact": { "name": "libssl3", "version": "3.0.11-1~deb12u2", "type": "deb" } } ] }
        """;

    private const string CleanImage = """{ "matches": [] }""";

    private string Environment(string name, string allow)
    {
        File.WriteAllText(Path.Combine(workspace.Root, "environments", name + ".yml"), $"""
            extends: itest
            supply_chain:
              max_severity: medium
              allow:
            {allow}
            """);
        return name;
    }

    [Fact]
    public async Task A_finding_above_the_threshold_fails_Scan_with_a_table()
    {
        var runner = new RecordingToolRunner()
            .Script("dotnet", _ => new ToolResult(0, CleanDotNet, string.Empty, TimeSpan.Zero))
            .Script("grype", _ => new ToolResult(0, CriticalImage, string.Empty, TimeSpan.Zero));
        var environment = Environment("scan-threshold", "    []");

        var run = await workspace.RunRecordedAsync(runner, environment, "--target", "Scan", "--exclusive");

        Assert.Equal(1, run.ExitCode);
        Assert.Matches(@"CVE-2024-5535\s+\|?\s*Critical\s+\|?\s*libssl3", run.Out);
        Assert.Contains("The vulnerability gate failed", run.Out, StringComparison.Ordinal);
        Assert.Contains("against max severity medium: failed", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_expired_allowance_fails_Scan_with_its_reason()
    {
        var runner = new RecordingToolRunner()
            .Script("dotnet", _ => new ToolResult(0, VulnerableDotNet, string.Empty, TimeSpan.Zero))
            .Script("grype", _ => new ToolResult(0, CleanImage, string.Empty, TimeSpan.Zero));
        var environment = Environment("scan-expired", """
                - id: GHSA-x9vc-6hfv-hg8c
                  reason: only the admin tool used the vulnerable API
                  expires: 2025-01-31
            """);

        var run = await workspace.RunRecordedAsync(runner, environment, "--target", "Scan", "--exclusive");

        Assert.Equal(1, run.ExitCode);
        Assert.Matches(@"GHSA-x9vc-6hfv-hg8c\s+\|?\s*High\s+\|?\s*Npgsql", run.Out);
        Assert.Contains("only the admin tool used the vulnerable API", run.Out, StringComparison.Ordinal);
        Assert.Contains("2025-01-31", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_allowance_still_in_force_lets_Scan_pass()
    {
        var runner = new RecordingToolRunner()
            .Script("dotnet", _ => new ToolResult(0, VulnerableDotNet, string.Empty, TimeSpan.Zero))
            .Script("grype", _ => new ToolResult(0, CleanImage, string.Empty, TimeSpan.Zero));
        var environment = Environment("scan-allowed", """
                - id: GHSA-x9vc-6hfv-hg8c
                  reason: only the admin tool used the vulnerable API
                  expires: 2999-12-31
            """);

        var run = await workspace.RunRecordedAsync(runner, environment, "--target", "Scan", "--exclusive");

        Assert.True(run.ExitCode == 0, run.Out + run.Error);
        Assert.Contains("GHSA-x9vc-6hfv-hg8c", run.Out, StringComparison.Ordinal);
    }
}
