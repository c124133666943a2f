using System.Diagnostics;
using Slipway.Delivery.Compose;
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
        var (exitCode, output, error) = await ComposeAsync(files, "config");

        Assert.True(exitCode == 0, error);
        Assert.Contains("@sha256:" + new string('a', 64), output, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1:", output, StringComparison.Ordinal);
    }

    /// <summary>
    /// The contract between the real Compose and <see cref="ComposeDependencies"/>: the model <c>config --format json</c>
    /// prints names each service's <c>depends_on</c> in the shape the rollout reads (the stack's own, written as maps).
    /// </summary>
    [Fact]
    public async Task The_resolved_model_names_depends_on_in_the_shape_the_rollout_reads()
    {
        var (exitCode, output, error) = await ComposeAsync(["compose/stack.yml"], "--profile", "migrate", "config", "--format", "json");

        Assert.True(exitCode == 0, error);
        var dependencies = ComposeDependencies.Parse(output);
        Assert.Equal(["postgres", "redis"], dependencies.DirectOf("api").Order(StringComparer.Ordinal));
        Assert.Equal(["postgres", "redis"], dependencies.DirectOf("worker").Order(StringComparer.Ordinal));
        Assert.Equal(["api"], dependencies.DirectOf("proxy"));
        Assert.Equal(["api", "worker"], dependencies.Order(["api", "worker"]).Select(s => s.Service));
        Assert.All(dependencies.Order(["api", "worker"]), s => Assert.Empty(s.After));
        Assert.Contains("postgres", dependencies.AllOf("proxy"));
    }

    private static async Task<(int ExitCode, string Output, string Error)> ComposeAsync(IEnumerable<string> files, params string[] command)
    {
        var start = new ProcessStartInfo("docker") { WorkingDirectory = TestPaths.RepositoryRoot, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("compose");
        foreach (var file in files)
        {
            start.ArgumentList.Add("--file");
            start.ArgumentList.Add(file);
        }

        foreach (var argument in command)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["API_IMAGE"] = "127.0.0.1:5000/slipway/api@sha256:" + new string('a', 64);
        start.Environment["WORKER_IMAGE"] = "127.0.0.1:5000/slipway/worker@sha256:" + new string('b', 64);
        start.Environment["POSTGRES_PASSWORD"] = "compose-file-test-password";
        start.Environment["PROXY_CONFIG"] = "/tmp/slipway-compose-file-test/haproxy.cfg";

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, error);
    }
}
