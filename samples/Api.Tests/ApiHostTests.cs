using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Slipway.Samples.Api.Orders;
using Slipway.Samples.ServiceHosting;

namespace Slipway.Samples.Api.Tests;

/// <summary>The real app pipeline on Kestrel at 127.0.0.1 on a free port, with in-memory fakes
/// for Postgres and Redis (the TestServer package is not available for net10 here).</summary>
public sealed class ApiHostTests
{
    private static readonly ApiSettings Defaults = new("Host=unused", "unused:6379", [], 0, new Dictionary<string, bool>(), FaultSettings.None);

    [Fact]
    public async Task Version_reports_version_commit_and_features()
    {
        var settings = Defaults with { Features = new Dictionary<string, bool> { ["new_checkout"] = true } };
        await using var api = await RunningApi.StartAsync(settings);

        using var body = JsonDocument.Parse(await api.Client.GetStringAsync(new Uri("/version", UriKind.Relative)));

        Assert.Equal("api", body.RootElement.GetProperty("service").GetString());
        Assert.Equal("2.3.4", body.RootElement.GetProperty("version").GetString());
        Assert.Equal("cafe123", body.RootElement.GetProperty("commit").GetString());
        Assert.True(body.RootElement.GetProperty("features").GetProperty("new_checkout").GetBoolean());
    }

    [Fact]
    public async Task Creating_an_order_stores_it_and_enqueues_one_job_for_it()
    {
        await using var api = await RunningApi.StartAsync(Defaults);

        using var response = await api.Client.PostAsJsonAsync(new Uri("/orders", UriKind.Relative), new { item = "  widget ", quantity = 3 });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.Content.ReadFromJsonAsync<Order>();
        Assert.NotNull(created);
        Assert.Equal(("widget", 3, "pending"), (created.Item, created.Quantity, created.Status));
        Assert.Equal($"/orders/{created.Id}", response.Headers.Location?.OriginalString);
        var job = Assert.Single(api.Jobs.Published);
        Assert.Equal((created.Id, 1), (job.OrderId, job.Attempt));

        var fetched = await api.Client.GetFromJsonAsync<Order>(new Uri($"/orders/{created.Id}", UriKind.Relative));
        Assert.Equal(created.Id, fetched?.Id);
        var listed = await api.Client.GetFromJsonAsync<Order[]>(new Uri("/orders?limit=5", UriKind.Relative));
        Assert.Equal([created.Id], listed?.Select(o => o.Id));
    }

