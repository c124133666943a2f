using System.Globalization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using StackExchange.Redis;

namespace Slipway.Samples.ServiceHosting;

/// <summary>What the api and the worker wire up the same way: their data stores and their port.</summary>
public static class ServiceInfrastructure
{
    /// <summary>The Postgres data source, the Redis connection and the readiness checks of both.</summary>
    public static IServiceCollection AddPostgresAndRedis(this IServiceCollection services, string postgresConnectionString, string redisConnectionString)
    {
        services.AddSingleton(_ => NpgsqlDataSource.Create(postgresConnectionString));
        services.AddSingleton<IConnectionMultiplexer>(_ =>
        {
            var options = ConfigurationOptions.Parse(redisConnectionString);
            // Start even when Redis is down: readiness reports it and the client reconnects,
            // instead of the container crash-looping during a Redis restart.
            options.AbortOnConnectFail = false;
            return ConnectionMultiplexer.Connect(options);
        });
        services.AddSingleton<IDependencyCheck, PostgresCheck>();
        services.AddSingleton<IDependencyCheck, RedisCheck>();
        return services;
    }

    /// <summary>
    /// Listens on <paramref name="port"/> unless the host says otherwise (ASPNETCORE_HTTP_PORTS,
    /// ASPNETCORE_URLS, or a test binding port 0), so `dotnet X.dll` behaves like the container.
    /// </summary>
    public static void UseDefaultPort(this IWebHostBuilder webHost, int port)
    {
        ArgumentNullException.ThrowIfNull(webHost);
        if (string.IsNullOrEmpty(webHost.GetSetting(WebHostDefaults.ServerUrlsKey))
            && string.IsNullOrEmpty(webHost.GetSetting(WebHostDefaults.HttpPortsKey)))
        {
            webHost.UseUrls(string.Create(CultureInfo.InvariantCulture, $"http://+:{port}"));
        }
    }
}
