using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Slipway.Samples.ServiceHosting;
using Slipway.Samples.Worker.Jobs;

namespace Slipway.Samples.Worker.Tests;

/// <summary>The worker as composed for production, on Kestrel at 127.0.0.1 with in-memory fakes.</summary>
public class WorkerHostTests
{
    [Theory]
    [InlineData(FaultMode.None, HttpStatusCode.OK, HttpStatusCode.OK)]
    [InlineData(FaultMode.Errors, HttpStatusCode.OK, HttpStatusCode.OK)]
    [InlineData(FaultMode.Stall, HttpStatusCode.OK, HttpStatusCode.OK)]
    public async Task Health_endpoints_answer_and_honour_the_fault_mode(FaultMode mode, HttpStatusCode live, HttpStatusCode ready)
    {
        var source = new InMemoryJobSource();
        var orders = new FakeOrderCompletion();
        var id = Guid.NewGuid();
        orders.Orders[id] = "pending";
        source.Queue.AddFirst(new OrderJob(id, 1, DateTimeOffset.UnixEpoch).Serialize());

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IOrderJobSource>(source);
        builder.Services.AddSingleton<IOrderCompletion>(orders);
        var settings = new WorkerSettings("Host=unused", "unused:6379", 3, new FaultSettings(mode, TimeSpan.Zero));
        await using var app = WorkerApplication.Build(builder, settings, new VersionInfo("1.2.3", "abc"));
        await app.StartAsync();
        try
        {
            var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
            using var client = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(10) };

            Assert.Equal(live, (await client.GetAsync(new Uri(HealthPaths.Live, UriKind.Relative))).StatusCode);
            Assert.Equal(ready, (await client.GetAsync(new Uri(HealthPaths.Ready, UriKind.Relative))).StatusCode);

            if (mode == FaultMode.None)
            {
                // The hosted loop really runs: the queued job is processed and stamped with the build.
                var deadline = DateTime.UtcNow.AddSeconds(5);
                while (source.Acknowledged.Count == 0 && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(20);
                }

                Assert.Equal([(id, "worker@1.2.3+abc")], orders.Calls);
            }

            if (mode == FaultMode.Stall)
            {
                // The loop turns (readiness answered 200 above, and again now) and the job stays queued, untouched.
                await Task.Delay(TimeSpan.FromSeconds(1));
                Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri(HealthPaths.Ready, UriKind.Relative))).StatusCode);
                Assert.Empty(orders.Calls);
                Assert.Single(source.Queue);
                Assert.Empty(source.Processing);
            }
        }
        finally
        {
            await app.StopAsync();
        }
    }
}