    [Fact]
    public async Task An_order_whose_job_cannot_be_enqueued_is_not_kept()
    {
        await using var api = await RunningApi.StartAsync(Defaults);
        api.Jobs.FailWith = new InvalidOperationException("redis down");

        using var response = await api.Client.PostAsJsonAsync(new Uri("/orders", UriKind.Relative), new { item = "widget", quantity = 1 });

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Empty(api.Orders.Committed);
        Assert.DoesNotContain("redis down", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_orders_are_rejected_with_every_problem()
    {
        await using var api = await RunningApi.StartAsync(Defaults);

        using var response = await api.Client.PostAsJsonAsync(new Uri("/orders", UriKind.Relative), new { item = "", quantity = 0 });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var errors = body.RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty("item", out _));
        Assert.True(errors.TryGetProperty("quantity", out _));
        Assert.Empty(api.Jobs.Published);
    }

    [Fact]
    public async Task Unknown_orders_are_404()
    {
        await using var api = await RunningApi.StartAsync(Defaults);
        using var response = await api.Client.GetAsync(new Uri($"/orders/{Guid.NewGuid()}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Readiness_is_503_and_names_the_failed_dependency()
    {
        await using var api = await RunningApi.StartAsync(Defaults, new StubCheck("postgres", null), new StubCheck("redis", "connection refused"));

        using var response = await api.Client.GetAsync(new Uri("/health/ready", UriKind.Relative));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(["redis"], body.RootElement.GetProperty("failed").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("ok", body.RootElement.GetProperty("checks").GetProperty("postgres").GetString());
    }

    [Fact]
    public async Task Readiness_is_200_when_every_dependency_answers()
    {
        await using var api = await RunningApi.StartAsync(Defaults, new StubCheck("postgres", null), new StubCheck("redis", null));
        using var response = await api.Client.GetAsync(new Uri("/health/ready", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Errors_fault_mode_fails_the_app_but_not_its_health_endpoints()
    {
        await using var api = await RunningApi.StartAsync(Defaults with { Faults = new FaultSettings(FaultMode.Errors, TimeSpan.Zero) });

        Assert.Equal(HttpStatusCode.OK, (await api.Client.GetAsync(new Uri("/health/live", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.Client.GetAsync(new Uri("/health/ready", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.InternalServerError, (await api.Client.GetAsync(new Uri("/version", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task Requests_over_the_rate_limit_get_429_but_probes_never_do()
    {
        await using var api = await RunningApi.StartAsync(Defaults with { RateLimitPerMinute = 2 });

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            statuses.Add((await api.Client.GetAsync(new Uri("/version", UriKind.Relative))).StatusCode);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(HttpStatusCode.OK, (await api.Client.GetAsync(new Uri("/health/live", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task Cors_allows_only_the_configured_origins()
    {
        await using var api = await RunningApi.StartAsync(Defaults with { CorsOrigins = ["https://app.example.com"] });

        Assert.Equal("https://app.example.com", await AllowedOrigin(api, "https://app.example.com"));
        Assert.Null(await AllowedOrigin(api, "https://evil.example.com"));
    }

    private static async Task<string?> AllowedOrigin(RunningApi api, string origin)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/version", UriKind.Relative));
        request.Headers.Add("Origin", origin);
        using var response = await api.Client.SendAsync(request);
        return response.Headers.TryGetValues("Access-Control-Allow-Origin", out var values) ? values.Single() : null;
    }

    private sealed class RunningApi : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private RunningApi(WebApplication app, HttpClient client, InMemoryOrderStore orders, RecordingJobPublisher jobs)
        {
            _app = app;
            Client = client;
            Orders = orders;
            Jobs = jobs;
        }

        public HttpClient Client { get; }

        public InMemoryOrderStore Orders { get; }

        public RecordingJobPublisher Jobs { get; }

        public static async Task<RunningApi> StartAsync(ApiSettings settings, params IDependencyCheck[] checks)
        {
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var orders = new InMemoryOrderStore();
            var jobs = new RecordingJobPublisher();
            builder.Services.AddSingleton<IOrderStore>(orders);
            builder.Services.AddSingleton<IOrderJobPublisher>(jobs);
            foreach (var check in checks)
            {
                builder.Services.AddSingleton(check);
            }

            var app = ApiApplication.Build(builder, settings, new VersionInfo("2.3.4", "cafe123"));
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
            return new RunningApi(app, new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(10) }, orders, jobs);
        }

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    private sealed class InMemoryOrderStore : IOrderStore
    {
        private readonly Lock _gate = new();

        public List<Order> Committed { get; } = [];

        public async Task<Order> CreateAsync(Order order, Func<Order, CancellationToken, Task> beforeCommit, CancellationToken cancellationToken)
        {
            await beforeCommit(order, cancellationToken);
            lock (_gate)
            {
                Committed.Add(order);
            }

            return order;
        }

        public Task<Order?> FindAsync(Guid id, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                return Task.FromResult(Committed.SingleOrDefault(o => o.Id == id));
            }
        }

        public Task<IReadOnlyList<Order>> ListRecentAsync(int limit, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                return Task.FromResult<IReadOnlyList<Order>>([.. Committed.OrderByDescending(o => o.CreatedAt).Take(limit)]);
            }
        }
    }

    private sealed class RecordingJobPublisher : IOrderJobPublisher
    {
        public List<OrderJob> Published { get; } = [];

        public Exception? FailWith { get; set; }

        public Task EnqueueAsync(OrderJob job, CancellationToken cancellationToken)
        {
            if (FailWith is not null)
            {
                throw FailWith;
            }

            Published.Add(job);
            return Task.CompletedTask;
        }
    }

    private sealed class StubCheck(string name, string? failure) : IDependencyCheck
    {
        public string Name => name;

        public Task<string?> CheckAsync(CancellationToken cancellationToken) => Task.FromResult(failure);
    }
}
