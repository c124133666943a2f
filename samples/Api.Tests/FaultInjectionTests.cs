using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Slipway.Samples.ServiceHosting;

namespace Slipway.Samples.Api.Tests;

public class FaultInjectionTests
{
    private static IConfiguration Config(params (string Key, string Value)[] pairs) =>
        new ConfigurationBuilder().AddInMemoryCollection(pairs.Select(p => KeyValuePair.Create(p.Key, (string?)p.Value))).Build();

    [Fact]
    public void No_fault_mode_means_none_with_the_default_delay()
    {
        var errors = new List<string>();
        var settings = FaultSettings.Parse(Config(), errors);
        Assert.Empty(errors);
        Assert.Equal(FaultMode.None, settings.Mode);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), settings.Delay);
    }

    [Theory]
    [InlineData("errors", FaultMode.Errors)]
    [InlineData("SLOW", FaultMode.Slow)]
    [InlineData(" none ", FaultMode.None)]
    [InlineData("stall", FaultMode.Stall)]
    public void Fault_modes_are_read_case_insensitively(string value, FaultMode expected)
    {
        var errors = new List<string>();
        Assert.Equal(expected, FaultSettings.Parse(Config(("FAULT_MODE", value)), errors).Mode);
        Assert.Empty(errors);
    }

    [Fact]
    public void Invalid_mode_and_delay_are_both_reported()
    {
        var errors = new List<string>();
        FaultSettings.Parse(Config(("FAULT_MODE", "broken"), ("FAULT_DELAY_MS", "-5")), errors);
        Assert.Collection(
            errors,
            e => Assert.Contains("FAULT_MODE: 'broken' is not one of: none, errors, slow", e, StringComparison.Ordinal),
            e => Assert.StartsWith("FAULT_DELAY_MS:", e, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("/orders", 500)]
    [InlineData("/version", 500)]
    [InlineData("/health/ready", 200)]
    [InlineData("/health/live", 200)]
    public async Task Errors_mode_fails_everything_but_the_health_endpoints(string path, int expectedStatus)
    {
        var (context, nextCalled) = await InvokeAsync(new FaultSettings(FaultMode.Errors, TimeSpan.Zero), path, (_, _) => Task.CompletedTask);
        Assert.Equal(expectedStatus, context.Response.StatusCode);
        Assert.Equal(expectedStatus == 200, nextCalled);
    }

    [Theory]
    [InlineData("/orders", true)]
    [InlineData("/version", true)]
    [InlineData("/health/ready", false)]
    [InlineData("/health/live", false)]
    public async Task Slow_mode_delays_every_non_health_request(string path, bool delayed)
    {
        var delays = new List<TimeSpan>();
        var (_, nextCalled) = await InvokeAsync(
            new FaultSettings(FaultMode.Slow, TimeSpan.FromMilliseconds(1500)),
            path,
            (d, _) =>
            {
                delays.Add(d);
                return Task.CompletedTask;
            });
        Assert.True(nextCalled);
        Assert.Equal(delayed ? [TimeSpan.FromMilliseconds(1500)] : [], delays);
    }

    [Fact]
    public async Task No_fault_passes_requests_through_untouched()
    {
        var (context, nextCalled) = await InvokeAsync(FaultSettings.None, "/orders", (_, _) => throw new InvalidOperationException("must not delay"));
        Assert.True(nextCalled);
        Assert.Equal(200, context.Response.StatusCode);
    }

    private static async Task<(HttpContext Context, bool NextCalled)> InvokeAsync(FaultSettings settings, string path, Func<TimeSpan, CancellationToken, Task> delay)
    {
        var nextCalled = false;
        var middleware = new FaultInjectionMiddleware(
            _ =>
            {
                nextCalled = true;
                return Task.CompletedTask;
            },
            settings,
            delay);
        var context = new DefaultHttpContext();
        context.Request.Path = path;
        context.Response.Body = new MemoryStream();
        await middleware.InvokeAsync(context);
        return (context, nextCalled);
    }
}
