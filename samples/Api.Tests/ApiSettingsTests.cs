using Microsoft.Extensions.Configuration;

namespace Slipway.Samples.Api.Tests;

public class ApiSettingsTests
{
    private const string Postgres = "Host=db;Database=orders;Username=app;Password=s3cret-pg";
    private const string Redis = "redis:6379,password=s3cret-redis";

    private static IConfiguration Config(params (string Key, string Value)[] pairs) =>
        new ConfigurationBuilder().AddInMemoryCollection(
            new[] { ("ConnectionStrings:Postgres", Postgres), ("ConnectionStrings:Redis", Redis) }
                .Concat(pairs)
                .Select(p => KeyValuePair.Create(p.Item1, (string?)p.Item2))).Build();

    [Fact]
    public void Defaults_are_applied_when_only_connection_strings_are_set()
    {
        var errors = new List<string>();
        var settings = ApiSettings.Parse(Config(), errors);
        Assert.Empty(errors);
        Assert.Empty(settings.CorsOrigins);
        Assert.Equal(600, settings.RateLimitPerMinute);
        Assert.Empty(settings.Features);
    }

    [Fact]
    public void Feature_flags_are_collected_by_lowercased_name()
    {
        var errors = new List<string>();
        var settings = ApiSettings.Parse(Config(("FEATURE_NEW_CHECKOUT", "true"), ("FEATURE_DARK_MODE", "0"), ("Logging:FEATURE_X", "true")), errors);
        Assert.Empty(errors);
        Assert.Equal(new Dictionary<string, bool> { ["dark_mode"] = false, ["new_checkout"] = true }, settings.Features);
    }

    [Fact]
    public void Cors_origins_are_normalised_and_wildcard_is_kept()
    {
        var errors = new List<string>();
        Assert.Equal(["https://app.example.com", "http://localhost:3000", "*"], ApiSettings.ParseCorsOrigins(" https://app.example.com , http://localhost:3000,*", errors));
        Assert.Empty(errors);
    }

    [Fact]
    public void Every_configuration_error_is_reported_at_once()
    {
        var errors = new List<string>();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["CORS_ORIGINS"] = "https://ok.example.com,https://bad.example.com/path,ftp://x",
            ["RATE_LIMIT_PER_MINUTE"] = "lots",
            ["FEATURE_BETA"] = "maybe",
            ["FAULT_MODE"] = "chaos",
        }).Build();

        ApiSettings.Parse(configuration, errors);

        Assert.Equal(7, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("ConnectionStrings__Postgres: required", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("ConnectionStrings__Redis: required", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("'https://bad.example.com/path'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("'ftp://x'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("RATE_LIMIT_PER_MINUTE:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("FEATURE_BETA:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("FAULT_MODE:", StringComparison.Ordinal));
    }

    [Fact]
    public void A_malformed_connection_string_is_reported_without_its_value()
    {
        var errors = new List<string>();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = "Host=db;Password=hunter2;NoSuchKeyword=1",
            ["ConnectionStrings:Redis"] = Redis,
        }).Build();

        ApiSettings.Parse(configuration, errors);

        var error = Assert.Single(errors);
        Assert.StartsWith("ConnectionStrings__Postgres: not a valid", error, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Rate_limit_zero_disables_the_limiter()
    {
        var errors = new List<string>();
        Assert.Equal(0, ApiSettings.ParseRateLimit("0", errors));
        Assert.Empty(errors);
    }
}
