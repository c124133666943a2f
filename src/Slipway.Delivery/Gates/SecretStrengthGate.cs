using Slipway.Environments;

namespace Slipway.Delivery.Gates;

/// <summary>
/// Production's secrets, checked before anything deploys: none empty, none a well-known default (<c>postgres</c>,
/// <c>password</c>, <c>changeme</c> …, also as the <c>Password=</c> of a connection string), none shorter than
/// <c>security.min_secret_length</c>. A refusal names the key and the reference, never the value.
/// </summary>
public static class SecretStrengthGate
{
    /// <summary>Values that are defaults somewhere (images, tutorials, generators) and therefore not secrets.</summary>
    public static IReadOnlySet<string> KnownDefaults { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "postgres", "password", "changeme", "change-me", "change_me", "secret", "admin", "root", "123456", "12345678",
        "default", "example", "test", "guest", "letmein", "passw0rd", "p@ssw0rd", "redis", "app", "slipway",
    };

    /// <summary>
    /// The secret references a deploy of the environment hands out, by the key that names them
    /// (<c>services.api.secrets.X</c>, <c>data.postgres.password</c>). The data services' connection strings only with
    /// the Helm driver, whose chart receives them; a Compose deploy derives its connections and never resolves them.
    /// </summary>
    public static IEnumerable<(string Key, SecretReference Reference)> References(DeployEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        foreach (var (service, definition) in environment.Services)
        {
            foreach (var (name, reference) in definition.Secrets)
            {
                yield return ($"services.{service}.secrets.{name}", reference);
            }
        }

        if (environment.Data.Postgres?.Password is { } password)
        {
            yield return ("data.postgres.password", password);
        }

        if (environment.Delivery.Driver != DeliveryDriver.Helm)
        {
            yield break;
        }

        if (environment.Data.Postgres?.Connection is { } postgres)
        {
            yield return ("data.postgres.connection", postgres);
        }

        if (environment.Data.Redis?.Connection is { } redis)
        {
            yield return ("data.redis.connection", redis);
        }
    }

    /// <summary>
    /// Why <paramref name="value"/> is not a secret worth the name, or null when it is strong enough. A connection string
    /// is judged by its password (<c>Password=</c>, <c>Pwd=</c>, Redis' <c>password=</c>); one without is only required not to be empty.
    /// </summary>
    public static string? Weakness(string value, int minimumLength)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Trim().Length == 0)
        {
            return "it is empty";
        }

        var isConnection = value.Contains('=', StringComparison.Ordinal) || value.Contains(':', StringComparison.Ordinal);
        var candidate = isConnection ? PasswordOf(value) : value;
        if (candidate is null)
        {
            return null;
        }

        if (candidate.Trim().Length == 0)
        {
            return "its password is empty";
        }

        if (KnownDefaults.Contains(candidate.Trim()))
        {
            return isConnection ? "its password is a well-known default" : "it is a well-known default";
        }

        return candidate.Length < minimumLength
            ? $"{(isConnection ? "its password" : "it")} is shorter than {minimumLength} characters (security.min_secret_length)"
            : null;
    }

    /// <summary>The password of a <c>Key=Value</c> connection string (<c>;</c> or <c>,</c> separated), or null when it has none.</summary>
    private static string? PasswordOf(string value) =>
        value.Split(';', ',')
            .Select(part => part.Split('=', 2))
            .Where(kv => kv.Length == 2 && kv[0].Replace(" ", string.Empty, StringComparison.Ordinal) is var key
                && (key.Equals("Password", StringComparison.OrdinalIgnoreCase) || key.Equals("Pwd", StringComparison.OrdinalIgnoreCase)))
            .Select(kv => kv[1])
            .FirstOrDefault();
}
