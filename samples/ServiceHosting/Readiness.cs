using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Npgsql;
using StackExchange.Redis;

namespace Slipway.Samples.ServiceHosting;

/// <summary>One thing the service cannot work without. Returns null when healthy, otherwise a
/// short reason that is safe to show to a prober (never a connection string).</summary>
public interface IDependencyCheck
{
    string Name { get; }

    Task<string?> CheckAsync(CancellationToken cancellationToken);
}

public sealed class PostgresCheck(NpgsqlDataSource dataSource) : IDependencyCheck
{
    public string Name => "postgres";

    public async Task<string?> CheckAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT 1");
        await command.ExecuteScalarAsync(cancellationToken);
        return null;
    }
}

public sealed class RedisCheck(IConnectionMultiplexer redis) : IDependencyCheck
{
    public string Name => "redis";

    public async Task<string?> CheckAsync(CancellationToken cancellationToken)
    {
        await redis.GetDatabase().PingAsync().WaitAsync(cancellationToken);
        return null;
    }
}

/// <summary>Runs every dependency check in parallel with one deadline and answers 200 or 503
/// naming each failed dependency, so an operator sees at once which one is down.</summary>
public static class ReadinessEndpoint
{
    public static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(2);

    public static async Task<IResult> CheckAllAsync(IEnumerable<IDependencyCheck> checks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(checks);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(CheckTimeout);

        var list = checks.ToList();
        var results = await Task.WhenAll(list.Select(c => RunOneAsync(c, deadline.Token)));
        var failed = list.Zip(results).Where(p => p.Second is not null).ToDictionary(p => p.First.Name, p => p.Second);

        var body = new
        {
            status = failed.Count == 0 ? "ready" : "unready",
            checks = list.Zip(results).ToDictionary(p => p.First.Name, p => p.Second ?? "ok"),
            failed = failed.Keys.Order(StringComparer.Ordinal).ToArray(),
        };
        return Results.Json(body, statusCode: failed.Count == 0 ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<string?> RunOneAsync(IDependencyCheck check, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            return await check.CheckAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return $"no answer within {Stopwatch.GetElapsedTime(started).TotalMilliseconds:F0} ms";
        }
#pragma warning disable CA1031 // Any failure of a dependency means "not ready", whatever its type.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            // Driver messages name the host and the problem, not credentials; the type makes
            // "connection refused" and "authentication failed" distinguishable at a glance.
            return $"{ex.GetType().Name}: {ex.Message}";
        }
    }
}
