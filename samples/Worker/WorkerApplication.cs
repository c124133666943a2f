using System.Globalization;
using Npgsql;
using Slipway.Samples.ServiceHosting;
using Slipway.Samples.Worker.Jobs;
using StackExchange.Redis;

namespace Slipway.Samples.Worker;

/// <summary>Composes the worker: the job loop plus a tiny Kestrel endpoint for probes. HTTP was
/// chosen over a heartbeat file so Kubernetes can use plain httpGet probes and readiness can
/// check Postgres, Redis and the loop live.</summary>
public static class WorkerApplication
{
    public const int DefaultPort = 8081;

    public static IServiceCollection AddWorkerInfrastructure(this IServiceCollection services, WorkerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        services.AddPostgresAndRedis(settings.PostgresConnectionString, settings.RedisConnectionString);
        services.AddSingleton<IOrderJobSource, RedisOrderJobSource>();
        services.AddSingleton<IOrderCompletion, PostgresOrderCompletion>();
        return services;
    }

    public static WebApplication Build(WebApplicationBuilder builder, WorkerSettings settings, VersionInfo version)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(version);

        builder.WebHost.UseDefaultPort(DefaultPort);

        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ProcessingHeartbeat>();
        builder.Services.AddSingleton<IDependencyCheck, ProcessingLoopCheck>();
        builder.Services.AddSingleton<Func<TimeSpan, CancellationToken, Task>>(Task.Delay);
        builder.Services.AddSingleton(services => new OrderJobHandler(
            services.GetRequiredService<IOrderCompletion>(),
            settings,
            $"worker@{version.Version}+{version.Commit}",
            services.GetRequiredService<Func<TimeSpan, CancellationToken, Task>>()));
        builder.Services.AddHostedService(services => new OrderJobProcessor(
            services.GetRequiredService<IOrderJobSource>(),
            services.GetRequiredService<OrderJobHandler>(),
            services.GetRequiredService<ProcessingHeartbeat>(),
            services.GetRequiredService<ILogger<OrderJobProcessor>>(),
            services.GetRequiredService<Func<TimeSpan, CancellationToken, Task>>(),
            settings.Faults.Mode));

        var app = builder.Build();
        app.UseMiddleware<FaultInjectionMiddleware>(settings.Faults);
        app.MapGet(HealthPaths.Live, () => Results.Ok(new { status = "live" }));
        app.MapGet(HealthPaths.Ready, (IEnumerable<IDependencyCheck> checks, CancellationToken ct) => ReadinessEndpoint.CheckAllAsync(checks, ct));
        return app;
    }
}
