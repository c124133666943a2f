using System.Globalization;
using Slipway.Samples.ServiceHosting;

namespace Slipway.Samples.Worker;

/// <summary>Everything the worker reads from its environment, validated at start with every
/// error reported at once.</summary>
public sealed record WorkerSettings(
    string PostgresConnectionString,
    string RedisConnectionString,
    int MaxAttempts,
    FaultSettings Faults)
{
    public const int DefaultMaxAttempts = 5;

    public static WorkerSettings Parse(IConfiguration configuration, ICollection<string> errors)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(errors);
        return new WorkerSettings(
            ConnectionSettings.ReadPostgres(configuration, errors),
            ConnectionSettings.ReadRedis(configuration, errors),
            ParseMaxAttempts(configuration["WORKER_MAX_ATTEMPTS"], errors),
            FaultSettings.Parse(configuration, errors));
    }

    private static int ParseMaxAttempts(string? value, ICollection<string> errors)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return DefaultMaxAttempts;
        }

        if (int.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var attempts) && attempts >= 1)
        {
            return attempts;
        }

        errors.Add($"WORKER_MAX_ATTEMPTS: '{value}' is not a whole number of at least 1.");
        return DefaultMaxAttempts;
    }
}
