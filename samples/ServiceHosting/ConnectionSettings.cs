using Microsoft.Extensions.Configuration;
using Npgsql;
using StackExchange.Redis;

namespace Slipway.Samples.ServiceHosting;

/// <summary>Connection strings, checked for shape without ever echoing them: they hold passwords.</summary>
public static class ConnectionSettings
{
    public const string PostgresKey = "ConnectionStrings:Postgres";
    public const string RedisKey = "ConnectionStrings:Redis";

    public static string ReadPostgres(IConfiguration configuration, ICollection<string> errors)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(errors);
        var value = configuration[PostgresKey];
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add("ConnectionStrings__Postgres: required (e.g. Host=db;Database=orders;Username=app;Password=...).");
            return "";
        }

        try
        {
            _ = new NpgsqlConnectionStringBuilder(value);
        }
        catch (ArgumentException)
        {
            errors.Add("ConnectionStrings__Postgres: not a valid Npgsql connection string (value not shown: it may contain a password).");
        }

        return value;
    }

    public static string ReadRedis(IConfiguration configuration, ICollection<string> errors)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(errors);
        var value = configuration[RedisKey];
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add("ConnectionStrings__Redis: required (e.g. redis:6379).");
            return "";
        }

        try
        {
            _ = ConfigurationOptions.Parse(value);
        }
        catch (ArgumentException)
        {
            errors.Add("ConnectionStrings__Redis: not a valid StackExchange.Redis configuration string (value not shown).");
        }

        return value;
    }
}
