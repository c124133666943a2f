using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Npgsql;
using Slipway.Samples.Api.Orders;
using Slipway.Samples.ServiceHosting;
using StackExchange.Redis;

namespace Slipway.Samples.Api;

/// <summary>Composes the web app. Infrastructure (Postgres, Redis) is registered separately so
/// tests can host the same pipeline on Kestrel with fakes in its place.</summary>
public static class ApiApplication
{
    public const int DefaultPort = 8080;
    private const string CorsPolicy = "configured-origins";

    public static IServiceCollection AddSampleInfrastructure(this IServiceCollection services, ApiSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        services.AddPostgresAndRedis(settings.PostgresConnectionString, settings.RedisConnectionString);
        services.AddSingleton<IOrderStore, PostgresOrderStore>();
        services.AddSingleton<IOrderJobPublisher, RedisOrderJobPublisher>();
        return services;
    }

    public static WebApplication Build(WebApplicationBuilder builder, ApiSettings settings, VersionInfo version)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(settings);

        builder.WebHost.UseDefaultPort(DefaultPort);

        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(version);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddProblemDetails();
        builder.Services.AddCors(options => options.AddPolicy(CorsPolicy, policy =>
        {
            if (settings.CorsOrigins.Contains("*"))
            {
                policy.AllowAnyOrigin();
            }
            else
            {
                policy.WithOrigins([.. settings.CorsOrigins]);
            }

            policy.AllowAnyHeader().WithMethods("GET", "POST");
        }));
        if (settings.RateLimitPerMinute > 0)
        {
            builder.Services.AddRateLimiter(options => ConfigureRateLimiter(options, settings.RateLimitPerMinute));
        }

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseMiddleware<FaultInjectionMiddleware>(settings.Faults);
        app.UseCors(CorsPolicy);
        if (settings.RateLimitPerMinute > 0)
        {
            app.UseRateLimiter();
        }

        app.MapGet(HealthPaths.Live, () => Results.Ok(new { status = "live" }));
        app.MapGet(HealthPaths.Ready, (IEnumerable<IDependencyCheck> checks, CancellationToken ct) => ReadinessEndpoint.CheckAllAsync(checks, ct));
        app.MapGet("/version", () => Results.Ok(new
        {
            service = "api",
            version = version.Version,
            commit = version.Commit,
            features = settings.Features,
        }));
        app.MapOrders();
        return app;
    }

    private static void ConfigureRateLimiter(RateLimiterOptions options, int permitsPerMinute)
    {
        options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
        {
            // Probes must never be throttled, or a busy instance would look dead and be restarted.
            if (context.Request.Path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase))
            {
                return RateLimitPartition.GetNoLimiter("health");
            }

            // Per client address. Behind the stack's proxy every request shares the proxy's
            // address, which turns this into a per-instance budget: still what protects Postgres.
            var client = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
            return RateLimitPartition.GetFixedWindowLimiter(client, _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = permitsPerMinute,
                Window = TimeSpan.FromMinutes(1),
                QueueLimit = 0,
            });
        });
        options.OnRejected = (context, _) =>
        {
            if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
            {
                context.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            }

            return ValueTask.CompletedTask;
        };
    }
}
