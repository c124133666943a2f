using Microsoft.Extensions.Configuration;
using Slipway.Samples.ServiceHosting;

namespace Slipway.Samples.Worker.Tests;

public class WorkerSettingsTests
{
    private static IConfiguration Config(Dictionary<string, string?> values) => new ConfigurationBuilder().AddInMemoryCollection(values).Build();

    [Fact]
    public void Defaults_apply_when_only_connection_strings_are_set()
    {
        var errors = new List<string>();
        var settings = WorkerSettings.Parse(Config(new() { ["ConnectionStrings:Postgres"] = "Host=db", ["ConnectionStrings:Redis"] = "redis:6379" }), errors);
        Assert.Empty(errors);
        Assert.Equal(new WorkerSettings("Host=db", "redis:6379", 5, FaultSettings.None), settings);
    }

    [Fact]
    public void Every_error_is_reported_at_once()
    {
        var errors = new List<string>();
        WorkerSettings.Parse(Config(new() { ["WORKER_MAX_ATTEMPTS"] = "0", ["FAULT_MODE"] = "slow", ["FAULT_DELAY_MS"] = "soon" }), errors);
        Assert.Equal(4, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("WORKER_MAX_ATTEMPTS:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("FAULT_DELAY_MS:", StringComparison.Ordinal));
    }
}
