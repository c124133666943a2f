using System.Globalization;
using Slipway.Samples.ServiceHosting;

namespace Slipway.Samples.Api;

/// <summary>Everything the API reads from its environment, validated once at start. Parsing
/// collects every problem so a bad deployment fails with the whole list, not the first item.</summary>
public sealed record ApiSettings(
    string PostgresConnectionString,
    string RedisConnectionString,
    IReadOnlyList<string> CorsOrigins,
    int RateLimitPerMinute,
    IReadOnlyDictionary<string, bool> Features,
    FaultSettings Faults)
{
    /// <summary>Used when <c>RATE_LIMIT_PER_MINUTE</c> is unset: generous for a person, low
    /// enough that a runaway client cannot exhaust the database connection pool.</summary>
    public const int DefaultRateLimitPerMinute = 600;

    private const string FeaturePrefix = "FEATURE_";

    public static ApiSettings Parse(IConfiguration configuration, ICollection<string> errors)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(errors);
        return new ApiSettings(
            ConnectionSettings.ReadPostgres(configuration, errors),
            ConnectionSettings.ReadRedis(configuration, errors),
            ParseCorsOrigins(configuration["CORS_ORIGINS"], errors),
            ParseRateLimit(configuration["RATE_LIMIT_PER_MINUTE"], errors),
            ParseFeatures(configuration, errors),
            FaultSettings.Parse(configuration, errors));
    }

    /// <summary><c>CORS_ORIGINS</c>: comma-separated origins (<c>https://app.example.com</c>) or
    /// <c>*</c>. Unset means no cross-origin access at all.</summary>
    internal static IReadOnlyList<string> ParseCorsOrigins(string? value, ICollection<string> errors)
    {
        var origins = new List<string>();
        foreach (var raw in (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (raw == "*")
            {
                origins.Add(raw);
                continue;
            }

            // A browser sends an origin as scheme://host[:port]; a path or trailing slash here
            // would silently never match, so reject it rather than debug it later.
            if (Uri.TryCreate(raw, UriKind.Absolute, out var uri)
                && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
                && uri.AbsolutePath == "/" && !raw.EndsWith('/') && string.IsNullOrEmpty(uri.Query))
            {
                origins.Add(uri.GetLeftPart(UriPartial.Authority));
            }
            else
            {
                errors.Add($"CORS_ORIGINS: '{raw}' is not an origin like https://app.example.com (scheme and host, no path).");
            }
        }

        return origins;
    }

    /// <summary><c>RATE_LIMIT_PER_MINUTE</c>: requests per client IP per minute; 0 turns the
    /// limiter off.</summary>
    internal static int ParseRateLimit(string? value, ICollection<string> errors)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return DefaultRateLimitPerMinute;
        }

        if (int.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var limit))
        {
            return limit;
        }

        errors.Add($"RATE_LIMIT_PER_MINUTE: '{value}' is not a whole number (0 disables the limit).");
        return DefaultRateLimitPerMinute;
    }

    /// <summary>Every <c>FEATURE_NAME=true|false</c> variable becomes flag <c>name</c>.</summary>
    internal static IReadOnlyDictionary<string, bool> ParseFeatures(IConfiguration configuration, ICollection<string> errors)
    {
        var features = new SortedDictionary<string, bool>(StringComparer.Ordinal);
        foreach (var (key, value) in configuration.AsEnumerable())
        {
            // Only top-level keys: "FEATURE_X" from the environment, not "Section:FEATURE_X".
            if (!key.StartsWith(FeaturePrefix, StringComparison.OrdinalIgnoreCase) || key.Contains(':', StringComparison.Ordinal))
            {
                continue;
            }

            var name = key[FeaturePrefix.Length..].ToLowerInvariant();
            if (name.Length == 0)
            {
                errors.Add($"{key}: a feature flag needs a name after FEATURE_.");
                continue;
            }

            switch (value?.Trim().ToUpperInvariant())
            {
                case "TRUE" or "1" or "ON" or "YES":
                    features[name] = true;
                    break;
                case "FALSE" or "0" or "OFF" or "NO" or "":
                    features[name] = false;
                    break;
                default:
                    errors.Add($"{key}: '{value}' is not a boolean (true/false, 1/0, on/off).");
                    break;
            }
        }

        return features;
    }
}
