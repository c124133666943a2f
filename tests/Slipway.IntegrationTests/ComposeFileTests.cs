using System.Diagnostics;
using Slipway.Tests.Support;

namespace Slipway.IntegrationTests;

/// <summary>
/// The Compose files the deploy step will use stay valid for the real Compose v2 (the docker compose plugin): the
/// stack, and the stack with the E2E overlay, resolve with the variables the driver passes.
/// </summary>
public sealed class ComposeFileTests
{
    [Theory]
    [InlineData("compose/stack.yml")]
    [InlineData("compose/stack.yml", "compose/compose.test.yml")]
    public async Task The_compose_files_resolve_with_the_drivers_variables(params string[] files)
    {
        var start = new ProcessStartInfo("docker") { WorkingDirectory = TestPaths.RepositoryRoot, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("compose");
        foreach (var file in files)
        {
            start.ArgumentList.Add("--file");
            start.ArgumentList.Add(file);
        }

        start.ArgumentList.Add("config");
        start.Environment["API_IMAGE"] = "127.0.0.1:5000/slipway/api@sha256:" + new string('a', 64);
        start.Environment["WORKER_IMAGE"] = "127.0.0.1:5000/slipway/worker@sha256:" + new string('b', 64);
        start.Environment["POSTGRES_PASSWORD"] = "compose-file-test-password";
        start.Environment["PROXY_CONFIG"] = "/tmp/slipway-compose-file-test/haproxy.cfg";

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.True(process.ExitCode == 0, error);
        Assert.Contains("@sha256:" + new string('a', 64), await output, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1:", await output, StringComparison.Ordinal);
    }
}
